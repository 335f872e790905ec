/* Conv / pool geometry (roof_spatial_*, declared in common.h): attribute parsing and output
 * sizes, including SAME padding, which depends on the stride. */
#include <string.h>

#include "common.h"

static roof_status ints_attr(const roof_graph* g, const roof_node* n, const char* name, size_t want,
                             int64_t* out, int64_t min, roof_error* err) {
  const int64_t* v;
  size_t cnt;
  roof_status st = roof_attr_get_ints(g, n, name, &v, &cnt, err);
  if (st != ROOF_OK || v == NULL) return st;
  if (cnt != want) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' has %zu values, expected %zu", name, cnt, want);
  }
  for (size_t i = 0; i < cnt; i++) {
    if (v[i] < min || v[i] > (1ll << 30)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s': value %lld must be in %lld..%lld", name,
                            (long long)v[i], (long long)min, 1ll << 30);
    }
    out[i] = v[i];
  }
  return ROOF_OK;
}

roof_status roof_spatial_parse(const roof_graph* g, const roof_node* n, int nsp, roof_spatial* s, roof_error* err) {
  if (nsp < 1 || nsp > 3) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "%d spatial dims (1 to 3 supported)", nsp);
  memset(s, 0, sizeof(*s));
  s->nsp = nsp;
  for (int i = 0; i < nsp; i++) s->strides[i] = s->dilations[i] = 1;
  roof_status st = ints_attr(g, n, "kernel_shape", (size_t)nsp, s->kernel, 1, err);
  if (st == ROOF_OK) st = ints_attr(g, n, "strides", (size_t)nsp, s->strides, 1, err);
  if (st == ROOF_OK) st = ints_attr(g, n, "dilations", (size_t)nsp, s->dilations, 1, err);
  if (st == ROOF_OK) st = ints_attr(g, n, "pads", (size_t)nsp * 2, s->pads, 0, err);
  if (st != ROOF_OK) return st;
  const char* ap;
  st = roof_attr_get_string(g, n, "auto_pad", "NOTSET", &ap, err);
  if (st != ROOF_OK) return st;
  if (strcmp(ap, "NOTSET") == 0) s->auto_pad = ROOF_AUTOPAD_NOTSET;
  else if (strcmp(ap, "VALID") == 0) s->auto_pad = ROOF_AUTOPAD_VALID;
  else if (strcmp(ap, "SAME_UPPER") == 0) s->auto_pad = ROOF_AUTOPAD_SAME_UPPER;
  else if (strcmp(ap, "SAME_LOWER") == 0) s->auto_pad = ROOF_AUTOPAD_SAME_LOWER;
  else return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'auto_pad': unknown value");
  int64_t v;
  st = roof_attr_get_int(g, n, "ceil_mode", 0, &v, err);
  s->ceil_mode = v != 0;
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "count_include_pad", 0, &v, err);
  s->count_include_pad = v != 0;
  return st;
}

roof_status roof_spatial_infer(const roof_graph* g, const roof_node* n, roof_spatial* s, const int64_t* in,
                               int64_t* out, roof_error* err) {
  for (int i = 0; i < s->nsp; i++) {
    int64_t k = (s->kernel[i] - 1) * s->dilations[i] + 1, st = s->strides[i];
    int64_t o;
    if (s->auto_pad == ROOF_AUTOPAD_NOTSET) {
      int64_t span = in[i] + s->pads[i] + s->pads[i + s->nsp] - k;
      if (span < 0) {
        return roof_node_fail(err, ROOF_E_DATA, g, n, "kernel extent %lld exceeds padded input %lld on spatial axis %d",
                              (long long)k, (long long)(span + k), i);
      }
      o = (s->ceil_mode ? (span + st - 1) / st : span / st) + 1;
      /* ceil mode: the last window must start inside the input or the left padding */
      if (s->ceil_mode && (o - 1) * st >= in[i] + s->pads[i]) o--;
    } else if (s->auto_pad == ROOF_AUTOPAD_VALID) {
      if (in[i] < k) return roof_node_fail(err, ROOF_E_DATA, g, n, "kernel extent %lld exceeds input %lld", (long long)k, (long long)in[i]);
      o = (in[i] - k) / st + 1;
      s->pads[i] = s->pads[i + s->nsp] = 0;
    } else {
      o = (in[i] + st - 1) / st;
      int64_t total = (o - 1) * st + k - in[i];
      if (total < 0) total = 0;
      int64_t small = total / 2, big = total - small;
      s->pads[i] = s->auto_pad == ROOF_AUTOPAD_SAME_UPPER ? small : big;
      s->pads[i + s->nsp] = s->auto_pad == ROOF_AUTOPAD_SAME_UPPER ? big : small;
    }
    if (o < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "output spatial dim %d would be %lld", i, (long long)o);
    out[i] = o;
  }
  return ROOF_OK;
}
