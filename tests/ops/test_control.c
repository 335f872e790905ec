/* If folding (runtime/if_fold.c) on graphs built as the loader builds them: branch nodes
 * dormant in the graph, each branch attribute listing its output values. Random [R, C] shapes
 * (odd sizes included), each case run on the reference and the default kernels at 1 and 2
 * threads against values computed here, failing at the first bad element with its
 * coordinates; the folded list must name every node of the branches not taken.
 *   const:   a constant condition; then Relu(x), else Neg(x)
 *   shape:   Equal(Gather(Shape(x), 0), k): decided by static shapes; the then branch holds a
 *            nested If on a constant false (then Neg(x), else Mul(x, w) with w an outer
 *            initializer); else Sigmoid(x)
 *   outer:   two outputs: then returns the outer x and Relu(x), else Neg(x) twice (an outer
 *            value and one value given twice need Identity nodes)
 * Control flow decided at run time (runtime/control.c), each against values computed here:
 *   run-time If: the condition a graph input, run true (then Relu(x)) and false (else Neg(x))
 *            on one session plan; the branch taken and the one not taken each checked
 *   Loop:    y = y0 + x per iteration, its value each iteration as a scan output; M 0, 1 and 3,
 *            and a condition false at the start (constant: 0 iterations planned)
 *   Scan:    a running sum over the rows of xs, input and output directions forward and reverse */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "if_fold.h"
#include "session_outputs.h"

static int failures;

static int bool_const(builder* b, const char* name, bool v) {
  int c = roof_graph_add_value(b->g, name);
  roof_value_set_shape(&b->g->values[c], ROOF_DT_BOOL, 0, NULL);
  uint8_t* d = malloc(1);
  *d = v;
  b->g->values[c].data = d;
  b->g->values[c].nbytes = 1;
  b->g->values[c].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  return c;
}

static void branch_attr(roof_node* n, const char* name, int count, const int* outs) {
  roof_attr* a = add_attr(n, name, ROOF_ATTR_GRAPH);
  a->ints = malloc(sizeof(int64_t) * (size_t)count);
  for (int i = 0; i < count; i++) a->ints[i] = outs[i];
  a->n = (size_t)count;
}

/* The node just added is a dormant node of `branch` of If node `owner`. */
static int dormant(builder* b, int owner, int branch) {
  roof_node* n = &b->g->nodes[b->g->num_nodes - 1];
  n->removed = true;
  n->branch_of = owner + 1;
  n->branch = branch;
  return b->g->num_nodes - 1;
}

/* A unary branch node named NAME: OP(x) -> new value NAME_out. */
static int unary_in(builder* b, int owner, int branch, const char* name, const char* op, int x) {
  char vn[64];
  snprintf(vn, sizeof(vn), "%s_out", name);
  int y = output(b, vn);
  named(b, name, op, &x, 1, &y, 1);
  dormant(b, owner, branch);
  return y;
}

static int count_folded(const roof_graph* g) {
  int k = 0;
  for (int i = 0; i < g->num_folded; i++) k += strcmp(g->folded[i].pass, ROOF_IF_FOLD_PASS) == 0;
  return k;
}

static bool folded_named(const roof_graph* g, const char* name) {
  for (int i = 0; i < g->num_folded; i++) {
    if (strcmp(g->folded[i].pass, ROOF_IF_FOLD_PASS) == 0 && strcmp(g->folded[i].name, name) == 0) return true;
  }
  return false;
}

typedef float (*expect_fn)(int out, float x, float w, const void* ctx);

/* Prepares, checks the folded list, runs 4 ways and compares every output with `want`. */
static void check(builder* b, int64_t rows, int64_t cols, const float* w, expect_fn want, const void* ctx,
                  int expect_folded, const char* const* untaken) {
  roof_model* m = test_prepare(b);
  if (m == NULL) {
    failures++;
    return;
  }
  if (count_folded(m->g) != expect_folded) {
    fprintf(stderr, "FAIL %s: %d nodes folded by if_fold, want %d\n", b->label, count_folded(m->g), expect_folded);
    failures++;
  }
  for (int i = 0; untaken[i]; i++) {
    if (!folded_named(m->g, untaken[i])) {
      fprintf(stderr, "FAIL %s: node '%s' not listed as folded by if_fold\n", b->label, untaken[i]);
      failures++;
    }
  }
  int64_t n = rows * cols;
  float* x = malloc(sizeof(float) * (size_t)n);
  for (int64_t i = 0; i < n; i++) x[i] = frand(b->r) * 3.0f;
  void* in[1] = {x};
  for (int way = 0; way < 4; way++) {
    bool reference = way < 2, took = false;
    int threads = 1 + way % 2;
    test_outputs got = {0};
    if (!test_run_session(m, reference, threads, in, "If", &took, &got)) {
      failures++;
      continue;
    }
    for (int o = 0; o < got.n; o++) {
      const float* y = got.data[o];
      for (int64_t i = 0; i < n; i++) {
        float e = want(o, x[i], w ? w[i] : 0.0f, ctx);
        if (fabsf(y[i] - e) > 1e-6f * (1.0f + fabsf(e))) {
          fprintf(stderr, "FAIL %s (%s, %d threads): output %d at [%lld, %lld]: %g, want %g\n", b->label,
                  reference ? "reference" : "default kernels", threads, o, (long long)(i / cols), (long long)(i % cols),
                  y[i], e);
          failures++;
          break;
        }
      }
    }
    test_outputs_free(&got);
  }
  free(x);
  roof_model_free(m);
}

