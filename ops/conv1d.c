/* Native 1-D convolution: Conv over [N, C, L], as the STFT front ends (a Conv1d with cos/sin
 * kernels, the hop as stride) and temporal convolutions of voice and sequence models use it.
 * XNNPACK's convolution is 2-D NHWC and the native depthwise kernel is 2-D, so these layers
 * otherwise fall to the generic N-D reference loop.
 *
 * Two ways. With 8 or more output channels per group, weights are packed at create into blocks of
 * 16 output channels ([G][blocks][C/G][K][16]) and a register tile of 4 output positions x 16
 * channels accumulates tap by tap: every multiply is useful and nothing is reduced across lanes
 * (an STFT's 66 cos/sin rows over 64 taps: 990 horizontal sums the other way, 9x slower).
 * With fewer (depthwise), one task per output row (image, output channel): an output element
 * is the dot product of the kernel row and a window of the input row, contiguous when the
 * dilation is 1 whatever the stride, on 8-lane vectors; weights are read in place (ONNX's
 * [C_out][C_in / group][K] is the order the dot products want). Either way windows cut by the
 * padding are clipped (the skipped terms are zeros). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv_params.h"

typedef roof_conv_params conv_params;

enum { C1_LANES = 16, C1_TILE = 4 }; /* packed: output channels per block, positions per tile */

typedef struct c1_state {
  int64_t C, L, Co, Lo, K;   /* input channels and length, output channels and length, taps */
  int64_t cg, og;            /* input and output channels per group */
  int64_t G, blocks;         /* groups; packed: blocks of C1_LANES output channels per group */
  float* wp;                 /* packed: [G][blocks][cg][K][C1_LANES], zero past og; NULL: dot path */
  void (*packed_task)(void*, size_t, size_t); /* the packed path's task for this CPU */
  void (*row_task)(void*, size_t);             /* the dot path's task for this CPU */
  int64_t stride, dil, pad;  /* pad: the padding before the first element */
  roof_act act;
  const float* w;            /* [Co][cg][K] */
  const float* b;            /* [Co] or NULL */
  const float* x;            /* [N][C][L] */
  float* y;                  /* [N][Co][Lo] */
} c1_state;

typedef float c1_v8 __attribute__((vector_size(32)));

/* sum of w[k] * x[k] over n terms, in 8 lanes then reduced (fixed order: deterministic). */
ROOF_ALWAYS_INLINE float c1_dot(const float* w, const float* x, int64_t n) {
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

ROOF_ALWAYS_INLINE float c1_dot_dilated(const float* w, const float* x, int64_t n, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < n; k++) s += w[k] * x[k * d];
  return s;
}

