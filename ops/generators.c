/* Ops whose output is generated from shapes and scalars, or masks and scans of one input:
 * Range, Size, EyeLike, Trilu, CumSum.
 *
 * Size and EyeLike read only their input's shape (layout rule META), so they are evaluated and
 * folded at load; Range's inputs define its length and are read at load, so it folds too. Trilu
 * and CumSum take their scalar input (k, axis) at run time: it changes values, not shapes. A
 * Trilu of constants (the causal mask of GPT exports) folds like any node of known inputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct gen_params {
  int64_t dtype;     /* EyeLike: output dtype (0: the input's) */
  int64_t k;         /* EyeLike: diagonal offset */
  int64_t upper;     /* Trilu */
  int64_t exclusive; /* CumSum */
  int64_t reverse;   /* CumSum */
} gen_params;

static void cost_gen(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "fill";
  c->has_model = true;
}

static void cost_copy(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "copy";
  c->has_model = true;
}

/* A scalar input (rank 0, or one element) known at run time: its int64 value. */
static roof_status scalar_at_run(roof_kernel* k, int i, int64_t def, int64_t* out, roof_error* err) {
  const roof_tensor* t = &k->in[i];
  if (i >= k->num_in || t->data == NULL) {
    *out = def;
    return ROOF_OK;
  }
  if (roof_tensor_count(t) != 1) return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "input %d must hold one element", i);
  *out = roof_load_i64(t->dtype, t->data, 0);
  return ROOF_OK;
}

/* ---- Range (opset 11): start, start + delta, ... up to limit (excluded) ---- */

static const int kRangeTypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_INT16, ROOF_DT_INT32, ROOF_DT_INT64, 0};

static roof_status infer_range(roof_graph* g, roof_node* n, roof_error* err) {
  const roof_value* v[3];
  char b[ROOF_NAME_BUF];
  for (int i = 0; i < 3; i++) {
    roof_status st = roof_require_input(g, n, i, kRangeTypes, err);
    if (st != ROOF_OK) return st;
    v[i] = roof_in(g, n, i);
    uint64_t c = 0;
    if (v[i]->dtype != v[0]->dtype || !roof_value_count(v[i], &c) || c != 1) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': start, limit and delta must be scalars of one dtype",
                            ROOF_SAFE(v[i]->name, b));
    }
    if (!roof_value_has_data(v[i])) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                            "tensor '%s': input %d must be known at load time (data-dependent shapes are not supported)",
                            ROOF_SAFE(v[i]->name, b), i);
    }
  }
  int dt = v[0]->dtype;
  int64_t len;
  if (roof_dtype_is_float(dt)) {
    double s = roof_load_f64(dt, v[0]->data, 0), l = roof_load_f64(dt, v[1]->data, 0), d = roof_load_f64(dt, v[2]->data, 0);
    double c = d == 0.0 ? NAN : ceil((l - s) / d);
    if (!isfinite(c)) return roof_node_fail(err, ROOF_E_DATA, g, n, "range %g to %g by %g has no finite length", s, l, d);
    len = c > 0 ? (c < 9e18 ? (int64_t)c : INT64_MAX) : 0;
  } else {
    int64_t s = roof_load_i64(dt, v[0]->data, 0), l = roof_load_i64(dt, v[1]->data, 0), d = roof_load_i64(dt, v[2]->data, 0);
    if (d == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "delta is 0");
    /* |l - s| < 2^64 fits in __int128; ceil division by the sign of d */
    __int128 span = (__int128)l - s, q = span / d;
    if (q * d != span && (span > 0) == (d > 0)) q++;
    len = q > 0 ? (q < INT64_MAX ? (int64_t)q : INT64_MAX) : 0;
  }
  roof_value_set_shape(roof_out(g, n, 0), dt, 1, &len);
  return ROOF_OK;
}

static roof_status ref_range(roof_kernel* k, roof_error* err) {
  roof_tensor* y = &k->out[0];
  int dt = y->dtype;
  if (roof_dtype_is_float(dt)) {
    double s = roof_load_f64(dt, k->in[0].data, 0), d = roof_load_f64(dt, k->in[2].data, 0);
    for (int64_t i = 0; i < y->dims[0]; i++) roof_store_f64(dt, y->data, i, s + (double)i * d);
  } else {
    int64_t s = roof_load_i64(dt, k->in[0].data, 0), d = roof_load_i64(dt, k->in[2].data, 0);
    /* each value lies in [start, limit), but i * d alone may pass int64: wrapping arithmetic */
    for (int64_t i = 0; i < y->dims[0]; i++) roof_store_i64(dt, y->data, i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
  }
  return ROOF_OK;
}

/* ---- Size (opsets 1, 13, 19): the element count, int64 scalar ---- */

static roof_status infer_size(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_INT64, 0, NULL);
  return ROOF_OK;
}

static roof_status ref_size(roof_kernel* k, roof_error* err) {
  uint64_t c = 1;
  for (int d = 0; d < k->in[0].rank; d++) c *= (uint64_t)k->in[0].dims[d]; /* bounded by the loader */
  *(int64_t*)k->out[0].data = (int64_t)c;
  return ROOF_OK;
}

