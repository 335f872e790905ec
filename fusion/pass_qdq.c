/* Pass `qdq`: the QDQ format's DequantizeLinear -> float op -> QuantizeLinear chains become
 * integer layers, as a runtime for int8 models runs them:
 *   DQ(x), DQ(w), [DQ(b)] -> Conv [-> Relu / Clip] -> Q   ->  QLinearConv (XNNPACK qc8 with
 *       per-channel weights, qs8 / qu8 per tensor), the clamp in the output's integer range
 *   DQ(x), DQ(w), [DQ(b)] -> Gemm [-> Relu / Clip] -> Q   ->  QLinearMatMul (native int GEMM) with
 *       the int32 bias fused (roof_quant_params.fused_bias), B transposed once when transB = 1
 *   DQ(a), DQ(b) -> Add [-> Relu / Clip] -> Q              ->  QLinearAdd (com.microsoft)
 *   DQ(a), DQ(b) -> Mul [-> Relu / Clip] -> Q              ->  QLinearMul (com.microsoft)
 *   DQ(x) -> Sigmoid / LeakyRelu -> Q                      ->  QLinearSigmoid / QLinearLeakyRelu
 *       (com.microsoft; a 256-entry table)
 *   DQ(a), DQ(s) -> Mul -> Q with s = QLinearSigmoid(a) ->  QLinearSwish (ai.rooftop; a table):
 *       a SiLU x * sigmoid(x) as quantizers write it (YOLO's and EfficientNet's activation), one
 *       integer layer instead of five float ones and their Q / DQ
 *   DQ(x) -> MaxPool -> Q of DQ's own scale and zero point  ->  MaxPool on x's int8 / uint8 (the
 *       max of quantized values is the quantized max when both sides quantize alike)
 *   DQ(x) -> GlobalAveragePool [-> Relu / Clip] -> Q        ->  QLinearGlobalAveragePool
 *       (com.microsoft, channels first), any scales
 * Weights and biases reach the float op as constants: constant folding (a load stage) already
 * evaluated their DequantizeLinear, which stays recorded as folded; the pass finds that folded
 * node and reads its integer tensor, scale and zero point. The activation's DequantizeLinear is
 * absorbed into the layer (fused_from) once no other layer reads it, the QuantizeLinear (and the
 * Relu / Clip) always. Conditions, else the chain stays float: per-tensor activation scales and
 * zero points, float32 scales, weights per tensor or per output channel, a bias of int32 with
 * scale x_scale x w_scale (zero point 0), the float op's output read only by the chain. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation_params.h"
#include "conv_params.h"
#include "fused_act.h"
#include "fusion.h"
#include "gemm_params.h"
#include "graph_edit.h"
#include "match.h"
#include "op.h"
#include "quant_params.h"

/* An integer tensor read through a DequantizeLinear: q, its scale and zero point (-1: absent). */
typedef struct qsrc {
  int dq, q, scale, zp;
} qsrc;

static bool is_q8(int dt) { return dt == ROOF_DT_INT8 || dt == ROOF_DT_UINT8; }

static bool const_count(const roof_graph* g, int v, uint64_t* n) {
  const roof_value* c = v >= 0 ? &g->values[v] : NULL;
  return c && c->data && (c->flags & ROOF_VAL_CONST) && roof_value_count(c, n);
}

/* DequantizeLinear node dn's operands, scales float32 and constant: per tensor (count 1) when
 * `channels` is 0, else per tensor or per axis 0 with `channels` values. */
static bool dq_operands(const roof_graph* g, int dn, int64_t channels, qsrc* s) {
  const roof_node* d = &g->nodes[dn];
  const roof_quant_params* p = d->params;
  uint64_t ns = 0, nz = 0;
  *s = (qsrc){dn, d->inputs[0], d->num_inputs > 1 ? d->inputs[1] : -1, d->num_inputs > 2 ? d->inputs[2] : -1};
  if (s->q < 0 || !const_count(g, s->scale, &ns) || g->values[s->scale].dtype != ROOF_DT_FLOAT) return false;
  if (s->zp >= 0 && (!const_count(g, s->zp, &nz) || nz != ns)) return false;
  if (ns == 1) return true;
  return channels > 0 && p->mode == ROOF_QM_AXIS && p->axis == 0 && ns == (uint64_t)channels;
}

