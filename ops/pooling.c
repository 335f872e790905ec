/* MaxPool, AveragePool, GlobalAveragePool: XNNPACK for 2-D NHWC float32 (MaxPool also int8 and
 * uint8, as quantized models pool), reference for any case (and MaxPool's Indices output).
 * GlobalMaxPool: a native kernel (this XNNPACK has no global max pooling), reference. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "xnn_backend.h"
#include "fused_act.h"

typedef struct pool_params {
  roof_act act; /* first: see fused_act.h */
  roof_spatial sp;
  int is_max;
  int64_t storage_order; /* MaxPool Indices: 0 row-major, 1 column-major (spatial dims) */
} pool_params;

static const int kMaxPoolTypes[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_BFLOAT16, ROOF_DT_DOUBLE, ROOF_DT_INT8,
                                    ROOF_DT_UINT8, 0};
static const int kMaxPoolRef[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, ROOF_DT_INT8, ROOF_DT_UINT8, 0};

static roof_status parse_pool(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  pool_params* p = params;
  roof_act_init(&p->act);
  p->is_max = n->op->id == ROOF_OP_MaxPool;
  const roof_attr* ks = roof_node_attr(n, "kernel_shape");
  if (ks == NULL || ks->type != ROOF_ATTR_INTS || ks->n < 1 || ks->n > 3) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'kernel_shape' must list 1 to 3 sizes");
  }
  roof_status st = roof_spatial_parse(g, n, (int)ks->n, &p->sp, err);
  if (st != ROOF_OK) return st;
  st = roof_attr_get_int(g, n, "storage_order", 0, &p->storage_order, err);
  if (st == ROOF_OK && p->storage_order != 0 && p->storage_order != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "storage_order %lld is not 0 or 1", (long long)p->storage_order);
  }
  /* A pad as wide as the window makes a window of padding only: no element to take the max or
   * mean of (the reference gave -inf, XNNPACK its edge pixel). ONNX Runtime refuses it too. */
  for (int i = 0; i < 2 * p->sp.nsp && p->sp.auto_pad == ROOF_AUTOPAD_NOTSET; i++) {
    const int d = i % p->sp.nsp;
    const int64_t extent = (p->sp.kernel[d] - 1) * p->sp.dilations[d] + 1;
    if (p->sp.pads[i] >= extent) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "pads[%d] = %lld must be smaller than the window's extent %lld on spatial axis %d",
                            i, (long long)p->sp.pads[i], (long long)extent, d);
    }
  }
  if (!p->is_max) {
    for (int i = 0; i < p->sp.nsp; i++) {
      if (p->sp.dilations[i] != 1) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "dilated AveragePool is not supported");
    }
  }
  return st;
}

static roof_status infer_pool(roof_graph* g, roof_node* n, roof_error* err) {
  pool_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, p->is_max ? kMaxPoolTypes : roof_float_types, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank != p->sp.nsp + 2) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "input rank %d does not match %d kernel dims", x->rank, p->sp.nsp);
  }
  int64_t dims[ROOF_MAX_RANK] = {x->dims[0], x->dims[1]};
  st = roof_spatial_infer(g, n, &p->sp, x->dims + 2, dims + 2, err);
  if (st == ROOF_OK) roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  roof_value* indices = p->is_max ? roof_out(g, n, 1) : NULL; /* MaxPool's optional output 1 */
  if (st == ROOF_OK && indices) roof_value_set_shape(indices, ROOF_DT_INT64, x->rank, dims);
  return st;
}

static roof_status infer_gap(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank < 3) return roof_node_fail(err, ROOF_E_DATA, g, n, "input rank %d must be >= 3", x->rank);
  int64_t dims[ROOF_MAX_RANK];
  for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return ROOF_OK;
}

