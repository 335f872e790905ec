/* Gemm and MatMul: a native packed, register-blocked kernel for every MatMul (two activations,
 * as attention's, or a constant weight matrix packed once at create) and for Gemm as a fully
 * connected layer; XNNPACK fully-connected behind it (a plain activation times a constant
 * matrix); reference kernels for every case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "xnn_backend.h"
#include "gemm_params.h"
#include "mm_block.h"

typedef roof_gemm_params gemm_params;

static roof_status parse_gemm(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  gemm_params* p = params;
  roof_act_init(&p->act);
  roof_status st = roof_attr_get_float(g, n, "alpha", 1.0f, &p->alpha, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "beta", 1.0f, &p->beta, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "transA", 0, &p->trans_a, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "transB", 0, &p->trans_b, err);
  return st;
}

static roof_status parse_matmul(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  gemm_params* p = params;
  roof_act_init(&p->act);
  p->alpha = p->beta = 1.0f;
  p->fused_bias = 0;
  return ROOF_OK;
}

/* A fused bias (pass matmul_add): a constant of A's dtype, one value or one per column. */
static roof_status check_fused_bias(roof_graph* g, roof_node* n, int64_t N, roof_error* err) {
  const gemm_params* p = n->params;
  const roof_value* c = roof_in(g, n, 2);
  if (!p->fused_bias) {
    if (c == NULL) return ROOF_OK;
    return roof_node_fail(err, ROOF_E_DATA, g, n, "MatMul takes 2 inputs, got %d", n->num_inputs);
  }
  uint64_t count = 1;
  for (int d = 0; c && d < c->rank; d++) count *= (uint64_t)c->dims[d];
  if (c == NULL || c->dtype != roof_in(g, n, 0)->dtype || !(count == 1 || count == (uint64_t)N) ||
      (c->rank > 0 && c->dims[c->rank - 1] != (int64_t)count)) {
    return roof_node_fail(err, ROOF_E_INTERNAL, g, n, "fused bias is not one value or one per column of %lld",
                          (long long)N);
  }
  return ROOF_OK;
}

static roof_status infer_gemm(roof_graph* g, roof_node* n, roof_error* err) {
  const gemm_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st == ROOF_OK) st = roof_require_same_dtype(g, n, 1, 0, err);
  if (st == ROOF_OK && roof_in(g, n, 2)) st = roof_require_same_dtype(g, n, 2, 0, err);
  if (st != ROOF_OK) return st;
  const roof_value *a = roof_in(g, n, 0), *b = roof_in(g, n, 1), *c = roof_in(g, n, 2);
  char as[64], bs[64];
  if (a->rank != 2 || b->rank != 2) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "A %s and B %s must be matrices", roof_shape_str(a->dims, a->rank, as, 64),
                          roof_shape_str(b->dims, b->rank, bs, 64));
  }
  int64_t m = p->trans_a ? a->dims[1] : a->dims[0], k = p->trans_a ? a->dims[0] : a->dims[1];
  int64_t kb = p->trans_b ? b->dims[1] : b->dims[0], nn = p->trans_b ? b->dims[0] : b->dims[1];
  if (k != kb) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "inner dims differ: A %s, B %s (transA %lld, transB %lld)",
                          roof_shape_str(a->dims, 2, as, 64), roof_shape_str(b->dims, 2, bs, 64), (long long)p->trans_a,
                          (long long)p->trans_b);
  }
  int64_t dims[2] = {m, nn};
  if (c) {
    int64_t out[ROOF_MAX_RANK];
    int ro;
    st = roof_broadcast_shape(g, n, dims, 2, c->dims, c->rank, out, &ro, err);
    if (st != ROOF_OK) return st;
    if (ro != 2 || out[0] != m || out[1] != nn) return roof_node_fail(err, ROOF_E_DATA, g, n, "C does not broadcast to [M, N]");
  }
  roof_value_set_shape(roof_out(g, n, 0), a->dtype, 2, dims);
  return ROOF_OK;
}

static roof_status infer_matmul(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st == ROOF_OK) st = roof_require_same_dtype(g, n, 1, 0, err);
  if (st != ROOF_OK) return st;
  const roof_value *a = roof_in(g, n, 0), *b = roof_in(g, n, 1);
  char as[64], bs[64];
  if (a->rank < 1 || b->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "operands must have rank >= 1");
  int64_t ad[ROOF_MAX_RANK + 1], bd[ROOF_MAX_RANK + 1];
  int ra = a->rank, rb = b->rank;
  memcpy(ad, a->dims, sizeof(int64_t) * (size_t)ra);
  memcpy(bd, b->dims, sizeof(int64_t) * (size_t)rb);
  if (ra == 1) { ad[1] = ad[0]; ad[0] = 1; ra = 2; }  /* [K] -> [1, K] */
  if (rb == 1) { bd[1] = 1; rb = 2; }                 /* [K] -> [K, 1] */
  if (ad[ra - 1] != bd[rb - 2]) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "inner dims differ: %s x %s", roof_shape_str(a->dims, a->rank, as, 64),
                          roof_shape_str(b->dims, b->rank, bs, 64));
  }
  int64_t batch[ROOF_MAX_RANK];
  int rbat = 0;
  st = roof_broadcast_shape(g, n, ad, ra - 2, bd, rb - 2, batch, &rbat, err);
  if (st != ROOF_OK) return st;
  int64_t dims[ROOF_MAX_RANK + 2];
  int r = 0;
  for (int i = 0; i < rbat; i++) dims[r++] = batch[i];
  if (a->rank > 1) dims[r++] = ad[ra - 2];
  if (b->rank > 1) dims[r++] = bd[rb - 1];
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", r, ROOF_MAX_RANK);
  st = check_fused_bias(g, n, b->rank > 1 ? bd[rb - 1] : 1, err);
  if (st != ROOF_OK) return st;
  roof_value_set_shape(roof_out(g, n, 0), a->dtype, r, dims);
  return ROOF_OK;
}

/* macs = M * N * K (times the batch for MatMul); bias adds are not counted */
static void cost_gemm(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const roof_value *a = roof_in(g, n, 0), *y = roof_out(g, n, 0);
  const gemm_params* p = n->params;
  bool is_gemm = n->op->id == ROOF_OP_Gemm;
  int64_t k = is_gemm ? (p->trans_a ? a->dims[0] : a->dims[1]) : a->dims[a->rank - 1];
  uint64_t out = 0;
  roof_value_count(y, &out);
  c->macs = out * (uint64_t)k;
  c->flops = 2 * c->macs;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = is_gemm ? "gemm" : "matmul";
  c->has_model = true;
}

static int describe_gemm(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_value *a = roof_in(g, n, 0), *y = roof_out(g, n, 0);
  char as[64], ys[64];
  return snprintf(buf, size, "%s -> %s", roof_shape_str(a->dims, a->rank, as, 64), roof_shape_str(y->dims, y->rank, ys, 64));
}

static roof_status ref_gemm(roof_kernel* k, roof_error* err) {
  const gemm_params* p = k->params;
  const roof_tensor *a = &k->in[0], *b = &k->in[1];
  roof_tensor* y = &k->out[0];
  roof_tensor cv;
  bool has_c = roof_in(k->g, k->node, 2) != NULL;
  if (has_c) roof_broadcast_view(&k->in[2], 2, y->dims, &cv);
  int64_t m = y->dims[0], nn = y->dims[1], kk = p->trans_a ? a->dims[0] : a->dims[1];
  const float *ad = a->data, *bd = b->data;
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < nn; j++) {
      double acc = 0.0;
      for (int64_t t = 0; t < kk; t++) {
        int64_t ai = p->trans_a ? t * a->strides[0] + i * a->strides[1] : i * a->strides[0] + t * a->strides[1];
        int64_t bi = p->trans_b ? j * b->strides[0] + t * b->strides[1] : t * b->strides[0] + j * b->strides[1];
        acc += (double)ad[ai] * bd[bi];
      }
      acc *= p->alpha;
      if (has_c) acc += (double)p->beta * ((const float*)cv.data)[i * cv.strides[0] + j * cv.strides[1]];
      ((float*)y->data)[i * y->strides[0] + j * y->strides[1]] = roof_act_apply(&p->act, (float)acc);
    }
  }
  return ROOF_OK;
}

static roof_status ref_matmul(roof_kernel* k, roof_error* err) {
  const gemm_params* p = k->params;
  roof_tensor a = k->in[0], b = k->in[1];
  const float* bias = p->fused_bias ? k->in[2].data : NULL;
  bool one_bias = bias && roof_tensor_count(&k->in[2]) == 1;
  roof_tensor* y = &k->out[0];
  /* Promote 1-D operands so both are at least matrices, then broadcast batch dims. */
  if (a.rank == 1) { a.dims[1] = a.dims[0]; a.strides[1] = a.strides[0]; a.dims[0] = 1; a.strides[0] = 0; a.rank = 2; }
  if (b.rank == 1) { b.dims[1] = 1; b.strides[1] = 0; b.rank = 2; }
  int64_t M = a.dims[a.rank - 2], K = a.dims[a.rank - 1], N = b.dims[b.rank - 1];
  int rb = y->rank - (k->in[0].rank > 1) - (k->in[1].rank > 1); /* batch rank of the output */
  int64_t bdims[ROOF_MAX_RANK] = {0};
  for (int i = 0; i < rb; i++) bdims[i] = y->dims[i];
  int64_t bi[ROOF_MAX_RANK] = {0};
  do {
    int64_t ao = 0, bo = 0, yo = 0;
    for (int i = 0; i < rb; i++) {
      int da = a.rank - 2 - rb + i, db = b.rank - 2 - rb + i;
      if (da >= 0 && a.dims[da] > 1) ao += bi[i] * a.strides[da];
      if (db >= 0 && b.dims[db] > 1) bo += bi[i] * b.strides[db];
      yo += bi[i] * y->strides[i];
    }
    for (int64_t i = 0; i < M; i++) {
      for (int64_t j = 0; j < N; j++) {
        double acc = bias ? bias[one_bias ? 0 : j] : 0.0;
        for (int64_t t = 0; t < K; t++) {
          acc += (double)((const float*)a.data)[ao + i * a.strides[a.rank - 2] + t * a.strides[a.rank - 1]] *
                 ((const float*)b.data)[bo + t * b.strides[b.rank - 2] + j * b.strides[b.rank - 1]];
        }
        int64_t off = yo;
        if (k->in[0].rank > 1) off += i * y->strides[rb];
        if (k->in[1].rank > 1) off += j * y->strides[y->rank - 1];
        ((float*)y->data)[off] = roof_act_apply(&p->act, (float)acc);
      }
    }
  } while (rb > 0 && roof_index_next(bi, bdims, rb));
  return ROOF_OK;
}

