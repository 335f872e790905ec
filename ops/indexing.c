/* Ops that read or write data at positions given by an index tensor: GatherElements, GatherND,
 * ScatterElements (and its opset 9-10 name Scatter), ScatterND, OneHot.
 *
 * Indices are int32 or int64, negative ones counted from the end. Every index is checked
 * against its axis before any element moves: a bad one fails the run naming the node, the
 * index tensor, the value and the range (checked once at load when the indices are constant).
 * Data are moved by byte size, so every dtype runs; scatter reductions (add, mul, max, min)
 * compute in double for floating dtypes, in int64 (wrapping) for integers, as or/and for bool.
 * The layout rule is PLAIN: these ops sit in index arithmetic, not between convolutions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

typedef struct index_params {
  int64_t axis;       /* GatherElements, Scatter(Elements), OneHot: normalised at infer */
  int64_t batch_dims; /* GatherND */
  int reduction;      /* ScatterElements, ScatterND: RED_* */
  int64_t depth;      /* OneHot, read at infer */
} index_params;

static const int kIndexTypes[] = {ROOF_DT_INT64, ROOF_DT_INT32, 0};

static void cost_index(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "copy";
  c->has_model = true;
}

/* ---- index checks ---- */

static roof_status index_fail(roof_error* err, const roof_graph* g, const roof_node* n, int input, int64_t v, int64_t len,
                              int axis) {
  char b[ROOF_NAME_BUF];
  const roof_value* iv = roof_in(g, n, input);
  return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': index %lld is outside [%lld, %lld) (data axis %d)",
                        ROOF_SAFE(iv ? iv->name : "", b), (long long)v, (long long)-len, (long long)len, axis);
}

/* Every element of a plain index tensor within [-len, len) of one axis. */
static roof_status check_axis_indices(roof_error* err, const roof_graph* g, const roof_node* n, int input, int dtype,
                                      const void* data, uint64_t count, int64_t len, int axis) {
  for (uint64_t i = 0; i < count; i++) {
    int64_t v = roof_load_i64(dtype, data, (int64_t)i);
    if (v < -len || v >= len) return index_fail(err, g, n, input, v, len, axis);
  }
  return ROOF_OK;
}

/* Index tuples of the last axis of a plain [..., k] tensor: element j of each tuple indexes data
 * axis first + j. */
static roof_status check_tuple_indices(roof_error* err, const roof_graph* g, const roof_node* n, int input, int dtype,
                                       const void* data, uint64_t count, const int64_t* data_dims, int first, int k) {
  for (uint64_t i = 0; i < count; i++) {
    int a = first + (int)(i % (uint64_t)k);
    int64_t v = roof_load_i64(dtype, data, (int64_t)i), len = data_dims[a];
    if (v < -len || v >= len) return index_fail(err, g, n, input, v, len, a);
  }
  return ROOF_OK;
}

static int64_t norm_index(int64_t v, int64_t len) { return v < 0 ? v + len : v; }

/* ---- reductions of the scatters ---- */

static roof_status parse_reduction(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  static const char* const kNames[] = {"none", "add", "mul", "max", "min"};
  index_params* p = params;
  const char* red;
  roof_status st = roof_attr_get_int(g, n, "axis", 0, &p->axis, err);
  if (st == ROOF_OK) st = roof_attr_get_string(g, n, "reduction", "none", &red, err);
  if (st != ROOF_OK) return st;
  for (int i = 0; i < 5; i++) {
    if (strcmp(red, kNames[i]) == 0) {
      int since = i == RED_NONE ? 0 : i <= RED_MUL ? 16 : 18;
      if (g->opset < since) {
        return roof_node_fail(err, ROOF_E_DATA, g, n, "reduction '%s' needs opset %d (model: %lld)", red, since, (long long)g->opset);
      }
      p->reduction = i;
      return ROOF_OK;
    }
  }
  return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'reduction' is '%.16s' (none, add, mul, max or min)", red);
}

static bool is_unsigned(int dtype) {
  return dtype == ROOF_DT_UINT8 || dtype == ROOF_DT_UINT16 || dtype == ROOF_DT_UINT32 || dtype == ROOF_DT_UINT64;
}

