/* Copies that repeat or rearrange their input: Expand, Tile, DepthToSpace, SpaceToDepth.
 *
 * Each is a pure copy, so every dtype runs (elements moved by byte size). The reference kernels
 * compute the source of every output element from the ONNX formula; the native kernels
 * describe the same copy as one strided view pair of up to 12 axes (Tile: a repeat axis beside
 * every input axis) and run it threaded: size-1 axes dropped, axes ordered by destination stride,
 * neighbours merged, the innermost axis a memcpy (dense), a splat (broadcast) or a strided loop.
 * Rank-4 NHWC activations are accepted as they come (layout rule ANY): a DepthToSpace after a
 * Conv keeps channels-last and its pixels become runs of C/(b*b) channels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct tile_params {
  int64_t reps[ROOF_MAX_RANK]; /* Tile, resolved at infer */
  int64_t block;               /* DepthToSpace, SpaceToDepth */
  int crd;                     /* DepthToSpace mode CRD (else DCR) */
} tile_params;

/* ---- the copy plan of the native kernels ---- */

#define PLAN_AXES (2 * ROOF_MAX_RANK)

typedef struct copy_plan {
  int rank;
  int64_t dims[PLAN_AXES], xs[PLAN_AXES], ys[PLAN_AXES]; /* element strides: source, destination */
  size_t es;
  const char* x;
  char* y;
} copy_plan;

typedef struct plan_builder {
  int rank;
  int64_t dims[PLAN_AXES], xs[PLAN_AXES], ys[PLAN_AXES];
} plan_builder;

static void plan_axis(plan_builder* b, int64_t dim, int64_t xs, int64_t ys) {
  b->dims[b->rank] = dim, b->xs[b->rank] = xs, b->ys[b->rank] = ys;
  b->rank++;
}

/* Size-1 axes dropped, the rest by destination stride (largest first), merged where both sides
 * continue across the pair. */
static void plan_finish(const plan_builder* b, size_t es, copy_plan* p) {
  plan_builder s = {0};
  for (int i = 0; i < b->rank; i++) {
    if (b->dims[i] == 1) continue;
    int k = s.rank++;
    while (k > 0 && s.ys[k - 1] < b->ys[i]) {
      s.dims[k] = s.dims[k - 1], s.xs[k] = s.xs[k - 1], s.ys[k] = s.ys[k - 1];
      k--;
    }
    s.dims[k] = b->dims[i], s.xs[k] = b->xs[i], s.ys[k] = b->ys[i];
  }
  memset(p, 0, sizeof(*p));
  p->es = es;
  for (int i = 0; i < s.rank; i++) {
    int o = p->rank - 1;
    if (o >= 0 && p->xs[o] == s.xs[i] * s.dims[i] && p->ys[o] == s.ys[i] * s.dims[i]) {
      p->dims[o] *= s.dims[i];
      p->xs[o] = s.xs[i];
      p->ys[o] = s.ys[i];
      continue;
    }
    p->dims[++o] = s.dims[i], p->xs[o] = s.xs[i], p->ys[o] = s.ys[i];
    p->rank = o + 1;
  }
  if (p->rank == 0) { /* one element */
    p->rank = 1;
    p->dims[0] = 1;
  }
}

/* The innermost axis: memcpy (both dense), else a typed loop. */
static void plan_inner(char* y, const char* x, int64_t n, int64_t ys, int64_t xs, size_t es) {
  if (xs == 1 && ys == 1) {
    memcpy(y, x, (size_t)n * es);
    return;
  }
  /* dense destination: a splat (xs 0) or a gather, loops the compiler vectorizes */
#define PLAN_LOOP(T)                                                    \
  do {                                                                  \
    T* yt = (T*)(void*)y;                                               \
    const T* xt = (const T*)(const void*)x;                             \
    if (ys == 1 && xs == 0) {                                           \
      const T v = xt[0];                                                \
      for (int64_t i = 0; i < n; i++) yt[i] = v;                        \
    } else if (ys == 1) {                                               \
      for (int64_t i = 0; i < n; i++) yt[i] = xt[i * xs];               \
    } else {                                                            \
      for (int64_t i = 0; i < n; i++) yt[i * ys] = xt[i * xs];          \
    }                                                                   \
  } while (0)
  switch (es) {
    case 1: PLAN_LOOP(uint8_t); break;
    case 2: PLAN_LOOP(uint16_t); break;
    case 4: PLAN_LOOP(uint32_t); break;
    case 8: PLAN_LOOP(uint64_t); break;
    default:
      for (int64_t i = 0; i < n; i++) memcpy(y + i * ys * (int64_t)es, x + i * xs * (int64_t)es, es);
  }
#undef PLAN_LOOP
}

