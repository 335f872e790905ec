/* Pass `conv_bn`: folds an inference BatchNormalization into the Conv, ConvTranspose or Gemm
 * that feeds it (and only it). With s = gamma / sqrt(var + eps) per output channel o:
 *   W'[o, ...] = W[o, ...] * s[o]        b'[o] = (b[o] - mean[o]) * s[o] + beta[o]
 * computed in double and stored as float. Weights are copied, never edited in place, because
 * an initializer may feed other nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_params.h"
#include "fused_act.h"
#include "fusion.h"
#include "gemm_params.h"
#include "graph_edit.h"
#include "norm_params.h"
#include "op.h"

typedef struct bn_coeffs {
  int64_t channels;
  double* scale; /* s */
  double* shift; /* beta - mean * s */
} bn_coeffs;

static bool const_float(const roof_value* v, int64_t count) {
  uint64_t c;
  return v && v->dtype == ROOF_DT_FLOAT && v->data && (v->flags & ROOF_VAL_CONST) && roof_value_count(v, &c) &&
         c == (uint64_t)count;
}

static bool read_bn(const roof_graph* g, const roof_node* bn, int64_t channels, bn_coeffs* c) {
  for (int i = 1; i <= 4; i++) {
    if (!const_float(roof_in(g, bn, i), channels)) return false;
  }
  if (bn->num_outputs > 1) {
    for (int o = 1; o < bn->num_outputs; o++) {
      if (bn->outputs[o] >= 0) return false; /* training outputs */
    }
  }
  /* training mode normalizes with the batch's own statistics: nothing to fold */
  if (((const roof_bn_params*)bn->params)->training) return false;
  float eps = ((const roof_bn_params*)bn->params)->epsilon;
  const float* gamma = roof_in(g, bn, 1)->data;
  const float* beta = roof_in(g, bn, 2)->data;
  const float* mean = roof_in(g, bn, 3)->data;
  const float* var = roof_in(g, bn, 4)->data;
  c->channels = channels;
  c->scale = malloc(sizeof(double) * (size_t)channels);
  c->shift = malloc(sizeof(double) * (size_t)channels);
  if (!c->scale || !c->shift) return false;
  for (int64_t o = 0; o < channels; o++) {
    c->scale[o] = (double)gamma[o] / sqrt((double)var[o] + (double)eps);
    c->shift[o] = (double)beta[o] - (double)mean[o] * c->scale[o];
  }
  return true;
}

/* Output channel of weight element (flat index e) for each producer kind. */
typedef enum { PROD_CONV, PROD_CONVT, PROD_GEMM_T, PROD_GEMM_N } prod_kind;

static int64_t out_channel(prod_kind k, const roof_value* w, int64_t e, int64_t group) {
  int64_t inner = 1;
  for (int d = 2; d < w->rank; d++) inner *= w->dims[d];
  switch (k) {
    case PROD_CONV: return e / (w->dims[1] * inner);                 /* [O, I/g, k...] */
    case PROD_GEMM_T: return e / w->dims[1];                         /* B [N, K] */
    case PROD_GEMM_N: return e % w->dims[1];                         /* B [K, N] */
    case PROD_CONVT: {                                               /* [C_in, O/g, k...] */
      int64_t ci = e / (w->dims[1] * inner), j = (e / inner) % w->dims[1];
      int64_t cin_per_group = w->dims[0] / group;
      return (ci / cin_per_group) * w->dims[1] + j;
    }
  }
  return 0;
}