/* Activation v, a float32 value written by a live per-tensor DequantizeLinear of int8 / uint8. */
static bool live_dq(const roof_graph* g, int v, qsrc* s) {
  const roof_value* x = v >= 0 ? &g->values[v] : NULL;
  if (x == NULL || x->producer < 0 || x->dtype != ROOF_DT_FLOAT) return false;
  int dn = x->producer;
  if (!roof_node_is(&g->nodes[dn], ROOF_OP_DequantizeLinear) || g->nodes[dn].outputs[0] != v) return false;
  return dq_operands(g, dn, 0, s) && is_q8(g->values[s->q].dtype);
}

/* Constant v, evaluated at load from a DequantizeLinear of a constant integer tensor of dtype
 * in `dts` (that node is folded: removed, its inputs intact). */
static bool folded_dq(const roof_graph* g, int v, int64_t channels, const int* dts, qsrc* s) {
  uint64_t n = 0;
  if (v < 0 || !const_count(g, v, &n) || g->values[v].dtype != ROOF_DT_FLOAT) return false;
  for (int dn = 0; dn < g->num_nodes; dn++) {
    const roof_node* d = &g->nodes[dn];
    if (!d->removed || d->branch_of || d->op == NULL || d->op->id != ROOF_OP_DequantizeLinear || d->num_outputs < 1 ||
        d->outputs[0] != v) {
      continue;
    }
    if (!dq_operands(g, dn, channels, s) || !const_count(g, s->q, &n)) return false;
    for (int i = 0; dts[i]; i++)
      if (g->values[s->q].dtype == dts[i]) return true;
    return false;
  }
  return false;
}

/* Bias scale m equals x_scale x w_scale[m] (as a quantizer writes it, up to float rounding),
 * its zero point 0: the int32 values then add to the accumulators as they are. */
static bool bias_fits(const roof_graph* g, const qsrc* x, const qsrc* w, const qsrc* b, int64_t channels) {
  uint64_t nw = 0, nb = 0;
  const_count(g, w->scale, &nw);
  const_count(g, b->scale, &nb);
  float xs = ((const float*)g->values[x->scale].data)[0];
  const float* ws = g->values[w->scale].data;
  const float* bs = g->values[b->scale].data;
  for (int64_t m = 0; m < channels; m++) {
    float want = xs * ws[nw == 1 ? 0 : m], got = bs[nb == 1 ? 0 : m];
    if (!(fabsf(got - want) <= 1e-5f * want)) return false;
    if (b->zp >= 0 && ((const int32_t*)g->values[b->zp].data)[nb == 1 ? 0 : m] != 0) return false;
  }
  return true;
}

/* The QuantizeLinear closing a chain from float value y: y's only reader, or a Relu / Clip of
 * constant bounds (narrowing *act) reading y alone and then its output's only reader. Per tensor,
 * float32 scale, zero point present. Returns its node (and *an the activation's, or -1). */
static int q_after(const roof_graph* g, int y, int* an, roof_act* act) {
  *an = -1;
  int r = roof_match_only_reader(g, y);
  if (r >= 0 && (roof_node_is(&g->nodes[r], ROOF_OP_Relu) || roof_node_is(&g->nodes[r], ROOF_OP_Clip))) {
    const roof_act_params* ap = g->nodes[r].params;
    if (ap->runtime_bounds || g->nodes[r].inputs[0] != y) return -1;
    act->min = fmaxf(act->min, ap->min);
    act->max = fminf(act->max, ap->max);
    *an = r;
    r = roof_match_only_reader(g, g->nodes[r].outputs[0]);
  }
  if (r < 0 || !roof_node_is(&g->nodes[r], ROOF_OP_QuantizeLinear) || g->nodes[r].num_inputs < 3) return -1;
  const roof_node* q = &g->nodes[r];
  uint64_t ns = 0, nz = 0;
  if (!const_count(g, q->inputs[1], &ns) || ns != 1 || g->values[q->inputs[1]].dtype != ROOF_DT_FLOAT) return -1;
  if (!const_count(g, q->inputs[2], &nz) || nz != 1 || !is_q8(g->values[q->inputs[2]].dtype)) return -1;
  return r;
}

