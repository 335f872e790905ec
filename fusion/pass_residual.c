/* Pass `residual`: Conv -> Add(., r) [-> Relu] into one Conv that adds r before its clamp
 * (roof_conv_params.residual, r as input 3), as ResNet's bottleneck blocks end. The separate
 * Add read two whole activations and wrote a third after the Conv had written its output: 16
 * such Adds were ~0.8 ms of ResNet-50's ~28 ms at 2 threads. Only the pointwise entry (ops/matmul.c)
 * and the reference add a residual, so the pass fires only on Convs that entry takes by their
 * shape (roof_conv_pointwise_refusal) with constant weights; the other Conv entries refuse a
 * fused node, so wherever the pointwise entry is off anyway (ROOFTOP_NO_NATIVE=1) the node runs
 * on the reference: same result, slower. The activation pass moves a Relu after the Add into
 * the Add's clamp (or, run after this pass, into the fused Conv's clamp): both mean
 * act(conv + r), so pass order does not matter. */
#include "conv_params.h"
#include "fused_act.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

static bool const_data(const roof_value* v) { return v && v->data && (v->flags & ROOF_VAL_CONST); }

static bool same_shape(const roof_value* a, const roof_value* b) {
  if (a->rank != b->rank || a->dtype != b->dtype) return false;
  for (int i = 0; i < a->rank; i++) {
    if (a->dims[i] != b->dims[i]) return false;
  }
  return true;
}

/* The Conv producing input `slot` of Add node an when it can absorb the Add; -1 otherwise. */
static int fusable_conv(const roof_graph* g, int an, int slot) {
  const roof_node* a = &g->nodes[an];
  const roof_value* x = roof_in(g, a, slot);
  const roof_value* r = roof_in(g, a, 1 - slot);
  if (x == NULL || r == NULL || x->producer < 0 || a->inputs[0] == a->inputs[1]) return -1;
  const roof_node* c = &g->nodes[x->producer];
  if (c->removed || !roof_node_is(c, ROOF_OP_Conv) || c->outputs[0] != a->inputs[slot]) return -1;
  const roof_conv_params* p = c->params;
  const roof_value *cx = roof_in(g, c, 0), *w = roof_in(g, c, 1), *b = roof_in(g, c, 2);
  if (p->residual || !roof_act_is_identity(&p->act) || c->num_inputs > 3) return -1;
  if (cx == NULL || cx->rank != 4 || !const_data(w) || (b && !const_data(b))) return -1;
  if (roof_conv_pointwise_refusal(p, cx->dims, w->dims) != NULL) return -1;
  /* r: an activation of the output's shape (no broadcast), not a constant */
  if (r->flags & ROOF_VAL_CONST || !same_shape(r, x) || !same_shape(x, roof_out(g, a, 0))) return -1;
  if (!roof_edit_single_use(g, a->inputs[slot], an)) return -1;
  return x->producer;
}

roof_status roof_pass_residual(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int an = g->order[oi];
    const roof_node* a = &g->nodes[an];
    if (a->removed || !roof_node_is(a, ROOF_OP_Add) || a->num_inputs != 2 || a->num_outputs != 1) continue;
    const roof_value* y = roof_out(g, a, 0);
    if (y == NULL || y->dtype != ROOF_DT_FLOAT) continue;
    int slot = 0, cn = fusable_conv(g, an, 0);
    if (cn < 0) cn = fusable_conv(g, an, slot = 1);
    if (cn < 0) continue;
    roof_act act = *(const roof_act*)a->params; /* Add's clamp (pass activation), first by contract */
    roof_status st = roof_edit_set_input(g, cn, 3, a->inputs[1 - slot]);
    if (st == ROOF_OK) st = roof_edit_take_output(g, cn, an);
    if (st != ROOF_OK) return roof_pass_fail(g, "residual", an, st, err);
    roof_conv_params* p = g->nodes[cn].params;
    p->residual = 1;
    p->act = act;
    *changed = true;
  }
  return ROOF_OK;
}
