/* LSTM, GRU and RNN (opsets 7 to 22): one schema each, written once from a per-op cell
 * description (gates, activations per direction, inputs and outputs), shared parse, infer,
 * cost and describe; a reference kernel (double, strided views, every float dtype) and a native
 * float32 kernel.
 *
 * Inputs: X 0, W 1, R 2, B 3, sequence_lens 4, initial_h 5, and for LSTM initial_c 6, P 7.
 * Outputs: Y 0, Y_h 1, and for LSTM Y_c 2; all optional.
 * Gate blocks in W, R and B, hidden_size rows each: RNN [i], GRU [z, r, h], LSTM [i, o, f, c];
 * P holds [i, o, f].
 *
 * Semantics where the spec leaves a choice (onnxruntime's CPU kernels behave the same):
 *  - clip bounds every gate's pre-activation (peephole terms included), not the cell state;
 *  - input_forget couples the gates as f = 1 - i;
 *  - sequence_lens[b] in [0, seq_length]: steps past it are not run, their Y rows are 0, Y_h
 *    and Y_c hold the state after the last valid step (the reverse direction runs from
 *    len - 1 down to 0), and 0 when the length is 0;
 *  - activation names match case-insensitively; activation_alpha / activation_beta are consumed
 *    in list order by the functions that take them, absent values take the ONNX operator's
 *    default (LeakyRelu 0.01, ThresholdedRelu 1, HardSigmoid 0.2 / 0.5, Elu 1, Affine 1 / 0,
 *    ScaledTanh 1 / 1).
 *
 * Native kernel: the input projection X.W^T + (Wb + Rb) of every step, batch entry and
 * direction is one XNNPACK fully-connected product over [seq * batch, input] (weights packed at
 * create); then the recurrence, step by step: tasks of (direction, 16 hidden units, up to 8
 * batch rows) each multiply their rows of H by a packed panel of R (every gate of their 16
 * units side by side, roof_sgemm_f32) and finish the gates of those units with the
 * vectorized exp/tanh of vec_math.h. GRU with linear_before_reset 0 needs r of every unit before
 * (r . H) R_h^T: its steps run in two passes (z and r, then h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "sgemm.h"
#include "vec_math.h"
#include "xnn_backend.h"

enum { RNN_KIND_RNN = 0, RNN_KIND_GRU, RNN_KIND_LSTM };
enum { RNN_IN_X = 0, RNN_IN_W, RNN_IN_R, RNN_IN_B, RNN_IN_LENS, RNN_IN_H0, RNN_IN_C0, RNN_IN_P };
enum { RNN_DIR_FORWARD = 0, RNN_DIR_REVERSE, RNN_DIR_BIDIRECTIONAL };

/* What differs between the three ops. */
typedef struct rnn_cell {
  int gates;       /* blocks of hidden_size rows in W, R and B */
  int acts;        /* activation functions per direction */
  int max_inputs;
  int max_outputs;
  const char* defaults[3];
} rnn_cell;

static const rnn_cell kCells[3] = {
    [RNN_KIND_RNN] = {1, 1, 6, 2, {"Tanh"}},
    [RNN_KIND_GRU] = {3, 2, 6, 2, {"Sigmoid", "Tanh"}},
    [RNN_KIND_LSTM] = {4, 3, 8, 3, {"Sigmoid", "Tanh", "Tanh"}},
};

typedef enum rnn_act_kind {
  ACT_RELU = 0, ACT_TANH, ACT_SIGMOID, ACT_AFFINE, ACT_LEAKY_RELU, ACT_THRESHOLDED_RELU, ACT_SCALED_TANH,
  ACT_HARD_SIGMOID, ACT_ELU, ACT_SOFTSIGN, ACT_SOFTPLUS, ACT_COUNT
} rnn_act_kind;

static const struct {
  const char* name;
  bool alpha, beta;       /* takes activation_alpha / activation_beta values */
  float def_alpha, def_beta;
} kActs[ACT_COUNT] = {
    [ACT_RELU] = {"Relu", false, false, 0, 0},         [ACT_TANH] = {"Tanh", false, false, 0, 0},
    [ACT_SIGMOID] = {"Sigmoid", false, false, 0, 0},   [ACT_AFFINE] = {"Affine", true, true, 1.0f, 0.0f},
    [ACT_LEAKY_RELU] = {"LeakyRelu", true, false, 0.01f, 0},
    [ACT_THRESHOLDED_RELU] = {"ThresholdedRelu", true, false, 1.0f, 0},
    [ACT_SCALED_TANH] = {"ScaledTanh", true, true, 1.0f, 1.0f},
    [ACT_HARD_SIGMOID] = {"HardSigmoid", true, true, 0.2f, 0.5f},
    [ACT_ELU] = {"Elu", true, false, 1.0f, 0},          [ACT_SOFTSIGN] = {"Softsign", false, false, 0, 0},
    [ACT_SOFTPLUS] = {"Softplus", false, false, 0, 0},
};

typedef struct rnn_act {
  int kind; /* rnn_act_kind */
  float alpha, beta;
} rnn_act;

typedef struct rnn_params {
  int kind;      /* RNN_KIND_* */
  int direction; /* RNN_DIR_* */
  int dirs;      /* 1, or 2 when bidirectional */
  int64_t layout;
  int64_t hidden; /* the attribute, or R's last dim (resolved at infer) */
  bool has_clip;
  float clip;
  int64_t linear_before_reset, input_forget;
  rnn_act act[2][3]; /* [direction][f, g, h] */
  int64_t seq, batch, input; /* resolved at infer */
} rnn_params;

static int op_kind(const roof_node* n) {
  return n->op->id == ROOF_OP_LSTM ? RNN_KIND_LSTM : n->op->id == ROOF_OP_GRU ? RNN_KIND_GRU : RNN_KIND_RNN;
}

/* ---- parse ---- */

static int act_lookup(const char* name) {
  for (int a = 0; a < ACT_COUNT; a++) {
    if (strcasecmp(name, kActs[a].name) == 0) return a;
  }
  return -1;
}

/* activations: acts x dirs names, or acts (the same functions both ways), or, one direction,
 * 2 x acts (RNN's opset default lists Tanh twice): the first acts are used. */
static roof_status parse_acts(const roof_graph* g, const roof_node* n, rnn_params* p, roof_error* err) {
  const rnn_cell* cell = &kCells[p->kind];
  char* const* names;
  const float *alphas, *betas;
  size_t count, na, nb, ai = 0, bi = 0;
  roof_status st = roof_attr_get_strings(g, n, "activations", &names, &count, err);
  if (st == ROOF_OK) st = roof_attr_get_floats(g, n, "activation_alpha", &alphas, &na, err);
  if (st == ROOF_OK) st = roof_attr_get_floats(g, n, "activation_beta", &betas, &nb, err);
  if (st != ROOF_OK) return st;
  size_t per = (size_t)cell->acts, want = per * (size_t)p->dirs;
  if (count != 0 && count != want && count != per && !(p->dirs == 1 && count == 2 * per)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'activations' lists %zu functions, %zu expected (%zu per direction)",
                          count, want, per);
  }
  size_t used = count == 0 ? 0 : count < want ? count : want;
  for (int d = 0; d < p->dirs; d++) {
    for (size_t i = 0; i < per; i++) {
      size_t at = d * per + i;
      if (count != 0 && at >= used) { /* the first direction's functions, reused */
        p->act[d][i] = p->act[0][i];
        continue;
      }
      const char* name = count == 0 ? cell->defaults[i] : names[at];
      int a = act_lookup(name);
      if (a < 0) {
        char b[ROOF_NAME_BUF];
        return roof_node_fail(err, ROOF_E_DATA, g, n,
                              "activation '%s' is not one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, "
                              "ScaledTanh, HardSigmoid, Elu, Softsign, Softplus", ROOF_SAFE(name, b));
      }
      rnn_act* r = &p->act[d][i];
      r->kind = a;
      r->alpha = kActs[a].alpha && ai < na ? alphas[ai++] : kActs[a].def_alpha;
      r->beta = kActs[a].beta && bi < nb ? betas[bi++] : kActs[a].def_beta;
    }
  }
  return ROOF_OK;
}

