/* String elements and BatchNormalization's training mode.
 *
 * 1. float32 <-> string: every sampled float32 (random bit patterns: normals, subnormals, both
 *    zeros, infinities, NaN) is written by roof_string_format and read back by roof_string_parse to
 *    the same bits (NaN to a NaN), and the text is the shortest: one significant digit less does
 *    not read back. float64 and int64 the same way; the parser's accepted and refused strings.
 * 2. BatchNormalization training_mode = 1 on the session (default and reference kernels, plain
 *    and NHWC input) against a direct double-precision computation of the ONNX formulas: batch
 *    mean and biased variance over every axis but 1, running statistics with the momentum. The
 *    conv_bn pass must leave a training-mode BatchNormalization after a Conv alone.
 * Each check stops at its first bad element and names its index. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "graph_builder.h"
#include "session_outputs.h"
#include "tensor.h"

static uint32_t f2u(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static float u2f(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Significant digits of a "%g" text (mantissa digits without leading zeros). */
static int sig_digits(const char* s) {
  int n = 0;
  bool lead = true;
  for (; *s && *s != 'e'; s++) {
    if (*s < '0' || *s > '9') continue;
    if (lead && *s == '0') continue;
    lead = false;
    n++;
  }
  return n;
}

static bool float_roundtrip(float f, uint64_t i) {
  char t[ROOF_STRING_BYTES];
  float back = 0;
  roof_string_format(ROOF_DT_FLOAT, &f, 0, t);
  if (!roof_string_parse(t, ROOF_DT_FLOAT, &back, 0)) {
    fprintf(stderr, "FAIL float %llu (bits 0x%08x): '%s' does not parse\n", (unsigned long long)i, f2u(f), t);
    return false;
  }
  bool same = isnan(f) ? isnan(back) : f2u(back) == f2u(f);
  if (!same) {
    fprintf(stderr, "FAIL float %llu (bits 0x%08x): '%s' reads back as bits 0x%08x\n", (unsigned long long)i, f2u(f), t,
            f2u(back));
    return false;
  }
  int p = sig_digits(t);
  if (isfinite(f) && f != 0 && p > 1) { /* shortest: p - 1 digits must not read back */
    char shorter[400]; /* "%.*g" of a float32 fits: at most 9 digits, an exponent */
    snprintf(shorter, sizeof(shorter), "%.*g", p - 1, (double)f);
    if (strtof(shorter, NULL) == f) {
      fprintf(stderr, "FAIL float %llu (bits 0x%08x): '%s' is not the shortest ('%s' reads back too)\n",
              (unsigned long long)i, f2u(f), t, shorter);
      return false;
    }
  }
  return true;
}

static void test_float_strings(void) {
  rng r = {7};
  const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.1f, 1e-45f, 3.4028235e38f, -1.17549435e-38f, INFINITY, -INFINITY,
                           NAN, 0.039187793f, 16777216.0f, 1e10f};
  for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
    if (!float_roundtrip(special[i], i)) {
      failures++;
      return;
    }
  }
  for (uint64_t i = 0; i < 200000; i++) {
    if (!float_roundtrip(u2f((uint32_t)next(&r)), i)) {
      failures++;
      return;
    }
  }
  char t[ROOF_STRING_BYTES];
  float v = 0.039187793f;
  roof_string_format(ROOF_DT_FLOAT, &v, 0, t);
  CHECK(strcmp(t, "0.039187793") == 0, "0.039187793f formats as '%s'", t);
  v = -INFINITY;
  roof_string_format(ROOF_DT_FLOAT, &v, 0, t);
  CHECK(strcmp(t, "-INF") == 0, "-inf formats as '%s'", t);
  double d = 0.1;
  roof_string_format(ROOF_DT_DOUBLE, &d, 0, t);
  CHECK(strcmp(t, "0.1") == 0, "0.1 (double) formats as '%s'", t);
  for (uint64_t i = 0; i < 20000; i++) {
    uint64_t bits = next(&r);
    double x, back = 0;
    memcpy(&x, &bits, 8);
    roof_string_format(ROOF_DT_DOUBLE, &x, 0, t);
    bool ok = roof_string_parse(t, ROOF_DT_DOUBLE, &back, 0) && (isnan(x) ? isnan(back) : memcmp(&x, &back, 8) == 0);
    if (!ok) {
      CHECK(ok, "double %llu (bits 0x%016llx): '%s' does not read back", (unsigned long long)i, (unsigned long long)bits, t);
      return;
    }
  }
  int64_t big = INT64_MIN, ib = 0;
  roof_string_format(ROOF_DT_INT64, &big, 0, t);
  CHECK(roof_string_parse(t, ROOF_DT_INT64, &ib, 0) && ib == big, "INT64_MIN '%s' reads back as %lld", t, (long long)ib);
}

