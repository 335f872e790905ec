/* Hardware probe: peak FP32 FLOP/s, peak int8 GOP/s and cache/DRAM bandwidth, measured, not
 * taken from specs.
 *
 * Peak: every worker runs enough independent FMA chains to cover FMA latency x issue width
 * (12 x 512-bit on AVX-512, 12 x 256-bit on AVX2, 24 x 128-bit on arm64 NEON, a scalar loop
 * otherwise: probe_kernels.c); a naive single accumulator loop would measure latency, not
 * throughput. The int8 peak is measured the same way with the best integer dot-product
 * kernel (VNNI, AVX2 madd, NEON sdot or smull/sadalp): int8 layers are judged against it.
 * Bandwidth: each worker streams over its own buffer sized to half of the level it targets
 * (read: vector loads summed into several accumulators; write: vector stores; copy: memcpy
 * between two halves). Cache sizes: cpu_info.c (sysfs, sysconf, the arm64 core table).
 * Core types (big.LITTLE): the same on one thread per type, pinned to a CPU of it, at that
 * CPU's cache sizes; a machine of one type is probed exactly as before.
 */
#define _GNU_SOURCE 1 /* sched_setaffinity */
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core_types.h"
#include "cpu_info.h"
#include "cpus.h"
#include "diag.h"
#include "hw.h"
#include "probe_kernels.h"

const char* const roof_mem_level_names[ROOF_MEM_LEVELS] = {"l1", "l2", "l3", "dram"};

#define FMA_ITERS_PER_CALL 4096

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One of k (FP32 FMA) and dot (int8) is set. */
typedef struct flop_task {
  const roof_fma_kernel* k;
  const roof_dot_kernel* dot;
  uint64_t iters;
  float sink[64];
  int64_t isink[64];
} flop_task;

static void flop_worker(void* ctx, size_t i) {
  flop_task* t = ctx;
  if (t->dot) t->isink[i % 64] += t->dot->run(t->iters, (int32_t)i, 1, 1);
  else t->sink[i % 64] += t->k->run(t->iters, (float)i, 0.999999f, 1e-7f);
}

static double run_parallel(pthreadpool_t pool, uint32_t threads, void (*fn)(void*, size_t), void* ctx) {
  double t0 = now_s();
  if (pool && threads > 1) pthreadpool_parallelize_1d(pool, fn, ctx, threads, 0);
  else fn(ctx, 0);
  return now_s() - t0;
}

/* Best of several timed repetitions, each long enough (~30 ms) to dwarf timer noise. */
static double measure_peak(pthreadpool_t pool, uint32_t threads, const roof_fma_kernel* k, const roof_dot_kernel* dot) {
  flop_task t = {.k = k, .dot = dot, .iters = 1 << 14};
  double per_iter = dot ? roof_dot_ops_per_iter(dot) : roof_fma_flops_per_iter(k);
  for (;;) { /* calibrate */
    double dt = run_parallel(pool, threads, flop_worker, &t);
    if (dt > 0.03 || t.iters > (1ull << 34)) break;
    t.iters *= 2;
  }
  double best = 0.0;
  for (int rep = 0; rep < 5; rep++) {
    double dt = run_parallel(pool, threads, flop_worker, &t);
    double gf = per_iter * (double)t.iters * threads / dt / 1e9;
    if (gf > best) best = gf;
  }
  return best;
}

typedef struct bw_task {
  float** bufs;      /* one per worker */
  size_t floats;     /* per worker */
  int reps;
  int mode;          /* BW_READ, BW_COPY, BW_WRITE */
  float sink[64];
} bw_task;

enum { BW_READ, BW_COPY, BW_WRITE };

static void bw_worker(void* ctx, size_t w) {
  bw_task* t = ctx;
  float* p = t->bufs[w];
  for (int r = 0; r < t->reps; r++) {
    if (t->mode == BW_COPY) {
      memcpy(p + t->floats / 2, p, t->floats / 2 * sizeof(float));
      p[r % 16] += 1.0f;
    } else if (t->mode == BW_WRITE) {
      roof_probe_write(p, t->floats, (float)r);
    } else {
      t->sink[w % 64] += roof_probe_read(p, t->floats);
    }
  }
}