static roof_status parse_rnn(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  rnn_params* p = params;
  const char* dir;
  float clip = 0.0f;
  p->kind = op_kind(n);
  roof_status st = roof_attr_get_string(g, n, "direction", "forward", &dir, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "hidden_size", -1, &p->hidden, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "layout", 0, &p->layout, err);
  if (st == ROOF_OK) st = roof_attr_get_float(g, n, "clip", 0.0f, &clip, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "linear_before_reset", 0, &p->linear_before_reset, err);
  if (st == ROOF_OK) st = roof_attr_get_int(g, n, "input_forget", 0, &p->input_forget, err);
  if (st != ROOF_OK) return st;
  char b[ROOF_NAME_BUF];
  if (strcmp(dir, "forward") == 0) p->direction = RNN_DIR_FORWARD;
  else if (strcmp(dir, "reverse") == 0) p->direction = RNN_DIR_REVERSE;
  else if (strcmp(dir, "bidirectional") == 0) p->direction = RNN_DIR_BIDIRECTIONAL;
  else return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'direction' is '%s' (forward, reverse or bidirectional)", ROOF_SAFE(dir, b));
  p->dirs = p->direction == RNN_DIR_BIDIRECTIONAL ? 2 : 1;
  if (roof_node_attr(n, "hidden_size") && p->hidden <= 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "hidden_size %lld must be > 0", (long long)p->hidden);
  }
  if (p->layout != 0 && p->layout != 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "layout %lld must be 0 or 1", (long long)p->layout);
  if (p->layout != 0 && g->opset < 14) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'layout' needs opset 14 (model: %lld)", (long long)g->opset);
  }
  p->has_clip = roof_node_attr(n, "clip") != NULL;
  if (p->has_clip && !(clip > 0.0f)) return roof_node_fail(err, ROOF_E_DATA, g, n, "clip %g must be > 0", clip);
  p->clip = clip;
  return parse_acts(g, n, p, err);
}

/* ---- infer ---- */

static const int kFloatTypes[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_DOUBLE, 0};
static const int kFloatTypes22[] = {ROOF_DT_FLOAT, ROOF_DT_FLOAT16, ROOF_DT_DOUBLE, ROOF_DT_BFLOAT16, 0};
static const int kInt32[] = {ROOF_DT_INT32, 0};

/* Optional input i, when present: dtype (X's, or int32 for sequence_lens) and exact dims. */
static roof_status check_input(const roof_graph* g, const roof_node* n, int i, const char* what, int dtype, int rank,
                               const int64_t* dims, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  if (v == NULL) return ROOF_OK;
  char b[ROOF_NAME_BUF], got[64], want[64];
  if (v->rank < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': shape of %s is unknown", ROOF_SAFE(v->name, b), what);
  if (v->dtype != dtype) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s is %s, must be %s", ROOF_SAFE(v->name, b), what,
                          roof_dtype_name(v->dtype), roof_dtype_name(dtype));
  }
  bool same = v->rank == rank;
  for (int d = 0; same && d < rank; d++) same = v->dims[d] == dims[d];
  if (!same) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': %s has shape %s, must be %s", ROOF_SAFE(v->name, b), what,
                          roof_shape_str(v->dims, v->rank, got, sizeof(got)), roof_shape_str(dims, rank, want, sizeof(want)));
  }
  return ROOF_OK;
}

/* Constant sequence_lens are checked at load; others at run (rnn_read_lens). */
static roof_status check_const_lens(const roof_graph* g, const roof_node* n, const rnn_params* p, roof_error* err) {
  const roof_value* v = roof_in(g, n, RNN_IN_LENS);
  if (!roof_value_has_data(v)) return ROOF_OK;
  char b[ROOF_NAME_BUF];
  for (int64_t i = 0; i < p->batch; i++) {
    int64_t len = roof_load_i64(v->dtype, v->data, i);
    if (len < 0 || len > p->seq) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': sequence_lens[%lld] = %lld is outside [0, %lld] (seq_length)",
                            ROOF_SAFE(v->name, b), (long long)i, (long long)len, (long long)p->seq);
    }
  }
  return ROOF_OK;
}

static roof_status infer_rnn(roof_graph* g, roof_node* n, roof_error* err) {
  rnn_params* p = n->params;
  const rnn_cell* cell = &kCells[p->kind];
  char b[ROOF_NAME_BUF], s1[64];
  if (n->num_inputs > cell->max_inputs) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%d inputs given, %s takes at most %d", n->num_inputs, n->op_type, cell->max_inputs);
  }
  if (n->num_outputs > cell->max_outputs) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%d outputs given, %s has at most %d", n->num_outputs, n->op_type, cell->max_outputs);
  }
  roof_status st = roof_require_input(g, n, RNN_IN_X, g->opset >= 22 ? kFloatTypes22 : kFloatTypes, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, RNN_IN_W, NULL, err);
  if (st == ROOF_OK) st = roof_require_input(g, n, RNN_IN_R, NULL, err);
  if (st != ROOF_OK) return st;
  const roof_value *x = roof_in(g, n, RNN_IN_X), *w = roof_in(g, n, RNN_IN_W), *r = roof_in(g, n, RNN_IN_R);
  if (x->rank != 3) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': X has shape %s, must have rank 3", ROOF_SAFE(x->name, b),
                          roof_shape_str(x->dims, x->rank, s1, sizeof(s1)));
  }
  if (r->rank != 3) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': R has shape %s, must be [num_directions, %d*hidden_size, hidden_size]",
                          ROOF_SAFE(r->name, b), roof_shape_str(r->dims, r->rank, s1, sizeof(s1)), cell->gates);
  }
  int64_t H = p->hidden > 0 ? p->hidden : r->dims[2], D = p->dirs, G = cell->gates;
  if (w->rank != 3 || w->dims[0] != D || w->dims[1] != G * H) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': W has shape %s, must be [%lld, %lld, input_size] (num_directions, %lld gates x hidden_size %lld)",
                          ROOF_SAFE(w->name, b), roof_shape_str(w->dims, w->rank, s1, sizeof(s1)), (long long)D,
                          (long long)(G * H), (long long)G, (long long)H);
  }
  p->hidden = H;
  p->seq = x->dims[p->layout ? 1 : 0];
  p->batch = x->dims[p->layout ? 0 : 1];
  p->input = x->dims[2];
  if (w->dims[2] != p->input) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': W's input_size %lld differs from X's %lld", ROOF_SAFE(w->name, b),
                          (long long)w->dims[2], (long long)p->input);
  }
  const int64_t rd[3] = {D, G * H, H}, bd[2] = {D, 2 * G * H}, ld[1] = {p->batch}, pd[2] = {D, 3 * H};
  const int64_t sd[3] = {p->layout ? p->batch : D, p->layout ? D : p->batch, H};
  st = check_input(g, n, RNN_IN_W, "W", x->dtype, 3, w->dims, err);
  if (st == ROOF_OK) st = check_input(g, n, RNN_IN_R, "R", x->dtype, 3, rd, err);
  if (st == ROOF_OK) st = check_input(g, n, RNN_IN_B, "B", x->dtype, 2, bd, err);
  if (st == ROOF_OK) st = check_input(g, n, RNN_IN_LENS, "sequence_lens", kInt32[0], 1, ld, err);
  if (st == ROOF_OK) st = check_input(g, n, RNN_IN_H0, "initial_h", x->dtype, 3, sd, err);
  if (st == ROOF_OK && p->kind == RNN_KIND_LSTM) st = check_input(g, n, RNN_IN_C0, "initial_c", x->dtype, 3, sd, err);
  if (st == ROOF_OK && p->kind == RNN_KIND_LSTM) st = check_input(g, n, RNN_IN_P, "P", x->dtype, 2, pd, err);
  if (st == ROOF_OK) st = check_const_lens(g, n, p, err);
  if (st != ROOF_OK) return st;
  const int64_t yd0[4] = {p->seq, D, p->batch, H}, yd1[4] = {p->batch, p->seq, D, H};
  roof_value* y = roof_out(g, n, 0);
  if (y) roof_value_set_shape(y, x->dtype, 4, p->layout ? yd1 : yd0);
  for (int o = 1; o < n->num_outputs; o++) {
    roof_value* s = roof_out(g, n, o);
    if (s) roof_value_set_shape(s, x->dtype, 3, sd);
  }
  return ROOF_OK;
}