/* y[yo] = y[yo] (reduction) u[uo], elements of one dtype. */
static void combine(int dtype, size_t es, void* y, int64_t yo, const void* u, int64_t uo, int red) {
  if (red == RED_NONE) {
    memcpy((char*)y + yo * (int64_t)es, (const char*)u + uo * (int64_t)es, es);
  } else if (roof_dtype_is_float(dtype)) {
    double a = roof_load_f64(dtype, y, yo), b = roof_load_f64(dtype, u, uo), r;
    if (red == RED_ADD) r = a + b;
    else if (red == RED_MUL) r = a * b;
    else if (isnan(a) || isnan(b)) r = NAN;
    else r = red == RED_MAX ? (a > b ? a : b) : (a < b ? a : b);
    roof_store_f64(dtype, y, yo, r);
  } else if (dtype == ROOF_DT_BOOL) {
    uint8_t a = ((uint8_t*)y)[yo], b = ((const uint8_t*)u)[uo];
    ((uint8_t*)y)[yo] = red == RED_ADD || red == RED_MAX ? (a | b) : (a & b);
  } else {
    int64_t a = roof_load_i64(dtype, y, yo), b = roof_load_i64(dtype, u, uo), r;
    bool less = is_unsigned(dtype) ? (uint64_t)a < (uint64_t)b : a < b;
    if (red == RED_ADD) r = (int64_t)((uint64_t)a + (uint64_t)b); /* wraps like the dtype */
    else if (red == RED_MUL) r = (int64_t)((uint64_t)a * (uint64_t)b);
    else r = (red == RED_MAX) == less ? b : a;
    roof_store_i64(dtype, y, yo, r);
  }
}

/* ---- GatherElements (opsets 11, 13): y[i] = data[i with axis replaced by indices[i]] ---- */

static roof_status parse_axis(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  index_params* p = params;
  return roof_attr_get_int(g, n, "axis", n->op->id == ROOF_OP_OneHot ? -1 : 0, &p->axis, err);
}

/* Shared by GatherElements and the scatters: indices of data's rank, no larger than data off the
 * axis; constant indices checked here. */
static roof_status infer_elements_indices(roof_graph* g, roof_node* n, int input, roof_error* err) {
  index_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, input, kIndexTypes, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, input);
  int axis;
  if ((st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err)) != ROOF_OK) return st;
  p->axis = axis;
  if (x->rank < 1 || ix->rank != x->rank) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "indices have rank %d, data rank %d (must be equal, >= 1)", ix->rank, x->rank);
  }
  for (int d = 0; d < x->rank; d++) {
    if (d != axis && ix->dims[d] > x->dims[d]) {
      char a[64], b[64];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "indices %s exceed data %s on axis %d", roof_shape_str(ix->dims, ix->rank, a, 64),
                            roof_shape_str(x->dims, x->rank, b, 64), d);
    }
  }
  uint64_t cnt = 0;
  if (roof_value_has_data(ix) && roof_value_count(ix, &cnt)) {
    return check_axis_indices(err, g, n, input, ix->dtype, ix->data, cnt, x->dims[axis], axis);
  }
  return ROOF_OK;
}

static roof_status infer_gather_elements(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = infer_elements_indices(g, n, 1, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1);
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, ix->rank, ix->dims);
  return ROOF_OK;
}

