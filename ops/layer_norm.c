/* LayerNormalization (opset 17): Y = (X - mean) / sqrt(var + epsilon) * Scale + B over the axes
 * [axis, rank), with the optional outputs Mean and InvStdDev (X's shape, those axes 1).
 * The reference kernel walks strided views; the native one takes plain dense rows (the
 * transformer case: normalize the last axis) in parallel. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "layer_norm_params.h"

typedef roof_ln_params ln_params; /* layer_norm_params.h: the layer_norm pass writes it */

static roof_status parse_ln(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  ln_params* p = params;
  int64_t stash = 1;
  roof_status st = roof_attr_get_int(g, n, "axis", -1, &p->axis, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "epsilon", 1e-5f, &p->epsilon, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "stash_type", 1, &stash, err);
  if (st != ROOF_OK) return st;
  if (stash != 1) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "stash_type %lld is not supported (1: float32)", (long long)stash);
  if (!(p->epsilon >= 0.0f)) return roof_node_fail(err, ROOF_E_DATA, g, n, "epsilon %g must be >= 0", p->epsilon);
  return ROOF_OK;
}

/* Scale and B broadcast one way to the normalized shape X.dims[axis..]. */
static roof_status check_param(const roof_graph* g, const roof_node* n, int i, const roof_value* x, int axis,
                               roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  char vb[ROOF_NAME_BUF];
  if (v == NULL) return ROOF_OK;
  if (v->dtype != ROOF_DT_FLOAT || v->rank > x->rank - axis) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s must be float32 of rank <= %d", ROOF_SAFE(v->name, vb),
                          i == 1 ? "Scale" : "B", x->rank - axis);
  }
  for (int d = 0; d < v->rank; d++) {
    int64_t want = x->dims[x->rank - v->rank + d];
    if (v->dims[d] != want && v->dims[d] != 1) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': dim %d is %lld, does not broadcast to %lld",
                            ROOF_SAFE(v->name, vb), d, (long long)v->dims[d], (long long)want);
    }
  }
  return ROOF_OK;
}

static roof_status infer_ln(roof_graph* g, roof_node* n, roof_error* err) {
  ln_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st == ROOF_OK) st = roof_require_same_dtype(g, n, 1, 0, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int axis;
  if (x->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "X must have rank >= 1");
  if ((st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err)) != ROOF_OK) return st;
  p->axis = axis;
  if ((st = check_param(g, n, 1, x, axis, err)) != ROOF_OK || (st = check_param(g, n, 2, x, axis, err)) != ROOF_OK) return st;
  p->outer = p->inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < axis) p->outer *= x->dims[d];
    else p->inner *= x->dims[d];
  }
  int64_t stat_dims[ROOF_MAX_RANK];
  for (int d = 0; d < x->rank; d++) stat_dims[d] = d < axis ? x->dims[d] : 1;
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, x->dims);
  for (int o = 1; o < 3; o++) {
    roof_value* s = roof_out(g, n, o);
    if (s) roof_value_set_shape(s, ROOF_DT_FLOAT, x->rank, stat_dims);
  }
  return ROOF_OK;
}

/* Per element: mean and variance sums (2), centre (1), square (1), normalize (1), scale and
 * shift (2): 7 flops; the per-row sqrt and division are not counted. */
static void cost_ln(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  uint64_t count = 0;
  roof_value_count(roof_in(g, n, 0), &count);
  c->flops = 7 * count;
  c->formula = "layernorm";
}

static int describe_ln(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const ln_params* p = n->params;
  return snprintf(buf, size, "axis %lld, %lld x %lld", (long long)p->axis, (long long)p->outer, (long long)p->inner);
}

/* ---- reference: strided views, double accumulation ---- */

static roof_status ref_ln(roof_kernel* k, roof_error* err) {
  const ln_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int r = x->rank, axis = (int)p->axis;
  roof_tensor sc, b;
  roof_broadcast_view(&k->in[1], r, x->dims, &sc);
  bool has_b = k->num_in > 2 && k->node->inputs[2] >= 0;
  if (has_b) roof_broadcast_view(&k->in[2], r, x->dims, &b);
  int64_t oi[ROOF_MAX_RANK] = {0}, idx[ROOF_MAX_RANK];
  if (p->inner == 0) { /* empty rows (Y is empty): their mean and deviation are NaN */
    for (int o = 1; o < k->num_out && o < 3; o++) {
      if (k->node->outputs[o] < 0) continue;
      roof_tensor* s = &k->out[o];
      int64_t si[ROOF_MAX_RANK] = {0};
      if (roof_tensor_count(s) == 0) continue;
      do ((float*)s->data)[roof_offset(s, si)] = NAN;
      while (roof_index_next(si, s->dims, s->rank));
    }
    return ROOF_OK;
  }
  do { /* one row: outer index oi over dims [0, axis), inner index over [axis, r) */
    double sum = 0.0, sq = 0.0;
    int64_t ii[ROOF_MAX_RANK] = {0};
    memcpy(idx, oi, sizeof(idx));
    do {
      for (int d = axis; d < r; d++) idx[d] = ii[d];
      sum += ((const float*)x->data)[roof_offset(x, idx)];
    } while (roof_index_next(ii + axis, x->dims + axis, r - axis));
    double mean = p->inner ? sum / (double)p->inner : 0.0;
    do {
      for (int d = axis; d < r; d++) idx[d] = ii[d];
      double dv = ((const float*)x->data)[roof_offset(x, idx)] - mean;
      sq += dv * dv;
    } while (roof_index_next(ii + axis, x->dims + axis, r - axis));
    double inv = 1.0 / sqrt((p->inner ? sq / (double)p->inner : 0.0) + (double)p->epsilon);
    do {
      for (int d = axis; d < r; d++) idx[d] = ii[d];
      double v = (((const float*)x->data)[roof_offset(x, idx)] - mean) * inv * ((const float*)sc.data)[roof_offset(&sc, idx)];
      if (has_b) v += ((const float*)b.data)[roof_offset(&b, idx)];
      ((float*)y->data)[roof_offset(y, idx)] = (float)v;
    } while (roof_index_next(ii + axis, x->dims + axis, r - axis));
    for (int d = axis; d < r; d++) idx[d] = 0;
    if (k->num_out > 1 && k->node->outputs[1] >= 0) ((float*)k->out[1].data)[roof_offset(&k->out[1], idx)] = (float)mean;
    if (k->num_out > 2 && k->node->outputs[2] >= 0) ((float*)k->out[2].data)[roof_offset(&k->out[2], idx)] = (float)inv;
  } while (axis > 0 && roof_index_next(oi, x->dims, axis));
  return ROOF_OK;
}

