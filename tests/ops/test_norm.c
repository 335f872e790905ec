/* Differential and hand-computed tests of the normalization, axis-family, selection and
 * contraction ops: InstanceNormalization, LogSoftmax, Hardmax, TopK, Einsum, GlobalMaxPool (fast
 * kernels against the reference on random shapes, odd sizes, plain and NHWC views), and the
 * reference kernels of MeanVarianceNormalization, LpNormalization, LRN, Shrink and Mish on
 * values worked out by hand. Unlike test_ops, a case may have several graph inputs (Einsum's
 * two activations) and int64 outputs (TopK's indices), compared exactly. Fails at the first bad
 * element with its coordinates. usage: test_norm [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "session_outputs.h"

#define MAX_IO 4

static int failures, cases;

static void report(const char* label, int out, const roof_io_info* info, size_t i, double got, double want) {
  char c[96];
  fprintf(stderr, "FAIL %s: output %d element [%s]: got %.8g, want %.8g\n", label, out, test_coords(info, i, c, sizeof(c)),
          got, want);
  failures++;
}

/* float outputs within tolerance of `want` (NaN equals NaN), int64 outputs exact */
static void compare(const char* label, const test_outputs* got, const test_outputs* want) {
  for (int o = 0; o < want->n; o++) {
    const roof_io_info* info = &want->info[o];
    if (got->info[o].nbytes != info->nbytes || got->info[o].dtype != info->dtype) {
      fprintf(stderr, "FAIL %s: output %d differs in size or dtype\n", label, o);
      failures++;
      return;
    }
    if (info->dtype == ROOF_DT_INT64) {
      const int64_t *g = got->data[o], *w = want->data[o];
      for (size_t i = 0; i < info->nbytes / 8; i++) {
        if (g[i] != w[i]) return report(label, o, info, i, (double)g[i], (double)w[i]);
      }
      continue;
    }
    const float *g = got->data[o], *w = want->data[o];
    size_t n = info->nbytes / 4;
    double mag = 0;
    for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(w[i]));
    for (size_t i = 0; i < n; i++) {
      if (isnan(g[i]) && isnan(w[i])) continue;
      if (fabs((double)g[i] - w[i]) <= 1e-5 * mag + 1e-4 * fabs(w[i]) + 1e-6) continue;
      return report(label, o, info, i, g[i], w[i]);
    }
  }
}

static roof_model* prepare(builder* b) {
  roof_model* m = test_prepare(b);
  if (m == NULL) failures++;
  return m;
}

/* Random inputs in [-1, 1) for every graph input (float32). */
static float** random_inputs(roof_model* m, rng* r) {
  float** in = calloc(MAX_IO, sizeof(float*));
  for (int i = 0; i < m->g->num_inputs && i < MAX_IO; i++) {
    const roof_value* x = &m->g->values[m->g->inputs[i]];
    uint64_t n = 1;
    for (int d = 0; d < x->rank; d++) n *= (uint64_t)x->dims[d];
    in[i] = malloc(sizeof(float) * (n ? n : 1));
    for (uint64_t j = 0; j < n; j++) in[i][j] = frand(r);
  }
  return in;
}

static void free_inputs(float** in) {
  for (int i = 0; i < MAX_IO; i++) free(in[i]);
  free(in);
}

/* The default kernels against the reference; `op`'s fast kernel must be taken when expected
 * (unless native kernels are off). */
static void check(builder* b, const char* op, bool expect_fast) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  float** in = random_inputs(m, b->r);
  test_outputs ref = {0}, fast = {0};
  bool took_ref = false, took_fast = false;
  const char* off = getenv("ROOFTOP_NO_NATIVE");
  bool native_off = off && off[0] == '1';
  void* const* vin = (void* const*)in;
  if (!test_run_session(m, true, 2, vin, op, &took_ref, &ref) || !test_run_session(m, false, 2, vin, op, &took_fast, &fast)) {
    fprintf(stderr, "FAIL %s: session failed\n", b->label);
    failures++;
  } else if (expect_fast && !took_fast && !native_off) {
    fprintf(stderr, "FAIL %s: the fast kernel of %s was not taken\n", b->label, op);
    failures++;
  } else if (!expect_fast && took_fast) {
    fprintf(stderr, "FAIL %s: a fast kernel of %s took a case it should refuse\n", b->label, op);
    failures++;
  } else {
    compare(b->label, &fast, &ref);
  }
  test_outputs_free(&ref);
  test_outputs_free(&fast);
  free_inputs(in);
  roof_model_free(m);
}