static roof_status ref_gather_elements(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1];
  roof_tensor* y = &k->out[0];
  int axis = (int)p->axis;
  size_t es = roof_dtype_size(x->dtype);
  roof_status st = check_axis_indices(err, k->g, k->node, 1, ix->dtype, ix->data, roof_tensor_count(ix), x->dims[axis], axis);
  if (st != ROOF_OK) return st;
  int64_t yi[ROOF_MAX_RANK] = {0}, xi[ROOF_MAX_RANK];
  do {
    memcpy(xi, yi, sizeof(xi));
    xi[axis] = norm_index(roof_load_i64(ix->dtype, ix->data, roof_offset(ix, yi)), x->dims[axis]);
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* native: rows of the output (its last axis) in parallel, indices checked first. */
typedef struct ge_task {
  const roof_tensor *x, *ix;
  roof_tensor* y;
  int axis;
} ge_task;

static void ge_rows(void* ctx, size_t start, size_t count) {
  const ge_task* t = ctx;
  const roof_tensor *x = t->x, *ix = t->ix, *y = t->y;
  int r = y->rank, axis = t->axis;
  int64_t len = y->dims[r - 1], alen = x->dims[axis], as = x->strides[axis];
  size_t es = roof_dtype_size(x->dtype);
  for (size_t row = start; row < start + count; row++) {
    int64_t rem = (int64_t)row, base = 0;
    for (int d = r - 2; d >= 0; d--) {
      int64_t i = rem % y->dims[d];
      rem /= y->dims[d];
      if (d != axis) base += i * x->strides[d];
    }
    const char* xb = (const char*)x->data + base * (int64_t)es;
    char* yr = (char*)y->data + (int64_t)row * len * (int64_t)es;
    for (int64_t j = 0; j < len; j++) {
      int64_t v = norm_index(roof_load_i64(ix->dtype, ix->data, (int64_t)row * len + j), alen);
      int64_t off = axis == r - 1 ? v : v * as + j;
      memcpy(yr + j * (int64_t)es, xb + off * (int64_t)es, es);
    }
  }
}

static bool supports_plain_io(const roof_kernel* k, char* why, size_t n) {
  for (int i = 0; i < k->num_in; i++) {
    if (k->in[i].data && !roof_tensor_is_plain(&k->in[i])) {
      snprintf(why, n, "input %d is strided", i);
      return false;
    }
  }
  if (!roof_tensor_is_plain(&k->out[0])) snprintf(why, n, "strided output");
  return roof_tensor_is_plain(&k->out[0]);
}

static roof_status run_gather_elements(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  ge_task t = {&k->in[0], &k->in[1], &k->out[0], (int)p->axis};
  roof_status st =
      check_axis_indices(err, k->g, k->node, 1, t.ix->dtype, t.ix->data, roof_tensor_count(t.ix), t.x->dims[t.axis], t.axis);
  if (st != ROOF_OK) return st;
  size_t rows = (size_t)(roof_tensor_count(t.y) / (uint64_t)t.y->dims[t.y->rank - 1]);
  size_t tile = 4096 / (size_t)t.y->dims[t.y->rank - 1] + 1;
  pthreadpool_parallelize_1d_tile_1d(k->pool, ge_rows, &t, rows, tile, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

/* ---- GatherND (opsets 11, 12, 13): tuples of the last index axis select slices of data ---- */

static roof_status parse_gather_nd(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  index_params* p = params;
  return roof_attr_get_int(g, n, "batch_dims", 0, &p->batch_dims, err);
}

/* data [B..., D..., S...], indices [B..., T..., k] with k = len(D): shared by GatherND and
 * ScatterND (b = 0). Writes k and checks constant indices. */
static roof_status infer_nd_indices(roof_graph* g, roof_node* n, int64_t b, int* k_out, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, kIndexTypes, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1);
  int r = x->rank, q = ix->rank;
  if (r < 1 || q < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "data (rank %d) and indices (rank %d) must have rank >= 1", r, q);
  if (b < 0 || b >= (q < r ? q : r)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "batch_dims %lld must be in [0, %d)", (long long)b, q < r ? q : r);
  }
  int64_t k = ix->dims[q - 1];
  if (k < 1 || k > r - b) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "index tuples of %lld values for data rank %d and batch_dims %lld (1 to %lld)",
                          (long long)k, r, (long long)b, (long long)(r - b));
  }
  for (int d = 0; d < b; d++) {
    if (ix->dims[d] != x->dims[d]) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "batch axis %d: indices have %lld, data %lld", d, (long long)ix->dims[d],
                            (long long)x->dims[d]);
    }
  }
  *k_out = (int)k;
  uint64_t cnt = 0;
  if (roof_value_has_data(ix) && roof_value_count(ix, &cnt)) {
    return check_tuple_indices(err, g, n, 1, ix->dtype, ix->data, cnt, x->dims, (int)b, (int)k);
  }
  return ROOF_OK;
}

static roof_status infer_gather_nd(roof_graph* g, roof_node* n, roof_error* err) {
  const index_params* p = n->params;
  int k = 0;
  roof_status st = infer_nd_indices(g, n, p->batch_dims, &k, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1);
  int64_t dims[2 * ROOF_MAX_RANK];
  int o = 0;
  for (int d = 0; d < ix->rank - 1; d++) dims[o++] = ix->dims[d];
  for (int d = (int)p->batch_dims + k; d < x->rank; d++) dims[o++] = x->dims[d];
  if (o > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", o, ROOF_MAX_RANK);
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, o, dims);
  return ROOF_OK;
}

/* The geometry of a plain GatherND/ScatterND: `tuples` index tuples of k values, each selecting
 * a slice of `slice` elements; tuple t lies in batch t / per_batch. */
