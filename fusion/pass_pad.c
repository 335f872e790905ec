/* Pass `pad`: a Pad that adds zeros on the spatial dims only (constant mode, value 0) folds
 * into the padding of the Conv that reads it, which pads for free. */
#include <string.h>

#include "conv_params.h"
#include "fusion.h"
#include "graph_edit.h"

/* Spatial pads [h_begin, w_begin, h_end, w_end] of a zero Pad on a rank-4 tensor. */
static bool zero_spatial_pads(const roof_graph* g, const roof_node* p, int64_t* out) {
  const roof_attr* mode = roof_node_attr(p, "mode");
  if (mode && mode->type == ROOF_ATTR_STRING && strcmp(mode->s, "constant") != 0) return false;
  int64_t pads[8];
  if (g->opset < 11) {
    const roof_attr* a = roof_node_attr(p, "pads");
    const roof_attr* v = roof_node_attr(p, "value");
    if (!a || a->type != ROOF_ATTR_INTS || a->n != 8 || (v && v->type == ROOF_ATTR_FLOAT && v->f != 0.0f)) return false;
    memcpy(pads, a->ints, sizeof(pads));
  } else {
    const roof_value* pv = roof_in(g, p, 1);
    const roof_value* cv = roof_in(g, p, 2);
    uint64_t n;
    if (!pv || !pv->data || !(pv->flags & ROOF_VAL_CONST) || pv->dtype != ROOF_DT_INT64 || !roof_value_count(pv, &n) || n != 8) return false;
    if (roof_in(g, p, 3)) return false; /* axes (opset 18) */
    if (cv && !(cv->data && (cv->flags & ROOF_VAL_CONST) && roof_load_f64(cv->dtype, cv->data, 0) == 0.0)) return false;
    memcpy(pads, pv->data, sizeof(pads));
  }
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
    if (!roof_node_is(p, ROOF_OP_Pad) || cp->sp.nsp != 2) continue;
    if (!roof_edit_single_use(g, c->inputs[0], cn) || !zero_spatial_pads(g, p, add)) continue;
    for (int i = 0; i < 4; i++) cp->sp.pads[i] += add[i];
    c->inputs[0] = p->inputs[0];

    if (roof_edit_absorb(g, cn, pn) != ROOF_OK) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass pad", g->path);
    *changed = true;
  }
  return ROOF_OK;
}
