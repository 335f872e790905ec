/* Pass `pad`: a Pad that adds zeros on the spatial dims only (constant mode, value 0) folds
 * into the padding of the Conv that reads it, which pads for free. */
#include "conv_params.h"
#include "fusion.h"
#include "graph_edit.h"
#include "movement_params.h"
#include "op.h"

/* Spatial pads [h_begin, w_begin, h_end, w_end] of a zero constant Pad on a rank-4 tensor, from
 * the params infer resolved (attributes before opset 11; the pads, constant_value and axes
 * inputs from 11, so a Pad with axes folds too). */
static bool zero_spatial_pads(const roof_graph* g, const roof_node* p, int64_t* out) {
  const roof_pad_params* pp = p->params;
  const roof_value* x = roof_in(g, p, 0);
  if (pp->mode != ROOF_PAD_CONSTANT || pp->value != 0.0 || !x || x->rank != 4) return false;
  const int64_t* pads = pp->pads;
  if (pads[0] || pads[1] || pads[4] || pads[5]) return false; /* batch or channel padding */
  for (int i = 0; i < 8; i++) {
    if (pads[i] < 0) return false;
  }
  out[0] = pads[2];
  out[1] = pads[3];
  out[2] = pads[6];
  out[3] = pads[7];
  return true;
}

roof_status roof_pass_pad(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int cn = g->order[oi];
    roof_node* c = &g->nodes[cn];
    if (!roof_node_is(c, ROOF_OP_Conv)) continue;
    const roof_value* x = roof_in(g, c, 0);
    if (!x || x->rank != 4 || x->producer < 0) continue;
    int pn = x->producer;
    roof_node* p = &g->nodes[pn];
    int64_t add[4];
    roof_conv_params* cp = c->params;
    /* padded, a Conv with a fused residual leaves the pointwise entry for the reference */
    if (!roof_node_is(p, ROOF_OP_Pad) || cp->sp.nsp != 2 || cp->residual) continue;
    if (!roof_edit_single_use(g, c->inputs[0], cn) || !zero_spatial_pads(g, p, add)) continue;
    roof_status st = roof_edit_take_input(g, cn, 0); /* the Conv reads the Pad's input */
    if (st != ROOF_OK) return roof_pass_fail(g, "pad", cn, st, err);
    for (int i = 0; i < 4; i++) cp->sp.pads[i] += add[i];
    *changed = true;
  }
  return ROOF_OK;
}
