/* rooftop: per-layer roofline profiler for ONNX models on XNNPACK.
 *
 * Public API. Lifecycle:
 *   roof_model_load()     read + validate an ONNX file into an IR (no protobuf types kept)
 *   roof_model_copy()     optional: a second model borrowing the first one's weights
 *   roof_model_prepare()  bind dynamic dims, infer shapes, run fusion passes, choose layouts
 *   roof_session_create() plan the arena, pack weights, create kernels (XNNPACK or reference);
 *                         never modifies the model
 *   roof_model_release_weights()  optional: free the weights a session's kernels packed
 *                         (roof_model_release_to_session: both, releasing as kernels pack)
 *   roof_session_run()    run once; optionally record a timestamp after every kernel
 *
 * Errors: every function returns a roof_status whose numeric value is the exit code a CLI
 * should use (sysexits.h). On failure, `err->message` holds one line naming the file, node,
 * tensor and the rule that was broken; out-parameters are written only on success.
 *
 * Thread-safety: a model or session is used by one thread at a time; different objects are
 * independent. The library never prints, aborts or exits.
 */
#ifndef ROOFTOP_H
#define ROOFTOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ROOF_VERSION "0.1.0"

typedef enum roof_status {
  ROOF_OK = 0,
  ROOF_E_USAGE = 64,       /* bad command line or API argument */
  ROOF_E_DATA = 65,        /* invalid model or input data (includes exceeded limits) */
  ROOF_E_NOINPUT = 66,     /* file cannot be opened or read */
  ROOF_E_UNSUPPORTED = 69, /* valid ONNX, but an op/dtype/case rooftop does not handle */
  ROOF_E_INTERNAL = 70,    /* bug or XNNPACK failure */
  ROOF_E_NOMEM = 71,       /* allocation failed */
  ROOF_E_CANTCREAT = 73,   /* output file cannot be created */
  ROOF_E_IO = 74,          /* write error */
  ROOF_E_TIMEOUT = 75,     /* run time limit reached (checked between kernels; EX_TEMPFAIL) */
} roof_status;

/* One-line diagnostic; always NUL-terminated; empty on success. */
typedef struct roof_error {
  char message[1024];
} roof_error;

const char* roof_status_name(roof_status s);

typedef struct roof_model roof_model;
typedef struct roof_session roof_session;

/* Limits applied while loading untrusted files. Zero fields take the documented defaults. */
typedef struct roof_load_options {
  uint64_t max_file_bytes;      /* default 2 GiB - 1 */
  uint32_t max_nesting_depth;   /* default 100 (protobuf message nesting) */
  uint32_t decode_budget_factor;/* decoder may allocate this many times the file size (default 8) + 64 MiB */
  uint32_t max_nodes;           /* default 1,000,000 */
  uint32_t max_initializers;    /* default 1,000,000 */
  uint32_t max_name_bytes;      /* default 4096 */
  uint64_t max_tensor_bytes;    /* default 4 GiB, any single tensor (file or planned) */
  uint32_t max_rank;            /* default 6 (ROOF_MAX_RANK, also the largest allowed value):
                                   initializers, Constant tensors and graph inputs */
  bool keep_unsupported;        /* false (default): a node of an unknown op fails the load (69,
                                   every such op named). true: such nodes are kept, unbound, and
                                   only a prepare with `partial` accepts them (rooftop info) */
} roof_load_options;

roof_status roof_model_load(const char* path, const roof_load_options* opts, roof_model** model_out,
                            roof_error* err);
void roof_model_free(roof_model* model); /* accepts NULL */

/* A second model from one load, to prepare differently (rooftop compare: fused and unfused).
 * `src` must be loaded and neither prepared nor itself a copy (ROOF_E_USAGE).
 * Ownership: the copy owns its names, nodes and attributes, and every constant its own
 * preparation makes (folded values, fused weights). The constant buffers it was copied with
 * (initializers, Constant tensors) it borrows from `src`: it reads them and never writes or
 * frees them; roof_model_release_weights on the copy only stops it referencing them. `src`
 * must outlive the copy. It may meanwhile be prepared, serve sessions and release weights:
 * buffers a live copy still references are kept (freeing the copy, or releasing its weights,
 * lets a later release of `src` free them). Copying and freeing a copy update `src`'s list of
 * copies: do both on the thread that uses `src`. */
roof_status roof_model_copy(roof_model* src, roof_model** copy_out, roof_error* err);

/* Binding of a graph input's dims from the CLI: name and a full static shape. */
typedef struct roof_shape_binding {
  const char* name;
  int rank;
  int64_t dims[6];
} roof_shape_binding;

