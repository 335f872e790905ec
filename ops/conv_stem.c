/* Few-channel stem convolution: a native Conv entry for dense (group 1) 2-D float convolutions
 * over at most 4 input channels on NHWC data with constant weights, any kernel size, stride,
 * padding and dilation. These are the first layers of image models (ResNet's 7x7 stride 2 over
 * RGB, MobileNet's and EfficientNet's 3x3 stride 2). XNNPACK's NHWC convolution packs its
 * weights in input-channel blocks, which 3 channels fill poorly; here the whole window of a
 * pixel, K = KH * KW * C values, is one row of a GEMM against the weights packed once at create
 * as [panel][K][NR], on the project's micro-kernel (mm_block.h) with the bias and the fused
 * clamp applied in it.
 *
 * Work: the output rows of the batch are cut into bands, one task per band (a few per thread,
 * for balance). A task walks its rows in tiles of MR pixels: the tile's windows are copied into
 * the band's slot of scratch ([MR][K], zeros where a tap falls in the padding), then one
 * micro-kernel call per NR-wide panel of output channels writes the tile's pixels in place. A
 * slot belongs to one band, so tasks on different threads never share one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "conv_params.h"
#include "conv_tune.h"
#include "mm_block.h"

typedef roof_conv_params conv_params;

enum { STEM_MAX_C = 4, STEM_BANDS_PER_THREAD = 4 };

typedef struct stem_state {
  const mm_isa* isa;
  int64_t C, H, W, O, OH, OW;          /* [N, C, H, W] -> [N, O, OH, OW], NHWC in memory */
  int64_t KH, KW, sh, sw, dh, dw, pt, pl;
  int64_t K, panels;                   /* K = KH * KW * C; NR-wide panels of O */
  int64_t rows, bands;                 /* output rows N * OH, and the bands they are cut into */
  roof_act act;
  bool clamp;                          /* act is not the identity */
  float* w;    /* [panels][K][NR], columns past O zero */
  float* bias; /* [panels * NR], zeros past O (and when absent) */
  /* bound by setup */
  const float* x;
  float* y;
  float* slots; /* [bands][MR][K] */
  void (*band)(void* ctx, size_t b);
} stem_state;


/* Copies of a window's runs (KW * C floats: 9 for a 3x3 stem over RGB, 21 for a 7x7) inlined as
 * the widest moves the band function is compiled for, the last one overlapping the one before:
 * a libc call or a per-float tail per run cost more than the run (a first version with memcpy
 * calls spent 1.5x the products' time copying on MobileNet's 3x3 stride-2 stem). */
ROOF_ALWAYS_INLINE void stem_copy(float* d, const float* s, int64_t n) {
#define STEM_RUNS(V)                                                     \
  if (n >= V) {                                                          \
    int64_t j = 0;                                                       \
    for (; j + V <= n; j += V) memcpy(d + j, s + j, V * sizeof(float)); \
    if (j < n) memcpy(d + n - V, s + n - V, V * sizeof(float));          \
    return;                                                              \
  }
  STEM_RUNS(16)
  STEM_RUNS(8)
  STEM_RUNS(4)
#undef STEM_RUNS
  for (int64_t j = 0; j < n; j++) d[j] = s[j];
}

ROOF_ALWAYS_INLINE void stem_zero(float* d, int64_t n) {
  for (int64_t j = 0; j < n; j++) d[j] = 0.0f;
}

/* Taps t of a window starting at input index i0 with t * d + i0 inside [0, size): [*t0, *t1),
 * 0 <= *t0 <= *t1 <= taps. A window wholly in the padding gives an empty range at its end
 * (padding may be wider than the window: t0 past the kernel would zero past the window). */
