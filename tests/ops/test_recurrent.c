/* LSTM, GRU and RNN (ops/recurrent.c):
 *  - the native kernel against the reference on random shapes (odd sizes, hidden sizes around
 *    the 16-unit chunks, batches around the 8-row tasks), every direction, layout 0 and 1,
 *    sequence_lens (zeros included), initial states, peepholes, clip, input_forget,
 *    linear_before_reset, every activation with alpha/beta, missing optional inputs and
 *    outputs, 1 and 2 threads;
 *  - cases the native kernel must leave to the reference (W a graph input, float64);
 *  - the reference against values worked out by hand (one per op, sequence_lens with reverse,
 *    the activation_alpha/beta consumption order);
 *  - the cost formulas on one small LSTM.
 * Fails at the first bad element with its coordinates. usage: test_recurrent [SEED]
 *
 * Tolerance of native against reference: |got - want| <= 2e-5 * max|want| + 2e-4 * |want|.
 * The native kernel sums in float32 (XNNPACK's projection, roof_sgemm_f32 over hidden_size
 * terms) and uses vec_math.h's exp (1.3e-7 relative) and tanh (2e-7 absolute); the reference
 * keeps every sum and the state in double. The recurrence carries each step's rounding forward
 * through R; R is drawn as PyTorch initialises it (entries within 1/sqrt(hidden)), so the
 * error does not grow from step to step. The largest error is printed at the end: 0.7e-6 to
 * 4.8e-6 of the output's magnitude over seeds 1-11 (the largest with Elu, Softplus or Affine
 * gates), four times below the bound or more. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "session_outputs.h"
#include "op.h"

#define MAX_IO 8

static int failures, cases, native_cases;
static double worst; /* largest |got - want| / max|want| seen */
static char worst_label[320];

static void report(const char* label, int out, const roof_io_info* info, size_t i, double got, double want) {
  char c[96];
  fprintf(stderr, "FAIL %s: output %d element [%s]: got %.8g, want %.8g\n", label, out, test_coords(info, i, c, sizeof(c)),
          got, want);
  failures++;
}

/* float32 outputs within the tolerance above (NaN equals NaN); float64 within 1e-12. */
static void compare(const char* label, const test_outputs* got, const test_outputs* want, double rel, double abs_scale) {
  if (got->n != want->n) {
    fprintf(stderr, "FAIL %s: %d outputs, want %d\n", label, got->n, want->n);
    failures++;
    return;
  }
  for (int o = 0; o < want->n; o++) {
    const roof_io_info* info = &want->info[o];
    if (got->info[o].nbytes != info->nbytes || got->info[o].dtype != info->dtype) {
      fprintf(stderr, "FAIL %s: output %d differs in size or dtype\n", label, o);
      failures++;
      return;
    }
    bool f64 = info->dtype == ROOF_DT_DOUBLE;
    size_t n = info->nbytes / (f64 ? 8 : 4);
    double mag = 0;
    for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(f64 ? ((double*)want->data[o])[i] : ((float*)want->data[o])[i]));
    for (size_t i = 0; i < n; i++) {
      double g = f64 ? ((double*)got->data[o])[i] : ((float*)got->data[o])[i];
      double w = f64 ? ((double*)want->data[o])[i] : ((float*)want->data[o])[i];
      if ((isnan(g) && isnan(w)) || (isinf(g) && g == w)) continue;
      if (mag > 0 && isfinite(mag) && fabs(g - w) / mag > worst) {
        worst = fabs(g - w) / mag;
        snprintf(worst_label, sizeof(worst_label), "%s", label);
      }
      if (fabs(g - w) <= abs_scale * mag + rel * fabs(w) + 1e-7) continue;
      return report(label, o, info, i, g, w);
    }
  }
}

static roof_model* prepare(builder* b) {
  roof_model* m = test_prepare(b);
  if (m == NULL) failures++;
  return m;
}

/* Random inputs in [-1, 1) for every graph input (float32 or float64). */
static void** random_inputs(roof_model* m, rng* r) {
  void** in = calloc(MAX_IO, sizeof(void*));
  for (int i = 0; i < m->g->num_inputs && i < MAX_IO; i++) {
    const roof_value* x = &m->g->values[m->g->inputs[i]];
    uint64_t n = 1;
    for (int d = 0; d < x->rank; d++) n *= (uint64_t)x->dims[d];
    in[i] = malloc(8 * (n ? n : 1));
    for (uint64_t j = 0; j < n; j++) {
      if (x->dtype == ROOF_DT_DOUBLE) ((double*)in[i])[j] = frand(r);
      else ((float*)in[i])[j] = frand(r);
    }
  }
  return in;
}

