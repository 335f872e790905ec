/* Add, Sub, Mul, Div with numpy broadcasting. Float: XNNPACK *_nd_f32 on physical shapes
 * (NHWC outputs permute every operand's dims; constant operands in the wrong order are
 * repacked once). Integers (shape arithmetic at load time) and every other case: reference.
 * These four keep their own family (not binary_list.inc) because they carry a fused clamp and
 * are the fusion passes' targets; the XNNPACK nd entry pieces are shared with binary.c's Max
 * and Min through arith_nd.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "xnn_backend.h"
#include "fused_act.h"
#include "arith_nd.h"
#include "vec_math.h"

typedef enum arith_kind { K_ADD, K_SUB, K_MUL, K_DIV } arith_kind;

typedef struct arith_params {
  roof_act act; /* first: see fused_act.h */
  arith_kind kind;
} arith_params;

static roof_status parse_arith(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  arith_params* p = params;
  roof_act_init(&p->act);
  switch (n->op->id) {
    case ROOF_OP_Add: p->kind = K_ADD; break;
    case ROOF_OP_Sub: p->kind = K_SUB; break;
    case ROOF_OP_Mul: p->kind = K_MUL; break;
    default: p->kind = K_DIV; break;
  }
  return ROOF_OK;
}

static roof_status infer_arith(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *a = roof_in(g, n, 0), *b = roof_in(g, n, 1);
  if (a->dtype != b->dtype) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "operand dtypes differ (%s and %s)", roof_dtype_name(a->dtype),
                          roof_dtype_name(b->dtype));
  }
  if (!roof_dtype_has_scalar_io(a->dtype) || a->dtype == ROOF_DT_BOOL) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "dtype %s is not supported", roof_dtype_name(a->dtype));
  }
  int64_t dims[ROOF_MAX_RANK];
  int r;
  st = roof_broadcast_shape(g, n, a->dims, a->rank, b->dims, b->rank, dims, &r, err);
  if (st == ROOF_OK) roof_value_set_shape(roof_out(g, n, 0), a->dtype, r, dims);
  return st;
}

static int describe_arith(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_value *a = roof_in(g, n, 0), *b = roof_in(g, n, 1);
  char as[64], bs[64];
  return snprintf(buf, size, "%s, %s", roof_shape_str(a->dims, a->rank, as, 64), roof_shape_str(b->dims, b->rank, bs, 64));
}

static double op_f(arith_kind k, double a, double b) {
  switch (k) {
    case K_ADD: return a + b;
    case K_SUB: return a - b;
    case K_MUL: return a * b;
    default: return a / b;
  }
}

static int64_t op_i(arith_kind k, int64_t a, int64_t b) {
  switch (k) {
    case K_ADD: return (int64_t)((uint64_t)a + (uint64_t)b); /* wrap, never UB */
    case K_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case K_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    default: return b == 0 || (a == INT64_MIN && b == -1) ? 0 : a / b; /* no SIGFPE on bad data */
  }
}

static roof_status ref_arith(roof_kernel* k, roof_error* err) {
  const arith_params* p = k->params;
  roof_tensor* y = &k->out[0];
  roof_tensor a, b;
  roof_broadcast_view(&k->in[0], y->rank, y->dims, &a);
  roof_broadcast_view(&k->in[1], y->rank, y->dims, &b);
  if (roof_tensor_count(y) == 0) return ROOF_OK;
  bool is_float = roof_dtype_is_float(y->dtype);
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    int64_t ao = roof_offset(&a, i), bo = roof_offset(&b, i), yo = roof_offset(y, i);
    if (y->dtype == ROOF_DT_FLOAT) {
      float v = (float)op_f(p->kind, ((const float*)a.data)[ao], ((const float*)b.data)[bo]);
      ((float*)y->data)[yo] = roof_act_apply(&p->act, v);
    } else if (is_float) {
      roof_store_f64(y->dtype, y->data, yo, op_f(p->kind, roof_load_f64(a.dtype, a.data, ao), roof_load_f64(b.dtype, b.data, bo)));
    } else {
      roof_store_i64(y->dtype, y->data, yo, op_i(p->kind, roof_load_i64(a.dtype, a.data, ao), roof_load_i64(b.dtype, b.data, bo)));
    }
  } while (roof_index_next(i, y->dims, y->rank));
  return ROOF_OK;
}

typedef struct arith_state {
  roof_nd_kind kind;
  size_t shape[2][ROOF_MAX_RANK];
  size_t rank[2];
  float* packed[2]; /* repacked constant operands, or NULL */
} arith_state;