ROOF_ALWAYS_INLINE void stem_taps(int64_t i0, int64_t taps, int64_t d, int64_t size, int64_t* t0, int64_t* t1) {
  *t0 = i0 < 0 ? (-i0 + d - 1) / d : 0;
  *t1 = size - i0 <= 0 ? 0 : (size - i0 + d - 1) / d;
  if (*t0 > taps) *t0 = taps;
  if (*t1 > taps) *t1 = taps;
  if (*t1 < *t0) *t1 = *t0;
}

/* Row i of a tile: the window of output pixel (oy, ox) as K values ordered (ky, kx, c), the
 * order of the packed weights; taps in the padding are zeros. ky0..ky1: the kernel rows inside
 * the image (the same for every pixel of an output row). */
ROOF_ALWAYS_INLINE void stem_window(const stem_state* s, const float* img, int64_t iy0, int64_t ky0, int64_t ky1, int64_t ox, float* a) {
  const int64_t C = s->C, span = s->KW * C, ix0 = ox * s->sw - s->pl;
  int64_t kx0, kx1;
  stem_taps(ix0, s->KW, s->dw, s->W, &kx0, &kx1);
  stem_zero(a, ky0 * span);
  stem_zero(a + ky1 * span, (s->KH - ky1) * span);
  for (int64_t ky = ky0; ky < ky1; ky++) {
    float* d = a + ky * span;
    const float* row = img + (iy0 + ky * s->dh) * s->W * C;
    if (s->dw == 1 && kx0 == 0 && kx1 == s->KW) { /* one run of KW * C floats of the NHWC row */
      stem_copy(d, row + ix0 * C, span);
      continue;
    }
    stem_zero(d, kx0 * C);
    stem_zero(d + kx1 * C, (s->KW - kx1) * C);
    for (int64_t kx = kx0; kx < kx1; kx++) stem_copy(d + kx * C, row + (ix0 + kx * s->dw) * C, C);
  }
}

/* The windows of m pixels that lie wholly inside the image (dilation 1), the first at input
 * (iy0, ix0): each kernel row of each window is one run of KW * C floats, nothing to zero.
 * Kernel rows outer, pixels inner: each source row is read front to back. */
ROOF_ALWAYS_INLINE void stem_tile_inside(const stem_state* s, const float* img, int64_t iy0, int64_t ix0, int64_t m, float* a) {
  const int64_t C = s->C, span = s->KW * C, K = s->K, step = s->sw * C, row_stride = s->dh * s->W * C;
  const float* src = img + (iy0 * s->W + ix0) * C;
  for (int64_t ky = 0; ky < s->KH; ky++, src += row_stride) {
    float* d = a + ky * span;
    for (int64_t i = 0; i < m; i++) stem_copy(d + i * K, src + i * step, span);
  }
}

/* Band b: output rows [b * rows / bands, (b + 1) * rows / bands) of the batch. */
ROOF_ALWAYS_INLINE void stem_band_body(void* ctx, size_t b) {
  const stem_state* s = ctx;
  const int64_t mr = s->isa->mr, nr = s->isa->nr, K = s->K;
  const int64_t r0 = (int64_t)b * s->rows / s->bands, r1 = ((int64_t)b + 1) * s->rows / s->bands;
  float* a = s->slots + (int64_t)b * mr * K;
  mm_block t = {.K = K, .a = a, .lda = K, .c_rs = s->O, .c_cs = 1, .act = s->clamp ? &s->act : NULL};
  for (int64_t r = r0; r < r1; r++) {
    const int64_t n = r / s->OH, oy = r % s->OH, iy0 = oy * s->sh - s->pt;
    int64_t ky0, ky1;
    stem_taps(iy0, s->KH, s->dh, s->H, &ky0, &ky1);
    const float* img = s->x + n * s->H * s->W * s->C;
    float* yrow = s->y + r * s->OW * s->O;
    for (int64_t ox0 = 0; ox0 < s->OW; ox0 += mr) {
      const int64_t m = s->OW - ox0 < mr ? s->OW - ox0 : mr;
      const int64_t ix_first = ox0 * s->sw - s->pl, ix_last = (ox0 + m - 1) * s->sw - s->pl;
      if (s->dw == 1 && ky0 == 0 && ky1 == s->KH && ix_first >= 0 && ix_last + s->KW <= s->W) {
        stem_tile_inside(s, img, iy0, ix_first, m, a);
      } else {
        for (int64_t i = 0; i < m; i++) stem_window(s, img, iy0, ky0, ky1, ox0 + i, a + i * K);
      }
      t.mr = (int)m;
      for (int64_t p = 0; p < s->panels; p++) {
        t.b = s->w + p * K * nr;
        t.bias = s->bias + p * nr;
        t.c = yrow + ox0 * s->O + p * nr;
        t.nc = (int)(s->O - p * nr < nr ? s->O - p * nr : nr);
        s->isa->block(&t);
      }
    }
  }
}

