/* If folding at load; see if_fold.h. */
#include "if_fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "../ops/op.h"

static roof_status nomem(const roof_graph* g, roof_error* err) {
  return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory folding an If", g->path);
}

/* Folds dormant node m and, when it is an If, the nodes of both its branches. The recursion is
 * as deep as the If nesting (bounded by the loader's nesting pre-scan). */
static roof_status fold_dormant(roof_graph* g, int m, const char* reason) {
  g->nodes[m].branch_of = 0;
  if (roof_graph_fold_node(g, m, ROOF_IF_FOLD_PASS, reason) != ROOF_OK) return ROOF_E_NOMEM;
  for (int k = 0; k < g->num_nodes; k++) {
    if (g->nodes[k].branch_of == m + 1 && fold_dormant(g, k, reason) != ROOF_OK) return ROOF_E_NOMEM;
  }
  return ROOF_OK;
}

roof_status roof_if_drop_branches(roof_graph* g, int node, roof_error* err) {
  for (int k = 0; k < g->num_nodes; k++) {
    if (g->nodes[k].branch_of == node + 1 && fold_dormant(g, k, "branch of an If not analysed") != ROOF_OK) {
      return nomem(g, err);
    }
  }
  return ROOF_OK;
}

/* Every read of value `from` (node inputs, nested branches' outputs) becomes a read of `to`. */
static void replace_uses(roof_graph* g, int from, int to) {
  for (int k = 0; k < g->num_nodes; k++) {
    roof_node* m = &g->nodes[k];
    for (int i = 0; i < m->num_inputs; i++) {
      if (m->inputs[i] == from) m->inputs[i] = to;
    }
    for (int a = 0; a < m->num_attrs; a++) {
      roof_attr* at = &m->attrs[a];
      for (size_t o = 0; at->type == ROOF_ATTR_GRAPH && o < at->n; o++) {
        if (at->ints[o] == from) at->ints[o] = to;
      }
    }
  }
}

/* The woken node that produces value v, or -1. */
static int woken_producer(const roof_graph* g, const int* woken, int num_woken, int v) {
  for (int w = 0; w < num_woken; w++) {
    const roof_node* m = &g->nodes[woken[w]];
    for (int o = 0; o < m->num_outputs; o++) {
      if (m->outputs[o] == v) return woken[w];
    }
  }
  return -1;
}

/* Branch output outs[o] becomes If output y: its producer writes y (later outputs naming the
 * same value then read y), or an Identity copies it to y (an outer value, an initializer, a
 * value already given to another If output). */
static roof_status connect_output(roof_graph* g, int node, int* outs, int num_out, int o, int y, const int* woken,
                                  int num_woken, roof_error* err) {
  int b = outs[o];
  bool given = false;
  for (int j = 0; j < o; j++) given = given || g->nodes[node].outputs[j] == b;
  int p = given ? -1 : woken_producer(g, woken, num_woken, b);
  if (p >= 0) {
    for (int k = 0; k < g->nodes[p].num_outputs; k++) {
      if (g->nodes[p].outputs[k] == b) g->nodes[p].outputs[k] = y;
    }
    replace_uses(g, b, y);
    for (int j = o + 1; j < num_out; j++) {
      if (outs[j] == b) outs[j] = y;
    }
    return ROOF_OK;
  }
  char name[ROOF_NAME_BUF * 2];
  snprintf(name, sizeof(name), "%s/out_%d", g->nodes[node].name, o);
  return roof_graph_add_node(g, name, "Identity", "", &b, 1, &y, 1) < 0 ? nomem(g, err) : ROOF_OK;
}

/* Wakes the taken branch's direct nodes (listed in *woken, malloc'ed) and folds the other's. */
static roof_status split_branches(roof_graph* g, int node, int take, int** woken, int* num_woken, roof_error* err) {
  static const char* const kNotTaken[2] = {"else_branch not taken: the If's condition is true at load",
                                           "then_branch not taken: the If's condition is false at load"};
  *woken = malloc(sizeof(int) * ((size_t)g->num_nodes + 1));
  if (*woken == NULL) return nomem(g, err);
  for (int k = 0; k < g->num_nodes; k++) {
    roof_node* m = &g->nodes[k];
    if (m->branch_of != node + 1) continue;
    if (m->branch != take) {
      if (fold_dormant(g, k, kNotTaken[take]) != ROOF_OK) return nomem(g, err);
      continue;
    }
    m->removed = false;
    m->branch_of = 0;
    (*woken)[(*num_woken)++] = k;
  }
  return ROOF_OK;
}

roof_status roof_if_fold(roof_graph* g, int node, roof_error* err) {
  static const char* const kReplaced[2] = {"replaced by its then_branch: the condition is true at load",
                                           "replaced by its else_branch: the condition is false at load"};
  char vb[ROOF_NAME_BUF];
  roof_node* n = &g->nodes[node];
  const roof_value* c = roof_in(g, n, 0);
  if (c->rank < 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input 0 has no known shape", ROOF_SAFE(c->name, vb));
  }
  roof_status st = n->op->infer(g, n, err);
  if (st != ROOF_OK) return st;
  int take = ((const uint8_t*)c->data)[0] ? 0 : 1;
  const roof_attr* a = roof_node_attr(n, take ? "else_branch" : "then_branch");
  int num_out = n->num_outputs, num_woken = 0;
  int* woken = NULL;
  int* outs = malloc(sizeof(int) * ((size_t)num_out + 1));
  st = outs ? ROOF_OK : nomem(g, err);
  for (int o = 0; st == ROOF_OK && o < num_out; o++) outs[o] = (int)a->ints[o];
  if (st == ROOF_OK) st = split_branches(g, node, take, &woken, &num_woken, err);
  for (int o = 0; st == ROOF_OK && o < num_out; o++) {
    int y = g->nodes[node].outputs[o];
    if (y >= 0) st = connect_output(g, node, outs, num_out, o, y, woken, num_woken, err); /* else nobody asked */
  }
  free(outs);
  free(woken);
  if (st == ROOF_OK && roof_graph_fold_node(g, node, ROOF_IF_FOLD_PASS, kReplaced[take]) != ROOF_OK) st = nomem(g, err);
  if (st == ROOF_OK) st = roof_graph_bind_ops(g, err);
  return st == ROOF_OK ? roof_graph_toposort(g, err) : st;
}
