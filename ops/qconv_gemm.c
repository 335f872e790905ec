/* QLinearConv on the CPU's int8 dot products: dense 2-D convolutions of NHWC int8 / uint8
 * activations with symmetric int8 weights (the qs8 / qc8 cases, which QDQ quantizers write) as
 * a GEMM of im2col rows on AVX512-VNNI's vpdpbusd (or AVX-VNNI's, on ymm registers), with the
 * requantization in the store.
 *
 * vpdpbusd multiplies four unsigned bytes by four signed bytes and adds the four products to an
 * int32 lane. The activations are its unsigned operand: an int8 input is read as uint8 (x ^ 0x80
 * = x + 128, zero point + 128, the XOR applied to each broadcast dword in the tile, where the
 * vector ALUs have room), so every input maps to a = x_u8 with zero point za. The
 * weights are the signed operand as they are (int8 zero point 0; uint8 zero point 128 flipped
 * to int8 zero point 0). Then
 *     acc[m][n] = sum_k (a[m][k] - za) w[k][n] + bias[n]
 *               = sum_k a[m][k] w[k][n] + (bias[n] - za * sum_k w[k][n])
 * and the second term is a constant per output channel, folded at create. Padding taps hold za
 * (they add nothing, as in the reference), so do the K positions past K up to a multiple of 4,
 * whose weights are zero.
 *
 * Layout: A (scratch) is [M][Kp] bytes, the im2col row of each output pixel (its KH x KW x C
 * window, the order of the packed weights); for a 1x1 stride-1 unpadded convolution whose
 * channels are a multiple of 4 the input itself is A. B is packed once at create as
 * [panel][Kp / 4][64][4]: 64 output channels of 4 consecutive K per 256 bytes, so four zmm
 * registers hold one K quad of a panel and a broadcast dword of an A row multiplies all four.
 * A tile is 6 rows x 64 columns: 24 accumulators, four B vectors and a broadcast (29 of 32
 * registers), over the whole K (int32 sums need no K blocks: the panel, at most 64 x Kp bytes,
 * stays in L2 across the tiles of a task); a last panel of 48, 32 or 16 columns takes 8, 12 or
 * 16 rows per tile instead (MobileNet's 24-, 96- and 160-channel layers).
 *
 * Requantization: q = clamp(rint((float)acc * m[n]) + y_zp), m[n] = x_scale * w_scale[n] /
 * y_scale in float32 as the reference forms it, the float clamped to the output range before
 * the conversion. The reference multiplies in double: results may differ by 1 LSB at ties or
 * for |acc| >= 2^24 (as XNNPACK's fixed-point multiplier does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "quant_kernels.h"
#include "quant_params.h"

#define Q8_MR 6
#define Q8_NR 64
#define Q8_MAX_A_BYTES (16u << 20) /* im2col rows in scratch at a time (a larger matrix: in chunks) */

typedef struct q8_state {
  int isa;                          /* Q8_AVX512 or Q8_AVXVNNI */
  int64_t chunk;                    /* output pixels packed at a time (q8_chunk_rows) */
  int64_t bands;                    /* > 0: tasks own bands of rows and pack 48 at a time (q8_band) */
  int64_t M, K, Kp, N, panels;      /* output pixels, taps x channels, K rounded up to 4, channels */
  int64_t C, H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
  uint8_t x_flip;                   /* 0x80: int8 input read as uint8 */
  uint8_t za;                       /* the input zero point on the uint8 side */
  bool direct;                      /* A is the input itself */
  bool y_signed;                    /* int8 output */
  int32_t yz, lo, hi;               /* output zero point and range */
  int8_t* wp;                       /* [panels][Kp / 4][64][4] */
  int32_t* bias;                    /* [panels * 64] bias - za * column sum */
  float* mult;                      /* [panels * 64] */
} q8_state;

/* One pass over the tiles: the context of the pack and GEMM tasks. */
typedef struct q8_run {
  const q8_state* s;
  const uint8_t* x; /* NHWC input */
  uint8_t* a;       /* [rows][Kp]: the chunk's im2col rows */
  uint8_t* y;       /* NHWC output, [M][N] */
  int64_t row0, rows; /* the chunk: output pixels row0 .. row0 + rows - 1 */
  int64_t rows_per_group, groups;
} q8_run;

