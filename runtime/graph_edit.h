/* Graph-edit API: the only way fusion passes change a graph. Indices stay valid (values and
 * nodes are never deleted, only marked removed); callers re-sort after editing. */
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
/* New constant float value owning `data` (malloc'ed; freed on failure too). Returns index or -1. */
int roof_edit_add_const(roof_graph* g, const char* name, int rank, const int64_t* dims, float* data);
/* Node `dst` now also stands for node `src`'s original nodes (appended after its own). */
roof_status roof_edit_absorb(roof_graph* g, int dst, int src);
/* Turns node n into op `op` (a roof_op_id: type, domain and schema follow); params are replaced
 * by `params` (owned from now on, may be NULL to keep the old ones). Fails only on OOM (node
 * unchanged). */
roof_status roof_edit_retype(roof_graph* g, int n, int op, void* params);

/* Removes a single-input pass-through node (output replaced by its input everywhere). Fails
 * (returns false, graph unchanged) when the output is a graph output that cannot be renamed. */
bool roof_edit_bypass(roof_graph* g, int n, const char* pass, const char* reason, roof_status* st);

#endif
