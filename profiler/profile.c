/* Profiling: plain runs for latency alternating with instrumented runs for per-layer time,
 * per-layer cost from the op descriptors, and the roofline per layer. */
#define _GNU_SOURCE 1
#include "profile.h"
#include "bodies.h"
#include "residency.h"
#include "cpus.h"
#include "streams.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static const char* kernel_name(const roof_kernel* k) { return k->impl ? roof_backend_name(k->impl->backend) : "view"; }

static void totals(roof_profile* p) {
  const roof_graph* g = p->g;
  for (int v = 0; v < g->num_values; v++) {
    const roof_value* val = &g->values[v];
    uint64_t c, b;
    if (!(val->flags & ROOF_VAL_INITIALIZER) || !roof_value_count(val, &c)) continue;
    p->params += c; /* every initializer element once, whoever aliases it */
    if (roof_value_bytes(val, &b)) p->weight_bytes += b;
  }
  for (int i = 0; i < p->num_layers; i++) {
    p->flops += p->layers[i].cost.flops;
    p->macs += p->layers[i].cost.macs;
    p->bytes += p->layers[i].cost.bytes_read + p->layers[i].cost.bytes_written;
  }
}

/* Precision of layer l (see roof_layer): weights from the node's largest constant float or
 * 8-bit integer input (a QLinearConv's int8 weights, not its float scales), activations from its
 * first executed input, compute from its outputs and kernel. */
static void precision(const roof_graph* g, const roof_node* n, const char* kernel, roof_layer* l) {
  uint64_t most = 0;
  const roof_value* out0 = roof_out(g, n, 0);
  bool int_out = out0 && !roof_dtype_is_float(out0->dtype);
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    uint64_t count = 0;
    if (v == NULL) continue;
    bool weight = (v->flags & ROOF_VAL_CONST) != 0;
    bool typed = roof_dtype_is_float(v->dtype) || v->dtype == ROOF_DT_INT8 || v->dtype == ROOF_DT_UINT8;
    /* an integer layer's one-element constants are its scales and zero points, not weights */
    if (weight && typed && roof_value_count(v, &count) && !(int_out && count == 1) &&
        (!l->store_weights || count > most)) {
      l->store_weights = n->stored_dtype && roof_dtype_is_float(v->dtype) ? n->stored_dtype : v->dtype;
      most = count;
    }
    if (!weight && !l->store_acts) l->store_acts = v->dtype;
  }
  const roof_value* y = roof_out(g, n, 0);
  if (!l->store_acts && y) l->store_acts = y->dtype;
  if (n->stored_dtype && l->store_weights == ROOF_DT_FLOAT) l->store_weights = n->stored_dtype;
  l->compute = y && roof_dtype_is_float(y->dtype) ? y->dtype : l->store_acts;
  l->widened_from = n->stored_dtype;
  bool narrow = l->compute == ROOF_DT_FLOAT16 || l->compute == ROOF_DT_BFLOAT16;
  if (narrow && kernel && strcmp(kernel, "ref") == 0) l->compute = ROOF_DT_DOUBLE;
}

static const char* short_dtype(int dt) {
  switch (dt) {
    case ROOF_DT_FLOAT: return "32";
    case ROOF_DT_FLOAT16: return "16";
    case ROOF_DT_BFLOAT16: return "b16";
    case ROOF_DT_DOUBLE: return "64";
    case ROOF_DT_INT8: return "i8";
    case ROOF_DT_UINT8: return "u8";
    case ROOF_DT_INT16: return "i16";
    case ROOF_DT_UINT16: return "u16";
    case ROOF_DT_INT32: return "i32";
    case ROOF_DT_UINT32: return "u32";
    case ROOF_DT_INT64: return "i64";
    case ROOF_DT_UINT64: return "u64";
    case ROOF_DT_BOOL: return "bool";
    default: return "?";
  }
}

int roof_layer_precision(const roof_layer* l, char* buf, size_t size) {
  const char* a = short_dtype(l->store_acts);
  const char* c = short_dtype(l->compute);
  if (l->widened_from) return snprintf(buf, size, "%s>%s", short_dtype(l->widened_from), c);
  if (l->store_weights && l->store_weights != l->store_acts) {
    return snprintf(buf, size, "%s/%s>%s", short_dtype(l->store_weights), a, c);
  }
  if (l->store_acts == l->compute) return snprintf(buf, size, "%s", a);
  return snprintf(buf, size, "%s>%s", a, c);
}

static bool reduced(int dt) {
  return dt == ROOF_DT_FLOAT16 || dt == ROOF_DT_BFLOAT16 || dt == ROOF_DT_DOUBLE || dt == ROOF_DT_INT8 || dt == ROOF_DT_UINT8;
}

bool roof_profile_mixed_precision(const roof_profile* p) {
  for (int i = 0; i < p->num_layers; i++) {
    const roof_layer* l = &p->layers[i];
    if (l->widened_from || reduced(l->store_weights) || reduced(l->store_acts) || reduced(l->compute)) return true;
  }
  return false;
}

