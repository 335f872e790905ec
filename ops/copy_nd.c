/* Threaded strided copies; see copy_nd.h. */
#include "copy_nd.h"

#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#define ROOF_BLOCK4 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ROOF_BLOCK4 1
#endif

enum { TASK_BYTES = 32 << 10, TILE = 32 }; /* tiles: a task moves TILE x TILE elements */

typedef enum nd_kind { ND_ONE, ND_ROWS, ND_TILES, ND_STRIDED } nd_kind;

/* The copy over `rank` merged axes; axis rank - 1 has the smallest destination stride. In the
 * tiles kind, axis rank - 2 is the one contiguous in the source. */
typedef struct nd_plan {
  int rank;
  int64_t dims[ROOF_MAX_RANK], ss[ROOF_MAX_RANK], ds[ROOF_MAX_RANK]; /* strides in elements */
  nd_kind kind;
  size_t es;
  const char* src;
  char* dst;
} nd_plan;

/* The axes that matter, as the generic strided copy plans them (tensor.h). */
static void plan_axes(const roof_tensor* src, const roof_tensor* dst, nd_plan* p) {
  roof_copy_axes a;
  roof_copy_axes_plan(src, dst, &a);
  p->rank = a.rank;
  memcpy(p->dims, a.dims, sizeof(a.dims));
  memcpy(p->ss, a.ss, sizeof(a.ss));
  memcpy(p->ds, a.ds, sizeof(a.ds));
}

static void move_to_tile_axis(nd_plan* p, int a) {
  int64_t d = p->dims[a], s = p->ss[a], t = p->ds[a];
  for (int i = a; i < p->rank - 2; i++) {
    p->dims[i] = p->dims[i + 1], p->ss[i] = p->ss[i + 1], p->ds[i] = p->ds[i + 1];
  }
  p->dims[p->rank - 2] = d, p->ss[p->rank - 2] = s, p->ds[p->rank - 2] = t;
}

static void plan_build(const roof_tensor* src, const roof_tensor* dst, nd_plan* p) {
  plan_axes(src, dst, p);
  p->es = roof_dtype_size(src->dtype);
  p->src = src->data;
  p->dst = dst->data;
  int last = p->rank - 1;
  if (p->rank == 0) {
    p->kind = ND_ONE;
  } else if (p->ss[last] == 1 && p->ds[last] == 1) {
    p->kind = ND_ROWS;
  } else {
    p->kind = ND_STRIDED;
    for (int a = last - 1; a >= 0 && p->ds[last] == 1; a--) {
      if (p->ss[a] != 1) continue;
      move_to_tile_axis(p, a);
      p->kind = ND_TILES;
      break;
    }
  }
}

/* Offsets (elements) of outer index `flat` over axes [0, naxes). */
static void outer_offsets(const nd_plan* p, int naxes, size_t flat, int64_t* idx, int64_t* so, int64_t* dso) {
  *so = 0, *dso = 0;
  for (int i = naxes - 1; i >= 0; i--) {
    idx[i] = (int64_t)(flat % (size_t)p->dims[i]);
    flat /= (size_t)p->dims[i];
    *so += idx[i] * p->ss[i];
    *dso += idx[i] * p->ds[i];
  }
}

#define STRIDED_LOOP(T)                                                 \
  do {                                                                  \
    T* dt = (T*)(void*)d;                                               \
    const T* st = (const T*)(const void*)s;                             \
    for (size_t i = 0; i < n; i++) dt[(int64_t)i * ds] = st[(int64_t)i * ss]; \
  } while (0)

/* n elements, one memcpy when both sides are contiguous. */
static void copy_run(char* d, const char* s, size_t n, int64_t ds, int64_t ss, size_t es) {
  if (ds == 1 && ss == 1) memcpy(d, s, n * es);
  else if (es == 4) STRIDED_LOOP(uint32_t);
  else if (es == 2) STRIDED_LOOP(uint16_t);
  else if (es == 8) STRIDED_LOOP(uint64_t);
  else if (es == 1) STRIDED_LOOP(uint8_t);
  else for (size_t i = 0; i < n; i++) memcpy(d + (int64_t)i * ds * (int64_t)es, s + (int64_t)i * ss * (int64_t)es, es);
}

/* Rows [r0, r0 + nr), columns [c0, c0 + nc) of the innermost axis. Pointers move by byte
 * strides kept in locals (memcpy may alias the plan as far as the compiler knows): per-row index
 * arithmetic through the plan cost 30% on ShuffleNet's 232-byte channel slices. */
