/* DFT and STFT (ops/spectral.c): the native kernel against the reference on random shapes
 * (DFT along any signal axis, real and complex inputs, forward and inverse, onesided, dft_length
 * shorter and longer than the signal; STFT with and without a window, onesided or not, complex
 * signals), at 1 and 2 threads, failing at the first bad element with its coordinates; and
 * known transforms on the default kernels: an impulse's DFT is all ones, a cosine of k cycles
 * per frame puts half its amplitude times the frame length in bins k and n - k, the inverse of
 * a forward DFT gives the signal back. usage: test_spectral [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct spec_case {
  bool stft;
  int rank;            /* DFT: input rank, 3..5 */
  int64_t dims[5];     /* DFT: input dims (last 1 or 2); STFT: [batch, length, 1|2] */
  int64_t axis, dft_length, inverse, onesided; /* DFT (dft_length 0: none) */
  int64_t step, frame; /* STFT (frame 0: the window's length) */
  bool window;         /* STFT */
} spec_case;

static roof_model* build(rng* r, const spec_case* c, const char* label) {
  builder b = start(r, label);
  b.g->opset = 17;
  int x = input(&b, "x", c->rank, c->dims), y = output(&b, "y");
  if (!c->stft) {
    int ins[2] = {x, c->dft_length ? typed_const(&b, "n", ROOF_DT_INT64, 0, NULL, &c->dft_length) : -1};
    roof_node* n = node(&b, "DFT", ins, c->dft_length ? 2 : 1, &y, 1);
    attr_i(n, "axis", c->axis);
    attr_i(n, "inverse", c->inverse);
    attr_i(n, "onesided", c->onesided);
  } else {
    int64_t wd[1] = {c->frame};
    int ins[4] = {x, typed_const(&b, "step", ROOF_DT_INT64, 0, NULL, &c->step), c->window ? constant(&b, "w", 1, wd) : -1,
                  c->window ? -1 : typed_const(&b, "frame", ROOF_DT_INT64, 0, NULL, &c->frame)};
    attr_i(node(&b, "STFT", ins, 4, &y, 1), "onesided", c->onesided);
  }
  return finish_with_relu(&b, y, false, label);
}

static void check(rng* r, const spec_case* c, int threads, const char* label) {
  cases++;
  roof_model* m = build(r, c, label);
  if (m == NULL) {
    failures++;
    return;
  }
  size_t count = 1;
  for (int i = 0; i < c->rank; i++) count *= (size_t)c->dims[i];
  float* x = malloc(sizeof(float) * (count ? count : 1));
  for (size_t i = 0; i < count; i++) x[i] = frand(r);
  void* in[1] = {x};
  if (!test_differential(m, threads, in, c->stft ? "STFT" : "DFT", label)) failures++;
  free(x);
  roof_model_free(m);
}

static void random_dft(rng* r, int i) {
  spec_case c = {.rank = irand(r, 3, 5)};
  c.dims[0] = irand(r, 1, 2);
  for (int a = 1; a < c.rank - 1; a++) c.dims[a] = irand(r, 1, 24);
  bool cplx = i % 2 == 1;
  c.dims[c.rank - 1] = cplx ? 2 : 1;
  c.axis = irand(r, 1, c.rank - 2);
  if (i % 5 == 4) c.axis -= c.rank; /* negative, counted from the end */
  c.inverse = cplx && i % 4 == 3;
  c.onesided = !cplx && i % 3 == 0;
  int64_t len = c.dims[c.axis < 0 ? c.axis + c.rank : c.axis];
  c.dft_length = i % 4 == 2 ? (int64_t)irand(r, 1, (int)(2 * len)) : 0;
  char label[200];
  snprintf(label, sizeof(label), "DFT#%d rank %d axis %lld len %lld n %lld %s%s%s", i, c.rank, (long long)c.axis, (long long)len,
           (long long)c.dft_length, cplx ? "complex" : "real", c.inverse ? " inverse" : "", c.onesided ? " onesided" : "");
  check(r, &c, 1 + i % 2, label);
}

