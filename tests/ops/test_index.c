/* Shape, indexing and movement ops (Expand, Tile, DepthToSpace, SpaceToDepth, GatherElements,
 * GatherND, Trilu with native kernels; every op of the family by hand-computed cases).
 *
 * Differential cases: a graph run on the fast kernels (which must be taken) and on --reference,
 * outputs compared byte for byte (these ops only move elements), failing at the first bad
 * element with its coordinates. Random shapes with odd sizes, plain and NHWC inputs (a 1x1
 * MaxPool first), and element sizes 1, 2, 4 and 8 (a Cast of the float input first).
 * Hand cases: the reference kernels against values computed from the ONNX definitions, for the
 * ops whose ONNX backend tests feed shapes from graph inputs (rooftop reads them at load).
 * Bad indices at run time must fail the run naming the node and the index.
 * usage: test_index [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "session_outputs.h"

static int failures, cases;

static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

typedef struct result {
  void* data;
  roof_io_info info;
  bool took_fast;
} result;

/* Runs the prepared model once; out->data is malloc'ed. False with the message in err. */
static bool run_once(roof_model* m, bool reference, const float* in, size_t in_bytes, const char* op, result* out,
                     roof_error* err) {
  roof_session* s = NULL;
  roof_session_options so = {.threads = 2, .force_reference = reference};
  if (roof_session_create(m, &so, &s, err) != ROOF_OK) return false;
  out->took_fast = false;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (strcmp(k->node->op_type, op) == 0 && k->impl && k->impl->backend != ROOF_BACKEND_REF) out->took_fast = true;
  }
  bool ok = roof_session_set_input(s, 0, in, in_bytes, err) == ROOF_OK && roof_session_run(s, NULL, err) == ROOF_OK;
  if (ok) {
    roof_session_output_info(s, 0, &out->info);
    out->data = malloc(out->info.nbytes + 1);
    memcpy(out->data, roof_session_output(s, 0), out->info.nbytes);
  }
  roof_session_free(s);
  return ok;
}

/* Prepares b's graph; NULL (a failure counted) when preparing fails. */
static roof_model* prepare(builder* b) {
  roof_model* m = test_prepare(b);
  if (m == NULL) failures++;
  return m;
}

static float* random_input(builder* b, const roof_model* m, size_t* bytes) {
  const roof_value* x = &m->g->values[m->g->inputs[0]];
  uint64_t n = 1;
  for (int i = 0; i < x->rank; i++) n *= (uint64_t)x->dims[i];
  float* in = malloc(sizeof(float) * (n ? n : 1));
  for (uint64_t i = 0; i < n; i++) in[i] = frand(b->r) * 100.0f; /* integer casts keep distinct values */
  *bytes = n * sizeof(float);
  return in;
}

static void report_element(const char* label, const roof_io_info* info, size_t e, const char* what) {
  int64_t idx[ROOF_MAX_RANK];
  size_t rem = e;
  for (int d = info->rank - 1; d >= 0; d--) {
    idx[d] = (int64_t)(rem % (size_t)info->dims[d]);
    rem /= (size_t)info->dims[d];
  }
  char c[96];
  fprintf(stderr, "FAIL %s: element [%s]: %s\n", label, roof_shape_str(idx, info->rank, c, sizeof(c)), what);
}

