/* If folding at load: an If whose condition is known when shape inference reaches it is
 * replaced by its taken branch.
 *
 * The loader keeps each branch's nodes in the graph, dormant (`removed`, `branch_of` = 1 + the
 * If's index: see graph.h), reading outer values by their indices. roof_if_fold, given a bound
 * If reached in inference order (its condition's producers inferred and evaluated):
 *   - checks the condition through the If's schema (bool, one element: 65; not known at load:
 *     69 "only Ifs decided at load are supported yet"), nothing changed on failure;
 *   - wakes the taken branch's nodes (nested Ifs in it stay dormant until they are reached),
 *     folds the other branch's nodes and the branches nested in them under pass "if_fold"
 *     ("else_branch not taken ...") and the If itself ("replaced by its then_branch ...");
 *   - makes each branch output the If's output: the branch node producing it writes the If's
 *     output value; when the branch returns an outer value, an initializer or one value twice, an
 *     Identity node (a view) is added instead;
 *   - binds the woken nodes (roof_graph_bind_ops: an unknown op there is 69), relinks and sorts.
 * roof_if_drop_branches folds the dormant nodes of an If set aside by a partial analysis. */
#ifndef ROOF_IF_FOLD_H
#define ROOF_IF_FOLD_H

#include "graph.h"

#define ROOF_IF_FOLD_PASS "if_fold"

roof_status roof_if_fold(roof_graph* g, int node, roof_error* err);
roof_status roof_if_drop_branches(roof_graph* g, int node, roof_error* err);

#endif
