/* Pass `attention`: scaled dot-product attention,
 *   MatMul(Q, K^T) -> Mul/Div by a constant scalar -> [Add mask] -> Softmax(last axis) -> MatMul(., V)
 * becomes one Attention layer (ai.rooftop, ops/attention.c). The scale may also sit on Q or on
 * K^T before the product (PyTorch's exports divide Q), or be absent. Transposes feeding Q, K^T
 * or V and the one after the output are absorbed when the block is their only reader: the
 * kernel reads them as permuted views (K is read untransposed). The mask, constant or not,
 * must broadcast to the scores without enlarging them. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "attention_params.h"
#include "fusion.h"
#include "graph_edit.h"
#include "match.h"
#include "movement_params.h"
#include "op.h"
#include "softmax_params.h"

typedef struct attn_match {
  int mm1, scale, add, sm, mm2, out_t;  /* the chain; -1 when absent (scale, add, out_t) */
  int q_scale, q_t, k_scale, k_t, v_t;  /* absorbed producers of the operands; -1 when absent */
  int q, k, v, mask;                    /* the values the Attention node reads (mask -1: none) */
  double scale_value;
  roof_attention_params p;
} attn_match;

/* Node n (Mul by a constant scalar, or Div by one) reading value v: the factor it applies in
 * *f. False for anything else, a zero or non-finite constant included. */
static bool scales(const roof_graph* g, int n, int v, double* f) {
  const roof_node* node = &g->nodes[n];
  int s = roof_match_other_slot(node, v);
  double c;
  if (s < 0 || !roof_match_scalar(g, node->inputs[s], &c) || !isfinite(c) || c == 0.0) return false;
  if (roof_match_plain(g, n, ROOF_OP_Mul)) *f = c;
  else if (roof_match_plain(g, n, ROOF_OP_Div) && s == 1) *f = 1.0 / c;
  else return false;
  return true;
}

/* Value *v read by node `reader` (its only reader): when *v is a constant scaling of another
 * value read only there, steps back over it (node in *absorbed, factor into *f). */
static void through_scale(const roof_graph* g, int* v, int reader, int* absorbed, double* f) {
  int p = g->values[*v].producer;
  double c;
  if (p < 0 || roof_match_only_reader(g, *v) != reader || g->nodes[p].num_inputs != 2) return;
  for (int s = 0; s < 2; s++) {
    int x = g->nodes[p].inputs[s];
    if (x >= 0 && g->values[x].dtype == ROOF_DT_FLOAT && !(g->values[x].flags & ROOF_VAL_CONST) && scales(g, p, x, &c)) {
      *absorbed = p, *v = x, *f *= c;
      return;
    }
  }
}

/* Value *v read only by node `reader`: when a Transpose read only there writes it, steps back
 * to the Transpose's input (node in *absorbed, its perm copied to perm). */
static void through_transpose(const roof_graph* g, int* v, int reader, int* absorbed, int64_t* perm) {
  int p = g->values[*v].producer;
  if (p < 0 || !roof_node_is(&g->nodes[p], ROOF_OP_Transpose) || roof_match_only_reader(g, *v) != reader) return;
  const roof_transpose_params* tp = g->nodes[p].params;
  if ((int)tp->num_perm != g->values[*v].rank) return;
  memcpy(perm, tp->perm, sizeof(int64_t) * tp->num_perm);
  *absorbed = p, *v = g->nodes[p].inputs[0];
}

/* Scores value sv (Softmax input or one Add operand) read by `reader`: the MatMul's output,
 * possibly through a constant scaling. */
static bool match_scores(const roof_graph* g, attn_match* mt, int sv, int reader) {
  int sc = -1;
  double f = 1.0;
  through_scale(g, &sv, reader, &sc, &f);
  if (sc >= 0) reader = sc;
  int p = g->values[sv].producer;
  if (p < 0 || !roof_match_plain(g, p, ROOF_OP_MatMul) || roof_match_only_reader(g, sv) != reader) return false;
  mt->scale = sc, mt->mm1 = p;
  mt->scale_value *= f;
  return true;
}

/* Softmax input: the scores, or scores + mask. */
static bool match_front(const roof_graph* g, attn_match* mt) {
  int x = g->nodes[mt->sm].inputs[0];
  int a = g->values[x].producer;
  if (a < 0 || !roof_match_plain(g, a, ROOF_OP_Add) || roof_match_only_reader(g, x) != mt->sm) {
    return match_scores(g, mt, x, mt->sm);
  }
  for (int s = 0; s < 2; s++) {
    int sv = g->nodes[a].inputs[s], mv = g->nodes[a].inputs[1 - s];
    if (sv < 0 || mv < 0 || g->values[mv].dtype != ROOF_DT_FLOAT || !roof_match_same_shape(g, sv, x)) continue;
    if (match_scores(g, mt, sv, a)) {
      mt->add = a, mt->mask = mv;
      return true;
    }
  }
  return false;
}

/* Logical operand shapes agree: Q [B.., T, d], K [B.., S, d], V [B.., S, dv]. */
static bool shapes_agree(const roof_graph* g, const attn_match* mt) {
  const int vals[3] = {mt->q, mt->k, mt->v};
  int64_t d[3][ROOF_MAX_RANK];
  int r = g->values[mt->q].rank;
  for (int i = 0; i < 3; i++) {
    const roof_value* v = &g->values[vals[i]];
    if (v->rank != r || v->dtype != ROOF_DT_FLOAT) return false;
    for (int a = 0; a < r; a++) d[i][a] = v->dims[mt->p.perm[i][a]];
  }
  for (int a = 0; a < r - 2; a++) {
    if (d[0][a] != d[1][a] || d[1][a] != d[2][a]) return false;
  }
  return d[0][r - 1] == d[1][r - 1] && d[1][r - 2] == d[2][r - 2];
}

