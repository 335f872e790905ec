/* Reduction op tests (ops/reduce_list.inc).
 *
 * Differential: every row's native kernel against its reference kernel on random float32 data
 * of random shapes (odd sizes, rows longer than the lanes, more columns than a tile), over the
 * innermost axes, a middle run of axes, the leading axis and all axes, at opset 13 (axes an
 * attribute) and 18 (axes a constant input); the native kernel must be taken (unless
 * ROOFTOP_NO_NATIVE=1). A run of axes with a gap must fall back to the reference.
 * Hand-computed: empty reductions, integer dtypes (wrapping sums, dtype limits), NaN in Max /
 * ArgMax (numpy's answers), ties with select_last_index, noop_with_empty_axes, a LogSumExp that
 * would overflow, each run both ways. Fails at the first bad element with its coordinates.
 * usage: test_reduce [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"

static int failures, cases;

static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

/* One node of `op` over input x. Axes go to the attribute or, from `axes_in` on, to a constant
 * input; num_axes < 0 gives none. Arg ops take axes[0] as `axis`. */
typedef struct rcase {
  const char* op;
  int opset, dtype, rank;
  int64_t dims[ROOF_MAX_RANK];
  int num_axes;
  int64_t axes[ROOF_MAX_RANK];
  int keepdims, noop, select_last;
} rcase;

static bool is_arg(const char* op) { return strncmp(op, "Arg", 3) == 0; }
static int axes_input_from(const char* op) { return strcmp(op, "ReduceSum") == 0 ? 13 : 18; }

static roof_model* build(rng* r, const rcase* c, const char* label) {
  builder b = start(r, label);
  b.g->opset = c->opset;
  int ins[2] = {input(&b, "x", c->rank, c->dims), -1}, nin = 1;
  roof_value_set_shape(&b.g->values[ins[0]], c->dtype, c->rank, c->dims);
  bool as_input = !is_arg(c->op) && c->opset >= axes_input_from(c->op);
  if (as_input && c->num_axes >= 0) ins[nin++] = constant_i64(&b, "axes", c->num_axes, c->axes);
  int y = output(&b, "y");
  roof_node* n = node(&b, c->op, ins, nin, &y, 1);
  if (is_arg(c->op)) {
    attr_i(n, "axis", c->axes[0]);
    attr_i(n, "select_last_index", c->select_last);
  } else {
    if (!as_input && c->num_axes >= 0) attr_ints(n, "axes", c->num_axes, c->axes);
    if (c->noop) attr_i(n, "noop_with_empty_axes", 1);
  }
  attr_i(n, "keepdims", c->keepdims);
  mark_output(&b, y);
  roof_graph* g = b.g;
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "none"};
  if (roof_model_from_graph(g, &m, &err) != ROOF_OK || roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", label, err.message);
    failures++;
    roof_model_free(m);
    return NULL;
  }
  return m;
}

typedef struct result {
  void* data;
  roof_io_info info;
  int backend; /* of the node under test */
} result;

static bool run(const roof_model* m, bool reference, const void* in, size_t in_bytes, const char* op, const char* label,
                result* out) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = 2, .force_reference = reference};
  bool ok = roof_session_create(m, &so, &s, &err) == ROOF_OK && roof_session_set_input(s, 0, in, in_bytes, &err) == ROOF_OK &&
            roof_session_run(s, NULL, &err) == ROOF_OK;
  if (!ok) {
    fprintf(stderr, "FAIL %s: %s\n", label, err.message);
    failures++;
    roof_session_free(s);
    return false;
  }
  out->backend = ROOF_BACKEND_REF;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (k->impl && strcmp(k->node->op_type, op) == 0) out->backend = (int)k->impl->backend;
  }
  roof_session_output_info(s, 0, &out->info);
  out->data = malloc(out->info.nbytes + 1);
  memcpy(out->data, roof_session_output(s, 0), out->info.nbytes);
  roof_session_free(s);
  return true;
}

/* Output element i as the test compares it: doubles, or exact int64 for integer dtypes. */
static double elem_f(const result* r, size_t i) { return roof_load_f64(r->info.dtype, r->data, (int64_t)i); }
static int64_t elem_i(const result* r, size_t i) { return roof_load_i64(r->info.dtype, r->data, (int64_t)i); }

