/* Differential tests of the data-movement kernels: the native Transpose, Slice, Gather and Cast
 * against their reference kernels, bit for bit, on random shapes (odd sizes, ranks 1 to 6),
 * random permutations, steps and indices, every element size (1, 2, 4, 8 bytes) and, for Cast,
 * every pair of dtypes. Then roof_copy_nd itself against roof_tensor_copy on random strided
 * views (negative strides, strided destinations) in its three loops, and Gather's error on an
 * index out of range at run time. Fails at the first differing element with its coordinates.
 * With ROOFTOP_NO_NATIVE=1 both sessions run the reference (the comparison still holds).
 * usage: test_copies [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_nd.h"
#include "graph_builder.h"

static int failures, cases;

static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

/* One of each element size, and the float types whose bytes Cast must convert. */
static const int kAllDtypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8,
                                 ROOF_DT_INT16, ROOF_DT_INT32,  ROOF_DT_INT64,   ROOF_DT_UINT8,    ROOF_DT_UINT16,
                                 ROOF_DT_UINT32, ROOF_DT_UINT64, ROOF_DT_BOOL};
#define NUM_DTYPES (int)(sizeof(kAllDtypes) / sizeof(kAllDtypes[0]))
static const int kSizeDtypes[] = {ROOF_DT_UINT8, ROOF_DT_FLOAT16, ROOF_DT_FLOAT, ROOF_DT_INT64};

/* Values worth converting: fractions, halves (rounding), integer edges, huge, NaN, infinities. */
static double special(rng* r) {
  static const double kSpecial[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 127.5, 128.0, -129.0, 255.9, 256.0, 65504.0,
                                    65520.0, -70000.0, 2147483648.0, -2147483649.0, 1e20, -1e20, 9.3e18,
                                    1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 1e-8, 6e-5};
  return kSpecial[next(r) % (sizeof(kSpecial) / sizeof(kSpecial[0]))];
}

/* Random elements of a dtype: raw bits for integers, 0/1 for bool, values for floats. */
static void fill(rng* r, int dtype, void* data, uint64_t n) {
  size_t es = roof_dtype_size(dtype);
  for (uint64_t i = 0; i < n; i++) {
    if (dtype == ROOF_DT_BOOL) {
      ((uint8_t*)data)[i] = (uint8_t)(next(r) & 1);
    } else if (roof_dtype_is_float(dtype)) {
      double v = next(r) % 8 == 0 ? special(r) : frand(r) * (next(r) % 2 ? 300.0 : 2.0);
      roof_store_f64(dtype, data, (int64_t)i, v);
    } else {
      uint64_t bits = next(r);
      memcpy((char*)data + i * es, &bits, es);
    }
  }
}

/* ---- graph cases: one op between graph inputs and one output, run natively and on --reference ---- */

typedef struct feed {
  const void* data;
  size_t bytes;
} feed;

/* Runs the model once; *out (malloc'd) holds output 0. took: the op ran on a native kernel. */
static char refusal[256]; /* why the last fast session ran the op on another kernel */

static roof_status run_session(roof_model* m, bool reference, const feed* in, int nin, void** out, roof_io_info* info,
                               const char* op, bool* took, roof_error* err) {
  roof_session* s = NULL;
  roof_session_options so = {.threads = 2, .force_reference = reference};
  roof_status st = roof_session_create(m, &so, &s, err);
  *took = false;
  *out = NULL;
  for (int i = 0; st == ROOF_OK && i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (strcmp(k->node->op_type, op) != 0) continue;
    if (k->impl && k->impl->backend == ROOF_BACKEND_NATIVE) *took = true;
    else snprintf(refusal, sizeof(refusal), "%s", k->reason);
  }
  for (int i = 0; st == ROOF_OK && i < nin; i++) st = roof_session_set_input(s, (size_t)i, in[i].data, in[i].bytes, err);
  if (st == ROOF_OK) st = roof_session_run(s, NULL, err);
  if (st == ROOF_OK) {
    roof_session_output_info(s, 0, info);
    *out = malloc(info->nbytes + 1);
    memcpy(*out, roof_session_output(s, 0), info->nbytes);
  }
  roof_session_free(s);
  return st;
}

static bool same_element(int dtype, const char* a, const char* b) {
  size_t es = roof_dtype_size(dtype);
  if (memcmp(a, b, es) == 0) return true;
  /* a NaN is a NaN: a same-dtype Cast copies its bits, the reference rebuilds it */
  return roof_dtype_is_float(dtype) && isnan(roof_load_f64(dtype, a, 0)) && isnan(roof_load_f64(dtype, b, 0));
}