typedef struct nd_geom {
  uint64_t tuples, per_batch;
  int64_t slice, batch_stride; /* elements of data per batch */
  int first, k;
  int64_t strides[ROOF_MAX_RANK]; /* data's plain strides in slices, for axes first..first+k */
} nd_geom;

static void nd_geometry(const roof_tensor* x, const roof_tensor* ix, int64_t b, nd_geom* gm) {
  int k = (int)ix->dims[ix->rank - 1];
  gm->first = (int)b;
  gm->k = k;
  gm->slice = 1;
  for (int d = (int)b + k; d < x->rank; d++) gm->slice *= x->dims[d];
  gm->tuples = roof_tensor_count(ix) / (uint64_t)k;
  uint64_t batches = 1;
  for (int d = 0; d < b; d++) batches *= (uint64_t)x->dims[d];
  gm->per_batch = batches ? gm->tuples / batches : 0;
  int64_t s = 1;
  for (int d = (int)b + k - 1; d >= (int)b; d--) {
    gm->strides[d - b] = s;
    s *= x->dims[d];
  }
  gm->batch_stride = s * gm->slice;
}

/* Element offset in data of the slice tuple t selects (indices already checked). */
static int64_t nd_offset(const nd_geom* gm, const roof_tensor* x, const roof_tensor* ix, uint64_t t) {
  int64_t off = gm->per_batch ? (int64_t)(t / gm->per_batch) * gm->batch_stride : 0, within = 0;
  for (int j = 0; j < gm->k; j++) {
    int64_t v = roof_load_i64(ix->dtype, ix->data, (int64_t)t * gm->k + j);
    within += norm_index(v, x->dims[gm->first + j]) * gm->strides[j];
  }
  return off + within * gm->slice;
}

static roof_status check_nd(roof_kernel* k, int64_t b, roof_error* err) {
  const roof_tensor *x = &k->in[0], *ix = &k->in[1];
  return check_tuple_indices(err, k->g, k->node, 1, ix->dtype, ix->data, roof_tensor_count(ix), x->dims, (int)b,
                             (int)ix->dims[ix->rank - 1]);
}

static roof_status ref_gather_nd(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1];
  roof_status st = check_nd(k, p->batch_dims, err);
  if (st != ROOF_OK) return st;
  nd_geom gm;
  nd_geometry(x, ix, p->batch_dims, &gm);
  size_t es = roof_dtype_size(x->dtype);
  for (uint64_t t = 0; t < gm.tuples; t++) {
    int64_t off = nd_offset(&gm, x, ix, t);
    for (int64_t s = 0; s < gm.slice; s++) {
      memcpy((char*)k->out[0].data + ((int64_t)t * gm.slice + s) * (int64_t)es, (const char*)x->data + (off + s) * (int64_t)es, es);
    }
  }
  return ROOF_OK;
}

/* native: tuples in parallel, one memcpy per slice. */
typedef struct gnd_task {
  nd_geom gm;
  const roof_tensor *x, *ix;
  char* y;
  size_t es;
} gnd_task;

static void gnd_tuples(void* ctx, size_t start, size_t count) {
  const gnd_task* t = ctx;
  size_t bytes = (size_t)t->gm.slice * t->es;
  for (size_t i = start; i < start + count; i++) {
    int64_t off = nd_offset(&t->gm, t->x, t->ix, i);
    memcpy(t->y + i * bytes, (const char*)t->x->data + (size_t)off * t->es, bytes);
  }
}

