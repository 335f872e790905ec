/* Graph-edit API; see graph_edit.h. */
#include "graph_edit.h"
#include "op.h"

#include <stdlib.h>
#include <string.h>

int roof_edit_consumers(const roof_graph* g, int v, int* out, int max) {
  int count = 0;
  for (int n = 0; n < g->num_nodes; n++) {
    const roof_node* node = &g->nodes[n];
    if (node->removed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] != v) continue;
      if (count < max) out[count] = n;
      count++;
      break;
    }
  }
  return count;
}

bool roof_edit_single_use(const roof_graph* g, int v, int n) {
  if (g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) return false;
  for (int k = 0; k < g->num_nodes; k++) {
    const roof_node* node = &g->nodes[k];
    if (node->removed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] == v && k != n) return false;
    }
  }
  int uses = 0;
  for (int i = 0; i < g->nodes[n].num_inputs; i++) uses += g->nodes[n].inputs[i] == v;
  return uses == 1;
}

void roof_edit_replace_uses(roof_graph* g, int from, int to) {
  for (int n = 0; n < g->num_nodes; n++) {
    roof_node* node = &g->nodes[n];
    if (node->removed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] == from) node->inputs[i] = to;
    }
  }
  for (int i = 0; i < g->num_outputs; i++) {
    if (g->outputs[i] == from) g->outputs[i] = to;
  }
}

roof_status roof_edit_set_input(roof_graph* g, int n, int i, int v) {
  roof_node* node = &g->nodes[n];
  if (i >= node->num_inputs) {
    int* in = realloc(node->inputs, sizeof(int) * (size_t)(i + 1));
    if (in == NULL) return ROOF_E_NOMEM;
    for (int k = node->num_inputs; k <= i; k++) in[k] = -1;
    node->inputs = in;
    node->num_inputs = i + 1;
  }
  node->inputs[i] = v;
  return ROOF_OK;
}

int roof_edit_add_const(roof_graph* g, const char* name, int dtype, int rank, const int64_t* dims, void* data) {
  /* dims may point into g->values (another value's shape), which adding a value may move */
  int64_t shape[ROOF_MAX_RANK];
  if (rank < 0 || rank > ROOF_MAX_RANK) {
    free(data);
    return -1;
  }
  if (rank > 0) memcpy(shape, dims, sizeof(int64_t) * (size_t)rank);
  int v = roof_graph_add_value(g, name);
  if (v < 0) {
    free(data);
    return -1;
  }
  roof_value* val = &g->values[v];
  roof_value_set_shape(val, dtype, rank, shape);
  uint64_t bytes = 0;
  roof_value_bytes(val, &bytes);
  val->data = data;
  val->nbytes = (size_t)bytes;
  val->flags = ROOF_VAL_CONST;
  return v;
}

roof_status roof_edit_absorb(roof_graph* g, int dst, int src) {
  roof_node* s = &g->nodes[src];
  for (int i = 0; i < s->num_fused_from; i++) {
    if (roof_node_add_fused_from(&g->nodes[dst], s->fused_from[i]) != ROOF_OK) return ROOF_E_NOMEM;
  }
  for (int i = 0; i < s->num_fused_from; i++) free(s->fused_from[i]);
  s->num_fused_from = 0;
  s->removed = true;
  return ROOF_OK;
}

bool roof_edit_bypass(roof_graph* g, int n, const char* pass, const char* reason, roof_status* st) {
  roof_node* node = &g->nodes[n];
  *st = ROOF_OK;
  if (node->num_inputs < 1 || node->inputs[0] < 0 || node->num_outputs < 1 || node->outputs[0] < 0) return false;
  for (int o = 1; o < node->num_outputs; o++) {
    if (node->outputs[o] >= 0 && roof_edit_consumers(g, node->outputs[o], NULL, 0) > 0) return false;
    if (node->outputs[o] >= 0 && (g->values[node->outputs[o]].flags & ROOF_VAL_GRAPH_OUTPUT)) return false;
  }
  int x = node->inputs[0], y = node->outputs[0];
  roof_value* xv = &g->values[x];
  roof_value* yv = &g->values[y];
  if (yv->flags & ROOF_VAL_GRAPH_OUTPUT) {
    /* The output keeps its name: x takes it, which is only safe when x is private. */
    if (xv->flags & (ROOF_VAL_GRAPH_INPUT | ROOF_VAL_GRAPH_OUTPUT | ROOF_VAL_CONST | ROOF_VAL_INITIALIZER)) return false;
    if (!roof_edit_single_use(g, x, n) && roof_edit_consumers(g, x, NULL, 0) != 1) return false;
    char* tmp = xv->name;
    xv->name = yv->name;
    yv->name = tmp;
    xv->flags |= ROOF_VAL_GRAPH_OUTPUT;
    yv->flags &= ~(uint32_t)ROOF_VAL_GRAPH_OUTPUT;
  }
  roof_edit_replace_uses(g, y, x);
  *st = roof_graph_fold_node(g, n, pass, reason);
  return *st == ROOF_OK;
}

