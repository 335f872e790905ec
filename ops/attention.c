/* Attention (domain ai.rooftop): Y = softmax(scale * Q.K^T + mask) . V over the last two axes,
 * what the `attention` pass makes of MatMul -> scale -> [Add mask] -> Softmax -> MatMul.
 * Q [B.., T, d], K [B.., S, d], V [B.., S, dv] -> [B.., T, dv]; each operand (and the output)
 * is a permuted view of the tensor bound (attention_params.h), so absorbed Transposes cost no
 * copy. The native kernel works on blocks of query rows: the T x S scores of a block live in a
 * per-thread scratch buffer and never reach memory as an activation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention_params.h"
#include "common.h"
#include "vec_math.h"
#include "mm_block.h"

enum { IN_Q = 0, IN_K = 1, IN_V = 2, IN_MASK = 3 };

static roof_status parse_attn(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_attention_params* p = params;
  roof_status st = roof_attr_get_float(g, n, "scale", 0.0f, &p->scale, err);
  if (st == ROOF_OK && !isfinite(p->scale)) return roof_node_fail(err, ROOF_E_DATA, g, n, "scale %g must be finite", p->scale);
  return st;
}

static bool is_perm(const int64_t* p, int r) {
  bool seen[ROOF_MAX_RANK] = {false};
  for (int a = 0; a < r; a++) {
    if (p[a] < 0 || p[a] >= r || seen[p[a]]) return false;
    seen[p[a]] = true;
  }
  return true;
}

static void permuted(const int64_t* dims, const int64_t* perm, int r, int64_t* out) {
  for (int a = 0; a < r; a++) out[a] = dims[perm[a]];
}

/* Logical dims of Q, K, V (d[0..2]) after the perms; ROOF_E_DATA naming the rule broken. */
static roof_status operand_dims(const roof_graph* g, const roof_node* n, roof_attention_params* p,
                                int64_t d[3][ROOF_MAX_RANK], int* rank, roof_error* err) {
  const roof_value* in[3] = {roof_in(g, n, IN_Q), roof_in(g, n, IN_K), roof_in(g, n, IN_V)};
  int r = in[0]->rank;
  if (r < 2 || in[1]->rank != r || in[2]->rank != r) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "Q, K and V must share one rank >= 2 (got %d, %d, %d)", r, in[1]->rank,
                          in[2]->rank);
  }
  for (int i = 0; i < 3 && !p->has_perms; i++) {
    for (int a = 0; a < r; a++) p->perm[i][a] = a;
  }
  for (int a = 0; a < r && !p->has_perms; a++) p->out_perm[a] = a;
  p->has_perms = true;
  for (int i = 0; i < 3; i++) {
    if (!is_perm(p->perm[i], r)) return roof_node_fail(err, ROOF_E_DATA, g, n, "perm of input %d is not a permutation of %d axes", i, r);
    permuted(in[i]->dims, p->perm[i], r, d[i]);
  }
  if (!is_perm(p->out_perm, r)) return roof_node_fail(err, ROOF_E_DATA, g, n, "output perm is not a permutation of %d axes", r);
  *rank = r;
  return ROOF_OK;
}

static roof_status check_shapes(const roof_graph* g, const roof_node* n, int64_t d[3][ROOF_MAX_RANK], int r, roof_error* err) {
  char qs[96], ks[96], vs[96];
  bool batch = true;
  for (int a = 0; a < r - 2; a++) batch = batch && d[0][a] == d[1][a] && d[1][a] == d[2][a];
  const char* rule = !batch ? "batch dims differ"
                     : d[0][r - 1] != d[1][r - 1] ? "Q and K must share the last dim (d)"
                     : d[1][r - 2] != d[2][r - 2] ? "K and V must share dim -2 (S)"
                                                  : NULL;
  if (rule == NULL) return ROOF_OK;
  return roof_node_fail(err, ROOF_E_DATA, g, n, "Q %s, K %s, V %s: %s", roof_shape_str(d[0], r, qs, 96),
                        roof_shape_str(d[1], r, ks, 96), roof_shape_str(d[2], r, vs, 96), rule);
}

