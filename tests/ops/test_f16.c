/* float16 and bfloat16 layers (runtime/widen16.h) against the float32 reference: each case is
 * built twice from the same seeded weights, once with every float tensor in 16 bits and once
 * in float32 holding the same (16-bit representable) values. The 16-bit model runs on the
 * default kernels at 1 and 2 threads; its output must match the float32 model's reference
 * output within the 16-bit output rounding (2 ulps of the output dtype plus 1e-4 of the
 * output's magnitude: the interior runs in float32). Also checked: the main op ran on a fast
 * kernel, Cast layers only at the graph's 16-bit inputs and outputs, and the static profile's
 * precision and bytes (a widened layer moves what its float32 twin moves; a Cast reads 2 and
 * writes 4 bytes per element). Fails at the first bad element with its coordinates.
 * usage: test_f16 [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "profile.h"
#include "session_outputs.h"

static int failures, cases;

typedef void (*build_fn)(builder* b, rng* r);

/* Every float32 value of g becomes `dtype` (constants converted; 16-bit values exact in float32
 * are kept), or, for dtype FLOAT, its constants are rounded through `round16` in place. */
static void retype(roof_graph* g, int dtype, int round16) {
  for (int v = 0; v < g->num_values; v++) {
    roof_value* x = &g->values[v];
    if (x->dtype != ROOF_DT_FLOAT) continue;
    uint64_t n = 0;
    roof_value_count(x, &n);
    float* f = x->data;
    if (dtype == ROOF_DT_FLOAT) {
      for (uint64_t i = 0; f && i < n; i++) {
        uint16_t h = 0;
        roof_store_f64(round16, &h, 0, f[i]);
        f[i] = (float)roof_load_f64(round16, &h, 0);
      }
      continue;
    }
    if (f) {
      uint16_t* h = malloc(sizeof(uint16_t) * (size_t)(n ? n : 1));
      for (uint64_t i = 0; i < n; i++) roof_store_f64(dtype, h, (int64_t)i, f[i]);
      free(f);
      x->data = h;
      x->nbytes = (size_t)n * 2;
    }
    x->dtype = dtype;
  }
}

static roof_model* build(build_fn fn, rng seed, const char* label, int dtype, int round16) {
  rng r = seed;
  builder b = start(&r, label);
  fn(&b, &r);
  retype(b.g, dtype, round16);
  roof_model* m = test_prepare(&b);
  if (m == NULL) failures++;
  return m;
}

static int count_op(const roof_model* m, const char* op) {
  int c = 0;
  for (int i = 0; i < m->g->num_order; i++) c += strcmp(m->g->nodes[m->g->order[i]].op_type, op) == 0;
  return c;
}