static void report(const char* label, const roof_io_info* info, size_t i, const char* what) {
  int64_t idx[ROOF_MAX_RANK];
  size_t rem = i;
  for (int d = info->rank - 1; d >= 0; d--) {
    idx[d] = (int64_t)(rem % (size_t)info->dims[d]);
    rem /= (size_t)info->dims[d];
  }
  char c[96];
  fprintf(stderr, "FAIL %s: element [%s]: %s\n", label, roof_shape_str(idx, info->rank, c, sizeof(c)), what);
  failures++;
}

static bool close_enough(double got, double want, double mag) {
  if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
  if (isinf(want)) return got == want;
  return fabs(got - want) <= 1e-5 * mag + 1e-4 * fabs(want) + 1e-6;
}

/* ---- native against reference ---- */

static void differential(rng* r, const rcase* c, const char* label, bool expect_native) {
  cases++;
  roof_model* m = build(r, c, label);
  if (m == NULL) return;
  uint64_t n = 1;
  for (int d = 0; d < c->rank; d++) n *= (uint64_t)c->dims[d];
  float* in = malloc(sizeof(float) * (n ? n : 1));
  for (uint64_t i = 0; i < n; i++) in[i] = frand(r) * 2.0f;
  result ref = {0}, fast = {0};
  if (run(m, true, in, n * sizeof(float), c->op, label, &ref) && run(m, false, in, n * sizeof(float), c->op, label, &fast)) {
    size_t count = ref.info.nbytes / roof_dtype_size(ref.info.dtype);
    bool as_int = !roof_dtype_is_float(ref.info.dtype);
    double mag = 0;
    for (size_t i = 0; i < count && !as_int; i++) mag = isfinite(elem_f(&ref, i)) ? fmax(mag, fabs(elem_f(&ref, i))) : mag;
    if (expect_native && !native_off() && fast.backend != ROOF_BACKEND_NATIVE) {
      fprintf(stderr, "FAIL %s: the native kernel was not taken\n", label);
      failures++;
    } else if (!expect_native && fast.backend == ROOF_BACKEND_NATIVE) {
      fprintf(stderr, "FAIL %s: the native kernel took a case it should refuse\n", label);
      failures++;
    }
    for (size_t i = 0; i < count; i++) {
      char what[96];
      if (as_int && elem_i(&fast, i) != elem_i(&ref, i)) {
        snprintf(what, sizeof(what), "fast %lld, reference %lld", (long long)elem_i(&fast, i), (long long)elem_i(&ref, i));
      } else if (!as_int && !close_enough(elem_f(&fast, i), elem_f(&ref, i), mag)) {
        snprintf(what, sizeof(what), "fast %.8g, reference %.8g", elem_f(&fast, i), elem_f(&ref, i));
      } else {
        continue;
      }
      report(label, &ref.info, i, what);
      break;
    }
  }
  free(ref.data);
  free(fast.data);
  free(in);
  roof_model_free(m);
}

static const char* const kOps[] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                                   "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"};
#define NUM_OPS (int)(sizeof(kOps) / sizeof(kOps[0]))

/* Axes patterns: 0 the last, 1 the last two, 2 a middle one, 3 a middle run of two, 4 the
 * first, 5 all (none given), 6 first and last (not a run: the reference). Arg ops take one. */
static int pick_axes(rng* r, const char* op, int pattern, rcase* c) {
  int rank = c->rank;
  c->num_axes = 1;
  switch (pattern) {
    case 0: c->axes[0] = irand(r, 0, 1) ? -1 : rank - 1; break;
    case 1: c->num_axes = 2, c->axes[0] = rank - 2, c->axes[1] = -1; break;
    case 2: c->axes[0] = 1; break;
    case 3: c->num_axes = 2, c->axes[0] = 2, c->axes[1] = 1; break;
    case 4: c->axes[0] = 0; break;
    case 5: c->num_axes = -1; break;
    default: c->num_axes = 2, c->axes[0] = 0, c->axes[1] = rank - 1; break;
  }
  if (is_arg(op) && c->num_axes != 1) c->num_axes = 1, c->axes[0] = pattern == 5 ? 0 : rank - 2;
  return c->num_axes;
}

