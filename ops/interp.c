/* Resize (opsets 10+): nearest and (multi)linear with the ONNX coordinate transforms, as a
 * reference kernel over strided views; 2-D resizes of NHWC tensors run on XNNPACK (bilinear,
 * where its coordinate modes match) or on the native kernel (nearest and linear, any mode). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "xnn_backend.h"

enum { CT_HALF_PIXEL, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS, CT_ASYMMETRIC, CT_TF_HALF_PIXEL_NN };
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };

typedef struct resize_params {
  int linear;
  int coord, nearest;
  float scale[ROOF_MAX_RANK];
  bool from_scales; /* scales given: align_corners divides by in * scale - 1, not out - 1 */
  bool cubic;       /* mode cubic (reference kernel only): 4 taps per axis */
  float cubic_a;    /* cubic_coeff_a */
  bool exclude_outside; /* cubic: taps outside the input get weight 0, the rest renormalised */
  float attr_scale[ROOF_MAX_RANK]; /* Upsample opsets 7, 8: the 'scales' attribute */
  size_t num_attr_scale;
} resize_params;

static int pick(const char* s, const char* const* names, int n) {
  for (int i = 0; i < n; i++) {
    if (strcmp(s, names[i]) == 0) return i;
  }
  return -1;
}

static roof_status parse_resize(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  static const char* const kModes[] = {"nearest", "linear", "cubic"};
  static const char* const kCoords[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"};
  static const char* const kNearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  resize_params* p = params;
  const char *mode, *coord, *nearest, *policy;
  int64_t antialias = 0;
  roof_status st = roof_attr_get_string(g, n, "mode", "nearest", &mode, err);
  if (st == ROOF_OK) st = roof_attr_get_string(g, n, "coordinate_transformation_mode", g->opset < 11 ? "asymmetric" : "half_pixel", &coord, err);
  if (st == ROOF_OK) st = roof_attr_get_string(g, n, "nearest_mode", g->opset < 11 ? "floor" : "round_prefer_floor", &nearest, err);
  if (st == ROOF_OK) st = roof_attr_get_string(g, n, "keep_aspect_ratio_policy", "stretch", &policy, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "antialias", 0, &antialias, err);
  if (st != ROOF_OK) return st;
  int64_t exclude = 0;
  float cubic_a = -0.75f;
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "exclude_outside", 0, &exclude, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "cubic_coeff_a", -0.75f, &cubic_a, err);
  if (st != ROOF_OK) return st;
  int m = pick(mode, kModes, 3), c = pick(coord, kCoords, 5), nm = pick(nearest, kNearest, 4);
  if (m < 0 || c < 0 || nm < 0 || strcmp(policy, "stretch") != 0 || antialias) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "mode '%.20s' / coordinate_transformation_mode '%.24s' / nearest_mode '%.20s' / "
                          "antialias / aspect policy combination is not supported", mode, coord, nearest);
  }
  p->linear = m == 1;
  p->cubic = m == 2;
  p->cubic_a = cubic_a;
  p->exclude_outside = exclude != 0;
  p->coord = c;
  p->nearest = nm;
  return ROOF_OK;
}

static roof_status resize_output(roof_graph* g, roof_node* n, const float* scales, size_t ns, const int64_t* sizes, size_t nz,
                                 roof_error* err);

static roof_status infer_resize(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st != ROOF_OK) return st;
  int scales_in = g->opset < 11 ? 1 : 2, sizes_in = 3;
  float scales[ROOF_MAX_RANK];
  int64_t sizes[ROOF_MAX_RANK];
  size_t ns = 0, nz = 0;
  const roof_value* sv = roof_in(g, n, scales_in);
  uint64_t scount = 0;
  if (sv && roof_value_count(sv, &scount) && scount > 0) {
    if ((st = roof_const_floats(g, n, scales_in, scales, ROOF_MAX_RANK, &ns, err)) != ROOF_OK) return st;
  }
  if (g->opset >= 11 && roof_in(g, n, sizes_in)) {
    if ((st = roof_const_ints(g, n, sizes_in, sizes, ROOF_MAX_RANK, &nz, err)) != ROOF_OK) return st;
  }
  return resize_output(g, n, scales, ns, sizes, nz, err);
}

