/* Differential op tests: every XNNPACK-backed (or hand-optimized) kernel against its reference
 * kernel on random shapes, odd channel counts, strides, dilations, groups and broadcasting.
 * Each case is a small graph run twice on the same input: once with the fast kernels (which
 * must actually be taken) and once with --reference. A case can be preceded by a 1x1 MaxPool
 * so that the op under test sees NHWC activations. Fails at the first bad element with its
 * coordinates. usage: test_ops [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "vec_math.h"

/* ---- running a case ---- */

static int failures, cases;

/* The fast session runs last and the model's weights its kernels packed are released before
 * it runs: the run then proves that no kernel reads a released initializer. Cases alternate
 * between releasing as the kernels pack (roof_model_release_to_session) and after they all
 * exist (roof_model_release_weights), so that both ways are proved. */
static int last_fast_backend = -1; /* backend of the op's fast kernel in the last session */

static bool run_session(roof_model* m, bool reference, const float* in, size_t in_bytes, float** out,
                        size_t* out_count, const char* op, bool* took_fast) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = 2, .force_reference = reference};
  bool streaming = !reference && cases % 2 == 1;
  roof_status st = streaming ? roof_model_release_to_session(m, &so, &s, &err) : roof_session_create(m, &so, &s, &err);
  if (st == ROOF_OK && !reference && !streaming) st = roof_model_release_weights(m, s, &err);
  if (st != ROOF_OK) {
    fprintf(stderr, "session: %s\n", err.message);
    roof_session_free(s);
    return false;
  }
  *took_fast = false;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (strcmp(k->node->op_type, op) == 0 && k->impl && k->impl->backend != ROOF_BACKEND_REF) {
      *took_fast = true;
      last_fast_backend = k->impl->backend;
    }
  }
  bool ok = roof_session_set_input(s, 0, in, in_bytes, &err) == ROOF_OK && roof_session_run(s, NULL, &err) == ROOF_OK;
  if (!ok) fprintf(stderr, "run: %s\n", err.message);
  roof_io_info info;
  roof_session_output_info(s, 0, &info);
  *out_count = info.nbytes / sizeof(float);
  *out = malloc(info.nbytes + 1);
  if (ok) memcpy(*out, roof_session_output(s, 0), info.nbytes);
  roof_session_free(s);
  return ok;
}

/* ROOFTOP_NO_NATIVE=1: native kernels are off, so an op whose only fast kernel is native runs
 * on its reference kernel (the comparison still holds). */
static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

static bool only_native(const char* op) {
  bool xnn = false;
  for (size_t i = 0; i < roof_kernel_impl_count(); i++) {
    const roof_kernel_impl* e = roof_kernel_impl_at(i);
    const roof_op_schema* s = roof_op_schema_of(e->op);
    if (strcmp(s->op_type, op) == 0 && e->backend == ROOF_BACKEND_XNNPACK) xnn = true;
  }
  return !xnn;
}

/* Runs the graph both ways and compares; `op` is the op whose fast path must be taken. */
static void check_fused(builder* b, const char* op, bool expect_fast, const char* fusion);
static void check(builder* b, const char* op, bool expect_fast) { check_fused(b, op, expect_fast, "none"); }

static void check_fused(builder* b, const char* op, bool expect_fast, const char* fusion) {
  cases++;
  roof_graph* g = b->g;
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(g, &m, &err);
  roof_prepare_options po = {.fusion = fusion};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", b->label, err.message);
    failures++;
    roof_model_free(m);
    return;
  }
  roof_io_info info;
  const roof_value* x = &m->g->values[m->g->inputs[0]];
  uint64_t n = 1;
  for (int i = 0; i < x->rank; i++) n *= (uint64_t)x->dims[i];
  float* in = malloc(sizeof(float) * n);
  for (uint64_t i = 0; i < n; i++) in[i] = frand(b->r);
  (void)info;
  float *fast = NULL, *ref = NULL;
  size_t nf = 0, nr = 0;
  bool took_fast = false, took_ref = false;
  bool ok = run_session(m, true, in, n * sizeof(float), &ref, &nr, op, &took_ref) &&
            run_session(m, false, in, n * sizeof(float), &fast, &nf, op, &took_fast);
  if (!ok || nf != nr) {
    fprintf(stderr, "FAIL %s: session failed\n", b->label);
    failures++;
  } else if (expect_fast && !took_fast && !(native_off() && only_native(op))) {
    fprintf(stderr, "FAIL %s: the fast kernel of %s was not taken\n", b->label, op);
    failures++;
  } else {
    const roof_value* y = &m->g->values[m->g->outputs[0]];
    double mag = 0;
    for (size_t i = 0; i < nr; i++) mag = fmax(mag, fabs(ref[i]));
    for (size_t i = 0; i < nr; i++) {
      if (isnan(fast[i]) && isnan(ref[i])) continue; /* Sqrt, Log of a negative */
      if (fabs((double)fast[i] - ref[i]) <= 1e-5 * mag + 1e-4 * fabs(ref[i]) + 1e-6) continue;
      int64_t idx[ROOF_MAX_RANK];
      size_t rem = i;
      for (int d = y->rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)(rem % (size_t)y->dims[d]);
        rem /= (size_t)y->dims[d];
      }
      char c[96];
      fprintf(stderr, "FAIL %s: element [%s]: fast %.8g, reference %.8g\n", b->label,
              roof_shape_str(idx, y->rank, c, sizeof(c)), fast[i], ref[i]);
      failures++;
      break;
    }
  }
  free(in);
  free(fast);
  free(ref);
  roof_model_free(m);
}

/* ---- cases ---- */

static void conv_case(rng* r, int i) {
  char label[160];
  int64_t N = irand(r, 1, 2), C = irand(r, 1, 19), H = irand(r, 5, 17), W = irand(r, 5, 17);
  int kind = i % 3; /* 0 dense, 1 depthwise, 2 grouped */
  int64_t groups = kind == 1 ? C : (kind == 2 && C % 2 == 0 ? 2 : 1);
  int64_t M = kind == 1 ? C * irand(r, 1, 2) : groups * irand(r, 1, 9);
  int64_t k = irand(r, 1, 3) * 2 - 1, s = irand(r, 1, 3), d = irand(r, 1, 2);
  if ((k - 1) * d + 1 > H || (k - 1) * d + 1 > W) d = 1;
  int64_t pads[4] = {irand(r, 0, 2), irand(r, 0, 2), irand(r, 0, 2), irand(r, 0, 2)};
  snprintf(label, sizeof(label), "Conv#%d x %lldx%lldx%lldx%lld w %lldx%lldx%lldx%lld s%lld d%lld g%lld", i, (long long)N,
           (long long)C, (long long)H, (long long)W, (long long)M, (long long)(C / groups), (long long)k, (long long)k,
           (long long)s, (long long)d, (long long)groups);
  builder b = start(r, label);
  int64_t xd[4] = {N, C, H, W}, wd[4] = {M, C / groups, k, k}, bd[1] = {M};
  int ins[3] = {image(&b, xd, false), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, i % 4 == 3 ? 2 : 3, &y, 1);
  int64_t st[2] = {s, s}, dil[2] = {d, d};
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "dilations", 2, dil);
  if (i % 5 == 4) attr_s(n, "auto_pad", "SAME_UPPER");
  else attr_ints(n, "pads", 4, pads);
  attr_i(n, "group", groups);
  mark_output(&b, y);
  check(&b, "Conv", true);
}

/* Convolutions with more weight bytes than half of an L2 cache: the XNNPACK path runs them as
 * output-channel slices (uneven last slice included), which must be invisible in the result. */