enum { Q8_NONE, Q8_AVX512, Q8_AVXVNNI };

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
/* AVX-VNNI: CPUID leaf 7 subleaf 1, EAX bit 4 (clang 14's __builtin_cpu_supports lacks the name) */
static bool q8_has_avxvnni(void) {
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 4)) != 0;
}
#endif

/* The instructions this CPU offers the int8 GEMM: AVX512-VNNI (zmm tiles), else AVX-VNNI (the
 * same vpdpbusd on ymm, Intel's client cores), else none. ROOFTOP_NATIVE_ISA=avx2 leaves the
 * ymm path, =portable none. */
static int q8_cpu(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  if (cap && strcmp(cap, "portable") == 0) return Q8_NONE;
  bool avx2_only = cap && strcmp(cap, "avx2") == 0;
  if (!avx2_only && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vnni")) {
    return Q8_AVX512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && q8_has_avxvnni()) return Q8_AVXVNNI;
#endif
  return Q8_NONE;
}

static bool q8_direct(const roof_kernel* k, const roof_spatial* sp, const roof_tensor* w) {
  bool unit = w->dims[2] == 1 && w->dims[3] == 1 && sp->strides[0] == 1 && sp->strides[1] == 1 && sp->pads[0] == 0 &&
              sp->pads[1] == 0 && sp->pads[2] == 0 && sp->pads[3] == 0;
  return unit && k->in[0].dims[1] % 4 == 0;
}

static bool supports_q8(const roof_kernel* k, char* why, size_t n) {
  const roof_quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[3], *y = &k->out[0];
  const char* no = NULL;
  if (q8_cpu() == Q8_NONE) no = "int8 GEMM: no AVX512-VNNI or AVX-VNNI (or capped by ROOFTOP_NATIVE_ISA)";
  else if (p->sp.nsp != 2) no = "int8 GEMM: not 2-D";
  else if (p->group != 1) no = "int8 GEMM: grouped";
  else if (!roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y)) no = "int8 GEMM: input or output not NHWC";
  else if (!roof_tensor_is_plain(w)) no = "int8 GEMM: strided weights";
  if (no == NULL) roof_qconv_signed_consts(k, &no);
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void destroy_q8(roof_kernel* k) {
  q8_state* s = k->state;
  if (s) {
    free(s->wp);
    free(s->bias);
    free(s->mult);
  }
  free(s);
  k->state = NULL;
}

/* W [N][C][KH][KW] -> [panel][Kp / 4][64][4] with k = (ky * KW + kx) * C + c (the im2col row
 * order), weights flipped to int8; zeros past N and K. Column sums for the za term. */
static void q8_pack_weights(const roof_tensor* w, q8_state* s, int64_t* colsum) {
  const uint8_t* src = w->data;
  uint8_t flip = w->dtype == ROOF_DT_UINT8 ? 0x80 : 0;
  for (int64_t o = 0; o < s->N; o++) {
    int8_t* panel = s->wp + (o / Q8_NR) * s->Kp * Q8_NR;
    int64_t col = o % Q8_NR, sum = 0;
    for (int64_t c = 0; c < s->C; c++)
      for (int64_t ky = 0; ky < s->KH; ky++)
        for (int64_t kx = 0; kx < s->KW; kx++) {
          int64_t kk = (ky * s->KW + kx) * s->C + c;
          int8_t v = (int8_t)(src[((o * s->C + c) * s->KH + ky) * s->KW + kx] ^ flip);
          panel[(kk / 4) * Q8_NR * 4 + col * 4 + kk % 4] = v;
          sum += v;
        }
    colsum[o] = sum;
  }
}

/* Output pixels whose im2col rows are packed at a time: all, or 16 MiB of whole 48-row groups
 * (a 640 x 640 detector's 3x3 layer would need 59 MiB at once). ROOFTOP_INT8_CHUNK_ROWS (rounded
 * up to 48) sets it instead: the op tests run every im2col case in several chunks with it. */
