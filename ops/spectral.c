/* Spectral ops of opset 17: the windows HannWindow, HammingWindow and BlackmanWindow, and the
 * transforms DFT and STFT.
 *
 * Windows read only their size (a value known at load), so they fold at load like Range.
 * DFT and STFT are direct transforms: bins x n complex multiply-adds per line (what audio
 * front ends use at frame lengths of a few hundred; an FFT would do ~5 n log2 n, which the cost
 * formula does not claim). Complex values are the last axis of 2 (re, im); a real input has a
 * last axis of 1. The native kernel multiplies each gathered line by a table of twiddles
 * [bins][n] built once at create (float, from double angles reduced mod n), threaded over lines;
 * the reference computes every angle in double. Formulas: docs/cost-model.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "vec_math.h"

enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN };

typedef struct spec_params {
  int kind;          /* windows: WIN_* */
  int64_t periodic;  /* windows */
  int64_t out_dtype; /* windows: output_datatype */
  int64_t axis;      /* DFT */
  int64_t inverse;   /* DFT */
  int64_t onesided;  /* DFT (default 0), STFT (default 1) */
} spec_params;

static const int kSpecTypes[] = {ROOF_DT_FLOAT, ROOF_DT_DOUBLE, 0};
static const int kIndexTypes[] = {ROOF_DT_INT64, ROOF_DT_INT32, 0};

/* A scalar integer input known at load (a shape-setting value): *out, or def when absent. */
static roof_status load_scalar(const roof_graph* g, const roof_node* n, int i, const char* what, int64_t def, int64_t* out,
                               roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  if (v == NULL) {
    *out = def;
    return ROOF_OK;
  }
  roof_status st = roof_require_input(g, n, i, kIndexTypes, err);
  if (st != ROOF_OK) return st;
  uint64_t c = 0;
  char b[ROOF_NAME_BUF];
  if (!roof_value_count(v, &c) || c != 1 || v->rank > 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s must be a scalar", ROOF_SAFE(v->name, b), what);
  }
  if (!roof_value_has_data(v)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "tensor '%s': %s must be known at load time (it sets the output shape)", ROOF_SAFE(v->name, b), what);
  }
  *out = roof_load_i64(v->dtype, v->data, 0);
  return ROOF_OK;
}

/* ---- windows (opset 17): w[i] over i < size, with N = size (periodic) or size - 1 ---- */

static roof_status parse_window(const roof_graph* g, const roof_node* n, spec_params* p, int kind, roof_error* err) {
  p->kind = kind;
  roof_status st = roof_attr_get_int(g, n, "periodic", 1, &p->periodic, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "output_datatype", ROOF_DT_FLOAT, &p->out_dtype, err);
  if (st != ROOF_OK) return st;
  if (p->periodic != 0 && p->periodic != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "periodic %lld must be 0 or 1", (long long)p->periodic);
  bool numeric = p->out_dtype > 0 && p->out_dtype < 32 && p->out_dtype != ROOF_DT_STRING && p->out_dtype != ROOF_DT_BOOL &&
                 roof_dtype_size((int)p->out_dtype) > 0;
  if (!numeric) return roof_node_fail(err, ROOF_E_DATA, g, n, "output_datatype %lld is not a numeric dtype", (long long)p->out_dtype);
  return ROOF_OK;
}

static roof_status parse_hann(const roof_graph* g, const roof_node* n, void* p, roof_error* err) { return parse_window(g, n, p, WIN_HANN, err); }
static roof_status parse_hamming(const roof_graph* g, const roof_node* n, void* p, roof_error* err) { return parse_window(g, n, p, WIN_HAMMING, err); }
static roof_status parse_blackman(const roof_graph* g, const roof_node* n, void* p, roof_error* err) { return parse_window(g, n, p, WIN_BLACKMAN, err); }

static roof_status infer_window(roof_graph* g, roof_node* n, roof_error* err) {
  const spec_params* p = n->params;
  int64_t size = 0;
  roof_status st = load_scalar(g, n, 0, "size", 0, &size, err);
  if (st == ROOF_OK && roof_in(g, n, 0) == NULL) st = roof_node_fail(err, ROOF_E_DATA, g, n, "input 0 (size) is required");
  if (st != ROOF_OK) return st;
  if (size < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "size %lld must be >= 0", (long long)size);
  roof_value_set_shape(roof_out(g, n, 0), (int)p->out_dtype, 1, &size);
  return ROOF_OK;
}

