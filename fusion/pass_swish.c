/* Pass `swish`: x * Sigmoid(x) (SiLU, EfficientNet's activation) becomes one Swish kernel. */
#include "fusion.h"
#include "op.h"

extern const roof_op_desc roof_op_Swish;

roof_status roof_pass_swish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    int sn = roof_match_self_gate(g, mn, "Sigmoid");
    if (sn < 0) continue;
    if (roof_merge_gate(g, sn, mn, "Swish", "ai.rooftop", &roof_op_Swish) != ROOF_OK) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass swish", g->path);
    }
    *changed = true;
  }
  return ROOF_OK;
}