typedef struct fc_state {
  size_t batch;
} fc_state;

/* weights: B [K, N] (transpose flag) or [N, K]; alpha folded in; bias = beta * C per column */
static roof_status create_fc(roof_kernel* k, size_t batch, int64_t K, int64_t N, bool b_is_kn, float alpha,
                             const float* bias, roof_error* err) {
  const gemm_params* p = k->params;
  const float* w = k->in[1].data;
  if (!roof_act_xnn_ok(&p->act)) return roof_kernel_refuse(err, "empty fused clamp range");
  float* scaled = NULL;
  if (alpha != 1.0f) {
    scaled = malloc(sizeof(float) * (size_t)(K * N) + ROOF_XNN_PADDING);
    if (scaled == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
    for (int64_t i = 0; i < K * N; i++) scaled[i] = w[i] * alpha;
    w = scaled;
  }
  fc_state* s = calloc(1, sizeof(fc_state));
  if (s == NULL) {
    free(scaled);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  }
  s->batch = batch;
  k->state = s;
  xnn_operator_t op = NULL;
  enum xnn_status xs = xnn_create_fully_connected_nc_f32((size_t)K, (size_t)N, (size_t)K, (size_t)N, w, bias, p->act.min,
                                                         p->act.max, b_is_kn ? XNN_FLAG_TRANSPOSE_WEIGHTS : 0, &op);
  free(scaled);
  return roof_xnn_created(xs, op, k, "create fully connected", err);
}

static bool const_in(const roof_kernel* k, int i) {
  const roof_value* v = roof_in(k->g, k->node, i);
  return v && v->data && (v->flags & ROOF_VAL_CONST);
}

static roof_status create_gemm(roof_kernel* k, roof_error* err) {
  const gemm_params* p = k->params;
  const roof_tensor* a = &k->in[0];
  if (p->trans_a) return roof_kernel_refuse(err, "transA");
  if (!roof_tensor_is_plain(a) || !roof_tensor_is_plain(&k->out[0])) return roof_kernel_refuse(err, "strided input or output");
  if (!const_in(k, 1)) return roof_kernel_refuse(err, "B is not constant");
  int64_t K = a->dims[1], N = k->out[0].dims[1];
  float* bias = NULL;
  bool has_c = roof_in(k->g, k->node, 2) != NULL;
  if (has_c) {
    const roof_tensor* c = &k->in[2];
    /* only a per-column bias can become XNNPACK's bias vector */
    bool row = c->rank == 0 || (c->rank == 1) || (c->rank == 2 && c->dims[0] == 1);
    if (!row || !const_in(k, 2)) return roof_kernel_refuse(err, "C is not a constant per-column bias");
    bias = malloc(sizeof(float) * (size_t)N + ROOF_XNN_PADDING);
    if (bias == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
    uint64_t cn = roof_tensor_count(c);
    for (int64_t j = 0; j < N; j++) bias[j] = p->beta * ((const float*)c->data)[cn == 1 ? 0 : j];
  }
  roof_status st = create_fc(k, (size_t)a->dims[0], K, N, !p->trans_b, p->alpha, bias, err);
  free(bias);
  return st;
}

static roof_status create_matmul(roof_kernel* k, roof_error* err) {
  const roof_tensor *a = &k->in[0], *b = &k->in[1];
  if (((const gemm_params*)k->params)->fused_bias) return roof_kernel_refuse(err, "fused bias (the native kernel adds it)");
  if (b->rank != 2 || a->rank < 2) return roof_kernel_refuse(err, "XNNPACK multiplies by a 2-D matrix only");
  if (!roof_tensor_is_plain(a) || !roof_tensor_is_plain(&k->out[0])) return roof_kernel_refuse(err, "strided input or output");
  if (!const_in(k, 1)) return roof_kernel_refuse(err, "B is not constant");
  uint64_t rows = roof_tensor_count(a) / (uint64_t)a->dims[a->rank - 1];
  return create_fc(k, (size_t)rows, b->dims[0], b->dims[1], true, 1.0f, NULL, err);
}

static roof_status setup_fc(roof_kernel* k, roof_error* err) {
  const fc_state* s = k->state;
  enum xnn_status xs = xnn_setup_fully_connected_nc_f32(roof_xop(k), s->batch, k->in[0].data, k->out[0].data, k->pool);
  return roof_xnn_check(xs, k, "setup fully connected", err);
}

#define GEMM_OP(SYM, PARSE, INFER, CREATE)                                                                    \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,         \
      .flags = ROOF_OPF_FUSED_ACT | ROOF_OPF_PACKS_CONSTS, .layout = ROOF_LR_ANY,                            \
      .params_size = sizeof(gemm_params), .parse = PARSE, .infer = INFER, .cost = cost_gemm,                 \
      .describe = describe_gemm,                                                                              \
  };                                                                                                          \
  ROOF_XNN_PACKING_KERNEL(SYM, NULL, CREATE, setup_fc, roof_xnn_destroy)

GEMM_OP(Gemm, parse_gemm, infer_gemm, create_gemm);
GEMM_OP(MatMul, parse_matmul, infer_matmul, create_matmul);

ROOF_REF_KERNEL(Gemm, roof_dtypes_f32, ref_gemm);
ROOF_REF_KERNEL(MatMul, roof_dtypes_f32, ref_matmul);

/* ---- native MatMul of two activations (attention's Q K^T and A V). XNNPACK (this version)
 * has no batched product of two activations. Float32 operands of any strides (NHWC, transposed
 * views), 1-D operands promoted as ONNX says, broadcast batch dims. Each run:
 *   1. packs (in parallel) every B batch into column panels [K][NR] in the session scratch,
 *      zero-padded past N, so that the inner loop reads B as one dense stream whatever its
 *      strides; A, read in place by rows, is copied to dense rows only when its K is strided;
 *   2. multiplies (in parallel over batch x row tile x group of panels): an MR x NR block of C
 *      lives in registers over the whole K, each k one panel row times MR broadcast A values.
 * The micro-kernel is chosen at create from the CPU: AVX-512 12x32 (24 accumulators of the 32
 * registers), AVX2+FMA 6x16 (12 of 16), arm64 NEON 6x16 (24 of 32), else portable C 4x8 that
 * the compiler vectorizes. ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROOF_MM_X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define ROOF_MM_NEON 1
#endif

/* Stores rows x cols of a block computed into tmp (row stride nr) through C's strides, clamped. */
static void mm_store_tmp(const mm_block* t, const float* tmp, int nr) {
  for (int i = 0; i < t->mr; i++) {
    float* c = t->c + i * t->c_rs;
    for (int j = 0; j < t->nc; j++) {
      float v = tmp[i * nr + j] + (t->res ? t->res[i * t->res_rs + j] : 0.0f);
      c[j * t->c_cs] = t->act ? roof_act_apply(t->act, v) : v;
    }
  }
}

/* Portable: a 4x8 block in eight 4-lane GNU C vectors (SSE2, NEON, or scalar code where the
 * target has none); rows past mr read row 0 and are not stored. */
#define MM_P_MR 4
#define MM_P_NR 8
typedef float mm_v4 __attribute__((vector_size(16)));
static inline mm_v4 mm_v4_load(const float* p) {
  mm_v4 v;
  memcpy(&v, p, sizeof(v));
  return v;
}
static void mm_block_portable(const mm_block* t) {
  const int64_t lda = t->lda;
  const float* a0 = t->a;
  const float* a1 = t->mr > 1 ? a0 + lda : a0;
  const float* a2 = t->mr > 2 ? a0 + 2 * lda : a0;
  const float* a3 = t->mr > 3 ? a0 + 3 * lda : a0;
  const mm_v4 zero = {0}, bias0 = t->bias ? mm_v4_load(t->bias) : zero, bias1 = t->bias ? mm_v4_load(t->bias + 4) : zero;
  mm_v4 c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
  const float* b = t->b;
  for (int64_t k = 0; k < t->K; k++, b += MM_P_NR) {
    const mm_v4 b0 = mm_v4_load(b), b1 = mm_v4_load(b + 4);
    const mm_v4 x0 = {a0[k], a0[k], a0[k], a0[k]}, x1 = {a1[k], a1[k], a1[k], a1[k]};
    const mm_v4 x2 = {a2[k], a2[k], a2[k], a2[k]}, x3 = {a3[k], a3[k], a3[k], a3[k]};
    c00 += x0 * b0, c01 += x0 * b1, c10 += x1 * b0, c11 += x1 * b1;
    c20 += x2 * b0, c21 += x2 * b1, c30 += x3 * b0, c31 += x3 * b1;
  }
  float tmp[MM_P_MR * MM_P_NR];
  const mm_v4 rows[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
  memcpy(tmp, rows, sizeof(tmp));
  mm_store_tmp(t, tmp, MM_P_NR);
}

#if defined(ROOF_MM_X86) || defined(ROOF_MM_NEON)
/* Accumulators are named variables (rows 0..11, vectors 0..1), not an array: an array is not
 * reliably kept in registers. MR and NV are constants at each call site, so rows >= MR and the
 * second vector when NV == 1 vanish. */
#define MM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
/* A's rows in groups of 3 from 4 pointers: addressed as p, p + lda, p + 2 * lda, which x86 folds
 * into the broadcast FMA's operand (few general registers for 12 rows) */
#define MM_A_BASES                                                                   \
  const int64_t lda = t->lda;                                                        \
  const float* a0 = t->a;                                                            \
  const float* a3 = MR > 3 ? a0 + 3 * lda : a0;                                      \
  const float* a6 = MR > 6 ? a0 + 6 * lda : a0;                                      \
  const float* a9 = MR > 9 ? a0 + 9 * lda : a0;
#define MM_A(i) (((i) < 3 ? a0 : (i) < 6 ? a3 : (i) < 9 ? a6 : a9)[((i) % 3) * lda])
#define MM_A_NEXT a0++, a3++, a6++, a9++
#endif

#ifdef ROOF_MM_X86

#define MM512_DECL(i) __m512 c##i##0 = bias0, c##i##1 = bias1;
/* max(lo, x) and min(hi, x) return x when x is NaN, as roof_act_apply does */
#define MM512_CLAMP(i)                                                  \
  if (MR > i) {                                                         \
    c##i##0 = _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##0));            \
    if (NV > 1) c##i##1 = _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##1)); \
  }
/* acc: the accumulators start from C's full rows (the caller's guarantee: nc == 32, c_cs == 1) */
#define MM512_LOAD(i)                                          \
  if (MR > i) {                                                \
    c##i##0 = _mm512_loadu_ps(t->c + i * t->c_rs);             \
    if (NV > 1) c##i##1 = _mm512_loadu_ps(t->c + i * t->c_rs + 16); \
  }
#define MM512_FMA(i)                                     \
  if (MR > i) {                                          \
    const __m512 ai = _mm512_set1_ps(MM_A(i));           \
    c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);          \
    if (NV > 1) c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1); \
  }