/* The window's value at i of a period N (N == 0, a symmetric window of one point: its value at 0). */
static double window_at(int kind, int64_t i, int64_t N) {
  const double x = N > 0 ? 2.0 * M_PI * (double)(i % N) / (double)N : 0.0;
  switch (kind) {
    case WIN_HANN: return 0.5 - 0.5 * cos(x);
    case WIN_HAMMING: return 25.0 / 46.0 - 21.0 / 46.0 * cos(x);
    default: return 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x);
  }
}

static roof_status ref_window(roof_kernel* k, roof_error* err) {
  (void)err;
  const spec_params* p = k->params;
  roof_tensor* y = &k->out[0];
  const int64_t size = y->dims[0], N = p->periodic ? size : size - 1;
  for (int64_t i = 0; i < size; i++) roof_store_f64(y->dtype, y->data, i * y->strides[0], window_at(p->kind, i, N));
  return ROOF_OK;
}

static void cost_window(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "fill";
  c->has_model = true;
}

/* ---- one transform's geometry: lines of `len` input points (complex or real), n-point DFT,
 * `bins` outputs per line ---- */

typedef struct spec_dims {
  int64_t lines, len, n, bins;
  bool complex_in;
} spec_dims;

/* DFT (opset 17): x [batch, d1.., dk, 1|2], the transform along axis in [1, rank - 2]. */
static roof_status parse_dft(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  spec_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "axis", 1, &p->axis, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "inverse", 0, &p->inverse, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "onesided", 0, &p->onesided, err);
  if (st != ROOF_OK) return st;
  if ((p->inverse != 0 && p->inverse != 1) || (p->onesided != 0 && p->onesided != 1)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "inverse %lld and onesided %lld must be 0 or 1", (long long)p->inverse,
                          (long long)p->onesided);
  }
  return ROOF_OK;
}

/* The signal axis of a DFT input of rank r: axis, negative counted from the end, within
 * [1, r - 2] (not the batch axis, not the re/im axis). */
static roof_status dft_axis(const roof_graph* g, const roof_node* n, int64_t axis, int r, int* out, roof_error* err) {
  int64_t a = axis < 0 ? axis + r : axis;
  if (a < 1 || a > r - 2) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "axis %lld is outside [1, %d] (batch first, re/im last, rank %d)",
                          (long long)axis, r - 2, r);
  }
  *out = (int)a;
  return ROOF_OK;
}

static roof_status infer_dft(roof_graph* g, roof_node* n, roof_error* err) {
  const spec_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kSpecTypes, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  char b[ROOF_NAME_BUF];
  if (x->rank < 3 || (x->dims[x->rank - 1] != 1 && x->dims[x->rank - 1] != 2)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': rank %d, DFT wants [batch, signal dims.., 1 or 2] (last: real or re/im)",
                          ROOF_SAFE(x->name, b), x->rank);
  }
  int axis = 1;
  int64_t len;
  if ((st = dft_axis(g, n, p->axis, x->rank, &axis, err)) != ROOF_OK) return st;
  if ((st = load_scalar(g, n, 1, "dft_length", x->dims[axis], &len, err)) != ROOF_OK) return st;
  if (len < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "dft_length %lld must be >= 1", (long long)len);
  if (p->onesided && (x->dims[x->rank - 1] == 2 || p->inverse)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "onesided output of a complex input or of an inverse DFT is not supported");
  }
  int64_t yd[ROOF_MAX_RANK];
  memcpy(yd, x->dims, sizeof(int64_t) * (size_t)x->rank);
  yd[axis] = p->onesided ? len / 2 + 1 : len;
  yd[x->rank - 1] = 2;
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, yd);
  return ROOF_OK;
}

/* STFT (opset 17): signal [batch, length, 1|2], frame_step, window [n], frame_length -> [batch,
 * frames, bins, 2], frames = (length - n) / step + 1. */
static roof_status parse_stft(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  spec_params* p = params;
  roof_status st = roof_attr_get_int(g, n, "onesided", 1, &p->onesided, err);
  if (st == ROOF_OK && p->onesided != 0 && p->onesided != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "onesided %lld must be 0 or 1", (long long)p->onesided);
  }
  return st;
}