static void rows_task(void* ctx, size_t r0, size_t c0, size_t nr, size_t nc) {
  const nd_plan* p = ctx;
  int outer = p->rank - 1;
  int64_t idx[ROOF_MAX_RANK], so, dso, sb[ROOF_MAX_RANK], db[ROOF_MAX_RANK], dims[ROOF_MAX_RANK];
  outer_offsets(p, outer, r0, idx, &so, &dso);
  int64_t es = (int64_t)p->es, ds = p->ds[outer], ss = p->ss[outer];
  for (int i = 0; i < outer; i++) sb[i] = p->ss[i] * es, db[i] = p->ds[i] * es, dims[i] = p->dims[i];
  const char* s = p->src + (so + (int64_t)c0 * ss) * es;
  char* d = p->dst + (dso + (int64_t)c0 * ds) * es;
  bool dense = ds == 1 && ss == 1;
  size_t bytes = nc * p->es;
  for (size_t r = 0;;) {
    if (dense) memcpy(d, s, bytes);
    else copy_run(d, s, nc, ds, ss, p->es);
    if (++r == nr) return;
    for (int i = outer - 1; i >= 0; i--) { /* odometer over the outer axes */
      s += sb[i];
      d += db[i];
      if (++idx[i] < dims[i]) break;
      s -= sb[i] * dims[i];
      d -= db[i] * dims[i];
      idx[i] = 0;
    }
  }
}

/* One tile: i runs along the source's contiguous axis, j along the destination's, visited in
 * 16x16 blocks: 16 source rows at a power-of-two stride still fit L1's ways, 32 did not (a
 * 4096x4096 float transpose ran 1.5x slower with 32x32 blocks). */
#define SUB 16
#define TILE_LOOP(T)                                                                                   \
  do {                                                                                                 \
    T* dt = (T*)(void*)d;                                                                              \
    const T* st = (const T*)(const void*)s;                                                            \
    for (size_t i = i0; i < i0 + ni; i++) {                                                            \
      for (size_t j = j0; j < j0 + nj; j++) dt[(int64_t)i * dsi + (int64_t)j] = st[(int64_t)i + (int64_t)j * ssj]; \
    }                                                                                                  \
  } while (0)

static void block_copy(char* d, const char* s, size_t i0, size_t j0, size_t ni, size_t nj, int64_t dsi, int64_t ssj,
                       size_t es) {
  if (es == 4) TILE_LOOP(uint32_t);
  else if (es == 2) TILE_LOOP(uint16_t);
  else if (es == 8) TILE_LOOP(uint64_t);
  else if (es == 1) TILE_LOOP(uint8_t);
  else {
    for (size_t i = i0; i < i0 + ni; i++) {
      for (size_t j = j0; j < j0 + nj; j++) memcpy(d + ((int64_t)i * dsi + (int64_t)j) * (int64_t)es, s + ((int64_t)i + (int64_t)j * ssj) * (int64_t)es, es);
    }
  }
}

#if defined(__SSE2__)
/* A 4x4 block of 4-byte elements from p (rows ssj apart) to q (rows dsi apart), transposed in
 * registers (shuffles only: the bits are kept). */
static inline void transpose4(const float* p, int64_t ssj, float* q, int64_t dsi) {
  __m128 r0 = _mm_loadu_ps(p), r1 = _mm_loadu_ps(p + ssj), r2 = _mm_loadu_ps(p + 2 * ssj), r3 = _mm_loadu_ps(p + 3 * ssj);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(q, r0);
  _mm_storeu_ps(q + dsi, r1);
  _mm_storeu_ps(q + 2 * dsi, r2);
  _mm_storeu_ps(q + 3 * dsi, r3);
}
#elif defined(__aarch64__)
/* The same with NEON: trn1/trn2 on 32-bit lanes, then on 64-bit lanes. */
static inline void transpose4(const float* p, int64_t ssj, float* q, int64_t dsi) {
  float32x4_t r0 = vld1q_f32(p), r1 = vld1q_f32(p + ssj), r2 = vld1q_f32(p + 2 * ssj), r3 = vld1q_f32(p + 3 * ssj);
  float64x2_t t0 = vreinterpretq_f64_f32(vtrn1q_f32(r0, r1)), t1 = vreinterpretq_f64_f32(vtrn2q_f32(r0, r1));
  float64x2_t t2 = vreinterpretq_f64_f32(vtrn1q_f32(r2, r3)), t3 = vreinterpretq_f64_f32(vtrn2q_f32(r2, r3));
  vst1q_f32(q, vreinterpretq_f32_f64(vtrn1q_f64(t0, t2)));
  vst1q_f32(q + dsi, vreinterpretq_f32_f64(vtrn1q_f64(t1, t3)));
  vst1q_f32(q + 2 * dsi, vreinterpretq_f32_f64(vtrn2q_f64(t0, t2)));
  vst1q_f32(q + 3 * dsi, vreinterpretq_f32_f64(vtrn2q_f64(t1, t3)));
}
#endif