/* a fused residual's nc columns added in registers (direct path) */
#define MM512_RES(i)                                                                                   \
  if (MR > i) {                                                                                        \
    c##i##0 = _mm512_add_ps(c##i##0, _mm512_maskz_loadu_ps(m0, t->res + i * t->res_rs));              \
    if (NV > 1) c##i##1 = _mm512_add_ps(c##i##1, _mm512_maskz_loadu_ps(m1, t->res + i * t->res_rs + 16)); \
  }
/* direct: masked stores of the nc columns; else through tmp (strided C) */
#define MM512_STORE(i)                                                     \
  if (MR > i) {                                                            \
    if (direct) {                                                          \
      _mm512_mask_storeu_ps(t->c + i * t->c_rs, m0, c##i##0);              \
      if (NV > 1) _mm512_mask_storeu_ps(t->c + i * t->c_rs + 16, m1, c##i##1); \
    } else {                                                               \
      _mm512_storeu_ps(tmp + i * 32, c##i##0);                             \
      _mm512_storeu_ps(tmp + i * 32 + 16, c##i##1);                        \
    }                                                                      \
  }

/* PF: the block also asks for the bytes at t->pf, pf_step per k step (full blocks only: the
 * test in the loop of every block cost 2% of its time) */
__attribute__((target("avx512f"))) ROOF_ALWAYS_INLINE void mm512(const mm_block* t, const int MR, const int NV, const bool PF) {
  const __m512 bias0 = t->bias ? _mm512_loadu_ps(t->bias) : _mm512_setzero_ps();
  const __m512 bias1 = t->bias && NV > 1 ? _mm512_loadu_ps(t->bias + 16) : _mm512_setzero_ps();
  MM_ROWS(MM512_DECL)
  if (t->acc) {
    MM_ROWS(MM512_LOAD)
  }
  MM_A_BASES
  const float* b = t->b;
  const char* pf = t->pf;
  for (int64_t k = 0; k < t->K; k++, MM_A_NEXT, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = NV > 1 ? _mm512_loadu_ps(b + 16) : b0;
    if (PF) {
      __builtin_prefetch(pf + k * t->pf_step, 0, 2);
      __builtin_prefetch(pf + k * t->pf_step + 64, 0, 2);
    }
    MM_ROWS(MM512_FMA)
  }
  const bool direct = t->c_cs == 1;
  const int nc = t->nc;
  const __mmask16 m0 = (__mmask16)(nc >= 16 ? 0xFFFFu : (1u << nc) - 1u);
  const __mmask16 m1 = (__mmask16)(nc >= 32 ? 0xFFFFu : nc > 16 ? (1u << (nc - 16)) - 1u : 0u);
  if (direct && t->res) {
    MM_ROWS(MM512_RES)
  }
  if (direct && t->act) {
    const __m512 lo = _mm512_set1_ps(t->act->min), hi = _mm512_set1_ps(t->act->max);
    MM_ROWS(MM512_CLAMP)
  }
  float tmp[12 * 32];
  MM_ROWS(MM512_STORE)
  if (!direct) mm_store_tmp(t, tmp, 32);
}

#define MM512_CASE(R)                 \
  case R:                             \
    if (two) mm512(t, R, 2, false);   \
    else mm512(t, R, 1, false);       \
    break;
__attribute__((target("avx512f"))) static void mm_block_avx512(const mm_block* t) {
  const bool two = t->nc > 16;
  if (t->pf && t->mr == 12 && two) {
    mm512(t, 12, 2, true);
    return;
  }
  switch (t->mr) {
    MM512_CASE(1) MM512_CASE(2) MM512_CASE(3) MM512_CASE(4) MM512_CASE(5) MM512_CASE(6)
    MM512_CASE(7) MM512_CASE(8) MM512_CASE(9) MM512_CASE(10) MM512_CASE(11) MM512_CASE(12)
  }
}

#define MM256_DECL(i) __m256 c##i##0 = bias0, c##i##1 = bias1;
#define MM256_CLAMP(i)                                                  \
  if (MR > i) {                                                         \
    c##i##0 = _mm256_min_ps(hi, _mm256_max_ps(lo, c##i##0));            \
    if (NV > 1) c##i##1 = _mm256_min_ps(hi, _mm256_max_ps(lo, c##i##1)); \
  }
/* acc: the accumulators start from C's full rows (the caller's guarantee: nc == 16, c_cs == 1) */
#define MM256_LOAD(i)                                          \
  if (MR > i) {                                                \
    c##i##0 = _mm256_loadu_ps(t->c + i * t->c_rs);             \
    if (NV > 1) c##i##1 = _mm256_loadu_ps(t->c + i * t->c_rs + 8); \
  }
#define MM256_FMA(i)                                     \
  if (MR > i) {                                          \
    const __m256 ai = _mm256_broadcast_ss(&MM_A(i));     \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);          \
    if (NV > 1) c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1); \
  }
/* NV == 1: row i's k step into c?0 (b0) and the next one into c?1 (b1) */
#define MM256_FMA_PAIR(i)                                                    \
  if (MR > i) {                                                              \
    c##i##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(&MM_A(i)), b0, c##i##0);     \
    c##i##1 = _mm256_fmadd_ps(_mm256_broadcast_ss(&MM_A(i) + 1), b1, c##i##1); \
  }
#define MM256_FOLD(i) \
  if (MR > i) c##i##0 = _mm256_add_ps(c##i##0, c##i##1);
#define MM256_RES(i)                                                                          \
  if (MR > i) {                                                                               \
    c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(t->res + i * t->res_rs));                \
    if (NV > 1) c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(t->res + i * t->res_rs + 8)); \
  }
#define MM256_STORE(i)                                                     \
  if (MR > i) {                                                            \
    if (direct) {                                                          \
      _mm256_storeu_ps(t->c + i * t->c_rs, c##i##0);                       \
      if (NV > 1) _mm256_storeu_ps(t->c + i * t->c_rs + 8, c##i##1);       \
    } else {                                                               \
      _mm256_storeu_ps(tmp + i * 16, c##i##0);                             \
      _mm256_storeu_ps(tmp + i * 16 + 8, c##i##1);                         \
    }                                                                      \
  }

__attribute__((target("avx2,fma"))) ROOF_ALWAYS_INLINE void mm256(const mm_block* t, const int MR, const int NV, const bool PF) {
  const __m256 bias0 = t->bias ? _mm256_loadu_ps(t->bias) : _mm256_setzero_ps();
  const __m256 bias1 = t->bias && NV > 1 ? _mm256_loadu_ps(t->bias + 8) : _mm256_setzero_ps();
  MM_ROWS(MM256_DECL)
  if (t->acc) {
    MM_ROWS(MM256_LOAD)
  }
  MM_A_BASES
  const float* b = t->b;
  const int64_t K = t->K;
  if (NV == 1) {
    /* One vector per row leaves MR chains of dependent FMAs, too few to hide the FMA latency
     * (two pipes x 4 cycles want 8 on Zen 3): even k steps go to the c?0 accumulators, odd ones
     * to c?1 (zero until then), folded after the loop. Layers whose last panel has 8 columns
     * (24 or 40 output channels): 144 -> 24 1x1 at 56x56 0.274 -> 0.263 ms (Zen 3, one thread). */
    int64_t k = 0;
#pragma GCC unroll 2
    for (; k + 2 <= K; k += 2, MM_A_NEXT, MM_A_NEXT, b += 32) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 16);
      MM_ROWS(MM256_FMA_PAIR)
    }
    if (k < K) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = b0;
      MM_ROWS(MM256_FMA)
    }
    MM_ROWS(MM256_FOLD)
  } else {
    /* four k steps per loop branch: the pointer increments and the compare fell on every 12 FMAs */
    const char* pf = t->pf;
#pragma GCC unroll 4
    for (int64_t k = 0; k < K; k++, MM_A_NEXT, b += 16) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      if (PF) {
        __builtin_prefetch(pf + k * t->pf_step, 0, 2);
        __builtin_prefetch(pf + k * t->pf_step + 64, 0, 2);
      }
      MM_ROWS(MM256_FMA)
    }
  }
  /* full vectors only when every stored column is real: partial widths go through tmp */
  const bool direct = t->c_cs == 1 && t->nc == 8 * NV;
  if (direct && t->res) {
    MM_ROWS(MM256_RES)
  }
  if (direct && t->act) {
    const __m256 lo = _mm256_set1_ps(t->act->min), hi = _mm256_set1_ps(t->act->max);
    MM_ROWS(MM256_CLAMP)
  }
  float tmp[6 * 16];
  MM_ROWS(MM256_STORE)
  if (!direct) mm_store_tmp(t, tmp, 16);
}

#define MM256_CASE(R)               \
  case R:                           \
    if (two) mm256(t, R, 2, false); \
    else mm256(t, R, 1, false);     \
    break;
__attribute__((target("avx2,fma"))) static void mm_block_avx2(const mm_block* t) {
  const bool two = t->nc > 8;
  if (t->pf && t->mr == 6 && two) {
    mm256(t, 6, 2, true);
    return;
  }
  switch (t->mr) {
    MM256_CASE(1) MM256_CASE(2) MM256_CASE(3) MM256_CASE(4) MM256_CASE(5) MM256_CASE(6)
  }
}
#endif