/* Static profiles: widened layers carry the model's dtype and float32 bytes; Casts 2 -> 4. */
static void check_precision(const char* label, const roof_model* m16, const roof_model* m32, int dtype) {
  roof_profile p16 = {0}, p32 = {0};
  roof_error err = {{0}};
  if (roof_profile_static(m16, 1, &p16, &err) != ROOF_OK || roof_profile_static(m32, 1, &p32, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: static profile: %s\n", label, err.message);
    failures++;
  }
  for (int i = 0; i < p16.num_layers; i++) {
    const roof_layer* l = &p16.layers[i];
    const roof_value* x = roof_in(m16->g, l->node, 0);
    uint64_t n = 0;
    if (strcmp(l->node->op_type, "Cast") == 0 && x && roof_value_count(x, &n)) {
      bool up = x->dtype == dtype;
      uint64_t r = n * (up ? 2 : 4), w = n * (up ? 4 : 2);
      if (l->cost.bytes_read != r || l->cost.bytes_written != w) {
        fprintf(stderr, "FAIL %s: Cast layer %s moves %llu/%llu bytes, want %llu/%llu\n", label, l->node->name,
                (unsigned long long)l->cost.bytes_read, (unsigned long long)l->cost.bytes_written, (unsigned long long)r,
                (unsigned long long)w);
        failures++;
      }
      continue;
    }
    for (int j = 0; j < p32.num_layers; j++) {
      const roof_layer* k = &p32.layers[j];
      if (strcmp(k->node->name, l->node->name) != 0) continue;
      bool widened = l->widened_from == dtype && l->compute == ROOF_DT_FLOAT;
      bool same_bytes = l->cost.bytes_read == k->cost.bytes_read && l->cost.bytes_written == k->cost.bytes_written;
      bool follows = roof_node_is_view(l->node); /* views follow, cost 0 */
      if ((!widened && !follows) || !same_bytes) {
        fprintf(stderr, "FAIL %s: layer %s: widened_from %d compute %d bytes %llu/%llu (float32 model %llu/%llu)\n", label,
                l->node->name, l->widened_from, l->compute, (unsigned long long)l->cost.bytes_read,
                (unsigned long long)l->cost.bytes_written, (unsigned long long)k->cost.bytes_read,
                (unsigned long long)k->cost.bytes_written);
        failures++;
      }
    }
  }
  roof_profile_free(&p16);
  roof_profile_free(&p32);
}

static void compare(const char* label, int threads, const test_outputs* got, const test_outputs* want, int dtype) {
  double eps = dtype == ROOF_DT_FLOAT16 ? 1.0 / 2048 : 1.0 / 256;
  for (int o = 0; o < want->n; o++) {
    size_t n = want->info[o].nbytes / 4;
    if (got->info[o].dtype != dtype || got->info[o].nbytes != n * 2) {
      fprintf(stderr, "FAIL %s: output %d is %s of %zu bytes\n", label, o, roof_dtype_name(got->info[o].dtype),
              got->info[o].nbytes);
      failures++;
      return;
    }
    const float* w = want->data[o];
    double mag = 0;
    for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(w[i]));
    for (size_t i = 0; i < n; i++) {
      double g = roof_load_f64(dtype, got->data[o], (int64_t)i);
      if (fabs(g - w[i]) <= 2 * eps * fabs(w[i]) + 1e-4 * mag) continue;
      char c[96];
      fprintf(stderr, "FAIL %s (%d threads): output %d element [%s]: got %.8g, want %.8g\n", label, threads, o,
              test_coords(&want->info[o], i, c, sizeof(c)), g, w[i]);
      failures++;
      return;
    }
  }
}

/* The case in `dtype` (default kernels) against float32 (reference kernels). */
static void check(rng* r, const char* label, build_fn fn, int dtype, const char* op, int want_casts) {
  cases++;
  rng seed = *r;
  next(r);
  roof_model* m16 = build(fn, seed, label, dtype, dtype);
  roof_model* m32 = build(fn, seed, label, ROOF_DT_FLOAT, dtype);
  if (m16 == NULL || m32 == NULL) goto done;
  int casts = count_op(m16, "Cast");
  if (casts != want_casts) {
    fprintf(stderr, "FAIL %s: %d Cast layers, want %d\n", label, casts, want_casts);
    failures++;
  }
  void* in16[TEST_MAX_IO] = {0};
  void* in32[TEST_MAX_IO] = {0};
  for (int i = 0; i < m16->g->num_inputs && i < TEST_MAX_IO; i++) {
    uint64_t n = 0;
    roof_value_count(&m16->g->values[m16->g->inputs[i]], &n);
    in16[i] = malloc(2 * (size_t)(n ? n : 1));
    in32[i] = malloc(4 * (size_t)(n ? n : 1));
    for (uint64_t j = 0; j < n; j++) {
      roof_store_f64(dtype, in16[i], (int64_t)j, frand(r));
      ((float*)in32[i])[j] = (float)roof_load_f64(dtype, in16[i], (int64_t)j);
    }
  }
  test_outputs want = {0};
  bool took = false;
  const char* off = getenv("ROOFTOP_NO_NATIVE");
  bool native_off = off && off[0] == '1';
  if (!test_run_session(m32, true, 1, in32, op, &took, &want)) {
    fprintf(stderr, "FAIL %s: float32 reference session failed\n", label);
    failures++;
  }
  for (int threads = 1; threads <= 2 && want.n; threads++) {
    test_outputs got = {0};
    if (!test_run_session(m16, false, threads, in16, op, &took, &got)) {
      fprintf(stderr, "FAIL %s: session failed\n", label);
      failures++;
    } else if (!took && !(native_off && strcmp(op, "Transpose") == 0)) { /* Transpose: a native kernel */
      fprintf(stderr, "FAIL %s: %s did not run on a fast kernel\n", label, op);
      failures++;
    } else {
      compare(label, threads, &got, &want, dtype);
    }
    test_outputs_free(&got);
  }
  if (strcmp(op, "Transpose") != 0) check_precision(label, m16, m32, dtype);
  test_outputs_free(&want);
  for (int i = 0; i < TEST_MAX_IO; i++) free(in16[i]), free(in32[i]);
done:
  roof_model_free(m16);
  roof_model_free(m32);
}

