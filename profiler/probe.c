/* Hardware probe: peak FP32 FLOP/s and cache/DRAM bandwidth, measured, not taken from specs.
 *
 * Peak: every worker runs enough independent FMA chains to cover FMA latency x issue width
 * (12 x 512-bit on AVX-512, 12 x 256-bit on AVX2, a scalar loop otherwise); a naive single
 * accumulator loop would measure latency, not throughput.
 * Bandwidth: each worker streams over its own buffer sized to half of the level it targets
 * (read: vector loads summed into several accumulators; write: vector stores; copy: memcpy
 * between two halves).
 */
#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpus.h"
#include "diag.h"
#include "hw.h"

const char* const roof_mem_level_names[ROOF_MEM_LEVELS] = {"l1", "l2", "l3", "dram"};

#define FMA_ITERS_PER_CALL 4096

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Accumulators are named variables, not an array: an array loop is not kept in registers at
 * -O2 and would measure store-forwarding latency instead of FMA throughput. */
#define ROOF_FMA12(F, m, c) \
  a0 = F(a0, m, c); a1 = F(a1, m, c); a2 = F(a2, m, c); a3 = F(a3, m, c); \
  a4 = F(a4, m, c); a5 = F(a5, m, c); a6 = F(a6, m, c); a7 = F(a7, m, c); \
  a8 = F(a8, m, c); a9 = F(a9, m, c); a10 = F(a10, m, c); a11 = F(a11, m, c)

