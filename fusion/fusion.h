/* Fusion pass manager: an ordered list of named passes over the graph-edit API, run to a
 * fixed point. `spec` is "all" (or NULL), "none", or a comma list of pass names. */
#ifndef ROOF_FUSION_H
#define ROOF_FUSION_H

#include "graph.h"

typedef struct roof_pass {
  const char* name;
  const char* summary;
  /* Rewrites g; sets *changed when it edited anything. g->order is valid on entry. */
  roof_status (*run)(roof_graph* g, bool* changed, roof_error* err);
} roof_pass;

size_t roof_pass_count(void);
const roof_pass* roof_pass_at(size_t i);

roof_status roof_fusion_run(roof_graph* g, const char* spec, roof_error* err);

/* Reports a failed graph edit of pass `pass` at node n and returns its status: ROOF_E_NOMEM
 * as "out of memory in pass P"; any other status becomes ROOF_E_INTERNAL (a pass broke a
 * graph-edit precondition), naming the node. */
roof_status roof_pass_fail(const roof_graph* g, const char* pass, int n, roof_status st, roof_error* err);

/* x * GATE(x) (fusion/gate.c): the node of op `gate_op` (a roof_op_id) feeding one side of Mul
 * node `mn`, with x on the other side and the gate read only by that Mul; -1 when absent. */
int roof_match_self_gate(const roof_graph* g, int mn, int gate_op);
/* Turns gate node gn into op `op` (a roof_op_id) writing Mul mn's output; mn is absorbed.
 * Statuses as for the graph-edit API (runtime/graph_edit.h). */
roof_status roof_merge_gate(roof_graph* g, int gn, int mn, int op);

#endif
