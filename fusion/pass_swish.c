/* Pass `swish`: x * Sigmoid(x) (SiLU, EfficientNet's activation) becomes one Swish kernel. */
#include <stdlib.h>
#include <string.h>

#include "fused_act.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

extern const roof_op_desc roof_op_Swish;

roof_status roof_pass_swish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    roof_node* m = &g->nodes[mn];
    if (m->removed || m->domain[0] || strcmp(m->op_type, "Mul") != 0 || m->num_inputs != 2) continue;
    if (!roof_act_is_identity((const roof_act*)m->params)) continue; /* a clamp already fused into the Mul */
    for (int side = 0; side < 2; side++) {
      const roof_value* s = roof_in(g, m, side);
      if (s == NULL || s->producer < 0 || s->dtype != ROOF_DT_FLOAT) continue;
      int sn = s->producer;
      roof_node* sg = &g->nodes[sn];
      if (sg->removed || sg->domain[0] || strcmp(sg->op_type, "Sigmoid") != 0 || sg->inputs[0] != m->inputs[1 - side]) continue;
      if (!roof_edit_single_use(g, m->inputs[side], mn)) continue;
      if (roof_edit_retype(g, sn, "Swish", "ai.rooftop", &roof_op_Swish, NULL) != ROOF_OK) {
        return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass swish", g->path);
      }
      g->values[sg->outputs[0]].producer = -1;
      sg->outputs[0] = m->outputs[0];
      if (roof_edit_absorb(g, sn, mn) != ROOF_OK) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass swish", g->path);
      *changed = true;
      break;
    }
  }
  return ROOF_OK;
}
