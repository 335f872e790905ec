/* The op interface: one descriptor per ONNX op, defined in its family's .c file.
 *
 * Lifecycle of one executed node:
 *   parse   attributes -> node->params (struct of params_size bytes, zeroed by the caller)
 *   infer   input shapes (and constant data where the op needs it) -> output dtype + shape;
 *           pure with respect to everything but the node's outputs and params
 *   cost    final shapes -> macs, flops, bytes_read, bytes_written, params (pure)
 *   create  build the XNNPACK operator / pack weights; ROOF_E_UNSUPPORTED => reference kernel
 *   setup   bind k->in[] / k->out[] data pointers (called once per arena binding)
 *   run     the only timed region; NULL means "xnn_run_operator(k->xop[0])"
 *   destroy frees what create made; must accept a half-built kernel
 *   ref     naive kernel over strided views; the fallback and the oracle of every test
 *
 * Cost conventions (see docs/cost-model.md): macs = multiply-accumulates of Conv, ConvTranspose,
 * Gemm, MatMul (bias excluded); flops = 2 * macs for those, 1 per output element for
 * elementwise ops, window size per output for pooling; bytes_read = all inputs as the kernel
 * reads them (activations and weights), bytes_written = all outputs; aliasing views cost 0.
 */
#ifndef ROOF_OP_H
#define ROOF_OP_H

#include <pthreadpool.h>
#include <stdint.h>
#include <xnnpack.h>

#include "graph.h"

typedef struct roof_cost {
  uint64_t macs;
  uint64_t flops;
  uint64_t bytes_read;
  uint64_t bytes_written;
  uint64_t params;       /* elements of constant inputs (weights, biases) */
  const char* formula;   /* id printed in reports, e.g. "conv2d", "eltwise", "view" */
  bool has_model;        /* false: no FLOP model for this op (its time is reported apart) */
} roof_cost;

typedef struct roof_kernel roof_kernel;

enum {
  ROOF_OPF_ALIAS = 1u << 0,      /* output 0 shares input 0's buffer; run is a no-op */
  ROOF_OPF_NO_FOLD = 1u << 1,    /* never evaluate at load even with constant inputs */
  ROOF_OPF_XNNPACK = 1u << 2,    /* has an XNNPACK path (shown by `rooftop ops`) */
  ROOF_OPF_FUSED_ACT = 1u << 3,  /* params begin with a roof_act clamp (ops/fused_act.h) */
  ROOF_OPF_PACKS_CONSTS = 1u << 5, /* a successful create copies every constant input but input 0
                                     * (packed weights, bias); run never reads them */
  ROOF_OPF_INPLACE = 1u << 4,    /* output 0 may share the buffer of any input with its shape and
                                  * layout (elementwise: each element read before it is written) */
};

/* How an op relates to the NHWC layout of rank-4 activations. */
typedef enum roof_layout_rule {
  ROOF_LR_ANY = 0,   /* strided kernels; rank-4 output follows the first rank-4 activation input */
  ROOF_LR_NHWC,      /* wants its rank-4 data input and output channels-last */
  ROOF_LR_PLAIN,     /* needs plain (NCHW) inputs; output plain (views: Reshape, Flatten, ...) */
  ROOF_LR_META,      /* reads no data, only shapes (Shape) */
} roof_layout_rule;

typedef struct roof_op_desc {
  const char* op_type;
  const char* domain;    /* "" = ai.onnx */
  int since_version;     /* first opset this descriptor serves */
  int until_version;     /* last opset (inclusive) */
  uint32_t flags;
  roof_layout_rule layout;
  size_t params_size;
  roof_status (*parse)(const roof_graph* g, const roof_node* n, void* params, roof_error* err);
  roof_status (*infer)(roof_graph* g, roof_node* n, roof_error* err);
  void (*cost)(const roof_graph* g, const roof_node* n, roof_cost* c);
  /* Short text such as "k3x3 s2 g32"; returns chars written (snprintf semantics). */
  int (*describe)(const roof_graph* g, const roof_node* n, char* buf, size_t size);
  roof_status (*create)(roof_kernel* k, roof_error* err);
  roof_status (*setup)(roof_kernel* k, roof_error* err);
  roof_status (*run)(roof_kernel* k);
  void (*destroy)(roof_kernel* k);
  roof_status (*ref)(roof_kernel* k, roof_error* err);
} roof_op_desc;

/* A node made executable. The executor fills everything but `xop` and `state`. */
struct roof_kernel {
  const roof_op_desc* desc;
  const roof_graph* g;
  const roof_node* node;
  const void* params;      /* node->params */
  roof_tensor* in;         /* num_in views; data == NULL for an omitted optional input */
  int num_in;
  roof_tensor* out;
  int num_out;
  pthreadpool_t pool;      /* may be NULL (single thread) */
  xnn_operator_t xop[2];
  void* state;             /* op-owned (packed weights, scratch), freed by destroy */
  bool use_ref;            /* set when create answered unsupported or the user forced it */
  uint64_t max_scratch_bytes; /* what create/setup may have XNNPACK allocate besides the outputs
                               * (indirection buffers): the single-tensor limit */
  bool native;             /* set by create when the fast path is rooftop's own vectorized code
                            * (an op this XNNPACK lacks), not an XNNPACK operator */
};

/* Registry (ops/registry.c). */
size_t roof_op_count(void);
const roof_op_desc* roof_op_at(size_t i);
/* Highest since_version <= opset for (domain, op_type); NULL when unknown or out of range. */
const roof_op_desc* roof_op_find(const char* domain, const char* op_type, int64_t opset);
/* True if the op type is known at some opset (for "unsupported opset" vs "unknown op"). */
bool roof_op_known(const char* domain, const char* op_type);

/* Dispatch helpers used by the executor and the tests. roof_kernel_run does nothing (ROOF_OK)
 * when every output the node has holds zero elements: kernels may assume at least one. */
roof_status roof_kernel_run(roof_kernel* k, roof_error* err);
/* True when the kernel has at least one output and every one present holds zero elements. */
bool roof_kernel_outputs_empty(const roof_kernel* k);

/* Common default for run: xnn_run_operator(k->xop[0], k->pool). */
roof_status roof_xnn_run(roof_kernel* k);
/* Common default for destroy: deletes xop[0..1] and frees state. */
void roof_xnn_destroy(roof_kernel* k);
/* XNNPACK status -> roof status with a message naming the call. */
roof_status roof_xnn_check(enum xnn_status s, const roof_kernel* k, const char* what, roof_error* err);
/* XNNPACK's indirection buffer for a windowed op (conv, pooling): N x OH x OW x KH x KW pointers
 * at most (XNNPACK allocates it in setup, outside any arena). False when that exceeds
 * k->max_scratch_bytes: the caller answers unsupported and the reference kernel runs instead. */
bool roof_xnn_indirection_ok(const roof_kernel* k, int64_t n, int64_t oh, int64_t ow, int64_t kh, int64_t kw);

#endif