/* Rows [start, start + count) of the outer axes (all but the innermost). */
static void plan_rows(void* ctx, size_t start, size_t count) {
  const copy_plan* p = ctx;
  int outer = p->rank - 1;
  int64_t idx[PLAN_AXES] = {0}, xo = 0, yo = 0, rem = (int64_t)start;
  for (int d = outer - 1; d >= 0; d--) {
    idx[d] = rem % p->dims[d];
    rem /= p->dims[d];
    xo += idx[d] * p->xs[d];
    yo += idx[d] * p->ys[d];
  }
  const int64_t es = (int64_t)p->es;
  for (size_t r = 0; r < count; r++) {
    plan_inner(p->y + yo * es, p->x + xo * es, p->dims[outer], p->ys[outer], p->xs[outer], p->es);
    for (int d = outer - 1; d >= 0; d--) { /* odometer */
      xo += p->xs[d];
      yo += p->ys[d];
      if (++idx[d] < p->dims[d]) break;
      xo -= p->xs[d] * p->dims[d];
      yo -= p->ys[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

/* Runs the plan over k->pool in tiles of about 32 KiB of output. */
static void plan_run(const copy_plan* p, pthreadpool_t pool) {
  size_t rows = 1;
  for (int d = 0; d + 1 < p->rank; d++) rows *= (size_t)p->dims[d];
  size_t row_bytes = (size_t)p->dims[p->rank - 1] * p->es;
  size_t tile = row_bytes >= 32768 ? 1 : 32768 / (row_bytes ? row_bytes : 1);
  pthreadpool_parallelize_1d_tile_1d(pool, plan_rows, (void*)p, rows, tile, ROOF_POOL_FLAGS);
}

/* Native entries keep their plan in k->state, built in setup (it holds the data pointers). */
static roof_status create_plan_state(roof_kernel* k, roof_error* err) {
  k->state = calloc(1, sizeof(copy_plan));
  return k->state ? ROOF_OK : roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
}

static void destroy_plan_state(roof_kernel* k) {
  free(k->state);
  k->state = NULL;
}

static roof_status run_plan(roof_kernel* k, roof_error* err) {
  plan_run(k->state, k->pool);
  return ROOF_OK;
}

static void cost_copy(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "copy";
  c->has_model = true;
}

/* ---- Expand (opsets 8, 13): numpy broadcast of the input to a constant shape ---- */

static roof_status infer_expand(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *s = roof_in(g, n, 1);
  if (s && s->rank != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape input must be 1-D, not rank %d", s->rank);
  int64_t shape[ROOF_MAX_RANK], dims[ROOF_MAX_RANK];
  size_t ns = 0;
  if ((st = roof_const_ints(g, n, 1, shape, ROOF_MAX_RANK, &ns, err)) != ROOF_OK) return st;
  for (size_t i = 0; i < ns; i++) {
    if (shape[i] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "shape[%zu] = %lld is negative", i, (long long)shape[i]);
  }
  int r;
  if ((st = roof_broadcast_shape(g, n, x->dims, x->rank, shape, (int)ns, dims, &r, err)) != ROOF_OK) return st;
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, r, dims);
  return ROOF_OK;
}

static roof_status ref_expand(roof_kernel* k, roof_error* err) {
  roof_tensor v;
  roof_broadcast_view(&k->in[0], k->out[0].rank, k->out[0].dims, &v);
  roof_tensor_copy(&v, &k->out[0]);
  return ROOF_OK;
}

static roof_status setup_expand(roof_kernel* k, roof_error* err) {
  const roof_tensor* y = &k->out[0];
  roof_tensor v;
  roof_broadcast_view(&k->in[0], y->rank, y->dims, &v);
  plan_builder b = {0};
  for (int d = 0; d < y->rank; d++) plan_axis(&b, y->dims[d], v.strides[d], y->strides[d]);
  copy_plan* p = k->state;
  plan_finish(&b, roof_dtype_size(y->dtype), p);
  p->x = k->in[0].data;
  p->y = y->data;
  return ROOF_OK;
}

/* ---- Tile (opsets 6, 13): y[i] = x[i mod dims(x)], repeats constant ---- */

static roof_status infer_tile(roof_graph* g, roof_node* n, roof_error* err) {
  tile_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *rv = roof_in(g, n, 1);
  if (rv && rv->rank != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "repeats must be 1-D, not rank %d", rv->rank);
  size_t nr = 0;
  if ((st = roof_const_ints(g, n, 1, p->reps, ROOF_MAX_RANK, &nr, err)) != ROOF_OK) return st;
  if (nr != (size_t)x->rank) return roof_node_fail(err, ROOF_E_DATA, g, n, "repeats has %zu values for rank %d", nr, x->rank);
  int64_t dims[ROOF_MAX_RANK];
  for (int d = 0; d < x->rank; d++) {
    if (p->reps[d] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "repeats[%d] = %lld is negative", d, (long long)p->reps[d]);
    if (__builtin_mul_overflow(x->dims[d], p->reps[d], &dims[d])) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %d (%lld) repeated %lld times overflows int64", d,
                            (long long)x->dims[d], (long long)p->reps[d]);
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return ROOF_OK;
}

static roof_status ref_tile(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  size_t es = roof_dtype_size(x->dtype);
  int64_t yi[ROOF_MAX_RANK] = {0}, xi[ROOF_MAX_RANK];
  do {
    for (int d = 0; d < y->rank; d++) xi[d] = yi[d] % x->dims[d];
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* Output axis d as (repeat r, input index i): y index r * dims(x)[d] + i. */
static roof_status setup_tile(roof_kernel* k, roof_error* err) {
  const tile_params* tp = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  plan_builder b = {0};
  for (int d = 0; d < x->rank; d++) {
    plan_axis(&b, tp->reps[d], 0, x->dims[d] * y->strides[d]);
    plan_axis(&b, x->dims[d], x->strides[d], y->strides[d]);
  }
  copy_plan* p = k->state;
  plan_finish(&b, roof_dtype_size(y->dtype), p);
  p->x = x->data;
  p->y = y->data;
  return ROOF_OK;
}

/* ---- DepthToSpace (opsets 1, 11, 13) and SpaceToDepth (1, 13), block b:
 *   DepthToSpace DCR: y[n, c, h*b + i, w*b + j] = x[n, (i*b + j)*C' + c, h, w]
 *                CRD: y[n, c, h*b + i, w*b + j] = x[n, c*b*b + i*b + j, h, w]     C' = C / b^2
 *   SpaceToDepth:     y[n, (i*b + j)*C + c, h, w] = x[n, c, h*b + i, w*b + j]  ---- */

static roof_status parse_space(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  tile_params* p = params;
  const char* mode = "DCR";
  roof_status st = roof_attr_get_int(g, n, "blocksize", 0, &p->block, err);
  if (st == ROOF_OK && n->op->id == ROOF_OP_DepthToSpace) st = roof_attr_get_string(g, n, "mode", "DCR", &mode, err);
  if (st != ROOF_OK) return st;
  if (p->block < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'blocksize' is %lld (must be >= 1)", (long long)p->block);
  if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'mode' is '%.16s' (DCR or CRD)", mode);
  }
  p->crd = strcmp(mode, "CRD") == 0;
  return ROOF_OK;
}

static roof_status infer_space(roof_graph* g, roof_node* n, roof_error* err) {
  const tile_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank != 4) return roof_node_fail(err, ROOF_E_DATA, g, n, "input must be 4-D [N, C, H, W], not rank %d", x->rank);
  int64_t b = p->block, bb, dims[4];
  if (__builtin_mul_overflow(b, b, &bb)) return roof_node_fail(err, ROOF_E_DATA, g, n, "blocksize %lld is too large", (long long)b);
  bool overflow = false;
  if (n->op->id == ROOF_OP_DepthToSpace) {
    if (x->dims[1] % bb != 0) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "channels (%lld) are not a multiple of blocksize^2 (%lld)",
                            (long long)x->dims[1], (long long)bb);
    }
    dims[1] = x->dims[1] / bb;
    overflow = __builtin_mul_overflow(x->dims[2], b, &dims[2]) || __builtin_mul_overflow(x->dims[3], b, &dims[3]);
  } else {
    if (x->dims[2] % b != 0 || x->dims[3] % b != 0) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "height %lld and width %lld must be multiples of blocksize %lld",
                            (long long)x->dims[2], (long long)x->dims[3], (long long)b);
    }
    overflow = __builtin_mul_overflow(x->dims[1], bb, &dims[1]);
    dims[2] = x->dims[2] / b;
    dims[3] = x->dims[3] / b;
  }
  if (overflow) return roof_node_fail(err, ROOF_E_DATA, g, n, "blocksize %lld makes an axis overflow int64", (long long)b);
  dims[0] = x->dims[0];
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, 4, dims);
  return ROOF_OK;
}

