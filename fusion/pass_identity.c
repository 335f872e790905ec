/* Pass `identity`: drops nodes that do nothing at inference: Identity, Dropout (inference
 * mode, mask unused), Cast to the dtype it already has, Reshape to the shape it already has,
 * Pad by zero on every side (DenseNet exports have them), Transpose by the identity perm. */
#include <string.h>

#include "fusion.h"
#include "graph_edit.h"
#include "movement_params.h"
#include "op.h"

/* Every resolved pad zero (same output shape alone is not enough: a crop and a pad cancel). */
static bool pads_zero(const roof_node* n, int rank) {
  const roof_pad_params* p = n->params;
  for (int i = 0; i < 2 * rank; i++) {
    if (p->pads[i] != 0) return false;
  }
  return true;
}

static bool perm_identity(const roof_node* n, int rank) {
  const roof_transpose_params* p = n->params;
  for (int d = 0; d < rank; d++) {
    if (p->perm[d] != d) return false;
  }
  return true;
}

static const char* noop_reason(const roof_graph* g, const roof_node* n) {
  const roof_value* x = roof_in(g, n, 0);
  const roof_value* y = roof_out(g, n, 0);
  if (x == NULL || y == NULL) return NULL;
  if (roof_node_is(n, ROOF_OP_Identity)) return "Identity is a no-op";
  /* a Dropout that may drop (training mode, ratio not 0) runs: shape inference said so */
  if (roof_node_is(n, ROOF_OP_Dropout) && roof_node_is_view(n)) return "Dropout is a no-op at inference";
  bool same_shape = x->rank == y->rank && x->dtype == y->dtype &&
                    memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)(x->rank > 0 ? x->rank : 0)) == 0;
  if (roof_node_is(n, ROOF_OP_Cast) && same_shape) return "Cast to the same dtype is a no-op";
  if (roof_node_is(n, ROOF_OP_Reshape) && same_shape) return "Reshape to the same shape is a no-op";
  if (roof_node_is(n, ROOF_OP_Pad) && same_shape && pads_zero(n, x->rank)) return "Pad by zero is a no-op";
  if (roof_node_is(n, ROOF_OP_Transpose) && same_shape && perm_identity(n, x->rank)) {
    return "Transpose by the identity perm is a no-op";
  }
  return NULL;
}

roof_status roof_pass_identity(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int n = g->order[oi];
    if (g->nodes[n].removed) continue;
    const char* why = noop_reason(g, &g->nodes[n]);
    if (why == NULL) continue;
    roof_status st;
    if (roof_edit_bypass(g, n, "identity", why, &st)) *changed = true;
    if (st != ROOF_OK) return roof_fail(err, st, "%s: out of memory in pass identity", g->path);
  }
  return ROOF_OK;
}