static void conv_wide_case(rng* r, int64_t C, int64_t M, int64_t k) {
  char label[96];
  snprintf(label, sizeof(label), "Conv wide x 1x%lldx6x7 w %lldx%lldx%lldx%lld (sliced)", (long long)C, (long long)M,
           (long long)C, (long long)k, (long long)k);
  builder b = start(r, label);
  int64_t xd[4] = {1, C, 6, 7}, wd[4] = {M, C, k, k}, bd[1] = {M}, pads[4] = {k / 2, k / 2, k / 2, k / 2};
  int ins[3] = {image(&b, xd, true), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, 3, &y, 1);
  attr_ints(n, "pads", 4, pads);
  mark_output(&b, y);
  check(&b, "Conv", true);
}

/* Few-channel convolutions (a stem): windows over every border, strides, dilation, asymmetric
 * pads. */
static void conv_stem_case(rng* r, int64_t C, int64_t H, int64_t W, int64_t k, int64_t s, int64_t d, const int64_t* pads) {
  char label[128];
  snprintf(label, sizeof(label), "Conv stem x 1x%lldx%lldx%lld w 16x%lldx%lldx%lld s%lld d%lld", (long long)C,
           (long long)H, (long long)W, (long long)C, (long long)k, (long long)k, (long long)s, (long long)d);
  builder b = start(r, label);
  int64_t xd[4] = {1, C, H, W}, wd[4] = {16, C, k, k}, bd[1] = {16}, st[2] = {s, s}, dil[2] = {d, d};
  int ins[3] = {image(&b, xd, false), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, 3, &y, 1);
  attr_ints(n, "pads", 4, pads);
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "dilations", 2, dil);
  mark_output(&b, y);
  check(&b, "Conv", true);
}

static void convt_case(rng* r, int i) {
  char label[128];
  int64_t C = irand(r, 1, 8), H = irand(r, 3, 9), M = irand(r, 1, 8), k = irand(r, 2, 4), s = irand(r, 1, 3);
  snprintf(label, sizeof(label), "ConvTranspose#%d C%lld H%lld M%lld k%lld s%lld", i, (long long)C, (long long)H, (long long)M,
           (long long)k, (long long)s);
  builder b = start(r, label);
  int64_t xd[4] = {1, C, H, H + 1}, wd[4] = {C, M, k, k}, bd[1] = {M};
  int ins[3] = {image(&b, xd, false), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "ConvTranspose", ins, 3, &y, 1);
  int64_t st[2] = {s, s}, pads[4] = {0, 1, 1, 0}, op[2] = {s > 1 ? 1 : 0, 0};
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "pads", 4, pads);
  attr_ints(n, "output_padding", 2, op);
  mark_output(&b, y);
  check(&b, "ConvTranspose", true);
}

static void gemm_case(rng* r, int i) {
  char label[96];
  int64_t M = irand(r, 1, 5), K = irand(r, 1, 40), N = irand(r, 1, 33);
  int tb = i % 2;
  snprintf(label, sizeof(label), "Gemm#%d %lldx%lld * %lldx%lld transB %d", i, (long long)M, (long long)K, (long long)K,
           (long long)N, tb);
  builder b = start(r, label);
  int64_t ad[2] = {M, K}, bd[2] = {tb ? N : K, tb ? K : N}, cd[1] = {N};
  int ins[3] = {input(&b, "a", 2, ad), constant(&b, "bm", 2, bd), constant(&b, "c", 1, cd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Gemm", ins, 3, &y, 1);
  attr_i(n, "transB", tb);
  attr_f(n, "alpha", 0.5f + (float)(i % 3));
  attr_f(n, "beta", 1.5f);
  mark_output(&b, y);
  check(&b, "Gemm", true);

  builder m = start(r, "MatMul batched");
  int64_t a3[3] = {2, M, K}, b2[2] = {K, N};
  int mi[2] = {input(&m, "a", 3, a3), constant(&m, "bm", 2, b2)};
  int my = output(&m, "y");
  node(&m, "MatMul", mi, 2, &my, 1);
  mark_output(&m, my);
  check(&m, "MatMul", true);
}

static void pool_case(rng* r, int i) {
  char label[128];
  bool is_max = i % 2 == 0;
  int64_t C = irand(r, 1, 13), H = irand(r, 4, 15), k = irand(r, 2, 3), s = irand(r, 1, 2);
  int ceil_mode = i % 3 == 0;
  snprintf(label, sizeof(label), "%s#%d C%lld H%lld k%lld s%lld ceil %d", is_max ? "MaxPool" : "AveragePool", i, (long long)C,
           (long long)H, (long long)k, (long long)s, ceil_mode);
  builder b = start(r, label);
  int64_t xd[4] = {1, C, H, H + 2};
  int x = image(&b, xd, false), y = output(&b, "y");
  roof_node* n = node(&b, is_max ? "MaxPool" : "AveragePool", &x, 1, &y, 1);
  int64_t kk[2] = {k, k}, st[2] = {s, s}, pads[4] = {i % 2, 0, i % 2, 1};
  attr_ints(n, "kernel_shape", 2, kk);
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "pads", 4, pads);
  attr_i(n, "ceil_mode", ceil_mode);
  mark_output(&b, y);
  check(&b, is_max ? "MaxPool" : "AveragePool", true);
}

static void unary_case(rng* r, const char* op, bool fast) {
  char label[96];
  int64_t xd[4] = {irand(r, 1, 2), irand(r, 1, 17), irand(r, 1, 9), irand(r, 1, 9)};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    snprintf(label, sizeof(label), "%s %s", op, nhwc ? "nhwc" : "plain");
    builder b = start(r, label);
    int x = image(&b, xd, nhwc), y = output(&b, "y");
    roof_node* n = node(&b, op, &x, 1, &y, 1);
    if (strcmp(op, "LeakyRelu") == 0) attr_f(n, "alpha", 0.1f);
    if (strcmp(op, "ThresholdedRelu") == 0) attr_f(n, "alpha", 0.25f); /* inputs are in [-1, 1) */
    if (strcmp(op, "Selu") == 0 || strcmp(op, "Celu") == 0) attr_f(n, "alpha", 1.5f);
    mark_output(&b, y);
    check(&b, op, fast);
  }
}

/* Round on exact ties (multiples of 0.5, from floor(8x) / 2): half to even on both kernels. */
static void round_ties_case(rng* r) {
  builder b = start(r, "Round ties (after Floor)");
  int64_t xd[4] = {1, 7, 5, 6}, one[1] = {1};
  int x = image(&b, xd, false), k8 = constant(&b, "k8", 1, one), kh = constant(&b, "kh", 1, one);
  ((float*)b.g->values[k8].data)[0] = 8.0f;
  ((float*)b.g->values[kh].data)[0] = 0.5f;
  int s = output(&b, "s"), f = output(&b, "f"), h = output(&b, "h"), y = output(&b, "y");
  int m1[2] = {x, k8}, m2[2] = {f, kh};
  node(&b, "Mul", m1, 2, &s, 1);
  node(&b, "Floor", &s, 1, &f, 1);
  node(&b, "Mul", m2, 2, &h, 1);
  node(&b, "Round", &h, 1, &y, 1);
  mark_output(&b, y);
  check(&b, "Round", true);
}

