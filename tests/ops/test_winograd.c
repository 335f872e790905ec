/* The Winograd convolution (ops/winograd.c) against the direct reference kernel: every 3x3
 * stride-1 shape of ResNet-18 and ResNet-50, then odd sizes (H, W not multiples of the 4x4
 * tile, channels not multiples of the vector or panel width, padding 0, 1 and asymmetric,
 * batch 2, 1x1 images), with and without bias and a fused Relu, 1 and 2 threads. The session
 * forces Winograd on (roof_session_options.winograd = 1) and the test checks it ran; a second
 * part checks the tuning refuses nothing it should not and that "off" keeps it away.
 * Fails at the first bad element with its coordinates. usage: test_winograd [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"

static int failures, cases;
static const char* want_alg; /* the algorithm the forced tile must show */

typedef struct wg_case {
  int64_t n, c, h, w, o;
  int64_t pads[4]; /* top, left, bottom, right */
  bool bias, relu;
  int threads;
} wg_case;

static void describe(const wg_case* c, char* buf, size_t n) {
  snprintf(buf, n, "Conv3x3 x[%lld,%lld,%lld,%lld] o%lld pads %lld,%lld,%lld,%lld%s%s t%d", (long long)c->n,
           (long long)c->c, (long long)c->h, (long long)c->w, (long long)c->o, (long long)c->pads[0],
           (long long)c->pads[1], (long long)c->pads[2], (long long)c->pads[3], c->bias ? " +bias" : "",
           c->relu ? " +relu" : "", c->threads);
}

static roof_model* build(rng* r, const wg_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->o, c->c, 3, 3}, bd[1] = {c->o};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {3, 3};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "pads", 4, c->pads);
  return finish_with_relu(&b, y, c->relu, label);
}

/* Runs the model on x; *algorithm is the Conv kernel's (NULL: direct). */
static float* run(roof_model* m, bool reference, int winograd, int threads, const float* x, size_t bytes,
                  const char** algorithm) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = (uint32_t)threads, .force_reference = reference, .winograd = winograd};
  if (roof_session_create(m, &so, &s, &err) != ROOF_OK) {
    fprintf(stderr, "session: %s\n", err.message);
    return NULL;
  }
  *algorithm = NULL;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (k->op->id == ROOF_OP_Conv) *algorithm = k->algorithm;
  }
  float* out = NULL;
  if (roof_session_set_input(s, 0, x, bytes, &err) == ROOF_OK && roof_session_run(s, NULL, &err) == ROOF_OK) {
    roof_io_info info;
    roof_session_output_info(s, 0, &info);
    out = malloc(info.nbytes + 1);
    memcpy(out, roof_session_output(s, 0), info.nbytes);
  } else {
    fprintf(stderr, "run: %s\n", err.message);
  }
  roof_session_free(s);
  return out;
}

/* F(4x4,3x3) in float32 loses a few bits in its transforms: the bound is relative to the
 * largest output (the transforms mix an output's neighbours) plus the element's own size.
 * Measured on these cases: worst error 1.3e-5 of the largest output (512 input channels). */
static void compare(const char* label, const roof_value* y, const float* fast, const float* ref, double* worst) {
  uint64_t n = 1;
  for (int d = 0; d < y->rank; d++) n *= (uint64_t)y->dims[d];
  double mag = 0;
  for (uint64_t i = 0; i < n; i++) mag = fmax(mag, fabs(ref[i]));
  for (uint64_t i = 0; i < n; i++) {
    double e = fabs((double)fast[i] - ref[i]);
    if (mag > 0) *worst = fmax(*worst, e / mag);
    if (e <= 5e-5 * mag + 1e-5 * fabs(ref[i]) + 1e-6) continue;
    int64_t idx[ROOF_MAX_RANK];
    uint64_t rem = i;
    for (int d = y->rank - 1; d >= 0; d--) {
      idx[d] = (int64_t)(rem % (uint64_t)y->dims[d]);
      rem /= (uint64_t)y->dims[d];
    }
    char c[96];
    fprintf(stderr, "FAIL %s: element [%s]: winograd %.8g, reference %.8g (largest output %.4g)\n", label,
            roof_shape_str(idx, y->rank, c, sizeof(c)), fast[i], ref[i], mag);
    failures++;
    return;
  }
}