/* The chain [op, (activation), Q] becomes one layer of op `op` with `params` (owned) and
 * `inputs`; the activation's DequantizeLinear nodes that nothing reads any more are absorbed. */
static roof_status rewrite(roof_graph* g, int n, int an, int qn, int op, void* params, const int* inputs, int count,
                           const qsrc* dqs, int num_dqs) {
  int chain[3] = {n}, len = 1;
  if (an >= 0) chain[len++] = an;
  chain[len++] = qn;
  roof_status st = roof_edit_replace_chain(g, chain, len, op, params, 0);
  for (int i = 0; st == ROOF_OK && i < count; i++) st = roof_edit_set_input(g, n, i, inputs[i]);
  for (int i = 0; st == ROOF_OK && i < num_dqs; i++) {
    int dn = dqs[i].dq, v = g->nodes[dn].outputs[0];
    if (!g->nodes[dn].removed && !(g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) && roof_edit_consumers(g, v, NULL, 0) == 0) {
      st = roof_edit_absorb(g, n, dn);
    }
  }
  return st;
}

static const int kWeightDt[] = {ROOF_DT_INT8, ROOF_DT_UINT8, 0};
static const int kBiasDt[] = {ROOF_DT_INT32, 0};

static roof_status fuse_conv(roof_graph* g, int cn, bool* changed) {
  const roof_node* c = &g->nodes[cn];
  const roof_conv_params* cp = c->params;
  const roof_value* wv = roof_in(g, c, 1);
  qsrc x, w, b = {-1, -1, -1, -1};
  if (cp->residual) return ROOF_OK; /* QLinearConv has no residual input */
  if (wv == NULL || wv->rank < 3 || wv->rank > 4 || !live_dq(g, c->inputs[0], &x)) return ROOF_OK;
  int64_t M = wv->dims[0];
  if (!folded_dq(g, c->inputs[1], M, kWeightDt, &w)) return ROOF_OK;
  if (roof_in(g, c, 2) && (!folded_dq(g, c->inputs[2], M, kBiasDt, &b) || !bias_fits(g, &x, &w, &b, M))) return ROOF_OK;
  int an;
  roof_act act = cp->act;
  int qn = q_after(g, c->outputs[0], &an, &act);
  if (qn < 0) return ROOF_OK;
  roof_quant_params* p = calloc(1, sizeof(*p));
  if (p == NULL) return ROOF_E_NOMEM;
  p->group = cp->group;
  p->sp = cp->sp;
  p->act = act;
  p->clamp = !roof_act_is_identity(&act);
  const roof_node* q = &g->nodes[qn];
  int in[9] = {x.q, x.scale, x.zp, w.q, w.scale, w.zp, q->inputs[1], q->inputs[2], b.q};
  *changed = true;
  return rewrite(g, cn, an, qn, ROOF_OP_QLinearConv, p, in, b.q >= 0 ? 9 : 8, &x, 1);
}

/* Transposed copy [K, N] of the constant int8 / uint8 matrix v [N, K]; -1 on OOM. */
static int transposed(roof_graph* g, int v) {
  const roof_value* s = &g->values[v];
  int64_t N = s->dims[0], K = s->dims[1], dims[2] = {K, N};
  uint8_t* d = malloc((size_t)(N * K > 0 ? N * K : 1));
  if (d == NULL) return -1;
  const uint8_t* src = s->data;
  for (int64_t n = 0; n < N; n++)
    for (int64_t k = 0; k < K; k++) d[k * N + n] = src[n * K + k];
  char name[ROOF_NAME_BUF + 16];
  snprintf(name, sizeof(name), "%.*s::t", ROOF_NAME_BUF - 1, s->name);
  return roof_edit_add_const(g, name, s->dtype, 2, dims, d);
}

