/* Control flow: If.
 *
 * rooftop plans one static arena per session, so an If is only supported when its condition is
 * known at load (a constant, or computed from static shapes by the load-time evaluation): the
 * loader keeps both branches as dormant nodes of the graph (runtime/graph.h, branch_of) and
 * runtime/if_fold.c replaces the If by its taken branch when shape inference reaches it. This
 * schema holds the If's rules; no kernel: an If never runs. */
#include <stdio.h>

#include "common.h"

/* The branch attribute `name`: present, a graph, with as many outputs as the If. */
static roof_status check_branch(const roof_graph* g, const roof_node* n, const char* name, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' is missing (an If has both branches)", name);
  if (a->type != ROOF_ATTR_GRAPH) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' must be a graph", name);
  if ((int)a->n != n->num_outputs) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%s has %zu outputs, the If %d (a branch gives one value per If output)",
                          name, a->n, n->num_outputs);
  }
  return ROOF_OK;
}

static roof_status parse_if(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  (void)params;
  if (n->num_inputs != 1 || n->inputs[0] < 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "takes one input, the condition (%d given)", n->num_inputs);
  }
  roof_status st = check_branch(g, n, "then_branch", err);
  return st == ROOF_OK ? check_branch(g, n, "else_branch", err) : st;
}

/* The condition's rules; the outputs are those of the branch if_fold.c puts in the If's place. */
static roof_status infer_if(roof_graph* g, roof_node* n, roof_error* err) {
  char vb[ROOF_NAME_BUF], sb[64];
  const roof_value* c = roof_in(g, n, 0);
  uint64_t count = 0;
  if (c->dtype != ROOF_DT_BOOL) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "condition '%s' is %s: it must be bool", ROOF_SAFE(c->name, vb),
                          roof_dtype_name(c->dtype));
  }
  if (!roof_value_count(c, &count) || count != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "condition '%s' has shape %s: it must hold one element",
                          ROOF_SAFE(c->name, vb), roof_shape_str(c->dims, c->rank, sb, sizeof(sb)));
  }
  if (c->data == NULL || !(c->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN))) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "condition '%s' is computed at run time: only Ifs decided at load (a constant or static "
                          "shapes) are supported yet",
                          ROOF_SAFE(c->name, vb));
  }
  return ROOF_OK;
}

static void cost_if(const roof_graph* g, const roof_node* n, roof_cost* c) {
  (void)g;
  (void)n;
  c->formula = "control";
}

const roof_op_schema roof_op_If = {
    .id = ROOF_OP_If, .op_type = "If", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_NO_FOLD | ROOF_OPF_LOAD_ONLY, .layout = ROOF_LR_ANY, .parse = parse_if, .infer = infer_if, .cost = cost_if,
};
