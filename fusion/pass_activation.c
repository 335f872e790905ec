/* Pass `activation`: folds Relu and Clip into the clamp of the op that feeds them (Conv,
 * ConvTranspose, Gemm, MatMul, Add/Sub/Mul/Div, pools, BatchNormalization: every op flagged
 * ROOF_OPF_FUSED_ACT),
 * which XNNPACK applies for free through output_min/output_max; and HardSigmoid after a Conv
 * or Gemm, by rescaling the weights and clamping to [0, 1]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activation_params.h"
#include "conv_params.h"
#include "fused_act.h"
#include "gemm_params.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

/* Clamp range of a Relu or Clip node (parsed params); false for other ops and for Clip bounds
 * known only at run time. */
static bool clamp_range(const roof_node* n, float* lo, float* hi) {
  if (!roof_node_is(n, ROOF_OP_Relu) && !roof_node_is(n, ROOF_OP_Clip)) return false;
  const roof_act_params* p = n->params;
  if (p->runtime_bounds) return false;
  *lo = p->min;
  *hi = p->max;
  return true;
}

/* Copy of constant value v with every element mapped to scale * x + shift; -1 on failure. */
static int scaled_copy(roof_graph* g, int v, float scale, float shift, const char* suffix) {
  const roof_value* src = &g->values[v];
  uint64_t n = 0;
  if (!roof_value_count(src, &n)) return -1;
  float* d = malloc(sizeof(float) * (n ? n : 1));
  if (d == NULL) return -1;
  for (uint64_t i = 0; i < n; i++) d[i] = scale * ((const float*)src->data)[i] + shift;
  char name[512];
  snprintf(name, sizeof(name), "%s::%s", src->name, suffix);
  int64_t dims[ROOF_MAX_RANK];
  memcpy(dims, src->dims, sizeof(dims));
  return roof_edit_add_const(g, name, ROOF_DT_FLOAT, src->rank, dims, d);
}

/* HardSigmoid y = clamp(alpha * x + beta, 0, 1) after a Conv or Gemm with constant weights:
 * scale the weights by alpha, map the bias to alpha * b + beta, clamp to [0, 1]. */
static roof_status fold_hardsigmoid(roof_graph* g, int hn, bool* changed) {
  roof_node* h = &g->nodes[hn];
  const roof_value* x = roof_in(g, h, 0);
  if (!x || x->producer < 0) return ROOF_OK;
  int pn = x->producer;
  roof_node* p = &g->nodes[pn];
  bool conv = roof_node_is(p, ROOF_OP_Conv), gemm = roof_node_is(p, ROOF_OP_Gemm);
  const roof_act_params* hp = h->params;
  float alpha = hp->alpha, beta = hp->beta;
  float gbeta = gemm ? ((const roof_gemm_params*)p->params)->beta : 1.0f;
  const roof_value* w = roof_in(g, p, 1);
  const roof_value* b = roof_in(g, p, 2);
  if (!(conv || gemm) || !(alpha > 0.0f) || gbeta == 0.0f) return ROOF_OK;
  /* a fused residual would escape the weights' scale */
  if (conv && ((const roof_conv_params*)p->params)->residual) return ROOF_OK;
  if (!w || !w->data || !(w->flags & ROOF_VAL_CONST) || (b && !(b->data && (b->flags & ROOF_VAL_CONST)))) return ROOF_OK;
  if (!roof_act_is_identity((const roof_act*)p->params) || !roof_edit_single_use(g, h->inputs[0], hn)) return ROOF_OK;
  int wv = scaled_copy(g, p->inputs[1], alpha, 0.0f, "hardsigmoid");
  int bv;
  if (b) {
    bv = scaled_copy(g, g->nodes[pn].inputs[2], alpha, beta / gbeta, "hardsigmoid");
  } else { /* no bias: one of beta per output channel (Conv) or column (Gemm) */
    const roof_value* y = &g->values[g->nodes[pn].outputs[0]];
    int64_t n = y->dims[conv ? 1 : y->rank - 1];
    float* d = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int64_t i = 0; d && i < n; i++) d[i] = beta / gbeta;
    bv = d ? roof_edit_add_const(g, "hardsigmoid::bias", ROOF_DT_FLOAT, 1, &n, d) : -1;
  }
  if (wv < 0 || bv < 0 || roof_edit_set_input(g, pn, 1, wv) != ROOF_OK || roof_edit_set_input(g, pn, 2, bv) != ROOF_OK) {
    return ROOF_E_NOMEM;
  }
  roof_status st = roof_edit_take_output(g, pn, hn);
  if (st != ROOF_OK) return st;
  roof_act* act = g->nodes[pn].params;
  act->min = 0.0f;
  act->max = 1.0f;
  *changed = true;
  return ROOF_OK;
}

roof_status roof_pass_activation(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int an = g->order[oi];
    roof_node* a = &g->nodes[an];
    float lo, hi;
    if (roof_node_is(a, ROOF_OP_HardSigmoid)) {
      roof_status st = fold_hardsigmoid(g, an, changed);
      if (st != ROOF_OK) return roof_pass_fail(g, "activation", an, st, err);
      continue;
    }
    if (!clamp_range(a, &lo, &hi)) continue;
    const roof_value* x = roof_in(g, a, 0);
    if (x == NULL || x->dtype != ROOF_DT_FLOAT || x->producer < 0) continue;
    int pn = x->producer;
    roof_node* p = &g->nodes[pn];
    if (p->removed || !p->op || !(p->op->flags & ROOF_OPF_FUSED_ACT) || p->outputs[0] != a->inputs[0]) continue;
    if (!roof_edit_single_use(g, a->inputs[0], an)) continue;
    roof_status st = roof_edit_take_output(g, pn, an);
    if (st != ROOF_OK) return roof_pass_fail(g, "activation", an, st, err);
    roof_act* act = g->nodes[pn].params; /* first member by contract (fused_act.h) */
    act->min = fmaxf(act->min, lo);
    act->max = fminf(act->max, hi);
    *changed = true;
  }
  return ROOF_OK;
}