static void free_inputs(void** in) {
  for (int i = 0; i < MAX_IO; i++) free(in[i]);
  free(in);
}

/* The default kernels (threads 1 and 2) against the reference; `op`'s native kernel must be
 * taken when expected (unless native kernels are off) and refused otherwise. */
static void check(builder* b, const char* op, bool expect_fast) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  void** in = random_inputs(m, b->r);
  const char* off = getenv("ROOFTOP_NO_NATIVE");
  bool native_off = off && off[0] == '1';
  test_outputs ref = {0};
  bool took = false;
  if (!test_run_session(m, true, 2, in, op, &took, &ref)) {
    fprintf(stderr, "FAIL %s: reference session failed\n", b->label);
    failures++;
  }
  for (int threads = 1; threads <= 2 && ref.n > 0; threads++) {
    test_outputs fast = {0};
    char label[320];
    snprintf(label, sizeof(label), "%s, %d thread%s", b->label, threads, threads > 1 ? "s" : "");
    if (!test_run_session(m, false, threads, in, op, &took, &fast)) {
      fprintf(stderr, "FAIL %s: session failed\n", label);
      failures++;
    } else if (expect_fast && !took && !native_off) {
      fprintf(stderr, "FAIL %s: the native kernel of %s was not taken\n", label, op);
      failures++;
    } else if (!expect_fast && took) {
      fprintf(stderr, "FAIL %s: the native kernel of %s took a case it should refuse\n", label, op);
      failures++;
    } else {
      native_cases += took && threads == 1;
      compare(label, &fast, &ref, 2e-4, 2e-5);
    }
    test_outputs_free(&fast);
  }
  test_outputs_free(&ref);
  free_inputs(in);
  roof_model_free(m);
}

/* ---- models ---- */

static int constant_vals(builder* b, const char* name, int rank, const int64_t* dims, const float* v) {
  int c = constant(b, name, rank, dims);
  memcpy(b->g->values[c].data, v, b->g->values[c].nbytes);
  return c;
}

static int constant_i32(builder* b, const char* name, int n, const int32_t* vals) {
  int64_t dims[1] = {n};
  int v = roof_graph_add_value(b->g, name);
  roof_value_set_shape(&b->g->values[v], ROOF_DT_INT32, 1, dims);
  int32_t* d = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
  memcpy(d, vals, sizeof(int32_t) * (size_t)n);
  b->g->values[v].data = d;
  b->g->values[v].nbytes = sizeof(int32_t) * (size_t)n;
  b->g->values[v].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  return v;
}

typedef struct rnn_case {
  const char* op;
  int gates, acts, dirs;
  const char* direction;
  int layout, opset;
  int64_t S, B, I, H;
  bool bias, lens, h0, c0, peep, clip, lbr, input_forget, custom_acts, w_input, f64;
  bool y, yh, yc;
} rnn_case;

static const char* const kActNames[] = {"Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
                                        "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"};

static const char* const kGateActs[] = {"Sigmoid", "HardSigmoid", "Tanh", "Softsign"};

static void set_dtype(builder* b, int v, bool f64) {
  if (!f64) return;
  roof_value* x = &b->g->values[v];
  x->dtype = ROOF_DT_DOUBLE;
  if (x->data) { /* constants: widen in place */
    size_t n = x->nbytes / 4;
    double* d = malloc(8 * (n ? n : 1));
    for (size_t i = 0; i < n; i++) d[i] = ((float*)x->data)[i];
    free(x->data);
    x->data = d;
    x->nbytes = 8 * n;
  }
}