/* Prepares b's graph, runs it both ways on the inputs and compares output 0 bit for bit. */
static void check_native(builder* b, const char* op, const feed* in, int nin, bool expect_native);
static void check(builder* b, const char* op, const feed* in, int nin) { check_native(b, op, in, nin, true); }

static void check_native(builder* b, const char* op, const feed* in, int nin, bool expect_native) {
  cases++;
  roof_graph* g = b->g;
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(g, &m, &err);
  roof_prepare_options po = {.fusion = "none"};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", b->label, err.message);
    failures++;
    roof_model_free(m);
    return;
  }
  void *fast = NULL, *ref = NULL;
  roof_io_info fi = {0}, ri = {0};
  bool took_native = false, took_ref = false;
  roof_status sr = run_session(m, true, in, nin, &ref, &ri, op, &took_ref, &err);
  roof_status sf = sr == ROOF_OK ? run_session(m, false, in, nin, &fast, &fi, op, &took_native, &err) : sr;
  if (sr != ROOF_OK || sf != ROOF_OK || fi.nbytes != ri.nbytes) {
    fprintf(stderr, "FAIL %s: %s\n", b->label, err.message[0] ? err.message : "output sizes differ");
    failures++;
  } else if (expect_native && !took_native && !native_off()) {
    fprintf(stderr, "FAIL %s: the native kernel of %s was not taken (%s)\n", b->label, op, refusal);
    failures++;
  } else {
    size_t es = roof_dtype_size(ri.dtype), n = es ? ri.nbytes / es : 0;
    for (size_t i = 0; i < n; i++) {
      if (same_element(ri.dtype, (const char*)fast + i * es, (const char*)ref + i * es)) continue;
      int64_t idx[ROOF_MAX_RANK];
      size_t rem = i;
      for (int d = ri.rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)(rem % (size_t)ri.dims[d]);
        rem /= (size_t)ri.dims[d];
      }
      char c[96];
      fprintf(stderr, "FAIL %s: %s element [%s]: native %.9g, reference %.9g\n", b->label, roof_dtype_name(ri.dtype),
              roof_shape_str(idx, ri.rank, c, sizeof(c)), roof_load_f64(ri.dtype, (const char*)fast + i * es, 0),
              roof_load_f64(ri.dtype, (const char*)ref + i * es, 0));
      failures++;
      break;
    }
  }
  free(fast);
  free(ref);
  roof_model_free(m);
}

/* Random dims of a rank, elements at most `cap`. */
static uint64_t random_dims(rng* r, int rank, int64_t hi, uint64_t cap, int64_t* dims) {
  uint64_t n;
  do {
    n = 1;
    for (int d = 0; d < rank; d++) n *= (uint64_t)(dims[d] = irand(r, 1, (int)hi));
  } while (n > cap);
  return n;
}

static void shuffle(rng* r, int64_t* v, int n) {
  for (int i = 0; i < n; i++) v[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j = irand(r, 0, i);
    int64_t t = v[i];
    v[i] = v[j], v[j] = t;
  }
}

static void transpose_case(rng* r, int dtype, int rank, const int64_t* dims, const int64_t* perm) {
  char label[160], ds[64], ps[64];
  snprintf(label, sizeof(label), "Transpose %s %s perm %s", roof_dtype_name(dtype), roof_shape_str(dims, rank, ds, 64),
           roof_shape_str(perm, rank, ps, 64));
  builder b = start(r, label);
  int x = typed_input(&b, "x", dtype, rank, dims), y = output(&b, "y");
  attr_ints(node(&b, "Transpose", &x, 1, &y, 1), "perm", rank, perm);
  mark_output(&b, y);
  uint64_t n = 1;
  for (int d = 0; d < rank; d++) n *= (uint64_t)dims[d];
  size_t bytes = (size_t)n * roof_dtype_size(dtype);
  void* data = malloc(bytes);
  fill(r, dtype, data, n);
  feed f = {data, bytes};
  check(&b, "Transpose", &f, 1);
  free(data);
}

