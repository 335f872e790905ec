/* Pass `layer_norm`: LayerNorm as exports below opset 17 spell it,
 *   m = ReduceMean(x, last axis); d = x - m; v = ReduceMean(d^2) (Pow(d, 2) or d * d);
 *   n = d / Sqrt(v + eps) (or d * Reciprocal(Sqrt(v + eps))); [y = n * gamma] [+ beta]
 * becomes one LayerNormalization layer over the last axis (ops/layer_norm.c, created whatever
 * the model's opset), epsilon read from the constant. Every intermediate must have no reader
 * outside the pattern; gamma and beta must be constants of one value or one row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "graph_edit.h"
#include "layer_norm_params.h"
#include "match.h"
#include "op.h"
#include "reduce_params.h"

/* The nodes of one match. */
typedef struct ln_match {
  int r1, sub, sq, r2, add, sqrt, recip, norm, mul, bias; /* -1: absent (recip, mul, bias) */
  int x, gamma, beta;                                     /* values; -1 when absent */
  double eps;
} ln_match;

/* ReduceMean node n reduces its input over the last axis alone and keeps dims. */
static bool mean_last(const roof_graph* g, int n) {
  if (!roof_match_plain(g, n, ROOF_OP_ReduceMean)) return false;
  const roof_reduce_params* p = g->nodes[n].params;
  const roof_value* x = roof_in(g, &g->nodes[n], 0);
  if (x == NULL || x->rank < 1 || !p->keepdims) return false;
  for (int d = 0; d < x->rank; d++) {
    if (p->reduce[d] != (d == x->rank - 1)) return false;
  }
  return true;
}

/* d^2 by node n: Pow(d, 2) or Mul(d, d). */
static bool is_square(const roof_graph* g, int n, int d) {
  const roof_node* node = &g->nodes[n];
  double e;
  if (roof_match_plain(g, n, ROOF_OP_Mul)) return node->inputs[0] == d && node->inputs[1] == d;
  return roof_match_plain(g, n, ROOF_OP_Pow) && node->num_inputs == 2 && node->inputs[0] == d &&
         roof_match_scalar(g, node->inputs[1], &e) && e == 2.0;
}

/* Constant v (float32) of one value or one row of `row` values along the last axis of a
 * rank <= `rank` shape. */
static bool row_const(const roof_graph* g, int v, int rank, int64_t row) {
  const roof_value* c = &g->values[v];
  uint64_t n = 0;
  if (!(c->flags & ROOF_VAL_CONST) || c->data == NULL || c->dtype != ROOF_DT_FLOAT || c->rank > rank) return false;
  if (!roof_value_count(c, &n) || (n != 1 && n != (uint64_t)row)) return false;
  return n == 1 || c->dims[c->rank - 1] == row;
}

/* Optional affine tail after node `at` (writing value y of x's shape): Mul by gamma, Add of
 * beta. Records what it finds in mt. */
static void match_affine(const roof_graph* g, ln_match* mt, int at) {
  const roof_value* x = &g->values[mt->x];
  int64_t row = x->dims[x->rank - 1];
  int y = g->nodes[at].outputs[0];
  int c = roof_match_only_reader(g, y);
  int s = c >= 0 ? roof_match_other_slot(&g->nodes[c], y) : -1;
  if (s >= 0 && roof_match_plain(g, c, ROOF_OP_Mul) && row_const(g, g->nodes[c].inputs[s], x->rank, row) &&
      roof_match_same_shape(g, g->nodes[c].outputs[0], mt->x)) {
    mt->mul = c, mt->gamma = g->nodes[c].inputs[s];
    y = g->nodes[c].outputs[0];
    c = roof_match_only_reader(g, y);
    s = c >= 0 ? roof_match_other_slot(&g->nodes[c], y) : -1;
  }
  if (s >= 0 && roof_match_plain(g, c, ROOF_OP_Add) && row_const(g, g->nodes[c].inputs[s], x->rank, row) &&
      roof_match_same_shape(g, g->nodes[c].outputs[0], mt->x)) {
    mt->bias = c, mt->beta = g->nodes[c].inputs[s];
  }
}

/* d / sqrt or d * Reciprocal(sqrt): the normalizing node reading d and the Sqrt's output. */
static bool match_norm(const roof_graph* g, ln_match* mt, int d) {
  int s = g->nodes[mt->sqrt].outputs[0];
  int c = roof_match_only_reader(g, s);
  if (c >= 0 && roof_match_plain(g, c, ROOF_OP_Reciprocal)) {
    mt->recip = c;
    s = g->nodes[c].outputs[0];
    c = roof_match_only_reader(g, s);
    if (c < 0 || !roof_match_plain(g, c, ROOF_OP_Mul) || roof_match_other_slot(&g->nodes[c], s) < 0) return false;
  } else if (c < 0 || !roof_match_plain(g, c, ROOF_OP_Div) || g->nodes[c].inputs[0] != d || g->nodes[c].inputs[1] != s) {
    return false;
  }
  mt->norm = c;
  return roof_match_other_slot(&g->nodes[c], s) >= 0 && g->nodes[c].inputs[roof_match_other_slot(&g->nodes[c], s)] == d &&
         roof_match_same_shape(g, g->nodes[c].outputs[0], mt->x);
}

