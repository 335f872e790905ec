/* Differential tests of the fused residual (pass residual: Conv -> Add -> [Relu] as one Conv
 * adding input 3 before its clamp, on the pointwise entry of ops/matmul.c). Each case builds
 * the same graph twice: prepared with the activation and residual passes and run on the
 * default kernels (1 or 2 threads), and prepared without fusion (Conv, then Add, then Relu)
 * and run on the reference kernels; the fused model on the reference kernels must match too.
 * ResNet-50's bottleneck ends (K whole and K in blocks past 512 channels: the residual then
 * comes with the last block), no bias, no Relu, the residual as the Add's first operand, batch
 * 2, odd counts; and Adds the pass must leave alone (a 3x3 Conv, 47 input channels, under 24
 * pixels, a Relu between Conv and Add, a broadcast residual). Fails at the first bad element
 * with its coordinates. usage: test_residual [SEED] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct res_case {
  int64_t n, c, h, w, o, k;
  bool bias, relu, res_first, relu_before_add, broadcast;
  int threads;
  bool fuses; /* the pass must fire (else: must not) */
} res_case;

/* x [n, c, h, w] -> Conv k x k (same padding) [-> Relu] -> Add with r [n, o, h, w] (or r
 * [1, o, 1, 1] when broadcast) [-> Relu]. Same rng state, same weights. */
static roof_model* build(rng r, const res_case* c, const char* fusion, const char* label) {
  builder b = start(&r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->o, c->c, c->k, c->k}, bd[1] = {c->o};
  int64_t rd[4] = {c->broadcast ? 1 : c->n, c->o, c->broadcast ? 1 : c->h, c->broadcast ? 1 : c->w};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int res = input(&b, "r", 4, rd);
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {c->k, c->k}, p[4] = {c->k / 2, c->k / 2, c->k / 2, c->k / 2};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "pads", 4, p);
  if (c->relu_before_add) {
    int z = output(&b, "yr");
    node(&b, "Relu", &y, 1, &z, 1);
    y = z;
  }
  int sum = output(&b, "s");
  int add_in[2] = {c->res_first ? res : y, c->res_first ? y : res};
  node(&b, "Add", add_in, 2, &sum, 1);
  if (c->relu) {
    int z = output(&b, "z");
    node(&b, "Relu", &sum, 1, &z, 1);
    sum = z;
  }
  mark_output(&b, sum);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = fusion};
  if (roof_model_from_graph(b.g, &m, &err) != ROOF_OK || roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", label, err.message);
    roof_model_free(m);
    return NULL;
  }
  return m;
}

static bool is_pointwise(const roof_kernel_impl* e) {
  return e && e->backend == ROOF_BACKEND_NATIVE && e->algorithm && strcmp(e->algorithm, "gemm") == 0;
}

static bool run_case(rng* r, const res_case* c, const char* label) {
  rng at = *r;
  (void)next(r); /* the next case builds other weights */
  roof_model* fused = build(at, c, "activation,residual", label);
  roof_model* plain = build(at, c, "none", label);
  size_t nx = (size_t)(c->n * c->c * c->h * c->w);
  size_t nr = c->broadcast ? (size_t)c->o : (size_t)(c->n * c->o * c->h * c->w);
  float* x = malloc(sizeof(float) * nx);
  float* res = malloc(sizeof(float) * nr);
  for (size_t i = 0; i < nx; i++) x[i] = frand(r);
  for (size_t i = 0; i < nr; i++) res[i] = frand(r);
  void* in[2] = {x, res};
  test_outputs want = {0}, got = {0}, got_ref = {0}, adds = {0};
  const roof_kernel_impl *impl = NULL, *add_impl = NULL, *ignored = NULL;
  bool ok = fused && plain && test_run_session_impl(plain, true, 1, in, "Conv", &ignored, &want) &&
            test_run_session_impl(fused, false, c->threads, in, "Conv", &impl, &got) &&
            test_run_session_impl(fused, true, 1, in, "Add", &add_impl, &adds) &&
            test_run_session_impl(fused, true, 1, in, "Conv", &ignored, &got_ref);
  if (!ok) {
    fprintf(stderr, "FAIL %s: session failed\n", label);
  } else if ((add_impl == NULL) != c->fuses) {
    fprintf(stderr, "FAIL %s: the residual pass %s\n", label, c->fuses ? "left the Add" : "fused the Add");
    ok = false;
  } else if (c->fuses && !is_pointwise(impl)) {
    fprintf(stderr, "FAIL %s: fused Conv ran on %s/%s, expected the pointwise entry\n", label,
            impl ? roof_backend_name(impl->backend) : "?", impl && impl->algorithm ? impl->algorithm : "-");
    ok = false;
  } else {
    ok = test_close_f32(label, &got, &want);
    char ref_label[260];
    snprintf(ref_label, sizeof(ref_label), "%s (fused, reference kernels)", label);
    ok = ok && test_close_f32(ref_label, &got_ref, &want);
  }
  test_outputs_free(&want);
  test_outputs_free(&got);
  test_outputs_free(&got_ref);
  test_outputs_free(&adds);
  free(x);
  free(res);
  roof_model_free(fused);
  roof_model_free(plain);
  return ok;
}

