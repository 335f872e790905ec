/* Unary activations: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu.
 * XNNPACK where it has the op; otherwise a vectorizable loop on the physical buffer. All of
 * them work on any layout as long as input and output share it. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef enum act_kind { A_RELU, A_CLIP, A_LEAKY, A_SIGMOID, A_HSIGMOID, A_HSWISH, A_TANH, A_ELU } act_kind;

typedef struct act_params {
  act_kind kind;
  float alpha, beta; /* LeakyRelu/Elu alpha; HardSigmoid alpha, beta */
  float min, max;    /* Clip */
} act_params;

static act_kind kind_of(const char* op) {
  static const struct { const char* op; act_kind k; } kKinds[] = {
      {"Relu", A_RELU},          {"Clip", A_CLIP},          {"LeakyRelu", A_LEAKY}, {"Sigmoid", A_SIGMOID},
      {"HardSigmoid", A_HSIGMOID}, {"HardSwish", A_HSWISH}, {"Tanh", A_TANH},       {"Elu", A_ELU},
  };
  for (size_t i = 0; i < sizeof(kKinds) / sizeof(kKinds[0]); i++) {
    if (strcmp(op, kKinds[i].op) == 0) return kKinds[i].k;
  }
  return A_RELU;
}

static roof_status parse_act(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  act_params* p = params;
  p->kind = kind_of(n->op_type);
  p->min = -INFINITY;
  p->max = INFINITY;
  roof_status st = ROOF_OK;
  switch (p->kind) {
    case A_LEAKY: st = roof_attr_get_float(g, n, "alpha", 0.01f, &p->alpha, err); break;
    case A_ELU: st = roof_attr_get_float(g, n, "alpha", 1.0f, &p->alpha, err); break;
    case A_HSIGMOID:
      st = roof_attr_get_float(g, n, "alpha", 0.2f, &p->alpha, err);
      if (st == ROOF_OK) st = roof_attr_get_float(g, n, "beta", 0.5f, &p->beta, err);
      break;
    case A_CLIP:
      if (g->opset < 11) {
        st = roof_attr_get_float(g, n, "min", -FLT_MAX, &p->min, err);
        if (st == ROOF_OK) st = roof_attr_get_float(g, n, "max", FLT_MAX, &p->max, err);
      }
      break;
    default: break;
  }
  return st;
}

static roof_status infer_act(roof_graph* g, roof_node* n, roof_error* err) {
  act_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_only, err);
  if (st != ROOF_OK) return st;
  if (p->kind == A_CLIP && g->opset >= 11) {
    /* opset 11: min and max are optional scalar inputs; constant ones are read now */
    for (int i = 1; i <= 2; i++) {
      const roof_value* v = roof_in(g, n, i);
      uint64_t cnt = 0;
      if (v == NULL) continue;
      if (!roof_value_count(v, &cnt) || cnt != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "Clip bound %d must be a scalar", i);
      if (roof_value_has_data(v)) {
        float b = (float)roof_load_f64(v->dtype, v->data, 0);
        if (i == 1) p->min = b;
        else p->max = b;
      }
    }
  }
  return roof_infer_same(g, n, err);
}

static float apply(const act_params* p, float x) {
  switch (p->kind) {
    case A_RELU: return x > 0.0f ? x : 0.0f;
    case A_CLIP: return x < p->min ? p->min : (x > p->max ? p->max : x);
    case A_LEAKY: return x >= 0.0f ? x : p->alpha * x;
    case A_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case A_HSIGMOID: return fmaxf(0.0f, fminf(1.0f, p->alpha * x + p->beta));
    case A_HSWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
    case A_TANH: return tanhf(x);
    case A_ELU: return x >= 0.0f ? x : p->alpha * (expf(x) - 1.0f);
  }
  return x;
}

/* Clip bounds that are not constant are read from the inputs at run time. */
static act_params runtime_params(const roof_kernel* k) {
  act_params p = *(const act_params*)k->params;
  if (p.kind == A_CLIP && k->g->opset >= 11) {
    if (k->num_in > 1 && k->in[1].data) p.min = (float)roof_load_f64(k->in[1].dtype, k->in[1].data, 0);
    if (k->num_in > 2 && k->in[2].data) p.max = (float)roof_load_f64(k->in[2].dtype, k->in[2].data, 0);
  }
  return p;
}