static roof_node* build(builder* b, const rnn_case* c) {
  const int64_t D = c->dirs, GH = c->gates * c->H;
  int64_t xd[3] = {c->layout ? c->B : c->S, c->layout ? c->S : c->B, c->I};
  int64_t wd[3] = {D, GH, c->I}, rd[3] = {D, GH, c->H}, bd[2] = {D, 2 * GH}, pd[2] = {D, 3 * c->H};
  int64_t sd[3] = {c->layout ? c->B : D, c->layout ? D : c->B, c->H};
  int ins[8];
  for (int i = 0; i < 8; i++) ins[i] = -1;
  ins[0] = input(b, "X", 3, xd);
  ins[1] = c->w_input ? input(b, "W", 3, wd) : constant(b, "W", 3, wd);
  ins[2] = constant(b, "R", 3, rd);
  /* R in [-1, 1) / sqrt(H), as PyTorch initialises it: a random R of unit entries makes the
   * recurrence chaotic (gain ~ sqrt(H / 3) a step), and any rounding difference grows with it */
  for (int64_t i = 0; i < D * GH * c->H; i++) ((float*)b->g->values[ins[2]].data)[i] /= sqrtf((float)c->H);
  if (c->bias) ins[3] = constant(b, "B", 2, bd);
  if (c->lens) {
    int32_t lv[64];
    for (int64_t i = 0; i < c->B; i++) lv[i] = (int32_t)irand(b->r, 0, (int)c->S);
    lv[irand(b->r, 0, (int)c->B - 1)] = (int32_t)c->S; /* one full-length sequence */
    ins[4] = constant_i32(b, "lens", (int)c->B, lv);
  }
  if (c->h0) ins[5] = input(b, "h0", 3, sd);
  if (c->c0) ins[6] = input(b, "c0", 3, sd);
  if (c->peep) ins[7] = constant(b, "P", 2, pd);
  for (int i = 0; i < 8; i++) {
    if (ins[i] >= 0 && i != 4) set_dtype(b, ins[i], c->f64);
  }
  int nin = 8;
  while (nin > 0 && ins[nin - 1] < 0) nin--;
  int outs[3] = {c->y ? output(b, "Y") : -1, c->yh ? output(b, "Y_h") : -1, c->yc ? output(b, "Y_c") : -1};
  int nout = c->yc ? 3 : c->yh ? 2 : 1;
  roof_node* n = node(b, c->op, ins, nin, outs, nout);
  for (int i = 0; i < 3; i++) {
    if (outs[i] >= 0) mark_output(b, outs[i]);
  }
  b->g->opset = c->opset;
  attr_s(n, "direction", c->direction);
  if (irand(b->r, 0, 1)) attr_i(n, "hidden_size", c->H);
  if (c->layout) attr_i(n, "layout", 1);
  if (c->clip) attr_f(n, "clip", 0.5f + 2.0f * (frand(b->r) + 1.0f));
  if (c->lbr) attr_i(n, "linear_before_reset", 1);
  if (c->input_forget) attr_i(n, "input_forget", 1);
  if (c->custom_acts) {
    const char* names[6];
    float alpha[6], beta[6];
    int count = c->acts * (irand(b->r, 0, 1) ? c->dirs : 1); /* one set for both directions, or one each */
    for (int i = 0; i < count; i++) {
      /* the gates' function (the first of each direction, LSTM's and GRU's f) bounded, so that
       * the state does not overflow; RNN's only function and g, h any */
      names[i] = i % c->acts == 0 && c->acts > 1 ? kGateActs[irand(b->r, 0, 3)] : kActNames[irand(b->r, 0, 10)];
      alpha[i] = 0.1f + 0.45f * (frand(b->r) + 1.0f);
      beta[i] = 0.5f * frand(b->r);
    }
    attr_strings(n, "activations", count, names);
    attr_floats(n, "activation_alpha", count, alpha);
    attr_floats(n, "activation_beta", irand(b->r, 0, count), beta); /* fewer betas: defaults for the rest */
  }
  return n;
}

