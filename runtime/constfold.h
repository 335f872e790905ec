/* Constant folding, a load stage (not a fusion pass): run by roof_model_prepare after shape
 * inference and before fusion, whatever the --fusion setting, because static shapes depend on
 * it (docs/design.md). `rooftop passes` lists it for provenance only.
 *
 * Contract: shape inference has evaluated what it could (values flagged ROOF_VAL_KNOWN, with
 * data unless it moved into a view). Every live node all of whose outputs were evaluated stops
 * being executed: its outputs holding data become constants (ROOF_VAL_CONST) and the node is
 * removed, recorded under g->folded with pass ROOF_CONSTFOLD_PASS and reason
 * ROOF_CONSTFOLD_REASON (reports and tests read these names).
 * Reads g->order (valid on entry); the caller re-sorts afterwards. Fails only on OOM. */
#ifndef ROOF_CONSTFOLD_H
#define ROOF_CONSTFOLD_H

#include "graph.h"

#define ROOF_CONSTFOLD_PASS "constfold"
#define ROOF_CONSTFOLD_REASON "evaluated at load time: every input is constant"

roof_status roof_constfold(roof_graph* g, roof_error* err);

#endif