static int64_t q8_chunk_rows(const q8_state* s) {
  if (s->direct) return s->M;
  const char* env = getenv("ROOFTOP_INT8_CHUNK_ROWS");
  int64_t rows = env ? (int64_t)strtoll(env, NULL, 10) : (int64_t)(Q8_MAX_A_BYTES / (uint64_t)s->Kp);
  rows = (rows + 47) / 48 * 48;
  if (rows < 48) rows = 48;
  return rows < s->M ? rows : s->M;
}

static roof_status create_q8(roof_kernel* k, roof_error* err) {
  const roof_quant_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[3], *y = &k->out[0]; /* NHWC [N, C, H, W], [O, C, KH, KW], NHWC [N, O, OH, OW] */
  q8_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->C = x->dims[1], s->H = x->dims[2], s->W = x->dims[3];
  s->N = y->dims[1], s->OH = y->dims[2], s->OW = y->dims[3], s->KH = w->dims[2], s->KW = w->dims[3];
  s->M = y->dims[0] * s->OH * s->OW;
  s->K = s->C * s->KH * s->KW;
  s->Kp = (s->K + 3) & ~(int64_t)3;
  s->panels = (s->N + Q8_NR - 1) / Q8_NR;
  s->sh = p->sp.strides[0], s->sw = p->sp.strides[1], s->dh = p->sp.dilations[0], s->dw = p->sp.dilations[1];
  s->pt = p->sp.pads[0], s->pl = p->sp.pads[1];
  s->direct = q8_direct(k, &p->sp, w);
  s->isa = q8_cpu();
  s->chunk = q8_chunk_rows(s);
  /* Many rows for few panels (the stem, ResNet's first stages): each task owns a band of rows and
   * packs 48 of them at a time into its own slot right before multiplying them by every panel,
   * so the im2col rows are read back from L1 / L2 (packed all at once, the stem's 1.9 MB went
   * through L3 both ways: its pack took as long as its products). Four bands per thread. */
  size_t threads = k->pool ? pthreadpool_get_threads_count(k->pool) : 1;
  if (!s->direct && s->M >= (int64_t)threads * 4 * 48 * 2 && s->panels <= 4) s->bands = (int64_t)threads * 4;
  s->x_flip = x->dtype == ROOF_DT_INT8 ? 0x80 : 0;
  s->za = (uint8_t)((int32_t)roof_qparam(k, 2, 0, 0.0) + (s->x_flip ? 128 : 0));
  s->y_signed = y->dtype == ROOF_DT_INT8;
  s->yz = (int32_t)roof_qparam(k, 7, 0, 0.0);
  int64_t lo, hi;
  roof_qconv_out_range(k, &lo, &hi);
  s->lo = (int32_t)lo, s->hi = (int32_t)hi;
  uint64_t wbytes, cols = (uint64_t)s->panels * Q8_NR;
  if (!roof_mul_u64(cols, (uint64_t)s->Kp, &wbytes) || wbytes > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "int8 GEMM: packed weights over the tensor size limit");
  }
  s->wp = roof_alloc_large((size_t)wbytes, 64);
  s->bias = malloc(sizeof(int32_t) * (size_t)cols);
  s->mult = malloc(sizeof(float) * (size_t)cols);
  int64_t* colsum = calloc((size_t)s->N, sizeof(int64_t));
  if (s->wp == NULL || s->bias == NULL || s->mult == NULL || colsum == NULL) {
    free(colsum);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  }
  memset(s->wp, 0, (size_t)wbytes);
  q8_pack_weights(w, s, colsum);
  float xs = (float)roof_qparam(k, 1, 0, 1.0), ys = (float)roof_qparam(k, 6, 0, 1.0);
  const roof_tensor* b = k->num_in > 8 && k->in[8].data ? &k->in[8] : NULL;
  for (int64_t o = 0; o < (int64_t)cols; o++) {
    bool in = o < s->N;
    int64_t bv = in && b ? ((const int32_t*)b->data)[o * b->strides[0]] : 0;
    /* wraps as the reference's int32 sums do */
    s->bias[o] = in ? (int32_t)(uint32_t)((uint64_t)bv - (uint64_t)s->za * (uint64_t)colsum[o]) : 0;
    s->mult[o] = in ? xs * (float)roof_qparam(k, 4, o, 1.0) / ys : 0.0f;
  }
  free(colsum);
  return ROOF_OK;
}

