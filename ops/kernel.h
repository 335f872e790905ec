/* The kernel table: how ops run, per backend and dtype (what they mean is ops/op.h).
 *
 * Every entry is one way to run one op: {op, backend, dtypes, supports, create, setup, run,
 * destroy, input padding, scratch}. kernel_list.inc lists them all, in priority order within
 * an op (usually XNNPACK, then native, then the reference kernel, which every op has). The
 * executor takes the first entry whose dtypes and `supports` accept the node and whose
 * `create` succeeds; the reason each earlier entry gave is kept in the kernel (`reason`) and
 * shown in reports ("xnnpack: Resize mode nearest").
 *
 * Lifecycle of one executed node:
 *   supports  cheap static check on shapes, layouts and params (NULL: always); writes why not
 *   create    build backend operators / pack weights. May answer ROOF_E_UNSUPPORTED with a
 *             reason in err (the next entry is tried); any other error stops the session.
 *   setup     bind k->in[] / k->out[] data pointers and k->scratch (once per arena binding)
 *   run       the only timed region
 *   destroy   frees what create made; must accept a half-built kernel
 * Reference entries have only `run`: the naive kernel over strided views, the fallback, the
 * load-time evaluator and the oracle of every op test.
 *
 * Thread-safety: a kernel belongs to one session; run uses the session's pool and must not be
 * called concurrently on one kernel.
 */
#ifndef ROOF_KERNEL_H
#define ROOF_KERNEL_H

#include <pthreadpool.h>

/* Flags of every pthreadpool_parallelize_* call of a kernel: denormals flushed to zero (inputs
 * and results), as XNNPACK runs its operators, so that all backends see the same numbers and no
 * kernel takes x86's slow path for subnormal operands (native MatMul on vit_b_16 with a real
 * image: 467 ms instead of 238 ms of layer time). Reference kernels run without it. */
#define ROOF_POOL_FLAGS PTHREADPOOL_FLAG_DISABLE_DENORMALS

#include "op.h"

typedef enum roof_backend {
  ROOF_BACKEND_XNNPACK = 0, /* XNNPACK operators */
  ROOF_BACKEND_NATIVE,      /* rooftop's own vectorized, threaded kernels */
  ROOF_BACKEND_REF,         /* naive reference kernels (every dtype the schema accepts) */
  ROOF_BACKEND_COUNT
} roof_backend;

const char* roof_backend_name(roof_backend b); /* "xnnpack", "native", "ref" */

typedef struct roof_kernel roof_kernel;

typedef struct roof_kernel_impl {
  roof_op_id op;
  roof_backend backend;
  /* dtypes of input 0 this entry runs, 0-terminated; NULL: every dtype the schema accepts */
  const int* dtypes;
  bool (*supports)(const roof_kernel* k, char* why, size_t why_size);
  roof_status (*create)(roof_kernel* k, roof_error* err);
  roof_status (*setup)(roof_kernel* k, roof_error* err);
  roof_status (*run)(roof_kernel* k, roof_error* err);
  void (*destroy)(roof_kernel* k);
  size_t input_padding; /* bytes the kernel may read past the end of every input */
  /* create copies every constant input but input 0 (packed weights, bias) and run never reads
   * them: a model-level release may free them once the kernel exists */
  bool packs_consts;
  /* bytes of scratch the run needs (k->scratch, shared by all kernels of a session since they
   * run one after the other); NULL: none */
  uint64_t (*scratch_bytes)(const roof_kernel* k);
  /* NULL, or the algorithm that sets this entry apart from others of its backend ("winograd"):
   * `rooftop ops` prints "native/winograd" */
  const char* algorithm;
} roof_kernel_impl;