/* The value of a graph input (from the CLI's --input files). Only the inputs whose values define
 * shapes (a Reshape's shape, a Range's limit, TopK's k, ... reached through any computation)
 * use it: the model is planned for that value ("specialized") and every run must pass the same
 * bytes; prepare again for another value. Values of other inputs are ignored. */
typedef struct roof_value_binding {
  const char* name;
  int dtype;          /* roof dtype id, as roof_io_info.dtype */
  int rank;
  int64_t dims[6];
  const void* data;   /* nbytes of row-major data, copied by roof_model_prepare */
  size_t nbytes;
} roof_value_binding;

typedef struct roof_prepare_options {
  const roof_shape_binding* shapes;
  size_t num_shapes;
  const roof_value_binding* values;
  size_t num_values;
  const char* fusion;  /* "all" (default when NULL), "none", or a comma list of pass names */
  uint64_t max_arena_bytes; /* default 16 GiB */
  /* false (default): any node that cannot be analysed fails the prepare. true: analyse what can
   * be: nodes of unsupported ops (load with keep_unsupported), nodes whose shapes cannot be
   * inferred, and every node reading a tensor one of those makes are set aside, listed in the
   * graph's folded nodes under the pass "not_analysed" with the reason; fusion passes do not
   * run. Such a model serves static profiles (rooftop info) but no session (ROOF_E_USAGE). */
  bool partial;
} roof_prepare_options;

roof_status roof_model_prepare(roof_model* model, const roof_prepare_options* opts, roof_error* err);

typedef struct roof_session_options {
  uint32_t threads;    /* 0: the CPUs this process may use (affinity mask, capped by a cgroup
                          CPU quota); more than that is allowed but only takes turns */
  int force_reference; /* 1: use reference kernels for every op (oracle runs) */
  double timeout_s;    /* > 0: roof_session_run answers ROOF_E_TIMEOUT once this many seconds have
                          passed since the session's first run started (0: no limit) */
  int winograd;        /* 3x3 stride-1 convolutions: 0 = the environment's ROOFTOP_WINOGRAD
                          (on, off; unset or auto: per layer, timed once against XNNPACK at
                          session creation and cached), 1 = Winograd wherever it applies,
                          -1 = never */
} roof_session_options;

/* Plans the arena, creates kernels. The model is only read: several sessions may be created
 * from one model (one thread at a time). Fails with ROOF_E_USAGE on a model whose weights were
 * released. The model must outlive the session. */
roof_status roof_session_create(const roof_model* model, const roof_session_options* opts,
                                roof_session** session_out, roof_error* err);
void roof_session_free(roof_session* session); /* accepts NULL */

/* Frees constants of a prepared model to lower peak memory (one copy of the weights).
 *   session NULL: the constants no executed node reads (a BatchNorm's parameters after conv_bn,
 *     the unfused weights it replaced). Sessions are unaffected and can still be created; call it
 *     after roof_model_prepare and before roof_session_create, while no weight is packed yet.
 *   session non-NULL: also every constant the kernels of `session` only read at creation (the
 *     weights they packed copies of). `session` must come from `model`, and every other session
 *     of `model` must already be freed (their kernels may read what this frees). `session` runs
 *     as before; no further session can be created from the model (ROOF_E_USAGE).
 * A copy (roof_model_copy) never frees a borrowed buffer, it stops referencing it; a model
 * with live copies keeps every buffer they still reference. The model keeps names, shapes and
 * costs (reports). Calling it again frees nothing more. */
roof_status roof_model_release_weights(roof_model* model, const roof_session* session, roof_error* err);

/* roof_session_create followed by roof_model_release_weights(model, NULL) before and
 * (model, session) after, with the peak memory of one copy of the weights instead of two:
 * each constant goes as soon as the last kernel reading it has packed its copy. The same
 * rules hold (every other session of `model` freed beforehand, buffers lent to live copies
 * kept); the model serves no further session afterwards, nor after a failure (some constants
 * may be gone by then). */
roof_status roof_model_release_to_session(roof_model* model, const roof_session_options* opts,
                                          roof_session** session_out, roof_error* err);

/* What a graph value holds: a tensor (the default), a sequence of tensors, or an optional
 * (empty, or one tensor / one sequence), as ONNX's TypeProto says. */
typedef enum roof_kind {
  ROOF_KIND_TENSOR = 0,
  ROOF_KIND_SEQUENCE = 1,
  ROOF_KIND_OPT_TENSOR = 2,
  ROOF_KIND_OPT_SEQUENCE = 3,
} roof_kind;

