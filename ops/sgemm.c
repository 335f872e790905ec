/* roof_sgemm_f32 (sgemm.h): tiles of 4 rows x 16 columns of C held in a local accumulator
 * over the whole k (so C is loaded and stored once), each row of B loaded once per tile for
 * four multiply-adds. Plain C with a constant tile width, which the compiler keeps in vector
 * registers (one clone per vector ISA). Strided B or C rows take the straightforward loop. */
#include "sgemm.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROOF_SGEMM_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define ROOF_SGEMM_CLONES
#endif

enum { MR = 4, NR = 16 };

/* One tile of rows x cols (<= MR x NR) of C; B and C rows contiguous. */
static inline __attribute__((always_inline)) void tile(int64_t rows, int64_t cols, int64_t k, float alpha, const float* a,
                                                       int64_t rsa, int64_t csa, const float* b, int64_t rsb, float beta,
                                                       float* c, int64_t rsc) {
  float acc[MR][NR] = {{0.0f}};
  if (rows == MR && cols == NR) {
    for (int64_t p = 0; p < k; p++) {
      const float* bp = b + p * rsb;
      const float a0 = a[p * csa], a1 = a[rsa + p * csa], a2 = a[2 * rsa + p * csa], a3 = a[3 * rsa + p * csa];
      for (int j = 0; j < NR; j++) {
        acc[0][j] += a0 * bp[j];
        acc[1][j] += a1 * bp[j];
        acc[2][j] += a2 * bp[j];
        acc[3][j] += a3 * bp[j];
      }
    }
  } else if (cols == NR) { /* fewer rows: the constant width still vectorizes */
    for (int64_t p = 0; p < k; p++) {
      const float* bp = b + p * rsb;
      for (int64_t r = 0; r < rows; r++) {
        const float ar = a[r * rsa + p * csa];
        for (int j = 0; j < NR; j++) acc[r][j] += ar * bp[j];
      }
    }
  } else {
    for (int64_t p = 0; p < k; p++) {
      const float* bp = b + p * rsb;
      for (int64_t r = 0; r < rows; r++) {
        const float ar = a[r * rsa + p * csa];
        for (int64_t j = 0; j < cols; j++) acc[r][j] += ar * bp[j];
      }
    }
  }
  for (int64_t r = 0; r < rows; r++) {
    float* cr = c + r * rsc;
    if (beta == 0.0f) for (int64_t j = 0; j < cols; j++) cr[j] = alpha * acc[r][j];
    else for (int64_t j = 0; j < cols; j++) cr[j] = alpha * acc[r][j] + beta * cr[j];
  }
}

/* One row of C, 4 x NR columns at a time: a recurrent step's gate product for one batch row
 * (1 x 64 x H for an LSTM chunk), which the general tile's partial path ran 5x slower with its
 * accumulators in memory. Returns the columns done. */
static inline __attribute__((always_inline)) int64_t row_wide(int64_t n, int64_t k, float alpha, const float* a, int64_t csa,
                                                              const float* b, int64_t rsb, float beta, float* c) {
  int64_t j = 0;
  for (; j + 4 * NR <= n; j += 4 * NR) {
    float acc[4 * NR] = {0.0f};
    for (int64_t p = 0; p < k; p++) {
      const float* bp = b + p * rsb + j;
      const float a0 = a[p * csa];
      for (int q = 0; q < 4 * NR; q++) acc[q] += a0 * bp[q];
    }
    if (beta == 0.0f) for (int q = 0; q < 4 * NR; q++) c[j + q] = alpha * acc[q];
    else for (int q = 0; q < 4 * NR; q++) c[j + q] = alpha * acc[q] + beta * c[j + q];
  }
  return j;
}

ROOF_SGEMM_CLONES static void tiled(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                                    const float* b, int64_t rsb, float beta, float* c, int64_t rsc) {
  if (m == 1) {
    const int64_t j = row_wide(n, k, alpha, a, csa, b, rsb, beta, c);
    for (int64_t jj = j; jj < n; jj += NR) tile(1, n - jj < NR ? n - jj : NR, k, alpha, a, rsa, csa, b + jj, rsb, beta, c + jj, rsc);
    return;
  }
  for (int64_t i = 0; i < m; i += MR) {
    const int64_t rows = m - i < MR ? m - i : MR;
    for (int64_t j = 0; j < n; j += NR) {
      tile(rows, n - j < NR ? n - j : NR, k, alpha, a + i * rsa, rsa, csa, b + j, rsb, beta, c + i * rsc + j, rsc);
    }
  }
}

static void generic(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                    const float* b, int64_t rsb, int64_t csb, float beta, float* c, int64_t rsc, int64_t csc) {
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < n; j++) {
      float acc = 0.0f;
      for (int64_t p = 0; p < k; p++) acc += a[i * rsa + p * csa] * b[p * rsb + j * csb];
      float* cij = c + i * rsc + j * csc;
      *cij = beta == 0.0f ? alpha * acc : alpha * acc + beta * *cij;
    }
  }
}

void roof_sgemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                    const float* b, int64_t rsb, int64_t csb, float beta, float* c, int64_t rsc, int64_t csc) {
  if (csb == 1 && csc == 1) tiled(m, n, k, alpha, a, rsa, csa, b, rsb, beta, c, rsc);
  else generic(m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
}