/* The reference kernels on a given input against outputs worked out by hand (float output 0,
 * and int64 output 1 when `want_idx` is given). */
static void check_values(builder* b, const char* op, const float* x, const float* want, size_t n, const int64_t* want_idx) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  float* in[MAX_IO] = {(float*)x};
  test_outputs got = {0}, exp = {0};
  bool took = false;
  for (int reference = 1; reference >= 0; reference--) {
    if (!test_run_session(m, reference, 2, (void* const*)in, op, &took, &got)) {
      fprintf(stderr, "FAIL %s: session failed\n", b->label);
      failures++;
      break;
    }
    exp.n = want_idx ? 2 : 1;
    exp.info[0] = got.info[0];
    exp.data[0] = (void*)want;
    if (want_idx) exp.info[1] = got.info[1], exp.data[1] = (void*)want_idx;
    if (got.info[0].nbytes != n * sizeof(float)) {
      fprintf(stderr, "FAIL %s: %zu output bytes, want %zu\n", b->label, got.info[0].nbytes, n * sizeof(float));
      failures++;
    } else {
      compare(b->label, &got, &exp);
    }
    test_outputs_free(&got);
  }
  roof_model_free(m);
}

/* ---- cases ---- */

static void instance_norm_cases(rng* r) {
  for (int i = 0; i < 8; i++) {
    bool nhwc = i % 2;
    int64_t C = i == 5 ? 70 : irand(r, 1, 19); /* 70: two channel blocks on NHWC */
    int64_t xd[4] = {irand(r, 1, 2), C, irand(r, 1, 9), irand(r, 1, 11)}, cd[1] = {C};
    char label[96];
    snprintf(label, sizeof(label), "InstanceNormalization %lldx%lldx%lldx%lld %s", (long long)xd[0], (long long)C,
             (long long)xd[2], (long long)xd[3], nhwc ? "nhwc" : "plain");
    builder b = start(r, label);
    int ins[3] = {image(&b, xd, nhwc), constant(&b, "scale", 1, cd), constant(&b, "bias", 1, cd)}, y = output(&b, "y");
    attr_f(node(&b, "InstanceNormalization", ins, 3, &y, 1), "epsilon", 1e-3f);
    mark_output(&b, y);
    check(&b, "InstanceNormalization", true);
  }
  builder b = start(r, "InstanceNormalization rank 3 plain");
  int64_t xd[3] = {2, 5, 37}, cd[1] = {5};
  int ins[3] = {input(&b, "x", 3, xd), constant(&b, "scale", 1, cd), constant(&b, "bias", 1, cd)}, y = output(&b, "y");
  node(&b, "InstanceNormalization", ins, 3, &y, 1);
  mark_output(&b, y);
  check(&b, "InstanceNormalization", true);
}

/* LogSoftmax / Hardmax over every axis of ranks 2 to 4, opset 11 (flattened [axis, rank)) and
 * 13 (one axis); rows of odd lengths around the 16 lanes; NHWC data goes to the reference. */
