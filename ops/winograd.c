/* Winograd convolution F(4x4, 3x3), and F(2x2, 3x3) for small maps: a native Conv entry for
 * 3x3, stride 1, dilation 1, dense (group 1) float convolutions on NHWC data with constant
 * weights. Described below for F(4x4); F(2x2) is the same with 4x4 input tiles, 16 positions
 * and 2x2 output tiles (s->m, s->t, s->p).
 *
 * A 6x6 input tile d gives a 4x4 output tile Y = A^T [U (.) (B^T d B)] A, U = G g G^T the
 * weights transformed once at create: 36 products per tile instead of 144, each position of
 * the 6x6 grid one GEMM [tiles, Cin] x [Cin, Cout] over all tiles. Per chunk of tiles (sized
 * so that the transformed input and output stay in L2), three passes:
 *   1. input transform: tile by tile, 16 channels at a time -> V [36][chunk][Cin]
 *   2. 36 x panels x tile blocks of the packed GEMM micro-kernel (mm_block.h) -> M [36][chunk][Cout]
 *   3. output transform, bias and the fused clamp, stored into the NHWC output (clipped at the
 *      right and bottom edges).
 * Two ways to use threads: "lanes" (each of up to 2 x threads lanes owns a chunk-sized scratch
 * and runs all three passes on its own chunks, one pool call per layer: V and M stay in that
 * core's L2) when there are chunks enough; else "phases" (each pass threaded over a larger
 * chunk, three pool barriers per chunk: the only split when a layer has few tiles).
 * Whether a layer runs here is measured, not guessed: with the session's winograd option and
 * ROOFTOP_WINOGRAD both on auto, create times this kernel and XNNPACK's convolution on the
 * layer's shape (and F(2x2) too on small maps, wg_f2_worth_timing) and refuses when XNNPACK is
 * faster; the answer is cached per CPU, thread count and shape in $XDG_CACHE_HOME/rooftop (or
 * ~/.cache/rooftop)/winograd-v4.txt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "conv_params.h"
#include "conv_tune.h"
#include "mm_block.h"

#define WG_TMAX 6 /* the largest input tile side (F(4x4,3x3)'s) */
#define WG_V 16    /* channels per vector */

typedef roof_conv_params conv_params;

extern const roof_kernel_impl roof_kernel_Conv_xnnpack;

typedef struct wg_state wg_state;
typedef void (*wg_tile_fn)(void* ctx, size_t i);

/* How the threads share a layer (see the head comment); chosen at create. */
typedef enum wg_split { WG_PHASES = 1, WG_LANES = 2 } wg_split;

struct wg_state {
  const mm_isa* isa;
  int m, t, p;                           /* output tile side (4 or 2), input tile side m + 2, positions t * t */
  int64_t N, C, H, W, O, OH, OW, pt, pl; /* [N, C, H, W] -> [N, O, OH, OW], pads top / left */
  int64_t th, tw, tiles;                 /* tile rows and columns per image; tiles in all */
  int64_t panels;                        /* NR-wide panels of O */
  int64_t chunk;                         /* tiles per chunk (a multiple of MR) in the split used */
  int64_t lane_chunk, phase_chunk;       /* the chunk of each split */
  int64_t lanes;                         /* lanes of the lane split (1 on one thread) */
  wg_split split;
  roof_act act;
  float* u;    /* [p][panels][C][NR] transformed weights, columns past O zero */
  float* bias; /* [O rounded up to 16], zeros past O (and when absent) */
  wg_tile_fn in_tf, out_tf;
  /* bound by setup (or by the tuning run) */
  const float* x;
  float* y;
  float* scratch; /* phases: one V, M pair; lanes: one pair per lane */
};

/* One chunk in flight: its tiles and the scratch it transforms into. */
typedef struct wg_work {
  const wg_state* s;
  float* v;       /* [p][chunk][C] */
  float* m;       /* [p][chunk][O] */
  int64_t t0, tc; /* first tile, tile count */
} wg_work;

/* ---- transforms over 16 channels as one GNU C vector (one zmm, two ymm, four xmm) ---- */
typedef float wg_v16 __attribute__((vector_size(WG_V * sizeof(float))));
#pragma GCC diagnostic ignored "-Wpsabi" /* wg_v16 passes only between always-inlined functions */

ROOF_ALWAYS_INLINE wg_v16 wg_load(const float* p, int64_t n) {
  wg_v16 v = {0};
  memcpy(&v, p, (size_t)n * sizeof(float));
  return v;
}

ROOF_ALWAYS_INLINE void wg_store(float* p, wg_v16 v, int64_t n) { memcpy(p, &v, (size_t)n * sizeof(float)); }

/* roof_act_apply on 16 lanes without branches (a Relu's signs are unpredictable): lanes below
 * lo take lo, then lanes above hi take hi; NaN lanes stay NaN, as in roof_act_apply. */
typedef int32_t wg_i16 __attribute__((vector_size(WG_V * sizeof(int32_t))));
ROOF_ALWAYS_INLINE wg_v16 wg_clamp(wg_v16 v, wg_v16 lo, wg_v16 hi) {
  wg_i16 below = v < lo;
  v = (wg_v16)((below & (wg_i16)lo) | (~below & (wg_i16)v));
  wg_i16 above = v > hi;
  return (wg_v16)((above & (wg_i16)hi) | (~above & (wg_i16)v));
}

