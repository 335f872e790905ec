/* Pass `hardswish`: x * HardSigmoid(x) with alpha 1/6 and beta 0.5 (how PyTorch exports
 * hardswish before opset 14) becomes one HardSwish kernel (XNNPACK's hardswish). */
#include <math.h>

#include "activation_params.h"
#include "fusion.h"
#include "op.h"

roof_status roof_pass_hardswish(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int mn = g->order[oi];
    int hn = roof_match_self_gate(g, mn, ROOF_OP_HardSigmoid);
    if (hn < 0) continue;
    const roof_act_params* p = g->nodes[hn].params; /* parsed, defaults applied */
    if (fabsf(p->alpha - 1.0f / 6.0f) > 1e-6f || fabsf(p->beta - 0.5f) > 1e-6f) continue;
    /* HardSwish takes no attributes: the HardSigmoid's params (the same struct) stay unread */
    roof_status st = roof_merge_gate(g, hn, mn, ROOF_OP_HardSwish);
    if (st != ROOF_OK) return roof_pass_fail(g, "hardswish", mn, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