/* Fast kernels against the reference, byte for byte. */
static void check(builder* b, const char* op, bool expect_fast) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  size_t bytes;
  float* in = random_input(b, m, &bytes);
  result ref = {0}, fast = {0};
  roof_error err = {{0}};
  bool ok = run_once(m, true, in, bytes, op, &ref, &err) && run_once(m, false, in, bytes, op, &fast, &err);
  if (!ok) {
    fprintf(stderr, "FAIL %s: %s\n", b->label, err.message);
    failures++;
  } else if (expect_fast && !fast.took_fast && !native_off()) {
    fprintf(stderr, "FAIL %s: the fast kernel of %s was not taken\n", b->label, op);
    failures++;
  } else if (fast.info.nbytes != ref.info.nbytes) {
    fprintf(stderr, "FAIL %s: %zu bytes against %zu\n", b->label, fast.info.nbytes, ref.info.nbytes);
    failures++;
  } else {
    size_t es = roof_dtype_size(ref.info.dtype);
    for (size_t i = 0; i < ref.info.nbytes; i++) {
      if (((unsigned char*)fast.data)[i] == ((unsigned char*)ref.data)[i]) continue;
      report_element(b->label, &ref.info, i / es, "fast and reference bytes differ");
      failures++;
      break;
    }
  }
  free(in);
  free(ref.data);
  free(fast.data);
  roof_model_free(m);
}

/* The reference kernels against expected float32 values (input: x[i] = i). */
static void check_values(builder* b, const char* op, const float* want, size_t count) {
  cases++;
  roof_model* m = prepare(b);
  if (m == NULL) return;
  const roof_value* x = &m->g->values[m->g->inputs[0]];
  uint64_t n = 1;
  for (int i = 0; i < x->rank; i++) n *= (uint64_t)x->dims[i];
  float* in = malloc(sizeof(float) * (n ? n : 1));
  for (uint64_t i = 0; i < n; i++) in[i] = (float)i;
  result ref = {0};
  roof_error err = {{0}};
  if (!run_once(m, true, in, n * sizeof(float), op, &ref, &err)) {
    fprintf(stderr, "FAIL %s: %s\n", b->label, err.message);
    failures++;
  } else if (ref.info.dtype != ROOF_DT_FLOAT || ref.info.nbytes != count * sizeof(float)) {
    fprintf(stderr, "FAIL %s: output %s of %zu bytes, want float32 of %zu\n", b->label, roof_dtype_name(ref.info.dtype),
            ref.info.nbytes, count * sizeof(float));
    failures++;
  } else {
    for (size_t i = 0; i < count; i++) {
      float got = ((float*)ref.data)[i];
      if (got == want[i] || (isnan(got) && isnan(want[i]))) continue;
      char what[96];
      snprintf(what, sizeof(what), "got %g, want %g", got, want[i]);
      report_element(b->label, &ref.info, i, what);
      failures++;
      break;
    }
  }
  free(in);
  free(ref.data);
  roof_model_free(m);
}

/* The run must fail with ROOF_E_DATA and a message holding `want` (both kernels). */
static void check_run_fails(builder* b, const char* op, const char* want) {
  roof_model* m = prepare(b);
  if (m == NULL) return;
  size_t bytes;
  float* in = random_input(b, m, &bytes);
  for (int reference = 0; reference < 2; reference++) {
    cases++;
    result r = {0};
    roof_error err = {{0}};
    if (run_once(m, reference, in, bytes, op, &r, &err) || strstr(err.message, want) == NULL) {
      fprintf(stderr, "FAIL %s (%s): want an error holding \"%s\", got \"%s\"\n", b->label, reference ? "reference" : "fast", want,
              err.message);
      failures++;
    }
    free(r.data);
  }
  free(in);
  roof_model_free(m);
}

/* ---- graph helpers ---- */

static const int kDtypes[] = {ROOF_DT_FLOAT, ROOF_DT_INT8, ROOF_DT_FLOAT16, ROOF_DT_INT64};

/* x of `dims` (NHWC through a 1x1 MaxPool when rank 4 and nhwc), cast to dtype when not float. */
static int data_input(builder* b, int rank, const int64_t* dims, bool nhwc, int dtype) {
  int x = rank == 4 ? image(b, dims, nhwc) : input(b, "x", rank, dims);
  if (dtype == ROOF_DT_FLOAT) return x;
  int y = output(b, "x_cast");
  roof_node* n = node(b, "Cast", &x, 1, &y, 1);
  attr_i(n, "to", dtype);
  return y;
}

