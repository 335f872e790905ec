/* Conv and ConvTranspose: XNNPACK for 2-D float NHWC with constant weights, a reference
 * kernel for every case (1-D to 3-D, any layout through strides). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "xnn_backend.h"
#include "conv_params.h"
#include "conv_tune.h"

typedef roof_conv_params conv_params;

static roof_status parse_conv(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  conv_params* p = params;
  roof_act_init(&p->act);
  roof_status st = roof_attr_get_int(g, n, "group", 1, &p->group, err);
  if (st != ROOF_OK) return st;
  if (p->group < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'group': value %lld must be >= 1", (long long)p->group);
  return ROOF_OK;
}

/* Shared checks: X [N, C, s...], W, optional B; parses the spatial attributes for X's rank. */
static roof_status check_io(roof_graph* g, roof_node* n, conv_params* p, bool transpose, roof_error* err) {
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st == ROOF_OK) st = roof_require_same_dtype(g, n, 1, 0, err);
  if (st == ROOF_OK && roof_in(g, n, 2)) st = roof_require_same_dtype(g, n, 2, 0, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  const roof_value* w = roof_in(g, n, 1);
  char xs[64], ws[64];
  if (x->rank < 3 || x->rank > 5 || w->rank != x->rank) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "input %s and weight %s must both have rank 3 to 5",
                          roof_shape_str(x->dims, x->rank, xs, sizeof(xs)), roof_shape_str(w->dims, w->rank, ws, sizeof(ws)));
  }
  st = roof_spatial_parse(g, n, x->rank - 2, &p->sp, err);
  if (st != ROOF_OK) return st;
  for (int i = 0; i < p->sp.nsp; i++) {
    /* an empty kernel has no taps: the reference loops (and XNNPACK) assume at least one */
    if (w->dims[i + 2] < 1) {
      char b[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': weight %s has an empty kernel (its dims must be >= 1)",
                            ROOF_SAFE(w->name, b), roof_shape_str(w->dims, w->rank, ws, sizeof(ws)));
    }
    if (p->sp.kernel[i] == 0) p->sp.kernel[i] = w->dims[i + 2];
    if (p->sp.kernel[i] != w->dims[i + 2]) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "kernel_shape does not match weight %s", roof_shape_str(w->dims, w->rank, ws, sizeof(ws)));
    }
  }
  int64_t cin = x->dims[1];
  bool ok = transpose ? (w->dims[0] == cin && cin % p->group == 0)
                      : (cin % p->group == 0 && w->dims[1] * p->group == cin && w->dims[0] % p->group == 0);
  if (!ok) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "group %lld does not fit input %s and weight %s", (long long)p->group,
                          roof_shape_str(x->dims, x->rank, xs, sizeof(xs)), roof_shape_str(w->dims, w->rank, ws, sizeof(ws)));
  }
  const roof_value* b = roof_in(g, n, 2);
  int64_t cout = transpose ? w->dims[1] * p->group : w->dims[0];
  if (b && (b->rank != 1 || b->dims[0] != cout || b->dtype != x->dtype)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "bias must be a float vector of %lld elements", (long long)cout);
  }
  return ROOF_OK;
}

/* A fused residual (pass residual): input 3, of the output's dtype and shape. ONNX's Conv has
 * at most 3 inputs: a fourth without the flag is refused as any unknown input would be. */
static roof_status check_residual(roof_graph* g, roof_node* n, const conv_params* p, const int64_t* dims, int rank,
                                  roof_error* err) {
  const roof_value* r = roof_in(g, n, 3);
  if (!p->residual) {
    if (n->num_inputs <= 3) return ROOF_OK;
    return roof_node_fail(err, ROOF_E_DATA, g, n, "Conv takes at most 3 inputs, got %d", n->num_inputs);
  }
  bool same = r && r->dtype == roof_in(g, n, 0)->dtype && r->rank == rank;
  for (int i = 0; same && i < rank; i++) same = r->dims[i] == dims[i];
  if (!same) return roof_node_fail(err, ROOF_E_INTERNAL, g, n, "fused residual does not have the output's dtype and shape");
  return ROOF_OK;
}

