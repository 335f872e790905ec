/* Per-layer tuning against XNNPACK (conv_tune.h): timing helpers, the answer cache shared with
 * Winograd's tuning, and the race of a native Conv entry against XNNPACK's convolution. */
#include "conv_tune.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "conv_params.h"
#include "hw.h"
#include "mm_block.h"

extern const roof_kernel_impl roof_kernel_Conv_xnnpack;

double roof_tune_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

double roof_tune_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

void roof_tune_keep_best(double* best, double t) {
  if (best[0] < 0 || t < best[0]) {
    best[1] = best[0];
    best[0] = t;
  } else if (best[1] < 0 || t < best[1]) {
    best[1] = t;
  }
}

bool roof_tune_steady(const double* best) { return best[0] <= 0 || (best[1] > 0 && best[1] <= 1.2 * best[0]); }

void roof_tune_cpu(char* out, size_t n) {
  roof_hw_cpu_name(out, n);
  for (char* c = out; *c; c++) {
    if (*c == ' ' || *c == '\n' || *c == '\t') *c = '_';
  }
}

/* FILE in rooftop's cache directory (roof_hw_cache_dir); false when there is none. */
static bool cache_path(const char* file, char* out, size_t n) {
  char base[2048];
  return roof_hw_cache_dir(base, sizeof(base)) && snprintf(out, n, "%s/%s", base, file) < (int)n;
}

bool roof_tune_cache_lookup(const char* file, const char* key, char* choice, size_t choice_size, double* a_ms,
                            double* b_ms) {
  char path[2200];
  if (!cache_path(file, path, sizeof(path))) return false;
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  char line[512], word[16];
  bool found = false;
  size_t kl = strlen(key);
  while (fgets(line, sizeof(line), f)) { /* the last line for a key wins */
    double a, b;
    if (strncmp(line, key, kl) != 0 || line[kl] != ' ') continue;
    if (sscanf(line + kl, " %15s %lf %lf", word, &a, &b) != 3) continue;
    snprintf(choice, choice_size, "%s", word);
    *a_ms = a;
    *b_ms = b;
    found = true;
  }
  fclose(f);
  return found;
}

void roof_tune_cache_store(const char* file, const char* key, const char* choice, double a_ms, double b_ms) {
  char path[2200], line[512];
  if (!cache_path(file, path, sizeof(path))) return;
  int len = snprintf(line, sizeof(line), "%s %s %.4f %.4f\n", key, choice, a_ms, b_ms);
  if (len <= 0 || len >= (int)sizeof(line)) return;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t wr = write(fd, line, (size_t)len); /* one write: concurrent sessions do not interleave */
  (void)wr;
  close(fd);
}

int roof_tune_env_mode(void) {
  const char* e = getenv("ROOFTOP_CONV_TUNE");
  if (e == NULL) return 0;
  return strcmp(e, "native") == 0 ? 1 : strcmp(e, "xnnpack") == 0 ? -1 : 0;
}

/* CPU, entry, build, micro-kernel, threads and the layer's shape: one line of the cache, blanks only
 * between fields. */
static void conv_key(const roof_kernel* k, const char* entry, char* key, size_t n) {
  const roof_conv_params* p = k->params;
  const roof_spatial* sp = &p->sp;
  const int64_t *x = k->in[0].dims, *w = k->in[1].dims;
  char cpu[128];
  roof_tune_cpu(cpu, sizeof(cpu));
  const mm_isa* isa = roof_mm_pick_isa(); /* the CPU's name alone may not tell its vector ISA */
  int len = snprintf(key, n, "%s %s " ROOF_TUNE_BUILD " mm%dx%d t%zu x%lldx%lldx%lldx%lld w%lldx%lldx%lldx%lld g%lld", cpu,
                     entry, isa->mr, isa->nr, pthreadpool_get_threads_count(k->pool), (long long)x[0], (long long)x[1], (long long)x[2],
                     (long long)x[3], (long long)w[0], (long long)w[1], (long long)w[2], (long long)w[3],
                     (long long)p->group);
  for (int i = 0; i < sp->nsp && len > 0 && (size_t)len < n; i++) {
    len += snprintf(key + len, n - (size_t)len, " s%lld,d%lld,p%lld,%lld", (long long)sp->strides[i],
                    (long long)sp->dilations[i], (long long)sp->pads[i], (long long)sp->pads[i + sp->nsp]);
  }
}

/* A kernel beside k on the buffers x, y (k's params and constants; its own state). */
static void conv_twin(const roof_kernel* k, roof_kernel* t, roof_tensor* in, roof_tensor* out, float* x, float* y) {
  int ni = k->num_in < 4 ? k->num_in : 4;
  memcpy(in, k->in, sizeof(roof_tensor) * (size_t)ni);
  out[0] = k->out[0];
  *t = *k;
  t->in = in;
  t->num_in = ni;
  t->out = out;
  t->num_out = 1;
  in[0].data = x;
  out[0].data = y;
}

