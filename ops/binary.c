/* Binary and n-ary elementwise ops, table-driven: every row of binary_list.inc becomes a schema,
 * a reference kernel over broadcast strided views for every dtype its rule accepts and, when the
 * row names one, an XNNPACK float32 entry. A new family rather than more of arith.c: arith's four
 * ops carry a fused clamp and are what the fusion passes rewrite, these carry neither, and their
 * differences (arity, dtype rule, output dtype, element expression) fit in one row each.
 *
 * Reference semantics (the oracle of the XNNPACK entries):
 *   floats    computed in double, rounded once to the output dtype; Max and Min propagate NaN
 *             (as numpy and ONNX Runtime do); comparisons with NaN are false
 *   integers  exact, in int64 / uint64 then narrowed (wraps as the narrow type would); no UB:
 *             Mod by zero gives 0 (numpy's value), INT_MIN % -1 gives 0, Pow wraps, and integer
 *             Pow by a negative exponent gives trunc(1 / base^-e): 1 for base 1, +-1 for base -1,
 *             else 0 (what ONNX Runtime's std::pow then cast gives for |base| > 1; numpy refuses;
 *             base 0, where ONNX Runtime converts infinity, also gives 0 here)
 *   Pow       int base with float exponent: pow in double, converted as Cast does (saturating)
 * XNNPACK entries: 2-input Max / Min (maximum / minimum_nd_f32 through arith_nd.h) and PRelu
 * (prelu_nc_f32 when the slope is a constant that varies along the innermost physical dim only).
 * XNNPACK's maximum / minimum do not propagate NaN (the hardware max returns the other operand);
 * a NaN input may therefore differ from the reference on that path. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arith_nd.h"
#include "common.h"
#include "xnn_backend.h"

#define BIN_VARIADIC INT_MAX

typedef enum binary_rule { R_NUMERIC, R_FLOATS, R_MEAN, R_POW, R_MOD, R_PRELU, R_EQUAL, R_COMPARE, R_LOGIC, R_WHERE } binary_rule;

typedef struct binary_params {
  int fmod; /* Mod: 1 = C fmod (sign of the dividend), 0 = sign of the divisor */
} binary_params;

typedef double (*bin_f64_fn)(double a, double b, const binary_params* p);
typedef int64_t (*bin_i64_fn)(int64_t a, int64_t b, const binary_params* p);
typedef uint64_t (*bin_u64_fn)(uint64_t a, uint64_t b, const binary_params* p);

typedef struct binary_row {
  binary_rule rule;
  int min_in, max_in;
  bin_f64_fn f;
  bin_i64_fn i;
  bin_u64_fn u;
} binary_row;

/* ---- element helpers the rows name ---- */

static double bin_fmax(double a, double b) { return isnan(a) ? a : isnan(b) ? b : a > b ? a : b; }
static double bin_fmin(double a, double b) { return isnan(a) ? a : isnan(b) ? b : a < b ? a : b; }

/* Square and multiply in uint64 (wraps, never overflows); negative exponents as the header says. */
static int64_t bin_ipow(int64_t a, int64_t e) {
  if (e < 0) return a == 1 ? 1 : a == -1 ? ((e & 1) ? -1 : 1) : 0;
  uint64_t r = 1, base = (uint64_t)a, n = (uint64_t)e;
  while (n) {
    if (n & 1) r *= base;
    base *= base;
    n >>= 1;
  }
  return (int64_t)r;
}

/* Unsigned exponents (uint64 ones may exceed INT64_MAX): the base's bits, wrapping, which is the
 * signed result modulo 2^64 as well. */
static uint64_t bin_upow(uint64_t a, uint64_t e) {
  uint64_t r = 1;
  while (e) {
    if (e & 1) r *= a;
    a *= a;
    e >>= 1;
  }
  return r;
}

/* Divisor 0 gives 0 and -1 gives 0 (INT64_MIN % -1 traps on x86); fmod 0 moves a nonzero
 * remainder to the divisor's sign, as Python's % does. */