static roof_status fuse_gemm(roof_graph* g, int gn, bool* changed) {
  const roof_node* m = &g->nodes[gn];
  const roof_gemm_params* gp = m->params;
  const roof_value *a = roof_in(g, m, 0), *wv = roof_in(g, m, 1);
  if (gp->alpha != 1.0f || gp->beta != 1.0f || gp->trans_a || !a || a->rank != 2 || !wv || wv->rank != 2) return ROOF_OK;
  int64_t N = wv->dims[gp->trans_b ? 0 : 1];
  qsrc x, w, b = {-1, -1, -1, -1};
  /* per column only as axis 0 of [N, K] (transB); QLinearMatMul takes B as [K, N] */
  if (!live_dq(g, m->inputs[0], &x) || !folded_dq(g, m->inputs[1], gp->trans_b ? N : 0, kWeightDt, &w)) return ROOF_OK;
  const roof_value* bias = roof_in(g, m, 2);
  if (bias && (bias->rank != 1 || bias->dims[0] != N || !folded_dq(g, m->inputs[2], N, kBiasDt, &b) ||
               !bias_fits(g, &x, &w, &b, N))) {
    return ROOF_OK;
  }
  int an;
  roof_act act = gp->act;
  int qn = q_after(g, m->outputs[0], &an, &act);
  if (qn < 0) return ROOF_OK;
  int wq = gp->trans_b ? transposed(g, w.q) : w.q;
  roof_quant_params* p = wq >= 0 ? calloc(1, sizeof(*p)) : NULL;
  if (p == NULL) return ROOF_E_NOMEM;
  p->act = act;
  p->clamp = !roof_act_is_identity(&act);
  p->fused_bias = b.q >= 0;
  const roof_node* q = &g->nodes[qn];
  int in[9] = {x.q, x.scale, x.zp, wq, w.scale, w.zp, q->inputs[1], q->inputs[2], b.q};
  *changed = true;
  return rewrite(g, gn, an, qn, ROOF_OP_QLinearMatMul, p, in, b.q >= 0 ? 9 : 8, &x, 1);
}

/* The chain [n, (activation an), Q qn] becomes com.microsoft op `op` reading the quantized
 * operands xs (each q, scale, zero point) and writing with Q's scale and zero point, `act` as its
 * clamp (QLinearAdd, QLinearGlobalAveragePool). */
static roof_status fuse_ms(roof_graph* g, int n, int an, int qn, const roof_act* act, int op, const qsrc* xs, int nx,
                           bool* changed) {
  roof_qlinear_ms_params* p = calloc(1, sizeof(*p));
  if (p == NULL) return ROOF_E_NOMEM;
  p->act = *act;
  p->clamp = !roof_act_is_identity(act);
  int in[8], len = 0;
  for (int i = 0; i < nx && i < 2; i++) in[len++] = xs[i].q, in[len++] = xs[i].scale, in[len++] = xs[i].zp;
  in[len++] = g->nodes[qn].inputs[1];
  in[len++] = g->nodes[qn].inputs[2];
  *changed = true;
  return rewrite(g, n, an, qn, op, p, in, len, xs, nx);
}

/* Value ids a and b hold the same scale or zero point: one value, or equal one-element constants */
static bool same_scalar(const roof_graph* g, int a, int b) {
  double va, vb;
  if (a == b) return true;
  return a >= 0 && b >= 0 && g->values[a].dtype == g->values[b].dtype && roof_match_scalar(g, a, &va) &&
         roof_match_scalar(g, b, &vb) && va == vb;
}

/* A quantized SiLU, x * sigmoid(x): of the Mul's operands x[0], x[1], the one (returned: its
 * slot, else -1) that is the DQ of a QLinearSigmoid (made by this pass just before) of the other
 * operand's int8 tensor with its scale and zero point, without a clamp, read by that DQ alone,
 * whose output only the Mul reads. */
