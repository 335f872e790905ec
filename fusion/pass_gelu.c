/* Pass `gelu`: the Erf form of GELU as PyTorch exports nn.GELU, x / sqrt(2) (or x * 1/sqrt(2))
 * -> Erf -> + 1 -> * x -> * 0.5, with the halving after the product by x or applied to x before
 * it, becomes one Gelu layer (ops/gelu.c). */
#include <math.h>
#include <stdlib.h>

#include "fusion.h"
#include "gelu_params.h"
#include "graph_edit.h"
#include "op.h"

/* v is a constant float32 scalar within 1e-4 (relative) of `want`. */
static bool const_near(const roof_graph* g, int v, double want) {
  const roof_value* c = v >= 0 ? &g->values[v] : NULL;
  uint64_t n = 0;
  if (c == NULL || !(c->flags & ROOF_VAL_CONST) || c->data == NULL || c->dtype != ROOF_DT_FLOAT) return false;
  if (!roof_value_count(c, &n) || n != 1) return false;
  return fabs(*(const float*)c->data - want) <= 1e-4 * fabs(want);
}

/* The node reading value v, when it is the only reader (once) and v is no graph output. */
static int only_reader(const roof_graph* g, int v) {
  int c[2];
  if (v < 0 || (g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) || roof_edit_consumers(g, v, c, 2) != 1) return -1;
  return roof_edit_single_use(g, v, c[0]) ? c[0] : -1;
}

/* For a two-input node n reading v: the slot of its other input, or -1. */
static int other_slot(const roof_node* n, int v) {
  if (n->num_inputs != 2) return -1;
  return n->inputs[0] == v ? 1 : n->inputs[1] == v ? 0 : -1;
}

/* x * 0.5 or 0.5 * x by node h; the value multiplied (x) in *x, or false. */
static bool is_half_of(const roof_graph* g, int h, int x) {
  const roof_node* n = &g->nodes[h];
  int s = roof_node_is(n, ROOF_OP_Mul) ? other_slot(n, x) : -1;
  return s >= 0 && const_near(g, n->inputs[s], 0.5);
}

/* The Gelu chain around Erf node e: chain[] (d, e, a, m1[, m2]) and, when x was halved before
 * the product, that halving node in *h (else -1). Returns the chain length, 0 when no match. */
static int match(const roof_graph* g, int e, int* chain, int* h) {
  const roof_node* en = &g->nodes[e];
  const roof_value* dv = roof_in(g, en, 0);
  if (dv == NULL || dv->producer < 0) return 0;
  int d = dv->producer;
  const roof_node* dn = &g->nodes[d];
  int x = dn->num_inputs == 2 ? dn->inputs[0] : -1;
  bool scaled = (roof_node_is(dn, ROOF_OP_Div) && const_near(g, dn->inputs[1], 1.4142135623730951)) ||
                (roof_node_is(dn, ROOF_OP_Mul) && const_near(g, dn->inputs[1], 0.7071067811865476));
  if (!scaled || x < 0 || g->values[x].dtype != ROOF_DT_FLOAT || only_reader(g, dn->outputs[0]) != e) return 0;
  int a = only_reader(g, en->outputs[0]);
  if (a < 0 || !roof_node_is(&g->nodes[a], ROOF_OP_Add)) return 0;
  int s = other_slot(&g->nodes[a], en->outputs[0]);
  if (s < 0 || !const_near(g, g->nodes[a].inputs[s], 1.0)) return 0;
  int m1 = only_reader(g, g->nodes[a].outputs[0]);
  if (m1 < 0 || !roof_node_is(&g->nodes[m1], ROOF_OP_Mul)) return 0;
  int ms = other_slot(&g->nodes[m1], g->nodes[a].outputs[0]);
  if (ms < 0) return 0;
  int other = g->nodes[m1].inputs[ms];
  chain[0] = d, chain[1] = e, chain[2] = a, chain[3] = m1;
  *h = -1;
  if (other == x) { /* (x * (1 + erf)) * 0.5 */
    int m2 = only_reader(g, g->nodes[m1].outputs[0]);
    if (m2 < 0 || !is_half_of(g, m2, g->nodes[m1].outputs[0])) return 0;
    chain[4] = m2;
    return 5;
  }
  int hp = other >= 0 ? g->values[other].producer : -1; /* (x * 0.5) * (1 + erf) */
  if (hp < 0 || !is_half_of(g, hp, x) || only_reader(g, other) != m1) return 0;
  *h = hp;
  return 4;
}

roof_status roof_pass_gelu(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int e = g->order[oi], chain[5], h = -1;
    if (!roof_node_is(&g->nodes[e], ROOF_OP_Erf)) continue;
    int len = match(g, e, chain, &h);
    if (len == 0) continue;
    roof_gelu_params* p = calloc(1, sizeof(*p));
    roof_status st = p ? roof_edit_replace_chain(g, chain, len, ROOF_OP_Gelu, p, 1) : ROOF_E_NOMEM;
    if (st == ROOF_OK && h >= 0) st = roof_edit_absorb(g, chain[0], h);
    if (st != ROOF_OK) return roof_pass_fail(g, "gelu", e, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