/* r = B^T d for six vectors d (one column or row of the tile), F(4x4,3x3). */
ROOF_ALWAYS_INLINE void wg_bt6(const wg_v16* d, wg_v16* r) {
  r[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
  r[1] = d[3] + d[4] - 4.0f * (d[1] + d[2]);
  r[2] = 4.0f * (d[1] - d[2]) + d[4] - d[3];
  r[3] = 2.0f * (d[3] - d[1]) + d[4] - d[2];
  r[4] = 2.0f * (d[1] - d[3]) + d[4] - d[2];
  r[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

/* o = A^T m: six vectors to four, F(4x4,3x3). */
ROOF_ALWAYS_INLINE void wg_at6(const wg_v16* m, wg_v16* o) {
  wg_v16 a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
  o[0] = m[0] + a + c;
  o[1] = b + 2.0f * d;
  o[2] = a + 4.0f * c;
  o[3] = b + 8.0f * d + m[5];
}

/* F(2x2,3x3): r = B^T d for four vectors, o = A^T m four to two. */
ROOF_ALWAYS_INLINE void wg_bt4(const wg_v16* d, wg_v16* r) {
  r[0] = d[0] - d[2];
  r[1] = d[1] + d[2];
  r[2] = d[2] - d[1];
  r[3] = d[1] - d[3];
}

ROOF_ALWAYS_INLINE void wg_at4(const wg_v16* m, wg_v16* o) {
  o[0] = m[0] + m[1] + m[2];
  o[1] = m[1] - m[2] - m[3];
}

/* The transforms of a tile side T (a constant where these are inlined). */
ROOF_ALWAYS_INLINE void wg_bt(const wg_v16* d, wg_v16* r, const int T) {
  if (T == 6) wg_bt6(d, r);
  else wg_bt4(d, r);
}

ROOF_ALWAYS_INLINE void wg_at(const wg_v16* m, wg_v16* o, const int T) {
  if (T == 6) wg_at6(m, o);
  else wg_at4(m, o);
}

/* Tile t of the whole batch -> image n and the input origin (y0, x0) of its t x t window. */
ROOF_ALWAYS_INLINE void wg_tile_origin(const wg_state* s, int64_t t, int64_t* n, int64_t* y0, int64_t* x0) {
  int64_t per = s->th * s->tw, r = t % per;
  *n = t / per;
  *y0 = r / s->tw * s->m - s->pt;
  *x0 = r % s->tw * s->m - s->pl;
}

/* Tile i of the chunk: V[p][i][c] = (B^T d B)[p] for every channel; reads outside the image
 * are zeros (the padding, and the overhang of the last tiles). T: the input tile side, a
 * constant in each caller (the loops unroll). */
ROOF_ALWAYS_INLINE void wg_input_tile(const wg_work* wk, size_t i, const int T) {
  const wg_state* s = wk->s;
  const int64_t C = s->C, ps = s->chunk * C;
  int64_t n, y0, x0;
  wg_tile_origin(s, wk->t0 + (int64_t)i, &n, &y0, &x0);
  bool row_in[WG_TMAX], col_in[WG_TMAX];
  for (int j = 0; j < T; j++) {
    row_in[j] = y0 + j >= 0 && y0 + j < s->H;
    col_in[j] = x0 + j >= 0 && x0 + j < s->W;
  }
  const float* img = s->x + n * s->H * s->W * C;
  float* v = wk->v + (int64_t)i * C;
  for (int64_t c0 = 0; c0 < C; c0 += WG_V) {
    const int64_t nc = C - c0 < WG_V ? C - c0 : WG_V;
    wg_v16 t[WG_TMAX][WG_TMAX]; /* t[a][b] = (B^T d)[a][b] */
    for (int b = 0; b < T; b++) {
      wg_v16 d[WG_TMAX], r[WG_TMAX];
      for (int a = 0; a < T; a++) {
        d[a] = (wg_v16){0};
        if (!row_in[a] || !col_in[b]) continue;
        const float* px = img + ((y0 + a) * s->W + x0 + b) * C + c0; /* formed only when inside */
        d[a] = nc == WG_V ? wg_load(px, WG_V) : wg_load(px, nc);
      }
      wg_bt(d, r, T);
      for (int a = 0; a < T; a++) t[a][b] = r[a];
    }
    for (int a = 0; a < T; a++) {
      wg_v16 r[WG_TMAX];
      wg_bt(t[a], r, T);
      for (int b = 0; b < T; b++) {
        float* dst = v + (a * T + b) * ps + c0;
        if (nc == WG_V) wg_store(dst, r[b], WG_V);
        else wg_store(dst, r[b], nc);
      }
    }
  }
}

/* Tile i of the chunk: Y = A^T M A + bias, clamped, the pixels inside the output stored. T as
 * for wg_input_tile; the output tile side is T - 2. */
ROOF_ALWAYS_INLINE void wg_output_tile(const wg_work* wk, size_t i, const int T) {
  const int M = T - 2;
  const wg_state* s = wk->s;
  const int64_t O = s->O, ps = s->chunk * O;
  int64_t n, y0, x0;
  wg_tile_origin(s, wk->t0 + (int64_t)i, &n, &y0, &x0);
  const int64_t oy0 = y0 + s->pt, ox0 = x0 + s->pl; /* output origin of the tile */
  const int64_t rows = s->OH - oy0 < M ? s->OH - oy0 : M, cols = s->OW - ox0 < M ? s->OW - ox0 : M;
  const float* m = wk->m + (int64_t)i * O;
  float* out = s->y + ((n * s->OH + oy0) * s->OW + ox0) * O;
  for (int64_t c0 = 0; c0 < O; c0 += WG_V) {
    const int64_t nc = O - c0 < WG_V ? O - c0 : WG_V;
    wg_v16 t[WG_TMAX - 2][WG_TMAX]; /* t[r][b] = (A^T M)[r][b] */
    for (int b = 0; b < T; b++) {
      wg_v16 col[WG_TMAX], r[WG_TMAX - 2];
      for (int a = 0; a < T; a++) {
        const float* pm = m + (a * T + b) * ps + c0;
        col[a] = nc == WG_V ? wg_load(pm, WG_V) : wg_load(pm, nc);
      }
      wg_at(col, r, T);
      for (int a = 0; a < M; a++) t[a][b] = r[a];
    }
    const wg_v16 bias = wg_load(s->bias + c0, WG_V);
    const wg_v16 lo = s->act.min - (wg_v16){0}, hi = s->act.max - (wg_v16){0}; /* splats */
    for (int r = 0; r < rows; r++) {
      wg_v16 o[WG_TMAX - 2];
      wg_at(t[r], o, T);
      for (int c = 0; c < cols; c++) {
        wg_v16 v = wg_clamp(o[c] + bias, lo, hi);
        float* dst = out + (r * s->OW + c) * O + c0;
        if (nc == WG_V) wg_store(dst, v, WG_V);
        else wg_store(dst, v, nc);
      }
    }
  }
}

ROOF_ALWAYS_INLINE void wg_input_body(void* ctx, size_t i) {
  const wg_work* wk = ctx;
  if (wk->s->t == 6) wg_input_tile(wk, i, 6);
  else wg_input_tile(wk, i, 4);
}

ROOF_ALWAYS_INLINE void wg_output_body(void* ctx, size_t i) {
  const wg_work* wk = ctx;
  if (wk->s->t == 6) wg_output_tile(wk, i, 6);
  else wg_output_tile(wk, i, 4);
}

static void wg_input_portable(void* ctx, size_t i) { wg_input_body(ctx, i); }
static void wg_output_portable(void* ctx, size_t i) { wg_output_body(ctx, i); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f"))) static void wg_input_avx512(void* ctx, size_t i) { wg_input_body(ctx, i); }
__attribute__((target("avx512f"))) static void wg_output_avx512(void* ctx, size_t i) { wg_output_body(ctx, i); }
__attribute__((target("avx2,fma"))) static void wg_input_avx2(void* ctx, size_t i) { wg_input_body(ctx, i); }
__attribute__((target("avx2,fma"))) static void wg_output_avx2(void* ctx, size_t i) { wg_output_body(ctx, i); }
#endif

/* The widest transforms this CPU runs; ROOFTOP_NATIVE_ISA=avx2|portable caps them (as MatMul). */
static void wg_pick_transforms(wg_state* s) {
  s->in_tf = wg_input_portable;
  s->out_tf = wg_output_portable;
#if defined(__x86_64__) && defined(__GNUC__)
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  bool portable = cap && strcmp(cap, "portable") == 0;
  bool no512 = portable || (cap && strcmp(cap, "avx2") == 0);
  if (!no512 && __builtin_cpu_supports("avx512f")) {
    s->in_tf = wg_input_avx512;
    s->out_tf = wg_output_avx512;
  } else if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    s->in_tf = wg_input_avx2;
    s->out_tf = wg_output_avx2;
  }
#endif
}

/* ---- the batched products ---- */

/* M[p][block rows][panel] = V[p][block rows] . U[p][panel] */
static void wg_gemm_task(void* ctx, size_t p, size_t panel, size_t block) {
  const wg_work* wk = ctx;
  const wg_state* s = wk->s;
  const int64_t mr = s->isa->mr, nr = s->isa->nr, r0 = (int64_t)block * mr, c0 = (int64_t)panel * nr;
  mm_block t = {
      .K = s->C,
      .a = wk->v + ((int64_t)p * s->chunk + r0) * s->C,
      .lda = s->C,
      .b = s->u + ((int64_t)p * s->panels + (int64_t)panel) * s->C * nr,
      .c = wk->m + ((int64_t)p * s->chunk + r0) * s->O + c0,
      .c_rs = s->O,
      .c_cs = 1,
      .mr = (int)(wk->tc - r0 < mr ? wk->tc - r0 : mr),
      .nc = (int)(s->O - c0 < nr ? s->O - c0 : nr),
      .act = NULL,
  };
  /* full blocks also ask for their share of the next product's U (the same prefetch as the
   * packed GEMM's, see mm_next_panel_slice): U comes from DRAM when a model's weights exceed L3 */
  const int64_t full = wk->tc / mr, next = (int64_t)p * s->panels + (int64_t)panel + 1;
  if ((int64_t)block < full && next < s->p * s->panels) mm_block_prefetch_part(&t, s->u + next * s->C * nr, s->C, (int)nr, (int64_t)block, full);
  s->isa->block(&t);
}

/* Floats of one V, M pair for chunk tiles: V rounded up to 16 floats, then M. */
static uint64_t wg_v_floats(const wg_state* s, int64_t chunk) {
  return ((uint64_t)s->p * (uint64_t)chunk * (uint64_t)s->C + 15) / 16 * 16;
}
static uint64_t wg_pair_floats(const wg_state* s, int64_t chunk) {
  return wg_v_floats(s, chunk) + (uint64_t)s->p * (uint64_t)chunk * (uint64_t)s->O;
}

static wg_work wg_work_at(const wg_state* s, float* pair, int64_t t0) {
  wg_work w = {.s = s, .v = pair, .m = pair + wg_v_floats(s, s->chunk), .t0 = t0};
  w.tc = s->tiles - t0 < s->chunk ? s->tiles - t0 : s->chunk;
  return w;
}

/* Lane l: chunks l, l + lanes, ... start to end on one thread, in the lane's own scratch. */
static void wg_lane_task(void* ctx, size_t lane) {
  const wg_state* s = ctx;
  const int64_t mr = s->isa->mr, step = s->chunk * s->lanes;
  float* pair = s->scratch + (uint64_t)lane * wg_pair_floats(s, s->chunk);
  for (int64_t t0 = (int64_t)lane * s->chunk; t0 < s->tiles; t0 += step) {
    wg_work w = wg_work_at(s, pair, t0);
    for (int64_t i = 0; i < w.tc; i++) s->in_tf(&w, (size_t)i);
    const int64_t blocks = (w.tc + mr - 1) / mr;
    for (int64_t p = 0; p < s->p; p++) {
      for (int64_t panel = 0; panel < s->panels; panel++) {
        for (int64_t b = 0; b < blocks; b++) wg_gemm_task(&w, (size_t)p, (size_t)panel, (size_t)b);
      }
    }
    for (int64_t i = 0; i < w.tc; i++) s->out_tf(&w, (size_t)i);
  }
}

static void wg_run_all(wg_state* s, pthreadpool_t pool) {
  if (s->split == WG_LANES) {
    pthreadpool_parallelize_1d(pool, wg_lane_task, s, (size_t)s->lanes, ROOF_POOL_FLAGS);
    return;
  }
  const int64_t mr = s->isa->mr;
  for (int64_t t0 = 0; t0 < s->tiles; t0 += s->chunk) {
    wg_work w = wg_work_at(s, s->scratch, t0);
    pthreadpool_parallelize_1d(pool, s->in_tf, &w, (size_t)w.tc, ROOF_POOL_FLAGS);
    pthreadpool_parallelize_3d(pool, wg_gemm_task, &w, (size_t)s->p, (size_t)s->panels, (size_t)((w.tc + mr - 1) / mr), ROOF_POOL_FLAGS);
    pthreadpool_parallelize_1d(pool, s->out_tf, &w, (size_t)w.tc, ROOF_POOL_FLAGS);
  }
}

/* ---- weights ---- */

/* U[p][panel][c][j] = (G g G^T)[p] of output channel panel * NR + j, input channel c (double). */
static void wg_transform_weights(wg_state* s, const float* w) {
  static const double G6[6][3] = {{0.25, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
  static const double G4[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  const double(*G)[3] = s->t == 6 ? G6 : G4;
  const int T = s->t;
  const int64_t C = s->C, nr = s->isa->nr;
  for (int64_t o = 0; o < s->O; o++) {
    for (int64_t c = 0; c < C; c++) {
      const float* g = w + (o * C + c) * 9; /* ONNX [O][C][3][3] */
      double gg[WG_TMAX][3];                /* G g */
      for (int a = 0; a < T; a++)
        for (int l = 0; l < 3; l++) gg[a][l] = G[a][0] * g[l] + G[a][1] * g[3 + l] + G[a][2] * g[6 + l];
      for (int a = 0; a < T; a++) {
        for (int b = 0; b < T; b++) {
          double u = gg[a][0] * G[b][0] + gg[a][1] * G[b][1] + gg[a][2] * G[b][2];
          s->u[(((a * T + b) * s->panels + o / nr) * C + c) * nr + o % nr] = (float)u;
        }
      }
    }
  }
}

/* Tiles per chunk for a scratch budget, a multiple of MR, at least one row block, at most
 * all tiles. */
static int64_t wg_chunk_for(const wg_state* s, int64_t budget) {
  int64_t per_tile = s->p * (s->C + s->O) * (int64_t)sizeof(float), mr = s->isa->mr;
  int64_t chunk = budget / per_tile / mr * mr;
  if (chunk < mr) chunk = mr;
  int64_t all = (s->tiles + mr - 1) / mr * mr;
  return chunk < all ? chunk : all;
}

/* The chunk of each split and the lanes. A lane's V and M within a quarter of L2 (1 MiB when
 * unknown): measured on resnet18's 56x56x64 conv (Zen 5, 1 MiB L2, loaded), one thread
 * 0.43-0.45 ms with L2/4, 0.56-0.66 with L2. Phases: each chunk costs three pool barriers, and a
 * descheduled thread makes each one wait, so chunks of up to 2 x L2 per thread (2 threads:
 * 0.46-0.48 ms with 4 MiB, 0.60 with 1 MiB). But a chunk of 2 x L2 per thread no longer fits in
 * L2: on a 640x640 detector's 160x160x64 convs, phases ran 4.2 ms at 2 threads against 4.7 at
 * one (idle); lanes keep each thread's chunk in its L2. Up to 2 lanes per thread, so that a
 * thread left waiting for a descheduled one can take a lane not yet started. */
static void wg_plan_splits(wg_state* s, size_t threads) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  int64_t budget = l2 > 0 ? l2 : (int64_t)1 << 20;
  s->lane_chunk = wg_chunk_for(s, budget / 4);
  s->phase_chunk = threads > 1 ? wg_chunk_for(s, 2 * budget * (int64_t)threads) : s->lane_chunk;
  /* Every chunk reads all of U. When U outweighs the V and M of all tiles (few tiles, many
   * channels: ResNet-50's 14x14x256 layers, 9.4 MB of U for 1.2 MB of tiles), one chunk of
   * every tile reads it once, spilling V and M from L2 costs less than reading U again; with
   * several threads that is the phase split, whose products divide U's panels among them. */
  const int64_t all = (s->tiles + s->isa->mr - 1) / s->isa->mr * s->isa->mr;
  if ((uint64_t)s->p * (uint64_t)s->panels * (uint64_t)s->isa->nr * (uint64_t)s->C >= wg_pair_floats(s, all)) {
    s->lane_chunk = s->phase_chunk = all;
    s->lanes = 1;
    return;
  }
  int64_t chunks = (s->tiles + s->lane_chunk - 1) / s->lane_chunk, most = 2 * (int64_t)threads;
  s->lanes = chunks < most ? chunks : most;
  if (threads > 1) {
    /* equal chunks, as many for every lane: SqueezeNet's 13x13 maps (16 tiles) made one lane of
     * 12 tiles and one of 4 at 2 threads */
    int64_t n = (chunks + s->lanes - 1) / s->lanes * s->lanes;
    s->lane_chunk = (s->tiles + n - 1) / n;
  }
}

/* Lanes when every thread gets two chunks or more (one thread: always one lane), else phases. */
static wg_split wg_default_split(const wg_state* s, size_t threads) {
  return threads <= 1 || s->lanes >= 2 * (int64_t)threads ? WG_LANES : WG_PHASES;
}

/* Both splits are worth timing when several threads have chunks enough for lanes. */
static bool wg_both_splits(const wg_state* s, size_t threads) { return threads > 1 && s->lanes >= (int64_t)threads; }

static void wg_use_split(wg_state* s, wg_split split) {
  s->split = split;
  s->chunk = split == WG_LANES ? s->lane_chunk : s->phase_chunk;
}

/* Scratch for a split: lanes x one pair, or one pair of the phase chunk. */
static uint64_t wg_split_floats(const wg_state* s, wg_split split) {
  return split == WG_LANES ? (uint64_t)s->lanes * wg_pair_floats(s, s->lane_chunk) : wg_pair_floats(s, s->phase_chunk);
}

static uint64_t wg_scratch_floats(const wg_state* s) { return wg_split_floats(s, s->split); }

static uint64_t wg_max_scratch_floats(const wg_state* s) {
  uint64_t a = wg_split_floats(s, WG_LANES), b = wg_split_floats(s, WG_PHASES);
  return a > b ? a : b;
}

/* ---- the kernel entry ---- */

/* ROOFTOP_WINOGRAD: on / 1 -> 1, off / 0 -> -1, anything else (auto, unset) -> 0. */
static int wg_env_mode(void) {
  const char* e = getenv("ROOFTOP_WINOGRAD");
  if (e == NULL) return 0;
  if (strcmp(e, "1") == 0 || strcmp(e, "on") == 0) return 1;
  if (strcmp(e, "0") == 0 || strcmp(e, "off") == 0) return -1;
  return 0;
}

static int wg_mode(const roof_kernel* k) { return k->winograd ? k->winograd : wg_env_mode(); }

static bool supports_wg(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const roof_tensor *x = &k->in[0], *w = &k->in[1];
  const char* no = roof_conv_residual_refusal(k) ? roof_conv_residual_refusal(k)
                   : wg_mode(k) < 0 ? "Winograd off (ROOFTOP_WINOGRAD or the session option)"
                   : sp->nsp != 2 || w->dims[2] != 3 || w->dims[3] != 3 ? "Winograd: not a 2-D 3x3 kernel"
                   : p->group != 1 ? "Winograd: grouped"
                   : sp->strides[0] != 1 || sp->strides[1] != 1 ? "Winograd: stride above 1"
                   : sp->dilations[0] != 1 || sp->dilations[1] != 1 ? "Winograd: dilation"
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(&k->out[0]) ? "Winograd: input or output not NHWC"
                   : !roof_conv_weights_const(k) ? "Winograd: weights or bias not constant"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void wg_state_free(wg_state* s) {
  if (s) {
    free(s->u);
    free(s->bias);
  }
  free(s);
}

static void destroy_wg(roof_kernel* k) {
  wg_state_free(k->state);
  k->state = NULL;
}

/* Geometry for output tiles of side m (4 or 2), checked sizes, transformed weights and bias. */
static roof_status wg_build(roof_kernel* k, wg_state* s, int m, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  s->isa = roof_mm_pick_isa();
  s->m = m, s->t = m + 2, s->p = s->t * s->t;
  s->N = x->dims[0], s->C = x->dims[1], s->H = x->dims[2], s->W = x->dims[3];
  s->O = y->dims[1], s->OH = y->dims[2], s->OW = y->dims[3];
  s->pt = p->sp.pads[0], s->pl = p->sp.pads[1];
  s->act = p->act;
  s->th = (s->OH + m - 1) / m, s->tw = (s->OW + m - 1) / m;
  s->panels = (s->O + s->isa->nr - 1) / s->isa->nr;
  uint64_t tiles, uf, sf, sb;
  bool ok = roof_mul_u64((uint64_t)s->N, (uint64_t)(s->th * s->tw), &tiles) && tiles <= (uint64_t)INT64_MAX / 64 &&
            roof_mul_u64((uint64_t)s->p * (uint64_t)s->panels, (uint64_t)s->C, &uf) &&
            roof_mul_u64(uf, (uint64_t)s->isa->nr * sizeof(float), &uf);
  if (!ok || uf > k->max_scratch_bytes) return roof_kernel_refuse(err, "Winograd: transformed weights over the tensor size limit");
  s->tiles = (int64_t)tiles;
  const size_t threads = pthreadpool_get_threads_count(k->pool);
  wg_plan_splits(s, threads);
  wg_use_split(s, wg_default_split(s, threads));
  sf = wg_max_scratch_floats(s); /* products checked: chunk <= tiles rounded up, lanes <= 2 x threads */
  if (sf > UINT64_MAX / 8 || !roof_mul_u64(sf, sizeof(float), &sb) || sb > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "Winograd: scratch over the tensor size limit");
  }
  wg_pick_transforms(s);
  s->u = roof_alloc_large((size_t)uf, 64); /* 4x (F(2x2): 1.8x) the weights: huge pages, see roof_alloc_large */
  if (s->u != NULL) memset(s->u, 0, (size_t)uf);
  s->bias = calloc((size_t)(s->O + WG_V), sizeof(float));
  if (s->u == NULL || s->bias == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory for Winograd weights");
  wg_transform_weights(s, w->data);
  const float* bias = k->num_in > 2 && k->in[2].data ? k->in[2].data : NULL;
  if (bias) memcpy(s->bias, bias, sizeof(float) * (size_t)s->O);
  return ROOF_OK;
}

/* FLOPs of one run: the p products per tile, the input transform (F(4x4): 12 six-point
 * transforms of about 16 operations per tile and channel; F(2x2): 8 four-point ones of 4) and
 * the output transform (10 of about 12, or 6 of about 4, plus the bias). The model's cost
 * stays the direct convolution's: the roofline judges the layer. */
static uint64_t wg_flops(const wg_state* s) {
  uint64_t t = (uint64_t)s->tiles, C = (uint64_t)s->C, O = (uint64_t)s->O;
  uint64_t in_ops = s->m == 4 ? 12ull * 16 : 8ull * 4, out_ops = s->m == 4 ? 10ull * 12 + 16 : 6ull * 4 + 4;
  return t * (2ull * (uint64_t)s->p * C * O + in_ops * C + out_ops * O);
}

/* ROOFTOP_WINOGRAD_TILE=4 or =2: only that output tile (F(4x4,3x3) or F(2x2,3x3)); else 0. */
static int wg_env_tile(void) {
  const char* e = getenv("ROOFTOP_WINOGRAD_TILE");
  return e && strcmp(e, "4") == 0 ? 4 : e && strcmp(e, "2") == 0 ? 2 : 0;
}

/* F(2x2,3x3) competes on maps of up to 256 pixels: there a batch-1 layer has few 4x4 tiles (4
 * on ResNet's 7x7 maps), each row of F(4x4)'s products multiplies 36 weight matrices (38 MB on
 * 512 channels, read from DRAM at every run) by as few rows, and the layer waits on memory;
 * F(2x2) reads 16 matrices with 4x the rows. Without a race (Winograd forced on), maps of up
 * to 64 pixels take F(2x2). */
static bool wg_f2_worth_timing(const roof_tensor* y) { return y->dims[2] * y->dims[3] <= 256; }
static bool wg_f2_untimed(const roof_tensor* y) { return y->dims[2] * y->dims[3] <= 64; }

/* ---- one-time tuning, cached (conv_tune.h: timing, the cache file) ---- */

static const char kWgCache[] = "winograd-v4.txt";

/* The layer's key: CPU, build, micro-kernel, threads and shape (one line of the cache, spaces
 * only between fields). From k alone, so that a cached answer is known before any weights are
 * transformed. */
static void wg_key(const roof_kernel* k, char* key, size_t n) {
  char cpu[128];
  roof_tune_cpu(cpu, sizeof(cpu));
  const mm_isa* isa = roof_mm_pick_isa();
  const int64_t* x = k->in[0].dims; /* [N, C, H, W] */
  const roof_spatial* sp = &((const conv_params*)k->params)->sp;
  snprintf(key, n, "%s " ROOF_TUNE_BUILD " mm%dx%d t%zu x%lldx%lldx%lldx%lld o%lld p%lld,%lld,%lld,%lld", cpu, isa->mr,
           isa->nr, pthreadpool_get_threads_count(k->pool), (long long)x[0], (long long)x[1], (long long)x[2],
           (long long)x[3], (long long)k->out[0].dims[1], (long long)sp->pads[0], (long long)sp->pads[1],
           (long long)sp->pads[2], (long long)sp->pads[3]);
}

/* A race's answer: the split and output tile of the Winograd side that won, or XNNPACK. */
typedef struct wg_choice {
  int split; /* WG_LANES, WG_PHASES, -1 XNNPACK, 0 none (not in the cache) */
  int m;     /* output tile side of the Winograd answer */
} wg_choice;

/* Version 4 of the file: "lanes" / "phases" (F(4x4)), "lanes-f2" / "phases-f2", "xnnpack". */
static wg_choice wg_cache_lookup(const char* key, double* wg_ms, double* xnn_ms) {
  char name[16];
  wg_choice c = {0, 4};
  if (!roof_tune_cache_lookup(kWgCache, key, name, sizeof(name), wg_ms, xnn_ms)) return c;
  c.m = strstr(name, "-f2") ? 2 : 4;
  c.split = strncmp(name, "lanes", 5) == 0 ? WG_LANES : strncmp(name, "phases", 6) == 0 ? WG_PHASES : -1;
  return c;
}

static void wg_cache_store(const char* key, wg_choice c, double wg_ms, double xnn_ms) {
  const char* name = c.split == WG_LANES    ? (c.m == 2 ? "lanes-f2" : "lanes")
                     : c.split == WG_PHASES ? (c.m == 2 ? "phases-f2" : "phases")
                                            : "xnnpack";
  roof_tune_cache_store(kWgCache, key, name, wg_ms, xnn_ms);
}

/* One timed run of a Winograd split; keeps its best times. */
static void wg_time_split(wg_state* s, pthreadpool_t pool, wg_split split, double* best, bool timed) {
  wg_use_split(s, split);
  double t0 = roof_tune_now_ms();
  wg_run_all(s, pool);
  if (timed) roof_tune_keep_best(best, roof_tune_now_ms() - t0);
}

/* The outcome of a race: the faster side, both best times, whether to cache it. */
typedef struct wg_verdict {
  wg_choice choice;
  int winner; /* index of the winning candidate state */
  double wg_ms, xnn_ms;
  bool steady;
} wg_verdict;

enum { WG_MAX_CAND = 2 };

/* Best times of ROOF_TUNE_RUNS alternate runs of each candidate's Winograd splits worth timing
 * and of XNNPACK's convolution of the layer (its own kernel built beside k, on the same x / y):
 * alternating keeps a burst of load on a shared machine from favouring one side. Steady when
 * every side's two best runs agree (wg_steady) and the pool's threads had their CPUs: process
 * CPU time of at least 80% of threads x wall time (on an idle machine every thread works or
 * spins through the race); a race on a loaded machine is used once, never cached. */
static roof_status wg_race(roof_kernel* k, wg_state** cand, int ncand, float* x, float* y, wg_verdict* v, roof_error* err) {
  roof_tensor in[3], out[1];
  memcpy(in, k->in, sizeof(roof_tensor) * (size_t)(k->num_in < 3 ? k->num_in : 3));
  out[0] = k->out[0];
  roof_kernel t = *k;
  t.in = in;
  t.out = out;
  t.state = t.handle = t.scratch = NULL;
  t.impl = &roof_kernel_Conv_xnnpack;
  in[0].data = x;
  out[0].data = y;
  char why[160];
  bool xnn = roof_kernel_Conv_xnnpack.supports(&t, why, sizeof(why));
  roof_error e = {0};
  roof_status st = xnn ? roof_kernel_Conv_xnnpack.create(&t, &e) : ROOF_OK;
  if (xnn && st == ROOF_OK) st = roof_kernel_Conv_xnnpack.setup(&t, &e);
  if (st == ROOF_E_UNSUPPORTED) xnn = false, st = ROOF_OK;
  const size_t threads = pthreadpool_get_threads_count(k->pool);
  wg_split split[WG_MAX_CAND][2];
  bool both[WG_MAX_CAND];
  double best[WG_MAX_CAND][2][2], xnn_best[2] = {-1, -1};
  for (int c = 0; c < ncand; c++) {
    split[c][0] = wg_default_split(cand[c], threads);
    split[c][1] = split[c][0] == WG_LANES ? WG_PHASES : WG_LANES;
    both[c] = wg_both_splits(cand[c], threads);
    for (int j = 0; j < 2; j++) best[c][j][0] = best[c][j][1] = -1;
  }
  const double cpu0 = roof_tune_cpu_ms(), wall0 = roof_tune_now_ms();
  for (int r = 0; st == ROOF_OK && r <= ROOF_TUNE_RUNS; r++) { /* run 0 warms up */
    for (int c = 0; c < ncand; c++) {
      wg_time_split(cand[c], k->pool, split[c][0], best[c][0], r > 0);
      if (both[c]) wg_time_split(cand[c], k->pool, split[c][1], best[c][1], r > 0);
    }
    double t1 = roof_tune_now_ms();
    if (xnn) st = roof_kernel_Conv_xnnpack.run(&t, &e);
    if (r > 0 && xnn) roof_tune_keep_best(xnn_best, roof_tune_now_ms() - t1);
  }
  const double busy = (roof_tune_cpu_ms() - cpu0) / ((roof_tune_now_ms() - wall0) * (double)threads);
  int wc = 0, wj = 0;
  v->steady = roof_tune_steady(xnn_best) && busy >= 0.8;
  for (int c = 0; c < ncand; c++) {
    for (int j = 0; j < (both[c] ? 2 : 1); j++) {
      if (best[c][j][0] < best[wc][wj][0]) wc = c, wj = j;
      v->steady = v->steady && roof_tune_steady(best[c][j]);
    }
  }
  v->wg_ms = best[wc][wj][0];
  v->xnn_ms = xnn ? xnn_best[0] : -1.0;
  v->winner = wc;
  v->choice.m = cand[wc]->m;
  v->choice.split = v->xnn_ms >= 0 && v->xnn_ms <= v->wg_ms ? -1 : (int)split[wc][wj];
  if (getenv("ROOFTOP_WINOGRAD_TRACE")) {
    for (int c = 0; c < ncand; c++) {
      fprintf(stderr, "winograd tune: F(%dx%d) %s %.4f, %s %.4f ms\n", cand[c]->m, cand[c]->m,
              split[c][0] == WG_LANES ? "lanes" : "phases", best[c][0][0], split[c][1] == WG_LANES ? "lanes" : "phases",
              both[c] ? best[c][1][0] : -1.0);
    }
    fprintf(stderr, "winograd tune: xnnpack %.4f ms, busy %.2f\n", v->xnn_ms, busy);
  }
  roof_kernel_Conv_xnnpack.destroy(&t);
  if (st != ROOF_OK) *err = e;
  return st;
}

/* Times the candidates on the layer's shape (inputs of 0.5: the time does not depend on values
 * outside denormals). */
static roof_status wg_tune(roof_kernel* k, wg_state** cand, int ncand, wg_verdict* v, roof_error* err) {
  const wg_state* s = cand[0];
  uint64_t xn = (uint64_t)(s->N * s->H * s->W * s->C), yn = (uint64_t)(s->N * s->OH * s->OW * s->O), sn = 0;
  for (int c = 0; c < ncand; c++) sn = wg_max_scratch_floats(cand[c]) > sn ? wg_max_scratch_floats(cand[c]) : sn;
  float* x = malloc(sizeof(float) * xn + 64);
  float* y = malloc(sizeof(float) * yn + 64);
  float* scratch = malloc(sizeof(float) * sn);
  if (!x || !y || !scratch) {
    free(x), free(y), free(scratch);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory timing Winograd");
  }
  for (uint64_t i = 0; i < xn; i++) x[i] = 0.5f;
  for (int c = 0; c < ncand; c++) cand[c]->x = x, cand[c]->y = y, cand[c]->scratch = scratch;
  roof_status st = wg_race(k, cand, ncand, x, y, v, err);
  free(x), free(y), free(scratch);
  for (int c = 0; c < ncand; c++) cand[c]->x = NULL, cand[c]->y = NULL, cand[c]->scratch = NULL;
  return st;
}

/* The tile sides that compete for the layer: the forced one, or F(4x4) and, on small maps,
 * F(2x2) (timed under auto; forced on: by the size rule alone). */
static int wg_candidate_tiles(const roof_kernel* k, int* tiles) {
  const int forced = wg_env_tile();
  if (forced) return tiles[0] = forced, 1;
  if (wg_mode(k) != 0) return tiles[0] = wg_f2_untimed(&k->out[0]) ? 2 : 4, 1;
  tiles[0] = 4;
  if (!wg_f2_worth_timing(&k->out[0])) return 1;
  tiles[1] = 2;
  return 2;
}

/* Under auto, a cached answer names the one tile to build (or XNNPACK: nothing built); else
 * the candidates are built and raced. Every candidate not kept is freed here; k->state, the one
 * kept, is freed by destroy_wg, built or half-built. */
static roof_status create_wg(roof_kernel* k, roof_error* err) {
  int tiles[WG_MAX_CAND];
  int ncand = wg_candidate_tiles(k, tiles);
  const bool tuned = wg_mode(k) == 0;
  const bool cached = tuned && wg_env_tile() == 0; /* a race among forced tiles is no answer for the layer */
  char key[320];
  wg_verdict v = {0};
  if (cached) {
    wg_key(k, key, sizeof(key));
    v.choice = wg_cache_lookup(key, &v.wg_ms, &v.xnn_ms);
    if (v.choice.split > 0) tiles[0] = v.choice.m, ncand = 1;
  }
  if (v.choice.split < 0) {
    return roof_kernel_refuse(err, "Winograd timed slower than XNNPACK on this shape (%.3f vs %.3f ms)", v.wg_ms, v.xnn_ms);
  }
  wg_state* cand[WG_MAX_CAND] = {NULL, NULL};
  roof_status st = ROOF_OK;
  for (int c = 0; c < ncand && st == ROOF_OK; c++) {
    cand[c] = calloc(1, sizeof(wg_state));
    st = cand[c] ? wg_build(k, cand[c], tiles[c], err) : roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
    if (c > 0 && st == ROOF_E_UNSUPPORTED) { /* F(2x2) over a size limit F(4x4) is under: F(4x4) alone */
      wg_state_free(cand[c]);
      cand[c] = NULL;
      ncand = c;
      st = ROOF_OK;
    }
  }
  if (st == ROOF_OK && tuned && v.choice.split == 0) {
    st = wg_tune(k, cand, ncand, &v, err);
    if (st == ROOF_OK && v.steady && cached) wg_cache_store(key, v.choice, v.wg_ms, v.xnn_ms);
    if (st == ROOF_OK && v.choice.split < 0) {
      st = roof_kernel_refuse(err, "Winograd timed slower than XNNPACK on this shape (%.3f vs %.3f ms)", v.wg_ms, v.xnn_ms);
    }
  }
  const int keep = v.winner; /* 0 unless a race picked another */
  if (st == ROOF_OK) {
    const size_t threads = pthreadpool_get_threads_count(k->pool);
    wg_use_split(cand[keep], v.choice.split > 0 ? (wg_split)v.choice.split : wg_default_split(cand[keep], threads));
  }
  for (int c = 0; c < ncand; c++) {
    if (c != keep) wg_state_free(cand[c]);
  }
  k->state = cand[keep];
  if (st != ROOF_OK) return st;
  k->executed_flops = wg_flops(cand[keep]);
  k->algorithm = cand[keep]->m == 4 ? "winograd F(4x4,3x3)" : "winograd F(2x2,3x3)";
  return ROOF_OK;
}

static uint64_t scratch_wg(const roof_kernel* k) {
  const wg_state* s = k->state;
  return s ? wg_scratch_floats(s) * sizeof(float) : 0;
}

static roof_status setup_wg(roof_kernel* k, roof_error* err) {
  wg_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  s->scratch = k->scratch;
  return ROOF_OK;
}

static roof_status run_wg(roof_kernel* k, roof_error* err) {
  wg_run_all(k->state, k->pool);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Conv_winograd = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_wg,
    .create = create_wg, .setup = setup_wg, .run = run_wg, .destroy = destroy_wg, .packs_consts = true,
    .scratch_bytes = scratch_wg, .algorithm = "winograd",
};
