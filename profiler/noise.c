/* Noise detection of a timed profile; see noise.h. Every figure is read from what the profile
 * measured, from /proc, or from the speed checks (short FMA and L2 bursts between the runs,
 * never inside one): the verdict needs no extra runs of the model. */
#define _GNU_SOURCE 1
#include "noise.h"

#include <dirent.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe_kernels.h"
#include "profile.h"

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* /proc/PID/stat: "pid (comm) state ppid ... utime stime ..."; comm may hold spaces and
 * parentheses, so it ends at the last ')'. */
static bool read_stat(int pid, roof_proc_sample* out) {
  char path[32], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char* open = strchr(buf, '(');
  char* close = strrchr(buf, ')');
  if (open == NULL || close == NULL || close < open) return false;
  size_t len = (size_t)(close - open - 1);
  if (len > sizeof(out->name) - 1) len = sizeof(out->name) - 1;
  memcpy(out->name, open + 1, len);
  out->name[len] = '\0';
  for (char* c = out->name; *c; c++) { /* any process may name itself: no control bytes in reports */
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  }
  out->pid = pid;
  unsigned long long utime, stime; /* fields 14 and 15 */
  if (sscanf(close + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &out->state, &utime, &stime) != 3) {
    return false;
  }
  out->ticks = utime + stime;
  return true;
}

static int cmp_pid(const void* a, const void* b) {
  int x = ((const roof_proc_sample*)a)->pid, y = ((const roof_proc_sample*)b)->pid;
  return (x > y) - (x < y);
}

/* Appends one sample, growing the array; false when out of memory. */
static bool push(roof_proc_snapshot* s, size_t* cap, const roof_proc_sample* e) {
  if (s->n == *cap) {
    size_t c = *cap ? 2 * *cap : 256;
    roof_proc_sample* p = realloc(s->procs, c * sizeof(*p));
    if (p == NULL) return false;
    s->procs = p;
    *cap = c;
  }
  s->procs[s->n++] = *e;
  return true;
}

void roof_proc_snapshot_take(roof_proc_snapshot* s) {
  memset(s, 0, sizeof(*s));
  s->t_ms = mono_ms();
  DIR* d = opendir("/proc");
  if (d == NULL) return;
  int self = (int)getpid();
  size_t cap = 0;
  bool ok = true;
  for (struct dirent* e = readdir(d); e != NULL && ok; e = readdir(d)) {
    char* end;
    long pid = strtol(e->d_name, &end, 10);
    roof_proc_sample smp;
    if (*end != '\0' || pid <= 0 || pid == self || !read_stat((int)pid, &smp)) continue; /* gone since */
    ok = push(s, &cap, &smp);
  }
  closedir(d);
  if (!ok || s->n == 0) { /* out of memory, or a /proc that shows no process */
    roof_proc_snapshot_free(s);
    return;
  }
  qsort(s->procs, s->n, sizeof(*s->procs), cmp_pid);
  s->ok = true;
}

void roof_proc_snapshot_free(roof_proc_snapshot* s) {
  if (s == NULL) return;
  free(s->procs);
  s->procs = NULL;
  s->n = 0;
  s->ok = false;
}

static const roof_proc_sample* find(const roof_proc_snapshot* s, int pid) {
  roof_proc_sample key = {.pid = pid};
  return s->ok ? bsearch(&key, s->procs, s->n, sizeof(key), cmp_pid) : NULL;
}

/* Share of the CPUs `pid` may run on that are in `ours`; 1 when its mask cannot be read (it
 * may have exited: what it ran during the profile still counts). */
static double overlap(int pid, const cpu_set_t* ours) {
  cpu_set_t theirs, both;
  if (sched_getaffinity(pid, sizeof(theirs), &theirs) != 0 || CPU_COUNT(&theirs) == 0) return 1.0;
  CPU_AND(&both, &theirs, ours);
  return (double)CPU_COUNT(&both) / (double)CPU_COUNT(&theirs);
}

/* Keeps the ROOF_NOISE_MAX_BUSY most demanding processes, most demanding first. */
static void keep_busy(roof_noise* out, const roof_busy_process* b) {
  int i = out->num_busy < ROOF_NOISE_MAX_BUSY ? out->num_busy++ : ROOF_NOISE_MAX_BUSY;
  for (; i > 0 && out->busy[i - 1].cpus * out->busy[i - 1].overlap < b->cpus * b->overlap; i--) {
    if (i < ROOF_NOISE_MAX_BUSY) out->busy[i] = out->busy[i - 1];
  }
  if (i < ROOF_NOISE_MAX_BUSY) out->busy[i] = *b;
}