/* Graph inputs and outputs, in graph order. Data is float32 or int64 etc. as `dtype`
 * (ONNX TensorProto.DataType codes), dims are logical (ONNX order, NCHW). For a sequence or
 * optional (kind != ROOF_KIND_TENSOR) dtype is the element dtype, rank 0 and nbytes 0: its
 * contents go through the sequence functions below. A string tensor (dtype 8) holds
 * ROOF_STRING_BYTES bytes per element: the UTF-8 bytes (at most ROOF_STRING_BYTES - 1, no NUL
 * among them), then NUL padding to the element's end. */
#define ROOF_STRING_BYTES 64
typedef struct roof_io_info {
  const char* name;
  int dtype;
  int rank;
  int64_t dims[6];
  size_t nbytes;
  int kind;           /* roof_kind */
} roof_io_info;

size_t roof_session_num_inputs(const roof_session* s);
size_t roof_session_num_outputs(const roof_session* s);
void roof_session_input_info(const roof_session* s, size_t i, roof_io_info* info);
void roof_session_output_info(const roof_session* s, size_t i, roof_io_info* info);

/* Copies `nbytes` (must equal info.nbytes) into the session's input buffer. */
roof_status roof_session_set_input(roof_session* s, size_t i, const void* data, size_t nbytes,
                                   roof_error* err);
/* Pointer to the output's data (logical layout, contiguous); valid until the next run or free. */
const void* roof_session_output(const roof_session* s, size_t i);

/* One tensor of a sequence or optional: logical dims, row-major data of nbytes. */
typedef struct roof_tensor_data {
  int dtype;
  int rank;
  int64_t dims[6];
  const void* data;
  size_t nbytes;
} roof_tensor_data;

/* Sets a sequence or optional input (kind != ROOF_KIND_TENSOR) to copies of `count` tensors
 * (the caller keeps `elems` and their data). A sequence: present must be true, any count. An
 * optional: present false (count 0) is empty; present true holds one tensor (OPT_TENSOR, count 1)
 * or one sequence of `count` tensors (OPT_SEQUENCE). Every tensor has the input's element
 * dtype. ROOF_E_USAGE for a tensor input or a bad count, ROOF_E_DATA naming the input for a
 * wrong dtype or byte size, ROOF_E_NOMEM; the input keeps its previous contents on failure. */
roof_status roof_session_set_input_sequence(roof_session* s, size_t i, bool present, const roof_tensor_data* elems, size_t count,
                                            roof_error* err);
/* Reads a sequence or optional output after a run: *present (an empty optional: false) and
 * *count (its tensors). ROOF_E_USAGE for a tensor output or an index out of range. */
roof_status roof_session_output_sequence(const roof_session* s, size_t i, bool* present, size_t* count, roof_error* err);
/* Tensor j of sequence/optional output i; elem->data points into the session and stays valid
 * until the next run or free. ROOF_E_USAGE when i or j is out of range. */
roof_status roof_session_output_element(const roof_session* s, size_t i, size_t j, roof_tensor_data* elem, roof_error* err);

/* State carried across calls, as streaming (voice, sequence) models are used: output `out` of a
 * run becomes input `in` of the next. roof_session_feedback_check: ROOF_OK when both exist and
 * have the same dtype and shape, and the input sets no shape (its value was not planned for);
 * else ROOF_E_USAGE naming both tensors and the rule. roof_session_feed_back: that check, then
 * the copy (after a run; the output may share the input's buffer). */
roof_status roof_session_feedback_check(const roof_session* s, size_t out, size_t in, roof_error* err);
roof_status roof_session_feed_back(roof_session* s, size_t out, size_t in, roof_error* err);

/* Runs every kernel once. When `stamps_ns` is non-NULL it must hold
 * roof_session_num_steps()+1 entries: stamps_ns[0] is taken before the first kernel and
 * stamps_ns[k+1] after kernel k (CLOCK_MONOTONIC, nanoseconds). No allocation happens here.
 * With a timeout (roof_session_options.timeout_s) the clock is read between kernels; past the
 * deadline the run stops before the next kernel and answers ROOF_E_TIMEOUT (outputs are then
 * incomplete; the session stays valid and can be freed). */
size_t roof_session_num_steps(const roof_session* s);
roof_status roof_session_run(roof_session* s, uint64_t* stamps_ns, roof_error* err);

/* Process exit code for a status (identical numbers; kept as a function for clarity). */
static inline int roof_exit_code(roof_status s) { return (int)s; }

#ifdef __cplusplus
}
#endif
#endif