/* flops = window size per output element (compares for max, adds for average) */
static void cost_pool(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const pool_params* p = n->params;
  uint64_t out = 0, window = 1;
  roof_value_count(roof_out(g, n, 0), &out);
  for (int i = 0; i < p->sp.nsp; i++) window *= (uint64_t)p->sp.kernel[i];
  c->flops = out * window;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "pool";
  c->has_model = true;
}

/* flops = one add per input element */
static void cost_gap(const roof_graph* g, const roof_node* n, roof_cost* c) {
  uint64_t in = 0;
  roof_value_count(roof_in(g, n, 0), &in);
  c->flops = in;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "gap";
  c->has_model = true;
}

static int describe_pool(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const pool_params* p = n->params;
  if (p->sp.nsp != 2) return snprintf(buf, size, "%dd", p->sp.nsp);
  return snprintf(buf, size, "k%lldx%lld s%lld p%lld%s", (long long)p->sp.kernel[0], (long long)p->sp.kernel[1],
                  (long long)p->sp.strides[0], (long long)p->sp.pads[0], p->sp.ceil_mode ? " ceil" : "");
}

/* The Indices value of input element xi: its flat index in [N, C, spatial...], the spatial dims
 * row-major (storage_order 0) or column-major (1). */
static int64_t pool_index(const roof_tensor* x, const int64_t* xi, int nsp, int64_t storage_order) {
  int64_t idx = xi[0] * x->dims[1] + xi[1];
  for (int i = 0; i < nsp; i++) {
    int d = storage_order ? nsp - 1 - i : i; /* column-major: the last spatial dim varies slowest */
    idx = idx * x->dims[d + 2] + xi[d + 2];
  }
  return idx;
}