static roof_status ref_d2s(roof_kernel* k, roof_error* err) {
  const tile_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  size_t es = roof_dtype_size(x->dtype);
  int64_t b = p->block, cq = y->dims[1], yi[4] = {0};
  do {
    int64_t i = yi[2] % b, j = yi[3] % b, c = yi[1];
    int64_t xc = p->crd ? c * b * b + i * b + j : (i * b + j) * cq + c;
    int64_t xi[4] = {yi[0], xc, yi[2] / b, yi[3] / b};
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
  } while (roof_index_next(yi, y->dims, 4));
  return ROOF_OK;
}

static roof_status ref_s2d(roof_kernel* k, roof_error* err) {
  const tile_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  size_t es = roof_dtype_size(x->dtype);
  int64_t b = p->block, c = x->dims[1], yi[4] = {0};
  do {
    int64_t blk = yi[1] / c, i = blk / b, j = blk % b;
    int64_t xi[4] = {yi[0], yi[1] % c, yi[2] * b + i, yi[3] * b + j};
    memcpy((char*)y->data + roof_offset(y, yi) * (int64_t)es, (const char*)x->data + roof_offset(x, xi) * (int64_t)es, es);
  } while (roof_index_next(yi, y->dims, 4));
  return ROOF_OK;
}

/* Both as one 6-axis copy [N, c, h, i, w, j] (c, h, w on the side without blocks). */
static roof_status setup_space(roof_kernel* k, roof_error* err) {
  const tile_params* tp = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  int64_t b = tp->block;
  plan_builder pb = {0};
  if (k->op->id == ROOF_OP_DepthToSpace) {
    const int64_t* s = x->strides;
    int64_t cq = y->dims[1];
    plan_axis(&pb, x->dims[0], s[0], y->strides[0]);
    plan_axis(&pb, cq, tp->crd ? b * b * s[1] : s[1], y->strides[1]);
    plan_axis(&pb, x->dims[2], s[2], b * y->strides[2]);
    plan_axis(&pb, b, tp->crd ? b * s[1] : b * cq * s[1], y->strides[2]);
    plan_axis(&pb, x->dims[3], s[3], b * y->strides[3]);
    plan_axis(&pb, b, tp->crd ? s[1] : cq * s[1], y->strides[3]);
  } else {
    const int64_t* t = y->strides;
    int64_t c = x->dims[1];
    plan_axis(&pb, x->dims[0], x->strides[0], t[0]);
    plan_axis(&pb, c, x->strides[1], t[1]);
    plan_axis(&pb, y->dims[2], b * x->strides[2], t[2]);
    plan_axis(&pb, b, x->strides[2], b * c * t[1]);
    plan_axis(&pb, y->dims[3], b * x->strides[3], t[3]);
    plan_axis(&pb, b, x->strides[3], c * t[1]);
  }
  copy_plan* p = k->state;
  plan_finish(&pb, roof_dtype_size(y->dtype), p);
  p->x = x->data;
  p->y = y->data;
  return ROOF_OK;
}