#ifdef ROOF_MM_NEON
/* 6 rows x 4 vectors of 4 (24 accumulators, 4 for the panel row, the A values as FMLA's
 * by-element operand): the AVX2 kernel's shape, as wide as 32 registers allow. The panel is
 * zero-padded to 16 columns, so all 4 vectors are always computed; partial blocks go through tmp. */
#define MMN_DECL(i) float32x4_t c##i##0 = bias0, c##i##1 = bias1, c##i##2 = bias2, c##i##3 = bias3;
#define MMN_FMA(i)                          \
  if (MR > i) {                             \
    const float ai = MM_A(i);               \
    c##i##0 = vfmaq_n_f32(c##i##0, b0, ai); \
    c##i##1 = vfmaq_n_f32(c##i##1, b1, ai); \
    c##i##2 = vfmaq_n_f32(c##i##2, b2, ai); \
    c##i##3 = vfmaq_n_f32(c##i##3, b3, ai); \
  }
#define MMN_STORE(i)                                    \
  if (MR > i) {                                         \
    float* ci = direct ? t->c + i * t->c_rs : tmp + i * 16; \
    vst1q_f32(ci, c##i##0);                             \
    vst1q_f32(ci + 4, c##i##1);                         \
    vst1q_f32(ci + 8, c##i##2);                         \
    vst1q_f32(ci + 12, c##i##3);                        \
  }
#define MMN_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

ROOF_ALWAYS_INLINE void mm_neon(const mm_block* t, const int MR) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  const float32x4_t bias0 = t->bias ? vld1q_f32(t->bias) : zero, bias1 = t->bias ? vld1q_f32(t->bias + 4) : zero;
  const float32x4_t bias2 = t->bias ? vld1q_f32(t->bias + 8) : zero, bias3 = t->bias ? vld1q_f32(t->bias + 12) : zero;
  MMN_ROWS(MMN_DECL)
  MM_A_BASES
  const float* b = t->b;
  for (int64_t k = 0; k < t->K; k++, MM_A_NEXT, b += 16) {
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4), b2 = vld1q_f32(b + 8), b3 = vld1q_f32(b + 12);
    MMN_ROWS(MMN_FMA)
  }
  const bool direct = t->c_cs == 1 && t->act == NULL && t->res == NULL && t->nc == 16;
  float tmp[6 * 16];
  MMN_ROWS(MMN_STORE)
  if (!direct) mm_store_tmp(t, tmp, 16);
}

static void mm_block_neon(const mm_block* t) {
  switch (t->mr) {
    case 1: mm_neon(t, 1); break;
    case 2: mm_neon(t, 2); break;
    case 3: mm_neon(t, 3); break;
    case 4: mm_neon(t, 4); break;
    case 5: mm_neon(t, 5); break;
    case 6: mm_neon(t, 6); break;
  }
}
#endif

static const mm_isa kMmPortable = {MM_P_MR, MM_P_NR, mm_block_portable};
#ifdef ROOF_MM_X86
static const mm_isa kMmAvx512 = {12, 32, mm_block_avx512, true};
static const mm_isa kMmAvx2 = {6, 16, mm_block_avx2, true};
#endif
#ifdef ROOF_MM_NEON
static const mm_isa kMmNeon = {6, 16, mm_block_neon};
#endif

const mm_isa* roof_mm_pick_isa(void) {
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  bool portable = cap && strcmp(cap, "portable") == 0;
  bool no512 = portable || (cap && strcmp(cap, "avx2") == 0);
#ifdef ROOF_MM_X86
  if (!no512 && __builtin_cpu_supports("avx512f")) return &kMmAvx512;
  if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kMmAvx2;
#else
  (void)no512;
#endif
#ifdef ROOF_MM_NEON
  if (!portable) return &kMmNeon; /* NEON is baseline on arm64 */
#endif
  return &kMmPortable;
}

typedef struct mm_state {
  const mm_isa* isa;
  int64_t M, K, N;
  int64_t a_rs, a_cs, b_rs, b_cs, c_rs, c_cs; /* element strides: A [M, K], B [K, N], C [M, N] */
  int64_t batch, na, nb;   /* output batches; A's and B's own batches (broadcast dims excluded) */
  int64_t tiles, panels;   /* row tiles of MR, column panels of NR */
  int64_t groups, per_group; /* panels are taken per_group at a time by one task */
  int64_t kc;              /* K in blocks of kc (kc == K: one block), see mm_k_blocks */
  int64_t* a_off;          /* [na] element offset of each A batch */
  int64_t* b_off;          /* [nb] */
  int64_t* map;            /* [batch][3]: A batch, B batch, C element offset */
  bool pack_a;             /* A's K is strided (or im2col): copied to dense rows first */
  /* Conv im2col: A's rows are the output pixels, each the KH x KW x C window of the NHWC input
   * it reads (zeros in the padding), written by the A pack; im2col.C == 0 otherwise */
  struct {
    int64_t C, H, W, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl;
  } im2col;
  bool b_const;            /* B is a constant: packed once at create into pb_own (times alpha) */
  bool panel_outer;        /* one batch whose B overflows L2: tasks walk row tiles within a panel group */
  uint64_t pa_floats;      /* packed A, rounded to 64 bytes; packed B follows */
  uint64_t scratch;        /* bytes */
  const roof_act* act;     /* NULL: no clamp */
  bool residual;           /* Conv pointwise: C += R (input 3, C's strides) before the clamp */
  const float* res;        /* R when residual, set per run */
  const float* a;
  const float* b;
  float* y;
  float* pa; /* [na][M][K] when pack_a */
  float* pb; /* [nb][panels][K][NR] */
  float* pb_own;   /* the packed constant B, owned; NULL when B is packed each run */
  float* bias_own; /* [panels * NR] beta * C per column, zero-padded; NULL: no bias */
} mm_state;

static void destroy_mm(roof_kernel* k) {
  mm_state* s = k->state;
  if (s) {
    free(s->a_off);
    free(s->b_off);
    free(s->map);
    free(s->pb_own);
    free(s->bias_own);
  }
  free(s);
  k->state = NULL;
}

/* The operand's own batch index of output batch bi (broadcast dims read 0) and its offset. */
static void mm_operand_batch(const roof_tensor* x, int xb, const int64_t* bi, int rb, int64_t* lin, int64_t* off) {
  *lin = 0;
  *off = 0;
  for (int i = 0; i < xb; i++) {
    int64_t idx = x->dims[i] > 1 ? bi[rb - xb + i] : 0;
    *lin = *lin * x->dims[i] + idx;
    *off += idx * x->strides[i];
  }
}

/* Gemm's 2-D operands, transposes read through swapped strides. */
static void mm_geometry_gemm(const roof_kernel* k, mm_state* s) {
  const gemm_params* p = k->params;
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  int ta = p->trans_a != 0, tb = p->trans_b != 0;
  s->M = a->dims[ta];
  s->K = a->dims[1 - ta];
  s->N = b->dims[1 - tb];
  s->a_rs = a->strides[ta];
  s->a_cs = a->strides[1 - ta];
  s->b_rs = b->strides[tb];
  s->b_cs = b->strides[1 - tb];
  s->c_rs = y->strides[0];
  s->c_cs = y->strides[1];
  s->batch = s->na = s->nb = 1;
  s->tiles = (s->M + s->isa->mr - 1) / s->isa->mr;
  s->pack_a = s->a_cs != 1 && s->K > 1;
  s->panels = (s->N + s->isa->nr - 1) / s->isa->nr;
}

/* Geometry of the promoted operands: 1-D A is one row [1, K], 1-D B one column [K, 1]. */
static void mm_geometry(const roof_kernel* k, mm_state* s) {
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  int rb = y->rank - (a->rank > 1) - (b->rank > 1);
  s->K = a->dims[a->rank - 1];
  s->M = a->rank > 1 ? a->dims[a->rank - 2] : 1;
  s->N = b->rank > 1 ? b->dims[b->rank - 1] : 1;
  s->a_cs = a->strides[a->rank - 1];
  s->a_rs = a->rank > 1 ? a->strides[a->rank - 2] : 0;
  s->b_rs = b->strides[b->rank > 1 ? b->rank - 2 : 0];
  s->b_cs = b->rank > 1 ? b->strides[b->rank - 1] : 0;
  s->c_rs = a->rank > 1 ? y->strides[rb] : 0;
  s->c_cs = b->rank > 1 ? y->strides[y->rank - 1] : 1;
  s->batch = s->na = s->nb = 1;
  for (int i = 0; i < rb; i++) s->batch *= y->dims[i];
  for (int i = 0; i < a->rank - 2; i++) s->na *= a->dims[i];
  for (int i = 0; i < b->rank - 2; i++) s->nb *= b->dims[i];
  s->tiles = (s->M + s->isa->mr - 1) / s->isa->mr;
  s->pack_a = s->a_cs != 1 && s->K > 1;
  s->panels = (s->N + s->isa->nr - 1) / s->isa->nr;
}

/* True when dims [0, rank - 1) of t (its batch dims and rows) step through memory as one row
 * dim of stride strides[rank - 2]: [T, B, K] activations times a 2-D B are then one [T * B, K]
 * matrix, not T products of B rows each (seq-first transformer exports: B = 1). */
static bool mm_rows_merge(const roof_tensor* t) {
  for (int i = 0; i + 2 < t->rank; i++) {
    if (t->dims[i] > 1 && t->strides[i] != t->strides[i + 1] * t->dims[i + 1]) return false;
  }
  return true;
}

/* A times a 2-D B: every batch of A (and of the output) folded into the rows when both merge. */
static void mm_fold_batches(const roof_kernel* k, mm_state* s) {
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  if (a->rank < 3 || b->rank != 2 || s->batch == 1 || !mm_rows_merge(a) || !mm_rows_merge(y)) return;
  s->M *= s->batch;
  s->batch = s->na = 1;
  s->tiles = (s->M + s->isa->mr - 1) / s->isa->mr;
}

/* Offsets of every batch, as ref_matmul computes them. */
static void mm_batches(const roof_kernel* k, mm_state* s) {
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  int rb = y->rank - (a->rank > 1) - (b->rank > 1);
  int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
  int64_t bi[ROOF_MAX_RANK] = {0}, *m = s->map;
  do {
    int64_t al, ao, bl, bo, yo = 0;
    mm_operand_batch(a, ab, bi, rb, &al, &ao);
    mm_operand_batch(b, bb, bi, rb, &bl, &bo);
    for (int i = 0; i < rb; i++) yo += bi[i] * y->strides[i];
    s->a_off[al] = ao;
    s->b_off[bl] = bo;
    *m++ = al;
    *m++ = bl;
    *m++ = yo;
  } while (rb > 0 && roof_index_next(bi, y->dims, rb));
}

/* Packed sizes, checked; refuses what would pass the single-tensor limit. A constant B is packed
 * into the kernel's own buffer (*pb_floats), not the per-run scratch. */
static roof_status mm_scratch_size(roof_kernel* k, mm_state* s, uint64_t* pb_floats, roof_error* err) {
  uint64_t pa, pb, total, pb_bytes;
  bool ok = roof_mul_u64((uint64_t)s->na, s->pack_a ? (uint64_t)s->M : 0, &pa) && roof_mul_u64(pa, (uint64_t)s->K, &pa) &&
            roof_add_u64(pa, 15, &pa) &&
            roof_mul_u64((uint64_t)s->nb, (uint64_t)s->panels, &pb) && roof_mul_u64(pb, (uint64_t)s->K, &pb) &&
            roof_mul_u64(pb, (uint64_t)s->isa->nr, &pb) && roof_add_u64(pa / 16 * 16, s->b_const ? 0 : pb, &total) &&
            roof_mul_u64(total, sizeof(float), &total) && roof_mul_u64(pb, sizeof(float), &pb_bytes);
  if (!ok || total > k->max_scratch_bytes || pb_bytes > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "packed operands would exceed %llu bytes", (unsigned long long)k->max_scratch_bytes);
  }
  s->pa_floats = pa / 16 * 16;
  s->scratch = total;
  *pb_floats = pb;
  return ROOF_OK;
}

/* Panels per task: all of a row when rows alone give every thread several tasks. Order: a
 * task's A rows stay in L1 while its B panels stream; when one batch's packed B overflows half
 * of L2, it would stream from L3 once per row tile, so the tasks then take one panel at a time
 * and walk the row tiles under it (B read once, A re-read from L2). ResNet-50's 512 -> 2048 1x1
 * layer at 7x7 (4 MiB of B): 1.04x XNNPACK's time before, 0.89x after (Zen 5, one thread). */
static uint64_t mm_half_l2(void) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return l2 > 0 ? (uint64_t)l2 / 2 : (uint64_t)1 << 19;
}