static roof_status ref_act(roof_kernel* k, roof_error* err) {
  act_params p = runtime_params(k);
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    ((float*)y->data)[roof_offset(y, i)] = apply(&p, ((const float*)x->data)[roof_offset(x, i)]);
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

typedef struct act_state {
  act_params p;
  size_t count;
  const float* x;
  float* y;
} act_state;

static bool same_dense_layout(const roof_tensor* a, const roof_tensor* b) {
  if (!(roof_tensor_is_plain(a) || roof_tensor_is_nhwc(a))) return false;
  for (int i = 0; i < a->rank; i++) {
    if (a->dims[i] != 1 && a->strides[i] != b->strides[i]) return false;
  }
  return true;
}

static roof_status create_act(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if (!same_dense_layout(x, y)) return ROOF_E_UNSUPPORTED;
  for (int i = 1; i < k->num_in; i++) {
    const roof_value* v = roof_in(k->g, k->node, i);
    if (v && !(v->flags & ROOF_VAL_CONST)) return ROOF_E_UNSUPPORTED; /* runtime Clip bounds */
  }
  act_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->p = runtime_params(k);
  s->count = (size_t)roof_tensor_count(x);
  if (s->count == 0) return ROOF_E_UNSUPPORTED;
  enum xnn_status xs = xnn_status_success;
  switch (s->p.kind) {
    case A_RELU: xs = xnn_create_clamp_nc_f32(1, 1, 1, 0.0f, INFINITY, 0, &k->xop[0]); break;
    case A_CLIP: xs = xnn_create_clamp_nc_f32(1, 1, 1, s->p.min, s->p.max, 0, &k->xop[0]); break;
    case A_LEAKY: xs = xnn_create_leaky_relu_nc_f32(1, 1, 1, s->p.alpha, 0, &k->xop[0]); break;
    case A_SIGMOID: xs = xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &k->xop[0]); break;
    case A_HSWISH: xs = xnn_create_hardswish_nc_f32(1, 1, 1, 0, &k->xop[0]); break;
    case A_ELU: xs = xnn_create_elu_nc_f32(1, 1, 1, s->p.alpha, 0, &k->xop[0]); break;
    default: return ROOF_OK; /* HardSigmoid, Tanh: the loop below */
  }
  return roof_xnn_check(xs, k, "create activation", err);
}

static roof_status setup_act(roof_kernel* k, roof_error* err) {
  act_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  if (k->xop[0] == NULL) return ROOF_OK;
  enum xnn_status xs = xnn_status_success;
  switch (s->p.kind) {
    case A_RELU: case A_CLIP: xs = xnn_setup_clamp_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool); break;
    case A_LEAKY: xs = xnn_setup_leaky_relu_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool); break;
    case A_SIGMOID: xs = xnn_setup_sigmoid_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool); break;
    case A_HSWISH: xs = xnn_setup_hardswish_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool); break;
    case A_ELU: xs = xnn_setup_elu_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool); break;
    default: break;
  }
  return roof_xnn_check(xs, k, "setup activation", err);
}

static void loop_tile(void* ctx, size_t start, size_t len) {
  const act_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  if (s->p.kind == A_HSIGMOID) {
    const float a = s->p.alpha, b = s->p.beta;
    for (size_t i = 0; i < len; i++) y[i] = fmaxf(0.0f, fminf(1.0f, a * x[i] + b));
  } else {
    for (size_t i = 0; i < len; i++) y[i] = tanhf(x[i]);
  }
}

static roof_status run_act(roof_kernel* k) {
  act_state* s = k->state;
  if (k->xop[0]) return roof_xnn_run(k);
  if (k->pool) pthreadpool_parallelize_1d_tile_1d(k->pool, loop_tile, s, s->count, 4096, 0);
  else loop_tile(s, 0, s->count);
  return ROOF_OK;
}

static int describe_act(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const act_params* p = n->params;
  if (p->kind == A_CLIP) return snprintf(buf, size, "clip [%g, %g]", p->min, p->max);
  return snprintf(buf, size, "%s", n->op_type);
}

#define ACT_DESC(SYM, NAME, SINCE, UNTIL, XNN)                                                              \
  const roof_op_desc roof_op_##SYM = {                                                                      \
      .op_type = NAME, .domain = "", .since_version = SINCE, .until_version = UNTIL,                       \
      .flags = ROOF_OPF_INPLACE | (XNN ? ROOF_OPF_XNNPACK : 0), .layout = ROOF_LR_ANY,                   \
      .params_size = sizeof(act_params), .parse = parse_act, .infer = infer_act, .cost = roof_cost_eltwise, \
      .describe = describe_act, .create = create_act, .setup = setup_act, .run = run_act,                  \
      .destroy = roof_xnn_destroy, .ref = ref_act,                                                          \
  }

ACT_DESC(Relu, "Relu", 1, 1000, 1);
ACT_DESC(Clip_6, "Clip", 1, 10, 1);
ACT_DESC(Clip_11, "Clip", 11, 1000, 1);
ACT_DESC(LeakyRelu, "LeakyRelu", 1, 1000, 1);
ACT_DESC(Sigmoid, "Sigmoid", 1, 1000, 1);
ACT_DESC(HardSigmoid, "HardSigmoid", 1, 1000, 0);
ACT_DESC(HardSwish, "HardSwish", 14, 1000, 1);
ACT_DESC(Tanh, "Tanh", 1, 1000, 0);
ACT_DESC(Elu, "Elu", 1, 1000, 1);