static int64_t bin_imod(int64_t a, int64_t b, int fmod_mode) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  if (!fmod_mode && r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

/* ---- dtype sets ---- */

static const int kNumeric[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8, ROOF_DT_INT16, ROOF_DT_INT32,
                               ROOF_DT_INT64, ROOF_DT_UINT8, ROOF_DT_UINT16, ROOF_DT_UINT32, ROOF_DT_UINT64, 0};
static const int kNumericBool[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8, ROOF_DT_INT16, ROOF_DT_INT32,
                                   ROOF_DT_INT64, ROOF_DT_UINT8, ROOF_DT_UINT16, ROOF_DT_UINT32, ROOF_DT_UINT64, ROOF_DT_BOOL, 0};
static const int kFloats[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, 0};
static const int kPowBase[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT32, ROOF_DT_INT64, 0};
static const int kBool[] = {ROOF_DT_BOOL, 0};

/* Dtypes input i may have under the rule (NULL: any; Where's condition is checked apart, since a
 * non-bool condition breaks the spec's type constraint rather than rooftop's coverage). */
static const int* input_dtypes(binary_rule rule, int i) {
  switch (rule) {
    case R_FLOATS: case R_MEAN: return kFloats;
    case R_POW: return i == 0 ? kPowBase : kNumeric;
    case R_EQUAL: return kNumericBool;
    case R_LOGIC: return kBool;
    case R_WHERE: return i == 0 ? NULL : kNumericBool;
    default: return kNumeric;
  }
}

static bool unsigned_dtype(int dt) {
  return dt == ROOF_DT_UINT8 || dt == ROOF_DT_UINT16 || dt == ROOF_DT_UINT32 || dt == ROOF_DT_UINT64 || dt == ROOF_DT_BOOL;
}

/* ---- schema ---- */

static roof_status parse_binary(const roof_graph* g, const roof_node* n, void* params, const binary_row* row, roof_error* err) {
  binary_params* p = params;
  if (row->rule != R_MOD) return ROOF_OK;
  int64_t v = 0;
  roof_status st = roof_attr_get_int(g, n, "fmod", 0, &v, err);
  if (st != ROOF_OK) return st;
  if (v != 0 && v != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'fmod' is %lld, not 0 or 1", (long long)v);
  p->fmod = (int)v;
  return ROOF_OK;
}

static roof_status check_arity(roof_graph* g, roof_node* n, const binary_row* row, roof_error* err) {
  if (n->num_inputs >= row->min_in && n->num_inputs <= row->max_in && n->num_outputs == 1) return ROOF_OK;
  char want[32];
  if (row->max_in == BIN_VARIADIC) snprintf(want, sizeof(want), "%d or more inputs", row->min_in);
  else snprintf(want, sizeof(want), "%d inputs", row->min_in);
  return roof_node_fail(err, ROOF_E_DATA, g, n, "takes %s and 1 output, not %d and %d", want, n->num_inputs, n->num_outputs);
}

/* Operand dtypes: each in its rule's set; those the rule ties together equal (ROOF_E_DATA). */
static roof_status check_dtypes(roof_graph* g, roof_node* n, const binary_row* row, roof_error* err) {
  for (int i = 0; i < n->num_inputs; i++) {
    roof_status st = roof_require_input(g, n, i, input_dtypes(row->rule, i), err);
    if (st != ROOF_OK) return st;
  }
  int first = 0;
  if (row->rule == R_WHERE) {
    int c = roof_in(g, n, 0)->dtype;
    if (c != ROOF_DT_BOOL) return roof_node_fail(err, ROOF_E_DATA, g, n, "condition (input 0) is %s, the spec requires bool", roof_dtype_name(c));
    first = 1;
  }
  if (row->rule == R_POW) return ROOF_OK; /* base and exponent have independent types */
  int dt = roof_in(g, n, first)->dtype;
  for (int i = first + 1; i < n->num_inputs; i++) {
    int di = roof_in(g, n, i)->dtype;
    if (di != dt) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "operand dtypes differ (input %d is %s, input %d is %s)", first, roof_dtype_name(dt), i,
                            roof_dtype_name(di));
    }
  }
  if (row->rule == R_MOD && roof_dtype_is_float(dt) && !((const binary_params*)n->params)->fmod) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "Mod of %s operands requires fmod=1 (spec)", roof_dtype_name(dt));
  }
  return ROOF_OK;
}