static int swish_gate(const roof_graph* g, int mul, const qsrc* x) {
  for (int i = 0; i < 2; i++) {
    const qsrc* a = &x[1 - i];
    int sn = g->values[x[i].q].producer;
    if (sn < 0 || a->zp < 0) continue;
    const roof_node* s = &g->nodes[sn];
    const roof_qlinear_ms_params* p = s->params;
    if (s->removed || !roof_node_is(s, ROOF_OP_QLinearSigmoid) || s->outputs[0] != x[i].q || s->num_inputs < 5 ||
        s->inputs[4] < 0 || p->clamp || s->inputs[0] != a->q) {
      continue;
    }
    if (!same_scalar(g, s->inputs[1], a->scale) || !same_scalar(g, s->inputs[2], a->zp)) continue;
    /* the gate and its DQ live only for this product (else the Sigmoid must stay) */
    if (roof_match_only_reader(g, x[i].q) == x[i].dq && roof_match_only_reader(g, g->nodes[x[i].dq].outputs[0]) == mul) return i;
  }
  return -1;
}

/* Mul(DQ(a), DQ(QLinearSigmoid(a))) -> Q becomes one QLinearSwish (a table), which absorbs the
 * QLinearSigmoid, both DQs (when nothing else reads them), the Q and a Relu / Clip. */
static roof_status fuse_swish(roof_graph* g, int n, int an, int qn, const roof_act* act, const qsrc* x, int gate,
                              bool* changed) {
  int sn = g->values[x[gate].q].producer;
  roof_qlinear_ms_params* p = calloc(1, sizeof(*p));
  if (p == NULL) return ROOF_E_NOMEM;
  p->act = *act;
  p->clamp = !roof_act_is_identity(act);
  const qsrc* a = &x[1 - gate];
  const roof_node *s = &g->nodes[sn], *q = &g->nodes[qn];
  int in[7] = {a->q, a->scale, a->zp, s->inputs[3], s->inputs[4], q->inputs[1], q->inputs[2]};
  qsrc dqs[2] = {x[gate], *a};
  *changed = true;
  roof_status st = rewrite(g, n, an, qn, ROOF_OP_QLinearSwish, p, in, 7, dqs, 2);
  return st == ROOF_OK ? roof_edit_absorb(g, n, sn) : st;
}

/* Add -> QLinearAdd, Mul -> QLinearMul (or QLinearSwish, above) */
static roof_status fuse_binary(roof_graph* g, int n, int op, bool* changed) {
  const roof_node* a = &g->nodes[n];
  qsrc x[2];
  if (a->num_inputs != 2 || !live_dq(g, a->inputs[0], &x[0]) || !live_dq(g, a->inputs[1], &x[1])) return ROOF_OK;
  int an;
  roof_act act;
  roof_act_init(&act);
  if (a->op->flags & ROOF_OPF_FUSED_ACT) act = *(const roof_act*)a->params; /* first member (fused_act.h) */
  int qn = q_after(g, a->outputs[0], &an, &act);
  if (qn < 0) return ROOF_OK;
  int gate = op == ROOF_OP_QLinearMul ? swish_gate(g, n, x) : -1;
  return gate >= 0 ? fuse_swish(g, n, an, qn, &act, x, gate, changed) : fuse_ms(g, n, an, qn, &act, op, x, 2, changed);
}

/* Sigmoid -> QLinearSigmoid, LeakyRelu -> QLinearLeakyRelu (alpha kept); a following Relu /
 * Clip is not taken (the table would hold it, but the ops have no clamp of their own). */
static roof_status fuse_unary(roof_graph* g, int n, int op, bool* changed) {
  const roof_node* u = &g->nodes[n];
  qsrc x;
  if (!live_dq(g, u->inputs[0], &x)) return ROOF_OK;
  int an;
  roof_act act;
  roof_act_init(&act);
  if (u->op->flags & ROOF_OPF_FUSED_ACT && !roof_act_is_identity((const roof_act*)u->params)) return ROOF_OK;
  int qn = q_after(g, u->outputs[0], &an, &act);
  if (qn < 0 || an >= 0) return ROOF_OK;
  float alpha = op == ROOF_OP_QLinearLeakyRelu ? ((const roof_act_params*)u->params)->alpha : 0.0f;
  roof_status st = fuse_ms(g, n, -1, qn, &act, op, &x, 1, changed);
  if (st == ROOF_OK && op == ROOF_OP_QLinearLeakyRelu) ((roof_qlinear_ms_params*)g->nodes[n].params)->alpha = alpha;
  return st;
}