/* Cost and describe text of layer i, standing for node n (the schema's, from final shapes). */
static void fill_layer(roof_profile* p, int i, const roof_node* n, const char* kernel, const char* reason) {
  roof_layer* l = &p->layers[i];
  l->index = i;
  l->node = n;
  l->kernel = kernel;
  l->kernel_reason = reason;
  l->inplace_input = -1;
  l->cost.formula = "none";
  if (n->op->cost) n->op->cost(p->g, n, &l->cost);
  l->executed_flops = l->cost.flops;
  l->algorithm = NULL;
  if (n->op->describe) n->op->describe(p->g, n, l->describe, sizeof(l->describe));
  precision(p->g, n, kernel, l);
  uint64_t bytes = l->cost.bytes_read + l->cost.bytes_written;
  l->intensity = bytes ? (double)l->cost.flops / (double)bytes : 0.0;
}

static void fill_static(roof_profile* p, const roof_session* s) {
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    fill_layer(p, i, k->node, kernel_name(k), k->reason);
    if (k->impl && k->algorithm) {
      p->layers[i].executed_flops = k->executed_flops;
      p->layers[i].algorithm = k->algorithm;
    }
    const roof_node* n = k->node;
    void* out = n->num_outputs > 0 && n->outputs[0] >= 0 ? s->value_ptr[n->outputs[0]] : NULL;
    for (int j = 0; j < n->num_inputs && out && !roof_node_is_view(n); j++) {
      if (n->inputs[j] >= 0 && s->value_ptr[n->inputs[j]] == out) p->layers[i].inplace_input = j;
    }
  }
}

/* CPU model, CPU set, whether the threads outnumber the CPUs allowed (p->threads set) and the
 * core types that CPU set holds. */
static void machine_facts(roof_profile* p) {
  roof_cpu_limits lim;
  roof_cpu_limits_get(&lim);
  snprintf(p->affinity, sizeof(p->affinity), "%s", lim.cpu_set);
  roof_hw_cpu_name(p->cpu, sizeof(p->cpu));
  p->allowed_cpus = lim.allowed;
  p->oversubscribed = p->threads > lim.allowed;
  roof_core_types_detect(NULL, &p->cores);
  p->cores_used = roof_core_types_in_list(&p->cores, lim.cpu_set);
}

/* A machine's constants applied to a latency: energy of that machine only, never another's. */
static roof_energy energy_for(const roof_hw* hw, double ms) {
  roof_energy e = {0};
  if (!(hw->tdp_w > 0) || !(ms > 0)) return e;
  double util = hw->utilization > 0 ? hw->utilization : 1.0, pue = hw->pue > 0 ? hw->pue : 1.0;
  e.valid = true;
  e.power_w = hw->tdp_w * util * pue;
  e.joules = e.power_w * ms / 1e3;
  e.wh = e.joules / 3600.0;
  e.gco2 = e.wh / 1000.0 * hw->grid_gco2_per_kwh;
  e.cost = e.wh / 1000.0 * hw->price_per_kwh;
  return e;
}

roof_energy roof_profile_energy(const roof_profile* p) {
  roof_energy none = {0};
  return p->has_hw ? energy_for(&p->hw, p->latency_ms.median) : none;
}

roof_energy roof_profile_energy_predicted(const roof_profile* p) {
  roof_energy none = {0};
  return p->has_target ? energy_for(&p->target, p->predicted_ms) : none;
}

static double timer_resolution_ns(void) {
  struct timespec r;
  clock_getres(CLOCK_MONOTONIC, &r);
  /* getres reports 1 ns on Linux; the real step is the cost of reading the clock. */
  double t0 = now_ms(), t1 = t0;
  int n = 0;
  while (n < 1000) {
    t1 = now_ms();
    n++;
  }
  double per_read = (t1 - t0) * 1e6 / n;
  double res = (double)r.tv_sec * 1e9 + (double)r.tv_nsec;
  return per_read > res ? per_read : res;
}

static void progress(const roof_profile_options* o, const char* phase, size_t done, size_t total) {
  if (o->progress) o->progress(o->progress_ctx, phase, (int)done, (int)total);
}

static bool stop_asked(const roof_profile_options* o, roof_profile* p) {
  if (!p->stopped && o->stop && o->stop(o->stop_ctx)) p->stopped = true;
  return p->stopped;
}

roof_status roof_profile_feed_back(roof_session* s, const roof_profile_options* opts, roof_error* err) {
  roof_status st = ROOF_OK;
  for (int i = 0; i < opts->num_feedback && st == ROOF_OK; i++) {
    st = roof_session_feed_back(s, opts->feedback[i][0], opts->feedback[i][1], err);
  }
  return st;
}

/* `n` untimed runs (warm-up), reporting progress as `phase`; the session's very first run is
 * timed into p->first_run_ms (negative until then). */
static roof_status warm_up(roof_session* s, const roof_profile_options* o, const char* phase, int n,
                           uint64_t* stamps, roof_profile* p, roof_error* err) {
  roof_status st = ROOF_OK;
  for (int w = 0; w < n && st == ROOF_OK && !stop_asked(o, p); w++) {
    progress(o, phase, (size_t)w, (size_t)n);
    double t0 = now_ms();
    st = roof_session_run(s, stamps, err);
    if (p->first_run_ms < 0) p->first_run_ms = now_ms() - t0;
    if (st == ROOF_OK) st = roof_profile_feed_back(s, o, err);
  }
  if (n > 0) progress(o, phase, (size_t)n, (size_t)n);
  return st;
}

