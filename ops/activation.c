/* Unary activations: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu.
 * XNNPACK where it has the op; otherwise a vectorizable loop on the physical buffer. All of
 * them work on any layout as long as input and output share it. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation_params.h"
#include "common.h"
#include "xnn_backend.h"

/* Clip before opset 11 has float attributes min/max defaulting to the float range's ends
 * (lowest() and max() in the spec: an infinite input is clipped to FLT_MAX). */
static roof_status parse_act(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_act_params* p = params;
  p->min = -INFINITY;
  p->max = INFINITY;
  roof_status st = ROOF_OK;
  switch (n->op->id) {
    case ROOF_OP_Relu: p->min = 0.0f; break;
    case ROOF_OP_LeakyRelu: st = roof_attr_get_float(g, n, "alpha", 0.01f, &p->alpha, err); break;
    case ROOF_OP_Elu: st = roof_attr_get_float(g, n, "alpha", 1.0f, &p->alpha, err); break;
    case ROOF_OP_HardSigmoid:
      st = roof_attr_get_float(g, n, "alpha", 0.2f, &p->alpha, err);
      if (st == ROOF_OK) st = roof_attr_get_float(g, n, "beta", 0.5f, &p->beta, err);
      break;
    case ROOF_OP_Clip:
      if (g->opset < 11) {
        st = roof_attr_get_float(g, n, "min", -FLT_MAX, &p->min, err);
        if (st == ROOF_OK) st = roof_attr_get_float(g, n, "max", FLT_MAX, &p->max, err);
      }
      break;
    default: break;
  }
  return st;
}

/* Clip takes every integer type from opset 12 on; the other activations are float only. */
static const int kClipTypes[] = {ROOF_DT_FLOAT, ROOF_DT_INT8,  ROOF_DT_UINT8,  ROOF_DT_INT16, ROOF_DT_UINT16, ROOF_DT_INT32,
                                 ROOF_DT_UINT32, ROOF_DT_INT64, ROOF_DT_UINT64, 0};

/* what Clip's schema accepts: kClipTypes and the 16-bit floats, run on float32 (widen16) */
static const int kClipInfer[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8,  ROOF_DT_UINT8,
                                 ROOF_DT_INT16, ROOF_DT_UINT16,  ROOF_DT_INT32,    ROOF_DT_UINT32, ROOF_DT_INT64,
                                 ROOF_DT_UINT64, 0};

static roof_status infer_act(roof_graph* g, roof_node* n, roof_error* err) {
  roof_act_params* p = n->params;
  bool int_clip = n->op->id == ROOF_OP_Clip && g->opset >= 12;
  roof_status st = roof_require_input(g, n, 0, int_clip ? kClipInfer : roof_float_types, err);
  if (st != ROOF_OK) return st;
  if (n->op->id == ROOF_OP_Clip && g->opset >= 11) {
    /* opset 11: min and max are optional scalar inputs; constant ones are read now */
    for (int i = 1; i <= 2; i++) {
      const roof_value* v = roof_in(g, n, i);
      uint64_t cnt = 0;
      if (v == NULL) continue;
      if (!roof_value_count(v, &cnt) || cnt != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "Clip bound %d must be a scalar", i);
      if (!roof_value_has_data(v)) { /* data known at load (an initializer, or a Constant evaluated) */
        p->runtime_bounds = true;
        continue;
      }
      float b = (float)roof_load_f64(v->dtype, v->data, 0);
      if (i == 1) p->min = b;
      else p->max = b;
    }
  }
  return roof_infer_same(g, n, err);
}

static float apply(roof_op_id op, const roof_act_params* p, float x) {
  switch (op) {
    case ROOF_OP_Relu: return x > 0.0f ? x : 0.0f;
    case ROOF_OP_Clip: return x < p->min ? p->min : (x > p->max ? p->max : x);
    case ROOF_OP_LeakyRelu: return x >= 0.0f ? x : p->alpha * x;
    case ROOF_OP_Sigmoid: return 1.0f / (1.0f + expf(-x));
    case ROOF_OP_HardSigmoid: return fmaxf(0.0f, fminf(1.0f, p->alpha * x + p->beta));
    case ROOF_OP_HardSwish: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case ROOF_OP_Tanh: return tanhf(x);
    case ROOF_OP_Elu: return x >= 0.0f ? x : p->alpha * (expf(x) - 1.0f);
    default: return x;
  }
}

