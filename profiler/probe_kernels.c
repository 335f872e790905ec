/* The probe's inner loops per instruction set; see probe_kernels.h. */
#include "probe_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <stdbool.h>
#include <immintrin.h>
#define ROOF_PROBE_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>
#define ROOF_PROBE_NEON 1
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20) /* the kernel's bit for SDOT/UDOT (asm/hwcap.h) */
#endif
#endif

/* Accumulators are named variables, not an array: an array loop is not kept in registers at
 * -O2 and would measure store-forwarding latency instead of FMA throughput. */
#define ROOF_FMA12(F)                                                                                      \
  a0 = F(a0); a1 = F(a1); a2 = F(a2); a3 = F(a3); a4 = F(a4); a5 = F(a5); a6 = F(a6); a7 = F(a7);           \
  a8 = F(a8); a9 = F(a9); a10 = F(a10); a11 = F(a11)
#define ROOF_FMA24(F)                                                                                      \
  ROOF_FMA12(F);                                                                                           \
  a12 = F(a12); a13 = F(a13); a14 = F(a14); a15 = F(a15); a16 = F(a16); a17 = F(a17); a18 = F(a18);         \
  a19 = F(a19); a20 = F(a20); a21 = F(a21); a22 = F(a22); a23 = F(a23)
#define ROOF_INIT12(S) \
  a0 = S(0), a1 = S(1), a2 = S(2), a3 = S(3), a4 = S(4), a5 = S(5), a6 = S(6), a7 = S(7), a8 = S(8), a9 = S(9), \
  a10 = S(10), a11 = S(11)
#define ROOF_INIT24(S) \
  ROOF_INIT12(S), a12 = S(12), a13 = S(13), a14 = S(14), a15 = S(15), a16 = S(16), a17 = S(17), a18 = S(18), \
  a19 = S(19), a20 = S(20), a21 = S(21), a22 = S(22), a23 = S(23)
#define ROOF_SUM12(ADD) \
  ADD(ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))), ADD(ADD(a8, a9), ADD(a10, a11)))
#define ROOF_SUM24(ADD)                                                                                      \
  ADD(ROOF_SUM12(ADD), ADD(ADD(ADD(ADD(a12, a13), ADD(a14, a15)), ADD(ADD(a16, a17), ADD(a18, a19))),       \
                           ADD(ADD(a20, a21), ADD(a22, a23))))

#ifdef ROOF_PROBE_X86
/* 12 chains: FMA latency 4 x 2 ports on Skylake-class cores, with room for 6-cycle parts. */
#define X512_SEED(k) _mm512_set1_ps(seed + (float)(k))
#define X512_FMA(a) _mm512_fmadd_ps(vx, vy, a)
__attribute__((target("avx512f"))) static float fma_avx512(uint64_t iters, float seed, float x, float y) {
  const __m512 vx = _mm512_set1_ps(x), vy = _mm512_set1_ps(y);
  __m512 ROOF_INIT12(X512_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(X512_FMA);
  }
  return _mm512_reduce_add_ps(ROOF_SUM12(_mm512_add_ps));
}

#define X256_SEED(k) _mm256_set1_ps(seed + (float)(k))
#define X256_FMA(a) _mm256_fmadd_ps(vx, vy, a)
__attribute__((target("avx2,fma"))) static float fma_avx2(uint64_t iters, float seed, float x, float y) {
  const __m256 vx = _mm256_set1_ps(x), vy = _mm256_set1_ps(y);
  __m256 ROOF_INIT12(X256_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(X256_FMA);
  }
  float out[8];
  _mm256_storeu_ps(out, ROOF_SUM12(_mm256_add_ps));
  return ((out[0] + out[1]) + (out[2] + out[3])) + ((out[4] + out[5]) + (out[6] + out[7]));
}
#endif

#ifdef ROOF_PROBE_NEON
/* 24 chains of 4 floats (26 of the 32 vector registers with x and y): covers FMLA latency x
 * pipes of Cortex-A72 (7 x 2), A76 (4 x 2), Neoverse V1/V2 and Apple cores (4 x 4). The
 * accumulating form keeps FMLA's destination the accumulator, so no register copies. */
#define NEON_SEED(k) vdupq_n_f32(seed + (float)(k))
#define NEON_FMA(a) vfmaq_f32(a, vx, vy)
static float fma_neon(uint64_t iters, float seed, float x, float y) {
  const float32x4_t vx = vdupq_n_f32(x), vy = vdupq_n_f32(y);
  float32x4_t ROOF_INIT24(NEON_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA24(NEON_FMA);
  }
  return vaddvq_f32(ROOF_SUM24(vaddq_f32));
}
#endif