static int output_dtype(const roof_graph* g, const roof_node* n, binary_rule rule) {
  switch (rule) {
    case R_EQUAL: case R_COMPARE: case R_LOGIC: return ROOF_DT_BOOL;
    case R_WHERE: return roof_in(g, n, 1)->dtype;
    default: return roof_in(g, n, 0)->dtype;
  }
}

static roof_status infer_binary(roof_graph* g, roof_node* n, const binary_row* row, roof_error* err) {
  roof_status st = check_arity(g, n, row, err);
  if (st == ROOF_OK) st = check_dtypes(g, n, row, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int64_t dims[ROOF_MAX_RANK];
  int r = x->rank;
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)r);
  for (int i = 1; i < n->num_inputs && st == ROOF_OK; i++) {
    const roof_value* v = roof_in(g, n, i);
    int64_t acc[ROOF_MAX_RANK];
    memcpy(acc, dims, sizeof(acc));
    st = roof_broadcast_shape(g, n, acc, r, v->dims, v->rank, dims, &r, err);
  }
  if (st != ROOF_OK) return st;
  if (row->rule == R_PRELU && (r != x->rank || memcmp(dims, x->dims, sizeof(int64_t) * (size_t)r) != 0)) {
    char xs[64], ss[64];
    const roof_value* s = roof_in(g, n, 1);
    return roof_node_fail(err, ROOF_E_DATA, g, n, "slope %s does not broadcast to x %s (unidirectional)", roof_shape_str(s->dims, s->rank, ss, 64),
                          roof_shape_str(x->dims, x->rank, xs, 64));
  }
  roof_value_set_shape(roof_out(g, n, 0), output_dtype(g, n, row->rule), r, dims);
  return ROOF_OK;
}

static int describe_binary(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  size_t used = 0;
  int total = 0;
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    char s[64];
    int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", v ? roof_shape_str(v->dims, v->rank, s, 64) : "?");
    if (w < 0) return w;
    total += w;
    used = (size_t)total < size ? (size_t)total : (size > 0 ? size - 1 : 0);
  }
  if (n->num_inputs == 0 && size > 0) buf[0] = '\0';
  return total;
}

/* ---- reference: broadcast strided views, every dtype of the rule ---- */

typedef enum bin_class { C_FLOAT, C_SIGNED, C_UNSIGNED } bin_class;

/* How the row computes on these operands. Pow: through double when either is a float, else by
 * the exponent's signedness (the base is int32 or int64). */
static bin_class class_of(const binary_row* row, const roof_tensor* v, int n) {
  int dt = v[row->rule == R_WHERE ? 1 : 0].dtype;
  if (row->rule == R_POW && n > 1) {
    if (roof_dtype_is_float(dt) || roof_dtype_is_float(v[1].dtype)) return C_FLOAT;
    dt = v[1].dtype;
  }
  return roof_dtype_is_float(dt) ? C_FLOAT : unsigned_dtype(dt) ? C_UNSIGNED : C_SIGNED;
}

/* Offset of operand t at output index i (output rank r): t right-aligned, its size-1 dims
 * broadcast. Computed per element rather than from stored views: variadic ops have any number
 * of operands and nothing on the run path allocates. */
static int64_t bcast_offset(const roof_tensor* t, int r, const int64_t* i) {
  int shift = r - t->rank;
  int64_t off = 0;
  for (int d = 0; d < t->rank; d++) off += t->dims[d] == 1 ? 0 : i[d + shift] * t->strides[d];
  return off;
}

