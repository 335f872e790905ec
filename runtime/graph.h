/* Graph IR: values and nodes, indices instead of pointers (arrays grow during passes).
 *
 * Ownership: the graph owns every string, attribute array and constant buffer it points to,
 * except the data of values flagged ROOF_VAL_BORROWED (a copy's view of its source model's
 * buffers, roof_model_copy), which it never frees or writes; roof_graph_free() releases
 * everything it owns and accepts a half-built graph.
 * Shapes are logical (ONNX order). `layout` says how an executed value sits in memory.
 */
#ifndef ROOF_GRAPH_H
#define ROOF_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "tensor.h"

struct roof_op_schema;

enum {
  ROOF_VAL_INITIALIZER = 1u << 0, /* data from the file */
  ROOF_VAL_GRAPH_INPUT = 1u << 1,
  ROOF_VAL_GRAPH_OUTPUT = 1u << 2,
  ROOF_VAL_CONST = 1u << 3,       /* data is fixed for every run (initializer or folded) */
  ROOF_VAL_KNOWN = 1u << 4,       /* data was evaluated during shape inference (a node still produces it) */
  ROOF_VAL_RELEASED = 1u << 5,    /* data freed by roof_model_release_weights (packed by the
                                   * kernels of a session); dtype, dims and nbytes stay */
  ROOF_VAL_BORROWED = 1u << 6,    /* data belongs to the model this graph's model was copied
                                   * from (roof_model_copy): read-only here and never freed
                                   * through this graph (releasing only forgets the pointer) */
  ROOF_VAL_ELEM_SHAPE = 1u << 7,  /* a sequence/optional whose every element has the shape in
                                   * rank/dims (declared or built so); else rank 0, unknown */
};

/* Quantization parameters of a value: real = scale * (q - zero_point), per tensor (axis -1,
 * count 1) or per axis (count = dims[axis]). Owned by its value. */
typedef struct roof_quant {
  int axis;
  int64_t count;
  float* scale;        /* count finite values > 0 */
  int32_t* zero_point; /* count values */
} roof_quant;

typedef struct roof_value {
  char* name;
  int dtype;                     /* roof_dtype; 0 until known (a sequence/optional: its elements') */
  int kind;                      /* roof_kind (rooftop.h): 0 a tensor; else a run-time object
                                  * (runtime/seq.h) with rank 0 and no bytes in any plan */
  int rank;                      /* -1 until known */
  int64_t dims[ROOF_MAX_RANK];   /* logical; -1 = dynamic until bound */
  char* dim_params[ROOF_MAX_RANK]; /* symbolic names of dynamic graph-input dims, or NULL */
  uint32_t flags;
  void* data;                    /* owned unless ROOF_VAL_BORROWED; CONST or KNOWN values only */
  size_t nbytes;                 /* bytes of data */
  int producer;                  /* node index or -1 */
  int num_consumers;             /* live node uses (recomputed by roof_graph_link) */
  roof_layout layout;            /* for executed values */
  roof_quant* quant;             /* optional quantization parameters, owned; NULL: none */
} roof_value;

typedef enum roof_attr_type {
  ROOF_ATTR_UNDEFINED = 0,
  ROOF_ATTR_FLOAT = 1,
  ROOF_ATTR_INT = 2,
  ROOF_ATTR_STRING = 3,
  ROOF_ATTR_TENSOR = 4,
  ROOF_ATTR_GRAPH = 5,   /* an If branch or a Loop/Scan body: its nodes are in g->nodes (dormant,
                          * see roof_node branch_of), `ints` holds the value indices of its
                          * outputs (n), `graph_inputs` those of its formal inputs */
  ROOF_ATTR_FLOATS = 6,
  ROOF_ATTR_INTS = 7,
  ROOF_ATTR_STRINGS = 8,
  ROOF_ATTR_TYPE_PROTO = 13, /* a type (Optional's `type`): `i` the roof_kind, `t_dtype` the
                              * element dtype */
} roof_attr_type;

