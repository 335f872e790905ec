/* Profiling a session: plain end-to-end runs for latency, then instrumented runs with one
 * monotonic timestamp after every kernel, per-layer statistics, and the roofline per layer.
 *
 * Ownership: roof_profile_run() and roof_profile_static() allocate `layers` (and the raw
 * stamps); roof_profile_free() releases them (accepts a zeroed struct). The profile points into
 * the model's graph (and, after roof_profile_run, into the session's kernel reasons): keep the
 * model (and session) alive while the profile is used.
 */
#ifndef ROOF_PROFILE_H
#define ROOF_PROFILE_H

#include <stdio.h>

#include "hw.h"
#include "model.h"
#include "noise.h"
#include "stats.h"

typedef struct roof_layer {
  int index;              /* execution order */
  const roof_node* node;
  const char* kernel;     /* backend: "xnnpack", "native", "ref" or "view"; NULL when no kernel
                           * was chosen (roof_profile_static: views still say "view") */
  const char* kernel_reason; /* why faster entries refused the node ("" if none did, or none
                              * chosen); owned by the session */
  char describe[64];
  roof_cost cost;
  roof_stats time_ms;     /* over instrumented runs, warm-up excluded */
  double share;           /* of the sum of layer medians */
  /* roofline (valid when the profile has hardware roofs) */
  double intensity;       /* flops / (bytes_read + bytes_written) */
  double roofline_ms;     /* residency-aware bound: max(compute time, memory time), the memory
                           * time summing each tensor at the bandwidth of the level it comes
                           * from (profiler/residency.h) */
  double roofline_dram_ms; /* the same with every byte from DRAM */
  int roofline_level;     /* ROOF_MEM_*: the level that takes the most memory time */
  bool compute_bound;     /* compute time >= memory time */
  uint64_t read_from[ROOF_MEM_LEVELS];  /* bytes of input tensors by the level they come from */
  uint64_t written_to[ROOF_MEM_LEVELS]; /* bytes of output tensors by the level they land in */
  uint64_t in_place[ROOF_MEM_LEVELS];   /* the part of written_to written over an input the layer
                                         * read (no read for ownership: the lines are there) */
  int inplace_input;      /* input whose buffer output 0 reuses (the session's plan), -1 none */
  double efficiency;      /* roofline_ms / median */
  double headroom_ms;     /* median - roofline_ms */
  double achieved_gflops, achieved_gbs;
  /* FLOPs the chosen kernel executes per run when its algorithm differs from the direct one the
   * cost model counts (cost.flops, what the roofline judges): Winograd convolution executes
   * fewer, so its efficiency may pass 100% without the model being wrong. Equal to cost.flops
   * and algorithm NULL otherwise. */
  uint64_t executed_flops;
  const char* algorithm;  /* "winograd F(4x4,3x3)"; static text */
  bool fast_algorithm;    /* efficiency > 1.05 explained: below the roof of the executed FLOPs */
  bool above_roof;        /* efficiency > 1.05 unexplained: the cost model is suspect for this layer */
  const char* above_reason; /* static text: the likeliest reason, when above_roof */
  bool below_resolution;  /* median under the timer's resolution */
  double predicted_ms;    /* roofline time on the profile's target machine (has_target) */
  bool unstable;          /* the median's ~95% interval is wider than +-5% of it (noise.h) */
  /* Precision (roof_dtype values; docs/report-json.md): store_weights is the dtype the model
   * stores the layer's float weights in (0: none), even when the layer runs on float32 copies
   * of them (node->stored_dtype, runtime/widen16.h); store_acts the dtype of its activation
   * input in the arena; compute the dtype its kernel computes in: output 0's float dtype
   * (input 0's when not float), double for reference kernels on 16-bit floats (their scalar
   * I/O widens). Bytes in `cost` are those of the tensors the kernel reads and writes. */
  int store_weights, store_acts, compute;
  int widened_from;       /* node->stored_dtype: the model's 16-bit dtype of a layer run on
                           * float32 twins (runtime/widen16.h), 0 otherwise */
  /* If, Loop and Scan run at run time (ops/control.c): time_ms holds their bodies' layers,
   * listed in roof_profile.body_layers. self_ms is the median over timed runs of the layer's
   * time minus its bodies' layers' time in that run (copies of outer, carried and scanned
   * values, the condition); 0 for other layers. */
  bool has_bodies;
  double self_ms;
  /* The dequantize/requantize sandwich (roof_profile_dq_sandwich): a float layer whose
   * non-constant inputs all come from DequantizeLinear layers and whose output a
   * QuantizeLinear reads. The bytes those DQs and Qs (and layout conversions between) move
   * for it, which the same layer in the float model does not move; 0 when not flagged. */
  uint64_t dq_sandwich_bytes;
} roof_layer;