static roof_status run_gather_nd(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  roof_status st = check_nd(k, p->batch_dims, err);
  if (st != ROOF_OK) return st;
  gnd_task t = {.x = &k->in[0], .ix = &k->in[1], .y = k->out[0].data, .es = roof_dtype_size(k->in[0].dtype)};
  nd_geometry(t.x, t.ix, p->batch_dims, &t.gm);
  size_t tile = 16384 / ((size_t)t.gm.slice * t.es) + 1;
  pthreadpool_parallelize_1d_tile_1d(k->pool, gnd_tuples, &t, (size_t)t.gm.tuples, tile, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

/* ---- ScatterElements (opsets 11, 13, 16, 18) and Scatter (9, 10): y = data, then
 * y[i with axis replaced by indices[i]] (reduction)= updates[i] ---- */

static roof_status infer_scatter_elements(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = infer_elements_indices(g, n, 1, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 2, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1), *u = roof_in(g, n, 2);
  if (u->dtype != x->dtype || u->rank != ix->rank || memcmp(u->dims, ix->dims, sizeof(int64_t) * (size_t)ix->rank) != 0) {
    char a[64], b[64];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "updates %s %s must match indices %s and the data dtype %s",
                          roof_dtype_name(u->dtype), roof_shape_str(u->dims, u->rank, a, 64), roof_shape_str(ix->dims, ix->rank, b, 64),
                          roof_dtype_name(x->dtype));
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, x->dims);
  return ROOF_OK;
}

static roof_status ref_scatter_elements(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1], *u = &k->in[2];
  roof_tensor* y = &k->out[0];
  int axis = (int)p->axis;
  roof_status st = check_axis_indices(err, k->g, k->node, 1, ix->dtype, ix->data, roof_tensor_count(ix), x->dims[axis], axis);
  if (st != ROOF_OK) return st;
  roof_tensor_copy(x, y);
  if (roof_tensor_count(ix) == 0) return ROOF_OK;
  size_t es = roof_dtype_size(x->dtype);
  int64_t ii[ROOF_MAX_RANK] = {0}, yi[ROOF_MAX_RANK];
  do {
    memcpy(yi, ii, sizeof(yi));
    yi[axis] = norm_index(roof_load_i64(ix->dtype, ix->data, roof_offset(ix, ii)), x->dims[axis]);
    combine(y->dtype, es, y->data, roof_offset(y, yi), u->data, roof_offset(u, ii), p->reduction);
  } while (roof_index_next(ii, ix->dims, ix->rank));
  return ROOF_OK;
}

/* ---- ScatterND (opsets 11, 13, 16, 18): y = data, then y[indices[t]] (reduction)= updates[t] ---- */

static roof_status parse_scatter_nd(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_status st = parse_reduction(g, n, params, err);
  ((index_params*)params)->axis = 0;
  return st;
}

static roof_status infer_scatter_nd(roof_graph* g, roof_node* n, roof_error* err) {
  int k = 0;
  roof_status st = infer_nd_indices(g, n, 0, &k, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 2, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1), *u = roof_in(g, n, 2);
  int64_t want[2 * ROOF_MAX_RANK];
  int o = 0;
  for (int d = 0; d < ix->rank - 1; d++) want[o++] = ix->dims[d];
  for (int d = k; d < x->rank; d++) want[o++] = x->dims[d];
  if (u->dtype != x->dtype || u->rank != o || memcmp(u->dims, want, sizeof(int64_t) * (size_t)o) != 0) {
    char a[64], b[64];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "updates %s %s must be %s %s (indices[:-1] + data[k:])", roof_dtype_name(u->dtype),
                          roof_shape_str(u->dims, u->rank, a, 64), roof_dtype_name(x->dtype),
                          roof_shape_str(want, o > ROOF_MAX_RANK ? ROOF_MAX_RANK : o, b, 64));
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, x->dims);
  return ROOF_OK;
}

static roof_status ref_scatter_nd(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1], *u = &k->in[2];
  roof_tensor* y = &k->out[0];
  roof_status st = check_nd(k, 0, err);
  if (st != ROOF_OK) return st;
  roof_tensor_copy(x, y);
  nd_geom gm;
  nd_geometry(x, ix, 0, &gm);
  size_t es = roof_dtype_size(x->dtype);
  for (uint64_t t = 0; t < gm.tuples; t++) {
    int64_t off = nd_offset(&gm, x, ix, t);
    for (int64_t s = 0; s < gm.slice; s++) combine(y->dtype, es, y->data, off + s, u->data, (int64_t)t * gm.slice + s, p->reduction);
  }
  return ROOF_OK;
}

/* ---- OneHot (opsets 9, 11): a depth axis inserted at `axis`, on where it equals the index ---- */

