/* Shared op helpers; see common.h. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int roof_float_only[] = {ROOF_DT_FLOAT, 0};
const int roof_float_types[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, 0};

roof_status roof_norm_axis(const roof_graph* g, const roof_node* n, const char* what, int64_t axis,
                           int rank, int* out, roof_error* err) {
  int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= (rank > 0 ? rank : 1)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%s %lld is out of range for rank %d", what,
                          (long long)axis, rank);
  }
  *out = (int)a;
  return ROOF_OK;
}

static roof_status const_input(const roof_graph* g, const roof_node* n, int i, size_t max,
                               const roof_value** out, uint64_t* count, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  char b[ROOF_NAME_BUF];
  if (v == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d is required", i);
  if (!roof_value_has_data(v)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "tensor '%s': input %d must be known at load time (data-dependent shapes are not supported)",
                          ROOF_SAFE(v->name, b), i);
  }
  if (!roof_value_count(v, count) || *count > max) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d has more than %zu elements",
                          ROOF_SAFE(v->name, b), i, max);
  }
  *out = v;
  return ROOF_OK;
}

roof_status roof_const_ints(const roof_graph* g, const roof_node* n, int i, int64_t* out, size_t max,
                            size_t* count, roof_error* err) {
  const roof_value* v;
  uint64_t cnt;
  roof_status st = const_input(g, n, i, max, &v, &cnt, err);
  if (st != ROOF_OK) return st;
  if (v->dtype != ROOF_DT_INT64 && v->dtype != ROOF_DT_INT32) {
    char b[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d must be int64 or int32, not %s",
                          ROOF_SAFE(v->name, b), i, roof_dtype_name(v->dtype));
  }
  for (uint64_t k = 0; k < cnt; k++) out[k] = roof_load_i64(v->dtype, v->data, (int64_t)k);
  *count = (size_t)cnt;
  return ROOF_OK;
}

roof_status roof_const_floats(const roof_graph* g, const roof_node* n, int i, float* out, size_t max,
                              size_t* count, roof_error* err) {
  const roof_value* v;
  uint64_t cnt;
  roof_status st = const_input(g, n, i, max, &v, &cnt, err);
  if (st != ROOF_OK) return st;
  for (uint64_t k = 0; k < cnt; k++) out[k] = (float)roof_load_f64(v->dtype, v->data, (int64_t)k);
  *count = (size_t)cnt;
  return ROOF_OK;
}

roof_status roof_require_input(const roof_graph* g, const roof_node* n, int i, const int* dtypes,
                               roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  char b[ROOF_NAME_BUF];
  if (v == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d is required", i);
  if (v->rank < 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': shape of input %d is unknown",
                          ROOF_SAFE(v->name, b), i);
  }
  if (v->kind != ROOF_KIND_TENSOR) { /* only the sequence ops (sequence.c) read sequences */
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d is a sequence or optional, this op takes a tensor",
                          ROOF_SAFE(v->name, b), i);
  }
  if (dtypes == NULL) return ROOF_OK;
  for (const int* d = dtypes; *d; d++) {
    if (*d == v->dtype) return ROOF_OK;
  }
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "tensor '%s': dtype %s of input %d is not supported",
                        ROOF_SAFE(v->name, b), roof_dtype_name(v->dtype), i);
}

roof_status roof_require_same_dtype(const roof_graph* g, const roof_node* n, int i, int like, roof_error* err) {
  roof_status st = roof_require_input(g, n, i, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *v = roof_in(g, n, i), *l = roof_in(g, n, like);
  if (l == NULL || v->dtype == l->dtype) return ROOF_OK;
  char b[ROOF_NAME_BUF], lb[ROOF_NAME_BUF];
  return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d is %s but input %d '%s' is %s (type mismatch: both are T)",
                        ROOF_SAFE(v->name, b), i, roof_dtype_name(v->dtype), like, ROOF_SAFE(l->name, lb),
                        roof_dtype_name(l->dtype));
}

bool roof_same_dense_layout(const roof_tensor* a, const roof_tensor* b) {
  if (!(roof_tensor_is_plain(a) || roof_tensor_is_nhwc(a))) return false;
  for (int i = 0; i < a->rank; i++) {
    if (a->dims[i] != 1 && a->strides[i] != b->strides[i]) return false;
  }
  return true;
}

bool roof_supports_same_dense(const roof_kernel* k, char* why, size_t why_size) {
  if (roof_same_dense_layout(&k->in[0], &k->out[0])) return true;
  snprintf(why, why_size, "input and output are not one dense layout");
  return false;
}

roof_status roof_infer_same(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  roof_value* y = roof_out(g, n, 0);
  if (y) roof_value_set_shape(y, x->dtype, x->rank, x->dims);
  return ROOF_OK;
}

static uint64_t value_bytes_sat(const roof_value* v) {
  uint64_t b;
  return (v && roof_value_bytes(v, &b)) ? b : 0;
}

uint64_t roof_cost_input_bytes(const roof_graph* g, const roof_node* n) {
  uint64_t s = 0;
  uint32_t skip = n->op ? n->op->dtype_only_inputs : 0; /* their data is never read */
  for (int i = 0; i < n->num_inputs; i++) s += i < 32 && (skip & ROOF_IN(i)) ? 0 : value_bytes_sat(roof_in(g, n, i));
  return s;
}

uint64_t roof_cost_output_bytes(const roof_graph* g, const roof_node* n) {
  uint64_t s = 0;
  for (int i = 0; i < n->num_outputs; i++) s += value_bytes_sat(roof_out(g, n, i));
  return s;
}

uint64_t roof_cost_const_params(const roof_graph* g, const roof_node* n) {
  uint64_t s = 0;
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    uint64_t c;
    if (v && (v->flags & ROOF_VAL_CONST) && roof_value_count(v, &c)) s += c;
  }
  return s;
}

void roof_cost_eltwise(const roof_graph* g, const roof_node* n, roof_cost* c) {
  uint64_t cnt = 0;
  const roof_value* y = roof_out(g, n, 0);
  if (y) roof_value_count(y, &cnt);
  c->flops = cnt;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "eltwise";
  c->has_model = true;
}
