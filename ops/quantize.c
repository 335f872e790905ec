/* Quantization ops (ONNX int8 models, both formats): QuantizeLinear, DequantizeLinear and
 * DynamicQuantizeLinear; the integer products MatMulInteger and ConvInteger (int32 out); the
 * QOperator layers QLinearMatMul and QLinearConv (requantized int8 / uint8 out).
 *
 * Semantics (the reference kernels, the oracle of the fast ones):
 *   quantize    q = clamp(rint(x / scale) + zp) in float32, ties to even; NaN gives the lowest
 *               value of the output type (the spec leaves it open)
 *   dequantize  y = ((float)q - (float)zp) * scale in float32, stored in the scale's dtype
 *   products    int32 sums of (a - a_zp) * (b - b_zp), exact (wrapping as int32 only past 2^31)
 *   requantize  q = clamp(rint(acc * m) + y_zp) in double, m = a_scale * b_scale / y_scale
 *               computed in float32 (as numpy's reference: float32 scales, float64 product)
 * Scales and zero points are per tensor (scalar or one element), per axis (1-D of dims[axis]),
 * or, from opset 21, per block (the input's rank, dims[axis] / block_size rounded up on axis).
 * Fast kernels: native per-tensor float32 <-> int8 / uint8 conversions, a native
 * int32-accumulating GEMM for MatMulInteger and QLinearMatMul (bit-exact with the reference),
 * and XNNPACK's qs8 / qc8 / qu8 convolution for 2-D QLinearConv, fed NHWC copies made in scratch
 * (int8 values stay NCHW between layers), whose requantization may differ by 1 LSB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "quant_kernels.h"
#include "quant_params.h"
#include "vec_math.h"
#include "xnn_backend.h"

enum { QM_TENSOR = ROOF_QM_TENSOR, QM_AXIS = ROOF_QM_AXIS, QM_BLOCK = ROOF_QM_BLOCK };

typedef roof_quant_params quant_params;

static const int kQuantOut[] = {ROOF_DT_UINT8, ROOF_DT_INT8, ROOF_DT_UINT16, ROOF_DT_INT16, 0};
static const int kScaleDt[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, 0};
static const int kInt8Dt[] = {ROOF_DT_UINT8, ROOF_DT_INT8, 0};

static bool dt_in(int dt, const int* set) {
  for (; *set; set++)
    if (*set == dt) return true;
  return false;
}

/* The range of an integer dtype. */
static void dt_range(int dt, int64_t* lo, int64_t* hi) {
  switch (dt) {
    case ROOF_DT_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return;
    case ROOF_DT_UINT16: *lo = 0, *hi = UINT16_MAX; return;
    case ROOF_DT_INT16: *lo = INT16_MIN, *hi = INT16_MAX; return;
    case ROOF_DT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return;
    default: *lo = 0, *hi = UINT8_MAX; return;
  }
}

static const char* dt_short(int dt) {
  switch (dt) {
    case ROOF_DT_UINT8: return "u8";
    case ROOF_DT_INT8: return "s8";
    case ROOF_DT_UINT16: return "u16";
    case ROOF_DT_INT16: return "s16";
    case ROOF_DT_INT32: return "s32";
    default: return roof_dtype_name(dt);
  }
}

/* clamp(rint(v) + zp) to [lo, hi]; clamping first keeps rint exact and NaN defined (-> lo). */
static inline int64_t quant_round(double v, int64_t zp, int64_t lo, int64_t hi) {
  double flo = (double)(lo - zp), fhi = (double)(hi - zp);
  v = v > flo ? v : flo;
  v = v < fhi ? v : fhi;
  return (int64_t)((v + 0x1.8p52) - 0x1.8p52) + zp; /* rint, ties to even, for |v| < 2^51 */
}

static bool opt_present(const roof_kernel* k, int i) { return i < k->num_in && k->in[i].data != NULL; }

/* ---- scale / zero-point layouts ---- */

/* Checks that scale input `si` (and zero point `zi` when present, same shape, dtype `zdt` unless
 * 0) is per tensor, or per axis / per block of x along p->axis; sets p->mode. */
static roof_status check_qparams(roof_graph* g, roof_node* n, quant_params* p, const roof_value* x, int si, int zi,
                                 bool block_ok, roof_error* err) {
  const roof_value* s = roof_in(g, n, si);
  const roof_value* z = roof_in(g, n, zi);
  char b[ROOF_NAME_BUF], ss[64], xs[64];
  uint64_t cnt = 0;
  roof_value_count(s, &cnt);
  if (z && (z->rank != s->rank || memcmp(z->dims, s->dims, sizeof(int64_t) * (size_t)s->rank) != 0)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': zero point shape %s differs from the scale's %s",
                          ROOF_SAFE(z->name, b), roof_shape_str(z->dims, z->rank, xs, 64), roof_shape_str(s->dims, s->rank, ss, 64));
  }
  if (block_ok && p->block > 0) {
    roof_status st = roof_norm_axis(g, n, "axis", p->axis_attr, x->rank, &p->axis, err);
    if (st != ROOF_OK) return st;
    bool ok = s->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++) {
      ok = s->dims[d] == (d == p->axis ? (x->dims[d] + p->block - 1) / p->block : x->dims[d]);
    }
    if (!ok) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': scale %s does not block input %s by %lld on axis %d",
                            ROOF_SAFE(s->name, b), roof_shape_str(s->dims, s->rank, ss, 64),
                            roof_shape_str(x->dims, x->rank, xs, 64), (long long)p->block, p->axis);
    }
    p->mode = QM_BLOCK;
    return ROOF_OK;
  }
  if (s->rank == 0 || (s->rank == 1 && cnt == 1 && (x->rank == 0 || s->rank == 1))) {
    /* a [1] scale of a tensor whose axis has one element is per tensor either way */
    p->mode = QM_TENSOR;
    return ROOF_OK;
  }
  if (s->rank != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': scale %s must be a scalar or 1-D",
                          ROOF_SAFE(s->name, b), roof_shape_str(s->dims, s->rank, ss, 64));
  }
  roof_status st = roof_norm_axis(g, n, "axis", p->axis_attr, x->rank, &p->axis, err);
  if (st != ROOF_OK) return st;
  if (s->dims[0] != x->dims[p->axis]) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': per-axis scale has %lld values, input %s has %lld on axis %d",
                          ROOF_SAFE(s->name, b), (long long)s->dims[0], roof_shape_str(x->dims, x->rank, xs, 64),
                          (long long)x->dims[p->axis], p->axis);
  }
  p->mode = QM_AXIS;
  return ROOF_OK;
}

/* Scale input i: a float dtype and, when known at load, every value finite and > 0. */
static roof_status check_scale(roof_graph* g, roof_node* n, int i, roof_error* err) {
  const roof_value* s = roof_in(g, n, i);
  char b[ROOF_NAME_BUF];
  if (s == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d (scale) is required", i);
  if (s->rank < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': shape of input %d is unknown", ROOF_SAFE(s->name, b), i);
  if (!dt_in(s->dtype, kScaleDt)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': scale must be float, float16 or bfloat16, not %s",
                          ROOF_SAFE(s->name, b), roof_dtype_name(s->dtype));
  }
  uint64_t cnt = 0;
  if (!roof_value_has_data(s) || !roof_value_count(s, &cnt)) return ROOF_OK;
  for (uint64_t j = 0; j < cnt; j++) {
    double v = roof_load_f64(s->dtype, s->data, (int64_t)j);
    if (!(v > 0) || !isfinite(v)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': scale %g at %llu must be finite and > 0",
                            ROOF_SAFE(s->name, b), v, (unsigned long long)j);
    }
  }
  return ROOF_OK;
}

/* Zero point input i (optional): dtype `want` when nonzero (the quantized tensor's). */
static roof_status check_zp(roof_graph* g, roof_node* n, int i, int want, const char* what, roof_error* err) {
  const roof_value* z = roof_in(g, n, i);
  char b[ROOF_NAME_BUF];
  if (z == NULL) return ROOF_OK;
  if (z->rank < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': shape of input %d is unknown", ROOF_SAFE(z->name, b), i);
  if (z->dtype != want) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': zero point is %s, %s is %s: they must agree",
                          ROOF_SAFE(z->name, b), roof_dtype_name(z->dtype), what, roof_dtype_name(want));
  }
  return ROOF_OK;
}

/* Offset into a scale / zero-point view t of the parameters of x's element at index i. */
static inline int64_t qp_offset(const quant_params* p, const roof_tensor* t, const int64_t* i) {
  if (p->mode == QM_AXIS) return i[p->axis] * t->strides[0];
  if (p->mode == QM_TENSOR) return 0;
  int64_t off = 0;
  for (int d = 0; d < t->rank; d++) off += (d == p->axis ? i[d] / p->block : i[d]) * t->strides[d];
  return off;
}

static roof_status arity(roof_graph* g, roof_node* n, int min_in, int max_in, int outs, roof_error* err) {
  if (n->num_inputs >= min_in && n->num_inputs <= max_in && n->num_outputs == outs) return ROOF_OK;
  return roof_node_fail(err, ROOF_E_DATA, g, n, "takes %d to %d inputs and %d output%s, not %d and %d", min_in, max_in,
                        outs, outs > 1 ? "s" : "", n->num_inputs, n->num_outputs);
}

/* ---- QuantizeLinear / DequantizeLinear ---- */

static roof_status parse_qdq(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  quant_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "axis", 1, &p->axis_attr, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "block_size", 0, &p->block, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "saturate", 1, &p->saturate, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "output_dtype", 0, &p->out_dtype, err);
  if (st != ROOF_OK) return st;
  if (p->block < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'block_size': value %lld must be >= 0", (long long)p->block);
  if (p->out_dtype != 0 && !dt_in((int)p->out_dtype, kQuantOut)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "attribute 'output_dtype': type %lld is not supported (uint8, int8, uint16, int16)",
                          (long long)p->out_dtype);
  }
  return ROOF_OK;
}

static const int kQuantIn[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT32, 0};
static const int kDequantIn[] = {ROOF_DT_UINT8, ROOF_DT_INT8, ROOF_DT_UINT16, ROOF_DT_INT16, ROOF_DT_INT32, 0};

static roof_status infer_quantize(roof_graph* g, roof_node* n, roof_error* err) {
  quant_params* p = n->params;
  roof_status st = arity(g, n, 2, 3, 1, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 0, kQuantIn, err);
  if (st == ROOF_OK) st = check_scale(g, n, 1, err);
  if (st != ROOF_OK) return st;
  const roof_value* z = roof_in(g, n, 2);
  int ydt = z ? z->dtype : p->out_dtype ? (int)p->out_dtype : ROOF_DT_UINT8;
  if (z && p->out_dtype && z->dtype != p->out_dtype) {
    char b[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': zero point is %s but output_dtype is %s", ROOF_SAFE(z->name, b),
                          roof_dtype_name(z->dtype), roof_dtype_name((int)p->out_dtype));
  }
  if (!dt_in(ydt, kQuantOut)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "quantizing to %s is not supported (uint8, int8, uint16, int16)", roof_dtype_name(ydt));
  }
  st = check_zp(g, n, 2, ydt, "the output", err);
  if (st == ROOF_OK) st = check_qparams(g, n, p, roof_in(g, n, 0), 1, 2, g->opset >= 21, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  roof_value_set_shape(roof_out(g, n, 0), ydt, x->rank, x->dims);
  return ROOF_OK;
}