/* The native kernels' case: the reduced dims of size > 1 are one run. */
static bool one_run(const rcase* c) {
  bool red[ROOF_MAX_RANK] = {false};
  for (int i = 0; i < c->num_axes; i++) red[(c->axes[i] + c->rank) % c->rank] = true;
  if (c->num_axes < 0) return true;
  int first = -1, last = -1;
  for (int d = 0; d < c->rank; d++) {
    if (red[d] && c->dims[d] != 1) last = d, first = first < 0 ? d : first;
  }
  for (int d = first; first >= 0 && d <= last; d++) {
    if (!red[d] && c->dims[d] != 1) return false;
  }
  return true;
}

static void random_cases(rng* r) {
  static const int64_t kLong[] = {1, 3, 7, 8, 9, 17, 37, 67, 130};
  for (int op = 0; op < NUM_OPS; op++) {
    for (int pattern = 0; pattern < 7; pattern++) {
      rcase c = {.op = kOps[op], .dtype = ROOF_DT_FLOAT, .keepdims = irand(r, 0, 1), .select_last = irand(r, 0, 1)};
      c.opset = irand(r, 0, 1) ? 18 : 13;
      c.rank = pattern == 3 || pattern == 6 ? irand(r, 3, 4) : irand(r, 2, 4);
      for (int d = 0; d < c.rank; d++) c.dims[d] = irand(r, 1, 6);
      c.dims[c.rank - 1] = kLong[irand(r, 0, 8)]; /* a long innermost dim: rows past the lanes, columns past a tile */
      pick_axes(r, c.op, pattern, &c);
      char label[160];
      char s[64];
      snprintf(label, sizeof(label), "%s#%d x %s opset %d axes pattern %d keepdims %d%s", c.op, pattern,
               roof_shape_str(c.dims, c.rank, s, sizeof(s)), c.opset, pattern, c.keepdims, c.select_last ? " last" : "");
      differential(r, &c, label, one_run(&c));
    }
  }
}

/* ---- hand-computed ---- */

/* Runs the case on the reference and the default kernels; every output element must equal
 * want (floats: relative 1e-6, NaN and infinities exactly; integers exactly). */
static void expect(rng* r, const rcase* c, const void* in, size_t in_bytes, const double* want_f, const int64_t* want_i,
                   size_t want_count, const char* label) {
  roof_model* m = build(r, c, label);
  if (m == NULL) return;
  for (int reference = 1; reference >= 0; reference--) {
    cases++;
    result res = {0};
    if (!run(m, reference, in, in_bytes, c->op, label, &res)) continue;
    size_t count = res.info.nbytes / roof_dtype_size(res.info.dtype);
    if (count != want_count) {
      fprintf(stderr, "FAIL %s: %zu output elements, want %zu\n", label, count, want_count);
      failures++;
    }
    for (size_t i = 0; i < count && i < want_count; i++) {
      char what[128];
      if (want_i && elem_i(&res, i) != want_i[i]) {
        snprintf(what, sizeof(what), "%s %lld, want %lld", reference ? "reference" : "default", (long long)elem_i(&res, i),
                 (long long)want_i[i]);
      } else if (want_f && !close_enough(elem_f(&res, i), want_f[i], 0.0)) {
        snprintf(what, sizeof(what), "%s %.9g, want %.9g", reference ? "reference" : "default", elem_f(&res, i), want_f[i]);
      } else {
        continue;
      }
      report(label, &res.info, i, what);
      break;
    }
    free(res.data);
  }
  roof_model_free(m);
}

