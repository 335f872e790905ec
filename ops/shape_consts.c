/* Shape, Constant, ConstantOfShape and Cast: the ops of shape arithmetic. They usually run at
 * load time (all inputs known); Shape reads only its input's dims, never its data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "copy_nd.h"

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

/* Cast's dtypes: every numeric one, bool and string. */
static bool castable(int dtype) { return roof_dtype_has_scalar_io(dtype) || dtype == ROOF_DT_STRING; }

static roof_status parse_cast(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  shape_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "to", 0, &p->to, err);
  if (st != ROOF_OK) return st;
  if (!castable((int)p->to)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "cast to %s is not supported", roof_dtype_name((int)p->to));
  }
  return ROOF_OK;
}

static roof_status infer_cast(roof_graph* g, roof_node* n, roof_error* err) {
  const shape_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (!castable(x->dtype)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "cast from %s is not supported", roof_dtype_name(x->dtype));
  }
  roof_value_set_shape(roof_out(g, n, 0), (int)p->to, x->rank, x->dims);
  return ROOF_OK;
}

/* Casts from or to string go element by element through text (runtime/strings.c); a string that
 * is no number stops the run with the node, tensor and element named. */
static roof_status ref_cast_string(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t i[ROOF_MAX_RANK] = {0};
  uint64_t flat = 0;
  do {
    int64_t xo = roof_offset(x, i), yo = roof_offset(y, i);
    if (y->dtype == ROOF_DT_STRING) {
      roof_string_format(x->dtype, x->data, xo, (char*)y->data + yo * ROOF_STRING_BYTES);
      continue;
    }
    const char* s = (const char*)x->data + xo * ROOF_STRING_BYTES;
    if (!roof_string_parse(s, y->dtype, y->data, yo)) {
      char nb[ROOF_NAME_BUF], sb[ROOF_NAME_BUF], text[ROOF_STRING_BYTES];
      const roof_value* v = roof_in(k->g, k->node, 0);
      memcpy(text, s, sizeof(text));
      text[sizeof(text) - 1] = '\0';
      return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "tensor '%s': element %llu ('%s') is not a %s number",
                            ROOF_SAFE(v ? v->name : "", nb), (unsigned long long)flat, ROOF_SAFE(text, sb),
                            roof_dtype_name(y->dtype));
    }
  } while (flat++, roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

static roof_status ref_cast(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  if (x->dtype == ROOF_DT_STRING || y->dtype == ROOF_DT_STRING) return ref_cast_string(k, err);
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

/* CastLike (opsets 15, 19): Cast to the dtype of input 1, whose shape and data are never read
 * (a dtype-only input: a graph input bound there may have any shape). */
static roof_status infer_castlike(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 1, NULL, err);
  if (st != ROOF_OK) return st;
  shape_params* p = n->params;
  p->to = roof_in(g, n, 1)->dtype;
  if (!castable((int)p->to)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "cast to %s is not supported", roof_dtype_name((int)p->to));
  }
  return infer_cast(g, n, err);
}

#define SHAPE_OP(SYM, SINCE, LAYOUT, PARSE, INFER, COST, REF, VALUES, FLAGS, DTYPE_ONLY)                          \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,     \
      .layout = LAYOUT, .params_size = sizeof(shape_params), .parse = PARSE, .infer = INFER, .cost = COST,   \
      .value_inputs = VALUES, .flags = FLAGS, .dtype_only_inputs = DTYPE_ONLY,                               \
  };                                                                                                          \
  ROOF_REF_KERNEL(SYM, NULL, REF)

