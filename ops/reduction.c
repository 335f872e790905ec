/* Reductions, table-driven: every row of reduce_list.inc becomes a schema, a reference kernel
 * over strided views for every dtype the row lists and a native float32 entry; ReduceMean also
 * keeps XNNPACK's global average pooling for the spatial mean of NHWC tensors (x.mean([2, 3])
 * in PyTorch exports). The rows carry the differences; nothing below names an op.
 *
 * Reference semantics (the oracle of the native entries): float dtypes accumulate in double
 * and round once; integers accumulate in int64 / uint64 (sums and products wrap as the
 * narrow type would); Max and Min propagate NaN. ArgMax / ArgMin compare in the same classes.
 * Native entries: plain float32 data whose reduced axes are one run of dims, viewed as
 * [outer, red, inner]: inner 1 gives rows of `red` contiguous elements (in parallel, each summed
 * in independent lanes), otherwise tiles of 64 contiguous columns accumulate along `red`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "reduce_params.h"
#include "xnn_backend.h"

/* ---- dtype sets a row names ---- */

#define RED_FLOAT_DTS ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16
#define RED_SUM_DTS RED_FLOAT_DTS, ROOF_DT_INT32, ROOF_DT_INT64, ROOF_DT_UINT32, ROOF_DT_UINT64
static const int kDtypes_FLOATS[] = {RED_FLOAT_DTS, 0};
static const int kDtypes_SUM[] = {RED_SUM_DTS, 0};
static const int kDtypes_MAXMIN[] = {RED_SUM_DTS, ROOF_DT_INT8, ROOF_DT_UINT8, 0};
static const int kDtypes_NUMERIC[] = {RED_SUM_DTS, ROOF_DT_INT8, ROOF_DT_UINT8, ROOF_DT_INT16, ROOF_DT_UINT16, 0};

typedef enum red_init { INIT_ZERO, INIT_ONE, INIT_LOWEST, INIT_HIGHEST } red_init;
#define RED_INIT_ZERO 0.0
#define RED_INIT_ONE 1.0
#define RED_INIT_LOWEST (-INFINITY)
#define RED_INIT_HIGHEST INFINITY

/* Element helpers the rows name: Max and Min keep the first NaN they meet. */
#define RED_NAN(v) isnan((double)(v))
#define RED_MAX(a, x) ((x) > (a) || RED_NAN(x) ? (x) : (a))
#define RED_MIN(a, x) ((x) < (a) || RED_NAN(x) ? (x) : (a))
/* ArgMax / ArgMin: does x at a later index replace the best v? NaN is the extremum (the first
 * one, or the last with select_last_index), as numpy's argmax / argmin. */
#define RED_BETTER(x, v, last, CMP) \
  (RED_NAN(v) ? ((last) && RED_NAN(x)) : (RED_NAN(x) || (x) CMP (v) || ((last) && (x) == (v))))

typedef roof_reduce_params reduce_params; /* reduce_params.h: the layer_norm pass reads it */

/* What a row generates (reduce rows fill the step fields, arg rows the better fields). */
typedef struct reduce_row {
  int axes_in;      /* opset from which axes is an input; 0 for arg rows */
  const int* dtypes;
  bool arg, pre;
  red_init init;
  double (*fstep)(double a, double x, double m);
  double (*ffinal)(double a, double n, double m);
  int64_t (*istep)(int64_t a, int64_t x, double m);
  int64_t (*ifinal)(int64_t a, double n, double m);
  uint64_t (*ustep)(uint64_t a, uint64_t x, double m);
  uint64_t (*ufinal)(uint64_t a, double n, double m);
  bool (*fbetter)(double x, double v, bool last);
  bool (*ibetter)(int64_t x, int64_t v, bool last);
  bool (*ubetter)(uint64_t x, uint64_t v, bool last);
  /* native, float32: `count` rows of len elements / nc columns (<= RED_TILE) of [red, inner] */
  void (*rows)(const float* x, void* y, int64_t len, size_t count, bool last);
  void (*cols)(const float* x, void* y, int64_t red, int64_t inner, int64_t nc, bool last);
} reduce_row;