/* ---- cases: shapes drawn from the builder's rng (the same for both builds) ---- */

static void conv_relu(builder* b, rng* r) {
  int64_t c = irand(r, 1, 13), k = irand(r, 1, 3), s = irand(r, 1, 2), depthwise = irand(r, 0, 1);
  int64_t groups = depthwise ? c : 1, oc = depthwise ? c : irand(r, 1, 17);
  int64_t xd[4] = {irand(r, 1, 2), c, irand(r, k, 19), irand(r, k, 23)}, wd[4] = {oc, c / groups, k, k}, bd[1] = {oc};
  int ins[3] = {input(b, "x", 4, xd), constant(b, "w", 4, wd), constant(b, "bias", 1, bd)};
  int y = output(b, "y"), z = output(b, "z");
  roof_node* n = node(b, "Conv", ins, 3, &y, 1);
  attr_i(n, "group", groups);
  attr_ints(n, "strides", 2, (int64_t[]){s, s});
  attr_ints(n, "pads", 4, (int64_t[]){k / 2, k / 2, k / 2, k / 2});
  node(b, "Relu", &y, 1, &z, 1);
  mark_output(b, z);
}

static void gemm(builder* b, rng* r) {
  int64_t m = irand(r, 1, 5), k = irand(r, 1, 70), n = irand(r, 1, 33);
  int64_t ad[2] = {m, k}, bd[2] = {n, k}, cd[1] = {n};
  int ins[3] = {input(b, "a", 2, ad), constant(b, "b", 2, bd), constant(b, "c", 1, cd)}, y = output(b, "y");
  attr_i(node(b, "Gemm", ins, 3, &y, 1), "transB", 1);
  mark_output(b, y);
}

static void matmul(builder* b, rng* r) {
  int64_t k = irand(r, 1, 40), ad[3] = {irand(r, 1, 3), irand(r, 1, 9), k}, bd[2] = {k, irand(r, 1, 21)};
  int ins[2] = {input(b, "a", 3, ad), constant(b, "b", 2, bd)}, y = output(b, "y");
  node(b, "MatMul", ins, 2, &y, 1);
  mark_output(b, y);
}

static void bn_pool(builder* b, rng* r) {
  int64_t c = irand(r, 1, 11), xd[4] = {1, c, irand(r, 2, 15), irand(r, 2, 15)}, cd[1] = {c};
  int ins[5] = {input(b, "x", 4, xd), constant(b, "s", 1, cd), constant(b, "t", 1, cd), constant(b, "mean", 1, cd),
                constant(b, "var", 1, cd)};
  float* var = b->g->values[ins[4]].data;
  for (int64_t i = 0; i < c; i++) var[i] = fabsf(var[i]) + 0.5f;
  int y = output(b, "y"), p = output(b, "p"), q = output(b, "q");
  node(b, "BatchNormalization", ins, 5, &y, 1);
  roof_node* mp = node(b, "MaxPool", &y, 1, &p, 1);
  attr_ints(mp, "kernel_shape", 2, (int64_t[]){2, 2});
  node(b, "GlobalAveragePool", &p, 1, &q, 1);
  mark_output(b, q);
}