static void transpose_cases(rng* r) {
  for (int i = 0; i < 48; i++) {
    int rank = 1 + i % 6, dtype = kSizeDtypes[(i / 6) % 4];
    int64_t dims[ROOF_MAX_RANK], perm[ROOF_MAX_RANK];
    random_dims(r, rank, rank <= 2 ? 70 : 9, 20000, dims);
    shuffle(r, perm, rank);
    transpose_case(r, dtype, rank, dims, perm);
  }
  /* tiles past 32 with odd edges, on the pool (over 64 KiB), every element size */
  int64_t big[2] = {131, 257}, p2[2] = {1, 0}, att[4] = {2, 12, 67, 40}, p4[4] = {0, 2, 1, 3}, p4t[4] = {0, 1, 3, 2};
  int64_t s5[5] = {1, 3, 4, 33, 35}, p5[5] = {0, 2, 1, 3, 4};
  for (int e = 0; e < 4; e++) transpose_case(r, kSizeDtypes[e], 2, big, p2);
  transpose_case(r, ROOF_DT_FLOAT, 4, att, p4);  /* heads <-> tokens: rows of 40 */
  transpose_case(r, ROOF_DT_FLOAT, 4, att, p4t); /* K^T: tiles per head */
  transpose_case(r, ROOF_DT_DOUBLE, 5, s5, p5);  /* a channel shuffle */
}

/* Slice at opset 13 (starts, ends, axes, steps as constant inputs). */
static void slice_case(rng* r, int i) {
  int rank = 1 + i % 5, dtype = kSizeDtypes[i % 4];
  int64_t dims[ROOF_MAX_RANK], starts[ROOF_MAX_RANK], ends[ROOF_MAX_RANK], axes[ROOF_MAX_RANK], steps[ROOF_MAX_RANK];
  uint64_t n = random_dims(r, rank, rank <= 2 ? 90 : 11, 30000, dims);
  int na = irand(r, 1, rank);
  int64_t order[ROOF_MAX_RANK];
  shuffle(r, order, rank);
  for (int a = 0; a < na; a++) {
    int64_t len = dims[order[a]];
    axes[a] = next(r) % 2 ? order[a] : order[a] - rank; /* negative axes too */
    int kind = (i + a) % 4; /* 0: step 1, 1: step 2..3, 2: negative step, 3: clamped ends */
    steps[a] = kind == 0 ? 1 : kind == 1 ? irand(r, 2, 3) : kind == 2 ? -irand(r, 1, 2) : 1;
    starts[a] = irand(r, 0, (int)len) - (next(r) % 3 == 0 ? len : 0);
    ends[a] = kind == 3 ? INT64_MAX : kind == 2 ? -(int64_t)irand(r, 1, (int)len + 1) - (next(r) % 4 == 0 ? len : 0)
                                                : irand(r, 0, (int)len);
    if (kind == 2 && next(r) % 4 == 0) ends[a] = INT64_MIN;
  }
  char label[200], ds[64], ss[64], es[64], as[64], ts[64];
  snprintf(label, sizeof(label), "Slice %s %s starts %s ends %s axes %s steps %s", roof_dtype_name(dtype),
           roof_shape_str(dims, rank, ds, 64), roof_shape_str(starts, na, ss, 64), roof_shape_str(ends, na, es, 64),
           roof_shape_str(axes, na, as, 64), roof_shape_str(steps, na, ts, 64));
  builder b = start(r, label);
  int ins[5] = {typed_input(&b, "x", dtype, rank, dims), constant_i64(&b, "starts", na, starts),
                constant_i64(&b, "ends", na, ends), constant_i64(&b, "axes", na, axes), constant_i64(&b, "steps", na, steps)};
  int y = output(&b, "y");
  node(&b, "Slice", ins, 5, &y, 1);
  mark_output(&b, y);
  size_t bytes = (size_t)n * roof_dtype_size(dtype);
  void* data = malloc(bytes);
  fill(r, dtype, data, n);
  feed f = {data, bytes};
  check(&b, "Slice", &f, 1);
  free(data);
}