/* Row (image n, output channel co): y[n][co][:]. */
ROOF_ALWAYS_INLINE void c1_row_body(void* ctx, size_t row) {
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

/* Packed path: accumulators acc[t] (positions o0 + t) over the block's 16 channels, as two
 * 8-lane halves. Full tiles whose windows lie inside the input take the unrolled loop; border
 * and partial tiles clip each position's taps. */
typedef struct c1_acc {
  c1_v8 lo, hi;
} c1_acc;

ROOF_ALWAYS_INLINE void c1_tile_inner(const c1_state* s, const float* xg, const float* wb, int64_t o0, c1_acc* acc) {
  const int64_t st = s->stride, d = s->dil, base = o0 * st - s->pad;
  for (int64_t c = 0; c < s->cg; c++) {
    const float* xc = xg + c * s->L + base;
    const float* wc = wb + c * s->K * C1_LANES;
    for (int64_t k = 0; k < s->K; k++) {
      c1_v8 w0, w1;
      memcpy(&w0, wc + k * C1_LANES, sizeof(w0));
      memcpy(&w1, wc + k * C1_LANES + 8, sizeof(w1));
      const float* xk = xc + k * d;
      for (int t = 0; t < C1_TILE; t++) {
        const float xv = xk[t * st];
        acc[t].lo += w0 * xv;
        acc[t].hi += w1 * xv;
      }
    }
  }
}

ROOF_ALWAYS_INLINE void c1_position_clipped(const c1_state* s, const float* xg, const float* wb, int64_t o, c1_acc* acc) {
  const int64_t start = o * s->stride - s->pad;
  int64_t k0 = start < 0 ? (-start + s->dil - 1) / s->dil : 0;
  int64_t k1 = s->L - start <= 0 ? 0 : (s->L - start + s->dil - 1) / s->dil;
  if (k1 > s->K) k1 = s->K;
  for (int64_t c = 0; c < s->cg; c++) {
    const float* xc = xg + c * s->L + start;
    const float* wc = wb + c * s->K * C1_LANES;
    for (int64_t k = k0; k < k1; k++) {
      c1_v8 w0, w1;
      memcpy(&w0, wc + k * C1_LANES, sizeof(w0));
      memcpy(&w1, wc + k * C1_LANES + 8, sizeof(w1));
      const float xv = xc[k * s->dil];
      acc->lo += w0 * xv;
      acc->hi += w1 * xv;
    }
  }
}

/* Task (row = (image, group, block), tile of C1_TILE positions). */
ROOF_ALWAYS_INLINE void c1_packed_body(void* ctx, size_t row, size_t tile) {
  const c1_state* s = ctx;
  const int64_t b = (int64_t)row % s->blocks, g = (int64_t)row / s->blocks % s->G, n = (int64_t)row / s->blocks / s->G;
  const int64_t o0 = (int64_t)tile * C1_TILE, no = s->Lo - o0 < C1_TILE ? s->Lo - o0 : C1_TILE;
  const float* xg = s->x + (n * s->C + g * s->cg) * s->L;
  const float* wb = s->wp + (g * s->blocks + b) * s->cg * s->K * C1_LANES;
  c1_acc acc[C1_TILE];
  memset(acc, 0, sizeof(acc));
  /* inside: the first tap of the first position and the last tap of the last are in the input */
  const int64_t first = o0 * s->stride - s->pad, last = (o0 + C1_TILE - 1) * s->stride - s->pad + (s->K - 1) * s->dil;
  if (no == C1_TILE && first >= 0 && last < s->L) {
    c1_tile_inner(s, xg, wb, o0, acc);
  } else {
    for (int64_t t = 0; t < no; t++) c1_position_clipped(s, xg, wb, o0 + t, &acc[t]);
  }
  const int64_t co0 = g * s->og + b * C1_LANES, nc = s->og - b * C1_LANES < C1_LANES ? s->og - b * C1_LANES : C1_LANES;
  for (int64_t t = 0; t < no; t++) {
    float lanes[C1_LANES];
    memcpy(lanes, &acc[t].lo, sizeof(acc[t].lo));
    memcpy(lanes + 8, &acc[t].hi, sizeof(acc[t].hi));
    for (int64_t j = 0; j < nc; j++) {
      const float bias = s->b ? s->b[co0 + j] : 0.0f;
      s->y[(n * s->Co + co0 + j) * s->Lo + o0 + t] = roof_act_apply(&s->act, lanes[j] + bias);
    }
  }
}

static void c1_packed_portable(void* ctx, size_t row, size_t tile) { c1_packed_body(ctx, row, tile); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void c1_packed_avx2(void* ctx, size_t row, size_t tile) { c1_packed_body(ctx, row, tile); }
#endif

/* 8-lane vectors: AVX2 with FMA where the CPU has it (AVX-512 would split the tiles no better);
 * ROOFTOP_NATIVE_ISA=portable caps it, as for the other native kernels. */
#if defined(__x86_64__) && defined(__GNUC__)
static bool c1_use_avx2(void) {
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  return !(cap && strcmp(cap, "portable") == 0) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

/* [Co][cg][K] -> [G][blocks][cg][K][C1_LANES], zeros past each group's og channels. */
static float* c1_pack(const c1_state* s, const float* w) {
  uint64_t n;
  if (!roof_mul_u64((uint64_t)(s->G * s->blocks), (uint64_t)(s->cg * s->K), &n) || !roof_mul_u64(n, C1_LANES, &n) ||
      n > SIZE_MAX / sizeof(float))
    return NULL;
  float* wp = calloc((size_t)n ? (size_t)n : 1, sizeof(float));
  if (wp == NULL) return NULL;
  for (int64_t g = 0; g < s->G; g++)
    for (int64_t j = 0; j < s->og; j++) {
      const int64_t co = g * s->og + j, b = j / C1_LANES, lane = j % C1_LANES;
      float* dst = wp + (g * s->blocks + b) * s->cg * s->K * C1_LANES + lane;
      const float* src = w + co * s->cg * s->K;
      for (int64_t ck = 0; ck < s->cg * s->K; ck++) dst[ck * C1_LANES] = src[ck];
    }
  return wp;
}

static void c1_row_portable(void* ctx, size_t row) { c1_row_body(ctx, row); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void c1_row_avx2(void* ctx, size_t row) { c1_row_body(ctx, row); }
#endif

static bool c1_const(const roof_kernel* k, int i) {
  const roof_value* v = roof_in(k->g, k->node, i);
  return v == NULL || (v->data && (v->flags & ROOF_VAL_CONST));
}

static bool supports_conv1d(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const char* no = roof_conv_residual_refusal(k) ? roof_conv_residual_refusal(k)
                   : p->sp.nsp != 1 ? "not 1-D"
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
                  .b = k->num_in > 2 ? k->in[2].data : NULL, .G = p->group};
  s->blocks = (s->og + C1_LANES - 1) / C1_LANES;
#if defined(__x86_64__) && defined(__GNUC__)
  s->row_task = c1_use_avx2() ? c1_row_avx2 : c1_row_portable;
#else
  s->row_task = c1_row_portable;
#endif
  if (s->og >= 8) {
    s->wp = c1_pack(s, w->data);
#if defined(__x86_64__) && defined(__GNUC__)
    s->packed_task = c1_use_avx2() ? c1_packed_avx2 : c1_packed_portable;
#else
    s->packed_task = c1_packed_portable;
#endif
    if (s->wp == NULL) {
      free(s);
      return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing the weights of a 1-D convolution");
    }
  }
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
  const size_t n = (size_t)k->out[0].dims[0];
  if (s->wp)
    pthreadpool_parallelize_2d(k->pool, s->packed_task, k->state, n * (size_t)(s->G * s->blocks),
                               (size_t)((s->Lo + C1_TILE - 1) / C1_TILE), ROOF_POOL_FLAGS);
  else
    pthreadpool_parallelize_1d(k->pool, s->row_task, k->state, n * (size_t)s->Co, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static void destroy_conv1d(roof_kernel* k) {
  c1_state* s = k->state;
  if (s) free(s->wp);
  free(s);
  k->state = NULL;
}

/* The dot path reads the weights in place at run time, so they are never released (the packed
 * path's copy is small: 1-D front ends hold thousands of weights, not millions). */
const roof_kernel_impl roof_kernel_Conv_native1d = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_conv1d,
    .create = create_conv1d, .setup = setup_conv1d, .run = run_conv1d, .destroy = destroy_conv1d,
};
