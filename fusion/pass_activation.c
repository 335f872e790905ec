/* Pass `activation`: folds Relu and Clip into the clamp of the op that feeds them (Conv,
 * ConvTranspose, Gemm, MatMul, Add/Sub/Mul/Div, pools: every op flagged ROOF_OPF_FUSED_ACT),
 * which XNNPACK applies for free through output_min/output_max. */
#include <math.h>
#include <string.h>

#include "fused_act.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

/* Clamp range of a Relu or Clip node; false when it is not a constant range. */
static bool clamp_range(const roof_graph* g, const roof_node* n, float* lo, float* hi) {
  *lo = -INFINITY;
  *hi = INFINITY;
  if (strcmp(n->op_type, "Relu") == 0) {
    *lo = 0.0f;
    return true;
  }
  if (strcmp(n->op_type, "Clip") != 0) return false;
  if (g->opset < 11) {
    const roof_attr* a = roof_node_attr(n, "min");
    const roof_attr* b = roof_node_attr(n, "max");
    if (a && a->type == ROOF_ATTR_FLOAT) *lo = a->f;
    if (b && b->type == ROOF_ATTR_FLOAT) *hi = b->f;
    return true;
  }
  for (int i = 1; i <= 2; i++) {
    const roof_value* v = roof_in(g, n, i);
    if (v == NULL) continue;
    if (!v->data || !(v->flags & ROOF_VAL_CONST) || v->dtype != ROOF_DT_FLOAT) return false;
    if (i == 1) *lo = *(const float*)v->data;
    else *hi = *(const float*)v->data;
  }
  return true;
}

roof_status roof_pass_activation(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int an = g->order[oi];
    roof_node* a = &g->nodes[an];
    float lo, hi;
    if (a->removed || a->domain[0] || !clamp_range(g, a, &lo, &hi)) continue;
    const roof_value* x = roof_in(g, a, 0);
    if (x == NULL || x->dtype != ROOF_DT_FLOAT || x->producer < 0) continue;
    int pn = x->producer;
    roof_node* p = &g->nodes[pn];
    if (p->removed || !p->op || !(p->op->flags & ROOF_OPF_FUSED_ACT) || p->outputs[0] != a->inputs[0]) continue;
    if (!roof_edit_single_use(g, a->inputs[0], an)) continue;
    roof_act* act = p->params; /* first member by contract (fused_act.h) */
    act->min = fmaxf(act->min, lo);
    act->max = fminf(act->max, hi);
    int y = a->outputs[0];
    g->values[p->outputs[0]].producer = -1;
    p->outputs[0] = y;
    if (roof_edit_absorb(g, pn, an) != ROOF_OK) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in pass activation", g->path);
    *changed = true;
  }
  return ROOF_OK;
}