static void stem_band_portable(void* ctx, size_t b) { stem_band_body(ctx, b); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static void stem_band_avx512(void* ctx, size_t b) { stem_band_body(ctx, b); }
__attribute__((target("avx2,fma"))) static void stem_band_avx2(void* ctx, size_t b) { stem_band_body(ctx, b); }
#endif

/* The copies as wide as the micro-kernel mm_block picked (so ROOFTOP_NATIVE_ISA caps both):
 * its 32-column panels are AVX-512's, 16 AVX2's (or NEON's, not x86). */
static void (*stem_pick_band(const mm_isa* isa))(void*, size_t) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (isa->nr == 32) return stem_band_avx512;
  if (isa->nr == 16) return stem_band_avx2;
#endif
  (void)isa;
  return stem_band_portable;
}

/* The class raced against XNNPACK at create (conv_tune.h): windows of fewer than 48 values (3x3
 * over 3 or 4 channels) to at most 32 output channels, one AVX-512 panel, where the copy of each
 * window is amortized over too few products. XNNPACK won on a Zen 5; on a Zen 3 (AVX2) its
 * MobileNet v2 stem took 1.04 ms against ONNX Runtime's 0.57. Measured on the Zen 5 (1 thread, loaded machine, minimum of alternating runs, ms, this
 * entry / XNNPACK): MobileNet v2's 3x3 stride-2 stem 3 -> 32 in the model 0.257 / 0.223, 3x3
 * stride 2 4 -> 32 0.249 / 0.250; the same 3 -> 64 0.334 / 0.420, 5x5 stride 2 3 -> 48
 * 0.692 / 0.804, 4x4 stride 4 3 -> 96 (ConvNeXt's) 0.173 / 0.272, ResNet-18's 7x7 stride-2
 * stem 3 -> 64 in the model 1.53 / 2.54 (0.79 / 1.10 at 2 threads). */
static bool stem_small(const roof_kernel* k) {
  const roof_tensor* w = &k->in[1]; /* [O, C, KH, KW] */
  return w->dims[1] * w->dims[2] * w->dims[3] < 48 && w->dims[0] <= 32;
}