static uint64_t scratch_q8(const roof_kernel* k) {
  const q8_state* s = k->state;
  if (s->direct) return 0;
  return (uint64_t)(s->bands > 0 ? s->bands * 48 : s->chunk) * (uint64_t)s->Kp;
}

/* n bytes as fixed-size moves, the last one overlapping the one before (the stem's 21-byte runs:
 * a libc call or a byte loop per run cost as much as the GEMM) */
ROOF_ALWAYS_INLINE void q8_copy(uint8_t* d, const uint8_t* s, int64_t n) {
#define Q8_RUNS(V)                                                        \
  if (n >= V) {                                                           \
    int64_t j = 0;                                                        \
    for (; j + V <= n; j += V) memcpy(d + j, s + j, V);                   \
    if (j < n) memcpy(d + n - V, s + n - V, V);                           \
    return;                                                               \
  }
  Q8_RUNS(32)
  Q8_RUNS(8)
#undef Q8_RUNS
  for (int64_t j = 0; j < n; j++) d[j] = s[j];
}

/* Rows [r0, r0 + rows) of A: each output pixel's window as the input's bytes (the tile flips
 * them), padding and the K tail as the input zero point's byte. One kernel row (ky) of taps is
 * one run of KW x C bytes of the NHWC input when dw is 1 and no tap of it falls in the padding
 * (the stem's 7 taps x 3 channels: one copy of 21 bytes, not seven of 3). */

static void q8_pack_rows(void* ctx, size_t r0, size_t rows) {
  const q8_run* t = ctx;
  const q8_state* s = t->s;
  int64_t span = s->KW * s->C;
  uint8_t zb = s->za ^ s->x_flip;
  int64_t m = t->row0 + (int64_t)r0, n = m / (s->OH * s->OW), oy = m / s->OW % s->OH, ox = m % s->OW;
  for (int64_t i = (int64_t)r0; i < (int64_t)(r0 + rows); i++, ox++) {
    if (ox == s->OW) { /* the next output row (three divisions per pixel cost the stem 0.3 ms) */
      ox = 0;
      if (++oy == s->OH) oy = 0, n++;
    }
    int64_t ix0 = ox * s->sw - s->pl, ix1 = ix0 + (s->KW - 1) * s->dw;
    uint8_t* dst = t->a + i * s->Kp;
    for (int64_t ky = 0; ky < s->KH; ky++, dst += span) {
      int64_t iy = oy * s->sh - s->pt + ky * s->dh;
      const uint8_t* row = t->x + (n * s->H + iy) * s->W * s->C;
      if (iy < 0 || iy >= s->H) {
        memset(dst, zb, (size_t)span);
      } else if (s->dw == 1 && ix0 >= 0 && ix1 < s->W) {
        q8_copy(dst, row + ix0 * s->C, span);
      } else {
        for (int64_t kx = 0; kx < s->KW; kx++) {
          int64_t ix = ix0 + kx * s->dw;
          if (ix < 0 || ix >= s->W) memset(dst + kx * s->C, zb, (size_t)s->C);
          else q8_copy(dst + kx * s->C, row + ix * s->C, s->C);
        }
      }
    }
    memset(dst, zb, (size_t)(s->Kp - s->K));
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define Q8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* The store of one accumulator vector: columns n0..n0+15 of a row, `mask` of them real. */
Q8_TARGET ROOF_ALWAYS_INLINE void q8_store16(const q8_state* s, __m512i acc, int64_t n0, __mmask16 mask, uint8_t* dst) {
  __m512 f = _mm512_cvtepi32_ps(_mm512_add_epi32(acc, _mm512_loadu_si512(s->bias + n0)));
  f = _mm512_mul_ps(f, _mm512_loadu_ps(s->mult + n0));
  f = _mm512_max_ps(f, _mm512_set1_ps((float)(s->lo - s->yz)));
  f = _mm512_min_ps(f, _mm512_set1_ps((float)(s->hi - s->yz)));
  __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), _mm512_set1_epi32(s->yz));
  _mm_mask_storeu_epi8(dst, mask, _mm512_cvtepi32_epi8(q)); /* in range: truncation is exact */
}

