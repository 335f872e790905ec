/* Pass `reshape_chain`: consecutive views (Reshape, Flatten, Squeeze, Unsqueeze) become one:
 * the last view reads the first one's input directly. Views are zero-copy already; this keeps
 * the executed graph and the reports free of view-of-view chains. */
#include <string.h>

#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

static bool is_view(const roof_node* n) {
  return roof_node_is(n, ROOF_OP_Reshape) || roof_node_is(n, ROOF_OP_Flatten) || roof_node_is(n, ROOF_OP_Squeeze) ||
         roof_node_is(n, ROOF_OP_Unsqueeze);
}

roof_status roof_pass_reshape_chain(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int n2 = g->order[oi];
    if (!is_view(&g->nodes[n2])) continue;
    const roof_value* x = roof_in(g, &g->nodes[n2], 0);
    if (!x || x->producer < 0 || (x->flags & ROOF_VAL_CONST)) continue;
    int n1 = x->producer;
    if (!is_view(&g->nodes[n1]) || !roof_edit_single_use(g, g->nodes[n2].inputs[0], n2)) continue;
    roof_status st = roof_edit_take_input(g, n2, 0); /* the last view's output shape already holds */
    if (st != ROOF_OK) return roof_pass_fail(g, "reshape_chain", n2, st, err);
    *changed = true;
  }
  return ROOF_OK;
}