roof_status roof_edit_retype(roof_graph* g, int n, int op, void* params) {
  const roof_op_schema* desc = roof_op_schema_of((roof_op_id)op);
  char* type = desc ? strdup(desc->op_type) : NULL;
  char* dom = desc ? strdup(desc->domain) : NULL;
  if (type == NULL || dom == NULL) {
    free(type);
    free(dom);
    return ROOF_E_NOMEM;
  }
  roof_node* node = &g->nodes[n];
  free(node->op_type);
  free(node->domain);
  node->op_type = type;
  node->domain = dom;
  node->op = desc;
  if (params) {
    free(node->params);
    node->params = params;
  }
  return ROOF_OK;
}

/* True when node n's outputs other than output 0 are absent or read by nobody. */
static bool extra_outputs_unused(const roof_graph* g, int n) {
  const roof_node* node = &g->nodes[n];
  for (int o = 1; o < node->num_outputs; o++) {
    int v = node->outputs[o];
    if (v < 0) continue;
    if ((g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) || roof_edit_consumers(g, v, NULL, 0) > 0) return false;
  }
  return true;
}

/* True when p and c are distinct live nodes and c is the only reader of p's output 0. */
static bool feeds_only(const roof_graph* g, int p, int c) {
  if (p < 0 || c < 0 || p == c || p >= g->num_nodes || c >= g->num_nodes) return false;
  const roof_node* pn = &g->nodes[p];
  if (pn->removed || g->nodes[c].removed || pn->num_outputs < 1 || pn->outputs[0] < 0) return false;
  return roof_edit_single_use(g, pn->outputs[0], c);
}

roof_status roof_edit_take_output(roof_graph* g, int p, int c) {
  if (!feeds_only(g, p, c) || g->nodes[c].num_outputs < 1 || g->nodes[c].outputs[0] < 0 || !extra_outputs_unused(g, c)) {
    return ROOF_E_INTERNAL;
  }
  int y = g->nodes[c].outputs[0];
  g->values[g->nodes[p].outputs[0]].producer = -1;
  g->nodes[p].outputs[0] = y;
  g->values[y].producer = p;
  return roof_edit_absorb(g, p, c);
}

roof_status roof_edit_take_input(roof_graph* g, int c, int slot) {
  if (c < 0 || c >= g->num_nodes || slot < 0 || slot >= g->nodes[c].num_inputs || g->nodes[c].inputs[slot] < 0) {
    return ROOF_E_INTERNAL;
  }
  int p = g->values[g->nodes[c].inputs[slot]].producer;
  if (!feeds_only(g, p, c) || g->nodes[p].num_inputs < 1 || g->nodes[p].inputs[0] < 0 || !extra_outputs_unused(g, p)) {
    return ROOF_E_INTERNAL;
  }
  g->values[g->nodes[c].inputs[slot]].producer = -1; /* read by nobody once p is gone */
  g->nodes[c].inputs[slot] = g->nodes[p].inputs[0];
  return roof_edit_absorb(g, c, p);
}

roof_status roof_edit_replace_chain(roof_graph* g, const int* chain, int count, int op, void* params, int keep_inputs) {
  bool ok = count >= 1 && chain[0] >= 0 && chain[0] < g->num_nodes && !g->nodes[chain[0]].removed && keep_inputs >= 0 &&
            keep_inputs <= g->nodes[chain[0]].num_inputs;
  for (int i = 1; ok && i < count; i++) {
    ok = feeds_only(g, chain[i - 1], chain[i]) && g->nodes[chain[i]].num_outputs >= 1 && g->nodes[chain[i]].outputs[0] >= 0 &&
         extra_outputs_unused(g, chain[i]);
  }
  if (!ok) {
    free(params);
    return ROOF_E_INTERNAL;
  }
  if (roof_edit_retype(g, chain[0], op, params) != ROOF_OK) {
    free(params);
    return ROOF_E_NOMEM;
  }
  g->nodes[chain[0]].num_inputs = keep_inputs; /* the dropped inputs are no longer read */
  for (int i = 1; i < count; i++) {
    roof_status st = roof_edit_take_output(g, chain[0], chain[i]);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}