#ifdef ROOF_BLOCK4
/* 4-byte elements: 4x4 blocks transposed in registers, the edges by block_copy. */
static void block_copy4(char* d, const char* s, size_t i0, size_t j0, size_t ni, size_t nj, int64_t dsi, int64_t ssj) {
  size_t i4 = ni & ~(size_t)3, j4 = nj & ~(size_t)3;
  float* df = (float*)(void*)d;
  const float* sf = (const float*)(const void*)s;
  for (size_t j = j0; j < j0 + j4; j += 4) {
    for (size_t i = i0; i < i0 + i4; i += 4) transpose4(sf + (int64_t)i + (int64_t)j * ssj, ssj, df + (int64_t)i * dsi + (int64_t)j, dsi);
  }
  if (i4 < ni) block_copy(d, s, i0 + i4, j0, ni - i4, nj, dsi, ssj, 4);
  if (j4 < nj) block_copy(d, s, i0, j0 + j4, i4, nj - j4, dsi, ssj, 4);
}
#endif

static void tile_copy(char* d, const char* s, size_t i0, size_t j0, size_t ni, size_t nj, int64_t dsi, int64_t ssj,
                      size_t es) {
  for (size_t bj = 0; bj < nj; bj += SUB) {
    for (size_t bi = 0; bi < ni; bi += SUB) {
      size_t mi = ni - bi < SUB ? ni - bi : SUB, mj = nj - bj < SUB ? nj - bj : SUB;
#ifdef ROOF_BLOCK4
      if (es == 4) {
        block_copy4(d, s, i0 + bi, j0 + bj, mi, mj, dsi, ssj);
        continue;
      }
#endif
      block_copy(d, s, i0 + bi, j0 + bj, mi, mj, dsi, ssj, es);
    }
  }
}

static void tiles_task(void* ctx, size_t outer, size_t i0, size_t j0, size_t ni, size_t nj) {
  const nd_plan* p = ctx;
  int ti = p->rank - 2, tj = p->rank - 1;
  int64_t idx[ROOF_MAX_RANK], so, dso, es = (int64_t)p->es;
  outer_offsets(p, ti, outer, idx, &so, &dso);
  tile_copy(p->dst + dso * es, p->src + so * es, i0, j0, ni, nj, p->ds[ti], p->ss[tj], p->es);
}

void roof_copy_tiles(size_t rows, size_t cols, size_t es, size_t* tile_rows, size_t* tile_cols) {
  size_t chunk = TASK_BYTES / (es ? es : 1);
  *tile_cols = cols < chunk ? (cols ? cols : 1) : chunk;
  size_t tr = chunk / *tile_cols;
  if (tr > rows) tr = rows;
  *tile_rows = tr ? tr : 1;
}

static size_t outer_count(const nd_plan* p, int naxes) {
  size_t n = 1;
  for (int i = 0; i < naxes; i++) n *= (size_t)p->dims[i];
  return n;
}

void roof_copy_nd(const roof_tensor* src, const roof_tensor* dst, pthreadpool_t pool) {
  uint64_t n = roof_tensor_count(src);
  if (n == 0) return;
  nd_plan p;
  plan_build(src, dst, &p);
  pool = roof_copy_pool(pool, n * p.es);
  if (p.kind == ND_ONE) {
    memcpy(p.dst, p.src, p.es);
  } else if (p.kind == ND_TILES) {
    int ti = p.rank - 2;
    pthreadpool_parallelize_3d_tile_2d(pool, tiles_task, &p, outer_count(&p, ti), (size_t)p.dims[ti],
                                       (size_t)p.dims[ti + 1], TILE, TILE, 0);
  } else {
    int last = p.rank - 1;
    size_t rows = outer_count(&p, last), cols = (size_t)p.dims[last], tr = rows, tc = cols;
    if (pool) roof_copy_tiles(rows, cols, p.es, &tr, &tc); /* one task on the calling thread */
    pthreadpool_parallelize_2d_tile_2d(pool, rows_task, &p, rows, cols, tr, tc, 0);
  }
}

const char* roof_copy_nd_kind(const roof_tensor* src, const roof_tensor* dst) {
  nd_plan p;
  plan_build(src, dst, &p);
  static const char* const kNames[] = {"one", "rows", "tiles", "strided"};
  return kNames[p.kind];
}
