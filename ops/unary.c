/* Unary elementwise ops, table-driven: every row of unary_list.inc becomes a schema, a reference
 * kernel for each dtype the row lists and, when the row names one, an XNNPACK float32 entry.
 * Nothing here is specific to an op; the rows carry the differences. */
#include <math.h>
#include <stdio.h>

#include "common.h"
#include "xnn_backend.h"

/* Dtype sets a row may name (its DTYPES), each a list of element types that expands both to the
 * set the schema accepts (kDtypes_SET) and to the kernel's cases: X(DT, T, U, ...) for a dtype
 * with a C type T (U its unsigned twin for integers, T itself otherwise), W(DT, ...) for one held as
 * 16 bits (float16, bfloat16) that the kernel widens to double, computes and narrows. Only the
 * types of its set are compiled into a row, so an EXPR need only make sense for those. */
#define UNARY_SET_FLOAT32(X, W, E, O) X(FLOAT, float, float, E, O)
#define UNARY_SET_FLOATS(X, W, E, O) \
  UNARY_SET_FLOAT32(X, W, E, O) X(DOUBLE, double, double, E, O) W(FLOAT16, E, O) W(BFLOAT16, E, O)
#define UNARY_SET_SIGNED(X, W, E, O)                                                                  \
  UNARY_SET_FLOATS(X, W, E, O) X(INT8, int8_t, uint8_t, E, O) X(INT16, int16_t, uint16_t, E, O)     \
  X(INT32, int32_t, uint32_t, E, O) X(INT64, int64_t, uint64_t, E, O)
#define UNARY_SET_NUMERIC(X, W, E, O)                                                                 \
  UNARY_SET_SIGNED(X, W, E, O) X(UINT8, uint8_t, uint8_t, E, O) X(UINT16, uint16_t, uint16_t, E, O) \
  X(UINT32, uint32_t, uint32_t, E, O) X(UINT64, uint64_t, uint64_t, E, O)
#define UNARY_SET_BOOL(X, W, E, O) X(BOOL, uint8_t, uint8_t, E, O)

/* A set no row names yet is still defined, for the next row: the attribute keeps the compiler
 * quiet about it. */
#if defined(__GNUC__)
#define UNARY_DTYPES static const int __attribute__((unused))
#else
#define UNARY_DTYPES static const int
#endif
#define UNARY_DT_X(DT, CT, UT, E, O) ROOF_DT_##DT,
#define UNARY_DT_W(DT, E, O) ROOF_DT_##DT,
UNARY_DTYPES kDtypes_FLOAT32[] = {UNARY_SET_FLOAT32(UNARY_DT_X, UNARY_DT_W, ~, ~) 0};
UNARY_DTYPES kDtypes_FLOATS[] = {UNARY_SET_FLOATS(UNARY_DT_X, UNARY_DT_W, ~, ~) 0};
UNARY_DTYPES kDtypes_SIGNED[] = {UNARY_SET_SIGNED(UNARY_DT_X, UNARY_DT_W, ~, ~) 0};
UNARY_DTYPES kDtypes_NUMERIC[] = {UNARY_SET_NUMERIC(UNARY_DT_X, UNARY_DT_W, ~, ~) 0};
UNARY_DTYPES kDtypes_BOOL[] = {UNARY_SET_BOOL(UNARY_DT_X, UNARY_DT_W, ~, ~) 0};

/* Output dtype of a row (its OUT): SAME as the input, or BOOL (one byte, 0 or 1). */
#define UNARY_OUT_SAME(T) T
#define UNARY_OUT_BOOL(T) uint8_t
#define UNARY_IS_BOOL_SAME false
#define UNARY_IS_BOOL_BOOL true
/* A bool output is narrower than its input: no sharing of the input's buffer. */
#define UNARY_FLAGS_SAME ROOF_OPF_INPLACE
#define UNARY_FLAGS_BOOL 0u

/* Attributes of a row (its A and B, read into unary_params.a and .b for EXPR), as parenthesized
 * triples so that they pass through the row macros as one argument each. */