/* Per-run buffers of the timed phase, grown batch by batch (--until-stable). */
typedef struct run_buffers {
  size_t n1;          /* stamps per run: layers + 1 */
  size_t cap;         /* runs the buffers hold */
  uint64_t* stamps;   /* n1 per run (ns) */
  double *plain, *instr; /* per run: plain latency, instrumented total (ms) */
  double *samples, *scratch;
  double* medians;    /* until stable: the previous and the current batch's medians, n1 each */
  roof_body_tracker* bodies; /* control-flow body layers, measured around the instrumented runs */
  roof_speed_bufs speed;     /* the speed checks' L2 buffers (noise.h) */
} run_buffers;

/* Grows every per-run buffer to `runs` runs (+1: the instrumented warm-up writes run 0's row
 * before the timed runs); false when out of memory (the buffers stay valid). */
static bool grow(run_buffers* b, size_t runs) {
  if (runs + 1 <= b->cap) return true;
  size_t cap = runs + 1 > 2 * b->cap ? runs + 1 : 2 * b->cap; /* --duration grows run by run */
  uint64_t* st = realloc(b->stamps, b->n1 * cap * sizeof(uint64_t));
  if (st == NULL) return false;
  b->stamps = st;
  double** arrays[] = {&b->plain, &b->instr, &b->samples, &b->scratch};
  for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
    double* d = realloc(*arrays[i], cap * sizeof(double));
    if (d == NULL) return false;
    *arrays[i] = d;
  }
  b->cap = cap;
  return true;
}

static void free_buffers(run_buffers* b) {
  free(b->plain);
  free(b->instr);
  free(b->samples);
  free(b->scratch);
  free(b->medians);
  roof_bodies_free(b->bodies);
  roof_speed_bufs_free(&b->speed);
}

/* A speed check (noise.h) when ROOF_NOISE_SPEED_EVERY_MS have passed since the last and its
 * number has this parity: even ones go before a plain run, odd ones before an instrumented
 * run, so that the caches a check disturbs weigh on both kinds of run alike. */
static void speed_check_due(roof_session* s, roof_profile* p, run_buffers* b, int parity) {
  const roof_noise* n = &p->noise;
  if (n->speed_checks >= ROOF_NOISE_MAX_SPEED - 1) return; /* the last slot is the final check's */
  if (n->speed_checks % 2 != parity || now_ms() - n->speed_last_ms < ROOF_NOISE_SPEED_EVERY_MS) return;
  roof_speed_check(s->pool, s->threads, &b->speed, false, &p->noise);
}

/* Timed runs [first, first + n): plain runs (the latency a user sees) alternate with
 * instrumented runs (a timestamp after every kernel), so that a busy neighbour or a clock
 * change weighs on both alike and the overhead is their difference, not the drift between
 * two phases. */
static roof_status timed_runs(roof_session* s, const roof_profile_options* o, roof_profile* p, run_buffers* b,
                              size_t first, size_t* n, size_t total, roof_error* err) {
  roof_status st = ROOF_OK;
  size_t end = first + *n;
  for (size_t r = first; r < end && st == ROOF_OK; r++) {
    if (r > 0 && stop_asked(o, p)) {
      *n = r - first; /* the runs made */
      break;
    }
    progress(o, "timed runs", r, total);
    speed_check_due(s, p, b, 0);
    double t0 = now_ms();
    st = roof_session_run(s, NULL, err);
    b->plain[r] = now_ms() - t0;
    if (st == ROOF_OK) st = roof_profile_feed_back(s, o, err);
    if (st == ROOF_OK) speed_check_due(s, p, b, 1);
    roof_bodies_mark(b->bodies);
    if (st == ROOF_OK) st = roof_session_run(s, b->stamps + r * b->n1, err);
    if (st == ROOF_OK && !roof_bodies_record(b->bodies, r)) {
      st = roof_fail(err, ROOF_E_NOMEM, "out of memory for control-flow body times (%zu runs)", r + 1);
    }
    if (st == ROOF_OK) st = roof_profile_feed_back(s, o, err);
  }
  return st;
}

/* Median over runs [first, first + n) of layer i's time, or of the plain latency (i < 0). */
static double batch_median(run_buffers* b, int i, size_t first, size_t n) {
  for (size_t r = 0; r < n; r++) {
    const uint64_t* t = b->stamps + (first + r) * b->n1;
    b->samples[r] = i < 0 ? b->plain[first + r] : (double)(t[i + 1] - t[i]) / 1e6;
  }
  roof_stats st;
  roof_stats_compute(b->samples, n, b->scratch, &st);
  return st.median;
}

/* After a batch at runs [first, first + n): its medians (latency, and every layer above
 * ROOF_SETTLE_MIN_SHARE of the layer time) against the previous batch's; settled when none
 * moved by ROOF_SETTLE_MOVE or more. Independent batches, not growing totals: a cumulative
 * median settles by the mere weight of its past samples. */
