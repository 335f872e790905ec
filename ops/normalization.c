/* BatchNormalization (inference) as a per-channel scale and shift, and the axis family Softmax,
 * LogSoftmax and Hardmax (one group of elements along an axis normalized together). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "softmax_params.h"
#include "norm_params.h"
#include "xnn_backend.h"

static roof_status parse_bn(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_bn_params* p = params;
  roof_act_init(&p->act);
  roof_status st = roof_attr_get_float(g, n, "epsilon", 1e-5f, &p->epsilon, err);
  int64_t tm = 0, spatial = 1;
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "training_mode", 0, &tm, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "spatial", 1, &spatial, err);
  if (st != ROOF_OK) return st;
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "momentum", 0.9f, &p->momentum, err);
  if (st != ROOF_OK) return st;
  int outs = 0;
  for (int o = 1; o < n->num_outputs; o++) outs += n->outputs[o] >= 0;
  if (tm && g->opset < 14) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'training_mode' exists from opset 14 on");
  if (tm != 0 && tm != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "training_mode is %lld, must be 0 or 1", (long long)tm);
  if (!tm && outs > 0) { /* opsets before 14: mean, var, saved_mean, saved_var outputs */
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "outputs beyond Y need training_mode = 1 (opset 14 on)");
  }
  if (tm && n->num_outputs > 3) return roof_node_fail(err, ROOF_E_DATA, g, n, "training mode has at most 3 outputs, %d given", n->num_outputs);
  p->training = tm == 1;
  if (!spatial) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "spatial=0 is not supported");
  return ROOF_OK;
}

static roof_status infer_bn(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = ROOF_OK;
  for (int i = 0; i < 5 && st == ROOF_OK; i++) st = roof_require_input(g, n, i, roof_float_types, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank < 2) return roof_node_fail(err, ROOF_E_DATA, g, n, "input rank %d must be >= 2", x->rank);
  for (int i = 1; i < 5; i++) {
    const roof_value* v = roof_in(g, n, i);
    uint64_t cnt = 0;
    if (!roof_value_count(v, &cnt) || cnt != (uint64_t)x->dims[1]) {
      char b[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d must hold %lld channel values",
                            ROOF_SAFE(v->name, b), i, (long long)x->dims[1]);
    }
  }
  const roof_bn_params* p = n->params;
  if (p->training && x->dtype != ROOF_DT_FLOAT) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "training mode: input dtype %s is not supported (float32 only)", roof_dtype_name(x->dtype));
  }
  for (int o = 1; o < 3; o++) { /* running_mean, running_var: like input_mean, input_var */
    roof_value* r = roof_out(g, n, o);
    if (r) roof_value_set_shape(r, roof_in(g, n, o + 2)->dtype, 1, &x->dims[1]);
  }
  return roof_infer_same(g, n, err);
}

/* y = x * s + t: one multiply and one add per element (training mode adds the statistics: a
 * reading pass of two flops per element for the sums; counted as the same formula) */
static void cost_bn(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  c->flops *= 2;
  c->formula = "scale_shift";
}

typedef struct bn_state {
  float* scale;
  float* shift;
  int64_t channels, inner, outer; /* physical: outer x channels x inner (inner = 1 for NHWC) */
  bool channels_last;
  const roof_act* act; /* a fused clamp; NULL: none */
} bn_state;

static void bn_coeffs(const roof_kernel* k, float* scale, float* shift) {
  const roof_bn_params* p = k->params;
  int64_t C = k->in[0].dims[1];
  for (int64_t c = 0; c < C; c++) {
    double g = ((const float*)k->in[1].data)[c * k->in[1].strides[0]];
    double b = ((const float*)k->in[2].data)[c * k->in[2].strides[0]];
    double m = ((const float*)k->in[3].data)[c * k->in[3].strides[0]];
    double v = ((const float*)k->in[4].data)[c * k->in[4].strides[0]];
    double s = g / sqrt(v + (double)p->epsilon);
    scale[c] = (float)s;
    shift[c] = (float)(b - m * s);
  }
}

/* Training mode: per channel, the batch mean and biased variance over every other axis (in
 * double, two passes: the mean first, then the squared deviations), the running statistics into
 * outputs 1 and 2 when present, then y = (x - mean) * gamma / sqrt(var + epsilon) + beta in
 * double: a float scale-and-shift would cancel badly when the variance is tiny (one element per
 * channel: x - mean is 0, but x * scale is large). */
