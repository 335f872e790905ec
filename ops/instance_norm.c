/* Normalizations over groups of elements: InstanceNormalization (mean and variance per (n, c)
 * plane, then a per-channel scale and bias), MeanVarianceNormalization (the same moments over
 * the `axes` attribute, no scale), LpNormalization (divide by the L1 or L2 norm along an axis)
 * and LRN (divide by a power of the sum of squares over neighbouring channels). Reference kernels
 * for every float dtype over strided views; a native InstanceNormalization for float32 plain
 * (NCHW) or NHWC data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const int kFloats[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, 0};

typedef struct moments_params {
  float epsilon;              /* InstanceNormalization: inside the square root */
  int64_t axes[ROOF_MAX_RANK]; /* MeanVarianceNormalization's attribute */
  size_t num_axes;
  bool reduce[ROOF_MAX_RANK]; /* resolved at infer */
} moments_params;

/* ---- schema ---- */

static roof_status parse_instance(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  moments_params* p = params;
  return roof_attr_get_float(g, n, "epsilon", 1e-5f, &p->epsilon, err);
}

static roof_status parse_mvn(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  moments_params* p = params;
  const roof_attr* a = roof_node_attr(n, "axes");
  if (a == NULL) {
    static const int64_t kDefault[3] = {0, 2, 3};
    memcpy(p->axes, kDefault, sizeof(kDefault));
    p->num_axes = 3;
    return ROOF_OK;
  }
  const int64_t* axes;
  size_t cnt;
  roof_status st = roof_attr_get_ints(g, n, "axes", &axes, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axes' has %zu values", cnt);
  if (cnt) memcpy(p->axes, axes, sizeof(int64_t) * cnt);
  p->num_axes = cnt;
  return ROOF_OK;
}

/* X [N, C, D1, ...], scale [C], B [C], one float dtype. */
static roof_status infer_instance(roof_graph* g, roof_node* n, roof_error* err) {
  moments_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kFloats, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank < 3) return roof_node_fail(err, ROOF_E_DATA, g, n, "input rank %d must be >= 3 ([N, C, D1, ...])", x->rank);
  int dt[2] = {x->dtype, 0};
  for (int i = 1; i < 3; i++) {
    st = roof_require_input(g, n, i, dt, err);
    if (st != ROOF_OK) return st;
    const roof_value* v = roof_in(g, n, i);
    if (v->rank != 1 || v->dims[0] != x->dims[1]) {
      char b[ROOF_NAME_BUF], s[64];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d has shape [%s], must be [C] = [%lld]",
                            ROOF_SAFE(v->name, b), i, roof_shape_str(v->dims, v->rank, s, sizeof(s)),
                            (long long)x->dims[1]);
    }
  }
  for (int d = 0; d < x->rank; d++) p->reduce[d] = d >= 2;
  return roof_infer_same(g, n, err);
}

static roof_status infer_mvn(roof_graph* g, roof_node* n, roof_error* err) {
  moments_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kFloats, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  memset(p->reduce, 0, sizeof(p->reduce));
  for (size_t i = 0; i < p->num_axes; i++) {
    int a;
    st = roof_norm_axis(g, n, "axes", p->axes[i], x->rank, &a, err);
    if (st != ROOF_OK) return st;
    if (p->reduce[a]) return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %d is listed twice in 'axes'", a);
    p->reduce[a] = true;
  }
  return roof_infer_same(g, n, err);
}

/* flops = 5 per element: a sum (1) and a sum of squared deviations (2) for the moments, then a
 * multiply-add (2) */
static void cost_moments(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  c->flops *= 5;
  c->formula = "moments";
}

/* ---- reference: every group of reduced dims (one per index of the kept dims) in three walks ---- */

