/* Pass `swish`: x * Sigmoid(x) (SiLU, EfficientNet's activation) becomes one Swish kernel. */
#include "fusion.h"
#include "op.h"

roof_status roof_pass_swish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    int sn = roof_match_self_gate(g, mn, ROOF_OP_Sigmoid);
    if (sn < 0) continue;
    roof_status st = roof_merge_gate(g, sn, mn, ROOF_OP_Swish);
    if (st != ROOF_OK) return roof_pass_fail(g, "swish", mn, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