static void binary_case(rng* r, const char* op, int i) {
  static const int64_t kShapes[][4] = {{1, 1, 1, 1}, {1, 7, 1, 1}, {1, 1, 5, 6}, {1, 7, 5, 6}, {1, 1, 1, 6}, {1, 7, 5, 1}};
  int s = i % 6;
  int64_t xd[4] = {1, 7, 5, 6};
  char label[96];
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    snprintf(label, sizeof(label), "%s %s const %lldx%lldx%lldx%lld", op, nhwc ? "nhwc" : "plain", (long long)kShapes[s][0],
             (long long)kShapes[s][1], (long long)kShapes[s][2], (long long)kShapes[s][3]);
    builder b = start(r, label);
    int ins[2] = {image(&b, xd, nhwc), constant(&b, "c", 4 - (i % 2), kShapes[s] + (i % 2))};
    if (i % 3 == 2) {
      int t = ins[0];
      ins[0] = ins[1];
      ins[1] = t;
    }
    int y = output(&b, "y");
    node(&b, op, ins, 2, &y, 1);
    mark_output(&b, y);
    check(&b, op, true);
  }
}

/* check_fused, and the op must have run on its native entry (unless native kernels are off). */
static void check_native(builder* b, const char* op, const char* fusion) {
  last_fast_backend = -1;
  check_fused(b, op, true, fusion);
  if (!native_off() && last_fast_backend != ROOF_BACKEND_NATIVE) {
    fprintf(stderr, "FAIL %s: ran on backend %d, not the native kernel\n", b->label, last_fast_backend);
    failures++;
  }
}

/* Broadcasts of the native arith kernel (dense operand and a [O, 1, I] one): the
 * squeeze-excitation scale x * GlobalAveragePool(x) in NHWC (O = N, I = C), either operand
 * order, with a fused clamp for Add; a per-channel constant over plain NCHW data (I = 1). Large
 * enough to run on the pool. The native entry must take them. */
static void bcast_cases(rng* r) {
  static const char* const kOps[] = {"Add", "Sub", "Mul", "Div"};
  int64_t xd[4] = {2, 24, 19, 23};
  for (int i = 0; i < 8; i++) {
    const char* op = kOps[i % 4];
    bool swap = i >= 4;
    char label[96];
    snprintf(label, sizeof(label), "%s nhwc x %s GlobalAveragePool(x) 2x24x19x23", op, swap ? "(swapped)" : "and");
    builder b = start(r, label);
    int x = image(&b, xd, true), s = output(&b, "s"), y = output(&b, "y");
    node(&b, "GlobalAveragePool", &x, 1, &s, 1);
    int ins[2] = {swap ? s : x, swap ? x : s};
    if (i == 0) { /* Add then Relu: the activation pass makes it the Add's fused clamp */
      int t = output(&b, "t");
      node(&b, op, ins, 2, &t, 1);
      node(&b, "Relu", &t, 1, &y, 1);
    } else {
      node(&b, op, ins, 2, &y, 1);
    }
    mark_output(&b, y);
    check_native(&b, op, "activation");

    snprintf(label, sizeof(label), "%s plain x per-channel constant 2x24x19x23", op);
    builder c = start(r, label);
    int64_t cd[3] = {24, 1, 1};
    int cx = image(&c, xd, false), ck = constant(&c, "k", 3, cd), cy = output(&c, "y");
    int cins[2] = {swap ? ck : cx, swap ? cx : ck};
    node(&c, op, cins, 2, &cy, 1);
    mark_output(&c, cy);
    check_native(&c, op, "none");
  }
}

/* Resize of the spatial axes by (sh, sw) with the given modes; a fast kernel must take it when
 * `fast` says so. */
static void resize_case(rng* r, const int64_t* xd, const char* mode, const char* coord, const char* nearest, float sh,
                        float sw, bool fast) {
  char label[128];
  snprintf(label, sizeof(label), "Resize %s %s %s x%gx%g", mode, coord, nearest, sh, sw);
  builder b = start(r, label);
  int x = image(&b, xd, false), y = output(&b, "y");
  int64_t sd[1] = {4};
  int sc = constant(&b, "scales", 1, sd);
  float* scales = b.g->values[sc].data;
  scales[0] = scales[1] = 1.0f;
  scales[2] = sh;
  scales[3] = sw;
  int ins[3] = {x, -1, sc};
  roof_node* n = node(&b, "Resize", ins, 3, &y, 1);
  attr_s(n, "mode", mode);
  attr_s(n, "coordinate_transformation_mode", coord);
  attr_s(n, "nearest_mode", nearest);
  mark_output(&b, y);
  check(&b, "Resize", fast);
}

/* Pad by a constant on XNNPACK: plain and NHWC, channels and batch padded too. */
static void pad_cases(rng* r) {
  int64_t xd[4] = {2, 5, 6, 7};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    builder b = start(r, nhwc ? "Pad constant 0.5 nhwc" : "Pad constant 0.5 plain");
    int64_t pads[8] = {1, 2, 0, 3, 0, 1, 2, 1}, vd[1] = {1};
    int vi = constant(&b, "value", 0, vd);
    ((float*)b.g->values[vi].data)[0] = 0.5f;
    int ins[3] = {image(&b, xd, nhwc), constant_i64(&b, "pads", 8, pads), vi}, y = output(&b, "y");
    node(&b, "Pad", ins, 3, &y, 1);
    mark_output(&b, y);
    check(&b, "Pad", true);
  }
}

/* LayerNormalization over the last axis (Scale and B per element) and over [C, H, W] (one
 * Scale value, no B), from plain and NHWC producers. */
static void layer_norm_cases(rng* r) {
  int64_t xd[4] = {2, 6, 5, 33};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    builder b = start(r, nhwc ? "LayerNormalization axis -1 after nhwc" : "LayerNormalization axis -1");
    b.g->opset = 17;
    int64_t wd[1] = {33};
    int ins[3] = {image(&b, xd, nhwc), constant(&b, "scale", 1, wd), constant(&b, "bias", 1, wd)}, y = output(&b, "y");
    attr_i(node(&b, "LayerNormalization", ins, 3, &y, 1), "axis", -1);
    mark_output(&b, y);
    check(&b, "LayerNormalization", true);

    builder c = start(r, nhwc ? "LayerNormalization axis 1 scalar scale after nhwc" : "LayerNormalization axis 1 scalar scale");
    c.g->opset = 17;
    int64_t sd[1] = {1};
    int cin[2] = {image(&c, xd, nhwc), constant(&c, "scale", 1, sd)}, cy = output(&c, "y");
    roof_node* n = node(&c, "LayerNormalization", cin, 2, &cy, 1);
    attr_i(n, "axis", 1);
    attr_f(n, "epsilon", 0.25f);
    mark_output(&c, cy);
    check(&c, "LayerNormalization", true);
  }
}

/* PRelu: XNNPACK when the constant slope varies along the innermost physical dim only (channels
 * of NHWC data, the last dim of plain data) or is a scalar; the reference otherwise. */
static void prelu_case(rng* r) {
  static const int64_t kSlopes[][3] = {{7, 1, 1}, {1, 1, 6}, {1, 1, 1}, {7, 5, 6}, {1, 5, 1}};
  static const bool kFastPlain[] = {false, true, true, false, false}, kFastNhwc[] = {true, false, true, false, false};
  int64_t xd[4] = {2, 7, 5, 6};
  char label[96];
  for (int s = 0; s < 5; s++) {
    for (int nhwc = 0; nhwc < 2; nhwc++) {
      snprintf(label, sizeof(label), "PRelu %s slope %lldx%lldx%lld", nhwc ? "nhwc" : "plain", (long long)kSlopes[s][0],
               (long long)kSlopes[s][1], (long long)kSlopes[s][2]);
      builder b = start(r, label);
      int rank = s == 1 ? 1 : 3; /* [6] as a rank-1 slope: right-aligned broadcasting */
      int ins[2] = {image(&b, xd, nhwc), constant(&b, "slope", rank, kSlopes[s] + (3 - rank))};
      int y = output(&b, "y");
      node(&b, "PRelu", ins, 2, &y, 1);
      mark_output(&b, y);
      check(&b, "PRelu", nhwc ? kFastNhwc[s] : kFastPlain[s]);
    }
  }
}

