/* Data movement: Concat, Split, Slice, Transpose, Gather, Pad. Slicing and transposing are
 * expressed as strided views of the input followed by one copy; Concat and Split copy whole
 * contiguous slabs when every operand shares the output's physical layout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "copy_nd.h"
#include "movement_params.h"
#include "xnn_backend.h"

/* Concat, Split, Slice and Gather; Transpose and Pad have public params (movement_params.h). */
typedef struct move_params {
  int64_t axis;
  int64_t split[64];
  size_t num_split;
  /* Slice, resolved at infer: per logical axis */
  int64_t start[ROOF_MAX_RANK], step[ROOF_MAX_RANK];
} move_params;

/* Logical axis -> physical axis for a view (NHWC keeps C innermost). */
static int physical_axis(const roof_tensor* t, int axis) {
  if (t->rank == 4 && roof_tensor_is_nhwc(t) && !roof_tensor_is_plain(t)) {
    static const int kMap[4] = {0, 3, 1, 2};
    return kMap[axis];
  }
  return axis;
}

static bool dense_like(const roof_tensor* a, const roof_tensor* ref) {
  bool nhwc = ref->rank == 4 && roof_tensor_is_nhwc(ref) && !roof_tensor_is_plain(ref);
  return nhwc ? roof_tensor_is_nhwc(a) : roof_tensor_is_plain(a);
}

/* View of `t` restricted to [offset, offset + len) along a logical axis. */
static roof_tensor sub_view(const roof_tensor* t, int axis, int64_t offset, int64_t len) {
  roof_tensor v = *t;
  v.dims[axis] = len;
  v.data = (char*)t->data + offset * t->strides[axis] * (int64_t)roof_dtype_size(t->dtype);
  return v;
}

/* ---- Concat ---- */

static roof_status parse_axis(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  move_params* p = params;
  return roof_attr_get_int(g, n, "axis", n->op->id == ROOF_OP_Concat ? INT64_MIN : 0,
                           &p->axis, err);
}

static roof_status infer_concat(roof_graph* g, roof_node* n, roof_error* err) {
  move_params* p = n->params;
  if (n->num_inputs < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "needs at least one input");
  if (p->axis == INT64_MIN) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'axis' is required");
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x0 = roof_in(g, n, 0);
  int axis;
  st = roof_norm_axis(g, n, "axis", p->axis, x0->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  int64_t dims[ROOF_MAX_RANK];
  memcpy(dims, x0->dims, sizeof(dims));
  dims[axis] = 0;
  for (int i = 0; i < n->num_inputs; i++) {
    st = roof_require_input(g, n, i, NULL, err);
    if (st != ROOF_OK) return st;
    const roof_value* x = roof_in(g, n, i);
    bool ok = x->rank == x0->rank && x->dtype == x0->dtype;
    for (int d = 0; ok && d < x->rank; d++) ok = d == axis || x->dims[d] == x0->dims[d];
    if (!ok) {
      char a[64], b[64];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d %s does not match input 0 %s outside axis %d", i,
                            roof_shape_str(x->dims, x->rank, a, 64), roof_shape_str(x0->dims, x0->rank, b, 64), axis);
    }
    if (__builtin_add_overflow(dims[axis], x->dims[axis], &dims[axis])) { /* huge dims of empty inputs */
      char b[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': adding its axis %d (%lld) to the output passes int64",
                            ROOF_SAFE(x->name, b), axis, (long long)x->dims[axis]);
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), x0->dtype, x0->rank, dims);
  return ROOF_OK;
}

static void cost_copy(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "copy";
  c->has_model = true;
}

/* Slab copy along a physical axis: outer x (len_i x inner) blocks, one memcpy each. Threaded
 * over blocks of outer rows (each task copies every part of its rows): a channel Concat of NHWC
 * maps moves a few hundred bytes per pixel and part, and at 2 threads half of its inputs sit in
 * the other core's cache, where their producer wrote them (SqueezeNet's fire modules: 0.47 ms
 * for the 8 Concats on one thread of a 2-thread session against 0.14 ms at 1 thread). */
typedef struct slab_job {
  char* big;
  const roof_tensor* parts;
  int nparts, axis;
  size_t row, inner_bytes;
  bool gather_into_big;
} slab_job;

static void slab_rows(void* ctx, size_t start, size_t count) {
  const slab_job* j = ctx;
  size_t off = 0;
  for (int i = 0; i < j->nparts; i++) {
    size_t len = (size_t)j->parts[i].dims[j->axis] * j->inner_bytes;
    for (size_t o = start; o < start + count; o++) {
      char* b = j->big + o * j->row + off;
      char* s = (char*)j->parts[i].data + o * len;
      if (j->gather_into_big) memcpy(b, s, len);
      else memcpy(s, b, len);
    }
    off += len;
  }
}

