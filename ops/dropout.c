/* Dropout. At inference (and in training mode with a constant ratio of 0) it drops nothing:
 * the node is a view, output 0 shares input 0's buffer and a read mask is a constant of ones.
 * When training_mode or ratio is known only at run time, or training mode is on with a ratio
 * above 0, the node runs (its schema's `runs` hook says so): Y = X * mask / (1 - ratio) with
 * mask = uniform[0, 1) >= ratio, the uniforms drawn as ONNX's reference draws them (numpy's
 * legacy MT19937 seeded with the `seed` attribute, ops/mt19937.h) in row-major element order.
 * The generator restarts from the seed on every run, so runs are reproducible (ONNX's reference
 * reseeds per call). Without the attribute the seed is 0; a seed outside [0, 2^32) is taken
 * modulo 2^32 (numpy refuses those; the spec leaves the generator to the implementation). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mt19937.h"

typedef struct dropout_params {
  uint32_t seed;
  bool runs; /* set by infer: the node computes (not a view) */
} dropout_params;

static roof_status parse_dropout(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  int64_t seed = 0;
  roof_status st = roof_attr_get_int(g, n, "seed", 0, &seed, err);
  if (st == ROOF_OK) ((dropout_params*)params)->seed = (uint32_t)((uint64_t)seed & 0xffffffffu);
  return st;
}

static bool dropout_runs(const roof_node* n) { return n->params && ((const dropout_params*)n->params)->runs; }

/* True when v's single element is known at load. */
static bool known_scalar(const roof_value* v) {
  uint64_t count = 0;
  return roof_value_has_data(v) && roof_value_count(v, &count) && count == 1 && v->nbytes >= roof_dtype_size(v->dtype);
}

/* Input i, when present, must hold one element (ONNX: a scalar); its shape is known at load. */
static roof_status require_scalar(const roof_graph* g, const roof_node* n, int i, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  uint64_t count = 0;
  char b[ROOF_NAME_BUF];
  if (v == NULL || (roof_value_count(v, &count) && count == 1)) return ROOF_OK;
  return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d (%s) must be a scalar", ROOF_SAFE(v->name, b), i,
                        i == 1 ? "ratio" : "training_mode");
}

static roof_status ratio_fail(const roof_graph* g, const roof_node* n, double r, roof_error* err) {
  char b[ROOF_NAME_BUF];
  const roof_value* v = roof_in(g, n, 1);
  return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': ratio %g must be >= 0 and < 1", ROOF_SAFE(v ? v->name : "", b), r);
}

/* A read mask of a view Dropout becomes a constant of ones at load, so nothing runs for it. */
static roof_status const_mask(roof_graph* g, roof_node* n, roof_value* mask, roof_error* err) {
  uint64_t bytes = 0;
  if (!roof_value_bytes(mask, &bytes) || bytes > ((uint64_t)64 << 20)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "the mask output of Dropout is read and larger than 64 MiB");
  }
  void* ones = malloc(bytes ? bytes : 1);
  if (ones == NULL) return roof_node_fail(err, ROOF_E_NOMEM, g, n, "out of memory for the Dropout mask (%llu bytes)",
                                          (unsigned long long)bytes);
  memset(ones, 1, bytes);
  mask->data = ones;
  mask->nbytes = bytes;
  mask->flags |= ROOF_VAL_KNOWN | ROOF_VAL_CONST;
  return ROOF_OK;
}

static roof_status infer_dropout(roof_graph* g, roof_node* n, roof_error* err) {
  dropout_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, NULL, err);
  if (st == ROOF_OK) st = require_scalar(g, n, 1, err);
  if (st == ROOF_OK) st = require_scalar(g, n, 2, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, 0), *ratio = roof_in(g, n, 1), *t = roof_in(g, n, 2);
  /* a view unless training mode is on (or unknown) and the ratio is not a known 0 (an absent
   * ratio is 0.5); torchvision's swin_t exports training mode with a ratio of 0 */
  bool t_known = t == NULL || known_scalar(t), r_known = ratio == NULL || known_scalar(ratio);
  bool training = t != NULL && (!t_known || roof_load_i64(t->dtype, t->data, 0) != 0);
  double r = ratio && r_known ? roof_load_f64(ratio->dtype, ratio->data, 0) : 0.5;
  p->runs = training && !(r_known && ratio != NULL && r == 0.0);
  if (p->runs && t_known && r_known && !(r >= 0.0 && r < 1.0)) return ratio_fail(g, n, r, err);
  if (p->runs && !roof_dtype_is_float(x->dtype)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "training-mode Dropout of %s data: the input must be a float type",
                          roof_dtype_name(x->dtype));
  }
  roof_value* mask = n->num_outputs > 1 ? roof_out(g, n, 1) : NULL;
  if (mask) roof_value_set_shape(mask, ROOF_DT_BOOL, x->rank, x->dims);
  if (!p->runs && mask && (mask->num_consumers > 0 || (mask->flags & ROOF_VAL_GRAPH_OUTPUT)) && mask->data == NULL) {
    st = const_mask(g, n, mask, err);
    if (st != ROOF_OK) return st;
  }
  return roof_infer_same(g, n, err);
}

/* Running: Y and the mask written; the flops are the scale multiply and the three floating-point
 * operations that build each uniform double (a * 2^26 + b, / 2^53). The generator's integer work
 * (about 20 operations per 32-bit word, two words per element) is not counted as flops, so this
 * layer may read slower than its roof. A view costs nothing. */