/* ---- schema ---- */

static roof_status parse_reduce(const roof_graph* g, const roof_node* n, void* params, const reduce_row* row, roof_error* err) {
  reduce_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "keepdims", 1, &p->keepdims, err);
  if (st == ROOF_OK && row->arg) st = roof_attr_get_int(g, n, "select_last_index", 0, &p->select_last, err);
  if (st == ROOF_OK && row->arg) {
    p->num_axes = 1;
    return roof_attr_get_int(g, n, "axis", 0, &p->axes[0], err);
  }
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "noop_with_empty_axes", 0, &p->noop_empty, err);
  if (st != ROOF_OK) return st;
  if (g->opset >= row->axes_in) {
    if (roof_node_attr(n, "axes")) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axes' is an input from opset %d (model opset %lld)",
                            row->axes_in, (long long)g->opset);
    }
    return ROOF_OK;
  }
  const int64_t* axes;
  size_t cnt;
  st = roof_attr_get_ints(g, n, "axes", &axes, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axes' has %zu values", cnt);
  if (cnt) memcpy(p->axes, axes, sizeof(int64_t) * cnt);
  p->num_axes = cnt;
  return ROOF_OK;
}

static roof_status check_arity(roof_graph* g, roof_node* n, const reduce_row* row, roof_error* err) {
  int max_in = !row->arg && g->opset >= row->axes_in ? 2 : 1;
  if (n->num_inputs >= 1 && n->num_inputs <= max_in && n->num_outputs == 1) return ROOF_OK;
  return roof_node_fail(err, ROOF_E_DATA, g, n, "takes 1%s input%s and 1 output at opset %lld, not %d and %d",
                        max_in == 2 ? " or 2" : "", max_in == 2 ? "s" : "", (long long)g->opset, n->num_inputs,
                        n->num_outputs);
}

/* p->reduce from the axes (attribute, constant input 1 or `axis`): all dims when none are
 * given, unless noop_with_empty_axes; an axis named twice is an error. */
static roof_status resolve_axes(roof_graph* g, roof_node* n, const reduce_row* row, int rank, roof_error* err) {
  reduce_params* p = n->params;
  if (!row->arg && g->opset >= row->axes_in) {
    p->num_axes = 0;
    if (roof_in(g, n, 1)) {
      roof_status st = roof_const_ints(g, n, 1, p->axes, ROOF_MAX_RANK, &p->num_axes, err);
      if (st != ROOF_OK) return st;
    }
  }
  bool all = p->num_axes == 0 && !p->noop_empty;
  for (int d = 0; d < ROOF_MAX_RANK; d++) p->reduce[d] = all && d < rank;
  for (size_t i = 0; i < p->num_axes; i++) {
    int a;
    roof_status st = roof_norm_axis(g, n, row->arg ? "axis" : "axes", p->axes[i], rank, &a, err);
    if (st != ROOF_OK) return st;
    if (p->reduce[a]) return roof_node_fail(err, ROOF_E_DATA, g, n, "axes names dim %d twice", a);
    p->reduce[a] = true;
  }
  return ROOF_OK;
}

static roof_status infer_reduce(roof_graph* g, roof_node* n, const reduce_row* row, roof_error* err) {
  reduce_params* p = n->params;
  roof_status st = check_arity(g, n, row, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 0, row->dtypes, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (row->arg && x->rank == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "input is a scalar: there is no axis to index");
  st = resolve_axes(g, n, row, x->rank, err);
  if (st != ROOF_OK) return st;
  int64_t dims[ROOF_MAX_RANK];
  int r = 0;
  bool empty_axis = false, empty_out = false;
  for (int d = 0; d < x->rank; d++) {
    if (p->reduce[d]) empty_axis |= x->dims[d] == 0;
    else empty_out |= x->dims[d] == 0;
    if (!p->reduce[d]) dims[r++] = x->dims[d];
    else if (p->keepdims) dims[r++] = 1;
  }
  if (row->arg && empty_axis && !empty_out) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %lld is empty: no index to return", (long long)p->axes[0]);
  }
  roof_value_set_shape(roof_out(g, n, 0), row->arg ? ROOF_DT_INT64 : x->dtype, r, dims);
  return ROOF_OK;
}