/* ---- native: plain dense rows, Scale and B of one value or the whole row ---- */

typedef struct ln_task {
  const float *x, *scale, *bias; /* [outer, inner]; scale/bias [inner] or [1] (stride 0) */
  float *y, *mean, *inv;         /* mean, inv: [outer] or NULL */
  int64_t inner, scale_step, bias_step;
  float epsilon;
} ln_task;

static bool dense_row(const roof_kernel* k, int i, int64_t inner) {
  if (k->num_in <= i || k->node->inputs[i] < 0) return true;
  uint64_t n = roof_tensor_count(&k->in[i]);
  return roof_tensor_is_plain(&k->in[i]) && (n == 1 || n == (uint64_t)inner);
}

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  const ln_params* p = k->params;
  bool plain = roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->out[0]);
  for (int o = 1; o < k->num_out; o++) plain = plain && (k->node->outputs[o] < 0 || roof_tensor_is_plain(&k->out[o]));
  const char* no = !plain ? "strided input or output"
                   : !dense_row(k, 1, p->inner) || !dense_row(k, 2, p->inner) ? "Scale or B broadcast within a row"
                                                                             : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROOF_LN_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define ROOF_LN_CLONES
#endif

enum { LN_LANES = 8 };

/* sum of x[i] - c (squared when `square`) in double, over LN_LANES independent accumulators so
 * that the loop vectorizes without reassociating anything. */
static inline double lane_sum(const float* x, int64_t n, float c, bool square) {
  double acc[LN_LANES] = {0.0}, s = 0.0;
  int64_t i = 0;
  for (; i + LN_LANES <= n; i += LN_LANES) {
    for (int l = 0; l < LN_LANES; l++) {
      const double d = (double)(x[i + l] - c);
      acc[l] += square ? d * d : d;
    }
  }
  for (; i < n; i++) s += square ? (double)(x[i] - c) * (x[i] - c) : (double)(x[i] - c);
  for (int l = 0; l < LN_LANES; l++) s += acc[l];
  return s;
}

ROOF_LN_CLONES static void ln_row(void* ctx, size_t row) {
  const ln_task* t = ctx;
  const int64_t n = t->inner;
  const float* x = t->x + (int64_t)row * n;
  float* restrict y = t->y + (int64_t)row * n;
  const float mean = (float)(lane_sum(x, n, 0.0f, false) / (double)n);
  const float inv = (float)(1.0 / sqrt(lane_sum(x, n, mean, true) / (double)n + (double)t->epsilon));
  if (t->scale_step == 1 && t->bias && t->bias_step == 1) { /* the transformer case: dense rows */
    for (int64_t i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * t->scale[i] + t->bias[i];
  } else {
    for (int64_t i = 0; i < n; i++) {
      float v = (x[i] - mean) * inv * t->scale[i * t->scale_step];
      y[i] = t->bias ? v + t->bias[i * t->bias_step] : v;
    }
  }
  if (t->mean) t->mean[row] = mean;
  if (t->inv) t->inv[row] = inv;
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  const ln_params* p = k->params;
  bool has_b = k->num_in > 2 && k->node->inputs[2] >= 0;
  ln_task t = {
      .x = k->in[0].data, .scale = k->in[1].data, .bias = has_b ? k->in[2].data : NULL, .y = k->out[0].data,
      .mean = k->num_out > 1 && k->node->outputs[1] >= 0 ? k->out[1].data : NULL,
      .inv = k->num_out > 2 && k->node->outputs[2] >= 0 ? k->out[2].data : NULL, .inner = p->inner,
      .scale_step = roof_tensor_count(&k->in[1]) == 1 ? 0 : 1,
      .bias_step = has_b && roof_tensor_count(&k->in[2]) == 1 ? 0 : 1, .epsilon = p->epsilon,
  };
  if (p->inner == 0) return ROOF_OK;
  pthreadpool_parallelize_1d(k->pool, ln_row, &t, (size_t)p->outer, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_LayerNormalization = {
    .id = ROOF_OP_LayerNormalization, .op_type = "LayerNormalization", .domain = "", .since_version = 17,
    .until_version = 1000, .layout = ROOF_LR_PLAIN, .params_size = sizeof(ln_params), .parse = parse_ln,
    .infer = infer_ln, .cost = cost_ln, .describe = describe_ln,
};
const roof_kernel_impl roof_kernel_LayerNormalization_native = {
    .op = ROOF_OP_LayerNormalization, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .supports = supports_native, .run = run_native,
};
ROOF_REF_KERNEL(LayerNormalization, roof_dtypes_f32, ref_ln);