static roof_status infer_conv(roof_graph* g, roof_node* n, roof_error* err) {
  conv_params* p = n->params;
  roof_status st = check_io(g, n, p, false, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  int64_t dims[ROOF_MAX_RANK] = {x->dims[0], roof_in(g, n, 1)->dims[0]};
  st = roof_spatial_infer(g, n, &p->sp, x->dims + 2, dims + 2, err);
  if (st == ROOF_OK) st = check_residual(g, n, p, dims, x->rank, err);
  if (st == ROOF_OK) roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return st;
}

static roof_status infer_convt(roof_graph* g, roof_node* n, roof_error* err) {
  conv_params* p = n->params;
  roof_status st = check_io(g, n, p, true, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  const roof_value* w = roof_in(g, n, 1);
  int nsp = p->sp.nsp;
  const int64_t *op, *os;
  size_t nop, nos;
  if ((st = roof_attr_get_ints(g, n, "output_padding", &op, &nop, err)) != ROOF_OK) return st;
  if ((st = roof_attr_get_ints(g, n, "output_shape", &os, &nos, err)) != ROOF_OK) return st;
  if ((op && nop != (size_t)nsp) || (os && nos != (size_t)nsp && nos != (size_t)nsp + 2)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "output_padding / output_shape must have %d values", nsp);
  }
  int64_t dims[ROOF_MAX_RANK] = {x->dims[0], w->dims[1] * p->group};
  for (int i = 0; i < nsp; i++) {
    int64_t s = p->sp.strides[i], k = (p->sp.kernel[i] - 1) * p->sp.dilations[i] + 1;
    p->output_padding[i] = op ? op[i] : 0;
    if (p->output_padding[i] < 0 || p->output_padding[i] >= (s > p->sp.dilations[i] ? s : p->sp.dilations[i])) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "output_padding %lld must be below stride or dilation", (long long)p->output_padding[i]);
    }
    int64_t full = s * (x->dims[i + 2] - 1) + p->output_padding[i] + k;
    if (os || p->sp.auto_pad == ROOF_AUTOPAD_SAME_UPPER || p->sp.auto_pad == ROOF_AUTOPAD_SAME_LOWER) {
      int64_t want = os ? os[i + (nos == (size_t)nsp ? 0 : 2)] : x->dims[i + 2] * s;
      int64_t total = full - want; /* negative: the output extends past the last tap (zeros + bias) */
      bool lower = p->sp.auto_pad == ROOF_AUTOPAD_SAME_LOWER;
      p->sp.pads[i] = total >= 0 ? (lower ? total - total / 2 : total / 2) : 0;
      p->sp.pads[i + nsp] = total - p->sp.pads[i];
    } else if (p->sp.auto_pad == ROOF_AUTOPAD_VALID) {
      p->sp.pads[i] = p->sp.pads[i + nsp] = 0;
    }
    dims[i + 2] = full - p->sp.pads[i] - p->sp.pads[i + nsp];
    if (dims[i + 2] < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "output spatial dim %d would be %lld", i, (long long)dims[i + 2]);
  }
  roof_value_set_shape(roof_out(g, n, 0), x->dtype, x->rank, dims);
  return ROOF_OK;
}

/* macs = N * C_out * prod(out spatial) * (C_in / group) * prod(kernel) */
static void cost_conv(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const conv_params* p = n->params;
  const roof_value* y = roof_out(g, n, 0);
  const roof_value* w = roof_in(g, n, 1);
  uint64_t out_count = 0, w_count = 0;
  roof_value_count(y, &out_count);
  roof_value_count(w, &w_count);
  uint64_t per_out = w->dims[0] ? w_count / (uint64_t)w->dims[0] : 0; /* (C_in/g) * prod(k) */
  c->macs = out_count * per_out;
  c->flops = 2 * c->macs + (p->residual ? out_count : 0); /* a fused residual: one add per output */
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = p->sp.nsp == 2 ? "conv2d" : "convnd";
  c->has_model = true;
}

/* ConvTranspose: every input element is multiplied by every kernel tap of its group:
 * macs = N * C_in * prod(in spatial) * (C_out / group) * prod(kernel) */
static void cost_convt(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const roof_value* x = roof_in(g, n, 0);
  const roof_value* w = roof_in(g, n, 1);
  uint64_t x_count = 0, w_count = 0;
  roof_value_count(x, &x_count);
  roof_value_count(w, &w_count);
  c->macs = x_count * (w->dims[0] ? w_count / (uint64_t)w->dims[0] : 0);
  c->flops = 2 * c->macs;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "convtranspose";
  c->has_model = true;
}

static int describe_conv(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const conv_params* p = n->params;
  const roof_spatial* s = &p->sp;
  const char* res = p->residual ? " +res" : "";
  if (s->nsp != 2) return snprintf(buf, size, "%dd g%lld%s", s->nsp, (long long)p->group, res);
  return snprintf(buf, size, "k%lldx%lld s%lld p%lld g%lld%s%s", (long long)s->kernel[0], (long long)s->kernel[1],
                  (long long)s->strides[0], (long long)s->pads[0], (long long)p->group,
                  s->dilations[0] > 1 ? " dil" : "", res);
}