/* Variadic Max / Min / Sum / Mean over three operands (reference only: XNNPACK takes two) and
 * a 2-input Max between two activations. */
static void variadic_case(rng* r) {
  static const char* const kOps[] = {"Max", "Min", "Sum", "Mean"};
  int64_t xd[4] = {1, 7, 5, 6}, cd[2][3] = {{7, 1, 1}, {1, 5, 6}};
  for (int o = 0; o < 4; o++) {
    char label[64];
    snprintf(label, sizeof(label), "%s of 3 (x, [7,1,1], [1,5,6])", kOps[o]);
    builder b = start(r, label);
    int ins[3] = {image(&b, xd, o % 2), constant(&b, "c0", 3, cd[0]), constant(&b, "c1", 3, cd[1])};
    int y = output(&b, "y");
    node(&b, kOps[o], ins, 3, &y, 1);
    mark_output(&b, y);
    check(&b, kOps[o], false);
  }
  builder m = start(r, "Max of x and Sigmoid(x), nhwc");
  int x = image(&m, xd, true), s = output(&m, "s"), y = output(&m, "y");
  node(&m, "Sigmoid", &x, 1, &s, 1);
  int mi[2] = {s, x};
  node(&m, "Max", mi, 2, &y, 1);
  mark_output(&m, y);
  check(&m, "Max", true);
}

/* Comparisons and Where on strided (NHWC) data, checked against an identity rather than the
 * other session (which shares their kernels): Where(x > c, x, c) - Max(x, c) is 0 everywhere,
 * likewise for >=, < and <= with the branches swapped; c is a per-channel [7,1,1] constant. */
static void where_identity_case(rng* r) {
  static const char* const kCmp[] = {"Greater", "GreaterOrEqual", "Less", "LessOrEqual"};
  int64_t xd[4] = {1, 7, 5, 6}, cd[3] = {7, 1, 1};
  for (int o = 0; o < 8; o++) {
    bool nhwc = o >= 4, swap = (o % 4) >= 2;
    char label[96];
    snprintf(label, sizeof(label), "Where(%s(x, c)) - Max(x, c) == 0, %s", kCmp[o % 4], nhwc ? "nhwc" : "plain");
    builder b = start(r, label);
    int x = image(&b, xd, nhwc), c = constant(&b, "c", 3, cd);
    int cond = output(&b, "cond"), w = output(&b, "w"), m = output(&b, "m"), y = output(&b, "y");
    int ci[2] = {x, c}, wi[3] = {cond, swap ? c : x, swap ? x : c}, si[2] = {w, m};
    node(&b, kCmp[o % 4], ci, 2, &cond, 1);
    node(&b, "Where", wi, 3, &w, 1);
    node(&b, "Max", ci, 2, &m, 1);
    node(&b, "Sub", si, 2, &y, 1);
    mark_output(&b, y);
    cases++;
    b.g->num_original_nodes = b.g->num_nodes;
    roof_model* mo = NULL;
    roof_error err = {{0}};
    roof_model_from_graph(b.g, &mo, &err);
    roof_prepare_options po = {.fusion = "none"};
    float in[210], *out = NULL;
    for (int i = 0; i < 210; i++) in[i] = frand(r);
    in[3] = ((const float*)b.g->values[c].data)[0]; /* a tie: x == c on channel 0 */
    size_t n = 0;
    bool took = false;
    bool ok = roof_model_prepare(mo, &po, &err) == ROOF_OK && run_session(mo, true, in, sizeof(in), &out, &n, "Where", &took);
    size_t bad = n;
    for (size_t i = 0; ok && i < n; i++) {
      if (out[i] != 0.0f && bad == n) bad = i;
    }
    if (!ok || n != 210 || bad != n) {
      fprintf(stderr, "FAIL %s: %s\n", label, !ok ? err.message : n != 210 ? "output size" : "nonzero element");
      failures++;
    }
    free(out);
    roof_model_free(mo);
  }
}

/* ---- reference semantics the differential cases cannot see: integers, NaN, selection ---- */

/* Runs op's reference kernel on rank-1 operands of n elements (dtypes[i] each; the output
 * dtype last) with the attribute fmod when fmod >= 0, the node parsed by the op's own schema. */
static bool ref_eval(const char* op, int64_t fmod, int num_in, const int* dtypes, const void* const* ins, void* out, int64_t n) {
  builder b = start(NULL, op);
  int vin[3], vout = output(&b, "y");
  for (int i = 0; i < num_in; i++) vin[i] = input(&b, "x", 1, &n);
  roof_node* nd = node(&b, op, vin, num_in, &vout, 1);
  if (fmod >= 0) attr_i(nd, "fmod", fmod);
  const roof_op_schema* sc = roof_op_find("", op, 13);
  roof_error err = {{0}};
  bool ok = sc != NULL;
  if (ok) {
    nd->op = sc;
    nd->params = calloc(1, sc->params_size ? sc->params_size : 1);
    ok = sc->parse == NULL || sc->parse(b.g, nd, nd->params, &err) == ROOF_OK;
  }
  roof_tensor t[4];
  for (int i = 0; i <= num_in; i++) roof_tensor_init(&t[i], dtypes[i], 1, &n, ROOF_LAYOUT_PLAIN, i < num_in ? (void*)ins[i] : out);
  roof_kernel k = {.op = sc, .g = b.g, .node = nd, .params = ok ? nd->params : NULL, .in = t, .num_in = num_in, .out = &t[num_in], .num_out = 1};
  ok = ok && roof_kernel_ref_of(sc->id)->run(&k, &err) == ROOF_OK;
  if (!ok) fprintf(stderr, "FAIL %s reference: %s\n", op, err.message);
  roof_graph_free(b.g);
  return ok;
}

#define EXPECT_EQ_I64(what, got, want)                                                              \
  do {                                                                                              \
    cases++;                                                                                        \
    if ((int64_t)(got) != (int64_t)(want)) {                                                        \
      fprintf(stderr, "FAIL %s: got %lld, want %lld\n", what, (long long)(got), (long long)(want)); \
      failures++;                                                                                   \
    }                                                                                               \
  } while (0)