/* Parses s (padded to an element) as float32; *ok whether it parsed. */
static float parse_f(const char* s, bool* ok) {
  char e[ROOF_STRING_BYTES] = {0};
  snprintf(e, sizeof(e), "%s", s);
  float f = -12345.0f;
  *ok = roof_string_parse(e, ROOF_DT_FLOAT, &f, 0);
  return f;
}

static void test_parse(void) {
  bool ok;
  CHECK(parse_f("INF", &ok) == INFINITY && ok, "INF");
  CHECK(parse_f("+INF", &ok) == INFINITY && ok, "+INF");
  CHECK(parse_f("-inf", &ok) == -INFINITY && ok, "-inf");
  CHECK(isnan(parse_f("NaN", &ok)) && ok, "NaN");
  CHECK(isnan(parse_f("nan", &ok)) && ok, "nan");
  CHECK(parse_f(" 2.5", &ok) == 2.5f && ok, "leading blank");
  CHECK(parse_f("0x1p-2", &ok) == 0.25f && ok, "hex float");
  const char* bad[] = {"", "2.5x", "abc", "2.5 ", "--1", "1e"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    float f = parse_f(bad[i], &ok);
    CHECK(!ok && f == -12345.0f, "'%s' must be refused (nothing stored)", bad[i]);
  }
  char full[ROOF_STRING_BYTES];
  memset(full, '1', sizeof(full)); /* no NUL in the element */
  float f = 0;
  CHECK(!roof_string_parse(full, ROOF_DT_FLOAT, &f, 0), "an unterminated element must be refused");
  char e[ROOF_STRING_BYTES] = "300";
  uint8_t u8 = 0;
  CHECK(roof_string_parse(e, ROOF_DT_UINT8, &u8, 0) && u8 == (uint8_t)300, "'300' as uint8 wraps like Cast: %u", u8);
  snprintf(e, sizeof(e), "18446744073709551615");
  uint64_t u64 = 0;
  CHECK(roof_string_parse(e, ROOF_DT_UINT64, &u64, 0) && u64 == UINT64_MAX, "UINT64_MAX");
  snprintf(e, sizeof(e), "-2.75");
  int32_t i32 = 0;
  CHECK(roof_string_parse(e, ROOF_DT_INT32, &i32, 0) && i32 == -2, "'-2.75' as int32 truncates: %d", i32);
}

/* ---- BatchNormalization, training mode ---- */

typedef struct bn_case {
  int64_t dims[4];
  bool nhwc;
  float momentum, epsilon;
} bn_case;

/* The ONNX formulas in double on plain NCHW data. y: N*C*H*W, rm, rv: C. */
static void bn_expected(const bn_case* c, const float* x, const float* s, const float* b, const float* m, const float* v,
                        double* y, double* rm, double* rv) {
  int64_t N = c->dims[0], C = c->dims[1], HW = c->dims[2] * c->dims[3];
  for (int64_t ch = 0; ch < C; ch++) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < N; n++)
      for (int64_t i = 0; i < HW; i++) sum += x[(n * C + ch) * HW + i];
    double mean = sum / (double)(N * HW);
    for (int64_t n = 0; n < N; n++)
      for (int64_t i = 0; i < HW; i++) sq += (x[(n * C + ch) * HW + i] - mean) * (x[(n * C + ch) * HW + i] - mean);
    double var = sq / (double)(N * HW);
    rm[ch] = m[ch] * (double)c->momentum + mean * (1.0 - (double)c->momentum);
    rv[ch] = v[ch] * (double)c->momentum + var * (1.0 - (double)c->momentum);
    for (int64_t n = 0; n < N; n++)
      for (int64_t i = 0; i < HW; i++) {
        int64_t o = (n * C + ch) * HW + i;
        y[o] = (x[o] - mean) / sqrt(var + (double)c->epsilon) * s[ch] + b[ch];
      }
  }
}

/* Output `o` of the session against want (count values); false at the first element off. */
static bool bn_close(const char* label, const char* what, const test_outputs* got, int o, const double* want, uint64_t count) {
  const float* g = got->data[o];
  for (uint64_t i = 0; i < count; i++) {
    double tol = 1e-5 + 1e-5 * fabs(want[i]);
    if (!(fabs(g[i] - want[i]) <= tol)) {
      char at[96];
      fprintf(stderr, "FAIL %s: %s at [%s]: got %.9g, want %.9g\n", label, what, test_coords(&got->info[o], i, at, sizeof(at)),
              (double)g[i], want[i]);
      return false;
    }
  }
  return true;
}

