/* rooftop side of tools/bench/vs-onnxruntime: one model, one session, driven over a pipe so the
 * driver can alternate it with ONNX Runtime in the same process tree.
 *
 *   bench_worker MODEL INPUT_NAME INPUT.npy THREADS OUTPUT.bin [FUSION]
 *
 * Binds INPUT_NAME to the .npy's dims (dynamic dims included), loads, prepares, runs once and
 * prints {"ready":true,"load_to_first_result_ms":..} on stdout; writes output 0 (float32,
 * logical layout) to OUTPUT.bin for the driver's cross-check. Then reads commands on stdin:
 *   run N   -> {"times_ms":[..N end-to-end latencies..]}
 *   quit    -> {"peak_rss_bytes":..} and exit 0
 * Errors go to stderr as one line; the exit code is the status's (runtime/include/rooftop.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "diag.h"
#include "rooftop.h"
#include "tensor_io.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static roof_status write_output(roof_session* s, const char* path, roof_error* err) {
  roof_io_info info;
  roof_session_output_info(s, 0, &info);
  FILE* f = fopen(path, "wb");
  if (f == NULL) return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create the output file", path);
  size_t n = fwrite(roof_session_output(s, 0), 1, info.nbytes, f);
  int closed = fclose(f);
  if (n != info.nbytes || closed != 0) return roof_fail(err, ROOF_E_IO, "%s: short write", path);
  return ROOF_OK;
}

/* Serves "run N" and "quit" until stdin ends. */
static roof_status serve(roof_session* s, roof_error* err) {
  char line[64];
  while (fgets(line, sizeof(line), stdin) != NULL) {
    long n = 0;
    if (strncmp(line, "quit", 4) == 0) break;
    if (sscanf(line, "run %ld", &n) != 1 || n < 1 || n > 100000) {
      return roof_fail(err, ROOF_E_USAGE, "bench_worker: unknown command '%.20s' (run N | quit)", line);
    }
    printf("{\"times_ms\":[");
    for (long i = 0; i < n; i++) {
      double t0 = now_ms();
      roof_status st = roof_session_run(s, NULL, err);
      if (st != ROOF_OK) return st;
      printf("%s%.4f", i ? "," : "", now_ms() - t0);
    }
    printf("]}\n");
    fflush(stdout);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"peak_rss_bytes\":%lld}\n", (long long)ru.ru_maxrss * 1024);
  return ROOF_OK;
}

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7) {
    fprintf(stderr, "usage: bench_worker MODEL INPUT_NAME INPUT.npy THREADS OUTPUT.bin [FUSION]\n");
    return ROOF_E_USAGE;
  }
  roof_error err = {{0}};
  roof_model* m = NULL;
  roof_session* s = NULL;
  roof_value in = {0};
  double t0 = now_ms();
  roof_status st = roof_tensor_file_read(argv[3], &in, &err);
  if (st != ROOF_OK) goto done;
  roof_shape_binding bind = {.name = argv[2], .rank = in.rank};
  memcpy(bind.dims, in.dims, sizeof(int64_t) * (size_t)in.rank);
  /* Load-to-first-result starts at the model load, after the input file is read. */
  t0 = now_ms();
  st = roof_model_load(argv[1], NULL, &m, &err);
  if (st != ROOF_OK) goto done;
  roof_prepare_options po = {.shapes = &bind, .num_shapes = 1, .fusion = argc == 7 ? argv[6] : NULL};
  st = roof_model_prepare(m, &po, &err);
  if (st != ROOF_OK) goto done;
  roof_session_options so = {.threads = (uint32_t)atoi(argv[4])};
  st = roof_model_release_to_session(m, &so, &s, &err); /* weights freed as kernels pack them */
  if (st != ROOF_OK) goto done;
  st = roof_session_set_input(s, 0, in.data, in.nbytes, &err);
  if (st == ROOF_OK) st = roof_session_run(s, NULL, &err);
  if (st != ROOF_OK) goto done;
  double first = now_ms() - t0;
  st = write_output(s, argv[5], &err);
  if (st != ROOF_OK) goto done;
  printf("{\"ready\":true,\"load_to_first_result_ms\":%.3f}\n", first);
  fflush(stdout);
  st = serve(s, &err);
done:
  if (st != ROOF_OK) fprintf(stderr, "%s\n", err.message);
  roof_value_release(&in);
  roof_session_free(s);
  roof_model_free(m);
  return roof_exit_code(st);
}