static void cost_dropout(const roof_graph* g, const roof_node* n, roof_cost* c) {
  if (!dropout_runs(n)) {
    c->formula = "view";
    c->has_model = true;
    return;
  }
  roof_cost_eltwise(g, n, c);
  uint64_t f = 0;
  c->flops = roof_mul_u64(c->flops, 4, &f) ? f : UINT64_MAX;
  c->formula = "dropout";
}

/* What a run needs from ratio and training_mode: whether it drops and the ratio; ROOF_E_DATA
 * when training with a ratio outside [0, 1). */
static roof_status run_args(roof_kernel* k, bool* drop, double* ratio, roof_error* err) {
  bool training = k->num_in > 2 && k->in[2].data && roof_load_i64(k->in[2].dtype, k->in[2].data, 0) != 0;
  double r = k->num_in > 1 && k->in[1].data ? roof_load_f64(k->in[1].dtype, k->in[1].data, 0) : 0.5;
  if (training && !(r >= 0.0 && r < 1.0)) return ratio_fail(k->g, k->node, r, err);
  *drop = training && r > 0.0;
  *ratio = r;
  return ROOF_OK;
}

static roof_tensor* mask_of(roof_kernel* k) { return k->num_out > 1 && k->out[1].data ? &k->out[1] : NULL; }

/* Any float dtype and layout, element by element in logical row-major order (the order the
 * uniforms are drawn in). A view node evaluated at load copies. */
static roof_status ref_dropout(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  roof_tensor *y = &k->out[0], *mask = mask_of(k);
  bool drop = false;
  double ratio = 0.0;
  if (!dropout_runs(k->node)) {
    roof_tensor_copy(x, y);
    return ROOF_OK;
  }
  roof_status st = run_args(k, &drop, &ratio, err);
  if (st != ROOF_OK) return st;
  roof_mt mt;
  roof_mt_seed(&mt, ((const dropout_params*)k->params)->seed);
  double scale = drop ? 1.0 / (1.0 - ratio) : 1.0;
  int64_t i[ROOF_MAX_RANK] = {0};
  do {
    bool keep = !drop || roof_mt_double(&mt) >= ratio;
    double v = roof_load_f64(x->dtype, x->data, roof_offset(x, i));
    roof_store_f64(y->dtype, y->data, roof_offset(y, i), keep ? v * scale : v * 0.0);
    if (mask) ((uint8_t*)mask->data)[roof_offset(mask, i)] = keep;
  } while (roof_index_next(i, x->dims, x->rank));
  return ROOF_OK;
}

/* float32, X, Y and the mask plain (row-major): a flat loop draws the uniforms in the logical
 * order ONNX's reference does (a channels-last input would draw them in another order: the
 * reference kernel takes it). Single-threaded: the generator is sequential. */
static bool supports_native(const roof_kernel* k, char* why, size_t why_size) {
  const roof_tensor* mask = k->num_out > 1 && k->out[1].data ? &k->out[1] : NULL;
  if (!dropout_runs(k->node)) {
    snprintf(why, why_size, "a view");
    return false;
  }
  if (!roof_tensor_is_plain(&k->in[0]) || !roof_tensor_is_plain(&k->out[0]) || (mask && !roof_tensor_is_plain(mask))) {
    snprintf(why, why_size, "input or outputs not row-major (the mask is drawn in logical order)");
    return false;
  }
  return true;
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  bool drop = false;
  double ratio = 0.0;
  roof_status st = run_args(k, &drop, &ratio, err);
  if (st != ROOF_OK) return st;
  const float* x = k->in[0].data;
  float* y = k->out[0].data;
  roof_tensor* mt_mask = mask_of(k);
  uint8_t* mask = mt_mask ? mt_mask->data : NULL;
  uint64_t count = roof_tensor_count(&k->in[0]);
  if (!drop) { /* nothing dropped: a copy and a mask of ones */
    if (y != x) memmove(y, x, (size_t)count * sizeof(float));
    if (mask) memset(mask, 1, (size_t)count);
    return ROOF_OK;
  }
  roof_mt mt;
  roof_mt_seed(&mt, ((const dropout_params*)k->params)->seed);
  double scale = 1.0 / (1.0 - ratio);
  for (uint64_t i = 0; i < count; i++) {
    bool keep = roof_mt_double(&mt) >= ratio;
    y[i] = (float)((double)x[i] * (keep ? scale : 0.0)); /* x * 0: NaN and infinities stay NaN, as in numpy */
    if (mask) mask[i] = keep;
  }
  return ROOF_OK;
}

static const int kDropoutNative[] = {ROOF_DT_FLOAT, 0};

const roof_op_schema roof_op_Dropout = {
    .id = ROOF_OP_Dropout, .op_type = "Dropout", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_ALIAS, .layout = ROOF_LR_ANY, .params_size = sizeof(dropout_params), .parse = parse_dropout,
    .infer = infer_dropout, .cost = cost_dropout, .runs = dropout_runs,
};

const roof_kernel_impl roof_kernel_Dropout_native = {
    .op = ROOF_OP_Dropout, .backend = ROOF_BACKEND_NATIVE, .dtypes = kDropoutNative, .supports = supports_native,
    .run = run_native,
};
ROOF_REF_KERNEL(Dropout, NULL, ref_dropout);
