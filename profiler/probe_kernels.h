/* The probe's inner loops, one set per instruction set: x86-64 AVX-512 and AVX2+FMA, arm64
 * NEON, and portable C for anything else. Every architecture-specific line of the probe lives
 * in probe_kernels.c behind #if defined(__x86_64__) / defined(__aarch64__).
 *
 * FMA kernels: `chains` independent accumulators of `lanes` floats each, every one of them
 * starting at seed + chain index and updated once per iteration as a = x * y + a (a fused
 * multiply-add into the accumulator; the portable kernel's a = a * x + y is the same count and,
 * with x = 1, the same value). Enough
 * chains cover FMA latency x issue width (a single accumulator would measure latency), so one
 * iteration is chains x lanes fused multiply-adds, 2 x chains x lanes FLOPs
 * (roof_fma_flops_per_iter). `run` returns the sum over every lane of every accumulator, so
 * a test can check the count: with x = 1, y = 2 each accumulator ends at seed + chain + 2 iters.
 *
 * Integer dot-product kernels (the int8 compute roof): `chains` independent accumulators of
 * `lanes` int32 each; one iteration adds `macs_per_lane` products of an unsigned byte x and a
 * signed byte y to every lane (x < 128 on arm64, whose instructions take two signed bytes), so
 * one iteration is chains x lanes x macs_per_lane multiply-accumulates, twice as many
 * operations (roof_dot_ops_per_iter: an int8 MAC counts as two ops, as an FMA counts as two
 * FLOPs). The chains hang on the accumulator only; where the instruction sequence would let
 * the compiler hoist or share the products (x and y are the same every iteration), the kernel
 * hides x from it once per chain. `run` returns the sum of every lane of every accumulator
 * (each starts at seed + chain index): seed + chain + macs_per_lane x x x y x iters each.
 *
 * Thread-safety: every function is pure or reads only CPU identification; all may run
 * concurrently. */
#ifndef ROOF_PROBE_KERNELS_H
#define ROOF_PROBE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct roof_fma_kernel {
  const char* isa; /* "avx512f", "avx2+fma", "neon", "scalar" (roof_hw.isa) */
  int chains;      /* independent accumulators */
  int lanes;       /* floats per accumulator */
  float (*run)(uint64_t iters, float seed, float x, float y);
} roof_fma_kernel;

/* 2 x chains x lanes: an FMA counts as two FLOPs. */
double roof_fma_flops_per_iter(const roof_fma_kernel* k);

/* The FMA kernels built in that this CPU runs, widest first (at least the portable one);
 * returns their count (<= 4) and writes them to out. */
int roof_fma_kernels(const roof_fma_kernel* out[4]);

typedef struct roof_dot_kernel {
  const char* isa;    /* "avx512vnni", "avxvnni", "avx2", "neon-dotprod", "neon", "scalar" */
  int chains;         /* independent accumulators */
  int lanes;          /* int32 lanes per accumulator */
  int macs_per_lane;  /* byte products added to each lane per iteration */
  int64_t (*run)(uint64_t iters, int32_t seed, uint8_t x, int8_t y);
} roof_dot_kernel;

/* 2 x chains x lanes x macs_per_lane. */
double roof_dot_ops_per_iter(const roof_dot_kernel* k);

/* The int8 dot-product kernels this CPU runs, best first (at least the portable one): x86-64
 * AVX-512 VNNI, AVX-VNNI, AVX2; arm64 NEON sdot when the kernel reports dotprod (HWCAP_ASIMDDP),
 * then NEON smull/smlal2/sadalp. Returns their count (<= 4) and writes them to out. */
int roof_dot_kernels(const roof_dot_kernel* out[4]);

/* Streaming loops for the bandwidth probe, widest vectors this CPU runs. n is a multiple of
 * 64 floats and p is 64-byte aligned. read: the sum of p[0..n) (several accumulators);
 * write: p[0..n) = v with plain stores (no streaming hint, as kernels write outputs). */
float roof_probe_read(const float* p, size_t n);
void roof_probe_write(float* p, size_t n, float v);

#endif