/* ---- cost (docs/cost-model.md, "Recurrent ops") ---- */

/* Elementwise flops per hidden unit and step: every gate adds its two products and the bias
 * and applies its activation (3 each); then RNN nothing more, GRU the reset product and the
 * update blend (4), LSTM the cell update, h(C) and the output product (4), plus a multiply
 * and an add per peephole (6) when P is given. */
static uint64_t gate_flops(const roof_graph* g, const roof_node* n, const rnn_params* p) {
  uint64_t per = 3 * (uint64_t)kCells[p->kind].gates;
  if (p->kind == RNN_KIND_GRU || p->kind == RNN_KIND_LSTM) per += 4;
  if (p->kind == RNN_KIND_LSTM && roof_in(g, n, RNN_IN_P)) per += 6;
  return per;
}

static void cost_rnn(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const rnn_params* p = n->params;
  uint64_t steps = 0, proj = 0, rec = 0, elt = 0, gh = (uint64_t)kCells[p->kind].gates * (uint64_t)p->hidden;
  /* steps = seq * batch * directions: one input row and one state update each */
  bool ok = roof_mul_u64((uint64_t)p->seq, (uint64_t)p->batch, &steps) && roof_mul_u64(steps, (uint64_t)p->dirs, &steps) &&
            roof_mul_u64(steps, (uint64_t)p->input, &proj) && roof_mul_u64(proj, gh, &proj) &&
            roof_mul_u64(steps, (uint64_t)p->hidden, &rec) && roof_mul_u64(rec, gh, &rec) &&
            roof_mul_u64(steps, (uint64_t)p->hidden, &elt) && roof_mul_u64(elt, gate_flops(g, n, p), &elt) &&
            roof_add_u64(proj, rec, &c->macs) && roof_mul_u64(c->macs, 2, &c->flops) && roof_add_u64(c->flops, elt, &c->flops);
  if (!ok) c->macs = c->flops = UINT64_MAX;
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "recurrent";
  c->has_model = true;
}

static int describe_rnn(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const rnn_params* p = n->params;
  static const char* const kDir[] = {"forward", "reverse", "bidirectional"};
  return snprintf(buf, size, "%s h%lld seq %lld x batch %lld x in %lld%s%s%s%s", kDir[p->direction], (long long)p->hidden,
                  (long long)p->seq, (long long)p->batch, (long long)p->input, p->layout ? " layout 1" : "",
                  p->has_clip ? " clip" : "", p->linear_before_reset && p->kind == RNN_KIND_GRU ? " lbr" : "",
                  roof_in(g, n, RNN_IN_LENS) ? " lens" : "");
}

/* ---- shared by both kernels ---- */

static bool has_in(const roof_kernel* k, int i) { return i < k->num_in && k->node->inputs[i] >= 0; }
static bool has_out(const roof_kernel* k, int i) { return i < k->num_out && k->node->outputs[i] >= 0; }

/* Direction d runs backwards in time. */
static bool reversed(const rnn_params* p, int d) { return p->direction == RNN_DIR_REVERSE || d == 1; }

/* Element offsets of the layout-dependent tensors (logical indices, the view's strides). */
static int64_t off_x(const roof_tensor* x, int64_t layout, int64_t t, int64_t b, int64_t i) {
  return (layout ? b * x->strides[0] + t * x->strides[1] : t * x->strides[0] + b * x->strides[1]) + i * x->strides[2];
}
static int64_t off_y(const roof_tensor* y, int64_t layout, int64_t t, int64_t d, int64_t b, int64_t j) {
  const int64_t* s = y->strides;
  return layout ? b * s[0] + t * s[1] + d * s[2] + j * s[3] : t * s[0] + d * s[1] + b * s[2] + j * s[3];
}
static int64_t off_state(const roof_tensor* v, int64_t layout, int64_t d, int64_t b, int64_t j) {
  return (layout ? b * v->strides[0] + d * v->strides[1] : d * v->strides[0] + b * v->strides[1]) + j * v->strides[2];
}

/* sequence_lens (or seq_length for all) into lens[batch]; a value outside [0, seq_length] is
 * a data error naming it. */
static roof_status rnn_read_lens(const roof_kernel* k, int64_t* lens, roof_error* err) {
  const rnn_params* p = k->params;
  const roof_tensor* t = &k->in[RNN_IN_LENS];
  for (int64_t b = 0; b < p->batch; b++) {
    lens[b] = has_in(k, RNN_IN_LENS) ? roof_load_i64(t->dtype, t->data, b * t->strides[0]) : p->seq;
    if (lens[b] < 0 || lens[b] > p->seq) {
      char nb[ROOF_NAME_BUF];
      return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "tensor '%s': sequence_lens[%lld] = %lld is outside [0, %lld] (seq_length)",
                            ROOF_SAFE(k->g->values[k->node->inputs[RNN_IN_LENS]].name, nb), (long long)b, (long long)lens[b],
                            (long long)p->seq);
    }
  }
  return ROOF_OK;
}

/* ---- reference: one batch entry and direction at a time, double state and sums ---- */

static double act_f64(const rnn_act* a, double x) {
  switch (a->kind) {
    case ACT_RELU: return x > 0.0 ? x : 0.0;
    case ACT_TANH: return tanh(x);
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ACT_AFFINE: return a->alpha * x + a->beta;
    case ACT_LEAKY_RELU: return x >= 0.0 ? x : a->alpha * x;
    case ACT_THRESHOLDED_RELU: return x >= a->alpha ? x : 0.0;
    case ACT_SCALED_TANH: return a->alpha * tanh(a->beta * x);
    case ACT_HARD_SIGMOID: return fmin(fmax(a->alpha * x + a->beta, 0.0), 1.0);
    case ACT_ELU: return x >= 0.0 ? x : a->alpha * expm1(x);
    case ACT_SOFTSIGN: return x / (1.0 + fabs(x));
    default: return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x)); /* Softplus */
  }
}