/* flops = one op per input element (docs/cost-model.md) */
static void cost_reduce(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_value_count(roof_in(g, n, 0), &c->flops);
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "reduce";
  c->has_model = true;
}

/* "axes 2,3 keepdims", "axis 1 last" */
static int describe_reduce(const roof_graph* g, const roof_node* n, char* buf, size_t size, const reduce_row* row) {
  const reduce_params* p = n->params;
  const roof_value* x = roof_in(g, n, 0);
  char list[64] = "";
  size_t used = 0;
  for (int d = 0; x && d < x->rank && used < sizeof(list); d++) {
    if (p->reduce[d]) used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d", used ? "," : "", d);
  }
  return snprintf(buf, size, "%s %s%s%s", row->arg ? "axis" : "axes", used ? list : "none", p->keepdims ? " keepdims" : "",
                  p->select_last ? " last" : "");
}

/* ---- reference: strided views, every dtype of the row ---- */

/* The reduced dims of x (sizes and strides), walked by a cursor. */
typedef struct red_space {
  int rank;
  int64_t dims[ROOF_MAX_RANK], strides[ROOF_MAX_RANK];
  uint64_t count;
} red_space;

typedef struct red_cursor {
  int64_t i[ROOF_MAX_RANK];
  int64_t off; /* element offset from the output position's first input element */
  bool more;
} red_cursor;

static void red_begin(red_cursor* c, const red_space* s) {
  memset(c, 0, sizeof(*c));
  c->more = s->count > 0;
}

static void red_next(red_cursor* c, const red_space* s) {
  c->more = roof_index_next(c->i, s->dims, s->rank);
  c->off = 0;
  for (int d = 0; d < s->rank; d++) c->off += c->i[d] * s->strides[d];
}

typedef enum red_class { C_FLOAT, C_SIGNED, C_UNSIGNED } red_class;

static red_class class_of(int dt) {
  if (roof_dtype_is_float(dt)) return C_FLOAT;
  bool u = dt == ROOF_DT_UINT8 || dt == ROOF_DT_UINT16 || dt == ROOF_DT_UINT32 || dt == ROOF_DT_UINT64;
  return u ? C_UNSIGNED : C_SIGNED;
}

/* The extremes of an integer dtype (LOWEST / HIGHEST of an empty Max / Min). */
static int64_t signed_limit(int dt, bool high) {
  int bits = dt == ROOF_DT_INT8 ? 8 : dt == ROOF_DT_INT16 ? 16 : dt == ROOF_DT_INT32 ? 32 : 64;
  int64_t max = (int64_t)(UINT64_MAX >> (65 - bits));
  return high ? max : -max - 1;
}

static uint64_t unsigned_limit(int dt, bool high) {
  int bits = dt == ROOF_DT_UINT8 ? 8 : dt == ROOF_DT_UINT16 ? 16 : dt == ROOF_DT_UINT32 ? 32 : 64;
  return high ? UINT64_MAX >> (64 - bits) : 0;
}

static double init_f(red_init i) {
  return i == INIT_ONE ? 1.0 : i == INIT_LOWEST ? -INFINITY : i == INIT_HIGHEST ? INFINITY : 0.0;
}
static int64_t init_i(red_init i, int dt) {
  return i == INIT_ONE ? 1 : i == INIT_LOWEST ? signed_limit(dt, false) : i == INIT_HIGHEST ? signed_limit(dt, true) : 0;
}
static uint64_t init_u(red_init i, int dt) {
  return i == INIT_ONE ? 1 : i == INIT_LOWEST ? 0 : i == INIT_HIGHEST ? unsigned_limit(dt, true) : 0;
}

/* The shift m of PRE rows: the maximum when finite, else 0 (so that all -inf gives -inf). */
static double ref_shift(const roof_tensor* x, int64_t base, const red_space* s) {
  double m = -INFINITY;
  red_cursor c;
  for (red_begin(&c, s); c.more; red_next(&c, s)) {
    double v = roof_load_f64(x->dtype, x->data, base + c.off);
    m = RED_MAX(m, v);
  }
  return isfinite(m) ? m : 0.0;
}