/* Reference: direct convolution over logical indices (any layout). */
static roof_status ref_conv(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1];
  const roof_tensor* b = k->num_in > 2 && k->in[2].data ? &k->in[2] : NULL;
  const roof_tensor* r = p->residual ? &k->in[3] : NULL; /* infer checked it */
  roof_tensor* y = &k->out[0];
  int nsp = p->sp.nsp;
  int64_t cin_g = w->dims[1], cout_g = y->dims[1] / p->group;
  int64_t yi[ROOF_MAX_RANK] = {0};
  const float* xd = x->data;
  const float* wd = w->data;
  float* yd = y->data;
  do {
    int64_t m = yi[1], grp = m / cout_g;
    double acc = b ? ((const float*)b->data)[m * b->strides[0]] : 0.0;
    int64_t ki[3] = {0, 0, 0}, kdims[3] = {1, 1, 1};
    for (int i = 0; i < nsp; i++) kdims[i] = w->dims[i + 2];
    do {
      int64_t xi[ROOF_MAX_RANK] = {yi[0], 0};
      bool inside = true;
      for (int i = 0; i < nsp && inside; i++) {
        xi[i + 2] = yi[i + 2] * p->sp.strides[i] - p->sp.pads[i] + ki[i] * p->sp.dilations[i];
        inside = xi[i + 2] >= 0 && xi[i + 2] < x->dims[i + 2];
      }
      if (!inside) continue;
      int64_t wi[ROOF_MAX_RANK] = {m, 0};
      for (int i = 0; i < nsp; i++) wi[i + 2] = ki[i];
      for (int64_t c = 0; c < cin_g; c++) {
        xi[1] = grp * cin_g + c;
        wi[1] = c;
        acc += (double)xd[roof_offset(x, xi)] * (double)wd[roof_offset(w, wi)];
      }
    } while (roof_index_next(ki, kdims, nsp));
    if (r) acc += ((const float*)r->data)[roof_offset(r, yi)];
    yd[roof_offset(y, yi)] = roof_act_apply(&p->act, (float)acc);
  } while (roof_index_next(yi, y->dims, y->rank));
  return ROOF_OK;
}

/* Reference ConvTranspose: scatter every input element through the kernel. */
static roof_status ref_convt(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1];
  const roof_tensor* b = k->num_in > 2 && k->in[2].data ? &k->in[2] : NULL;
  roof_tensor* y = &k->out[0];
  int nsp = p->sp.nsp;
  int64_t cin_g = x->dims[1] / p->group, cout_g = w->dims[1];
  uint64_t total = roof_tensor_count(y);
  double* acc = calloc(total ? total : 1, sizeof(double));
  if (acc == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory in reference kernel");
  int64_t plain[ROOF_MAX_RANK];
  roof_strides_for(y->dims, y->rank, ROOF_LAYOUT_PLAIN, plain);
  int64_t xi[ROOF_MAX_RANK] = {0};
  /* an empty input scatters nothing (the output is bias only, e.g. X [1, 0, 3, 3]) */
  if (roof_tensor_count(x) > 0) {
    do {
      float xv = ((const float*)x->data)[roof_offset(x, xi)];
      int64_t grp = xi[1] / cin_g;
      int64_t ki[3] = {0, 0, 0}, kdims[3] = {1, 1, 1};
      for (int i = 0; i < nsp; i++) kdims[i] = w->dims[i + 2];
      do {
        int64_t yo[ROOF_MAX_RANK] = {xi[0], 0};
        bool inside = true;
        for (int i = 0; i < nsp && inside; i++) {
          yo[i + 2] = xi[i + 2] * p->sp.strides[i] + ki[i] * p->sp.dilations[i] - p->sp.pads[i];
          inside = yo[i + 2] >= 0 && yo[i + 2] < y->dims[i + 2];
        }
        if (!inside) continue;
        int64_t wi[ROOF_MAX_RANK] = {xi[1], 0};
        for (int i = 0; i < nsp; i++) wi[i + 2] = ki[i];
        for (int64_t j = 0; j < cout_g; j++) {
          wi[1] = j;
          yo[1] = grp * cout_g + j;
          int64_t off = 0;
          for (int d = 0; d < y->rank; d++) off += yo[d] * plain[d];
          acc[off] += (double)xv * ((const float*)w->data)[roof_offset(w, wi)];
        }
      } while (roof_index_next(ki, kdims, nsp));
    } while (roof_index_next(xi, x->dims, x->rank));
  }
  int64_t yi[ROOF_MAX_RANK] = {0};
  uint64_t flat = 0;
  do {
    double v = acc[flat++] + (b ? ((const float*)b->data)[yi[1] * b->strides[0]] : 0.0);
    ((float*)y->data)[roof_offset(y, yi)] = roof_act_apply(&p->act, (float)v);
  } while (roof_index_next(yi, y->dims, y->rank));
  free(acc);
  return ROOF_OK;
}

bool roof_conv_winograd_weights_large(const roof_conv_params* p, const int64_t* w_dims, int64_t pixels) {
  const roof_spatial* sp = &p->sp;
  bool s1 = sp->nsp == 2 && w_dims[2] == 3 && w_dims[3] == 3 && p->group == 1 && sp->strides[0] == 1 &&
            sp->strides[1] == 1 && sp->dilations[0] == 1 && sp->dilations[1] == 1;
  return s1 && pixels <= 64 && 36.0 * (double)w_dims[0] * (double)w_dims[1] * sizeof(float) > (double)(16u << 20);
}