static roof_status ref_moments(roof_kernel* k, roof_error* err) {
  const moments_params* p = k->params;
  bool instance = k->node->op->id == ROOF_OP_InstanceNormalization;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int r = x->rank, ro = 0, rr = 0, red_axis[ROOF_MAX_RANK], keep_axis[ROOF_MAX_RANK];
  int64_t red_dims[ROOF_MAX_RANK], keep_dims[ROOF_MAX_RANK];
  for (int d = 0; d < r; d++) {
    if (p->reduce[d]) { red_axis[rr] = d; red_dims[rr++] = x->dims[d]; }
    else { keep_axis[ro] = d; keep_dims[ro++] = x->dims[d]; }
  }
  uint64_t group = 1;
  for (int i = 0; i < rr; i++) group *= (uint64_t)red_dims[i];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t ki[ROOF_MAX_RANK] = {0};
  do {
    int64_t idx[ROOF_MAX_RANK] = {0}, ri[ROOF_MAX_RANK] = {0};
    for (int i = 0; i < ro; i++) idx[keep_axis[i]] = ki[i];
    double sum = 0.0, dev = 0.0;
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      sum += roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
    } while (roof_index_next(ri, red_dims, rr));
    double mean = sum / (double)group;
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      double d = roof_load_f64(x->dtype, x->data, roof_offset(x, idx)) - mean;
      dev += d * d;
    } while (roof_index_next(ri, red_dims, rr));
    double var = dev / (double)group, a, b;
    if (instance) { /* y = scale (x - mean) / sqrt(var + eps) + B */
      int64_t c = idx[1];
      a = roof_load_f64(k->in[1].dtype, k->in[1].data, c * k->in[1].strides[0]) / sqrt(var + (double)p->epsilon);
      b = roof_load_f64(k->in[2].dtype, k->in[2].data, c * k->in[2].strides[0]) - mean * a;
    } else { /* ONNX's function body: (x - mean) / (sqrt(var) + 1e-9) */
      a = 1.0 / (sqrt(var) + 1e-9);
      b = -mean * a;
    }
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
      roof_store_f64(y->dtype, y->data, roof_offset(y, idx), v * a + b);
    } while (roof_index_next(ri, red_dims, rr));
  } while (ro > 0 && roof_index_next(ki, keep_dims, ro));
  return ROOF_OK;
}

/* ---- native InstanceNormalization, float32. Plain data: tasks are the N*C contiguous planes
 * (style transfer and segmentation nets have hundreds), each reduced in 8 double lanes. NHWC data
 * (after a Conv): tasks are (n, block of 64 channels), each pass walks the plane's pixels as
 * rows of contiguous channels. Moments in double either way. ---- */

#define ROOF_IN_LANES 8
#define ROOF_IN_COLS 64

typedef struct in_task {
  const float* x;
  float* y;
  const float *scale, *bias;
  int64_t scale_stride, bias_stride;
  int64_t C, S; /* channels, pixels per plane */
  float eps;
  bool nhwc;
} in_task;

static bool supports_in_native(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool plain = roof_tensor_is_plain(x) && roof_tensor_is_plain(y);
  bool nhwc = x->rank == 4 && roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y);
  const char* no = !plain && !nhwc ? "input and output not one dense layout (plain or NHWC)"
                   : k->in[1].dtype != ROOF_DT_FLOAT ? "scale not float32"
                                                     : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* scale and shift of channel c from its moments */
static void in_coeffs(const in_task* t, int64_t c, double mean, double var, float* a, float* b) {
  double s = t->scale[c * t->scale_stride] / sqrt(var + (double)t->eps);
  *a = (float)s;
  *b = (float)(t->bias[c * t->bias_stride] - mean * s);
}

/* plane = n * C + c: [S] contiguous */
static void in_plane(void* ctx, size_t plane) {
  const in_task* t = ctx;
  const float* x = t->x + (int64_t)plane * t->S;
  float* y = t->y + (int64_t)plane * t->S;
  int64_t S = t->S, i;
  double acc[ROOF_IN_LANES] = {0}, sum = 0.0, dev = 0.0;
  for (i = 0; i + ROOF_IN_LANES <= S; i += ROOF_IN_LANES) {
    for (int l = 0; l < ROOF_IN_LANES; l++) acc[l] += x[i + l];
  }
  for (; i < S; i++) sum += x[i];
  for (int l = 0; l < ROOF_IN_LANES; l++) sum += acc[l], acc[l] = 0.0;
  double mean = sum / (double)S;
  for (i = 0; i + ROOF_IN_LANES <= S; i += ROOF_IN_LANES) {
    for (int l = 0; l < ROOF_IN_LANES; l++) acc[l] += (x[i + l] - mean) * (x[i + l] - mean);
  }
  for (; i < S; i++) dev += (x[i] - mean) * (x[i] - mean);
  for (int l = 0; l < ROOF_IN_LANES; l++) dev += acc[l];
  float a, b;
  in_coeffs(t, (int64_t)plane % t->C, mean, dev / (double)S, &a, &b);
  for (i = 0; i < S; i++) y[i] = x[i] * a + b;
}