static void mm_grouping(const roof_kernel* k, mm_state* s) {
  int64_t threads = (int64_t)pthreadpool_get_threads_count(k->pool);
  s->panel_outer = s->batch == 1 && s->tiles > 1 && (uint64_t)s->K * (uint64_t)s->N * sizeof(float) > mm_half_l2();
  int64_t per = s->panel_outer ? 1 : s->panels;
  while (per > 1 && s->batch * s->tiles * ((s->panels + per - 1) / per) < 4 * threads) per = (per + 1) / 2;
  s->per_group = per;
  s->groups = (s->panels + per - 1) / per;
  s->kc = s->K;
}

/* The executor already sends empty operands to the reference kernel; K = 0 is refused here too
 * since the blocks assume at least one term. */
static bool supports_mm_native(const roof_kernel* k, char* why, size_t n) {
  if (k->in[0].dims[k->in[0].rank - 1] > 0) return true;
  snprintf(why, n, "K is 0");
  return false;
}

/* Gemm: only what fully connected layers are (constant B, C absent or a constant per-column
 * bias); the reference takes the rest. */
static bool supports_gemm_native(const roof_kernel* k, char* why, size_t n) {
  const gemm_params* p = k->params;
  const roof_tensor* c = k->num_in > 2 && k->in[2].data ? &k->in[2] : NULL;
  const char* no = NULL;
  if (k->in[0].dims[p->trans_a ? 0 : 1] == 0) no = "K is 0";
  else if (!const_in(k, 1)) no = "B is not constant";
  else if (c && !const_in(k, 2)) no = "C is not constant";
  else if (c && !(c->rank < 2 || c->dims[0] == 1)) no = "C is not a per-column bias";
  if (no == NULL) return true;
  snprintf(why, n, "%s", no);
  return false;
}

static void mm_pack_b(const mm_state* s, int64_t bb, int64_t panel);

static void mm_pack_b_task(void* ctx, size_t item) {
  const mm_state* s = ctx;
  mm_pack_b(s, (int64_t)item / s->panels, (int64_t)item % s->panels);
}