/* Portable C: 8 chains a = a * x + y (a multiply and an add, fused where the target can). */
static float fma_scalar(uint64_t iters, float seed, float x, float y) {
  float a[8];
  for (int i = 0; i < 8; i++) a[i] = seed + (float)i;
  for (uint64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 8; i++) a[i] = a[i] * x + y;
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

double roof_fma_flops_per_iter(const roof_fma_kernel* k) { return 2.0 * k->chains * k->lanes; }

int roof_fma_kernels(const roof_fma_kernel* out[4]) {
  int n = 0;
#ifdef ROOF_PROBE_X86
  static const roof_fma_kernel k512 = {"avx512f", 12, 16, fma_avx512};
  static const roof_fma_kernel k256 = {"avx2+fma", 12, 8, fma_avx2};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) out[n++] = &k512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out[n++] = &k256;
#endif
#ifdef ROOF_PROBE_NEON
  static const roof_fma_kernel kneon = {"neon", 24, 4, fma_neon}; /* NEON is baseline on arm64 */
  out[n++] = &kneon;
#endif
  static const roof_fma_kernel kscalar = {"scalar", 8, 1, fma_scalar};
  out[n++] = &kscalar;
  return n;
}

/* ---- int8 dot-product kernels ---- */

/* An empty asm that claims to change v: the product of constant bytes is then computed anew
 * for every chain instead of once per loop (hoisted) or once per iteration (shared). It emits
 * no instruction. */
#if defined(__GNUC__)
#define ROOF_HIDE(v, reg) __asm__ volatile("" : "+" reg(v))
#else
#define ROOF_HIDE(v, reg) ((void)0)
#endif

static int64_t sum_i32(const int32_t* v, int n) {
  int64_t s = 0;
  for (int i = 0; i < n; i++) s += v[i];
  return s;
}

#ifdef ROOF_PROBE_X86
/* VPDPBUSD: 4 byte products summed into every int32 lane, accumulator in place (latency 5 on
 * Ice Lake and Zen 4, up to 2 per cycle): 12 chains as for the FMA. */
#define XI512_SEED(k) _mm512_set1_epi32(seed + (k))
#define XI512_DOT(a) _mm512_dpbusd_epi32(a, vx, vy)
__attribute__((target("avx512f,avx512vnni"))) static int64_t dot_avx512vnni(uint64_t iters, int32_t seed, uint8_t x,
                                                                          int8_t y) {
  const __m512i vx = _mm512_set1_epi8((char)x), vy = _mm512_set1_epi8(y);
  __m512i ROOF_INIT12(XI512_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(XI512_DOT);
  }
  int32_t out[16];
  _mm512_storeu_si512(out, ROOF_SUM12(_mm512_add_epi32));
  return sum_i32(out, 16);
}

#define XI256_SEED(k) _mm256_set1_epi32(seed + (k))
#define XI256_DOT(a) _mm256_dpbusd_avx_epi32(a, vx, vy)
__attribute__((target("avx2,avxvnni"))) static int64_t dot_avxvnni(uint64_t iters, int32_t seed, uint8_t x, int8_t y) {
  const __m256i vx = _mm256_set1_epi8((char)x), vy = _mm256_set1_epi8(y);
  __m256i ROOF_INIT12(XI256_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(XI256_DOT);
  }
  int32_t out[8];
  _mm256_storeu_si256((__m256i*)out, ROOF_SUM12(_mm256_add_epi32));
  return sum_i32(out, 8);
}

/* AVX2 has no dot-product instruction: VPMADDUBSW (byte pairs to int16), VPMADDWD by ones
 * (int16 pairs to int32), VPADDD into the accumulator, as int8 GEMMs do it. Only the add hangs
 * on the accumulator; the two multiplies are independent work the ports must still issue. */
#define XI256_MADD(a)                                                                   \
  __extension__({                                                                       \
    __m256i x_ = vx;                                                                    \
    ROOF_HIDE(x_, "x");                                                                 \
    _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_maddubs_epi16(x_, vy), ones));         \
  })
__attribute__((target("avx2"))) static int64_t dot_avx2(uint64_t iters, int32_t seed, uint8_t x, int8_t y) {
  const __m256i vx = _mm256_set1_epi8((char)x), vy = _mm256_set1_epi8(y), ones = _mm256_set1_epi16(1);
  __m256i ROOF_INIT12(XI256_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(XI256_MADD);
  }
  int32_t out[8];
  _mm256_storeu_si256((__m256i*)out, ROOF_SUM12(_mm256_add_epi32));
  return sum_i32(out, 8);
}
#endif