/* A node made executable. The executor fills everything but `state` and `handle`. */
struct roof_kernel {
  const roof_op_schema* op;
  const roof_kernel_impl* impl; /* chosen entry; NULL for views (ROOF_OPF_ALIAS) */
  const roof_graph* g;
  const roof_node* node;
  const void* params;      /* node->params */
  roof_tensor* in;         /* num_in views; data == NULL for an omitted optional input */
  int num_in;
  roof_tensor* out;
  int num_out;
  pthreadpool_t pool;      /* may be NULL (single thread) */
  void* state;             /* entry-owned (parameters, packed data), freed by destroy */
  void* handle;            /* the backend's operator (an XNNPACK operator), deleted by destroy */
  void* scratch;           /* impl->scratch_bytes(k) bytes, valid during setup and run */
  uint64_t max_scratch_bytes; /* what create/setup may have a backend allocate besides the
                               * outputs (indirection buffers): the single-tensor limit */
  char reason[256];        /* why the entries before impl refused the node ("" if none did) */
  int winograd;            /* roof_session_options.winograd: 0 tune per layer, 1 on, -1 off */
  int force_reference;     /* roof_session_options.force_reference (control ops pass it on to
                            * the sessions of their bodies) */
  const uint64_t* deadline_ns; /* the outermost session's run deadline (CLOCK_MONOTONIC ns; 0 or
                                * NULL: none), read by control kernels between iterations and
                                * passed on to their bodies' kernels when they run */
  /* Set by create when the entry runs another algorithm than the op's cost model counts
   * (Winograd convolution): the FLOPs it executes per run and its name; 0 / NULL otherwise. */
  uint64_t executed_flops;
  const char* algorithm;
};

/* Dtype signatures shared by entries (0-terminated). */
extern const int roof_dtypes_f32[]; /* float32 */

/* Defines roof_kernel_SYM_ref: the reference entry of op SYM for the dtypes DTYPES (NULL: all). */
#define ROOF_REF_KERNEL(SYM, DTYPES, RUN) \
  const roof_kernel_impl roof_kernel_##SYM##_ref = {.op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_REF, .dtypes = DTYPES, .run = RUN}

/* The table (ops/kernel_registry.c). */
size_t roof_kernel_impl_count(void);
const roof_kernel_impl* roof_kernel_impl_at(size_t i);
/* The reference entry of an op; NULL when the op has none (views evaluate through theirs). */
const roof_kernel_impl* roof_kernel_ref_of(roof_op_id op);
/* True when entry e lists input-0 dtype `dtype` (dtypes NULL: every dtype). */
bool roof_kernel_impl_takes(const roof_kernel_impl* e, int dtype);
/* True when an entry of `op` other than the reference one takes input-0 dtype `dtype`: the
 * 16-bit float stage (runtime/widen16.h) runs float16 layers without one on float32 twins. */
bool roof_kernel_has_fast(roof_op_id op, int dtype);

/* Chooses and creates the kernel of k (op, graph, node, params, views, pool filled in): the
 * first entry in priority order that accepts it, skipping every backend but `only` when `only`
 * is not ROOF_BACKEND_COUNT. Refusals are recorded in k->reason. On error k is destroyed. */
roof_status roof_kernel_select(roof_kernel* k, roof_backend only, roof_error* err);
/* Runs setup of the chosen entry (after data pointers are bound). */
roof_status roof_kernel_setup(roof_kernel* k, roof_error* err);
/* Runs the kernel; does nothing (ROOF_OK) when every output holds zero elements: kernels may
 * assume at least one. */
roof_status roof_kernel_run(roof_kernel* k, roof_error* err);
/* Frees what the chosen entry made; accepts a kernel never created. */
void roof_kernel_destroy(roof_kernel* k);
/* True when the kernel has at least one output and every one present holds zero elements. */
bool roof_kernel_outputs_empty(const roof_kernel* k);
/* Backend-global initialisation (XNNPACK's); idempotent. */
roof_status roof_kernels_init(roof_error* err);
/* supports() of an entry compiled out on this architecture (always refuses, says so). */
bool roof_kernel_not_built(const roof_kernel* k, char* why, size_t why_size);
/* For create functions: ROOF_E_UNSUPPORTED with the reason (printf format) in err, so that the
 * executor moves on to the next entry and reports why. */
roof_status roof_kernel_refuse(roof_error* err, const char* fmt, ...) ROOF_PRINTF(2, 3);

#endif