/* Packs the constant B once (times alpha), in parallel, into the kernel's own buffer. */
/* B from `b` (input 1's data unless the caller rearranged it), packed into pb_own. */
static roof_status mm_pack_const_b(roof_kernel* k, mm_state* s, const float* b, uint64_t pb_floats, float alpha, roof_error* err) {
  s->pb_own = roof_alloc_large((size_t)(pb_floats * sizeof(float) + 63) / 64 * 64, 64);
  if (s->pb_own == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  s->b = b;
  s->pb = s->pb_own;
  pthreadpool_parallelize_1d(k->pool, mm_pack_b_task, s, (size_t)(s->nb * s->panels), ROOF_POOL_FLAGS);
  if (alpha != 1.0f) {
    for (uint64_t i = 0; i < pb_floats; i++) s->pb_own[i] *= alpha;
  }
  return ROOF_OK;
}

/* beta * C broadcast along the rows, padded to whole panels. */
static roof_status mm_bias(roof_kernel* k, mm_state* s, float beta, roof_error* err) {
  const roof_tensor* c = &k->in[2];
  const float* cv = c->data;
  uint64_t cn = roof_tensor_count(c);
  s->bias_own = calloc((size_t)(s->panels * s->isa->nr), sizeof(float));
  if (s->bias_own == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  int64_t step = cn == 1 ? 0 : c->strides[c->rank - 1];
  for (int64_t j = 0; j < s->N; j++) s->bias_own[j] = beta * cv[j * step];
  return ROOF_OK;
}

/* MatMul of any operands, or Gemm as a fully connected layer (is_gemm). */
static roof_status create_mm(roof_kernel* k, bool is_gemm, roof_error* err) {
  const gemm_params* p = k->params;
  mm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->isa = roof_mm_pick_isa();
  s->act = roof_act_is_identity(&p->act) ? NULL : &p->act;
  if (is_gemm) mm_geometry_gemm(k, s);
  else mm_geometry(k, s);
  bool folded = false;
  if (!is_gemm) {
    int64_t before = s->batch;
    mm_fold_batches(k, s);
    folded = s->batch != before;
  }
  s->b_const = const_in(k, 1);
  uint64_t pb_floats = 0;
  roof_status st = mm_scratch_size(k, s, &pb_floats, err);
  if (st != ROOF_OK) return st;
  s->a_off = calloc((size_t)s->na, sizeof(int64_t));
  s->b_off = calloc((size_t)s->nb, sizeof(int64_t));
  s->map = calloc(3 * (size_t)s->batch, sizeof(int64_t));
  if (!s->a_off || !s->b_off || !s->map) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory for batch offsets");
  if (!is_gemm && !folded) mm_batches(k, s); /* Gemm, folded: one batch at offset 0 (calloc) */
  mm_grouping(k, s);
  if (s->b_const) st = mm_pack_const_b(k, s, k->in[1].data, pb_floats, is_gemm ? p->alpha : 1.0f, err);
  bool bias = is_gemm ? k->num_in > 2 && k->in[2].data : p->fused_bias != 0;
  if (st == ROOF_OK && bias) st = mm_bias(k, s, is_gemm ? p->beta : 1.0f, err);
  return st;
}

static roof_status create_mm_native(roof_kernel* k, roof_error* err) { return create_mm(k, false, err); }
static roof_status create_gemm_native(roof_kernel* k, roof_error* err) { return create_mm(k, true, err); }

static uint64_t scratch_mm_native(const roof_kernel* k) {
  const mm_state* s = k->state;
  return s ? s->scratch : 0;
}

static roof_status setup_mm_native(roof_kernel* k, roof_error* err) {
  mm_state* s = k->state;
  s->a = k->in[0].data;
  s->b = k->in[1].data;
  s->y = k->out[0].data;
  s->res = s->residual ? k->in[3].data : NULL;
  s->pa = k->scratch;
  s->pb = s->b_const ? s->pb_own : s->pa + s->pa_floats;
  return ROOF_OK;
}

/* Rows of tile `tile` of A batch ab copied dense: pa[i][k] = A[i][k]. */
static void mm_im2col_rows(const mm_state* s, int64_t r0, int64_t rows, float* p) {
  const int64_t C = s->im2col.C, H = s->im2col.H, W = s->im2col.W, OH = s->im2col.OH, OW = s->im2col.OW;
  for (int64_t i = 0; i < rows; i++) {
    const int64_t r = r0 + i, n = r / (OH * OW), oy = r / OW % OH, ox = r % OW;
    float* dst = p + i * s->K;
    for (int64_t ky = 0; ky < s->im2col.KH; ky++) {
      const int64_t iy = oy * s->im2col.sh - s->im2col.pt + ky * s->im2col.dh;
      for (int64_t kx = 0; kx < s->im2col.KW; kx++, dst += C) {
        const int64_t ix = ox * s->im2col.sw - s->im2col.pl + kx * s->im2col.dw;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) memset(dst, 0, sizeof(float) * (size_t)C);
        else memcpy(dst, s->a + ((n * H + iy) * W + ix) * C, sizeof(float) * (size_t)C); /* [N, H, W, C] */
      }
    }
  }
}

static void mm_pack_a(const mm_state* s, int64_t ab, int64_t tile) {
  const int64_t mr = s->isa->mr, K = s->K, r0 = tile * mr, rows = s->M - r0 < mr ? s->M - r0 : mr;
  if (s->im2col.C) {
    mm_im2col_rows(s, r0, rows, s->pa + r0 * K);
    return;
  }
  const float* a = s->a + s->a_off[ab] + r0 * s->a_rs;
  float* p = s->pa + (ab * s->M + r0) * K;
  for (int64_t i = 0; i < rows; i++, p += K) {
    const float* ar = a + i * s->a_rs;
    for (int64_t t = 0; t < K; t++) p[t] = ar[t * s->a_cs];
  }
}

/* Column panel `panel` of B batch bb: pb[k][j] = B[k][panel * NR + j], columns past N zero. */
static void mm_pack_b(const mm_state* s, int64_t bb, int64_t panel) {
  const int64_t nr = s->isa->nr, K = s->K, c0 = panel * nr, cols = s->N - c0 < nr ? s->N - c0 : nr;
  const float* b = s->b + s->b_off[bb] + c0 * s->b_cs;
  float* p = s->pb + (bb * s->panels + panel) * K * nr;
  for (int64_t t = 0; t < K; t++, p += nr) {
    const float* br = b + t * s->b_rs;
    if (s->b_cs == 1) {
      for (int64_t j = 0; j < cols; j++) p[j] = br[j]; /* short rows: a loop, not a memcpy call */
    } else {
      for (int64_t j = 0; j < cols; j++) p[j] = br[j * s->b_cs];
    }
    for (int64_t j = cols; j < nr; j++) p[j] = 0.0f;
  }
}

/* items [0, na * tiles) pack A tiles (when A is packed), the rest B panels */
static void mm_pack_task(void* ctx, size_t item) {
  const mm_state* s = ctx;
  int64_t i = (int64_t)item, at = s->pack_a ? s->na * s->tiles : 0;
  if (i < at) mm_pack_a(s, i / s->tiles, i % s->tiles);
  else mm_pack_b(s, (i - at) / s->panels, (i - at) % s->panels);
}

/* Asks for rows r0.. of A (at most mr, each K long) ahead of the FMA loop: its 12 strided row
 * streams would otherwise miss one line at a time when A comes from L3 or DRAM. */
static void mm_prefetch_rows(const float* a, int64_t lda, int64_t rows, int64_t K) {
  for (int64_t i = 0; i < rows; i++) {
    const char* r = (const char*)(a + i * lda);
    for (int64_t off = 0; off < K * (int64_t)sizeof(float); off += 64) __builtin_prefetch(r + off);
    __builtin_prefetch(r + K * (int64_t)sizeof(float) - 1);
  }
}

/* C += tmp over an mr x nc block (tmp's rows nr apart, columns contiguous: a K block's partial
 * sums or a fused residual), clamped by act when not NULL. Plain loops: the compiler
 * vectorizes the contiguous case. */
static void mm_add_block(const mm_block* t, const float* tmp, int64_t nr, const roof_act* act) {
  for (int i = 0; i < t->mr; i++) {
    float* c = t->c + i * t->c_rs;
    const float* u = tmp + i * nr;
    if (t->c_cs == 1) {
      for (int j = 0; j < t->nc; j++) c[j] += u[j];
      if (act) {
        for (int j = 0; j < t->nc; j++) c[j] = roof_act_apply(act, c[j]);
      }
    } else {
      for (int j = 0; j < t->nc; j++) {
        float v = c[j * t->c_cs] + u[j];
        c[j * t->c_cs] = act ? roof_act_apply(act, v) : v;
      }
    }
  }
}

/* One K block [k0, k0 + kl) of the panels [p0, p1) of one row tile: the first block writes C
 * (with the bias); a later one adds to C in the micro-kernel's registers where the kernel can
 * (acc: full blocks with contiguous columns), else computes into tmp and adds it; the last
 * applies the residual and the clamp. */
static void mm_kblock(const mm_state* s, const mm_block* t, const int64_t* m, int64_t r0, int64_t p0, int64_t p1, int64_t k0,
                      int64_t kl) {
  const int64_t nr = s->isa->nr, K = s->K;
  const bool first = k0 == 0, last = k0 + kl == K;
  float tmp[12 * 32]; /* the largest block of any ISA */
  for (int64_t p = p0; p < p1; p++) {
    mm_block u = *t;
    u.K = kl;
    u.a = t->a + k0;
    u.pf = t->pf ? t->pf + k0 * t->pf_step : NULL;
    u.b = s->pb + (m[1] * s->panels + p) * K * nr + k0 * nr;
    u.nc = (int)(s->N - p * nr < nr ? s->N - p * nr : nr);
    u.c = s->y + m[2] + r0 * s->c_rs + p * nr * s->c_cs;
    const float* res = last && s->res ? s->res + (u.c - s->y) : NULL; /* R has C's strides */
    if (first) {
      u.bias = s->bias_own ? s->bias_own + p * nr : NULL;
      u.act = last ? s->act : NULL;
      u.res = res, u.res_rs = s->c_rs;
      s->isa->block(&u);
      continue;
    }
    if (s->isa->acc && u.nc == nr && u.c_cs == 1) {
      u.acc = true, u.bias = NULL;
      u.act = last ? s->act : NULL;
      u.res = res, u.res_rs = s->c_rs;
      s->isa->block(&u);
      continue;
    }
    float* c = u.c;
    u.c = tmp, u.c_rs = nr, u.c_cs = 1, u.bias = NULL, u.act = NULL, u.res = NULL;
    s->isa->block(&u);
    u.c = c, u.c_rs = s->c_rs, u.c_cs = s->c_cs;
    mm_add_block(&u, tmp, nr, last && !res ? s->act : NULL);
    if (res) mm_add_block(&u, res, s->c_rs, s->act);
  }
}

/* The panels [p0, p1) of one row tile with K in blocks of kc. A's rows and a panel's block then
 * stay in L1 (12 x 256 + 256 x 32 floats), where a whole K of 1024 or more evicted A's rows
 * while the panel streamed. */
static void mm_task_k_blocks(const mm_state* s, mm_block* t, const int64_t* m, int64_t r0, int64_t p0, int64_t p1) {
  for (int64_t k0 = 0; k0 < s->K; k0 += s->kc) mm_kblock(s, t, m, r0, p0, p1, k0, s->K - k0 < s->kc ? s->K - k0 : s->kc);
}

/* The block of row tile `tile` of one batch (m: its map entry) over the whole K, before its
 * panel, C and bias are set; with group 0 the tile's and the next tile's rows of A are asked
 * for, unless A was packed (its rows were just written: the prefetch loop, one instruction per
 * line of 24 rows, was 2% of a 128 -> 128 3x3 stride-2 im2col layer's time and the layer ran 3%
 * faster without it, Zen 5, one thread). */
static mm_block mm_tile_block(const mm_state* s, const int64_t* m, int64_t tile, size_t group) {
  const int64_t mr = s->isa->mr, K = s->K, r0 = tile * mr;
  mm_block t = {.K = K, .c_rs = s->c_rs, .c_cs = s->c_cs, .mr = (int)(s->M - r0 < mr ? s->M - r0 : mr), .act = s->act, .bias = NULL};
  if (s->pack_a) {
    t.a = s->pa + (m[0] * s->M + r0) * K;
    t.lda = K;
  } else {
    t.a = s->a + s->a_off[m[0]] + r0 * s->a_rs;
    t.lda = s->a_rs;
  }
  if (group == 0 && !s->pack_a) {
    mm_prefetch_rows(t.a, t.lda, t.mr, K);
    int64_t next = s->M - r0 - t.mr < mr ? s->M - r0 - t.mr : mr; /* the next tile's rows */
    if (next > 0) mm_prefetch_rows(t.a + t.mr * t.lda, t.lda, next, K);
  }
  return t;
}

/* Panel-outer order (B larger than half of L2, so weights that are not in L3 come from DRAM, as
 * each layer's do when a model's weights exceed L3): the tile's block also asks for its share of
 * the next panel, 1 / (full tiles) of it spread over its K steps, so that the next panel arrives
 * while this one is multiplied. Without it the first tile under each panel waited for DRAM:
 * ResNet-50's 2048 -> 512 1x1 layer at 7x7 took 0.46 ms with its 4 MiB of weights in L3 and
 * 0.58 in a chain of twelve such layers (48 MiB); with it 0.49 (Zen 5, one thread). */
static void mm_next_panel_slice(const mm_state* s, const int64_t* m, int64_t next, size_t tile, mm_block* t) {
  const int64_t full = s->M / s->isa->mr;
  if (next >= s->panels || (int64_t)tile >= full) return;
  mm_block_prefetch_part(t, s->pb + (m[1] * s->panels + next) * s->K * s->isa->nr, s->K, s->isa->nr, (int64_t)tile, full);
}

static void mm_task(void* ctx, size_t batch, size_t tile, size_t group) {
  const mm_state* s = ctx;
  const int64_t* m = s->map + 3 * batch;
  const int64_t mr = s->isa->mr, nr = s->isa->nr, K = s->K, r0 = (int64_t)tile * mr;
  mm_block t = mm_tile_block(s, m, (int64_t)tile, group);
  int64_t p0 = (int64_t)group * s->per_group, p1 = p0 + s->per_group < s->panels ? p0 + s->per_group : s->panels;
  if (s->panel_outer) mm_next_panel_slice(s, m, p1, tile, &t);
  if (s->kc < K) {
    mm_task_k_blocks(s, &t, m, r0, p0, p1);
    return;
  }
  for (int64_t p = p0; p < p1; p++) {
    t.b = s->pb + (m[1] * s->panels + p) * K * nr;
    t.c = s->y + m[2] + r0 * s->c_rs + p * nr * s->c_cs;
    t.nc = (int)(s->N - p * nr < nr ? s->N - p * nr : nr);
    t.bias = s->bias_own ? s->bias_own + p * nr : NULL;
    if (s->res) {
      /* the block adds R in registers before its clamp and store; R's rows (one or two lines
       * each, a row of C apart) are asked for now so that they arrive during the FMA loop */
      t.res = s->res + (t.c - s->y), t.res_rs = s->c_rs;
      for (int i = 0; i < t.mr; i++) {
        __builtin_prefetch(t.res + i * t.res_rs);
        __builtin_prefetch(t.res + i * t.res_rs + t.nc - 1);
      }
    }
    s->isa->block(&t);
  }
}

static void mm_task_panel_outer(void* ctx, size_t group, size_t tile) { mm_task(ctx, 0, tile, group); }

static roof_status run_mm_native(roof_kernel* k, roof_error* err) {
  mm_state* s = k->state;
  size_t packs = (size_t)((s->pack_a ? s->na * s->tiles : 0) + (s->b_const ? 0 : s->nb * s->panels));
  if (packs > 0) pthreadpool_parallelize_1d(k->pool, mm_pack_task, s, packs, ROOF_POOL_FLAGS);
  if (s->panel_outer) {
    pthreadpool_parallelize_2d(k->pool, mm_task_panel_outer, s, (size_t)s->groups, (size_t)s->tiles, ROOF_POOL_FLAGS);
    return ROOF_OK;
  }
  pthreadpool_parallelize_3d(k->pool, mm_task, s, (size_t)s->batch, (size_t)s->tiles, (size_t)s->groups,
                             ROOF_POOL_FLAGS);
  return ROOF_OK;
}

/* packs_consts: a constant B (and Gemm's C) is copied at create; nothing else is constant */
const roof_kernel_impl roof_kernel_MatMul_native = {
    .op = ROOF_OP_MatMul, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_mm_native,
    .create = create_mm_native, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
    .scratch_bytes = scratch_mm_native, .packs_consts = true,
};

const roof_kernel_impl roof_kernel_Gemm_native = {
    .op = ROOF_OP_Gemm, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_gemm_native,
    .create = create_gemm_native, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
    .scratch_bytes = scratch_mm_native, .packs_consts = true,
};

/* ---- Conv 1x1, stride 1, no padding, dense, on NHWC data: one GEMM [N*H*W, C] . W^T ----
 * The pointwise convolutions that dominate ResNet-50's and the MobileNets' time, on the packed
 * micro-kernels above (weights packed once, bias and the fused clamp in the block) instead of
 * XNNPACK's GEMM. An NHWC activation's pixels are the rows of one [N*H*W, C] matrix. Taken for
 * 48 to 2048 input channels and 24 pixels or more: measured against XNNPACK per layer (AMD Zen 5,
 * 1 and 2 threads, ResNet-50, MobileNet v2, EfficientNet-B0), it was slower below 48 channels
 * (16 -> 96 at 112x112: 1.23x its time; 32 -> 16: 1.77x) and on single pixels
 * (squeeze-excitation's 1x1 layers: 1.2-2x), and 0.73-0.95x of XNNPACK's time between (1024
 * and 2048 channels with K in blocks, see create_pointwise). */
#include "conv_params.h"
#include "conv_tune.h"

/* A convolution entry's GEMM with M, K, N, the strides and batch, na, nb set: row tiles, panels,
 * scratch, and zeroed offset arrays for na A batches, nb B batches and the batch map. */
static roof_status mm_conv_layout(roof_kernel* k, mm_state* s, uint64_t* pb_floats, roof_error* err) {
  s->tiles = (s->M + s->isa->mr - 1) / s->isa->mr;
  s->panels = (s->N + s->isa->nr - 1) / s->isa->nr;
  s->b_const = true;
  roof_status st = mm_scratch_size(k, s, pb_floats, err);
  if (st != ROOF_OK) return st;
  s->a_off = calloc((size_t)s->na, sizeof(int64_t));
  s->b_off = calloc((size_t)s->nb, sizeof(int64_t));
  s->map = calloc(3 * (size_t)s->batch, sizeof(int64_t));
  if (!s->a_off || !s->b_off || !s->map) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  return ROOF_OK;
}

/* Then, with the offsets filled: task grouping, K blocks, and the constant B [K][N] from `b`
 * (b_off of each B batch) packed once. Over 512 input channels, K in near-equal blocks of at
 * most 256: ResNet-50's 1024 -> 256 and 2048 -> 512 layers went from 1.10-1.16x XNNPACK's time
 * to 0.93-0.95x (one thread, loaded Zen 5). Not for MatMul and Gemm: the transformers' 768- and
 * 3072-deep products ran slower blocked (BERT-base 177-193 ms unblocked against 204-263 ms
 * blocked, alternating, loaded). */
static roof_status mm_conv_pack(roof_kernel* k, mm_state* s, const float* b, uint64_t pb_floats, roof_error* err) {
  mm_grouping(k, s);
  if (s->K > 512) {
    int64_t blocks = (s->K + 255) / 256;
    s->kc = (s->K + blocks - 1) / blocks;
  }
  return mm_pack_const_b(k, s, b, pb_floats, 1.0f, err);
}

/* The rest of a convolution entry on one GEMM (M, K, N, the A and B strides set; B dense
 * [K][N] in `b` when not input 1 itself): C rows contiguous, one batch, the two steps above and
 * the bias. */
static roof_status mm_conv_finish(roof_kernel* k, mm_state* s, const float* b, roof_error* err) {
  s->c_rs = s->N, s->c_cs = 1;
  s->batch = s->na = s->nb = 1;
  uint64_t pb_floats = 0;
  roof_status st = mm_conv_layout(k, s, &pb_floats, err);
  if (st == ROOF_OK) st = mm_conv_pack(k, s, b, pb_floats, err);
  if (st == ROOF_OK && k->num_in > 2 && k->in[2].data) st = mm_bias(k, s, 1.0f, err);
  return st;
}

/* True when r is laid out as y (same dims and strides): the residual is then read at C's offsets. */
static bool mm_same_strides(const roof_tensor* r, const roof_tensor* y) {
  if (r->rank != y->rank) return false;
  for (int i = 0; i < y->rank; i++) {
    if (r->dims[i] != y->dims[i] || (y->dims[i] > 1 && r->strides[i] != y->strides[i])) return false;
  }
  return true;
}

/* The pointwise shape rule with its lower channel bound a parameter (see roof_conv_pointwise_refusal
 * and pointwise_raced). */
static const char* pointwise_refusal(const roof_conv_params* p, const int64_t* x_dims, const int64_t* w_dims, int64_t min_c) {
  const roof_spatial* sp = &p->sp;
  bool unit = sp->nsp == 2;
  for (int i = 0; unit && i < sp->nsp; i++) {
    unit = w_dims[2 + i] == 1 && sp->strides[i] == 1 && sp->pads[i] == 0 && sp->pads[i + sp->nsp] == 0;
  }
  return !unit ? "pointwise: not 2-D 1x1, stride 1, unpadded"
         : p->group != 1 ? "pointwise: grouped"
         : x_dims[1] < min_c ? (min_c > 8 ? "pointwise: under 48 input channels (raced only without a fused residual)"
                                          : "pointwise: under 8 input channels (XNNPACK measured faster)")
         : x_dims[1] > 2048 ? "pointwise: over 2048 input channels (XNNPACK measured faster)"
         : x_dims[0] * x_dims[2] * x_dims[3] < 24 ? "pointwise: under 24 pixels (XNNPACK measured faster)"
         : NULL;
}

/* The shapes this entry takes whatever the CPU (pass residual fuses only these). */
const char* roof_conv_pointwise_refusal(const roof_conv_params* p, const int64_t* x_dims, const int64_t* w_dims) {
  return pointwise_refusal(p, x_dims, w_dims, 48);
}

/* 8 to 47 input channels: XNNPACK was faster on a Zen 5 (16 -> 96 at 112x112: 1.23x its time
 * here) and slower on a Zen 3 (MobileNet v2's 16 -> 96 and 32 -> 16 layers at 1.4x and 2.0x
 * ONNX Runtime's time on XNNPACK), so create races the two (conv_tune.h). A fused residual
 * has no XNNPACK side and never gets here (pass residual fuses from 48 channels). */
static bool pointwise_raced(const roof_kernel* k) {
  const roof_conv_params* p = k->params;
  return !p->residual && k->in[0].dims[1] >= 8 && k->in[0].dims[1] < 48;
}

static bool supports_pointwise(const roof_kernel* k, char* why, size_t n) {
  const roof_conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  const char* shape = pointwise_refusal(p, x->dims, w->dims, p->residual ? 48 : 8);
  const char* no = shape ? shape
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "pointwise: input or output not NHWC"
                   : !roof_conv_weights_const(k) ? "pointwise: weights or bias not constant"
                   : p->residual && !mm_same_strides(&k->in[3], y) ? "pointwise: fused residual not in the output's layout"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_pointwise(roof_kernel* k, roof_error* err) {
  const roof_conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0]; /* [N, C, H, W] NHWC, [O, C, 1, 1], [N, O, H, W] NHWC */
  mm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->isa = roof_mm_pick_isa();
  s->act = roof_act_is_identity(&p->act) ? NULL : &p->act;
  s->residual = p->residual != 0;
  s->M = x->dims[0] * x->dims[2] * x->dims[3]; /* the input's element count bounds it: no overflow */
  s->K = x->dims[1];
  s->N = y->dims[1];
  s->a_rs = s->K, s->a_cs = 1;                      /* NHWC: pixel rows of C */
  s->b_rs = w->strides[1], s->b_cs = w->strides[0]; /* B[c][o] = W[o][c] */
  roof_status st = mm_conv_finish(k, s, k->in[1].data, err);
  return st == ROOF_OK && pointwise_raced(k) ? roof_tune_conv_or_refuse(k, "pointwise", err) : st;
}

const roof_kernel_impl roof_kernel_Conv_pointwise = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_pointwise,
    .create = create_pointwise, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
    .scratch_bytes = scratch_mm_native, .packs_consts = true, .algorithm = "gemm",
};

