/* Op schemas: what an ONNX op means, written once per op in its family's .c file.
 *
 * A schema knows nothing of how the op runs (that is the kernel table, ops/kernel.h):
 *   parse    attributes -> node->params (a struct of params_size bytes, zeroed by the caller).
 *            One schema serves every opset of the op; parse and infer read g->opset where the
 *            semantics changed (Clip's bounds as inputs from 11, Squeeze's axes from 13, ...).
 *   infer    input shapes (and constant data where the op needs it) -> output dtype + shape;
 *            pure with respect to everything but the node's outputs and params
 *   cost     final shapes -> macs, flops, bytes_read, bytes_written, params (pure)
 *   describe short text for reports ("k3x3 s2 g32")
 *
 * Ops are identified by roof_op_id (ROOF_OP_Conv, ...), generated from op_list.inc; nothing
 * outside the registry compares op-type strings.
 *
 * Cost conventions (see docs/cost-model.md): macs = multiply-accumulates of Conv, ConvTranspose,
 * Gemm, MatMul (bias excluded); flops = 2 * macs for those, 1 per output element for
 * elementwise ops, window size per output for pooling; bytes_read = all inputs as the kernel
 * reads them (activations and weights), bytes_written = all outputs; aliasing views cost 0.
 */
#ifndef ROOF_OP_H
#define ROOF_OP_H

#include <stdint.h>

#include "graph.h"

/* Every op rooftop knows, one id per schema (op_list.inc). */
typedef enum roof_op_id {
#define ROOF_OP(sym, family) ROOF_OP_##sym,
#include "op_list.inc"
#undef ROOF_OP
  ROOF_OP_COUNT
} roof_op_id;

typedef struct roof_cost {
  uint64_t macs;
  uint64_t flops;
  uint64_t bytes_read;
  uint64_t bytes_written;
  uint64_t params;       /* elements of constant inputs (weights, biases) */
  const char* formula;   /* id printed in reports, e.g. "conv2d", "eltwise", "view" */
  bool has_model;        /* false: no FLOP model for this op (its time is reported apart) */
} roof_cost;

enum {
  ROOF_OPF_ALIAS = 1u << 0,      /* output 0 shares input 0's buffer; nothing runs (a view) */
  ROOF_OPF_NO_FOLD = 1u << 1,    /* never evaluate at load even with constant inputs */
  ROOF_OPF_FUSED_ACT = 1u << 3,  /* params begin with a roof_act clamp (ops/fused_act.h) */
  ROOF_OPF_INPLACE = 1u << 4,    /* output 0 may share the buffer of any input with its shape and
                                  * layout (elementwise: each element read before it is written) */
  ROOF_OPF_PACKS_CONSTS = 1u << 5, /* some kernel of this op may pack its constant inputs (the
                                    * entry's packs_consts says which): weights may go once the
                                    * kernels reading them exist */
  ROOF_OPF_OPTIONAL_OUT0 = 1u << 6, /* output 0 may be absent (LSTM's Y when only Y_h is wanted):
                                     * the op's infer, cost and kernels check it */
  ROOF_OPF_LOAD_ONLY = 1u << 7,  /* replaced at load, never executed (If: its taken branch); the op
                                  * has no kernel entry, and one left in a graph is refused (69) */
  ROOF_OPF_STRINGS = 1u << 8,    /* its kernels handle string tensors (Cast, CastLike, Constant);
                                  * inference refuses a string input of any other op unless the op
                                  * is a view (ROOF_OPF_ALIAS) or the input is dtype-only */
};

/* How an op relates to the NHWC layout of rank-4 activations. */
typedef enum roof_layout_rule {
  ROOF_LR_ANY = 0,   /* strided kernels; rank-4 output follows the first rank-4 activation input */
  ROOF_LR_NHWC,      /* wants its rank-4 data input and output channels-last */
  ROOF_LR_PLAIN,     /* needs plain (NCHW) inputs; output plain (views: Reshape, Flatten, ...) */
  ROOF_LR_META,      /* reads no data, only shapes (Shape) */
} roof_layout_rule;

typedef struct roof_op_schema {
  roof_op_id id;
  const char* op_type;
  const char* domain;    /* "" = ai.onnx */
  int since_version;     /* first opset this schema serves */
  int until_version;     /* last opset (inclusive); 1000 = open-ended */
  uint32_t flags;
  roof_layout_rule layout;
  size_t params_size;
  /* Inputs whose values (not only shapes) infer reads: a shape, axes, pads, k. Bit i = input i
   * (ROOF_IN(i)). A graph input that reaches one of them is specialized at prepare: the model
   * is planned for the value given (roof_prepare_options.values), see runtime/specialize.c. */
  uint32_t value_inputs;
  /* Inputs of which only the element type is read (CastLike's target_type): bit i = input i.
   * Neither their shape nor their data matters, so a graph input read only there binds with any
   * shape, cost counts no bytes for them and kernels never touch their data. */
  uint32_t dtype_only_inputs;
  roof_status (*parse)(const roof_graph* g, const roof_node* n, void* params, roof_error* err);
  roof_status (*infer)(roof_graph* g, roof_node* n, roof_error* err);
  void (*cost)(const roof_graph* g, const roof_node* n, roof_cost* c);
  /* Short text such as "k3x3 s2 g32"; returns chars written (snprintf semantics). */
  int (*describe)(const roof_graph* g, const roof_node* n, char* buf, size_t size);
  /* Optional: the layout rule of parsed node n when it depends on its params (an attribute
   * saying which dim holds the channels); NULL: `layout` for every node. Pure. */
  roof_layout_rule (*layout_of)(const roof_node* n);
  /* Optional, ROOF_LR_NHWC ops: inputs besides input 0 that take the output's layout (bit i =
   * input i), as a residual added to a Conv's output does; NULL: none. Pure. */
  uint32_t (*nhwc_inputs)(const roof_node* n);
  /* Optional, for ROOF_OPF_ALIAS ops only: true when parsed and inferred node n computes after
   * all (a training-mode Dropout that drops): it is then planned, costed and run as any other
   * node, with its own output buffer and a kernel. NULL: every node of the op is a view. Pure;
   * reads the params infer set. Code asks roof_node_is_view(), never the flag alone. */
  bool (*runs)(const roof_node* n);
} roof_op_schema;

#define ROOF_IN(i) (1u << (i))

/* True when bound node n is a view: output 0 shares input 0's buffer and nothing runs. */
static inline bool roof_node_is_view(const roof_node* n) {
  return (n->op->flags & ROOF_OPF_ALIAS) && !(n->op->runs && n->op->runs(n));
}

/* Registry (ops/registry.c). */
const roof_op_schema* roof_op_schema_of(roof_op_id id);   /* NULL when out of range */
/* The schema of (domain, op_type) serving `opset`; NULL when unknown or out of range. */
const roof_op_schema* roof_op_find(const char* domain, const char* op_type, int64_t opset);
/* True if the op type is known at some opset (for "unsupported opset" vs "unknown op"). */
bool roof_op_known(const char* domain, const char* op_type);

/* True when node n is live and bound to op `id` (the way passes recognise ops). */
static inline bool roof_node_is(const roof_node* n, roof_op_id id) {
  return !n->removed && n->op != NULL && n->op->id == id;
}

#endif