static roof_status ref_pool(roof_kernel* k, roof_error* err) {
  const pool_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  roof_tensor* ind = p->is_max && k->num_out > 1 && k->out[1].data ? &k->out[1] : NULL;
  bool is_float = x->dtype == ROOF_DT_FLOAT || x->dtype == ROOF_DT_DOUBLE;
  int nsp = p->sp.nsp;
  int64_t yi[ROOF_MAX_RANK] = {0};
  do {
    double acc = p->is_max ? -INFINITY : 0.0;
    int64_t best = -1; /* Indices: the first maximum */
    int64_t count = 0, ki[3] = {0}, kd[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) kd[i] = p->sp.kernel[i];
    do {
      int64_t xi[ROOF_MAX_RANK] = {yi[0], yi[1]};
      bool inside = true, in_padded = true;
      for (int i = 0; i < nsp; i++) {
        xi[i + 2] = yi[i + 2] * p->sp.strides[i] - p->sp.pads[i] + ki[i] * p->sp.dilations[i];
        inside = inside && xi[i + 2] >= 0 && xi[i + 2] < x->dims[i + 2];
        /* count_include_pad counts explicit padding, never the ceil-mode overhang */
        in_padded = in_padded && xi[i + 2] < x->dims[i + 2] + p->sp.pads[i + nsp];
      }
      if (inside) {
        double v = roof_load_f64(x->dtype, x->data, roof_offset(x, xi));
        if (p->is_max) {
          if (ind && (v > acc || best < 0)) best = pool_index(x, xi, nsp, p->storage_order);
          acc = v > acc ? v : acc;
        } else {
          acc += v;
        }
        count++;
      } else if (!p->is_max && p->sp.count_include_pad && in_padded) {
        count++;
      }
    } while (roof_index_next(ki, kd, nsp));
    double out = p->is_max ? acc : (count ? acc / (double)count : 0.0);
    if (is_float) out = roof_act_apply(&p->act, (float)out); /* a clamp is only fused into float pools */
    roof_store_f64(y->dtype, y->data, roof_offset(y, yi), out);
    if (ind) ((int64_t*)ind->data)[roof_offset(ind, yi)] = best;
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* GlobalAveragePool and GlobalMaxPool (the max of an empty extent is -inf) */
static roof_status ref_gap(roof_kernel* k, roof_error* err) {
  bool is_max = k->node->op->id == ROOF_OP_GlobalMaxPool;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t sp_dims[ROOF_MAX_RANK];
  int nsp = x->rank - 2;
  uint64_t area = 1;
  for (int i = 0; i < nsp; i++) {
    sp_dims[i] = x->dims[i + 2];
    area *= (uint64_t)sp_dims[i];
  }
  for (int64_t n = 0; n < x->dims[0]; n++) {
    for (int64_t c = 0; c < x->dims[1]; c++) {
      double acc = is_max ? -INFINITY : 0.0;
      int64_t si[ROOF_MAX_RANK] = {0};
      /* an empty spatial extent averages nothing: 0 / 0, NaN, as ReduceMean over an empty axis */
      if (area > 0) {
        do {
          int64_t xi[ROOF_MAX_RANK] = {n, c};
          for (int i = 0; i < nsp; i++) xi[i + 2] = si[i];
          double v = ((const float*)x->data)[roof_offset(x, xi)];
          acc = !is_max ? acc + v : (v > acc || isnan(v)) && !isnan(acc) ? v : acc;
        } while (roof_index_next(si, sp_dims, nsp));
      }
      int64_t yi[ROOF_MAX_RANK] = {n, c};
      ((float*)y->data)[roof_offset(y, yi)] = (float)(is_max ? acc : acc / (double)area);
    }
  }
  return ROOF_OK;
}

/* The XNNPACK geometry of a 2-D pool: explicit pads, with ceil mode's overhang added to the
 * bottom/right padding so XNNPACK produces the extra row/column. */
typedef struct xnn_pool_geo {
  uint32_t top, right, bottom, left;
  bool padded;
} xnn_pool_geo;

/* Checks shared by the float and 8-bit XNNPACK pools (refusals name the reason). */
static roof_status xnn_pool_geometry(roof_kernel* k, xnn_pool_geo* geo, roof_error* err) {
  const pool_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if (p->sp.nsp != 2) return roof_kernel_refuse(err, "XNNPACK pools 2-D only");
  if (roof_out(k->g, k->node, 1) != NULL) return roof_kernel_refuse(err, "the Indices output");
  if (p->sp.kernel[0] * p->sp.kernel[1] == 1) return roof_kernel_refuse(err, "XNNPACK takes no 1x1 pooling");
  if (!roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y)) return roof_kernel_refuse(err, "input or output not NHWC");
  if (!roof_xnn_indirection_ok(k, y->dims[0], y->dims[2], y->dims[3], p->sp.kernel[0], p->sp.kernel[1])) {
    return roof_kernel_refuse(err, "indirection buffer over the tensor size limit");
  }
  *geo = (xnn_pool_geo){(uint32_t)p->sp.pads[0], (uint32_t)p->sp.pads[3], (uint32_t)p->sp.pads[2], (uint32_t)p->sp.pads[1], false};
  int64_t need_h = (y->dims[2] - 1) * p->sp.strides[0] + (p->sp.kernel[0] - 1) * p->sp.dilations[0] + 1;
  int64_t need_w = (y->dims[3] - 1) * p->sp.strides[1] + (p->sp.kernel[1] - 1) * p->sp.dilations[1] + 1;
  int64_t have_h = x->dims[2] + geo->top + geo->bottom, have_w = x->dims[3] + geo->left + geo->right;
  if (need_h > have_h) geo->bottom += (uint32_t)(need_h - have_h);
  if (need_w > have_w) geo->right += (uint32_t)(need_w - have_w);
  geo->padded = geo->top || geo->right || geo->bottom || geo->left;
  /* XNNPACK's max pooling reads a padded tap as the nearest edge pixel: with dilation that pixel
   * may lie between the window's taps (a wrong maximum), so dilated windows must stay inside */
  if (geo->padded && (p->sp.dilations[0] > 1 || p->sp.dilations[1] > 1)) {
    return roof_kernel_refuse(err, "dilation with padding");
  }
  return ROOF_OK;
}

/* XNNPACK average pooling divides by the number of non-padding elements, so it matches ONNX
 * only with count_include_pad = 0 or no padding; ceil mode overhang behaves the same way. */
static roof_status create_pool(roof_kernel* k, roof_error* err) {
  const pool_params* p = k->params;
  xnn_pool_geo geo = {0};
  roof_status st = xnn_pool_geometry(k, &geo, err);
  if (st != ROOF_OK) return st;
  if (!roof_act_xnn_ok(&p->act)) return roof_kernel_refuse(err, "empty fused clamp range");
  xnn_operator_t op = NULL;
  enum xnn_status s;
  size_t c = (size_t)k->in[0].dims[1];
  if (p->is_max) {
    s = xnn_create_max_pooling2d_nhwc_f32(geo.top, geo.right, geo.bottom, geo.left, (uint32_t)p->sp.kernel[0],
                                          (uint32_t)p->sp.kernel[1], (uint32_t)p->sp.strides[0], (uint32_t)p->sp.strides[1],
                                          (uint32_t)p->sp.dilations[0], (uint32_t)p->sp.dilations[1], c, c, c, p->act.min,
                                          p->act.max, 0, &op);
  } else {
    if (p->sp.count_include_pad && geo.padded) return roof_kernel_refuse(err, "count_include_pad with padding");
    s = xnn_create_average_pooling2d_nhwc_f32(geo.top, geo.right, geo.bottom, geo.left, (uint32_t)p->sp.kernel[0],
                                              (uint32_t)p->sp.kernel[1], (uint32_t)p->sp.strides[0],
                                              (uint32_t)p->sp.strides[1], c, c, c, p->act.min, p->act.max, 0, &op);
  }
  return roof_xnn_created(s, op, k, "create pooling", err);
}

static roof_status setup_pool(roof_kernel* k, roof_error* err) {
  const pool_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  enum xnn_status s =
      p->is_max ? xnn_setup_max_pooling2d_nhwc_f32(roof_xop(k), (size_t)x->dims[0], (size_t)x->dims[2], (size_t)x->dims[3],
                                                   x->data, k->out[0].data, k->pool)
                : xnn_setup_average_pooling2d_nhwc_f32(roof_xop(k), (size_t)x->dims[0], (size_t)x->dims[2],
                                                       (size_t)x->dims[3], x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup pooling", err);
}

static roof_status create_gap(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if (x->rank != 4 || !roof_tensor_is_nhwc(x) || !(roof_tensor_is_nhwc(y) || roof_tensor_is_plain(y))) {
    return roof_kernel_refuse(err, "input not a rank-4 NHWC tensor");
  }
  size_t c = (size_t)x->dims[1];
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &op);
  return roof_xnn_created(s, op, k, "create global average pooling", err);
}

static roof_status setup_gap(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  enum xnn_status s = xnn_setup_global_average_pooling_nwc_f32(roof_xop(k), (size_t)x->dims[0],
                                                               (size_t)(x->dims[2] * x->dims[3]), x->data, k->out[0].data,
                                                               k->pool);
  return roof_xnn_check(s, k, "setup global average pooling", err);
}

#define POOL_OP(SYM, FLAGS, PSIZE, PARSE, INFER, COST, DESCRIBE, CREATE, SETUP, REF, REF_TYPES)                         \
  const roof_op_schema roof_op_##SYM = {                                                                      \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 1, .until_version = 1000,         \
      .flags = FLAGS, .layout = ROOF_LR_NHWC, .params_size = PSIZE, .parse = PARSE, .infer = INFER,         \
      .cost = COST, .describe = DESCRIBE,                                                                     \
  };                                                                                                          \
  ROOF_XNN_KERNEL(SYM, NULL, CREATE, SETUP, roof_xnn_destroy);                                              \
  ROOF_REF_KERNEL(SYM, REF_TYPES, REF)