/* Physical order of the output: NHWC rank-4 outputs read dims as [0, 2, 3, 1]. */
static void perm_for(const roof_tensor* y, int* perm) {
  bool nhwc = y->rank == 4 && roof_tensor_is_nhwc(y) && !roof_tensor_is_plain(y);
  for (int i = 0; i < y->rank; i++) perm[i] = i;
  if (nhwc) { perm[1] = 2; perm[2] = 3; perm[3] = 1; }
}

/* Operand i as XNNPACK sees it: dims in physical order; repacks constants whose memory is not
 * in that order; refuses activations whose memory is not. */
static roof_status operand(roof_kernel* k, arith_state* s, int i, const int* perm, roof_error* err) {
  const roof_tensor* y = &k->out[0];
  const roof_tensor* in = &k->in[i];
  int r = y->rank, shift = r - in->rank;
  int64_t ad[ROOF_MAX_RANK], as[ROOF_MAX_RANK];
  for (int d = 0; d < r; d++) {
    ad[d] = d < shift ? 1 : in->dims[d - shift];
    as[d] = d < shift ? 0 : in->strides[d - shift];
  }
  int64_t expect[ROOF_MAX_RANK], run = 1;
  for (int j = r - 1; j >= 0; j--) {
    expect[perm[j]] = run;
    run *= ad[perm[j]];
  }
  bool ordered = true;
  for (int d = 0; d < r; d++) ordered = ordered && (ad[d] == 1 || as[d] == expect[d]);
  for (int j = 0; j < r; j++) s->shape[i][j] = (size_t)ad[perm[j]];
  s->rank[i] = (size_t)(r ? r : 1);
  if (r == 0) s->shape[i][0] = 1;
  if (ordered) return ROOF_OK;
  const roof_value* v = roof_in(k->g, k->node, i);
  if (!(v->flags & ROOF_VAL_CONST) || !v->data) return roof_kernel_refuse(err, "operand %d is strided in memory", i);
  s->packed[i] = malloc(sizeof(float) * (size_t)run + ROOF_XNN_PADDING);
  if (s->packed[i] == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  roof_tensor src = {.dtype = in->dtype, .rank = r, .data = in->data}, dst = src;
  for (int d = 0; d < r; d++) {
    src.dims[d] = dst.dims[d] = ad[d];
    src.strides[d] = as[d];
    dst.strides[d] = expect[d];
  }
  dst.data = s->packed[i];
  roof_tensor_copy(&src, &dst);
  return ROOF_OK;
}

roof_status roof_nd_create(roof_kernel* k, roof_nd_kind kind, float min, float max, roof_error* err) {
  const roof_tensor* y = &k->out[0];
  if (!(roof_tensor_is_plain(y) || roof_tensor_is_nhwc(y))) return roof_kernel_refuse(err, "output is strided in memory");
  arith_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->kind = kind;
  int perm[ROOF_MAX_RANK];
  perm_for(y, perm);
  for (int i = 0; i < 2; i++) {
    roof_status st = operand(k, s, i, perm, err);
    if (st != ROOF_OK) return st;
  }
  xnn_operator_t op = NULL;
  enum xnn_status xs;
  switch (kind) {
    case ROOF_ND_ADD: xs = xnn_create_add_nd_f32(min, max, 0, &op); break;
    case ROOF_ND_SUB: xs = xnn_create_subtract_nd_f32(min, max, 0, &op); break;
    case ROOF_ND_MUL: xs = xnn_create_multiply_nd_f32(min, max, 0, &op); break;
    case ROOF_ND_DIV: xs = xnn_create_divide_nd_f32(min, max, 0, &op); break;
    case ROOF_ND_MAX: xs = xnn_create_maximum_nd_f32(0, &op); break;
    default: xs = xnn_create_minimum_nd_f32(0, &op); break;
  }
  return roof_xnn_created(xs, op, k, "create binary op", err);
}

roof_status roof_nd_setup(roof_kernel* k, roof_error* err) {
  const arith_state* s = k->state;
  const float* a = s->packed[0] ? s->packed[0] : k->in[0].data;
  const float* b = s->packed[1] ? s->packed[1] : k->in[1].data;
  float* y = k->out[0].data;
  xnn_operator_t op = roof_xop(k);
  const size_t *sa = s->shape[0], *sb = s->shape[1];
  size_t ra = s->rank[0], rb = s->rank[1];
  enum xnn_status xs;
  switch (s->kind) {
    case ROOF_ND_ADD: xs = xnn_setup_add_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
    case ROOF_ND_SUB: xs = xnn_setup_subtract_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
    case ROOF_ND_MUL: xs = xnn_setup_multiply_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
    case ROOF_ND_DIV: xs = xnn_setup_divide_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
    case ROOF_ND_MAX: xs = xnn_setup_maximum_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
    default: xs = xnn_setup_minimum_nd_f32(op, ra, sa, rb, sb, a, b, y, k->pool); break;
  }
  return roof_xnn_check(xs, k, "setup binary op", err);
}

static roof_status create_arith(roof_kernel* k, roof_error* err) {
  static const roof_nd_kind kKinds[] = {[K_ADD] = ROOF_ND_ADD, [K_SUB] = ROOF_ND_SUB, [K_MUL] = ROOF_ND_MUL, [K_DIV] = ROOF_ND_DIV};
  const arith_params* p = k->params;
  if (!roof_act_xnn_ok(&p->act)) return roof_kernel_refuse(err, "empty fused clamp range");
  return roof_nd_create(k, kKinds[p->kind], p->act.min, p->act.max, err);
}

void roof_nd_destroy(roof_kernel* k) {
  arith_state* s = k->state;
  if (s) {
    free(s->packed[0]);
    free(s->packed[1]);
  }
  roof_xnn_destroy(k);
}

/* ---- native: a dense operand with a broadcast one of the form [1, O, 1, I] (float32) ----
 * In physical order the output is [P, O, M, I]: one operand has every element, the other one
 * row of I values per o, repeated over M and P (EfficientNet's squeeze-excitation scale
 * x[N,H,W,C] * s[N,1,1,C] in NHWC: O = N, M = H*W, I = C; a per-channel constant over NCHW
 * data: P = N, O = C, M = H*W, I = 1). This XNNPACK's broadcasting operators make a task of
 * every row of I elements (12544 tasks of 32 floats for EfficientNet's first one), whose pool
 * overhead exceeded the copy: 0.26-0.32 ms at 2 threads for 1.6 MB. Here a task is a run of
 * rows of ~16 K elements; the operator, the operand order and the fused clamp are fixed
 * outside the vectorized loops. */
typedef struct bcast_state {
  size_t o, m, inner, rows; /* output [P, O, M, I]; rows = P * O * M */
  int full;                 /* which input has every element (0 or 1) */
  arith_kind kind;
  float min, max;
  const float* a;           /* the dense operand */
  const float* b;           /* the broadcast one, [O, I] */
  float* y;
} bcast_state;

/* The [P, O, M, I] form of operand `in` against output y, in y's physical order: axes where y
 * has extent 1 are dropped; walking from the innermost axis out, axes where the operand matches
 * y (I), then axes where it is 1 (M), then matching ones (O), then axes where it is 1 again (P),
 * nothing else. The operand must be dense over its matching axes. An operand with every element
 * has P = O = M = 1. */
static bool bcast_form(const roof_tensor* y, const roof_tensor* in, size_t dims[4]) {
  int perm[ROOF_MAX_RANK];
  perm_for(y, perm);
  int r = y->rank, shift = r - in->rank, part = 3; /* 3: I, 2: M, 1: O, 0: P */
  int64_t expect = 1;
  dims[0] = dims[1] = dims[2] = dims[3] = 1;
  for (int j = r - 1; j >= 0; j--) {
    int d = perm[j];
    int64_t yd = y->dims[d], ad = d < shift ? 1 : in->dims[d - shift], as = d < shift ? 0 : in->strides[d - shift];
    if (yd == 1) continue;
    bool match = ad == yd; /* else ad is 1 (infer checked the broadcast) */
    if (match != (part % 2 == 1)) part--; /* I and O match, M and P broadcast */
    if (part < 0) return false;
    if (match && as != expect) return false;
    if (match) expect *= ad;
    dims[part] *= (size_t)yd;
  }
  return true;
}

#define BCAST_ROWS_LOOP(EXPR)                                                  \
  do {                                                                         \
    if (inner == 1) {                                                          \
      const float bv = b[0];                                                   \
      for (size_t j = 0; j < rows; j++) {                                      \
        float av = a[j], v = (EXPR);                                           \
        y[j] = v < lo ? lo : (v > hi ? hi : v);                                \
      }                                                                        \
    } else {                                                                   \
      for (size_t rr = 0; rr < rows; rr++, a += inner, y += inner) {           \
        for (size_t i = 0; i < inner; i++) {                                   \
          float av = a[i], bv = b[i], v = (EXPR);                              \
          y[i] = v < lo ? lo : (v > hi ? hi : v);                              \
        }                                                                      \
      }                                                                        \
    }                                                                          \
  } while (0)

/* `rows` rows of `inner` elements: y = a op b (b one row), or b op a when `swap`. */
ROOF_VEC_CLONES static void bcast_rows(arith_kind kind, bool swap, const float* a, const float* b, float* y, size_t rows,
                                       size_t inner, float lo, float hi) {
  switch (kind) {
    case K_ADD: BCAST_ROWS_LOOP(av + bv); break;
    case K_MUL: BCAST_ROWS_LOOP(av * bv); break;
    case K_SUB:
      if (swap) BCAST_ROWS_LOOP(bv - av);
      else BCAST_ROWS_LOOP(av - bv);
      break;
    default:
      if (swap) BCAST_ROWS_LOOP(bv / av);
      else BCAST_ROWS_LOOP(av / bv);
      break;
  }
}

/* Rows [start, start + count) of the output's P * O * M rows, in runs that share one row of b. */
static void bcast_task(void* ctx, size_t start, size_t count) {
  const bcast_state* s = ctx;
  size_t end = start + count;
  while (start < end) {
    size_t run = start / s->m, run_end = (run + 1) * s->m < end ? (run + 1) * s->m : end;
    bcast_rows(s->kind, s->full == 1, s->a + start * s->inner, s->b + (run % s->o) * s->inner, s->y + start * s->inner,
               run_end - start, s->inner, s->min, s->max);
    start = run_end;
  }
}

/* Which operand is dense (0 or 1) and the other's [P, O, M, I]; -1 when the pair is not a
 * dense tensor and a broadcast over M > 1 with rows of 16 values or more, or with I = 1 and
 * runs of M >= 16 (shorter rows stay on XNNPACK). */
static int bcast_pair(const roof_kernel* k, size_t dims[4]) {
  const roof_tensor* y = &k->out[0];
  size_t f[2][4];
  if (!(roof_tensor_is_plain(y) || roof_tensor_is_nhwc(y)) || !bcast_form(y, &k->in[0], f[0]) || !bcast_form(y, &k->in[1], f[1])) return -1;
  int full = f[0][0] * f[0][1] * f[0][2] == 1 ? 0 : 1;
  const size_t* b = f[1 - full];
  if (f[full][0] * f[full][1] * f[full][2] != 1 || b[2] < 2) return -1;
  if (!(b[3] >= 16 || (b[3] == 1 && b[2] >= 16))) return -1;
  memcpy(dims, b, sizeof(f[0]));
  return full;
}

static bool supports_bcast(const roof_kernel* k, char* why, size_t size) {
  size_t dims[4];
  if (bcast_pair(k, dims) >= 0) return true;
  snprintf(why, size, "operands are not one dense tensor and a [1, O, 1, I] broadcast of long rows");
  return false;
}

static roof_status create_bcast(roof_kernel* k, roof_error* err) {
  const arith_params* p = k->params;
  bcast_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  size_t d[4] = {0, 0, 0, 0};
  s->full = bcast_pair(k, d);
  if (s->full < 0) return roof_kernel_refuse(err, "operands are not one dense tensor and a [1, O, 1, I] broadcast");
  s->o = d[1];
  s->m = d[2];
  s->inner = d[3];
  s->rows = d[0] * d[1] * d[2];
  s->kind = p->kind;
  s->min = p->act.min;
  s->max = p->act.max;
  return ROOF_OK;
}

static roof_status setup_bcast(roof_kernel* k, roof_error* err) {
  bcast_state* s = k->state;
  s->a = k->in[s->full].data;
  s->b = k->in[1 - s->full].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

static roof_status run_bcast(roof_kernel* k, roof_error* err) {
  bcast_state* s = k->state;
  size_t tile = s->inner >= (16u << 10) ? 1 : (16u << 10) / s->inner; /* ~16 K elements per task */
  pthreadpool_parallelize_1d_tile_1d(k->pool, bcast_task, s, s->rows, tile, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static void destroy_bcast(roof_kernel* k) {
  free(k->state);
  k->state = NULL;
}

#define ARITH_NATIVE(SYM)                                                                                      \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                        \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_bcast, \
      .create = create_bcast, .setup = setup_bcast, .run = run_bcast, .destroy = destroy_bcast}

static const int kArithDtypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8, ROOF_DT_UINT8, ROOF_DT_INT16, ROOF_DT_UINT16,
                                   ROOF_DT_INT32, ROOF_DT_UINT32, ROOF_DT_INT64, ROOF_DT_UINT64, 0};

#define ARITH_OP(SYM)                                                                                         \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,         \
      .flags = ROOF_OPF_FUSED_ACT | ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = sizeof(arith_params), \
      .parse = parse_arith, .infer = infer_arith, .cost = roof_cost_eltwise, .describe = describe_arith,     \
  };                                                                                                          \
  ROOF_XNN_KERNEL(SYM, NULL, create_arith, roof_nd_setup, roof_nd_destroy);                                     \
  ARITH_NATIVE(SYM);                                                                                          \
  ROOF_REF_KERNEL(SYM, kArithDtypes, ref_arith)

ARITH_OP(Add);
ARITH_OP(Sub);
ARITH_OP(Mul);
ARITH_OP(Div);
