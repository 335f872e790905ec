/* Parameters of the control-flow ops If, Loop and Scan (ops/control.c), shared with the
 * subgraph planner (runtime/control.c) and the reports.
 *
 * Inputs: the ONNX node's own (`formal`) come first; the loader appends the outer values its
 * bodies read (runtime/control.h, roof_control_link), so that they are ordered before it and
 * kept alive until it runs. The bodies' formal inputs are typed from the enclosing node when
 * the body is planned (roof_control_body_types). */
#ifndef ROOF_CONTROL_PARAMS_H
#define ROOF_CONTROL_PARAMS_H

#include "op.h"

#define ROOF_CONTROL_MAX_VALUES 64 /* loop-carried / state, scan inputs and scan outputs, each */

typedef struct roof_control_params {
  int formal;          /* inputs of the ONNX node; inputs[formal..] are outer values read by bodies */
  int num_carried;     /* Loop: N loop-carried values; Scan: N state values */
  int num_scan_in;     /* Scan: M scan inputs */
  int num_scan_out;    /* Loop and Scan: K scan outputs */
  bool scan8;          /* Scan at opset 8: input 0 sequence_lens, axis 0 the batch, axis 1 scanned */
  int64_t in_axes[ROOF_CONTROL_MAX_VALUES], in_reverse[ROOF_CONTROL_MAX_VALUES];
  int64_t out_axes[ROOF_CONTROL_MAX_VALUES], out_reverse[ROOF_CONTROL_MAX_VALUES];
  int64_t planned_iters; /* set by infer: Loop's iterations planned (M, or 0 when the condition is
                          * false at load; -1: not known at load, no scan outputs), Scan's L */
} roof_control_params;

/* Types (dtype, rank, dims) of the formal inputs of graph attribute `attr` of control node n
 * (`num` of them, as the body declares), from the node's inputs: Loop's iteration number and
 * condition, loop-carried values; Scan's state and one slice of each scan input. ROOF_E_DATA
 * naming the rule broken. */
roof_status roof_control_body_types(const roof_graph* g, const roof_node* n, int attr, roof_value* types, int num,
                                    roof_error* err);

/* Label of graph attribute `attr` of control node n in layer names: "then", "else", "body". */
const char* roof_control_label(const roof_node* n, int attr);
/* The same for body b of n->subgraphs (and of its kernel): the planner puts an If's then branch
 * first whatever the attribute order, so the label follows b, not the attribute list. */
const char* roof_control_body_label(const roof_node* n, int b);

/* Profiling a control node's kernel (the If / Loop / Scan entry of the kernel table), after a
 * run: its bodies (attribute order), each body's session, the iterations it ran in that run (0:
 * not run, an If's branch not taken) and per step of its session the nanoseconds summed over
 * them. */
struct roof_kernel;
struct roof_session;
int roof_control_bodies(const struct roof_kernel* k);
const struct roof_session* roof_control_body_session(const struct roof_kernel* k, int b);
int64_t roof_control_body_iterations(const struct roof_kernel* k, int b);
const uint64_t* roof_control_body_step_ns(const struct roof_kernel* k, int b);
/* The same summed since the kernel was created (never reset; *iterations the body's runs in
 * all): a body inside another body runs several times per outer run, so the profiler takes
 * differences of these around each run it times. */
const uint64_t* roof_control_body_total_ns(const struct roof_kernel* k, int b, int64_t* iterations);

#endif