static void random_case(rng* r, const char* op, int i) {
  rnn_case c = {.op = op, .opset = 14};
  static const char* const kDirs[3] = {"forward", "reverse", "bidirectional"};
  bool lstm = strcmp(op, "LSTM") == 0, gru = strcmp(op, "GRU") == 0;
  c.gates = lstm ? 4 : gru ? 3 : 1;
  c.acts = lstm ? 3 : gru ? 2 : 1;
  int dir = i % 3;
  c.direction = kDirs[dir];
  c.dirs = dir == 2 ? 2 : 1;
  c.layout = (i / 3) % 2;
  c.S = irand(r, 1, 9);
  c.B = i % 5 == 0 ? 1 : irand(r, 1, 19);
  c.I = irand(r, 1, 37);
  static const int64_t kH[] = {1, 3, 15, 16, 17, 31, 40, 64};
  c.H = kH[irand(r, 0, 7)];
  c.bias = irand(r, 0, 3) > 0;
  c.lens = irand(r, 0, 2) == 0;
  c.h0 = irand(r, 0, 1);
  c.c0 = lstm && irand(r, 0, 1);
  c.peep = lstm && irand(r, 0, 1);
  c.clip = irand(r, 0, 3) == 0;
  c.lbr = gru && irand(r, 0, 1);
  c.input_forget = lstm && irand(r, 0, 4) == 0;
  c.custom_acts = irand(r, 0, 3) == 0;
  c.y = irand(r, 0, 4) > 0;
  c.yh = !c.y || irand(r, 0, 1);
  c.yc = lstm && irand(r, 0, 1);
  if (i % 7 == 6) c.opset = 7; /* before layout */
  if (c.opset < 14) c.layout = 0;
  char label[256];
  snprintf(label, sizeof(label), "%s %s layout %d S%lld B%lld I%lld H%lld%s%s%s%s%s%s%s%s%s%s [Y%d Yh%d Yc%d] opset %d", op,
           c.direction, c.layout, (long long)c.S, (long long)c.B, (long long)c.I, (long long)c.H, c.bias ? " B" : "",
           c.lens ? " lens" : "", c.h0 ? " h0" : "", c.c0 ? " c0" : "", c.peep ? " P" : "", c.clip ? " clip" : "",
           c.lbr ? " lbr" : "", c.input_forget ? " input_forget" : "", c.custom_acts ? " acts" : "", "", c.y, c.yh, c.yc,
           c.opset);
  builder b = start(r, label);
  build(&b, &c);
  check(&b, op, true);
}

/* One sequence wide enough for its steps to be split over the threads (256 K multiply-adds per
 * step and more, ops/recurrent.c nat_grouping): the random cases' sizes all run serially. */
static void step_split_cases(rng* r) {
  rnn_case l = {.op = "LSTM", .gates = 4, .acts = 3, .dirs = 1, .direction = "forward", .opset = 14, .S = 3, .B = 1, .I = 9,
                .H = 256, .bias = true, .h0 = true, .c0 = true, .peep = true, .y = true, .yh = true, .yc = true};
  builder b = start(r, "LSTM H 256, one sequence (steps split)");
  build(&b, &l);
  check(&b, "LSTM", true);
  rnn_case g = {.op = "GRU", .gates = 3, .acts = 2, .dirs = 1, .direction = "reverse", .opset = 14, .S = 2, .B = 1, .I = 5,
                .H = 300, .bias = true, .h0 = true, .lbr = true, .y = true, .yh = true};
  builder b2 = start(r, "GRU H 300, one sequence (steps split)");
  build(&b2, &g);
  check(&b2, "GRU", true);
}

/* W from a graph input (nothing to pack at create) and float64 go to the reference. */
static void refused_cases(rng* r) {
  rnn_case c = {.op = "GRU", .gates = 3, .acts = 2, .dirs = 2, .direction = "bidirectional", .opset = 14, .S = 4, .B = 3,
                .I = 5, .H = 7, .bias = true, .h0 = true, .w_input = true, .y = true, .yh = true};
  builder b = start(r, "GRU with W a graph input");
  build(&b, &c);
  check(&b, "GRU", false);
  rnn_case l = {.op = "LSTM", .gates = 4, .acts = 3, .dirs = 1, .direction = "reverse", .opset = 14, .S = 3, .B = 2, .I = 3,
                .H = 5, .bias = true, .lens = true, .h0 = true, .c0 = true, .peep = true, .f64 = true, .y = true, .yh = true, .yc = true};
  builder b2 = start(r, "LSTM float64 (reference only)");
  build(&b2, &l);
  check(&b2, "LSTM", false);
}

/* ---- hand-computed reference cases ---- */

/* Runs the model (reference and default kernels) on X and compares every output with `want`
 * (concatenated in output order). */
