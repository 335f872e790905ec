/* Fusion passes on small graphs: for each pass, the pattern it rewrites is built twice and
 * prepared with --fusion none and with that pass alone; outputs must agree (bit-exact where
 * no arithmetic changes), fewer kernels must run, and every original node name must appear
 * exactly once across the executed nodes' fused_from lists and the folded list. Pass qdq is
 * checked by structure (the integer op made, its fused_from, its activation range, chains that
 * break a rule left float) and within one output quantum of the unfused graph. */
#include <math.h>
#include <stdio.h>

#include "fused_act.h"
#include "graph_builder.h"
#include "graph_edit.h"
#include "quant_params.h"

static int failures;

typedef void (*build_fn)(builder* b);

static roof_session* open_session(roof_model* m, const char* fusion, const char* label) {
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = fusion};
  roof_session* s = NULL;
  roof_session_options so = {.threads = 1};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK || roof_session_create(m, &so, &s, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s (%s): %s\n", label, fusion, err.message);
    failures++;
    return NULL;
  }
  return s;
}

static bool run_with(roof_session* s, const float* in, size_t bytes) {
  roof_error err = {{0}};
  bool ok = roof_session_set_input(s, 0, in, bytes, &err) == ROOF_OK && roof_session_run(s, NULL, &err) == ROOF_OK;
  if (!ok) fprintf(stderr, "run: %s\n", err.message);
  return ok;
}

/* Every original name exactly once across fused_from and folded. */
static void check_provenance(const roof_session* s, const char* label) {
  const roof_graph* g = s->model->g;
  for (int i = 0; i < g->num_original_nodes; i++) {
    const char* name = g->nodes[i].name;
    int seen = 0;
    for (int k = 0; k < s->num_steps; k++) {
      const roof_node* n = s->steps[k].k.node;
      for (int f = 0; f < n->num_fused_from; f++) seen += strcmp(n->fused_from[f], name) == 0;
    }
    for (int f = 0; f < g->num_folded; f++) seen += strcmp(g->folded[f].name, name) == 0;
    if (seen != 1) {
      fprintf(stderr, "FAIL %s: original node '%s' appears %d times in provenance\n", label, name, seen);
      failures++;
    }
  }
}

/* The graph of `build` (constants from `seed`) twice: m[0], s[0] prepared with --fusion none,
 * m[1], s[1] with `pass`; a session is NULL when preparing failed (reported). */
static void open_pair(const char* label, const char* pass, build_fn build, uint64_t seed, roof_model* m[2],
                      roof_session* s[2]) {
  rng r[2] = {{seed}, {seed}};
  const char* fusion[2] = {"none", pass};
  for (int i = 0; i < 2; i++) {
    builder b = start(&r[i], label);
    build(&b);
    b.g->num_original_nodes = b.g->num_nodes;
    roof_error err = {{0}};
    m[i] = NULL;
    roof_model_from_graph(b.g, &m[i], &err);
    s[i] = open_session(m[i], fusion[i], label);
  }
}

static void close_pair(roof_model* m[2], roof_session* s[2]) {
  for (int i = 0; i < 2; i++) {
    roof_session_free(s[i]);
    roof_model_free(m[i]);
  }
}

/* Both sessions run on one random input (seed 5, values in [-3, 3)); *n: output 0's floats. */
static bool run_pair_random(roof_session* s[2], size_t* n) {
  rng ri = {5};
  roof_io_info in, out;
  roof_session_input_info(s[0], 0, &in);
  roof_session_output_info(s[0], 0, &out);
  float* x = malloc(in.nbytes);
  for (size_t i = 0; x && i < in.nbytes / sizeof(float); i++) x[i] = frand(&ri) * 3.0f;
  bool ok = x && run_with(s[0], x, in.nbytes) && run_with(s[1], x, in.nbytes);
  free(x);
  *n = out.nbytes / sizeof(float);
  return ok;
}

static void check_pass(const char* label, const char* pass, build_fn build, bool exact) {
  roof_model* m[2];
  roof_session* ss[2];
  open_pair(label, pass, build, 99, m, ss);
  roof_session *sa = ss[0], *sb = ss[1];
  if (sa && sb) {
    size_t n = 0;
    if (run_pair_random(ss, &n)) {
      const float *ya = roof_session_output(sa, 0), *yb = roof_session_output(sb, 0);
      double mag = 0;
      for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(ya[i]));
      for (size_t i = 0; i < n; i++) {
        double e = fabs((double)ya[i] - yb[i]);
        if (exact ? e == 0.0 : e <= 1e-5 * mag + 1e-4 * fabs(ya[i])) continue;
        fprintf(stderr, "FAIL %s: element %zu: unfused %.8g, fused %.8g\n", label, i, ya[i], yb[i]);
        failures++;
        break;
      }
    } else {
      failures++;
    }
    if (sb->num_steps >= sa->num_steps) {
      fprintf(stderr, "FAIL %s: pass %s ran %d kernels, unfused %d\n", label, pass, sb->num_steps, sa->num_steps);
      failures++;
    }
    check_provenance(sb, label);
    printf("%-28s %-16s kernels %d -> %d\n", label, pass, sa->num_steps, sb->num_steps);
  }
  close_pair(m, ss);
}

/* The fused graph on the native kernels against the same fused graph on the reference kernels:
 * the fused op's two implementations of its new parameters (a clamp, say) must agree. */
static void check_fused_reference(const char* label, const char* pass, build_fn build) {
  roof_model* m[2] = {NULL, NULL};
  roof_session* s[2] = {NULL, NULL};
  for (int i = 0; i < 2; i++) {
    rng r = {99};
    builder b = start(&r, label);
    build(&b);
    b.g->num_original_nodes = b.g->num_nodes;
    roof_error err = {{0}};
    roof_prepare_options po = {.fusion = pass};
    roof_session_options so = {.threads = 1, .force_reference = i};
    if (roof_model_from_graph(b.g, &m[i], &err) != ROOF_OK || roof_model_prepare(m[i], &po, &err) != ROOF_OK ||
        roof_session_create(m[i], &so, &s[i], &err) != ROOF_OK) {
      fprintf(stderr, "FAIL %s (%s, %s kernels): %s\n", label, pass, i ? "reference" : "native", err.message);
      failures++;
      close_pair(m, s);
      return;
    }
  }
  size_t n = 0;
  if (run_pair_random(s, &n)) {
    const float *yn = roof_session_output(s[0], 0), *yr = roof_session_output(s[1], 0);
    for (size_t i = 0; i < n; i++) {
      if (fabsf(yn[i] - yr[i]) <= 1e-5f * (1.0f + fabsf(yr[i]))) continue;
      fprintf(stderr, "FAIL %s: element %zu: reference %.8g, native %.8g\n", label, i, yr[i], yn[i]);
      failures++;
      break;
    }
  } else {
    failures++;
  }
  printf("%-28s %-16s native = reference\n", label, pass);
  close_pair(m, s);
}

static const int64_t kImg[4] = {1, 6, 8, 8};

static int conv3(builder* b, const char* name, int x, int64_t cin, int64_t cout) {
  int64_t wd[4] = {cout, cin, 3, 3}, bd[1] = {cout}, pads[4] = {1, 1, 1, 1};
  int ins[3] = {x, constant(b, "w", 4, wd), constant(b, "b", 1, bd)};
  int y = output(b, name);
  attr_ints(named(b, name, "Conv", ins, 3, &y, 1), "pads", 4, pads);
  return y;
}

static void build_identity(builder* b) {
  int x = input(b, "x", 4, kImg), t = output(b, "t"), y = output(b, "y");
  named(b, "id", "Identity", &x, 1, &t, 1);
  named(b, "relu", "Relu", &t, 1, &y, 1);
  mark_output(b, y);
}

/* Pad by zero on every side (opset 13: pads as an input), Transpose by the identity perm. */
static void build_noop_pad_transpose(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), t = output(b, "t"), y = output(b, "y");
  int64_t pads[8] = {0, 0, 0, 0, 0, 0, 0, 0}, perm[4] = {0, 1, 2, 3};
  int pi[2] = {x, constant_i64(b, "pads", 8, pads)};
  named(b, "pad", "Pad", pi, 2, &p, 1);
  attr_ints(named(b, "transpose", "Transpose", &p, 1, &t, 1), "perm", 4, perm);
  named(b, "relu", "Relu", &t, 1, &y, 1);
  mark_output(b, y);
}