#ifdef ROOF_PROBE_NEON
/* SDOT (Armv8.2 dotprod): 4 byte products into every int32 lane; 24 chains as for the FMLA. */
#define NEONI_SEED(k) vdupq_n_s32(seed + (k))
#define NEONI_SDOT(a) vdotq_s32(a, vx, vy)
__attribute__((target("arch=armv8.2-a+dotprod"))) static int64_t dot_neon_sdot(uint64_t iters, int32_t seed, uint8_t x, int8_t y) {
  const int8x16_t vx = vdupq_n_s8((int8_t)x), vy = vdupq_n_s8(y);
  int32x4_t ROOF_INIT24(NEONI_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA24(NEONI_SDOT);
  }
  int32_t out[4];
  vst1q_s32(out, ROOF_SUM24(vaddq_s32));
  return sum_i32(out, 4);
}

/* Without dotprod: SMULL + SMLAL2 (16 byte products into 8 int16) and SADALP (pairs into the 4
 * int32 lanes). 12 chains leave registers for the int16 temporaries. */
#define NEONI_MULL(a)                                                          \
  __extension__({                                                              \
    int8x16_t x_ = vx;                                                         \
    ROOF_HIDE(x_, "w");                                                        \
    int16x8_t p_ = vmull_s8(vget_low_s8(x_), vget_low_s8(vy));                 \
    vpadalq_s16(a, vmlal_high_s8(p_, x_, vy));                                 \
  })
static int64_t dot_neon(uint64_t iters, int32_t seed, uint8_t x, int8_t y) {
  const int8x16_t vx = vdupq_n_s8((int8_t)x), vy = vdupq_n_s8(y);
  int32x4_t ROOF_INIT12(NEONI_SEED);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(NEONI_MULL);
  }
  int32_t out[4];
  vst1q_s32(out, ROOF_SUM12(vaddq_s32));
  return sum_i32(out, 4);
}
#endif

/* Portable C: 8 chains of one multiply-add each; unsigned accumulators wrap without UB. */
static int64_t dot_scalar(uint64_t iters, int32_t seed, uint8_t x, int8_t y) {
  uint32_t a[8];
  for (int i = 0; i < 8; i++) a[i] = (uint32_t)(seed + i);
  for (uint64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 8; i++) {
      int32_t xi = x;
      ROOF_HIDE(xi, "r");
      a[i] += (uint32_t)(xi * (int32_t)y);
    }
  }
  int32_t out[8];
  for (int i = 0; i < 8; i++) out[i] = (int32_t)a[i];
  return sum_i32(out, 8);
}

#ifdef ROOF_PROBE_X86
/* AVX-VNNI: CPUID leaf 7 subleaf 1, EAX bit 4. Read directly: clang 14's __builtin_cpu_supports
 * does not know the feature name (GCC 12's does). */
static bool has_avxvnni(void) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0;
}
#endif

double roof_dot_ops_per_iter(const roof_dot_kernel* k) { return 2.0 * k->chains * k->lanes * k->macs_per_lane; }

int roof_dot_kernels(const roof_dot_kernel* out[4]) {
  int n = 0;
#ifdef ROOF_PROBE_X86
  static const roof_dot_kernel k512 = {"avx512vnni", 12, 16, 4, dot_avx512vnni};
  static const roof_dot_kernel kvnni = {"avxvnni", 12, 8, 4, dot_avxvnni};
  static const roof_dot_kernel k256 = {"avx2", 12, 8, 4, dot_avx2};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni")) out[n++] = &k512;
  if (__builtin_cpu_supports("avx2") && has_avxvnni()) out[n++] = &kvnni;
  if (__builtin_cpu_supports("avx2")) out[n++] = &k256;
#endif
#ifdef ROOF_PROBE_NEON
  static const roof_dot_kernel ksdot = {"neon-dotprod", 24, 4, 4, dot_neon_sdot};
  static const roof_dot_kernel kneon = {"neon", 12, 4, 4, dot_neon};
  if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) out[n++] = &ksdot;
  out[n++] = &kneon;
#endif
  static const roof_dot_kernel kscalar = {"scalar", 8, 1, 1, dot_scalar};
  out[n++] = &kscalar;
  return n;
}

/* ---- bandwidth loops ---- */