static roof_status ref_bn_train(roof_kernel* k, roof_error* err) {
  const roof_bn_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t C = x->dims[1];
  uint64_t per = C ? roof_tensor_count(x) / (uint64_t)C : 0;
  double* acc = calloc((size_t)(3 * C + 1), sizeof(double)); /* mean, then var and scale, bias */
  if (acc == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  double *mean = acc, *sc = acc + C, *bias = acc + 2 * C;
  int64_t i[ROOF_MAX_RANK] = {0};
  if (per) do mean[i[1]] += ((const float*)x->data)[roof_offset(x, i)]; while (roof_index_next(i, x->dims, x->rank));
  for (int64_t c = 0; c < C; c++) mean[c] /= (double)per; /* an empty batch: 0 / 0, NaN as numpy */
  if (per) {
    do {
      double d = ((const float*)x->data)[roof_offset(x, i)] - mean[i[1]];
      sc[i[1]] += d * d;
    } while (roof_index_next(i, x->dims, x->rank));
  }
  double mom = p->momentum;
  for (int64_t c = 0; c < C; c++) {
    double var = sc[c] / (double)per;
    for (int o = 1; o < 3; o++) {
      roof_tensor* r = o < k->num_out ? &k->out[o] : NULL;
      if (r == NULL || r->data == NULL) continue;
      double in = roof_load_f64(k->in[o + 2].dtype, k->in[o + 2].data, c * k->in[o + 2].strides[0]);
      roof_store_f64(r->dtype, r->data, c * r->strides[0], in * mom + (o == 1 ? mean[c] : var) * (1.0 - mom));
    }
    sc[c] = roof_load_f64(k->in[1].dtype, k->in[1].data, c * k->in[1].strides[0]) / sqrt(var + (double)p->epsilon);
    bias[c] = roof_load_f64(k->in[2].dtype, k->in[2].data, c * k->in[2].strides[0]);
  }
  if (per) {
    do {
      double v = ((const float*)x->data)[roof_offset(x, i)];
      ((float*)y->data)[roof_offset(y, i)] = roof_act_apply(&p->act, (float)((v - mean[i[1]]) * sc[i[1]] + bias[i[1]]));
    } while (roof_index_next(i, x->dims, x->rank));
  }
  free(acc);
  return ROOF_OK;
}

static roof_status ref_bn(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t C = x->dims[1];
  const roof_act* act = &((const roof_bn_params*)k->params)->act;
  if (((const roof_bn_params*)k->params)->training) return ref_bn_train(k, err);
  float* sc = malloc(sizeof(float) * (size_t)(2 * C + 1));
  if (sc == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  bn_coeffs(k, sc, sc + C);
  int64_t i[ROOF_MAX_RANK] = {0};
  if (roof_tensor_count(x)) {
    do {
      float v = ((const float*)x->data)[roof_offset(x, i)];
      ((float*)y->data)[roof_offset(y, i)] = roof_act_apply(act, v * sc[i[1]] + sc[C + i[1]]);
    } while (roof_index_next(i, x->dims, x->rank));
  }
  free(sc);
  return ROOF_OK;
}

static bool all_const(const roof_kernel* k) {
  for (int i = 1; i < 5; i++) {
    const roof_value* v = roof_in(k->g, k->node, i);
    if (!v || !v->data || !(v->flags & ROOF_VAL_CONST)) return false;
  }
  return true;
}

/* Fast path: coefficients computed once; the run is a streaming multiply-add. */
static roof_status create_bn(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool nhwc = roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y) && x->rank == 4;
  bool plain = roof_tensor_is_plain(x) && roof_tensor_is_plain(y);
  if (((const roof_bn_params*)k->params)->training) return roof_kernel_refuse(err, "training mode (batch statistics)");
  if (!all_const(k)) return roof_kernel_refuse(err, "scale, bias, mean or variance not constant");
  if (!(nhwc || plain)) return roof_kernel_refuse(err, "input and output not one dense layout");
  bn_state* s = calloc(1, sizeof(bn_state));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->channels = x->dims[1];
  s->scale = malloc(sizeof(float) * (size_t)(2 * s->channels + 1));
  if (s->scale == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  s->shift = s->scale + s->channels;
  bn_coeffs(k, s->scale, s->shift);
  const roof_act* act = &((const roof_bn_params*)k->params)->act;
  s->act = roof_act_is_identity(act) ? NULL : act;
  uint64_t total = roof_tensor_count(x);
  s->channels_last = nhwc && !plain;
  s->inner = s->channels_last ? 1 : (int64_t)(total / (uint64_t)x->dims[0] / (uint64_t)s->channels);
  s->outer = (int64_t)(total / (uint64_t)s->channels / (uint64_t)s->inner);
  return ROOF_OK;
}

typedef struct bn_task {
  const bn_state* s;
  const float* x;
  float* y;
} bn_task;

/* y = x * a + b over n floats, then the clamp of roof_act_apply (NaN stays NaN) when act */
ROOF_ALWAYS_INLINE void bn_row(float* y, const float* x, const float* a, const float* b, int64_t n, int64_t step, const roof_act* act) {
  if (act == NULL) {
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * a[i * step] + b[i * step];
    return;
  }
  const float lo = act->min, hi = act->max;
  for (int64_t i = 0; i < n; i++) {
    float v = x[i] * a[i * step] + b[i * step];
    v = v < lo ? lo : v;
    y[i] = v > hi ? hi : v;
  }
}

static void bn_rows(void* ctx, size_t row) {
  const bn_task* t = ctx;
  const bn_state* s = t->s;
  if (s->channels_last) { /* row = one pixel: [C] */
    const float* x = t->x + row * (size_t)s->channels;
    float* y = t->y + row * (size_t)s->channels;
    bn_row(y, x, s->scale, s->shift, s->channels, 1, s->act);
  } else { /* row = one (n, c) plane: [inner] */
    int64_t c = (int64_t)(row % (size_t)s->channels);
    const float* x = t->x + row * (size_t)s->inner;
    float* y = t->y + row * (size_t)s->inner;
    bn_row(y, x, &s->scale[c], &s->shift[c], s->inner, 0, s->act); /* step 0: one channel's a, b */
  }
}

static roof_status run_bn(roof_kernel* k, roof_error* err) {
  const bn_state* s = k->state;
  bn_task t = {s, k->in[0].data, k->out[0].data};
  size_t rows = s->channels_last ? (size_t)s->outer : (size_t)(s->outer * s->channels);
  pthreadpool_parallelize_1d(k->pool, bn_rows, &t, rows, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static void destroy_bn(roof_kernel* k) {
  bn_state* s = k->state;
  if (s) free(s->scale);
  free(s);
  k->state = NULL;
}

const roof_op_schema roof_op_BatchNormalization = {
    .id = ROOF_OP_BatchNormalization, .op_type = "BatchNormalization", .domain = "", .since_version = 1,
    .until_version = 1000, .flags = ROOF_OPF_INPLACE | ROOF_OPF_FUSED_ACT, .layout = ROOF_LR_NHWC, .params_size = sizeof(roof_bn_params),
    .parse = parse_bn, .infer = infer_bn, .cost = cost_bn,
};
/* native: per-channel coefficients computed once, the run is a threaded streaming multiply-add */
const roof_kernel_impl roof_kernel_BatchNormalization_native = {
    .op = ROOF_OP_BatchNormalization, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .create = create_bn, .run = run_bn, .destroy = destroy_bn,
};
ROOF_REF_KERNEL(BatchNormalization, roof_dtypes_f32, ref_bn);

/* ---- the axis family: Softmax, LogSoftmax, Hardmax. One group is dim `axis` (opset 13 on), or
 * dims [axis, rank) flattened into one (opsets 1-12, "coerce to 2-D"); every group maps on its
 * own: exp(x - max) / sum, x - max - log(sum), or 1 at the first maximum (the first NaN, as
 * numpy's argmax) and 0 elsewhere. ---- */

typedef enum sm_kind { SM_SOFTMAX = 0, SM_LOG, SM_HARD } sm_kind;

typedef roof_softmax_params softmax_params; /* softmax_params.h: the pass reads it */

static const int kSmFloats[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, 0};

static roof_status parse_softmax(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  softmax_params* p = params;
  p->coerce_2d = g->opset < 13;
  p->kind = n->op->id == ROOF_OP_LogSoftmax ? SM_LOG : n->op->id == ROOF_OP_Hardmax ? SM_HARD : SM_SOFTMAX;
  return roof_attr_get_int(g, n, "axis", p->coerce_2d ? 1 : -1, &p->axis, err);
}

/* Softmax stays float32 (its XNNPACK and native entries); the other two take every float. */
static roof_status infer_softmax(roof_graph* g, roof_node* n, roof_error* err) {
  softmax_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, p->kind == SM_SOFTMAX ? roof_float_types : kSmFloats, err);
  if (st != ROOF_OK) return st;
  int axis;
  const roof_value* x = roof_in(g, n, 0);
  st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  return roof_infer_same(g, n, err);
}

/* Softmax: exp, sum, divide; LogSoftmax: exp, sum, subtract (exp counted as one flop): about 3
 * flops per element. Hardmax: one compare per element. */
static void cost_softmax(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const softmax_params* p = n->params;
  roof_cost_eltwise(g, n, c);
  c->flops *= p->kind == SM_HARD ? 1 : 3;
  c->formula = p->kind == SM_HARD ? "argmax" : p->kind == SM_LOG ? "logsoftmax" : "softmax";
}

/* The reference over strided views, any float dtype: the group of each outer index is walked
 * three times (max, sum, store). */
static roof_status ref_softmax(roof_kernel* k, roof_error* err) {
  const softmax_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int r = x->rank, ro = 0, rr = 0;
  int64_t outer_dims[ROOF_MAX_RANK], red_dims[ROOF_MAX_RANK];
  int red_axis[ROOF_MAX_RANK], outer_axis[ROOF_MAX_RANK];
  for (int i = 0; i < r; i++) {
    bool red = p->coerce_2d ? i >= p->axis : i == p->axis;
    if (red) { red_axis[rr] = i; red_dims[rr++] = x->dims[i]; }
    else { outer_axis[ro] = i; outer_dims[ro++] = x->dims[i]; }
  }
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t oi[ROOF_MAX_RANK] = {0};
  do {
    int64_t idx[ROOF_MAX_RANK] = {0}, ri[ROOF_MAX_RANK] = {0}, pos = 0, best = 0, first_nan = -1;
    for (int i = 0; i < ro; i++) idx[outer_axis[i]] = oi[i];
    double mx = -INFINITY, sum = 0.0;
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
      if (v > mx) { mx = v; best = pos; }
      if (isnan(v) && first_nan < 0) first_nan = pos;
      pos++;
    } while (roof_index_next(ri, red_dims, rr));
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      sum += exp(roof_load_f64(x->dtype, x->data, roof_offset(x, idx)) - mx);
    } while (roof_index_next(ri, red_dims, rr));
    if (first_nan >= 0) best = first_nan;
    pos = 0;
    do {
      for (int i = 0; i < rr; i++) idx[red_axis[i]] = ri[i];
      double v = roof_load_f64(x->dtype, x->data, roof_offset(x, idx));
      double out = p->kind == SM_LOG ? v - mx - log(sum) : p->kind == SM_HARD ? (double)(pos == best) : exp(v - mx) / sum;
      roof_store_f64(y->dtype, y->data, roof_offset(y, idx), out);
      pos++;
    } while (roof_index_next(ri, red_dims, rr));
  } while (ro > 0 && roof_index_next(oi, outer_dims, ro));
  return ROOF_OK;
}

typedef struct softmax_state {
  size_t batch;
} softmax_state;

/* XNNPACK reduces over the innermost contiguous dim: plain with the reduced dims last, or an
 * NHWC tensor reduced over C alone. Softmax only. */
static roof_status create_softmax(roof_kernel* k, roof_error* err) {
  const softmax_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  uint64_t total = roof_tensor_count(x), channels;
  if (roof_tensor_is_plain(x) && roof_tensor_is_plain(y) && (p->coerce_2d || p->axis == x->rank - 1)) {
    channels = 1;
    for (int i = (int)p->axis; i < x->rank; i++) channels *= (uint64_t)x->dims[i];
  } else if (!p->coerce_2d && p->axis == 1 && x->rank == 4 && roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y)) {
    channels = (uint64_t)x->dims[1];
  } else {
    return roof_kernel_refuse(err, "XNNPACK reduces over the innermost contiguous dims only");
  }
  if (channels == 0 || total == 0) return roof_kernel_refuse(err, "empty tensor");
  softmax_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  s->batch = (size_t)(total / channels);
  k->state = s;
  xnn_operator_t op = NULL;
  enum xnn_status xs = xnn_create_softmax_nc_f32((size_t)channels, (size_t)channels, (size_t)channels, 0, &op);
  return roof_xnn_created(xs, op, k, "create softmax", err);
}