/* Output dims and per-axis scales from the scales (ns values) or the sizes (nz values). */
static roof_status resize_output(roof_graph* g, roof_node* n, const float* scales, size_t ns, const int64_t* sizes, size_t nz,
                                 roof_error* err) {
  resize_params* p = n->params;
  const roof_value* x = roof_in(g, n, 0);
  int r = x->rank;
  int64_t dims[ROOF_MAX_RANK];
  if ((ns == 0) == (nz == 0) || (ns && ns != (size_t)r) || (nz && nz != (size_t)r)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "exactly one of scales or sizes must give %d values", r);
  }
  for (int d = 0; d < r; d++) {
    if (ns) {
      if (!(scales[d] > 0.0f) || scales[d] > 1e6f) return roof_node_fail(err, ROOF_E_DATA, g, n, "scale %g on axis %d must be positive", scales[d], d);
      dims[d] = (int64_t)floor((double)x->dims[d] * scales[d]);
      p->scale[d] = scales[d];
      p->from_scales = true;
    } else {
      if (sizes[d] < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "size %lld on axis %d is negative", (long long)sizes[d], d);
      dims[d] = sizes[d];
      p->scale[d] = x->dims[d] ? (float)sizes[d] / (float)x->dims[d] : 1.0f;
    }
  }
  roof_value_set_shape(roof_out(g, n, 0), roof_in(g, n, 0)->dtype, r, dims);
  return ROOF_OK;
}

/* Upsample (opsets 7 to 9, Resize's predecessor): Resize at opset 10 semantics (asymmetric
 * coordinates, nearest rounds down), scales from the attribute (7, 8) or input 1 (9). The same
 * params, so Resize's kernels run it unchanged. */
static roof_status parse_upsample(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  resize_params* p = params;
  const char* mode;
  roof_status st = roof_attr_get_string(g, n, "mode", "nearest", &mode, err);
  if (st != ROOF_OK) return st;
  if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "mode '%.20s' is not supported (nearest or linear)", mode);
  }
  p->linear = mode[0] == 'l';
  p->coord = CT_ASYMMETRIC;
  p->nearest = NM_FLOOR;
  if (g->opset >= 9) return ROOF_OK;
  const float* sc;
  size_t cnt = 0;
  if ((st = roof_attr_get_floats(g, n, "scales", &sc, &cnt, err)) != ROOF_OK) return st;
  if (sc == NULL || cnt > ROOF_MAX_RANK) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'scales' (1 to %d values) is required", ROOF_MAX_RANK);
  memcpy(p->attr_scale, sc, cnt * sizeof(float));
  p->num_attr_scale = cnt;
  return ROOF_OK;
}

static roof_status infer_upsample(roof_graph* g, roof_node* n, roof_error* err) {
  resize_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st != ROOF_OK) return st;
  float scales[ROOF_MAX_RANK];
  size_t ns = p->num_attr_scale;
  memcpy(scales, p->attr_scale, sizeof(scales));
  if (g->opset >= 9 && (st = roof_const_floats(g, n, 1, scales, ROOF_MAX_RANK, &ns, err)) != ROOF_OK) return st;
  if (ns == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "scales are empty");
  return resize_output(g, n, scales, ns, NULL, 0, err);
}

/* flops: one per output element (nearest), 2^k multiply-adds for k interpolated axes */
static void cost_resize(const roof_graph* g, const roof_node* n, roof_cost* c) {
  roof_cost_eltwise(g, n, c);
  const resize_params* p = n->params;
  if (p->linear) c->flops *= 4;
  if (p->cubic) c->flops *= 16;
  c->formula = "resize";
}

static double to_input(const resize_params* p, int d, int64_t x, int64_t in_len, int64_t out_len) {
  double s = p->scale[d];
  switch (p->coord) {
    case CT_HALF_PIXEL: return ((double)x + 0.5) / s - 0.5;
    case CT_PYTORCH_HALF_PIXEL: return out_len > 1 ? ((double)x + 0.5) / s - 0.5 : 0.0;
    case CT_ALIGN_CORNERS: {
      /* the resized length before flooring: in * scale when scales were given */
      double len = p->from_scales ? (double)in_len * s : (double)out_len;
      return len == 1.0 ? 0.0 : (double)x * (double)(in_len - 1) / (len - 1.0);
    }
    case CT_TF_HALF_PIXEL_NN: return ((double)x + 0.5) / s;
    default: return (double)x / s;
  }
}