/* Channel halves of an NHWC activation (ShuffleNet's split), and a large plain slice. */
static void slice_layout_cases(rng* r) {
  int64_t xd[4] = {1, 58, 9, 11}, xl[2] = {300, 171};
  for (int nhwc = 0; nhwc < 2; nhwc++) {
    builder b = start(r, nhwc ? "Slice channels 29..58 of NHWC 1x58x9x11" : "Slice channels 29..58 of NCHW 1x58x9x11");
    int64_t s[1] = {29}, e[1] = {58}, a[1] = {1};
    int ins[4] = {image(&b, xd, nhwc), constant_i64(&b, "s", 1, s), constant_i64(&b, "e", 1, e), constant_i64(&b, "a", 1, a)};
    int y = output(&b, "y");
    node(&b, "Slice", ins, 4, &y, 1);
    mark_output(&b, y);
    float in[58 * 9 * 11];
    fill(r, ROOF_DT_FLOAT, in, 58 * 9 * 11);
    feed f = {in, sizeof(in)};
    check(&b, "Slice", &f, 1);
  }
  builder b = start(r, "Slice 300x171 float [3:297:1, 170:0:-1] (on the pool)");
  int64_t s[2] = {3, 170}, e[2] = {297, 0}, a[2] = {0, 1}, st[2] = {1, -1};
  int ins[5] = {typed_input(&b, "x", ROOF_DT_FLOAT, 2, xl), constant_i64(&b, "s", 2, s), constant_i64(&b, "e", 2, e),
                constant_i64(&b, "a", 2, a), constant_i64(&b, "st", 2, st)};
  int y = output(&b, "y");
  node(&b, "Slice", ins, 5, &y, 1);
  mark_output(&b, y);
  float* in = malloc(sizeof(float) * 300 * 171);
  fill(r, ROOF_DT_FLOAT, in, 300 * 171);
  feed f = {in, sizeof(float) * 300 * 171};
  check(&b, "Slice", &f, 1);
  free(in);
  /* steps of INT64_MAX and INT64_MIN take one element each: the shape rule's rounding and the
   * view's stride overflowed on them (found by fuzz_load; the sanitizer build runs this) */
  int64_t xs[2] = {5, 7}, hs[2] = {1, 6}, he[2] = {INT64_MAX, INT64_MIN}, ha[2] = {0, 1}, hst[2] = {INT64_MAX, INT64_MIN};
  builder h = start(r, "Slice 5x7 float [1::INT64_MAX, 6::INT64_MIN]");
  int hins[5] = {typed_input(&h, "x", ROOF_DT_FLOAT, 2, xs), constant_i64(&h, "s", 2, hs), constant_i64(&h, "e", 2, he),
                 constant_i64(&h, "a", 2, ha), constant_i64(&h, "st", 2, hst)};
  int hy = output(&h, "y");
  node(&h, "Slice", hins, 5, &hy, 1);
  mark_output(&h, hy);
  float hin[5 * 7];
  fill(r, ROOF_DT_FLOAT, hin, 5 * 7);
  feed hf = {hin, sizeof(hin)};
  check(&h, "Slice", &hf, 1);
}

/* Gather on a random axis with int64 or int32 indices of rank 0..2, negative ones included,
 * constant or fed at run time. */
static void gather_case(rng* r, int i) {
  int rank = 1 + i % 4, dtype = kSizeDtypes[i % 4], idt = i % 3 == 0 ? ROOF_DT_INT32 : ROOF_DT_INT64;
  int64_t dims[ROOF_MAX_RANK], id[2] = {irand(r, 1, 5), irand(r, 1, 4)};
  uint64_t n = random_dims(r, rank, rank == 1 ? 200 : 13, 20000, dims);
  int axis = irand(r, 0, rank - 1), ir = i % 3;
  bool fed = i % 5 == 4;
  int64_t count = ir == 0 ? 1 : ir == 1 ? id[0] : id[0] * id[1], len = dims[axis];
  int64_t idx64[20];
  int32_t idx32[20];
  for (int64_t j = 0; j < count; j++) idx32[j] = (int32_t)(idx64[j] = irand(r, (int)-len, (int)len - 1));
  char label[160], ds[64], is[64];
  snprintf(label, sizeof(label), "Gather %s %s axis %d, %s indices %s%s", roof_dtype_name(dtype),
           roof_shape_str(dims, rank, ds, 64), axis, roof_dtype_name(idt), roof_shape_str(id, ir, is, 64),
           fed ? " (an input)" : "");
  builder b = start(r, label);
  const void* idata = idt == ROOF_DT_INT64 ? (const void*)idx64 : (const void*)idx32;
  int ins[2] = {typed_input(&b, "x", dtype, rank, dims),
                fed ? typed_input(&b, "i", idt, ir, id) : typed_const(&b, "i", idt, ir, id, idata)};
  int y = output(&b, "y");
  attr_i(node(&b, "Gather", ins, 2, &y, 1), "axis", next(r) % 2 ? axis : axis - rank);
  mark_output(&b, y);
  size_t bytes = (size_t)n * roof_dtype_size(dtype);
  void* data = malloc(bytes);
  fill(r, dtype, data, n);
  feed f[2] = {{data, bytes}, {idata, (size_t)count * roof_dtype_size(idt)}};
  check(&b, "Gather", f, fed ? 2 : 1);
  free(data);
}