static int describe_space(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const tile_params* p = n->params;
  if (n->op->id == ROOF_OP_SpaceToDepth) return snprintf(buf, size, "b%lld", (long long)p->block);
  return snprintf(buf, size, "b%lld %s", (long long)p->block, p->crd ? "CRD" : "DCR");
}

#define TILING_OP(SYM, SINCE, PARSE, INFER, DESCRIBE, REF, SETUP, VALUES)                                           \
  const roof_op_schema roof_op_##SYM = {                                                                          \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE, .until_version = 1000,         \
      .layout = ROOF_LR_ANY, .params_size = sizeof(tile_params), .parse = PARSE, .infer = INFER,                 \
      .cost = cost_copy, .describe = DESCRIBE, .value_inputs = VALUES,                                            \
  };                                                                                                              \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                           \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .create = create_plan_state, .setup = SETUP,          \
      .run = run_plan, .destroy = destroy_plan_state,                                                             \
  };                                                                                                              \
  ROOF_REF_KERNEL(SYM, NULL, REF)

TILING_OP(Expand, 8, NULL, infer_expand, NULL, ref_expand, setup_expand, ROOF_IN(1));
TILING_OP(Tile, 6, NULL, infer_tile, NULL, ref_tile, setup_tile, ROOF_IN(1));
TILING_OP(DepthToSpace, 1, parse_space, infer_space, describe_space, ref_d2s, setup_space, 0);
TILING_OP(SpaceToDepth, 1, parse_space, infer_space, describe_space, ref_s2d, setup_space, 0);