POOL_OP(MaxPool, ROOF_OPF_FUSED_ACT, sizeof(pool_params), parse_pool, infer_pool, cost_pool, describe_pool, create_pool,
        setup_pool, ref_pool, kMaxPoolRef);
POOL_OP(AveragePool, ROOF_OPF_FUSED_ACT, sizeof(pool_params), parse_pool, infer_pool, cost_pool, describe_pool,
        create_pool, setup_pool, ref_pool, roof_dtypes_f32);
POOL_OP(GlobalAveragePool, 0, 0, NULL, infer_gap, cost_gap, NULL, create_gap, setup_gap, ref_gap, roof_dtypes_f32);

/* ---- MaxPool over int8 / uint8 (opset 12 on; the qdq pass makes them from DQ -> MaxPool -> Q
 * with one scale and zero point): XNNPACK's s8 / u8 max pooling, NHWC in the arena. The max of
 * quantized values is the quantized max, so no scale is involved; the full integer range is the
 * output range (a clamp is only fused into float pools, as in the reference). ---- */

static const int kMaxPoolQ8[] = {ROOF_DT_INT8, ROOF_DT_UINT8, 0};

static roof_status create_qmaxpool(roof_kernel* k, roof_error* err) {
  const pool_params* p = k->params;
  xnn_pool_geo geo = {0};
  roof_status st = xnn_pool_geometry(k, &geo, err);
  if (st != ROOF_OK) return st;
  size_t c = (size_t)k->in[0].dims[1];
  uint32_t kh = (uint32_t)p->sp.kernel[0], kw = (uint32_t)p->sp.kernel[1], sh = (uint32_t)p->sp.strides[0],
           sw = (uint32_t)p->sp.strides[1], dh = (uint32_t)p->sp.dilations[0], dw = (uint32_t)p->sp.dilations[1];
  xnn_operator_t op = NULL;
  enum xnn_status s =
      k->in[0].dtype == ROOF_DT_INT8
          ? xnn_create_max_pooling2d_nhwc_s8(geo.top, geo.right, geo.bottom, geo.left, kh, kw, sh, sw, dh, dw, c, c, c,
                                             INT8_MIN, INT8_MAX, 0, &op)
          : xnn_create_max_pooling2d_nhwc_u8(geo.top, geo.right, geo.bottom, geo.left, kh, kw, sh, sw, dh, dw, c, c, c, 0,
                                             UINT8_MAX, 0, &op);
  return roof_xnn_created(s, op, k, "create 8-bit max pooling", err);
}