/* GB/s for a per-worker working set of `bytes`; copy counts bytes read + written. */
static double measure_bw(pthreadpool_t pool, uint32_t threads, size_t bytes, int mode) {
  bw_task t = {.floats = bytes / sizeof(float) / 64 * 64, .reps = 1, .mode = mode};
  double best = 0.0;
  t.bufs = calloc(threads, sizeof(float*));
  if (t.bufs == NULL) return 0.0;
  for (uint32_t w = 0; w < threads; w++) {
    t.bufs[w] = aligned_alloc(64, t.floats * sizeof(float));
    if (t.bufs[w] == NULL) goto done;
    for (size_t i = 0; i < t.floats; i++) t.bufs[w][i] = (float)(i & 7);
  }
  run_parallel(pool, threads, bw_worker, &t); /* warm caches and page tables */
  for (;;) {
    double dt = run_parallel(pool, threads, bw_worker, &t);
    if (dt > 0.02 || t.reps > (1 << 24)) break;
    t.reps *= 2;
  }
  for (int rep = 0; rep < 3; rep++) {
    double dt = run_parallel(pool, threads, bw_worker, &t);
    double moved = (double)t.floats * sizeof(float) * t.reps * threads; /* copy: half read + half written */
    double gbs = moved / dt / 1e9;
    if (gbs > best) best = gbs;
  }
done:
  for (uint32_t w = 0; w < threads; w++) free(t.bufs[w]);
  free(t.bufs);
  return best;
}

void roof_hw_measure_peaks(uint32_t threads, pthreadpool_t pool, double* gflops, double* int8_gops) {
  const roof_fma_kernel* fma[4];
  const roof_dot_kernel* dot[4];
  roof_fma_kernels(fma);
  roof_dot_kernels(dot);
  if (pool == NULL || threads == 0) threads = 1;
  *gflops = measure_peak(pool, threads, fma[0], NULL);
  *int8_gops = measure_peak(pool, threads, NULL, dot[0]);
}

/* Cache sizes kept for the roofs (cache[3]) and the per-level working sets, from the sizes
 * found (0: unknown) and whether the core has no L3. */
static void level_sets(uint64_t l1, uint64_t l2, uint64_t l3, bool no_l3, uint64_t cache[3], size_t sets[ROOF_MEM_LEVELS]) {
  if (l1 == 0) l1 = 32 << 10;
  if (l2 == 0) l2 = 512 << 10;
  /* A core reaches only its own L3 slice; hypervisors often report the sum over all slices. */
  if (!no_l3 && (l3 == 0 || l3 > ((uint64_t)64 << 20))) l3 = (uint64_t)32 << 20;
  /* A core without L3 (Cortex-A72): the level is L2 again, so the L3 roofs are L2's. */
  if (no_l3) l3 = l2;
  cache[0] = l1;
  cache[1] = l2;
  cache[2] = l3;
  sets[0] = l1 / 2;
  sets[1] = l2 / 2;
  sets[2] = l3 / 4;
  sets[3] = (size_t)(l3 * 4 > (256u << 20) ? l3 * 4 : (256u << 20));
}

/* Type i on one thread pinned to the first of its CPUs this thread may run on: peak and read
 * bandwidth per level at that CPU's cache sizes (its sysfs, else the core table by part, else
 * the machine's). Not measured (cpu -1) when no CPU of the type is allowed. */
static roof_status probe_core_type(const roof_core_types* types, int i, const roof_fma_kernel* k, const roof_hw* h,
                                   roof_core_roofs* out, roof_error* err) {
  const roof_core_type* ty = &types->type[i];
  memset(out, 0, sizeof(*out));
  snprintf(out->role, sizeof(out->role), "%s", roof_core_type_role(types, i));
  snprintf(out->cpus, sizeof(out->cpus), "%s", ty->cpus);
  snprintf(out->core, sizeof(out->core), "%s", ty->core);
  out->cpu = -1;
  cpu_set_t old, one;
  if (sched_getaffinity(0, sizeof(old), &old) != 0) return ROOF_OK;
  for (int c = 0; c < CPU_SETSIZE && out->cpu < 0; c++) {
    if (!roof_core_type_has(ty, c)) continue;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    if (sched_setaffinity(0, sizeof(one), &one) == 0) out->cpu = c;
  }
  if (out->cpu < 0) return ROOF_OK;
  const roof_arm_core* core = roof_arm_core_find(ty->implementer, ty->part);
  uint64_t size[3];
  for (int lv = 0; lv < 3; lv++) {
    size[lv] = roof_core_cache_bytes(NULL, out->cpu, lv + 1);
    if (size[lv] == 0 && core) size[lv] = lv == 0 ? core->l1 : lv == 1 ? core->l2 : core->l3;
    if (size[lv] == 0 && !core) size[lv] = h->cache_bytes[lv];
  }
  bool no_l3 = size[2] == 0; /* the table says the core has none */
  size_t sets[ROOF_MEM_LEVELS];
  level_sets(size[0], size[1], size[2], no_l3, out->cache_bytes, sets);
  roof_status st = ROOF_OK;
  out->peak_gflops = measure_peak(NULL, 1, k, NULL);
  for (int lv = 0; lv < ROOF_MEM_LEVELS && st == ROOF_OK; lv++) {
    out->read_gbs[lv] = lv == ROOF_MEM_L3 && no_l3 ? out->read_gbs[ROOF_MEM_L2] : measure_bw(NULL, 1, sets[lv], BW_READ);
    if (out->read_gbs[lv] <= 0.0) st = roof_fail(err, ROOF_E_NOMEM, "probe: cannot allocate %zu bytes", sets[lv]);
  }
  sched_setaffinity(0, sizeof(old), &old);
  return st;
}