/* A crop and a pad of the same size keep the shape but are no no-op. */
static void build_pad_crop(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), y = output(b, "y");
  int64_t pads[8] = {0, 0, 1, -1, 0, 0, -1, 1};
  int pi[2] = {x, constant_i64(b, "pads", 8, pads)};
  named(b, "pad", "Pad", pi, 2, &p, 1);
  named(b, "relu", "Relu", &p, 1, &y, 1);
  mark_output(b, y);
}

static void build_reshape_chain(builder* b) {
  int x = input(b, "x", 4, kImg), f = output(b, "f"), r = output(b, "r"), y = output(b, "y");
  named(b, "flatten", "Flatten", &x, 1, &f, 1);
  int64_t shape[2] = {2, 192};
  int ri[2] = {f, constant_i64(b, "shape", 2, shape)};
  named(b, "reshape", "Reshape", ri, 2, &r, 1);
  named(b, "relu", "Relu", &r, 1, &y, 1);
  mark_output(b, y);
}

/* The 3x3 Conv (4 -> 6 channels) after each Pad case, writing graph output y. */
static void conv_into(builder* b, int p, int y) {
  int64_t wd[4] = {4, 6, 3, 3};
  int ci[2] = {p, constant(b, "w", 4, wd)};
  named(b, "conv", "Conv", ci, 2, &y, 1);
  mark_output(b, y);
}

static void build_pad(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), y = output(b, "y");
  int64_t pads[8] = {0, 0, 1, 2, 0, 0, 2, 1};
  int pi[2] = {x, constant_i64(b, "pads", 8, pads)};
  named(b, "pad", "Pad", pi, 2, &p, 1);
  conv_into(b, p, y);
}

/* Opset 18: Pad with an axes input; the pass reads the pads infer resolved per axis. */
static void build_pad_axes(builder* b) {
  b->g->opset = 18;
  int x = input(b, "x", 4, kImg), p = output(b, "p"), y = output(b, "y");
  int64_t pads[4] = {1, 2, 2, 1}, axes[2] = {-2, 3};
  int pi[4] = {x, constant_i64(b, "pads", 4, pads), -1, constant_i64(b, "axes", 2, axes)};
  named(b, "pad", "Pad", pi, 4, &p, 1);
  conv_into(b, p, y);
}

/* Pad by a nonzero value: Conv's padding adds zeros, so the pass must leave it. */
static void build_pad_value(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), y = output(b, "y");
  int64_t pads[8] = {0, 0, 1, 1, 0, 0, 1, 1}, one[1] = {1};
  int pi[3] = {x, constant_i64(b, "pads", 8, pads), constant(b, "value", 0, one)};
  named(b, "pad", "Pad", pi, 3, &p, 1);
  conv_into(b, p, y);
}

/* Reflect padding is not Conv padding either. */
static void build_pad_reflect(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), y = output(b, "y");
  int64_t pads[8] = {0, 0, 1, 1, 0, 0, 1, 1};
  int pi[2] = {x, constant_i64(b, "pads", 8, pads)};
  attr_s(named(b, "pad", "Pad", pi, 2, &p, 1), "mode", "reflect");
  conv_into(b, p, y);
}

static void build_matmul_add(builder* b) {
  int64_t ad[2] = {3, 8}, bd[2] = {8, 5}, cd[1] = {5};
  int a = input(b, "a", 2, ad), m = output(b, "m"), y = output(b, "y");
  int mi[2] = {a, constant(b, "B", 2, bd)};
  named(b, "matmul", "MatMul", mi, 2, &m, 1);
  int ai[2] = {constant(b, "bias", 1, cd), m};
  named(b, "add", "Add", ai, 2, &y, 1);
  mark_output(b, y);
}

/* A transformer's Linear: [2, 7, 8] x [8, 5] + bias; the MatMul keeps its op, the bias fused in. */
static void matmul_add3(builder* b, int bias_rank, const int64_t* bias_dims) {
  int64_t ad[3] = {2, 7, 8}, bd[2] = {8, 5};
  int a = input(b, "a", 3, ad), m = output(b, "m"), y = output(b, "y");
  int mi[2] = {a, constant(b, "B", 2, bd)};
  named(b, "matmul", "MatMul", mi, 2, &m, 1);
  int ai[2] = {m, constant(b, "bias", bias_rank, bias_dims)};
  named(b, "add", "Add", ai, 2, &y, 1);
  mark_output(b, y);
}
static void build_matmul_add3(builder* b) {
  int64_t cd[1] = {5};
  matmul_add3(b, 1, cd);
}
static void build_matmul_add3_one(builder* b) {
  int64_t cd[3] = {1, 1, 1};
  matmul_add3(b, 3, cd);
}
static void build_matmul_add3_rows(builder* b) { /* a bias per row is not a column bias */
  int64_t cd[2] = {7, 1};
  matmul_add3(b, 2, cd);
}

static void bn_inputs(builder* b, int x, int* ins, int64_t c) {
  int64_t cd[1] = {c};
  ins[0] = x;
  for (int i = 1; i < 5; i++) ins[i] = constant(b, "bn", 1, cd);
  float* var = b->g->values[ins[4]].data;
  for (int i = 0; i < c; i++) var[i] = fabsf(var[i]) + 0.5f;
}

static void build_conv_bn(builder* b) {
  int c = conv3(b, "conv", input(b, "x", 4, kImg), 6, 5), y = output(b, "y"), ins[5];
  bn_inputs(b, c, ins, 5);
  named(b, "bn", "BatchNormalization", ins, 5, &y, 1);
  mark_output(b, y);
}

/* A large epsilon: folding with the default one would not match the unfused output. */
static void build_conv_bn_eps(builder* b) {
  int c = conv3(b, "conv", input(b, "x", 4, kImg), 6, 5), y = output(b, "y"), ins[5];
  bn_inputs(b, c, ins, 5);
  attr_f(named(b, "bn", "BatchNormalization", ins, 5, &y, 1), "epsilon", 0.25f);
  mark_output(b, y);
}

/* Grouped ConvTranspose (weight [C_in, O/g, k, k]): output channels depend on the group. */
static void build_convt_bn(builder* b) {
  int x = input(b, "x", 4, kImg), t = output(b, "t"), y = output(b, "y"), ins[5];
  int64_t wd[4] = {6, 2, 3, 3}, bd[1] = {4};
  int ti[3] = {x, constant(b, "w", 4, wd), constant(b, "b", 1, bd)};
  attr_i(named(b, "convt", "ConvTranspose", ti, 3, &t, 1), "group", 2);
  bn_inputs(b, t, ins, 4);
  attr_f(named(b, "bn", "BatchNormalization", ins, 5, &y, 1), "epsilon", 0.1f);
  mark_output(b, y);
}

/* Gemm with beta != 1: the bias enters scaled by beta. */
static void build_gemm_bn(builder* b) {
  int64_t ad[2] = {3, 8}, bd[2] = {5, 8}, cd[1] = {5};
  int a = input(b, "a", 2, ad), m = output(b, "m"), y = output(b, "y"), ins[5];
  int gi[3] = {a, constant(b, "B", 2, bd), constant(b, "C", 1, cd)};
  roof_node* gn = named(b, "gemm", "Gemm", gi, 3, &m, 1);
  attr_i(gn, "transB", 1);
  attr_f(gn, "beta", 0.5f);
  bn_inputs(b, m, ins, 5);
  named(b, "bn", "BatchNormalization", ins, 5, &y, 1);
  mark_output(b, y);
}

/* Conv -> Relu -> BN: the Relu fuses into the Conv, and the BN must then stay a kernel. */
static void build_conv_relu_bn(builder* b) {
  int c = conv3(b, "conv", input(b, "x", 4, kImg), 6, 5), r = output(b, "r"), y = output(b, "y"), ins[5];
  named(b, "relu", "Relu", &c, 1, &r, 1);
  bn_inputs(b, r, ins, 5);
  named(b, "bn", "BatchNormalization", ins, 5, &y, 1);
  mark_output(b, y);
}

/* Pre-activation BatchNormalization -> Relu (DenseNet): the Relu becomes the BN's clamp. NHWC
 * (rank 4, the channels-last kernel) and a rank-3 input (planes of one channel each). */
static void build_bn_relu_dims(builder* b, int rank, const int64_t* dims) {
  int x = input(b, "x", rank, dims), t = output(b, "t"), y = output(b, "y"), ins[5];
  bn_inputs(b, x, ins, dims[1]);
  named(b, "bn", "BatchNormalization", ins, 5, &t, 1);
  named(b, "relu", "Relu", &t, 1, &y, 1);
  mark_output(b, y);
}
static void build_bn_relu(builder* b) { build_bn_relu_dims(b, 4, kImg); }
static void build_bn_relu_rank3(builder* b) {
  int64_t d[3] = {2, 5, 9};
  build_bn_relu_dims(b, 3, d);
}