/* ---- strided dense Conv on NHWC data: im2col rows, then the same packed GEMM ----
 * ResNet's stride-2 layers (3x3 at the head of each stage, the 1x1 downsample shortcuts) ran on
 * XNNPACK at 1.1-1.8x ONNX Runtime's time at 2 threads (ResNet-50 layer4.0's 3x3: 1.28 vs 0.81
 * ms, its 1x1 downsample 1.20 vs 0.73, idle Zen 5). Here each output pixel's KH x KW x C
 * window is copied into a row of A (the A pack, threaded over row tiles; K in (ky, kx, c)
 * order, the NHWC input's channels contiguous), the weights permuted once to [K][O] and packed.
 * Taken for strides above 1 (stride-1 3x3 layers have Winograd, the others XNNPACK), 256 input
 * channels or more, 24 output pixels or more, and an im2col matrix of at most 16 MiB. The
 * channel bound is measured (min of 15-20 profile runs, alternating with XNNPACK, loaded Zen 5):
 * from 256 channels every such ResNet layer ran faster (ResNet-50's six: 8.5-8.9 -> 7.9-8.1 ms
 * at 1 thread, 5.0-5.8 -> 4.1-4.6 at 2; ResNet-18's layer4.0 3x3 0.71-0.76 -> 0.44-0.47 ms at
 * 2), at 64 and 128 channels the 2-thread times were 1.05-1.2x XNNPACK's. */