typedef struct ref_io {
  const roof_kernel* k;
  const rnn_params* p;
  int dt;
  int64_t d, b, t; /* direction, batch entry, time step */
} ref_io;

static double ref_clip(const rnn_params* p, double x) { return p->has_clip ? fmin(fmax(x, -p->clip), p->clip) : x; }

/* X[t, b] . W[d, row] + Wb[d, row] + Rb[d, row] (the R bias left out when `rb` is false) */
static double ref_xw(const ref_io* io, int64_t row, bool rb) {
  const roof_tensor *x = &io->k->in[RNN_IN_X], *w = &io->k->in[RNN_IN_W], *bv = &io->k->in[RNN_IN_B];
  double acc = 0.0;
  for (int64_t i = 0; i < io->p->input; i++) {
    acc += roof_load_f64(io->dt, x->data, off_x(x, io->p->layout, io->t, io->b, i)) *
           roof_load_f64(io->dt, w->data, io->d * w->strides[0] + row * w->strides[1] + i * w->strides[2]);
  }
  if (has_in(io->k, RNN_IN_B)) {
    acc += roof_load_f64(io->dt, bv->data, io->d * bv->strides[0] + row * bv->strides[1]);
    if (rb) acc += roof_load_f64(io->dt, bv->data, io->d * bv->strides[0] + (row + kCells[io->p->kind].gates * io->p->hidden) * bv->strides[1]);
  }
  return acc;
}

/* v . R[d, row] */
static double ref_hr(const ref_io* io, int64_t row, const double* v) {
  const roof_tensor* r = &io->k->in[RNN_IN_R];
  double acc = 0.0;
  for (int64_t j = 0; j < io->p->hidden; j++) {
    acc += v[j] * roof_load_f64(io->dt, r->data, io->d * r->strides[0] + row * r->strides[1] + j * r->strides[2]);
  }
  return acc;
}

static double ref_rb(const ref_io* io, int64_t row) {
  const roof_tensor* bv = &io->k->in[RNN_IN_B];
  if (!has_in(io->k, RNN_IN_B)) return 0.0;
  return roof_load_f64(io->dt, bv->data, io->d * bv->strides[0] + (row + kCells[io->p->kind].gates * io->p->hidden) * bv->strides[1]);
}

/* P[d, gate, j] * c (nothing without P: 0 * inf would be NaN) */
static double ref_peep(const ref_io* io, int gate, int64_t j, double c) {
  const roof_tensor* pv = &io->k->in[RNN_IN_P];
  if (!has_in(io->k, RNN_IN_P)) return 0.0;
  return c * roof_load_f64(io->dt, pv->data, io->d * pv->strides[0] + (gate * io->p->hidden + j) * pv->strides[1]);
}

/* One step: h (and c) -> hn (and cn); tmp holds 2 * hidden doubles. */
static void ref_step(const ref_io* io, const double* h, const double* c, double* hn, double* cn, double* tmp) {
  const rnn_params* p = io->p;
  const rnn_act* act = p->act[io->d];
  const int64_t H = p->hidden;
  if (p->kind == RNN_KIND_RNN) {
    for (int64_t j = 0; j < H; j++) hn[j] = act_f64(&act[0], ref_clip(p, ref_xw(io, j, true) + ref_hr(io, j, h)));
  } else if (p->kind == RNN_KIND_GRU) {
    double *z = tmp, *rh = tmp + H;
    for (int64_t j = 0; j < H; j++) {
      z[j] = act_f64(&act[0], ref_clip(p, ref_xw(io, j, true) + ref_hr(io, j, h)));
      double r = act_f64(&act[0], ref_clip(p, ref_xw(io, H + j, true) + ref_hr(io, H + j, h)));
      rh[j] = p->linear_before_reset ? r : r * h[j]; /* lbr: r itself, else r (.) H */
    }
    for (int64_t j = 0; j < H; j++) {
      double pre = p->linear_before_reset ? ref_xw(io, 2 * H + j, false) + rh[j] * (ref_hr(io, 2 * H + j, h) + ref_rb(io, 2 * H + j))
                                          : ref_xw(io, 2 * H + j, true) + ref_hr(io, 2 * H + j, rh);
      double hh = act_f64(&act[1], ref_clip(p, pre));
      hn[j] = (1.0 - z[j]) * hh + z[j] * h[j];
    }
  } else {
    for (int64_t j = 0; j < H; j++) { /* gate rows: i 0, o H, f 2H, c 3H */
      double i = act_f64(&act[0], ref_clip(p, ref_xw(io, j, true) + ref_hr(io, j, h) + ref_peep(io, 0, j, c[j])));
      double f = p->input_forget ? 1.0 - i
                                 : act_f64(&act[0], ref_clip(p, ref_xw(io, 2 * H + j, true) + ref_hr(io, 2 * H + j, h) +
                                                                    ref_peep(io, 2, j, c[j])));
      double g = act_f64(&act[1], ref_clip(p, ref_xw(io, 3 * H + j, true) + ref_hr(io, 3 * H + j, h)));
      cn[j] = f * c[j] + i * g;
      double o = act_f64(&act[0], ref_clip(p, ref_xw(io, H + j, true) + ref_hr(io, H + j, h) + ref_peep(io, 1, j, cn[j])));
      hn[j] = o * act_f64(&act[2], cn[j]);
    }
  }
}

/* Initial state of (d, b) from input i, or zeros. */
static void ref_load_state(const ref_io* io, int i, double* s) {
  const roof_tensor* v = &io->k->in[i];
  for (int64_t j = 0; j < io->p->hidden; j++) {
    s[j] = has_in(io->k, i) ? roof_load_f64(io->dt, v->data, off_state(v, io->p->layout, io->d, io->b, j)) : 0.0;
  }
}

/* State of (d, b) into output o, if present (zeros when the sequence is empty). */
static void ref_store_state(const ref_io* io, int o, const double* s, bool empty) {
  if (!has_out(io->k, o)) return;
  roof_tensor* v = &io->k->out[o];
  for (int64_t j = 0; j < io->p->hidden; j++) roof_store_f64(v->dtype, v->data, off_state(v, io->p->layout, io->d, io->b, j), empty ? 0.0 : s[j]);
}

static void ref_sequence(ref_io* io, int64_t len, double* buf) {
  const rnn_params* p = io->p;
  const int64_t H = p->hidden;
  double *h = buf, *c = buf + H, *hn = buf + 2 * H, *cn = buf + 3 * H, *tmp = buf + 4 * H;
  roof_tensor* y = has_out(io->k, 0) ? &io->k->out[0] : NULL;
  ref_load_state(io, RNN_IN_H0, h);
  if (p->kind == RNN_KIND_LSTM) ref_load_state(io, RNN_IN_C0, c);
  for (int64_t s = 0; s < len; s++) {
    io->t = reversed(p, (int)io->d) ? len - 1 - s : s;
    ref_step(io, h, c, hn, cn, tmp);
    memcpy(h, hn, sizeof(double) * (size_t)H);
    if (p->kind == RNN_KIND_LSTM) memcpy(c, cn, sizeof(double) * (size_t)H);
    for (int64_t j = 0; y && j < H; j++) roof_store_f64(y->dtype, y->data, off_y(y, p->layout, io->t, io->d, io->b, j), h[j]);
  }
  for (int64_t t = len; y && t < p->seq; t++) { /* past the sequence's end */
    for (int64_t j = 0; j < H; j++) roof_store_f64(y->dtype, y->data, off_y(y, p->layout, t, io->d, io->b, j), 0.0);
  }
  ref_store_state(io, 1, h, len == 0);
  if (p->kind == RNN_KIND_LSTM) ref_store_state(io, 2, c, len == 0);
}