/* BatchNormalization -> Clip(-1, 2) (opset 11 on: bounds as inputs) */
static void build_bn_clip(builder* b) {
  int64_t one[1] = {1};
  int x = input(b, "x", 4, kImg), t = output(b, "t"), y = output(b, "y"), ins[5];
  bn_inputs(b, x, ins, kImg[1]);
  named(b, "bn", "BatchNormalization", ins, 5, &t, 1);
  int ci[3] = {t, constant(b, "lo", 0, one), constant(b, "hi", 0, one)};
  ((float*)b->g->values[ci[1]].data)[0] = -1.0f;
  ((float*)b->g->values[ci[2]].data)[0] = 2.0f;
  named(b, "clip", "Clip", ci, 3, &y, 1);
  mark_output(b, y);
}

static void build_activations(builder* b) {
  int x = input(b, "x", 4, kImg);
  int c1 = conv3(b, "conv1", x, 6, 6), k = output(b, "k");
  int64_t lo_hi[1] = {1};
  int cl[3] = {c1, constant(b, "lo", 0, lo_hi), constant(b, "hi", 0, lo_hi)};
  float* lo = b->g->values[cl[1]].data;
  float* hi = b->g->values[cl[2]].data;
  *lo = 0.0f;
  *hi = 0.5f;
  named(b, "clip", "Clip", cl, 3, &k, 1);
  int s = output(b, "s"), r = output(b, "r");
  int ai[2] = {k, x};
  named(b, "add", "Add", ai, 2, &s, 1);
  named(b, "relu", "Relu", &s, 1, &r, 1);
  int c2 = conv3(b, "conv2", r, 6, 3), h = output(b, "h");
  roof_node* hs = named(b, "hsig", "HardSigmoid", &c2, 1, &h, 1);
  attr_f(hs, "alpha", 0.25f);
  attr_f(hs, "beta", 0.4f);
  int p = output(b, "p"), y = output(b, "y");
  int64_t k3[2] = {3, 3}, pads[4] = {1, 1, 1, 1};
  roof_node* mp = named(b, "pool", "MaxPool", &h, 1, &p, 1);
  attr_ints(mp, "kernel_shape", 2, k3);
  attr_ints(mp, "pads", 4, pads);
  named(b, "relu2", "Relu", &p, 1, &y, 1);
  mark_output(b, y);
}

/* Pass residual: a 1x1 Conv the pointwise entry takes (64 channels, 25 pixels) -> Add of the
 * Conv's input (the residual) -> Relu; variants the pass must leave alone. */
static const int64_t kRes[4] = {1, 64, 5, 5};

static int conv1x1(builder* b, const char* name, int x, int64_t k) {
  int64_t wd[4] = {64, 64, k, k}, bd[1] = {64}, pads[4] = {k / 2, k / 2, k / 2, k / 2};
  int ins[3] = {x, constant(b, "w", 4, wd), constant(b, "b", 1, bd)};
  int y = output(b, name);
  attr_ints(named(b, name, "Conv", ins, 3, &y, 1), "pads", 4, pads);
  return y;
}

/* kernel k; then_bn: a BatchNormalization after the Add instead of a Relu */
static void build_residual_with(builder* b, int64_t k, bool then_bn) {
  int x = input(b, "x", 4, kRes), c = conv1x1(b, "conv", x, k), s = output(b, "s"), y = output(b, "y");
  int ai[2] = {c, x};
  named(b, "add", "Add", ai, 2, &s, 1);
  if (then_bn) {
    int ins[5];
    bn_inputs(b, s, ins, 64);
    named(b, "bn", "BatchNormalization", ins, 5, &y, 1);
  } else {
    named(b, "relu", "Relu", &s, 1, &y, 1);
  }
  mark_output(b, y);
}
static void build_residual(builder* b) { build_residual_with(b, 1, false); }
static void build_residual_3x3(builder* b) { build_residual_with(b, 3, false); }
static void build_residual_bn(builder* b) { build_residual_with(b, 1, true); }

static void build_swish(builder* b) {
  int x = input(b, "x", 4, kImg), s = output(b, "s"), y = output(b, "y");
  named(b, "sigmoid", "Sigmoid", &x, 1, &s, 1);
  int mi[2] = {s, x};
  named(b, "mul", "Mul", mi, 2, &y, 1);
  mark_output(b, y);
}

/* A float32 scalar constant of value v. */
static int scalar(builder* b, const char* name, float v) {
  int c = constant(b, name, 0, NULL);
  *(float*)b->g->values[c].data = v;
  return c;
}

/* GELU as PyTorch exports nn.GELU: x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5 (`half_first`:
 * (x * 0.5) * (1 + erf) instead); `half` is the factor (0.5 matches, anything else must not). */
static void build_gelu_with(builder* b, bool half_first, float half) {
  int x = input(b, "x", 4, kImg), d = output(b, "d"), e = output(b, "e"), a = output(b, "a"), m = output(b, "m");
  int y = output(b, "y");
  int di[2] = {x, scalar(b, "sqrt2", 1.4142135f)};
  named(b, "div", "Div", di, 2, &d, 1);
  named(b, "erf", "Erf", &d, 1, &e, 1);
  int ai[2] = {e, scalar(b, "one", 1.0f)};
  named(b, "add", "Add", ai, 2, &a, 1);
  if (half_first) {
    int h = output(b, "h"), hi[2] = {scalar(b, "half", half), x};
    named(b, "halve", "Mul", hi, 2, &h, 1);
    int mi[2] = {h, a};
    named(b, "mul", "Mul", mi, 2, &y, 1);
  } else {
    int mi[2] = {x, a};
    named(b, "mul", "Mul", mi, 2, &m, 1);
    int hi[2] = {m, scalar(b, "half", half)};
    named(b, "halve", "Mul", hi, 2, &y, 1);
  }
  mark_output(b, y);
}

static void build_gelu(builder* b) { build_gelu_with(b, false, 0.5f); }
static void build_gelu_half_first(builder* b) { build_gelu_with(b, true, 0.5f); }
static void build_not_gelu(builder* b) { build_gelu_with(b, false, 0.6f); }

static void build_hardswish(builder* b) {
  int x = input(b, "x", 4, kImg), s = output(b, "s"), y = output(b, "y");
  roof_node* h = named(b, "hsig", "HardSigmoid", &x, 1, &s, 1);
  attr_f(h, "alpha", 1.0f / 6.0f);
  attr_f(h, "beta", 0.5f);
  int mi[2] = {x, s};
  named(b, "mul", "Mul", mi, 2, &y, 1);
  mark_output(b, y);
}

/* Reshape [1, 6, 8, 8] -> [1, 2, 3, 8, 8], Transpose by perm, Reshape back: a channel shuffle
 * for perm (0, 2, 1, 3, 4). */
static void build_shuffle_with(builder* b, const int64_t* perm) {
  int c = conv3(b, "conv", input(b, "x", 4, kImg), 6, 6);
  int64_t s5[5] = {1, 2, 3, 8, 8}, s4[4] = {1, 6, 8, 8};
  int a = output(b, "a"), t = output(b, "t"), y = output(b, "y");
  int r1[2] = {c, constant_i64(b, "s5", 5, s5)};
  named(b, "reshape1", "Reshape", r1, 2, &a, 1);
  attr_ints(named(b, "transpose", "Transpose", &a, 1, &t, 1), "perm", 5, perm);
  int r2[2] = {t, constant_i64(b, "s4", 4, s4)};
  named(b, "reshape2", "Reshape", r2, 2, &y, 1);
  mark_output(b, y);
}

static void build_shuffle(builder* b) {
  static const int64_t kPerm[5] = {0, 2, 1, 3, 4};
  build_shuffle_with(b, kPerm);
}

/* Transpose (0, 2, 1, 4, 3) between the reshapes is not a channel shuffle. */
static void build_not_shuffle(builder* b) {
  static const int64_t kPerm[5] = {0, 2, 1, 4, 3};
  build_shuffle_with(b, kPerm);
}

/* ---- layer_norm and attention ---- */

typedef enum ln_form { LN_POW, LN_MUL, LN_RECIP, LN_BARE, LN_AXIS1, LN_SHARED, LN_EPS_INPUT } ln_form;

/* Decomposed LayerNorm of x [2, 6, 5] over its last axis (LN_AXIS1: over axis 1, which the
 * pass must leave; LN_SHARED: x - mean is also a graph output; LN_EPS_INPUT: epsilon comes from
 * the input instead of a constant). LN_BARE has no scale or bias. */