#define NO_ATTR (UNARY_ATTR_NONE, NULL, 0.0)
#define ATTR_FLOAT(NAME, DEF) (UNARY_ATTR_FLOAT, #NAME, DEF)
#define ATTR_INT(NAME, DEF) (UNARY_ATTR_INT, #NAME, DEF)
#define UNARY_ATTR_INIT(KIND, NAME, DEF) {KIND, NAME, DEF}

enum { UNARY_ATTR_NONE = 0, UNARY_ATTR_FLOAT, UNARY_ATTR_INT };

typedef struct unary_attr {
  int kind;         /* UNARY_ATTR_* */
  const char* name; /* ONNX attribute name */
  double def;       /* its default */
} unary_attr;

/* A node's attribute values (defaults applied), in the row's order. */
typedef struct unary_params {
  double a, b;
} unary_params;

/* ---- schema ---- */

/* Reads the row's attributes (NO_ATTR slots keep 0). */
static roof_status parse_unary(const roof_graph* g, const roof_node* n, const unary_attr* attrs, unary_params* p,
                               roof_error* err) {
  double* out[2] = {&p->a, &p->b};
  for (int i = 0; i < 2; i++) {
    roof_status st = ROOF_OK;
    if (attrs[i].kind == UNARY_ATTR_FLOAT) {
      float v = 0.0f;
      st = roof_attr_get_float(g, n, attrs[i].name, (float)attrs[i].def, &v, err);
      *out[i] = v;
    } else if (attrs[i].kind == UNARY_ATTR_INT) {
      int64_t v = 0;
      st = roof_attr_get_int(g, n, attrs[i].name, (int64_t)attrs[i].def, &v, err);
      *out[i] = (double)v;
    }
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

/* One input, one output, a dtype from the row's set; output shaped as the input, of its dtype or
 * bool. Arity is checked here since nothing else knows that these ops take exactly one of each. */
static roof_status infer_unary(roof_graph* g, roof_node* n, const int* dtypes, bool to_bool, roof_error* err) {
  if (n->num_inputs != 1 || n->num_outputs != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "takes 1 input and 1 output, not %d and %d", n->num_inputs,
                          n->num_outputs);
  }
  roof_status st = roof_require_input(g, n, 0, dtypes, err);
  if (st == ROOF_OK) st = roof_infer_same(g, n, err);
  const roof_value* x = roof_in(g, n, 0);
  roof_value* y = roof_out(g, n, 0);
  if (st == ROOF_OK && to_bool && y) roof_value_set_shape(y, ROOF_DT_BOOL, x->rank, x->dims);
  return st;
}

/* "float32", or "float32 alpha 2 gamma 3" for a row with attributes. */
static int describe_unary(const roof_graph* g, const roof_node* n, const unary_attr* attrs, char* buf, size_t size) {
  const roof_value* x = roof_in(g, n, 0);
  const unary_params* p = n->params;
  int w = snprintf(buf, size, "%s", x ? roof_dtype_name(x->dtype) : "?");
  for (int i = 0; i < 2 && p; i++) {
    if (attrs[i].kind == UNARY_ATTR_NONE || w < 0 || (size_t)w >= size) continue;
    w += snprintf(buf + w, size - (size_t)w, " %s %g", attrs[i].name, i == 0 ? p->a : p->b);
  }
  return w;
}

/* ---- reference: strided views, every dtype of the row ---- */

/* y[j * ys] = EXPR(x[j * xs]) for j < n, element type chosen by dtype (generated per row). */
typedef void (*unary_row_fn)(int dtype, const void* x, void* y, int64_t n, int64_t xs, int64_t ys,
                             const unary_params* p);

/* A dtype with a C type: EXPR in T (libm calls promote floats to double, the cast rounds once). */
#define UNARY_CASE(DT, CT, UT, EXPR, OUT)                                                                   \
  case ROOF_DT_##DT: {                                                                                      \
    typedef CT T;                                                                                           \
    typedef UT U; /* EXPR may not need it */                                                                \
    typedef UNARY_OUT_##OUT(CT) Y;                                                                          \
    (void)sizeof(U);                                                                                        \
    const T* xp = xv;                                                                                       \
    Y* yp = yv;                                                                                             \
    for (int64_t j = 0; j < n; j++) {                                                                       \
      const T x = xp[j * xs];                                                                               \
      yp[j * ys] = (Y)(EXPR);                                                                               \
    }                                                                                                       \
    break;                                                                                                  \
  }