static void reference_semantics(void) {
  /* Mod: divisor's sign (fmod 0) or dividend's (fmod 1); 0 for a zero divisor and INT_MIN % -1 */
  int32_t ma[6] = {7, -7, 7, -7, 5, INT32_MIN}, mb[6] = {3, 3, -3, -3, 0, -1}, my[6];
  const int32_t want0[6] = {1, 2, -2, -1, 0, 0}, want1[6] = {1, -1, 1, -1, 0, 0};
  const int i32x3[3] = {ROOF_DT_INT32, ROOF_DT_INT32, ROOF_DT_INT32};
  const void* mins[2] = {ma, mb};
  for (int f = 0; f < 2; f++) {
    if (!ref_eval("Mod", f, 2, i32x3, mins, my, 6)) continue;
    for (int i = 0; i < 6; i++) EXPECT_EQ_I64(f ? "Mod int32 fmod=1" : "Mod int32 fmod=0", my[i], (f ? want1 : want0)[i]);
  }
  int64_t la[1] = {INT64_MIN}, lb[1] = {-1}, ly[1] = {1};
  const int i64x3[3] = {ROOF_DT_INT64, ROOF_DT_INT64, ROOF_DT_INT64};
  const void* lins[2] = {la, lb};
  if (ref_eval("Mod", 0, 2, i64x3, lins, ly, 1)) EXPECT_EQ_I64("Mod INT64_MIN % -1", ly[0], 0);
  /* Pow int32 ^ int64: exact, wrapping; negative exponents trunc(1 / base^-e) */
  int32_t pa[7] = {2, 2, 1, -1, -1, 3, 0}, py[7];
  int64_t pe[7] = {10, -1, -5, -3, -4, 40, -2};
  uint32_t p340 = 1;
  for (int i = 0; i < 40; i++) p340 *= 3u;
  const int32_t pwant[7] = {1024, 0, 1, -1, 1, (int32_t)p340, 0};
  const int pdt[3] = {ROOF_DT_INT32, ROOF_DT_INT64, ROOF_DT_INT32};
  const void* pins[2] = {pa, pe};
  if (ref_eval("Pow", -1, 2, pdt, pins, py, 7)) {
    for (int i = 0; i < 7; i++) EXPECT_EQ_I64("Pow int32^int64", py[i], pwant[i]);
  }
  /* Pow int32 ^ uint64: exponents past INT64_MAX are exponents, not negatives */
  int32_t qa[3] = {-1, 3, 2}, qy[3];
  uint64_t qe[3] = {((uint64_t)1 << 63) + 1, ((uint64_t)1 << 63) + 0, 3};
  uint32_t b3 = 3; /* 3^(2^63) mod 2^32: 63 squarings */
  for (int i = 0; i < 63; i++) b3 *= b3;
  const int32_t qwant[3] = {-1, (int32_t)b3, 8};
  const int qdt[3] = {ROOF_DT_INT32, ROOF_DT_UINT64, ROOF_DT_INT32};
  const void* qins[2] = {qa, qe};
  if (ref_eval("Pow", -1, 2, qdt, qins, qy, 3)) {
    for (int i = 0; i < 3; i++) EXPECT_EQ_I64("Pow int32^uint64", qy[i], qwant[i]);
  }
  /* Max / Min of uint64 compare unsigned */
  uint64_t ua[2] = {UINT64_MAX, 0}, ub[2] = {1, 5}, uy[2];
  const int u64x3[3] = {ROOF_DT_UINT64, ROOF_DT_UINT64, ROOF_DT_UINT64};
  const void* uins[2] = {ua, ub};
  if (ref_eval("Max", -1, 2, u64x3, uins, uy, 2)) {
    cases++;
    if (uy[0] != UINT64_MAX || uy[1] != 5) {
      fprintf(stderr, "FAIL Max uint64: got %llu %llu\n", (unsigned long long)uy[0], (unsigned long long)uy[1]);
      failures++;
    }
  }
  /* Max / Min propagate NaN from either side (ONNX Runtime, numpy); comparisons with NaN are false */
  float fa[3] = {NAN, 1, 2}, fb[3] = {1, NAN, 3}, fy[3];
  uint8_t by[3];
  const int f32x3[3] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT, ROOF_DT_FLOAT}, cmp[3] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT, ROOF_DT_BOOL};
  const void* fins[2] = {fa, fb};
  static const char* const kMinMax[2] = {"Max", "Min"};
  for (int o = 0; o < 2; o++) {
    if (!ref_eval(kMinMax[o], -1, 2, f32x3, fins, fy, 3)) continue;
    cases++;
    if (!isnan(fy[0]) || !isnan(fy[1]) || fy[2] != (o ? 2.0f : 3.0f)) {
      fprintf(stderr, "FAIL %s float NaN: got %g %g %g\n", kMinMax[o], fy[0], fy[1], fy[2]);
      failures++;
    }
  }
  if (ref_eval("GreaterOrEqual", -1, 2, cmp, fins, by, 3)) {
    for (int i = 0; i < 3; i++) EXPECT_EQ_I64("GreaterOrEqual with NaN", by[i], 0);
  }
  /* Where selects bytes: int64 values beyond double's precision survive */
  uint8_t wc[2] = {1, 0};
  int64_t wx[2] = {INT64_MAX, 1}, wy2[2] = {3, INT64_MIN + 1}, wo[2];
  const int wdt[4] = {ROOF_DT_BOOL, ROOF_DT_INT64, ROOF_DT_INT64, ROOF_DT_INT64};
  const void* wins[3] = {wc, wx, wy2};
  if (ref_eval("Where", -1, 3, wdt, wins, wo, 2)) {
    EXPECT_EQ_I64("Where int64", wo[0], INT64_MAX);
    EXPECT_EQ_I64("Where int64", wo[1], INT64_MIN + 1);
  }
}

/* MatMul of two activations (x by its own transpose: attention's shape) and by a constant of
 * rank 3 that XNNPACK's fully connected refuses: the native batched kernel, broadcast batches. */
static void matmul_cases(rng* r) {
  int64_t xd[4] = {2, 3, 5, 7}, perm[4] = {0, 1, 3, 2}, bd[3] = {3, 7, 6};
  for (int c = 0; c < 2; c++) {
    builder b = start(r, c ? "MatMul x [2,3,5,7] by a constant [3,7,6]" : "MatMul x by x^T [2,3,5,7] x [2,3,7,5]");
    int x = image(&b, xd, false), t = output(&b, "t"), y = output(&b, "y");
    if (c == 0) attr_ints(node(&b, "Transpose", &x, 1, &t, 1), "perm", 4, perm);
    int ins[2] = {x, c == 0 ? t : constant(&b, "w", 3, bd)};
    node(&b, "MatMul", ins, 2, &y, 1);
    mark_output(&b, y);
    check(&b, "MatMul", !native_off()); /* native only: XNNPACK needs a constant 2-D B */
  }
}

/* Softmax over a middle axis of plain data: the native kernel (XNNPACK takes innermost only). */
static void softmax_axis_cases(rng* r) {
  int64_t xd[4] = {2, 9, 5, 70};
  for (int axis = 1; axis < 3; axis++) {
    builder b = start(r, axis == 1 ? "Softmax axis 1 plain" : "Softmax axis 2 plain");
    int x = image(&b, xd, false), y = output(&b, "y");
    attr_i(node(&b, "Softmax", &x, 1, &y, 1), "axis", axis);
    mark_output(&b, y);
    check(&b, "Softmax", !native_off());
  }
}

/* Gelu (opset 20), exact and tanh forms, on dense data: the native kernel against the reference. */
/* vec_math.h against libm over a sweep wider than any saturation point, failing at the first
 * value outside the bound. */
static void vec_math_cases(void) {
  struct { const char* name; double bound; } fn[3] = {{"roof_erf", 3e-7}, {"roof_tanh", 3e-7}, {"roof_exp_nonpos", 3e-7}};
  for (int f = 0; f < 3; f++) {
    cases++;
    for (double v = -12.0; v <= 12.0; v += 1.0 / 1024) {
      float x = (float)v;
      double got = f == 0 ? roof_erf(x) : f == 1 ? roof_tanh(x) : roof_exp_nonpos(-fabsf(x));
      double want = f == 0 ? erf((double)x) : f == 1 ? tanh((double)x) : exp(-fabs((double)x));
      double err = f == 2 ? fabs(got - want) / want : fabs(got - want);
      if (!(err <= fn[f].bound)) {
        fprintf(stderr, "FAIL %s(%.9g): %.9g, libm %.9g (error %.3g > %.3g)\n", fn[f].name, x, got, want, err, fn[f].bound);
        failures++;
        break;
      }
    }
  }
}