const char* roof_conv_residual_refusal(const roof_kernel* k) {
  const conv_params* p = k->params;
  return p->residual ? "fused residual add (the pointwise entry and the reference add it)" : NULL;
}

bool roof_conv_weights_const(const roof_kernel* k) {
  const roof_value* w = roof_in(k->g, k->node, 1);
  const roof_value* b = roof_in(k->g, k->node, 2);
  return roof_value_has_data(w) && (w->flags & ROOF_VAL_CONST) && (b == NULL || ((b->flags & ROOF_VAL_CONST) && b->data));
}

/* XNNPACK wants [groups][group_out][kh][kw][group_in]: ONNX [O][I/g][kh][kw] with the
 * input-channel axis moved last. */
/* Output-channel slices. XNNPACK (this version) computes a whole row of output channels per
 * task: with one thread, every 7-pixel tile streams all the weights. When they exceed the L2
 * cache (ResNet's 3x3 convs at 14x14 and 7x7 hold 2.4 and 9.4 MB) that is a trip to L3 per
 * tile, and the conv runs at ~50% of peak instead of ~75%. Slicing the output channels into
 * operators whose weights fit in half of L2, each writing its channels through XNNPACK's output
 * pixel stride, streams each weight once. */
#define ROOF_CONV_MAX_SLICES 64

typedef struct conv_state {
  int num_slices;
  int64_t first[ROOF_CONV_MAX_SLICES]; /* first output channel of each slice */
  xnn_operator_t op[ROOF_CONV_MAX_SLICES];
} conv_state;

/* Weight bytes one operator may hold: half the L2 cache (512 KiB when it cannot be read). */
static size_t slice_budget(void) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return l2 > 0 ? (size_t)l2 / 2 : (size_t)512 << 10;
}

/* Channels per slice: a multiple of 16 (XNNPACK's widest output tile) within the budget. */
static int64_t slice_channels(int64_t O, int64_t per_channel_bytes) {
  int64_t fit = (int64_t)slice_budget() / (per_channel_bytes > 0 ? per_channel_bytes : 1);
  int64_t c = fit < 16 ? 16 : fit / 16 * 16;
  int64_t min_c = (O + ROOF_CONV_MAX_SLICES - 1) / ROOF_CONV_MAX_SLICES;
  if (c < min_c) c = (min_c + 15) / 16 * 16;
  return c >= O ? O : c;
}

static void destroy_conv(roof_kernel* k) {
  conv_state* cs = k->state;
  for (int i = 0; cs && i < cs->num_slices; i++) {
    if (cs->op[i]) xnn_delete_operator(cs->op[i]);
  }
  roof_xnn_destroy(k); /* frees the state */
}