static void build_ln_form(builder* b, ln_form form) {
  static const int64_t kX[3] = {2, 6, 5};
  int64_t axis = form == LN_AXIS1 ? 1 : -1, row[1] = {5}, gd[3] = {1, 1, 5};
  int x = input(b, "x", 3, kX), m = output(b, "m"), d = output(b, "d"), v = output(b, "v"), vm = output(b, "vm");
  int ve = output(b, "ve"), sd = output(b, "sd"), n = output(b, "n");
  attr_ints(named(b, "mean", "ReduceMean", &x, 1, &m, 1), "axes", 1, &axis);
  int si[2] = {x, m};
  named(b, "sub", "Sub", si, 2, &d, 1);
  int pi[2] = {d, form == LN_MUL ? d : scalar(b, "two", 2.0f)};
  named(b, "sq", form == LN_MUL ? "Mul" : "Pow", pi, 2, &v, 1);
  attr_ints(named(b, "var", "ReduceMean", &v, 1, &vm, 1), "axes", 1, &axis);
  int ai[2] = {form == LN_EPS_INPUT ? x : scalar(b, "eps", 1e-5f), vm};
  named(b, "add_eps", "Add", ai, 2, &ve, 1);
  named(b, "sqrt", "Sqrt", &ve, 1, &sd, 1);
  if (form == LN_RECIP) {
    int rc = output(b, "rc"), mi[2] = {rc, d};
    named(b, "recip", "Reciprocal", &sd, 1, &rc, 1);
    named(b, "norm", "Mul", mi, 2, &n, 1);
  } else {
    int di[2] = {d, sd};
    named(b, "norm", "Div", di, 2, &n, 1);
  }
  if (form == LN_BARE) {
    mark_output(b, n);
    return;
  }
  int y1 = output(b, "y1"), y = output(b, "y");
  int gi[2] = {constant(b, "gamma", form == LN_RECIP ? 3 : 1, form == LN_RECIP ? gd : row), n};
  named(b, "scale", "Mul", gi, 2, &y1, 1);
  int bi[2] = {y1, constant(b, "beta", 1, row)};
  named(b, "bias", "Add", bi, 2, &y, 1);
  mark_output(b, y);
  if (form == LN_SHARED) mark_output(b, d);
}

static void build_ln_pow(builder* b) { build_ln_form(b, LN_POW); }
static void build_ln_mul(builder* b) { build_ln_form(b, LN_MUL); }
static void build_ln_recip(builder* b) { build_ln_form(b, LN_RECIP); }
static void build_ln_bare(builder* b) { build_ln_form(b, LN_BARE); }
static void build_ln_axis1(builder* b) { build_ln_form(b, LN_AXIS1); }
static void build_ln_shared(builder* b) { build_ln_form(b, LN_SHARED); }
static void build_ln_eps_input(builder* b) { build_ln_form(b, LN_EPS_INPUT); }

typedef enum attn_form { ATTN_TORCH, ATTN_SCORES_SCALE, ATTN_SCALE_INPUT, ATTN_AXIS1, ATTN_SHARED } attn_form;

/* Self-attention on x [2, 5, 8] read as [T, B, d] (PyTorch's layout): Q = Transpose(x, 1 0 2)
 * / sqrt(8) (ATTN_SCORES_SCALE: scores * 1/sqrt(8) instead), K^T = Transpose(x, 1 2 0), V =
 * Transpose(x, 1 0 2), a constant causal mask, Softmax, the output back by Transpose (1 0 2).
 * Near misses the pass must leave: the scores scaled by an activation (ATTN_SCALE_INPUT), Softmax over
 * axis 1 (ATTN_AXIS1), the scores also a graph output (ATTN_SHARED). */
static void build_attn_form(builder* b, attn_form form) {
  static const int64_t kX[3] = {2, 5, 8}, p102[3] = {1, 0, 2}, p120[3] = {1, 2, 0}, md[2] = {2, 2};
  int x = input(b, "x", 3, kX), qt = output(b, "qt"), kt = output(b, "kt"), vt = output(b, "vt");
  attr_ints(named(b, "q_t", "Transpose", &x, 1, &qt, 1), "perm", 3, p102);
  attr_ints(named(b, "k_t", "Transpose", &x, 1, &kt, 1), "perm", 3, p120);
  attr_ints(named(b, "v_t", "Transpose", &x, 1, &vt, 1), "perm", 3, p102);
  bool on_scores = form == ATTN_SCORES_SCALE || form == ATTN_SCALE_INPUT;
  int q = qt, s = output(b, "s");
  if (!on_scores) {
    int qs = output(b, "qs"), di[2] = {qt, scalar(b, "sqrt_d", sqrtf(8.0f))};
    named(b, "q_scale", "Div", di, 2, &qs, 1);
    q = qs;
  }
  int mi[2] = {q, kt};
  named(b, "qk", "MatMul", mi, 2, &s, 1);
  if (on_scores) {
    int sc = scalar(b, "inv_sqrt_d", 1.0f / sqrtf(8.0f)), ss = output(b, "ss");
    if (form == ATTN_SCALE_INPUT) {
      sc = output(b, "sc"); /* mean of all of x: [1, 1, 1] */
      named(b, "scale_mean", "ReduceMean", &x, 1, &sc, 1);
    }
    int si[2] = {sc, s};
    named(b, "s_scale", "Mul", si, 2, &ss, 1);
    s = ss;
  }
  int mask = constant(b, "mask", 2, md), sm = output(b, "sm"), p = output(b, "p"), o = output(b, "o"), y = output(b, "y");
  float* mv = b->g->values[mask].data;
  mv[0] = 0.0f, mv[1] = -INFINITY, mv[2] = 0.0f, mv[3] = 0.0f;
  int ai[2] = {s, mask};
  named(b, "add_mask", "Add", ai, 2, &sm, 1);
  attr_i(named(b, "softmax", "Softmax", &sm, 1, &p, 1), "axis", form == ATTN_AXIS1 ? 1 : -1);
  int pi[2] = {p, vt};
  named(b, "pv", "MatMul", pi, 2, &o, 1);
  attr_ints(named(b, "out_t", "Transpose", &o, 1, &y, 1), "perm", 3, p102);
  mark_output(b, y);
  if (form == ATTN_SHARED) mark_output(b, s);
}

static void build_attn_torch(builder* b) { build_attn_form(b, ATTN_TORCH); }
static void build_attn_scores_scale(builder* b) { build_attn_form(b, ATTN_SCORES_SCALE); }
static void build_attn_scale_input(builder* b) { build_attn_form(b, ATTN_SCALE_INPUT); }
static void build_attn_axis1(builder* b) { build_attn_form(b, ATTN_AXIS1); }
static void build_attn_shared(builder* b) { build_attn_form(b, ATTN_SHARED); }

/* A pattern the pass must leave alone: with the pass alone, a node of `op_type` still runs. */
static void check_kept(const char* label, const char* pass, build_fn build, const char* op_type) {
  rng r = {99};
  builder b = start(&r, label);
  build(&b);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(b.g, &m, &err);
  roof_session* s = open_session(m, pass, label);
  if (s) {
    bool kept = false;
    for (int k = 0; k < s->num_steps; k++) kept = kept || strcmp(s->steps[k].k.node->op_type, op_type) == 0;
    if (!kept) {
      fprintf(stderr, "FAIL %s: pass %s removed the %s\n", label, pass, op_type);
      failures++;
    }
    check_provenance(s, label);
    printf("%-28s %-16s %s kept\n", label, pass, op_type);
  }
  roof_session_free(s);
  roof_model_free(m);
}

/* Graph-edit API: preconditions refused with the graph unchanged; add_const of a non-float
 * dtype; take_output rewires and records provenance. */