static void check(rng* r, const wg_case* c) {
  char label[200];
  describe(c, label, sizeof(label));
  cases++;
  roof_model* m = build(r, c, label);
  if (m == NULL) {
    failures++;
    return;
  }
  uint64_t n = (uint64_t)(c->n * c->c * c->h * c->w);
  float* x = malloc(sizeof(float) * n);
  for (uint64_t j = 0; j < n; j++) x[j] = frand(r);
  const char *alg_ref, *alg;
  float* ref = run(m, true, 0, 1, x, sizeof(float) * n, &alg_ref);
  float* fast = run(m, false, 1, c->threads, x, sizeof(float) * n, &alg);
  double worst = 0;
  if (ref == NULL || fast == NULL) {
    fprintf(stderr, "FAIL %s: session failed\n", label);
    failures++;
  } else if (alg == NULL || strcmp(alg, want_alg) != 0) {
    fprintf(stderr, "FAIL %s: ran %s, not %s\n", label, alg ? alg : "direct", want_alg);
    failures++;
  } else {
    compare(label, &m->g->values[m->g->outputs[0]], fast, ref, &worst);
  }
  if (getenv("WG_VERBOSE")) fprintf(stderr, "%s: worst error %.3g of the largest output\n", label, worst);
  free(x);
  free(fast);
  free(ref);
  roof_model_free(m);
}

/* With Winograd off the direct kernel runs; on auto, a chosen Winograd kernel still matches. */
static void check_modes(rng* r) {
  wg_case c = {1, 16, 12, 12, 24, {1, 1, 1, 1}, true, false, 1};
  char label[200];
  describe(&c, label, sizeof(label));
  roof_model* m = build(r, &c, label);
  if (m == NULL) {
    failures++;
    return;
  }
  uint64_t n = (uint64_t)(c.n * c.c * c.h * c.w);
  float* x = calloc(n, sizeof(float));
  const char* alg = "";
  float* off = run(m, false, -1, 1, x, sizeof(float) * n, &alg);
  cases++;
  if (off == NULL || alg != NULL) {
    fprintf(stderr, "FAIL %s: winograd = -1 still ran %s\n", label, alg ? alg : "(session failed)");
    failures++;
  }
  free(off);
  float* tuned = run(m, false, 0, 1, x, sizeof(float) * n, &alg);
  cases++;
  if (tuned == NULL) {
    fprintf(stderr, "FAIL %s: tuned session failed\n", label);
    failures++;
  }
  free(tuned);
  free(x);
  roof_model_free(m);
}

/* Every case with the output tile forced (ROOFTOP_WINOGRAD_TILE): F(4x4,3x3), then F(2x2,3x3). */
static void check_shapes(rng* r) {
  /* ResNet-18 / ResNet-50: every 3x3 stride-1 conv (the stride-2 ones run direct) at 224x224 */
  static const int64_t kResnet[][3] = {{64, 56, 56}, {128, 28, 28}, {256, 14, 14}, {512, 7, 7}};
  for (size_t i = 0; i < sizeof(kResnet) / sizeof(kResnet[0]); i++) {
    wg_case c = {1, kResnet[i][0], kResnet[i][1], kResnet[i][2], kResnet[i][0], {1, 1, 1, 1}, true, true, 2};
    check(r, &c);
  }
  /* odd sizes: tiles cut by the edges, channel tails, padding 0, 1 and asymmetric, batch 2.
   * At least 5 input channels: up to 4 take the stem entry (ops/conv_stem.c) ahead of Winograd. */
  static const wg_case kOdd[] = {
      {1, 5, 3, 3, 1, {0, 0, 0, 0}, false, false, 1},   {1, 6, 5, 7, 5, {1, 1, 1, 1}, true, false, 1},
      {2, 17, 9, 11, 33, {1, 1, 1, 1}, true, true, 2},  {2, 31, 13, 6, 47, {0, 0, 0, 0}, false, false, 2},
      {1, 16, 4, 4, 32, {1, 1, 1, 1}, true, false, 1},  {1, 20, 1, 1, 7, {1, 1, 1, 1}, true, true, 1},
      {2, 5, 8, 10, 65, {2, 0, 1, 2}, true, false, 2},  {1, 64, 15, 15, 64, {1, 1, 1, 1}, false, true, 2},
      {1, 48, 19, 23, 40, {0, 1, 0, 1}, true, false, 1}, {2, 130, 7, 9, 70, {1, 1, 1, 1}, true, true, 2},
  };
  for (size_t i = 0; i < sizeof(kOdd) / sizeof(kOdd[0]); i++) check(r, &kOdd[i]);
  /* random shapes */
  for (int i = 0; i < 12; i++) {
    wg_case c = {irand(r, 1, 2), irand(r, 5, 40), irand(r, 3, 21), irand(r, 3, 21), irand(r, 1, 70),
                 {irand(r, 0, 1), irand(r, 0, 1), irand(r, 0, 1), irand(r, 0, 1)}, irand(r, 0, 1), irand(r, 0, 1),
                 irand(r, 1, 2)};
    check(r, &c);
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 7};
  static const char* const kTiles[][2] = {{"4", "winograd F(4x4,3x3)"}, {"2", "winograd F(2x2,3x3)"}};
  for (int t = 0; t < 2; t++) {
    setenv("ROOFTOP_WINOGRAD_TILE", kTiles[t][0], 1);
    want_alg = kTiles[t][1];
    check_shapes(&r);
  }
  unsetenv("ROOFTOP_WINOGRAD_TILE");
  check_modes(&r);
  printf("%d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