static roof_status fold(roof_graph* g, int pn, int bn_index, prod_kind kind, int64_t channels, bool* changed) {
  const roof_node* p = &g->nodes[pn];
  const roof_node* bn = &g->nodes[bn_index];
  bn_coeffs c = {0};
  roof_status st = ROOF_OK;
  if (!read_bn(g, bn, channels, &c)) goto done;
  const roof_value* w = roof_in(g, p, 1);
  const roof_value* b = roof_in(g, p, 2);
  uint64_t wn;
  if (!w || w->dtype != ROOF_DT_FLOAT || !w->data || !(w->flags & ROOF_VAL_CONST) || !roof_value_count(w, &wn)) goto done;
  if (b && !const_float(b, channels)) goto done; /* Gemm C of another shape: leave it */
  bool gemm = kind == PROD_GEMM_T || kind == PROD_GEMM_N;
  int64_t group = gemm ? 1 : ((const roof_conv_params*)p->params)->group;
  if (group < 1 || (kind == PROD_CONVT && w->dims[0] % group)) goto done;
  /* Gemm: y = alpha*A*B + beta*C; the bias enters scaled by beta */
  double bias_scale = gemm ? ((const roof_gemm_params*)p->params)->beta : 1.0;
  if (bias_scale == 0.0) goto done;
  float* nw = malloc(sizeof(float) * (wn ? wn : 1));
  float* nb = malloc(sizeof(float) * (size_t)channels);
  if (!nw || !nb) {
    free(nw);
    free(nb);
    st = ROOF_E_NOMEM;
    goto done;
  }
  const float* wd = w->data;
  for (uint64_t e = 0; e < wn; e++) nw[e] = (float)(wd[e] * c.scale[out_channel(kind, w, (int64_t)e, group)]);
  for (int64_t o = 0; o < channels; o++) {
    double bo = b ? (double)((const float*)b->data)[o] * bias_scale : 0.0;
    nb[o] = (float)((bo * c.scale[o] + c.shift[o]) / bias_scale);
  }
  char name[512];
  snprintf(name, sizeof(name), "%s::bn_weight", g->nodes[bn_index].name);
  int64_t wdims[ROOF_MAX_RANK];
  memcpy(wdims, w->dims, sizeof(wdims));
  int wrank = w->rank;
  int wv = roof_edit_add_const(g, name, ROOF_DT_FLOAT, wrank, wdims, nw);
  snprintf(name, sizeof(name), "%s::bn_bias", g->nodes[bn_index].name);
  int bv = roof_edit_add_const(g, name, ROOF_DT_FLOAT, 1, &channels, nb);
  if (wv < 0 || bv < 0) {
    st = ROOF_E_NOMEM;
    goto done;
  }
  if ((st = roof_edit_set_input(g, pn, 1, wv)) != ROOF_OK) goto done;
  if ((st = roof_edit_set_input(g, pn, 2, bv)) != ROOF_OK) goto done;
  if ((st = roof_edit_take_output(g, pn, bn_index)) != ROOF_OK) goto done; /* the producer now writes BN's output */
  /* a clamp fused into the BN (pass activation) moves to the producer, whose own is the identity
   * (checked by the caller) */
  *(roof_act*)g->nodes[pn].params = ((const roof_bn_params*)g->nodes[bn_index].params)->act;
  *changed = true;
done:
  free(c.scale);
  free(c.shift);
  return st;
}

roof_status roof_pass_conv_bn(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int bn = g->order[oi];
    roof_node* b = &g->nodes[bn];
    if (!roof_node_is(b, ROOF_OP_BatchNormalization)) continue;
    const roof_value* x = roof_in(g, b, 0);
    if (x == NULL || x->producer < 0 || x->rank < 2) continue;
    int pn = x->producer;
    const roof_node* p = &g->nodes[pn];
    if (p->removed || p->outputs[0] != b->inputs[0] || !roof_edit_single_use(g, b->inputs[0], bn)) continue;
    /* a clamp already fused into the producer sits between it and the BN: folding is wrong */
    if (p->op && (p->op->flags & ROOF_OPF_FUSED_ACT) && !roof_act_is_identity((const roof_act*)p->params)) continue;
    prod_kind kind;
    /* a fused residual (pass residual) is added after the Conv: BN's scale would miss it */
    if (roof_node_is(p, ROOF_OP_Conv) && ((const roof_conv_params*)p->params)->residual) continue;
    if (roof_node_is(p, ROOF_OP_Conv)) kind = PROD_CONV;
    else if (roof_node_is(p, ROOF_OP_ConvTranspose)) kind = PROD_CONVT;
    else if (roof_node_is(p, ROOF_OP_Gemm)) {
      const roof_gemm_params* gp = p->params;
      kind = gp->trans_b ? PROD_GEMM_T : PROD_GEMM_N;
      if (x->rank != 2 || gp->trans_a) continue;
    } else continue;
    roof_status st = fold(g, pn, bn, kind, x->dims[1], changed);
    if (st != ROOF_OK) return roof_pass_fail(g, "conv_bn", bn, st, err);
  }
  return ROOF_OK;
}