/* Rows [m0, m0 + rows) (rows <= MR) x NV vectors of 16 columns of `panel`: the whole K, then the
 * store. MR x NV accumulators, NV weight vectors and a broadcast fit the 32 registers for
 * (MR, NV) = (6, 4), (8, 3), (12, 2), (16, 1); the callers pass constants. The broadcast A
 * dword is XORed with the input's flip (int8 -> uint8). */
Q8_TARGET ROOF_ALWAYS_INLINE void q8_tile(const q8_state* s, const uint8_t* a, int64_t a_rs, int64_t m0, int rows,
                                          int64_t panel, uint8_t* y, const int MR, const int NV) {
  __m512i c[16][4];
  const uint8_t* ar[16];
  for (int r = 0; r < MR; r++) {
    ar[r] = a + (m0 + (r < rows ? r : 0)) * a_rs; /* missing rows repeat the first, not stored */
    for (int v = 0; v < NV; v++) c[r][v] = _mm512_setzero_si512();
  }
  const __m512i flip = _mm512_set1_epi8((char)s->x_flip);
  const int8_t* b = s->wp + panel * s->Kp * Q8_NR;
  for (int64_t kk = 0; kk < s->Kp; kk += 4, b += 4 * Q8_NR) {
    __m512i bv[4];
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_si512(b + 64 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      int32_t quad;
      memcpy(&quad, ar[r] + kk, sizeof(quad));
      __m512i av = _mm512_xor_si512(_mm512_set1_epi32(quad), flip);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_dpbusd_epi32(c[r][v], av, bv[v]);
    }
  }
  /* through memory: indexing the registers by run-time row and column counts would make the
   * compiler keep every accumulator on the stack inside the K loop */
  int32_t acc[16 * 4 * 16] __attribute__((aligned(64)));
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) _mm512_store_si512(acc + (r * 4 + v) * 16, c[r][v]);
  int64_t n0 = panel * Q8_NR, cols = s->N - n0 < 16 * NV ? s->N - n0 : 16 * NV;
  for (int r = 0; r < rows; r++) {
    uint8_t* dst = y + (m0 + r) * s->N + n0;
    for (int v = 0; v * 16 < cols; v++) {
      int64_t left = cols - v * 16;
      __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
      q8_store16(s, _mm512_load_si512(acc + (r * 4 + v) * 16), n0 + v * 16, mask, dst + v * 16);
    }
  }
}

#define Q8_TILE_FN(MR, NV)                                                                                            \
  Q8_TARGET static void q8_tile_##MR##x##NV(const q8_state* s, const uint8_t* a, int64_t a_rs, int64_t m0, int64_t m1, \
                                            int64_t panel, uint8_t* y) {                                              \
    for (; m0 < m1; m0 += MR) q8_tile(s, a, a_rs, m0, m1 - m0 < MR ? (int)(m1 - m0) : MR, panel, y, MR, NV);          \
  }
Q8_TILE_FN(6, 4)
Q8_TILE_FN(8, 3)
Q8_TILE_FN(12, 2)
Q8_TILE_FN(16, 1)

/* ---- AVX-VNNI: the same GEMM on ymm registers (16 of them): tiles of 6 rows x 16 columns, a
 * quarter of a packed panel (its 64 bytes of each 256-byte K quad) ---- */

#define Q8_TARGET_VEX __attribute__((target("avx2,fma,avxvnni")))

