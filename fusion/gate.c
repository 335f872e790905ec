/* The x * GATE(x) pattern shared by the swish and hardswish passes. */
#include "fused_act.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

int roof_match_self_gate(const roof_graph* g, int mn, int gate_op) {
  const roof_node* m = &g->nodes[mn];
  if (!roof_node_is(m, ROOF_OP_Mul) || m->num_inputs != 2) return -1;
  if (!roof_act_is_identity((const roof_act*)m->params)) return -1; /* a clamp already fused into the Mul */
  for (int side = 0; side < 2; side++) {
    const roof_value* s = roof_in(g, m, side);
    if (s == NULL || s->producer < 0 || s->dtype != ROOF_DT_FLOAT) continue;
    const roof_node* gate = &g->nodes[s->producer];
    if (!roof_node_is(gate, (roof_op_id)gate_op)) continue;
    if (gate->inputs[0] != m->inputs[1 - side] || !roof_edit_single_use(g, m->inputs[side], mn)) continue;
    return s->producer;
  }
  return -1;
}

roof_status roof_merge_gate(roof_graph* g, int gn, int mn, int op) {
  roof_status st = roof_edit_take_output(g, gn, mn); /* the gate node now writes the Mul's output */
  return st == ROOF_OK ? roof_edit_retype(g, gn, op, NULL) : st;
}
