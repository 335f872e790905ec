/* Constant folding at load; see constfold.h. Shape inference already computed the data (it
 * evaluates small nodes whose inputs are known), so folding only re-labels: nothing is
 * evaluated twice and no kernel runs here. */
#include "constfold.h"

/* True when node n has outputs and every one of them was evaluated at load. An evaluated
 * output may hold no data: infer.c moves the buffer of a single-use value into the view that
 * reads it (the value keeps ROOF_VAL_KNOWN), e.g. Trilu -> Unsqueeze of a causal mask. */
static bool all_outputs_known(const roof_graph* g, const roof_node* n) {
  if (n->num_outputs < 1) return false;
  for (int o = 0; o < n->num_outputs; o++) {
    const roof_value* y = roof_out(g, n, o);
    if (y && !(y->flags & ROOF_VAL_KNOWN)) return false;
  }
  return true;
}

roof_status roof_constfold(roof_graph* g, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int n = g->order[oi];
    if (!all_outputs_known(g, &g->nodes[n])) continue;
    for (int o = 0; o < g->nodes[n].num_outputs; o++) {
      roof_value* y = roof_out(g, &g->nodes[n], o);
      if (y && y->data) y->flags |= ROOF_VAL_CONST;
    }
    if (roof_graph_fold_node(g, n, ROOF_CONSTFOLD_PASS, ROOF_CONSTFOLD_REASON) != ROOF_OK) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory recording folded nodes", g->path);
    }
  }
  return ROOF_OK;
}