/* The mask broadcasts one way to the scores [B.., T, S]. */
static roof_status check_mask(const roof_graph* g, const roof_node* n, const int64_t* sd, int r, roof_error* err) {
  const roof_value* m = roof_in(g, n, IN_MASK);
  if (m == NULL) return ROOF_OK;
  bool ok = m->rank <= r;
  for (int a = 0; ok && a < m->rank; a++) {
    int64_t want = sd[r - m->rank + a];
    ok = m->dims[a] == 1 || m->dims[a] == want;
  }
  if (ok) return ROOF_OK;
  char ms[96], ss[96];
  return roof_node_fail(err, ROOF_E_DATA, g, n, "mask %s does not broadcast to the scores %s",
                        roof_shape_str(m->dims, m->rank, ms, 96), roof_shape_str(sd, r, ss, 96));
}

static roof_status infer_attn(roof_graph* g, roof_node* n, roof_error* err) {
  roof_attention_params* p = n->params;
  roof_status st = ROOF_OK;
  for (int i = IN_Q; i <= IN_V && st == ROOF_OK; i++) st = roof_require_input(g, n, i, roof_float_only, err);
  if (st == ROOF_OK && roof_in(g, n, IN_MASK)) st = roof_require_input(g, n, IN_MASK, roof_float_only, err);
  int64_t d[3][ROOF_MAX_RANK];
  int r = 0;
  if (st == ROOF_OK) st = operand_dims(g, n, p, d, &r, err);
  if (st == ROOF_OK) st = check_shapes(g, n, d, r, err);
  if (st != ROOF_OK) return st;
  int64_t sd[ROOF_MAX_RANK], od[ROOF_MAX_RANK], yd[ROOF_MAX_RANK];
  memcpy(sd, d[0], sizeof(sd));
  sd[r - 1] = d[1][r - 2];
  st = check_mask(g, n, sd, r, err);
  if (st != ROOF_OK) return st;
  memcpy(od, d[0], sizeof(od));
  od[r - 1] = d[2][r - 1];
  permuted(od, p->out_perm, r, yd);
  if (p->scale == 0.0f) p->scale = d[0][r - 1] > 0 ? (float)(1.0 / sqrt((double)d[0][r - 1])) : 1.0f;
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_FLOAT, r, yd);
  return ROOF_OK;
}

/* Sizes of one problem: batch = product of B.., then T, S, d, dv. */
typedef struct attn_dims {
  int64_t batch, T, S, d, dv;
} attn_dims;

static attn_dims dims_of(const roof_graph* g, const roof_node* n) {
  const roof_attention_params* p = n->params;
  const roof_value *q = roof_in(g, n, IN_Q), *k = roof_in(g, n, IN_K), *v = roof_in(g, n, IN_V);
  int r = q->rank;
  attn_dims a = {1, q->dims[p->perm[0][r - 2]], k->dims[p->perm[1][r - 2]], q->dims[p->perm[0][r - 1]],
                 v->dims[p->perm[2][r - 1]]};
  for (int i = 0; i < r - 2; i++) a.batch *= q->dims[p->perm[0][i]];
  return a;
}

/* Per batch-head: macs of the two products, T*S*d + T*S*dv; flops twice those plus 5 per score
 * (scale, mask, softmax's max/exp/sum/divide counted as Softmax counts them). Bytes: Q, K, V,
 * mask and the output; the scores stay in cache (docs/cost-model.md). */
static void cost_attn(const roof_graph* g, const roof_node* n, roof_cost* c) {
  attn_dims a = dims_of(g, n);
  uint64_t ts = (uint64_t)(a.batch * a.T * a.S);
  c->macs = ts * (uint64_t)(a.d + a.dv);
  c->flops = 2 * c->macs + 5 * ts;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "attention";
  c->has_model = true;
}

static int describe_attn(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_attention_params* p = n->params;
  attn_dims a = dims_of(g, n);
  return snprintf(buf, size, "%lld x T %lld, S %lld, d %lld, dv %lld, scale %.4g%s", (long long)a.batch, (long long)a.T,
                  (long long)a.S, (long long)a.d, (long long)a.dv, p->scale, roof_in(g, n, IN_MASK) ? ", mask" : "");
}

/* ---- views: operand i through its perm, the output through the inverse of out_perm ---- */

static void operand_view(const roof_tensor* t, const int64_t* perm, roof_tensor* v) {
  *v = *t;
  for (int a = 0; a < t->rank; a++) {
    v->dims[a] = t->dims[perm[a]];
    v->strides[a] = t->strides[perm[a]];
  }
}