static float read_plain(const float* p, size_t n) {
  float a[8] = {0};
  for (size_t i = 0; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) a[k] += p[i + k];
  }
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static void write_plain(float* p, size_t n, float v) {
  for (size_t i = 0; i < n; i++) p[i] = v;
  __asm__ volatile("" : : "r"(p) : "memory"); /* the stores are the measurement */
}

#ifdef ROOF_PROBE_X86
__attribute__((target("avx512f"))) static float read_avx512(const float* p, size_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/* Plain stores: at DRAM they cost the line's read for ownership and its write-back. */
__attribute__((target("avx512f"))) static void write_avx512(float* p, size_t n, float v) {
  const __m512 x = _mm512_set1_ps(v);
  for (size_t i = 0; i + 64 <= n; i += 64) {
    _mm512_store_ps(p + i, x);
    _mm512_store_ps(p + i + 16, x);
    _mm512_store_ps(p + i + 32, x);
    _mm512_store_ps(p + i + 48, x);
  }
}
#endif

#ifdef ROOF_PROBE_X86
/* CPUs without AVX-512: the plain loop's two SSE accumulators (the baseline target) chained on
 * the add latency read every level at the same 22 GB/s on a Zen 3, far under its L1 and L2;
 * eight 256-bit accumulators keep two loads per cycle in flight. */
__attribute__((target("avx2"))) static float read_avx2(const float* p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
    a4 = _mm256_add_ps(a4, _mm256_load_ps(p + i + 32));
    a5 = _mm256_add_ps(a5, _mm256_load_ps(p + i + 40));
    a6 = _mm256_add_ps(a6, _mm256_load_ps(p + i + 48));
    a7 = _mm256_add_ps(a7, _mm256_load_ps(p + i + 56));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

__attribute__((target("avx2"))) static void write_avx2(float* p, size_t n, float v) {
  const __m256 x = _mm256_set1_ps(v);
  for (size_t i = 0; i + 32 <= n; i += 32) {
    _mm256_store_ps(p + i, x);
    _mm256_store_ps(p + i + 8, x);
    _mm256_store_ps(p + i + 16, x);
    _mm256_store_ps(p + i + 24, x);
  }
  __asm__ volatile("" : : "r"(p) : "memory");
}
#endif

#ifdef ROOF_PROBE_NEON
/* 8 accumulators: two load pipes with a 2-cycle FADD latency stay busy. */
static float read_neon(const float* p, size_t n) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  for (size_t i = 0; i + 32 <= n; i += 32) {
    a0 = vaddq_f32(a0, vld1q_f32(p + i));
    a1 = vaddq_f32(a1, vld1q_f32(p + i + 4));
    a2 = vaddq_f32(a2, vld1q_f32(p + i + 8));
    a3 = vaddq_f32(a3, vld1q_f32(p + i + 12));
    a4 = vaddq_f32(a4, vld1q_f32(p + i + 16));
    a5 = vaddq_f32(a5, vld1q_f32(p + i + 20));
    a6 = vaddq_f32(a6, vld1q_f32(p + i + 24));
    a7 = vaddq_f32(a7, vld1q_f32(p + i + 28));
  }
  float32x4_t s = vaddq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)), vaddq_f32(vaddq_f32(a4, a5), vaddq_f32(a6, a7)));
  return vaddvq_f32(s);
}

static void write_neon(float* p, size_t n, float v) {
  const float32x4_t x = vdupq_n_f32(v);
  for (size_t i = 0; i + 16 <= n; i += 16) {
    vst1q_f32(p + i, x);
    vst1q_f32(p + i + 4, x);
    vst1q_f32(p + i + 8, x);
    vst1q_f32(p + i + 12, x);
  }
  __asm__ volatile("" : : "r"(p) : "memory");
}
#endif

float roof_probe_read(const float* p, size_t n) {
#ifdef ROOF_PROBE_X86
  if (__builtin_cpu_supports("avx512f")) return read_avx512(p, n);
  if (__builtin_cpu_supports("avx2")) return read_avx2(p, n);
#elif defined(ROOF_PROBE_NEON)
  return read_neon(p, n);
#endif
  return read_plain(p, n);
}

void roof_probe_write(float* p, size_t n, float v) {
#ifdef ROOF_PROBE_X86
  if (__builtin_cpu_supports("avx512f")) {
    write_avx512(p, n, v);
    return;
  }
  if (__builtin_cpu_supports("avx2")) {
    write_avx2(p, n, v);
    return;
  }
#elif defined(ROOF_PROBE_NEON)
  write_neon(p, n, v);
  return;
#endif
  write_plain(p, n, v);
}