/* Reductions over an empty axis: FINAL(INIT). x [2, 0], axes [1]. */
static void empty_cases(rng* r) {
  static const struct {
    const char* op;
    double want;
  } kEmpty[] = {{"ReduceSum", 0.0},       {"ReduceProd", 1.0},     {"ReduceMax", -INFINITY}, {"ReduceMin", INFINITY},
                {"ReduceL1", 0.0},        {"ReduceL2", 0.0},       {"ReduceSumSquare", 0.0}, {"ReduceLogSum", -INFINITY},
                {"ReduceLogSumExp", -INFINITY}, {"ReduceMean", NAN}};
  float dummy = 0.0f;
  for (size_t i = 0; i < sizeof(kEmpty) / sizeof(kEmpty[0]); i++) {
    rcase c = {.op = kEmpty[i].op, .opset = 18, .dtype = ROOF_DT_FLOAT, .rank = 2, .dims = {2, 0}, .num_axes = 1, .axes = {1}};
    double want[2] = {kEmpty[i].want, kEmpty[i].want};
    char label[64];
    snprintf(label, sizeof(label), "%s over an empty axis", c.op);
    expect(r, &c, &dummy, 0, want, NULL, 2, label);
  }
  /* integers: the dtype's limits */
  rcase c = {.op = "ReduceMax", .opset = 18, .dtype = ROOF_DT_INT8, .rank = 2, .dims = {1, 0}, .num_axes = 1, .axes = {1}};
  int64_t lo[1] = {-128}, hi[1] = {255};
  expect(r, &c, &dummy, 0, NULL, lo, 1, "ReduceMax int8 over an empty axis");
  c.op = "ReduceMin", c.dtype = ROOF_DT_UINT8;
  expect(r, &c, &dummy, 0, NULL, hi, 1, "ReduceMin uint8 over an empty axis");
}

static void integer_cases(rng* r) {
  rcase c = {.op = "ReduceSum", .opset = 13, .dtype = ROOF_DT_INT32, .rank = 2, .dims = {2, 2}, .num_axes = 1, .axes = {1}};
  int32_t s32[4] = {2147483647, 1, -7, 3};
  int64_t want_s[2] = {-2147483647 - 1, -4};
  expect(r, &c, s32, sizeof(s32), NULL, want_s, 2, "ReduceSum int32 wraps");
  c.op = "ReduceProd", c.dtype = ROOF_DT_INT64, c.opset = 18;
  int64_t p64[4] = {-3, 5, 4000000000LL, 4000000000LL}, want_p[2] = {-15, (int64_t)(16000000000000000000ULL)};
  expect(r, &c, p64, sizeof(p64), NULL, want_p, 2, "ReduceProd int64 wraps");
  c.op = "ReduceMax", c.dtype = ROOF_DT_UINT64, c.num_axes = -1, c.keepdims = 0;
  uint64_t u64[4] = {9223372036854775813ULL, 1, 7, 9223372036854775812ULL};
  int64_t want_u[1] = {(int64_t)9223372036854775813ULL};
  expect(r, &c, u64, sizeof(u64), NULL, want_u, 1, "ReduceMax uint64 above INT64_MAX");
  c.op = "ReduceMin", c.dtype = ROOF_DT_INT8, c.num_axes = 1, c.axes[0] = 0, c.keepdims = 1;
  int8_t i8[4] = {-128, 5, 3, -6};
  int64_t want_m[2] = {-128, -6};
  expect(r, &c, i8, sizeof(i8), NULL, want_m, 2, "ReduceMin int8 axis 0");
  c.op = "ArgMax", c.dtype = ROOF_DT_INT64, c.axes[0] = 1, c.select_last = 1;
  int64_t a64[4] = {INT64_MAX, INT64_MAX, -1, -2};
  int64_t want_a[2] = {1, 0};
  expect(r, &c, a64, sizeof(a64), NULL, want_a, 2, "ArgMax int64 ties, select_last_index");
}

/* numpy: max and min propagate NaN; argmax and argmin return the first NaN (select_last_index:
 * the last). Rows of 10 (past the lanes) and a column layout. */