/* Clip bounds that are not constant are read from the inputs at run time. */
static roof_act_params runtime_params(const roof_kernel* k) {
  roof_act_params p = *(const roof_act_params*)k->params;
  if (k->op->id == ROOF_OP_Clip && k->g->opset >= 11) {
    if (k->num_in > 1 && k->in[1].data) p.min = (float)roof_load_f64(k->in[1].dtype, k->in[1].data, 0);
    if (k->num_in > 2 && k->in[2].data) p.max = (float)roof_load_f64(k->in[2].dtype, k->in[2].data, 0);
  }
  return p;
}

/* ---- reference: any layout ---- */

/* Integer Clip: bounds as the input's type (the spec types them alike), absent ones open. */
static void ref_clip_int(const roof_kernel* k, const roof_tensor* x, roof_tensor* y) {
  bool has_min = k->num_in > 1 && k->in[1].data, has_max = k->num_in > 2 && k->in[2].data;
  int64_t lo = has_min ? roof_load_i64(k->in[1].dtype, k->in[1].data, 0) : INT64_MIN;
  int64_t hi = has_max ? roof_load_i64(k->in[2].dtype, k->in[2].data, 0) : INT64_MAX;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    int64_t v = roof_load_i64(x->dtype, x->data, roof_offset(x, i));
    roof_store_i64(y->dtype, y->data, roof_offset(y, i), v < lo ? lo : (v > hi ? hi : v));
  } while (roof_index_next(i, x->dims, x->rank));
}

static roof_status ref_act(roof_kernel* k, roof_error* err) {
  roof_act_params p = runtime_params(k);
  roof_op_id op = k->op->id;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  if (x->dtype != ROOF_DT_FLOAT) {
    ref_clip_int(k, x, y);
    return ROOF_OK;
  }
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    ((float*)y->data)[roof_offset(y, i)] = apply(op, &p, ((const float*)x->data)[roof_offset(x, i)]);
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

/* ---- fast paths: a dense buffer that input and output share the layout of ---- */

typedef struct act_state {
  roof_act_params p;
  size_t count;
  const float* x;
  float* y;
} act_state;

static bool supports_dense(const roof_kernel* k, char* why, size_t n) {
  const roof_act_params* p = k->params;
  if (!roof_supports_same_dense(k, why, n)) return false;
  if (p->runtime_bounds) {
    snprintf(why, n, "Clip bounds known only at run time");
    return false;
  }
  return true;
}

static roof_status new_state(roof_kernel* k, roof_error* err) {
  act_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->p = runtime_params(k);
  s->count = (size_t)roof_tensor_count(&k->in[0]);
  return ROOF_OK;
}

static roof_status create_act_xnn(roof_kernel* k, roof_error* err) {
  roof_status st = new_state(k, err);
  if (st != ROOF_OK) return st;
  const act_state* s = k->state;
  xnn_operator_t op = NULL;
  enum xnn_status xs;
  switch (k->op->id) {
    case ROOF_OP_Relu: case ROOF_OP_Clip:
      if (!(s->p.min < s->p.max)) return roof_kernel_refuse(err, "XNNPACK takes no empty clamp range");
      xs = xnn_create_clamp_nc_f32(1, 1, 1, s->p.min, s->p.max, 0, &op);
      break;
    case ROOF_OP_LeakyRelu: xs = xnn_create_leaky_relu_nc_f32(1, 1, 1, s->p.alpha, 0, &op); break;
    case ROOF_OP_Sigmoid: xs = xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op); break;
    case ROOF_OP_HardSwish: xs = xnn_create_hardswish_nc_f32(1, 1, 1, 0, &op); break;
    case ROOF_OP_Elu: xs = xnn_create_elu_nc_f32(1, 1, 1, s->p.alpha, 0, &op); break;
    default: return roof_kernel_refuse(err, "XNNPACK has no %s", k->op->op_type);
  }
  return roof_xnn_created(xs, op, k, "create activation", err);
}