static void output_view(const roof_tensor* y, const int64_t* out_perm, roof_tensor* o) {
  *o = *y;
  for (int a = 0; a < y->rank; a++) {
    o->dims[out_perm[a]] = y->dims[a];
    o->strides[out_perm[a]] = y->strides[a];
  }
}

/* Q, K, V, O views and the mask broadcast to the scores [B.., T, S] (has_mask false: none). */
static bool views(const roof_kernel* k, roof_tensor* v, roof_tensor* mask) {
  const roof_attention_params* p = k->params;
  for (int i = 0; i < 3; i++) operand_view(&k->in[i], p->perm[i], &v[i]);
  output_view(&k->out[0], p->out_perm, &v[3]);
  bool has_mask = k->num_in > IN_MASK && k->node->inputs[IN_MASK] >= 0;
  if (has_mask) {
    int r = v[0].rank;
    int64_t sd[ROOF_MAX_RANK];
    memcpy(sd, v[0].dims, sizeof(sd));
    sd[r - 1] = v[1].dims[r - 2];
    roof_broadcast_view(&k->in[IN_MASK], r, sd, mask);
  }
  return has_mask;
}

/* ---- reference: per query row, double accumulation, strided views ---- */

static roof_status ref_attn(roof_kernel* k, roof_error* err) {
  const roof_attention_params* p = k->params;
  roof_tensor v[4], m;
  bool has_mask = views(k, v, &m);
  const roof_tensor *q = &v[0], *kk = &v[1], *vv = &v[2], *o = &v[3];
  int r = q->rank;
  int64_t T = q->dims[r - 2], d = q->dims[r - 1], S = kk->dims[r - 2], dv = vv->dims[r - 1];
  double* row = malloc(sizeof(double) * (size_t)(S > 0 ? S : 1));
  if (row == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  int64_t bi[ROOF_MAX_RANK] = {0}, ix[ROOF_MAX_RANK], iy[ROOF_MAX_RANK];
  do {
    memcpy(ix, bi, sizeof(ix));
    memcpy(iy, bi, sizeof(iy));
    for (int64_t t = 0; t < T; t++) {
      double mx = -INFINITY, sum = 0.0;
      for (int64_t s = 0; s < S; s++) {
        double acc = 0.0;
        for (int64_t e = 0; e < d; e++) {
          ix[r - 2] = t, ix[r - 1] = e, iy[r - 2] = s, iy[r - 1] = e;
          acc += (double)((const float*)q->data)[roof_offset(q, ix)] * ((const float*)kk->data)[roof_offset(kk, iy)];
        }
        acc *= p->scale;
        ix[r - 2] = t, ix[r - 1] = s;
        if (has_mask) acc += ((const float*)m.data)[roof_offset(&m, ix)];
        row[s] = acc;
        mx = acc > mx ? acc : mx;
      }
      for (int64_t s = 0; s < S; s++) sum += (row[s] = exp(row[s] - mx));
      for (int64_t j = 0; j < dv; j++) {
        double acc = 0.0;
        for (int64_t s = 0; s < S; s++) {
          iy[r - 2] = s, iy[r - 1] = j;
          acc += row[s] / sum * ((const float*)vv->data)[roof_offset(vv, iy)];
        }
        ix[r - 2] = t, ix[r - 1] = j;
        ((float*)o->data)[roof_offset(o, ix)] = (float)acc;
      }
    }
  } while (r > 2 && roof_index_next(bi, q->dims, r - 2));
  free(row);
  return ROOF_OK;
}

/* ---- native: tasks of (batch-head, block of query rows) on the packed micro-kernels of
 * MatMul (mm_block.h). Each slot of the pool has its own scratch: scale * K^T and V packed into
 * panels of the kernel's width ([d][NR] and [S][NR] each), the scores [rows][S] and, when Q's
 * rows are strided, the block's rows of Q. Why packed: the plain 4x16 tile ran ViT-B's attention
 * at 23-30% of the peak; the panels keep K and V in L2 and feed 12x32 blocks on AVX-512. ---- */

typedef struct attn_state {
  attn_dims a;
  float scale;
  const mm_isa* isa;
  int64_t rows, blocks, slots, slot_floats;
  int64_t kpan, vpan; /* panels of the packed K^T (over S) and V (over dv) */
  bool pack_q, has_mask;
  int64_t qt, qe, ks, ke, vs, vj, ot, oj, mt, ms; /* strides of the row and column axes */
  int64_t* offs;                                  /* [batch][5]: Q, K, V, O, mask */
  const float *q, *k, *v, *m;
  float *o, *scratch;
} attn_state;

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  (void)k, (void)why, (void)n;
  return true; /* any strides: strided operands are packed, the output written by stride */
}