static void check_graph_edit(void) {
  rng r = {3};
  builder b = start(&r, "graph edit");
  int x = input(&b, "x", 4, kImg), a = output(&b, "a"), s = output(&b, "s"), t = output(&b, "t");
  named(&b, "relu", "Relu", &x, 1, &a, 1);
  named(&b, "sigmoid", "Sigmoid", &a, 1, &s, 1);
  named(&b, "tanh", "Tanh", &a, 1, &t, 1);
  mark_output(&b, s);
  mark_output(&b, t);
  roof_graph* g = b.g;
  for (int n = 0; n < g->num_nodes; n++) roof_node_add_fused_from(&g->nodes[n], g->nodes[n].name);
  roof_graph_link(g);
  if (roof_edit_take_output(g, 0, 1) != ROOF_E_INTERNAL || g->nodes[0].outputs[0] != a || g->nodes[1].removed) {
    fprintf(stderr, "FAIL graph edit: take_output over a value with two readers was not refused cleanly\n");
    failures++;
  }
  if (roof_edit_take_input(g, 2, 0) != ROOF_E_INTERNAL || g->nodes[2].inputs[0] != a || g->nodes[0].removed) {
    fprintf(stderr, "FAIL graph edit: take_input of a value with two readers was not refused cleanly\n");
    failures++;
  }
  int64_t dims[1] = {3};
  int64_t* d = malloc(3 * sizeof(int64_t));
  for (int i = 0; i < 3; i++) d[i] = i;
  int c = roof_edit_add_const(g, "k", ROOF_DT_INT64, 1, dims, d);
  if (c < 0 || g->values[c].dtype != ROOF_DT_INT64 || g->values[c].nbytes != 24 || !(g->values[c].flags & ROOF_VAL_CONST)) {
    fprintf(stderr, "FAIL graph edit: add_const of 3 int64 values\n");
    failures++;
  }
  g->nodes[2].removed = true; /* now the Sigmoid is the Relu's only reader */
  roof_node* relu = &g->nodes[0];
  if (roof_edit_take_output(g, 0, 1) != ROOF_OK || relu->outputs[0] != s || g->values[s].producer != 0 ||
      g->values[a].producer != -1 || !g->nodes[1].removed || relu->num_fused_from != 2 ||
      strcmp(relu->fused_from[1], "sigmoid") != 0) {
    fprintf(stderr, "FAIL graph edit: take_output did not rewire the Relu to the Sigmoid's output\n");
    failures++;
  }
  printf("%-28s take_output, take_input, add_const\n", "graph edit");
  roof_graph_free(g);
}

/* Planner: an elementwise op writes over whichever input dies there. In
 * z = (u + v) * u with u = Relu(x), v = Sigmoid(x), the Add must take v's buffer (u is read
 * again by the Mul) and the result must still be right. */
static void check_inplace_second_operand(void) {
  rng r = {7};
  builder b = start(&r, "in place");
  int64_t d[4] = {1, 3, 4, 5};
  int x = image(&b, d, false), u = output(&b, "u"), v = output(&b, "v"), y = output(&b, "y"), z = output(&b, "z");
  node(&b, "Relu", &x, 1, &u, 1);
  node(&b, "Sigmoid", &x, 1, &v, 1);
  int ai[2] = {u, v}, mi[2] = {y, u};
  node(&b, "Add", ai, 2, &y, 1);
  node(&b, "Mul", mi, 2, &z, 1);
  mark_output(&b, z);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(b.g, &m, &err);
  roof_session* s = open_session(m, "none", "in place");
  float in[60];
  for (int i = 0; i < 60; i++) in[i] = frand(&r) * 4.0f;
  if (s && run_with(s, in, sizeof(in))) {
    for (int k = 0; k < s->num_steps; k++) {
      const roof_kernel* kk = &s->steps[k].k;
      if (strcmp(kk->node->op_type, "Add") != 0) continue;
      if (kk->out[0].data != kk->in[1].data || kk->out[0].data == kk->in[0].data) {
        fprintf(stderr, "FAIL in place: Add writes %p, u %p, v %p (expected v's buffer)\n", kk->out[0].data,
                kk->in[0].data, kk->in[1].data);
        failures++;
      }
    }
    const float* out = roof_session_output(s, 0);
    for (int i = 0; i < 60; i++) {
      float uu = in[i] > 0 ? in[i] : 0.0f, vv = 1.0f / (1.0f + expf(-in[i])), want = (uu + vv) * uu;
      if (fabsf(out[i] - want) > 1e-5f * (1.0f + fabsf(want))) {
        fprintf(stderr, "FAIL in place: element %d: got %.8g, want %.8g\n", i, out[i], want);
        failures++;
        break;
      }
    }
  }
  roof_session_free(s);
  roof_model_free(m);
}

#define EXPECT(cond, ...)                                            \
  do {                                                               \
    if (!(cond)) {                                                   \
      fprintf(stderr, "FAIL copy (line %d): %s: ", __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                  \
      fprintf(stderr, "\n");                                         \
      failures++;                                                    \
    }                                                                \
  } while (0)

/* Value `name` of m's graph (-1 when absent). */
static const roof_value* find(const roof_model* m, const char* name) {
  int v = roof_graph_find_value(m->g, name);
  return v >= 0 ? &m->g->values[v] : NULL;
}

/* roof_model_copy: one load serves a fused and an unfused session. The copy borrows the
 * loaded buffers (same pointers, never freed through it), owns what its passes make, forgets
 * borrowed buffers on release; the lender keeps what a live copy reads and frees the rest;
 * both sides still compute the same outputs. */
static void check_copy(void) {
  rng r = {7}, ri = {5};
  builder b = start(&r, "copy");
  build_conv_bn(&b);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model *src = NULL, *cp = NULL;
  roof_session *ss = NULL, *sc = NULL;
  roof_error err = {{0}};
  roof_prepare_options fused = {.fusion = "conv_bn"}, none = {.fusion = "none"};
  roof_session_options so = {.threads = 1};
  roof_model_from_graph(b.g, &src, &err);
  const void* w = find(src, "w") ? find(src, "w")->data : NULL;
  EXPECT(w != NULL, "the source holds the conv weight");
  EXPECT(roof_model_copy(src, &cp, &err) == ROOF_OK, "%s", err.message);
  const roof_value* cw = cp ? find(cp, "w") : NULL;
  EXPECT(cw && cw->data == w && (cw->flags & ROOF_VAL_BORROWED), "the copy borrows the weight buffer");
  roof_model* again = NULL;
  EXPECT(cp && roof_model_copy(cp, &again, &err) == ROOF_E_USAGE && again == NULL, "a copy of a copy is refused");
  EXPECT(cp && roof_model_prepare(cp, &fused, &err) == ROOF_OK, "%s", err.message);
  EXPECT(cp && roof_model_release_to_session(cp, &so, &sc, &err) == ROOF_OK, "%s", err.message);
  EXPECT(cp && find(cp, "w")->data == NULL, "the fused copy no longer references the unfused weight");
  EXPECT(find(src, "w")->data == w, "releasing through the copy frees nothing of the source");
  EXPECT(roof_model_copy(src, &again, &err) == ROOF_OK, "%s", err.message);
  EXPECT(roof_model_prepare(src, &none, &err) == ROOF_OK, "%s", err.message);
  roof_model* late = NULL;
  EXPECT(roof_model_copy(src, &late, &err) == ROOF_E_USAGE && late == NULL, "a prepared source is refused");
  EXPECT(roof_model_release_to_session(src, &so, &ss, &err) == ROOF_OK, "%s", err.message);
  EXPECT(find(src, "w")->data == w, "the lender keeps a buffer an unprepared copy still references");
  roof_model_free(again);
  roof_session_free(ss);
  ss = NULL;
  /* Lender released already: only a session of the copy remains possible; the unfused side
   * is rebuilt from a fresh graph for the output comparison below. */
  rng r2 = {7};
  builder b2 = start(&r2, "copy");
  build_conv_bn(&b2);
  b2.g->num_original_nodes = b2.g->num_nodes;
  roof_model* ref = NULL;
  roof_model_from_graph(b2.g, &ref, &err);
  if (ref && roof_model_prepare(ref, &none, &err) == ROOF_OK) roof_session_create(ref, &so, &ss, &err);
  EXPECT(ss != NULL, "%s", err.message);
  if (ss && sc) {
    roof_io_info in, out;
    roof_session_input_info(ss, 0, &in);
    roof_session_output_info(ss, 0, &out);
    float* x = malloc(in.nbytes);
    for (size_t i = 0; i < in.nbytes / sizeof(float); i++) x[i] = frand(&ri);
    if (run_with(ss, x, in.nbytes) && run_with(sc, x, in.nbytes)) {
      const float *ya = roof_session_output(ss, 0), *yb = roof_session_output(sc, 0);
      double worst = 0;
      for (size_t i = 0; i < out.nbytes / sizeof(float); i++) worst = fmax(worst, fabs((double)ya[i] - yb[i]));
      EXPECT(worst < 1e-4, "fused copy vs unfused: max abs error %g", worst);
    } else {
      failures++;
    }
    free(x);
  }
  roof_session_free(ss);
  roof_session_free(sc);
  roof_model_free(cp);
  roof_model_free(ref);
  roof_model_free(src);
  printf("%-28s %-16s borrowed, released through copy and lender\n", "copy", "conv_bn");
}

/* ---- pass qdq: structure of the rewritten graph ---- */

static int scalar_f(builder* b, const char* name, float v) { return typed_const(b, name, ROOF_DT_FLOAT, 0, NULL, &v); }
static int scalar_q(builder* b, const char* name, int dtype, int v) {
  int8_t i8 = (int8_t)v;
  uint8_t u8 = (uint8_t)v;
  return typed_const(b, name, dtype, 0, NULL, dtype == ROOF_DT_INT8 ? (const void*)&i8 : (const void*)&u8);
}

/* Float value v quantized (int8, scale s, zero point 0) by node `qname` and read back by DQ node
 * `dname`: the float op then sees a live DequantizeLinear of an int8 activation. */
static int q_dq(builder* b, int v, float s, const char* qname, const char* dname) {
  int q = output(b, qname), d = output(b, dname);
  int qi[3] = {v, scalar_f(b, "s", s), scalar_q(b, "zp", ROOF_DT_INT8, 0)};
  named(b, qname, "QuantizeLinear", qi, 3, &q, 1);
  int di[3] = {q, qi[1], qi[2]};
  named(b, dname, "DequantizeLinear", di, 3, &d, 1);
  return d;
}

/* A constant int8 weight [dims] (random in [-100, 100]) dequantized per axis 0 by node `dname`
 * with scales 0.004 x (m + 1); *ws gets the scales (dims[0] of them, <= 16). */
static int dq_weight(builder* b, const char* dname, int rank, const int64_t* dims, float* ws) {
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) n *= (uint64_t)dims[i];
  int8_t* w = malloc(n);
  for (uint64_t i = 0; i < n; i++) w[i] = (int8_t)irand(b->r, -100, 100);
  int64_t md[1] = {dims[0]};
  int8_t zp[16] = {0};
  for (int64_t m = 0; m < dims[0]; m++) ws[m] = 0.004f * (float)(m + 1);
  int di[3] = {typed_const(b, "wq", ROOF_DT_INT8, rank, dims, w), typed_const(b, "ws", ROOF_DT_FLOAT, 1, md, ws),
               typed_const(b, "wzp", ROOF_DT_INT8, 1, md, zp)};
  free(w);
  int d = output(b, dname);
  attr_i(named(b, dname, "DequantizeLinear", di, 3, &d, 1), "axis", 0);
  return d;
}