static int const_ints(builder* b, const char* name, int rank, const int64_t* dims, const int64_t* vals) {
  int64_t count = 1;
  for (int d = 0; d < rank; d++) count *= dims[d];
  int v = constant_i64(b, name, (int)count, vals);
  roof_value_set_shape(&b->g->values[v], ROOF_DT_INT64, rank, dims);
  return v;
}

static int op1(builder* b, const char* op, const int* ins, int nin) {
  int y = output(b, "y");
  node(b, op, ins, nin, &y, 1);
  mark_output(b, y);
  return y;
}

static roof_node* last_node(builder* b) { return &b->g->nodes[b->g->num_nodes - 1]; }

static void random_dims(rng* r, int rank, int64_t* dims, int lo, int hi) {
  for (int d = 0; d < rank; d++) dims[d] = irand(r, lo, hi);
}

/* ---- differential cases ---- */

static void expand_cases(rng* r) {
  for (int i = 0; i < 16; i++) {
    int rank = irand(r, 1, 4), dt = kDtypes[i % 4];
    bool nhwc = rank == 4 && i % 3 == 0;
    int64_t out[ROOF_MAX_RANK], xd[ROOF_MAX_RANK];
    random_dims(r, rank, out, 1, 9);
    int xr = irand(r, 1, rank);
    for (int d = 0; d < xr; d++) xd[d] = irand(r, 0, 2) == 0 ? 1 : out[rank - xr + d];
    int64_t sd[1] = {rank}, shape[ROOF_MAX_RANK];
    for (int d = 0; d < rank; d++) shape[d] = d >= rank - xr && xd[d - (rank - xr)] != 1 && irand(r, 0, 1) ? 1 : out[d];
    char label[128], s1[64], s2[64];
    snprintf(label, sizeof(label), "Expand#%d %s -> %s %s%s", i, roof_shape_str(xd, xr, s1, 64), roof_shape_str(out, rank, s2, 64),
             roof_dtype_name(dt), nhwc ? " nhwc" : "");
    builder b = start(r, label);
    int ins[2] = {data_input(&b, xr, xd, nhwc && xr == 4, dt), const_ints(&b, "shape", 1, sd, shape)};
    op1(&b, "Expand", ins, 2);
    check(&b, "Expand", true);
  }
}

static void tile_cases(rng* r) {
  for (int i = 0; i < 12; i++) {
    int rank = irand(r, 1, 4), dt = kDtypes[i % 4];
    bool nhwc = rank == 4 && i % 2 == 0;
    int64_t xd[ROOF_MAX_RANK], reps[ROOF_MAX_RANK], rd[1] = {rank};
    random_dims(r, rank, xd, 1, 7);
    for (int d = 0; d < rank; d++) reps[d] = irand(r, 1, 3);
    char label[128], s1[64], s2[64];
    snprintf(label, sizeof(label), "Tile#%d %s by %s %s%s", i, roof_shape_str(xd, rank, s1, 64), roof_shape_str(reps, rank, s2, 64),
             roof_dtype_name(dt), nhwc ? " nhwc" : "");
    builder b = start(r, label);
    int ins[2] = {data_input(&b, rank, xd, nhwc, dt), const_ints(&b, "reps", 1, rd, reps)};
    op1(&b, "Tile", ins, 2);
    check(&b, "Tile", true);
  }
}