/* Other processes that took CPU time on the profile's CPUs between the two snapshots, or
 * were runnable at both (waiting for a CPU, possibly ours). A process born in between ran
 * all its CPU time in between. One tick is taken off every process's growth: the kernel's
 * accounting is sampled and may add one to a process that barely ran. */
static void busy_processes(const roof_proc_snapshot* a, const roof_proc_snapshot* b, const cpu_set_t* ours,
                           roof_noise* out) {
  double hz = (double)sysconf(_SC_CLK_TCK), span = out->elapsed_s > 0 ? out->elapsed_s : 1e-3;
  if (!(hz > 0)) hz = 100.0;
  for (size_t i = 0; i < b->n; i++) {
    const roof_proc_sample* e = &b->procs[i];
    const roof_proc_sample* s = find(a, e->pid);
    unsigned long long grown = s && s->ticks <= e->ticks ? e->ticks - s->ticks : e->ticks;
    double cpus = grown > 1 ? (double)(grown - 1) / hz / span : 0.0;
    bool waiting = s && s->state == 'R' && e->state == 'R';
    if (cpus < ROOF_NOISE_BUSY_CPU && !waiting) continue; /* before the affinity call: cheap */
    roof_busy_process bp = {.pid = e->pid, .state = e->state, .cpus = cpus, .overlap = overlap(e->pid, ours)};
    if (bp.overlap <= 0 || (cpus * bp.overlap < ROOF_NOISE_BUSY_CPU && !waiting)) continue;
    memcpy(bp.name, e->name, sizeof(bp.name));
    out->busy_cpus += cpus * bp.overlap;
    out->busy_waiting += waiting && bp.overlap >= 1.0;
    keep_busy(out, &bp);
  }
}

static double load_average(void) {
  FILE* f = fopen("/proc/loadavg", "r");
  double load = -1.0;
  if (f == NULL) return load;
  if (fscanf(f, "%lf", &load) != 1) load = -1.0;
  fclose(f);
  return load;
}

void roof_noise_system(const roof_proc_snapshot* start, unsigned threads, roof_noise* out) {
  out->elapsed_s = (mono_ms() - start->t_ms) / 1e3;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  out->cpus_online = online > 0 ? (int)online : 1;
  cpu_set_t ours;
  if (sched_getaffinity(0, sizeof(ours), &ours) != 0) {
    CPU_ZERO(&ours);
    for (int c = 0; c < out->cpus_online && c < CPU_SETSIZE; c++) CPU_SET(c, &ours);
  }
  out->cpus_allowed = CPU_COUNT(&ours);
  /* The 1-minute average decays with e^(-t/60 s): the profile's own threads have added
   * threads x (1 - e^(-elapsed/60)) to it by now. */
  out->load1 = load_average();
  double own = (double)threads * (1.0 - exp(-out->elapsed_s / 60.0));
  out->load_others = out->load1 > own ? out->load1 - own : 0.0;
  if (!start->ok) return; /* unreadable, or not taken (skip_process_scan) */
  roof_proc_snapshot end;
  roof_proc_snapshot_take(&end);
  out->procs_read = end.ok;
  if (out->procs_read) busy_processes(start, &end, &ours, out);
  roof_proc_snapshot_free(&end);
}

/* ---- verdict ---- */

static bool same_values(const roof_graph* g, const int* a, const int* b, int n) {
  for (int i = 0; i < n; i++) {
    if ((a[i] < 0) != (b[i] < 0)) return false;
    if (a[i] < 0) continue;
    const roof_value *x = &g->values[a[i]], *y = &g->values[b[i]];
    if (x->dtype != y->dtype || x->rank != y->rank) return false;
    for (int d = 0; d < x->rank; d++) {
      if (x->dims[d] != y->dims[d]) return false;
    }
  }
  return true;
}

/* Same op, kernel, describe text and input and output shapes: the same work on the same
 * kernel, which a quiet machine runs in about the same time. */