/* Rows of an embedding table (on the pool), and an index out of range at run time: the native
 * kernel's error names the tensor and the range, and nothing is copied. */
static void gather_more_cases(rng* r) {
  int64_t td[2] = {1000, 96}, id[2] = {3, 70};
  int64_t idx[210];
  for (int j = 0; j < 210; j++) idx[j] = irand(r, -1000, 999);
  builder b = start(r, "Gather float 1000x96 table by 3x70 int64 tokens");
  int ins[2] = {typed_input(&b, "x", ROOF_DT_FLOAT, 2, td), typed_const(&b, "i", ROOF_DT_INT64, 2, id, idx)};
  int y = output(&b, "y");
  node(&b, "Gather", ins, 2, &y, 1);
  mark_output(&b, y);
  float* data = malloc(sizeof(float) * 96000);
  fill(r, ROOF_DT_FLOAT, data, 96000);
  feed f = {data, sizeof(float) * 96000};
  check(&b, "Gather", &f, 1);
  free(data);

  cases++;
  builder e = start(r, "Gather with index 7 of an axis of 5 (fed)");
  int64_t xd[2] = {5, 3}, one[1] = {2}, bad[2] = {1, 7};
  int eins[2] = {typed_input(&e, "x", ROOF_DT_FLOAT, 2, xd), typed_input(&e, "tok", ROOF_DT_INT64, 1, one)};
  int ey = output(&e, "y");
  node(&e, "Gather", eins, 2, &ey, 1);
  mark_output(&e, ey);
  e.g->num_original_nodes = e.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "none"};
  roof_model_from_graph(e.g, &m, &err);
  float x[15] = {0};
  feed ef[2] = {{x, sizeof(x)}, {bad, sizeof(bad)}};
  void* out = NULL;
  roof_io_info info;
  bool took = false;
  roof_status st = roof_model_prepare(m, &po, &err);
  if (st == ROOF_OK) st = run_session(m, false, ef, 2, &out, &info, "Gather", &took, &err);
  if (st != ROOF_E_DATA || !strstr(err.message, "index 7 is outside [-5, 5)") || !strstr(err.message, "tok")) {
    fprintf(stderr, "FAIL %s: status %d, '%s'\n", e.label, (int)st, err.message);
    failures++;
  }
  free(out);
  roof_model_free(m);
}

/* Cast between every pair of dtypes, an odd count, plain; some on the pool. */
static void cast_case(rng* r, int from, int to, int rank, const int64_t* dims, bool nhwc) {
  char label[128], ds[64];
  snprintf(label, sizeof(label), "Cast %s -> %s %s%s", roof_dtype_name(from), roof_dtype_name(to),
           roof_shape_str(dims, rank, ds, 64), nhwc ? " NHWC" : "");
  builder b = start(r, label);
  int x = nhwc ? image(&b, dims, true) : typed_input(&b, "x", from, rank, dims), y = output(&b, "y");
  attr_i(node(&b, "Cast", &x, 1, &y, 1), "to", to);
  mark_output(&b, y);
  uint64_t n = 1;
  for (int d = 0; d < rank; d++) n *= (uint64_t)dims[d];
  size_t bytes = (size_t)n * roof_dtype_size(from);
  void* data = malloc(bytes);
  fill(r, from, data, n);
  feed f = {data, bytes};
  /* NHWC is for float32 values only: a cast of NHWC data to another dtype also changes layout (the reference) */
  check_native(&b, "Cast", &f, 1, !nhwc || to == ROOF_DT_FLOAT);
  free(data);
}

static void cast_cases(rng* r) {
  int64_t small[3] = {3, 7, 61}, big[2] = {9, 7919};
  for (int i = 0; i < NUM_DTYPES; i++) {
    for (int j = 0; j < NUM_DTYPES; j++) cast_case(r, kAllDtypes[i], kAllDtypes[j], 3, small, false);
  }
  for (int i = 0; i < NUM_DTYPES; i++) cast_case(r, kAllDtypes[i], kAllDtypes[(i + 5) % NUM_DTYPES], 2, big, false);
  int64_t img[4] = {1, 5, 9, 13};
  cast_case(r, ROOF_DT_FLOAT, ROOF_DT_FLOAT, 4, img, true);
  cast_case(r, ROOF_DT_FLOAT, ROOF_DT_FLOAT16, 4, img, true); /* NHWC in, plain out: the reference */
}