/* One output element of a reduce row: its reduced elements start at x offset `base`. */
static void ref_fold(const roof_kernel* k, const reduce_row* row, int64_t base, int64_t yoff, const red_space* s) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  double n = (double)s->count, m = row->pre ? ref_shift(x, base, s) : 0.0;
  red_cursor c;
  switch (class_of(x->dtype)) {
    case C_FLOAT: {
      double a = init_f(row->init);
      for (red_begin(&c, s); c.more; red_next(&c, s)) a = row->fstep(a, roof_load_f64(x->dtype, x->data, base + c.off), m);
      roof_store_f64(y->dtype, y->data, yoff, row->ffinal(a, n, m));
      break;
    }
    case C_SIGNED: {
      int64_t a = init_i(row->init, x->dtype);
      for (red_begin(&c, s); c.more; red_next(&c, s)) a = row->istep(a, roof_load_i64(x->dtype, x->data, base + c.off), m);
      roof_store_i64(y->dtype, y->data, yoff, row->ifinal(a, n, m));
      break;
    }
    case C_UNSIGNED: {
      uint64_t a = init_u(row->init, x->dtype);
      for (red_begin(&c, s); c.more; red_next(&c, s)) a = row->ustep(a, (uint64_t)roof_load_i64(x->dtype, x->data, base + c.off), m);
      roof_store_i64(y->dtype, y->data, yoff, (int64_t)row->ufinal(a, n, m));
      break;
    }
  }
}

/* One output element of an arg row: the index along the axis (s has rank 1, count >= 1). */
static void ref_arg(const roof_kernel* k, const reduce_row* row, int64_t base, int64_t yoff, const red_space* s) {
  const roof_tensor* x = &k->in[0];
  bool last = ((const reduce_params*)k->params)->select_last != 0;
  red_class cls = class_of(x->dtype);
  int64_t best = 0;
  double fv = roof_load_f64(x->dtype, x->data, base);
  int64_t iv = roof_load_i64(x->dtype, x->data, base);
  red_cursor c;
  for (red_begin(&c, s); c.more; red_next(&c, s)) {
    bool take;
    if (cls == C_FLOAT) {
      double v = roof_load_f64(x->dtype, x->data, base + c.off);
      take = row->fbetter(v, fv, last);
      if (take) fv = v;
    } else {
      int64_t v = roof_load_i64(x->dtype, x->data, base + c.off);
      take = cls == C_SIGNED ? row->ibetter(v, iv, last) : row->ubetter((uint64_t)v, (uint64_t)iv, last);
      if (take) iv = v;
    }
    if (take) best = c.i[0];
  }
  roof_store_i64(ROOF_DT_INT64, k->out[0].data, yoff, best);
}

/* Walks the output positions (x's index with every reduced dim at 0). y holds x's kept dims,
 * and a size-1 dim in place of each reduced one under keepdims. */
static roof_status ref_reduce(roof_kernel* k, const reduce_row* row) {
  const reduce_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  const roof_tensor* y = &k->out[0];
  int64_t kept[ROOF_MAX_RANK];
  red_space s = {.count = 1};
  for (int d = 0; d < x->rank; d++) {
    kept[d] = p->reduce[d] ? 1 : x->dims[d];
    if (!p->reduce[d]) continue;
    s.dims[s.rank] = x->dims[d];
    s.strides[s.rank++] = x->strides[d];
    s.count *= (uint64_t)x->dims[d];
  }
  int64_t o[ROOF_MAX_RANK] = {0};
  do {
    int64_t yoff = 0;
    for (int d = 0, yd = 0; d < x->rank; d++) {
      if (!p->reduce[d]) yoff += o[d] * y->strides[yd++];
      else if (p->keepdims) yd++;
    }
    if (row->arg) ref_arg(k, row, roof_offset(x, o), yoff, &s);
    else ref_fold(k, row, roof_offset(x, o), yoff, &s);
  } while (roof_index_next(o, kept, x->rank));
  return ROOF_OK;
}