static void slab_copy(pthreadpool_t pool, const roof_tensor* big, int axis, const roof_tensor* parts, int nparts,
                      bool gather_into_big) {
  size_t pd[ROOF_MAX_RANK];
  int r = roof_tensor_physical_dims(big, pd);
  int pa = physical_axis(big, axis);
  size_t es = roof_dtype_size(big->dtype), outer = 1, inner = 1;
  for (int d = 0; d < pa; d++) outer *= pd[d];
  for (int d = pa + 1; d < r; d++) inner *= pd[d];
  slab_job j = {big->data, parts, nparts, axis, pd[pa] * inner * es, inner * es, gather_into_big};
  if (j.row == 0 || outer == 0) return; /* an empty tensor: nothing to move (and no tile to size) */
  size_t tile = j.row >= (32u << 10) ? 1 : (32u << 10) / j.row; /* about 32 KiB of the big tensor per task */
  pthreadpool_parallelize_1d_tile_1d(pool, slab_rows, &j, outer, tile, ROOF_POOL_FLAGS);
}

static bool all_dense_like(const roof_tensor* ts, int n, const roof_tensor* ref) {
  for (int i = 0; i < n; i++) {
    if (ts[i].data && !dense_like(&ts[i], ref)) return false;
  }
  return dense_like(ref, ref);
}

static roof_status run_concat(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  roof_tensor* y = &k->out[0];
  if (all_dense_like(k->in, k->num_in, y)) {
    slab_copy(k->pool, y, (int)p->axis, k->in, k->num_in, true);
    return ROOF_OK;
  }
  int64_t off = 0;
  for (int i = 0; i < k->num_in; i++) {
    roof_tensor dst = sub_view(y, (int)p->axis, off, k->in[i].dims[p->axis]);
    roof_tensor_copy(&k->in[i], &dst);
    off += k->in[i].dims[p->axis];
  }
  return ROOF_OK;
}

static roof_status ref_concat(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  int64_t off = 0;
  for (int i = 0; i < k->num_in; i++) {
    roof_tensor dst = sub_view(&k->out[0], (int)p->axis, off, k->in[i].dims[p->axis]);
    roof_tensor_copy(&k->in[i], &dst);
    off += k->in[i].dims[p->axis];
  }
  return ROOF_OK;
}


/* ---- Split ---- */

static roof_status parse_split(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  move_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "axis", 0, &p->axis, err);
  if (st != ROOF_OK || g->opset >= 13) return st;
  const int64_t* s;
  size_t cnt;
  st = roof_attr_get_ints(g, n, "split", &s, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > 64) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "more than 64 splits");
  if (cnt) memcpy(p->split, s, cnt * sizeof(int64_t));
  p->num_split = cnt;
  return ROOF_OK;
}

static roof_status infer_split(roof_graph* g, roof_node* n, roof_error* err) {
  move_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int axis;
  st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  if (g->opset >= 13 && roof_in(g, n, 1)) {
    st = roof_const_ints(g, n, 1, p->split, 64, &p->num_split, err);
    if (st != ROOF_OK) return st;
  }
  int outs = n->num_outputs;
  if (outs < 1 || outs > 64) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "%d outputs (1 to 64 supported)", outs);
  if (p->num_split == 0) {
    int64_t chunk = (x->dims[axis] + outs - 1) / outs; /* last chunk may be smaller (opset 18) */
    for (int i = 0; i < outs; i++) {
      int64_t left = x->dims[axis] - chunk * i;
      p->split[i] = left < chunk ? (left > 0 ? left : 0) : chunk;
    }
    p->num_split = (size_t)outs;
  }
  int64_t sum = 0;
  for (size_t i = 0; i < p->num_split; i++) {
    if (p->split[i] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "split %zu is negative", i);
    if (__builtin_add_overflow(sum, p->split[i], &sum)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "split %zu (%lld) makes the sum pass int64", i, (long long)p->split[i]);
    }
  }
  if (p->num_split != (size_t)outs || sum != x->dims[axis]) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%zu splits summing to %lld for %d outputs and axis size %lld",
                          p->num_split, (long long)sum, outs, (long long)x->dims[axis]);
  }
  for (int i = 0; i < outs; i++) {
    int64_t dims[ROOF_MAX_RANK];
    memcpy(dims, x->dims, sizeof(dims));
    dims[axis] = p->split[i];
    roof_value* y = roof_out(g, n, i);
    if (y) roof_value_set_shape(y, x->dtype, x->rank, dims);
  }
  return ROOF_OK;
}