SHAPE_OP(Shape, 1, ROOF_LR_META, parse_shape, infer_shape, cost_small, ref_shape, 0, ROOF_OPF_STRINGS, 0);
SHAPE_OP(Constant, 1, ROOF_LR_ANY, NULL, infer_constant, cost_small, ref_constant, 0, ROOF_OPF_STRINGS, 0);
SHAPE_OP(ConstantOfShape, 9, ROOF_LR_ANY, NULL, infer_cos, cost_fill, ref_cos, ROOF_IN(0), 0, 0);
SHAPE_OP(Cast, 6, ROOF_LR_ANY, parse_cast, infer_cast, roof_cost_eltwise, ref_cast, 0, ROOF_OPF_STRINGS, 0);
SHAPE_OP(CastLike, 15, ROOF_LR_ANY, NULL, infer_castlike, roof_cost_eltwise, ref_cast, 0, ROOF_OPF_STRINGS, ROOF_IN(1));

/* ---- native Cast: one loop per (from, to) pair over dense data, tiles in parallel. Each pair
 * converts exactly as ref_cast does (through double when either side is floating, saturating
 * float to integer through int64 then wrapping; through int64 between integers and bool), so
 * results match bit for bit; float16 and bfloat16 use the round-to-nearest-even helpers of
 * tensor.h. Same dtype is a copy. ---- */

static inline int64_t cast_sat(double v) { /* roof_load_i64 of a double: NaN -> INT64_MIN */
  return !(v > -9.2e18 && v < 9.2e18) ? (v > 0 ? INT64_MAX : INT64_MIN) : (int64_t)v;
}

/* Per element kind K: K_TO_F (to double), K_TO_I (to int64), K_OF_F(T, double), K_OF_I(T, int64),
 * K_FLOAT (true for the floating kinds). Kinds: F32, F64, F16, BF16, INT (every integer, uint64
 * included: its int64 view is what ref_cast computes with), BOOL. */
#define F32_TO_F(v) ((double)(v))
#define F64_TO_F(v) (v)
#define F16_TO_F(v) ((double)roof_f16_to_f32(v))
#define BF16_TO_F(v) ((double)roof_bf16_to_f32(v))
#define INT_TO_F(v) ((double)(v))
#define BOOL_TO_F(v) ((double)(v))
#define F32_TO_I(v) cast_sat(v)
#define F64_TO_I(v) cast_sat(v)
#define F16_TO_I(v) cast_sat(F16_TO_F(v))
#define BF16_TO_I(v) cast_sat(BF16_TO_F(v))
#define INT_TO_I(v) ((int64_t)(v))
#define BOOL_TO_I(v) ((int64_t)(v))
#define F32_OF_F(T, d) ((float)(d))
#define F64_OF_F(T, d) (d)
#define F16_OF_F(T, d) roof_f32_to_f16((float)(d))
#define BF16_OF_F(T, d) roof_f32_to_bf16((float)(d))
#define INT_OF_F(T, d) ((T)cast_sat(d))
#define BOOL_OF_F(T, d) ((T)((d) != 0.0))
#define F32_OF_I(T, i) ((float)(i))
#define F64_OF_I(T, i) ((double)(i))
#define F16_OF_I(T, i) roof_f32_to_f16((float)(i))
#define BF16_OF_I(T, i) roof_f32_to_bf16((float)(i))
#define INT_OF_I(T, i) ((T)(i))
#define BOOL_OF_I(T, i) ((T)((i) != 0))
#define F32_FLOAT 1
#define F64_FLOAT 1
#define F16_FLOAT 1
#define BF16_FLOAT 1
#define INT_FLOAT 0
#define BOOL_FLOAT 0

/* The dtypes twice (a macro cannot expand inside itself): X(DTYPE, C type, kind). */
#define CAST_FROM(X)                                                                                   \
  X(FLOAT, float, F32) X(DOUBLE, double, F64) X(FLOAT16, uint16_t, F16) X(BFLOAT16, uint16_t, BF16)     \
  X(INT8, int8_t, INT) X(INT16, int16_t, INT) X(INT32, int32_t, INT) X(INT64, int64_t, INT)             \
  X(UINT8, uint8_t, INT) X(UINT16, uint16_t, INT) X(UINT32, uint32_t, INT) X(UINT64, uint64_t, INT)     \
  X(BOOL, uint8_t, BOOL)