/* An int32 bias [m] dequantized with scale x_scale x ws[m] (zero point absent: 0). */
static int dq_bias(builder* b, const char* dname, int64_t m, float xs, const float* ws) {
  int32_t q[16];
  float sc[16];
  for (int64_t i = 0; i < m; i++) q[i] = irand(b->r, -2000, 2000), sc[i] = xs * ws[i];
  int64_t md[1] = {m};
  int di[2] = {typed_const(b, "bq", ROOF_DT_INT32, 1, md, q), typed_const(b, "bs", ROOF_DT_FLOAT, 1, md, sc)};
  int d = output(b, dname);
  attr_i(named(b, dname, "DequantizeLinear", di, 2, &d, 1), "axis", 0);
  return d;
}

/* The chain's end: Q (uint8 with a Relu or Clip before it, else int8; scale kQdqOutScale) named
 * "q_y", then a DQ "dq_y" to the float graph output. */
static const float kQdqOutScale = 0.05f;
static void q_out(builder* b, int v, bool unsigned_out) {
  int dt = unsigned_out ? ROOF_DT_UINT8 : ROOF_DT_INT8;
  int q = output(b, "yq"), y = output(b, "y");
  int qi[3] = {v, scalar_f(b, "ys", kQdqOutScale), scalar_q(b, "yzp", dt, 0)};
  named(b, "q_y", "QuantizeLinear", qi, 3, &q, 1);
  int di[3] = {q, qi[1], qi[2]};
  named(b, "dq_y", "DequantizeLinear", di, 3, &y, 1);
  mark_output(b, y);
}

static const float kXs = 3.0f / 127;

/* DQ(x), DQ(w), DQ(b) -> Conv 3x3 (6 -> 4 channels) -> Relu -> Q. With `shared_dq` the
 * activation's DQ also feeds a Sigmoid (a second graph output): it must stay. */
static void qdq_conv(builder* b, bool shared_dq) {
  int x = input(b, "x", 4, kImg), c = output(b, "c"), r = output(b, "r");
  int xd = q_dq(b, x, kXs, "q_x", "dq_x");
  float ws[4];
  int64_t wd[4] = {4, 6, 3, 3}, pads[4] = {1, 1, 1, 1};
  int ci[3] = {xd, dq_weight(b, "dq_w", 4, wd, ws), -1};
  ci[2] = dq_bias(b, "dq_b", 4, kXs, ws);
  attr_ints(named(b, "conv", "Conv", ci, 3, &c, 1), "pads", 4, pads);
  named(b, "relu", "Relu", &c, 1, &r, 1);
  q_out(b, r, true);
  if (shared_dq) {
    int sg = output(b, "sg");
    named(b, "sigmoid", "Sigmoid", &xd, 1, &sg, 1);
    mark_output(b, sg);
  }
}
static void build_qdq_conv(builder* b) { qdq_conv(b, false); }
static void build_qdq_conv_shared_dq(builder* b) { qdq_conv(b, true); }

/* DQ(a), DQ(w [5, 16]), DQ(b) -> Gemm(transB) -> Clip(0, 6) -> Q. With `float_out` the Gemm's
 * output is also a graph output, read outside the chain: the Gemm must stay float. */
static void qdq_gemm(builder* b, bool float_out) {
  int64_t ad[2] = {2, 16}, wd[2] = {5, 16};
  int a = input(b, "a", 2, ad), m = output(b, "m"), k = output(b, "k");
  float ws[5];
  int gi[3] = {q_dq(b, a, kXs, "q_a", "dq_a"), dq_weight(b, "dq_w", 2, wd, ws), -1};
  gi[2] = dq_bias(b, "dq_b", 5, kXs, ws);
  attr_i(named(b, "gemm", "Gemm", gi, 3, &m, 1), "transB", 1);
  int ci[3] = {m, scalar_f(b, "lo", 0.0f), scalar_f(b, "hi", 6.0f)};
  named(b, "clip", "Clip", ci, 3, &k, 1);
  q_out(b, k, true);
  if (float_out) mark_output(b, m);
}
static void build_qdq_gemm(builder* b) { qdq_gemm(b, false); }
static void build_qdq_gemm_float_out(builder* b) { qdq_gemm(b, true); }

/* DQ(a) + DQ(b) -> Q; with `float_operand` the second operand is a float input (no DQ). */
static void qdq_add(builder* b, bool float_operand) {
  int a = input(b, "a", 4, kImg), c = input(b, "c", 4, kImg), s = output(b, "s");
  int ai[2] = {q_dq(b, a, kXs, "q_a", "dq_a"), float_operand ? c : q_dq(b, c, 2 * kXs, "q_c", "dq_c")};
  named(b, "add", "Add", ai, 2, &s, 1);
  q_out(b, s, false);
}
static void build_qdq_add(builder* b) { qdq_add(b, false); }
static void build_qdq_add_float(builder* b) { qdq_add(b, true); }

/* DQ -> Conv -> y: the float op's output is not quantized, so nothing is fused. */
static void build_qdq_conv_float_out(builder* b) {
  int x = input(b, "x", 4, kImg), y = output(b, "y");
  float ws[4];
  int64_t wd[4] = {4, 6, 3, 3};
  int ci[2] = {q_dq(b, x, kXs, "q_x", "dq_x"), dq_weight(b, "dq_w", 4, wd, ws)};
  named(b, "conv", "Conv", ci, 2, &y, 1);
  mark_output(b, y);
}

/* DQ(x) -> MaxPool 3x3 s2 p1 -> Q: with `same_scale` the Q's scale and zero point are the DQ's
 * (one int8 MaxPool), else the pool stays float. */
static void qdq_maxpool(builder* b, bool same_scale) {
  int x = input(b, "x", 4, kImg), p = output(b, "p");
  int xd = q_dq(b, x, same_scale ? kQdqOutScale : kXs, "q_x", "dq_x");
  int64_t ks[2] = {3, 3}, st[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
  roof_node* n = named(b, "pool", "MaxPool", &xd, 1, &p, 1);
  attr_ints(n, "kernel_shape", 2, ks);
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "pads", 4, pads);
  q_out(b, p, false);
}
static void build_qdq_maxpool(builder* b) { qdq_maxpool(b, true); }
static void build_qdq_maxpool_rescaled(builder* b) { qdq_maxpool(b, false); }

/* DQ(x) -> GlobalAveragePool -> Relu -> Q (scales differ: QLinearGlobalAveragePool takes any) */
static void build_qdq_gap(builder* b) {
  int x = input(b, "x", 4, kImg), p = output(b, "p"), r = output(b, "r");
  int xd = q_dq(b, x, kXs, "q_x", "dq_x");
  named(b, "gap", "GlobalAveragePool", &xd, 1, &p, 1);
  named(b, "relu", "Relu", &p, 1, &r, 1);
  q_out(b, r, true);
}