/* (n, channel block): x [S, C] of image n, channels [c0, c0 + w) */
static void in_block(void* ctx, size_t n, size_t block) {
  const in_task* t = ctx;
  int64_t C = t->C, c0 = (int64_t)block * ROOF_IN_COLS, w = C - c0 < ROOF_IN_COLS ? C - c0 : ROOF_IN_COLS;
  const float* x = t->x + (int64_t)n * t->S * C + c0;
  float* y = t->y + (int64_t)n * t->S * C + c0;
  double sum[ROOF_IN_COLS] = {0}, dev[ROOF_IN_COLS] = {0};
  float a[ROOF_IN_COLS], b[ROOF_IN_COLS];
  for (int64_t p = 0; p < t->S; p++) {
    for (int64_t i = 0; i < w; i++) sum[i] += x[p * C + i];
  }
  for (int64_t i = 0; i < w; i++) sum[i] /= (double)t->S; /* now the means */
  for (int64_t p = 0; p < t->S; p++) {
    for (int64_t i = 0; i < w; i++) dev[i] += (x[p * C + i] - sum[i]) * (x[p * C + i] - sum[i]);
  }
  for (int64_t i = 0; i < w; i++) in_coeffs(t, c0 + i, sum[i], dev[i] / (double)t->S, &a[i], &b[i]);
  for (int64_t p = 0; p < t->S; p++) {
    for (int64_t i = 0; i < w; i++) y[p * C + i] = x[p * C + i] * a[i] + b[i];
  }
}

static roof_status run_in_native(roof_kernel* k, roof_error* err) {
  const moments_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  in_task t = {x->data, k->out[0].data, k->in[1].data, k->in[2].data, k->in[1].strides[0], k->in[2].strides[0],
               x->dims[1], 1, p->epsilon, !roof_tensor_is_plain(x)};
  for (int d = 2; d < x->rank; d++) t.S *= x->dims[d];
  if (t.nhwc) {
    size_t blocks = (size_t)((t.C + ROOF_IN_COLS - 1) / ROOF_IN_COLS);
    pthreadpool_parallelize_2d(k->pool, in_block, &t, (size_t)x->dims[0], blocks, ROOF_POOL_FLAGS);
  } else {
    pthreadpool_parallelize_1d(k->pool, in_plane, &t, (size_t)(x->dims[0] * t.C), ROOF_POOL_FLAGS);
  }
  return ROOF_OK;
}

const roof_op_schema roof_op_InstanceNormalization = {
    .id = ROOF_OP_InstanceNormalization, .op_type = "InstanceNormalization", .domain = "", .since_version = 1,
    .until_version = 1000, .layout = ROOF_LR_ANY, .params_size = sizeof(moments_params), .parse = parse_instance,
    .infer = infer_instance, .cost = cost_moments,
};
const roof_kernel_impl roof_kernel_InstanceNormalization_native = {
    .op = ROOF_OP_InstanceNormalization, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .supports = supports_in_native, .run = run_in_native,
};
ROOF_REF_KERNEL(InstanceNormalization, NULL, ref_moments);

/* opset 9's op and opset 13's function body compute the same thing */
const roof_op_schema roof_op_MeanVarianceNormalization = {
    .id = ROOF_OP_MeanVarianceNormalization, .op_type = "MeanVarianceNormalization", .domain = "",
    .since_version = 9, .until_version = 1000, .layout = ROOF_LR_ANY, .params_size = sizeof(moments_params),
    .parse = parse_mvn, .infer = infer_mvn, .cost = cost_moments,
};
ROOF_REF_KERNEL(MeanVarianceNormalization, NULL, ref_moments);

/* ---- LpNormalization: y = x / ||x||_p along `axis`, p 1 or 2 (a zero norm gives 0 / 0) ---- */

typedef struct lp_params {
  int64_t axis, p;
} lp_params;

static roof_status parse_lp(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  lp_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "axis", -1, &p->axis, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "p", 2, &p->p, err);
  if (st == ROOF_OK && p->p != 1 && p->p != 2) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'p' is %lld, must be 1 or 2", (long long)p->p);
  }
  return st;
}

static roof_status infer_lp(roof_graph* g, roof_node* n, roof_error* err) {
  lp_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kFloats, err);
  if (st != ROOF_OK) return st;
  int axis;
  st = roof_norm_axis(g, n, "axis", p->axis, roof_in(g, n, 0)->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  return roof_infer_same(g, n, err);
}

/* flops = 3 per element: |x| or x^2 and an add for the norm, a divide */
static void cost_lp(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  c->flops *= 3;
  c->formula = "lpnorm";
}