/* A 16-bit float: widened (exactly) to double, EXPR in double, narrowed by the store. */
#define UNARY_STORE_SAME(DT, Y, OFF, V) roof_store_f64(DT, Y, OFF, (double)(V))
#define UNARY_STORE_BOOL(DT, Y, OFF, V) (((uint8_t*)(Y))[OFF] = (uint8_t)(V))
#define UNARY_WIDE_CASE(DT, EXPR, OUT)                                                                      \
  case ROOF_DT_##DT: {                                                                                      \
    typedef double T;                                                                                       \
    typedef double U;                                                                                       \
    (void)sizeof(U);                                                                                        \
    for (int64_t j = 0; j < n; j++) {                                                                       \
      const T x = roof_load_f64(ROOF_DT_##DT, xv, j * xs);                                                  \
      UNARY_STORE_##OUT(ROOF_DT_##DT, yv, j * ys, EXPR);                                                    \
    }                                                                                                       \
    break;                                                                                                  \
  }

/* Walks the output in rows of its last dim; a dense buffer both share is a single row. Input and
 * output may be one buffer (ROOF_OPF_INPLACE): each element is read before it is written. */
static roof_status ref_unary(roof_kernel* k, unary_row_fn row) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  const unary_params* p = k->params;
  uint64_t count = roof_tensor_count(x);
  if (count == 0) return ROOF_OK;
  if (roof_same_dense_layout(x, y)) {
    row(x->dtype, x->data, y->data, (int64_t)count, 1, 1, p);
    return ROOF_OK;
  }
  int64_t xsize = (int64_t)roof_dtype_size(x->dtype), ysize = (int64_t)roof_dtype_size(y->dtype);
  int r = x->rank, last = r > 0 ? r - 1 : 0; /* the index runs over the dims before the last */
  int64_t n = r > 0 ? x->dims[last] : 1, xs = r > 0 ? x->strides[last] : 0, ys = r > 0 ? y->strides[last] : 0;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    const char* xp = (const char*)x->data + roof_offset(x, i) * xsize;
    char* yp = (char*)y->data + roof_offset(y, i) * ysize;
    row(x->dtype, xp, yp, n, xs, ys, p);
  } while (roof_index_next(i, x->dims, last));
  return ROOF_OK;
}

/* ---- native: the row function over tiles of a dense buffer, in parallel (every row, every
 * dtype it takes; what XNNPACK lacks, and the dtypes XNNPACK's float32 entries refuse) ---- */

typedef struct unary_task {
  unary_row_fn row;
  int dtype;
  const char* x;
  char* y;
  int64_t xsize, ysize; /* bytes per element */
  const unary_params* p;
} unary_task;

static void unary_tile(void* ctx, size_t start, size_t len) {
  const unary_task* t = ctx;
  t->row(t->dtype, t->x + (int64_t)start * t->xsize, t->y + (int64_t)start * t->ysize, (int64_t)len, 1, 1, t->p);
}

/* Tiles of 4096 elements: a few microseconds of the slowest rows (libm), so threads share
 * them without the per-tile cost showing. */