static int64_t nearest_index(const resize_params* p, double v, int64_t len) {
  double f = floor(v);
  int64_t i;
  switch (p->nearest) {
    case NM_FLOOR: i = (int64_t)f; break;
    case NM_CEIL: i = (int64_t)ceil(v); break;
    case NM_ROUND_PREFER_CEIL: i = (int64_t)(v - f >= 0.5 ? f + 1 : f); break;
    default: i = (int64_t)(v - f > 0.5 ? f + 1 : f); break;
  }
  return i < 0 ? 0 : (i >= len ? len - 1 : i);
}

/* Source indices and weights of one output coordinate on axis d: 1 tap (nearest), 2 (linear,
 * the coordinate clamped to the input) or 4 (cubic: floor - 1 .. floor + 2 with the Keys
 * kernel of parameter A, indices clamped to the edge, or with exclude_outside weight 0 and the
 * others renormalised). Returns the tap count. */
static int ref_taps(const resize_params* p, int d, int64_t o, int64_t in_len, int64_t out_len, int64_t* idx, double* w) {
  double v = to_input(p, d, o, in_len, out_len);
  if (!p->linear && !p->cubic) {
    idx[0] = nearest_index(p, v, in_len);
    w[0] = 1.0;
    return 1;
  }
  if (p->linear) {
    if (v < 0) v = 0;
    if (v > (double)(in_len - 1)) v = (double)(in_len - 1);
    idx[0] = (int64_t)floor(v);
    idx[1] = idx[0] + 1 < in_len ? idx[0] + 1 : idx[0];
    w[1] = v - (double)idx[0];
    w[0] = 1.0 - w[1];
    return 2;
  }
  const double A = p->cubic_a, f = floor(v), t = v - f;
  const double dist[4] = {t + 1.0, t, 1.0 - t, 2.0 - t};
  double sum = 0.0;
  for (int i = 0; i < 4; i++) {
    double x = dist[i];
    w[i] = x <= 1.0 ? ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0 : ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    int64_t j = (int64_t)f - 1 + i;
    if (p->exclude_outside && (j < 0 || j >= in_len)) w[i] = 0.0;
    idx[i] = j < 0 ? 0 : (j >= in_len ? in_len - 1 : j);
    sum += w[i];
  }
  if (p->exclude_outside && sum != 0.0) {
    for (int i = 0; i < 4; i++) w[i] /= sum;
  }
  return 4;
}

static roof_status ref_resize(roof_kernel* k, roof_error* err) {
  const resize_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int r = x->rank;
  if (roof_tensor_count(y) == 0 || roof_tensor_count(x) == 0) return ROOF_OK;
  int64_t yi[ROOF_MAX_RANK] = {0};
  do {
    int64_t idx[ROOF_MAX_RANK][4];
    double w[ROOF_MAX_RANK][4];
    int taps[ROOF_MAX_RANK], combos = 1;
    for (int d = 0; d < r; d++) {
      taps[d] = ref_taps(p, d, yi[d], x->dims[d], y->dims[d], idx[d], w[d]);
      combos *= taps[d];
    }
    double acc = 0.0;
    for (int c = 0; c < combos; c++) { /* every combination of one tap per axis */
      double weight = 1.0;
      int64_t xi[ROOF_MAX_RANK];
      int rest = c;
      for (int d = 0; d < r; d++) {
        int j = rest % taps[d];
        rest /= taps[d];
        weight *= w[d][j];
        xi[d] = idx[d][j];
      }
      if (weight != 0.0) acc += weight * ((const float*)x->data)[roof_offset(x, xi)];
    }
    ((float*)y->data)[roof_offset(y, yi)] = (float)acc;
  } while (roof_index_next(yi, y->dims, r));
  return ROOF_OK;
}

/* XNNPACK bilinear: NHWC, N and C unscaled; half_pixel/pytorch_half_pixel (same when the
 * output is larger than one pixel), align_corners, asymmetric (TensorFlow legacy mode). */