/* The race proper on filled buffers; xnn_ms < 0 when XNNPACK cannot take the layer. */
static roof_status conv_race(roof_kernel* k, float* x, float* y, void* scratch, double* native_ms, double* xnn_ms,
                             bool* steady, roof_error* err) {
  roof_tensor nin[4], nout[1], xin[4], xout[1];
  roof_kernel nk, xk;
  conv_twin(k, &nk, nin, nout, x, y);
  nk.scratch = scratch;
  conv_twin(k, &xk, xin, xout, x, y);
  xk.state = xk.handle = xk.scratch = NULL;
  xk.impl = &roof_kernel_Conv_xnnpack;
  char why[160];
  roof_error e = {0};
  bool xnn = roof_kernel_Conv_xnnpack.supports(&xk, why, sizeof(why));
  roof_status st = xnn ? roof_kernel_Conv_xnnpack.create(&xk, &e) : ROOF_OK;
  if (xnn && st == ROOF_OK) st = roof_kernel_Conv_xnnpack.setup(&xk, &e);
  if (st == ROOF_E_UNSUPPORTED) xnn = false, st = ROOF_OK;
  if (st == ROOF_OK) st = k->impl->setup(&nk, &e);
  const size_t threads = pthreadpool_get_threads_count(k->pool);
  double nb[2] = {-1, -1}, xb[2] = {-1, -1};
  const double cpu0 = roof_tune_cpu_ms(), wall0 = roof_tune_now_ms();
  for (int r = 0; st == ROOF_OK && r <= ROOF_TUNE_RUNS; r++) { /* round 0 warms up */
    double t0 = roof_tune_now_ms();
    st = k->impl->run(&nk, &e);
    if (r > 0) roof_tune_keep_best(nb, roof_tune_now_ms() - t0);
    t0 = roof_tune_now_ms();
    if (xnn && st == ROOF_OK) st = roof_kernel_Conv_xnnpack.run(&xk, &e);
    if (r > 0 && xnn) roof_tune_keep_best(xb, roof_tune_now_ms() - t0);
  }
  const double busy = (roof_tune_cpu_ms() - cpu0) / ((roof_tune_now_ms() - wall0) * (double)(threads ? threads : 1));
  *native_ms = nb[0];
  *xnn_ms = xnn ? xb[0] : -1.0;
  *steady = roof_tune_steady(nb) && roof_tune_steady(xb) && busy >= 0.8;
  if (getenv("ROOFTOP_CONV_TUNE_TRACE")) {
    fprintf(stderr, "conv tune: native %.4f, xnnpack %.4f ms, busy %.2f\n", *native_ms, *xnn_ms, busy);
  }
  if (xnn) roof_kernel_Conv_xnnpack.destroy(&xk);
  if (st != ROOF_OK) *err = e;
  return st;
}

roof_status roof_tune_conv_vs_xnnpack(roof_kernel* k, const char* entry, bool* native, double* native_ms, double* xnn_ms,
                                      roof_error* err) {
  const int mode = roof_tune_env_mode();
  if (mode != 0) {
    *native = mode > 0;
    *native_ms = *xnn_ms = -1.0;
    return ROOF_OK;
  }
  /* under 2^20 multiply-adds (tens of microseconds) either side costs about as much, and a race
   * per tiny layer would slow session creation and grow the cache (fuzzed models): XNNPACK, the
   * side every raced class measured faster on a Zen 5 */
  const int64_t* w = k->in[1].dims;
  const uint64_t macs = roof_tensor_count(&k->out[0]) * (uint64_t)(w[1] * w[2] * w[3]);
  if (macs < (1u << 20)) {
    *native = false;
    *native_ms = *xnn_ms = -1.0;
    return ROOF_OK;
  }
  static const char kFile[] = "conv-tune-v1.txt";
  char key[400], choice[16];
  double a, b;
  conv_key(k, entry, key, sizeof(key));
  if (roof_tune_cache_lookup(kFile, key, choice, sizeof(choice), &a, &b)) {
    *native = strcmp(choice, "xnnpack") != 0;
    *native_ms = a, *xnn_ms = b;
    return ROOF_OK;
  }
  const uint64_t xn = roof_tensor_count(&k->in[0]), yn = roof_tensor_count(&k->out[0]);
  const uint64_t sb = k->impl->scratch_bytes ? k->impl->scratch_bytes(k) : 0;
  float* x = malloc(sizeof(float) * (size_t)xn + 64);
  float* y = malloc(sizeof(float) * (size_t)yn + 64);
  void* scratch = roof_alloc_large((size_t)sb + 64, 64);
  roof_status st = ROOF_OK;
  if (!x || !y || !scratch) {
    st = roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory timing the %s entry", entry);
    goto cleanup;
  }
  for (uint64_t i = 0; i < xn; i++) x[i] = 0.5f;
  bool steady = false;
  double nm = -1, xm = -1;
  st = conv_race(k, x, y, scratch, &nm, &xm, &steady, err);
  if (st != ROOF_OK) goto cleanup;
  bool nat = xm < 0 || nm < xm;
  if (steady) roof_tune_cache_store(kFile, key, nat ? "native" : "xnnpack", nm, xm);
  *native = nat;
  *native_ms = nm, *xnn_ms = xm;
cleanup:
  free(x);
  free(y);
  free(scratch);
  return st;
}

roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err) {
  bool native = true;
  double nm, xm;
  roof_status st = roof_tune_conv_vs_xnnpack(k, entry, &native, &nm, &xm, err);
  if (st != ROOF_OK || native) return st;
  if (nm < 0 && roof_tune_env_mode() < 0) return roof_kernel_refuse(err, "%s: XNNPACK forced (ROOFTOP_CONV_TUNE=xnnpack)", entry);
  if (nm < 0) return roof_kernel_refuse(err, "%s: under 2^20 multiply-adds, not raced (XNNPACK)", entry);
  return roof_kernel_refuse(err, "%s: timed slower than XNNPACK on this shape (%.3f vs %.3f ms)", entry, nm, xm);
}