/* A layer of a body of an If, Loop or Scan decided at run time (profiler/bodies.c). Its time
 * is inside its enclosing row's (the control layer's, or a nested control row's): body rows are
 * never added to layer_sum_ms. Figures are per timed run of the profile, taken around its
 * instrumented runs (streams mode: not timed, body_runs 0; roof_profile_static: from the planned
 * subgraphs, kernel "-", not timed). */
typedef struct roof_body_layer {
  int parent;              /* index in layers of the top-level control layer holding it */
  int owner;               /* -1: a body of layers[parent]; else the body_layers index of the
                            * nested control row whose body it is */
  int depth;               /* 1: body of a top-level node, 2: of a node in a body, ... */
  const char* label;       /* its body: "then", "else" or "body" */
  const roof_node* node;   /* the body's node, named "<control node>/<label>/<name>" */
  const char* kernel;      /* backend, as roof_layer.kernel */
  roof_cost cost;          /* per iteration of its body */
  char describe[64];       /* the op's describe text, as roof_layer's */
  int runs_executed;       /* timed runs in which its body ran at least once (0: not executed,
                            * e.g. the If branch not taken) */
  roof_stats iterations;   /* per timed run: times its body ran (0 in runs where it did not) */
  roof_stats total_ms;     /* per timed run it ran in: its time summed over the iterations */
  double per_iteration_ms; /* median over those runs of total / iterations */
  double share;            /* total_ms.median / layer_sum_ms */
  bool has_bodies;         /* a nested If / Loop / Scan: self_ms as in roof_layer */
  double self_ms;
} roof_body_layer;

/* "16>32": the model's storage > compute, dtypes as short names (16, b16, 32, 64, i8, u8, i32,
 * i64, bool...). Storage is widened_from for a widened layer, else weights/activations when
 * they differ ("16/32>32"); returns chars written (snprintf semantics). */
int roof_layer_precision(const roof_layer* l, char* buf, size_t size);

/* Sequence-model figures of a profile (profiler/sequence.c); all zero when the graph has no
 * attention. Attention blocks are found in the executed graph: a Softmax over scores made by a
 * MatMul of two activations (through the scale and mask ops between), and the MatMul of its
 * output with another activation (the values). */
typedef struct roof_sequence {
  int attention_blocks;
  int64_t keys;             /* keys per query: the scores' last dim (first block) */
  int64_t queries;          /* query rows per head: the scores' second-to-last dim */
  int64_t tokens;           /* token vectors per run: rows of the first dense layer's input */
  uint64_t flops_per_token; /* profile flops / tokens, counted from the graph */
  uint64_t dense_params;    /* params of layers other than Gather (embedding tables excluded) */
  uint64_t rule_flops_per_token; /* forward-pass rule of thumb: 2 x dense_params */
  double attention_ms;      /* sum of layer medians of the blocks (timed profiles) */
  double attention_share;   /* of the sum of layer medians */
} roof_sequence;

typedef struct roof_profile_options {
  int runs;     /* timed runs per phase (default 20) */
  int warmup;   /* untimed runs before each phase (default 3) */
  bool timed;   /* false: static analysis only (rooftop info) */
  /* Optional progress of the timed phases, called on the profiling thread outside every timed
   * region: before each run with done = runs finished so far, and once with done == total
   * when the phase ends. `phase` is a constant string ("warm-up", "latency runs",
   * "instrumented warm-up", "instrumented runs"). NULL: no calls. */
  void (*progress)(void* ctx, const char* phase, int done, int total);
  void* progress_ctx;
  /* Until stable: batches of `runs` timed runs go on until two successive batches agree (the
   * latency median and the median of every layer above 1% of the time moved by less than 2%),
   * or max_runs timed runs (0: 10 batches, at least 200 runs) or max_seconds of timed runs
   * (0: 60) are reached; the statistics cover every batch. */
  bool until_stable;
  int max_runs;
  double max_seconds;
  /* true: other processes are not read from /proc (a few ms per hundred processes; the busy
   * list stays unknown), for callers that profile in a tight loop such as a fuzzer. */
  bool skip_process_scan;
  /* Run control (rooftop profile --duration, --percentiles, Ctrl-C). duration_s > 0: timed
   * runs go on until that many seconds of them have passed, at least `runs` and at most
   * ROOF_DURATION_MAX_RUNS (not with until_stable). percentiles: the latency percentiles to
   * report (0 < q <= 100, at most ROOF_MAX_PERCENTILES; NULL: 50, 90, 95, 99). stop: asked
   * on the profiling thread before every warm-up and timed run but the first timed one; true
   * ends the profile with the runs made (roof_profile.stopped). NULL: never stops early. */
  double duration_s;
  const double* percentiles;
  int num_percentiles;
  bool (*stop)(void* ctx);
  void* stop_ctx;
  /* Throughput mode (rooftop profile --streams N): num_streams > 0 more sessions of the same
   * prepared model (inputs bound, each with its own arena and kernels; the caller divides the
   * threads among them) run at once with the profiled one, each on its own thread: after
   * `warmup` runs, `runs` plain runs per stream (throughput, latency under load), then `runs`
   * instrumented runs per stream (layer times under load). Statistics pool every stream's
   * runs; not with until_stable or duration_s. The sessions stay the caller's. */
  roof_session* const* streams;
  int num_streams;
  /* State across calls (rooftop profile --feedback OUT=IN): after every run (warm-up, timed,
   * every stream's) output feedback[i][0] is copied into input feedback[i][1], outside the
   * timed region, as a streaming model's caller does between frames. Pairs are checked before
   * the first run (roof_session_feedback_check). */
  const size_t (*feedback)[2];
  int num_feedback;
} roof_profile_options;
#define ROOF_DURATION_MAX_RUNS 100000
#define ROOF_MAX_FEEDBACK 16
#define ROOF_MAX_PERCENTILES 8