/* Frame length n and step of an STFT node (window and frame_length agree). */
static roof_status stft_frame(const roof_graph* g, const roof_node* n, int64_t* len, int64_t* step, roof_error* err) {
  const roof_value* w = roof_in(g, n, 2);
  roof_status st = load_scalar(g, n, 1, "frame_step", 0, step, err);
  if (st == ROOF_OK && roof_in(g, n, 1) == NULL) st = roof_node_fail(err, ROOF_E_DATA, g, n, "input 1 (frame_step) is required");
  if (st == ROOF_OK && w != NULL) st = roof_require_same_dtype(g, n, 2, 0, err);
  if (st != ROOF_OK) return st;
  if (w != NULL && w->rank != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "window must be 1-D (rank %d)", w->rank);
  int64_t wl = w ? w->dims[0] : -1;
  if ((st = load_scalar(g, n, 3, "frame_length", wl, len, err)) != ROOF_OK) return st;
  if (*len < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "frame_length %lld must be >= 1 (give a window or frame_length)", (long long)*len);
  if (w != NULL && wl != *len) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "window of %lld points for frames of %lld", (long long)wl, (long long)*len);
  }
  if (*step < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "frame_step %lld must be >= 1", (long long)*step);
  return ROOF_OK;
}

static roof_status infer_stft(roof_graph* g, roof_node* n, roof_error* err) {
  const spec_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, kSpecTypes, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  char b[ROOF_NAME_BUF];
  if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': STFT wants a signal [batch, length, 1 or 2] (rank %d)",
                          ROOF_SAFE(x->name, b), x->rank);
  }
  int64_t len, step;
  if ((st = stft_frame(g, n, &len, &step, err)) != ROOF_OK) return st;
  if (x->dims[1] < len) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "signal of %lld samples is shorter than one frame of %lld", (long long)x->dims[1],
                          (long long)len);
  }
  if (p->onesided && x->dims[2] == 2) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "onesided output of a complex signal is not supported");
  int64_t yd[4] = {x->dims[0], (x->dims[1] - len) / step + 1, p->onesided ? len / 2 + 1 : len, 2};
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, 4, yd);
  return ROOF_OK;
}

/* Lines, points and bins of a DFT or STFT node (shapes inferred). */
static spec_dims dims_of(const roof_graph* g, const roof_node* n) {
  const spec_params* p = n->params;
  const roof_value *x = roof_in(g, n, 0), *y = roof_out(g, n, 0);
  spec_dims d = {.complex_in = x->dims[x->rank - 1] == 2};
  roof_error e;
  if (n->op->id == ROOF_OP_STFT) {
    int64_t step;
    d.lines = y->dims[0] * y->dims[1];
    if (stft_frame(g, n, &d.n, &step, &e) != ROOF_OK) d.n = 1; /* not reached: infer checked it */
    d.len = d.n;
    d.bins = y->dims[2];
    return d;
  }
  int axis = 1;
  (void)dft_axis(g, n, p->axis, x->rank, &axis, &e);
  d.len = x->dims[axis];
  d.bins = y->dims[axis];
  if (load_scalar(g, n, 1, "dft_length", d.len, &d.n, &e) != ROOF_OK) d.n = d.len;
  d.lines = 1;
  for (int a = 0; a < x->rank - 1; a++) d.lines *= a == axis ? 1 : x->dims[a];
  return d;
}

/* bins x min(len, n) complex multiply-adds per line: 4 FLOPs each for a real input (2 mul,
 * 2 add), 8 for a complex one; an STFT adds its window product (1 per real point, 2 complex). */
static void cost_spectral(const roof_graph* g, const roof_node* n, roof_cost* c) {
  spec_dims d = dims_of(g, n);
  uint64_t used = (uint64_t)(d.len < d.n ? d.len : d.n), per = d.complex_in ? 8 : 4;
  c->macs = (uint64_t)d.lines * (uint64_t)d.bins * used * (per / 2);
  c->flops = (uint64_t)d.lines * (uint64_t)d.bins * used * per;
  if (n->op->id == ROOF_OP_STFT && roof_in(g, n, 2)) c->flops += (uint64_t)d.lines * used * (d.complex_in ? 2 : 1);
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "dft";
  c->has_model = true;
}

