/* Graph-edit API: the only way fusion passes change a graph's structure (they still edit a
 * node's parsed params in place). Indices stay valid (values and nodes are never deleted, only
 * marked removed); callers re-sort after editing.
 *
 * Failures: ROOF_E_INTERNAL when the caller broke a stated precondition (graph unchanged);
 * ROOF_E_NOMEM, after which an edit made of several steps may be half done and the graph must
 * be dropped (the load fails). */
#ifndef ROOF_GRAPH_EDIT_H
#define ROOF_GRAPH_EDIT_H

#include "graph.h"

/* Live nodes reading value v (up to max written to out); returns the total count. */
int roof_edit_consumers(const roof_graph* g, int v, int* out, int max);
/* True when v is read only by node `n` (once) and is not a graph output. */
bool roof_edit_single_use(const roof_graph* g, int v, int n);
/* Points every live reader of `from` (nodes and graph outputs) at `to`. */
void roof_edit_replace_uses(roof_graph* g, int from, int to);
/* Sets input i of node n, growing the input list with -1 (omitted) entries as needed. */
roof_status roof_edit_set_input(roof_graph* g, int n, int i, int v);
/* New constant value `name` of `dtype` (roof_dtype) and shape (rank, dims) owning `data`
 * (malloc'ed, holding every element; freed on failure too). Returns its index or -1 (OOM). */
int roof_edit_add_const(roof_graph* g, const char* name, int dtype, int rank, const int64_t* dims, void* data);
/* Node `dst` now also stands for node `src`'s original nodes (appended after its own). */
roof_status roof_edit_absorb(roof_graph* g, int dst, int src);
/* Turns node n into op `op` (a roof_op_id: type, domain and schema follow); params are replaced
 * by `params` (owned from now on, may be NULL to keep the old ones). Fails only on OOM (node
 * unchanged). */
roof_status roof_edit_retype(roof_graph* g, int n, int op, void* params);

/* Producer node p takes over output 0 of node c, the only reader of p's output 0 (read once,
 * not a graph output): p writes c's output 0 from now on and absorbs c; p's old output is left
 * without a producer. c's other outputs, if any, must be unused. */
roof_status roof_edit_take_output(roof_graph* g, int p, int c);
/* The reverse: node c, the only reader of the value in its input `slot` (read once, not a graph
 * output), reads input 0 of that value's producer p instead and absorbs p; the value is left
 * without a producer. p's other outputs, if any, must be unused. */
roof_status roof_edit_take_input(roof_graph* g, int c, int slot);
/* Replaces the chain chain[0] -> ... -> chain[count - 1] (output 0 of each node read only by the
 * next, as in roof_edit_take_output) by one node: chain[0] becomes op `op` with `params` (owned
 * from now on, freed on failure; NULL keeps the old ones), keeps its first `keep_inputs` inputs,
 * writes the last node's output 0 and absorbs the others in chain order. */
roof_status roof_edit_replace_chain(roof_graph* g, const int* chain, int count, int op, void* params, int keep_inputs);

/* Removes a single-input pass-through node (output replaced by its input everywhere). Fails
 * (returns false, graph unchanged) when the output is a graph output that cannot be renamed. */
bool roof_edit_bypass(roof_graph* g, int n, const char* pass, const char* reason, roof_status* st);

#endif
