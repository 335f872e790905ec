/* Zero-copy views: Reshape, Flatten, Squeeze, Unsqueeze (plain layout) and Identity (any
 * layout); Dropout, a view unless it drops, lives in dropout.c. The executor never runs them: the output shares the input's buffer.
 * Their reference kernels copy, for load-time evaluation into separate buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct view_params {
  int64_t allowzero; /* Reshape */
  int64_t axis;      /* Flatten */
  int64_t axes[ROOF_MAX_RANK + 1];
  size_t num_axes;   /* Squeeze / Unsqueeze */
} view_params;

static roof_status ref_copy(roof_kernel* k, roof_error* err) {
  roof_tensor src = k->in[0];
  roof_tensor* dst = &k->out[0];
  /* same element count, logical row-major order on both sides */
  if (!roof_tensor_is_plain(&src) && src.rank == dst->rank) {
    roof_tensor_copy(&src, dst);
    return ROOF_OK;
  }
  uint64_t n = roof_tensor_count(dst);
  size_t es = roof_dtype_size(dst->dtype);
  if (roof_tensor_is_plain(&src)) {
    if (n) memmove(dst->data, src.data, (size_t)n * es);
    return ROOF_OK;
  }
  int64_t i[ROOF_MAX_RANK] = {0};
  uint64_t flat = 0;
  do {
    memcpy((char*)dst->data + flat++ * es, (const char*)src.data + roof_offset(&src, i) * (int64_t)es, es);
  } while (roof_index_next(i, src.dims, src.rank));
  return ROOF_OK;
}

static void cost_view(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->formula = "view";
  c->has_model = true;
}

static roof_status set_out(roof_graph* g, roof_node* n, const int64_t* dims, int rank, roof_error* err) {
  const roof_value* x = roof_in(g, n, 0);
  uint64_t a = 0, b = 0;
  char xs[64], ys[64];
  if (rank > ROOF_MAX_RANK || !roof_value_count(x, &a) || !roof_dims_count(dims, rank, &b) || a != b) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "cannot view %s as %s", roof_shape_str(x->dims, x->rank, xs, 64),
                          roof_shape_str(dims, rank > ROOF_MAX_RANK ? ROOF_MAX_RANK : rank, ys, 64));
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, rank, dims);
  return ROOF_OK;
}

static roof_status parse_reshape(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  return roof_attr_get_int(g, n, "allowzero", 0, &((view_params*)params)->allowzero, err);
}