static roof_status ref_rnn(roof_kernel* k, roof_error* err) {
  const rnn_params* p = k->params;
  int64_t* lens = malloc(sizeof(int64_t) * (size_t)(p->batch + 1));
  double* buf = malloc(sizeof(double) * (size_t)(6 * p->hidden + 1));
  roof_status st = lens && buf ? rnn_read_lens(k, lens, err) : roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  for (int d = 0; st == ROOF_OK && d < p->dirs; d++) {
    for (int64_t b = 0; b < p->batch; b++) {
      ref_io io = {.k = k, .p = p, .dt = k->in[RNN_IN_X].dtype, .d = d, .b = b};
      ref_sequence(&io, lens[b], buf);
    }
  }
  free(lens);
  free(buf);
  return st;
}

/* ---- native: float32, constant W, R, B, P ---- */

enum { NAT_U = 16, NAT_ROWS = 8 }; /* hidden units and batch rows of one task */

/* The activation over n values in place, vectorized (vec_math.h's exp and tanh). */
ROOF_VEC_CLONES static void act_vec(const rnn_act* a, float* x, int n) {
  const float al = a->alpha, be = a->beta;
  switch (a->kind) {
    case ACT_RELU: for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f; break;
    case ACT_TANH: for (int i = 0; i < n; i++) x[i] = roof_tanh(x[i]); break;
    case ACT_SIGMOID:
      for (int i = 0; i < n; i++) { /* e^-|x| never overflows; the sign picks 1/(1+e) or e/(1+e) */
        const float e = roof_exp_nonpos(-fabsf(x[i])), r = 1.0f / (1.0f + e);
        x[i] = x[i] >= 0.0f ? r : e * r;
      }
      break;
    case ACT_AFFINE: for (int i = 0; i < n; i++) x[i] = al * x[i] + be; break;
    case ACT_LEAKY_RELU: for (int i = 0; i < n; i++) x[i] = x[i] >= 0.0f ? x[i] : al * x[i]; break;
    case ACT_THRESHOLDED_RELU: for (int i = 0; i < n; i++) x[i] = x[i] >= al ? x[i] : 0.0f; break;
    case ACT_SCALED_TANH: for (int i = 0; i < n; i++) x[i] = al * roof_tanh(be * x[i]); break;
    case ACT_HARD_SIGMOID: for (int i = 0; i < n; i++) x[i] = fminf(fmaxf(al * x[i] + be, 0.0f), 1.0f); break;
    case ACT_ELU:
      for (int i = 0; i < n; i++) x[i] = x[i] >= 0.0f ? x[i] : al * (roof_exp_nonpos(fminf(x[i], 0.0f)) - 1.0f);
      break;
    case ACT_SOFTSIGN: for (int i = 0; i < n; i++) x[i] = x[i] / (1.0f + fabsf(x[i])); break;
    default: for (int i = 0; i < n; i++) x[i] = fmaxf(x[i], 0.0f) + log1pf(roof_exp_nonpos(-fabsf(x[i]))); break;
  }
}

/* Gates of one step pass: its panel holds these gates of NAT_U units side by side. */
typedef struct nat_pass {
  int ng;
  int gate[4];
  int64_t nc;     /* panel width: ng * NAT_U */
  float* panels;  /* [dirs][chunks][hidden][nc]: R[d][gate * H + unit][k] at [k][g * NAT_U + u] */
} nat_pass;

typedef struct nat_state {
  rnn_params p;
  int G, passes;
  int64_t S, B, I, H, D, GH, chunks, rows, row_blocks, steps;
  bool by_sequence; /* tasks of whole sequences (else of unit chunks, step by step) */
  nat_pass pass[2];
  float* rbh;  /* GRU linear_before_reset: Rb of the h gate [dirs][H] (outside r's product) */
  float* peep; /* LSTM P [dirs][3][H], or NULL */
  uint64_t off_h[2], off_c, off_z, off_rh, off_lens, scratch_floats; /* scratch regions (floats) */
  /* bound by setup and run */
  float* proj; /* [seq * batch rows][dirs * G * H]: X W^T + bias */
  float* h[2]; /* [dirs][batch][H], the state before / after a step */
  float *c, *z, *rh; /* [dirs][batch][H]: LSTM's cell, GRU's update gate and r (.) H */
  int64_t* lens;
  float *y, *yh, *yc;
  int64_t step, pass_at;
  int cur; /* h[cur] holds the state before the step */
} nat_state;

static void destroy_native(roof_kernel* k) {
  nat_state* s = k->state;
  if (s) {
    free(s->pass[0].panels);
    free(s->pass[1].panels);
    free(s->rbh);
    free(s->peep);
  }
  roof_xnn_destroy(k);
}

static bool const_in(const roof_kernel* k, int i) {
  const roof_value* v = roof_in(k->g, k->node, i);
  return v == NULL || (v->data && (v->flags & ROOF_VAL_CONST));
}

