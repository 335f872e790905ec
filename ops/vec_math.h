/* Elementwise float math in straight-line code the compiler vectorizes (libm's expf, erff and
 * tanhf are a call per element): for the native kernels' inner loops. Files using these are
 * built with -fno-trapping-math (CMakeLists.txt) so that their selects vectorize, and mark their
 * loops ROOF_VEC_CLONES so that one build carries AVX-512, AVX2+FMA and baseline versions. */
#ifndef ROOF_VEC_MATH_H
#define ROOF_VEC_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROOF_VEC_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define ROOF_VEC_CLONES
#endif

/* e^x for x <= 0: 2^n * e^r with n = round(x / ln 2) by the 1.5 * 2^23 trick, |r| <= ln2 / 2,
 * e^r by its degree-6 Taylor polynomial (< 1.3e-7 relative); below -87 the result is 0 (e^-87
 * is about float's smallest normal), NaN stays NaN. */
static inline float roof_exp_nonpos(float x) {
  const float xc = x >= -87.0f ? x : -87.0f; /* NaN -> -87: keeps the integer conversion defined */
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f; /* ln 2 in two parts: n * hi is exact */
  r = r + n * 2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) * (1 << 23);
  float two_n;
  memcpy(&two_n, &bits, sizeof(two_n));
  const float y = x >= -87.0f ? p * two_n : 0.0f;
  return x != x ? x : y;
}

/* erf(x): below |x| = 0.5 its Maclaurin series to x^11 (truncation under 2e-8, and relative
 * accuracy where erf is small); above, 1 - t * P(t) * e^(-x^2), t = 1 / (1 + p|x|), the
 * five-term form of Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, plus the
 * exponential's). Sign restored; NaN stays NaN, +-inf gives +-1. */
static inline float roof_erf(float x) {
  const float a = fabsf(x), a2 = a * a;
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float far = 1.0f - poly * roof_exp_nonpos(-a2);
  /* 2/sqrt(pi) * (a - a^3/3 + a^5/10 - a^7/42 + a^9/216 - a^11/1320) */
  const float near = 1.1283791671f * a *
                     (1.0f + a2 * (-1.0f / 3 + a2 * (1.0f / 10 + a2 * (-1.0f / 42 + a2 * (1.0f / 216 + a2 * (-1.0f / 1320))))));
  const float r = a < 0.5f ? near : far;
  return x != x ? x : copysignf(r, x);
}

/* tanh(x) as (1 - e) / (1 + e), e = e^(-2|x|), sign restored (absolute error about 2e-7). */
static inline float roof_tanh(float x) {
  const float e = roof_exp_nonpos(-2.0f * fabsf(x));
  const float r = (1.0f - e) / (1.0f + e);
  return x != x ? x : copysignf(r, x);
}

#endif