/* x - mean(x): the Sub reading ReduceMean r1's output, and the two readers of its output. */
static bool match_center(const roof_graph* g, ln_match* mt, int* d) {
  int m = g->nodes[mt->r1].outputs[0];
  mt->sub = roof_match_only_reader(g, m);
  if (mt->sub < 0 || !roof_match_plain(g, mt->sub, ROOF_OP_Sub)) return false;
  const roof_node* s = &g->nodes[mt->sub];
  *d = s->outputs[0];
  int c[3];
  if (s->inputs[0] != mt->x || s->inputs[1] != m || !roof_match_same_shape(g, *d, mt->x)) return false;
  if ((g->values[*d].flags & ROOF_VAL_GRAPH_OUTPUT) || roof_edit_consumers(g, *d, c, 3) != 2) return false;
  mt->sq = is_square(g, c[0], *d) ? c[0] : is_square(g, c[1], *d) ? c[1] : -1;
  return mt->sq >= 0;
}

/* The whole pattern from its first ReduceMean r1; false when any part is missing. */
static bool match(const roof_graph* g, int r1, ln_match* mt) {
  memset(mt, 0xff, sizeof(*mt)); /* every index -1 */
  mt->r1 = r1;
  mt->x = g->nodes[r1].inputs[0];
  int d = -1;
  if (!mean_last(g, r1) || g->values[mt->x].dtype != ROOF_DT_FLOAT || !match_center(g, mt, &d)) return false;
  mt->r2 = roof_match_only_reader(g, g->nodes[mt->sq].outputs[0]);
  if (mt->r2 < 0 || !mean_last(g, mt->r2)) return false;
  int vm = g->nodes[mt->r2].outputs[0];
  mt->add = roof_match_only_reader(g, vm);
  int es = mt->add >= 0 ? roof_match_other_slot(&g->nodes[mt->add], vm) : -1;
  if (es < 0 || !roof_match_plain(g, mt->add, ROOF_OP_Add) || !roof_match_scalar(g, g->nodes[mt->add].inputs[es], &mt->eps) ||
      !(mt->eps >= 0.0)) {
    return false;
  }
  mt->sqrt = roof_match_only_reader(g, g->nodes[mt->add].outputs[0]);
  if (mt->sqrt < 0 || !roof_match_plain(g, mt->sqrt, ROOF_OP_Sqrt) || !match_norm(g, mt, d)) return false;
  match_affine(g, mt, mt->norm);
  return true;
}

/* A float32 constant [count] named after value `base`: the values of constant v, or `fill`
 * everywhere when v < 0. */
static int row_value(roof_graph* g, int base, int v, int64_t count, float fill, const char* suffix) {
  float* d = malloc(sizeof(float) * (size_t)(count ? count : 1));
  if (d == NULL) return -1;
  for (int64_t i = 0; i < count; i++) d[i] = v >= 0 ? ((const float*)g->values[v].data)[i] : fill;
  char name[512];
  snprintf(name, sizeof(name), "%s::%s", g->values[base].name, suffix);
  return roof_edit_add_const(g, name, ROOF_DT_FLOAT, 1, &count, d);
}

/* gamma as LayerNormalization takes it: [row] or one value; ones when absent. */
static int scale_input(roof_graph* g, const ln_match* mt, int64_t row) {
  if (mt->gamma < 0) return row_value(g, mt->x, -1, row, 1.0f, "layer_norm_ones");
  const roof_value* c = &g->values[mt->gamma];
  if (c->rank <= 1) return mt->gamma;
  uint64_t n = 0;
  roof_value_count(c, &n);
  return row_value(g, mt->gamma, mt->gamma, (int64_t)n, 0.0f, "layer_norm_row");
}

static int bias_input(roof_graph* g, const ln_match* mt) {
  if (mt->beta < 0 || g->values[mt->beta].rank <= 1) return mt->beta;
  uint64_t n = 0;
  roof_value_count(&g->values[mt->beta], &n);
  return row_value(g, mt->beta, mt->beta, (int64_t)n, 0.0f, "layer_norm_row");
}

static roof_status rewrite(roof_graph* g, const ln_match* mt) {
  const roof_value* x = &g->values[mt->x];
  int64_t row = x->dims[x->rank - 1];
  uint64_t count = 0;
  roof_value_count(x, &count);
  roof_ln_params* p = calloc(1, sizeof(*p));
  if (p == NULL) return ROOF_E_NOMEM;
  *p = (roof_ln_params){.axis = x->rank - 1, .epsilon = (float)mt->eps, .outer = row ? (int64_t)count / row : 0, .inner = row};
  int sc = scale_input(g, mt, row), bi = bias_input(g, mt);
  if (sc < 0 || (mt->beta >= 0 && bi < 0)) {
    free(p);
    return ROOF_E_NOMEM;
  }
  int chain[3] = {mt->norm}, len = 1;
  if (mt->mul >= 0) chain[len++] = mt->mul;
  if (mt->bias >= 0) chain[len++] = mt->bias;
  roof_status st = roof_edit_replace_chain(g, chain, len, ROOF_OP_LayerNormalization, p, 0);
  if (st == ROOF_OK) st = roof_edit_set_input(g, mt->norm, 0, mt->x);
  if (st == ROOF_OK) st = roof_edit_set_input(g, mt->norm, 1, sc);
  if (st == ROOF_OK && bi >= 0) st = roof_edit_set_input(g, mt->norm, 2, bi);
  const int absorbed[7] = {mt->r1, mt->sub, mt->sq, mt->r2, mt->add, mt->sqrt, mt->recip};
  for (int i = 0; i < 7 && st == ROOF_OK; i++) {
    if (absorbed[i] >= 0) st = roof_edit_absorb(g, mt->norm, absorbed[i]);
  }
  return st;
}

roof_status roof_pass_layer_norm(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int r1 = g->order[oi];
    ln_match mt;
    if (!roof_node_is(&g->nodes[r1], ROOF_OP_ReduceMean) || !match(g, r1, &mt)) continue;
    roof_status st = rewrite(g, &mt);
    if (st != ROOF_OK) return roof_pass_fail(g, "layer_norm", r1, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