static void test_bn_case(const bn_case* c, bool reference) {
  char label[128];
  snprintf(label, sizeof(label), "bn training %lldx%lldx%lldx%lld%s%s", (long long)c->dims[0], (long long)c->dims[1],
           (long long)c->dims[2], (long long)c->dims[3], c->nhwc ? " nhwc" : "", reference ? " reference" : "");
  rng r = {(uint64_t)(c->dims[1] * 31 + c->nhwc)};
  builder b = start(&r, label);
  b.g->opset = 15;
  int64_t C = c->dims[1];
  int x = image(&b, c->dims, c->nhwc);
  int ins[5] = {x, constant(&b, "scale", 1, &C), constant(&b, "bias", 1, &C), constant(&b, "mean", 1, &C),
                constant(&b, "var", 1, &C)};
  float* var = b.g->values[ins[4]].data;
  for (int64_t i = 0; i < C; i++) var[i] = fabsf(var[i]) + 0.25f;
  int outs[3] = {output(&b, "y"), output(&b, "running_mean"), output(&b, "running_var")};
  roof_node* n = node(&b, "BatchNormalization", ins, 5, outs, 3);
  attr_i(n, "training_mode", 1);
  attr_f(n, "momentum", c->momentum);
  attr_f(n, "epsilon", c->epsilon);
  for (int o = 0; o < 3; o++) mark_output(&b, outs[o]);
  const float* s = b.g->values[ins[1]].data;
  const float* bi = b.g->values[ins[2]].data;
  const float* m = b.g->values[ins[3]].data;
  uint64_t count = (uint64_t)(c->dims[0] * C * c->dims[2] * c->dims[3]);
  float* xin = malloc(sizeof(float) * count);
  for (uint64_t i = 0; i < count; i++) xin[i] = frand(&r) * 3.0f + 0.5f;
  double* want = malloc(sizeof(double) * (count + 2 * (uint64_t)C));
  bn_expected(c, xin, s, bi, m, var, want, want + count, want + count + C);
  roof_model* model = test_prepare(&b);
  test_outputs got = {0};
  bool fast = false;
  void* in[1] = {xin};
  if (model == NULL) {
    failures++;
  } else if (!test_run_session(model, reference, 2, in, "BatchNormalization", &fast, &got) || got.n != 3) {
    CHECK(false, "%s: session failed or %d outputs", label, got.n);
  } else if (!bn_close(label, "Y", &got, 0, want, count) || !bn_close(label, "running_mean", &got, 1, want + count, (uint64_t)C) ||
             !bn_close(label, "running_var", &got, 2, want + count + C, (uint64_t)C)) {
    failures++;
  }
  test_outputs_free(&got);
  roof_model_free(model);
  free(want);
  free(xin);
}

/* Conv -> BatchNormalization(training_mode = 1) with conv_bn on: the BatchNormalization stays. */
static void test_conv_bn_refuses_training(void) {
  rng r = {3};
  builder b = start(&r, "conv_bn training");
  b.g->opset = 15;
  int64_t xd[4] = {1, 3, 6, 6}, wd[4] = {4, 3, 3, 3}, C = 4;
  int x = input(&b, "x", 4, xd);
  int cin[2] = {x, constant(&b, "w", 4, wd)};
  int cy = output(&b, "c");
  node(&b, "Conv", cin, 2, &cy, 1);
  int ins[5] = {cy, constant(&b, "scale", 1, &C), constant(&b, "bias", 1, &C), constant(&b, "mean", 1, &C),
                constant(&b, "var", 1, &C)};
  float* var = b.g->values[ins[4]].data;
  for (int64_t i = 0; i < C; i++) var[i] = fabsf(var[i]) + 0.25f;
  int y = output(&b, "y");
  attr_i(node(&b, "BatchNormalization", ins, 5, &y, 1), "training_mode", 1);
  mark_output(&b, y);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "conv_bn"};
  bool ok = roof_model_from_graph(b.g, &m, &err) == ROOF_OK && roof_model_prepare(m, &po, &err) == ROOF_OK;
  CHECK(ok, "conv_bn training: prepare: %s", err.message);
  bool kept = false;
  for (int i = 0; ok && i < m->g->num_nodes; i++) kept = kept || roof_node_is(&m->g->nodes[i], ROOF_OP_BatchNormalization);
  CHECK(!ok || kept, "conv_bn folded a training-mode BatchNormalization into its Conv");
  roof_model_free(m);
}

int main(void) {
  test_float_strings();
  test_parse();
  const bn_case cases[] = {
      {{2, 3, 4, 5}, false, 0.9f, 1e-5f},
      {{3, 8, 5, 7}, true, 0.7f, 1e-2f},
      {{1, 5, 1, 1}, false, 0.0f, 1e-5f},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    test_bn_case(&cases[i], false);
    test_bn_case(&cases[i], true);
  }
  test_conv_bn_refuses_training();
  if (failures) fprintf(stderr, "test_strings_bn: %d failure(s)\n", failures);
  else printf("test_strings_bn: ok\n");
  return failures ? 1 : 0;
}