#define CAST_TO(X, SN, ST, SK)                                                                                       \
  X(SN, ST, SK, FLOAT, float, F32) X(SN, ST, SK, DOUBLE, double, F64) X(SN, ST, SK, FLOAT16, uint16_t, F16)           \
  X(SN, ST, SK, BFLOAT16, uint16_t, BF16) X(SN, ST, SK, INT8, int8_t, INT) X(SN, ST, SK, INT16, int16_t, INT)         \
  X(SN, ST, SK, INT32, int32_t, INT) X(SN, ST, SK, INT64, int64_t, INT) X(SN, ST, SK, UINT8, uint8_t, INT)            \
  X(SN, ST, SK, UINT16, uint16_t, INT) X(SN, ST, SK, UINT32, uint32_t, INT) X(SN, ST, SK, UINT64, uint64_t, INT)      \
  X(SN, ST, SK, BOOL, uint8_t, BOOL)

#define CAST_ELEM(SK, DK, DT, v) ((SK##_FLOAT || DK##_FLOAT) ? DK##_OF_F(DT, SK##_TO_F(v)) : DK##_OF_I(DT, SK##_TO_I(v)))

#define CAST_PAIR_FN(SN, ST, SK, DN, DT, DK)                                                \
  static void cast_##SN##_##DN(const void* restrict x, void* restrict y, size_t n) {        \
    const ST* s = x;                                                                      \
    DT* d = y;                                                                            \
    for (size_t i = 0; i < n; i++) d[i] = (DT)CAST_ELEM(SK, DK, DT, s[i]);                \
  }
#define CAST_ROW_FN(SN, ST, SK) CAST_TO(CAST_PAIR_FN, SN, ST, SK)
CAST_FROM(CAST_ROW_FN)

typedef void (*cast_fn)(const void* x, void* y, size_t n);
#define CAST_PAIR_PTR(SN, ST, SK, DN, DT, DK) [ROOF_DT_##SN][ROOF_DT_##DN] = cast_##SN##_##DN,
#define CAST_ROW_PTR(SN, ST, SK) CAST_TO(CAST_PAIR_PTR, SN, ST, SK)
static const cast_fn kCastFns[ROOF_DT_BFLOAT16 + 1][ROOF_DT_BFLOAT16 + 1] = {CAST_FROM(CAST_ROW_PTR)};

typedef struct cast_task {
  cast_fn fn; /* NULL: same dtype, a copy */
  const char* x;
  char* y;
  size_t xs, ys; /* element sizes */
} cast_task;

static void cast_tile(void* ctx, size_t start, size_t count) {
  const cast_task* t = ctx;
  if (t->fn) t->fn(t->x + start * t->xs, t->y + start * t->ys, count);
  else memcpy(t->y + start * t->ys, t->x + start * t->xs, count * t->xs);
}

static bool supports_cast_native(const roof_kernel* k, char* why, size_t n) {
  int from = k->in[0].dtype, to = k->out[0].dtype;
  bool known = from >= 0 && to >= 0 && from <= ROOF_DT_BFLOAT16 && to <= ROOF_DT_BFLOAT16;
  if (!known || (from != to && kCastFns[from][to] == NULL)) {
    snprintf(why, n, "no loop from %s to %s", roof_dtype_name(from), roof_dtype_name(to));
    return false;
  }
  return roof_supports_same_dense(k, why, n);
}

static roof_status run_cast_native(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  cast_task t = {x->dtype == y->dtype ? NULL : kCastFns[x->dtype][y->dtype], x->data, y->data, roof_dtype_size(x->dtype),
                 roof_dtype_size(y->dtype)};
  size_t count = (size_t)roof_tensor_count(x), tile = 8192;
  pthreadpool_parallelize_1d_tile_1d(roof_copy_pool(k->pool, count * (t.xs + t.ys)), cast_tile, &t, count, tile, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Cast_native = {
    .op = ROOF_OP_Cast, .backend = ROOF_BACKEND_NATIVE, .supports = supports_cast_native, .run = run_cast_native};