static roof_status ref_split(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  int64_t off = 0;
  for (int i = 0; i < k->num_out; i++) {
    roof_tensor src = sub_view(&k->in[0], (int)p->axis, off, p->split[i]);
    if (k->out[i].data) roof_tensor_copy(&src, &k->out[i]);
    off += p->split[i];
  }
  return ROOF_OK;
}

static roof_status run_split(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  bool all_out = true;
  for (int i = 0; i < k->num_out; i++) all_out = all_out && k->out[i].data;
  if (all_out && all_dense_like(k->out, k->num_out, &k->in[0])) {
    slab_copy(k->pool, &k->in[0], (int)p->axis, k->out, k->num_out, false);
    return ROOF_OK;
  }
  return ref_split(k, NULL);
}

/* ---- Slice ---- */

static roof_status parse_slice(const roof_graph* g, const roof_node* n, void* params, roof_error* err) { return ROOF_OK; }

static roof_status slice_inputs(roof_graph* g, roof_node* n, int64_t* starts, int64_t* ends, int64_t* axes, int64_t* steps,
                                size_t* count, roof_error* err) {
  size_t ns = 0, ne = 0, na = 0, nst = 0;
  roof_status st;
  if (g->opset < 10) {
    const int64_t *s, *e, *a;
    if ((st = roof_attr_get_ints(g, n, "starts", &s, &ns, err)) != ROOF_OK) return st;
    if ((st = roof_attr_get_ints(g, n, "ends", &e, &ne, err)) != ROOF_OK) return st;
    if ((st = roof_attr_get_ints(g, n, "axes", &a, &na, err)) != ROOF_OK) return st;
    if (s == NULL || e == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attributes 'starts' and 'ends' are required");
    if (ns > ROOF_MAX_RANK || ne != ns || (a && na != ns)) return roof_node_fail(err, ROOF_E_DATA, g, n, "starts/ends/axes lengths differ");
    if (ns) memcpy(starts, s, ns * sizeof(int64_t));
    if (ne) memcpy(ends, e, ne * sizeof(int64_t));
    if (a && na) memcpy(axes, a, na * sizeof(int64_t));
  } else {
    if ((st = roof_const_ints(g, n, 1, starts, ROOF_MAX_RANK, &ns, err)) != ROOF_OK) return st;
    if ((st = roof_const_ints(g, n, 2, ends, ROOF_MAX_RANK, &ne, err)) != ROOF_OK) return st;
    if (roof_in(g, n, 3) && (st = roof_const_ints(g, n, 3, axes, ROOF_MAX_RANK, &na, err)) != ROOF_OK) return st;
    if (roof_in(g, n, 4) && (st = roof_const_ints(g, n, 4, steps, ROOF_MAX_RANK, &nst, err)) != ROOF_OK) return st;
    if (ne != ns || (na && na != ns) || (nst && nst != ns)) return roof_node_fail(err, ROOF_E_DATA, g, n, "starts/ends/axes/steps lengths differ");
  }
  for (size_t i = 0; i < ns; i++) {
    if (!na) axes[i] = (int64_t)i;
    if (!nst) steps[i] = 1;
  }
  *count = ns;
  return ROOF_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

static roof_status infer_slice(roof_graph* g, roof_node* n, roof_error* err) {
  move_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int64_t starts[ROOF_MAX_RANK], ends[ROOF_MAX_RANK], axes[ROOF_MAX_RANK], steps[ROOF_MAX_RANK];
  size_t cnt = 0;
  st = slice_inputs(g, n, starts, ends, axes, steps, &cnt, err);
  if (st != ROOF_OK) return st;
  int64_t dims[ROOF_MAX_RANK];
  bool seen[ROOF_MAX_RANK] = {false};
  for (int d = 0; d < x->rank; d++) {
    p->start[d] = 0;
    p->step[d] = 1;
    dims[d] = x->dims[d];
  }
  for (size_t i = 0; i < cnt; i++) {
    int a;
    if ((st = roof_norm_axis(g, n, "axes", axes[i], x->rank, &a, err)) != ROOF_OK) return st;
    if (seen[a]) return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %d is sliced twice", a);
    seen[a] = true;
    int64_t len = x->dims[a], s = starts[i], e = ends[i], step = steps[i];
    if (step == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "step on axis %d is 0", a);
    if (s < 0) s = s < -len ? 0 : s + len; /* careful with INT64_MIN sentinels: no overflow */
    if (e < 0) e = e < -len ? -1 : e + len;
    if (step > 0) {
      s = clamp64(s, 0, len);
      e = clamp64(e, 0, len);
      dims[a] = e > s ? 1 + (e - s - 1) / step : 0; /* not e - s + step - 1: overflows for huge steps */
    } else {
      s = clamp64(s, -1, len - 1);
      e = clamp64(e, -1, len - 1);
      const uint64_t back = (uint64_t)0 - (uint64_t)step; /* -step, also for INT64_MIN */
      dims[a] = s > e ? 1 + (int64_t)((uint64_t)(s - e - 1) / back) : 0;
    }
    p->start[a] = dims[a] ? s : 0;
    p->step[a] = dims[a] > 1 ? step : 1; /* one element or none: no step is taken (and a huge one would overflow the view's stride) */
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return ROOF_OK;
}

/* The input elements the output takes, as a view (steps become strides); false when empty. */
static bool slice_view(const roof_kernel* k, roof_tensor* v) {
  const move_params* p = k->params;
  *v = k->in[0];
  int64_t off = 0;
  for (int d = 0; d < v->rank; d++) {
    off += p->start[d] * v->strides[d];
    v->strides[d] *= p->step[d];
    v->dims[d] = k->out[0].dims[d];
  }
  if (roof_tensor_count(v) == 0) return false;
  v->data = (char*)v->data + off * (int64_t)roof_dtype_size(v->dtype);
  return true;
}

static roof_status ref_slice(roof_kernel* k, roof_error* err) {
  roof_tensor v;
  if (slice_view(k, &v)) roof_tensor_copy(&v, &k->out[0]);
  return ROOF_OK;
}

/* ---- Transpose ---- */

static roof_status parse_transpose(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_transpose_params* p = params;
  const int64_t* perm;
  size_t cnt;
  roof_status st = roof_attr_get_ints(g, n, "perm", &perm, &cnt, err);
  if (st != ROOF_OK) return st;
  if (cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "perm of %zu axes", cnt);
  if (perm) memcpy(p->perm, perm, cnt * sizeof(int64_t));
  p->num_perm = perm ? cnt : 0;
  return ROOF_OK;
}

static roof_status infer_transpose(roof_graph* g, roof_node* n, roof_error* err) {
  roof_transpose_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (p->num_perm == 0) {
    for (int d = 0; d < x->rank; d++) p->perm[d] = x->rank - 1 - d;
    p->num_perm = (size_t)x->rank;
  }
  if (p->num_perm != (size_t)x->rank) return roof_node_fail(err, ROOF_E_DATA, g, n, "perm has %zu axes for rank %d", p->num_perm, x->rank);
  bool used[ROOF_MAX_RANK] = {false};
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0; d < x->rank; d++) {
    int64_t a = p->perm[d];
    if (a < 0 || a >= x->rank || used[a]) return roof_node_fail(err, ROOF_E_DATA, g, n, "perm is not a permutation of 0..%d", x->rank - 1);
    used[a] = true;
    dims[d] = x->dims[a];
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return ROOF_OK;
}

/* The input read in output order: output axis d walks input axis perm[d]. */
static roof_tensor transpose_view(const roof_kernel* k) {
  const roof_transpose_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor v = *x;
  for (int d = 0; d < x->rank; d++) {
    v.dims[d] = x->dims[p->perm[d]];
    v.strides[d] = x->strides[p->perm[d]];
  }
  return v;
}

static roof_status ref_transpose(roof_kernel* k, roof_error* err) {
  roof_tensor v = transpose_view(k);
  if (roof_tensor_count(&v)) roof_tensor_copy(&v, &k->out[0]);
  return ROOF_OK;
}

/* ---- Gather ---- */

static const int kIndexTypes[] = {ROOF_DT_INT64, ROOF_DT_INT32, 0};

static roof_status infer_gather(roof_graph* g, roof_node* n, roof_error* err) {
  move_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, kIndexTypes, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ix = roof_in(g, n, 1);
  int axis;
  st = roof_norm_axis(g, n, "axis", p->axis, x->rank, &axis, err);
  if (st != ROOF_OK) return st;
  p->axis = axis;
  int r = x->rank - 1 + ix->rank;
  if (r > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank %d exceeds %d", r, ROOF_MAX_RANK);
  int64_t dims[ROOF_MAX_RANK];
  int o = 0;
  for (int d = 0; d < axis; d++) dims[o++] = x->dims[d];
  for (int d = 0; d < ix->rank; d++) dims[o++] = ix->dims[d];
  for (int d = axis + 1; d < x->rank; d++) dims[o++] = x->dims[d];
  if (roof_value_has_data(ix)) { /* constant indices are checked once, here */
    uint64_t cnt = 0;
    roof_value_count(ix, &cnt);
    for (uint64_t i = 0; i < cnt; i++) {
      int64_t v = roof_load_i64(ix->dtype, ix->data, (int64_t)i);
      if (v < -x->dims[axis] || v >= x->dims[axis]) {
        char b[ROOF_NAME_BUF];
        return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': index %lld is outside [%lld, %lld)", ROOF_SAFE(ix->name, b),
                              (long long)v, (long long)-x->dims[axis], (long long)x->dims[axis]);
      }
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, r, dims);
  return ROOF_OK;
}

static roof_status ref_gather(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1];
  roof_tensor* y = &k->out[0];
  int axis = (int)p->axis, ir = ix->rank;
  size_t es = roof_dtype_size(x->dtype);
  int64_t len = x->dims[axis];
  /* indices first: a bad one is data, not a crash */
  uint64_t icount = roof_tensor_count(ix);
  int64_t ii[ROOF_MAX_RANK] = {0};
  for (uint64_t c = 0; c < icount; c++) {
    int64_t v = roof_load_i64(ix->dtype, ix->data, roof_offset(ix, ii));
    if (v < -len || v >= len) {
      char b[ROOF_NAME_BUF];
      const roof_value* iv = roof_in(k->g, k->node, 1);
      return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "tensor '%s': index %lld is outside [%lld, %lld)",
                            ROOF_SAFE(iv ? iv->name : "", b), (long long)v, (long long)-len, (long long)len);
    }
    roof_index_next(ii, ix->dims, ir);
  }
  if (roof_tensor_count(y) == 0) return ROOF_OK;
  int64_t yi[ROOF_MAX_RANK] = {0};
  do {
    int64_t xi[ROOF_MAX_RANK], iidx[ROOF_MAX_RANK];
    for (int d = 0; d < axis; d++) xi[d] = yi[d];
    for (int d = 0; d < ir; d++) iidx[d] = yi[axis + d];
    int64_t v = roof_load_i64(ix->dtype, ix->data, roof_offset(ix, iidx));
    xi[axis] = v < 0 ? v + len : v;
    for (int d = axis + 1; d < x->rank; d++) xi[d] = yi[d - 1 + ir];
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- Pad ---- */

static roof_status parse_pad(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_pad_params* p = params;
  const char* mode;
  roof_status st = roof_attr_get_string(g, n, "mode", "constant", &mode, err);
  if (st != ROOF_OK) return st;
  if (strcmp(mode, "constant") == 0) p->mode = ROOF_PAD_CONSTANT;
  else if (strcmp(mode, "reflect") == 0) p->mode = ROOF_PAD_REFLECT;
  else if (strcmp(mode, "edge") == 0) p->mode = ROOF_PAD_EDGE;
  else return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "pad mode is not supported");
  if (g->opset < 11) {
    float v;
    const int64_t* pads;
    size_t cnt;
    st = roof_attr_get_float(g, n, "value", 0.0f, &v, err);
    if (st == ROOF_OK) st = roof_attr_get_ints(g, n, "pads", &pads, &cnt, err);
    if (st != ROOF_OK) return st;
    if (cnt > 2 * ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'pads' has %zu values", cnt);
    if (cnt) memcpy(p->attr_pads, pads, cnt * sizeof(int64_t));
    p->num_attr_pads = cnt;
    p->value = v;
  }
  return ROOF_OK;
}

static roof_status infer_pad(roof_graph* g, roof_node* n, roof_error* err) {
  roof_pad_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int r = x->rank;
  int64_t raw[2 * ROOF_MAX_RANK];
  size_t cnt = p->num_attr_pads;
  memcpy(raw, p->attr_pads, sizeof(raw));
  const roof_value* cv = g->opset >= 11 ? roof_in(g, n, 2) : NULL; /* constant_value (opset 11+) */
  if (g->opset >= 11) {
    if ((st = roof_const_ints(g, n, 1, raw, 2 * ROOF_MAX_RANK, &cnt, err)) != ROOF_OK) return st;
    uint64_t cn = 0;
    if (cv && (!roof_value_count(cv, &cn) || cn != 1)) {
      char b[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': constant_value must hold one element, not %llu",
                            ROOF_SAFE(cv->name, b), (unsigned long long)cn);
    }
    if (cv && roof_value_has_data(cv)) p->value = roof_load_f64(cv->dtype, cv->data, 0);
    else if (cv) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "constant_value must be known at load time");
  }
  int64_t axes[ROOF_MAX_RANK];
  size_t na = 0;
  if (g->opset >= 18 && roof_in(g, n, 3)) {
    if ((st = roof_const_ints(g, n, 3, axes, ROOF_MAX_RANK, &na, err)) != ROOF_OK) return st;
  } else {
    na = (size_t)r;
    for (int d = 0; d < r; d++) axes[d] = d;
  }
  if (cnt != 2 * na) return roof_node_fail(err, ROOF_E_DATA, g, n, "pads has %zu values for %zu axes", cnt, na);
  /* the fill value is converted through double (float16 and bfloat16 through float32) */
  if (p->mode == ROOF_PAD_CONSTANT && (!roof_dtype_has_scalar_io(x->dtype) || (cv && !roof_dtype_has_scalar_io(cv->dtype))) &&
      (cv || p->value != 0.0)) {
    char b[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "tensor '%s': a pad value for %s data is not supported (only 0 pads %s)",
                          ROOF_SAFE(cv ? cv->name : x->name, b), roof_dtype_name(x->dtype), roof_dtype_name(x->dtype));
  }
  memset(p->pads, 0, sizeof(p->pads));
  for (size_t i = 0; i < na; i++) {
    int a;
    if ((st = roof_norm_axis(g, n, "axes", axes[i], r, &a, err)) != ROOF_OK) return st;
    p->pads[a] = raw[i];
    p->pads[a + r] = raw[i + na];
  }
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0; d < r; d++) {
    if (__builtin_add_overflow(x->dims[d], p->pads[d], &dims[d]) || __builtin_add_overflow(dims[d], p->pads[d + r], &dims[d])) {
      char b[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': axis %d (%lld) padded by %lld and %lld overflows int64",
                            ROOF_SAFE(x->name, b), d, (long long)x->dims[d], (long long)p->pads[d], (long long)p->pads[d + r]);
    }
    if (dims[d] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "padding makes axis %d negative", d);
    if (p->mode != ROOF_PAD_CONSTANT && x->dims[d] == 0 && dims[d] > 0) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "cannot %s-pad an empty axis", p->mode == ROOF_PAD_REFLECT ? "reflect" : "edge");
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, r, dims);
  return ROOF_OK;
}

static roof_status ref_pad(roof_kernel* k, roof_error* err) {
  const roof_pad_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int r = x->rank;
  size_t es = roof_dtype_size(x->dtype);
  if (roof_tensor_count(y) == 0) return ROOF_OK;
  int64_t yi[ROOF_MAX_RANK] = {0};
  do {
    int64_t xi[ROOF_MAX_RANK];
    bool inside = true;
    for (int d = 0; d < r; d++) {
      int64_t v = yi[d] - p->pads[d], len = x->dims[d];
      if (v < 0 || v >= len) {
        if (p->mode == ROOF_PAD_CONSTANT) inside = false;
        else if (p->mode == ROOF_PAD_EDGE) v = v < 0 ? 0 : len - 1;
        else if (len == 1) v = 0;
        else {
          int64_t period = 2 * (len - 1); /* reflect without repeating the edge */
          v = ((v % period) + period) % period;
          if (v >= len) v = period - v;
        }
      }
      xi[d] = v;
    }
    int64_t yo = roof_offset(y, yi);
    if (inside) memcpy((char*)y->data + yo * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
    else if (p->value == 0.0 && !signbit(p->value)) memset((char*)y->data + yo * (int64_t)es, 0, es); /* zero in every dtype */
    else roof_store_f64(y->dtype, y->data, yo, p->value); /* saturates NaN and huge values for integer outputs */
  } while (roof_index_next(yi, y->dims, r));
  return ROOF_OK;
}

/* ---- Pad on XNNPACK's constant pad (x8, x16, x32: it moves bytes, any dtype of that size).
 * Dense tensors in one memory order; NHWC tensors pad their physical [N, H, W, C] dims. ---- */

typedef struct pad_state {
  size_t rank;
  size_t shape[ROOF_MAX_RANK], pre[ROOF_MAX_RANK], post[ROOF_MAX_RANK]; /* physical order */
  size_t es;
} pad_state;

static bool pad_nhwc(const roof_tensor* y) { return y->rank == 4 && roof_tensor_is_nhwc(y) && !roof_tensor_is_plain(y); }

static bool supports_pad_xnn(const roof_kernel* k, char* why, size_t n) {
  const roof_pad_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  size_t es = roof_dtype_size(x->dtype);
  bool dense = pad_nhwc(y) ? roof_tensor_is_nhwc(x) : roof_tensor_is_plain(x) && roof_tensor_is_plain(y);
  const char* no = p->mode != ROOF_PAD_CONSTANT ? "XNNPACK pads with a constant only"
                   : es != 1 && es != 2 && es != 4 ? "no XNNPACK pad for 8-byte elements"
                   : x->rank == 0 ? "a scalar"
                   : !dense ? "input and output not one dense memory order"
                   : NULL;
  for (int i = 0; no == NULL && i < 2 * x->rank; i++) {
    if (p->pads[i] < 0) no = "negative pads (a crop)";
  }
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_pad_xnn(roof_kernel* k, roof_error* err) {
  const roof_pad_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  pad_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  static const int kNhwc[4] = {0, 2, 3, 1}; /* physical axis i holds logical axis kNhwc[i] */
  bool nhwc = pad_nhwc(&k->out[0]);
  s->rank = (size_t)x->rank;
  s->es = roof_dtype_size(x->dtype);
  for (int i = 0; i < x->rank; i++) {
    int d = nhwc ? kNhwc[i] : i;
    s->shape[i] = (size_t)x->dims[d];
    s->pre[i] = (size_t)p->pads[d];
    s->post[i] = (size_t)p->pads[d + x->rank];
  }
  uint32_t fill = 0; /* the value's bytes in the element type (zero bytes for 0, as ref_pad) */
  if (!(p->value == 0.0 && !signbit(p->value))) roof_store_f64(x->dtype, &fill, 0, p->value);
  xnn_operator_t op = NULL;
  enum xnn_status xs = s->es == 4 ? xnn_create_constant_pad_nd_x32(&fill, 0, &op)
                       : s->es == 2 ? xnn_create_constant_pad_nd_x16(&fill, 0, &op)
                                    : xnn_create_constant_pad_nd_x8(&fill, 0, &op);
  return roof_xnn_created(xs, op, k, "create constant pad", err);
}

static roof_status setup_pad_xnn(roof_kernel* k, roof_error* err) {
  const pad_state* s = k->state;
  const void* x = k->in[0].data;
  void* y = k->out[0].data;
  enum xnn_status xs =
      s->es == 4 ? xnn_setup_constant_pad_nd_x32(roof_xop(k), s->rank, s->shape, s->pre, s->post, x, y, k->pool)
      : s->es == 2 ? xnn_setup_constant_pad_nd_x16(roof_xop(k), s->rank, s->shape, s->pre, s->post, x, y, k->pool)
                   : xnn_setup_constant_pad_nd_x8(roof_xop(k), s->rank, s->shape, s->pre, s->post, x, y, k->pool);
  return roof_xnn_check(xs, k, "setup constant pad", err);
}

const roof_kernel_impl roof_kernel_Pad_xnnpack = {
    .op = ROOF_OP_Pad, .backend = ROOF_BACKEND_XNNPACK, .supports = supports_pad_xnn, .create = create_pad_xnn,
    .setup = setup_pad_xnn, .run = roof_xnn_run, .destroy = roof_xnn_destroy, .input_padding = ROOF_XNN_PADDING,
};

#define MOVE_OP(SYM, PARAMS, PARSE, INFER, REF, VALUES)                                                                 \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,         \
      .layout = ROOF_LR_ANY, .params_size = sizeof(PARAMS), .parse = PARSE, .infer = INFER,             \
      .cost = cost_copy, .value_inputs = VALUES,                                                              \
  };                                                                                                          \
  ROOF_REF_KERNEL(SYM, NULL, REF)

MOVE_OP(Concat, move_params, parse_axis, infer_concat, ref_concat, 0);
MOVE_OP(Split, move_params, parse_split, infer_split, ref_split, ROOF_IN(1));
MOVE_OP(Slice, move_params, parse_slice, infer_slice, ref_slice, ROOF_IN(1) | ROOF_IN(2) | ROOF_IN(3) | ROOF_IN(4));
MOVE_OP(Transpose, roof_transpose_params, parse_transpose, infer_transpose, ref_transpose, 0);
MOVE_OP(Gather, move_params, parse_axis, infer_gather, ref_gather, 0);
MOVE_OP(Pad, roof_pad_params, parse_pad, infer_pad, ref_pad, ROOF_IN(1) | ROOF_IN(2) | ROOF_IN(3));

/* native: slabs of dense tensors copied with memcpy (strided views fall back to the generic copy) */
const roof_kernel_impl roof_kernel_Concat_native = {.op = ROOF_OP_Concat, .backend = ROOF_BACKEND_NATIVE, .run = run_concat};
const roof_kernel_impl roof_kernel_Split_native = {.op = ROOF_OP_Split, .backend = ROOF_BACKEND_NATIVE, .run = run_split};

/* ---- native: Transpose and Slice are a view of the input and one threaded copy (copy_nd.h:
 * row memcpy, 2-D tiles for the innermost swap, or a strided loop); Gather copies rows of its
 * inner block. They move bytes: every dtype. ---- */

static bool dense(const roof_tensor* t) { return roof_tensor_is_plain(t) || roof_tensor_is_nhwc(t); }

static bool supports_dense_io(const roof_kernel* k, char* why, size_t n) {
  if (dense(&k->in[0]) && dense(&k->out[0])) return true;
  snprintf(why, n, "input or output strided in memory (neither plain nor NHWC)");
  return false;
}

static roof_status run_transpose_native(roof_kernel* k, roof_error* err) {
  roof_tensor v = transpose_view(k);
  roof_copy_nd(&v, &k->out[0], k->pool);
  return ROOF_OK;
}

static roof_status run_slice_native(roof_kernel* k, roof_error* err) {
  roof_tensor v;
  if (slice_view(k, &v)) roof_copy_nd(&v, &k->out[0], k->pool);
  return ROOF_OK;
}

/* x as [outer, len, inner], y as [outer, count, inner] with count = number of indices: row r of
 * y (r = o * count + j) is row o * len + index j of x. Sizes in bytes along the inner block. */
typedef struct gather_task {
  const char* x;
  char* y;
  const void* idx;
  bool idx64;
  int64_t len;
  size_t count, inner;
} gather_task;

static void gather_rows(void* ctx, size_t r0, size_t c0, size_t nr, size_t nc) {
  const gather_task* t = ctx;
  for (size_t r = r0; r < r0 + nr; r++) {
    size_t o = r / t->count, j = r % t->count;
    int64_t v = t->idx64 ? ((const int64_t*)t->idx)[j] : ((const int32_t*)t->idx)[j];
    if (v < 0) v += t->len;
    memcpy(t->y + r * t->inner + c0, t->x + (o * (size_t)t->len + (size_t)v) * t->inner + c0, nc);
  }
}

static bool supports_gather_native(const roof_kernel* k, char* why, size_t n) {
  if (roof_tensor_is_plain(&k->in[0]) && roof_tensor_is_plain(&k->in[1]) && roof_tensor_is_plain(&k->out[0])) return true;
  snprintf(why, n, "data, indices or output not plain (NHWC or strided)");
  return false;
}

static roof_status run_gather_native(roof_kernel* k, roof_error* err) {
  const move_params* p = k->params;
  const roof_tensor *x = &k->in[0], *ix = &k->in[1];
  int axis = (int)p->axis;
  gather_task t = {x->data, k->out[0].data, ix->data, ix->dtype == ROOF_DT_INT64, x->dims[axis], roof_tensor_count(ix),
                   roof_dtype_size(x->dtype)};
  size_t outer = 1;
  for (int d = 0; d < axis; d++) outer *= (size_t)x->dims[d];
  for (int d = axis + 1; d < x->rank; d++) t.inner *= (size_t)x->dims[d];
  for (size_t j = 0; j < t.count; j++) { /* every index before any copy: a bad one is data, not a crash */
    int64_t v = t.idx64 ? ((const int64_t*)t.idx)[j] : ((const int32_t*)t.idx)[j];
    if (v < -t.len || v >= t.len) {
      char b[ROOF_NAME_BUF];
      const roof_value* iv = roof_in(k->g, k->node, 1);
      return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "tensor '%s': index %lld is outside [%lld, %lld)",
                            ROOF_SAFE(iv ? iv->name : "", b), (long long)v, (long long)-t.len, (long long)t.len);
    }
  }
  size_t rows = outer * t.count, tr, tc;
  roof_copy_tiles(rows, t.inner, 1, &tr, &tc);
  pthreadpool_parallelize_2d_tile_2d(roof_copy_pool(k->pool, rows * t.inner), gather_rows, &t, rows, t.inner, tr, tc, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Transpose_native = {
    .op = ROOF_OP_Transpose, .backend = ROOF_BACKEND_NATIVE, .supports = supports_dense_io, .run = run_transpose_native};
const roof_kernel_impl roof_kernel_Slice_native = {
    .op = ROOF_OP_Slice, .backend = ROOF_BACKEND_NATIVE, .supports = supports_dense_io, .run = run_slice_native};
const roof_kernel_impl roof_kernel_Gather_native = {
    .op = ROOF_OP_Gather, .backend = ROOF_BACKEND_NATIVE, .supports = supports_gather_native, .run = run_gather_native};