/* q8_store16 on 8 columns: `cols` of them real */
Q8_TARGET_VEX ROOF_ALWAYS_INLINE void q8_store8(const q8_state* s, __m256i acc, int64_t n0, int64_t cols, uint8_t* dst) {
  __m256 f = _mm256_cvtepi32_ps(_mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i*)(s->bias + n0))));
  f = _mm256_mul_ps(f, _mm256_loadu_ps(s->mult + n0));
  f = _mm256_max_ps(f, _mm256_set1_ps((float)(s->lo - s->yz)));
  f = _mm256_min_ps(f, _mm256_set1_ps((float)(s->hi - s->yz)));
  __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(f), _mm256_set1_epi32(s->yz)); /* MXCSR: ties to even */
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)); /* in range: exact */
  __m128i b = s->y_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
  uint8_t tmp[16];
  _mm_storeu_si128((__m128i*)tmp, b);
  memcpy(dst, tmp, (size_t)(cols < 8 ? cols : 8));
}

Q8_TARGET_VEX static void q8_tile_vex(const q8_state* s, const uint8_t* a, int64_t a_rs, int64_t m0, int rows,
                                      int64_t panel, int quarter, uint8_t* y) {
  __m256i c[Q8_MR][2];
  const uint8_t* ar[Q8_MR];
#pragma GCC unroll 6
  for (int r = 0; r < Q8_MR; r++) {
    ar[r] = a + (m0 + (r < rows ? r : 0)) * a_rs;
    c[r][0] = c[r][1] = _mm256_setzero_si256();
  }
  const __m256i flip = _mm256_set1_epi8((char)s->x_flip);
  const int8_t* b = s->wp + panel * s->Kp * Q8_NR + quarter * 64;
  for (int64_t kk = 0; kk < s->Kp; kk += 4, b += 4 * Q8_NR) {
    __m256i b0 = _mm256_loadu_si256((const __m256i*)b), b1 = _mm256_loadu_si256((const __m256i*)(b + 32));
#pragma GCC unroll 6
    for (int r = 0; r < Q8_MR; r++) {
      int32_t quad;
      memcpy(&quad, ar[r] + kk, sizeof(quad));
      __m256i av = _mm256_xor_si256(_mm256_set1_epi32(quad), flip);
      c[r][0] = _mm256_dpbusd_avx_epi32(c[r][0], av, b0);
      c[r][1] = _mm256_dpbusd_avx_epi32(c[r][1], av, b1);
    }
  }
  int32_t acc[Q8_MR * 16] __attribute__((aligned(32)));
#pragma GCC unroll 6
  for (int r = 0; r < Q8_MR; r++) {
    _mm256_store_si256((__m256i*)(acc + r * 16), c[r][0]);
    _mm256_store_si256((__m256i*)(acc + r * 16 + 8), c[r][1]);
  }
  int64_t n0 = panel * Q8_NR + quarter * 16, cols = s->N - n0 < 16 ? s->N - n0 : 16;
  for (int r = 0; r < rows; r++)
    for (int v = 0; v * 8 < cols; v++) {
      q8_store8(s, _mm256_load_si256((const __m256i*)(acc + r * 16 + v * 8)), n0 + v * 8, cols - v * 8,
                y + (m0 + r) * s->N + n0 + v * 8);
    }
}

/* Task (panel, group): the group's rows under one panel (the panel stays in cache), in tiles as
 * tall as the panel's width allows (a last panel of 16 columns takes 16 rows at a time); on
 * AVX-VNNI quarter by quarter. */