static void space_cases(rng* r) {
  for (int i = 0; i < 16; i++) {
    int64_t blk = irand(r, 2, 3), dt = kDtypes[i % 4];
    bool nhwc = i % 2 == 0, d2s = i % 4 < 2 || i >= 12, crd = i % 3 == 0;
    int64_t xd[4] = {irand(r, 1, 2), irand(r, 1, 5), irand(r, 1, 6), irand(r, 1, 7)};
    if (d2s) xd[1] *= blk * blk;
    else xd[2] *= blk, xd[3] *= blk;
    char label[128], s1[64];
    const char* op = d2s ? "DepthToSpace" : "SpaceToDepth";
    snprintf(label, sizeof(label), "%s#%d %s b%lld %s%s%s", op, i, roof_shape_str(xd, 4, s1, 64), (long long)blk,
             d2s ? (crd ? "CRD " : "DCR ") : "", roof_dtype_name((int)dt), nhwc ? " nhwc" : "");
    builder b = start(r, label);
    int x = data_input(&b, 4, xd, nhwc, (int)dt);
    op1(&b, op, &x, 1);
    roof_node* n = last_node(&b);
    attr_i(n, "blocksize", blk);
    if (d2s) attr_s(n, "mode", crd ? "CRD" : "DCR");
    check(&b, op, true);
  }
}

static void gather_elements_cases(rng* r) {
  for (int i = 0; i < 10; i++) {
    int rank = irand(r, 1, 4), axis = irand(r, 0, rank - 1), dt = kDtypes[i % 4];
    int64_t xd[ROOF_MAX_RANK], id[ROOF_MAX_RANK], vals[4096];
    random_dims(r, rank, xd, 1, 7);
    uint64_t cnt = 1;
    for (int d = 0; d < rank; d++) {
      id[d] = d == axis ? irand(r, 1, 9) : irand(r, 1, (int)xd[d]);
      cnt *= (uint64_t)id[d];
    }
    for (uint64_t k = 0; k < cnt; k++) vals[k] = irand(r, (int)-xd[axis], (int)xd[axis] - 1);
    char label[128], s1[64], s2[64];
    snprintf(label, sizeof(label), "GatherElements#%d data %s indices %s axis %d %s", i, roof_shape_str(xd, rank, s1, 64),
             roof_shape_str(id, rank, s2, 64), axis, roof_dtype_name(dt));
    builder b = start(r, label);
    int ins[2] = {data_input(&b, rank, xd, false, dt), const_ints(&b, "idx", rank, id, vals)};
    op1(&b, "GatherElements", ins, 2);
    attr_i(last_node(&b), "axis", i % 2 ? axis - rank : axis);
    check(&b, "GatherElements", true);
  }
}

static void gather_nd_cases(rng* r) {
  for (int i = 0; i < 10; i++) {
    int rank = irand(r, 1, 4), bd = rank > 1 && i % 3 == 0 ? 1 : 0, dt = kDtypes[i % 4];
    int k = irand(r, 1, rank - bd), q = bd + irand(r, 0, 2) + 1;
    if (q - 1 + rank - bd - k > ROOF_MAX_RANK) q = bd + 1;
    int64_t xd[ROOF_MAX_RANK], id[ROOF_MAX_RANK], vals[4096];
    random_dims(r, rank, xd, 1, 6);
    uint64_t tuples = 1;
    for (int d = 0; d < q - 1; d++) {
      id[d] = d < bd ? xd[d] : irand(r, 1, 4);
      tuples *= (uint64_t)id[d];
    }
    id[q - 1] = k;
    for (uint64_t t = 0; t < tuples; t++) {
      for (int j = 0; j < k; j++) vals[t * (uint64_t)k + (uint64_t)j] = irand(r, (int)-xd[bd + j], (int)xd[bd + j] - 1);
    }
    char label[128], s1[64], s2[64];
    snprintf(label, sizeof(label), "GatherND#%d data %s indices %s batch_dims %d %s", i, roof_shape_str(xd, rank, s1, 64),
             roof_shape_str(id, q, s2, 64), bd, roof_dtype_name(dt));
    builder b = start(r, label);
    int ins[2] = {data_input(&b, rank, xd, false, dt), const_ints(&b, "idx", q, id, vals)};
    op1(&b, "GatherND", ins, 2);
    attr_i(last_node(&b), "batch_dims", bd);
    check(&b, "GatherND", true);
  }
}