static void gelu_cases(rng* r) {
  int64_t xd[4] = {2, 9, 5, 71};
  /* inputs in [-6, 6] (a Mul by 6 before the Gelu), where erf and tanh saturate */
  for (int tanh_form = 0; tanh_form < 2; tanh_form++) {
    builder b = start(r, tanh_form ? "Gelu tanh wide" : "Gelu wide");
    b.g->opset = 20;
    int64_t one = 1;
    int x = image(&b, xd, false), six = constant(&b, "six", 1, &one), xs = output(&b, "xs"), y = output(&b, "y");
    b.g->values[six].flags |= ROOF_VAL_CONST;
    ((float*)b.g->values[six].data)[0] = 6.0f;
    int mul_in[2] = {x, six};
    node(&b, "Mul", mul_in, 2, &xs, 1);
    roof_node* n = node(&b, "Gelu", &xs, 1, &y, 1);
    if (tanh_form) attr_s(n, "approximate", "tanh");
    mark_output(&b, y);
    check(&b, "Gelu", !native_off());
  }
  for (int tanh_form = 0; tanh_form < 2; tanh_form++) {
    builder b = start(r, tanh_form ? "Gelu tanh" : "Gelu");
    b.g->opset = 20;
    int x = image(&b, xd, tanh_form), y = output(&b, "y");
    roof_node* n = node(&b, "Gelu", &x, 1, &y, 1);
    if (tanh_form) attr_s(n, "approximate", "tanh");
    mark_output(&b, y);
    check(&b, "Gelu", !native_off());
  }
}

/* ReduceMean over the last axis and over the last two of plain data: the native kernel. */
static void reduce_mean_cases(rng* r) {
  int64_t xd[4] = {2, 3, 5, 37}, last[1] = {-1}, two[2] = {2, 3};
  for (int c = 0; c < 2; c++) {
    builder b = start(r, c ? "ReduceMean axes 2,3 plain" : "ReduceMean axis -1 plain keepdims");
    int x = image(&b, xd, false), y = output(&b, "y");
    roof_node* n = node(&b, "ReduceMean", &x, 1, &y, 1);
    attr_ints(n, "axes", c ? 2 : 1, c ? two : last);
    attr_i(n, "keepdims", c ? 0 : 1);
    mark_output(&b, y);
    check(&b, "ReduceMean", !native_off());
  }
}

/* Pow by a constant scalar exponent (2, 0.5 and 3; negative bases give NaN for 0.5). */
static void pow_cases(rng* r) {
  static const float kExp[] = {2.0f, 0.5f, 3.0f};
  int64_t xd[4] = {2, 3, 5, 37};
  for (int c = 0; c < 3; c++) {
    char label[48];
    snprintf(label, sizeof(label), "Pow x^%g", kExp[c]);
    builder b = start(r, label);
    int e = constant(&b, "e", 0, NULL);
    *(float*)b.g->values[e].data = kExp[c];
    int ins[2] = {image(&b, xd, c == 1), e}, y = output(&b, "y");
    node(&b, "Pow", ins, 2, &y, 1);
    mark_output(&b, y);
    check(&b, "Pow", !native_off());
  }
}


/* Split x along the channels into three parts, then Concat them back in another order. */
static void concat_split_case(rng* r, int64_t* xd, int64_t* split, int nhwc) {
  char name[96];
  snprintf(name, sizeof(name), "Concat/Split axis 1 %s %lldx%lldx%lldx%lld", nhwc ? "nhwc" : "plain", (long long)xd[0],
           (long long)xd[1], (long long)xd[2], (long long)xd[3]);
  builder d = start(r, name);
  int dx = image(&d, xd, nhwc);
  int parts[3] = {output(&d, "p0"), output(&d, "p1"), output(&d, "p2")};
  roof_node* sp = node(&d, "Split", &dx, 1, parts, 3);
  attr_i(sp, "axis", 1);
  int sv = constant_i64(&d, "split", 3, split);
  sp->inputs = realloc(sp->inputs, sizeof(int) * 2);
  sp->inputs[1] = sv;
  sp->num_inputs = 2;
  int order[3] = {parts[2], parts[0], parts[1]};
  int dy = output(&d, "y");
  roof_node* cc = node(&d, "Concat", order, 3, &dy, 1);
  attr_i(cc, "axis", 1);
  mark_output(&d, dy);
  check(&d, "Concat", true);
}

static void misc_cases(rng* r) {
  int64_t xd[4] = {2, 9, 5, 7};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    builder b = start(r, nhwc ? "Softmax axis 1 nhwc" : "Softmax axis -1 plain");
    int x = image(&b, xd, nhwc), y = output(&b, "y");
    roof_node* n = node(&b, "Softmax", &x, 1, &y, 1);
    attr_i(n, "axis", nhwc ? 1 : -1);
    mark_output(&b, y);
    check(&b, "Softmax", true);

    builder c = start(r, nhwc ? "BatchNormalization nhwc" : "BatchNormalization plain");
    int64_t cd[1] = {9};
    int ci[5] = {image(&c, xd, nhwc), constant(&c, "s", 1, cd), constant(&c, "b", 1, cd), constant(&c, "m", 1, cd), 0};
    ci[4] = constant(&c, "v", 1, cd);
    float* var = c.g->values[ci[4]].data;
    for (int k = 0; k < 9; k++) var[k] = fabsf(var[k]) + 0.1f;
    int cy = output(&c, "y");
    node(&c, "BatchNormalization", ci, 5, &cy, 1);
    mark_output(&c, cy);
    check(&c, "BatchNormalization", true);

    concat_split_case(r, xd, (int64_t[3]){2, 4, 3}, nhwc);
    /* past the caller-thread bound (64 KiB): the slab copy runs on the pool */
    concat_split_case(r, (int64_t[4]){1, 24, 45, 37}, (int64_t[3]){10, 8, 6}, nhwc);

    builder e = start(r, nhwc ? "ReduceMean spatial nhwc" : "ReduceMean spatial plain");
    int ex = image(&e, xd, nhwc), ey = output(&e, "y");
    roof_node* rm = node(&e, "ReduceMean", &ex, 1, &ey, 1);
    int64_t axes[2] = {2, 3};
    attr_ints(rm, "axes", 2, axes);
    attr_i(rm, "keepdims", nhwc);
    mark_output(&e, ey);
    check(&e, "ReduceMean", nhwc);

    builder f = start(r, nhwc ? "GlobalAveragePool nhwc" : "GlobalAveragePool");
    int fx = image(&f, xd, nhwc), fy = output(&f, "y");
    node(&f, "GlobalAveragePool", &fx, 1, &fy, 1);
    mark_output(&f, fy);
    check(&f, "GlobalAveragePool", true);

    /* training-mode Dropout: the native kernel (plain layout only: the mask is drawn in logical
     * order) against the reference one, same seed, same mask */
    builder h = start(r, nhwc ? "Dropout training nhwc" : "Dropout training plain");
    float ratio = 0.4f;
    uint8_t on = 1;
    int hi[3] = {image(&h, xd, nhwc), typed_const(&h, "r", ROOF_DT_FLOAT, 0, NULL, &ratio),
                 typed_const(&h, "t", ROOF_DT_BOOL, 0, NULL, &on)};
    int hy = output(&h, "y");
    attr_i(node(&h, "Dropout", hi, 3, &hy, 1), "seed", 5);
    mark_output(&h, hy);
    check(&h, "Dropout", !nhwc);
  }
  resize_case(r, xd, "linear", "half_pixel", "round_prefer_floor", 2.0f, 2.0f, true); /* XNNPACK */
  bool native = !native_off();
  /* the native kernel: every nearest mode, linear where XNNPACK's coordinates differ */
  resize_case(r, xd, "nearest", "asymmetric", "floor", 2.0f, 2.0f, native);
  resize_case(r, xd, "nearest", "half_pixel", "round_prefer_floor", 3.0f, 1.5f, native);
  resize_case(r, xd, "nearest", "align_corners", "round_prefer_ceil", 0.5f, 2.0f, native);
  /* ceil moves C at scale 1 under this transform: the reference kernel runs, and must */
  resize_case(r, xd, "nearest", "tf_half_pixel_for_nn", "ceil", 1.7f, 0.6f, false);
  resize_case(r, xd, "nearest", "tf_half_pixel_for_nn", "floor", 1.7f, 0.6f, native);
  resize_case(r, xd, "nearest", "pytorch_half_pixel", "round_prefer_floor", 2.0f, 1.0f, native);
  resize_case(r, xd, "linear", "asymmetric", "floor", 1.5f, 2.5f, native);
  resize_case(r, xd, "linear", "pytorch_half_pixel", "floor", 0.4f, 1.3f, native);
  resize_case(r, xd, "linear", "align_corners", "floor", 2.0f, 0.5f, native);
}