/* What both XNNPACK entries need: 2-D, NHWC in and out, constant weights and bias. */
static bool supports_xnn(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const char* no = roof_conv_residual_refusal(k)   ? roof_conv_residual_refusal(k)
                   : p->sp.nsp != 2 ? "XNNPACK convolves 2-D only"
                   : !roof_tensor_is_nhwc(&k->in[0]) || !roof_tensor_is_nhwc(&k->out[0]) ? "input or output not NHWC"
                   : !roof_conv_weights_const(k) ? "weights or bias not constant"
                   : !roof_act_xnn_ok(&p->act) ? "empty fused clamp range"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

static roof_status create_conv(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  int64_t O = w->dims[0], I = w->dims[1], KH = w->dims[2], KW = w->dims[3];
  if (!roof_xnn_indirection_ok(k, y->dims[0], y->dims[2], y->dims[3], KH, KW)) {
    return roof_kernel_refuse(err, "indirection buffer over the tensor size limit");
  }
  const float* src = w->data;
  float* packed = NULL;
  /* XNNPACK takes [O][KH][KW][I]; ONNX gives [O][I][KH][KW]. The two coincide for 1x1 and
   * depthwise kernels (most of the weights of ResNet-50 and the MobileNets): no copy then. */
  if (KH * KW != 1 && I != 1) {
    packed = malloc(sizeof(float) * (size_t)(O * I * KH * KW));
    if (packed == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
    for (int64_t o = 0; o < O; o++)
      for (int64_t i = 0; i < I; i++)
        for (int64_t h = 0; h < KH; h++)
          for (int64_t ww = 0; ww < KW; ww++) packed[((o * KH + h) * KW + ww) * I + i] = src[((o * I + i) * KH + h) * KW + ww];
  }
  conv_state* cs = calloc(1, sizeof(*cs));
  if (cs == NULL) {
    free(packed);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  }
  k->state = cs;
  const float* kernel = packed ? packed : src;
  const float* bias = k->num_in > 2 && k->in[2].data ? k->in[2].data : NULL;
  int64_t per_channel = I * KH * KW * (int64_t)sizeof(float);
  int64_t step = p->group == 1 ? slice_channels(O, per_channel) : O; /* grouped: one operator */
  enum xnn_status s = xnn_status_success;
  for (int64_t o0 = 0; o0 < O && s == xnn_status_success; o0 += step) {
    int64_t n = O - o0 < step ? O - o0 : step;
    cs->first[cs->num_slices] = o0;
    s = xnn_create_convolution2d_nhwc_f32(
        (uint32_t)p->sp.pads[0], (uint32_t)p->sp.pads[3], (uint32_t)p->sp.pads[2], (uint32_t)p->sp.pads[1], (uint32_t)KH,
        (uint32_t)KW, (uint32_t)p->sp.strides[0], (uint32_t)p->sp.strides[1], (uint32_t)p->sp.dilations[0],
        (uint32_t)p->sp.dilations[1], (uint32_t)p->group, (size_t)I, (size_t)(p->group == 1 ? n : O / p->group),
        (size_t)x->dims[1], (size_t)y->dims[1], kernel + o0 * I * KH * KW, bias ? bias + o0 : NULL, p->act.min,
        p->act.max, 0, &cs->op[cs->num_slices]);
    cs->num_slices++;
  }
  free(packed); /* XNNPACK keeps its own packed copies */
  return roof_xnn_check(s, k, "create convolution", err);
}

static roof_status setup_conv(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  conv_state* cs = k->state;
  for (int i = 0; i < cs->num_slices; i++) {
    enum xnn_status s = xnn_setup_convolution2d_nhwc_f32(cs->op[i], (size_t)x->dims[0], (size_t)x->dims[2],
                                                         (size_t)x->dims[3], x->data,
                                                         (float*)k->out[0].data + cs->first[i], k->pool);
    roof_status st = roof_xnn_check(s, k, "setup convolution", err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

static roof_status run_conv(roof_kernel* k, roof_error* err) {
  conv_state* cs = k->state;
  for (int i = 0; i < cs->num_slices; i++) {
      roof_status st = roof_xnn_check(xnn_run_operator(cs->op[i], k->pool), k, "run convolution", err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

/* ---- Native depthwise convolution, kernel area > 25 ----
 * XNNPACK (this version) has depthwise micro-kernels up to 25 taps; a 7x7 depthwise conv
 * (ConvNeXt) falls to its generic path at ~6% of peak. Here: weights packed [kh][kw][C] so that
 * a tap is a contiguous run of channels, like an NHWC pixel; one task per (n, output row); per
 * pixel, channels in blocks of one vector register accumulated over the taps that fall inside
 * the input (the padding is the clipped tap range). Interior pixels go 4 at a time: a weight
 * load serves 4 FMAs and the 4 accumulators hide the FMA latency; stride-1 interiors of 3 or 5
 * columns go DW_SLIDE at a time where the registers allow (ops/dw_rows.inc). */
#define DW_PIXELS 4
#define DW_SLIDE 8

typedef struct dw_state dw_state;
typedef void (*dw_row_fn)(void* ctx, size_t n, size_t oy);

struct dw_state {
  int64_t N, C, H, W, OH, OW, KH, KW, sh, sw, pt, pl;
  /* padded path (kernel area <= 25): the input is copied with zero borders into the scratch,
   * which x then points to (H, W its extents, pt = pl = 0); these describe the real input */
  bool padded;
  int64_t H0, W0, pt0, pl0;
  const float* src;
  int64_t xs_n, xs_h, xs_w, ys_n, ys_h, ys_w; /* element strides of the NHWC views */
  roof_act act;
  float* w; /* [KH][KW][C] taps, then [C] bias */
  const float* x;
  float* y;
  dw_row_fn row;
};

/* Clipped tap range [lo, hi) of an output coordinate whose window starts at input i0. */
ROOF_ALWAYS_INLINE void dw_taps(int64_t i0, int64_t k, int64_t size, int64_t* lo, int64_t* hi) {
  *lo = i0 < 0 ? -i0 : 0;
  *hi = size - i0 < k ? size - i0 : k;
}

/* dw_v values pass only between always-inlined functions: no call ABI to keep stable */
#pragma GCC diagnostic ignored "-Wpsabi"

/* 4-float vectors: one SSE or NEON register, the portable rows (arm64's: with 16-float vectors
 * GCC kept NEON's accumulators on the stack, a load and a store around every fmla) */
#define DW_VL 4
#define DW_SFX(name) name##4
#include "dw_rows.inc"
#undef DW_VL
#undef DW_SFX
#if defined(__x86_64__) && defined(__GNUC__)
/* 16-float vectors: one zmm (AVX-512) */
#define DW_VL 16
#define DW_SFX(name) name##16
#include "dw_rows.inc"
#undef DW_VL
#undef DW_SFX
/* 8-float vectors: one ymm (AVX2) */
#define DW_VL 8
#define DW_SFX(name) name##8
#include "dw_rows.inc"
#undef DW_VL
#undef DW_SFX
#endif

static void dw_row_portable(void* ctx, size_t n, size_t oy) { dw_row_body4(ctx, n, oy, false); }
#if defined(__x86_64__) && defined(__GNUC__)
/* The sliding block's 8 accumulators, 5 weights and an input vector: 14 of AVX-512's 32 zmm
 * registers, or of AVX2's 16 ymm with 8-float vectors (EfficientNet-B0's stride-1 depthwise
 * layers in the race on a Zen 3: 0.12-0.20 ms with it against 0.17-0.27 without, XNNPACK
 * 0.19-0.39) */
__attribute__((target("avx512f"))) static void dw_row_avx512(void* ctx, size_t n, size_t oy) { dw_row_body16(ctx, n, oy, true); }
__attribute__((target("avx2,fma"))) static void dw_row_avx2(void* ctx, size_t n, size_t oy) { dw_row_body8(ctx, n, oy, true); }
#endif

/* The widest row function this CPU runs; ROOFTOP_NATIVE_ISA=avx2|portable caps it (as MatMul). */
static dw_row_fn dw_pick_row(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  const char* cap = getenv("ROOFTOP_NATIVE_ISA");
  bool portable = cap && strcmp(cap, "portable") == 0;
  bool no512 = portable || (cap && strcmp(cap, "avx2") == 0);
  if (!no512 && __builtin_cpu_supports("avx512f")) return dw_row_avx512;
  if (!portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dw_row_avx2;
#endif
  return dw_row_portable;
}

/* Stride-1 depthwise layers that run on the padded path, where it measured faster than
 * XNNPACK's up25 micro-kernel (EfficientNet-B0, 1 thread, loaded Zen 5, layer minima): 5x5 with
 * rows of 4 pixels or more (14x14 and 28x28 maps: 0.08-0.12 vs 0.14-0.20 ms). 7x7 maps were
 * XNNPACK's (0.090 vs 0.077 ms) while the sliding block was 8 pixels only; with blocks of 2 to 8,
 * a padded 7x7 row is one block of 7 (MobileNet v3's 576-channel 5x5 layers 0.031 -> 0.013 ms,
 * EfficientNet-B0's 1152-channel ones 0.052 unpadded -> 0.040, profile medians, Zen 5, 1
 * thread). 3x3 layers over at most 32 channels took this path too (112x112x32: 0.139 vs 0.185
 * for XNNPACK) until the blocks of 2 to 8 let the unpadded rows, raced, beat it: the bordered
 * copy of a 1.6 MB map passes L2 twice (0.090 -> 0.067 ms in MobileNet v2, 0.093 -> 0.070-0.080
 * in EfficientNet-B0). AVX-512 only: the sliding block's accumulators need 32 vector registers. */
static bool dw_small_ok(const roof_kernel* k) {
  const conv_params* p = k->params;
  const roof_tensor *w = &k->in[1], *y = &k->out[0];
  bool pads_ok = true;
  for (int i = 0; i < 4; i++) pads_ok = pads_ok && p->sp.pads[i] >= 0 && p->sp.pads[i] < w->dims[2 + i % 2];
#if defined(__x86_64__) && defined(__GNUC__)
  bool wide = dw_pick_row() == dw_row_avx512;
#else
  bool wide = false;
#endif
  bool shape = w->dims[2] == 5 && w->dims[3] == 5;
  return wide && pads_ok && shape && p->sp.strides[0] == 1 && p->sp.strides[1] == 1 && y->dims[3] >= 4;
}

static bool supports_dw(const roof_kernel* k, char* why, size_t n) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  const roof_spatial* sp = &p->sp;
  bool two_d = sp->nsp == 2;
  const char* no = roof_conv_residual_refusal(k) ? roof_conv_residual_refusal(k)
                   : !two_d ? "native depthwise is 2-D only"
                   : !(p->group == x->dims[1] && w->dims[0] == p->group && w->dims[1] == 1) ? "not depthwise (multiplier 1)"
                   : sp->dilations[0] != 1 || sp->dilations[1] != 1 ? "dilation"
                   : sp->strides[0] < 1 || sp->strides[0] > 2 || sp->strides[1] < 1 || sp->strides[1] > 2 ? "stride above 2"
                   : !roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y) ? "input or output not NHWC"
                   : !roof_conv_weights_const(k) ? "weights or bias not constant"
                   : NULL;
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* Packs ONNX [C][1][KH][KW] weights as [KH][KW][C], then the bias (zeros when absent). */
static roof_status create_dw(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  const int64_t C = w->dims[0], KH = w->dims[2], KW = w->dims[3];
  uint64_t count = 0, bytes = 0;
  if (!roof_mul_u64((uint64_t)(KH * KW + 1), (uint64_t)C, &count) || !roof_mul_u64(count, sizeof(float), &bytes) ||
      bytes > SIZE_MAX) {
    return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "depthwise weights of %lld channels too large", (long long)C);
  }
  dw_state* s = calloc(1, sizeof(*s));
  float* packed = malloc((size_t)bytes);
  if (s == NULL || packed == NULL) {
    free(s);
    free(packed);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  }
  const float* src = w->data;
  for (int64_t c = 0; c < C; c++)
    for (int64_t t = 0; t < KH * KW; t++) packed[t * C + c] = src[c * KH * KW + t];
  const float* bias = k->num_in > 2 && k->in[2].data ? k->in[2].data : NULL;
  for (int64_t c = 0; c < C; c++) packed[KH * KW * C + c] = bias ? bias[c] : 0.0f;
  *s = (dw_state){.N = x->dims[0], .C = C, .H = x->dims[2], .W = x->dims[3], .OH = y->dims[2], .OW = y->dims[3],
                  .KH = KH, .KW = KW, .sh = p->sp.strides[0], .sw = p->sp.strides[1], .pt = p->sp.pads[0],
                  .pl = p->sp.pads[1], .act = p->act, .w = packed, .row = dw_pick_row()};
  k->state = s;
  if (KH * KW <= 25 && dw_small_ok(k)) { /* stride 1, pads within the kernel */
    s->padded = true;
    s->H0 = s->H, s->W0 = s->W, s->pt0 = s->pt, s->pl0 = s->pl;
    s->H = s->OH + KH - 1, s->W = s->OW + KW - 1, s->pt = s->pl = 0;
    if (s->H < s->pt0 + s->H0 || s->W < s->pl0 + s->W0) return roof_kernel_refuse(err, "output smaller than the padded input");
    uint64_t sb = 0;
    if (!roof_mul_u64((uint64_t)(s->N * s->H * s->W), (uint64_t)C * sizeof(float), &sb) || sb > k->max_scratch_bytes) {
      return roof_kernel_refuse(err, "padded input past the tensor size limit");
    }
  }
  /* the other layers of up to 25 taps, where XNNPACK has up9 / up25 micro-kernels: raced
   * (conv_tune.h). On a Zen 3 the 8-float rows beat XNNPACK on EfficientNet-B0's 3x3 and 5x5
   * stride-1 layers of 96-672 channels (0.14-0.27 vs 0.19-0.37 ms) and lost on others */
  if (KH * KW <= 25 && !s->padded) return roof_tune_conv_or_refuse(k, "depthwise", err);
  return ROOF_OK;
}

static uint64_t scratch_dw(const roof_kernel* k) {
  const dw_state* s = k->state;
  return s && s->padded ? (uint64_t)(s->N * s->H * s->W * s->C) * sizeof(float) : 0;
}

/* Padded path: row py of image n of the zero-bordered copy (every run: the scratch is shared). */
static void dw_pad_row(void* ctx, size_t n, size_t py) {
  const dw_state* s = ctx;
  const size_t C = (size_t)s->C, es = sizeof(float);
  float* d = (float*)s->x + ((int64_t)n * s->H + (int64_t)py) * s->W * s->C;
  int64_t iy = (int64_t)py - s->pt0;
  if (iy < 0 || iy >= s->H0) {
    memset(d, 0, (size_t)s->W * C * es);
    return;
  }
  size_t left = (size_t)s->pl0 * C, mid = (size_t)s->W0 * C;
  memset(d, 0, left * es);
  memcpy(d + left, s->src + ((int64_t)n * s->H0 + iy) * s->W0 * s->C, mid * es);
  memset(d + left + mid, 0, ((size_t)s->W * C - left - mid) * es);
}

static roof_status setup_dw(roof_kernel* k, roof_error* err) {
  dw_state* s = k->state;
  const roof_tensor *x = &k->in[0], *y = &k->out[0]; /* [N, C, H, W] views, NHWC strides */
  s->x = x->data;
  s->y = y->data;
  s->xs_n = x->strides[0], s->xs_h = x->strides[2], s->xs_w = x->strides[3];
  if (s->padded) { /* dense NHWC input (supports) copied into the scratch */
    s->src = x->data;
    s->x = k->scratch;
    s->xs_w = s->C, s->xs_h = s->W * s->C, s->xs_n = s->H * s->W * s->C;
  }
  s->ys_n = y->strides[0], s->ys_h = y->strides[2], s->ys_w = y->strides[3];
  return ROOF_OK;
}

static roof_status run_dw(roof_kernel* k, roof_error* err) {
  dw_state* s = k->state;
  if (s->padded) pthreadpool_parallelize_2d(k->pool, dw_pad_row, s, (size_t)s->N, (size_t)s->H, ROOF_POOL_FLAGS);
  pthreadpool_parallelize_2d(k->pool, s->row, s, (size_t)k->out[0].dims[0], (size_t)s->OH, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static void destroy_dw(roof_kernel* k) {
  dw_state* s = k->state;
  if (s) free(s->w);
  free(s);
  k->state = NULL;
}

const roof_kernel_impl roof_kernel_Conv_native = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_dw,
    .create = create_dw, .setup = setup_dw, .run = run_dw, .destroy = destroy_dw, .packs_consts = true,
    .scratch_bytes = scratch_dw,
};

/* XNNPACK deconvolution wants [groups][group_out][kh][kw][group_in]; ONNX ConvTranspose
 * weights are [C_in][C_out/g][kh][kw]. */
static roof_status create_convt(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor *x = &k->in[0], *w = &k->in[1], *y = &k->out[0];
  /* deconvolution's indirection covers the input pixels times the kernel */
  if (!roof_xnn_indirection_ok(k, x->dims[0], y->dims[2], y->dims[3], w->dims[2], w->dims[3])) {
    return roof_kernel_refuse(err, "indirection buffer over the tensor size limit");
  }
  for (int i = 0; i < 4; i++) {
    if (p->sp.pads[i] < 0) return roof_kernel_refuse(err, "negative padding (output_shape smaller than the full output)");
  }
  xnn_operator_t op = NULL;
  int64_t CI = w->dims[0], CO_G = w->dims[1], KH = w->dims[2], KW = w->dims[3], G = p->group, CI_G = CI / G;
  float* packed = malloc(sizeof(float) * (size_t)(CI * CO_G * KH * KW) + ROOF_XNN_PADDING);
  if (packed == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing weights");
  const float* src = w->data;
  for (int64_t gi = 0; gi < G; gi++)
    for (int64_t o = 0; o < CO_G; o++)
      for (int64_t h = 0; h < KH; h++)
        for (int64_t ww = 0; ww < KW; ww++)
          for (int64_t i = 0; i < CI_G; i++)
            packed[(((gi * CO_G + o) * KH + h) * KW + ww) * CI_G + i] = src[(((gi * CI_G + i) * CO_G + o) * KH + h) * KW + ww];
  const float* bias = k->num_in > 2 && k->in[2].data ? k->in[2].data : NULL;
  enum xnn_status s = xnn_create_deconvolution2d_nhwc_f32(
      (uint32_t)p->sp.pads[0], (uint32_t)p->sp.pads[3], (uint32_t)p->sp.pads[2], (uint32_t)p->sp.pads[1], (uint32_t)KH,
      (uint32_t)KW, (uint32_t)p->sp.strides[0], (uint32_t)p->sp.strides[1], (uint32_t)p->sp.dilations[0],
      (uint32_t)p->sp.dilations[1], (uint32_t)G, (size_t)CI_G, (size_t)CO_G, (size_t)x->dims[1], (size_t)y->dims[1],
      packed, bias, p->act.min, p->act.max, 0, &op);
  free(packed);
  return roof_xnn_created(s, op, k, "create deconvolution", err);
}

static roof_status setup_convt(roof_kernel* k, roof_error* err) {
  const conv_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  enum xnn_status s = xnn_setup_deconvolution2d_nhwc_f32(
      roof_xop(k), (size_t)x->dims[0], (size_t)x->dims[2], (size_t)x->dims[3], (uint32_t)p->output_padding[0],
      (uint32_t)p->output_padding[1], x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup deconvolution", err);
}

/* A fused residual is added element by element to the output: it takes the output's layout. */
static uint32_t nhwc_inputs_conv(const roof_node* n) {
  const conv_params* p = n->params;
  return p->residual ? 1u << 3 : 0u;
}

const roof_op_schema roof_op_Conv = {
    .id = ROOF_OP_Conv, .op_type = "Conv", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_FUSED_ACT | ROOF_OPF_PACKS_CONSTS, .layout = ROOF_LR_NHWC, .params_size = sizeof(conv_params),
    .parse = parse_conv, .infer = infer_conv, .cost = cost_conv, .describe = describe_conv, .nhwc_inputs = nhwc_inputs_conv,
};
const roof_kernel_impl roof_kernel_Conv_xnnpack = {
    .op = ROOF_OP_Conv, .backend = ROOF_BACKEND_XNNPACK, .dtypes = roof_dtypes_f32, .supports = supports_xnn,
    .create = create_conv, .setup = setup_conv, .run = run_conv, .destroy = destroy_conv, .input_padding = ROOF_XNN_PADDING,
    .packs_consts = true,
};
ROOF_REF_KERNEL(Conv, roof_dtypes_f32, ref_conv);

const roof_op_schema roof_op_ConvTranspose = {
    .id = ROOF_OP_ConvTranspose, .op_type = "ConvTranspose", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_FUSED_ACT | ROOF_OPF_PACKS_CONSTS, .layout = ROOF_LR_NHWC, .params_size = sizeof(conv_params),
    .parse = parse_conv, .infer = infer_convt, .cost = cost_convt, .describe = describe_conv,
};
ROOF_XNN_PACKING_KERNEL(ConvTranspose, supports_xnn, create_convt, setup_convt, roof_xnn_destroy);
ROOF_REF_KERNEL(ConvTranspose, roof_dtypes_f32, ref_convt);