static void check_values(builder* b, const char* op, const float* x, const float* want, size_t nwant) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  void* in[MAX_IO] = {(void*)x};
  for (int reference = 1; reference >= 0; reference--) {
    test_outputs got = {0}, exp = {0};
    bool took = false;
    if (!test_run_session(m, reference, 1, in, op, &took, &got)) {
      fprintf(stderr, "FAIL %s: session failed\n", b->label);
      failures++;
      break;
    }
    size_t at = 0;
    for (int o = 0; o < got.n; o++) {
      exp.info[o] = got.info[o];
      exp.data[o] = (void*)(want + at);
      at += got.info[o].nbytes / 4;
    }
    exp.n = got.n;
    if (at != nwant) {
      fprintf(stderr, "FAIL %s: %zu output values, want %zu\n", b->label, at, nwant);
      failures++;
    } else {
      compare(b->label, &got, &exp, 1e-5, 1e-6);
    }
    test_outputs_free(&got);
  }
  roof_model_free(m);
}

/* RNN, H = I = 1, W 0.5, R -0.5, Wb 0.1, Rb 0.2, X = [1, 2, -1]:
 *   h1 = tanh(0.5 + 0.3) = 0.66403677, h2 = tanh(1 - 0.33201839 + 0.3) = 0.74781598,
 *   h3 = tanh(-0.5 - 0.37390799 + 0.3) = -0.51822354 */
static void hand_rnn(rng* r) {
  builder b = start(r, "RNN by hand");
  int64_t xd[3] = {3, 1, 1}, wd[3] = {1, 1, 1}, bd[2] = {1, 2};
  const float w = 0.5f, rr = -0.5f, bb[2] = {0.1f, 0.2f};
  int ins[4] = {input(&b, "X", 3, xd), constant_vals(&b, "W", 3, wd, &w), constant_vals(&b, "R", 3, wd, &rr),
                constant_vals(&b, "B", 2, bd, bb)};
  int outs[2] = {output(&b, "Y"), output(&b, "Y_h")};
  attr_i(node(&b, "RNN", ins, 4, outs, 2), "hidden_size", 1);
  mark_output(&b, outs[0]);
  mark_output(&b, outs[1]);
  const float x[3] = {1, 2, -1}, want[4] = {0.66403677f, 0.74781598f, -0.51822354f, -0.51822354f};
  check_values(&b, "RNN", x, want, 4);
}

/* GRU, H = I = 1, all W 1, all R 0.5, no bias, h0 = 0.5, X = [1]:
 *   z = sigmoid(1 + 0.25) = 0.77729986, r = 0.77729986,
 *   lbr 0: h~ = tanh(1 + 0.5 * r * 0.5) = tanh(1.19432497) = 0.83191540,
 *          H = (1 - z) * h~ + z * 0.5 = 0.57391761
 *   lbr 1: h~ = tanh(1 + r * 0.25) = the same here (no Rbh); with Rbh = 0.4:
 *          h~ = tanh(1 + r * (0.25 + 0.4)) = tanh(1.50524491) = 0.90609156,
 *          H = 0.22270014 * 0.90609156 + 0.38864993 = 0.59043665 */
static void hand_gru(rng* r, bool lbr) {
  builder b = start(r, lbr ? "GRU linear_before_reset 1 by hand" : "GRU by hand");
  int64_t xd[3] = {1, 1, 1}, wd[3] = {1, 3, 1}, bd[2] = {1, 6}, hd[3] = {1, 1, 1};
  const float w[3] = {1, 1, 1}, rr[3] = {0.5f, 0.5f, 0.5f}, bb[6] = {0, 0, 0, 0, 0, 0.4f}, h0 = 0.5f;
  int ins[6] = {input(&b, "X", 3, xd), constant_vals(&b, "W", 3, wd, w), constant_vals(&b, "R", 3, wd, rr),
                lbr ? constant_vals(&b, "B", 2, bd, bb) : -1, -1, constant_vals(&b, "h0", 3, hd, &h0)};
  int outs[2] = {-1, output(&b, "Y_h")};
  roof_node* n = node(&b, "GRU", ins, 6, outs, 2);
  if (lbr) attr_i(n, "linear_before_reset", 1);
  mark_output(&b, outs[1]);
  const float x[1] = {1}, want[1] = {lbr ? 0.59043665f : 0.57391761f};
  check_values(&b, "GRU", x, want, 1);
}