/* ---- roof_copy_nd on views the graph cases do not make: strided destinations, negative
 * strides on both sides, every loop; against roof_tensor_copy ---- */

static void copy_nd_case(rng* r, int i, int* kinds_seen) {
  int rank = 1 + i % 5, dtype = kSizeDtypes[i % 4];
  size_t es = roof_dtype_size(dtype);
  int64_t dims[ROOF_MAX_RANK], sdims[ROOF_MAX_RANK], perm[ROOF_MAX_RANK];
  random_dims(r, rank, rank <= 2 ? 80 : 9, 30000, dims);
  shuffle(r, perm, rank);
  /* source: a buffer of sdims (some axes longer) read through a permutation, a step, a flip */
  roof_tensor src = {.dtype = dtype, .rank = rank}, dst = {.dtype = dtype, .rank = rank};
  int64_t step[ROOF_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    step[d] = i % 3 == 0 ? irand(r, 1, 2) : 1;
    sdims[d] = dims[d] * step[d] + irand(r, 0, 2);
  }
  int64_t plain[ROOF_MAX_RANK];
  roof_strides_for(sdims, rank, ROOF_LAYOUT_PLAIN, plain);
  uint64_t sn = 1, dn = 1;
  for (int d = 0; d < rank; d++) sn *= (uint64_t)sdims[d];
  char* sbuf = malloc((size_t)sn * es);
  fill(r, dtype, sbuf, sn);
  int64_t off = 0, sst[ROOF_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    sst[d] = plain[perm[d]] * step[perm[d]];
    bool flip = i % 4 == 1 && next(r) % 2;
    src.dims[d] = dims[d] < sdims[perm[d]] / step[perm[d]] ? dims[d] : sdims[perm[d]] / step[perm[d]];
    if (flip) off += (src.dims[d] - 1) * sst[d];
    src.strides[d] = flip ? -sst[d] : sst[d];
  }
  /* destination: plain or padded (a sub-view of a larger buffer) */
  int64_t pad = i % 5 == 2 ? 3 : 0, ddims[ROOF_MAX_RANK];
  for (int d = 0; d < rank; d++) ddims[d] = src.dims[d] + (d == rank - 1 ? pad : 0);
  memcpy(dst.dims, src.dims, sizeof(dst.dims));
  roof_strides_for(ddims, rank, ROOF_LAYOUT_PLAIN, dst.strides);
  for (int d = 0; d < rank; d++) dn *= (uint64_t)ddims[d];
  char *a = calloc((size_t)dn, es), *b = calloc((size_t)dn, es);
  src.data = sbuf + off * (int64_t)es;
  const char* kind = roof_copy_nd_kind(&src, &dst);
  kinds_seen[kind[0] == 'r' ? 0 : kind[0] == 't' ? 1 : kind[0] == 's' ? 2 : 3] = 1;
  pthreadpool_t pool = pthreadpool_create(2);
  dst.data = a;
  roof_copy_nd(&src, &dst, pool);
  dst.data = b;
  roof_tensor_copy(&src, &dst);
  pthreadpool_destroy(pool);
  cases++;
  if (memcmp(a, b, (size_t)dn * es) != 0) {
    char ds[64];
    fprintf(stderr, "FAIL copy_nd #%d (%s) %s %s\n", i, kind, roof_dtype_name(dtype), roof_shape_str(src.dims, rank, ds, 64));
    failures++;
  }
  free(a);
  free(b);
  free(sbuf);
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261129};
  transpose_cases(&r);
  for (int i = 0; i < 60; i++) slice_case(&r, i);
  slice_layout_cases(&r);
  for (int i = 0; i < 40; i++) gather_case(&r, i);
  gather_more_cases(&r);
  cast_cases(&r);
  int kinds[4] = {0};
  for (int i = 0; i < 200; i++) copy_nd_case(&r, i, kinds);
  if (!kinds[0] || !kinds[1] || !kinds[2]) {
    fprintf(stderr, "FAIL copy_nd: loops not all covered (rows %d, tiles %d, strided %d)\n", kinds[0], kinds[1], kinds[2]);
    failures++;
  }
  printf("test_copies: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
