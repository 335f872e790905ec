/* Shape, Constant, ConstantOfShape and Cast: the ops of shape arithmetic. They usually run at
 * load time (all inputs known); Shape reads only its input's dims, never its data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct shape_params {
  int64_t start, end; /* Shape (opset 15) */
  int64_t to;         /* Cast */
} shape_params;

static roof_status parse_shape(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  shape_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "start", 0, &p->start, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "end", INT64_MAX, &p->end, err);
  return st;
}

static void shape_range(const shape_params* p, int rank, int64_t* s, int64_t* e) {
  *s = p->start < 0 ? p->start + rank : p->start;
  *e = p->end < 0 ? p->end + rank : p->end;
  if (*s < 0) *s = 0;
  if (*s > rank) *s = rank;
  if (*e > rank) *e = rank;
  if (*e < *s) *e = *s;
}

static roof_status infer_shape(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  int64_t s, e;
  shape_range(n->params, roof_in(g, n, 0)->rank, &s, &e);
  int64_t dims[1] = {e - s};
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_INT64, 1, dims);
  return ROOF_OK;
}

static roof_status ref_shape(roof_kernel* k, roof_error* err) {
  int64_t s, e;
  shape_range(k->params, k->in[0].rank, &s, &e);
  for (int64_t i = s; i < e; i++) ((int64_t*)k->out[0].data)[i - s] = k->in[0].dims[i];
  return ROOF_OK;
}

static void cost_small(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "meta";
  c->has_model = true;
}

/* Constant: one of value (tensor), value_float(s), value_int(s). */
static roof_status infer_constant(roof_graph* g, roof_node* n, roof_error* err) {
  roof_value* y = roof_out(g, n, 0);
  for (int i = 0; i < n->num_attrs; i++) {
    const roof_attr* a = &n->attrs[i];
    int64_t count = (int64_t)a->n;
    if (strcmp(a->name, "value") == 0 && a->t) {
      roof_value_set_shape(y, a->t->dtype, a->t->rank, a->t->dims);
      return ROOF_OK;
    } else if (strcmp(a->name, "value_float") == 0 || strcmp(a->name, "value_int") == 0) {
      roof_value_set_shape(y, a->name[6] == 'f' ? ROOF_DT_FLOAT : ROOF_DT_INT64, 0, NULL);
      return ROOF_OK;
    } else if (strcmp(a->name, "value_floats") == 0 || strcmp(a->name, "value_ints") == 0) {
      roof_value_set_shape(y, a->name[6] == 'f' ? ROOF_DT_FLOAT : ROOF_DT_INT64, 1, &count);
      return ROOF_OK;
    }
  }
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "needs a value, value_float(s) or value_int(s) attribute (sparse and string constants are not supported)");
}

static roof_status ref_constant(roof_kernel* k, roof_error* err) {
  const roof_node* n = k->node;
  void* y = k->out[0].data;
  for (int i = 0; i < n->num_attrs; i++) {
    const roof_attr* a = &n->attrs[i];
    if (strcmp(a->name, "value") == 0 && a->t) {
      if (a->t->nbytes) memcpy(y, a->t->data, a->t->nbytes);
      return ROOF_OK;
    }
    if (strcmp(a->name, "value_float") == 0) { *(float*)y = a->f; return ROOF_OK; }
    if (strcmp(a->name, "value_int") == 0) { *(int64_t*)y = a->i; return ROOF_OK; }
    if (strcmp(a->name, "value_floats") == 0) { if (a->n) memcpy(y, a->floats, a->n * sizeof(float)); return ROOF_OK; }
    if (strcmp(a->name, "value_ints") == 0) { if (a->n) memcpy(y, a->ints, a->n * sizeof(int64_t)); return ROOF_OK; }
  }
  return roof_node_fail(err, ROOF_E_INTERNAL, k->g, n, "constant without value");
}