static roof_status infer_reshape(roof_graph* g, roof_node* n, roof_error* err) {
  const view_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  int64_t shape[ROOF_MAX_RANK + 1];
  size_t r;
  st = roof_const_ints(g, n, 1, shape, ROOF_MAX_RANK, &r, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int infer_at = -1;
  uint64_t known = 1, total = 0;
  roof_value_count(x, &total);
  for (size_t i = 0; i < r; i++) {
    if (shape[i] == 0 && !p->allowzero) {
      if ((int)i >= x->rank) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape[%zu] = 0 copies a dim the input lacks", i);
      shape[i] = x->dims[i];
    }
    if (shape[i] == -1) {
      if (infer_at >= 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape has more than one -1");
      infer_at = (int)i;
      continue;
    }
    if (shape[i] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape[%zu] = %lld is negative", i, (long long)shape[i]);
    if (!roof_mul_u64(known, (uint64_t)shape[i], &known)) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape overflows");
  }
  if (infer_at >= 0) {
    if (known == 0 || total % known) return roof_node_fail(err, ROOF_E_DATA, g, n, "cannot infer the -1 dim");
    shape[infer_at] = (int64_t)(total / known);
  }
  return set_out(g, n, shape, (int)r, err);
}

static roof_status parse_flatten(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  return roof_attr_get_int(g, n, "axis", 1, &((view_params*)params)->axis, err);
}

static roof_status infer_flatten(roof_graph* g, roof_node* n, roof_error* err) {
  const view_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int64_t axis = p->axis < 0 ? p->axis + x->rank : p->axis;
  if (axis < 0 || axis > x->rank) return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %lld is out of range", (long long)p->axis);
  int64_t dims[2] = {1, 1};
  for (int d = 0; d < x->rank; d++) dims[d < axis ? 0 : 1] *= x->dims[d];
  return set_out(g, n, dims, 2, err);
}

/* Squeeze and Unsqueeze before opset 13: axes as an attribute (an input from 13 on). */
static roof_status parse_axes_attr(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  view_params* p = params;
  if (g->opset >= 13) return ROOF_OK;
  const int64_t* axes;
  size_t cnt;
  roof_status st = roof_attr_get_ints(g, n, "axes", &axes, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axes' has %zu values", cnt);
  if (cnt) memcpy(p->axes, axes, cnt * sizeof(int64_t));
  p->num_axes = cnt;
  return ROOF_OK;
}

static roof_status axes_input(roof_graph* g, roof_node* n, view_params* p, roof_error* err) {
  if (g->opset < 13 || roof_in(g, n, 1) == NULL) return ROOF_OK;
  return roof_const_ints(g, n, 1, p->axes, ROOF_MAX_RANK, &p->num_axes, err);
}

static roof_status infer_squeeze(roof_graph* g, roof_node* n, roof_error* err) {
  view_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = axes_input(g, n, p, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  bool drop[ROOF_MAX_RANK] = {false};
  for (size_t i = 0; i < p->num_axes; i++) {
    int a;
    st = roof_norm_axis(g, n, "axes", p->axes[i], x->rank, &a, err);
    if (st != ROOF_OK) return st;
    if (x->dims[a] != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "cannot squeeze axis %d of size %lld", a, (long long)x->dims[a]);
    drop[a] = true;
  }
  int64_t dims[ROOF_MAX_RANK];
  int r = 0;
  for (int d = 0; d < x->rank; d++) {
    if (!(p->num_axes ? drop[d] : x->dims[d] == 1)) dims[r++] = x->dims[d];
  }
  return set_out(g, n, dims, r, err);
}

static roof_status infer_unsqueeze(roof_graph* g, roof_node* n, roof_error* err) {
  view_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = axes_input(g, n, p, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int r = x->rank + (int)p->num_axes;
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", r, ROOF_MAX_RANK);
  bool ins[ROOF_MAX_RANK] = {false};
  for (size_t i = 0; i < p->num_axes; i++) {
    int a;
    st = roof_norm_axis(g, n, "axes", p->axes[i], r, &a, err);
    if (st != ROOF_OK) return st;
    if (ins[a]) return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %d is listed twice", a);
    ins[a] = true;
  }
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0, s = 0; d < r; d++) dims[d] = ins[d] ? 1 : x->dims[s++];
  return set_out(g, n, dims, r, err);
}

/* Identity also passes a sequence or optional through (the session's object is shared). */
static roof_status infer_identity(roof_graph* g, roof_node* n, roof_error* err) {
  const roof_value* x = roof_in(g, n, 0);
  roof_value* y = roof_out(g, n, 0);
  if (x == NULL || x->kind == ROOF_KIND_TENSOR || y == NULL) return roof_infer_same(g, n, err);
  roof_value_set_shape(y, x->dtype, x->rank, x->dims);
  y->kind = x->kind;
  y->flags = (y->flags & ~(uint32_t)ROOF_VAL_ELEM_SHAPE) | (x->flags & ROOF_VAL_ELEM_SHAPE);
  return ROOF_OK;
}

/* Views run nothing in a session (output 0 aliases input 0); their reference kernel is a copy,
 * used when they are evaluated at load time. */
#define VIEW_OP(SYM, SINCE, LAYOUT, PARSE, INFER, VALUES)                                                          \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,     \
      .flags = ROOF_OPF_ALIAS, .layout = LAYOUT, .params_size = sizeof(view_params), .parse = PARSE,         \
      .infer = INFER, .cost = cost_view, .value_inputs = VALUES,                                              \
  };                                                                                                          \
  ROOF_REF_KERNEL(SYM, NULL, ref_copy)

VIEW_OP(Reshape, 5, ROOF_LR_PLAIN, parse_reshape, infer_reshape, ROOF_IN(1));
VIEW_OP(Flatten, 1, ROOF_LR_PLAIN, parse_flatten, infer_flatten, 0);
VIEW_OP(Squeeze, 1, ROOF_LR_PLAIN, parse_axes_attr, infer_squeeze, ROOF_IN(1));
VIEW_OP(Unsqueeze, 1, ROOF_LR_PLAIN, parse_axes_attr, infer_unsqueeze, ROOF_IN(1));
VIEW_OP(Identity, 1, ROOF_LR_ANY, NULL, infer_identity, 0);