static void axis_family_cases(rng* r, const char* op) {
  for (int i = 0; i < 14; i++) {
    int rank = 2 + i % 3, opset = i % 4 < 2 ? 13 : 11;
    int64_t xd[4];
    for (int d = 0; d < rank; d++) xd[d] = irand(r, 1, 7);
    xd[rank - 1] = i % 5 == 0 ? irand(r, 17, 1030) : irand(r, 1, 40);
    int axis = irand(r, -rank, rank - 1);
    char label[96];
    snprintf(label, sizeof(label), "%s rank %d axis %d opset %d", op, rank, axis, opset);
    builder b = start(r, label);
    b.g->opset = opset;
    int x = input(&b, "x", rank, xd), y = output(&b, "y");
    attr_i(node(&b, op, &x, 1, &y, 1), "axis", axis);
    mark_output(&b, y);
    check(&b, op, true);
  }
  builder b = start(r, "axis 1 of NHWC data (XNNPACK for Softmax, else the reference)");
  int64_t xd[4] = {1, 6, 3, 5};
  int x = image(&b, xd, true), y = output(&b, "y");
  attr_i(node(&b, op, &x, 1, &y, 1), "axis", 1);
  mark_output(&b, y);
  check(&b, op, strcmp(op, "Softmax") == 0);
}

/* Hardmax and TopK on data with ties: x rounded to quarters by Floor(4 x) first. */
static int quarters(builder* b, int rank, const int64_t* dims) {
  int64_t one[1] = {1};
  int x = input(b, "x", rank, dims), k4 = constant(b, "k4", 1, one), s = output(b, "s"), f = output(b, "f");
  ((float*)b->g->values[k4].data)[0] = 4.0f;
  int m[2] = {x, k4};
  node(b, "Mul", m, 2, &s, 1);
  node(b, "Floor", &s, 1, &f, 1);
  return f;
}

static void hardmax_ties_case(rng* r) {
  builder b = start(r, "Hardmax ties");
  int64_t xd[3] = {3, 4, 21};
  int x = quarters(&b, 3, xd), y = output(&b, "y");
  node(&b, "Hardmax", &x, 1, &y, 1);
  mark_output(&b, y);
  check(&b, "Hardmax", true);
}

static void topk_case(rng* r, int rank, int64_t n, int64_t k, int axis, int largest, bool ties) {
  char label[128];
  snprintf(label, sizeof(label), "TopK rank %d n %lld k %lld axis %d largest %d%s", rank, (long long)n, (long long)k, axis,
           largest, ties ? " ties" : "");
  builder b = start(r, label);
  int64_t xd[4];
  for (int d = 0; d < rank; d++) xd[d] = irand(r, 1, 6);
  xd[axis < 0 ? rank + axis : axis] = n;
  int x = ties ? quarters(&b, rank, xd) : input(&b, "x", rank, xd);
  int ins[2] = {x, constant_i64(&b, "k", 1, &k)}, outs_[2] = {output(&b, "values"), output(&b, "indices")};
  roof_node* nd = node(&b, "TopK", ins, 2, outs_, 2);
  attr_i(nd, "axis", axis);
  attr_i(nd, "largest", largest);
  mark_output(&b, outs_[0]);
  mark_output(&b, outs_[1]);
  check(&b, "TopK", axis == -1 || axis == rank - 1);
}

static void topk_cases(rng* r) {
  for (int i = 0; i < 12; i++) {
    int rank = 1 + i % 3;
    int64_t n = irand(r, 1, 300);
    int64_t k = i % 4 == 0 ? n : i % 4 == 1 ? 1 : irand(r, 1, (int)n);
    topk_case(r, rank, n, k, -1, i % 2, i % 3 == 0);
  }
  topk_case(r, 3, 9, 4, 1, 1, true); /* a middle axis: the reference */
}

static void einsum_case(rng* r, const char* eq, int ra, const int64_t* a, int rb, const int64_t* bd, bool fast) {
  char label[96];
  snprintf(label, sizeof(label), "Einsum %s", eq);
  builder b = start(r, label);
  int ins[2] = {input(&b, "a", ra, a), input(&b, "b", rb, bd)}, y = output(&b, "y");
  attr_s(node(&b, "Einsum", ins, 2, &y, 1), "equation", eq);
  mark_output(&b, y);
  check(&b, "Einsum", fast);
}

