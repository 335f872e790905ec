/* Control flow decided at run time: If, Loop and Scan bodies planned as graphs of their own.
 *
 * The loader keeps every branch and body as dormant nodes of the graph (graph.h, branch_of).
 * roof_control_link (the loader, after reading the graph) appends to each control node, as
 * extra inputs, the outer values its bodies read (nested bodies included; initializers are not:
 * they are copied into the body): the node is then ordered after their producers and keeps
 * them alive until it runs. A node's own ONNX inputs stay first (roof_control_params.formal).
 *
 * roof_control_plan, when shape inference reaches an If whose condition is not known at load or
 * any Loop or Scan (their inputs inferred): each graph attribute becomes a standalone roof_graph
 * in node->subgraphs (attribute order): the body's formal inputs first (typed by the op:
 * roof_control_body_types), then the outer values it reads that are not constant (by name, in
 * first-use order), constants and values known at load copied in as initializers; the direct
 * nodes of the body are named "<node>/<then|else|body>/<name>"; nested bodies stay dormant in
 * it, planned when its own analysis reaches them (roof_subgraph_analyse). The dormant nodes in
 * the enclosing graph are folded under pass "control". A Loop body whose shapes follow its
 * iteration number alone keeps its extracted form in node->body_template and is planned for
 * iteration 0 (the kernel plans it again per iteration). Nothing changed on failure but the
 * node's subgraphs and template (freed with the node).
 */
#ifndef ROOF_CONTROL_H
#define ROOF_CONTROL_H

#include "graph.h"

#define ROOF_CONTROL_PASS "control"

roof_status roof_control_link(roof_graph* g, roof_error* err);
roof_status roof_control_plan(roof_graph* g, int node, uint64_t max_tensor_bytes, roof_error* err);
/* True for a bound If, Loop or Scan node. */
bool roof_control_is(const roof_node* n);

#endif