static roof_status native_unary(roof_kernel* k, unary_row_fn row) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  unary_task t = {row, x->dtype, x->data, y->data, (int64_t)roof_dtype_size(x->dtype), (int64_t)roof_dtype_size(y->dtype),
                  k->params};
  size_t count = (size_t)roof_tensor_count(x);
  pthreadpool_parallelize_1d_tile_1d(k->pool, unary_tile, &t, count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

/* ---- the rows ---- */

/* EXPR sees x, T, U and the attribute values a and b (doubles). */
#define UNARY_DEFINE(SYM, SINCE, DTYPES, OUT, A, B, EXPR)                                                   \
  static const unary_attr kAttrs_##SYM[2] = {UNARY_ATTR_INIT A, UNARY_ATTR_INIT B};                        \
  static void row_##SYM(int dtype, const void* xv, void* yv, int64_t n, int64_t xs, int64_t ys,             \
                        const unary_params* p) {                                                            \
    const double a = p->a, b = p->b;                                                                        \
    (void)a;                                                                                                \
    (void)b;                                                                                                \
    switch (dtype) {                                                                                        \
      UNARY_SET_##DTYPES(UNARY_CASE, UNARY_WIDE_CASE, EXPR, OUT)                                            \
      default: break;                                                                                       \
    }                                                                                                       \
  }                                                                                                         \
  static roof_status parse_##SYM(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {  \
    return parse_unary(g, n, kAttrs_##SYM, params, err);                                                    \
  }                                                                                                         \
  static roof_status infer_##SYM(roof_graph* g, roof_node* n, roof_error* err) {                            \
    return infer_unary(g, n, kDtypes_##DTYPES, UNARY_IS_BOOL_##OUT, err);                                   \
  }                                                                                                         \
  static int describe_##SYM(const roof_graph* g, const roof_node* n, char* buf, size_t size) {              \
    return describe_unary(g, n, kAttrs_##SYM, buf, size);                                                   \
  }                                                                                                         \
  static roof_status ref_##SYM(roof_kernel* k, roof_error* err) { return ref_unary(k, row_##SYM); }         \
  static roof_status native_##SYM(roof_kernel* k, roof_error* err) { return native_unary(k, row_##SYM); }   \
  const roof_op_schema roof_op_##SYM = {                                                                    \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,   \
      .flags = UNARY_FLAGS_##OUT, .layout = ROOF_LR_ANY, .params_size = sizeof(unary_params),              \
      .parse = parse_##SYM, .infer = infer_##SYM, .cost = roof_cost_eltwise, .describe = describe_##SYM,   \
  };                                                                                                        \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                    \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = kDtypes_##DTYPES,                    \
      .supports = roof_supports_same_dense, .run = native_##SYM};                                           \
  ROOF_REF_KERNEL(SYM, kDtypes_##DTYPES, ref_##SYM);

#define ROOF_UNARY(SYM, SINCE, DTYPES, EXPR) UNARY_DEFINE(SYM, SINCE, DTYPES, SAME, NO_ATTR, NO_ATTR, EXPR)
#define ROOF_UNARY_ATTR(SYM, SINCE, DTYPES, OUT, A, B, EXPR) UNARY_DEFINE(SYM, SINCE, DTYPES, OUT, A, B, EXPR)

#define ROOF_UNARY_XNN(SYM, SINCE, DTYPES, XNN, EXPR)                                                       \
  UNARY_DEFINE(SYM, SINCE, DTYPES, SAME, NO_ATTR, NO_ATTR, EXPR)                                            \
  static roof_status create_##SYM(roof_kernel* k, roof_error* err) {                                        \
    xnn_operator_t op = NULL;                                                                               \
    enum xnn_status xs = xnn_create_##XNN##_nc_f32(1, 1, 1, 0, &op);                                        \
    return roof_xnn_created(xs, op, k, "create " #XNN, err);                                                \
  }                                                                                                         \
  static roof_status setup_##SYM(roof_kernel* k, roof_error* err) {                                         \
    size_t count = (size_t)roof_tensor_count(&k->in[0]);                                                    \
    enum xnn_status xs = xnn_setup_##XNN##_nc_f32(roof_xop(k), count, k->in[0].data, k->out[0].data, k->pool); \
    return roof_xnn_check(xs, k, "setup " #XNN, err);                                                       \
  }                                                                                                         \
  ROOF_XNN_KERNEL(SYM, roof_supports_same_dense, create_##SYM, setup_##SYM, roof_xnn_destroy);

/* An EXPR is written once for signed and unsigned types: `x < 0` is meant to be false for the
 * unsigned ones. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wtype-limits"
#endif
#include "unary_list.inc"
