/* Swish / SiLU (domain ai.rooftop): y = x * sigmoid(x), what the `swish` pass makes of
 * x * Sigmoid(x). XNNPACK (this version) has no SiLU, so on CPUs with AVX-512 or AVX2 and FMA,
 * and on arm64 (NEON is baseline there), a native single-pass kernel computes x / (1 + exp(-x)):
 * one read and one write per element. Elsewhere XNNPACK's sigmoid writes y and a multiply pass
 * by x follows: two sweeps but one kernel and no intermediate activation. EfficientNet-B0
 * spends ~15% of its time here, memory-bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "xnn_backend.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROOF_SILU_AVX512 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ROOF_SILU_NEON 1
#endif

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
  void (*tile)(void* ctx, size_t start, size_t len); /* the native kernel for this CPU */
  const float* x;
  float* y;
  float* sig;   /* where XNNPACK's sigmoid goes: y, or the scratch when y is x (in place) */
} swish_state;

static bool supports_dense(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if ((roof_tensor_is_plain(x) && roof_tensor_is_plain(y)) || (roof_tensor_is_nhwc(x) && roof_tensor_is_nhwc(y))) return true;
  snprintf(why, n, "input and output are not one dense layout");
  return false;
}

static roof_status create_swish(roof_kernel* k, roof_error* err) {
  swish_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->count = (size_t)roof_tensor_count(&k->in[0]);
  return ROOF_OK;
}

static void bind(roof_kernel* k) {
  swish_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
}

#ifdef ROOF_SILU_AVX512
/* 16 lanes of x / (1 + exp(-x)) in 16 vector operations: the kernel is bound by them, not by
 * memory (EfficientNet-B0's 49 Swish layers: 1.26 ms on one core with the 19 of a degree-6
 * polynomial, a two-part ln 2 and a separate negation; 0.89 ms with these, 1.01 with degree 6
 * kept; min of 6 alternating profiles, loaded Zen 5). x is clamped to [-88, 88] for the
 * exponent only (e^88 is finite; beyond, the result is x or 0 to float precision), the
 * negation folded into the reduction: n = round(-x / ln 2), r = -x - n ln 2 with one constant,
 * e^r by its degree-5 Taylor polynomial (|r| <= ln2 / 2: truncation < 2.4e-6 relative), 2^n by
 * scalef, 1 / d by a 14-bit estimate and one Newton step. Largest error against double over
 * [-90, 90] in steps of 1e-4: 3.5e-6 relative (2.9e-7 before), far inside the zoo's 1e-3.
 * The product takes the unclamped x: NaN stays NaN, +-inf give +-inf. */