static float expect_const(int out, float x, float w, const void* ctx) {
  (void)out;
  (void)w;
  return *(const bool*)ctx ? fmaxf(x, 0.0f) : -x;
}

static void const_case(rng* r, bool cond) {
  int64_t dims[2] = {irand(r, 1, 9), irand(r, 1, 9)};
  char label[96];
  snprintf(label, sizeof(label), "If on a constant %s, x %lldx%lld", cond ? "true" : "false", (long long)dims[0],
           (long long)dims[1]);
  builder b = start(r, label);
  int x = input(&b, "x", 2, dims), c = bool_const(&b, "cond", cond), y = output(&b, "y");
  named(&b, "if", "If", &c, 1, &y, 1);
  int owner = b.g->num_nodes - 1;
  int t = unary_in(&b, owner, 0, "then_relu", "Relu", x);
  int e = unary_in(&b, owner, 1, "else_neg", "Neg", x);
  branch_attr(&b.g->nodes[owner], "then_branch", 1, &t);
  branch_attr(&b.g->nodes[owner], "else_branch", 1, &e);
  mark_output(&b, y);
  const char* untaken[] = {cond ? "else_neg" : "then_relu", "if", NULL};
  check(&b, dims[0], dims[1], NULL, expect_const, &cond, 2, untaken);
}

static float expect_shape(int out, float x, float w, const void* ctx) {
  (void)out;
  return *(const bool*)ctx ? x * w : 1.0f / (1.0f + expf(-x));
}

static void shape_case(rng* r) {
  int64_t dims[2] = {irand(r, 1, 9), irand(r, 1, 9)};
  bool match = irand(r, 0, 1);
  int64_t k = match ? dims[0] : dims[0] + 1, zero = 0;
  char label[96];
  snprintf(label, sizeof(label), "If on Shape(x)[0] == %lld, x %lldx%lld, nested If", (long long)k, (long long)dims[0],
           (long long)dims[1]);
  builder b = start(r, label);
  int x = input(&b, "x", 2, dims), w = constant(&b, "w", 2, dims);
  int idx = constant_i64(&b, "idx", 1, &zero), kv = constant_i64(&b, "k", 1, &k);
  b.g->values[idx].rank = 0; /* scalars */
  b.g->values[kv].rank = 0;
  int s = output(&b, "s"), d = output(&b, "d"), c = output(&b, "c"), y = output(&b, "y");
  named(&b, "shape", "Shape", &x, 1, &s, 1);
  int gin[2] = {s, idx}, ein[2] = {d, kv};
  named(&b, "gather", "Gather", gin, 2, &d, 1);
  named(&b, "equal", "Equal", ein, 2, &c, 1);
  named(&b, "if", "If", &c, 1, &y, 1);
  int owner = b.g->num_nodes - 1;
  /* then: a nested If on a constant false */
  int fc = bool_const(&b, "inner_cond", false), ti = output(&b, "inner_y");
  named(&b, "inner_if", "If", &fc, 1, &ti, 1);
  int inner = dormant(&b, owner, 0);
  int in_t = unary_in(&b, inner, 0, "inner_neg", "Neg", x);
  int mw = output(&b, "inner_mul_out"), min[2] = {x, w};
  named(&b, "inner_mul", "Mul", min, 2, &mw, 1);
  dormant(&b, inner, 1);
  branch_attr(&b.g->nodes[inner], "then_branch", 1, &in_t);
  branch_attr(&b.g->nodes[inner], "else_branch", 1, &mw);
  int e = unary_in(&b, owner, 1, "else_sigmoid", "Sigmoid", x);
  branch_attr(&b.g->nodes[owner], "then_branch", 1, &ti);
  branch_attr(&b.g->nodes[owner], "else_branch", 1, &e);
  mark_output(&b, y);
  const float* wd = b.g->values[w].data;
  float* wcopy = malloc(sizeof(float) * (size_t)(dims[0] * dims[1]));
  memcpy(wcopy, wd, sizeof(float) * (size_t)(dims[0] * dims[1]));
  /* then taken: if, else_sigmoid, inner_if (replaced) and inner_neg folded; else taken: if and
   * the whole then branch (inner_if, inner_neg, inner_mul) */
  const char* taken[] = {"else_sigmoid", "inner_neg", "inner_if", "if", NULL};
  const char* other[] = {"inner_if", "inner_neg", "inner_mul", "if", NULL};
  check(&b, dims[0], dims[1], wcopy, expect_shape, &match, 4, match ? taken : other);
  free(wcopy);
}