/* LSTM, H = I = 1, W = [1, 1, 1, 1] (i o f c), R 0, B 0, P = [0.5, 0.5, 0.5], c0 = 1, X = [0.5]:
 *   i = sigmoid(0.5 + 0.5 * 1) = 0.73105858, f = 0.73105858, g = tanh(0.5) = 0.46211716,
 *   C = f * 1 + i * g = 1.06889329, o = sigmoid(0.5 + 0.5 * C) = 0.73777706,
 *   H = o * tanh(C) = 0.58213849 */
static void hand_lstm(rng* r) {
  builder b = start(r, "LSTM with peepholes by hand");
  int64_t xd[3] = {1, 1, 1}, wd[3] = {1, 4, 1}, pd[2] = {1, 3}, sd[3] = {1, 1, 1};
  const float w[4] = {1, 1, 1, 1}, rr[4] = {0}, p[3] = {0.5f, 0.5f, 0.5f}, c0 = 1.0f;
  int ins[8] = {input(&b, "X", 3, xd), constant_vals(&b, "W", 3, wd, w), constant_vals(&b, "R", 3, wd, rr), -1, -1, -1,
                constant_vals(&b, "c0", 3, sd, &c0), constant_vals(&b, "P", 2, pd, p)};
  int outs[3] = {output(&b, "Y"), output(&b, "Y_h"), output(&b, "Y_c")};
  node(&b, "LSTM", ins, 8, outs, 3);
  for (int i = 0; i < 3; i++) mark_output(&b, outs[i]);
  const float x[1] = {0.5f}, want[3] = {0.58213849f, 0.58213849f, 1.06889329f};
  check_values(&b, "LSTM", x, want, 3);
}

/* RNN reverse with sequence_lens [2, 0, 3], S 3, H = I = 1, W 1, R 0, activation Affine
 * (alpha 2, beta 1) so that h_t = 2 x_t + 1 whatever came before; X[t][b] = 10 b + t:
 *   batch 0 (len 2) runs t = 1, 0: Y[0] = 1, Y[1] = 3, Y[2] = 0, Y_h = the state after t = 0: 1
 *   batch 1 (len 0): Y all 0, Y_h 0
 *   batch 2 (len 3) runs t = 2, 1, 0: Y = 41, 43, 45, Y_h = 41 */
static void hand_lens_reverse(rng* r) {
  builder b = start(r, "RNN reverse sequence_lens by hand");
  int64_t xd[3] = {3, 3, 1}, wd[3] = {1, 1, 1};
  const float w = 1.0f, rr = 0.0f;
  const int32_t lens[3] = {2, 0, 3};
  int ins[5] = {input(&b, "X", 3, xd), constant_vals(&b, "W", 3, wd, &w), constant_vals(&b, "R", 3, wd, &rr), -1,
                constant_i32(&b, "lens", 3, lens)};
  int outs[2] = {output(&b, "Y"), output(&b, "Y_h")};
  roof_node* n = node(&b, "RNN", ins, 5, outs, 2);
  attr_s(n, "direction", "reverse");
  const char* act[1] = {"affine"}; /* names match case-insensitively */
  const float alpha[1] = {2.0f}, beta[1] = {1.0f};
  attr_strings(n, "activations", 1, act);
  attr_floats(n, "activation_alpha", 1, alpha);
  attr_floats(n, "activation_beta", 1, beta);
  mark_output(&b, outs[0]);
  mark_output(&b, outs[1]);
  const float x[9] = {0, 10, 20, 1, 11, 21, 2, 12, 22};
  /* Y [t][dir][b]: t0: 1 0 41, t1: 3 0 43, t2: 0 0 45; Y_h [dir][b]: 1 0 41 */
  const float want[12] = {1, 0, 41, 3, 0, 43, 0, 0, 45, 1, 0, 41};
  check_values(&b, "RNN", x, want, 12);
}

/* activation_alpha / beta go to the functions that take them, in list order: LSTM with
 * [HardSigmoid, Affine, Relu], alphas [0.25, 3], betas [0.5, -1]: f = HardSigmoid(0.25, 0.5),
 * g = Affine(3, -1), h = Relu. H = I = 1, W = [1, 1, 1, 1], R 0, X = [0.8]:
 *   i = f = o = 0.25 * 0.8 + 0.5 = 0.7, g = 3 * 0.8 - 1 = 1.4, C = 0.7 * 1.4 = 0.98,
 *   H = 0.7 * relu(0.98) = 0.686 */