static void trilu_cases(rng* r) {
  static const int64_t kK[] = {0, 1, -1, 3, -4, 100, -100};
  for (int i = 0; i < 14; i++) {
    int rank = irand(r, 2, 4), dt = kDtypes[i % 4];
    int64_t xd[ROOF_MAX_RANK], kd[1] = {1}, kv[1] = {kK[i % 7]};
    random_dims(r, rank, xd, 1, 9);
    bool upper = i % 2 == 0, with_k = i % 7 != 0;
    char label[128], s1[64];
    snprintf(label, sizeof(label), "Trilu#%d %s %s k %lld %s", i, roof_shape_str(xd, rank, s1, 64), upper ? "upper" : "lower",
             (long long)kv[0], roof_dtype_name(dt));
    builder b = start(r, label);
    b.g->opset = 14;
    int ins[2] = {data_input(&b, rank, xd, false, dt), const_ints(&b, "k", 0, kd, kv)};
    op1(&b, "Trilu", ins, with_k ? 2 : 1);
    attr_i(last_node(&b), "upper", upper);
    check(&b, "Trilu", true);
  }
}

/* ---- hand-computed cases (reference kernels) ---- */

static void hand_cases(rng* r) {
  { /* Expand [3, 1] to [2, 1, 4]: x = [0, 1, 2] broadcast along the last axis, twice */
    builder b = start(r, "Expand [3,1] -> [2,3,4] by hand");
    int64_t xd[2] = {3, 1}, sd[1] = {3}, shape[3] = {2, 1, 4};
    int ins[2] = {input(&b, "x", 2, xd), const_ints(&b, "shape", 1, sd, shape)};
    op1(&b, "Expand", ins, 2);
    float want[24];
    for (int i = 0; i < 24; i++) want[i] = (float)((i / 4) % 3);
    check_values(&b, "Expand", want, 24);
  }
  { /* Tile [2, 3] by [2, 2]: y[i][j] = x[i % 2][j % 3] */
    builder b = start(r, "Tile [2,3] by [2,2] by hand");
    int64_t xd[2] = {2, 3}, rd[1] = {2}, reps[2] = {2, 2};
    int ins[2] = {input(&b, "x", 2, xd), const_ints(&b, "reps", 1, rd, reps)};
    op1(&b, "Tile", ins, 2);
    float want[24];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 6; j++) want[i * 6 + j] = (float)((i % 2) * 3 + j % 3);
    }
    check_values(&b, "Tile", want, 24);
  }
  { /* Upsample (opset 9) nearest of [1, 1, 2, 2] by [1, 1, 2, 3]: floor(y / scale) */
    builder b = start(r, "Upsample nearest [1,1,2,2] x [1,1,2,3] by hand");
    b.g->opset = 9;
    int64_t xd[4] = {1, 1, 2, 2}, sd[1] = {4};
    int s = value(&b, "scales", 1, sd);
    float* sc = malloc(4 * sizeof(float));
    sc[0] = 1.0f, sc[1] = 1.0f, sc[2] = 2.0f, sc[3] = 3.0f;
    b.g->values[s].data = sc;
    b.g->values[s].nbytes = 4 * sizeof(float);
    b.g->values[s].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
    int ins[2] = {input(&b, "x", 4, xd), s};
    op1(&b, "Upsample", ins, 2);
    float want[24];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 6; j++) want[i * 6 + j] = (float)((i / 2) * 2 + j / 3);
    }
    check_values(&b, "Upsample", want, 24);
  }
  { /* Upsample (opset 7, scales attribute) linear [1, 1, 1, 2] by [1, 1, 1, 2]: asymmetric
     * coordinates y/2 -> 0, 0.5, 1, 1.5 (clamped to 1) */
    builder b = start(r, "Upsample linear opset 7 by hand");
    b.g->opset = 7;
    int64_t xd[4] = {1, 1, 1, 2};
    int x = input(&b, "x", 4, xd);
    op1(&b, "Upsample", &x, 1);
    roof_node* n = last_node(&b);
    attr_s(n, "mode", "linear");
    roof_attr* a = add_attr(n, "scales", ROOF_ATTR_FLOATS);
    a->floats = malloc(4 * sizeof(float));
    a->floats[0] = 1.0f, a->floats[1] = 1.0f, a->floats[2] = 1.0f, a->floats[3] = 2.0f;
    a->n = 4;
    float want[4] = {0.0f, 0.5f, 1.0f, 1.0f};
    check_values(&b, "Upsample", want, 4);
  }
  { /* OneHot of x = [0, 1, 2] cast to int64, minus 1: indices [-1, 0, 1], depth 3, values
     * [off, on] = [x[0], x[2]] = [0, 2], axis 0: y[d][i] = on where d == index mod 3 */
    builder b = start(r, "OneHot by hand");
    b.g->opset = 11;
    int64_t xd[1] = {3}, one[1] = {1}, sd[1] = {1}, ed[1] = {2};
    int x = input(&b, "x", 1, xd), xi = output(&b, "xi"), idx = output(&b, "idx");
    roof_node* c = node(&b, "Cast", &x, 1, &xi, 1);
    attr_i(c, "to", ROOF_DT_INT64);
    int sub[2] = {xi, const_ints(&b, "one", 1, sd, one)};
    node(&b, "Sub", sub, 2, &idx, 1);
    int64_t depth[1] = {3}, ends[2] = {0, 2};
    int vals = output(&b, "vals");
    int gi[2] = {x, const_ints(&b, "ends", 1, ed, ends)};
    node(&b, "Gather", gi, 2, &vals, 1);
    int ins[3] = {idx, const_ints(&b, "depth", 0, sd, depth), vals};
    op1(&b, "OneHot", ins, 3);
    attr_i(last_node(&b), "axis", 0);
    float want[9] = {0, 2, 0, 0, 0, 2, 2, 0, 0};
    check_values(&b, "OneHot", want, 9);
  }
  { /* Range(1, 10, 3) = [1, 4, 7] as float, added to x = [0, 1, 2] */
    builder b = start(r, "Range by hand");
    b.g->opset = 11;
    int64_t xd[1] = {3}, sd[1] = {1};
    int x = input(&b, "x", 1, xd);
    float sv[3] = {1.0f, 10.0f, 3.0f};
    int rin[3];
    for (int i = 0; i < 3; i++) {
      rin[i] = constant(&b, i == 0 ? "start" : i == 1 ? "limit" : "delta", 0, sd);
      ((float*)b.g->values[rin[i]].data)[0] = sv[i];
    }
    int rv = output(&b, "range");
    node(&b, "Range", rin, 3, &rv, 1);
    int ai[2] = {x, rv};
    op1(&b, "Add", ai, 2);
    float want[3] = {1.0f, 5.0f, 9.0f};
    check_values(&b, "Range", want, 3);
  }
  { /* CumSum of x = [[0, 1, 2], [3, 4, 5]] along axis 1, exclusive and reversed:
     * y[i][j] = sum of x[i][j+1..] */
    builder b = start(r, "CumSum exclusive reverse by hand");
    int64_t xd[2] = {2, 3}, sd[1] = {1}, ax[1] = {-1};
    int ins[2] = {input(&b, "x", 2, xd), const_ints(&b, "axis", 0, sd, ax)};
    op1(&b, "CumSum", ins, 2);
    attr_i(last_node(&b), "exclusive", 1);
    attr_i(last_node(&b), "reverse", 1);
    float want[6] = {3, 2, 0, 9, 5, 0};
    check_values(&b, "CumSum", want, 6);
  }
  { /* ScatterND with reduction max (opset 18) of x = 0..7 as [2, 4], row 1 (tuple [-1]) by
     * updates [10, 0, 10, 0]: max per element */
    builder b = start(r, "ScatterND max by hand");
    b.g->opset = 18;
    int64_t xd[2] = {2, 4}, id[2] = {1, 1}, iv[1] = {-1}, ud[2] = {1, 4};
    int u = constant(&b, "u", 2, ud);
    float* uv = b.g->values[u].data;
    uv[0] = 10, uv[1] = 0, uv[2] = 10, uv[3] = 0;
    int ins[3] = {input(&b, "x", 2, xd), const_ints(&b, "idx", 2, id, iv), u};
    op1(&b, "ScatterND", ins, 3);
    attr_s(last_node(&b), "reduction", "max");
    float want[8] = {0, 1, 2, 3, 10, 5, 10, 7};
    check_values(&b, "ScatterND", want, 8);
  }
  { /* ScatterElements with reduction mul along axis 0, duplicate index: x = 0..5 as [3, 2],
     * indices [[2, 2], [2, 0]], updates 2: y[2][0] = 4 * 2 * 2, y[2][1] = 5 * 2, y[0][1] = 1 * 2 */
    builder b = start(r, "ScatterElements mul by hand");
    b.g->opset = 16;
    int64_t xd[2] = {3, 2}, id[2] = {2, 2}, iv[4] = {2, 2, 2, 0};
    int u = constant(&b, "u", 2, id);
    for (int i = 0; i < 4; i++) ((float*)b.g->values[u].data)[i] = 2.0f;
    int ins[3] = {input(&b, "x", 2, xd), const_ints(&b, "idx", 2, id, iv), u};
    op1(&b, "ScatterElements", ins, 3);
    attr_s(last_node(&b), "reduction", "mul");
    float want[6] = {0, 2, 2, 3, 16, 10};
    check_values(&b, "ScatterElements", want, 6);
  }
  { /* EyeLike of a [3, 4] input, k = -1 */
    builder b = start(r, "EyeLike by hand");
    int64_t xd[2] = {3, 4};
    int x = input(&b, "x", 2, xd), e = output(&b, "eye");
    roof_node* n = node(&b, "EyeLike", &x, 1, &e, 1);
    attr_i(n, "k", -1);
    int ai[2] = {x, e};
    op1(&b, "Mul", ai, 2);
    float want[12] = {0, 0, 0, 0, 4, 0, 0, 0, 0, 9, 0, 0};
    check_values(&b, "EyeLike", want, 12);
  }
}