typedef struct roof_profile {
  const roof_graph* g;         /* the prepared graph the layers stand for */
  roof_layer* layers;
  int num_layers;
  int runs, warmup;
  roof_stats latency_ms;       /* plain runs, no per-layer timers */
  roof_stats instrumented_ms;  /* runs with per-layer timestamps */
  double layer_sum_ms;         /* sum of layer medians */
  double overhead_pct;         /* instrumented median vs plain median */
  double unmodelled_ms;        /* time in layers with no FLOP model */
  uint64_t peak_rss_bytes;
  double minor_faults_per_run;
  double timer_resolution_ns;
  /* totals */
  uint64_t params, weight_bytes, flops, macs, bytes;
  int dq_sandwich_layers;      /* layers with dq_sandwich_bytes > 0, and the sum of those bytes */
  uint64_t dq_sandwich_bytes;
  uint32_t threads;            /* the session's, or what a session would use (static) */
  bool kernels_chosen;         /* false: static profile, no session (layers' kernel NULL) */
  size_t arena_bytes;          /* planned activation arena */
  size_t activation_bytes_total; /* naive sum of executed activations */
  bool arena_estimated;        /* planned without kernels: every input padded for the widest
                                * kernel entry of its reader's op (an upper bound on padding) */
  bool has_hw;
  roof_hw hw;
  uint64_t* stamps;            /* runs x (num_layers + 1) raw timestamps (ns), owned */
  char affinity[256];          /* CPUs the process may run on, e.g. "0-1" */
  /* The machine measured (or, static, the one a session would run on): runtime/cpus.h. */
  char cpu[128];               /* model name from /proc/cpuinfo */
  uint32_t allowed_cpus;       /* affinity mask capped by the cgroup CPU quota */
  bool oversubscribed;         /* threads > allowed_cpus: threads take turns, times inflate */
  roof_core_types cores;       /* this machine's core types (core_types.h; one on most machines) */
  unsigned cores_used;         /* bit i: the affinity holds a CPU of type i (the types run on) */
  const roof_layer* above_peak; /* a layer faster than hw's compute peak allows (the probe is
                                 * suspect; roof_profile_roofline), or NULL */
  /* Prediction for another machine (roof_profile_predict); never mixed with the measured
   * figures and roofs above, which are always this machine's. */
  bool has_target;
  roof_hw target;              /* the machine predicted (a --hw file) */
  double predicted_ms;         /* sum of the layers' predicted_ms */
  roof_sequence seq;
  bool* in_attention;          /* per layer: part of an attention block (num_layers, owned) */
  roof_noise noise;            /* timed profiles: verdict, its reasons, until-stable outcome */
  /* Run control and figures of timed profiles (roof_profile_options above). */
  double* latency_runs_ms;     /* plain latency of every timed run, in run order (runs, owned) */
  int num_percentiles;
  double percentile_q[ROOF_MAX_PERCENTILES], percentile_ms[ROOF_MAX_PERCENTILES]; /* of latency */
  double duration_s;           /* as asked for (0: none) */
  double first_run_ms;         /* the session's first run (cold: first touch of arena and weights) */
  bool stopped;                /* opts->stop ended the profile early: runs made so far */
  long long started_unix;      /* wall-clock second the timed phase started (time(NULL)) */
  /* Throughput mode: streams run at once (1: the plain profile; runs and the statistics then
   * pool all of them), inferences per second over the plain phase (all streams' finished runs
   * divided by its wall time), and that wall time. */
  int streams;
  double throughput_per_s;
  double streams_wall_ms;
  /* State fed back between runs (options.feedback): output and input index pairs. */
  size_t feedback[ROOF_MAX_FEEDBACK][2];
  int num_feedback;
  /* Layers of control-flow bodies (roof_body_layer): each control layer's bodies in order,
   * a nested control row's bodies right after it. body_runs: the timed runs they were measured
   * over (0: not timed). */
  roof_body_layer* body_layers;
  int num_body_layers;
  int body_runs;
  /* Set by the caller, which loads (0: not measured): model load and prepare, and session
   * creation (kernels created, weights packed), in ms. */
  double load_ms, session_ms;
} roof_profile;