static void destroy_native(roof_kernel* k) {
  attn_state* s = k->state;
  if (s) free(s->offs);
  free(s);
  k->state = NULL;
}

/* Offsets of every batch index into the five views (batch dims row-major). */
static void batch_offsets(attn_state* s, const roof_tensor* v, const roof_tensor* m, int r) {
  int64_t bi[ROOF_MAX_RANK] = {0};
  for (int64_t b = 0; b < s->a.batch; b++) {
    int64_t* o = s->offs + 5 * b;
    memset(o, 0, 5 * sizeof(int64_t));
    for (int a = 0; a < r - 2; a++) {
      for (int i = 0; i < 4; i++) o[i] += bi[a] * v[i].strides[a];
      if (s->has_mask) o[4] += bi[a] * m->strides[a];
    }
    if (r > 2) roof_index_next(bi, v[0].dims, r - 2);
  }
}

/* Floats of one slot's scratch: K^T panels, V panels, scores, Q rows. False past uint64. */
static bool slot_floats(const attn_state* s, uint64_t* out) {
  const uint64_t nr = (uint64_t)s->isa->nr;
  uint64_t kt, vp, sc, qp = 0, sum;
  bool ok = roof_mul_u64((uint64_t)s->kpan * nr, (uint64_t)s->a.d, &kt) && roof_mul_u64((uint64_t)s->vpan * nr, (uint64_t)s->a.S, &vp) &&
            roof_mul_u64((uint64_t)s->rows, (uint64_t)s->a.S, &sc) &&
            (!s->pack_q || roof_mul_u64((uint64_t)s->rows, (uint64_t)s->a.d, &qp)) && roof_add_u64(kt, vp, &sum) &&
            roof_add_u64(sum, sc, &sum) && roof_add_u64(sum, qp, &sum);
  if (ok) *out = sum;
  return ok;
}