static roof_status infer_onehot(roof_graph* g, roof_node* n, roof_error* err) {
  index_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 2, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *ix = roof_in(g, n, 0), *dv = roof_in(g, n, 1), *vals = roof_in(g, n, 2);
  uint64_t dc = 0, vc = 0;
  char b[ROOF_NAME_BUF];
  if (!roof_dtype_has_scalar_io(ix->dtype) || !roof_dtype_has_scalar_io(dv->dtype)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "indices (%s) and depth (%s) must be numeric", roof_dtype_name(ix->dtype),
                          roof_dtype_name(dv->dtype));
  }
  if (!roof_value_count(dv, &dc) || dc != 1 || dv->rank > 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': depth must hold one element", ROOF_SAFE(dv->name, b));
  }
  if (!roof_value_has_data(dv)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "tensor '%s': input 1 must be known at load time (data-dependent shapes are not supported)",
                          ROOF_SAFE(dv->name, b));
  }
  if (!roof_value_count(vals, &vc) || vc != 2 || vals->rank != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': values must be [off, on] (1-D, 2 elements)", ROOF_SAFE(vals->name, b));
  }
  double depth = roof_load_f64(dv->dtype, dv->data, 0);
  if (!(depth >= 1.0 && depth < 9e18)) return roof_node_fail(err, ROOF_E_DATA, g, n, "depth %g must be >= 1", depth);
  p->depth = (int64_t)depth;
  int r = ix->rank + 1, axis;
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", r, ROOF_MAX_RANK);
  if ((st = roof_norm_axis(g, n, "axis", p->axis, r, &axis, err)) != ROOF_OK) return st;
  p->axis = axis;
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0, s = 0; d < r; d++) dims[d] = d == axis ? p->depth : ix->dims[s++];
  roof_value_set_shape(roof_out(g, n, 0), vals->dtype, r, dims);
  return ROOF_OK;
}

/* Indices out of [-depth, depth) select nothing: their row is all off (the ONNX rule). */
static roof_status ref_onehot(roof_kernel* k, roof_error* err) {
  const index_params* p = k->params;
  const roof_tensor *ix = &k->in[0], *vals = &k->in[2];
  roof_tensor* y = &k->out[0];
  size_t es = roof_dtype_size(y->dtype);
  int axis = (int)p->axis;
  const char* off = (const char*)vals->data;
  const char* on = off + vals->strides[0] * (int64_t)es;
  int64_t yi[ROOF_MAX_RANK] = {0}, ii[ROOF_MAX_RANK];
  do {
    for (int d = 0, s = 0; d < y->rank; d++) {
      if (d != axis) ii[s++] = yi[d];
    }
    double v = roof_load_f64(ix->dtype, ix->data, roof_offset(ix, ii));
    bool hit = false;
    if (v > -(double)p->depth - 1 && v < (double)p->depth + 1) { /* integral part, as an int cast */
      int64_t at = v < 0 ? (int64_t)v + p->depth : (int64_t)v;
      hit = at == yi[axis];
    }
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, hit ? on : off, es);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

static int describe_axis(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const index_params* p = n->params;
  return snprintf(buf, size, "axis %lld", (long long)p->axis);
}

#define INDEX_OP(SYM, SINCE, UNTIL, PARSE, INFER, DESCRIBE, REF, VALUES)                                            \
  const roof_op_schema roof_op_##SYM = {                                                                          \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = UNTIL,        \
      .layout = ROOF_LR_PLAIN, .params_size = sizeof(index_params), .parse = PARSE, .infer = INFER,              \
      .cost = cost_index, .describe = DESCRIBE, .value_inputs = VALUES,                                           \
  };                                                                                                              \
  ROOF_REF_KERNEL(SYM, NULL, REF)

INDEX_OP(GatherElements, 11, 1000, parse_axis, infer_gather_elements, describe_axis, ref_gather_elements, 0);
INDEX_OP(GatherND, 11, 1000, parse_gather_nd, infer_gather_nd, NULL, ref_gather_nd, 0);
INDEX_OP(ScatterElements, 11, 1000, parse_reduction, infer_scatter_elements, describe_axis, ref_scatter_elements, 0);
INDEX_OP(Scatter, 9, 10, parse_reduction, infer_scatter_elements, describe_axis, ref_scatter_elements, 0);
INDEX_OP(ScatterND, 11, 1000, parse_scatter_nd, infer_scatter_nd, NULL, ref_scatter_nd, 0);
INDEX_OP(OneHot, 9, 1000, parse_axis, infer_onehot, describe_axis, ref_onehot, ROOF_IN(1));

const roof_kernel_impl roof_kernel_GatherElements_native = {
    .op = ROOF_OP_GatherElements, .backend = ROOF_BACKEND_NATIVE, .supports = supports_plain_io, .run = run_gather_elements,
};
const roof_kernel_impl roof_kernel_GatherND_native = {
    .op = ROOF_OP_GatherND, .backend = ROOF_BACKEND_NATIVE, .supports = supports_plain_io, .run = run_gather_nd,
};