static bool supports_native(const roof_kernel* k, char* why, size_t n) {
  const rnn_params* p = k->params;
  const char* no = NULL;
  for (int i = 0; i < k->num_in && !no; i++) {
    if (has_in(k, i) && !roof_tensor_is_plain(&k->in[i])) no = "strided input";
  }
  for (int o = 0; o < k->num_out && !no; o++) {
    if (has_out(k, o) && !roof_tensor_is_plain(&k->out[o])) no = "strided output";
  }
  if (!no && (p->seq == 0 || p->batch == 0 || p->input == 0 || p->hidden == 0)) no = "an empty dimension";
  if (!no && (!const_in(k, RNN_IN_W) || !const_in(k, RNN_IN_R) || !const_in(k, RNN_IN_B) || !const_in(k, RNN_IN_P))) {
    no = "W, R, B or P is not constant";
  }
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* The passes of one step and their gates. */
static void nat_plan_passes(nat_state* s) {
  static const int kAll[4] = {0, 1, 2, 3};
  if (s->p.kind == RNN_KIND_GRU && !s->p.linear_before_reset) {
    s->passes = 2;
    s->pass[0] = (nat_pass){.ng = 2, .gate = {0, 1}};
    s->pass[1] = (nat_pass){.ng = 1, .gate = {2}};
  } else {
    s->passes = 1;
    s->pass[0].ng = s->G;
    memcpy(s->pass[0].gate, kAll, sizeof(kAll));
  }
  for (int i = 0; i < s->passes; i++) s->pass[i].nc = s->pass[i].ng * NAT_U;
}

/* R packed into the passes' panels (zero columns past H). */
static roof_status nat_pack_r(roof_kernel* k, nat_state* s, roof_error* err) {
  const float* r = k->in[RNN_IN_R].data;
  for (int i = 0; i < s->passes; i++) {
    nat_pass* ps = &s->pass[i];
    size_t n = (size_t)(s->D * s->chunks * s->H * ps->nc);
    ps->panels = calloc(n, sizeof(float));
    if (ps->panels == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory packing R");
    for (int64_t d = 0; d < s->D; d++) {
      for (int64_t ch = 0; ch < s->chunks; ch++) {
        float* panel = ps->panels + (d * s->chunks + ch) * s->H * ps->nc;
        for (int gi = 0; gi < ps->ng; gi++) {
          for (int64_t u = 0; u < NAT_U && ch * NAT_U + u < s->H; u++) {
            const float* row = r + (d * s->GH + ps->gate[gi] * s->H + ch * NAT_U + u) * s->H;
            for (int64_t kk = 0; kk < s->H; kk++) panel[kk * ps->nc + gi * NAT_U + u] = row[kk];
          }
        }
      }
    }
  }
  return ROOF_OK;
}

/* The projection's bias: Wb + Rb per gate row (GRU's h gate with linear_before_reset keeps Rbh
 * apart, in s->rbh); NULL without B. */
static roof_status nat_bias(roof_kernel* k, nat_state* s, float** out, roof_error* err) {
  *out = NULL;
  if (!has_in(k, RNN_IN_B)) return ROOF_OK;
  const float* bv = k->in[RNN_IN_B].data;
  bool lbr = s->p.kind == RNN_KIND_GRU && s->p.linear_before_reset;
  float* bias = malloc(sizeof(float) * (size_t)(s->D * s->GH) + ROOF_XNN_PADDING);
  if (lbr) s->rbh = malloc(sizeof(float) * (size_t)(s->D * s->H));
  if (bias == NULL || (lbr && s->rbh == NULL)) {
    free(bias);
    return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  }
  for (int64_t d = 0; d < s->D; d++) {
    const float* wb = bv + d * 2 * s->GH;
    for (int64_t j = 0; j < s->GH; j++) {
      bool apart = lbr && j >= 2 * s->H;
      bias[d * s->GH + j] = wb[j] + (apart ? 0.0f : wb[s->GH + j]);
      if (apart) s->rbh[d * s->H + j - 2 * s->H] = wb[s->GH + j];
    }
  }
  *out = bias;
  return ROOF_OK;
}

/* Scratch regions, 64-byte aligned each; refuses past the single-tensor limit. */
static roof_status nat_scratch(roof_kernel* k, nat_state* s, roof_error* err) {
  uint64_t proj = 0, state = 0, at = 0;
  bool ok = roof_mul_u64((uint64_t)(s->S * s->B), (uint64_t)(s->D * s->GH), &proj) &&
            roof_mul_u64((uint64_t)(s->D * s->B), (uint64_t)s->H, &state);
  const uint64_t sizes[6] = {proj, state, state, state, s->passes > 1 ? 2 * state : 0, 2 * (uint64_t)s->B};
  uint64_t* offs[6] = {NULL, &s->off_h[0], &s->off_h[1], &s->off_c, &s->off_z, &s->off_lens};
  for (int i = 0; ok && i < 6; i++) {
    if (offs[i]) *offs[i] = at;
    ok = roof_add_u64(at, sizes[i], &at) && roof_add_u64(at, 15, &at);
    at = at / 16 * 16;
  }
  s->off_rh = s->off_z + state;
  if (!ok || at > k->max_scratch_bytes / sizeof(float)) {
    return roof_kernel_refuse(err, "scratch would exceed %llu bytes", (unsigned long long)k->max_scratch_bytes);
  }
  s->scratch_floats = at;
  return ROOF_OK;
}

/* How the recurrence is split. Directions and batch entries are independent sequences: when
 * there are at least as many of them as threads, each task runs every step of its rows (one
 * pool call, no barrier per step: a barrier per step costs a wake-up of every thread, ~100 us
 * on a loaded machine). Otherwise (one direction, a batch smaller than the pool) every step is
 * split over chunks of units, enough tasks for the pool (4 per thread) when the batch allows. */
static void nat_grouping(const roof_kernel* k, nat_state* s) {
  int64_t threads = k->pool ? (int64_t)pthreadpool_get_threads_count(k->pool) : 1;
  /* A step split over threads pays a barrier per step (a few microseconds idle): worth it only
   * from 256 K multiply-adds per step (a 256-unit LSTM of one sequence). The streaming VAD
   * model's 64-unit LSTMs (16 K per step) took 18 us on one thread and 47 us split over 2. */
  if (threads > 1 && s->D * s->B < threads && s->B * s->GH * s->H < (1 << 18)) threads = 1;
  int64_t blocks = (threads + s->D - 1) / s->D;
  blocks = blocks < s->B ? blocks : s->B;
  s->rows = (s->B + blocks - 1) / blocks;
  s->row_blocks = (s->B + s->rows - 1) / s->rows;
  s->by_sequence = s->D * s->row_blocks >= threads;
  if (s->by_sequence) return;
  int64_t rows = s->B < NAT_ROWS ? s->B : NAT_ROWS;
  while (rows > 1 && s->D * s->chunks * ((s->B + rows - 1) / rows) < 4 * threads) rows = (rows + 1) / 2;
  s->rows = rows;
  s->row_blocks = (s->B + rows - 1) / rows;
}

static roof_status create_native(roof_kernel* k, roof_error* err) {
  nat_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  s->p = *(const rnn_params*)k->params;
  s->G = kCells[s->p.kind].gates;
  s->S = s->p.seq, s->B = s->p.batch, s->I = s->p.input, s->H = s->p.hidden, s->D = s->p.dirs;
  s->GH = s->G * s->H;
  s->chunks = (s->H + NAT_U - 1) / NAT_U;
  nat_plan_passes(s);
  nat_grouping(k, s);
  roof_status st = nat_scratch(k, s, err);
  if (st == ROOF_OK) st = nat_pack_r(k, s, err);
  if (st == ROOF_OK && has_in(k, RNN_IN_P)) {
    s->peep = malloc(sizeof(float) * (size_t)(s->D * 3 * s->H));
    if (s->peep == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
    memcpy(s->peep, k->in[RNN_IN_P].data, sizeof(float) * (size_t)(s->D * 3 * s->H));
  }
  float* bias = NULL;
  if (st == ROOF_OK) st = nat_bias(k, s, &bias, err);
  if (st != ROOF_OK) return st;
  xnn_operator_t op = NULL;
  enum xnn_status xs = xnn_create_fully_connected_nc_f32((size_t)s->I, (size_t)(s->D * s->GH), (size_t)s->I, (size_t)(s->D * s->GH),
                                                         k->in[RNN_IN_W].data, bias, -INFINITY, INFINITY, 0, &op);
  free(bias);
  return roof_xnn_created(xs, op, k, "create fully connected (input projection)", err);
}

static uint64_t scratch_native(const roof_kernel* k) {
  const nat_state* s = k->state;
  return s ? s->scratch_floats * sizeof(float) : 0;
}

static roof_status setup_native(roof_kernel* k, roof_error* err) {
  nat_state* s = k->state;
  float* base = k->scratch;
  s->proj = base;
  s->h[0] = base + s->off_h[0];
  s->h[1] = base + s->off_h[1];
  s->c = base + s->off_c;
  s->z = base + s->off_z;
  s->rh = base + s->off_rh;
  s->lens = (int64_t*)(void*)(base + s->off_lens);
  s->y = has_out(k, 0) ? k->out[0].data : NULL;
  s->yh = has_out(k, 1) ? k->out[1].data : NULL;
  s->yc = has_out(k, 2) ? k->out[2].data : NULL;
  enum xnn_status xs = xnn_setup_fully_connected_nc_f32(roof_xop(k), (size_t)(s->S * s->B), k->in[RNN_IN_X].data, s->proj, k->pool);
  return roof_xnn_check(xs, k, "setup fully connected (input projection)", err);
}

/* x[i] = clip(x[i] + a[i]) */
static inline void add_clip(const nat_state* s, float* restrict x, const float* restrict a, int n) {
  if (s->p.has_clip) {
    const float c = s->p.clip;
    for (int i = 0; i < n; i++) x[i] = fminf(fmaxf(x[i] + a[i], -c), c);
  } else {
    for (int i = 0; i < n; i++) x[i] += a[i];
  }
}

/* x[i] = clip(x[i] + a[i] * b[i]) (peepholes) */
static inline void add_mul_clip(const nat_state* s, float* restrict x, const float* restrict a, const float* b, int n) {
  for (int i = 0; i < n; i++) x[i] += a[i] * b[i];
  if (s->p.has_clip) {
    const float c = s->p.clip;
    for (int i = 0; i < n; i++) x[i] = fminf(fmaxf(x[i], -c), c);
  }
}

/* One task's row: gates g (the panel product, NAT_U apart), projection xp (gate blocks H
 * apart), state h (before), hn (after), c in place; units [u0, u0 + nu). */
typedef struct nat_row {
  int64_t d, b, t, u0;
  int nu;
  float* g;
  const float* xp;
  const float* h;
  float* hn;
} nat_row;

static void lstm_row(const nat_state* s, const nat_row* r) {
  const rnn_act* a = s->p.act[r->d];
  const int n = r->nu;
  const int64_t H = s->H;
  float *gi = r->g, *go = r->g + NAT_U, *gf = r->g + 2 * NAT_U, *gc = r->g + 3 * NAT_U;
  float* c = s->c + (r->d * s->B + r->b) * H + r->u0;
  const float* pp = s->peep ? s->peep + r->d * 3 * H + r->u0 : NULL;
  for (int u = 0; u < n; u++) gi[u] += r->xp[u], go[u] += r->xp[H + u], gf[u] += r->xp[2 * H + u], gc[u] += r->xp[3 * H + u];
  const float zero[NAT_U] = {0};
  if (pp) add_mul_clip(s, gi, pp, c, n);
  else add_clip(s, gi, zero, n);
  act_vec(&a[0], gi, n);
  if (s->p.input_forget) {
    for (int u = 0; u < n; u++) gf[u] = 1.0f - gi[u];
  } else {
    if (pp) add_mul_clip(s, gf, pp + 2 * H, c, n);
    else add_clip(s, gf, zero, n);
    act_vec(&a[0], gf, n);
  }
  add_clip(s, gc, zero, n);
  act_vec(&a[1], gc, n);
  for (int u = 0; u < n; u++) c[u] = gf[u] * c[u] + gi[u] * gc[u];
  if (pp) add_mul_clip(s, go, pp + H, c, n);
  else add_clip(s, go, zero, n);
  act_vec(&a[0], go, n);
  memcpy(gc, c, sizeof(float) * (size_t)n);
  act_vec(&a[2], gc, n);
  for (int u = 0; u < n; u++) r->hn[u] = go[u] * gc[u];
}

/* GRU's first pass (linear_before_reset 0): z and r (.) H */
static void gru_zr_row(const nat_state* s, const nat_row* r) {
  const rnn_act* a = s->p.act[r->d];
  const int n = r->nu;
  float *gz = r->g, *gr = r->g + NAT_U;
  add_clip(s, gz, r->xp, n);
  add_clip(s, gr, r->xp + s->H, n);
  act_vec(&a[0], gz, n);
  act_vec(&a[0], gr, n);
  const int64_t at = (r->d * s->B + r->b) * s->H + r->u0;
  memcpy(s->z + at, gz, sizeof(float) * (size_t)n);
  for (int u = 0; u < n; u++) s->rh[at + u] = gr[u] * r->h[u];
}

/* GRU's h gate and update: linear_before_reset 0 (second pass, g holds (r (.) H) R_h^T), or 1
 * (one pass, g holds every gate). */
static void gru_h_row(const nat_state* s, const nat_row* r) {
  const rnn_act* a = s->p.act[r->d];
  const int n = r->nu;
  const int64_t H = s->H;
  float z[NAT_U], *gh;
  if (s->p.linear_before_reset) {
    float *gz = r->g, *gr = r->g + NAT_U;
    gh = r->g + 2 * NAT_U;
    add_clip(s, gz, r->xp, n);
    add_clip(s, gr, r->xp + H, n);
    act_vec(&a[0], gz, n);
    act_vec(&a[0], gr, n);
    const float* rb = s->rbh ? s->rbh + r->d * H + r->u0 : NULL;
    for (int u = 0; u < n; u++) gh[u] = gr[u] * (gh[u] + (rb ? rb[u] : 0.0f));
    memcpy(z, gz, sizeof(float) * (size_t)n);
  } else {
    gh = r->g;
    memcpy(z, s->z + (r->d * s->B + r->b) * H + r->u0, sizeof(float) * (size_t)n);
  }
  add_clip(s, gh, r->xp + 2 * H, n);
  act_vec(&a[1], gh, n);
  for (int u = 0; u < n; u++) r->hn[u] = (1.0f - z[u]) * gh[u] + z[u] * r->h[u];
}

static void rnn_row(const nat_state* s, const nat_row* r) {
  add_clip(s, r->g, r->xp, r->nu);
  act_vec(&s->p.act[r->d][0], r->g, r->nu);
  memcpy(r->hn, r->g, sizeof(float) * (size_t)r->nu);
}

/* Where a block is in the recurrence: step, pass of the step, which h buffer is the old state. */
typedef struct nat_at {
  int64_t step;
  int pass;
  int cur;
} nat_at;

/* One block of a step pass: direction d, units [chunk * NAT_U, +NAT_U), batch rows
 * [b0, b0 + nb), nb <= NAT_ROWS. Rows whose sequence has ended keep their state. */
static void nat_block(const nat_state* s, nat_at at, int64_t d, int64_t chunk, int64_t b0, int64_t nb) {
  const nat_pass* ps = &s->pass[at.pass];
  const bool last = at.pass == s->passes - 1;
  const int64_t H = s->H, u0 = chunk * NAT_U;
  const int nu = (int)(H - u0 < NAT_U ? H - u0 : NAT_U);
  bool live = false;
  for (int64_t i = 0; i < nb; i++) live = live || at.step < s->lens[b0 + i];
  float tmp[NAT_ROWS * 4 * NAT_U];
  if (live) {
    const float* a = (at.pass == 1 ? s->rh : s->h[at.cur]) + (d * s->B + b0) * H;
    const float* panel = ps->panels + (d * s->chunks + chunk) * H * ps->nc;
    roof_sgemm_f32(nb, ps->nc, H, 1.0f, a, H, 1, panel, ps->nc, 1, 0.0f, tmp, ps->nc, 1);
  }
  for (int64_t i = 0; i < nb; i++) {
    const int64_t b = b0 + i, len = s->lens[b], off = (d * s->B + b) * H + u0;
    nat_row r = {.d = d, .b = b, .u0 = u0, .nu = nu, .g = tmp + i * ps->nc, .h = s->h[at.cur] + off, .hn = s->h[at.cur ^ 1] + off};
    if (at.step >= len) { /* this sequence has ended: its state stays */
      if (last) memcpy(r.hn, r.h, sizeof(float) * (size_t)nu);
      continue;
    }
    r.t = reversed(&s->p, (int)d) ? len - 1 - at.step : at.step;
    r.xp = s->proj + (s->p.layout ? b * s->S + r.t : r.t * s->B + b) * s->D * s->GH + d * s->GH + u0;
    switch (s->p.kind) {
      case RNN_KIND_LSTM: lstm_row(s, &r); break;
      case RNN_KIND_GRU:
        if (last) gru_h_row(s, &r);
        else gru_zr_row(s, &r);
        break;
      default: rnn_row(s, &r); break;
    }
    if (last && s->y) {
      const int64_t row = s->p.layout ? (b * s->S + r.t) * s->D + d : (r.t * s->D + d) * s->B + b;
      memcpy(s->y + row * H + u0, r.hn, sizeof(float) * (size_t)nu);
    }
  }
}

/* Whole sequences: every step of direction d for the batch rows of block rb (no other task
 * touches them, so the steps need no barrier). */
static void nat_seq_task(void* ctx, size_t d, size_t rb) {
  const nat_state* s = ctx;
  const int64_t b0 = (int64_t)rb * s->rows, b1 = b0 + s->rows < s->B ? b0 + s->rows : s->B;
  nat_at at = {0};
  for (at.step = 0; at.step < s->steps; at.step++, at.cur ^= 1) {
    for (at.pass = 0; at.pass < s->passes; at.pass++) {
      for (int64_t ch = 0; ch < s->chunks; ch++) {
        for (int64_t b = b0; b < b1; b += NAT_ROWS) nat_block(s, at, (int64_t)d, ch, b, b1 - b < NAT_ROWS ? b1 - b : NAT_ROWS);
      }
    }
  }
}

/* One pass of one step: direction d, one chunk of units, rows of block rb. */
static void nat_step_task(void* ctx, size_t d, size_t chunk, size_t rb) {
  const nat_state* s = ctx;
  const int64_t b0 = (int64_t)rb * s->rows, nb = s->B - b0 < s->rows ? s->B - b0 : s->rows;
  nat_at at = {.step = s->step, .pass = s->pass_at, .cur = s->cur};
  nat_block(s, at, (int64_t)d, (int64_t)chunk, b0, nb);
}

/* Initial states (layout-aware) into h[0] and c; zeros when absent. */
static void nat_load_state(const roof_kernel* k, const nat_state* s, int i, float* dst) {
  if (!has_in(k, i)) {
    memset(dst, 0, sizeof(float) * (size_t)(s->D * s->B * s->H));
    return;
  }
  const float* src = k->in[i].data;
  for (int64_t d = 0; d < s->D; d++) {
    for (int64_t b = 0; b < s->B; b++) {
      const float* row = src + (s->p.layout ? b * s->D + d : d * s->B + b) * s->H;
      memcpy(dst + (d * s->B + b) * s->H, row, sizeof(float) * (size_t)s->H);
    }
  }
}

/* Final states into Y_h / Y_c (zeros for empty sequences). */
static void nat_store_state(const nat_state* s, const float* src, float* dst) {
  if (dst == NULL) return;
  for (int64_t d = 0; d < s->D; d++) {
    for (int64_t b = 0; b < s->B; b++) {
      float* row = dst + (s->p.layout ? b * s->D + d : d * s->B + b) * s->H;
      if (s->lens[b] == 0) memset(row, 0, sizeof(float) * (size_t)s->H);
      else memcpy(row, src + (d * s->B + b) * s->H, sizeof(float) * (size_t)s->H);
    }
  }
}

static roof_status run_native(roof_kernel* k, roof_error* err) {
  nat_state* s = k->state;
  roof_status st = rnn_read_lens(k, s->lens, err);
  if (st != ROOF_OK) return st;
  st = roof_xnn_check(xnn_run_operator(roof_xop(k), k->pool), k, "run fully connected (input projection)", err);
  if (st != ROOF_OK) return st;
  s->cur = 0;
  nat_load_state(k, s, RNN_IN_H0, s->h[0]);
  if (s->p.kind == RNN_KIND_LSTM) nat_load_state(k, s, RNN_IN_C0, s->c);
  if (s->passes > 1) memset(s->rh, 0, sizeof(float) * (size_t)(s->D * s->B * s->H));
  int64_t steps = 0;
  for (int64_t b = 0; b < s->B; b++) steps = s->lens[b] > steps ? s->lens[b] : steps;
  for (int64_t b = 0; s->y && b < s->B; b++) { /* Y past each sequence's end */
    for (int64_t t = s->lens[b]; t < s->S; t++) {
      for (int64_t d = 0; d < s->D; d++) {
        int64_t row = s->p.layout ? (b * s->S + t) * s->D + d : (t * s->D + d) * s->B + b;
        memset(s->y + row * s->H, 0, sizeof(float) * (size_t)s->H);
      }
    }
  }
  s->steps = steps;
  if (s->by_sequence) { /* one pool call: tasks of whole sequences */
    pthreadpool_parallelize_2d(k->pool, nat_seq_task, s, (size_t)s->D, (size_t)s->row_blocks, ROOF_POOL_FLAGS);
    s->cur = (int)(steps % 2);
  } else { /* a pool call per step and pass: tasks of unit chunks */
    for (s->step = 0; s->step < steps; s->step++, s->cur ^= 1) {
      for (s->pass_at = 0; s->pass_at < s->passes; s->pass_at++) {
        pthreadpool_parallelize_3d(k->pool, nat_step_task, s, (size_t)s->D, (size_t)s->chunks, (size_t)s->row_blocks, ROOF_POOL_FLAGS);
      }
    }
  }
  nat_store_state(s, s->h[s->cur], s->yh);
  if (s->p.kind == RNN_KIND_LSTM) nat_store_state(s, s->c, s->yc);
  return ROOF_OK;
}

/* ---- schemas and entries ---- */

#define RNN_OP(SYM)                                                                                                    \
  const roof_op_schema roof_op_##SYM = {                                                                               \
      .id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = 7, .until_version = 1000,                  \
      .flags = ROOF_OPF_OPTIONAL_OUT0, .layout = ROOF_LR_PLAIN, .params_size = sizeof(rnn_params), .parse = parse_rnn, .infer = infer_rnn,             \
      .cost = cost_rnn, .describe = describe_rnn,                                                                     \
  };                                                                                                                   \
  const roof_kernel_impl roof_kernel_##SYM##_native = {                                                               \
      .op = ROOF_OP_##SYM, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_native,    \
      .create = create_native, .setup = setup_native, .run = run_native, .destroy = destroy_native,                   \
      .input_padding = ROOF_XNN_PADDING, .scratch_bytes = scratch_native,                                             \
  };                                                                                                                   \
  ROOF_REF_KERNEL(SYM, NULL, ref_rnn)

RNN_OP(LSTM);
RNN_OP(GRU);
RNN_OP(RNN);