static void random_stft(rng* r, int i) {
  spec_case c = {.stft = true, .rank = 3, .frame = irand(r, 1, 40), .step = irand(r, 1, 16), .window = i % 2 == 0};
  bool cplx = i % 3 == 2;
  c.onesided = !cplx && i % 4 != 1;
  c.dims[0] = irand(r, 1, 2), c.dims[1] = c.frame + irand(r, 0, 90), c.dims[2] = cplx ? 2 : 1;
  char label[200];
  snprintf(label, sizeof(label), "STFT#%d [%lld, %lld, %lld] frame %lld step %lld%s%s", i, (long long)c.dims[0],
           (long long)c.dims[1], (long long)c.dims[2], (long long)c.frame, (long long)c.step, c.window ? " window" : "",
           c.onesided ? " onesided" : "");
  check(r, &c, 1 + i % 2, label);
}

/* Runs a one-node model on the default kernels at 1 thread; the output (caller frees) or NULL. */
static float* run_default(rng* r, const spec_case* c, const float* x, const char* label, size_t* count) {
  roof_model* m = build(r, c, label);
  if (m == NULL) return NULL;
  test_outputs o = {0};
  bool took;
  void* in[1] = {(void*)x};
  float* y = NULL;
  if (test_run_session(m, false, 1, in, c->stft ? "STFT" : "DFT", &took, &o)) {
    y = o.data[0];
    *count = o.info[0].nbytes / sizeof(float);
    o.data[0] = NULL;
  }
  test_outputs_free(&o);
  roof_model_free(m);
  return y;
}

static void expect(const char* label, size_t i, double got, double want) {
  if (fabs(got - want) <= 1e-4 * (1.0 + fabs(want))) return;
  fprintf(stderr, "FAIL %s: element %zu is %.8g, want %.8g\n", label, i, got, want);
  failures++;
}

static void known_transforms(rng* r) {
  enum { N = 32, K = 5 };
  float x[2 * N];
  size_t count = 0;
  /* impulse: X[k] = 1 + 0i for every k */
  cases++;
  spec_case imp = {.rank = 3, .dims = {1, N, 1}, .axis = 1};
  for (int j = 0; j < N; j++) x[j] = j == 0 ? 1.0f : 0.0f;
  float* y = run_default(r, &imp, x, "impulse", &count);
  if (y == NULL || count != 2 * N) failures++, fprintf(stderr, "FAIL impulse: no output\n");
  for (size_t i = 0; y && i < count && i < 2 * N; i++) expect("impulse", i, y[i], i % 2 ? 0.0 : 1.0);
  free(y);
  /* cosine of K cycles: N/2 in bins K and N - K, 0 elsewhere */
  cases++;
  for (int j = 0; j < N; j++) x[j] = (float)cos(2.0 * M_PI * K * j / N);
  y = run_default(r, &imp, x, "cosine", &count);
  if (y == NULL || count != 2 * N) failures++, fprintf(stderr, "FAIL cosine: no output\n");
  for (int k = 0; y && k < N && count == 2 * N; k++) {
    expect("cosine re", (size_t)k, y[2 * k], k == K || k == N - K ? N / 2.0 : 0.0);
    expect("cosine im", (size_t)k, y[2 * k + 1], 0.0);
  }
  /* the inverse of the forward transform is the signal */
  cases++;
  for (int j = 0; j < 2 * N; j++) x[j] = frand(r);
  spec_case fwd = {.rank = 3, .dims = {1, N, 2}, .axis = 1}, inv = fwd;
  inv.inverse = 1;
  float* f = run_default(r, &fwd, x, "forward", &count);
  float* back = f ? run_default(r, &inv, f, "inverse", &count) : NULL;
  if (back == NULL || count != 2 * N) failures++, fprintf(stderr, "FAIL round trip: no output\n");
  for (size_t i = 0; back && i < count && i < 2 * N; i++) expect("round trip", i, back[i], x[i]);
  free(y), free(f), free(back);
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261129};
  for (int i = 0; i < 40; i++) random_dft(&r, i);
  for (int i = 0; i < 24; i++) random_stft(&r, i);
  /* an audio front end: 25 ms frames every 10 ms at 16 kHz, a Hann-like window, 257 bins */
  spec_case audio = {.stft = true, .rank = 3, .dims = {1, 16000, 1}, .frame = 512, .step = 160, .window = true, .onesided = 1};
  check(&r, &audio, 2, "STFT audio 1 s, 512 / 160");
  known_transforms(&r);
  printf("test_spectral: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