typedef struct roof_attr {
  char* name;
  roof_attr_type type;
  int64_t i;
  float f;
  char* s;          /* NUL-terminated copy; `s_len` bytes of payload (may hold NULs) */
  size_t s_len;
  int64_t* ints;
  float* floats;
  size_t n;         /* count of ints/floats/strings */
  char** strings;   /* STRINGS: n NUL-terminated copies (a payload's NUL ends its copy) */
  roof_value* t;    /* TENSOR: decoded constant (name may be NULL), owned */
  int t_dtype;      /* TYPE_PROTO: element dtype */
  int* graph_inputs;  /* GRAPH: value indices of the body's formal inputs (Loop, Scan), owned */
  int num_graph_inputs;
} roof_attr;

typedef struct roof_node {
  char* name;
  char* op_type;
  char* domain;      /* "" for the default ONNX domain */
  const struct roof_op_schema* op;
  int* inputs;       /* value indices; -1 for an omitted optional input */
  int num_inputs;
  int* outputs;
  int num_outputs;
  roof_attr* attrs;
  int num_attrs;
  void* params;      /* parsed attributes, op-specific struct, owned */
  char** fused_from; /* provenance: original node names this node stands for */
  int num_fused_from;
  bool removed;      /* deleted by a pass; skipped everywhere */
  int stored_dtype;  /* float16/bfloat16 when the 16-bit float stage (widen16.h) runs this
                      * node on float32 twins of the 16-bit tensors the model stores; 0 else */
  int branch_of;     /* dormant: 1 + index of the undecided If whose branch holds this node
                      * (the node is `removed` until runtime/if_fold.c takes or folds the
                      * branch; its reads still count as uses); 0 otherwise */
  int branch;        /* with branch_of: 0 then_branch (or a Loop/Scan body), 1 else_branch */
  /* Control flow decided at run time (runtime/control.h): each graph attribute of an If, Loop
   * or Scan extracted into a graph of its own (then_branch first), planned and run apart; owned
   * (freed with the node). NULL otherwise. */
  struct roof_graph** subgraphs;
  int num_subgraphs;
  /* A Loop whose body's shapes follow its iteration number (a Slice starting at it): the body
   * as extracted, before any analysis, which the kernel copies and plans again per iteration;
   * subgraphs[0] is the body planned for iteration 0 (the shapes every iteration must give).
   * Owned; NULL otherwise. */
  struct roof_graph* body_template;
  /* With body_template: the fusion passes the enclosing model was prepared with ("all",
   * "none" or a list), which each iteration's plan runs too. Owned; NULL otherwise. */
  char* body_fusion;
} roof_node;

/* An original node that disappeared entirely (provenance, see fusion/fusion.h). */
typedef struct roof_folded {
  char* name;        /* original node name */
  const char* pass;  /* static string: the pass that removed it ("constfold" runs at load) */
  const char* reason;/* static string */
} roof_folded;

typedef struct roof_graph {
  char* path;        /* model file (for messages) */
  char* dir;         /* its directory (external data) */
  int64_t opset;     /* default-domain opset */
  bool keep_unbound; /* nodes of unknown ops stay unbound (op NULL) after roof_graph_bind_ops */
  int64_t ir_version;
  char* producer;
  roof_value* values;
  int num_values, cap_values;
  roof_node* nodes;
  int num_nodes, cap_nodes;
  int* inputs;       /* graph inputs that are not initializers */
  int num_inputs;
  int* outputs;
  int num_outputs;
  int* order;        /* topological order of live nodes (roof_graph_toposort) */
  int num_order;
  int num_original_nodes;
  roof_folded* folded;
  int num_folded;
} roof_graph;

roof_graph* roof_graph_new(void);
void roof_graph_free(roof_graph* g);

/* Adds an empty value (rank -1, producer -1) and returns its index, or -1 on OOM. */
int roof_graph_add_value(roof_graph* g, const char* name);
/* Adds a node with copies of the given arrays; returns index or -1 on OOM. */
int roof_graph_add_node(roof_graph* g, const char* name, const char* op_type, const char* domain,
                        const int* inputs, int num_inputs, const int* outputs, int num_outputs);
