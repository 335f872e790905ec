/* Gelu (ONNX opset 20; also what the `gelu` pass makes of the Erf form PyTorch exports at any
 * opset): y = 0.5 x (1 + erf(x / sqrt(2))), or with approximate "tanh"
 * y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). A threaded native kernel on dense
 * data, a strided reference. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "gelu_params.h"
#include "vec_math.h"

static roof_status parse_gelu(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_gelu_params* p = params;
  const char* mode;
  roof_status st = roof_attr_get_string(g, n, "approximate", "none", &mode, err);
  if (st != ROOF_OK) return st;
  if (strcmp(mode, "none") != 0 && strcmp(mode, "tanh") != 0) {
    char mb[ROOF_NAME_BUF];
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'approximate' is '%s' (none or tanh)", ROOF_SAFE(mode, mb));
  }
  p->tanh = strcmp(mode, "tanh") == 0;
  return ROOF_OK;
}

static roof_status infer_gelu(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  return st == ROOF_OK ? roof_infer_same(g, n, err) : st;
}

/* erf or tanh counted as one, plus 4 (scale, add, multiply by x, halve); the tanh form 4 more */
static void cost_gelu(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const roof_gelu_params* p = n->params;
  roof_cost_eltwise(g, n, c);
  c->flops *= p->tanh ? 9 : 5;
  c->formula = "gelu";
}

static int describe_gelu(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_gelu_params* p = n->params;
  return snprintf(buf, size, "%s", p->tanh ? "tanh" : "erf");
}

static double gelu(double x, bool tanh_form) {
  if (tanh_form) return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1.0 + erf(x * 0.7071067811865476));
}

static roof_status ref_gelu(roof_kernel* k, roof_error* err) {
  const roof_gelu_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    ((float*)y->data)[roof_offset(y, i)] = (float)gelu(((const float*)x->data)[roof_offset(x, i)], p->tanh);
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

/* ---- native: dense data, tiles of 4096 elements over the threads ---- */

typedef struct gelu_task {
  const float* x;
  float* y;
  bool tanh_form;
} gelu_task;

/* erf and tanh from vec_math.h, so the loops vectorize (libm's were a call per element: 2% of
 * the roofline) */
ROOF_VEC_CLONES static void gelu_rows(const float* restrict x, float* restrict y, size_t len, bool tanh_form) {
  if (tanh_form) {
    for (size_t i = 0; i < len; i++) y[i] = 0.5f * x[i] * (1.0f + roof_tanh(0.7978845608f * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
  } else {
    for (size_t i = 0; i < len; i++) y[i] = 0.5f * x[i] * (1.0f + roof_erf(x[i] * 0.70710678f));
  }
}

static void gelu_tile(void* ctx, size_t start, size_t len) {
  const gelu_task* t = ctx;
  gelu_rows(t->x + start, t->y + start, len, t->tanh_form);
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  const roof_gelu_params* p = k->params;
  gelu_task t = {k->in[0].data, k->out[0].data, p->tanh};
  size_t count = (size_t)roof_tensor_count(&k->in[0]);
  pthreadpool_parallelize_1d_tile_1d(k->pool, gelu_tile, &t, count, 4096, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_op_schema roof_op_Gelu = {
    .id = ROOF_OP_Gelu, .op_type = "Gelu", .domain = "", .since_version = 20, .until_version = 1000,
    .flags = ROOF_OPF_INPLACE, .layout = ROOF_LR_ANY, .params_size = sizeof(roof_gelu_params), .parse = parse_gelu,
    .infer = infer_gelu, .cost = cost_gelu, .describe = describe_gelu,
};
const roof_kernel_impl roof_kernel_Gelu_native = {
    .op = ROOF_OP_Gelu, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = roof_supports_same_dense,
    .run = run_native,
};
ROOF_REF_KERNEL(Gelu, roof_dtypes_f32, ref_gelu);