static bool identical(const roof_graph* g, const roof_layer* a, const roof_layer* b) {
  const roof_node *x = a->node, *y = b->node;
  return x->op == y->op && a->kernel && b->kernel && strcmp(a->kernel, b->kernel) == 0 &&
         strcmp(a->describe, b->describe) == 0 && x->num_inputs == y->num_inputs && x->num_outputs == y->num_outputs &&
         same_values(g, x->inputs, y->inputs, x->num_inputs) && same_values(g, x->outputs, y->outputs, x->num_outputs);
}

static bool is_view(const roof_layer* l) { return l->cost.formula && strcmp(l->cost.formula, "view") == 0; }

/* The pair of identical layers (both above ROOF_NOISE_TWIN_MIN_MS) furthest apart. */
static void twins(const roof_profile* p, roof_noise* n) {
  n->twin_fast = n->twin_slow = -1;
  for (int i = 0; i < p->num_layers; i++) {
    const roof_layer* a = &p->layers[i];
    if (a->time_ms.median < ROOF_NOISE_TWIN_MIN_MS || is_view(a)) continue;
    for (int j = i + 1; j < p->num_layers; j++) {
      const roof_layer* b = &p->layers[j];
      if (b->time_ms.median < ROOF_NOISE_TWIN_MIN_MS || !identical(p->g, a, b)) continue;
      bool a_fast = a->time_ms.median <= b->time_ms.median;
      double r = a_fast ? b->time_ms.median / a->time_ms.median : a->time_ms.median / b->time_ms.median;
      if (r <= n->twin_ratio) continue;
      n->twin_ratio = r;
      n->twin_fast = a_fast ? i : j;
      n->twin_slow = a_fast ? j : i;
    }
  }
}

/* A median is unstable when its ~95% interval reaches more than ROOF_NOISE_UNSTABLE of it on
 * either side on average, and more than the timer can resolve. */
static void mark_unstable(roof_profile* p) {
  for (int i = 0; i < p->num_layers; i++) {
    roof_layer* l = &p->layers[i];
    double half = 0.5 * (l->time_ms.median_hi - l->time_ms.median_lo);
    l->unstable = !is_view(l) && !l->below_resolution && l->time_ms.median > 0 &&
                  half > ROOF_NOISE_UNSTABLE * l->time_ms.median && half * 1e6 > p->timer_resolution_ns;
    p->noise.unstable_layers += l->unstable;
  }
}

static int count_slow(const double* t, size_t n, double median) {
  int slow = 0;
  for (size_t i = 0; i < n; i++) slow += t[i] > ROOF_NOISE_SLOW_FACTOR * median;
  return slow;
}

/* Appends a reason (dropped beyond ROOF_NOISE_MAX_REASONS; there are only that many rules). */
static void reason(roof_noise* n, const char* fmt, ...) {
  if (n->num_reasons >= ROOF_NOISE_MAX_REASONS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(n->reasons[n->num_reasons++], sizeof(n->reasons[0]), fmt, ap);
  va_end(ap);
}

static void say_busy(roof_noise* n) {
  char text[sizeof(n->reasons[0])];
  size_t o = 0;
  text[0] = '\0';
  for (int i = 0; i < n->num_busy && o < sizeof(text); i++) {
    o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s (pid %d)", i ? ", " : "", n->busy[i].name, n->busy[i].pid);
  }
  reason(n, "busy: %s", text);
}

/* ---- speed checks ---- */

typedef struct speed_burst {
  const roof_fma_kernel* k;
  uint64_t iters;
  float** bufs; /* L2 bursts: one buffer per thread, else NULL */
  size_t floats;
  int reps;
  float sink[64];
} speed_burst;

static void speed_worker(void* ctx, size_t i) {
  speed_burst* b = ctx;
  if (b->bufs == NULL) {
    b->sink[i % 64] += b->k->run(b->iters, (float)i, 0.999999f, 1e-7f);
    return;
  }
  for (int r = 0; r < b->reps; r++) b->sink[i % 64] += roof_probe_read(b->bufs[i], b->floats);
}

/* Seconds of one burst on every thread. */
static double speed_burst_s(pthreadpool_t pool, unsigned threads, speed_burst* b) {
  double t0 = mono_ms();
  if (pool != NULL && threads > 1) pthreadpool_parallelize_1d(pool, speed_worker, b, threads, 0);
  else speed_worker(b, 0);
  return (mono_ms() - t0) * 1e-3;
}

/* Best rate of three bursts, `work` units per burst on each thread, in units per ns. */
static double speed_best(pthreadpool_t pool, unsigned threads, speed_burst* b, double work) {
  double best = 0.0;
  for (int rep = 0; rep < 3; rep++) { /* best of three: one preemption is the other rules' to see */
    double s = speed_burst_s(pool, threads, b);
    if (s > 0 && work * threads / s / 1e9 > best) best = work * threads / s / 1e9;
  }
  return best;
}

bool roof_speed_bufs_init(roof_speed_bufs* b, unsigned threads) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  memset(b, 0, sizeof(*b));
  b->floats = (l2 > 0 ? (size_t)l2 : (size_t)512 << 10) / 2 / sizeof(float) / 64 * 64;
  b->bufs = calloc(threads, sizeof(float*));
  bool ok = b->bufs != NULL;
  if (ok) b->n = threads;
  for (unsigned w = 0; ok && w < threads; w++) {
    ok = (b->bufs[w] = aligned_alloc(64, b->floats * sizeof(float))) != NULL;
    for (size_t i = 0; ok && i < b->floats; i++) b->bufs[w][i] = (float)(i & 7);
  }
  if (!ok) roof_speed_bufs_free(b);
  return ok;
}

