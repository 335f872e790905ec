/* Pass `hardswish`: x * HardSigmoid(x) with alpha 1/6 and beta 0.5 (how PyTorch exports
 * hardswish before opset 14) becomes one HardSwish kernel (XNNPACK's hardswish). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fused_act.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

extern const roof_op_desc roof_op_HardSwish;

static float attr_or(const roof_node* n, const char* name, float def) {
  const roof_attr* a = roof_node_attr(n, name);
  return a && a->type == ROOF_ATTR_FLOAT ? a->f : def;
}

roof_status roof_pass_hardswish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    roof_node* m = &g->nodes[mn];
    if (m->removed || m->domain[0] || strcmp(m->op_type, "Mul") != 0 || m->num_inputs != 2) continue;
    if (!roof_act_is_identity((const roof_act*)m->params)) continue; /* a clamp already fused into the Mul */
    for (int side = 0; side < 2; side++) {
      const roof_value* s = roof_in(g, m, side);
      int other = m->inputs[1 - side];
      if (s == NULL || s->producer < 0) continue;
      int hn = s->producer;
      roof_node* h = &g->nodes[hn];
      if (h->removed || strcmp(h->op_type, "HardSigmoid") != 0 || h->inputs[0] != other) continue;
      if (fabsf(attr_or(h, "alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f || fabsf(attr_or(h, "beta", 0.5f) - 0.5f) > 1e-6f) continue;
      if (!roof_edit_single_use(g, m->inputs[side], mn)) continue;
      /* the HardSigmoid node becomes the HardSwish and writes the Mul's output */
      if (roof_edit_retype(g, hn, "HardSwish", "", &roof_op_HardSwish, NULL) != ROOF_OK) {
        return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass hardswish", g->path);
      }
      roof_status st = roof_op_HardSwish.parse(g, h, h->params, err); /* params follow the new op type */
      if (st != ROOF_OK) return st;
      g->values[h->outputs[0]].producer = -1;
      h->outputs[0] = m->outputs[0];
      if (roof_edit_absorb(g, hn, mn) != ROOF_OK) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass hardswish", g->path);
      *changed = true;
      break;
    }
  }
  return ROOF_OK;
}
