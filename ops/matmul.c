/* Gemm and MatMul: XNNPACK fully-connected when the weight matrix is constant and the
 * activation is plain; reference kernels for every case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "xnn_backend.h"
#include "gemm_params.h"

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
  return ROOF_OK;
}

static roof_status infer_gemm(roof_graph* g, roof_node* n, roof_error* err) {
  const gemm_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_only, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, roof_float_only, err);
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
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_FLOAT, 2, dims);
  return ROOF_OK;
}

static roof_status infer_matmul(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_only, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, roof_float_only, err);
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
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_FLOAT, r, dims);
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
        double acc = 0.0;
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

/* ---- native MatMul of two activations (attention's Q K^T and A V): plain float32 operands of
 * rank >= 2 with broadcast batch dims. Tasks are (batch, block of 4 rows of C); a block walks K
 * once, each row of B feeding 4 rows of C, the inner loop over N vectorized (one clone per
 * vector ISA on x86). XNNPACK (this version) has no batched matmul. ---- */

#define ROOF_MM_ROWS 4

typedef struct mm_state {
  int64_t M, K, N, batch, blocks;
  int64_t* offs; /* [batch][3]: element offsets of A, B, C */
  roof_act act;
  bool clamp;
  const float* a; /* [.., M, K] */
  const float* b; /* [.., K, N] */
  float* y;       /* [.., M, N] */
} mm_state;

static bool supports_mm_native(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  const char* no = a->rank < 2 || b->rank < 2 ? "a 1-D operand"
                   : !roof_tensor_is_plain(a) || !roof_tensor_is_plain(b) || !roof_tensor_is_plain(y) ? "strided operand"
                                                                                                    : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void destroy_mm(roof_kernel* k) {
  mm_state* s = k->state;
  if (s) free(s->offs);
  free(s);
  k->state = NULL;
}

/* Batch offsets as ref_matmul computes them: broadcast batch dims read offset 0. */
static roof_status create_mm_native(roof_kernel* k, roof_error* err) {
  const gemm_params* p = k->params;
  const roof_tensor *a = &k->in[0], *b = &k->in[1], *y = &k->out[0];
  mm_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  int rb = y->rank - 2;
  s->M = a->dims[a->rank - 2];
  s->K = a->dims[a->rank - 1];
  s->N = b->dims[b->rank - 1];
  s->blocks = (s->M + ROOF_MM_ROWS - 1) / ROOF_MM_ROWS;
  s->batch = 1;
  for (int i = 0; i < rb; i++) s->batch *= y->dims[i];
  s->act = p->act;
  s->clamp = !roof_act_is_identity(&p->act);
  s->offs = malloc(sizeof(int64_t) * 3 * (size_t)(s->batch ? s->batch : 1));
  if (s->offs == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory for batch offsets");
  int64_t bi[ROOF_MAX_RANK] = {0}, *o = s->offs;
  do {
    int64_t ao = 0, bo = 0, yo = 0;
    for (int i = 0; i < rb; i++) {
      int da = a->rank - 2 - rb + i, db = b->rank - 2 - rb + i;
      if (da >= 0 && a->dims[da] > 1) ao += bi[i] * a->strides[da];
      if (db >= 0 && b->dims[db] > 1) bo += bi[i] * b->strides[db];
      yo += bi[i] * y->strides[i];
    }
    *o++ = ao;
    *o++ = bo;
    *o++ = yo;
  } while (rb > 0 && roof_index_next(bi, y->dims, rb));
  return ROOF_OK;
}

static roof_status setup_mm_native(roof_kernel* k, roof_error* err) {
  mm_state* s = k->state;
  s->a = k->in[0].data;
  s->b = k->in[1].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ROOF_MM_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define ROOF_MM_CLONES
#endif

/* c[r][0..n) = sum over t of a[r * lda + t] * b[t * n ..] for `rows` (<= 4) rows. */
ROOF_MM_CLONES static void mm_rows(const float* a, int64_t lda, const float* b, float* c, int64_t rows, int64_t K,
                                   int64_t n) {
  float* c0 = c;
  float* c1 = rows > 1 ? c + n : c0;
  float* c2 = rows > 2 ? c + 2 * n : c0;
  float* c3 = rows > 3 ? c + 3 * n : c0;
  memset(c, 0, sizeof(float) * (size_t)(rows * n));
  for (int64_t t = 0; t < K; t++) {
    const float* bt = b + t * n;
    const float a0 = a[t], a1 = rows > 1 ? a[lda + t] : 0.0f, a2 = rows > 2 ? a[2 * lda + t] : 0.0f,
                a3 = rows > 3 ? a[3 * lda + t] : 0.0f;
    if (rows == ROOF_MM_ROWS) {
      for (int64_t j = 0; j < n; j++) {
        const float bv = bt[j];
        c0[j] += a0 * bv;
        c1[j] += a1 * bv;
        c2[j] += a2 * bv;
        c3[j] += a3 * bv;
      }
    } else {
      for (int64_t r = 0; r < rows; r++) {
        const float av = a[r * lda + t];
        float* cr = c + r * n;
        for (int64_t j = 0; j < n; j++) cr[j] += av * bt[j];
      }
    }
  }
}

static void mm_block(void* ctx, size_t batch, size_t block) {
  const mm_state* s = ctx;
  const int64_t* o = s->offs + 3 * batch;
  int64_t r0 = (int64_t)block * ROOF_MM_ROWS, rows = s->M - r0 < ROOF_MM_ROWS ? s->M - r0 : ROOF_MM_ROWS;
  float* c = s->y + o[2] + r0 * s->N;
  mm_rows(s->a + o[0] + r0 * s->K, s->K, s->b + o[1], c, rows, s->K, s->N);
  if (!s->clamp) return;
  for (int64_t i = 0; i < rows * s->N; i++) c[i] = roof_act_apply(&s->act, c[i]);
}

static roof_status run_mm_native(roof_kernel* k, roof_error* err) {
  mm_state* s = k->state;
  pthreadpool_parallelize_2d(k->pool, mm_block, s, (size_t)s->batch, (size_t)s->blocks, 0);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_MatMul_native = {
    .op = ROOF_OP_MatMul, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_mm_native,
    .create = create_mm_native, .setup = setup_mm_native, .run = run_mm_native, .destroy = destroy_mm,
};