static roof_status create_resize(roof_kernel* k, roof_error* err) {
  const resize_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if (!p->linear) return roof_kernel_refuse(err, p->cubic ? "XNNPACK has no Resize mode cubic" : "XNNPACK has no Resize mode nearest");
  if (x->rank != 4 || !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y)) return roof_kernel_refuse(err, "not a 2-D NHWC resize");
  if (x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1]) return roof_kernel_refuse(err, "N or C resized");
  if (y->dims[2] < 2 || y->dims[3] < 2) return roof_kernel_refuse(err, "output smaller than 2x2");
  uint32_t flags;
  if (p->coord == CT_ALIGN_CORNERS) flags = XNN_FLAG_ALIGN_CORNERS;
  else if (p->coord == CT_ASYMMETRIC) flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  else if (p->coord == CT_HALF_PIXEL || p->coord == CT_PYTORCH_HALF_PIXEL) flags = 0;
  else return roof_kernel_refuse(err, "coordinate transform not in XNNPACK");
  /* XNNPACK derives the scale from the sizes; ONNX may give a scale that floors differently
   * (align_corners too: its denominator is then in * scale - 1, not out - 1) */
  for (int d = 2; d < 4; d++) {
    if (fabs((double)p->scale[d] - (double)y->dims[d] / (double)x->dims[d]) > 1e-6) {
      return roof_kernel_refuse(err, "scale differs from the size ratio");
    }
  }
  size_t c = (size_t)x->dims[1];
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_resize_bilinear2d_nhwc_f32(c, c, c, flags, &op);
  return roof_xnn_created(s, op, k, "create resize", err);
}

static roof_status setup_resize(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  enum xnn_status s = xnn_setup_resize_bilinear2d_nhwc_f32(roof_xop(k), (size_t)x->dims[0], (size_t)x->dims[2], (size_t)x->dims[3],
                                                           (size_t)y->dims[2], (size_t)y->dims[3], x->data, y->data, k->pool);
  return roof_xnn_check(s, k, "setup resize", err);
}

/* ---- native: 2-D resizes of NHWC tensors (N and C kept), nearest and linear, every
 * coordinate transform. Per output row and column the source rows/columns and weights are
 * computed once at create (the reference's own index math); a run walks output rows in
 * parallel, each pixel a copy of C channels (nearest) or a 4-tap blend of them (linear). ---- */

typedef struct resize_tap {
  int64_t lo, hi; /* source row or column */
  float w;        /* weight of hi (linear) */
} resize_tap;

typedef struct resize_state {
  int64_t ih, iw, oh, ow, c;
  bool linear;
  resize_tap* rows; /* [oh] */
  resize_tap* cols; /* [ow] */
  const float* x;   /* [N, IH, IW, C] */
  float* y;         /* [N, OH, OW, C] */
} resize_state;

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  const resize_params* p = k->params;
  const char* no = p->cubic ? "mode cubic runs on the reference kernel"
                   : x->rank != 4 || !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "not a 2-D NHWC resize"
                   : x->dims[0] != y->dims[0] || x->dims[1] != y->dims[1]                 ? "N or C resized"
                                                                                       : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* Taps of one spatial axis d (2: rows, 3: columns), as ref_resize computes them. */
static void axis_taps(const resize_params* p, int d, int64_t in_len, int64_t out_len, resize_tap* t) {
  for (int64_t o = 0; o < out_len; o++) {
    double v = to_input(p, d, o, in_len, out_len);
    if (!p->linear) {
      t[o] = (resize_tap){nearest_index(p, v, in_len), 0, 0.0f};
      t[o].hi = t[o].lo;
      continue;
    }
    if (v < 0) v = 0;
    if (v > (double)(in_len - 1)) v = (double)(in_len - 1);
    int64_t lo = (int64_t)floor(v);
    t[o] = (resize_tap){lo, lo + 1 < in_len ? lo + 1 : lo, (float)(v - (double)lo)};
  }
}

/* True when axis d of length len maps every index to itself at scale 1 (as ref_resize maps it). */
static bool axis_identity(const resize_params* p, int d, int64_t len) {
  for (int64_t o = 0; o < len; o++) {
    double v = to_input(p, d, o, len, len);
    if (p->linear) {
      if (v < 0) v = 0;
      if (v > (double)(len - 1)) v = (double)(len - 1);
      if (v != (double)o) return false;
    } else if (nearest_index(p, v, len) != o) {
      return false;
    }
  }
  return true;
}

static void destroy_native(roof_kernel* k) {
  resize_state* s = k->state;
  if (s) {
    free(s->rows);
    free(s->cols);
  }
  free(s);
  k->state = NULL;
}