static double load_f(const roof_tensor* t, int r, const int64_t* i) { return roof_load_f64(t->dtype, t->data, bcast_offset(t, r, i)); }
static int64_t load_i(const roof_tensor* t, int r, const int64_t* i) { return roof_load_i64(t->dtype, t->data, bcast_offset(t, r, i)); }

/* One output element from every operand at index i; every operand is read before y is written,
 * so y may share an operand's buffer (ROOF_OPF_INPLACE). */
static void element(const binary_row* row, const binary_params* p, const roof_tensor* v, int n, bin_class c, roof_tensor* y,
                    const int64_t* i) {
  int64_t yo = roof_offset(y, i);
  int r = y->rank;
  if (c == C_FLOAT) {
    double acc = load_f(&v[0], r, i);
    for (int j = 1; j < n; j++) acc = row->f(acc, load_f(&v[j], r, i), p);
    if (row->rule == R_MEAN) acc /= n;
    roof_store_f64(y->dtype, y->data, yo, acc);
  } else if (c == C_SIGNED) {
    int64_t acc = load_i(&v[0], r, i);
    for (int j = 1; j < n; j++) acc = row->i(acc, load_i(&v[j], r, i), p);
    roof_store_i64(y->dtype, y->data, yo, acc);
  } else {
    uint64_t acc = (uint64_t)load_i(&v[0], r, i);
    for (int j = 1; j < n; j++) acc = row->u(acc, (uint64_t)load_i(&v[j], r, i), p);
    roof_store_i64(y->dtype, y->data, yo, (int64_t)acc);
  }
}

/* Where copies the chosen element's bytes: exact for every dtype. */
static void select_element(const roof_tensor* v, roof_tensor* y, const int64_t* i) {
  size_t es = roof_dtype_size(y->dtype);
  const roof_tensor* src = load_i(&v[0], y->rank, i) ? &v[1] : &v[2];
  memcpy((char*)y->data + (size_t)roof_offset(y, i) * es, (const char*)src->data + (size_t)bcast_offset(src, y->rank, i) * es, es);
}