void roof_speed_bufs_free(roof_speed_bufs* b) {
  for (unsigned w = 0; b->bufs && w < b->n; w++) free(b->bufs[w]);
  free(b->bufs);
  memset(b, 0, sizeof(*b));
}

/* GB/s reading each thread's buffer (the probe's L2 working set); 0 without buffers. */
static double speed_l2(pthreadpool_t pool, unsigned threads, const roof_speed_bufs* bufs, roof_noise* out) {
  if (bufs == NULL || bufs->bufs == NULL || bufs->n < threads) return 0.0;
  speed_burst b = {.bufs = bufs->bufs, .floats = bufs->floats, .reps = out->speed_reps ? out->speed_reps : 1};
  speed_burst_s(pool, threads, &b); /* back into the caches (each thread reads its own buffer) */
  while (out->speed_reps == 0 && speed_burst_s(pool, threads, &b) < 2e-4 && b.reps < (1 << 20)) b.reps *= 2;
  out->speed_reps = b.reps;
  return speed_best(pool, threads, &b, (double)b.floats * sizeof(float) * b.reps);
}

void roof_speed_check(pthreadpool_t pool, unsigned threads, const roof_speed_bufs* bufs, bool final, roof_noise* out) {
  const roof_fma_kernel* k[4];
  roof_fma_kernels(k);
  if (threads == 0) threads = 1;
  if (pool == NULL) threads = 1;
  speed_burst b = {.k = k[0], .iters = out->speed_iters ? out->speed_iters : 1024};
  if (out->speed_iters == 0) { /* size the bursts: about 0.2 ms, long beside a pool wake-up */
    while (speed_burst_s(pool, threads, &b) < 2e-4 && b.iters < ((uint64_t)1 << 30)) b.iters *= 2;
    out->speed_iters = b.iters;
  }
  double gflops = speed_best(pool, threads, &b, roof_fma_flops_per_iter(b.k) * (double)b.iters);
  double l2 = speed_l2(pool, threads, bufs, out);
  int slot = out->speed_checks < ROOF_NOISE_MAX_SPEED ? out->speed_checks++ : final ? ROOF_NOISE_MAX_SPEED - 1 : -1;
  if (slot >= 0) out->speed_gflops[slot] = gflops, out->speed_l2_gbs[slot] = l2;
  out->speed_last_ms = mono_ms();
}

/* lo and hi of v[0..n) as percentages of ref. */
static void pct_range(const double* v, int n, double ref, double* lo, double* hi) {
  *lo = INFINITY, *hi = 0.0;
  for (int i = 0; i < n; i++) {
    *lo = fmin(*lo, 100.0 * v[i] / ref);
    *hi = fmax(*hi, 100.0 * v[i] / ref);
  }
}