__attribute__((target("avx512f"))) static inline __m512 silu16(__m512 x) {
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-88.0f)), _mm512_set1_ps(88.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(-1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmsub_ps(n, _mm512_set1_ps(0.693147180559945309f), xc); /* -(n ln2) - xc */
  __m512 p = _mm512_set1_ps(1.0f / 120.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_scalef_ps(p, n));
  /* 1 / d: a 14-bit estimate and one Newton step (~1e-8 relative); a divide would cost ~8x the
   * rest */
  __m512 q = _mm512_rcp14_ps(d);
  q = _mm512_fmadd_ps(q, _mm512_fnmadd_ps(d, q, _mm512_set1_ps(1.0f)), q);
  return _mm512_mul_ps(x, q);
}

__attribute__((target("avx512f"))) static void silu_tile(void* ctx, size_t start, size_t len) {
  const swish_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) _mm512_storeu_ps(y + i, silu16(_mm512_loadu_ps(x + i)));
  if (i < len) {
    __mmask16 m = (__mmask16)((1u << (len - i)) - 1u); /* the tail, masked: no read past x */
    _mm512_mask_storeu_ps(y + i, m, silu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

/* 8 lanes, for CPUs without AVX-512 (a Zen 3: XNNPACK's sigmoid and the multiply pass took
 * EfficientNet-B0's 49 Swish layers to 3.3 ms of its 24). The AVX-512 kernel's method in 16
 * vector operations, without its roundscale and scalef: x clamped to [-87, 87], n = round(-x /
 * ln 2) by adding 1.5 * 2^23 + 127 (the rounded n + 127 lands in the low mantissa bits, so one
 * shift makes 2^n; n + 127 stays in 1..253), r = -x - n ln 2, e^r by the degree-5 polynomial,
 * then x / d by a divide. Largest error against double over [-90, 90] in steps of 1e-3: 3.5e-6
 * relative, as the AVX-512 kernel's; +-inf give +-inf, NaN stays NaN. The kernel is bound by its
 * vector operations, not by memory (0.34 ns per element from L1 as from DRAM, Zen 3): the
 * divide runs on its own unit beside the FMA pipes, where the 12-bit reciprocal estimate, its
 * Newton step and the product took three of them (0.34 -> 0.29 ns per element over 32768
 * floats in L1, best of 30 sweeps; Horner's polynomial chain is not the limit: Estrin's scheme
 * changed nothing). MobileNet-sized layer (1x96x112x112, one thread, Zen 3), with the
 * reciprocal: 0.41-0.48 ms against XNNPACK's sigmoid and multiply 0.58-0.68. */
__attribute__((target("avx2,fma"))) static inline __m256 silu8(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12583039.0f); /* 1.5 * 2^23 + 127 */
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
  __m256 t = _mm256_fnmadd_ps(xc, _mm256_set1_ps(1.44269504088896341f), magic);
  __m256 n = _mm256_sub_ps(t, magic); /* round(-xc / ln 2) - 127 + 127 */
  __m256 r = _mm256_fnmsub_ps(n, _mm256_set1_ps(0.693147180559945309f), xc); /* -(n ln2) - xc */
  __m256 p = _mm256_set1_ps(1.0f / 120.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256 two_n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
  __m256 d = _mm256_fmadd_ps(p, two_n, _mm256_set1_ps(1.0f));
  return _mm256_div_ps(x, d);
}

__attribute__((target("avx2,fma"))) static void silu_tile_avx2(void* ctx, size_t start, size_t len) {
  const swish_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) _mm256_storeu_ps(y + i, silu8(_mm256_loadu_ps(x + i)));
  if (i < len) { /* the tail, masked: no read past x */
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(len - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, m, silu8(_mm256_maskload_ps(x + i, m)));
  }
}

#elif defined(ROOF_SILU_NEON)
/* 4 lanes of x / (1 + exp(-x)), the AVX-512 kernel's method in NEON: z = -x clamped to
 * [-87, 88] (2^n then stays a normal float built from its exponent bits; below -87, e^z is
 * under float's smallest normal and y is x to float precision), n = round(z / ln 2), e^r by
 * the degree-6 Taylor polynomial, 1 / d by the reciprocal estimate and two Newton steps. NaN in
 * x stays NaN through the numerator. */
static inline float32x4_t silu4(float32x4_t x) {
  float32x4_t z = vminq_f32(vmaxq_f32(vnegq_f32(x), vdupq_n_f32(-87.0f)), vdupq_n_f32(88.0f));
  float32x4_t n = vrndnq_f32(vmulq_f32(z, vdupq_n_f32(1.44269504088896341f)));
  float32x4_t r = vfmsq_f32(z, n, vdupq_n_f32(0.693359375f)); /* ln 2 in two parts: exact n * hi */
  r = vfmaq_f32(r, n, vdupq_n_f32(2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.0f / 720.0f);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
  int32x4_t bits = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
  float32x4_t d = vfmaq_f32(vdupq_n_f32(1.0f), p, vreinterpretq_f32_s32(bits));
  float32x4_t q = vrecpeq_f32(d); /* 8 bits, then ~16, then float precision */
  q = vmulq_f32(q, vrecpsq_f32(d, q));
  q = vmulq_f32(q, vrecpsq_f32(d, q));
  return vmulq_f32(x, q);
}

static void silu_tile(void* ctx, size_t start, size_t len) {
  const swish_state* s = ctx;
  const float* x = s->x + start;
  float* y = s->y + start;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) vst1q_f32(y + i, silu4(vld1q_f32(x + i)));
  if (i < len) { /* the tail through a padded copy: no read past x */
    float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, x + i, (len - i) * sizeof(float));
    vst1q_f32(t, silu4(vld1q_f32(t)));
    memcpy(y + i, t, (len - i) * sizeof(float));
  }
}
#endif

#if defined(ROOF_SILU_AVX512) || defined(ROOF_SILU_NEON)
/* The widest tile function this CPU runs; ROOFTOP_NATIVE_ISA=avx2 caps it (as MatMul), NULL:
 * none. */
static void (*silu_pick_tile(void))(void*, size_t, size_t) {
#ifdef ROOF_SILU_AVX512
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  if (cap && strcmp(cap, "portable") == 0) return NULL;
  bool no512 = cap && strcmp(cap, "avx2") == 0;
  if (!no512 && __builtin_cpu_supports("avx512f")) return silu_tile;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return silu_tile_avx2;
  return NULL;
#else
  return silu_tile;
#endif
}

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  if (silu_pick_tile() == NULL) {
    snprintf(why, n, "CPU has neither AVX-512 nor AVX2 with FMA (or ROOFTOP_NATIVE_ISA=portable)");
    return false;
  }
  return supports_dense(k, why, n);
}

