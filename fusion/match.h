/* Pattern-matching helpers of the layer_norm and attention passes (fusion/match.c): questions
 * about values and nodes, no edits. */
#ifndef ROOF_FUSION_MATCH_H
#define ROOF_FUSION_MATCH_H

#include "graph.h"

/* The node reading value v when it is v's only reader, reads it once and v is no graph
 * output; else -1. */
int roof_match_only_reader(const roof_graph* g, int v);
/* For a two-input node reading v: the slot of its other input, or -1. */
int roof_match_other_slot(const roof_node* n, int v);
/* v is a constant with exactly one element of a float or integer dtype: its value in *out. */
bool roof_match_scalar(const roof_graph* g, int v, double* out);
/* Live node n is op `op` (a roof_op_id) with float32 output 0 and, if it carries a fused clamp
 * (ROOF_OPF_FUSED_ACT), none set. */
bool roof_match_plain(const roof_graph* g, int n, int op);
/* Values a and b have the same rank and dims. */
bool roof_match_same_shape(const roof_graph* g, int a, int b);

#endif