static void einsum_cases(rng* r) {
  int64_t B = irand(r, 1, 2), H = irand(r, 1, 5), I = irand(r, 1, 19), J = irand(r, 1, 23), D = irand(r, 1, 17);
  int64_t q[4] = {B, H, I, D}, kk[4] = {B, H, J, D}, s[4] = {B, H, I, J}, v[4] = {B, H, J, D};
  einsum_case(r, "bhid,bhjd->bhij", 4, q, 4, kk, true);  /* Q K^T: B packed transposed */
  einsum_case(r, "bhij,bhjd->bhid", 4, s, 4, v, true);   /* A V: all plain */
  int64_t a3[3] = {B * H, I, D}, b3[3] = {B * H, D, J};
  einsum_case(r, "bij,bjk->bik", 3, a3, 3, b3, true);
  einsum_case(r, "bij , bjk", 3, a3, 3, b3, true);      /* implicit output, spaces */
  int64_t t3[3] = {B * H, J, D};
  einsum_case(r, "bij,bkj->bki", 3, a3, 3, t3, true);  /* output packed too (transposed) */
  int64_t e1[4] = {B, H, I, D}, e2[4] = {B, H, D, J};
  einsum_case(r, "...ij,...jk->...ik", 4, e1, 4, e2, true);
  int64_t w[2] = {J, D};
  einsum_case(r, "bhid,jd->bhij", 4, q, 2, w, true); /* no batch labels: M = b h i */
  int64_t vi[1] = {D}, vj[1] = {D};
  einsum_case(r, "i,i", 1, vi, 1, vj, true);
  int64_t d1[3] = {I, I, D}, d2[1] = {D};
  einsum_case(r, "iij,j->i", 3, d1, 1, d2, false); /* a diagonal: the reference */
  int64_t bc1[3] = {1, I, D}, bc2[3] = {3, D, J};
  einsum_case(r, "...ij,...jk->...ik", 3, bc1, 3, bc2, false); /* broadcast '...': the reference */
}

static void global_max_cases(rng* r) {
  for (int i = 0; i < 6; i++) {
    bool nhwc = i % 2;
    int64_t xd[4] = {irand(r, 1, 3), i == 3 ? 70 : irand(r, 1, 19), irand(r, 1, 9), irand(r, 1, 9)};
    builder b = start(r, nhwc ? "GlobalMaxPool nhwc" : "GlobalMaxPool plain");
    int x = image(&b, xd, nhwc), y = output(&b, "y");
    node(&b, "GlobalMaxPool", &x, 1, &y, 1);
    mark_output(&b, y);
    check(&b, "GlobalMaxPool", true);
  }
  builder b = start(r, "GlobalMaxPool rank 3");
  int64_t xd[3] = {2, 3, 33};
  int x = input(&b, "x", 3, xd), y = output(&b, "y");
  node(&b, "GlobalMaxPool", &x, 1, &y, 1);
  mark_output(&b, y);
  check(&b, "GlobalMaxPool", true);
}

/* ---- hand-computed ---- */

static roof_node* one_op(builder* b, const char* op, int rank, const int64_t* dims, int nout) {
  int x = input(b, "x", rank, dims), y[2] = {output(b, "y"), nout > 1 ? output(b, "i") : -1};
  roof_node* n = node(b, op, &x, 1, y, nout);
  for (int o = 0; o < nout; o++) mark_output(b, y[o]);
  return n;
}