/* ---- XNNPACK: ReduceMean over H and W of NHWC data, global average pooling ---- */

static roof_status create_gavgpool(roof_kernel* k, roof_error* err) {
  const reduce_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  bool spatial = x->rank == 4 && !p->reduce[0] && !p->reduce[1] && p->reduce[2] && p->reduce[3];
  if (!spatial || !roof_tensor_is_nhwc(x)) return roof_kernel_refuse(err, "not a spatial mean of an NHWC tensor");
  /* output [N, C] or [N, C, 1, 1]: channels innermost either way only if it is dense */
  const roof_tensor* y = &k->out[0];
  if (!(roof_tensor_is_plain(y) || roof_tensor_is_nhwc(y))) return roof_kernel_refuse(err, "output strided in memory");
  size_t c = (size_t)x->dims[1];
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &op);
  return roof_xnn_created(s, op, k, "create global average pooling", err);
}

static roof_status setup_gavgpool(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  enum xnn_status s = xnn_setup_global_average_pooling_nwc_f32(roof_xop(k), (size_t)x->dims[0], (size_t)(x->dims[2] * x->dims[3]),
                                                               x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup global average pooling", err);
}

/* ---- native: plain float32, the reduced dims one run: [outer, red, inner] ---- */

#define RED_LANES 8 /* independent accumulators per row: the row loop vectorizes without reassociating */
#define RED_TILE 64 /* contiguous columns per task */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RED_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define RED_CLONES
#endif

typedef struct red_geom {
  int64_t outer, red, inner;
} red_geom;

/* False when the reduced dims (size-1 dims aside) are not one run. */
static bool red_blocks(const roof_tensor* x, const bool* reduce, red_geom* g) {
  int first = -1, last = -1;
  for (int d = 0; d < x->rank; d++) {
    if (x->dims[d] == 1 || !reduce[d]) continue;
    if (first < 0) first = d;
    last = d;
  }
  *g = (red_geom){1, 1, 1};
  for (int d = 0; d < x->rank; d++) {
    bool inside = first >= 0 && d >= first && d <= last;
    if (inside && !reduce[d] && x->dims[d] != 1) return false;
    int64_t* part = first < 0 || d > last ? &g->inner : d < first ? &g->outer : &g->red;
    *part *= x->dims[d];
  }
  return true;
}

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  const reduce_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  red_geom geo;
  const char* no = !roof_tensor_is_plain(x) || !roof_tensor_is_plain(y) ? "strided input or output"
                   : roof_tensor_count(x) == 0                           ? "empty input"
                   : !red_blocks(x, p->reduce, &geo)                     ? "the reduced axes are not one run of dims"
                                                                         : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

typedef struct red_task {
  const reduce_row* row;
  const float* x;
  char* y;
  size_t ysize; /* bytes per output element */
  red_geom geo;
  bool last;
} red_task;

static void red_rows_task(void* ctx, size_t start, size_t count) {
  const red_task* t = ctx;
  t->row->rows(t->x + (int64_t)start * t->geo.red, t->y + start * t->ysize, t->geo.red, count, t->last);
}

static void red_cols_task(void* ctx, size_t o, size_t c0, size_t nc) {
  const red_task* t = ctx;
  int64_t off = (int64_t)o * t->geo.red * t->geo.inner + (int64_t)c0;
  size_t yoff = o * (size_t)t->geo.inner + c0;
  t->row->cols(t->x + off, t->y + yoff * t->ysize, t->geo.red, t->geo.inner, (int64_t)nc, t->last);
}

/* Rows go in tiles of about 16k elements, so that short rows are not one task each; below one
 * such tile of input the work runs on the calling thread (waking the pool costs more). */
static roof_status native_reduce(roof_kernel* k, const reduce_row* row) {
  const reduce_params* p = k->params;
  pthreadpool_t pool = roof_tensor_count(&k->in[0]) >= 16384 ? k->pool : NULL;
  red_task t = {row, k->in[0].data, k->out[0].data, roof_dtype_size(k->out[0].dtype), {0, 0, 0}, p->select_last != 0};
  red_blocks(&k->in[0], p->reduce, &t.geo);
  if (t.geo.inner == 1) {
    size_t tile = t.geo.red >= 16384 ? 1 : (size_t)(16384 / t.geo.red);
    pthreadpool_parallelize_1d_tile_1d(pool, red_rows_task, &t, (size_t)t.geo.outer, tile, ROOF_POOL_FLAGS);
  } else {
    pthreadpool_parallelize_2d_tile_1d(pool, red_cols_task, &t, (size_t)t.geo.outer, (size_t)t.geo.inner, RED_TILE, ROOF_POOL_FLAGS);
  }
  return ROOF_OK;
}

/* The shift of PRE rows over one row / over nc columns (NaN-propagating maximum, 0 unless
 * finite). */
RED_CLONES static double row_shift(const float* xp, int64_t len) {
  float acc[RED_LANES];
  for (int j = 0; j < RED_LANES; j++) acc[j] = -INFINITY;
  int64_t i = 0;
  for (; i + RED_LANES <= len; i += RED_LANES) {
    for (int j = 0; j < RED_LANES; j++) acc[j] = RED_MAX(acc[j], xp[i + j]);
  }
  float m = acc[0];
  for (int j = 1; j < RED_LANES; j++) m = RED_MAX(m, acc[j]);
  for (; i < len; i++) m = RED_MAX(m, xp[i]);
  return isfinite(m) ? m : 0.0;
}

static void cols_shift(const float* xp, int64_t red, int64_t inner, int64_t nc, double* sh) {
  for (int64_t c = 0; c < nc; c++) sh[c] = -INFINITY;
  for (int64_t r = 0; r < red; r++) {
    for (int64_t c = 0; c < nc; c++) sh[c] = RED_MAX(sh[c], (double)xp[r * inner + c]);
  }
  for (int64_t c = 0; c < nc; c++) sh[c] = isfinite(sh[c]) ? sh[c] : 0.0;
}

/* Index of the first (last) element equal to the row's extremum e, or NaN when e is NaN. */
static int64_t row_find(const float* xp, int64_t len, float e, bool last) {
  bool nan = isnan(e);
  for (int64_t k = 0; k < len; k++) {
    int64_t i = last ? len - 1 - k : k;
    if (nan ? isnan(xp[i]) : xp[i] == e) return i;
  }
  return 0;
}

/* ---- the rows ---- */

#define REDUCE_CLASS_FNS(SYM, TAG, AT, UT, STEP, FINAL)                                        \
  static AT TAG##step_##SYM(AT a, AT x, double m) {                                           \
    typedef AT A;                                                                             \
    typedef UT U;                                                                             \
    (void)sizeof(A), (void)sizeof(U), (void)m;                                                \
    return (AT)(STEP);                                                                        \
  }                                                                                           \
  static AT TAG##final_##SYM(AT a, double n, double m) {                                      \
    (void)n, (void)m;                                                                         \
    return (AT)(FINAL);                                                                       \
  }