static roof_status create_native(roof_kernel* k, roof_error* err) {
  const roof_attention_params* p = k->params;
  roof_tensor v[4], m;
  attn_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->has_mask = views(k, v, &m);
  int r = v[0].rank;
  s->a = dims_of(k->g, k->node);
  s->scale = p->scale;
  s->isa = roof_mm_pick_isa();
  s->qt = v[0].strides[r - 2], s->qe = v[0].strides[r - 1], s->ks = v[1].strides[r - 2], s->ke = v[1].strides[r - 1];
  s->vs = v[2].strides[r - 2], s->vj = v[2].strides[r - 1], s->ot = v[3].strides[r - 2], s->oj = v[3].strides[r - 1];
  s->mt = s->has_mask ? m.strides[r - 2] : 0, s->ms = s->has_mask ? m.strides[r - 1] : 0;
  s->pack_q = s->qe != 1 && s->a.d > 1;
  /* Three micro-kernel blocks of rows per task: enough rows to reuse the packed K and V, few
   * enough that a head of ViT-B (T 197) still splits into tasks for two threads. */
  const int64_t rows = 3 * (int64_t)s->isa->mr;
  s->rows = s->a.T < rows ? (s->a.T > 0 ? s->a.T : 1) : rows;
  s->blocks = (s->a.T + s->rows - 1) / s->rows;
  s->kpan = (s->a.S + s->isa->nr - 1) / s->isa->nr;
  s->vpan = (s->a.dv + s->isa->nr - 1) / s->isa->nr;
  int64_t threads = k->pool ? (int64_t)pthreadpool_get_threads_count(k->pool) : 1;
  s->slots = s->a.batch * s->blocks < threads ? s->a.batch * s->blocks : threads;
  if (s->slots < 1) s->slots = 1;
  uint64_t per = 0, all = 0, bytes = 0;
  bool ok = slot_floats(s, &per) && roof_mul_u64(per, (uint64_t)s->slots, &all) && roof_mul_u64(all, sizeof(float), &bytes);
  if (!ok || bytes > k->max_scratch_bytes) return roof_kernel_refuse(err, "scratch of %llu bytes past the tensor limit", (unsigned long long)bytes);
  s->slot_floats = (int64_t)per;
  s->offs = malloc(sizeof(int64_t) * 5 * (size_t)s->a.batch);
  if (s->offs == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  batch_offsets(s, v, &m, r);
  return ROOF_OK;
}

static uint64_t scratch_native(const roof_kernel* k) {
  const attn_state* s = k->state;
  return s ? (uint64_t)(s->slots * s->slot_floats) * sizeof(float) : 0;
}

static roof_status setup_native(roof_kernel* k, roof_error* err) {
  attn_state* s = k->state;
  s->q = k->in[IN_Q].data, s->k = k->in[IN_K].data, s->v = k->in[IN_V].data, s->o = k->out[0].data;
  s->m = s->has_mask ? k->in[IN_MASK].data : NULL;
  s->scratch = k->scratch;
  return ROOF_OK;
}

/* Panels of batch b: kt[p][e][j] = scale * K[p*NR + j][e], vp[p][t][j] = V[t][p*NR + j], zero
 * past the last row of K and column of V (the micro-kernel reads whole panels). */
static void pack_kv(const attn_state* s, int64_t b, float* kt, float* vp) {
  const int64_t nr = s->isa->nr, S = s->a.S, d = s->a.d, dv = s->a.dv;
  const float* kb = s->k + s->offs[5 * b + 1];
  for (int64_t p = 0; p < s->kpan; p++) {
    float* dst = kt + p * d * nr;
    const int64_t cols = S - p * nr < nr ? S - p * nr : nr;
    for (int64_t j = 0; j < cols; j++) {
      const float* kr = kb + (p * nr + j) * s->ks;
      for (int64_t e = 0; e < d; e++) dst[e * nr + j] = s->scale * kr[e * s->ke];
    }
    for (int64_t j = cols; j < nr; j++) {
      for (int64_t e = 0; e < d; e++) dst[e * nr + j] = 0.0f;
    }
  }
  const float* vb = s->v + s->offs[5 * b + 2];
  for (int64_t p = 0; p < s->vpan; p++) {
    float* dst = vp + p * S * nr;
    const int64_t cols = dv - p * nr < nr ? dv - p * nr : nr;
    for (int64_t t = 0; t < S; t++, dst += nr) {
      const float* vr = vb + t * s->vs + p * nr * s->vj;
      if (s->vj == 1) {
        for (int64_t j = 0; j < cols; j++) dst[j] = vr[j];
      } else {
        for (int64_t j = 0; j < cols; j++) dst[j] = vr[j * s->vj];
      }
      for (int64_t j = cols; j < nr; j++) dst[j] = 0.0f;
    }
  }
}

/* One row of scores: add the mask row, then softmax in place (as Softmax computes it: a row
 * whose maximum is -inf or NaN comes out NaN). The maximum and the sum run in 16 lanes: a single
 * accumulator is a chain of dependent adds the compiler may not reorder (about 4 cycles per
 * score, 40% of ViT-B's attention time). */
enum { SM_LANES = 16 };

ROOF_VEC_CLONES static void softmax_row(float* restrict x, const float* restrict mrow, int64_t ms, int64_t S) {
  if (mrow && ms == 1) for (int64_t i = 0; i < S; i++) x[i] += mrow[i];
  else if (mrow) for (int64_t i = 0; i < S; i++) x[i] += mrow[i * ms];
  const int64_t body = S / SM_LANES * SM_LANES;
  float lane[SM_LANES];
  for (int l = 0; l < SM_LANES; l++) lane[l] = -INFINITY;
  for (int64_t i = 0; i < body; i += SM_LANES) {
    for (int l = 0; l < SM_LANES; l++) lane[l] = x[i + l] > lane[l] ? x[i + l] : lane[l];
  }
  float mx = -INFINITY, sum = 0.0f;
  for (int l = 0; l < SM_LANES; l++) mx = lane[l] > mx ? lane[l] : mx;
  for (int64_t i = body; i < S; i++) mx = x[i] > mx ? x[i] : mx;
  if (!(mx > -INFINITY) || mx == INFINITY) { /* all -inf, or +inf: x - mx is NaN somewhere */
    for (int64_t i = 0; i < S; i++) sum += (x[i] = expf(x[i] - mx));
  } else {
    for (int l = 0; l < SM_LANES; l++) lane[l] = 0.0f;
    for (int64_t i = 0; i < body; i += SM_LANES) {
      for (int l = 0; l < SM_LANES; l++) lane[l] += (x[i + l] = roof_exp_nonpos(x[i + l] - mx));
    }
    for (int64_t i = body; i < S; i++) sum += (x[i] = roof_exp_nonpos(x[i] - mx));
    for (int l = 0; l < SM_LANES; l++) sum += lane[l];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < S; i++) x[i] *= inv;
}

/* C[rows][n] (row stride c_rs, column stride c_cs) = A[rows][K] (dense rows, lda) times the
 * packed panels b ([K][NR] each), in blocks of the micro-kernel. */
static void panel_product(const mm_isa* isa, int64_t rows, int64_t n, int64_t K, const float* a, int64_t lda,
                          const float* b, float* c, int64_t c_rs, int64_t c_cs) {
  const int64_t mr = isa->mr, nr = isa->nr;
  for (int64_t p = 0; p * nr < n; p++) {
    for (int64_t i = 0; i < rows; i += mr) {
      mm_block t = {.K = K, .a = a + i * lda, .lda = lda, .b = b + p * K * nr, .c = c + i * c_rs + p * nr * c_cs,
                    .c_rs = c_rs, .c_cs = c_cs, .mr = (int)(rows - i < mr ? rows - i : mr),
                    .nc = (int)(n - p * nr < nr ? n - p * nr : nr)};
      isa->block(&t);
    }
  }
}

static void attn_task(const attn_state* s, int64_t b, int64_t blk, const float* kt, const float* vp, float* sc, float* qp) {
  const attn_dims* a = &s->a;
  const int64_t t0 = blk * s->rows, rows = a->T - t0 < s->rows ? a->T - t0 : s->rows;
  const int64_t* off = s->offs + 5 * b;
  const float* q = s->q + off[0] + t0 * s->qt;
  int64_t lda = s->qt;
  if (s->pack_q) { /* the block's rows of Q made dense: [rows][d] */
    for (int64_t i = 0; i < rows; i++) {
      for (int64_t e = 0; e < a->d; e++) qp[i * a->d + e] = q[i * s->qt + e * s->qe];
    }
    q = qp, lda = a->d;
  }
  /* [rows, S] = Q[t0 .. t0 + rows) . (scale * K^T) */
  panel_product(s->isa, rows, a->S, a->d, q, lda, kt, sc, a->S, 1);
  for (int64_t i = 0; i < rows; i++) {
    const float* mrow = s->has_mask ? s->m + off[4] + (t0 + i) * s->mt : NULL;
    softmax_row(sc + i * a->S, mrow, s->ms, a->S);
  }
  /* [rows, dv] = P . V */
  panel_product(s->isa, rows, a->dv, a->S, sc, a->S, vp, s->o + off[3] + t0 * s->ot, s->ot, s->oj);
}

/* Slot i takes a contiguous share of the tasks (batch-major, so K and V are packed once per
 * batch index it meets). */
static void attn_slot(void* ctx, size_t slot) {
  const attn_state* s = ctx;
  const int64_t tasks = s->a.batch * s->blocks, nr = s->isa->nr;
  const int64_t first = tasks * (int64_t)slot / s->slots, last = tasks * ((int64_t)slot + 1) / s->slots;
  float* kt = s->scratch + (int64_t)slot * s->slot_floats;
  float* vp = kt + s->kpan * nr * s->a.d;
  float* sc = vp + s->vpan * nr * s->a.S;
  float* qp = sc + s->rows * s->a.S;
  int64_t packed = -1;
  for (int64_t t = first; t < last; t++) {
    int64_t b = t / s->blocks;
    if (b != packed) pack_kv(s, b, kt, vp);
    packed = b;
    attn_task(s, b, t % s->blocks, kt, vp, sc, qp);
  }
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  attn_state* s = k->state;
  pthreadpool_parallelize_1d(k->pool, attn_slot, s, (size_t)s->slots, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_Attention = {
    .id = ROOF_OP_Attention, .op_type = "Attention", .domain = "ai.rooftop", .since_version = 1, .until_version = 1000,
    .layout = ROOF_LR_PLAIN, .params_size = sizeof(roof_attention_params), .parse = parse_attn, .infer = infer_attn,
    .cost = cost_attn, .describe = describe_attn,
};
const roof_kernel_impl roof_kernel_Attention_native = {
    .op = ROOF_OP_Attention, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,
    .scratch_bytes = scratch_native,
};
ROOF_REF_KERNEL(Attention, roof_dtypes_f32, ref_attn);
