/* Throughput mode (rooftop profile --streams N): N sessions of one model run at once, each on
 * its own thread, the way benchmark_app's throughput mode loads a machine with parallel
 * inference requests. Internal to the profiler (profile.c calls it). */
#ifndef ROOF_STREAMS_H
#define ROOF_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* What the streams measured. Rows are compacted stream after stream: rows [0, kept) of the
 * caller's buffers hold every kept run. */
typedef struct roof_streams_result {
  size_t kept;          /* runs kept: per stream, the plain and instrumented runs it finished
                         * (the smaller count), summed over the streams */
  size_t inferences;    /* plain runs finished in the throughput phase, all streams */
  double wall_ms;       /* throughput phase: first stream's start to last stream's end */
  double first_run_ms;  /* stream 0's first (cold) run */
  bool stopped;         /* o->stop ended the phases early */
} roof_streams_result;

/* Runs the n sessions s[0..n) (inputs bound, n >= 2) together, each on its own POSIX thread:
 * `warmup` untimed runs, then, started together, `runs` plain runs each (throughput and
 * latency under load; plain[stream * runs + r], ms), then, started together again, `runs`
 * instrumented runs each (stamps row stream * runs + r, n1 timestamps per row). plain must hold
 * n * runs values and stamps n * runs * n1. o->stop, when set, is asked before every run but
 * each stream's first of a phase, from the stream threads (it must be thread-safe). On error
 * the first failing stream's status and message are returned (the others finish their runs). */
roof_status roof_streams_run(roof_session* const* s, int n, const roof_profile_options* o, int warmup, size_t runs,
                             size_t n1, double* plain, uint64_t* stamps, roof_streams_result* out, roof_error* err);

#endif