/* Native float32 kernels of a reduce row: the accumulators are doubles. */
#define REDUCE_NATIVE_FNS(SYM, INIT, PRE, STEP, COMBINE, FINAL)                                \
  RED_CLONES static void rows_##SYM(const float* xp, void* yv, int64_t len, size_t count, bool last) { \
    typedef double A;                                                                         \
    typedef double U;                                                                         \
    (void)sizeof(A), (void)sizeof(U), (void)last;                                             \
    float* y = yv;                                                                            \
    for (size_t r = 0; r < count; r++, xp += len) {                                           \
      const double m = PRE ? row_shift(xp, len) : 0.0, n = (double)len;                       \
      double acc[RED_LANES];                                                                  \
      for (int j = 0; j < RED_LANES; j++) acc[j] = RED_INIT_##INIT;                           \
      int64_t i = 0;                                                                          \
      for (; i + RED_LANES <= len; i += RED_LANES) {                                          \
        for (int j = 0; j < RED_LANES; j++) {                                                 \
          const double a = acc[j], x = xp[i + j];                                             \
          acc[j] = STEP;                                                                      \
        }                                                                                     \
      }                                                                                       \
      double a = acc[0];                                                                      \
      for (int j = 1; j < RED_LANES; j++) {                                                   \
        const double b = acc[j];                                                              \
        a = COMBINE;                                                                          \
      }                                                                                       \
      for (; i < len; i++) {                                                                  \
        const double x = xp[i];                                                               \
        a = STEP;                                                                             \
      }                                                                                       \
      (void)n, (void)m;                                                                       \
      y[r] = (float)(FINAL);                                                                  \
    }                                                                                         \
  }                                                                                           \
  RED_CLONES static void cols_##SYM(const float* xp, void* yv, int64_t red, int64_t inner, int64_t nc, bool last) { \
    typedef double A;                                                                         \
    typedef double U;                                                                         \
    (void)sizeof(A), (void)sizeof(U), (void)last;                                             \
    float* y = yv;                                                                            \
    double acc[RED_TILE], sh[RED_TILE];                                                       \
    for (int64_t c = 0; c < nc; c++) acc[c] = RED_INIT_##INIT, sh[c] = 0.0;                   \
    if (PRE) cols_shift(xp, red, inner, nc, sh);                                              \
    for (int64_t r = 0; r < red; r++) {                                                       \
      for (int64_t c = 0; c < nc; c++) {                                                      \
        const double a = acc[c], x = xp[r * inner + c], m = sh[c];                            \
        (void)m;                                                                              \
        acc[c] = STEP;                                                                        \
      }                                                                                       \
    }                                                                                         \
    const double n = (double)red;                                                             \
    for (int64_t c = 0; c < nc; c++) {                                                        \
      const double a = acc[c], m = sh[c];                                                     \
      (void)n, (void)m;                                                                       \
      y[c] = (float)(FINAL);                                                                  \
    }                                                                                         \
  }