__attribute__((target("avx512f"))) static float fma_avx512(uint64_t iters, float seed) {
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(seed), a1 = _mm512_set1_ps(seed + 1), a2 = _mm512_set1_ps(seed + 2),
         a3 = _mm512_set1_ps(seed + 3), a4 = _mm512_set1_ps(seed + 4), a5 = _mm512_set1_ps(seed + 5),
         a6 = _mm512_set1_ps(seed + 6), a7 = _mm512_set1_ps(seed + 7), a8 = _mm512_set1_ps(seed + 8),
         a9 = _mm512_set1_ps(seed + 9), a10 = _mm512_set1_ps(seed + 10), a11 = _mm512_set1_ps(seed + 11);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(_mm512_fmadd_ps, m, c);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(uint64_t iters, float seed) {
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  __m256 a0 = _mm256_set1_ps(seed), a1 = _mm256_set1_ps(seed + 1), a2 = _mm256_set1_ps(seed + 2),
         a3 = _mm256_set1_ps(seed + 3), a4 = _mm256_set1_ps(seed + 4), a5 = _mm256_set1_ps(seed + 5),
         a6 = _mm256_set1_ps(seed + 6), a7 = _mm256_set1_ps(seed + 7), a8 = _mm256_set1_ps(seed + 8),
         a9 = _mm256_set1_ps(seed + 9), a10 = _mm256_set1_ps(seed + 10), a11 = _mm256_set1_ps(seed + 11);
  for (uint64_t it = 0; it < iters; it++) {
    ROOF_FMA12(_mm256_fmadd_ps, m, c);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

static float fma_scalar(uint64_t iters, float seed) {
  float a[8];
  for (int i = 0; i < 8; i++) a[i] = seed + (float)i;
  for (uint64_t it = 0; it < iters; it++) {
    for (int i = 0; i < 8; i++) a[i] = a[i] * 0.999999f + 1e-7f;
  }
  return a[0] + a[7];
}

typedef struct flop_task {
  int isa; /* 2 avx512, 1 avx2, 0 scalar */
  uint64_t iters;
  float sink[64];
} flop_task;

static void flop_worker(void* ctx, size_t i) {
  flop_task* t = ctx;
  float r = t->isa == 2 ? fma_avx512(t->iters, (float)i) : t->isa == 1 ? fma_avx2(t->iters, (float)i)
                                                                         : fma_scalar(t->iters, (float)i);
  t->sink[i % 64] += r;
}

static double flops_per_iter(int isa) { return isa == 2 ? 12 * 16 * 2 : isa == 1 ? 12 * 8 * 2 : 8 * 2; }

static double run_parallel(pthreadpool_t pool, uint32_t threads, void (*fn)(void*, size_t), void* ctx) {
  double t0 = now_s();
  if (pool && threads > 1) pthreadpool_parallelize_1d(pool, fn, ctx, threads, 0);
  else fn(ctx, 0);
  return now_s() - t0;
}

/* Best of several timed repetitions, each long enough (~30 ms) to dwarf timer noise. */
static double measure_peak(pthreadpool_t pool, uint32_t threads, int isa) {
  flop_task t = {.isa = isa, .iters = 1 << 14};
  for (;;) { /* calibrate */
    double dt = run_parallel(pool, threads, flop_worker, &t);
    if (dt > 0.03 || t.iters > (1ull << 34)) break;
    t.iters *= 2;
  }
  double best = 0.0;
  for (int rep = 0; rep < 5; rep++) {
    double dt = run_parallel(pool, threads, flop_worker, &t);
    double gf = flops_per_iter(isa) * (double)t.iters * threads / dt / 1e9;
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

__attribute__((target("avx512f"))) static float read_avx512(const float* p, size_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

/* Stores as kernels write outputs (plain stores, no streaming hint): at DRAM they cost the line's
 * read for ownership and its write-back. */
__attribute__((target("avx512f"))) static void write_avx512(float* p, size_t n, float v) {
  const __m512 x = _mm512_set1_ps(v);
  for (size_t i = 0; i + 64 <= n; i += 64) {
    _mm512_store_ps(p + i, x);
    _mm512_store_ps(p + i + 16, x);
    _mm512_store_ps(p + i + 32, x);
    _mm512_store_ps(p + i + 48, x);
  }
}

static void write_plain(float* p, size_t n, float v) {
  for (size_t i = 0; i < n; i++) p[i] = v;
  __asm__ volatile("" : : "r"(p) : "memory"); /* the stores are the measurement */
}

static float read_plain(const float* p, size_t n) {
  float a[8] = {0};
  for (size_t i = 0; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; k++) a[k] += p[i + k];
  }
  return a[0] + a[7];
}

static void bw_worker(void* ctx, size_t w) {
  bw_task* t = ctx;
  float* p = t->bufs[w];
  bool avx512 = __builtin_cpu_supports("avx512f");
  for (int r = 0; r < t->reps; r++) {
    if (t->mode == BW_COPY) {
      memcpy(p + t->floats / 2, p, t->floats / 2 * sizeof(float));
      p[r % 16] += 1.0f;
    } else if (t->mode == BW_WRITE) {
      if (avx512) write_avx512(p, t->floats, (float)r);
      else write_plain(p, t->floats, (float)r);
    } else {
      t->sink[w % 64] += avx512 ? read_avx512(p, t->floats) : read_plain(p, t->floats);
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

static uint64_t sysfs_cache(int level) {
  /* sysfs first; VMs often lack it, then glibc's sysconf (CPUID-based). */
  for (int idx = 0; idx < 8; idx++) {
    char path[128], buf[64];
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
    FILE* f = fopen(path, "r");
    if (f == NULL) break;
    int lv = 0;
    if (fscanf(f, "%d", &lv) != 1) lv = 0;
    fclose(f);
    if (lv != level) continue;
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
    f = fopen(path, "r");
    if (f == NULL) continue;
    bool inst = fgets(buf, sizeof(buf), f) && strncmp(buf, "Instruction", 11) == 0;
    fclose(f);
    if (inst) continue;
    snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
    f = fopen(path, "r");
    if (f == NULL) continue;
    unsigned long long kb = 0;
    char unit = 'K';
    int got = fscanf(f, "%llu%c", &kb, &unit);
    fclose(f);
    if (got >= 1) return unit == 'M' ? kb << 20 : kb << 10;
  }
  long v = level == 1 ? sysconf(_SC_LEVEL1_DCACHE_SIZE) : level == 2 ? sysconf(_SC_LEVEL2_CACHE_SIZE)
                                                                      : sysconf(_SC_LEVEL3_CACHE_SIZE);
  return v > 0 ? (uint64_t)v : 0;
}

void roof_hw_cpu_name(char* out, size_t n) {
  snprintf(out, n, "unknown cpu");
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[512];
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char* c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t') c++;
        c[strcspn(c, "\n")] = '\0';
        snprintf(out, n, "%s", c);
      }
      break;
    }
  }
  fclose(f);
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
  __builtin_cpu_init();
  int isa = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("fma") ? 1 : 0;
  snprintf(h.isa, sizeof(h.isa), "%s", isa == 2 ? "avx512f" : isa == 1 ? "avx2+fma" : "scalar");
  h.peak_gflops = measure_peak(pool, threads, isa);
  uint64_t l1 = sysfs_cache(1), l2 = sysfs_cache(2), l3 = sysfs_cache(3);
  if (l1 == 0) l1 = 32 << 10;
  if (l2 == 0) l2 = 512 << 10;
  /* A core reaches only its own L3 slice; hypervisors often report the sum over all slices. */
  if (l3 == 0 || l3 > ((uint64_t)64 << 20)) l3 = (uint64_t)32 << 20;
  h.cache_bytes[0] = l1;
  h.cache_bytes[1] = l2;
  h.cache_bytes[2] = l3;
  size_t sets[ROOF_MEM_LEVELS] = {l1 / 2, l2 / 2, l3 / 4, (size_t)(l3 * 4 > (256u << 20) ? l3 * 4 : (256u << 20))};
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    size_t per_worker = lv == ROOF_MEM_L3 || lv == ROOF_MEM_DRAM ? sets[lv] / threads : sets[lv];
    h.read_gbs[lv] = measure_bw(pool, threads, per_worker, BW_READ);
    h.copy_gbs[lv] = measure_bw(pool, threads, per_worker, BW_COPY);
    h.write_gbs[lv] = measure_bw(pool, threads, per_worker, BW_WRITE);
    if (h.read_gbs[lv] <= 0.0) return roof_fail(err, ROOF_E_NOMEM, "probe: cannot allocate %zu bytes", per_worker);
  }
  roof_hw_check(&h, h.problem, sizeof(h.problem));
  *hw = h;
  return ROOF_OK;
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