static void settle(roof_profile* p, run_buffers* b, size_t first, size_t n) {
  int nl = p->num_layers;
  double *prev = b->medians, *cur = b->medians + nl + 1, sum = 0.0;
  for (int i = 0; i <= nl; i++) {
    cur[i] = batch_median(b, i < nl ? i : -1, first, n);
    if (i < nl) sum += cur[i];
  }
  roof_noise* q = &p->noise;
  if (++q->batches > 1) {
    q->settle_move = 0.0;
    q->settle_layer = -1;
    for (int i = 0; i <= nl; i++) {
      if (i < nl && !(cur[i] > ROOF_SETTLE_MIN_SHARE * sum)) continue;
      double move = prev[i] > 0 ? fabs(cur[i] - prev[i]) / prev[i] : 1.0;
      if (move <= q->settle_move) continue;
      q->settle_move = move;
      q->settle_layer = i < nl ? i : -1;
    }
    q->settled = q->settle_move < ROOF_SETTLE_MOVE;
  }
  memcpy(prev, cur, (size_t)(nl + 1) * sizeof(double));
}

/* The timed phase: one batch of opts->runs, or batches until stable (see profile.h); sets
 * p->runs to the runs made. */
static roof_status timed_phase(roof_session* s, const roof_profile_options* opts, roof_profile* p, run_buffers* b,
                               roof_error* err) {
  size_t batch = (size_t)p->runs, cap = batch;
  if (opts->until_stable) cap = opts->max_runs > 0 ? (size_t)opts->max_runs : (10 * batch > 200 ? 10 * batch : 200);
  double limit_ms = 1e3 * (opts->max_seconds > 0 ? opts->max_seconds : 60.0), t0 = now_ms();
  bool timed_by_clock = opts->duration_s > 0 && !opts->until_stable;
  if (timed_by_clock) cap = batch > ROOF_DURATION_MAX_RUNS ? batch : ROOF_DURATION_MAX_RUNS;
  p->noise.until_stable = opts->until_stable;
  if (opts->until_stable && (b->medians = calloc(2 * b->n1, sizeof(double))) == NULL) {
    return roof_fail(err, ROOF_E_NOMEM, "out of memory for --until-stable medians (%zu layers)", b->n1);
  }
  roof_status st = ROOF_OK;
  size_t done = 0;
  while (st == ROOF_OK && done < cap) {
    size_t n = cap - done < batch ? cap - done : batch;
    if (timed_by_clock && done > 0) n = 1; /* past --runs: one run at a time until the time is up */
    if (!grow(b, done + n)) return roof_fail(err, ROOF_E_NOMEM, "out of memory for profile buffers (%zu runs)", done + n);
    size_t total = cap;
    if (timed_by_clock && done > 0) { /* progress against the runs the time left allows */
      double per_run = (now_ms() - t0) / (double)done;
      total = per_run > 0 ? (size_t)(1e3 * opts->duration_s / per_run) : done + 1;
      total = total > done ? (total < cap ? total : cap) : done + 1;
    }
    st = timed_runs(s, opts, p, b, done, &n, total, err);
    done += n;
    if (st != ROOF_OK || p->stopped) break;
    if (timed_by_clock) {
      if (now_ms() - t0 >= 1e3 * opts->duration_s) break;
      continue;
    }
    if (!opts->until_stable) break;
    settle(p, b, done - n, n);
    if (p->noise.settled || now_ms() - t0 >= limit_ms) break;
  }
  if (st == ROOF_OK) progress(opts, "timed runs", cap, cap);
  p->runs = (int)done;
  return st;
}

/* Throughput mode: the profiled session and opts->streams together (streams.c); p->runs
 * becomes the runs kept over all streams. */