void roof_noise_speed_verdict(roof_noise* n, double peak_gflops, double l2_read_gbs) {
  if (n->speed_checks == 0 || n->speed_peak_gflops > 0 || n->speed_peak_l2_gbs > 0) return; /* judged once */
  n->speed_peak_gflops = peak_gflops > 0 ? peak_gflops : 0.0;
  n->speed_peak_l2_gbs = l2_read_gbs > 0 ? l2_read_gbs : 0.0;
  n->speed_slow = 0;
  int slow_fma = 0, slow_l2 = 0;
  for (int i = 0; i < n->speed_checks; i++) {
    bool f = n->speed_peak_gflops > 0 && n->speed_gflops[i] < ROOF_NOISE_SPEED_SHARE * n->speed_peak_gflops;
    bool m = n->speed_peak_l2_gbs > 0 && n->speed_l2_gbs[i] > 0 && n->speed_l2_gbs[i] < ROOF_NOISE_SPEED_SHARE * n->speed_peak_l2_gbs;
    slow_fma += f, slow_l2 += m, n->speed_slow += f || m;
  }
  if (!(n->speed_slow > ROOF_NOISE_SPEED_SLOW * n->speed_checks)) return; /* dips came and went: not the runs' state */
  double lo, hi;
  char fma[48] = "", mem[48] = "";
  if (slow_fma) pct_range(n->speed_gflops, n->speed_checks, n->speed_peak_gflops, &lo, &hi);
  if (slow_fma) snprintf(fma, sizeof(fma), "FMA %.0f-%.0f%%", lo, hi);
  if (slow_l2) pct_range(n->speed_l2_gbs, n->speed_checks, n->speed_peak_l2_gbs, &lo, &hi);
  if (slow_l2) snprintf(mem, sizeof(mem), "L2 reads %.0f-%.0f%%", lo, hi);
  reason(n, "CPU below its probe in %d of %d speed checks: %s%s%s", n->speed_slow, n->speed_checks, fma,
         slow_fma && slow_l2 ? ", " : "", mem);
  n->noisy = true;
}

/* CPUs of `cpus` the profile's threads leave free. */
static int free_cpus(int cpus, unsigned threads) { return threads < (unsigned)cpus ? cpus - (int)threads : 0; }

void roof_noise_judge(roof_profile* p, const double* plain, const double* instrumented, size_t runs) {
  roof_noise* n = &p->noise;
  n->runs_total = (int)(2 * runs);
  n->runs_slow = count_slow(plain, runs, p->latency_ms.median) + count_slow(instrumented, runs, p->instrumented_ms.median);
  /* Instrumentation costs one clock read per layer; beyond that, only noise moves the
   * instrumented runs away from the plain ones. */
  double expected = p->latency_ms.median > 0
                        ? 100.0 * (p->num_layers + 1) * p->timer_resolution_ns * 1e-6 / p->latency_ms.median : 0.0;
  n->overhead_lo_pct = ROOF_NOISE_OVERHEAD_LO;
  n->overhead_hi_pct = ROOF_NOISE_OVERHEAD_HI + 3.0 * expected;
  mark_unstable(p);
  twins(p, n);
  if (n->runs_slow > ROOF_NOISE_SLOW_SHARE * n->runs_total) {
    reason(n, "%.0f%% of runs > %.1fx median", 100.0 * n->runs_slow / n->runs_total, ROOF_NOISE_SLOW_FACTOR);
  }
  if (p->overhead_pct < n->overhead_lo_pct || p->overhead_pct > n->overhead_hi_pct) {
    reason(n, "instrumentation overhead %.1f%% (plausible %.0f%% to %.0f%%)", p->overhead_pct, n->overhead_lo_pct,
           n->overhead_hi_pct);
  }
  if (n->twin_ratio > ROOF_NOISE_TWIN_RATIO) {
    reason(n, "identical layers #%d and #%d %.1fx apart", n->twin_fast, n->twin_slow, n->twin_ratio);
  }
  if (n->load1 >= 0 && n->load_others > free_cpus(n->cpus_online, p->threads) + ROOF_NOISE_LOAD_MARGIN) {
    reason(n, "load %.1f on %d CPU%s", n->load1, n->cpus_online, n->cpus_online == 1 ? "" : "s");
  }
  int free_ours = free_cpus(n->cpus_allowed, p->threads);
  if (n->num_busy > 0 && (n->busy_cpus > free_ours + ROOF_NOISE_BUSY_CPU || (free_ours == 0 && n->busy_waiting > 0))) {
    say_busy(n);
  }
  n->noisy = n->num_reasons > 0;
}