static roof_status create_native(roof_kernel* k, roof_error* err) {
  const resize_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  resize_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  *s = (resize_state){.ih = x->dims[2], .iw = x->dims[3], .oh = y->dims[2], .ow = y->dims[3], .c = x->dims[1],
                      .linear = p->linear};
  s->rows = malloc(sizeof(resize_tap) * (size_t)(s->oh ? s->oh : 1));
  s->cols = malloc(sizeof(resize_tap) * (size_t)(s->ow ? s->ow : 1));
  if (!s->rows || !s->cols) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory for resize taps");
  axis_taps(p, 2, s->ih, s->oh, s->rows);
  axis_taps(p, 3, s->iw, s->ow, s->cols);
  /* The transform applies to N and C too; some (tf_half_pixel_for_nn with ceil) move them even
   * at scale 1, which this kernel does not: those stay with the reference. */
  for (int d = 0; d < 2; d++) {
    if (!axis_identity(p, d, x->dims[d])) return roof_kernel_refuse(err, "the coordinate transform moves axis %d at scale 1", d);
  }
  return ROOF_OK;
}

static roof_status setup_native(roof_kernel* k, roof_error* err) {
  resize_state* s = k->state;
  s->x = k->in[0].data;
  s->y = k->out[0].data;
  return ROOF_OK;
}

/* One output row r of image b: row index = b * OH + r. */
static void resize_row(void* ctx, size_t row) {
  const resize_state* s = ctx;
  int64_t b = (int64_t)row / s->oh, r = (int64_t)row % s->oh, c = s->c;
  const resize_tap* rt = &s->rows[r];
  const float* top = s->x + (b * s->ih + rt->lo) * s->iw * c;
  const float* bot = s->x + (b * s->ih + rt->hi) * s->iw * c;
  float* y = s->y + (int64_t)row * s->ow * c;
  for (int64_t q = 0; q < s->ow; q++, y += c) {
    const resize_tap* ct = &s->cols[q];
    if (!s->linear) {
      memcpy(y, top + ct->lo * c, sizeof(float) * (size_t)c);
      continue;
    }
    const float *a = top + ct->lo * c, *bb = top + ct->hi * c, *cc = bot + ct->lo * c, *d = bot + ct->hi * c;
    const float wx = ct->w, wy = rt->w;
    for (int64_t i = 0; i < c; i++) {
      float t0 = a[i] + wx * (bb[i] - a[i]), t1 = cc[i] + wx * (d[i] - cc[i]);
      y[i] = t0 + wy * (t1 - t0);
    }
  }
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  resize_state* s = k->state;
  size_t rows = (size_t)(k->out[0].dims[0] * s->oh);
  pthreadpool_parallelize_1d(k->pool, resize_row, s, rows, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

const roof_kernel_impl roof_kernel_Resize_native = {
    .op = ROOF_OP_Resize, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,
};

const roof_op_schema roof_op_Resize = {
    .id = ROOF_OP_Resize, .op_type = "Resize", .domain = "", .since_version = 10, .until_version = 1000,
    .layout = ROOF_LR_NHWC, .params_size = sizeof(resize_params), .parse = parse_resize, .infer = infer_resize,
    .cost = cost_resize, .value_inputs = ROOF_IN(1) | ROOF_IN(2) | ROOF_IN(3),
};
ROOF_XNN_KERNEL(Resize, NULL, create_resize, setup_resize, roof_xnn_destroy);
ROOF_REF_KERNEL(Resize, roof_dtypes_f32, ref_resize);

const roof_op_schema roof_op_Upsample = {
    .id = ROOF_OP_Upsample, .op_type = "Upsample", .domain = "", .since_version = 7, .until_version = 9,
    .layout = ROOF_LR_NHWC, .params_size = sizeof(resize_params), .parse = parse_upsample, .infer = infer_upsample,
    .cost = cost_resize, .value_inputs = ROOF_IN(1),
};
ROOF_XNN_KERNEL(Upsample, NULL, create_resize, setup_resize, roof_xnn_destroy);
const roof_kernel_impl roof_kernel_Upsample_native = {
    .op = ROOF_OP_Upsample, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,
};
ROOF_REF_KERNEL(Upsample, roof_dtypes_f32, ref_resize);