/* ---- EyeLike (opset 9): ones on diagonal k of a 2-D shape, zeros elsewhere ---- */

static roof_status parse_eyelike(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  gen_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "dtype", 0, &p->dtype, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "k", 0, &p->k, err);
  if (st == ROOF_OK && p->dtype != 0 && !roof_dtype_has_scalar_io((int)p->dtype)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "attribute 'dtype' %s is not supported", roof_dtype_name((int)p->dtype));
  }
  return st;
}

static roof_status infer_eyelike(roof_graph* g, roof_node* n, roof_error* err) {
  const gen_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank != 2) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must be 2-D, not rank %d", x->rank);
  int dt = p->dtype ? (int)p->dtype : x->dtype;
  if (!roof_dtype_has_scalar_io(dt)) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "dtype %s is not supported", roof_dtype_name(dt));
  roof_value_set_shape(roof_out(g, n, 0), dt, 2, x->dims);
  return ROOF_OK;
}

static roof_status ref_eyelike(roof_kernel* k, roof_error* err) {
  const gen_params* p = k->params;
  roof_tensor* y = &k->out[0];
  int64_t yi[2] = {0, 0};
  do {
    roof_store_f64(y->dtype, y->data, roof_offset(y, yi), yi[1] - yi[0] == p->k ? 1.0 : 0.0);
  } while (roof_index_next(yi, y->dims, 2));
  return ROOF_OK;
}

/* ---- Trilu (opset 14): keep the upper (j - i >= k) or lower (j - i <= k) triangle of the last
 * two axes, zero elsewhere (all-zero bytes in every dtype) ---- */

static roof_status parse_trilu(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  gen_params* p = params;
  return roof_attr_get_int(g, n, "upper", 1, &p->upper, err);
}

static roof_status infer_trilu(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *kv = roof_in(g, n, 1);
  if (x->rank < 2) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must have rank >= 2, not %d", x->rank);
  uint64_t c = 0;
  if (kv && (kv->dtype != ROOF_DT_INT64 || !roof_value_count(kv, &c) || c != 1)) {
    char b[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': k must be one int64, not %s of %llu elements", ROOF_SAFE(kv->name, b),
                          roof_dtype_name(kv->dtype), (unsigned long long)c);
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, x->dims);
  return ROOF_OK;
}

static bool trilu_keep(bool upper, int64_t i, int64_t j, int64_t k) {
  /* j - i cannot overflow (dims are bounded); k may be anything */
  return upper ? j - i >= k : j - i <= k;
}

static roof_status ref_trilu(roof_kernel* k, roof_error* err) {
  const gen_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t kk = 0;
  roof_status st = scalar_at_run(k, 1, 0, &kk, err);
  if (st != ROOF_OK) return st;
  size_t es = roof_dtype_size(x->dtype);
  int r = x->rank;
  int64_t yi[ROOF_MAX_RANK] = {0};
  do {
    char* dst = (char*)y->data + roof_offset(y, yi) * (int64_t)es;
    if (trilu_keep(p->upper, yi[r - 2], yi[r - 1], kk)) memcpy(dst, (const char*)x->data + roof_offset(x, yi) * (int64_t)es, es);
    else memset(dst, 0, es);
  } while (roof_index_next(yi, y->dims, r));
  return ROOF_OK;
}

/* native: rows of plain matrices in parallel, each row a kept span and zeroed spans. */
typedef struct trilu_task {
  const char* x;
  char* y;
  int64_t rows, cols, k; /* rows of one matrix */
  size_t es;
  bool upper;
} trilu_task;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void trilu_rows(void* ctx, size_t start, size_t count) {
  const trilu_task* t = ctx;
  for (size_t r = start; r < start + count; r++) {
    int64_t i = (int64_t)r % t->rows, lo, hi; /* kept columns [lo, hi) */
    /* upper: j >= i + k; lower: j <= i + k (saturating for extreme k) */
    int64_t edge = t->k > 0 ? (i > INT64_MAX - t->k ? INT64_MAX : i + t->k) : i + t->k;
    if (t->upper) lo = clamp64(edge, 0, t->cols), hi = t->cols;
    else lo = 0, hi = edge >= t->cols ? t->cols : clamp64(edge + 1, 0, t->cols);
    size_t row = (size_t)t->cols * t->es;
    const char* x = t->x + r * row;
    char* y = t->y + r * row;
    memset(y, 0, (size_t)lo * t->es);
    memcpy(y + (size_t)lo * t->es, x + (size_t)lo * t->es, (size_t)(hi - lo) * t->es);
    memset(y + (size_t)hi * t->es, 0, (size_t)(t->cols - hi) * t->es);
  }
}

static bool supports_trilu(const roof_kernel* k, char* why, size_t n) {
  bool ok = roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->out[0]);
  if (!ok) snprintf(why, n, "strided input or output");
  return ok;
}