static roof_status stream_phase(roof_session* s, const roof_profile_options* opts, roof_profile* p, run_buffers* b,
                                roof_error* err) {
  int n = p->streams;
  roof_session** all = malloc(sizeof(roof_session*) * (size_t)n);
  if (all == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory for %d streams", n);
  all[0] = s;
  for (int i = 1; i < n; i++) all[i] = opts->streams[i - 1];
  roof_streams_result r = {0};
  progress(opts, "streams", 0, 1);
  roof_status st = roof_streams_run(all, n, opts, p->warmup, (size_t)p->runs, b->n1, b->plain, b->stamps, &r, err);
  free(all);
  if (st != ROOF_OK) return st;
  progress(opts, "streams", 1, 1);
  p->first_run_ms = r.first_run_ms > 0 ? r.first_run_ms : -1.0;
  p->runs = (int)r.kept;
  p->stopped = r.stopped;
  p->streams_wall_ms = r.wall_ms;
  p->throughput_per_s = r.wall_ms > 0 ? 1e3 * (double)r.inferences / r.wall_ms : 0.0;
  return ROOF_OK;
}

/* The latency percentiles asked for (default 50, 90, 95, 99), from the plain runs. */
static void latency_percentiles(roof_profile* p, const roof_profile_options* o, run_buffers* b) {
  static const double kDefault[] = {50.0, 90.0, 95.0, 99.0};
  const double* q = o->percentiles ? o->percentiles : kDefault;
  int n = o->percentiles ? o->num_percentiles : 4;
  p->num_percentiles = n < ROOF_MAX_PERCENTILES ? n : ROOF_MAX_PERCENTILES;
  for (int i = 0; i < p->num_percentiles; i++) {
    p->percentile_q[i] = q[i];
    p->percentile_ms[i] = roof_stats_percentile(b->plain, (size_t)p->runs, q[i], b->scratch);
  }
}

roof_status roof_profile_run(roof_session* s, const roof_profile_options* opts, roof_profile* p,
                             roof_error* err) {
  roof_profile out;
  memset(&out, 0, sizeof(out));
  out.g = s->model->g;
  out.num_layers = s->num_steps;
  out.threads = s->threads;
  out.kernels_chosen = true;
  out.arena_bytes = s->arena_bytes;
  out.activation_bytes_total = s->activation_bytes_total;
  out.runs = opts->timed ? (opts->runs > 0 ? opts->runs : 20) : 0;
  out.warmup = opts->warmup >= 0 ? opts->warmup : 3;
  out.streams = opts->timed && opts->num_streams > 0 ? 1 + opts->num_streams : 1;
  out.num_feedback = opts->num_feedback < ROOF_MAX_FEEDBACK ? opts->num_feedback : ROOF_MAX_FEEDBACK;
  if (out.num_feedback) memcpy(out.feedback, opts->feedback, sizeof(size_t[2]) * (size_t)out.num_feedback);
  out.layers = calloc((size_t)s->num_steps + 1, sizeof(roof_layer));
  run_buffers b = {.n1 = (size_t)s->num_steps + 1};
  roof_proc_snapshot procs = {0};
  roof_status st = ROOF_OK;
  if (out.streams > 1 && (opts->until_stable || opts->duration_s > 0)) {
    st = roof_fail(err, ROOF_E_USAGE, "streams take a fixed number of runs (not until stable, not a duration)");
    goto cleanup;
  }
  for (int i = 0; i < opts->num_feedback && st == ROOF_OK; i++) {
    st = roof_session_feedback_check(s, opts->feedback[i][0], opts->feedback[i][1], err);
  }
  if (st != ROOF_OK) goto cleanup;
  if (!out.layers || !grow(&b, (size_t)out.runs * (size_t)out.streams)) {
    st = roof_fail(err, ROOF_E_NOMEM, "out of memory for profile buffers (%d runs)", out.runs);
    goto cleanup;
  }
  fill_static(&out, s);
  st = roof_bodies_begin(s, &out, &b.bodies, err);
  if (st != ROOF_OK) goto cleanup;
  totals(&out);
  roof_profile_dq_sandwich(&out);
  machine_facts(&out);
  if (!opts->timed) goto done;
  out.timer_resolution_ns = timer_resolution_ns();
  if (opts->skip_process_scan) procs.t_ms = now_ms(); /* the profile's duration still counts */
  else roof_proc_snapshot_take(&procs);              /* others' CPU time, before the first run */
  out.first_run_ms = -1.0;
  out.duration_s = opts->duration_s > 0 && !opts->until_stable ? opts->duration_s : 0.0;
  out.started_unix = (long long)time(NULL);
  struct rusage ru0, ru1;
  if (out.streams > 1) {
    getrusage(RUSAGE_SELF, &ru0);
    st = stream_phase(s, opts, &out, &b, err);
    getrusage(RUSAGE_SELF, &ru1);
  } else {
    roof_speed_bufs_init(&b.speed, s->threads); /* out of memory: FMA checks only */
    roof_speed_check(s->pool, s->threads, &b.speed, false, &out.noise); /* the CPU's speed now, and every 100 ms of runs */
    st = warm_up(s, opts, "warm-up", out.warmup, NULL, &out, err);
    if (st == ROOF_OK) st = warm_up(s, opts, "instrumented warm-up", out.warmup, b.stamps, &out, err);
    getrusage(RUSAGE_SELF, &ru0);
    if (st == ROOF_OK) st = timed_phase(s, opts, &out, &b, err);
    getrusage(RUSAGE_SELF, &ru1);
    if (st == ROOF_OK) roof_speed_check(s->pool, s->threads, &b.speed, true, &out.noise);
  }
  if (st != ROOF_OK) goto cleanup;
  roof_noise_system(&procs, out.threads * (unsigned)out.streams, &out.noise);
  size_t runs = (size_t)out.runs, n1 = b.n1;
  roof_stats_compute(b.plain, runs, b.scratch, &out.latency_ms);
  if (out.first_run_ms < 0) out.first_run_ms = b.plain[0]; /* no warm-up: the first timed run */
  latency_percentiles(&out, opts, &b);
  /* streams: the window also holds every stream's warm-up runs */
  size_t window_runs = 2 * runs + (out.streams > 1 ? (size_t)out.streams * (size_t)out.warmup : 0);
  out.minor_faults_per_run = (double)(ru1.ru_minflt - ru0.ru_minflt) / (double)window_runs;
  for (size_t r = 0; r < runs; r++) b.instr[r] = (double)(b.stamps[r * n1 + n1 - 1] - b.stamps[r * n1]) / 1e6;
  roof_stats_compute(b.instr, runs, b.scratch, &out.instrumented_ms);
  for (int i = 0; i < out.num_layers; i++) {
    roof_layer* l = &out.layers[i];
    for (size_t r = 0; r < runs; r++) b.samples[r] = (double)(b.stamps[r * n1 + i + 1] - b.stamps[r * n1 + i]) / 1e6;
    roof_stats_compute(b.samples, runs, b.scratch, &l->time_ms);
    out.layer_sum_ms += l->time_ms.median;
    if (!l->cost.has_model) out.unmodelled_ms += l->time_ms.median;
    l->below_resolution = l->time_ms.median * 1e6 < out.timer_resolution_ns && !(l->cost.formula && strcmp(l->cost.formula, "view") == 0);
  }
  for (int i = 0; i < out.num_layers; i++) {
    out.layers[i].share = out.layer_sum_ms > 0 ? out.layers[i].time_ms.median / out.layer_sum_ms : 0.0;
  }
  if (out.streams == 1) roof_bodies_finish(b.bodies, &out, b.stamps, n1, runs); /* streams: not timed */
  out.overhead_pct = out.latency_ms.median > 0
                         ? 100.0 * (out.instrumented_ms.median - out.latency_ms.median) / out.latency_ms.median
                         : 0.0;
  roof_noise_judge(&out, b.plain, b.instr, runs);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  out.peak_rss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
done:
  roof_profile_sequence(&out); /* out of memory: the sequence figures stay zero */
  out.stamps = b.stamps;
  out.latency_runs_ms = opts->timed ? b.plain : NULL;
  if (opts->timed) b.plain = NULL; /* kept: the profile owns it */
  free_buffers(&b);
  roof_proc_snapshot_free(&procs);
  *p = out;
  return ROOF_OK;
cleanup:
  free(b.stamps);
  free_buffers(&b);
  roof_proc_snapshot_free(&procs);
  free(out.layers);
  free(out.body_layers);
  return st;
}

/* The layers a session would have: the executed nodes in g->order. A view's kernel is known
 * from its op alone ("view", nothing runs); every other layer's is left unchosen, since
 * choosing means creating (packing weights), which is what info must not do. */
roof_status roof_profile_static(const roof_model* m, uint32_t threads, roof_profile* p, roof_error* err) {
  if (m == NULL || !m->prepared) return roof_fail(err, ROOF_E_USAGE, "roof_profile_static: model is not prepared");
  roof_profile out;
  memset(&out, 0, sizeof(out));
  out.g = m->g;
  out.threads = threads ? threads : roof_default_threads();
  out.arena_estimated = true;
  roof_status st = roof_model_arena_estimate(m, &out.arena_bytes, &out.activation_bytes_total, err);
  if (st != ROOF_OK) return st;
  out.layers = calloc((size_t)m->g->num_order + 1, sizeof(roof_layer));
  if (out.layers == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for %d layers", m->g->path, m->g->num_order);
  for (int oi = 0; oi < m->g->num_order; oi++) {
    const roof_node* n = &m->g->nodes[m->g->order[oi]];
    if (n->removed) continue;
    fill_layer(&out, out.num_layers++, n, roof_node_is_view(n) ? "view" : NULL, "");
  }
  st = roof_bodies_static(&out, err); /* what runs inside If / Loop / Scan, per iteration */
  if (st != ROOF_OK) {
    free(out.layers);
    return st;
  }
  totals(&out);
  roof_profile_dq_sandwich(&out);
  roof_profile_sequence(&out);
  machine_facts(&out);
  *p = out;
  return ROOF_OK;
}

/* GB/s of level lv for reads (kind 0), writes (1) or copies (2, read + written bytes). A write
 * rate is at least half the copy rate (a copy writes that fast); a missing figure falls back
 * to the read one, a missing level to the next slower level with a figure. */
static double level_gbs(const roof_hw* hw, int lv, int kind) {
  for (; lv < ROOF_MEM_LEVELS; lv++) {
    double w = kind == 1 ? fmax(hw->write_gbs[lv], hw->copy_gbs[lv] / 2) : kind == 2 ? hw->copy_gbs[lv] : 0.0;
    if (w > 0) return w;
    if (hw->read_gbs[lv] > 0) return hw->read_gbs[lv];
  }
  return 0.0;
}

static double seconds(double bytes, double gbs) { return gbs > 0 ? bytes / (gbs * 1e9) : 0.0; }

/* Memory time of a layer: the hierarchical roofline. Bytes served from level lv or a slower one
 * all cross level lv, so the time is at least, for every level, those bytes at that level's
 * rates: reads at the read rate, writes at the write rate, both together at the copy rate
 * (writes in place excepted: a copy pays a read for ownership of its destination, they do
 * not). The largest of these is the bound; *level is the level that sets it. The tensors' split by
 * level (residency.c) is scaled to the cost model's byte counts, which include a kernel's
 * re-reads. */
static double memory_seconds(const roof_layer* l, const roof_hw* hw, int* level) {
  uint64_t rsum = 0, wsum = 0;
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    rsum += l->read_from[lv];
    wsum += l->written_to[lv];
  }
  double rscale = rsum ? (double)l->cost.bytes_read / (double)rsum : 0.0;
  double wscale = wsum ? (double)l->cost.bytes_written / (double)wsum : 0.0;
  /* a layer that touches no tensor but moves bytes by the cost model (none so far): DRAM */
  double r_beyond = rsum ? 0.0 : (double)l->cost.bytes_read, w_beyond = wsum ? 0.0 : (double)l->cost.bytes_written;
  double p_beyond = 0.0;
  double worst = 0.0;
  *level = ROOF_MEM_DRAM;
  for (int lv = ROOF_MEM_DRAM; lv >= 0; lv--) { /* slowest first: "beyond" accumulates */
    r_beyond += rscale * (double)l->read_from[lv];
    w_beyond += wscale * (double)l->written_to[lv];
    p_beyond += wscale * (double)l->in_place[lv];
    /* the in-place exception needs a copy figure to apply to; with none, reads and writes
     * together at the read rate (a spec sheet's one bandwidth is for all traffic) */
    double both = hw->copy_gbs[lv] > 0 ? r_beyond + w_beyond - p_beyond : r_beyond + w_beyond;
    double t = fmax(fmax(seconds(r_beyond, level_gbs(hw, lv, 0)), seconds(w_beyond, level_gbs(hw, lv, 1))),
                    seconds(both, level_gbs(hw, lv, 2)));
    if (t > worst) {
      worst = t;
      *level = lv;
    }
  }
  return worst;
}

/* A layer that multiplies int8 (or uint8) operands into int32: judged against the int8 roof. */
static bool layer_int8(const roof_layer* l) { return l->compute == ROOF_DT_INT8 || l->compute == ROOF_DT_UINT8; }

/* Why a layer ran faster than its roof, from what the profile knows: a time too short to
 * trust, roofs that contradict themselves, or a count (FLOPs, bytes) above what the kernel
 * does. */
static const char* above_reason(const roof_profile* p, const roof_layer* l, const roof_hw* hw) {
  if (p->timer_resolution_ns > 0 && l->time_ms.median * 1e6 < 50 * p->timer_resolution_ns) {
    return "time within 50x the timer's resolution";
  }
  char why[192];
  if (!roof_hw_check(hw, why, sizeof(why))) return "roofs contradict themselves: probe again on a quiet machine";
  if (l->compute_bound) {
    return l->achieved_gflops > roof_hw_peak_for(hw, layer_int8(l)) ? "beats the probed peak: peak low or FLOPs overcounted"
                                                                    : "beats its compute roof: FLOPs overcounted";
  }
  return "beats its memory roof: bandwidth probed low or bytes overcounted";
}

/* A layer long enough to time well that beat the compute peak by more than timer noise can
 * explain: the peak is wrong (a probe disturbed or oversubscribed), not the layer. */
static const roof_layer* layer_above_peak(const roof_profile* p, const roof_hw* hw) {
  const roof_layer* worst = NULL;
  for (int i = 0; i < p->num_layers; i++) {
    const roof_layer* l = &p->layers[i];
    if (l->time_ms.median < ROOF_PEAK_CHECK_MS || l->below_resolution) continue;
    /* int8 layers against the int8 peak; without one (a spec file), or for other integer
     * types, there is no roof to beat: int8 dot products outrun the FP32 one */
    bool int8 = layer_int8(l);
    if (l->compute && !roof_dtype_is_float(l->compute) && !(int8 && hw->peak_int8_gops > 0)) continue;
    double executed = l->algorithm && l->cost.flops ? l->achieved_gflops * ((double)l->executed_flops / (double)l->cost.flops)
                                                    : l->achieved_gflops;
    if (executed > roof_hw_peak_for(hw, int8) * 1.05 && (!worst || l->achieved_gflops > worst->achieved_gflops)) worst = l;
  }
  return worst;
}

void roof_profile_roofline(roof_profile* p, const roof_hw* hw) {
  p->has_hw = true;
  p->hw = *hw;
  bool usable[3];
  for (int lv = 0; lv < 3; lv++) usable[lv] = hw->read_gbs[lv] > 0;
  if (!roof_residency_fill(p, hw->cache_bytes, usable, p->threads)) {
    /* out of memory: every tensor from DRAM (the DRAM-only bound) */
    for (int i = 0; i < p->num_layers; i++) {
      roof_layer* l = &p->layers[i];
      memset(l->read_from, 0, sizeof(l->read_from));
      memset(l->written_to, 0, sizeof(l->written_to));
      l->read_from[ROOF_MEM_DRAM] = l->cost.bytes_read;
      l->written_to[ROOF_MEM_DRAM] = l->cost.bytes_written;
    }
  }
  double dram = hw->read_gbs[ROOF_MEM_DRAM] * 1e9;
  for (int i = 0; i < p->num_layers; i++) {
    roof_layer* l = &p->layers[i];
    double peak = roof_hw_peak_for(hw, layer_int8(l)) * 1e9; /* FLOP/s, or int8 op/s */
    uint64_t bytes = l->cost.bytes_read + l->cost.bytes_written;
    int level = ROOF_MEM_DRAM;
    double t_compute = peak > 0 ? (double)l->cost.flops / peak : 0.0;
    double t_mem = memory_seconds(l, hw, &level);
    double t_dram = dram > 0 ? (double)bytes / dram : 0.0;
    l->roofline_level = level;
    l->roofline_ms = 1e3 * (t_compute > t_mem ? t_compute : t_mem);
    l->roofline_dram_ms = 1e3 * (t_compute > t_dram ? t_compute : t_dram);
    l->compute_bound = t_compute > 0 && t_compute >= t_mem;
    double med = l->time_ms.median;
    if (med > 0) {
      l->efficiency = l->roofline_ms / med;
      l->headroom_ms = med - l->roofline_ms;
      if (l->headroom_ms < 0) l->headroom_ms = 0;
      l->achieved_gflops = (double)l->cost.flops / (med * 1e6);
      l->achieved_gbs = (double)bytes / (med * 1e6);
      /* a kernel executing fewer FLOPs (Winograd) is judged a second time against its own roof */
      double t_exec = peak > 0 ? (double)l->executed_flops / peak : 0.0;
      double exec_eff = 1e3 * (t_exec > t_mem ? t_exec : t_mem) / med;
      l->fast_algorithm = l->efficiency > 1.05 && l->algorithm && l->executed_flops < l->cost.flops && exec_eff <= 1.05;
      l->above_roof = l->efficiency > 1.05 && !l->fast_algorithm;
      l->above_reason = l->above_roof ? above_reason(p, l, hw) : NULL;
    }
  }
  p->above_peak = layer_above_peak(p, hw);
  /* the speed checks against the peak probed at the profile's thread count (never a spec sheet's) */
  if (strcmp(hw->source, "probe") == 0 && hw->threads == (uint32_t)p->threads) {
    roof_noise_speed_verdict(&p->noise, hw->peak_gflops, hw->read_gbs[ROOF_MEM_L2]);
  }
}

/* The roofline time of every layer with the target's figures only. */
/* The target's roof per layer, with the residency model run for the target's caches and
 * threads; the layers' own residency figures (this machine's) are kept aside and restored. */
void roof_profile_predict(roof_profile* p, const roof_hw* target) {
  p->has_target = true;
  p->target = *target;
  p->predicted_ms = 0.0;
  enum { kArrays = 3 };
  size_t per = sizeof(uint64_t) * ROOF_MEM_LEVELS;
  uint64_t* saved = malloc(per * kArrays * ((size_t)p->num_layers + 1));
  bool usable[3];
  for (int lv = 0; lv < 3; lv++) usable[lv] = target->read_gbs[lv] > 0;
  for (int i = 0; saved && i < p->num_layers; i++) {
    memcpy(saved + (size_t)i * kArrays * ROOF_MEM_LEVELS, p->layers[i].read_from, per);
    memcpy(saved + ((size_t)i * kArrays + 1) * ROOF_MEM_LEVELS, p->layers[i].written_to, per);
    memcpy(saved + ((size_t)i * kArrays + 2) * ROOF_MEM_LEVELS, p->layers[i].in_place, per);
  }
  /* out of memory (either buffer): every tensor from the target's DRAM */
  bool resident = saved && roof_residency_fill(p, target->cache_bytes, usable, target->threads);
  for (int i = 0; i < p->num_layers; i++) {
    roof_layer* l = &p->layers[i];
    double peak = roof_hw_peak_for(target, layer_int8(l)) * 1e9;
    int level;
    double t_compute = peak > 0 ? (double)l->cost.flops / peak : 0.0;
    double t_mem = resident ? memory_seconds(l, target, &level)
                            : seconds((double)(l->cost.bytes_read + l->cost.bytes_written), level_gbs(target, ROOF_MEM_DRAM, 0));
    l->predicted_ms = 1e3 * (t_compute > t_mem ? t_compute : t_mem);
    p->predicted_ms += l->predicted_ms;
  }
  for (int i = 0; saved && i < p->num_layers; i++) {
    memcpy(p->layers[i].read_from, saved + (size_t)i * kArrays * ROOF_MEM_LEVELS, per);
    memcpy(p->layers[i].written_to, saved + ((size_t)i * kArrays + 1) * ROOF_MEM_LEVELS, per);
    memcpy(p->layers[i].in_place, saved + ((size_t)i * kArrays + 2) * ROOF_MEM_LEVELS, per);
  }
  free(saved);
}

void roof_profile_free(roof_profile* p) {
  if (p == NULL) return;
  free(p->layers);
  free(p->stamps);
  free(p->body_layers);
  p->body_layers = NULL;
  p->num_body_layers = 0;
  free(p->latency_runs_ms);
  p->latency_runs_ms = NULL;
  free(p->in_attention);
  p->in_attention = NULL;
  p->stamps = NULL;
  p->layers = NULL;
  p->num_layers = 0;
}
