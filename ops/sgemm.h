/* roof_sgemm_f32: a small unpacked inner product routine for fused kernels whose operands are
 * too small or too strided to be worth packing (the recurrent kernels' gate products; Attention
 * moved to MatMul's packed micro-kernels, mm_block.h).
 *
 * C = alpha * A.B + beta * C over float32 matrices given by general strides (in elements):
 *   A is m x k, element (i, p) at a[i * rsa + p * csa]
 *   B is k x n, element (p, j) at b[p * rsb + j * csb]
 *   C is m x n, element (i, j) at c[i * rsc + j * csc]
 * beta == 0 writes C without reading it (NaN or garbage in C does not propagate). C must not
 * overlap A or B. Single-threaded: callers split the work (rows of C) across their tasks.
 * Fast when csb == 1 and csc == 1 (rows of B and C contiguous); correct for any strides. */
#ifndef ROOF_SGEMM_H
#define ROOF_SGEMM_H

#include <stdint.h>

void roof_sgemm_f32(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t rsa, int64_t csa,
                    const float* b, int64_t rsb, int64_t csb, float beta, float* c, int64_t rsc, int64_t csc);

#endif
