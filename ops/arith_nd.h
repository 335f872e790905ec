/* XNNPACK's two-operand *_nd_f32 operators with numpy broadcasting, shared by the arith family
 * (Add, Sub, Mul, Div: ops/arith.c, which defines these) and the binary family (2-input Max and
 * Min: ops/binary.c). The operands are k->in[0] and k->in[1], the output k->out[0] (float32).
 * Only this header and the two families know these entry pieces. */
#ifndef ROOF_ARITH_ND_H
#define ROOF_ARITH_ND_H

#include "kernel.h"

typedef enum roof_nd_kind { ROOF_ND_ADD, ROOF_ND_SUB, ROOF_ND_MUL, ROOF_ND_DIV, ROOF_ND_MAX, ROOF_ND_MIN } roof_nd_kind;

/* create: physical shapes of both operands (NHWC outputs permute every operand's dims; constant
 * operands in the wrong memory order are repacked once, strided activations refused) and the
 * operator, clamped to [min, max] (ignored by MAX and MIN, which XNNPACK does not clamp). */
roof_status roof_nd_create(roof_kernel* k, roof_nd_kind kind, float min, float max, roof_error* err);
/* setup: binds the operands (or their repacked copies) and the output. */
roof_status roof_nd_setup(roof_kernel* k, roof_error* err);
/* destroy: frees the repacked operands and the operator; accepts a half-built kernel. */
void roof_nd_destroy(roof_kernel* k);

#endif