/* After a run of s: the copies opts->feedback asks for (none: ROOF_OK). */
roof_status roof_profile_feed_back(roof_session* s, const roof_profile_options* opts, roof_error* err);
/* True when a layer stores or computes in a dtype other than float32 and the integer types of
 * shape arithmetic (16-bit floats, 8-bit integers, double): the table shows its prec column. */
bool roof_profile_mixed_precision(const roof_profile* p);

/* Computes costs for every step and, when opts->timed, runs the session. Inputs must be bound. */
roof_status roof_profile_run(roof_session* s, const roof_profile_options* opts, roof_profile* p,
                             roof_error* err);
/* Costs, describe text and shapes of every executed node of a prepared model, from its graph
 * alone (rooftop info): no session, no kernel, no arena allocated, no weight packed; the arena
 * figures are the planner's estimate (arena_estimated). `threads` is recorded as given (0: roof_default_threads(),
 * as a session would resolve it). The model is not modified. */
roof_status roof_profile_static(const roof_model* m, uint32_t threads, roof_profile* p, roof_error* err);
/* Finds attention blocks and fills p->seq and p->in_attention (after costs and, for timed
 * profiles, layer times). false only when out of memory (the figures stay zero). */
bool roof_profile_sequence(roof_profile* p);
/* Flags float layers left between DequantizeLinear and QuantizeLinear (roof_layer.
 * dq_sandwich_bytes, the profile's count and sum); called by roof_profile_run and
 * roof_profile_static. Out of memory: nothing flagged. */
void roof_profile_dq_sandwich(roof_profile* p);
/* Adds roofline figures from hardware roofs to every layer. The roofs must be those of the
 * machine the profile ran on; sets p->above_peak when a layer outran the compute peak
 * (achieved > 1.05 x peak on a layer of at least ROOF_PEAK_CHECK_MS median). The compute peak
 * of a layer whose compute precision is int8 or uint8 is hw->peak_int8_gops when the roofs
 * have one (roof_hw_peak_for), else peak_gflops; such a layer is then not checked against the
 * peak, nor are layers computing in other integer types. */
void roof_profile_roofline(roof_profile* p, const roof_hw* hw);
#define ROOF_PEAK_CHECK_MS 0.05
/* Predicted time of every layer on `target` (another machine, e.g. a spec file): its roofline
 * time max(flops / peak, bytes / bandwidth of the level holding the working set), with the
 * target's figures alone; p->predicted_ms is their sum. Measured figures are not touched. */
void roof_profile_predict(roof_profile* p, const roof_hw* target);
void roof_profile_free(roof_profile* p);

/* Energy per inference from the hardware file's constants (cheat-sheet family IV):
 * power = TDP x utilization x PUE; energy = power x latency. All zero when the file gives no
 * TDP. Estimates from constants, not measurements. roof_profile_energy: this machine's
 * constants (p->hw, if it has any) applied to the measured median latency. */
typedef struct roof_energy {
  bool valid;
  double power_w, joules, wh, gco2, cost;
} roof_energy;
roof_energy roof_profile_energy(const roof_profile* p);
/* The same from the target's constants applied to the predicted latency (has_target). */
roof_energy roof_profile_energy_predicted(const roof_profile* p);

typedef enum roof_sort { ROOF_SORT_ORDER = 0, ROOF_SORT_TIME, ROOF_SORT_HEADROOM, ROOF_SORT_EFFICIENCY } roof_sort;

/* Terminal table, at most 100 columns; `top` 0 = all layers. */
void roof_report_table(FILE* f, const roof_profile* p, roof_sort sort, int top);
/* The same within `width` columns (0: no limit, names whole): the layer column takes what the
 * other columns leave, names shortened to fit keeping their block numbers (then cut in the
 * middle); the kernel shape column (describe) shown where it fits; a by-op summary follows.
 * Lines the table does not lay out (model path, CPU name) may be wider. */
void roof_report_table_fit(FILE* f, const roof_profile* p, roof_sort sort, int top, int width);

#endif
