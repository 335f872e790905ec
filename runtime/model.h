/* Internal view of roof_model / roof_session, shared by runtime, profiler, tools and tests. */
#ifndef ROOF_MODEL_H
#define ROOF_MODEL_H

#include "graph.h"
#include "../ops/kernel.h"

struct roof_model {
  roof_graph* g;
  roof_load_options load;
  roof_prepare_options prep; /* copy of the last prepare's scalar options */
  bool prepared;
  bool partial;          /* prepared with roof_prepare_options.partial: no session */
  int not_analysed;      /* nodes set aside by a partial prepare */
  char partial_note[512];/* the first refusal's message of a partial prepare ("" when none) */
  bool weights_released; /* roof_model_release_weights freed constants: no further session */
  roof_model* lender;        /* roof_model_copy: the model whose constant buffers this one borrows */
  roof_model* borrowers;     /* live copies of this model (a list through next_borrower) */
  roof_model* next_borrower; /* in the lender's list */
};

/* Wraps an in-memory graph (tests, fuzzers) as a model; takes ownership of g (also on error). */
roof_status roof_model_from_graph(roof_graph* g, roof_model** out, roof_error* err);

/* Deep copy of an attribute (value indices in ints / graph_inputs copied as they are); dst
 * zeroed by the caller, a half-copied dst is released by roof_graph_free. False on OOM. */
bool roof_attr_copy(const roof_attr* src, roof_attr* dst);

/* Subgraphs of control flow decided at run time (runtime/control.h): the load-time analysis
 * of an extracted body (ops bound, provenance, shape inference; nested control nodes planned
 * in turn) and, once the enclosing graph is prepared, the rest of the preparation (constant
 * folding, 16-bit widening, the fusion passes `fusion`, layout), recursively. */
roof_status roof_subgraph_analyse(roof_graph* sub, uint64_t max_tensor_bytes, roof_error* err);
roof_status roof_subgraphs_finish(roof_graph* g, const char* fusion, roof_error* err);
/* The same for a body with some input values known (a Loop body whose shapes follow its
 * iteration number): roof_graph_specialize with `values` between the binding and the
 * inference; with `fusion` non-NULL the rest of the preparation follows (a body planned again
 * at run time), else it is left to roof_subgraphs_finish. */
roof_status roof_subgraph_plan(roof_graph* sub, const roof_value_binding* values, size_t num_values,
                               uint64_t max_tensor_bytes, const char* fusion, roof_error* err);

/* Looks up the descriptor (opset-aware) of every live node and dormant If-branch node, and parses its attributes into params.
 * Unknown op: ROOF_E_UNSUPPORTED naming op, domain and opset. Called by the loader. */
roof_status roof_graph_bind_ops(roof_graph* g, roof_error* err);

/* Specializes the graph inputs whose values define shapes (runtime/specialize.c): walks back
 * from every input a schema reads by value (roof_op_schema.value_inputs) through producers,
 * not through ops that read only shapes, to the graph inputs; each one found takes its bound
 * value (copied) as known data and its dims. Bindings of other inputs are ignored. A
 * shape-defining input without a value: ROOF_E_USAGE naming it and the node that needs it; a
 * value of the wrong dtype, shape or size: ROOF_E_DATA. After roof_graph_bind_ops, before
 * shape inference. */
roof_status roof_graph_specialize(roof_graph* g, const roof_value_binding* values, size_t num_values, roof_error* err);
/* sets[i] (g->num_inputs entries): true when graph input i has no data and its value defines a
 * shape, as roof_graph_specialize finds them. After roof_graph_bind_ops. */
roof_status roof_graph_shape_inputs(roof_graph* g, bool* sets, roof_error* err);

/* A second graph with g's names, nodes and attributes, its ops bound again, borrowing g's
 * constant buffers (ROOF_VAL_BORROWED: g must outlive it). For roof_model_copy and for control
 * flow bodies planned again per iteration; g is not yet prepared (no subgraphs extracted). */
roof_status roof_graph_copy(const roof_graph* g, roof_graph** copy_out, roof_error* err);

/* Unsupported ops of a model, by kind (op type and domain), so that one error names them all. */
#define ROOF_MISSING_MAX 16
typedef struct roof_missing_op {
  const char* op_type; /* borrowed from the node (or NodeProto) for the error's lifetime */
  const char* domain;
  char node[ROOF_NAME_BUF]; /* first node's name, sanitized */
  int count;
  bool known;               /* known at some other opset */
} roof_missing_op;
typedef struct roof_missing_ops {
  roof_missing_op kind[ROOF_MISSING_MAX];
  int kinds; /* may exceed ROOF_MISSING_MAX: the rest are counted, not listed */
  int nodes;
} roof_missing_ops;
void roof_missing_add(roof_missing_ops* m, const char* op_type, const char* domain, const char* node, bool known);
/* ROOF_E_UNSUPPORTED naming every kind: one kind keeps the one-node form ("node 'n' (Op):
 * unknown op ..."), several are listed as "Op xCOUNT (node 'first')". */