enum { MM_IM2COL_MAX_BYTES = 16 << 20 };

static bool supports_im2col(const roof_kernel* k, char* why, size_t n) {
  const roof_conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  const bool two_d = sp->nsp == 2;
  const int64_t M = two_d ? y->dims[0] * y->dims[2] * y->dims[3] : 0, K = two_d ? w->dims[1] * w->dims[2] * w->dims[3] : 0;
  const char* no = roof_conv_residual_refusal(k) ? roof_conv_residual_refusal(k)
                   : !two_d ? "im2col: not 2-D"
                   : sp->strides[0] < 2 && sp->strides[1] < 2 && !roof_conv_winograd_weights_large(p, w->dims, M)
                       ? "im2col: stride 1 (Winograd or XNNPACK)"
                   : p->group != 1 ? "im2col: grouped"
                   : x->dims[1] < 8 ? "im2col: under 8 input channels"
                   : M < 24 ? "im2col: under 24 output pixels"
                   : (uint64_t)M * (uint64_t)K * sizeof(float) > MM_IM2COL_MAX_BYTES ? "im2col: matrix above 16 MiB"
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "im2col: input or output not NHWC"
                   : !roof_tensor_is_plain(w) ? "im2col: strided weights"
                   : !roof_conv_weights_const(k) ? "im2col: weights or bias not constant"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* W [O][C][KH][KW] -> [KH][KW][C][O]: B[k][o] with k in the order of the im2col rows. */
static float* im2col_weights(const roof_tensor* w) {
  const int64_t O = w->dims[0], C = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  float* t = malloc(sizeof(float) * (size_t)(O * C * KH * KW));
  if (t == NULL) return NULL;
  const float* src = w->data;
  for (int64_t o = 0; o < O; o++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t q = 0; q < KH * KW; q++) t[(q * C + c) * O + o] = src[(o * C + c) * KH * KW + q];
  return t;
}

static roof_status create_im2col(roof_kernel* k, roof_error* err) {
  const roof_conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0]; /* NHWC [N, C, H, W], [O, C, KH, KW], NHWC [N, O, OH, OW] */
  mm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->isa = roof_mm_pick_isa();
  s->act = roof_act_is_identity(&p->act) ? NULL : &p->act;
  s->M = y->dims[0] * y->dims[2] * y->dims[3]; /* bounded by supports_im2col */
  s->K = w->dims[1] * w->dims[2] * w->dims[3];
  s->N = y->dims[1];
  s->im2col.C = x->dims[1], s->im2col.H = x->dims[2], s->im2col.W = x->dims[3];
  s->im2col.OH = y->dims[2], s->im2col.OW = y->dims[3], s->im2col.KH = w->dims[2], s->im2col.KW = w->dims[3];
  s->im2col.sh = sp->strides[0], s->im2col.sw = sp->strides[1], s->im2col.dh = sp->dilations[0], s->im2col.dw = sp->dilations[1];
  s->im2col.pt = sp->pads[0], s->im2col.pl = sp->pads[1];
  s->a_rs = s->K, s->a_cs = 1;
  s->b_rs = s->N, s->b_cs = 1; /* the permuted weights */
  s->pack_a = true;
  float* t = im2col_weights(w);
  if (t == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory permuting weights");
  roof_status st = mm_conv_finish(k, s, t, err);
  free(t);
  return st == ROOF_OK && x->dims[1] < 256 ? roof_tune_conv_or_refuse(k, "im2col", err) : st;
}

const roof_kernel_impl roof_kernel_Conv_im2col = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_im2col,
    .create = create_im2col, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
    .scratch_bytes = scratch_mm_native, .packs_consts = true, .algorithm = "im2col-gemm",
};

/* ---- ConvTranspose whose kernel equals its stride, unpadded, on NHWC data: batched GEMMs ----
 * Each input pixel then feeds its own KH x KW block of output pixels and no two blocks overlap
 * (a learned depth-to-space: U-Net decoders, the 2x2 stride-2 upsampling heads of DBNet-style
 * text detectors). Output row n, y * KH + dy holds, for input pixel x, the KW x C_out values
 * (dx, o) side by side at column x * KW * C_out: the product of input row (n, y)'s W pixels
 * [W, C_in] with the weights of tap row dy rearranged as [C_in, KW x C_out]. One GEMM per
 * (n, y, dy), the A rows read in place, the C rows KW x C_out apart. Measured against XNNPACK
 * (2x2 stride 2, 64 input channels at 160x160, minimum of 20 runs, Zen 3): 64 output channels
 * 9.9 vs 23.7 ms at 1 thread, 4.8 vs 11.5-12.1 at 2; 16 channels 2.4 vs 6.0-6.2; 8: 1.3 vs
 * 3.8; 4: 0.92-0.96 vs 2.1-3.4; a U-Net's 512 -> 256 at 28x28 8.5-9.2 vs 24.0-24.1 (2 threads:
 * 4.6-4.8 vs 12.4-12.5); 2 channels lost (2.05 vs 1.14: 4 of the micro-kernel's 8 or 16
 * columns used), so it is taken from 8 values of KW x C_out. */
static bool supports_convt_gemm(const roof_kernel* k, char* why, size_t n) {
  const roof_conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  const bool two_d = sp->nsp == 2 && x->rank == 4 && w->rank == 4;
  bool unit = two_d;
  for (int i = 0; unit && i < 2; i++) {
    unit = w->dims[2 + i] == sp->strides[i] && sp->dilations[i] == 1 && sp->pads[i] == 0 && sp->pads[i + 2] == 0 &&
           p->output_padding[i] == 0;
  }
  uint64_t rows = 0, wn = 0;
  const char* no = !two_d ? "gemm: not 2-D"
                   : !unit ? "gemm: kernel not equal to the stride, padded, dilated or output-padded"
                   : p->group != 1 ? "gemm: grouped"
                   : x->dims[1] == 0 ? "gemm: no input channels"
                   : !roof_mul_u64((uint64_t)w->dims[3], (uint64_t)w->dims[1], &wn) || wn < 8
                       ? "gemm: under 8 output values per input pixel and tap row (XNNPACK measured faster)"
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "gemm: input or output not NHWC"
                   : !roof_tensor_is_plain(w) ? "gemm: strided weights"
                   : !roof_conv_weights_const(k) ? "gemm: weights or bias not constant"
                   : !roof_mul_u64((uint64_t)(x->dims[0] * x->dims[2]), (uint64_t)w->dims[2], &rows) || rows > ((uint64_t)1 << 24)
                       ? "gemm: over 2^24 row products"
                       : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* W [C][O][KH][KW] -> [KH][C][KW][O]: tap row dy's B[c][dx * O + o], dense. */
static float* convt_weights(const roof_tensor* w) {
  const int64_t C = w->dims[0], O = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  float* t = malloc(sizeof(float) * (size_t)(C * O * KH * KW));
  if (t == NULL) return NULL;
  const float* src = w->data;
  for (int64_t c = 0; c < C; c++)
    for (int64_t o = 0; o < O; o++)
      for (int64_t dy = 0; dy < KH; dy++)
        for (int64_t dx = 0; dx < KW; dx++) t[((dy * C + c) * KW + dx) * O + o] = src[((c * O + o) * KH + dy) * KW + dx];
  return t;
}

/* The bias per (dx, o) column: each output channel's value KW times over. */
static roof_status convt_bias(roof_kernel* k, mm_state* s, int64_t O, roof_error* err) {
  const roof_tensor* c = &k->in[2];
  const float* cv = c->data;
  s->bias_own = calloc((size_t)(s->panels * s->isa->nr), sizeof(float));
  if (s->bias_own == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  for (int64_t j = 0; j < s->N; j++) s->bias_own[j] = cv[j % O * c->strides[0]];
  return ROOF_OK;
}

static roof_status create_convt_gemm(roof_kernel* k, roof_error* err) {
  const roof_conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0]; /* NHWC [N, C, H, W], [C, O, KH, KW], NHWC [N, O, H*KH, W*KW] */
  mm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  const int64_t H = x->dims[2], C = w->dims[0], O = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  s->isa = roof_mm_pick_isa();
  s->act = roof_act_is_identity(&p->act) ? NULL : &p->act;
  s->M = x->dims[3];
  s->K = C;
  s->N = KW * O;
  s->a_rs = x->strides[3], s->a_cs = x->strides[1]; /* a row's pixels: [W, C] */
  s->b_rs = KW * O, s->b_cs = 1;                     /* the rearranged weights */
  s->c_rs = KW * y->strides[3], s->c_cs = y->strides[1];
  s->na = x->dims[0] * H, s->nb = KH, s->batch = s->na * KH; /* bounded by supports_convt_gemm */
  uint64_t pb_floats = 0;
  roof_status st = mm_conv_layout(k, s, &pb_floats, err);
  if (st != ROOF_OK) return st;
  for (int64_t dy = 0; dy < KH; dy++) s->b_off[dy] = dy * C * s->N;
  int64_t* m = s->map;
  for (int64_t r = 0; r < s->na; r++) { /* r = n * H + iy */
    const int64_t n = r / H, iy = r % H;
    s->a_off[r] = n * x->strides[0] + iy * x->strides[2];
    for (int64_t dy = 0; dy < KH; dy++, m += 3) {
      m[0] = r, m[1] = dy, m[2] = n * y->strides[0] + (iy * KH + dy) * y->strides[2];
    }
  }
  float* t = convt_weights(w);
  if (t == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory rearranging weights");
  st = mm_conv_pack(k, s, t, pb_floats, err);
  free(t);
  if (st == ROOF_OK && k->num_in > 2 && k->in[2].data) st = convt_bias(k, s, O, err);
  return st;
}

const roof_kernel_impl roof_kernel_ConvTranspose_native = {
    .op = ROOF_OP_ConvTranspose, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_convt_gemm,
    .create = create_convt_gemm, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
    .scratch_bytes = scratch_mm_native, .packs_consts = true, .algorithm = "gemm",
};