static void hand_alpha_order(rng* r) {
  builder b = start(r, "LSTM activation_alpha order by hand");
  int64_t xd[3] = {1, 1, 1}, wd[3] = {1, 4, 1};
  const float w[4] = {1, 1, 1, 1}, rr[4] = {0};
  int ins[3] = {input(&b, "X", 3, xd), constant_vals(&b, "W", 3, wd, w), constant_vals(&b, "R", 3, wd, rr)};
  int outs[3] = {output(&b, "Y"), output(&b, "Y_h"), output(&b, "Y_c")};
  roof_node* n = node(&b, "LSTM", ins, 3, outs, 3);
  const char* acts[3] = {"HardSigmoid", "Affine", "Relu"};
  const float alpha[2] = {0.25f, 3.0f}, beta[2] = {0.5f, -1.0f};
  attr_strings(n, "activations", 3, acts);
  attr_floats(n, "activation_alpha", 2, alpha);
  attr_floats(n, "activation_beta", 2, beta);
  for (int i = 0; i < 3; i++) mark_output(&b, outs[i]);
  const float x[1] = {0.8f}, want[3] = {0.686f, 0.686f, 0.98f};
  check_values(&b, "LSTM", x, want, 3);
}

/* ---- cost ---- */

static void expect_u64(const char* what, uint64_t got, uint64_t want) {
  if (got == want) return;
  fprintf(stderr, "FAIL LSTM cost: %s = %llu, expected %llu\n", what, (unsigned long long)got, (unsigned long long)want);
  failures++;
}

/* Bidirectional LSTM, S 2, B 3, I 4, H 5, with B and P (docs/cost-model.md):
 *   macs = D S B (I + H) 4H = 2 * 2 * 3 * 9 * 20 = 2160
 *   flops = 2 macs + D S B H (4 gates x 3 + 4 + 6 peephole) = 4320 + 60 * 22 = 5640
 *   bytes read: X 24, W 160, R 200, B 80, P 30 floats = 494 * 4 = 1976
 *   bytes written: Y 60, Y_h 30, Y_c 30 floats = 480; params 470 */
static void cost_case(rng* r) {
  cases++;
  builder b = start(r, "LSTM cost");
  int64_t xd[3] = {2, 3, 4}, wd[3] = {2, 20, 4}, rd[3] = {2, 20, 5}, bd[2] = {2, 40}, pd[2] = {2, 15};
  int ins[8] = {input(&b, "X", 3, xd), constant(&b, "W", 3, wd), constant(&b, "R", 3, rd), constant(&b, "B", 2, bd), -1, -1, -1,
                constant(&b, "P", 2, pd)};
  int outs[3] = {output(&b, "Y"), output(&b, "Y_h"), output(&b, "Y_c")};
  attr_s(node(&b, "LSTM", ins, 8, outs, 3), "direction", "bidirectional");
  for (int i = 0; i < 3; i++) mark_output(&b, outs[i]);
  roof_model* m = prepare(&b);
  if (m == NULL) return;
  roof_cost c = {0};
  for (int i = 0; i < m->g->num_nodes; i++) {
    const roof_node* n = &m->g->nodes[i];
    if (!n->removed && strcmp(n->op_type, "LSTM") == 0) n->op->cost(m->g, n, &c);
  }
  expect_u64("macs", c.macs, 2160);
  expect_u64("flops", c.flops, 5640);
  expect_u64("bytes_read", c.bytes_read, 1976);
  expect_u64("bytes_written", c.bytes_written, 480);
  expect_u64("params", c.params, 470);
  roof_model_free(m);
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20240607};
  for (int i = 0; i < 42; i++) {
    random_case(&r, "LSTM", i);
    random_case(&r, "GRU", i);
    random_case(&r, "RNN", i);
  }
  step_split_cases(&r);
  refused_cases(&r);
  hand_rnn(&r);
  hand_gru(&r, false);
  hand_gru(&r, true);
  hand_lstm(&r);
  hand_lens_reverse(&r);
  hand_alpha_order(&r);
  cost_case(&r);
  printf("test_recurrent: %d cases (%d on the native kernel), %d failures; largest native error %.3g of the output's magnitude\n",
         cases, native_cases, failures, worst);
  printf("  (in %s)\n", worst_label);
  return failures ? 1 : 0;
}