#define REDUCE_SCHEMA(SYM, DTS, VIN)                                                             \
  static roof_status parse_##SYM(const roof_graph* g, const roof_node* n, void* params, roof_error* err) { \
    return parse_reduce(g, n, params, &kRow_##SYM, err);                                      \
  }                                                                                           \
  static roof_status infer_##SYM(roof_graph* g, roof_node* n, roof_error* err) {              \
    return infer_reduce(g, n, &kRow_##SYM, err);                                              \
  }                                                                                           \
  static int describe_##SYM(const roof_graph* g, const roof_node* n, char* buf, size_t size) { \
    return describe_reduce(g, n, buf, size, &kRow_##SYM);                                     \
  }                                                                                           \
  static roof_status ref_##SYM(roof_kernel* k, roof_error* err) { return ref_reduce(k, &kRow_##SYM); } \
  static roof_status native_##SYM(roof_kernel* k, roof_error* err) { return native_reduce(k, &kRow_##SYM); } \
  const roof_op_schema roof_op_##SYM = {                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000, \
      .layout = ROOF_LR_ANY, .params_size = sizeof(reduce_params), .parse = parse_##SYM,      \
      .infer = infer_##SYM, .cost = cost_reduce, .describe = describe_##SYM, .value_inputs = VIN, \
  };                                                                                          \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                       \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,         \
      .supports = supports_native, .run = native_##SYM};                                      \
  ROOF_REF_KERNEL(SYM, DTS, ref_##SYM);

#define ROOF_REDUCE(SYM, AXES_IN, DTYPES, INIT, PRE, STEP, COMBINE, FINAL)                     \
  REDUCE_CLASS_FNS(SYM, f, double, double, STEP, FINAL)                                       \
  REDUCE_CLASS_FNS(SYM, i, int64_t, uint64_t, STEP, FINAL)                                    \
  REDUCE_CLASS_FNS(SYM, u, uint64_t, uint64_t, STEP, FINAL)                                   \
  REDUCE_NATIVE_FNS(SYM, INIT, PRE, STEP, COMBINE, FINAL)                                     \
  static const reduce_row kRow_##SYM = {                                                      \
      .axes_in = AXES_IN, .dtypes = kDtypes_##DTYPES, .pre = PRE, .init = INIT_##INIT,        \
      .fstep = fstep_##SYM, .ffinal = ffinal_##SYM, .istep = istep_##SYM, .ifinal = ifinal_##SYM, \
      .ustep = ustep_##SYM, .ufinal = ufinal_##SYM, .rows = rows_##SYM, .cols = cols_##SYM};   \
  REDUCE_SCHEMA(SYM, kDtypes_##DTYPES, ROOF_IN(1)) /* axes, from AXES_IN */

#define ROOF_REDUCE_XNN(SYM, AXES_IN, DTYPES, INIT, PRE, STEP, COMBINE, FINAL, XNN)            \
  ROOF_REDUCE(SYM, AXES_IN, DTYPES, INIT, PRE, STEP, COMBINE, FINAL)                          \
  ROOF_XNN_KERNEL(SYM, NULL, create_##XNN, setup_##XNN, roof_xnn_destroy);

/* Arg rows: native rows find the extremum in lanes, then its first (last) index; columns keep
 * the best value and index per column. */
#define ROOF_REDUCE_ARG(SYM, CMP)                                                             \
  static bool fbetter_##SYM(double x, double v, bool last) { return RED_BETTER(x, v, last, CMP); } \
  static bool ibetter_##SYM(int64_t x, int64_t v, bool last) { return x CMP v || (last && x == v); } \
  static bool ubetter_##SYM(uint64_t x, uint64_t v, bool last) { return x CMP v || (last && x == v); } \
  RED_CLONES static void rows_##SYM(const float* xp, void* yv, int64_t len, size_t count, bool last) { \
    int64_t* y = yv;                                                                          \
    for (size_t r = 0; r < count; r++, xp += len) {                                           \
      float acc[RED_LANES];                                                                   \
      for (int j = 0; j < RED_LANES; j++) acc[j] = xp[0];                                     \
      int64_t i = 0;                                                                          \
      for (; i + RED_LANES <= len; i += RED_LANES) {                                          \
        for (int j = 0; j < RED_LANES; j++) {                                                 \
          const float a = acc[j], x = xp[i + j];                                              \
          acc[j] = x CMP a || RED_NAN(x) ? x : a;                                             \
        }                                                                                     \
      }                                                                                       \
      float e = acc[0];                                                                       \
      for (int j = 1; j < RED_LANES; j++) e = acc[j] CMP e || RED_NAN(acc[j]) ? acc[j] : e;   \
      for (; i < len; i++) e = xp[i] CMP e || RED_NAN(xp[i]) ? xp[i] : e;                     \
      y[r] = row_find(xp, len, e, last);                                                      \
    }                                                                                         \
  }                                                                                           \
  RED_CLONES static void cols_##SYM(const float* xp, void* yv, int64_t red, int64_t inner, int64_t nc, bool last) { \
    int64_t* y = yv;                                                                          \
    float v[RED_TILE];                                                                        \
    int64_t b[RED_TILE];                                                                      \
    for (int64_t c = 0; c < nc; c++) v[c] = xp[c], b[c] = 0;                                  \
    for (int64_t r = 1; r < red; r++) {                                                       \
      for (int64_t c = 0; c < nc; c++) {                                                      \
        const float x = xp[r * inner + c];                                                    \
        bool take = RED_BETTER(x, v[c], last, CMP);                                           \
        v[c] = take ? x : v[c];                                                               \
        b[c] = take ? r : b[c];                                                               \
      }                                                                                       \
    }                                                                                         \
    for (int64_t c = 0; c < nc; c++) y[c] = b[c];                                             \
  }                                                                                           \
  static const reduce_row kRow_##SYM = {                                                      \
      .dtypes = kDtypes_NUMERIC, .arg = true, .fbetter = fbetter_##SYM, .ibetter = ibetter_##SYM, \
      .ubetter = ubetter_##SYM, .rows = rows_##SYM, .cols = cols_##SYM};                       \
  REDUCE_SCHEMA(SYM, kDtypes_NUMERIC, 0)

/* A STEP is written once for floats and integers: `fabs` of an integer and the like compile in
 * rows whose dtypes never reach them. */
#include "reduce_list.inc"
