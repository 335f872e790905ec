/* compare_tensors GOT.pb WANT.pb [RTOL] [ATOL_FRAC]
 * float32 or float16 on either side (a float16 model's output against the float32 model's).
 * Passes when every element satisfies |got - want| <= atol_frac * max|want| + rtol * |want|
 * (defaults 1e-3 and 1e-4, the model zoo's tolerance). Prints max abs and rel error; on a
 * mismatch prints the first bad element with its coordinates and exits 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tensor_io.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: compare_tensors GOT.pb WANT.pb [RTOL] [ATOL_FRAC]\n");
    return 64;
  }
  double rtol = argc > 3 ? atof(argv[3]) : 1e-3, atol_frac = argc > 4 ? atof(argv[4]) : 1e-4;
  roof_value got = {0}, want = {0};
  roof_error err = {{0}};
  if (roof_tensor_file_read(argv[1], &got, &err) != ROOF_OK || roof_tensor_file_read(argv[2], &want, &err) != ROOF_OK) {
    fprintf(stderr, "compare_tensors: %s\n", err.message);
    return 66;
  }
  int rc = 0;
  char gs[96], ws[96];
  bool same = got.rank == want.rank;
  bool floats = (got.dtype == ROOF_DT_FLOAT || got.dtype == ROOF_DT_FLOAT16) &&
                (want.dtype == ROOF_DT_FLOAT || want.dtype == ROOF_DT_FLOAT16);
  for (int d = 0; same && d < got.rank; d++) same = got.dims[d] == want.dims[d];
  if (!same || !floats) {
    fprintf(stderr, "compare_tensors: got %s %s, want %s %s (float32 or float16 expected)\n", roof_dtype_name(got.dtype),
            roof_shape_str(got.dims, got.rank, gs, sizeof(gs)), roof_dtype_name(want.dtype),
            roof_shape_str(want.dims, want.rank, ws, sizeof(ws)));
    rc = 1;
    goto done;
  }
  uint64_t n = 0;
  roof_value_count(&want, &n);
  float* g = malloc(sizeof(float) * (size_t)(n ? n : 1));
  float* w = malloc(sizeof(float) * (size_t)(n ? n : 1));
  if (g == NULL || w == NULL) {
    fprintf(stderr, "compare_tensors: out of memory\n");
    free(g);
    free(w);
    rc = 71;
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    g[i] = (float)roof_load_f64(got.dtype, got.data, (int64_t)i);
    w[i] = (float)roof_load_f64(want.dtype, want.data, (int64_t)i);
  }
  double mag = 0, max_abs = 0, max_rel = 0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(w[i]));
  for (size_t i = 0; i < n; i++) {
    double e = fabs((double)g[i] - (double)w[i]);
    if (isnan(g[i]) != isnan(w[i])) e = INFINITY;
    else if (isnan(g[i])) e = 0;
    max_abs = fmax(max_abs, e);
    max_rel = fmax(max_rel, e / fmax(fabs(w[i]), 1e-30));
    if (e > atol_frac * mag + rtol * fabs(w[i]) && rc == 0) {
      int64_t idx[ROOF_MAX_RANK];
      size_t rem = i;
      for (int d = want.rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)(rem % (size_t)want.dims[d]);
        rem /= (size_t)want.dims[d];
      }
      fprintf(stderr, "compare_tensors: first bad element %zu at [%s]: got %.8g, want %.8g\n", i,
              roof_shape_str(idx, want.rank, gs, sizeof(gs)), g[i], w[i]);
      rc = 1;
    }
  }
  printf("max abs error %.3g, max rel error %.3g, max |want| %.3g: %s\n", max_abs, max_rel, mag, rc ? "MISMATCH" : "ok");
  free(g);
  free(w);
done:
  roof_value_release(&got);
  roof_value_release(&want);
  return rc;
}