static roof_status run_trilu(roof_kernel* k, roof_error* err) {
  const gen_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  trilu_task t = {.x = x->data, .y = k->out[0].data, .rows = x->dims[x->rank - 2], .cols = x->dims[x->rank - 1],
                  .es = roof_dtype_size(x->dtype), .upper = p->upper != 0};
  roof_status st = scalar_at_run(k, 1, 0, &t.k, err);
  if (st != ROOF_OK) return st;
  size_t rows = (size_t)(roof_tensor_count(x) / (uint64_t)t.cols);
  size_t tile = 16384 / ((size_t)t.cols * t.es) + 1;
  pthreadpool_parallelize_1d_tile_1d(k->pool, trilu_rows, &t, rows, tile, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Trilu_native = {
    .op = ROOF_OP_Trilu, .backend = ROOF_BACKEND_NATIVE, .supports = supports_trilu, .run = run_trilu,
};

/* ---- CumSum (opsets 11, 14): running sums along an axis given at run time; exclusive starts at
 * 0, reverse runs from the end. Floating dtypes sum in double, integers in wrapping int64. ---- */

static const int kCumTypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT32,
                                ROOF_DT_INT64, ROOF_DT_UINT32, ROOF_DT_UINT64, 0};

static roof_status parse_cumsum(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  gen_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "exclusive", 0, &p->exclusive, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "reverse", 0, &p->reverse, err);
  return st;
}

static roof_status infer_cumsum(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, kCumTypes, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, (const int[]){ROOF_DT_INT64, ROOF_DT_INT32, 0}, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *av = roof_in(g, n, 1);
  uint64_t c = 0;
  if (!roof_value_count(av, &c) || c != 1 || av->rank > 1) {
    char b[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': axis must hold one element", ROOF_SAFE(av->name, b));
  }
  if (x->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must have rank >= 1");
  if (roof_value_has_data(av)) { /* a constant axis is checked once, here */
    int a;
    if ((st = roof_norm_axis(g, n, "axis", roof_load_i64(av->dtype, av->data, 0), x->rank, &a, err)) != ROOF_OK) return st;
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, x->dims);
  return ROOF_OK;
}

static roof_status ref_cumsum(roof_kernel* k, roof_error* err) {
  const gen_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t av = 0;
  int axis;
  roof_status st = scalar_at_run(k, 1, 0, &av, err);
  if (st == ROOF_OK) st = roof_norm_axis(k->g, k->node, "axis", av, x->rank, &axis, err);
  if (st != ROOF_OK) return st;
  bool fl = roof_dtype_is_float(x->dtype);
  int64_t len = x->dims[axis], line[ROOF_MAX_RANK] = {0}, lines_dims[ROOF_MAX_RANK];
  memcpy(lines_dims, x->dims, sizeof(lines_dims));
  lines_dims[axis] = 1; /* one start per line along the axis */
  do {
    double fs = 0.0;
    uint64_t is = 0;
    int64_t idx[ROOF_MAX_RANK];
    memcpy(idx, line, sizeof(idx));
    for (int64_t s = 0; s < len; s++) {
      idx[axis] = p->reverse ? len - 1 - s : s;
      int64_t xo = roof_offset(x, idx), yo = roof_offset(y, idx);
      if (fl) {
        double v = roof_load_f64(x->dtype, x->data, xo);
        if (!p->exclusive) fs += v;
        roof_store_f64(y->dtype, y->data, yo, fs);
        if (p->exclusive) fs += v;
      } else {
        uint64_t v = (uint64_t)roof_load_i64(x->dtype, x->data, xo);
        if (!p->exclusive) is += v;
        roof_store_i64(y->dtype, y->data, yo, (int64_t)is);
        if (p->exclusive) is += v;
      }
    }
  } while (roof_index_next(line, lines_dims, x->rank));
  return ROOF_OK;
}

#define GEN_OP(SYM, SINCE, LAYOUT, PARSE, INFER, COST, REF, VALUES)                                                  \
  const roof_op_schema roof_op_##SYM = {                                                                          \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,         \
      .layout = LAYOUT, .params_size = sizeof(gen_params), .parse = PARSE, .infer = INFER, .cost = COST,         \
      .value_inputs = VALUES,                                                                                     \
  };                                                                                                              \
  ROOF_REF_KERNEL(SYM, NULL, REF)

GEN_OP(Range, 11, ROOF_LR_ANY, NULL, infer_range, cost_gen, ref_range, ROOF_IN(0) | ROOF_IN(1) | ROOF_IN(2));
GEN_OP(Size, 1, ROOF_LR_META, NULL, infer_size, cost_gen, ref_size, 0);
GEN_OP(EyeLike, 9, ROOF_LR_META, parse_eyelike, infer_eyelike, cost_gen, ref_eyelike, 0);
GEN_OP(Trilu, 14, ROOF_LR_ANY, parse_trilu, infer_trilu, cost_copy, ref_trilu, 0);
GEN_OP(CumSum, 11, ROOF_LR_ANY, parse_cumsum, infer_cumsum, roof_cost_eltwise, ref_cumsum, 0);