static int describe_spectral(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const spec_params* p = n->params;
  spec_dims d = dims_of(g, n);
  return snprintf(buf, size, "%lld x n %lld, %lld bins%s%s%s", (long long)d.lines, (long long)d.n, (long long)d.bins,
                  d.complex_in ? ", complex" : ", real", p->inverse ? ", inverse" : "",
                  n->op->id == ROOF_OP_STFT && roof_in(g, n, 2) ? ", window" : "");
}

/* ---- lines: where line l's points start, their stride, and where its bins go ---- */

typedef struct spec_lines {
  spec_dims d;
  bool inverse;
  int64_t x_step, y_step; /* strides of the points and of the bins */
  int64_t x_ri, y_ri;     /* strides of the re/im axis */
  int64_t* offs;          /* [lines][2]: x and y offsets */
  bool has_w;             /* STFT with a window */
  const void* w;          /* the window (dtype of x), bound at run */
  int64_t w_step;
} spec_lines;

static roof_status plan_lines(roof_kernel* k, spec_lines* L, roof_error* err) {
  const spec_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  L->d = dims_of(k->g, k->node);
  L->inverse = p->inverse != 0;
  L->offs = malloc(sizeof(int64_t) * 2 * (size_t)(L->d.lines > 0 ? L->d.lines : 1));
  if (L->offs == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  L->x_ri = x->strides[x->rank - 1], L->y_ri = y->strides[y->rank - 1];
  if (k->node->op->id == ROOF_OP_STFT) {
    int64_t len, step;
    roof_error e;
    (void)stft_frame(k->g, k->node, &len, &step, &e);
    const bool has_w = k->num_in > 2 && k->node->inputs[2] >= 0;
    L->has_w = has_w;
    L->w = has_w ? k->in[2].data : NULL;
    L->w_step = has_w ? k->in[2].strides[0] : 0;
    L->x_step = x->strides[1], L->y_step = y->strides[2];
    for (int64_t b = 0, l = 0; b < y->dims[0]; b++) {
      for (int64_t f = 0; f < y->dims[1]; f++, l++) {
        L->offs[2 * l] = b * x->strides[0] + f * step * x->strides[1];
        L->offs[2 * l + 1] = b * y->strides[0] + f * y->strides[1];
      }
    }
    return ROOF_OK;
  }
  int axis = 1;
  roof_error e;
  (void)dft_axis(k->g, k->node, p->axis, x->rank, &axis, &e);
  L->x_step = x->strides[axis], L->y_step = y->strides[axis];
  int64_t idx[ROOF_MAX_RANK] = {0}, ld[ROOF_MAX_RANK];
  memcpy(ld, x->dims, sizeof(int64_t) * (size_t)x->rank);
  ld[axis] = 1, ld[x->rank - 1] = 1;
  for (int64_t l = 0; l < L->d.lines; l++) {
    L->offs[2 * l] = roof_offset(x, idx);
    L->offs[2 * l + 1] = roof_offset(y, idx);
    roof_index_next(idx, ld, x->rank);
  }
  return ROOF_OK;
}

/* ---- reference: every angle in double, reduced mod n ---- */

static roof_status ref_spectral(roof_kernel* k, roof_error* err) {
  spec_lines L = {0};
  roof_status st = plan_lines(k, &L, err);
  if (st != ROOF_OK) return st;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  const spec_dims* d = &L.d;
  const int64_t used = d->len < d->n ? d->len : d->n;
  const double sign = L.inverse ? 1.0 : -1.0, scale = L.inverse ? 1.0 / (double)d->n : 1.0;
  for (int64_t l = 0; l < d->lines; l++) {
    const int64_t xo = L.offs[2 * l], yo = L.offs[2 * l + 1];
    for (int64_t b = 0; b < d->bins; b++) {
      double re = 0.0, im = 0.0;
      for (int64_t j = 0; j < used; j++) {
        double xr = roof_load_f64(x->dtype, x->data, xo + j * L.x_step);
        double xi = d->complex_in ? roof_load_f64(x->dtype, x->data, xo + j * L.x_step + L.x_ri) : 0.0;
        if (L.has_w) {
          const double w = roof_load_f64(x->dtype, L.w, j * L.w_step);
          xr *= w, xi *= w;
        }
        const double a = sign * 2.0 * M_PI * (double)((b * j) % d->n) / (double)d->n, c = cos(a), s = sin(a);
        re += xr * c - xi * s;
        im += xr * s + xi * c;
      }
      roof_store_f64(y->dtype, y->data, yo + b * L.y_step, re * scale);
      roof_store_f64(y->dtype, y->data, yo + b * L.y_step + L.y_ri, im * scale);
    }
  }
  free(L.offs);
  return ROOF_OK;
}

/* ---- native (float32): twiddles [bins][used] (cos, sign * sin) built at create; each slot
 * gathers a line's points (times the window) into contiguous re/im and takes one dot product
 * per bin ---- */

typedef struct spec_state {
  spec_lines L;
  int64_t used, slots;
  float* tw; /* [bins][2][used]: cos, then sign * sin */
  const float* x;
  float* y;
  float* scratch; /* [slots][2][used] */
  float scale;
} spec_state;

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  if (k->in[0].dtype == ROOF_DT_FLOAT) return true;
  snprintf(why, n, "the native DFT is float32 only");
  return false;
}