static roof_status setup_softmax(roof_kernel* k, roof_error* err) {
  const softmax_state* s = k->state;
  enum xnn_status xs = xnn_setup_softmax_nc_f32(roof_xop(k), s->batch, k->in[0].data, k->out[0].data, k->pool);
  return roof_xnn_check(xs, k, "setup softmax", err);
}

/* ---- native: plain float32 data seen as [outer, len, inner] (len the group, flattened before
 * opset 13). inner > 1 (a middle axis: NCHW channels, attention's [.., heads, q, k] over q):
 * tasks are (outer index, block of 64 inner columns), each pass walks rows of 64 contiguous
 * floats. inner == 1 (the last axis: log-probabilities over a vocabulary): tasks are rows, each
 * reduced in 16 independent lanes so that the loops vectorize. ---- */

#define ROOF_SM_COLS 64
#define ROOF_SM_LANES 16

typedef struct sm_state {
  int64_t outer, len, inner; /* [outer, len, inner]: len is the group */
  int kind;
  const float* x;
  float* y;
} sm_state;

static bool supports_sm_native(const roof_kernel* k, char* why, size_t n) {
  bool plain = roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->out[0]);
  if (!plain) snprintf(why, n, "strided input or output");
  return plain;
}

static roof_status create_sm_native(roof_kernel* k, roof_error* err) {
  const softmax_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  sm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->kind = p->kind;
  s->outer = s->inner = s->len = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < p->axis) s->outer *= x->dims[d];
    else if (d == p->axis || p->coerce_2d) s->len *= x->dims[d];
    else s->inner *= x->dims[d];
  }
  return ROOF_OK;
}