/* DQ(a) * DQ(c) -> Q (EfficientNet's SiLU product and squeeze-and-excitation gate) */
static void build_qdq_mul(builder* b) {
  int a = input(b, "a", 4, kImg), c = input(b, "c", 4, kImg), s = output(b, "s");
  int ai[2] = {q_dq(b, a, kXs, "q_a", "dq_a"), q_dq(b, c, 2 * kXs, "q_c", "dq_c")};
  named(b, "mul", "Mul", ai, 2, &s, 1);
  q_out(b, s, false);
}

/* DQ(x) -> Sigmoid or LeakyRelu(alpha 0.2) [-> Relu] -> Q: with the Relu it stays float (the
 * integer ops have no clamp of their own) */
static void qdq_unary(builder* b, bool leaky, bool relu) {
  int x = input(b, "x", 4, kImg), s = output(b, "s"), r = output(b, "r");
  int xd = q_dq(b, x, kXs, "q_x", "dq_x");
  roof_node* n = named(b, "act", leaky ? "LeakyRelu" : "Sigmoid", &xd, 1, &s, 1);
  if (leaky) attr_f(n, "alpha", 0.2f);
  if (relu) named(b, "relu", "Relu", &s, 1, &r, 1);
  q_out(b, relu ? r : s, false);
}
static void build_qdq_sigmoid(builder* b) { qdq_unary(b, false, false); }
static void build_qdq_leaky(builder* b) { qdq_unary(b, true, false); }
static void build_qdq_sigmoid_relu(builder* b) { qdq_unary(b, false, true); }

/* A SiLU as quantizers write it: DQ(x) -> Sigmoid -> Q -> DQ, times DQ(x) -> Q; with
 * `gate_out` the gate is also a graph output, so only the Sigmoid and the Mul are fused */
static void qdq_swish(builder* b, bool gate_out) {
  int x = input(b, "x", 4, kImg), s = output(b, "s"), m = output(b, "m");
  int xd = q_dq(b, x, kXs, "q_x", "dq_x");
  named(b, "sig", "Sigmoid", &xd, 1, &s, 1);
  int mi[2] = {xd, q_dq(b, s, 1.0f / 128, "q_s", "dq_s")};
  named(b, "mul", "Mul", mi, 2, &m, 1);
  q_out(b, m, false);
  if (gate_out) mark_output(b, mi[1]);
}
static void build_qdq_swish(builder* b) { qdq_swish(b, false); }
static void build_qdq_swish_gate_out(builder* b) { qdq_swish(b, true); }

/* The fused layer's activation and clamp flag, wherever its params keep them (a MaxPool: the
 * roof_act its params begin with, fused_act.h). */
static void fused_act_of(const roof_node* n, roof_act* act, int* clamp) {
  if (strcmp(n->op->domain, "com.microsoft") == 0 || n->op->id == ROOF_OP_QLinearSwish) { /* roof_qlinear_ms_params */
    *act = ((const roof_qlinear_ms_params*)n->params)->act;
    *clamp = ((const roof_qlinear_ms_params*)n->params)->clamp;
  } else if (strncmp(n->op_type, "QLinear", 7) == 0) {
    *act = ((const roof_quant_params*)n->params)->act;
    *clamp = ((const roof_quant_params*)n->params)->clamp;
  } else {
    *act = *(const roof_act*)n->params;
    *clamp = !(isinf(act->min) && isinf(act->max));
  }
}

/* What the qdq pass must make of a graph: the integer op (NULL: none may run), the names it
 * must list in fused_from (exactly these), its activation range, and op types that must still
 * run (NULL-terminated). */
typedef struct qdq_expect {
  const char* op;
  const char* fused[8]; /* NULL-terminated: at most 7 */
  float act_min, act_max;
  const char* kept[4]; /* NULL-terminated: at most 3 */
} qdq_expect;

static void fail_qdq(const char* label, const char* what) {
  fprintf(stderr, "FAIL qdq %s: %s\n", label, what);
  failures++;
}

static bool step_runs(const roof_session* s, const char* op_type) {
  for (int k = 0; k < s->num_steps; k++)
    if (strcmp(s->steps[k].k.node->op_type, op_type) == 0) return true;
  return false;
}

/* The fused layer's node, its fused_from and activation against e; kept ops still run; every
 * original name once in provenance; every output within one output quantum of the unfused
 * graph's (the integer kernel rounds once, the float chain twice). */
static void check_qdq(const char* label, build_fn build, const qdq_expect* e) {
  rng ri = {5};
  roof_model* m[2];
  roof_session* ss[2];
  open_pair(label, "qdq", build, 17, m, ss);
  roof_session *sa = ss[0], *sb = ss[1];
  if (sa && sb) {
    const roof_node* fused = NULL;
    for (int k = 0; k < sb->num_steps; k++) {
      const roof_node* n = sb->steps[k].k.node;
      if (e->op && strcmp(n->op_type, e->op) == 0) fused = n;
      if (!e->op && strncmp(n->op_type, "QLinear", 7) == 0) fail_qdq(label, "an integer layer was made");
    }
    for (int i = 0; e->kept[i]; i++) {
      if (!step_runs(sb, e->kept[i])) {
        char why[96];
        snprintf(why, sizeof(why), "the %s no longer runs", e->kept[i]);
        fail_qdq(label, why);
      }
    }
    if (e->op && fused == NULL) fail_qdq(label, "no integer layer");
    for (int k = 0; !e->op && k < sb->num_steps; k++) { /* left alone: the chain's Q still runs on its own */
      const roof_node* n = sb->steps[k].k.node;
      for (int f = 0; f < n->num_fused_from; f++)
        if (strcmp(n->fused_from[f], "q_y") == 0 && strcmp(n->name, "q_y") != 0) fail_qdq(label, "the chain's Q was fused");
    }
    if (fused) {
      int want = 0;
      for (; e->fused[want]; want++) {
        bool found = false;
        for (int f = 0; f < fused->num_fused_from; f++) found = found || strcmp(fused->fused_from[f], e->fused[want]) == 0;
        if (!found) fprintf(stderr, "FAIL qdq %s: %s does not list %s\n", label, e->op, e->fused[want]), failures++;
      }
      if (fused->num_fused_from != want) {
        fprintf(stderr, "FAIL qdq %s: %s stands for %d nodes, want %d\n", label, e->op, fused->num_fused_from, want);
        failures++;
      }
      roof_act act;
      int clamp;
      fused_act_of(fused, &act, &clamp);
      if (act.min != e->act_min || act.max != e->act_max || clamp != !(isinf(e->act_min) && isinf(e->act_max))) {
        fprintf(stderr, "FAIL qdq %s: activation [%g, %g] clamp %d, want [%g, %g]\n", label, act.min, act.max, clamp,
                e->act_min, e->act_max);
        failures++;
      }
    }
    check_provenance(sb, label);
    for (size_t i = 0; i < roof_session_num_inputs(sa); i++) {
      roof_io_info in;
      roof_session_input_info(sa, i, &in);
      float* x = malloc(in.nbytes);
      for (size_t k = 0; k < in.nbytes / sizeof(float); k++) x[k] = frand(&ri) * 3.0f;
      roof_error e2 = {{0}};
      if (roof_session_set_input(sa, i, x, in.nbytes, &e2) != ROOF_OK || roof_session_set_input(sb, i, x, in.nbytes, &e2) != ROOF_OK)
        fail_qdq(label, e2.message);
      free(x);
    }
    roof_error e3 = {{0}};
    if (roof_session_run(sa, NULL, &e3) != ROOF_OK || roof_session_run(sb, NULL, &e3) != ROOF_OK) {
      fail_qdq(label, e3.message);
    } else {
      roof_io_info out;
      roof_session_output_info(sa, 0, &out);
      const float *ya = roof_session_output(sa, 0), *yb = roof_session_output(sb, 0);
      for (size_t k = 0; k < out.nbytes / sizeof(float); k++) {
        if (fabs((double)ya[k] - yb[k]) <= 1.01 * kQdqOutScale) continue;
        fprintf(stderr, "FAIL qdq %s: element %zu: unfused %.8g, qdq %.8g\n", label, k, ya[k], yb[k]);
        failures++;
        break;
      }
    }
    printf("%-28s %-16s kernels %d -> %d\n", label, "qdq", sa->num_steps, sb->num_steps);
  }
  close_pair(m, ss);
}

