/* ReduceMean: XNNPACK global average pooling for the spatial mean of NHWC tensors
 * (x.mean([2, 3]) in PyTorch exports); reference for any axes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "reduce_params.h"
#include "xnn_backend.h"

typedef roof_reduce_params reduce_params; /* reduce_params.h: the pass reads it */

static roof_status parse_reduce(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  reduce_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "keepdims", 1, &p->keepdims, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "noop_with_empty_axes", 0, &p->noop_empty, err);
  if (st != ROOF_OK || g->opset >= 18) return st;
  const int64_t* axes;
  size_t cnt;
  st = roof_attr_get_ints(g, n, "axes", &axes, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axes' has %zu values", cnt);
  if (cnt) memcpy(p->axes, axes, sizeof(int64_t) * cnt);
  p->num_axes = cnt;
  return ROOF_OK;
}

static roof_status infer_reduce(roof_graph* g, roof_node* n, roof_error* err) {
  reduce_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_only, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (g->opset >= 18 && roof_in(g, n, 1)) {
    st = roof_const_ints(g, n, 1, p->axes, ROOF_MAX_RANK, &p->num_axes, err);
    if (st != ROOF_OK) return st;
  }
  memset(p->reduce, 0, sizeof(p->reduce));
  bool all = p->num_axes == 0 && !p->noop_empty;
  for (int d = 0; d < x->rank; d++) p->reduce[d] = all;
  for (size_t i = 0; i < p->num_axes; i++) {
    int a;
    st = roof_norm_axis(g, n, "axes", p->axes[i], x->rank, &a, err);
    if (st != ROOF_OK) return st;
    p->reduce[a] = true;
  }
  int64_t dims[ROOF_MAX_RANK];
  int r = 0;
  for (int d = 0; d < x->rank; d++) {
    if (!p->reduce[d]) dims[r++] = x->dims[d];
    else if (p->keepdims) dims[r++] = 1;
  }
  roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_FLOAT, r, dims);
  return ROOF_OK;
}

/* flops = one add per input element */
static void cost_reduce(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_value_count(roof_in(g, n, 0), &c->flops);
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "reduce";
  c->has_model = true;
}

static roof_status ref_reduce(roof_kernel* k, roof_error* err) {
  const reduce_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  uint64_t ycount = roof_tensor_count(y), group = 1;
  for (int d = 0; d < x->rank; d++) group *= p->reduce[d] ? (uint64_t)x->dims[d] : 1;
  double* acc = calloc(ycount ? ycount : 1, sizeof(double));
  if (acc == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  /* flat index of the output (row-major over kept dims) for every input element */
  if (roof_tensor_count(x)) {
    int64_t i[ROOF_MAX_RANK] = {0};
    do {
      uint64_t flat = 0;
      for (int d = 0; d < x->rank; d++) {
        if (!p->reduce[d]) flat = flat * (uint64_t)x->dims[d] + (uint64_t)i[d];
      }
      acc[flat] += ((const float*)x->data)[roof_offset(x, i)];
    } while (roof_index_next(i, x->dims, x->rank));
  }
  int64_t yi[ROOF_MAX_RANK] = {0};
  uint64_t flat = 0;
  if (ycount) {
    do {
      ((float*)y->data)[roof_offset(y, yi)] = group ? (float)(acc[flat] / (double)group) : 0.0f / 0.0f;
      flat++;
    } while (roof_index_next(yi, y->dims, y->rank));
  }
  free(acc);
  return ROOF_OK;
}

static roof_status create_reduce(roof_kernel* k, roof_error* err) {
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

static roof_status setup_reduce(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  enum xnn_status s = xnn_setup_global_average_pooling_nwc_f32(roof_xop(k), (size_t)x->dims[0], (size_t)(x->dims[2] * x->dims[3]),
                                                               x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup global average pooling", err);
}

/* ---- native: the mean over a suffix of the axes of plain data (a transformer's decomposed
 * LayerNorm reduces the last axis): rows of contiguous elements, in parallel. ---- */

typedef struct rm_task {
  const float* x; /* [rows, len] */
  float* y;       /* [rows] */
  int64_t len;
} rm_task;

static bool supports_rm_native(const roof_kernel* k, char* why, size_t n) {
  const reduce_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool suffix = x->rank > 0 && p->reduce[x->rank - 1];
  for (int d = 0; suffix && d + 1 < x->rank; d++) suffix = !p->reduce[d] || p->reduce[d + 1];
  const char* no = !roof_tensor_is_plain(x) || !roof_tensor_is_plain(y) ? "strided input or output"
                   : !suffix ? "the reduced axes are not the innermost ones"
                   : roof_tensor_count(x) == 0 ? "empty input"
                                              : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static void rm_row(void* ctx, size_t row) {
  const rm_task* t = ctx;
  const float* x = t->x + (int64_t)row * t->len;
  double sum = 0.0;
  for (int64_t i = 0; i < t->len; i++) sum += x[i];
  t->y[row] = (float)(sum / (double)t->len);
}

static roof_status run_rm_native(roof_kernel* k, roof_error* err) {
  const reduce_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  int64_t len = 1;
  for (int d = 0; d < x->rank; d++) len *= p->reduce[d] ? x->dims[d] : 1;
  rm_task t = {x->data, k->out[0].data, len};
  size_t rows = (size_t)(roof_tensor_count(x) / (uint64_t)len);
  pthreadpool_parallelize_1d(k->pool, rm_row, &t, rows, 0);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_ReduceMean_native = {
    .op = ROOF_OP_ReduceMean, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_rm_native,
    .run = run_rm_native,
};

const roof_op_schema roof_op_ReduceMean = {
    .id = ROOF_OP_ReduceMean, .op_type = "ReduceMean", .domain = "", .since_version = 1, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(reduce_params), .parse = parse_reduce, .infer = infer_reduce,
    .cost = cost_reduce, .value_inputs = ROOF_IN(1),
};
ROOF_XNN_KERNEL(ReduceMean, NULL, create_reduce, setup_reduce, roof_xnn_destroy);
ROOF_REF_KERNEL(ReduceMean, roof_dtypes_f32, ref_reduce);