static roof_status ref_binary(roof_kernel* k, const binary_row* row, roof_error* err) {
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(y) == 0) return ROOF_OK;
  bin_class c = class_of(row, k->in, k->num_in);
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    if (row->rule == R_WHERE) select_element(k->in, y, i);
    else element(row, k->params, k->in, k->num_in, c, y, i);
  } while (roof_index_next(i, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- XNNPACK: 2-input Max and Min ---- */

static bool supports_two(const roof_kernel* k, char* why, size_t size) {
  if (k->num_in == 2) return true;
  snprintf(why, size, "%d inputs (XNNPACK takes two)", k->num_in);
  return false;
}
#define supports_nd_max supports_two
#define supports_nd_min supports_two
static roof_status create_nd_max(roof_kernel* k, roof_error* err) { return roof_nd_create(k, ROOF_ND_MAX, -INFINITY, INFINITY, err); }
static roof_status create_nd_min(roof_kernel* k, roof_error* err) { return roof_nd_create(k, ROOF_ND_MIN, -INFINITY, INFINITY, err); }
#define setup_nd_max roof_nd_setup
#define setup_nd_min roof_nd_setup
#define destroy_nd_max roof_nd_destroy
#define destroy_nd_min roof_nd_destroy

/* ---- XNNPACK: PRelu with a constant per-channel slope ---- */

typedef struct prelu_state {
  size_t batch; /* rows of `channels` elements */
} prelu_state;

static bool supports_prelu(const roof_kernel* k, char* why, size_t size) {
  if (roof_same_dense_layout(&k->in[0], &k->out[0])) return true;
  snprintf(why, size, "x and y are not one dense layout");
  return false;
}

/* The innermost physical dim of the output: channels of an NHWC rank-4 tensor, else the last. */
static int inner_dim(const roof_tensor* y) {
  if (y->rank == 4 && roof_tensor_is_nhwc(y) && !roof_tensor_is_plain(y)) return 1;
  return y->rank - 1;
}

/* XNNPACK copies the slope into its operator, so the one read of the constant is here. */
static roof_status create_prelu(roof_kernel* k, roof_error* err) {
  const roof_value* sv = roof_in(k->g, k->node, 1);
  if (!(sv->flags & ROOF_VAL_CONST) || k->in[1].data == NULL) return roof_kernel_refuse(err, "slope is not a constant");
  const roof_tensor* y = &k->out[0];
  int cd = inner_dim(y);
  roof_tensor s;
  roof_broadcast_view(&k->in[1], y->rank, y->dims, &s);
  for (int d = 0; d < y->rank; d++) {
    if (d != cd && y->dims[d] != 1 && s.strides[d] != 0) return roof_kernel_refuse(err, "slope varies along dim %d, not only the channels", d);
  }
  size_t channels = cd >= 0 ? (size_t)y->dims[cd] : 1;
  uint64_t count = roof_tensor_count(y);
  if (channels == 0 || count == 0) return roof_kernel_refuse(err, "empty tensor");
  prelu_state* st = calloc(1, sizeof(*st));
  float* slope = malloc(sizeof(float) * channels);
  if (st == NULL || slope == NULL) {
    free(st);
    free(slope);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  }
  k->state = st;
  st->batch = (size_t)(count / channels);
  int64_t cs = cd >= 0 ? s.strides[cd] : 0;
  for (size_t c = 0; c < channels; c++) slope[c] = ((const float*)s.data)[(int64_t)c * cs];
  xnn_operator_t op = NULL;
  enum xnn_status xs = xnn_create_prelu_nc_f32(channels, channels, channels, slope, 0, &op);
  free(slope);
  return roof_xnn_created(xs, op, k, "create prelu", err);
}

static roof_status setup_prelu(roof_kernel* k, roof_error* err) {
  const prelu_state* st = k->state;
  enum xnn_status xs = xnn_setup_prelu_nc_f32(roof_xop(k), st->batch, k->in[0].data, k->out[0].data, k->pool);
  return roof_xnn_check(xs, k, "setup prelu", err);
}
#define destroy_prelu roof_xnn_destroy

/* ---- the rows ---- */

/* PRelu's only non-reference kernel copies the slope into its operator at create, so a constant
 * slope may be released once it exists (ROOF_OPF_PACKS_CONSTS); Max and Min read their constant
 * operands at run time. */
#define BIN_PACKS(rule) ((rule) == R_PRELU ? ROOF_OPF_PACKS_CONSTS : 0u)

#define BINARY_DEFINE(SYM, SINCE, MIN_IN, MAX_IN, RULE, FEXPR, IEXPR, UEXPR)                                      \
  static double f_##SYM(double a, double b, const binary_params* p) {                                             \
    (void)a, (void)b, (void)p;                                                                                    \
    return (double)(FEXPR);                                                                                       \
  }                                                                                                               \
  static int64_t i_##SYM(int64_t a, int64_t b, const binary_params* p) {                                          \
    (void)a, (void)b, (void)p;                                                                                    \
    return (int64_t)(IEXPR);                                                                                      \
  }                                                                                                               \
  static uint64_t u_##SYM(uint64_t a, uint64_t b, const binary_params* p) {                                       \
    (void)a, (void)b, (void)p;                                                                                    \
    return (uint64_t)(UEXPR);                                                                                     \
  }                                                                                                               \
  static const binary_row kRow_##SYM = {R_##RULE, MIN_IN, MAX_IN, f_##SYM, i_##SYM, u_##SYM};                     \
  static roof_status parse_##SYM(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {        \
    return parse_binary(g, n, params, &kRow_##SYM, err);                                                          \
  }                                                                                                               \
  static roof_status infer_##SYM(roof_graph* g, roof_node* n, roof_error* err) {                                  \
    return infer_binary(g, n, &kRow_##SYM, err);                                                                  \
  }                                                                                                               \
  static roof_status ref_##SYM(roof_kernel* k, roof_error* err) { return ref_binary(k, &kRow_##SYM, err); }       \
  const roof_op_schema roof_op_##SYM = {                                                                          \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,         \
      .flags = ROOF_OPF_INPLACE | BIN_PACKS(R_##RULE), .layout = ROOF_LR_ANY,                                   \
      .params_size = sizeof(binary_params),                                                                       \
      .parse = parse_##SYM, .infer = infer_##SYM, .cost = roof_cost_eltwise, .describe = describe_binary,        \
  };                                                                                                              \
  ROOF_REF_KERNEL(SYM, NULL, ref_##SYM);

#define ROOF_BINARY(SYM, SINCE, MIN_IN, MAX_IN, RULE, FEXPR, IEXPR, UEXPR) \
  BINARY_DEFINE(SYM, SINCE, MIN_IN, MAX_IN, RULE, FEXPR, IEXPR, UEXPR)

#define ROOF_BINARY_XNN(SYM, SINCE, MIN_IN, MAX_IN, RULE, XNN, FEXPR, IEXPR, UEXPR) \
  BINARY_DEFINE(SYM, SINCE, MIN_IN, MAX_IN, RULE, FEXPR, IEXPR, UEXPR)              \
  ROOF_XNN_KERNEL_(SYM, supports_##XNN, create_##XNN, setup_##XNN, destroy_##XNN, BIN_PACKS(R_##RULE) != 0);

#include "binary_list.inc"

/* ---- native Pow of float32 data by a constant scalar exponent (x^2 and x^0.5 are what
 * decomposed LayerNorms and norms export): dense tiles in parallel, the common exponents
 * without powf. ---- */

typedef struct pow_task {
  const float* x;
  float* y;
  float e;
} pow_task;

static bool supports_pow_native(const roof_kernel* k, char* why, size_t size) {
  const roof_value* e = roof_in(k->g, k->node, 1);
  uint64_t n = 0;
  const char* no = k->in[0].dtype != ROOF_DT_FLOAT || k->out[0].dtype != ROOF_DT_FLOAT ? "base not float32"
                   : !(e->flags & ROOF_VAL_CONST) || e->data == NULL || !roof_value_count(e, &n) || n != 1
                       ? "exponent not a constant scalar"
                   : !roof_same_dense_layout(&k->in[0], &k->out[0]) ? "input and output are not one dense layout"
                                                                     : NULL;
  if (no) snprintf(why, size, "%s", no);
  return no == NULL;
}

static void pow_tile(void* ctx, size_t start, size_t len) {
  const pow_task* t = ctx;
  const float* x = t->x + start;
  float* y = t->y + start;
  if (t->e == 2.0f) {
    for (size_t i = 0; i < len; i++) y[i] = x[i] * x[i];
  } else if (t->e == 0.5f) { /* as pow: +0 for -0, +inf for -inf */
    for (size_t i = 0; i < len; i++) y[i] = x[i] == -INFINITY ? INFINITY : sqrtf(x[i]) + 0.0f;
  } else if (t->e == 1.0f) {
    for (size_t i = 0; i < len; i++) y[i] = x[i];
  } else {
    for (size_t i = 0; i < len; i++) y[i] = (float)pow(x[i], t->e); /* as the reference computes */
  }
}

static roof_status run_pow_native(roof_kernel* k, roof_error* err) {
  const roof_value* e = roof_in(k->g, k->node, 1);
  pow_task t = {k->in[0].data, k->out[0].data, (float)roof_load_f64(e->dtype, e->data, 0)};
  size_t count = (size_t)roof_tensor_count(&k->out[0]);
  pthreadpool_parallelize_1d_tile_1d(k->pool, pow_tile, &t, count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Pow_native = {
    .op = ROOF_OP_Pow, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_pow_native,
    .run = run_pow_native,
};
