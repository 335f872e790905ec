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
 *            value and one value given twice need Identity nodes) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void) {
  rng r = {2026};
  int cases = 0;
  for (int i = 0; i < 8; i++, cases += 4) {
    const_case(&r, i % 2);
    shape_case(&r);
    outer_case(&r, i % 2 == 0);
    shape_case(&r);
  }
  printf("test_control: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
