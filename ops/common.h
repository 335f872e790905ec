/* Helpers shared by op families: axes, constant inputs, broadcasting, conv/pool geometry,
 * generic infer/cost/ref building blocks. Everything here is pure (no globals). */
#ifndef ROOF_OPS_COMMON_H
#define ROOF_OPS_COMMON_H

#include "kernel.h"

/* Inlined even into a caller compiled for another ISA (target attribute): the per-ISA wrappers
 * of the native kernels each get their own copy of a body compiled for their vector width. */
#define ROOF_ALWAYS_INLINE static inline __attribute__((always_inline))

/* True when the value's data is available at load time (initializer, folded or evaluated). */
static inline bool roof_value_has_data(const roof_value* v) {
  return v != NULL && v->data != NULL && (v->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN));
}

/* axis in [-rank, rank) -> [0, rank); names the attribute in the error. */
roof_status roof_norm_axis(const roof_graph* g, const roof_node* n, const char* what, int64_t axis,
                           int rank, int* out, roof_error* err);

/* Reads constant integer input `i` (int64 or int32, any rank, at most `max` elements).
 * Errors: input absent (when required), data unknown at load ("must be constant"), too long. */
roof_status roof_const_ints(const roof_graph* g, const roof_node* n, int i, int64_t* out, size_t max,
                            size_t* count, roof_error* err);
roof_status roof_const_floats(const roof_graph* g, const roof_node* n, int i, float* out, size_t max,
                              size_t* count, roof_error* err);

/* Requires input i present with a known shape and one of the listed dtypes (0-terminated). */
roof_status roof_require_input(const roof_graph* g, const roof_node* n, int i, const int* dtypes,
                               roof_error* err);
extern const int roof_float_only[];   /* {FLOAT, 0} */
/* {FLOAT, FLOAT16, BFLOAT16, 0}: ops whose kernels are float32 only accept 16-bit floats too;
 * the 16-bit float stage (runtime/widen16.h) runs them on float32 twins. */
extern const int roof_float_types[];
/* Requires input i present with a known shape and the dtype of input `like` (one type
 * constraint T for both); ROOF_E_DATA naming both tensors and dtypes. */
roof_status roof_require_same_dtype(const roof_graph* g, const roof_node* n, int i, int like, roof_error* err);

/* Output 0 gets input 0's dtype and shape (unary elementwise ops). */
roof_status roof_infer_same(roof_graph* g, roof_node* n, roof_error* err);

/* True when a is dense (plain, or NHWC of rank 4) and b, of the same dims, has a's strides
 * (size-1 dims aside): one flat loop over roof_tensor_count(a) elements then maps element i of
 * a's buffer to element i of b's. Elementwise fast paths require it. */
bool roof_same_dense_layout(const roof_tensor* a, const roof_tensor* b);
/* supports() of elementwise kernels over a flat buffer: input 0 and output 0 one dense layout. */
bool roof_supports_same_dense(const roof_kernel* k, char* why, size_t why_size);

/* Multidirectional (numpy) broadcasting of two shapes; ROOF_E_DATA naming both shapes. */
roof_status roof_broadcast_shape(const roof_graph* g, const roof_node* n, const int64_t* a, int ra,
                                 const int64_t* b, int rb, int64_t* out, int* rout, roof_error* err);
/* A view of `in` broadcast to out dims (right-aligned; stride 0 on broadcast dims). */
void roof_broadcast_view(const roof_tensor* in, int out_rank, const int64_t* out_dims, roof_tensor* view);

/* Conv / pool geometry, opset semantics of ONNX Conv/MaxPool/AveragePool. */
typedef struct roof_spatial {
  int nsp;                 /* spatial dims (1..3) */
  int64_t kernel[3];
  int64_t strides[3];
  int64_t dilations[3];
  int64_t pads[6];         /* begin0, begin1, ..., end0, end1, ... (resolved after infer) */
  int auto_pad;            /* ROOF_AUTOPAD_* */
  int ceil_mode;
  int count_include_pad;
} roof_spatial;

enum { ROOF_AUTOPAD_NOTSET = 0, ROOF_AUTOPAD_VALID, ROOF_AUTOPAD_SAME_UPPER, ROOF_AUTOPAD_SAME_LOWER };

/* Parses kernel_shape (optional when kernel_from_weights), strides, dilations, pads, auto_pad,
 * ceil_mode, count_include_pad; checks strides/dilations >= 1, pads >= 0, attribute lengths. */
roof_status roof_spatial_parse(const roof_graph* g, const roof_node* n, int nsp, roof_spatial* s,
                               roof_error* err);
/* Output spatial dims for input dims `in` (nsp values); resolves SAME pads using the stride. */
roof_status roof_spatial_infer(const roof_graph* g, const roof_node* n, roof_spatial* s,
                               const int64_t* in, int64_t* out, roof_error* err);

/* Cost of an elementwise op: 1 flop per output element, all inputs read, outputs written. */
void roof_cost_eltwise(const roof_graph* g, const roof_node* n, roof_cost* c);
/* Bytes of every present input / output (checked, saturating). */
uint64_t roof_cost_input_bytes(const roof_graph* g, const roof_node* n);
uint64_t roof_cost_output_bytes(const roof_graph* g, const roof_node* n);
/* Elements of constant inputs (weights) of a node. */
uint64_t roof_cost_const_params(const roof_graph* g, const roof_node* n);

#endif