static bool supports_stem(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  const char* no = roof_conv_residual_refusal(k) ? roof_conv_residual_refusal(k)
                   : sp->nsp != 2 ? "stem: not 2-D"
                   : p->group != 1 ? "stem: grouped"
                   : x->dims[1] > STEM_MAX_C ? "stem: more than 4 input channels"
                   : sp->pads[0] < 0 || sp->pads[1] < 0 ? "stem: negative padding"
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "stem: input or output not NHWC"
                   : !roof_conv_weights_const(k) ? "stem: weights or bias not constant"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void destroy_stem(roof_kernel* k) {
  stem_state* s = k->state;
  if (s) {
    free(s->w);
    free(s->bias);
  }
  free(s);
  k->state = NULL;
}

/* The band count: one when the pool has one thread (a single task, no split), else a few per
 * thread so that a descheduled thread's band is small. */
static int64_t stem_bands(int64_t rows, size_t threads) {
  if (threads <= 1) return 1;
  int64_t b = (int64_t)threads * STEM_BANDS_PER_THREAD;
  return b < rows ? b : rows;
}

static roof_status create_stem(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0]; /* [N, C, H, W], [O, C, KH, KW], [N, O, OH, OW] */
  stem_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->isa = roof_mm_pick_isa();
  s->band = stem_pick_band(s->isa);
  s->C = x->dims[1], s->H = x->dims[2], s->W = x->dims[3];
  s->O = y->dims[1], s->OH = y->dims[2], s->OW = y->dims[3];
  s->KH = w->dims[2], s->KW = w->dims[3];
  s->sh = p->sp.strides[0], s->sw = p->sp.strides[1], s->dh = p->sp.dilations[0], s->dw = p->sp.dilations[1];
  s->pt = p->sp.pads[0], s->pl = p->sp.pads[1];
  s->act = p->act;
  s->clamp = !roof_act_is_identity(&p->act);
  const int64_t nr = s->isa->nr;
  s->panels = (s->O + nr - 1) / nr;
  uint64_t K, wf, wb, rows, sf, sb;
  bool ok = roof_mul_u64((uint64_t)(s->KH * s->KW), (uint64_t)s->C, &K) && K <= (uint64_t)INT32_MAX &&
            roof_mul_u64(K, (uint64_t)(s->panels * nr), &wf) && roof_mul_u64(wf, sizeof(float), &wb) &&
            roof_mul_u64((uint64_t)x->dims[0], (uint64_t)s->OH, &rows) && rows <= (uint64_t)INT64_MAX / 2;
  if (!ok || wb > k->max_scratch_bytes) return roof_kernel_refuse(err, "stem: packed weights over the tensor size limit");
  s->K = (int64_t)K;
  s->rows = (int64_t)rows;
  s->bands = stem_bands(s->rows, pthreadpool_get_threads_count(k->pool));
  if (!roof_mul_u64((uint64_t)(s->bands * s->isa->mr), K, &sf) || !roof_mul_u64(sf, sizeof(float), &sb) ||
      sb > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "stem: scratch over the tensor size limit");
  }
  s->w = calloc((size_t)wf, sizeof(float));
  s->bias = calloc((size_t)(s->panels * nr), sizeof(float));
  if (s->w == NULL || s->bias == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  /* ONNX [O][C][KH][KW] -> [panel][(ky * KW + kx) * C + c][j], o = panel * NR + j */
  const float* src = w->data;
  for (int64_t o = 0; o < s->O; o++)
    for (int64_t c = 0; c < s->C; c++)
      for (int64_t ky = 0; ky < s->KH; ky++)
        for (int64_t kx = 0; kx < s->KW; kx++)
          s->w[((o / nr) * s->K + (ky * s->KW + kx) * s->C + c) * nr + o % nr] = src[((o * s->C + c) * s->KH + ky) * s->KW + kx];
  const float* bias = k->num_in > 2 && k->in[2].data ? k->in[2].data : NULL;
  if (bias) memcpy(s->bias, bias, sizeof(float) * (size_t)s->O);
  return stem_small(k) ? roof_tune_conv_or_refuse(k, "stem", err) : ROOF_OK;
}

static uint64_t scratch_stem(const roof_kernel* k) {
  const stem_state* s = k->state;
  return s ? (uint64_t)(s->bands * s->isa->mr * s->K) * sizeof(float) : 0; /* checked by create */
}

static roof_status setup_stem(roof_kernel* k, roof_error* err) {
  stem_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  s->slots = k->scratch;
  return ROOF_OK;
}

static roof_status run_stem(roof_kernel* k, roof_error* err) {
  stem_state* s = k->state;
  pthreadpool_parallelize_1d(k->pool, s->band, s, (size_t)s->bands, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Conv_stem = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_stem,
    .create = create_stem, .setup = setup_stem, .run = run_stem, .destroy = destroy_stem, .packs_consts = true,
    .scratch_bytes = scratch_stem, .algorithm = "im2col",
};