static void check(rng* r, const res_case* c) {
  char label[220];
  snprintf(label, sizeof(label), "Conv%lldx%lld x[%lld,%lld,%lld,%lld] o%lld%s%s%s%s%s t%d", (long long)c->k, (long long)c->k,
           (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w, (long long)c->o, c->bias ? " +bias" : "",
           c->relu ? " +relu" : "", c->res_first ? " res-first" : "", c->relu_before_add ? " relu-before-add" : "",
           c->broadcast ? " broadcast" : "", c->threads);
  cases++;
  if (!run_case(r, c, label)) failures++;
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  static const res_case kCases[] = {
      /* n, c, h, w, o, k, bias, relu, res_first, relu_before_add, broadcast, threads, fuses */
      /* ResNet-50's conv3 + Add + Relu: 64 -> 256, 128 -> 512 (K whole), 512 -> 2048 at 7x7 */
      {1, 64, 28, 28, 256, 1, true, true, false, false, false, 2, true},
      {1, 128, 14, 14, 512, 1, true, true, true, false, false, 1, true},
      {1, 512, 7, 7, 2048, 1, true, true, false, false, false, 2, true},
      /* K in blocks (past 512 channels): the residual comes with the last block */
      {1, 1024, 7, 7, 256, 1, true, true, false, false, false, 2, true},
      {1, 777, 5, 6, 45, 1, false, true, true, false, false, 1, true},
      /* no bias, no Relu, batch 2, odd counts */
      {2, 67, 13, 11, 97, 1, false, false, false, false, false, 2, true},
      {1, 50, 29, 3, 1, 1, true, false, true, false, false, 1, true},
      {2, 200, 9, 7, 130, 1, true, true, false, false, false, 1, true},
      /* left alone: 3x3, 47 input channels, under 24 pixels, Relu before the Add, broadcast */
      {1, 64, 10, 10, 64, 3, true, true, false, false, false, 2, false},
      {1, 47, 10, 10, 64, 1, true, true, false, false, false, 1, false},
      {1, 256, 4, 5, 64, 1, true, true, false, false, false, 1, false},
      {1, 64, 10, 10, 64, 1, true, true, false, true, false, 2, false},
      {1, 64, 10, 10, 64, 1, true, true, false, false, true, 1, false},
  };
  for (size_t i = 0; i < sizeof(kCases) / sizeof(kCases[0]); i++) check(&r, &kCases[i]);
  for (int i = 0; i < 8; i++) {
    res_case c = {irand(&r, 1, 2), irand(&r, 48, 600), irand(&r, 5, 20), irand(&r, 5, 20), irand(&r, 1, 200), 1,
                  i % 2 == 0, i % 3 != 0, i % 4 == 1, false, false, 1 + i % 2, true};
    check(&r, &c);
  }
  printf("test_residual: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