/* ---- bad indices at run time ---- */

static void bad_index_cases(rng* r) {
  { /* indices = int64(x * 100): up to +-100 on an axis of 3 */
    builder b = start(r, "GatherElements index out of range at run time");
    int64_t xd[2] = {3, 3};
    int x = input(&b, "x", 2, xd), xi = output(&b, "xi");
    roof_node* c = node(&b, "Cast", &x, 1, &xi, 1);
    attr_i(c, "to", ROOF_DT_INT64);
    int ins[2] = {x, xi};
    int y = output(&b, "y");
    named(&b, "ge_node", "GatherElements", ins, 2, &y, 1);
    mark_output(&b, y);
    check_run_fails(&b, "GatherElements", "node 'ge_node' (GatherElements): tensor 'xi': index");
  }
  {
    builder b = start(r, "GatherND index out of range at run time");
    int64_t xd[2] = {3, 1};
    int x = input(&b, "x", 2, xd), xi = output(&b, "xi");
    roof_node* c = node(&b, "Cast", &x, 1, &xi, 1);
    attr_i(c, "to", ROOF_DT_INT64);
    int ins[2] = {x, xi};
    int y = output(&b, "y");
    named(&b, "gnd_node", "GatherND", ins, 2, &y, 1);
    mark_output(&b, y);
    check_run_fails(&b, "GatherND", "node 'gnd_node' (GatherND): tensor 'xi': index");
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  expand_cases(&r);
  tile_cases(&r);
  space_cases(&r);
  gather_elements_cases(&r);
  gather_nd_cases(&r);
  trilu_cases(&r);
  hand_cases(&r);
  bad_index_cases(&r);
  printf("test_index: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