static void identity(int64_t* perm, int r) {
  for (int a = 0; a < r; a++) perm[a] = a;
}

/* Operands through their absorbable scales and Transposes; K^T read back as K. */
static bool match_operands(const roof_graph* g, attn_match* mt) {
  const roof_node *m1 = &g->nodes[mt->mm1], *m2 = &g->nodes[mt->mm2];
  int r = g->values[m1->outputs[0]].rank;
  if (r < 2 || m1->num_inputs != 2 || m2->num_inputs != 2 || g->values[m1->inputs[0]].rank != r ||
      g->values[m1->inputs[1]].rank != r || g->values[m2->inputs[1]].rank != r) {
    return false;
  }
  mt->q = m1->inputs[0], mt->k = m1->inputs[1], mt->v = m2->inputs[1];
  for (int i = 0; i < 3; i++) identity(mt->p.perm[i], r);
  identity(mt->p.out_perm, r);
  through_scale(g, &mt->q, mt->mm1, &mt->q_scale, &mt->scale_value);
  through_transpose(g, &mt->q, mt->q_scale >= 0 ? mt->q_scale : mt->mm1, &mt->q_t, mt->p.perm[0]);
  through_scale(g, &mt->k, mt->mm1, &mt->k_scale, &mt->scale_value);
  through_transpose(g, &mt->k, mt->k_scale >= 0 ? mt->k_scale : mt->mm1, &mt->k_t, mt->p.perm[1]);
  int64_t t = mt->p.perm[1][r - 1]; /* K^T = Transpose(X, P): K = Transpose(X, P with its last two swapped) */
  mt->p.perm[1][r - 1] = mt->p.perm[1][r - 2];
  mt->p.perm[1][r - 2] = t;
  through_transpose(g, &mt->v, mt->mm2, &mt->v_t, mt->p.perm[2]);
  return shapes_agree(g, mt);
}

/* The block around Softmax node sm. */
static bool match(const roof_graph* g, int sm, attn_match* mt) {
  memset(mt, 0xff, offsetof(attn_match, scale_value)); /* every index -1 */
  memset(&mt->p, 0, sizeof(mt->p));
  mt->sm = sm;
  mt->scale_value = 1.0;
  if (!roof_match_plain(g, sm, ROOF_OP_Softmax)) return false;
  const roof_value* x = roof_in(g, &g->nodes[sm], 0);
  const roof_softmax_params* sp = g->nodes[sm].params;
  if (x == NULL || x->rank < 2 || sp->axis != x->rank - 1) return false;
  int pv = g->nodes[sm].outputs[0];
  mt->mm2 = roof_match_only_reader(g, pv);
  if (mt->mm2 < 0 || !roof_match_plain(g, mt->mm2, ROOF_OP_MatMul) || g->nodes[mt->mm2].inputs[0] != pv) return false;
  if (!match_front(g, mt) || !match_operands(g, mt)) return false;
  int y = g->nodes[mt->mm2].outputs[0], t = roof_match_only_reader(g, y);
  if (t >= 0 && roof_node_is(&g->nodes[t], ROOF_OP_Transpose)) {
    const roof_transpose_params* tp = g->nodes[t].params;
    if ((int)tp->num_perm == g->values[y].rank) {
      mt->out_t = t;
      memcpy(mt->p.out_perm, tp->perm, sizeof(int64_t) * tp->num_perm);
    }
  }
  mt->p.scale = (float)mt->scale_value;
  mt->p.has_perms = true;
  return isfinite(mt->p.scale) && mt->p.scale != 0.0f;
}

static roof_status rewrite(roof_graph* g, const attn_match* mt) {
  roof_attention_params* p = malloc(sizeof(*p));
  if (p == NULL) return ROOF_E_NOMEM;
  *p = mt->p;
  int chain[6], len = 0;
  const int links[6] = {mt->mm1, mt->scale, mt->add, mt->sm, mt->mm2, mt->out_t};
  for (int i = 0; i < 6; i++) {
    if (links[i] >= 0) chain[len++] = links[i];
  }
  roof_status st = roof_edit_replace_chain(g, chain, len, ROOF_OP_Attention, p, 0);
  const int ins[4] = {mt->q, mt->k, mt->v, mt->mask};
  for (int i = 0; i < 4 && st == ROOF_OK; i++) {
    if (ins[i] >= 0) st = roof_edit_set_input(g, mt->mm1, i, ins[i]);
  }
  const int absorbed[5] = {mt->q_scale, mt->q_t, mt->k_scale, mt->k_t, mt->v_t};
  for (int i = 0; i < 5 && st == ROOF_OK; i++) {
    if (absorbed[i] >= 0) st = roof_edit_absorb(g, mt->mm1, absorbed[i]);
  }
  return st;
}

roof_status roof_pass_attention(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int sm = g->order[oi];
    attn_match mt;
    if (!roof_node_is(&g->nodes[sm], ROOF_OP_Softmax) || !match(g, sm, &mt)) continue;
    roof_status st = rewrite(g, &mt);
    if (st != ROOF_OK) return roof_pass_fail(g, "attention", sm, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