/* The line along `axis` through every index whose axis coordinate is 0. */
static roof_status ref_lp(roof_kernel* k, roof_error* err) {
  const lp_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (x->rank == 0 || roof_tensor_count(x) == 0) {
    if (x->rank == 0) { /* a scalar is its own line */
      double v = roof_load_f64(x->dtype, x->data, 0);
      roof_store_f64(y->dtype, y->data, 0, v / (p->p == 1 ? fabs(v) : sqrt(v * v)));
    }
    return ROOF_OK;
  }
  int a = (int)p->axis;
  int64_t outer[ROOF_MAX_RANK], idx[ROOF_MAX_RANK] = {0}, len = x->dims[a];
  memcpy(outer, x->dims, sizeof(int64_t) * (size_t)x->rank);
  outer[a] = 1;
  do {
    double norm = 0.0;
    for (idx[a] = 0; idx[a] < len; idx[a]++) {
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
      norm += p->p == 1 ? fabs(v) : v * v;
    }
    if (p->p == 2) norm = sqrt(norm);
    for (idx[a] = 0; idx[a] < len; idx[a]++) {
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
      roof_store_f64(y->dtype, y->data, roof_offset(y, idx), v / norm);
    }
    idx[a] = 0;
  } while (roof_index_next(idx, outer, x->rank));
  return ROOF_OK;
}

const roof_op_schema roof_op_LpNormalization = {
    .id = ROOF_OP_LpNormalization, .op_type = "LpNormalization", .domain = "", .since_version = 1,
    .until_version = 1000, .layout = ROOF_LR_ANY, .params_size = sizeof(lp_params), .parse = parse_lp,
    .infer = infer_lp, .cost = cost_lp,
};
ROOF_REF_KERNEL(LpNormalization, NULL, ref_lp);

/* ---- LRN: y = x / (bias + alpha / size * sum of x^2 over channels
 * [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C))^beta ---- */

typedef struct lrn_params {
  float alpha, beta, bias;
  int64_t size;
} lrn_params;

static roof_status parse_lrn(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  lrn_params* p = params;
  roof_status st = roof_attr_get_float(g, n, "alpha", 1e-4f, &p->alpha, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "beta", 0.75f, &p->beta, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "bias", 1.0f, &p->bias, err);
  if (st != ROOF_OK) return st;
  if (roof_node_attr(n, "size") == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'size' is required");
  st = roof_attr_get_int(g, n, "size", 1, &p->size, err);
  if (st == ROOF_OK && p->size < 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'size' is %lld, must be >= 1", (long long)p->size);
  }
  return st;
}

static roof_status infer_lrn(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, kFloats, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank < 3) return roof_node_fail(err, ROOF_E_DATA, g, n, "input rank %d must be >= 3 ([N, C, D1, ...])", x->rank);
  return roof_infer_same(g, n, err);
}

/* flops per element: size multiply-adds over the window (2 * size), then scale, power and
 * divide (3) */
static void cost_lrn(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const lrn_params* p = n->params;
  roof_cost_eltwise(g, n, c);
  c->flops *= 2 * (uint64_t)p->size + 3;
  c->formula = "lrn";
}

static int describe_lrn(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const lrn_params* p = n->params;
  return snprintf(buf, size, "size %lld", (long long)p->size);
}

static roof_status ref_lrn(roof_kernel* k, roof_error* err) {
  const lrn_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t C = x->dims[1], before = (p->size - 1) / 2, after = p->size / 2; /* floor, ceil of (size - 1) / 2 */
  int64_t idx[ROOF_MAX_RANK] = {0};
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  do {
    int64_t c = idx[1], j[ROOF_MAX_RANK];
    memcpy(j, idx, sizeof(j));
    double sq = 0.0;
    for (j[1] = c - before < 0 ? 0 : c - before; j[1] <= c + after && j[1] < C; j[1]++) {
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, j));
      sq += v * v;
    }
    double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
    double den = pow((double)p->bias + (double)p->alpha / (double)p->size * sq, (double)p->beta);
    roof_store_f64(y->dtype, y->data, roof_offset(y, idx), v / den);
  } while (roof_index_next(idx, x->dims, x->rank));
  return ROOF_OK;
}

const roof_op_schema roof_op_LRN = {
    .id = ROOF_OP_LRN, .op_type = "LRN", .domain = "", .since_version = 1, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(lrn_params), .parse = parse_lrn, .infer = infer_lrn,
    .cost = cost_lrn, .describe = describe_lrn,
};
ROOF_REF_KERNEL(LRN, NULL, ref_lrn);