/* Kernels only the fusion passes create: built from the patterns they replace. */
static void fused_cases(rng* r) {
  int64_t xd[4] = {1, 12, 5, 7};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    builder b = start(r, nhwc ? "Swish nhwc" : "Swish plain");
    int x = image(&b, xd, nhwc), s = output(&b, "s"), y = output(&b, "y");
    node(&b, "Sigmoid", &x, 1, &s, 1);
    int mi[2] = {x, s};
    node(&b, "Mul", mi, 2, &y, 1);
    mark_output(&b, y);
    check_fused(&b, "Swish", true, "swish");

    builder h = start(r, nhwc ? "HardSwish nhwc" : "HardSwish plain");
    int hx = image(&h, xd, nhwc), hs = output(&h, "s"), hy = output(&h, "y");
    roof_node* hn = node(&h, "HardSigmoid", &hx, 1, &hs, 1);
    attr_f(hn, "alpha", 1.0f / 6.0f);
    attr_f(hn, "beta", 0.5f);
    int hi[2] = {hs, hx};
    node(&h, "Mul", hi, 2, &hy, 1);
    mark_output(&h, hy);
    check_fused(&h, "HardSwish", true, "hardswish");
  }
  /* Swish over [-60, 60] and several pool tiles: the exp range reduction, both saturations
   * and the masked tail of the native kernel (22440 elements, not a multiple of 16). */
  builder w = start(r, "Swish wide range, NHWC");
  int64_t wd[4] = {1, 40, 33, 17}, one[1] = {1};
  int wx = image(&w, wd, true), ws = output(&w, "scaled"), wsg = output(&w, "s"), wy = output(&w, "y");
  int k60 = constant(&w, "k60", 1, one);
  ((float*)w.g->values[k60].data)[0] = 60.0f;
  int wm[2] = {wx, k60};
  node(&w, "Mul", wm, 2, &ws, 1);
  node(&w, "Sigmoid", &ws, 1, &wsg, 1);
  int wm2[2] = {ws, wsg};
  node(&w, "Mul", wm2, 2, &wy, 1);
  mark_output(&w, wy);
  last_fast_backend = -1;
  check_fused(&w, "Swish", true, "swish");
  /* the native kernel (NEON, AVX2 or AVX-512), not XNNPACK's sigmoid and a multiply */
#if defined(__aarch64__)
  const bool silu_native = true;
#elif defined(__x86_64__) && defined(__GNUC__)
  const char* isa_cap = getenv("ROOFTOP_NATIVE_ISA");
  const bool silu_native = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                           !(isa_cap && strcmp(isa_cap, "portable") == 0);
#else
  const bool silu_native = false;
#endif
  if (silu_native && !native_off() && last_fast_backend != ROOF_BACKEND_NATIVE) {
    fprintf(stderr, "FAIL %s: ran Swish on backend %d, not the native kernel\n", w.label, last_fast_backend);
    failures++;
  }
  builder c = start(r, "ChannelShuffle groups 3 (after a conv, NHWC)");
  int x = image(&c, xd, true);
  int64_t s5[5] = {1, 3, 4, 5, 7}, s4[4] = {1, 12, 5, 7}, perm[5] = {0, 2, 1, 3, 4};
  int a = output(&c, "a"), t = output(&c, "t"), y = output(&c, "y");
  int r1[2] = {x, constant_i64(&c, "s5", 5, s5)};
  node(&c, "Reshape", r1, 2, &a, 1);
  roof_node* tn = node(&c, "Transpose", &a, 1, &t, 1);
  attr_ints(tn, "perm", 5, perm);
  int r2[2] = {t, constant_i64(&c, "s4", 4, s4)};
  node(&c, "Reshape", r2, 2, &y, 1);
  mark_output(&c, y);
  check_fused(&c, "ChannelShuffle", true, "channel_shuffle");
}

/* Depthwise convolutions with more than 25 taps (ConvNeXt's 7x7): the native kernel (XNNPACK
 * below 26 taps). Odd sizes, channels not a multiple of 16, strides 1 and 2, asymmetric pads,
 * 4-pixel interior blocks and clipped borders, optionally a Relu the activation pass fuses. */
static void conv_dw_case(rng* r, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t s,
                         const int64_t* pads, bool bias, bool relu) {
  char label[160];
  snprintf(label, sizeof(label), "Conv dw x %lldx%lldx%lldx%lld k%lldx%lld s%lld p%lld,%lld,%lld,%lld%s%s", (long long)N,
           (long long)C, (long long)H, (long long)W, (long long)kh, (long long)kw, (long long)s, (long long)pads[0],
           (long long)pads[1], (long long)pads[2], (long long)pads[3], bias ? "" : " no bias", relu ? " +Relu" : "");
  builder b = start(r, label);
  int64_t xd[4] = {N, C, H, W}, wd[4] = {C, 1, kh, kw}, bd[1] = {C}, st[2] = {s, s};
  int ins[3] = {image(&b, xd, true), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, bias ? 3 : 2, &y, 1);
  attr_ints(n, "pads", 4, pads);
  attr_ints(n, "strides", 2, st);
  attr_i(n, "group", C);
  if (relu) {
    int z = output(&b, "z");
    node(&b, "Relu", &y, 1, &z, 1);
    y = z;
  }
  mark_output(&b, y);
  check_fused(&b, "Conv", true, relu ? "all" : "none");
}

/* A stride-1 case that must run on the native kernel where the CPU has AVX-512. */
static void conv_dw_native_case(rng* r, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                                const int64_t* pads, bool bias, bool relu) {
  last_fast_backend = -1;
  conv_dw_case(r, N, C, H, W, kh, kw, 1, pads, bias, relu);
#if defined(__x86_64__) && defined(__GNUC__)
  bool want = !native_off() && __builtin_cpu_supports("avx512f") && !getenv("ROOFTOP_NATIVE_ISA");
#else
  bool want = false;
#endif
  if (want && last_fast_backend != ROOF_BACKEND_NATIVE) {
    fprintf(stderr, "FAIL Conv dw %lldx%lld over %lld channels: ran on backend %d, not the native padded path\n",
            (long long)kh, (long long)kw, (long long)C, last_fast_backend);
    failures++;
  }
}

/* Two padded-path layers in a row share the session scratch: the second (pads 2) must zero its
 * borders where the first (unpadded, same padded extents) left data. */