roof_status roof_hw_probe(uint32_t threads, pthreadpool_t pool, roof_hw* hw, roof_error* err) {
  if (threads == 0) threads = 1;
  if (threads > 1 && pool == NULL) return roof_fail(err, ROOF_E_USAGE, "probe: %u threads need a thread pool", threads);
  roof_hw h;
  memset(&h, 0, sizeof(h));
  roof_hw_cpu_name(h.cpu, sizeof(h.cpu));
  snprintf(h.source, sizeof(h.source), "probe");
  h.threads = threads;
  roof_cpu_limits lim;
  roof_cpu_limits_get(&lim);
  snprintf(h.cpu_set, sizeof(h.cpu_set), "%s", lim.cpu_set);
  h.allowed_cpus = lim.allowed;
  const roof_fma_kernel* fma[4];
  roof_fma_kernels(fma); /* widest first */
  const roof_dot_kernel* dot[4];
  roof_dot_kernels(dot); /* best first */
  snprintf(h.isa, sizeof(h.isa), "%s", fma[0]->isa);
  snprintf(h.isa_int8, sizeof(h.isa_int8), "%s", dot[0]->isa);
  roof_hw_measure_peaks(threads, pool, &h.peak_gflops, &h.peak_int8_gops);
  bool no_l3 = false;
  uint64_t l1 = roof_cpu_cache_bytes(1, NULL), l2 = roof_cpu_cache_bytes(2, NULL), l3 = roof_cpu_cache_bytes(3, &no_l3);
  size_t sets[ROOF_MEM_LEVELS];
  level_sets(l1, l2, l3, no_l3, h.cache_bytes, sets);
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    if (lv == ROOF_MEM_L3 && no_l3) {
      h.read_gbs[lv] = h.read_gbs[ROOF_MEM_L2];
      h.copy_gbs[lv] = h.copy_gbs[ROOF_MEM_L2];
      h.write_gbs[lv] = h.write_gbs[ROOF_MEM_L2];
      continue;
    }
    size_t per_worker = lv == ROOF_MEM_L3 || lv == ROOF_MEM_DRAM ? sets[lv] / threads : sets[lv];
    h.read_gbs[lv] = measure_bw(pool, threads, per_worker, BW_READ);
    h.copy_gbs[lv] = measure_bw(pool, threads, per_worker, BW_COPY);
    h.write_gbs[lv] = measure_bw(pool, threads, per_worker, BW_WRITE);
    if (h.read_gbs[lv] <= 0.0) return roof_fail(err, ROOF_E_NOMEM, "probe: cannot allocate %zu bytes", per_worker);
  }
  roof_core_types types;
  roof_core_types_detect(NULL, &types);
  for (int i = 0; types.count > 1 && i < types.count; i++) {
    roof_status st = probe_core_type(&types, i, fma[0], &h, &h.core_types[i], err);
    if (st != ROOF_OK) return st;
    h.num_core_types = i + 1;
  }
  roof_hw_check(&h, h.problem, sizeof(h.problem));
  *hw = h;
  return ROOF_OK;
}

double roof_hw_peak_for(const roof_hw* hw, bool int8) {
  return int8 && hw->peak_int8_gops > 0 ? hw->peak_int8_gops : hw->peak_gflops;
}

double roof_hw_bandwidth_for(const roof_hw* hw, uint64_t bytes, int* level) {
  for (int lv = 0; lv < 3; lv++) {
    if (hw->cache_bytes[lv] && bytes <= hw->cache_bytes[lv] && hw->read_gbs[lv] > 0) {
      if (level) *level = lv;
      return hw->read_gbs[lv];
    }
  }
  if (level) *level = ROOF_MEM_DRAM;
  return hw->read_gbs[ROOF_MEM_DRAM];
}