static float expect_outer(int out, float x, float w, const void* ctx) {
  (void)w;
  if (!*(const bool*)ctx) return -x;
  return out == 0 ? x : fmaxf(x, 0.0f);
}

static void outer_case(rng* r, bool cond) {
  int64_t dims[2] = {irand(r, 1, 9), irand(r, 1, 9)};
  char label[96];
  snprintf(label, sizeof(label), "If returning an outer value and one value twice (%s), x %lldx%lld",
           cond ? "true" : "false", (long long)dims[0], (long long)dims[1]);
  builder b = start(r, label);
  int x = input(&b, "x", 2, dims), c = bool_const(&b, "cond", cond);
  int ys[2] = {output(&b, "y0"), output(&b, "y1")};
  named(&b, "if", "If", &c, 1, ys, 2);
  int owner = b.g->num_nodes - 1;
  int t = unary_in(&b, owner, 0, "then_relu", "Relu", x);
  int e = unary_in(&b, owner, 1, "else_neg", "Neg", x);
  int touts[2] = {x, t}, eouts[2] = {e, e};
  branch_attr(&b.g->nodes[owner], "then_branch", 2, touts);
  branch_attr(&b.g->nodes[owner], "else_branch", 2, eouts);
  mark_output(&b, ys[0]);
  mark_output(&b, ys[1]);
  const char* untaken[] = {cond ? "else_neg" : "then_relu", "if", NULL};
  check(&b, dims[0], dims[1], NULL, expect_outer, &cond, 2, untaken);
}

/* Runs prepared model m 4 ways on `in` and compares output o with want[o] (counts[o] floats). */
static void check_runs(const char* label, roof_model* m, void* const* in, const float* const* want, const int64_t* counts,
                       int nout) {
  for (int way = 0; way < 4; way++) {
    bool reference = way < 2, took = false;
    int threads = 1 + way % 2;
    test_outputs got = {0};
    if (!test_run_session(m, reference, threads, in, "Add", &took, &got) || got.n != nout) {
      fprintf(stderr, "FAIL %s: run failed or %d outputs, want %d\n", label, got.n, nout);
      failures++;
      test_outputs_free(&got);
      continue;
    }
    for (int o = 0; o < nout; o++) {
      if ((int64_t)(got.info[o].nbytes / sizeof(float)) != counts[o]) {
        fprintf(stderr, "FAIL %s: output %d holds %zu bytes, want %lld floats\n", label, o, got.info[o].nbytes,
                (long long)counts[o]);
        failures++;
        continue;
      }
      const float* y = got.data[o];
      for (int64_t i = 0; i < counts[o]; i++) {
        if (fabsf(y[i] - want[o][i]) > 1e-5f * (1.0f + fabsf(want[o][i]))) {
          char cb[64];
          fprintf(stderr, "FAIL %s (%s, %d threads): output %d at [%s]: %g, want %g\n", label,
                  reference ? "reference" : "default kernels", threads, o,
                  test_coords(&got.info[o], (size_t)i, cb, sizeof(cb)), y[i], want[o][i]);
          failures++;
          break;
        }
      }
    }
    test_outputs_free(&got);
  }
}