static void check_pass_qdq(void) {
  const float inf = INFINITY;
  check_qdq("DQ -> Conv -> Relu -> Q", build_qdq_conv,
            &(qdq_expect){"QLinearConv", {"conv", "relu", "q_y", "dq_x"}, 0.0f, inf, {"QuantizeLinear", "DequantizeLinear"}});
  /* the Sigmoid still reads the activation's DQ: the Conv is fused, the DQ stays */
  check_qdq("DQ(2 readers) -> Conv -> Q", build_qdq_conv_shared_dq,
            &(qdq_expect){"QLinearConv", {"conv", "relu", "q_y"}, 0.0f, inf, {"DequantizeLinear", "Sigmoid"}});
  check_qdq("DQ -> Gemm -> Clip -> Q", build_qdq_gemm,
            &(qdq_expect){"QLinearMatMul", {"gemm", "clip", "q_y", "dq_a"}, 0.0f, 6.0f, {"QuantizeLinear"}});
  check_qdq("DQ -> Gemm(2 readers) -> Q", build_qdq_gemm_float_out, &(qdq_expect){NULL, {NULL}, 0, 0, {"Gemm", "Clip"}});
  check_qdq("DQ + DQ -> Add -> Q", build_qdq_add,
            &(qdq_expect){"QLinearAdd", {"add", "q_y", "dq_a", "dq_c"}, -inf, inf, {"DequantizeLinear"}});
  check_qdq("DQ + float -> Add -> Q", build_qdq_add_float, &(qdq_expect){NULL, {NULL}, 0, 0, {"Add"}});
  check_qdq("DQ -> Conv -> float output", build_qdq_conv_float_out, &(qdq_expect){NULL, {NULL}, 0, 0, {"Conv"}});
  check_qdq("DQ -> MaxPool -> Q (same scale)", build_qdq_maxpool,
            &(qdq_expect){"MaxPool", {"pool", "q_y", "dq_x"}, -inf, inf, {"DequantizeLinear"}});
  check_qdq("DQ -> MaxPool -> Q (rescaled)", build_qdq_maxpool_rescaled,
            &(qdq_expect){NULL, {NULL}, 0, 0, {"MaxPool", "QuantizeLinear"}});
  check_qdq("DQ -> GlobalAveragePool -> Relu -> Q", build_qdq_gap,
            &(qdq_expect){"QLinearGlobalAveragePool", {"gap", "relu", "q_y", "dq_x"}, 0.0f, inf, {"DequantizeLinear"}});
  check_qdq("DQ * DQ -> Mul -> Q", build_qdq_mul,
            &(qdq_expect){"QLinearMul", {"mul", "q_y", "dq_a", "dq_c"}, -inf, inf, {"DequantizeLinear"}});
  check_qdq("DQ -> Sigmoid -> Q", build_qdq_sigmoid,
            &(qdq_expect){"QLinearSigmoid", {"act", "q_y", "dq_x"}, -inf, inf, {"DequantizeLinear"}});
  check_qdq("DQ -> LeakyRelu -> Q", build_qdq_leaky,
            &(qdq_expect){"QLinearLeakyRelu", {"act", "q_y", "dq_x"}, -inf, inf, {"DequantizeLinear"}});
  check_qdq("DQ -> Sigmoid -> Q -> DQ, * DQ -> Q (SiLU)", build_qdq_swish,
            &(qdq_expect){"QLinearSwish", {"mul", "q_y", "dq_s", "dq_x", "sig", "q_s"}, -inf, inf, {"QuantizeLinear"}});
  check_qdq("SiLU with the gate a graph output", build_qdq_swish_gate_out,
            &(qdq_expect){"QLinearMul", {"mul", "q_y", "dq_x"}, -inf, inf, {"QLinearSigmoid", "DequantizeLinear"}});
  check_qdq("DQ -> Sigmoid -> Relu -> Q", build_qdq_sigmoid_relu,
            &(qdq_expect){NULL, {NULL}, 0, 0, {"Sigmoid", "Relu", "QuantizeLinear"}});
}

int main(void) {
  check_pass("Identity", "identity", build_identity, true);
  check_pass("Pad(0) -> Transpose(id)", "identity", build_noop_pad_transpose, true);
  check_kept("Pad(crop 1, pad 1)", "identity", build_pad_crop, "Pad");
  check_pass("Flatten -> Reshape", "reshape_chain", build_reshape_chain, true);
  check_pass("Pad -> Conv", "pad", build_pad, false);
  check_pass("MatMul -> Add", "matmul_add", build_matmul_add, false);
  check_pass("MatMul(rank 3) -> Add", "matmul_add", build_matmul_add3, false);
  check_pass("MatMul(rank 3) -> Add(1x1x1)", "matmul_add", build_matmul_add3_one, false);
  check_kept("MatMul(rank 3) -> Add(7x1)", "matmul_add", build_matmul_add3_rows, "Add");
  check_pass("Pad(axes) -> Conv", "pad", build_pad_axes, false);
  check_kept("Pad(value 1) -> Conv", "pad", build_pad_value, "Pad");
  check_kept("Pad(reflect) -> Conv", "pad", build_pad_reflect, "Pad");
  check_pass("Conv -> BN", "conv_bn", build_conv_bn, false);
  check_pass("Conv -> BN(eps 0.25)", "conv_bn", build_conv_bn_eps, false);
  check_pass("ConvT(group 2) -> BN", "conv_bn", build_convt_bn, false);
  check_pass("Gemm(beta 0.5) -> BN", "conv_bn", build_gemm_bn, false);
  check_pass("Conv -> Relu -> BN", "conv_bn,activation", build_conv_relu_bn, false);
  check_pass("Clip/Add+Relu/HardSigmoid/Pool", "activation", build_activations, false);
  check_pass("BN -> Relu", "activation", build_bn_relu, false);
  check_pass("BN -> Relu (rank 3)", "activation", build_bn_relu_rank3, false);
  check_pass("BN -> Clip(-1, 2)", "activation", build_bn_clip, false);
  check_fused_reference("BN -> Relu", "activation", build_bn_relu);
  check_fused_reference("BN -> Relu (rank 3)", "activation", build_bn_relu_rank3);
  check_fused_reference("BN -> Clip(-1, 2)", "activation", build_bn_clip);
  check_pass("Conv1x1 -> Add -> Relu", "activation,residual", build_residual, false);
  check_pass("Conv1x1 -> Add -> Relu (all)", "all", build_residual, false);
  check_kept("Conv3x3 -> Add", "residual", build_residual_3x3, "Add");
  check_kept("Conv1x1 -> Add -> BN", "residual,conv_bn", build_residual_bn, "BatchNormalization");
  check_pass("x * Sigmoid(x)", "swish", build_swish, false);
  check_pass("x * HardSigmoid(x)", "hardswish", build_hardswish, false);
  check_pass("GELU (erf form)", "gelu", build_gelu, false);
  check_pass("GELU (x * 0.5 first)", "gelu", build_gelu_half_first, false);
  check_kept("GELU-like, * 0.6", "gelu", build_not_gelu, "Erf");
  check_pass("channel shuffle", "channel_shuffle", build_shuffle, true);
  check_kept("perm (0,2,1,4,3)", "channel_shuffle", build_not_shuffle, "Transpose");
  check_pass("LayerNorm (Pow, affine)", "layer_norm", build_ln_pow, false);
  check_pass("LayerNorm (d * d)", "layer_norm", build_ln_mul, false);
  check_pass("LayerNorm (Reciprocal)", "layer_norm", build_ln_recip, false);
  check_pass("LayerNorm (no affine)", "layer_norm", build_ln_bare, false);
  check_kept("LayerNorm over axis 1", "layer_norm", build_ln_axis1, "ReduceMean");
  check_kept("LayerNorm, x - mean shared", "layer_norm", build_ln_shared, "ReduceMean");
  check_kept("LayerNorm, eps not constant", "layer_norm", build_ln_eps_input, "ReduceMean");
  check_pass("attention (PyTorch form)", "attention", build_attn_torch, false);
  check_pass("attention (scaled scores)", "attention", build_attn_scores_scale, false);
  check_kept("attention, scale activation", "attention", build_attn_scale_input, "Softmax");
  check_kept("attention, softmax axis 1", "attention", build_attn_axis1, "Softmax");
  check_kept("attention, scores shared", "attention", build_attn_shared, "Softmax");
  check_graph_edit();
  check_inplace_second_operand();
  check_copy();
  check_pass_qdq();
  if (failures) {
    fprintf(stderr, "test_passes: %d failures\n", failures);
    return 1;
  }
  printf("test_passes: ok\n");
  return 0;
}
