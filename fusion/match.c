/* Pattern-matching helpers; see match.h. */
#include "match.h"

#include <string.h>

#include "fused_act.h"
#include "graph_edit.h"
#include "op.h"

int roof_match_only_reader(const roof_graph* g, int v) {
  int c[2];
  if (v < 0 || (g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) || roof_edit_consumers(g, v, c, 2) != 1) return -1;
  return roof_edit_single_use(g, v, c[0]) ? c[0] : -1;
}

int roof_match_other_slot(const roof_node* n, int v) {
  if (n->num_inputs != 2) return -1;
  return n->inputs[0] == v ? 1 : n->inputs[1] == v ? 0 : -1;
}

bool roof_match_scalar(const roof_graph* g, int v, double* out) {
  const roof_value* c = v >= 0 ? &g->values[v] : NULL;
  uint64_t n = 0;
  if (c == NULL || !(c->flags & ROOF_VAL_CONST) || c->data == NULL || !roof_value_count(c, &n) || n != 1) return false;
  switch (c->dtype) {
    case ROOF_DT_FLOAT: case ROOF_DT_DOUBLE: case ROOF_DT_INT32: case ROOF_DT_INT64: break;
    default: return false;
  }
  *out = roof_load_f64(c->dtype, c->data, 0);
  return true;
}

bool roof_match_plain(const roof_graph* g, int n, int op) {
  const roof_node* node = n >= 0 ? &g->nodes[n] : NULL;
  if (node == NULL || !roof_node_is(node, (roof_op_id)op) || node->num_outputs < 1 || node->outputs[0] < 0) return false;
  if (g->values[node->outputs[0]].dtype != ROOF_DT_FLOAT) return false;
  return !(node->op->flags & ROOF_OPF_FUSED_ACT) || roof_act_is_identity((const roof_act*)node->params);
}

bool roof_match_same_shape(const roof_graph* g, int a, int b) {
  const roof_value *x = &g->values[a], *y = &g->values[b];
  return x->rank == y->rank && memcmp(x->dims, y->dims, sizeof(int64_t) * (size_t)x->rank) == 0;
}
