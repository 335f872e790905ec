/* compare_tensors GOT.pb WANT.pb [RTOL] [ATOL_FRAC]
 * compare_tensors GOT.pb WANT.pb --agree MIN_COSINE RANGE_FRAC
 * float32 or float16 on either side (a float16 model's output against the float32 model's).
 * Element mode: passes when every element satisfies |got - want| <= atol_frac * max|want| +
 * rtol * |want| (defaults 1e-3 and 1e-4, the model zoo's tolerance). Prints max abs and rel
 * error; on a mismatch prints the first bad element with its coordinates and exits 1.
 * --agree (two runtimes on one quantized model, where single elements may differ by a
 * quantization step): passes when the cosine similarity of the two tensors is >= MIN_COSINE and
 * max |got - want| <= RANGE_FRAC x (max want - min want); prints both figures and, on a
 * mismatch, the element of the largest error with its coordinates. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_io.h"

/* Coordinates of flat element i of `v` into buf. */
static const char* coords(const roof_value* v, size_t i, char* buf, size_t size) {
  int64_t idx[ROOF_MAX_RANK];
  for (int d = v->rank - 1; d >= 0; d--) {
    idx[d] = (int64_t)(i % (size_t)v->dims[d]);
    i /= (size_t)v->dims[d];
  }
  return roof_shape_str(idx, v->rank, buf, size);
}

/* --agree: cosine similarity and max abs error against the range of `want`. */
static int agree(const float* g, const float* w, size_t n, const roof_value* want, double min_cos, double range_frac) {
  double dot = 0, gg = 0, ww = 0, lo = INFINITY, hi = -INFINITY, max_abs = 0;
  size_t worst = 0;
  for (size_t i = 0; i < n; i++) {
    dot += (double)g[i] * w[i];
    gg += (double)g[i] * g[i];
    ww += (double)w[i] * w[i];
    lo = fmin(lo, w[i]);
    hi = fmax(hi, w[i]);
    double e = fabs((double)g[i] - (double)w[i]);
    if (isnan(e)) e = INFINITY;
    if (e > max_abs || i == 0) max_abs = e, worst = i;
  }
  /* Two all-zero tensors agree; one all-zero against another does not (cosine 0). */
  double cos = gg == 0 && ww == 0 ? 1.0 : dot / sqrt(gg * ww);
  if (isnan(cos)) cos = 0;
  double range = n ? hi - lo : 0;
  bool ok = cos >= min_cos && max_abs <= range_frac * range;
  char cs[96];
  printf("cosine %.6f (>= %g), max abs error %.3g = %.2f%% of the range %.3g (<= %g%%): %s\n", cos, min_cos, max_abs,
         range > 0 ? 100.0 * max_abs / range : 0.0, range, 100.0 * range_frac, ok ? "ok" : "MISMATCH");
  if (!ok && n)
    fprintf(stderr, "compare_tensors: largest error at element %zu [%s]: got %.8g, want %.8g\n", worst,
            coords(want, worst, cs, sizeof(cs)), g[worst], w[worst]);
  return ok ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: compare_tensors GOT.pb WANT.pb [RTOL] [ATOL_FRAC]\n"
                    "       compare_tensors GOT.pb WANT.pb --agree MIN_COSINE RANGE_FRAC\n");
    return 64;
  }
  bool agree_mode = argc > 3 && strcmp(argv[3], "--agree") == 0;
  if (agree_mode && argc != 6) {
    fprintf(stderr, "compare_tensors: --agree expects MIN_COSINE RANGE_FRAC\n");
    return 64;
  }
  double rtol = argc > 3 && !agree_mode ? atof(argv[3]) : 1e-3, atol_frac = argc > 4 && !agree_mode ? atof(argv[4]) : 1e-4;
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
  if (agree_mode) {
    rc = agree(g, w, n, &want, atof(argv[4]), atof(argv[5]));
    free(g);
    free(w);
    goto done;
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
      fprintf(stderr, "compare_tensors: first bad element %zu at [%s]: got %.8g, want %.8g\n", i,
              coords(&want, i, gs, sizeof(gs)), g[i], w[i]);
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
