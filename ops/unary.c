/* Unary elementwise ops, table-driven: every row of unary_list.inc becomes a schema, a reference
 * kernel for each dtype the row lists and, when the row names one, an XNNPACK float32 entry.
 * Nothing here is specific to an op; the rows carry the differences. */
#include <stdio.h>

#include "common.h"
#include "xnn_backend.h"

/* Dtype sets a row may name (its DTYPES). A set no row names yet is still defined, for the next
 * row: the attribute keeps the compiler quiet about it. */
#if defined(__GNUC__)
#define UNARY_SET static const int __attribute__((unused))
#else
#define UNARY_SET static const int
#endif
UNARY_SET kDtypes_FLOATS[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, 0};
UNARY_SET kDtypes_SIGNED[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_INT8, ROOF_DT_INT16, ROOF_DT_INT32, ROOF_DT_INT64, 0};
UNARY_SET kDtypes_NUMERIC[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_INT8,   ROOF_DT_INT16,  ROOF_DT_INT32,
                               ROOF_DT_INT64, ROOF_DT_UINT8,  ROOF_DT_UINT16, ROOF_DT_UINT32, ROOF_DT_UINT64, 0};

/* ---- schema ---- */

/* One input, one output, a dtype from the row's set; output as the input. Arity is checked here
 * since nothing else knows that these ops take exactly one of each. */
static roof_status infer_unary(roof_graph* g, roof_node* n, const int* dtypes, roof_error* err) {
  if (n->num_inputs != 1 || n->num_outputs != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "takes 1 input and 1 output, not %d and %d", n->num_inputs,
                          n->num_outputs);
  }
  roof_status st = roof_require_input(g, n, 0, dtypes, err);
  return st == ROOF_OK ? roof_infer_same(g, n, err) : st;
}

static int describe_unary(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_value* x = roof_in(g, n, 0);
  return snprintf(buf, size, "%s", x ? roof_dtype_name(x->dtype) : "?");
}

/* ---- reference: strided views, every dtype of the row ---- */

/* y[j * ys] = EXPR(x[j * xs]) for j < n, element type chosen by dtype (generated per row). */
typedef void (*unary_row_fn)(int dtype, const void* x, void* y, int64_t n, int64_t xs, int64_t ys);

/* The element types: dtype, C type T, its unsigned twin U (T itself for floats). */
#define UNARY_TYPES(X, EXPR)                                                                                \
  X(FLOAT, float, float, EXPR)                                                                              \
  X(DOUBLE, double, double, EXPR)                                                                           \
  X(INT8, int8_t, uint8_t, EXPR)                                                                            \
  X(INT16, int16_t, uint16_t, EXPR)                                                                         \
  X(INT32, int32_t, uint32_t, EXPR)                                                                         \
  X(INT64, int64_t, uint64_t, EXPR)                                                                         \
  X(UINT8, uint8_t, uint8_t, EXPR)                                                                          \
  X(UINT16, uint16_t, uint16_t, EXPR)                                                                       \
  X(UINT32, uint32_t, uint32_t, EXPR)                                                                       \
  X(UINT64, uint64_t, uint64_t, EXPR)

#define UNARY_CASE(DT, CT, UT, EXPR)                                                                        \
  case ROOF_DT_##DT: {                                                                                      \
    typedef CT T;                                                                                           \
    typedef UT U;                                                                                           \
    const T* xp = xv;                                                                                       \
    T* yp = yv;                                                                                             \
    for (int64_t j = 0; j < n; j++) {                                                                       \
      const T x = xp[j * xs];                                                                               \
      yp[j * ys] = (T)(EXPR);                                                                               \
    }                                                                                                       \
    break;                                                                                                  \
  }

/* Walks the output in rows of its last dim; a dense buffer both share is a single row. Input and
 * output may be one buffer (ROOF_OPF_INPLACE): each element is read before it is written. */
static roof_status ref_unary(roof_kernel* k, unary_row_fn row) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  uint64_t count = roof_tensor_count(x);
  if (count == 0) return ROOF_OK;
  if (roof_same_dense_layout(x, y)) {
    row(x->dtype, x->data, y->data, (int64_t)count, 1, 1);
    return ROOF_OK;
  }
  int64_t esize = (int64_t)roof_dtype_size(x->dtype);
  int r = x->rank, last = r > 0 ? r - 1 : 0; /* the index runs over the dims before the last */
  int64_t n = r > 0 ? x->dims[last] : 1, xs = r > 0 ? x->strides[last] : 0, ys = r > 0 ? y->strides[last] : 0;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    const char* xp = (const char*)x->data + roof_offset(x, i) * esize;
    char* yp = (char*)y->data + roof_offset(y, i) * esize;
    row(x->dtype, xp, yp, n, xs, ys);
  } while (roof_index_next(i, x->dims, last));
  return ROOF_OK;
}

/* ---- XNNPACK float32: a dense buffer that input and output share the layout of ---- */

static bool supports_dense(const roof_kernel* k, char* why, size_t n) {
  if (roof_same_dense_layout(&k->in[0], &k->out[0])) return true;
  snprintf(why, n, "input and output are not one dense layout");
  return false;
}

/* ---- the rows ---- */

#define UNARY_DEFINE(SYM, SINCE, DTYPES, EXPR)                                                              \
  static void row_##SYM(int dtype, const void* xv, void* yv, int64_t n, int64_t xs, int64_t ys) {           \
    switch (dtype) {                                                                                        \
      UNARY_TYPES(UNARY_CASE, EXPR)                                                                         \
      default: break;                                                                                       \
    }                                                                                                       \
  }                                                                                                         \
  static roof_status infer_##SYM(roof_graph* g, roof_node* n, roof_error* err) {                            \
    return infer_unary(g, n, kDtypes_##DTYPES, err);                                                        \
  }                                                                                                         \
  static roof_status ref_##SYM(roof_kernel* k, roof_error* err) { return ref_unary(k, row_##SYM); }         \
  const roof_op_schema roof_op_##SYM = {                                                                    \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,   \
      .flags = ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = 0, .parse = NULL,                   \
      .infer = infer_##SYM, .cost = roof_cost_eltwise, .describe = describe_unary,                         \
  };                                                                                                        \
  ROOF_REF_KERNEL(SYM, kDtypes_##DTYPES, ref_##SYM);

#define ROOF_UNARY(SYM, SINCE, DTYPES, EXPR) UNARY_DEFINE(SYM, SINCE, DTYPES, EXPR)

#define ROOF_UNARY_XNN(SYM, SINCE, DTYPES, XNN, EXPR)                                                       \
  UNARY_DEFINE(SYM, SINCE, DTYPES, EXPR)                                                                    \
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
  ROOF_XNN_KERNEL(SYM, supports_dense, create_##SYM, setup_##SYM, roof_xnn_destroy);

#include "unary_list.inc"
