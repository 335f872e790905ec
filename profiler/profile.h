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
  double roofline_ms;     /* cache-aware: bandwidth of the level holding the working set */
  double roofline_dram_ms;
  int roofline_level;     /* ROOF_MEM_* */
  bool compute_bound;     /* intensity above the ridge point at that level */
  double efficiency;      /* roofline_ms / median */
  double headroom_ms;     /* median - roofline_ms */
  double achieved_gflops, achieved_gbs;
  bool above_roof;        /* efficiency > 1.05: the cost model is suspect for this layer */
  bool below_resolution;  /* median under the timer's resolution */
  bool unstable;          /* the median's ~95% interval is wider than +-5% of it (noise.h) */
} roof_layer;

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
} roof_profile_options;

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
  roof_sequence seq;
  bool* in_attention;          /* per layer: part of an attention block (num_layers, owned) */
  roof_noise noise;            /* timed profiles: verdict, its reasons, until-stable outcome */
} roof_profile;

/* Computes costs for every step and, when opts->timed, runs the session. Inputs must be bound. */
roof_status roof_profile_run(roof_session* s, const roof_profile_options* opts, roof_profile* p,
                             roof_error* err);
/* Costs, describe text and shapes of every executed node of a prepared model, from its graph
 * alone (rooftop info): no session, no kernel, no arena allocated, no weight packed; the arena
 * figures are the planner's estimate (arena_estimated). `threads` is recorded as given (0: the
 * online cores, as a session would resolve it). The model is not modified. */
roof_status roof_profile_static(const roof_model* m, uint32_t threads, roof_profile* p, roof_error* err);
/* Finds attention blocks and fills p->seq and p->in_attention (after costs and, for timed
 * profiles, layer times). false only when out of memory (the figures stay zero). */
bool roof_profile_sequence(roof_profile* p);
/* Adds roofline figures from hardware roofs to every layer. */
void roof_profile_roofline(roof_profile* p, const roof_hw* hw);
void roof_profile_free(roof_profile* p);

/* Energy per inference from the hardware file's constants (cheat-sheet family IV):
 * power = TDP x utilization x PUE; energy = power x latency. All zero when the file gives no
 * TDP. Estimates from constants, not measurements. */
typedef struct roof_energy {
  bool valid;
  double power_w, joules, wh, gco2, cost;
} roof_energy;
roof_energy roof_profile_energy(const roof_profile* p);

typedef enum roof_sort { ROOF_SORT_ORDER = 0, ROOF_SORT_TIME, ROOF_SORT_HEADROOM, ROOF_SORT_EFFICIENCY } roof_sort;

/* Terminal table, at most 100 columns; `top` 0 = all layers. */
void roof_report_table(FILE* f, const roof_profile* p, roof_sort sort, int top);

#endif