static roof_status infer_cos(roof_graph* g, roof_node* n, roof_error* err) {
  int64_t dims[ROOF_MAX_RANK + 1];
  size_t r;
  const roof_value* s = roof_in(g, n, 0);
  if (s && s->rank != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape input must be 1-D");
  roof_status st = roof_const_ints(g, n, 0, dims, ROOF_MAX_RANK, &r, err);
  if (st != ROOF_OK) return st;
  uint64_t count;
  for (size_t i = 0; i < r; i++) {
    if (dims[i] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape[%zu] = %lld is negative", i, (long long)dims[i]);
  }
  const roof_attr* v = roof_node_attr(n, "value");
  int dtype = v && v->t ? v->t->dtype : ROOF_DT_FLOAT;
  if (v && (!v->t || v->t->rank > 1 || !roof_value_count(v->t, &count) || count != 1)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'value' must be a one-element tensor");
  }
  uint64_t bytes;
  if (!roof_dims_count(dims, (int)r, &count) || !roof_mul_u64(count, roof_dtype_size(dtype), &bytes) ||
      bytes > ((uint64_t)1 << 32)) {
    char ss[96];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "output %s exceeds 4 GiB", roof_shape_str(dims, (int)r, ss, sizeof(ss)));
  }
  roof_value_set_shape(roof_out(g, n, 0), dtype, (int)r, dims);
  return ROOF_OK;
}

static roof_status ref_cos(roof_kernel* k, roof_error* err) {
  const roof_attr* v = roof_node_attr(k->node, "value");
  roof_tensor* y = &k->out[0];
  size_t es = roof_dtype_size(y->dtype);
  uint64_t n = roof_tensor_count(y);
  char zero[16] = {0};
  const void* src = v && v->t ? v->t->data : zero;
  for (uint64_t i = 0; i < n; i++) memcpy((char*)y->data + i * es, src, es);
  return ROOF_OK;
}

static void cost_fill(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "fill";
  c->has_model = true;
}

static roof_status parse_cast(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  shape_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "to", 0, &p->to, err);
  if (st != ROOF_OK) return st;
  if (!roof_dtype_has_scalar_io((int)p->to)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "cast to %s is not supported", roof_dtype_name((int)p->to));
  }
  return ROOF_OK;
}

static roof_status infer_cast(roof_graph* g, roof_node* n, roof_error* err) {
  const shape_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (!roof_dtype_has_scalar_io(x->dtype)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "cast from %s is not supported", roof_dtype_name(x->dtype));
  }
  roof_value_set_shape(roof_out(g, n, 0), (int)p->to, x->rank, x->dims);
  return ROOF_OK;
}

static roof_status ref_cast(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    int64_t xo = roof_offset(x, i), yo = roof_offset(y, i);
    if (roof_dtype_is_float(x->dtype) || roof_dtype_is_float(y->dtype)) {
      roof_store_f64(y->dtype, y->data, yo, roof_load_f64(x->dtype, x->data, xo)); /* float -> int truncates */
    } else {
      roof_store_i64(y->dtype, y->data, yo, roof_load_i64(x->dtype, x->data, xo));
    }
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

#define SHAPE_OP(SYM, SINCE, LAYOUT, PARSE, INFER, COST, REF, VALUES)                                             \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,     \
      .layout = LAYOUT, .params_size = sizeof(shape_params), .parse = PARSE, .infer = INFER, .cost = COST,   \
      .value_inputs = VALUES,                                                                                 \
  };                                                                                                          \
  ROOF_REF_KERNEL(SYM, NULL, REF)

SHAPE_OP(Shape, 1, ROOF_LR_META, parse_shape, infer_shape, cost_small, ref_shape, 0);
SHAPE_OP(Constant, 1, ROOF_LR_ANY, NULL, infer_constant, cost_small, ref_constant, 0);
SHAPE_OP(ConstantOfShape, 9, ROOF_LR_ANY, NULL, infer_cos, cost_fill, ref_cos, ROOF_IN(0));
SHAPE_OP(Cast, 6, ROOF_LR_ANY, parse_cast, infer_cast, roof_cost_eltwise, ref_cast, 0);
