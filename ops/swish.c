/* Swish / SiLU (domain ai.rooftop): y = x * sigmoid(x), what the `swish` pass makes of
 * x * Sigmoid(x). XNNPACK's vectorized sigmoid writes y, then one multiply pass by x: two
 * sweeps but one kernel, one output buffer and no intermediate activation. */
#include <math.h>
#include <stdlib.h>

#include "common.h"

static float silu(float x) { return x / (1.0f + expf(-x)); }

static roof_status ref_swish(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  if (roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    ((float*)y->data)[roof_offset(y, i)] = silu(((const float*)x->data)[roof_offset(x, i)]);
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

/* 1 sigmoid + 1 multiply per element, counted as 2 flops */
static void cost_swish(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  c->flops *= 2;
  c->formula = "swish";
}

typedef struct swish_state {
  size_t count;
  const float* x;
  float* y;
} swish_state;

static roof_status create_swish(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool dense = (roof_tensor_is_plain(x) && roof_tensor_is_plain(y)) || (roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y));
  if (!dense || roof_tensor_count(x) == 0 || x->data == y->data) return ROOF_E_UNSUPPORTED;
  swish_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->count = (size_t)roof_tensor_count(x);
  return roof_xnn_check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &k->xop[0]), k, "create sigmoid", err);
}

static roof_status setup_swish(roof_kernel* k, roof_error* err) {
  swish_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  return roof_xnn_check(xnn_setup_sigmoid_nc_f32(k->xop[0], s->count, s->x, s->y, k->pool), k, "setup sigmoid", err);
}

static void mul_tile(void* ctx, size_t start, size_t len) {
  const swish_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  for (size_t i = 0; i < len; i++) y[i] *= x[i];
}

static roof_status run_swish(roof_kernel* k) {
  swish_state* s = k->state;
  if (roof_xnn_run(k) != ROOF_OK) return ROOF_E_INTERNAL;
  if (k->pool) pthreadpool_parallelize_1d_tile_1d(k->pool, mul_tile, s, s->count, 4096, 0);
  else mul_tile(s, 0, s->count);
  return ROOF_OK;
}

const roof_op_desc roof_op_Swish = {
    .op_type = "Swish", .domain = "ai.rooftop", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_XNNPACK | ROOF_OPF_NO_FOLD, .layout = ROOF_LR_ANY, .params_size = 0,
    .infer = roof_infer_same, .cost = cost_swish, .create = create_swish, .setup = setup_swish, .run = run_swish,
    .destroy = roof_xnn_destroy, .ref = ref_swish,
};