static roof_status setup_qmaxpool(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  size_t n = (size_t)x->dims[0], h = (size_t)x->dims[2], w = (size_t)x->dims[3];
  enum xnn_status s = x->dtype == ROOF_DT_INT8
                          ? xnn_setup_max_pooling2d_nhwc_s8(roof_xop(k), n, h, w, x->data, k->out[0].data, k->pool)
                          : xnn_setup_max_pooling2d_nhwc_u8(roof_xop(k), n, h, w, x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup 8-bit max pooling", err);
}

const roof_kernel_impl roof_kernel_MaxPool_xnnpack_q8 = {
    .op = ROOF_OP_MaxPool, .backend = ROOF_BACKEND_XNNPACK, .dtypes = kMaxPoolQ8, .create = create_qmaxpool,
    .setup = setup_qmaxpool, .run = roof_xnn_run, .destroy = roof_xnn_destroy, .input_padding = ROOF_XNN_PADDING};

/* ---- GlobalMaxPool: native over NHWC data (tasks: image, block of 64 channels; each pixel a
 * row of contiguous channels) or plain data (tasks: the N*C planes, 16 lanes each). NaN
 * propagates, as in the reference. ---- */

#define ROOF_GMP_COLS 64
#define ROOF_GMP_LANES 16

typedef struct gmp_task {
  const float* x;
  float* y; /* [N, C] */
  int64_t C, S; /* channels, pixels per plane */
} gmp_task;

static inline float gmp_max(float a, float b) { return a == a && (b > a || b != b) ? b : a; }

static void gmp_block(void* ctx, size_t n, size_t block) {
  const gmp_task* t = ctx;
  int64_t c0 = (int64_t)block * ROOF_GMP_COLS, w = t->C - c0 < ROOF_GMP_COLS ? t->C - c0 : ROOF_GMP_COLS;
  const float* x = t->x + (int64_t)n * t->S * t->C + c0; /* [S, C] */
  float m[ROOF_GMP_COLS];
  for (int64_t i = 0; i < w; i++) m[i] = -INFINITY;
  for (int64_t p = 0; p < t->S; p++) {
    for (int64_t i = 0; i < w; i++) m[i] = gmp_max(m[i], x[p * t->C + i]);
  }
  memcpy(t->y + (int64_t)n * t->C + c0, m, sizeof(float) * (size_t)w);
}

static void gmp_plane(void* ctx, size_t plane) {
  const gmp_task* t = ctx;
  const float* x = t->x + (int64_t)plane * t->S;
  float m[ROOF_GMP_LANES], r = -INFINITY;
  int64_t i = 0;
  for (int l = 0; l < ROOF_GMP_LANES; l++) m[l] = -INFINITY;
  for (; i + ROOF_GMP_LANES <= t->S; i += ROOF_GMP_LANES) {
    for (int l = 0; l < ROOF_GMP_LANES; l++) m[l] = gmp_max(m[l], x[i + l]);
  }
  for (int l = 0; l < ROOF_GMP_LANES; l++) r = gmp_max(r, m[l]);
  for (; i < t->S; i++) r = gmp_max(r, x[i]);
  t->y[plane] = r;
}

/* output [N, C, 1, ...]: plain and NHWC are the same bytes */
static bool supports_gmp_native(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool nhwc = x->rank == 4 && roof_tensor_is_nhwc(x);
  const char* no = !nhwc && !roof_tensor_is_plain(x) ? "strided input"
                   : !roof_tensor_is_plain(y) && !roof_tensor_is_nhwc(y) ? "strided output"
                                                                        : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status run_gmp_native(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  gmp_task t = {x->data, k->out[0].data, x->dims[1], 1};
  for (int d = 2; d < x->rank; d++) t.S *= x->dims[d];
  if (x->rank == 4 && roof_tensor_is_nhwc(x) && !roof_tensor_is_plain(x)) {
    size_t blocks = (size_t)((t.C + ROOF_GMP_COLS - 1) / ROOF_GMP_COLS);
    pthreadpool_parallelize_2d(k->pool, gmp_block, &t, (size_t)x->dims[0], blocks, ROOF_POOL_FLAGS);
  } else {
    pthreadpool_parallelize_1d(k->pool, gmp_plane, &t, (size_t)(x->dims[0] * t.C), ROOF_POOL_FLAGS);
  }
  return ROOF_OK;
}

/* flops = one compare per input element */
static void cost_gmp(const roof_graph* g, const roof_node* n, roof_cost* c) {
  cost_gap(g, n, c);
  c->formula = "global_max";
}

const roof_op_schema roof_op_GlobalMaxPool = {
    .id = ROOF_OP_GlobalMaxPool, .op_type = "GlobalMaxPool", .domain = "", .since_version = 1, .until_version = 1000,
    .layout = ROOF_LR_NHWC, .infer = infer_gap, .cost = cost_gmp,
};
const roof_kernel_impl roof_kernel_GlobalMaxPool_native = {
    .op = ROOF_OP_GlobalMaxPool, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32,
    .supports = supports_gmp_native, .run = run_gmp_native,
};
ROOF_REF_KERNEL(GlobalMaxPool, roof_dtypes_f32, ref_gap);
