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

static const int kArithDtypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_INT8, ROOF_DT_UINT8, ROOF_DT_INT16, ROOF_DT_UINT16,
                                   ROOF_DT_INT32, ROOF_DT_UINT32, ROOF_DT_INT64, ROOF_DT_UINT64, 0};

#define ARITH_OP(SYM)                                                                                         \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,         \
      .flags = ROOF_OPF_FUSED_ACT | ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = sizeof(arith_params), \
      .parse = parse_arith, .infer = infer_arith, .cost = roof_cost_eltwise, .describe = describe_arith,     \
  };                                                                                                          \
  ROOF_XNN_KERNEL(SYM, NULL, create_arith, roof_nd_setup, roof_nd_destroy);                                     \
  ROOF_REF_KERNEL(SYM, kArithDtypes, ref_arith)

ARITH_OP(Add);
ARITH_OP(Sub);
ARITH_OP(Mul);
ARITH_OP(Div);
