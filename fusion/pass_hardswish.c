/* Pass `hardswish`: x * HardSigmoid(x) with alpha 1/6 and beta 0.5 (how PyTorch exports
 * hardswish before opset 14) becomes one HardSwish kernel (XNNPACK's hardswish). */
#include <math.h>

#include "fusion.h"
#include "op.h"

extern const roof_op_desc roof_op_HardSwish;

static float attr_or(const roof_node* n, const char* name, float def) {
  const roof_attr* a = roof_node_attr(n, name);
  return a && a->type == ROOF_ATTR_FLOAT ? a->f : def;
}

roof_status roof_pass_hardswish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    int hn = roof_match_self_gate(g, mn, "HardSigmoid");
    if (hn < 0) continue;
    const roof_node* h = &g->nodes[hn];
    if (fabsf(attr_or(h, "alpha", 0.2f) - 1.0f / 6.0f) > 1e-6f || fabsf(attr_or(h, "beta", 0.5f) - 0.5f) > 1e-6f) continue;
    if (roof_merge_gate(g, hn, mn, "HardSwish", "", &roof_op_HardSwish) != ROOF_OK) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass hardswish", g->path);
    }
    roof_node* hs = &g->nodes[hn];
    roof_status st = roof_op_HardSwish.parse(g, hs, hs->params, err); /* params follow the new op type */
    if (st != ROOF_OK) return st;
    *changed = true;
  }
  return ROOF_OK;
}