static void hand_cases(rng* r) {
  int64_t d5[2] = {1, 5}, d23[2] = {2, 3}, d4[1] = {4}, d1[1] = {1}, d22[2] = {2, 2}, dl[4] = {1, 3, 1, 1};
  {
    /* TopK: ties keep the lower index first */
    static const float x[5] = {3, 1, 3, 2, 5}, want[3] = {5, 3, 3}, want_s[2] = {1, 2};
    static const int64_t idx[3] = {4, 0, 2}, idx_s[2] = {1, 3};
    builder b = start(r, "TopK k 3 of {3, 1, 3, 2, 5}");
    int64_t k = 3;
    int xin = input(&b, "x", 2, d5), ins[2] = {xin, constant_i64(&b, "k", 1, &k)}, y[2] = {output(&b, "v"), output(&b, "i")};
    node(&b, "TopK", ins, 2, y, 2);
    mark_output(&b, y[0]);
    mark_output(&b, y[1]);
    check_values(&b, "TopK", x, want, 3, idx);
    builder c = start(r, "TopK opset 1 attribute k 2, smallest");
    c.g->opset = 1;
    roof_node* n = one_op(&c, "TopK", 2, d5, 2);
    attr_i(n, "k", 2);
    attr_i(n, "largest", 0); /* ignored before opset 11; the kernel reads it: smallest */
    check_values(&c, "TopK", x, want_s, 2, idx_s);
  }
  {
    static const float x[6] = {1, 3, 3, 0, 0, 0}, want[6] = {0, 1, 0, 1, 0, 0};
    builder b = start(r, "Hardmax first maximum");
    one_op(&b, "Hardmax", 2, d23, 1);
    check_values(&b, "Hardmax", x, want, 6, NULL);
  }
  {
    static const float x[4] = {-1.0f, -0.2f, 0.3f, 2.0f}, want[4] = {-0.9f, 0, 0, 1.9f};
    builder b = start(r, "Shrink lambd 0.5 bias 0.1");
    roof_node* n = one_op(&b, "Shrink", 1, d4, 1);
    attr_f(n, "bias", 0.1f);
    check_values(&b, "Shrink", x, want, 4, NULL);
  }
  {
    static const float x[1] = {1.0f}, want[1] = {0.86509838826731f}; /* tanh(log(1 + e)) */
    builder b = start(r, "Mish of 1");
    b.g->opset = 18;
    one_op(&b, "Mish", 1, d1, 1);
    check_values(&b, "Mish", x, want, 1, NULL);
  }
  {
    /* rows {3, 4} and {-1, 1}: L2 {0.6, 0.8}, {-0.7071, 0.7071}; L1 along axis 0: {3/4, 4/5}, {-1/4, 1/5} */
    static const float x[4] = {3, 4, -1, 1}, want2[4] = {0.6f, 0.8f, -0.70710678f, 0.70710678f},
                       want1[4] = {0.75f, 0.8f, -0.25f, 0.2f};
    builder b = start(r, "LpNormalization p 2 axis -1");
    one_op(&b, "LpNormalization", 2, d22, 1);
    check_values(&b, "LpNormalization", x, want2, 4, NULL);
    builder c = start(r, "LpNormalization p 1 axis 0");
    roof_node* n = one_op(&c, "LpNormalization", 2, d22, 1);
    attr_i(n, "axis", 0);
    attr_i(n, "p", 1);
    check_values(&c, "LpNormalization", x, want1, 4, NULL);
  }
  {
    /* size 2: channel c sums c and c + 1; alpha 2, beta 1, bias 1: y = x / (1 + sum) */
    static const float x[3] = {1, 2, 3}, want[3] = {1.0f / 6, 2.0f / 14, 3.0f / 10};
    builder b = start(r, "LRN size 2");
    roof_node* n = one_op(&b, "LRN", 4, dl, 1);
    attr_i(n, "size", 2);
    attr_f(n, "alpha", 2.0f);
    attr_f(n, "beta", 1.0f);
    check_values(&b, "LRN", x, want, 3, NULL);
  }
  {
    /* axes {1}: rows {1, 3} -> mean 2, std 1: {-1, 1}; {2, 2} -> {0, 0} */
    static const float x[4] = {1, 3, 2, 2}, want[4] = {-1, 1, 0, 0};
    builder b = start(r, "MeanVarianceNormalization axes 1");
    int64_t ax[1] = {1};
    attr_ints(one_op(&b, "MeanVarianceNormalization", 2, d22, 1), "axes", 1, ax);
    check_values(&b, "MeanVarianceNormalization", x, want, 4, NULL);
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  instance_norm_cases(&r);
  axis_family_cases(&r, "LogSoftmax");
  axis_family_cases(&r, "Hardmax");
  axis_family_cases(&r, "Softmax");
  hardmax_ties_case(&r);
  topk_cases(&r);
  einsum_cases(&r);
  global_max_cases(&r);
  hand_cases(&r);
  printf("test_norm: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
