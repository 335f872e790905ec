/* The XNNPACK backend: the only header that includes xnnpack.h (with xnn_backend.c and the
 * kernels built on it). Everything that knows the XNNPACK API generation lives behind it. */
#ifndef ROOF_XNN_BACKEND_H
#define ROOF_XNN_BACKEND_H

#include <xnnpack.h>

#include "kernel.h"

/* XNNPACK may read XNN_EXTRA_BYTES past the end of every input: the input_padding of every
 * XNNPACK entry. */
#define ROOF_XNN_PADDING XNN_EXTRA_BYTES

/* Defines roof_kernel_SYM_xnnpack: a float32 XNNPACK entry of op SYM whose operator is
 * k->handle (run: xnn_run_operator; destroy: roof_xnn_destroy unless DESTROY says otherwise).
 * ROOF_XNN_PACKING_KERNEL: the same for an operator that packs the constant inputs (weights). */
#define ROOF_XNN_KERNEL_(SYM, SUPPORTS, CREATE, SETUP, DESTROY, PACKS)                                       \
  const roof_kernel_impl roof_kernel_##SYM##_xnnpack = {                                                     \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_XNNPACK, .dtypes = roof_dtypes_f32, .supports = SUPPORTS, \
      .create = CREATE, .setup = SETUP, .run = roof_xnn_run, .destroy = DESTROY,                             \
      .input_padding = ROOF_XNN_PADDING, .packs_consts = PACKS}
#define ROOF_XNN_KERNEL(SYM, SUPPORTS, CREATE, SETUP, DESTROY) ROOF_XNN_KERNEL_(SYM, SUPPORTS, CREATE, SETUP, DESTROY, false)
#define ROOF_XNN_PACKING_KERNEL(SYM, SUPPORTS, CREATE, SETUP, DESTROY) \
  ROOF_XNN_KERNEL_(SYM, SUPPORTS, CREATE, SETUP, DESTROY, true)

static inline xnn_operator_t roof_xop(const roof_kernel* k) { return (xnn_operator_t)k->handle; }

/* After an xnn_create_* call that wrote `op`: keeps it in k->handle and maps the status.
 * unsupported_parameter / unsupported_hardware refuse (the next entry runs, the reason is
 * reported); any other failure, invalid_parameter included (rooftop passed a bad value, a bug),
 * is ROOF_E_INTERNAL with XNNPACK's status in the message. */
roof_status roof_xnn_created(enum xnn_status s, xnn_operator_t op, roof_kernel* k, const char* what, roof_error* err);
/* Status of an xnn_setup_* / xnn_run_* call, mapped as above. */
roof_status roof_xnn_check(enum xnn_status s, const roof_kernel* k, const char* what, roof_error* err);
/* run: xnn_run_operator(k->handle, k->pool). */
roof_status roof_xnn_run(roof_kernel* k, roof_error* err);
/* destroy: deletes k->handle and frees k->state. */
void roof_xnn_destroy(roof_kernel* k);
/* XNNPACK's indirection buffer for a windowed op (conv, pooling): N x OH x OW x KH x KW pointers
 * at most (XNNPACK allocates it in setup, outside any arena). False when that exceeds
 * k->max_scratch_bytes: the caller refuses and the next entry runs. */
bool roof_xnn_indirection_ok(const roof_kernel* k, int64_t n, int64_t oh, int64_t ow, int64_t kh, int64_t kw);

#endif
