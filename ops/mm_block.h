/* The packed GEMM micro-kernels of ops/matmul.c, shared with the kernels that multiply through
 * them (MatMul of two activations, Winograd convolution's batched products).
 *
 * One call computes an MR x NR block of C = A . B over the whole K:
 *   A: up to MR rows, A[i][k] at a[i * lda + k] (rows dense in k)
 *   B: one packed panel [K][NR], columns past the real ones zero
 *   C: mr x nc elements at c[i * c_rs + j * c_cs], written (read only when acc), plus bias[j]
 *      when bias != NULL, plus res[i * res_rs + j] when res != NULL (a fused residual), clamped
 *      when act != NULL
 *   acc: C already holds partial sums (an earlier K block's) and the block adds to them, bias
 *        ignored; only on x86's AVX2 and AVX-512 kernels, for full blocks (nc == NR) with
 *        c_cs == 1 (isa->acc says whether the kernel has it)
 * Single-threaded; callers split blocks across their tasks. */
#ifndef ROOF_MM_BLOCK_H
#define ROOF_MM_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "fused_act.h"

typedef struct mm_block {
  int64_t K;
  const float* a; /* row 0 of the tile: A[i][k] at a[i * lda + k] */
  int64_t lda;
  const float* b; /* packed panel [K][NR] */
  float* c;
  int64_t c_rs, c_cs; /* element strides of C's rows and columns */
  int mr, nc;         /* 1..MR rows, 1..NR columns actually stored */
  const roof_act* act; /* NULL: no clamp */
  const float* bias;   /* NR values added to every row (zero-padded past N); NULL: none */
  const float* res;    /* mr x nc values added before the clamp, rows res_rs apart; NULL: none */
  int64_t res_rs;
  bool acc;            /* see above */
  const char* pf;      /* when not NULL (and the block full): the 128 bytes at pf + k * pf_step */
  int64_t pf_step;     /* are asked for (into L2) at step k; at most 128 */
} mm_block;

typedef struct mm_isa {
  int mr, nr; /* block rows and columns (packed panel width) */
  void (*block)(const mm_block* t);
  bool acc; /* block takes mm_block.acc */
} mm_isa;

/* Asks the block to fetch part i of n equal parts of `next`, a packed panel [K][nr] (floats),
 * spread over its K steps: the prefetch one block issues for the panel the next ones multiply
 * (weights from DRAM, see mm_next_panel_slice in ops/matmul.c). At most 128 bytes per step
 * (4 * nr / n, nr <= 32). */
static inline void mm_block_prefetch_part(mm_block* t, const float* next, int64_t K, int nr, int64_t i, int64_t n) {
  const int64_t bytes = K * nr * (int64_t)sizeof(float);
  t->pf = (const char*)next + bytes * i / n;
  t->pf_step = (bytes / n + K - 1) / K;
}

/* The best micro-kernel this CPU runs: AVX-512 12x32, AVX2+FMA 6x16, arm64 NEON 6x16, else
 * portable 4x8. ROOFTOP_NATIVE_ISA=avx2 or =portable caps the choice (tests run them all). */
const mm_isa* roof_mm_pick_isa(void);

#endif