static roof_status setup_act_xnn(roof_kernel* k, roof_error* err) {
  act_state* s = k->state;
  const float* x = k->in[0].data;
  float* y = k->out[0].data;
  enum xnn_status xs;
  switch (k->op->id) {
    case ROOF_OP_Relu: case ROOF_OP_Clip: xs = xnn_setup_clamp_nc_f32(roof_xop(k), s->count, x, y, k->pool); break;
    case ROOF_OP_LeakyRelu: xs = xnn_setup_leaky_relu_nc_f32(roof_xop(k), s->count, x, y, k->pool); break;
    case ROOF_OP_Sigmoid: xs = xnn_setup_sigmoid_nc_f32(roof_xop(k), s->count, x, y, k->pool); break;
    case ROOF_OP_HardSwish: xs = xnn_setup_hardswish_nc_f32(roof_xop(k), s->count, x, y, k->pool); break;
    default: xs = xnn_setup_elu_nc_f32(roof_xop(k), s->count, x, y, k->pool); break;
  }
  return roof_xnn_check(xs, k, "setup activation", err);
}

/* Native loops for what this XNNPACK lacks (HardSigmoid, Tanh): threaded tiles the compiler
 * vectorizes (HardSigmoid fully; Tanh through libm). */
static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  if (k->op->id != ROOF_OP_HardSigmoid && k->op->id != ROOF_OP_Tanh) {
    snprintf(why, n, "no native %s", k->op->op_type);
    return false;
  }
  return supports_dense(k, why, n);
}

static roof_status setup_act_native(roof_kernel* k, roof_error* err) {
  act_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

static void hsigmoid_tile(void* ctx, size_t start, size_t len) {
  const act_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  const float a = s->p.alpha, b = s->p.beta;
  for (size_t i = 0; i < len; i++) y[i] = fmaxf(0.0f, fminf(1.0f, a * x[i] + b));
}

static void tanh_tile(void* ctx, size_t start, size_t len) {
  const act_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  for (size_t i = 0; i < len; i++) y[i] = tanhf(x[i]);
}

static roof_status run_act_native(roof_kernel* k, roof_error* err) {
  act_state* s = k->state;
  void (*tile)(void*, size_t, size_t) = k->op->id == ROOF_OP_HardSigmoid ? hsigmoid_tile : tanh_tile;
  pthreadpool_parallelize_1d_tile_1d(k->pool, tile, s, s->count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static int describe_act(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_act_params* p = n->params;
  if (n->op->id == ROOF_OP_Clip) return snprintf(buf, size, "clip [%g, %g]", p->min, p->max);
  return snprintf(buf, size, "%s", n->op_type);
}

#define ACT_SCHEMA(SYM, SINCE, REF_DTYPES)                                                                    \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,     \
      .flags = ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = sizeof(roof_act_params),              \
      .parse = parse_act, .infer = infer_act, .cost = roof_cost_eltwise, .describe = describe_act,           \
  };                                                                                                          \
  ROOF_REF_KERNEL(SYM, REF_DTYPES, ref_act)

#define ACT_XNNPACK(SYM) ROOF_XNN_KERNEL(SYM, supports_dense, create_act_xnn, setup_act_xnn, roof_xnn_destroy)

#define ACT_NATIVE(SYM)                                                                                       \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                      \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,                        \
      .supports = supports_native, .create = new_state, .setup = setup_act_native, .run = run_act_native,    \
      .destroy = roof_xnn_destroy}

ACT_SCHEMA(Relu, 1, roof_dtypes_f32);
ACT_SCHEMA(Clip, 1, kClipTypes); /* integer types from opset 12 */
ACT_SCHEMA(LeakyRelu, 1, roof_dtypes_f32);
ACT_SCHEMA(Sigmoid, 1, roof_dtypes_f32);
ACT_SCHEMA(HardSigmoid, 1, roof_dtypes_f32);
ACT_SCHEMA(HardSwish, 14, roof_dtypes_f32);
ACT_SCHEMA(Tanh, 1, roof_dtypes_f32);
ACT_SCHEMA(Elu, 1, roof_dtypes_f32);
ACT_XNNPACK(Relu);
ACT_XNNPACK(Clip);
ACT_XNNPACK(LeakyRelu);
ACT_XNNPACK(Sigmoid);
ACT_XNNPACK(HardSwish);
ACT_XNNPACK(Elu);
ACT_NATIVE(HardSigmoid);
ACT_NATIVE(Tanh);