/* Q node q quantizes exactly as the DequantizeLinear of x dequantizes: equal scale, zero point of
 * x's dtype and value (an absent one is 0). */
static bool same_quant(const roof_graph* g, const qsrc* x, const roof_node* q) {
  const roof_value *zq = &g->values[q->inputs[2]], *zx = x->zp >= 0 ? &g->values[x->zp] : NULL;
  int dt = g->values[x->q].dtype;
  if (zq->dtype != dt || (zx && zx->dtype != dt)) return false;
  int64_t a = roof_load_i64(dt, zq->data, 0), b = zx ? roof_load_i64(dt, zx->data, 0) : 0;
  return a == b && ((const float*)g->values[x->scale].data)[0] == ((const float*)g->values[q->inputs[1]].data)[0];
}

static roof_status fuse_maxpool(roof_graph* g, int n, bool* changed) {
  const roof_node* m = &g->nodes[n];
  qsrc x;
  roof_act act;
  roof_act_init(&act);
  /* the float pool's own clamp (first member, fused_act.h) would not survive in integers */
  if ((m->num_outputs > 1 && m->outputs[1] >= 0) || !roof_act_is_identity((const roof_act*)m->params)) return ROOF_OK;
  if (!live_dq(g, m->inputs[0], &x)) return ROOF_OK;
  int an, qn = q_after(g, m->outputs[0], &an, &act);
  if (qn < 0 || an >= 0 || !same_quant(g, &x, &g->nodes[qn])) return ROOF_OK;
  void* p = malloc(m->op->params_size);
  if (p == NULL) return ROOF_E_NOMEM;
  memcpy(p, m->params, m->op->params_size);
  *changed = true;
  return rewrite(g, n, -1, qn, ROOF_OP_MaxPool, p, &x.q, 1, &x, 1);
}

static roof_status fuse_gap(roof_graph* g, int n, bool* changed) {
  const roof_node* m = &g->nodes[n];
  qsrc x;
  if (!live_dq(g, m->inputs[0], &x) || x.zp < 0) return ROOF_OK; /* QLinearGlobalAveragePool wants x's zero point */
  int an;
  roof_act act;
  roof_act_init(&act);
  int qn = q_after(g, m->outputs[0], &an, &act);
  return qn < 0 ? ROOF_OK : fuse_ms(g, n, an, qn, &act, ROOF_OP_QLinearGlobalAveragePool, &x, 1, changed);
}

roof_status roof_pass_qdq(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int n = g->order[oi];
    const roof_node* node = &g->nodes[n];
    if (node->removed || node->num_outputs < 1 || node->outputs[0] < 0 || g->values[node->outputs[0]].dtype != ROOF_DT_FLOAT) continue;
    roof_status st = ROOF_OK;
    if (roof_node_is(node, ROOF_OP_Conv)) st = fuse_conv(g, n, changed);
    else if (roof_node_is(node, ROOF_OP_Gemm)) st = fuse_gemm(g, n, changed);
    else if (roof_node_is(node, ROOF_OP_Add)) st = fuse_binary(g, n, ROOF_OP_QLinearAdd, changed);
    else if (roof_node_is(node, ROOF_OP_Mul)) st = fuse_binary(g, n, ROOF_OP_QLinearMul, changed);
    else if (roof_node_is(node, ROOF_OP_Sigmoid)) st = fuse_unary(g, n, ROOF_OP_QLinearSigmoid, changed);
    else if (roof_node_is(node, ROOF_OP_LeakyRelu)) st = fuse_unary(g, n, ROOF_OP_QLinearLeakyRelu, changed);
    else if (roof_node_is(node, ROOF_OP_MaxPool)) st = fuse_maxpool(g, n, changed);
    else if (roof_node_is(node, ROOF_OP_GlobalAveragePool)) st = fuse_gap(g, n, changed);
    if (st != ROOF_OK) return roof_pass_fail(g, "qdq", n, st, err);
  }
  return ROOF_OK;
}