int roof_graph_find_value(const roof_graph* g, const char* name);

/* Recomputes producer and num_consumers from live nodes and graph outputs. */
void roof_graph_link(roof_graph* g);
/* Iterative Kahn sort into g->order. On a cycle: ROOF_E_DATA naming a node on it. */
roof_status roof_graph_toposort(roof_graph* g, roof_error* err);

/* Attribute lookup; NULL when absent. */
const roof_attr* roof_node_attr(const roof_node* n, const char* name);
/* Typed getters: return ROOF_E_DATA with a message if present with the wrong type. */
roof_status roof_attr_get_int(const roof_graph* g, const roof_node* n, const char* name, int64_t def,
                              int64_t* out, roof_error* err);
roof_status roof_attr_get_float(const roof_graph* g, const roof_node* n, const char* name, float def,
                                float* out, roof_error* err);
/* ints: *out points into the node (not copied), *count set; absent => *out NULL, *count 0. */
roof_status roof_attr_get_ints(const roof_graph* g, const roof_node* n, const char* name,
                               const int64_t** out, size_t* count, roof_error* err);
roof_status roof_attr_get_floats(const roof_graph* g, const roof_node* n, const char* name,
                                 const float** out, size_t* count, roof_error* err);
/* strings: *out points into the node (not copied), *count set; absent => *out NULL, *count 0. */
roof_status roof_attr_get_strings(const roof_graph* g, const roof_node* n, const char* name,
                                  char* const** out, size_t* count, roof_error* err);
/* string: returns the NUL-terminated copy, or `def` when absent. */
roof_status roof_attr_get_string(const roof_graph* g, const roof_node* n, const char* name,
                                 const char* def, const char** out, roof_error* err);

/* Message helpers that prefix "FILE: node 'NAME' (OP): ". */
roof_status roof_node_fail(roof_error* err, roof_status s, const roof_graph* g, const roof_node* n,
                           const char* fmt, ...) ROOF_PRINTF(5, 6);

/* Input/output value pointers of a node (NULL for an omitted optional input). */
static inline roof_value* roof_in(const roof_graph* g, const roof_node* n, int i) {
  return (i < n->num_inputs && n->inputs[i] >= 0) ? &g->values[n->inputs[i]] : NULL;
}
static inline roof_value* roof_out(const roof_graph* g, const roof_node* n, int i) {
  return (i < n->num_outputs && n->outputs[i] >= 0) ? &g->values[n->outputs[i]] : NULL;
}

/* Attaches quantization parameters (copied) to value v, replacing any. Checks: axis -1 with
 * count 1, or 0 <= axis < rank with count == dims[axis]; every scale finite and > 0. Returns
 * ROOF_E_DATA with the rule broken in `why` (static text), ROOF_E_NOMEM; v unchanged then. */
roof_status roof_value_set_quant(roof_value* v, int axis, int64_t count, const float* scale, const int32_t* zero_point,
                                 const char** why);

/* Frees v->data unless borrowed, then forgets it (data NULL, nbytes 0, not borrowed). */
void roof_value_drop_data(roof_value* v);

/* Sets a value's dtype and shape (used by infer functions). */
void roof_value_set_shape(roof_value* v, int dtype, int rank, const int64_t* dims);
/* Element count (checked); false on overflow or unknown shape. */
bool roof_value_count(const roof_value* v, uint64_t* out);
/* Byte size (checked). */
bool roof_value_bytes(const roof_value* v, uint64_t* out);
/* Shape as "1x3x224x224" (scalar: "scalar"). */
const char* roof_shape_str(const int64_t* dims, int rank, char* buf, size_t n);

/* Marks node n removed and records it under g->folded with the pass and reason, unless the
 * node is not an original one (no provenance of its own). Its fused_from names are recorded. */
roof_status roof_graph_fold_node(roof_graph* g, int n, const char* pass, const char* reason);

/* Appends a provenance name (copied). */
roof_status roof_node_add_fused_from(roof_node* n, const char* name);

#endif