static void destroy_native(roof_kernel* k) {
  spec_state* s = k->state;
  if (s) free(s->L.offs), free(s->tw);
  free(s);
  k->state = NULL;
}

static roof_status create_native(roof_kernel* k, roof_error* err) {
  spec_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  roof_status st = plan_lines(k, &s->L, err);
  if (st != ROOF_OK) return st;
  const spec_dims* d = &s->L.d;
  s->used = d->len < d->n ? d->len : d->n;
  uint64_t tw = 0, bytes = 0;
  if (!roof_mul_u64((uint64_t)d->bins, 2 * (uint64_t)s->used, &tw) || !roof_mul_u64(tw, sizeof(float), &bytes) ||
      bytes > k->max_scratch_bytes) {
    return roof_kernel_refuse(err, "a twiddle table of %lld x %lld past the tensor limit", (long long)d->bins, (long long)s->used);
  }
  s->tw = malloc(bytes ? (size_t)bytes : 1);
  if (s->tw == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory for the twiddles");
  const double sign = s->L.inverse ? 1.0 : -1.0;
  for (int64_t b = 0; b < d->bins; b++) {
    float* row = s->tw + b * 2 * s->used;
    for (int64_t j = 0; j < s->used; j++) {
      const double a = 2.0 * M_PI * (double)((b * j) % d->n) / (double)d->n;
      row[j] = (float)cos(a);
      row[s->used + j] = (float)(sign * sin(a));
    }
  }
  s->scale = s->L.inverse ? (float)(1.0 / (double)d->n) : 1.0f;
  int64_t threads = k->pool ? (int64_t)pthreadpool_get_threads_count(k->pool) : 1;
  s->slots = d->lines < threads ? (d->lines > 0 ? d->lines : 1) : threads;
  return ROOF_OK;
}

static uint64_t scratch_native(const roof_kernel* k) {
  const spec_state* s = k->state;
  return s ? (uint64_t)s->slots * 2 * (uint64_t)(s->used > 0 ? s->used : 1) * sizeof(float) : 0;
}

static roof_status setup_native(roof_kernel* k, roof_error* err) {
  (void)err;
  spec_state* s = k->state;
  s->x = k->in[0].data, s->y = k->out[0].data, s->scratch = k->scratch;
  if (s->L.has_w) s->L.w = k->in[2].data;
  return ROOF_OK;
}

/* (re + i im)(c + i s') summed over j, s' = sign * sin: re = sum xr c - xi s', im = sum xr s' +
 * xi c; in 8 lanes (one accumulator is a chain of dependent adds the compiler may not reorder). */
enum { DFT_LANES = 8 };

ROOF_VEC_CLONES static void line_bins(const spec_state* s, const float* restrict xr, const float* restrict xi, float* y) {
  const int64_t u = s->used, body = u / DFT_LANES * DFT_LANES, ys = s->L.y_step, ri = s->L.y_ri;
  for (int64_t b = 0; b < s->L.d.bins; b++) {
    const float* restrict c = s->tw + b * 2 * u;
    const float* restrict sn = c + u;
    float lr[DFT_LANES] = {0.0f}, li[DFT_LANES] = {0.0f}, re = 0.0f, im = 0.0f;
    if (xi == NULL) {
      for (int64_t j = 0; j < body; j += DFT_LANES) {
        for (int l = 0; l < DFT_LANES; l++) lr[l] += xr[j + l] * c[j + l], li[l] += xr[j + l] * sn[j + l];
      }
      for (int64_t j = body; j < u; j++) re += xr[j] * c[j], im += xr[j] * sn[j];
    } else {
      for (int64_t j = 0; j < body; j += DFT_LANES) {
        for (int l = 0; l < DFT_LANES; l++) {
          lr[l] += xr[j + l] * c[j + l] - xi[j + l] * sn[j + l];
          li[l] += xr[j + l] * sn[j + l] + xi[j + l] * c[j + l];
        }
      }
      for (int64_t j = body; j < u; j++) re += xr[j] * c[j] - xi[j] * sn[j], im += xr[j] * sn[j] + xi[j] * c[j];
    }
    for (int l = 0; l < DFT_LANES; l++) re += lr[l], im += li[l];
    y[b * ys] = re * s->scale;
    y[b * ys + ri] = im * s->scale;
  }
}

static void spec_slot(void* ctx, size_t slot) {
  const spec_state* s = ctx;
  const spec_lines* L = &s->L;
  const int64_t first = L->d.lines * (int64_t)slot / s->slots, last = L->d.lines * ((int64_t)slot + 1) / s->slots;
  float* xr = s->scratch + (int64_t)slot * 2 * s->used;
  float* xi = xr + s->used;
  const float* w = L->has_w ? L->w : NULL;
  for (int64_t l = first; l < last; l++) {
    const float* x = s->x + L->offs[2 * l];
    for (int64_t j = 0; j < s->used; j++) {
      const float wj = w ? w[j * L->w_step] : 1.0f;
      xr[j] = x[j * L->x_step] * wj;
      if (L->d.complex_in) xi[j] = x[j * L->x_step + L->x_ri] * wj;
    }
    line_bins(s, xr, L->d.complex_in ? xi : NULL, s->y + L->offs[2 * l + 1]);
  }
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  (void)err;
  spec_state* s = k->state;
  if (s->L.d.lines > 0) pthreadpool_parallelize_1d(k->pool, spec_slot, s, (size_t)s->slots, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

#define SPEC_OP(SYM, PARSE, INFER, COST, DESCRIBE, VALUES)                                                          \
  const roof_op_schema roof_op_##SYM = {                                                                         \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 17, .until_version = 1000,          \
      .layout = ROOF_LR_PLAIN, .params_size = sizeof(spec_params), .parse = PARSE, .infer = INFER, .cost = COST, \
      .describe = DESCRIBE, .value_inputs = VALUES,                                                              \
  }

SPEC_OP(HannWindow, parse_hann, infer_window, cost_window, NULL, ROOF_IN(0));
SPEC_OP(HammingWindow, parse_hamming, infer_window, cost_window, NULL, ROOF_IN(0));
SPEC_OP(BlackmanWindow, parse_blackman, infer_window, cost_window, NULL, ROOF_IN(0));
SPEC_OP(DFT, parse_dft, infer_dft, cost_spectral, describe_spectral, ROOF_IN(1));
SPEC_OP(STFT, parse_stft, infer_stft, cost_spectral, describe_spectral, ROOF_IN(1) | ROOF_IN(3));
ROOF_REF_KERNEL(HannWindow, NULL, ref_window);
ROOF_REF_KERNEL(HammingWindow, NULL, ref_window);
ROOF_REF_KERNEL(BlackmanWindow, NULL, ref_window);
ROOF_REF_KERNEL(DFT, kSpecTypes, ref_spectral);
ROOF_REF_KERNEL(STFT, kSpecTypes, ref_spectral);
const roof_kernel_impl roof_kernel_DFT_native = {
    .op = ROOF_OP_DFT, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,
    .scratch_bytes = scratch_native,
};
const roof_kernel_impl roof_kernel_STFT_native = {
    .op = ROOF_OP_STFT, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,
    .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,
    .scratch_bytes = scratch_native,
};