static roof_status create_native(roof_kernel* k, roof_error* err) {
  roof_status st = create_swish(k, err);
  if (st == ROOF_OK) ((swish_state*)k->state)->tile = silu_pick_tile();
  return st;
}

static roof_status setup_native(roof_kernel* k, roof_error* err) {
  bind(k);
  return ROOF_OK;
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  swish_state* s = k->state;
  pthreadpool_parallelize_1d_tile_1d(k->pool, s->tile, s, s->count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Swish_native = {
    .op = ROOF_OP_Swish, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = roof_xnn_destroy,
};
#else
const roof_kernel_impl roof_kernel_Swish_native = {
    .op = ROOF_OP_Swish, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = roof_kernel_not_built,
};
#endif

/* XNNPACK's sigmoid, then a multiply pass by x. In place (the planner may give y x's buffer)
 * the sigmoid goes to the session's scratch. */
static uint64_t scratch_xnn(const roof_kernel* k) { return roof_tensor_count(&k->in[0]) * sizeof(float); }

static roof_status create_xnn(roof_kernel* k, roof_error* err) {
  roof_status st = create_swish(k, err);
  if (st != ROOF_OK) return st;
  xnn_operator_t op = NULL;
  enum xnn_status xs = xnn_create_sigmoid_nc_f32(1, 1, 1, 0, &op);
  return roof_xnn_created(xs, op, k, "create sigmoid", err);
}

static roof_status setup_xnn(roof_kernel* k, roof_error* err) {
  swish_state* s = k->state;
  bind(k);
  s->sig = (void*)s->x == (void*)s->y ? k->scratch : s->y;
  return roof_xnn_check(xnn_setup_sigmoid_nc_f32(roof_xop(k), s->count, s->x, s->sig, k->pool), k, "setup sigmoid", err);
}

static void mul_tile(void* ctx, size_t start, size_t len) {
  const swish_state* s = ctx;
  const float* x = s->x + start;
  const float* sig = s->sig + start;
  float* y = s->y + start;
  for (size_t i = 0; i < len; i++) y[i] = x[i] * sig[i];
}

static roof_status run_xnn(roof_kernel* k, roof_error* err) {
  swish_state* s = k->state;
  roof_status st = roof_xnn_run(k, err);
  if (st != ROOF_OK) return st;
  pthreadpool_parallelize_1d_tile_1d(k->pool, mul_tile, s, s->count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Swish_xnnpack = {
    .op = ROOF_OP_Swish, .backend = ROOF_BACKEND_XNNPACK, .dtypes = roof_dtypes_f32, .supports = supports_dense,
    .create = create_xnn, .setup = setup_xnn, .run = run_xnn, .destroy = roof_xnn_destroy,
    .input_padding = ROOF_XNN_PADDING, .scratch_bytes = scratch_xnn,
};

ROOF_REF_KERNEL(Swish, roof_dtypes_f32, ref_swish);

const roof_op_schema roof_op_Swish = {
    .id = ROOF_OP_Swish, .op_type = "Swish", .domain = "ai.rooftop", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_NO_FOLD | ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = 0,
    .infer = roof_infer_same, .cost = cost_swish,
};
