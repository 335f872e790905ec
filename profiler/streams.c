/* Throughput mode: N sessions run at once, one POSIX thread each (every session keeps its own
 * pthreadpool). Two phases, each started when every stream is there: plain runs for throughput and latency under load,
 * then instrumented runs for per-layer times under the same load; separate so that the
 * instrumentation's overhead does not weigh on the throughput figure. */
#define _GNU_SOURCE 1
#include "streams.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* Where the streams meet: each arrives at gate k (0: warm, 1: throughput phase done) and waits
 * until the main thread opens it, which it does once all n arrived, or aborts it when a stream
 * could not be started. A barrier cannot be given up on; this can. */
typedef struct gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int arrived[2];
  int open; /* gates below this are open */
  bool abort;
} gate;

static bool gate_pass(gate* g, int k) {
  pthread_mutex_lock(&g->mu);
  g->arrived[k]++;
  pthread_cond_broadcast(&g->cv);
  while (g->open <= k && !g->abort) pthread_cond_wait(&g->cv, &g->mu);
  bool ok = !g->abort;
  pthread_mutex_unlock(&g->mu);
  return ok;
}

/* Main thread: waits for all n at gate k, then opens it. */
static void gate_open(gate* g, int k, int n) {
  pthread_mutex_lock(&g->mu);
  while (g->arrived[k] < n) pthread_cond_wait(&g->cv, &g->mu);
  g->open = k + 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static void gate_abort(gate* g) {
  pthread_mutex_lock(&g->mu);
  g->abort = true;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

typedef struct stream_job {
  roof_session* s;
  const roof_profile_options* o;
  int index, warmup;
  size_t runs, n1;
  double* plain;     /* this stream's rows: runs values */
  uint64_t* stamps;  /* runs x n1 */
  gate* gate;
  double t_start, t_end, first_ms;
  size_t done_plain, done_instr;
  bool stopped;
  roof_status st;
  roof_error err;
} stream_job;

static bool asked_to_stop(stream_job* j) {
  if (j->o->stop && j->o->stop(j->o->stop_ctx)) j->stopped = true;
  return j->stopped;
}

/* One phase's runs: plain (stamps NULL) or instrumented; *done counts those finished. */
static void phase(stream_job* j, bool instrumented, size_t* done) {
  for (size_t r = 0; r < j->runs && j->st == ROOF_OK; r++) {
    if (r > 0 && asked_to_stop(j)) break;
    double t0 = now_ms();
    j->st = roof_session_run(j->s, instrumented ? j->stamps + r * j->n1 : NULL, &j->err);
    if (j->st != ROOF_OK) break;
    if (!instrumented) j->plain[r] = now_ms() - t0;
    j->st = roof_profile_feed_back(j->s, j->o, &j->err); /* each stream carries its own state */
    if (j->st != ROOF_OK) break;
    *done = r + 1;
  }
}

static void* stream_main(void* arg) {
  stream_job* j = arg;
  for (int w = 0; w < j->warmup && j->st == ROOF_OK; w++) {
    double t0 = now_ms();
    j->st = roof_session_run(j->s, NULL, &j->err);
    if (w == 0) j->first_ms = now_ms() - t0;
    if (j->st == ROOF_OK) j->st = roof_profile_feed_back(j->s, j->o, &j->err);
  }
  if (!gate_pass(j->gate, 0)) return NULL; /* every stream warm before the clock starts */
  j->t_start = now_ms();
  if (j->st == ROOF_OK) phase(j, false, &j->done_plain);
  j->t_end = now_ms();
  if (!gate_pass(j->gate, 1)) return NULL;
  if (j->st == ROOF_OK) phase(j, true, &j->done_instr);
  return NULL;
}

/* Moves every stream's kept rows together: rows [0, kept) then hold all of them. */
static size_t compact(stream_job* jobs, int n, size_t runs, size_t n1, double* plain, uint64_t* stamps) {
  size_t kept = 0;
  for (int i = 0; i < n; i++) {
    size_t k = jobs[i].done_plain < jobs[i].done_instr ? jobs[i].done_plain : jobs[i].done_instr;
    memmove(plain + kept, plain + (size_t)i * runs, k * sizeof(double));
    memmove(stamps + kept * n1, stamps + (size_t)i * runs * n1, k * n1 * sizeof(uint64_t));
    kept += k;
  }
  return kept;
}

roof_status roof_streams_run(roof_session* const* s, int n, const roof_profile_options* o, int warmup, size_t runs,
                             size_t n1, double* plain, uint64_t* stamps, roof_streams_result* out, roof_error* err) {
  stream_job* jobs = calloc((size_t)n, sizeof(stream_job));
  pthread_t* tids = calloc((size_t)n, sizeof(pthread_t));
  gate g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  roof_status st = ROOF_OK;
  int started = 0;
  if (jobs == NULL || tids == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "out of memory for %d streams", n);
    goto cleanup;
  }
  for (int i = 0; i < n; i++) {
    jobs[i] = (stream_job){.s = s[i], .o = o, .index = i, .warmup = warmup, .runs = runs, .n1 = n1,
                           .plain = plain + (size_t)i * runs, .stamps = stamps + (size_t)i * runs * n1,
                           .gate = &g, .st = ROOF_OK};
  }
  for (started = 0; started < n; started++) {
    if (pthread_create(&tids[started], NULL, stream_main, &jobs[started]) != 0) break;
  }
  if (started < n) { /* all or none: the started ones are released from the first gate */
    gate_abort(&g);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    st = roof_fail(err, ROOF_E_NOMEM, "cannot start stream %d of %d (threads exhausted)", started + 1, n);
    goto cleanup;
  }
  gate_open(&g, 0, n);
  gate_open(&g, 1, n);
  for (int i = 0; i < n; i++) pthread_join(tids[i], NULL);
  roof_streams_result r = {.first_run_ms = jobs[0].first_ms};
  double t0 = jobs[0].t_start, t1 = jobs[0].t_end;
  for (int i = 0; i < n; i++) {
    if (jobs[i].st != ROOF_OK && st == ROOF_OK) {
      st = jobs[i].st;
      *err = jobs[i].err;
    }
    t0 = jobs[i].t_start < t0 ? jobs[i].t_start : t0;
    t1 = jobs[i].t_end > t1 ? jobs[i].t_end : t1;
    r.inferences += jobs[i].done_plain;
    r.stopped = r.stopped || jobs[i].stopped;
  }
  if (st != ROOF_OK) goto cleanup;
  r.wall_ms = t1 - t0;
  r.kept = compact(jobs, n, runs, n1, plain, stamps);
  *out = r;
cleanup:
  free(jobs);
  free(tids);
  return st;
}