static void nan_cases(rng* r) {
  float x[20] = {1, 3, 3, NAN, 2, NAN, 0, 9, 9, 1, /* row 2 */ 4, 8, 2, 8, -1, 0, 8, 3, 5, 7};
  rcase c = {.op = "ReduceMax", .opset = 13, .dtype = ROOF_DT_FLOAT, .rank = 2, .dims = {2, 10}, .num_axes = 1, .axes = {1}};
  double want_max[2] = {NAN, 8}, want_min[2] = {NAN, -1};
  expect(r, &c, x, sizeof(x), want_max, NULL, 2, "ReduceMax NaN rows");
  c.op = "ReduceMin";
  expect(r, &c, x, sizeof(x), want_min, NULL, 2, "ReduceMin NaN rows");
  c.op = "ArgMax";
  int64_t first[2] = {3, 1}, last[2] = {5, 6}, min_first[2] = {3, 4};
  expect(r, &c, x, sizeof(x), NULL, first, 2, "ArgMax NaN first, ties first");
  c.select_last = 1;
  expect(r, &c, x, sizeof(x), NULL, last, 2, "ArgMax NaN last, ties last");
  c.op = "ArgMin", c.select_last = 0;
  expect(r, &c, x, sizeof(x), NULL, min_first, 2, "ArgMin NaN first");
  /* columns: x as [10, 2], axis 0 (the cols kernel) */
  float t[20];
  for (int i = 0; i < 10; i++) t[2 * i] = x[i], t[2 * i + 1] = x[10 + i];
  rcase k = {.op = "ArgMax", .opset = 13, .dtype = ROOF_DT_FLOAT, .rank = 2, .dims = {10, 2}, .num_axes = 1, .axes = {0}};
  expect(r, &k, t, sizeof(t), NULL, first, 2, "ArgMax NaN columns");
  k.select_last = 1;
  expect(r, &k, t, sizeof(t), NULL, last, 2, "ArgMax NaN columns, select_last_index");
  k.op = "ReduceMax", k.select_last = 0;
  expect(r, &k, t, sizeof(t), want_max, NULL, 2, "ReduceMax NaN columns");
}

static void misc_cases(rng* r) {
  /* noop_with_empty_axes: each element reduced alone (the spec's function bodies) */
  float x[3] = {1, -2, 3};
  rcase c = {.op = "ReduceSumSquare", .opset = 18, .dtype = ROOF_DT_FLOAT, .rank = 1, .dims = {3}, .num_axes = -1, .noop = 1,
             .keepdims = 1};
  double sq[3] = {1, 4, 9}, ab[3] = {1, 2, 3}, id[3] = {1, -2, 3};
  expect(r, &c, x, sizeof(x), sq, NULL, 3, "ReduceSumSquare noop_with_empty_axes");
  c.op = "ReduceL1";
  expect(r, &c, x, sizeof(x), ab, NULL, 3, "ReduceL1 noop_with_empty_axes");
  c.op = "ReduceSum", c.opset = 13, c.num_axes = 0; /* an empty constant axes input */
  expect(r, &c, x, sizeof(x), id, NULL, 3, "ReduceSum empty axes input, noop");
  c.noop = 0;
  double total[1] = {2};
  expect(r, &c, x, sizeof(x), total, NULL, 1, "ReduceSum empty axes input: all");
  /* LogSumExp of values whose exp overflows float and double */
  float big[4] = {1000, 1000, 3e38f, -INFINITY};
  rcase l = {.op = "ReduceLogSumExp", .opset = 13, .dtype = ROOF_DT_FLOAT, .rank = 2, .dims = {2, 2}, .num_axes = 1, .axes = {1},
             .keepdims = 0};
  double lse[2] = {1000 + log(2.0), 3e38f};
  expect(r, &l, big, sizeof(big), lse, NULL, 2, "ReduceLogSumExp without overflow");
  /* opset 11: axes an attribute; ReduceMean of float16 through double */
  uint16_t h[4] = {0x3c00, 0x4000, 0x4200, 0x4400}; /* 1, 2, 3, 4 */
  rcase m = {.op = "ReduceMean", .opset = 11, .dtype = ROOF_DT_FLOAT16, .rank = 2, .dims = {2, 2}, .num_axes = 1, .axes = {0},
             .keepdims = 1};
  double mean[2] = {2, 3};
  expect(r, &m, h, sizeof(h), mean, NULL, 2, "ReduceMean float16 opset 11");
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  random_cases(&r);
  empty_cases(&r);
  integer_cases(&r);
  nan_cases(&r);
  misc_cases(&r);
  printf("test_reduce: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