/* The builder's graph linked as the loader links it (outer reads of bodies as inputs). */
static roof_model* link_and_prepare(builder* b) {
  roof_error err = {{0}};
  if (roof_control_link(b->g, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: link: %s\n", b->label, err.message);
    failures++;
    return NULL;
  }
  roof_model* m = test_prepare(b);
  if (m == NULL) failures++;
  return m;
}

static void runtime_if_case(rng* r) {
  int64_t dims[2] = {irand(r, 1, 9), irand(r, 1, 9)};
  char label[96];
  snprintf(label, sizeof(label), "If decided at run time, x %lldx%lld", (long long)dims[0], (long long)dims[1]);
  builder b = start(r, label);
  int x = input(&b, "x", 2, dims), c = typed_input(&b, "cond", ROOF_DT_BOOL, 0, NULL);
  int y = output(&b, "y");
  named(&b, "if", "If", &c, 1, &y, 1);
  int owner = b.g->num_nodes - 1;
  int t = unary_in(&b, owner, 0, "then_relu", "Relu", x), e = unary_in(&b, owner, 1, "else_neg", "Neg", x);
  branch_attr(&b.g->nodes[owner], "then_branch", 1, &t);
  branch_attr(&b.g->nodes[owner], "else_branch", 1, &e);
  mark_output(&b, y);
  roof_model* m = link_and_prepare(&b);
  if (m == NULL) return;
  const roof_node* n = &m->g->nodes[owner];
  if (n->removed || n->num_subgraphs != 2) {
    fprintf(stderr, "FAIL %s: the If was not planned with two branches (%d)\n", label, n->num_subgraphs);
    failures++;
  }
  int64_t count = dims[0] * dims[1];
  float* xv = malloc(sizeof(float) * (size_t)count);
  float* want = malloc(sizeof(float) * (size_t)count);
  for (int64_t i = 0; i < count; i++) xv[i] = frand(r) * 3.0f;
  for (int cond = 0; cond < 2; cond++) {
    uint8_t cv = (uint8_t)cond;
    for (int64_t i = 0; i < count; i++) want[i] = cond ? fmaxf(xv[i], 0.0f) : -xv[i];
    void* in[2] = {xv, &cv};
    const float* w[1] = {want};
    check_runs(label, m, in, w, &count, 1);
  }
  free(xv);
  free(want);
  roof_model_free(m);
}

/* Loop: body (i, c_in, y_in) -> (Identity(c_in), y_in + x, the same as a scan output). */
static void loop_case(rng* r, int64_t trips, bool cond0) {
  int64_t dims[2] = {irand(r, 1, 7), irand(r, 1, 7)};
  char label[128];
  snprintf(label, sizeof(label), "Loop M %lld, condition %s at the start, y %lldx%lld", (long long)trips,
           cond0 ? "true" : "false", (long long)dims[0], (long long)dims[1]);
  builder b = start(r, label);
  int x = input(&b, "x", 2, dims), y0 = input(&b, "y0", 2, dims);
  int mv = constant_i64(&b, "m", 1, &trips);
  roof_value_set_shape(&b.g->values[mv], ROOF_DT_INT64, 0, NULL);
  int c = bool_const(&b, "c", cond0);
  int outs[2] = {output(&b, "y"), output(&b, "s")}, ins[3] = {mv, c, y0};
  named(&b, "loop", "Loop", ins, 3, outs, 2);
  int owner = b.g->num_nodes - 1;
  int bi = roof_graph_add_value(b.g, "i"), bc = roof_graph_add_value(b.g, "c_in"), by = roof_graph_add_value(b.g, "y_in");
  int cout = output(&b, "c_out"), yout = output(&b, "y_out"), sout = output(&b, "s_out");
  named(&b, "cond_id", "Identity", &bc, 1, &cout, 1);
  dormant(&b, owner, 0);
  int add_in[2] = {by, x};
  named(&b, "add", "Add", add_in, 2, &yout, 1);
  dormant(&b, owner, 0);
  named(&b, "scan_id", "Identity", &yout, 1, &sout, 1);
  dormant(&b, owner, 0);
  int bouts[3] = {cout, yout, sout};
  branch_attr(&b.g->nodes[owner], "body", 3, bouts);
  roof_attr* at = &b.g->nodes[owner].attrs[0];
  at->graph_inputs = malloc(sizeof(int) * 3);
  at->graph_inputs[0] = bi, at->graph_inputs[1] = bc, at->graph_inputs[2] = by;
  at->num_graph_inputs = 3;
  mark_output(&b, outs[0]);
  mark_output(&b, outs[1]);
  roof_model* m = link_and_prepare(&b);
  if (m == NULL) return;
  int64_t iters = cond0 ? trips : 0, count = dims[0] * dims[1], counts[2] = {count, iters * count};
  float* xv = malloc(sizeof(float) * (size_t)count);
  float* yv = malloc(sizeof(float) * (size_t)count);
  float* wy = malloc(sizeof(float) * (size_t)count);
  float* ws = malloc(sizeof(float) * (size_t)(counts[1] + 1));
  for (int64_t i = 0; i < count; i++) xv[i] = frand(r), yv[i] = frand(r), wy[i] = yv[i];
  for (int64_t t = 0; t < iters; t++) {
    for (int64_t i = 0; i < count; i++) ws[t * count + i] = wy[i] = wy[i] + xv[i];
  }
  void* in[2] = {xv, yv};
  const float* w[2] = {wy, ws};
  check_runs(label, m, in, w, counts, 2);
  free(xv), free(yv), free(wy), free(ws);
  roof_model_free(m);
}

/* Scan: state s [C], scan input xs [L, C]; body s_out = s_in + x_t, z_t = s_out. */
static void scan_case(rng* r, bool in_reverse, bool out_reverse) {
  int64_t len = irand(r, 1, 6), cols = irand(r, 1, 9), sd[1] = {cols}, xd[2] = {len, cols};
  char label[128];
  snprintf(label, sizeof(label), "Scan %lld steps of %lld, input %s, output %s", (long long)len, (long long)cols,
           in_reverse ? "reverse" : "forward", out_reverse ? "reverse" : "forward");
  builder b = start(r, label);
  int s0 = input(&b, "s0", 1, sd), xs = input(&b, "xs", 2, xd);
  int outs[2] = {output(&b, "s"), output(&b, "z")}, ins[2] = {s0, xs};
  roof_node* sn = named(&b, "scan", "Scan", ins, 2, outs, 2);
  attr_i(sn, "num_scan_inputs", 1);
  int64_t ird = in_reverse, ord = out_reverse;
  attr_ints(sn, "scan_input_directions", 1, &ird);
  attr_ints(&b.g->nodes[b.g->num_nodes - 1], "scan_output_directions", 1, &ord);
  int owner = b.g->num_nodes - 1;
  int bs = roof_graph_add_value(b.g, "s_in"), bx = roof_graph_add_value(b.g, "x_t");
  int so = output(&b, "s_out"), zo = output(&b, "z_t"), add_in[2] = {bs, bx};
  named(&b, "add", "Add", add_in, 2, &so, 1);
  dormant(&b, owner, 0);
  named(&b, "z_id", "Identity", &so, 1, &zo, 1);
  dormant(&b, owner, 0);
  int bouts[2] = {so, zo};
  branch_attr(&b.g->nodes[owner], "body", 2, bouts);
  roof_attr* at = (roof_attr*)roof_node_attr(&b.g->nodes[owner], "body");
  at->graph_inputs = malloc(sizeof(int) * 2);
  at->graph_inputs[0] = bs, at->graph_inputs[1] = bx;
  at->num_graph_inputs = 2;
  mark_output(&b, outs[0]);
  mark_output(&b, outs[1]);
  b.g->opset = 11;
  roof_model* m = link_and_prepare(&b);
  if (m == NULL) return;
  int64_t counts[2] = {cols, len * cols};
  float* sv = malloc(sizeof(float) * (size_t)cols);
  float* xv = malloc(sizeof(float) * (size_t)(len * cols));
  float* ws = malloc(sizeof(float) * (size_t)cols);
  float* wz = malloc(sizeof(float) * (size_t)(len * cols));
  for (int64_t i = 0; i < cols; i++) ws[i] = sv[i] = frand(r);
  for (int64_t i = 0; i < len * cols; i++) xv[i] = frand(r);
  for (int64_t t = 0; t < len; t++) {
    int64_t ti = in_reverse ? len - 1 - t : t, to = out_reverse ? len - 1 - t : t;
    for (int64_t i = 0; i < cols; i++) wz[to * cols + i] = ws[i] = ws[i] + xv[ti * cols + i];
  }
  void* in[2] = {sv, xv};
  const float* w[2] = {ws, wz};
  check_runs(label, m, in, w, counts, 2);
  free(sv), free(xv), free(ws), free(wz);
  roof_model_free(m);
}

int main(void) {
  rng r = {2026};
  int cases = 0;
  for (int i = 0; i < 8; i++, cases += 4) {
    const_case(&r, i % 2);
    shape_case(&r);
    outer_case(&r, i % 2 == 0);
    shape_case(&r);
  }
  for (int i = 0; i < 4; i++, cases++) runtime_if_case(&r);
  static const int64_t kTrips[] = {0, 1, 3};
  for (int i = 0; i < 3; i++, cases++) loop_case(&r, kTrips[i], true);
  loop_case(&r, 3, false);
  cases++;
  for (int i = 0; i < 4; i++, cases++) scan_case(&r, i & 1, (i >> 1) & 1);
  printf("test_control: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
