/* Numpy-style broadcasting (roof_broadcast_*, declared in common.h). */
#include <string.h>

#include "common.h"

roof_status roof_broadcast_shape(const roof_graph* g, const roof_node* n, const int64_t* a, int ra, const int64_t* b,
                                 int rb, int64_t* out, int* rout, roof_error* err) {
  int r = ra > rb ? ra : rb;
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "broadcast rank %d exceeds %d", r, ROOF_MAX_RANK);
  for (int i = 0; i < r; i++) {
    int64_t da = i - (r - ra) >= 0 ? a[i - (r - ra)] : 1;
    int64_t db = i - (r - rb) >= 0 ? b[i - (r - rb)] : 1;
    if (da != db && da != 1 && db != 1) {
      char as[64], bs[64];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "shapes %s and %s do not broadcast", roof_shape_str(a, ra, as, 64),
                            roof_shape_str(b, rb, bs, 64));
    }
    out[i] = da == 1 ? db : da;
  }
  *rout = r;
  return ROOF_OK;
}

void roof_broadcast_view(const roof_tensor* in, int out_rank, const int64_t* out_dims, roof_tensor* view) {
  memset(view, 0, sizeof(*view));
  view->dtype = in->dtype;
  view->rank = out_rank;
  view->data = in->data;
  int shift = out_rank - in->rank;
  for (int i = 0; i < out_rank; i++) {
    int j = i - shift;
    view->dims[i] = out_dims[i];
    view->strides[i] = (j >= 0 && in->dims[j] != 1) ? in->strides[j] : 0;
  }
}
