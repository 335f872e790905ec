/* TopK: the k largest (or smallest) elements along an axis and their int64 indices, best first;
 * equal values in order of their index (the spec's tie-break), NaN above every number. k is the
 * attribute before opset 10, then the constant input 1. Reference for every numeric dtype; a
 * native float32 kernel for the innermost axis of plain data (rows in parallel, a k-element heap
 * held in the output row). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct topk_params {
  int64_t k, axis, largest, sorted;
} topk_params;

static const int kTopkDtypes[] = {ROOF_DT_FLOAT,  ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_INT8,   ROOF_DT_INT16,
                                  ROOF_DT_INT32,  ROOF_DT_INT64,  ROOF_DT_UINT8,   ROOF_DT_UINT16, ROOF_DT_UINT32,
                                  ROOF_DT_UINT64, 0};

static roof_status parse_topk(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  topk_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "axis", -1, &p->axis, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "largest", 1, &p->largest, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "sorted", 1, &p->sorted, err);
  if (st == ROOF_OK && g->opset < 10) {
    if (roof_node_attr(n, "k") == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'k' is required");
    st = roof_attr_get_int(g, n, "k", 0, &p->k, err);
  }
  return st;
}

/* Values [.., k, ..] of X's dtype, Indices [.., k, ..] int64. */
static roof_status infer_topk(roof_graph* g, roof_node* n, roof_error* err) {
  topk_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kTopkDtypes, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must have rank >= 1");
  int axis;
  st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  if (g->opset >= 10) {
    size_t cnt = 0;
    int64_t k[1];
    st = roof_const_ints(g, n, 1, k, 1, &cnt, err);
    if (st != ROOF_OK) return st;
    if (cnt != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "input 1 (K) must hold one value");
    p->k = k[0];
  }
  if (p->k < 0 || p->k > x->dims[axis]) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "k %lld is out of range [0, %lld] (dim %d)", (long long)p->k,
                          (long long)x->dims[axis], axis);
  }
  int64_t dims[ROOF_MAX_RANK];
  memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
  dims[axis] = p->k;
  if (roof_out(g, n, 0)) roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  if (roof_out(g, n, 1)) roof_value_set_shape(roof_out(g, n, 1), ROOF_DT_INT64, x->rank, dims);
  return ROOF_OK;
}

/* flops = ceil(log2(k + 1)) compares per input element (a k-element heap) */
static void cost_topk(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const topk_params* p = n->params;
  uint64_t in = 0, depth = 1;
  roof_value_count(roof_in(g, n, 0), &in);
  while (((uint64_t)1 << depth) < (uint64_t)p->k + 1 && depth < 63) depth++;
  c->flops = in * depth;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "topk";
  c->has_model = true;
}

static int describe_topk(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const topk_params* p = n->params;
  return snprintf(buf, size, "k %lld axis %lld%s", (long long)p->k, (long long)p->axis, p->largest ? "" : " smallest");
}

/* ---- reference: each line gathered, sorted with qsort (index as the last key: a total order,
 * so the result does not depend on qsort's stability), the first k written ---- */

typedef struct topk_item {
  double f;     /* float dtypes */
  int64_t i;    /* signed integers */
  uint64_t u;   /* unsigned integers */
  int64_t pos;  /* index along the axis */
  int kind;     /* 0 float, 1 signed, 2 unsigned */
  int largest;
} topk_item;

static int cmp_value(const topk_item* a, const topk_item* b) {
  if (a->kind == 1) return (a->i > b->i) - (a->i < b->i);
  if (a->kind == 2) return (a->u > b->u) - (a->u < b->u);
  bool na = isnan(a->f), nb = isnan(b->f);
  if (na || nb) return (int)na - (int)nb; /* NaN above every number */
  return (a->f > b->f) - (a->f < b->f);
}

/* best first: larger (or smaller) value, then lower index */
static int cmp_items(const void* va, const void* vb) {
  const topk_item *a = va, *b = vb;
  int c = cmp_value(a, b);
  if (c != 0) return a->largest ? -c : c;
  return (a->pos > b->pos) - (a->pos < b->pos);
}