/* Add of two inputs, Clip with 16-bit bounds (inputs of opset 13), AveragePool. */
static void add_clip_avg(builder* b, rng* r) {
  int64_t xd[4] = {irand(r, 1, 2), irand(r, 1, 9), irand(r, 3, 12), irand(r, 3, 12)}, one[1] = {1};
  int ins[2] = {input(b, "x", 4, xd), input(b, "x2", 4, xd)}, s = output(b, "s"), c = output(b, "c"), a = output(b, "a");
  node(b, "Add", ins, 2, &s, 1);
  int lo = constant(b, "lo", 0, one), hi = constant(b, "hi", 0, one);
  ((float*)b->g->values[lo].data)[0] = -0.5f;
  ((float*)b->g->values[hi].data)[0] = 0.75f;
  node(b, "Clip", (int[]){s, lo, hi}, 3, &c, 1);
  attr_ints(node(b, "AveragePool", &c, 1, &a, 1), "kernel_shape", 2, (int64_t[]){3, 3});
  mark_output(b, a);
}

/* A run: Conv -> Transpose -> Reshape -> Gemm; the Transpose and the view follow the float32
 * run (one Cast in, one out). */
static void conv_run(builder* b, rng* r) {
  int64_t c = irand(r, 1, 6), oc = irand(r, 1, 8), h = irand(r, 1, 7), w = irand(r, 1, 7);
  int64_t xd[4] = {1, c, h, w}, wd[4] = {oc, c, 1, 1}, shape[2] = {1, oc * h * w}, gd[2] = {5, oc * h * w};
  int x = input(b, "x", 4, xd), wt = constant(b, "w", 4, wd), y = output(b, "y"), t = output(b, "t"), v = output(b, "v");
  node(b, "Conv", (int[]){x, wt}, 2, &y, 1);
  attr_ints(node(b, "Transpose", &y, 1, &t, 1), "perm", 4, (int64_t[]){0, 2, 3, 1});
  node(b, "Reshape", (int[]){t, constant_i64(b, "shape", 2, shape)}, 2, &v, 1);
  int g = output(b, "g");
  attr_i(node(b, "Gemm", (int[]){v, constant(b, "gw", 2, gd)}, 2, &g, 1), "transB", 1);
  mark_output(b, g);
}

/* A 16-bit Transpose alone keeps its dtype (a native kernel moves 16-bit elements). */
static void transpose_only(builder* b, rng* r) {
  int64_t xd[3] = {irand(r, 1, 9), irand(r, 1, 9), irand(r, 1, 9)};
  int x = input(b, "x", 3, xd), y = output(b, "y");
  attr_ints(node(b, "Transpose", &x, 1, &y, 1), "perm", 3, (int64_t[]){2, 0, 1});
  mark_output(b, y);
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261201};
  static const int kTypes[] = {ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16};
  for (int t = 0; t < 2; t++) {
    int dt = kTypes[t];
    for (int i = 0; i < 8; i++) check(&r, dt == ROOF_DT_FLOAT16 ? "f16 Conv+Relu" : "bf16 Conv+Relu", conv_relu, dt, "Conv", 2);
    for (int i = 0; i < 4; i++) check(&r, "Gemm", gemm, dt, "Gemm", 2);
    for (int i = 0; i < 4; i++) check(&r, "MatMul", matmul, dt, "MatMul", 2);
    for (int i = 0; i < 4; i++) check(&r, "BatchNormalization+MaxPool+GlobalAveragePool", bn_pool, dt, "MaxPool", 2);
    for (int i = 0; i < 4; i++) check(&r, "Add+Clip+AveragePool", add_clip_avg, dt, "Add", 3);
    for (int i = 0; i < 4; i++) check(&r, "Conv+Transpose+Reshape+Gemm", conv_run, dt, "Conv", 2);
    for (int i = 0; i < 2; i++) check(&r, "Transpose alone", transpose_only, dt, "Transpose", 0);
  }
  printf("test_f16: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
