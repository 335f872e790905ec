/* Native 1-D convolution: Conv over [N, C, L], as the STFT front ends (a Conv1d with cos/sin
 * kernels, the hop as stride) and temporal convolutions of voice and sequence models use it.
 * XNNPACK's convolution is 2-D NHWC and the native depthwise kernel is 2-D, so these layers
 * otherwise fall to the generic N-D reference loop.
 *
 * One task per output row (image, output channel). An output element is the sum, over the
 * group's input channels, of the kernel row times a window of the input row: contiguous when the
 * dilation is 1 whatever the stride, so the dot product runs on 8-lane vectors. Windows cut by
 * the padding are clipped (the skipped terms are zeros). Weights and bias are read in place
 * (constants, ONNX's [C_out][C_in / group][K] is already the order the dot products want). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv_params.h"

typedef roof_conv_params conv_params;

typedef struct c1_state {
  int64_t C, L, Co, Lo, K;   /* input channels and length, output channels and length, taps */
  int64_t cg, og;            /* input and output channels per group */
  int64_t stride, dil, pad;  /* pad: the padding before the first element */
  roof_act act;
  const float* w;            /* [Co][cg][K] */
  const float* b;            /* [Co] or NULL */
  const float* x;            /* [N][C][L] */
  float* y;                  /* [N][Co][Lo] */
} c1_state;

typedef float c1_v8 __attribute__((vector_size(32)));

/* sum of w[k] * x[k] over n terms, in 8 lanes then reduced (fixed order: deterministic). */
static float c1_dot(const float* w, const float* x, int64_t n) {
  c1_v8 acc = {0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    c1_v8 a, b;
    memcpy(&a, w + k, sizeof(a));
    memcpy(&b, x + k, sizeof(b));
    acc += a * b;
  }
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; k < n; k++) s += w[k] * x[k];
  return s;
}

static float c1_dot_dilated(const float* w, const float* x, int64_t n, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < n; k++) s += w[k] * x[k * d];
  return s;
}

/* Row (image n, output channel co): y[n][co][:]. */
static void c1_row(void* ctx, size_t row) {
  const c1_state* s = ctx;
  const int64_t n = (int64_t)row / s->Co, co = (int64_t)row % s->Co, g = co / s->og;
  const float* xg = s->x + (n * s->C + g * s->cg) * s->L; /* the group's first input row */
  const float* wr = s->w + co * s->cg * s->K;
  float* y = s->y + (n * s->Co + co) * s->Lo;
  const float bias = s->b ? s->b[co] : 0.0f;
  for (int64_t o = 0; o < s->Lo; o++) {
    const int64_t start = o * s->stride - s->pad; /* input index of tap 0 */
    /* taps k with 0 <= start + k * dil < L */
    int64_t k0 = start < 0 ? (-start + s->dil - 1) / s->dil : 0;
    int64_t k1 = s->L - start <= 0 ? 0 : (s->L - start + s->dil - 1) / s->dil;
    if (k1 > s->K) k1 = s->K;
    float acc = bias;
    for (int64_t c = 0; c < s->cg && k1 > k0; c++) {
      const float* wk = wr + c * s->K + k0;
      const float* xk = xg + c * s->L + start + k0 * s->dil;
      acc += s->dil == 1 ? c1_dot(wk, xk, k1 - k0) : c1_dot_dilated(wk, xk, k1 - k0, s->dil);
    }
    y[o] = roof_act_apply(&s->act, acc);
  }
}

static bool c1_const(const roof_kernel* k, int i) {
  const roof_value* v = roof_in(k->g, k->node, i);
  return v == NULL || (v->data && (v->flags & ROOF_VAL_CONST));
}

static bool supports_conv1d(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const char* no = p->sp.nsp != 1 ? "not 1-D"
                   : !roof_tensor_is_plain(&k->in[0]) || !roof_tensor_is_plain(&k->in[1]) || !roof_tensor_is_plain(&k->out[0])
                       ? "strided input, weights or output"
                   : k->num_in > 2 && k->in[2].data && !roof_tensor_is_plain(&k->in[2]) ? "strided bias"
                   : !c1_const(k, 1) || !c1_const(k, 2) ? "weights or bias not constant"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_conv1d(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0]; /* [N, C, L], [Co, C/g, K], [N, Co, Lo] */
  c1_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  *s = (c1_state){.C = x->dims[1], .L = x->dims[2], .Co = y->dims[1], .Lo = y->dims[2], .K = w->dims[2],
                  .cg = w->dims[1], .og = y->dims[1] / p->group, .stride = p->sp.strides[0],
                  .dil = p->sp.dilations[0], .pad = p->sp.pads[0], .act = p->act, .w = w->data,
                  .b = k->num_in > 2 ? k->in[2].data : NULL};
  k->state = s;
  return ROOF_OK;
}

static roof_status setup_conv1d(roof_kernel* k, roof_error* err) {
  c1_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

static roof_status run_conv1d(roof_kernel* k, roof_error* err) {
  const c1_state* s = k->state;
  pthreadpool_parallelize_1d(k->pool, c1_row, k->state, (size_t)(k->out[0].dims[0] * s->Co), ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static void destroy_conv1d(roof_kernel* k) {
  free(k->state);
  k->state = NULL;
}

/* Reads the weights in place at run time: nothing is packed, so they are never released. */
const roof_kernel_impl roof_kernel_Conv_native1d = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_conv1d,
    .create = create_conv1d, .setup = setup_conv1d, .run = run_conv1d, .destroy = destroy_conv1d,
};