static void q8_task(void* ctx, size_t panel, size_t group) {
  const q8_run* t = ctx;
  const q8_state* s = t->s;
  /* rows of the chunk: A and Y from its first row */
  const uint8_t* a = s->direct ? t->x + t->row0 * s->C : t->a;
  int64_t a_rs = s->direct ? s->C : s->Kp;
  uint8_t* y = t->y + t->row0 * s->N;
  int64_t m0 = (int64_t)group * t->rows_per_group, m1 = m0 + t->rows_per_group < t->rows ? m0 + t->rows_per_group : t->rows;
  int64_t cols = s->N - (int64_t)panel * Q8_NR;
  if (s->isa == Q8_AVXVNNI) {
    for (int quarter = 0; quarter < 4 && quarter * 16 < cols; quarter++)
      for (int64_t m = m0; m < m1; m += Q8_MR) {
        q8_tile_vex(s, a, a_rs, m, m1 - m < Q8_MR ? (int)(m1 - m) : Q8_MR, (int64_t)panel, quarter, y);
      }
    return;
  }
  if (cols > 48) q8_tile_6x4(s, a, a_rs, m0, m1, (int64_t)panel, y);
  else if (cols > 32) q8_tile_8x3(s, a, a_rs, m0, m1, (int64_t)panel, y);
  else if (cols > 16) q8_tile_12x2(s, a, a_rs, m0, m1, (int64_t)panel, y);
  else q8_tile_16x1(s, a, a_rs, m0, m1, (int64_t)panel, y);
}
/* Band b of the rows: 48 at a time packed into the band's slot, then multiplied by every panel */
static void q8_band(void* ctx, size_t band) {
  const q8_run* all = ctx;
  const q8_state* s = all->s;
  int64_t r0 = (int64_t)band * s->M / s->bands, r1 = ((int64_t)band + 1) * s->M / s->bands;
  q8_run t = *all;
  t.a = all->a + (int64_t)band * 48 * s->Kp;
  t.rows_per_group = 48;
  for (t.row0 = r0; t.row0 < r1; t.row0 += 48) {
    t.rows = r1 - t.row0 < 48 ? r1 - t.row0 : 48;
    q8_pack_rows(&t, 0, (size_t)t.rows);
    for (int64_t panel = 0; panel < s->panels; panel++) q8_task(&t, (size_t)panel, 0);
  }
}
#else /* supports_q8 refuses: never called */
static void q8_task(void* ctx, size_t panel, size_t group) { (void)ctx, (void)panel, (void)group; }
static void q8_band(void* ctx, size_t band) { (void)ctx, (void)band; }
#endif

static roof_status run_q8(roof_kernel* k, roof_error* err) {
  (void)err;
  const q8_state* s = k->state;
  q8_run t = {.s = s, .x = k->in[0].data, .a = k->scratch, .y = k->out[0].data};
  if (s->bands > 0) {
    pthreadpool_parallelize_1d(k->pool, q8_band, &t, (size_t)s->bands, ROOF_POOL_FLAGS);
    return ROOF_OK;
  }
  int64_t chunk = s->chunk;
  for (t.row0 = 0; t.row0 < s->M; t.row0 += chunk) {
    t.rows = s->M - t.row0 < chunk ? s->M - t.row0 : chunk;
    if (!s->direct) {
      size_t rows_per_task = (size_t)(s->Kp >= 4096 ? 8 : 4096 / s->Kp * 8); /* about 32 KiB of A per task */
      pthreadpool_parallelize_1d_tile_1d(k->pool, q8_pack_rows, &t, (size_t)t.rows, rows_per_task, ROOF_POOL_FLAGS);
    }
    /* Groups of 48 rows (whole tiles of every height), fewer when that leaves under 16 tasks */
    t.rows_per_group = 48;
    while (t.rows_per_group > 6 && s->panels * ((t.rows + t.rows_per_group - 1) / t.rows_per_group) < 16) t.rows_per_group /= 2;
    t.groups = (t.rows + t.rows_per_group - 1) / t.rows_per_group;
    pthreadpool_parallelize_2d(k->pool, q8_task, &t, (size_t)s->panels, (size_t)t.groups, ROOF_POOL_FLAGS);
  }
  return ROOF_OK;
}

static const int kQ8Dtypes[] = {ROOF_DT_UINT8, ROOF_DT_INT8, 0};

const roof_kernel_impl roof_kernel_QLinearConv_native = {
    .op = ROOF_OP_QLinearConv, .backend = ROOF_BACKEND_NATIVE, .dtypes = kQ8Dtypes,
    .supports = supports_q8, .create = create_q8, .run = run_q8, .destroy = destroy_q8, .packs_consts = true,
    .scratch_bytes = scratch_q8, .algorithm = "im2col-vnni",
};