static void conv_dw_chain_case(rng* r) {
  builder b = start(r, "Conv dw 5x5 unpadded then 5x5 pads 2 (shared scratch)");
  int64_t xd[4] = {1, 16, 12, 30}, wd[4] = {16, 1, 5, 5}, p0[4] = {0, 0, 0, 0}, p2[4] = {2, 2, 2, 2};
  int x = image(&b, xd, true), y1 = output(&b, "y1"), y = output(&b, "y");
  int i1[2] = {x, constant(&b, "w1", 4, wd)}, i2[2] = {y1, constant(&b, "w2", 4, wd)};
  roof_node* a = node(&b, "Conv", i1, 2, &y1, 1);
  attr_ints(a, "pads", 4, p0);
  attr_i(a, "group", 16);
  roof_node* c = node(&b, "Conv", i2, 2, &y, 1);
  attr_ints(c, "pads", 4, p2);
  attr_i(c, "group", 16);
  mark_output(&b, y);
  check(&b, "Conv", true);
}

static void conv_dw_cases(rng* r) {
  int64_t p3[4] = {3, 3, 3, 3}, odd[4] = {1, 3, 2, 0}, p0[4] = {0, 0, 0, 0}, p2[4] = {2, 2, 2, 2};
  conv_dw_case(r, 1, 96, 14, 14, 7, 7, 1, p3, true, false);
  conv_dw_case(r, 2, 37, 13, 11, 7, 7, 1, p3, true, true);
  conv_dw_case(r, 1, 17, 9, 23, 7, 7, 2, p3, true, false);
  conv_dw_case(r, 1, 50, 7, 7, 7, 7, 1, p3, false, true);
  conv_dw_case(r, 1, 5, 12, 19, 7, 7, 2, odd, true, true);
  conv_dw_case(r, 1, 33, 8, 10, 7, 5, 1, odd, true, false);
  conv_dw_case(r, 1, 16, 7, 16, 7, 7, 1, p0, true, false);
  conv_dw_case(r, 1, 3, 5, 4, 9, 9, 2, p3, true, true);
  /* 5x5 at stride 1, rows of 4 pixels or more: the native padded path with AVX-512 (sliding
   * blocks of 8 pixels and of what a row leaves, 2 to 7; channel tails); 3x3 ones whichever side
   * the race (or its size bound) picks */
  int64_t p1[4] = {1, 1, 1, 1}, asym[4] = {0, 2, 1, 0};
  conv_dw_native_case(r, 1, 24, 11, 11, 5, 5, p2, true, false);
  conv_dw_native_case(r, 2, 40, 14, 21, 5, 5, asym, false, true);
  conv_dw_case(r, 1, 32, 19, 19, 3, 3, 1, p1, true, true);
  conv_dw_case(r, 1, 7, 9, 30, 3, 3, 1, asym, true, false);
  conv_dw_case(r, 1, 48, 12, 12, 3, 3, 1, p1, true, false); /* 48 channels: XNNPACK's */
  conv_dw_native_case(r, 1, 24, 6, 6, 5, 5, p2, true, false);  /* one block of 6 per row */
  conv_dw_native_case(r, 1, 50, 7, 7, 5, 5, p2, false, true);  /* 7x7 maps: one block of 7 */
  conv_dw_case(r, 1, 24, 3, 3, 5, 5, 1, p2, true, false);       /* rows under 4 pixels: XNNPACK's */
  conv_dw_chain_case(r);
}

/* Depthwise layers of up to 25 taps outside the padded path: raced against XNNPACK at create,
 * the native side forced here (strides 1 and 2, channels past and under a vector, clipped
 * borders). Run last: their random draws would shift every later case's data. */
static void conv_dw_raced_cases(rng* r) {
  int64_t p1[4] = {1, 1, 1, 1}, p2[4] = {2, 2, 2, 2};
  setenv("ROOFTOP_CONV_TUNE", "native", 1);
  last_fast_backend = -1;
  conv_dw_case(r, 1, 144, 14, 13, 3, 3, 1, p1, true, true);
  bool raced_native = last_fast_backend == ROOF_BACKEND_NATIVE;
  conv_dw_case(r, 1, 37, 15, 17, 3, 3, 2, p1, true, false);
  conv_dw_case(r, 2, 20, 9, 11, 5, 5, 2, p2, false, true);
  conv_dw_case(r, 1, 72, 7, 7, 5, 5, 1, p2, true, false);
  /* unpadded rows: clipped border pixels, sliding blocks of 8 and of the rest (2 to 7); the
   * 5x5 ones above take the padded path with AVX-512, these rows under ops.differential_avx2 */
  conv_dw_case(r, 1, 32, 19, 19, 3, 3, 1, p1, true, true);
  conv_dw_case(r, 1, 7, 9, 30, 3, 3, 1, p1, true, false);
  conv_dw_case(r, 1, 40, 5, 13, 3, 3, 1, p1, false, false); /* blocks of 8 and 3 */
  unsetenv("ROOFTOP_CONV_TUNE");
  if (!native_off() && !raced_native) {
    fprintf(stderr, "FAIL Conv dw 3x3 over 144 channels: ran on backend %d with the native side forced\n", last_fast_backend);
    failures++;
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261124};
  for (int i = 0; i < 30; i++) conv_case(&r, i);
  conv_wide_case(&r, 64, 600, 3);  /* 1.4 MB of weights */
  conv_wide_case(&r, 600, 500, 1); /* 1.2 MB, 1x1 (over 512 input channels: XNNPACK) */
  int64_t stem_pads[4] = {3, 3, 3, 3}, odd_pads[4] = {0, 2, 1, 0};
  conv_stem_case(&r, 3, 67, 75, 7, 2, 1, stem_pads);
  conv_dw_cases(&r);
  conv_stem_case(&r, 1, 19, 23, 3, 1, 2, odd_pads);
  conv_stem_case(&r, 4, 9, 8, 5, 3, 1, odd_pads);
  for (int i = 0; i < 6; i++) convt_case(&r, i);
  for (int i = 0; i < 8; i++) gemm_case(&r, i);
  for (int i = 0; i < 12; i++) pool_case(&r, i);
  static const char* const kFast[] = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Elu", "Tanh", "HardSigmoid",
                                      "Neg", "Abs", "Sqrt", "Floor", "Ceil", "Round"};
  for (size_t i = 0; i < sizeof(kFast) / sizeof(kFast[0]); i++) unary_case(&r, kFast[i], true);
  round_ties_case(&r);
  /* Float ops with only a reference kernel: loaded, planned and run on plain and NHWC views
   * (their values are checked by the ONNX backend tests, tests/conformance). */
  static const char* const kRef[] = {"Exp",  "Log",   "Reciprocal", "Erf",   "Sign",  "Sin",      "Cos",
                                     "Tan",  "Asin",  "Acos",       "Atan",  "Sinh",  "Cosh",     "Asinh",
                                     "Acosh", "Atanh", "Softplus",  "Softsign", "Selu", "Celu", "ThresholdedRelu"};
  for (size_t i = 0; i < sizeof(kRef) / sizeof(kRef[0]); i++) unary_case(&r, kRef[i], false);
  static const char* const kBin[] = {"Add", "Sub", "Mul", "Div"};
  for (int i = 0; i < 12; i++) binary_case(&r, kBin[i % 4], i);
  bcast_cases(&r);
  for (int i = 0; i < 12; i++) binary_case(&r, i % 2 ? "Min" : "Max", i / 2 + 6 * (i % 2)); /* every shape, both ranks */
  prelu_case(&r);
  variadic_case(&r);
  reference_semantics();
  where_identity_case(&r);
  misc_cases(&r);
  pad_cases(&r);
  layer_norm_cases(&r);
  matmul_cases(&r);
  softmax_axis_cases(&r);
  gelu_cases(&r);
  vec_math_cases();
  reduce_mean_cases(&r);
  pow_cases(&r);
  fused_cases(&r);
  conv_dw_raced_cases(&r);
  printf("test_ops: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