roof_status roof_missing_fail(const char* path, int64_t opset, const roof_missing_ops* m, roof_error* err);

/* Shape inference in topological order, evaluating nodes whose inputs are all known when the
 * result is small (shape arithmetic), binding dynamic graph-input dims from `shapes`. Every
 * inferred tensor larger than `max_tensor_bytes` (0: 4 GiB) is refused (65) before any
 * allocation for it. */
roof_status roof_graph_infer(roof_graph* g, const roof_shape_binding* shapes, size_t num_shapes,
                             uint64_t max_tensor_bytes, roof_error* err);

/* Pass name under which partial analysis (roof_prepare_options.partial) lists the nodes it set
 * aside in g->folded. */
#define ROOF_NOT_ANALYSED_PASS "not_analysed"

/* roof_graph_infer that sets aside what it cannot analyse instead of failing: nodes of unbound
 * ops, nodes whose schema refuses them, and nodes reading a tensor of an unknown shape are
 * folded under ROOF_NOT_ANALYSED_PASS. `note` (note_size bytes) receives the first refusal's
 * message ("" when none). Fails only on bad shape bindings, a cycle, or out of memory. */
roof_status roof_graph_infer_partial(roof_graph* g, const roof_shape_binding* shapes, size_t num_shapes,
                                     uint64_t max_tensor_bytes, char* note, size_t note_size, roof_error* err);

/* Chooses NHWC/plain for every executed value and inserts LayoutConvert nodes. */
roof_status roof_graph_layout(roof_graph* g, roof_error* err);

/* One executed step. */
typedef struct roof_step {
  int node;           /* graph node index */
  roof_kernel k;
} roof_step;

struct roof_session {
  const roof_model* model;
  pthreadpool_t pool;
  bool pool_borrowed;        /* the pool belongs to an enclosing session (control-flow bodies) */
  uint32_t threads;
  roof_step* steps;
  int num_steps;
  void* arena;               /* one allocation for all planned activations */
  size_t arena_bytes;
  size_t activation_bytes_total; /* naive sum of executed activations */
  void** value_ptr;          /* per graph value: bound data pointer (arena, const, or NULL) */
  int num_values;
  roof_tensor* views;        /* storage for all kernel in/out views */
  void* scratch;             /* shared by all kernels (they run one at a time), or NULL */
  size_t scratch_bytes;
  double timeout_s;          /* as asked for (messages) */
  uint64_t timeout_ns;       /* 0: no run-time limit */
  uint64_t deadline_ns;      /* CLOCK_MONOTONIC; set when the first run starts (timeout_ns > 0) */
  struct roof_seq** seqs;    /* the run-time objects of sequence/optional values (seq.h), owned;
                              * value_ptr of such a value points at one (views share theirs) */
  int num_seqs;
};

/* Streaming release (runtime/release.c): roof_model_release_to_session hands a plan to the
 * executor, which calls roof_release_after_kernel once each kernel exists; the release itself
 * (freeing the model's constants, clearing the session's pointers to them) is release.c's. */
typedef struct roof_release_plan roof_release_plan;
void roof_release_after_kernel(roof_release_plan* r, roof_session* s, const roof_kernel* k);
/* roof_session_create with an optional plan (NULL: the model is only read). */
roof_status roof_session_create_with(const roof_model* model, const roof_session_options* opts, roof_release_plan* rel,
                                     roof_session** session_out, roof_error* err);

/* A session for a control-flow body (ops/control.c): roof_session_create on the enclosing
 * session's pool (NULL: one thread), which it never destroys. */
roof_status roof_session_create_in_pool(const roof_model* model, const roof_session_options* opts, pthreadpool_t pool,
                                        roof_session** session_out, roof_error* err);

/* Planner: assigns arena offsets (largest-first, best gap) honouring aliases and in-place
 * writes. padding[v] (NULL: none) is how many bytes a kernel may read past the end of value v;
 * its buffer is that much longer. naive_bytes sums every planned activation as if each had its own
 * buffer (padded and aligned the same way), so arena_bytes <= naive_bytes. */
roof_status roof_plan_arena(const roof_graph* g, const int* order, int num_order, const size_t* padding,
                            size_t* offsets, size_t* arena_bytes, size_t* naive_bytes, roof_error* err);

/* An estimate of the arena a session of the prepared model would plan, without choosing
 * kernels (rooftop info): every input padded for the widest kernel entry of its reader's op
 * (a session pads for the entries it chose, never more), so the figures equal a session's
 * when every node takes its widest entry. Allocates only the planner's scratch; the model is
 * not modified. */
roof_status roof_model_arena_estimate(const roof_model* m, size_t* arena_bytes, size_t* naive_bytes, roof_error* err);

#endif