static roof_status ref_topk(roof_kernel* k, roof_error* err) {
  const topk_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor *y = k->node->outputs[0] >= 0 ? &k->out[0] : NULL, *yi = k->num_out > 1 && k->node->outputs[1] >= 0 ? &k->out[1] : NULL;
  int a = (int)p->axis, dt = x->dtype;
  int64_t len = x->dims[a], outer[ROOF_MAX_RANK], idx[ROOF_MAX_RANK] = {0};
  size_t esize = roof_dtype_size(dt);
  bool is_float = roof_dtype_is_float(dt);
  bool is_unsigned = dt == ROOF_DT_UINT8 || dt == ROOF_DT_UINT16 || dt == ROOF_DT_UINT32 || dt == ROOF_DT_UINT64;
  if (roof_tensor_count(x) == 0 || p->k == 0) return ROOF_OK;
  topk_item* items = malloc(sizeof(topk_item) * (size_t)len);
  if (items == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  memcpy(outer, x->dims, sizeof(int64_t) * (size_t)x->rank);
  outer[a] = 1;
  do {
    for (idx[a] = 0; idx[a] < len; idx[a]++) {
      topk_item* it = &items[idx[a]];
      int64_t off = roof_offset(x, idx);
      memset(it, 0, sizeof(*it));
      it->pos = idx[a];
      it->largest = (int)p->largest;
      it->kind = is_float ? 0 : is_unsigned ? 2 : 1;
      if (is_float) it->f = roof_load_f64(dt, x->data, off);
      else if (is_unsigned) memcpy(&it->u, (const char*)x->data + off * (int64_t)esize, esize); /* little-endian */
      else it->i = roof_load_i64(dt, x->data, off);
    }
    qsort(items, (size_t)len, sizeof(topk_item), cmp_items);
    for (idx[a] = 0; idx[a] < p->k; idx[a]++) {
      int64_t src[ROOF_MAX_RANK];
      memcpy(src, idx, sizeof(src));
      src[a] = items[idx[a]].pos;
      if (y) {
        memcpy((char*)y->data + roof_offset(y, idx) * (int64_t)esize,
               (const char*)x->data + roof_offset(x, src) * (int64_t)esize, esize);
      }
      if (yi) ((int64_t*)yi->data)[roof_offset(yi, idx)] = items[idx[a]].pos;
    }
    idx[a] = 0;
  } while (roof_index_next(idx, outer, x->rank));
  free(items);
  return ROOF_OK;
}

/* ---- native: float32, the last axis of plain data. Per row, the output row is a binary heap of
 * the k best seen so far with the worst at its root; a new element enters only when strictly
 * better than the root (so equal values keep the lower index), and a heap sort leaves the row
 * best first. O(n log k) per row, no allocation. ---- */

typedef struct topk_task {
  const float* x; /* [rows, n] */
  float* v;       /* [rows, k] */
  int64_t* ix;    /* [rows, k] */
  int64_t n, k;
  bool largest;
} topk_task;

/* a better than b: larger (smaller) value, NaN above every number, equal values by lower index */
static inline bool topk_better(bool largest, float av, int64_t ai, float bv, int64_t bi) {
  bool an = av != av, bn = bv != bv;
  if (an || bn) {
    if (an && bn) return ai < bi;
    return largest ? an : bn;
  }
  if (av != bv) return largest ? av > bv : av < bv;
  return ai < bi;
}

/* sift the element at i down a heap of m elements whose root is the worst */
static void topk_sift(const topk_task* t, float* v, int64_t* ix, int64_t i, int64_t m) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < m && topk_better(t->largest, v[w], ix[w], v[l], ix[l])) w = l;
    if (r < m && topk_better(t->largest, v[w], ix[w], v[r], ix[r])) w = r;
    if (w == i) return;
    float tv = v[i];
    int64_t ti = ix[i];
    v[i] = v[w], ix[i] = ix[w];
    v[w] = tv, ix[w] = ti;
    i = w;
  }
}

static void topk_row(void* ctx, size_t row) {
  const topk_task* t = ctx;
  const float* x = t->x + (int64_t)row * t->n;
  float* v = t->v + (int64_t)row * t->k;
  int64_t* ix = t->ix + (int64_t)row * t->k;
  int64_t k = t->k;
  for (int64_t i = 0; i < k; i++) v[i] = x[i], ix[i] = i;
  for (int64_t i = k / 2 - 1; i >= 0; i--) topk_sift(t, v, ix, i, k);
  for (int64_t i = k; i < t->n; i++) {
    if (!topk_better(t->largest, x[i], i, v[0], ix[0])) continue;
    v[0] = x[i], ix[0] = i;
    topk_sift(t, v, ix, 0, k);
  }
  for (int64_t m = k - 1; m > 0; m--) { /* the worst goes last */
    float tv = v[0];
    int64_t ti = ix[0];
    v[0] = v[m], ix[0] = ix[m];
    v[m] = tv, ix[m] = ti;
    topk_sift(t, v, ix, 0, m);
  }
}

static bool supports_topk_native(const roof_kernel* k, char* why, size_t n) {
  const topk_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  bool ok_out = roof_tensor_is_plain(&k->out[0]) && (k->num_out < 2 || roof_tensor_is_plain(&k->out[1]));
  const char* no = p->axis != x->rank - 1 ? "axis is not the innermost one"
                   : !roof_tensor_is_plain(x) || !ok_out ? "strided input or output"
                   : k->num_out < 2 || k->node->outputs[1] < 0 || k->node->outputs[0] < 0 ? "Values or Indices omitted"
                                                               : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status run_topk_native(roof_kernel* k, roof_error* err) {
  const topk_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  topk_task t = {x->data, k->out[0].data, k->out[1].data, x->dims[x->rank - 1], p->k, p->largest != 0};
  if (t.k == 0) return ROOF_OK;
  size_t rows = (size_t)(roof_tensor_count(x) / (uint64_t)t.n);
  pthreadpool_parallelize_1d(k->pool, topk_row, &t, rows, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_TopK = {
    .id = ROOF_OP_TopK, .op_type = "TopK", .domain = "", .since_version = 1, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(topk_params), .value_inputs = ROOF_IN(1), .parse = parse_topk,
    .infer = infer_topk, .cost = cost_topk, .describe = describe_topk,
};
const roof_kernel_impl roof_kernel_TopK_native = {
    .op = ROOF_OP_TopK, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_topk_native,
    .run = run_topk_native,
};
ROOF_REF_KERNEL(TopK, NULL, ref_topk);