static roof_status setup_sm_native(roof_kernel* k, roof_error* err) {
  sm_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

/* One (outer, column block): x and y point at [len, inner] with w <= 64 columns used. */
static void sm_columns(const sm_state* s, const float* x, float* y, int64_t w) {
  float mx[ROOF_SM_COLS], sum[ROOF_SM_COLS];
  int64_t best[ROOF_SM_COLS], nan_at[ROOF_SM_COLS];
  for (int64_t i = 0; i < w; i++) mx[i] = -INFINITY, sum[i] = 0.0f, best[i] = 0, nan_at[i] = -1;
  for (int64_t a = 0; a < s->len; a++) {
    for (int64_t i = 0; i < w; i++) mx[i] = fmaxf(mx[i], x[a * s->inner + i]);
  }
  if (s->kind == SM_HARD) { /* first position of the max (or of a NaN) per column */
    for (int64_t a = s->len - 1; a >= 0; a--) {
      for (int64_t i = 0; i < w; i++) {
        float v = x[a * s->inner + i];
        best[i] = v == mx[i] ? a : best[i];
        nan_at[i] = v != v ? a : nan_at[i];
      }
    }
    for (int64_t a = 0; a < s->len; a++) {
      for (int64_t i = 0; i < w; i++) y[a * s->inner + i] = a == (nan_at[i] >= 0 ? nan_at[i] : best[i]) ? 1.0f : 0.0f;
    }
    return;
  }
  for (int64_t a = 0; a < s->len; a++) { /* Softmax: y holds exp(x - max) until the sums are known */
    for (int64_t i = 0; i < w; i++) {
      float e = expf(x[a * s->inner + i] - mx[i]);
      if (s->kind == SM_SOFTMAX) y[a * s->inner + i] = e;
      sum[i] += e;
    }
  }
  if (s->kind == SM_LOG) {
    for (int64_t i = 0; i < w; i++) sum[i] = mx[i] + logf(sum[i]);
    for (int64_t a = 0; a < s->len; a++) {
      for (int64_t i = 0; i < w; i++) y[a * s->inner + i] = x[a * s->inner + i] - sum[i];
    }
    return;
  }
  for (int64_t i = 0; i < w; i++) sum[i] = 1.0f / sum[i];
  for (int64_t a = 0; a < s->len; a++) {
    for (int64_t i = 0; i < w; i++) y[a * s->inner + i] *= sum[i];
  }
}

static void sm_block(void* ctx, size_t o, size_t block) {
  const sm_state* s = ctx;
  int64_t c0 = (int64_t)block * ROOF_SM_COLS, w = s->inner - c0 < ROOF_SM_COLS ? s->inner - c0 : ROOF_SM_COLS;
  int64_t base = (int64_t)o * s->len * s->inner + c0;
  sm_columns(s, s->x + base, s->y + base, w);
}

/* max of x[0..n) ignoring NaN (-inf when there is none) */
static float row_max(const float* x, int64_t n) {
  float m[ROOF_SM_LANES], r = -INFINITY;
  int64_t i = 0;
  for (int l = 0; l < ROOF_SM_LANES; l++) m[l] = -INFINITY;
  for (; i + ROOF_SM_LANES <= n; i += ROOF_SM_LANES) {
    for (int l = 0; l < ROOF_SM_LANES; l++) m[l] = x[i + l] > m[l] ? x[i + l] : m[l];
  }
  for (int l = 0; l < ROOF_SM_LANES; l++) r = fmaxf(r, m[l]);
  for (; i < n; i++) r = fmaxf(r, x[i]);
  return r;
}

/* sum of exp(x - mx), stored in y as well when y is not NULL */
static double row_expsum(const float* x, float* y, int64_t n, float mx) {
  float acc[ROOF_SM_LANES] = {0};
  double sum = 0.0;
  int64_t i = 0;
  for (; i + ROOF_SM_LANES <= n; i += ROOF_SM_LANES) {
    for (int l = 0; l < ROOF_SM_LANES; l++) {
      float e = expf(x[i + l] - mx);
      if (y) y[i + l] = e;
      acc[l] += e;
    }
  }
  for (; i < n; i++) {
    float e = expf(x[i] - mx);
    if (y) y[i] = e;
    sum += e;
  }
  for (int l = 0; l < ROOF_SM_LANES; l++) sum += acc[l];
  return sum;
}

static void sm_row(void* ctx, size_t o) {
  const sm_state* s = ctx;
  const float* x = s->x + (int64_t)o * s->len;
  float* y = s->y + (int64_t)o * s->len;
  int64_t n = s->len, hot = 0;
  float mx = row_max(x, n);
  if (s->kind == SM_HARD) {
    while (hot < n && x[hot] == x[hot]) hot++; /* the first NaN wins, else the first max */
    if (hot == n) for (hot = 0; hot < n && x[hot] != mx; hot++) {}
    for (int64_t i = 0; i < n; i++) y[i] = i == hot ? 1.0f : 0.0f;
  } else if (s->kind == SM_LOG) {
    float shift = mx + (float)log(row_expsum(x, NULL, n, mx));
    for (int64_t i = 0; i < n; i++) y[i] = x[i] - shift;
  } else {
    float inv = (float)(1.0 / row_expsum(x, y, n, mx));
    for (int64_t i = 0; i < n; i++) y[i] *= inv;
  }
}

static roof_status run_sm_native(roof_kernel* k, roof_error* err) {
  sm_state* s = k->state;
  if (s->inner == 1) {
    pthreadpool_parallelize_1d(k->pool, sm_row, s, (size_t)s->outer, ROOF_POOL_FLAGS);
  } else {
    size_t blocks = (size_t)((s->inner + ROOF_SM_COLS - 1) / ROOF_SM_COLS);
    pthreadpool_parallelize_2d(k->pool, sm_block, s, (size_t)s->outer, blocks, ROOF_POOL_FLAGS);
  }
  return ROOF_OK;
}

#define SOFTMAX_OP(SYM)                                                                                           \
  const roof_op_schema roof_op_##SYM = {                                                                          \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,             \
      .layout = ROOF_LR_ANY, .params_size = sizeof(softmax_params), .parse = parse_softmax,                      \
      .infer = infer_softmax, .cost = cost_softmax,                                                               \
  };                                                                                                              \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                          \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,                            \
      .supports = supports_sm_native, .create = create_sm_native, .setup = setup_sm_native,                     \
      .run = run_sm_native, .destroy = roof_xnn_destroy,                                                          \
  };                                                                                                              \
  ROOF_REF_KERNEL(SYM, NULL, ref_softmax)

SOFTMAX_OP(Softmax);
SOFTMAX_OP(LogSoftmax);
SOFTMAX_OP(Hardmax);
ROOF_XNN_KERNEL(Softmax, NULL, create_softmax, setup_softmax, roof_xnn_destroy);