static roof_status infer_dequantize(roof_graph* g, roof_node* n, roof_error* err) {
  quant_params* p = n->params;
  roof_status st = arity(g, n, 2, 3, 1, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 0, kDequantIn, err);
  if (st == ROOF_OK) st = check_scale(g, n, 1, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  st = check_zp(g, n, 2, x->dtype, "the input", err);
  if (st == ROOF_OK) st = check_qparams(g, n, p, x, 1, 2, g->opset >= 21, err);
  if (st != ROOF_OK) return st;
  const roof_value* z = roof_in(g, n, 2);
  if (x->dtype == ROOF_DT_INT32 && roof_value_has_data(z)) {
    uint64_t cnt = 0;
    roof_value_count(z, &cnt);
    for (uint64_t j = 0; j < cnt; j++) {
      if (roof_load_i64(z->dtype, z->data, (int64_t)j) != 0) {
        return roof_node_fail(err, ROOF_E_DATA, g, n, "an int32 input takes no zero point (or 0), value %lld at %llu",
                              (long long)roof_load_i64(z->dtype, z->data, (int64_t)j), (unsigned long long)j);
      }
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), roof_in(g, n, 1)->dtype, x->rank, x->dims);
  return ROOF_OK;
}

/* 1 flop per element (a divide or multiply and a rounding); bytes of the real element sizes */
static void cost_qdq(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  c->params = roof_cost_const_params(g, n);
  c->formula = "eltwise";
}

static int describe_qdq(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const quant_params* p = n->params;
  const roof_value *x = roof_in(g, n, 0), *y = roof_out(g, n, 0);
  const char* from = x ? dt_short(x->dtype) : "?";
  const char* to = y ? dt_short(y->dtype) : "?";
  if (p->mode == QM_BLOCK) return snprintf(buf, size, "%s->%s block %lld axis %d", from, to, (long long)p->block, p->axis);
  if (p->mode == QM_AXIS) return snprintf(buf, size, "%s->%s per-axis %d", from, to, p->axis);
  return snprintf(buf, size, "%s->%s per-tensor", from, to);
}

static roof_status ref_quantize(roof_kernel* k, roof_error* err) {
  const quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *s = &k->in[1];
  const roof_tensor* z = opt_present(k, 2) ? &k->in[2] : NULL;
  roof_tensor* y = &k->out[0];
  int64_t lo, hi, i[ROOF_MAX_RANK] = {0};
  dt_range(y->dtype, &lo, &hi);
  do {
    int64_t q = qp_offset(p, s, i);
    float scale = (float)roof_load_f64(s->dtype, s->data, q);
    int64_t zp = z ? roof_load_i64(z->dtype, z->data, qp_offset(p, z, i)) : 0;
    float v = (float)roof_load_f64(x->dtype, x->data, roof_offset(x, i)) / scale;
    roof_store_i64(y->dtype, y->data, roof_offset(y, i), quant_round(v, zp, lo, hi));
  } while (roof_index_next(i, y->dims, y->rank));
  return ROOF_OK;
}

static roof_status ref_dequantize(roof_kernel* k, roof_error* err) {
  const quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *s = &k->in[1];
  const roof_tensor* z = opt_present(k, 2) ? &k->in[2] : NULL;
  roof_tensor* y = &k->out[0];
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    int64_t q = qp_offset(p, s, i);
    float scale = (float)roof_load_f64(s->dtype, s->data, q);
    float zp = z ? (float)roof_load_i64(z->dtype, z->data, qp_offset(p, z, i)) : 0.0f;
    float v = ((float)roof_load_i64(x->dtype, x->data, roof_offset(x, i)) - zp) * scale;
    roof_store_f64(y->dtype, y->data, roof_offset(y, i), v);
  } while (roof_index_next(i, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- native Q / DQ: per tensor, float32 <-> int8 / uint8, one dense layout ---- */

typedef struct qdq_task {
  const void* x;
  void* y;
  float scale, lo, hi; /* lo, hi: the output range minus the zero point */
  int32_t zp;
  bool is_signed;
} qdq_task;

/* rint by the 1.5 * 2^23 trick: exact ties-to-even for |v| < 2^22 (the clamped range) */
static inline int32_t quantize_one(float x, float scale, float lo, float hi, int32_t zp) {
  float v = x / scale;
  v = v > lo ? v : lo;
  v = v < hi ? v : hi;
  return (int32_t)((v + 12582912.0f) - 12582912.0f) + zp;
}

/* One loop per output type, the task's fields in locals: with the signedness tested inside the
 * loop it was not vectorized (1.7-1.8 ns per element, ResNet-18's input QuantizeLinear 0.27 ms
 * for 150 K values) */
ROOF_VEC_CLONES static void quantize_tile(void* ctx, size_t start, size_t len) {
  const qdq_task* t = ctx;
  const float* x = (const float*)t->x + start;
  const float scale = t->scale, lo = t->lo, hi = t->hi;
  const int32_t zp = t->zp;
  if (t->is_signed) {
    int8_t* y = (int8_t*)t->y + start;
    for (size_t j = 0; j < len; j++) y[j] = (int8_t)quantize_one(x[j], scale, lo, hi, zp);
  } else {
    uint8_t* y = (uint8_t*)t->y + start;
    for (size_t j = 0; j < len; j++) y[j] = (uint8_t)quantize_one(x[j], scale, lo, hi, zp);
  }
}

ROOF_VEC_CLONES static void dequantize_tile(void* ctx, size_t start, size_t len) {
  const qdq_task* t = ctx;
  float* y = (float*)t->y + start;
  if (t->is_signed) {
    const int8_t* x = (const int8_t*)t->x + start;
    for (size_t j = 0; j < len; j++) y[j] = (float)((int32_t)x[j] - t->zp) * t->scale;
  } else {
    const uint8_t* x = (const uint8_t*)t->x + start;
    for (size_t j = 0; j < len; j++) y[j] = (float)((int32_t)x[j] - t->zp) * t->scale;
  }
}

static bool supports_qdq_native(const roof_kernel* k, char* why, size_t n) {
  const quant_params* p = k->params;
  int q = k->op->id == ROOF_OP_QuantizeLinear ? k->out[0].dtype : k->in[0].dtype;
  int f = k->op->id == ROOF_OP_QuantizeLinear ? k->in[0].dtype : k->out[0].dtype;
  const char* no = p->mode != QM_TENSOR ? "per-axis or blocked scales"
                   : !dt_in(q, kInt8Dt) || f != ROOF_DT_FLOAT || k->in[1].dtype != ROOF_DT_FLOAT ? "not float32 <-> int8/uint8"
                   : !roof_same_dense_layout(&k->in[0], &k->out[0]) ? "input and output not one dense layout"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void qdq_task_init(const roof_kernel* k, int qdt, qdq_task* t) {
  int64_t lo, hi;
  dt_range(qdt, &lo, &hi);
  t->x = k->in[0].data;
  t->y = k->out[0].data;
  t->scale = *(const float*)k->in[1].data;
  t->zp = opt_present(k, 2) ? (int32_t)roof_load_i64(k->in[2].dtype, k->in[2].data, 0) : 0;
  t->lo = (float)(lo - t->zp);
  t->hi = (float)(hi - t->zp);
  t->is_signed = qdt == ROOF_DT_INT8;
}

static roof_status native_quantize(roof_kernel* k, roof_error* err) {
  qdq_task t;
  qdq_task_init(k, k->out[0].dtype, &t);
  pthreadpool_parallelize_1d_tile_1d(k->pool, quantize_tile, &t, (size_t)roof_tensor_count(&k->out[0]), 16384, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static roof_status native_dequantize(roof_kernel* k, roof_error* err) {
  qdq_task t;
  qdq_task_init(k, k->in[0].dtype, &t);
  pthreadpool_parallelize_1d_tile_1d(k->pool, dequantize_tile, &t, (size_t)roof_tensor_count(&k->out[0]), 16384, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_QuantizeLinear = {
    .id = ROOF_OP_QuantizeLinear, .op_type = "QuantizeLinear", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(quant_params), .parse = parse_qdq, .infer = infer_quantize,
    .cost = cost_qdq, .describe = describe_qdq,
};
const roof_op_schema roof_op_DequantizeLinear = {
    .id = ROOF_OP_DequantizeLinear, .op_type = "DequantizeLinear", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(quant_params), .parse = parse_qdq, .infer = infer_dequantize,
    .cost = cost_qdq, .describe = describe_qdq,
};
const roof_kernel_impl roof_kernel_QuantizeLinear_native = {
    .op = ROOF_OP_QuantizeLinear, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .supports = supports_qdq_native, .run = native_quantize};
const roof_kernel_impl roof_kernel_DequantizeLinear_native = {
    .op = ROOF_OP_DequantizeLinear, .backend = ROOF_BACKEND_NATIVE, .dtypes = kInt8Dt,
    .supports = supports_qdq_native, .run = native_dequantize};
ROOF_REF_KERNEL(QuantizeLinear, NULL, ref_quantize);
ROOF_REF_KERNEL(DequantizeLinear, NULL, ref_dequantize);

/* ---- DynamicQuantizeLinear: x float32 -> y uint8, y_scale, y_zero_point (scalars) ---- */

static roof_status infer_dynq(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = arity(g, n, 1, 1, 3, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 0, roof_float_only, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (roof_out(g, n, 0) == NULL || roof_out(g, n, 1) == NULL || roof_out(g, n, 2) == NULL) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "its three outputs are required");
  }
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_UINT8, x->rank, x->dims);
  roof_value_set_shape(roof_out(g, n, 1), ROOF_DT_FLOAT, 0, NULL);
  roof_value_set_shape(roof_out(g, n, 2), ROOF_DT_UINT8, 0, NULL);
  return ROOF_OK;
}

/* a min/max pass and a quantize pass: 2 flops per element */
static void cost_dynq(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_value_count(roof_in(g, n, 0), &c->flops);
  c->flops *= 2;
  c->bytes_read = 2 * roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "eltwise";
  c->has_model = true;
}

/* scale = (max(0, max x) - min(0, min x)) / 255, zp = clamp(rint(-min / scale)); a range of 0
 * (all zeros) gives scale 0, zero point 0 and y 0 */
static void dynq_params(float mn, float mx, float* scale, int32_t* zp) {
  mn = mn < 0.0f ? mn : 0.0f;
  mx = mx > 0.0f ? mx : 0.0f;
  *scale = (mx - mn) / 255.0f;
  *zp = *scale > 0.0f ? (int32_t)quant_round(0.0f - mn / *scale, 0, 0, 255) : 0;
}

static roof_status ref_dynq(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  float mn = INFINITY, mx = -INFINITY;
  int64_t i[ROOF_MAX_RANK] = {0};
  if (roof_tensor_count(x) == 0) { /* an empty x: scale 0, zero point 0 */
    *(float*)k->out[1].data = 0.0f;
    *(uint8_t*)k->out[2].data = 0;
    return ROOF_OK;
  }
  do {
    float v = ((const float*)x->data)[roof_offset(x, i)];
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  } while (roof_index_next(i, x->dims, x->rank));
  float scale;
  int32_t zp;
  dynq_params(mn, mx, &scale, &zp);
  *(float*)k->out[1].data = scale;
  *(uint8_t*)k->out[2].data = (uint8_t)zp;
  memset(i, 0, sizeof(i));
  do {
    float v = ((const float*)x->data)[roof_offset(x, i)];
    int64_t q = scale > 0.0f ? quant_round(v / scale, zp, 0, 255) : 0;
    ((uint8_t*)k->out[0].data)[roof_offset(&k->out[0], i)] = (uint8_t)q;
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

ROOF_VEC_CLONES static void minmax_row(const float* x, size_t n, float* mn, float* mx) {
  float a = *mn, b = *mx;
  for (size_t j = 0; j < n; j++) {
    a = x[j] < a ? x[j] : a;
    b = x[j] > b ? x[j] : b;
  }
  *mn = a, *mx = b;
}

/* the min/max pass on one thread (vectorized), then the quantize pass threaded */
static roof_status native_dynq(roof_kernel* k, roof_error* err) {
  size_t count = (size_t)roof_tensor_count(&k->in[0]);
  float mn = INFINITY, mx = -INFINITY;
  minmax_row(k->in[0].data, count, &mn, &mx);
  qdq_task t = {.x = k->in[0].data, .y = k->out[0].data};
  int32_t zp;
  dynq_params(mn, mx, &t.scale, &zp);
  *(float*)k->out[1].data = t.scale;
  *(uint8_t*)k->out[2].data = (uint8_t)zp;
  if (!(t.scale > 0.0f)) {
    memset(k->out[0].data, 0, count);
    return ROOF_OK;
  }
  t.zp = zp;
  t.lo = (float)-zp;
  t.hi = (float)(255 - zp);
  pthreadpool_parallelize_1d_tile_1d(k->pool, quantize_tile, &t, count, 16384, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static bool supports_dense_in(const roof_kernel* k, char* why, size_t n) {
  bool ok = roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->out[0]);
  if (!ok) snprintf(why, n, "input or output not plain");
  return ok;
}

const roof_op_schema roof_op_DynamicQuantizeLinear = {
    .id = ROOF_OP_DynamicQuantizeLinear, .op_type = "DynamicQuantizeLinear", .domain = "", .since_version = 11,
    .until_version = 1000, .layout = ROOF_LR_PLAIN, .params_size = sizeof(quant_params), .infer = infer_dynq,
    .cost = cost_dynq,
};
const roof_kernel_impl roof_kernel_DynamicQuantizeLinear_native = {
    .op = ROOF_OP_DynamicQuantizeLinear, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .supports = supports_dense_in, .run = native_dynq};
ROOF_REF_KERNEL(DynamicQuantizeLinear, NULL, ref_dynq);

/* ---- integer matrix products: MatMulInteger (int32 out), QLinearMatMul (requantized) ----
 * Inputs by role: A, B, and their scale / zero point (scales only for QLinearMatMul). */

typedef struct mm_roles {
  int a, b, as, az, bs, bz, ys, yz; /* input indices, -1: none */
} mm_roles;

static const mm_roles kMatMulInteger = {0, 1, -1, 2, -1, 3, -1, -1};
static const mm_roles kQLinearMatMul = {0, 3, 1, 2, 4, 5, 6, 7};

static const mm_roles* mm_roles_of(const roof_op_schema* op) {
  return op->id == ROOF_OP_MatMulInteger ? &kMatMulInteger : &kQLinearMatMul;
}

/* A per-row (M) or per-column (N) parameter input: scalar, one element or `len` values (1-D). */
static roof_status check_vec_param(roof_graph* g, roof_node* n, int i, int64_t len, const char* what, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  uint64_t cnt = 0;
  if (v == NULL || !roof_value_count(v, &cnt) || cnt == 1) return ROOF_OK;
  if (v->rank == 1 && (int64_t)cnt == len) return ROOF_OK;
  char b[ROOF_NAME_BUF], s[64];
  if (len == 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s has shape %s, must hold one value", ROOF_SAFE(v->name, b),
                          what, roof_shape_str(v->dims, v->rank, s, 64));
  }
  return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s has shape %s, must be a scalar or hold %lld values (1-D)",
                        ROOF_SAFE(v->name, b), what, roof_shape_str(v->dims, v->rank, s, 64), (long long)len);
}

/* numpy matmul shape of A x B (1-D operands promoted then dropped) */
static roof_status mm_shape(roof_graph* g, roof_node* n, const roof_value* a, const roof_value* b, int64_t* M, int64_t* N,
                            int64_t* dims, int* rank, roof_error* err) {
  char as[64], bs[64];
  if (a->rank < 1 || b->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "operands must have rank >= 1");
  int64_t ad[ROOF_MAX_RANK + 1], bd[ROOF_MAX_RANK + 1];
  int ra = a->rank, rb = b->rank;
  memcpy(ad, a->dims, sizeof(int64_t) * (size_t)ra);
  memcpy(bd, b->dims, sizeof(int64_t) * (size_t)rb);
  if (ra == 1) ad[1] = ad[0], ad[0] = 1, ra = 2;
  if (rb == 1) bd[1] = 1, rb = 2;
  if (ad[ra - 1] != bd[rb - 2]) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "inner dims differ: %s x %s", roof_shape_str(a->dims, a->rank, as, 64),
                          roof_shape_str(b->dims, b->rank, bs, 64));
  }
  int64_t batch[ROOF_MAX_RANK];
  int rbat = 0;
  roof_status st = roof_broadcast_shape(g, n, ad, ra - 2, bd, rb - 2, batch, &rbat, err);
  if (st != ROOF_OK) return st;
  int r = 0;
  for (int i = 0; i < rbat; i++) dims[r++] = batch[i];
  if (a->rank > 1) dims[r++] = ad[ra - 2];
  if (b->rank > 1) dims[r++] = bd[rb - 1];
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", r, ROOF_MAX_RANK);
  *M = ad[ra - 2];
  *N = bd[rb - 1];
  *rank = r;
  return ROOF_OK;
}

static roof_status infer_int_mm(roof_graph* g, roof_node* n, roof_error* err) {
  const mm_roles* r = mm_roles_of(n->op);
  bool q = r->ys >= 0;
  /* a 9th input (int32 bias) only on a layer the qdq pass built (fused_bias) */
  roof_status st = q ? arity(g, n, 8, ((const quant_params*)n->params)->fused_bias ? 9 : 8, 1, err) : arity(g, n, 2, 4, 1, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, r->a, kInt8Dt, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, r->b, kInt8Dt, err);
  if (st != ROOF_OK) return st;
  const roof_value *a = roof_in(g, n, r->a), *b = roof_in(g, n, r->b);
  int64_t M = 0, N = 0, dims[ROOF_MAX_RANK + 2];
  int rank = 0;
  st = mm_shape(g, n, a, b, &M, &N, dims, &rank, err);
  if (st == ROOF_OK) st = check_zp(g, n, r->az, a->dtype, "A", err);
  if (st == ROOF_OK) st = check_zp(g, n, r->bz, b->dtype, "B", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, r->az, M, "A's zero point", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, r->bz, N, "B's zero point", err);
  if (st == ROOF_OK && q) {
    for (int i = 0; i < 3 && st == ROOF_OK; i++) st = check_scale(g, n, (int[]){r->as, r->bs, r->ys}[i], err);
    if (st == ROOF_OK) st = roof_require_input(g, n, r->yz, kInt8Dt, err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->as, M, "A's scale", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->bs, N, "B's scale", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->ys, 1, "the output scale", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->yz, 1, "the output zero point", err);
  }
  if (st != ROOF_OK) return st;
  roof_value_set_shape(roof_out(g, n, 0), q ? roof_in(g, n, r->yz)->dtype : ROOF_DT_INT32, rank, dims);
  return ROOF_OK;
}

/* macs = batch * M * N * K */
static void cost_int_mm(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const mm_roles* r = mm_roles_of(n->op);
  const roof_value* a = roof_in(g, n, r->a);
  uint64_t out = 0;
  roof_value_count(roof_out(g, n, 0), &out);
  int64_t K = a->dims[a->rank - 1];
  c->macs = out * (uint64_t)(K > 0 ? K : 0);
  c->flops = 2 * c->macs;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "matmul";
  c->has_model = true;
}

static int describe_int_mm(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const mm_roles* r = mm_roles_of(n->op);
  const roof_value *a = roof_in(g, n, r->a), *b = roof_in(g, n, r->b), *y = roof_out(g, n, 0);
  return snprintf(buf, size, "%sx%s->%s K%lld", dt_short(a->dtype), dt_short(b->dtype), dt_short(y->dtype),
                  (long long)a->dims[a->rank - 1]);
}

/* Per-row / per-column parameter j of an optional input (scalar when it holds one value). */
static inline double vec_param(const roof_kernel* k, int i, int64_t j, double def) {
  if (i < 0 || !opt_present(k, i)) return def;
  const roof_tensor* t = &k->in[i];
  int64_t off = roof_tensor_count(t) == 1 ? 0 : j * t->strides[0];
  return roof_load_f64(t->dtype, t->data, off);
}

/* The output's integer range: its dtype's, narrowed by a clamp the qdq pass fused (real units,
 * quantized as QuantizeLinear would: clamping before or after quantizing is the same, quantizing
 * being monotonic). Output scale at input ys, zero point at yz. */
static void clamp_range(const roof_kernel* k, int clamp, const roof_act* act, int ys, int yz, int64_t* lo, int64_t* hi) {
  dt_range(k->out[0].dtype, lo, hi);
  if (!clamp) return;
  float s = (float)vec_param(k, ys, 0, 1.0);
  int64_t z = (int64_t)vec_param(k, yz, 0, 0.0), l = *lo, h = *hi;
  if (act->min > -INFINITY) *lo = quant_round((double)(act->min / s), z, l, h);
  if (act->max < INFINITY) *hi = quant_round((double)(act->max / s), z, l, h);
  if (*hi < *lo) *hi = *lo;
}

static void out_range(const roof_kernel* k, int ys, int yz, int64_t* lo, int64_t* hi) {
  const quant_params* p = k->params;
  clamp_range(k, p->clamp, &p->act, ys, yz, lo, hi);
}

/* QLinearMatMul's int32 bias of column n (the qdq pass's fused bias), or 0 */
static inline int32_t mm_bias(const roof_kernel* k, int64_t n) {
  const quant_params* p = k->params;
  if (!p->fused_bias || !opt_present(k, 8)) return 0;
  return ((const int32_t*)k->in[8].data)[n * k->in[8].strides[0]];
}

/* The requantization multiplier of output (m, n): float32 products as the reference */
static inline double requant_mult(const roof_kernel* k, const mm_roles* r, int64_t m, int64_t n) {
  float as = (float)vec_param(k, r->as, m, 1.0), bs = (float)vec_param(k, r->bs, n, 1.0);
  float ys = (float)vec_param(k, r->ys, 0, 1.0);
  return (double)(as * bs / ys);
}

/* Views of A [batch..., M, K], B [batch..., K, N], Y [batch..., M, N] of one rank (1-D operands
 * promoted, batch dims broadcast with stride 0). */
static int mm_views(const roof_tensor* a, const roof_tensor* b, const roof_tensor* y, roof_tensor* av, roof_tensor* bv,
                    roof_tensor* yv) {
  roof_tensor a2 = *a, b2 = *b;
  if (a->rank == 1) {
    a2.rank = 2, a2.dims[0] = 1, a2.dims[1] = a->dims[0], a2.strides[0] = 0, a2.strides[1] = a->strides[0];
  }
  if (b->rank == 1) b2.rank = 2, b2.dims[1] = 1, b2.strides[1] = 0;
  int R = a2.rank > b2.rank ? a2.rank : b2.rank;
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0; d < R - 2; d++) {
    int ia = d - (R - a2.rank), ib = d - (R - b2.rank);
    int64_t da = ia >= 0 ? a2.dims[ia] : 1, db = ib >= 0 ? b2.dims[ib] : 1;
    dims[d] = da == 1 ? db : da;
  }
  dims[R - 2] = a2.dims[a2.rank - 2], dims[R - 1] = a2.dims[a2.rank - 1];
  roof_broadcast_view(&a2, R, dims, av);
  dims[R - 2] = b2.dims[b2.rank - 2], dims[R - 1] = b2.dims[b2.rank - 1];
  roof_broadcast_view(&b2, R, dims, bv);
  /* Y's logical dims drop the promoted 1s: rebuild them with stride 0 */
  *yv = *y;
  yv->rank = R;
  int yd = y->rank - 1;
  yv->dims[R - 1] = b2.dims[b2.rank - 1];
  yv->strides[R - 1] = b->rank == 1 ? 0 : y->strides[yd--];
  yv->dims[R - 2] = a2.dims[a2.rank - 2];
  yv->strides[R - 2] = a->rank == 1 ? 0 : y->strides[yd--];
  for (int d = R - 3; d >= 0; d--) yv->dims[d] = dims[d], yv->strides[d] = yd >= 0 ? y->strides[yd--] : 0;
  return R;
}

static inline void store_out(const roof_kernel* k, const mm_roles* r, roof_tensor* y, int64_t off, int32_t acc, int64_t m,
                             int64_t n, int64_t lo, int64_t hi) {
  if (r->ys < 0) {
    ((int32_t*)y->data)[off] = acc;
    return;
  }
  int64_t zp = (int64_t)vec_param(k, r->yz, 0, 0.0);
  roof_store_i64(y->dtype, y->data, off, quant_round((double)acc * requant_mult(k, r, m, n), zp, lo, hi));
}

static roof_status ref_int_mm(roof_kernel* k, roof_error* err) {
  const mm_roles* r = mm_roles_of(k->op);
  roof_tensor av, bv, yv;
  int R = mm_views(&k->in[r->a], &k->in[r->b], &k->out[0], &av, &bv, &yv);
  int64_t K = av.dims[R - 1], lo, hi, i[ROOF_MAX_RANK] = {0};
  out_range(k, r->ys, r->yz, &lo, &hi);
  do {
    int64_t m = i[R - 2], n = i[R - 1], ai[ROOF_MAX_RANK], bi[ROOF_MAX_RANK];
    memcpy(ai, i, sizeof(ai));
    memcpy(bi, i, sizeof(bi));
    int64_t azp = (int64_t)vec_param(k, r->az, m, 0.0), bzp = (int64_t)vec_param(k, r->bz, n, 0.0);
    uint32_t acc = (uint32_t)mm_bias(k, n); /* int32 sums wrap as the spec's int32 tensor would */
    for (int64_t kk = 0; kk < K; kk++) {
      ai[R - 1] = kk, bi[R - 2] = kk;
      int64_t x = roof_load_i64(av.dtype, av.data, roof_offset(&av, ai)) - azp;
      int64_t w = roof_load_i64(bv.dtype, bv.data, roof_offset(&bv, bi)) - bzp;
      acc += (uint32_t)(x * w);
    }
    store_out(k, r, &yv, roof_offset(&yv, i), (int32_t)acc, m, n, lo, hi);
  } while (roof_index_next(i, yv.dims, R));
  return ROOF_OK;
}

/* ---- native integer GEMM: A [rows, K] (batch folded when B is 2-D) or equal batches.
 * B - b_zp is packed per run into scratch as int16 pairs: [batch][panel][K/2][NR][2] (K padded
 * to even, N to whole panels, with zeros), so that one 32-bit lane of a vector holds
 * (b[k][j], b[k+1][j]) and pmaddwd multiplies it by (a[k], a[k+1]) - a_zp broadcast: two products
 * summed into an int32 lane per instruction (|values| <= 255, so sums never saturate). Constant
 * B is packed once at create instead. Tasks of 4 rows x one panel; the output stage is the
 * reference's (bit-exact). Micro-kernels: AVX-512BW
 * (64 columns; vpdpwssd where AVX512-VNNI is there), AVX2 (16), arm64 NEON (16), portable C (16);
 * ROOFTOP_NATIVE_ISA=avx2 or =portable caps the choice as for MatMul. ---- */

#define IMM_MR 4
#define IMM_KC 256 /* pairs of K per A chunk */

typedef void (*imm_ukernel)(const int32_t* ap, int64_t kc, const int16_t* bp, int32_t* acc);

typedef struct imm_isa {
  int nr;
  imm_ukernel uk;
} imm_isa;

/* acc[MR][16] += sum over kc pairs of ap[r][k] . bp[k][16][2] */
static void imm_uk_portable(const int32_t* ap, int64_t kc, const int16_t* bp, int32_t* acc) {
  for (int r = 0; r < IMM_MR; r++) {
    int32_t c[16];
    memcpy(c, acc + r * 16, sizeof(c));
    for (int64_t k = 0; k < kc; k++) {
      int32_t lo = (int16_t)(ap[r * IMM_KC + k] & 0xffff), hi = (int16_t)((uint32_t)ap[r * IMM_KC + k] >> 16);
      const int16_t* b = bp + k * 32;
      for (int j = 0; j < 16; j++) c[j] += lo * b[2 * j] + hi * b[2 * j + 1];
    }
    memcpy(acc + r * 16, c, sizeof(c));
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROOF_IMM_X86 1

__attribute__((target("avx2"))) static void imm_uk_avx2(const int32_t* ap, int64_t kc, const int16_t* bp, int32_t* acc) {
  __m256i c[IMM_MR][2];
  for (int r = 0; r < IMM_MR; r++)
    for (int v = 0; v < 2; v++) c[r][v] = _mm256_loadu_si256((const __m256i*)(acc + r * 16 + v * 8));
  for (int64_t k = 0; k < kc; k++) {
    __m256i b0 = _mm256_loadu_si256((const __m256i*)(bp + k * 32)), b1 = _mm256_loadu_si256((const __m256i*)(bp + k * 32 + 16));
    for (int r = 0; r < IMM_MR; r++) {
      __m256i a = _mm256_set1_epi32(ap[r * IMM_KC + k]);
      c[r][0] = _mm256_add_epi32(c[r][0], _mm256_madd_epi16(a, b0));
      c[r][1] = _mm256_add_epi32(c[r][1], _mm256_madd_epi16(a, b1));
    }
  }
  for (int r = 0; r < IMM_MR; r++)
    for (int v = 0; v < 2; v++) _mm256_storeu_si256((__m256i*)(acc + r * 16 + v * 8), c[r][v]);
}

#define IMM_UK512(NAME, TARGET, STEP)                                                                          \
  __attribute__((target(TARGET))) static void NAME(const int32_t* ap, int64_t kc, const int16_t* bp, int32_t* acc) { \
    __m512i c[IMM_MR][4];                                                                                      \
    for (int r = 0; r < IMM_MR; r++)                                                                           \
      for (int v = 0; v < 4; v++) c[r][v] = _mm512_loadu_si512(acc + r * 64 + v * 16);                        \
    for (int64_t k = 0; k < kc; k++) {                                                                         \
      const int16_t* b = bp + k * 128;                                                                         \
      __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 32), b2 = _mm512_loadu_si512(b + 64);    \
      __m512i b3 = _mm512_loadu_si512(b + 96);                                                                 \
      for (int r = 0; r < IMM_MR; r++) {                                                                       \
        __m512i a = _mm512_set1_epi32(ap[r * IMM_KC + k]);                                                     \
        c[r][0] = STEP(c[r][0], a, b0);                                                                        \
        c[r][1] = STEP(c[r][1], a, b1);                                                                        \
        c[r][2] = STEP(c[r][2], a, b2);                                                                        \
        c[r][3] = STEP(c[r][3], a, b3);                                                                        \
      }                                                                                                        \
    }                                                                                                          \
    for (int r = 0; r < IMM_MR; r++)                                                                           \
      for (int v = 0; v < 4; v++) _mm512_storeu_si512(acc + r * 64 + v * 16, c[r][v]);                         \
  }
#define IMM_MADD_ADD(c, a, b) _mm512_add_epi32((c), _mm512_madd_epi16((a), (b)))
IMM_UK512(imm_uk_avx512, "avx512f,avx512bw", IMM_MADD_ADD)
IMM_UK512(imm_uk_vnni, "avx512f,avx512bw,avx512vnni", _mm512_dpwssd_epi32)
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
/* NEON, 16 columns: ld2 splits the packed pairs into b[k][j] and b[k+1][j] lanes, and
 * smlal by a[k] and a[k+1] widens each product into the int32 accumulators (the pmaddwd sum). */
static void imm_uk_neon(const int32_t* ap, int64_t kc, const int16_t* bp, int32_t* acc) {
  int32x4_t c[IMM_MR][4];
  for (int r = 0; r < IMM_MR; r++)
    for (int v = 0; v < 4; v++) c[r][v] = vld1q_s32(acc + r * 16 + v * 4);
  for (int64_t k = 0; k < kc; k++) {
    int16x8x2_t b0 = vld2q_s16(bp + k * 32), b1 = vld2q_s16(bp + k * 32 + 16); /* columns 0-7, 8-15 */
    for (int r = 0; r < IMM_MR; r++) {
      int32_t pair = ap[r * IMM_KC + k];
      int16_t lo = (int16_t)(pair & 0xffff), hi = (int16_t)((uint32_t)pair >> 16);
      c[r][0] = vmlal_n_s16(vmlal_n_s16(c[r][0], vget_low_s16(b0.val[0]), lo), vget_low_s16(b0.val[1]), hi);
      c[r][1] = vmlal_n_s16(vmlal_n_s16(c[r][1], vget_high_s16(b0.val[0]), lo), vget_high_s16(b0.val[1]), hi);
      c[r][2] = vmlal_n_s16(vmlal_n_s16(c[r][2], vget_low_s16(b1.val[0]), lo), vget_low_s16(b1.val[1]), hi);
      c[r][3] = vmlal_n_s16(vmlal_n_s16(c[r][3], vget_high_s16(b1.val[0]), lo), vget_high_s16(b1.val[1]), hi);
    }
  }
  for (int r = 0; r < IMM_MR; r++)
    for (int v = 0; v < 4; v++) vst1q_s32(acc + r * 16 + v * 4, c[r][v]);
}
static const imm_isa kImmNeon = {16, imm_uk_neon};
#endif

static const imm_isa kImmPortable = {16, imm_uk_portable};
#ifdef ROOF_IMM_X86
static const imm_isa kImmAvx2 = {16, imm_uk_avx2};
static const imm_isa kImmAvx512 = {64, imm_uk_avx512};
static const imm_isa kImmVnni = {64, imm_uk_vnni};
#endif

static const imm_isa* imm_pick_isa(void) {
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  bool portable = cap && strcmp(cap, "portable") == 0;
  bool no512 = portable || (cap && strcmp(cap, "avx2") == 0);
#ifdef ROOF_IMM_X86
  if (!no512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) return &kImmVnni;
  if (!no512 && __builtin_cpu_supports("avx512bw")) return &kImmAvx512;
  if (!portable && __builtin_cpu_supports("avx2")) return &kImmAvx2;
#else
  (void)no512;
#endif
#if defined(__aarch64__)
  if (!portable) return &kImmNeon;
#endif
  return &kImmPortable;
}

typedef struct imm_state {
  const imm_isa* isa;
  int64_t batch, M, K, N;      /* batch of B (1 when folded), rows per B batch */
  int64_t K2, panels;          /* pairs of K, panels of isa->nr columns */
  int64_t a_rows_per_param;    /* M of the per-row parameters (rows repeat every M) */
  int16_t* bp;                 /* scratch */
  const roof_kernel* k;
  const mm_roles* r;
  int64_t lo, hi;
} imm_state;

static bool imm_geometry(const roof_kernel* k, imm_state* s) {
  const mm_roles* r = mm_roles_of(k->op);
  const roof_tensor *a = &k->in[r->a], *b = &k->in[r->b], *y = &k->out[0];
  if (a->rank < 1 || b->rank < 2 || (a->rank == 1 && b->rank != 2) || !roof_tensor_is_plain(a) || !roof_tensor_is_plain(b) || !roof_tensor_is_plain(y)) return false;
  s->isa = imm_pick_isa();
  s->K = b->dims[b->rank - 2];
  s->N = b->dims[b->rank - 1];
  s->K2 = (s->K + 1) / 2;
  s->panels = (s->N + s->isa->nr - 1) / s->isa->nr;
  s->a_rows_per_param = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  if (s->K < 1 || s->N < 1) return false;
  if (b->rank == 2) {
    s->batch = 1;
    s->M = (int64_t)(roof_tensor_count(a) / (uint64_t)s->K);
    return true;
  }
  if (a->rank != b->rank) return false;
  for (int d = 0; d < a->rank - 2; d++)
    if (a->dims[d] != b->dims[d]) return false;
  s->batch = (int64_t)(roof_tensor_count(b) / (uint64_t)(s->K * s->N));
  s->M = a->dims[a->rank - 2];
  return true;
}

static bool supports_imm(const roof_kernel* k, char* why, size_t n) {
  imm_state s;
  bool ok = imm_geometry(k, &s);
  if (!ok) snprintf(why, n, "operands not plain, B 1-D, empty or broadcast batches");
  return ok;
}

static bool const_input(const roof_kernel* k, int i);
static void imm_pack_task(void* ctx, size_t bb, size_t panel);

/* Constant B (and zero point): packed once here, kept in k->state; otherwise per run in scratch. */
static roof_status create_imm(roof_kernel* k, roof_error* err) {
  imm_state s = {.k = k, .r = mm_roles_of(k->op)};
  imm_geometry(k, &s);
  if (!const_input(k, s.r->b) || !const_input(k, s.r->bz)) return ROOF_OK;
  uint64_t bytes;
  if (!roof_mul_u64((uint64_t)s.batch * (uint64_t)s.panels, (uint64_t)s.K2 * (uint64_t)s.isa->nr * 4, &bytes) ||
      bytes > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "packed weights over the tensor size limit");
  }
  s.bp = roof_alloc_large((size_t)bytes, 64);
  if (s.bp == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  pthreadpool_parallelize_2d(k->pool, imm_pack_task, &s, (size_t)s.batch, (size_t)s.panels, ROOF_POOL_FLAGS);
  k->state = s.bp;
  return ROOF_OK;
}

static void destroy_imm(roof_kernel* k) { free(k->state); }

static uint64_t scratch_imm(const roof_kernel* k) {
  imm_state s;
  if (k->state != NULL || !imm_geometry(k, &s)) return 0;
  return (uint64_t)s.batch * (uint64_t)s.panels * (uint64_t)s.K2 * (uint64_t)s.isa->nr * 2 * sizeof(int16_t);
}

static inline int32_t ld8(const void* p, bool sgn, int64_t i) {
  return sgn ? (int32_t)((const int8_t*)p)[i] : (int32_t)((const uint8_t*)p)[i];
}

/* One panel of B - b_zp: [K2][nr][2] int16, zeros past K and N. */
static void imm_pack_task(void* ctx, size_t bb, size_t panel) {
  const imm_state* s = ctx;
  const roof_tensor* b = &s->k->in[s->r->b];
  bool sgn = b->dtype == ROOF_DT_INT8;
  int nr = s->isa->nr;
  int16_t* out = s->bp + ((int64_t)bb * s->panels + (int64_t)panel) * s->K2 * nr * 2;
  const char* src = (const char*)b->data + (int64_t)bb * s->K * s->N;
  int64_t n0 = (int64_t)panel * nr;
  int32_t zp[64];
  for (int j = 0; j < nr; j++) zp[j] = n0 + j < s->N ? (int32_t)vec_param(s->k, s->r->bz, n0 + j, 0.0) : 0;
  for (int64_t k = 0; k < 2 * s->K2; k++) {
    int16_t* o = out + (k / 2) * nr * 2 + (k % 2);
    for (int j = 0; j < nr; j++) {
      bool in = k < s->K && n0 + j < s->N;
      o[2 * j] = in ? (int16_t)(ld8(src, sgn, k * s->N + n0 + j) - zp[j]) : 0;
    }
  }
}

/* The output stage of a tile: int32 as is, or requantized as store_out does (same float32
 * multiplier as_m * bs_n / ys, same rounding). */
static void imm_store(const imm_state* s, const int32_t* acc, int64_t row0, int64_t mr, int64_t n0, int64_t nc) {
  const roof_kernel* k = s->k;
  const mm_roles* r = s->r;
  int nr = s->isa->nr;
  if (r->ys < 0) {
    for (int64_t i = 0; i < mr; i++) memcpy((int32_t*)k->out[0].data + (row0 + i) * s->N + n0, acc + i * nr, sizeof(int32_t) * (size_t)nc);
    return;
  }
  float ys = (float)vec_param(k, r->ys, 0, 1.0), bs[64];
  int64_t zp = (int64_t)vec_param(k, r->yz, 0, 0.0);
  for (int64_t j = 0; j < nc; j++) bs[j] = (float)vec_param(k, r->bs, n0 + j, 1.0);
  bool sgn = k->out[0].dtype == ROOF_DT_INT8;
  for (int64_t i = 0; i < mr; i++) {
    float as = (float)vec_param(k, r->as, (row0 + i) % s->a_rows_per_param, 1.0);
    int64_t off = (row0 + i) * s->N + n0;
    for (int64_t j = 0; j < nc; j++) {
      int32_t a = (int32_t)((uint32_t)acc[i * nr + j] + (uint32_t)mm_bias(k, n0 + j));
      int64_t q = quant_round((double)a * (double)(as * bs[j] / ys), zp, s->lo, s->hi);
      if (sgn) ((int8_t*)k->out[0].data)[off + j] = (int8_t)q;
      else ((uint8_t*)k->out[0].data)[off + j] = (uint8_t)q;
    }
  }
}

static void imm_task(void* ctx, size_t bb, size_t tile, size_t panel) {
  const imm_state* s = ctx;
  const roof_kernel* k = s->k;
  const roof_tensor* a = &k->in[s->r->a];
  bool sgn = a->dtype == ROOF_DT_INT8;
  int nr = s->isa->nr;
  int64_t m0 = (int64_t)tile * IMM_MR, n0 = (int64_t)panel * nr;
  int64_t mr = s->M - m0 < IMM_MR ? s->M - m0 : IMM_MR, nc = s->N - n0 < nr ? s->N - n0 : nr;
  int64_t row0 = (int64_t)bb * s->M + m0; /* flat row of A and Y */
  int32_t acc[IMM_MR * 64] = {0}, azp[IMM_MR], ap[IMM_MR * IMM_KC];
  for (int64_t i = 0; i < IMM_MR; i++) azp[i] = i < mr ? (int32_t)vec_param(k, s->r->az, (row0 + i) % s->a_rows_per_param, 0.0) : 0;
  const int16_t* bp = s->bp + ((int64_t)bb * s->panels + (int64_t)panel) * s->K2 * nr * 2;
  for (int64_t k0 = 0; k0 < s->K2; k0 += IMM_KC) {
    int64_t kc = s->K2 - k0 < IMM_KC ? s->K2 - k0 : IMM_KC;
    for (int64_t i = 0; i < IMM_MR; i++) {
      const char* arow = (const char*)a->data + (row0 + (i < mr ? i : 0)) * s->K;
      for (int64_t p = 0; p < kc; p++) {
        int64_t kk = 2 * (k0 + p);
        int32_t lo = ld8(arow, sgn, kk) - azp[i], hi = kk + 1 < s->K ? ld8(arow, sgn, kk + 1) - azp[i] : 0;
        ap[i * IMM_KC + p] = (int32_t)(((uint32_t)(uint16_t)(int16_t)hi << 16) | (uint16_t)(int16_t)lo);
      }
    }
    s->isa->uk(ap, kc, bp + k0 * nr * 2, acc);
  }
  imm_store(s, acc, row0, mr, n0, nc);
}

static roof_status native_imm(roof_kernel* k, roof_error* err) {
  imm_state s = {.k = k, .r = mm_roles_of(k->op), .bp = k->state ? k->state : k->scratch};
  imm_geometry(k, &s);
  out_range(k, s.r->ys, s.r->yz, &s.lo, &s.hi);
  if (k->state == NULL) pthreadpool_parallelize_2d(k->pool, imm_pack_task, &s, (size_t)s.batch, (size_t)s.panels, ROOF_POOL_FLAGS);
  pthreadpool_parallelize_3d(k->pool, imm_task, &s, (size_t)s.batch, (size_t)((s.M + IMM_MR - 1) / IMM_MR), (size_t)s.panels, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_MatMulInteger = {
    .id = ROOF_OP_MatMulInteger, .op_type = "MatMulInteger", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_PLAIN, .params_size = sizeof(quant_params), .infer = infer_int_mm, .cost = cost_int_mm,
    .describe = describe_int_mm,
};
const roof_op_schema roof_op_QLinearMatMul = {
    .id = ROOF_OP_QLinearMatMul, .op_type = "QLinearMatMul", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_PLAIN, .params_size = sizeof(quant_params), .infer = infer_int_mm, .cost = cost_int_mm,
    .describe = describe_int_mm,
};
const roof_kernel_impl roof_kernel_MatMulInteger_native = {
    .op = ROOF_OP_MatMulInteger, .backend = ROOF_BACKEND_NATIVE, .dtypes = kInt8Dt, .supports = supports_imm,
    .create = create_imm, .run = native_imm, .destroy = destroy_imm, .scratch_bytes = scratch_imm};
const roof_kernel_impl roof_kernel_QLinearMatMul_native = {
    .op = ROOF_OP_QLinearMatMul, .backend = ROOF_BACKEND_NATIVE, .dtypes = kInt8Dt, .supports = supports_imm,
    .create = create_imm, .run = native_imm, .destroy = destroy_imm, .scratch_bytes = scratch_imm};
ROOF_REF_KERNEL(MatMulInteger, NULL, ref_int_mm);
ROOF_REF_KERNEL(QLinearMatMul, NULL, ref_int_mm);

/* ---- integer convolutions: ConvInteger (int32 out), QLinearConv (requantized) ---- */

static const mm_roles kConvInteger = {0, 1, -1, 2, -1, 3, -1, -1};
static const mm_roles kQLinearConv = {0, 3, 1, 2, 4, 5, 6, 7}; /* bias: input 8 */

static const mm_roles* conv_roles_of(const roof_op_schema* op) {
  return op->id == ROOF_OP_ConvInteger ? &kConvInteger : &kQLinearConv;
}

static roof_status parse_int_conv(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  quant_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "group", 1, &p->group, err);
  if (st != ROOF_OK) return st;
  if (p->group < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'group': value %lld must be >= 1", (long long)p->group);
  return ROOF_OK;
}

static roof_status infer_int_conv(roof_graph* g, roof_node* n, roof_error* err) {
  quant_params* p = n->params;
  const mm_roles* r = conv_roles_of(n->op);
  bool q = r->ys >= 0;
  roof_status st = q ? arity(g, n, 8, 9, 1, err) : arity(g, n, 2, 4, 1, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, r->a, kInt8Dt, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, r->b, kInt8Dt, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, r->a), *w = roof_in(g, n, r->b);
  char xs[64], ws[64], b[ROOF_NAME_BUF];
  if (x->rank < 3 || x->rank > 5 || w->rank != x->rank) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "input %s and weight %s must both have rank 3 to 5",
                          roof_shape_str(x->dims, x->rank, xs, 64), roof_shape_str(w->dims, w->rank, ws, 64));
  }
  st = roof_spatial_parse(g, n, x->rank - 2, &p->sp, err);
  if (st != ROOF_OK) return st;
  for (int i = 0; i < p->sp.nsp; i++) {
    if (w->dims[i + 2] < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "weight %s has an empty kernel", roof_shape_str(w->dims, w->rank, ws, 64));
    if (p->sp.kernel[i] == 0) p->sp.kernel[i] = w->dims[i + 2];
    if (p->sp.kernel[i] != w->dims[i + 2]) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "kernel_shape does not match weight %s", roof_shape_str(w->dims, w->rank, ws, 64));
    }
  }
  int64_t M = w->dims[0];
  if (x->dims[1] % p->group != 0 || w->dims[1] * p->group != x->dims[1] || M % p->group != 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "group %lld does not fit input %s and weight %s", (long long)p->group,
                          roof_shape_str(x->dims, x->rank, xs, 64), roof_shape_str(w->dims, w->rank, ws, 64));
  }
  st = check_zp(g, n, r->az, x->dtype, "the input", err);
  if (st == ROOF_OK) st = check_zp(g, n, r->bz, w->dtype, "the weight", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, r->az, 1, "the input zero point", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, r->bz, M, "the weight zero point (per output channel)", err);
  if (st == ROOF_OK && q) {
    for (int i = 0; i < 3 && st == ROOF_OK; i++) st = check_scale(g, n, (int[]){r->as, r->bs, r->ys}[i], err);
    if (st == ROOF_OK) st = roof_require_input(g, n, r->yz, kInt8Dt, err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->as, 1, "the input scale", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->bs, M, "the weight scale (per output channel)", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->ys, 1, "the output scale", err);
    if (st == ROOF_OK) st = check_vec_param(g, n, r->yz, 1, "the output zero point", err);
    const roof_value* bias = roof_in(g, n, 8);
    if (st == ROOF_OK && bias && (bias->rank != 1 || bias->dims[0] != M || bias->dtype != ROOF_DT_INT32)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': bias must be an int32 vector of %lld elements",
                            ROOF_SAFE(bias->name, b), (long long)M);
    }
  }
  if (st != ROOF_OK) return st;
  int64_t dims[ROOF_MAX_RANK] = {x->dims[0], M};
  st = roof_spatial_infer(g, n, &p->sp, x->dims + 2, dims + 2, err);
  if (st == ROOF_OK) roof_value_set_shape(roof_out(g, n, 0), q ? roof_in(g, n, r->yz)->dtype : ROOF_DT_INT32, x->rank, dims);
  return st;
}

/* macs = N * C_out * prod(out spatial) * (C_in / group) * prod(kernel) */
static void cost_int_conv(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const quant_params* p = n->params;
  const roof_value* w = roof_in(g, n, conv_roles_of(n->op)->b);
  uint64_t out = 0, wc = 0;
  roof_value_count(roof_out(g, n, 0), &out);
  roof_value_count(w, &wc);
  c->macs = out * (w->dims[0] ? wc / (uint64_t)w->dims[0] : 0);
  c->flops = 2 * c->macs;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = p->sp.nsp == 2 ? "conv2d" : "convnd";
  c->has_model = true;
}

static int describe_int_conv(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const quant_params* p = n->params;
  const mm_roles* r = conv_roles_of(n->op);
  const roof_value *x = roof_in(g, n, r->a), *w = roof_in(g, n, r->b);
  const roof_spatial* s = &p->sp;
  if (s->nsp != 2) return snprintf(buf, size, "%dd g%lld %sx%s", s->nsp, (long long)p->group, dt_short(x->dtype), dt_short(w->dtype));
  return snprintf(buf, size, "k%lldx%lld s%lld p%lld g%lld%s %sx%s", (long long)s->kernel[0], (long long)s->kernel[1],
                  (long long)s->strides[0], (long long)s->pads[0], (long long)p->group, s->dilations[0] > 1 ? " dil" : "",
                  dt_short(x->dtype), dt_short(w->dtype));
}

/* Reference: direct convolution over logical indices, int32 sums, then the output stage. */
static roof_status ref_int_conv(roof_kernel* k, roof_error* err) {
  const quant_params* p = k->params;
  const mm_roles* r = conv_roles_of(k->op);
  const roof_tensor *x = &k->in[r->a], *w = &k->in[r->b];
  const roof_tensor* bias = r->ys >= 0 && opt_present(k, 8) ? &k->in[8] : NULL;
  roof_tensor* y = &k->out[0];
  int nsp = p->sp.nsp;
  int64_t cin_g = w->dims[1], cout_g = y->dims[1] / p->group, lo, hi, yi[ROOF_MAX_RANK] = {0};
  int64_t xzp = (int64_t)vec_param(k, r->az, 0, 0.0);
  if (r->ys >= 0) out_range(k, r->ys, r->yz, &lo, &hi);
  else dt_range(y->dtype, &lo, &hi);
  do {
    int64_t m = yi[1], grp = m / cout_g, wzp = (int64_t)vec_param(k, r->bz, m, 0.0);
    uint32_t acc = bias ? (uint32_t)((const int32_t*)bias->data)[m * bias->strides[0]] : 0;
    int64_t ki[3] = {0, 0, 0}, kdims[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) kdims[i] = w->dims[i + 2];
    do {
      int64_t xi[ROOF_MAX_RANK] = {yi[0], 0}, wi[ROOF_MAX_RANK] = {m, 0};
      bool inside = true;
      for (int i = 0; i < nsp && inside; i++) {
        xi[i + 2] = yi[i + 2] * p->sp.strides[i] - p->sp.pads[i] + ki[i] * p->sp.dilations[i];
        inside = xi[i + 2] >= 0 && xi[i + 2] < x->dims[i + 2];
        wi[i + 2] = ki[i];
      }
      if (!inside) continue; /* padding holds the zero point: (zp - zp) adds nothing */
      for (int64_t c = 0; c < cin_g; c++) {
        xi[1] = grp * cin_g + c;
        wi[1] = c;
        int64_t xv = roof_load_i64(x->dtype, x->data, roof_offset(x, xi)) - xzp;
        int64_t wv = roof_load_i64(w->dtype, w->data, roof_offset(w, wi)) - wzp;
        acc += (uint32_t)(xv * wv);
      }
    } while (roof_index_next(ki, kdims, nsp));
    store_out(k, r, y, roof_offset(y, yi), (int32_t)acc, 0, m, lo, hi);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- QLinearConv on XNNPACK (1-D and 2-D, constant weights and parameters) ----
 * XNNPACK convolves NHWC int8 (qs8: weight zero point 0, one weight scale; qc8: a scale per
 * output channel) or uint8 (qu8: one weight zero point and scale). A uint8 tensor with zero point
 * z is the int8 tensor (v ^ 0x80) with zero point z - 128, so any mix of input, weight and output
 * types maps to one of the three: weights are flipped when packed, activations on their way in
 * and out. The layout pass hands 2-D QLinearConv NHWC tensors (roof_layout_rule NHWC, as Conv):
 * XNNPACK then reads and writes them in place, and only a flipped input is copied (to scratch,
 * the output is flipped where it lies). Plain tensors (1-D convolutions, op tests on plain
 * views) are transposed to NHWC in scratch and back, flipped on the way. */

typedef struct qconv_state {
  int kind;                 /* QC_* */
  uint8_t x_flip, y_flip;   /* 0x80: the tensor's bytes change signedness on the way */
  bool nhwc;                /* input and output NHWC: no transposes */
  size_t x_bytes;           /* input copy in scratch (0: none); the output copy follows, 64-byte aligned */
  size_t y_bytes;           /* output copy in scratch (0: none) */
  int64_t N, C, H, W, M, OH, OW;
} qconv_state;

enum { QC_QS8, QC_QC8, QC_QU8 };

static bool const_input(const roof_kernel* k, int i) {
  const roof_value* v = roof_in(k->g, k->node, i);
  return v == NULL || (roof_value_has_data(v) && (v->flags & ROOF_VAL_CONST));
}

/* The signed-path weight zero point of channel m (0 means qs8 / qc8 fit) */
static int32_t wzp_signed(const roof_kernel* k, int64_t m) {
  int32_t z = (int32_t)vec_param(k, 5, m, 0.0);
  return k->in[3].dtype == ROOF_DT_UINT8 ? z - 128 : z;
}

/* Which XNNPACK operator fits, or -1 with the reason. */
static int qconv_kind(const roof_kernel* k, const char** why) {
  int64_t M = k->in[3].dims[0];
  bool zero = true, same = true;
  for (int64_t m = 0; m < M; m++) {
    zero &= wzp_signed(k, m) == 0;
    same &= vec_param(k, 5, m, 0.0) == vec_param(k, 5, 0, 0.0) && vec_param(k, 4, m, 1.0) == vec_param(k, 4, 0, 1.0);
  }
  for (int i = 0; i < 3; i++) {
    int in = (int[]){1, 4, 6}[i];
    uint64_t cnt = roof_tensor_count(&k->in[in]);
    for (uint64_t j = 0; j < cnt; j++) {
      float s = (float)roof_load_f64(k->in[in].dtype, k->in[in].data, (int64_t)j);
      if (!isnormal(s) || s <= 0.0f) {
        *why = "a scale is not a positive normal float";
        return -1;
      }
    }
  }
  if (zero) return same ? QC_QS8 : QC_QC8;
  if (same) return QC_QU8;
  *why = "per-channel weight zero points";
  return -1;
}

static bool supports_qconv_xnn(const roof_kernel* k, char* why, size_t n) {
  const quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool plain = roof_tensor_is_plain(x) && roof_tensor_is_plain(y), nhwc = roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y);
  const char* no = p->sp.nsp > 2 ? "XNNPACK convolves 1-D and 2-D only"
                   : !plain && !nhwc ? "input and output neither both plain nor both NHWC"
                   : NULL;
  for (int i = 1; no == NULL && i < k->num_in; i++) {
    if (i != 0 && !const_input(k, i)) no = "weights, scales, zero points or bias not constant";
  }
  if (no == NULL) qconv_kind(k, &no);
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

double roof_qparam(const roof_kernel* k, int i, int64_t j, double def) { return vec_param(k, i, j, def); }

void roof_qconv_out_range(const roof_kernel* k, int64_t* lo, int64_t* hi) { out_range(k, 6, 7, lo, hi); }

bool roof_qconv_signed_consts(const roof_kernel* k, const char** why) {
  for (int i = 1; i < k->num_in; i++) {
    if (!const_input(k, i)) {
      *why = "weights, scales, zero points or bias not constant";
      return false;
    }
  }
  int kind = qconv_kind(k, why);
  if (kind == QC_QU8) *why = "weight zero point not 0 on the signed side";
  return kind == QC_QS8 || kind == QC_QC8;
}

/* Which copies the run makes: the input unless it is NHWC of the operator's signedness, the
 * output unless it is NHWC (a signedness flip of an NHWC output happens in place). */
static bool qconv_nhwc(const roof_kernel* k) { return roof_tensor_is_nhwc(&k->in[0]) && roof_tensor_is_nhwc(&k->out[0]); }

static void qconv_copies(const roof_kernel* k, int kind, size_t* x_bytes, size_t* y_bytes) {
  uint8_t want = kind != QC_QU8 ? ROOF_DT_INT8 : ROOF_DT_UINT8;
  bool nhwc = qconv_nhwc(k);
  uint64_t x = roof_tensor_count(&k->in[0]), y = roof_tensor_count(&k->out[0]);
  *x_bytes = nhwc && k->in[0].dtype == want ? 0 : (size_t)(x + 63) / 64 * 64;
  *y_bytes = nhwc ? 0 : (size_t)y;
}

/* asked after create (the scales may be released by then): create's plan */
static uint64_t scratch_qconv(const roof_kernel* k) {
  const qconv_state* s = k->state;
  return s->x_bytes + s->y_bytes + XNN_EXTRA_BYTES;
}

/* ONNX [M][C/g][kh][kw] -> XNNPACK [M][kh][kw][C/g], bytes flipped by `flip` */
static void qconv_pack(const roof_tensor* w, uint8_t flip, uint8_t* out) {
  int64_t M = w->dims[0], I = w->dims[1], KH = w->rank == 4 ? w->dims[2] : 1, KW = w->dims[w->rank - 1];
  const uint8_t* src = w->data;
  for (int64_t o = 0; o < M; o++)
    for (int64_t i = 0; i < I; i++)
      for (int64_t h = 0; h < KH; h++)
        for (int64_t x = 0; x < KW; x++) out[((o * KH + h) * KW + x) * I + i] = src[((o * I + i) * KH + h) * KW + x] ^ flip;
}

static roof_status create_qconv(roof_kernel* k, roof_error* err) {
  const quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[3], *y = &k->out[0];
  const char* why = NULL;
  int kind = qconv_kind(k, &why);
  bool two = p->sp.nsp == 2;
  int64_t KH = two ? w->dims[2] : 1, KW = w->dims[w->rank - 1];
  qconv_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  *s = (qconv_state){.kind = kind, .N = x->dims[0], .C = x->dims[1], .H = two ? x->dims[2] : 1, .W = x->dims[x->rank - 1],
                     .M = y->dims[1], .OH = two ? y->dims[2] : 1, .OW = y->dims[y->rank - 1]};
  if (!roof_xnn_indirection_ok(k, s->N, s->OH, s->OW, KH, KW)) return roof_kernel_refuse(err, "indirection buffer over the tensor size limit");
  bool sgn = kind != QC_QU8;
  uint8_t want = sgn ? ROOF_DT_INT8 : ROOF_DT_UINT8;
  s->x_flip = x->dtype == want ? 0 : 0x80;
  s->y_flip = y->dtype == want ? 0 : 0x80;
  uint8_t w_flip = w->dtype == want ? 0 : 0x80;
  s->nhwc = qconv_nhwc(k);
  qconv_copies(k, kind, &s->x_bytes, &s->y_bytes);
  int32_t xz = (int32_t)vec_param(k, 2, 0, 0.0) + (s->x_flip ? (sgn ? -128 : 128) : 0);
  int32_t yz = (int32_t)vec_param(k, 7, 0, 0.0) + (s->y_flip ? (sgn ? -128 : 128) : 0);
  int32_t wz = (int32_t)vec_param(k, 5, 0, 0.0) + (w_flip ? (sgn ? -128 : 128) : 0);
  float xs = (float)vec_param(k, 1, 0, 1.0), ys = (float)vec_param(k, 6, 0, 1.0);
  int64_t lo, hi; /* output range (a fused clamp), moved into the operator's signedness as yz */
  out_range(k, 6, 7, &lo, &hi);
  int32_t yshift = s->y_flip ? (sgn ? -128 : 128) : 0;
  uint8_t* packed = malloc((size_t)roof_tensor_count(w));
  float* wscale = malloc(sizeof(float) * (size_t)s->M);
  if (packed == NULL || wscale == NULL) {
    free(packed);
    free(wscale);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  }
  qconv_pack(w, w_flip, packed);
  for (int64_t m = 0; m < s->M; m++) wscale[m] = (float)vec_param(k, 4, m, 1.0);
  const int32_t* bias = opt_present(k, 8) ? k->in[8].data : NULL;
  uint32_t pt = two ? (uint32_t)p->sp.pads[0] : 0, pl = (uint32_t)p->sp.pads[two ? 1 : 0];
  uint32_t pb = two ? (uint32_t)p->sp.pads[2] : 0, pr = (uint32_t)p->sp.pads[two ? 3 : 1];
  uint32_t sh = two ? (uint32_t)p->sp.strides[0] : 1, sw = (uint32_t)p->sp.strides[two ? 1 : 0];
  uint32_t dh = two ? (uint32_t)p->sp.dilations[0] : 1, dw = (uint32_t)p->sp.dilations[two ? 1 : 0];
  size_t G = (size_t)p->group, gi = (size_t)w->dims[1], go = (size_t)s->M / G;
  xnn_operator_t op = NULL;
  enum xnn_status st;
  if (kind == QC_QU8) {
    st = xnn_create_convolution2d_nhwc_qu8(pt, pr, pb, pl, (uint32_t)KH, (uint32_t)KW, sh, sw, dh, dw, (uint32_t)G, gi, go,
                                           (size_t)s->C, (size_t)s->M, (uint8_t)xz, xs, (uint8_t)wz, wscale[0], packed,
                                           bias, (uint8_t)yz, ys, (uint8_t)(lo + yshift), (uint8_t)(hi + yshift), 0, &op);
  } else if (kind == QC_QS8) {
    st = xnn_create_convolution2d_nhwc_qs8(pt, pr, pb, pl, (uint32_t)KH, (uint32_t)KW, sh, sw, dh, dw, (uint32_t)G, gi, go,
                                           (size_t)s->C, (size_t)s->M, (int8_t)xz, xs, wscale[0], (const int8_t*)packed,
                                           bias, (int8_t)yz, ys, (int8_t)(lo + yshift), (int8_t)(hi + yshift), 0, &op);
  } else {
    st = xnn_create_convolution2d_nhwc_qc8(pt, pr, pb, pl, (uint32_t)KH, (uint32_t)KW, sh, sw, dh, dw, (uint32_t)G, gi, go,
                                           (size_t)s->C, (size_t)s->M, (int8_t)xz, xs, wscale, (const int8_t*)packed,
                                           bias, (int8_t)yz, ys, (int8_t)(lo + yshift), (int8_t)(hi + yshift), 0, &op);
  }
  free(packed); /* XNNPACK keeps its own packed copy */
  free(wscale);
  return roof_xnn_created(st, op, k, kind == QC_QU8 ? "create convolution qu8" : kind == QC_QS8 ? "create convolution qs8" : "create convolution qc8", err);
}

static roof_status setup_qconv(roof_kernel* k, roof_error* err) {
  const qconv_state* s = k->state;
  uint8_t* xb = s->x_bytes ? k->scratch : k->in[0].data;
  uint8_t* yb = s->y_bytes ? (uint8_t*)k->scratch + s->x_bytes : k->out[0].data;
  enum xnn_status st;
  if (s->kind == QC_QU8) st = xnn_setup_convolution2d_nhwc_qu8(roof_xop(k), (size_t)s->N, (size_t)s->H, (size_t)s->W, xb, yb, k->pool);
  else if (s->kind == QC_QS8) st = xnn_setup_convolution2d_nhwc_qs8(roof_xop(k), (size_t)s->N, (size_t)s->H, (size_t)s->W, (const int8_t*)xb, (int8_t*)yb, k->pool);
  else st = xnn_setup_convolution2d_nhwc_qc8(roof_xop(k), (size_t)s->N, (size_t)s->H, (size_t)s->W, (const int8_t*)xb, (int8_t*)yb, k->pool);
  return roof_xnn_check(st, k, "setup convolution", err);
}

typedef struct qconv_copy {
  const qconv_state* s;
  const uint8_t* src;
  uint8_t* dst;
  uint8_t flip; /* qconv_flip_tile's */
} qconv_copy;

/* NCHW -> NHWC, one (n, h) row of pixels per task */
static void qconv_in_row(void* ctx, size_t row) {
  const qconv_copy* t = ctx;
  const qconv_state* s = t->s;
  int64_t n = (int64_t)row / s->H, h = (int64_t)row % s->H;
  uint8_t* dst = t->dst + (size_t)row * (size_t)(s->W * s->C);
  for (int64_t c = 0; c < s->C; c++) {
    const uint8_t* src = t->src + ((n * s->C + c) * s->H + h) * s->W;
    for (int64_t x = 0; x < s->W; x++) dst[x * s->C + c] = src[x] ^ s->x_flip;
  }
}

/* NHWC -> NCHW, one (n, m) output plane per task */
static void qconv_out_plane(void* ctx, size_t plane) {
  const qconv_copy* t = ctx;
  const qconv_state* s = t->s;
  int64_t n = (int64_t)plane / s->M, m = (int64_t)plane % s->M, P = s->OH * s->OW;
  const uint8_t* src = t->src + n * P * s->M + m;
  uint8_t* dst = t->dst + (size_t)plane * (size_t)P;
  for (int64_t i = 0; i < P; i++) dst[i] = src[i * s->M] ^ s->y_flip;
}

/* NHWC -> NHWC with the signedness flipped, a tile of bytes per task (in place allowed) */
static void qconv_flip_tile(void* ctx, size_t start, size_t len) {
  const qconv_copy* t = ctx;
  for (size_t i = start; i < start + len; i++) t->dst[i] = t->src[i] ^ t->flip;
}

static roof_status run_qconv(roof_kernel* k, roof_error* err) {
  const qconv_state* s = k->state;
  uint8_t* xb = k->scratch;
  qconv_copy in = {s, k->in[0].data, xb, s->x_flip}, out = {s, xb + s->x_bytes, k->out[0].data, s->y_flip};
  /* copies under 64 KiB run on the calling thread: waking the pool costs more */
  pthreadpool_t copy_pool = s->x_bytes < (64u << 10) ? NULL : k->pool;
  if (s->x_bytes && s->nhwc) {
    pthreadpool_parallelize_1d_tile_1d(copy_pool, qconv_flip_tile, &in, (size_t)roof_tensor_count(&k->in[0]), 16384, ROOF_POOL_FLAGS);
  } else if (s->x_bytes) {
    pthreadpool_parallelize_1d(copy_pool, qconv_in_row, &in, (size_t)(s->N * s->H), ROOF_POOL_FLAGS);
  }
  roof_status st = roof_xnn_check(xnn_run_operator(roof_xop(k), k->pool), k, "run convolution", err);
  size_t ycount = (size_t)(s->N * s->M * s->OH * s->OW);
  copy_pool = ycount < (64 << 10) ? NULL : k->pool;
  if (st != ROOF_OK) return st;
  if (s->y_bytes) {
    pthreadpool_parallelize_1d(copy_pool, qconv_out_plane, &out, (size_t)(s->N * s->M), ROOF_POOL_FLAGS);
  } else if (s->y_flip) {
    out.src = out.dst;
    pthreadpool_parallelize_1d_tile_1d(copy_pool, qconv_flip_tile, &out, ycount, 16384, ROOF_POOL_FLAGS);
  }
  return st;
}

/* ---- native ConvInteger (1-D and 2-D): the input minus its zero point, padded, as int16 planes
 * in scratch; a task per (image, output channel) adds each tap's weight times a shifted window
 * of its input plane to the int32 output plane (rows vectorize over the output width). ---- */

typedef struct iconv_state {
  const roof_kernel* k;
  int64_t N, C, H, W, M, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, HP, WP, cin_g, cout_g;
  int16_t* xp; /* [N][C][HP][WP] */
} iconv_state;

static void iconv_geometry(const roof_kernel* k, iconv_state* s) {
  const quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  bool two = p->sp.nsp == 2;
  *s = (iconv_state){.k = k, .N = x->dims[0], .C = x->dims[1], .H = two ? x->dims[2] : 1, .W = x->dims[x->rank - 1],
                     .M = y->dims[1], .OH = two ? y->dims[2] : 1, .OW = y->dims[y->rank - 1], .KH = two ? w->dims[2] : 1,
                     .KW = w->dims[w->rank - 1], .sh = two ? p->sp.strides[0] : 1, .sw = p->sp.strides[two ? 1 : 0],
                     .dh = two ? p->sp.dilations[0] : 1, .dw = p->sp.dilations[two ? 1 : 0], .pt = two ? p->sp.pads[0] : 0,
                     .pl = p->sp.pads[two ? 1 : 0], .cin_g = w->dims[1], .cout_g = y->dims[1] / p->group};
  /* rows and columns the windows reach (at least the input's) */
  s->HP = (s->OH - 1) * s->sh + (s->KH - 1) * s->dh + 1;
  s->WP = (s->OW - 1) * s->sw + (s->KW - 1) * s->dw + 1;
  if (s->HP < s->pt + s->H) s->HP = s->pt + s->H;
  if (s->WP < s->pl + s->W) s->WP = s->pl + s->W;
}

static bool supports_iconv(const roof_kernel* k, char* why, size_t n) {
  const quant_params* p = k->params;
  const char* no = p->sp.nsp > 2 ? "3-D convolution"
                   : !roof_tensor_is_plain(&k->in[0]) || !roof_tensor_is_plain(&k->in[1]) || !roof_tensor_is_plain(&k->out[0]) ? "operands not plain"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static uint64_t scratch_iconv(const roof_kernel* k) {
  iconv_state s;
  iconv_geometry(k, &s);
  return (uint64_t)(s.N * s.C) * (uint64_t)(s.HP * s.WP) * sizeof(int16_t);
}

/* plane (n, c) of x - x_zp, zeros around */
static void iconv_pad_plane(void* ctx, size_t plane) {
  const iconv_state* s = ctx;
  const roof_tensor* x = &s->k->in[0];
  bool sgn = x->dtype == ROOF_DT_INT8;
  int32_t zp = (int32_t)vec_param(s->k, 2, 0, 0.0);
  int16_t* dst = s->xp + (int64_t)plane * s->HP * s->WP;
  const char* src = (const char*)x->data + (int64_t)plane * s->H * s->W;
  memset(dst, 0, sizeof(int16_t) * (size_t)(s->HP * s->WP));
  for (int64_t h = 0; h < s->H; h++)
    for (int64_t w = 0; w < s->W; w++) dst[(h + s->pt) * s->WP + w + s->pl] = (int16_t)(ld8(src, sgn, h * s->W + w) - zp);
}

/* y[oh][ow] += wv * x[oh * sh][ow * sw] over an output plane, x at the tap's offset */
ROOF_VEC_CLONES static void iconv_tap(const iconv_state* s, int32_t wv, const int16_t* x, uint32_t* y) {
  for (int64_t oh = 0; oh < s->OH; oh++) {
    const int16_t* xr = x + oh * s->sh * s->WP;
    uint32_t* yr = y + oh * s->OW;
    if (s->sw == 1) {
      for (int64_t ow = 0; ow < s->OW; ow++) yr[ow] += (uint32_t)(wv * (int32_t)xr[ow]);
    } else {
      for (int64_t ow = 0; ow < s->OW; ow++) yr[ow] += (uint32_t)(wv * (int32_t)xr[ow * s->sw]);
    }
  }
}

static void iconv_plane(void* ctx, size_t plane) {
  const iconv_state* s = ctx;
  const roof_tensor* w = &s->k->in[1];
  bool sgn = w->dtype == ROOF_DT_INT8;
  int64_t n = (int64_t)plane / s->M, m = (int64_t)plane % s->M, grp = m / s->cout_g;
  int32_t zp = (int32_t)vec_param(s->k, 3, m, 0.0);
  uint32_t* y = (uint32_t*)s->k->out[0].data + (int64_t)plane * s->OH * s->OW;
  memset(y, 0, sizeof(uint32_t) * (size_t)(s->OH * s->OW));
  for (int64_t c = 0; c < s->cin_g; c++) {
    const int16_t* xplane = s->xp + (n * s->C + grp * s->cin_g + c) * s->HP * s->WP;
    for (int64_t kh = 0; kh < s->KH; kh++)
      for (int64_t kw = 0; kw < s->KW; kw++) {
        int32_t wv = ld8(w->data, sgn, ((m * s->cin_g + c) * s->KH + kh) * s->KW + kw) - zp;
        if (wv != 0) iconv_tap(s, wv, xplane + kh * s->dh * s->WP + kw * s->dw, y);
      }
  }
}

static roof_status native_iconv(roof_kernel* k, roof_error* err) {
  iconv_state s;
  iconv_geometry(k, &s);
  s.xp = k->scratch;
  pthreadpool_parallelize_1d(k->pool, iconv_pad_plane, &s, (size_t)(s.N * s.C), ROOF_POOL_FLAGS);
  pthreadpool_parallelize_1d(k->pool, iconv_plane, &s, (size_t)(s.N * s.M), ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_ConvInteger = {
    .id = ROOF_OP_ConvInteger, .op_type = "ConvInteger", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_PLAIN, .params_size = sizeof(quant_params), .parse = parse_int_conv, .infer = infer_int_conv,
    .cost = cost_int_conv, .describe = describe_int_conv,
};
const roof_op_schema roof_op_QLinearConv = {
    .id = ROOF_OP_QLinearConv, .op_type = "QLinearConv", .domain = "", .since_version = 10, .until_version = 1000,
    .flags = ROOF_OPF_PACKS_CONSTS, .layout = ROOF_LR_NHWC, .params_size = sizeof(quant_params),
    .parse = parse_int_conv, .infer = infer_int_conv, .cost = cost_int_conv, .describe = describe_int_conv,
};
const roof_kernel_impl roof_kernel_QLinearConv_xnnpack = {
    .op = ROOF_OP_QLinearConv, .backend = ROOF_BACKEND_XNNPACK, .dtypes = kInt8Dt, .supports = supports_qconv_xnn,
    .create = create_qconv, .setup = setup_qconv, .run = run_qconv, .destroy = roof_xnn_destroy, .packs_consts = true,
    .input_padding = ROOF_XNN_PADDING, .scratch_bytes = scratch_qconv};
const roof_kernel_impl roof_kernel_ConvInteger_native = {
    .op = ROOF_OP_ConvInteger, .backend = ROOF_BACKEND_NATIVE, .dtypes = kInt8Dt, .supports = supports_iconv,
    .run = native_iconv, .scratch_bytes = scratch_iconv};
ROOF_REF_KERNEL(ConvInteger, NULL, ref_int_conv);
ROOF_REF_KERNEL(QLinearConv, NULL, ref_int_conv);

/* ---- com.microsoft QOperator layers (ONNX Runtime's quantizer writes them): QLinearAdd,
 * QLinearMul (numpy broadcasting), QLinearSigmoid, QLinearLeakyRelu (alpha), QLinearGlobalAveragePool
 * (channels_last). The references dequantize their inputs to float32, compute, and quantize the
 * result (ties to even, saturated), as ONNX Runtime's float definitions; QLinearAdd and
 * QLinearGlobalAveragePool also have XNNPACK entries (below). ---- */

typedef roof_qlinear_ms_params ms_params;

enum { MS_ADD, MS_MUL, MS_SIGMOID, MS_LEAKY, MS_SWISH, MS_GAP };

static int ms_kind(const roof_op_schema* op) {
  switch (op->id) {
    case ROOF_OP_QLinearAdd: return MS_ADD;
    case ROOF_OP_QLinearMul: return MS_MUL;
    case ROOF_OP_QLinearSigmoid: return MS_SIGMOID;
    case ROOF_OP_QLinearLeakyRelu: return MS_LEAKY;
    case ROOF_OP_QLinearSwish: return MS_SWISH;
    default: return MS_GAP;
  }
}

static roof_status parse_ms(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  ms_params* p = params;
  roof_status st = roof_attr_get_float(g, n, "alpha", 0.01f, &p->alpha, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "channels_last", 0, &p->channels_last, err);
  return st;
}

/* A quantized operand (x, scale, optional zero point) at inputs i, i+1, i+2: int8 / uint8, a
 * per-tensor float scale, a zero point of x's dtype. */
static roof_status check_qoperand(roof_graph* g, roof_node* n, int i, bool zp_required, roof_error* err) {
  roof_status st = roof_require_input(g, n, i, kInt8Dt, err);
  if (st == ROOF_OK) st = check_scale(g, n, i + 1, err);
  if (st == ROOF_OK && zp_required && roof_in(g, n, i + 2) == NULL) st = roof_node_fail(err, ROOF_E_DATA, g, n, "input %d (zero point) is required", i + 2);
  if (st == ROOF_OK) st = check_zp(g, n, i + 2, roof_in(g, n, i)->dtype, "its tensor", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, i + 1, 1, "the scale (per tensor)", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, i + 2, 1, "the zero point (per tensor)", err);
  return st;
}

/* The output's scale at input i, zero point at i + 1 (optional: then x's dtype) */
static roof_status check_qout(roof_graph* g, roof_node* n, int i, int xdt, int* ydt, roof_error* err) {
  roof_status st = check_scale(g, n, i, err);
  const roof_value* z = roof_in(g, n, i + 1);
  *ydt = z ? z->dtype : xdt;
  if (st == ROOF_OK && !dt_in(*ydt, kInt8Dt)) st = roof_require_input(g, n, i + 1, kInt8Dt, err);
  if (st == ROOF_OK) st = check_vec_param(g, n, i, 1, "the output scale (per tensor)", err);
  if (st == ROOF_OK) st = check_vec_param(g, n, i + 1, 1, "the output zero point (per tensor)", err);
  return st;
}

static roof_status infer_ms(roof_graph* g, roof_node* n, roof_error* err) {
  const ms_params* p = n->params;
  int kind = ms_kind(n->op), ydt = 0;
  bool binary = kind == MS_ADD || kind == MS_MUL;
  bool swish = kind == MS_SWISH; /* X, X_scale, X_zp, S_scale, S_zp, Y_scale, Y_zp: all given */
  roof_status st = binary ? arity(g, n, 7, 8, 1, err) : swish ? arity(g, n, 7, 7, 1, err) : arity(g, n, 4, 5, 1, err);
  if (st == ROOF_OK) st = check_qoperand(g, n, 0, kind == MS_GAP || swish, err);
  if (st == ROOF_OK && binary) st = check_qoperand(g, n, 3, false, err);
  int sdt = 0; /* the gate's 8-bit type */
  if (st == ROOF_OK && swish) st = check_qout(g, n, 3, roof_in(g, n, 0)->dtype, &sdt, err);
  if (st == ROOF_OK) st = check_qout(g, n, binary || swish ? (swish ? 5 : 6) : 3, roof_in(g, n, 0)->dtype, &ydt, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int64_t dims[ROOF_MAX_RANK];
  int rank = x->rank;
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)rank);
  if (binary) {
    const roof_value* b = roof_in(g, n, 3);
    st = roof_broadcast_shape(g, n, x->dims, x->rank, b->dims, b->rank, dims, &rank, err);
  } else if (kind == MS_GAP) {
    if (rank < 3) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must have rank >= 3, not %d", rank);
    for (int d = 0; d < rank; d++) {
      bool spatial = p->channels_last ? (d >= 1 && d < rank - 1) : d >= 2;
      if (spatial && dims[d] == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "spatial dim %d is empty: no mean to take", d);
      if (spatial) dims[d] = 1;
    }
  }
  if (st == ROOF_OK) roof_value_set_shape(roof_out(g, n, 0), ydt, rank, dims);
  return st;
}

static void cost_ms(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  if (ms_kind(n->op) == MS_SWISH) c->flops *= 2; /* a sigmoid and a product per element */
  if (ms_kind(n->op) == MS_GAP) roof_value_count(roof_in(g, n, 0), &c->flops);
  c->formula = ms_kind(n->op) == MS_GAP ? "reduce" : "eltwise";
}

static int describe_ms(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_value *x = roof_in(g, n, 0), *y = roof_out(g, n, 0);
  return snprintf(buf, size, "%s->%s", x ? dt_short(x->dtype) : "?", y ? dt_short(y->dtype) : "?");
}

/* The float value of operand element `off` (inputs i, i+1, i+2) */
static inline float ms_deq(const roof_kernel* k, const roof_tensor* t, int i, int64_t off) {
  float s = (float)vec_param(k, i + 1, 0, 1.0), z = (float)vec_param(k, i + 2, 0, 0.0);
  return ((float)roof_load_i64(t->dtype, t->data, off) - z) * s;
}

/* v quantized with scale input i and zero point i + 1 to the output, a fused clamp first */
static inline int64_t ms_quantize(const roof_kernel* k, int i, float v) {
  const ms_params* p = k->params;
  if (p->clamp) v = roof_act_apply(&p->act, v); /* a Relu / Clip the qdq pass fused */
  int64_t lo, hi;
  dt_range(k->out[0].dtype, &lo, &hi);
  float s = (float)vec_param(k, i, 0, 1.0);
  return quant_round(v / s, (int64_t)vec_param(k, i + 1, 0, 0.0), lo, hi);
}

/* QLinearSwish: x * sigmoid(x) with the sigmoid quantized to the gate's scale and zero point
 * (inputs 3, 4) and read back, as the QDQ graph it stands for computes it; then the output's */
static inline int64_t ms_swish(const roof_kernel* k, float v) {
  int64_t lo, hi;
  dt_range(k->in[4].dtype, &lo, &hi);
  float ss = (float)vec_param(k, 3, 0, 1.0), sz = (float)vec_param(k, 4, 0, 0.0);
  int64_t sq = quant_round(1.0f / (1.0f + expf(-v)) / ss, (int64_t)sz, lo, hi);
  return ms_quantize(k, 5, v * (((float)sq - sz) * ss));
}

static inline void ms_store(const roof_kernel* k, int i, int64_t off, float v) {
  roof_tensor* y = &k->out[0];
  roof_store_i64(y->dtype, y->data, off, ms_quantize(k, i, v));
}

/* QLinearSigmoid / QLinearLeakyRelu on a dequantized value */
static inline float ms_unary(const roof_kernel* k, float v) {
  const ms_params* p = k->params;
  return ms_kind(k->op) == MS_SIGMOID ? 1.0f / (1.0f + expf(-v)) : v >= 0.0f ? v : v * p->alpha;
}

static roof_status ref_ms(roof_kernel* k, roof_error* err) {
  const ms_params* p = k->params;
  int kind = ms_kind(k->op);
  roof_tensor* y = &k->out[0];
  int64_t i[ROOF_MAX_RANK] = {0};
  if (kind == MS_GAP) {
    const roof_tensor* x = &k->in[0];
    int cax = p->channels_last ? x->rank - 1 : 1;
    int64_t area = (int64_t)(roof_tensor_count(x) / (uint64_t)(x->dims[0] * x->dims[cax]));
    if (area == 0) return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "the pooled area is empty: no mean to take");
    do { /* i over y: [N, C, 1...] or [N, 1..., C] */
      double sum = 0.0;
      int64_t j[ROOF_MAX_RANK];
      memcpy(j, i, sizeof(j));
      int64_t sdims[ROOF_MAX_RANK];
      for (int d = 0; d < x->rank; d++) sdims[d] = (d == 0 || d == cax) ? 1 : x->dims[d];
      int64_t si[ROOF_MAX_RANK] = {0};
      do {
        for (int d = 0; d < x->rank; d++)
          if (d != 0 && d != cax) j[d] = si[d];
        sum += ms_deq(k, x, 0, roof_offset(x, j));
      } while (roof_index_next(si, sdims, x->rank));
      ms_store(k, 3, roof_offset(y, i), (float)(sum / (double)area));
    } while (roof_index_next(i, y->dims, y->rank));
    return ROOF_OK;
  }
  if (kind == MS_ADD || kind == MS_MUL) {
    roof_tensor a, b;
    roof_broadcast_view(&k->in[0], y->rank, y->dims, &a);
    roof_broadcast_view(&k->in[3], y->rank, y->dims, &b);
    do {
      float va = ms_deq(k, &a, 0, roof_offset(&a, i)), vb = ms_deq(k, &b, 3, roof_offset(&b, i));
      ms_store(k, 6, roof_offset(y, i), kind == MS_ADD ? va + vb : va * vb);
    } while (roof_index_next(i, y->dims, y->rank));
    return ROOF_OK;
  }
  const roof_tensor* x = &k->in[0];
  if (kind == MS_SWISH) {
    do {
      roof_store_i64(y->dtype, y->data, roof_offset(y, i), ms_swish(k, ms_deq(k, x, 0, roof_offset(x, i))));
    } while (roof_index_next(i, y->dims, y->rank));
    return ROOF_OK;
  }
  do {
    ms_store(k, 3, roof_offset(y, i), ms_unary(k, ms_deq(k, x, 0, roof_offset(x, i))));
  } while (roof_index_next(i, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- QLinearSigmoid, QLinearLeakyRelu: a table of the 256 outputs ----
 * With per-tensor constant parameters an 8-bit input takes 256 values: create computes each
 * output as the reference does (ms_deq, ms_unary, ms_quantize), so the table is bit-exact, and
 * the run is one lookup per byte, over x and y of one dense layout. */

typedef struct ms_lut {
  uint8_t y[256]; /* indexed by the input's byte */
  bool vbmi;      /* AVX512-VBMI byte permutes (ROOFTOP_NATIVE_ISA=avx2 or portable: the C loop) */
} ms_lut;

static bool supports_ms_lut(const roof_kernel* k, char* why, size_t n) {
  if (!roof_supports_same_dense(k, why, n)) return false;
  for (int i = 1; i < k->num_in; i++) {
    if (!const_input(k, i) || (opt_present(k, i) && roof_tensor_count(&k->in[i]) != 1)) {
      snprintf(why, n, "scales or zero points not constant per-tensor values");
      return false;
    }
  }
  return true;
}

static roof_status create_ms_lut(roof_kernel* k, roof_error* err) {
  ms_lut* t = malloc(sizeof(*t));
  if (t == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  const roof_tensor* x = &k->in[0];
  for (int b = 0; b < 256; b++) {
    uint8_t byte = (uint8_t)b;
    roof_tensor one = {.dtype = x->dtype, .rank = 0, .data = &byte};
    float v = ms_deq(k, &one, 0, 0);
    t->y[b] = (uint8_t)(ms_kind(k->op) == MS_SWISH ? ms_swish(k, v) : ms_quantize(k, 3, ms_unary(k, v)));
  }
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  t->vbmi = false;
#ifdef ROOF_IMM_X86
  t->vbmi = !(cap && (strcmp(cap, "avx2") == 0 || strcmp(cap, "portable") == 0)) && __builtin_cpu_supports("avx512vbmi");
#else
  (void)cap;
#endif
  k->state = t;
  return ROOF_OK;
}

static void destroy_ms_lut(roof_kernel* k) { free(k->state); }

typedef struct ms_lut_run {
  const uint8_t* x;
  uint8_t* y;
  const ms_lut* t;
} ms_lut_run;

#ifdef ROOF_IMM_X86
/* 64 lookups at a time: vpermi2b picks from two 64-byte quarters of the table by the low 7 bits,
 * once for each half, and the high bit chooses between the two results. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static void ms_lut_vbmi(const ms_lut_run* r, size_t start, size_t len) {
  const uint8_t* t = r->t->y;
  __m512i t0 = _mm512_loadu_si512(t), t1 = _mm512_loadu_si512(t + 64), t2 = _mm512_loadu_si512(t + 128);
  __m512i t3 = _mm512_loadu_si512(t + 192);
  size_t i = start, end = start + len;
  for (; i < end; i += 64) {
    __mmask64 m = end - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (end - i)) - 1);
    __m512i x = _mm512_maskz_loadu_epi8(m, r->x + i);
    __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
    __mmask64 high = _mm512_movepi8_mask(x); /* bit 7 of each byte */
    _mm512_mask_storeu_epi8(r->y + i, m, _mm512_mask_blend_epi8(high, lo, hi));
  }
}
#endif

static void ms_lut_tile(void* ctx, size_t start, size_t len) {
  const ms_lut_run* r = ctx;
#ifdef ROOF_IMM_X86
  if (r->t->vbmi) {
    ms_lut_vbmi(r, start, len);
    return;
  }
#endif
  for (size_t i = start; i < start + len; i++) r->y[i] = r->t->y[r->x[i]];
}

static roof_status run_ms_lut(roof_kernel* k, roof_error* err) {
  (void)err;
  ms_lut_run r = {k->in[0].data, k->out[0].data, k->state};
  size_t n = (size_t)roof_tensor_count(&k->out[0]);
  pthreadpool_parallelize_1d_tile_1d(n < (64u << 10) ? NULL : k->pool, ms_lut_tile, &r, n, 16384, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

#define MS_LUT_KERNEL(SYM)                                                                                           \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                             \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = kInt8Dt, .supports = supports_ms_lut,           \
      .create = create_ms_lut, .run = run_ms_lut, .destroy = destroy_ms_lut, .packs_consts = true, .algorithm = "lut"};
MS_LUT_KERNEL(QLinearSigmoid)
MS_LUT_KERNEL(QLinearLeakyRelu)
MS_LUT_KERNEL(QLinearSwish)

/* ---- QLinearAdd, QLinearMul on XNNPACK (add_nd / multiply_nd, qs8 / qu8): both operands and
 * the output of one 8-bit dtype, constant per-tensor parameters, broadcasting as numpy (XNNPACK's
 * nd operators). Plain operands go by their logical shapes; rank-4 NHWC ones (a [N, C, 1, 1]
 * operand is both) by their physical [N, H, W, C] shapes, which broadcast alike: EfficientNet's
 * squeeze-and-excitation Mul of an NHWC map by per-channel gates. XNNPACK refuses scale ratios
 * outside its fixed-point range: the reference runs. */

typedef struct qbin_state {
  size_t rank[2];
  size_t shape[2][ROOF_MAX_RANK];
} qbin_state;

static bool qbin_all_plain(const roof_kernel* k) {
  return roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->in[3]) && roof_tensor_is_plain(&k->out[0]);
}

static bool qbin_all_nhwc(const roof_kernel* k) {
  const roof_tensor *a = &k->in[0], *b = &k->in[3], *y = &k->out[0];
  return roof_tensor_is_nhwc(a) && roof_tensor_is_nhwc(b) && roof_tensor_is_nhwc(y) && a->rank == 4 && b->rank == 4;
}

static bool supports_qbin_xnn(const roof_kernel* k, char* why, size_t n) {
  int dt = k->out[0].dtype;
  const char* no = k->in[0].dtype != dt || k->in[3].dtype != dt ? "operands and output of different 8-bit types"
                   : !qbin_all_plain(k) && !qbin_all_nhwc(k) ? "operands and output neither plain nor rank-4 NHWC"
                   : NULL;
  for (int i = 1; no == NULL && i < k->num_in; i++) {
    if (i != 3 && !const_input(k, i)) no = "scales or zero points not constant";
  }
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_qbin(roof_kernel* k, roof_error* err) {
  const ms_params* p = k->params;
  qbin_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  bool nhwc = !qbin_all_plain(k);
  for (int o = 0; o < 2; o++) {
    const roof_tensor* t = &k->in[o * 3];
    s->rank[o] = t->rank ? (size_t)t->rank : 1;
    s->shape[o][0] = 1;
    for (int d = 0; d < t->rank; d++) s->shape[o][d] = (size_t)t->dims[nhwc ? (int[]){0, 2, 3, 1}[d] : d];
  }
  int64_t lo, hi;
  clamp_range(k, p->clamp, &p->act, 6, 7, &lo, &hi);
  float as = (float)vec_param(k, 1, 0, 1.0), bs = (float)vec_param(k, 4, 0, 1.0), ys = (float)vec_param(k, 6, 0, 1.0);
  int32_t az = (int32_t)vec_param(k, 2, 0, 0.0), bz = (int32_t)vec_param(k, 5, 0, 0.0), yz = (int32_t)vec_param(k, 7, 0, 0.0);
  bool s8 = k->out[0].dtype == ROOF_DT_INT8, mul = ms_kind(k->op) == MS_MUL;
  xnn_operator_t op = NULL;
  enum xnn_status st;
  if (mul && s8) st = xnn_create_multiply_nd_qs8((int8_t)az, as, (int8_t)bz, bs, (int8_t)yz, ys, (int8_t)lo, (int8_t)hi, 0, &op);
  else if (mul) st = xnn_create_multiply_nd_qu8((uint8_t)az, as, (uint8_t)bz, bs, (uint8_t)yz, ys, (uint8_t)lo, (uint8_t)hi, 0, &op);
  else if (s8) st = xnn_create_add_nd_qs8((int8_t)az, as, (int8_t)bz, bs, (int8_t)yz, ys, (int8_t)lo, (int8_t)hi, 0, &op);
  else st = xnn_create_add_nd_qu8((uint8_t)az, as, (uint8_t)bz, bs, (uint8_t)yz, ys, (uint8_t)lo, (uint8_t)hi, 0, &op);
  return roof_xnn_created(st, op, k, mul ? "create multiply" : "create add", err);
}

static roof_status setup_qbin(roof_kernel* k, roof_error* err) {
  const qbin_state* s = k->state;
  const void *a = k->in[0].data, *b = k->in[3].data;
  void* y = k->out[0].data;
  bool s8 = k->out[0].dtype == ROOF_DT_INT8, mul = ms_kind(k->op) == MS_MUL;
  enum xnn_status st;
  if (mul && s8) st = xnn_setup_multiply_nd_qs8(roof_xop(k), s->rank[0], s->shape[0], s->rank[1], s->shape[1], a, b, y, k->pool);
  else if (mul) st = xnn_setup_multiply_nd_qu8(roof_xop(k), s->rank[0], s->shape[0], s->rank[1], s->shape[1], a, b, y, k->pool);
  else if (s8) st = xnn_setup_add_nd_qs8(roof_xop(k), s->rank[0], s->shape[0], s->rank[1], s->shape[1], a, b, y, k->pool);
  else st = xnn_setup_add_nd_qu8(roof_xop(k), s->rank[0], s->shape[0], s->rank[1], s->shape[1], a, b, y, k->pool);
  return roof_xnn_check(st, k, mul ? "setup multiply" : "setup add", err);
}

#define QBIN_KERNEL(SYM)                                                                                         \
  const roof_kernel_impl roof_kernel_##SYM##_xnnpack = {                                                        \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_XNNPACK, .dtypes = kInt8Dt, .supports = supports_qbin_xnn,   \
      .create = create_qbin, .setup = setup_qbin, .run = roof_xnn_run, .destroy = roof_xnn_destroy};
QBIN_KERNEL(QLinearAdd)
QBIN_KERNEL(QLinearMul)

#define MS_SCHEMA(SYM, LAYOUT)                                                                               \
  const roof_op_schema roof_op_##SYM = {                                                                     \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "com.microsoft", .since_version = 1, .until_version = 1000, \
      .layout = LAYOUT, .params_size = sizeof(ms_params), .parse = parse_ms, .infer = infer_ms,       \
      .cost = cost_ms, .describe = describe_ms,                                                             \
  };                                                                                                        \
  ROOF_REF_KERNEL(SYM, NULL, ref_ms);
/* The elementwise ones follow their operands' layout (their kernels take strided views). */
MS_SCHEMA(QLinearAdd, ROOF_LR_ANY)
MS_SCHEMA(QLinearMul, ROOF_LR_ANY)
MS_SCHEMA(QLinearSigmoid, ROOF_LR_ANY)
MS_SCHEMA(QLinearLeakyRelu, ROOF_LR_ANY)

/* QLinearSwish (domain ai.rooftop): what pass qdq makes of a quantized SiLU, QLinearMul(x,
 * QLinearSigmoid(x)) as a QDQ model computes it (the gate quantized in between): one table. */
const roof_op_schema roof_op_QLinearSwish = {
    .id = ROOF_OP_QLinearSwish, .op_type = "QLinearSwish", .domain = "ai.rooftop", .since_version = 1,
    .until_version = 1000, .layout = ROOF_LR_ANY, .params_size = sizeof(ms_params), .parse = parse_ms,
    .infer = infer_ms, .cost = cost_ms, .describe = describe_ms,
};
ROOF_REF_KERNEL(QLinearSwish, NULL, ref_ms);

/* ---- QLinearGlobalAveragePool on XNNPACK (global_average_pooling_nwc_qs8 / qu8): the mean over
 * the pixels of each channel, pixels a row of contiguous channels: NHWC data of a channels-first
 * node (the layout pass stores it so, as for the float pool) or plain data of a channels_last
 * one. Constant per-tensor parameters, input and output of one 8-bit dtype; XNNPACK refuses
 * scale ratios outside its fixed-point range (the reference runs). ---- */

/* channels_last = 0 is the float pool's NCHW: channels-last storage suits it; channels_last = 1
 * data already is [N, pixels..., C] as the ONNX layout. */
static roof_layout_rule qgap_layout(const roof_node* n) {
  const ms_params* p = n->params;
  return p && !p->channels_last ? ROOF_LR_NHWC : ROOF_LR_PLAIN;
}

/* The pixels per image when x holds [N, pixels, C] rows of contiguous channels, else 0. */
static int64_t qgap_pixels(const roof_kernel* k) {
  const ms_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  if (p->channels_last ? !roof_tensor_is_plain(x) : x->rank != 4 || !roof_tensor_is_nhwc(x)) return 0;
  int64_t c = x->dims[p->channels_last ? x->rank - 1 : 1];
  return c > 0 && x->dims[0] > 0 ? (int64_t)(roof_tensor_count(x) / (uint64_t)(x->dims[0] * c)) : 0;
}

static bool supports_qgap_xnn(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor* y = &k->out[0];
  const char* no = k->in[0].dtype != y->dtype ? "input and output of different 8-bit types"
                   : qgap_pixels(k) == 0 ? "input not rows of contiguous channels"
                   : !roof_tensor_is_plain(y) && !roof_tensor_is_nhwc(y) ? "strided output"
                                                                        : NULL;
  for (int i = 1; no == NULL && i < k->num_in; i++) {
    if (!const_input(k, i)) no = "scales or zero points not constant";
  }
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_qgap(roof_kernel* k, roof_error* err) {
  const ms_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  size_t c = (size_t)x->dims[p->channels_last ? x->rank - 1 : 1];
  int64_t lo, hi;
  clamp_range(k, p->clamp, &p->act, 3, 4, &lo, &hi);
  float xs = (float)vec_param(k, 1, 0, 1.0), ys = (float)vec_param(k, 3, 0, 1.0);
  int32_t xz = (int32_t)vec_param(k, 2, 0, 0.0), yz = (int32_t)vec_param(k, 4, 0, 0.0);
  xnn_operator_t op = NULL;
  enum xnn_status st =
      x->dtype == ROOF_DT_INT8
          ? xnn_create_global_average_pooling_nwc_qs8(c, c, c, (int8_t)xz, xs, (int8_t)yz, ys, (int8_t)lo, (int8_t)hi, 0, &op)
          : xnn_create_global_average_pooling_nwc_qu8(c, c, c, (uint8_t)xz, xs, (uint8_t)yz, ys, (uint8_t)lo, (uint8_t)hi, 0,
                                                      &op);
  return roof_xnn_created(st, op, k, "create global average pooling", err);
}

static roof_status setup_qgap(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  size_t n = (size_t)x->dims[0], w = (size_t)qgap_pixels(k);
  enum xnn_status st =
      x->dtype == ROOF_DT_INT8
          ? xnn_setup_global_average_pooling_nwc_qs8(roof_xop(k), n, w, x->data, k->out[0].data, k->pool)
          : xnn_setup_global_average_pooling_nwc_qu8(roof_xop(k), n, w, x->data, k->out[0].data, k->pool);
  return roof_xnn_check(st, k, "setup global average pooling", err);
}

const roof_op_schema roof_op_QLinearGlobalAveragePool = {
    .id = ROOF_OP_QLinearGlobalAveragePool, .op_type = "QLinearGlobalAveragePool", .domain = "com.microsoft",
    .since_version = 1, .until_version = 1000, .layout = ROOF_LR_PLAIN, .layout_of = qgap_layout,
    .params_size = sizeof(ms_params), .parse = parse_ms, .infer = infer_ms, .cost = cost_ms, .describe = describe_ms,
};
const roof_kernel_impl roof_kernel_QLinearGlobalAveragePool_xnnpack = {
    .op = ROOF_OP_QLinearGlobalAveragePool, .backend = ROOF_BACKEND_XNNPACK, .dtypes = kInt8Dt,
    .supports = supports_qgap_xnn, .create = create_qgap, .setup = setup_qgap, .run = roof_xnn_run,
    .destroy = roof_xnn_destroy, .input_padding = ROOF_XNN_PADDING};
ROOF_REF_KERNEL(QLinearGlobalAveragePool, NULL, ref_ms);
