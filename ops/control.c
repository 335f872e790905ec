/* Control flow: If, Loop and Scan.
 *
 * An If whose condition is known at load is replaced by its taken branch (runtime/if_fold.c).
 * Otherwise, and for every Loop and Scan, each branch or body is a graph of its own
 * (runtime/control.h: node->subgraphs), prepared like a model and run by this file's kernel
 * through a session of its own (own layers, kernels and arena; the enclosing session's thread
 * pool). Values cross between the two sessions by copies: the kernel writes the body's inputs
 * (formal ones, then the outer values the body reads) and copies its outputs out.
 *
 * Static shapes: rooftop plans one arena per session, so
 *   - the two branches of an If decided at run time must give outputs of equal dtype and
 *     shape (69 otherwise, naming the output and both shapes);
 *   - a loop-carried (Loop) or state (Scan) value must keep its shape through the body (69);
 *   - Loop's scan outputs need the iteration count at load: M known (a constant, or a graph
 *     input given at prepare: M is a value input) and, when the condition can end the loop
 *     early, a run that stops before M iterations fails (69) rather than writing a shorter
 *     output than planned. Without scan outputs M and the condition are read at run time.
 *   - Scan's sequence length is its scan inputs' dim along their axes (static).
 *   - a Loop body whose shapes follow its iteration number (node->body_template) is planned
 *     again per iteration; every iteration must give iteration 0's output shapes (69).
 * Cost: a body's cost per iteration times the iterations planned (an If: its costlier branch);
 * docs/cost-model.md. */
#include "control_params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "kernel.h"
#include "../runtime/model.h"
#include "../runtime/seq.h"

static const roof_attr* body_attr(const roof_node* n, const char* name) {
  const roof_attr* a = roof_node_attr(n, name);
  return a && a->type == ROOF_ATTR_GRAPH ? a : NULL;
}

const char* roof_control_label(const roof_node* n, int attr) {
  const char* name = n->attrs[attr].name;
  return strcmp(name, "then_branch") == 0 ? "then" : strcmp(name, "else_branch") == 0 ? "else" : "body";
}

const char* roof_control_body_label(const roof_node* n, int b) {
  return n->op->id != ROOF_OP_If ? "body" : b == 0 ? "then" : "else";
}

/* ---- parse ---- */

/* The branch attribute `name`: present, a graph, with as many outputs as the If. */
static roof_status check_branch(const roof_graph* g, const roof_node* n, const char* name, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' is missing (an If has both branches)", name);
  if (a->type != ROOF_ATTR_GRAPH) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' must be a graph", name);
  if ((int)a->n != n->num_outputs) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%s has %zu outputs, the If %d (a branch gives one value per If output)",
                          name, a->n, n->num_outputs);
  }
  return ROOF_OK;
}

static roof_status parse_if(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_control_params* p = params;
  p->formal = 1;
  if (n->num_inputs < 1 || n->inputs[0] < 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "takes one input, the condition (%d given)", n->num_inputs);
  }
  roof_status st = check_branch(g, n, "then_branch", err);
  return st == ROOF_OK ? check_branch(g, n, "else_branch", err) : st;
}

static roof_status too_many(const roof_graph* g, const roof_node* n, const char* what, int count, roof_error* err) {
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "%d %s: at most %d are supported", count, what, ROOF_CONTROL_MAX_VALUES);
}

static roof_status parse_loop(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_control_params* p = params;
  const roof_attr* b = body_attr(n, "body");
  if (b == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'body' is missing or not a graph");
  if (b->num_graph_inputs < 2) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body declares %d inputs: it takes the iteration number, the condition "
                          "and the loop-carried values", b->num_graph_inputs);
  }
  p->num_carried = b->num_graph_inputs - 2;
  p->formal = 2 + p->num_carried;
  if (n->num_inputs < p->formal) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "has %d inputs, its body declares %d (M, cond and %d loop-carried values)",
                          n->num_inputs, b->num_graph_inputs, p->num_carried);
  }
  if ((int)b->n < 1 + p->num_carried) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body has %zu outputs: it gives the condition and %d loop-carried values, "
                          "then the scan outputs", b->n, p->num_carried);
  }
  p->num_scan_out = (int)b->n - 1 - p->num_carried;
  if (n->num_outputs != p->num_carried + p->num_scan_out) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "has %d outputs, its body gives %d loop-carried and %d scan outputs",
                          n->num_outputs, p->num_carried, p->num_scan_out);
  }
  if (p->num_carried > ROOF_CONTROL_MAX_VALUES) return too_many(g, n, "loop-carried values", p->num_carried, err);
  if (p->num_scan_out > ROOF_CONTROL_MAX_VALUES) return too_many(g, n, "scan outputs", p->num_scan_out, err);
  return ROOF_OK;
}

/* An INTS attribute of `count` entries (absent: `def` for each) into out; directions 0 or 1. */
static roof_status scan_ints(const roof_graph* g, const roof_node* n, const char* name, int count, int64_t def,
                             bool direction, int64_t* out, roof_error* err) {
  const int64_t* v = NULL;
  size_t nv = 0;
  roof_status st = roof_attr_get_ints(g, n, name, &v, &nv, err);
  if (st != ROOF_OK) return st;
  if (v && (int)nv != count) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' has %zu entries, the Scan %d", name, nv, count);
  }
  for (int i = 0; i < count; i++) {
    out[i] = v ? v[i] : def;
    if (direction && out[i] != 0 && out[i] != 1) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s'[%d] is %lld: a direction is 0 or 1", name, i, (long long)out[i]);
    }
  }
  return ROOF_OK;
}

static roof_status parse_scan(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  roof_control_params* p = params;
  const roof_attr* b = body_attr(n, "body");
  if (b == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'body' is missing or not a graph");
  int64_t m = 0;
  roof_status st = roof_attr_get_int(g, n, "num_scan_inputs", -1, &m, err);
  if (st != ROOF_OK) return st;
  if (m < 1 || m > b->num_graph_inputs) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "num_scan_inputs is %lld: it must lie in 1..%d (the body's inputs)", (long long)m,
                          b->num_graph_inputs);
  }
  p->scan8 = g->opset < 9;
  p->num_scan_in = (int)m;
  p->num_carried = b->num_graph_inputs - p->num_scan_in;
  p->formal = (p->scan8 ? 1 : 0) + b->num_graph_inputs;
  if (n->num_inputs < p->formal) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "has %d inputs, its body declares %d (%d state, %d scan inputs)", n->num_inputs,
                          b->num_graph_inputs, p->num_carried, p->num_scan_in);
  }
  if ((int)b->n < p->num_carried) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body has %zu outputs, fewer than its %d state values", b->n, p->num_carried);
  }
  p->num_scan_out = (int)b->n - p->num_carried;
  if (n->num_outputs != (int)b->n) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "has %d outputs, its body gives %zu (%d state, %d scan outputs)", n->num_outputs,
                          b->n, p->num_carried, p->num_scan_out);
  }
  if (p->num_carried > ROOF_CONTROL_MAX_VALUES) return too_many(g, n, "state values", p->num_carried, err);
  if (p->num_scan_in > ROOF_CONTROL_MAX_VALUES) return too_many(g, n, "scan inputs", p->num_scan_in, err);
  if (p->num_scan_out > ROOF_CONTROL_MAX_VALUES) return too_many(g, n, "scan outputs", p->num_scan_out, err);
  if (p->scan8) {
    if (n->inputs[0] >= 0) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "sequence_lens (opset 8) is not supported: every batch entry scans "
                            "the whole sequence");
    }
    return scan_ints(g, n, "directions", p->num_scan_in, 0, true, p->in_reverse, err);
  }
  st = scan_ints(g, n, "scan_input_axes", p->num_scan_in, 0, false, p->in_axes, err);
  if (st == ROOF_OK) st = scan_ints(g, n, "scan_input_directions", p->num_scan_in, 0, true, p->in_reverse, err);
  if (st == ROOF_OK) st = scan_ints(g, n, "scan_output_axes", p->num_scan_out, 0, false, p->out_axes, err);
  if (st == ROOF_OK) st = scan_ints(g, n, "scan_output_directions", p->num_scan_out, 0, true, p->out_reverse, err);
  return st;
}

/* ---- body types and shape inference ---- */

/* Scan: the axis of scan input j in an input of rank `rank` (checked). */
static roof_status scan_in_axis(const roof_graph* g, const roof_node* n, int j, int rank, int* axis, roof_error* err) {
  const roof_control_params* p = n->params;
  if (p->scan8) {
    if (rank < 2) return roof_node_fail(err, ROOF_E_DATA, g, n, "scan input %d has rank %d: opset-8 Scan reads [batch, sequence, ...]", j, rank);
    *axis = 1;
    return ROOF_OK;
  }
  int64_t a = p->in_axes[j];
  if (a < -rank || a >= rank) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "scan_input_axes[%d] is %lld, out of range for scan input %d of rank %d", j,
                          (long long)a, j, rank);
  }
  *axis = (int)(a < 0 ? a + rank : a);
  return ROOF_OK;
}

static void drop_axis(const roof_value* v, int axis, roof_value* t) {
  t->dtype = v->dtype;
  t->rank = v->rank - 1;
  for (int d = 0, o = 0; d < v->rank; d++) {
    if (d != axis) t->dims[o++] = v->dims[d];
  }
}

roof_status roof_control_body_types(const roof_graph* g, const roof_node* n, int attr, roof_value* types, int num,
                                    roof_error* err) {
  (void)attr;
  const roof_control_params* p = n->params;
  if (n->op->id == ROOF_OP_If) return ROOF_OK; /* branches take no inputs */
  if (n->op->id == ROOF_OP_Loop) {
    types[0].dtype = ROOF_DT_INT64;
    types[1].dtype = ROOF_DT_BOOL;
    types[0].rank = types[1].rank = 0;
    for (int i = 2; i < num; i++) {
      const roof_value* v = roof_in(g, n, i);
      if (v == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "loop-carried input %d is missing", i);
      types[i].dtype = v->dtype;
      types[i].kind = v->kind;
      types[i].flags = v->flags & ROOF_VAL_ELEM_SHAPE;
      types[i].rank = v->rank;
      memcpy(types[i].dims, v->dims, sizeof(v->dims));
    }
    return ROOF_OK;
  }
  int off = p->scan8 ? 1 : 0;
  for (int i = 0; i < num; i++) {
    const roof_value* v = roof_in(g, n, off + i);
    if (v == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d is missing", off + i);
    if (v->kind != ROOF_KIND_TENSOR) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d is a sequence or optional: Scan takes tensors", off + i);
    if (i < p->num_carried) {
      if (p->scan8 && v->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "state input %d has rank 0: opset-8 Scan reads [batch, ...]", i);
      if (p->scan8) drop_axis(v, 0, &types[i]);
      else {
        types[i].dtype = v->dtype;
        types[i].rank = v->rank;
        memcpy(types[i].dims, v->dims, sizeof(v->dims));
      }
      continue;
    }
    int axis = 0, j = i - p->num_carried;
    roof_status st = scan_in_axis(g, n, j, v->rank, &axis, err);
    if (st != ROOF_OK) return st;
    if (v->rank < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "scan input %d is a scalar: it has no axis to scan", j);
    roof_value tmp = {0};
    drop_axis(v, axis, &tmp);
    if (p->scan8) drop_axis(&tmp, 0, &types[i]);
    else types[i] = tmp;
  }
  return ROOF_OK;
}

static const roof_value* body_out(const roof_node* n, int b, int o) {
  const roof_graph* s = n->subgraphs[b];
  return &s->values[s->outputs[o]];
}

static bool same_shape(const roof_value* a, const roof_value* b) {
  if (a->rank != b->rank) return false;
  for (int d = 0; d < a->rank; d++) {
    if (a->dims[d] != b->dims[d]) return false;
  }
  return true;
}

/* A scalar-like input (one element) of dtype `dtype`, or absent when `optional`. */
static roof_status check_scalar(const roof_graph* g, const roof_node* n, int i, int dtype, const char* what, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  char vb[ROOF_NAME_BUF], sb[64];
  uint64_t count = 0;
  if (v == NULL) return ROOF_OK;
  if (v->dtype != dtype) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%s '%s' is %s: it must be %s", what, ROOF_SAFE(v->name, vb),
                          roof_dtype_name(v->dtype), roof_dtype_name(dtype));
  }
  if (!roof_value_count(v, &count) || count != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%s '%s' has shape %s: it must hold one element", what, ROOF_SAFE(v->name, vb),
                          roof_shape_str(v->dims, v->rank, sb, sizeof(sb)));
  }
  return ROOF_OK;
}

/* y: a sequence/optional like a (and b); its element shape is kept when both agree on one. */
static void carry_kind(roof_value* y, const roof_value* a, const roof_value* b) {
  bool shaped = (a->flags & b->flags & ROOF_VAL_ELEM_SHAPE) && same_shape(a, b);
  roof_value_set_shape(y, a->dtype, shaped ? a->rank : 0, a->dims);
  y->kind = a->kind;
  y->flags = (y->flags & ~(uint32_t)ROOF_VAL_ELEM_SHAPE) | (shaped ? ROOF_VAL_ELEM_SHAPE : 0u);
}

static bool known(const roof_value* v) { return v && v->data && (v->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN)); }

static roof_status infer_if(roof_graph* g, roof_node* n, roof_error* err) {
  char vb[ROOF_NAME_BUF], ab[64], bb[64];
  roof_status st = check_scalar(g, n, 0, ROOF_DT_BOOL, "condition", err);
  if (st != ROOF_OK || known(roof_in(g, n, 0))) return st; /* decided at load: if_fold.c takes a branch */
  if (n->num_subgraphs != 2) {
    return roof_node_fail(err, ROOF_E_INTERNAL, g, n, "condition '%s' is computed at run time but the branches were not planned",
                          ROOF_SAFE(roof_in(g, n, 0)->name, vb));
  }
  for (int o = 0; o < n->num_outputs; o++) {
    const roof_value *t = body_out(n, 0, o), *e = body_out(n, 1, o);
    roof_value* y = roof_out(g, n, o);
    if (t->dtype != e->dtype || t->kind != e->kind) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "output %d is %s%s in then_branch, %s%s in else_branch", o,
                            roof_dtype_name(t->dtype), t->kind ? " (sequence/optional)" : "", roof_dtype_name(e->dtype),
                            e->kind ? " (sequence/optional)" : "");
    }
    if (t->kind != ROOF_KIND_TENSOR) { /* a run-time object: element shapes are not planned */
      if (y) carry_kind(y, t, e);
      continue;
    }
    if (!same_shape(t, e)) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                            "output %d is %s in then_branch, %s in else_branch: the branches of an If decided at run time "
                            "must give outputs of one shape (one static plan)",
                            o, roof_shape_str(t->dims, t->rank, ab, sizeof(ab)), roof_shape_str(e->dims, e->rank, bb, sizeof(bb)));
    }
    if (y) roof_value_set_shape(y, t->dtype, t->rank, t->dims);
  }
  return ROOF_OK;
}

/* Loop-carried / state value i: the body gives it back with the dtype and shape it took. */
static roof_status check_carried(const roof_graph* g, const roof_node* n, int i, const roof_value* in, const roof_value* out,
                                 roof_error* err) {
  char ab[64], bb[64], vb[ROOF_NAME_BUF];
  bool in_seq = in->kind == ROOF_KIND_SEQUENCE || in->kind == ROOF_KIND_OPT_SEQUENCE;
  bool out_seq = out->kind == ROOF_KIND_SEQUENCE || out->kind == ROOF_KIND_OPT_SEQUENCE;
  if ((in->kind != ROOF_KIND_TENSOR || out->kind != ROOF_KIND_TENSOR) && in->kind != out->kind &&
      !(in_seq && out_seq) && !(in->kind == ROOF_KIND_OPT_TENSOR && out->kind == ROOF_KIND_TENSOR)) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body output '%s' (carried value %d) is not of its input's kind (tensor, "
                          "sequence or optional)", ROOF_SAFE(out->name, vb), i);
  }
  if (in->kind != ROOF_KIND_TENSOR || out->kind != ROOF_KIND_TENSOR) { /* element shapes are not planned */
    if (in->dtype == out->dtype) return ROOF_OK;
  }
  if (in->dtype != out->dtype) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body output '%s' (carried value %d) is %s, its input %s", ROOF_SAFE(out->name, vb),
                          i, roof_dtype_name(out->dtype), roof_dtype_name(in->dtype));
  }
  if (!same_shape(in, out)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "body output '%s' (carried value %d) has shape %s, its input %s: a carried value must keep its "
                          "shape (one static plan)",
                          ROOF_SAFE(out->name, vb), i, roof_shape_str(out->dims, out->rank, ab, sizeof(ab)),
                          roof_shape_str(in->dims, in->rank, bb, sizeof(bb)));
  }
  return ROOF_OK;
}

/* Output y: the body's per-iteration value v with `count` inserted at `axis` (and the batch in
 * front for opset-8 Scan). */
static roof_status stacked(const roof_graph* g, const roof_node* n, roof_value* y, const roof_value* v, int64_t count, int axis,
                           int64_t batch, roof_error* err) {
  int64_t dims[ROOF_MAX_RANK];
  int rank = v->rank + 1 + (batch >= 0);
  if (rank > ROOF_MAX_RANK) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "a scan output of rank %d exceeds the maximum of %d", rank, ROOF_MAX_RANK);
  }
  if (v->kind != ROOF_KIND_TENSOR) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "a scan output that is a sequence or optional is not supported");
  }
  int o = 0;
  if (batch >= 0) dims[o++] = batch;
  for (int d = 0; d <= v->rank; d++) {
    if (d == axis) dims[o++] = count;
    if (d < v->rank) dims[o++] = v->dims[d];
  }
  if (y) roof_value_set_shape(y, v->dtype, rank, dims);
  return ROOF_OK;
}

static roof_status infer_loop(roof_graph* g, roof_node* n, roof_error* err) {
  roof_control_params* p = n->params;
  roof_status st = check_scalar(g, n, 0, ROOF_DT_INT64, "trip count M", err);
  if (st == ROOF_OK) st = check_scalar(g, n, 1, ROOF_DT_BOOL, "condition", err);
  if (st != ROOF_OK) return st;
  const roof_value *m = roof_in(g, n, 0), *c = roof_in(g, n, 1);
  p->planned_iters = -1;
  if (known(m)) {
    int64_t count = ((const int64_t*)m->data)[0];
    if (count < 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "trip count M is %lld: it must not be negative", (long long)count);
    p->planned_iters = count;
  }
  if (known(c) && !((const uint8_t*)c->data)[0]) p->planned_iters = 0; /* the condition is false at the start */
  const roof_value* cond = body_out(n, 0, 0);
  uint64_t count = 0;
  if (cond->dtype != ROOF_DT_BOOL || !roof_value_count(cond, &count) || count != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "body output 0 (the condition) is %s with %llu elements: it must be one bool",
                          roof_dtype_name(cond->dtype), (unsigned long long)count);
  }
  const roof_graph* s = n->subgraphs[0];
  for (int i = 0; i < p->num_carried && st == ROOF_OK; i++) {
    const roof_value* out = body_out(n, 0, 1 + i);
    st = check_carried(g, n, i, &s->values[s->inputs[2 + i]], out, err);
    if (st == ROOF_OK && out->kind != ROOF_KIND_TENSOR && roof_out(g, n, i)) carry_kind(roof_out(g, n, i), out, out);
    else if (st == ROOF_OK && roof_out(g, n, i)) roof_value_set_shape(roof_out(g, n, i), out->dtype, out->rank, out->dims);
  }
  if (st == ROOF_OK && p->num_scan_out > 0 && p->planned_iters < 0) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n,
                          "has %d scan outputs but its trip count M is not known at load (a constant, or a graph input given "
                          "with --input): their length must be planned",
                          p->num_scan_out);
  }
  for (int j = 0; j < p->num_scan_out && st == ROOF_OK; j++) {
    st = stacked(g, n, roof_out(g, n, p->num_carried + j), body_out(n, 0, 1 + p->num_carried + j), p->planned_iters, 0, -1, err);
  }
  return st;
}

static roof_status infer_scan(roof_graph* g, roof_node* n, roof_error* err) {
  roof_control_params* p = n->params;
  int off = p->scan8 ? 1 : 0;
  int64_t len = -1, batch = p->scan8 ? -2 : -1;
  char vb[ROOF_NAME_BUF];
  for (int i = 0; i < p->num_carried + p->num_scan_in; i++) {
    const roof_value* v = roof_in(g, n, off + i);
    if (p->scan8 && batch != -2 && v->dims[0] != batch) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "input '%s' has batch %lld, an earlier one %lld", ROOF_SAFE(v->name, vb),
                            (long long)v->dims[0], (long long)batch);
    }
    if (p->scan8) batch = v->dims[0];
    if (i < p->num_carried) continue;
    int axis = 0;
    roof_status st = scan_in_axis(g, n, i - p->num_carried, v->rank, &axis, err);
    if (st != ROOF_OK) return st;
    if (len >= 0 && v->dims[axis] != len) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "scan input '%s' has %lld steps along its axis, an earlier one %lld",
                            ROOF_SAFE(v->name, vb), (long long)v->dims[axis], (long long)len);
    }
    len = v->dims[axis];
  }
  p->planned_iters = len;
  const roof_graph* s = n->subgraphs[0];
  roof_status st = ROOF_OK;
  for (int i = 0; i < p->num_carried && st == ROOF_OK; i++) {
    const roof_value* out = body_out(n, 0, i);
    st = check_carried(g, n, i, &s->values[s->inputs[i]], out, err);
    if (st == ROOF_OK) st = stacked(g, n, NULL, out, 0, 0, -1, err);
    roof_value* y = roof_out(g, n, i);
    if (st == ROOF_OK && y) {
      const roof_value* in = roof_in(g, n, off + i); /* the state as given (with its batch) */
      roof_value_set_shape(y, in->dtype, in->rank, in->dims);
    }
  }
  for (int j = 0; j < p->num_scan_out && st == ROOF_OK; j++) {
    const roof_value* v = body_out(n, 0, p->num_carried + j);
    int64_t a = p->out_axes[j];
    if (!p->scan8 && (a < -(v->rank + 1) || a > v->rank)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "scan_output_axes[%d] is %lld, out of range for a scan output of rank %d", j,
                            (long long)a, v->rank + 1);
    }
    int axis = p->scan8 ? 0 : (int)(a < 0 ? a + v->rank + 1 : a);
    st = stacked(g, n, roof_out(g, n, p->num_carried + j), v, len, axis, p->scan8 ? batch : -1, err);
  }
  return st;
}

/* ---- cost: the body's per iteration, times the iterations planned ---- */

static void body_cost(const roof_graph* s, roof_cost* c) {
  for (int i = 0; i < s->num_order; i++) {
    const roof_node* m = &s->nodes[s->order[i]];
    if (m->removed || m->op == NULL || m->op->cost == NULL) continue;
    roof_cost k = {0};
    m->op->cost(s, m, &k);
    c->macs += k.macs;
    c->flops += k.flops;
    c->bytes_read += k.bytes_read;
    c->bytes_written += k.bytes_written;
    c->params += k.params;
    c->has_model = c->has_model && k.has_model;
  }
}

static void cost_control(const roof_graph* g, const roof_node* n, roof_cost* c) {
  (void)g;
  const roof_control_params* p = n->params;
  c->has_model = true;
  c->formula = n->op->id == ROOF_OP_If ? "if" : n->op->id == ROOF_OP_Loop ? "loop" : "scan";
  if (n->num_subgraphs == 0) {
    c->has_model = false;
    return;
  }
  roof_cost best = {.has_model = true};
  for (int b = 0; b < n->num_subgraphs; b++) { /* an If: the costlier branch */
    roof_cost k = {.has_model = true};
    body_cost(n->subgraphs[b], &k);
    if (b == 0 || k.flops + k.bytes_read + k.bytes_written > best.flops + best.bytes_read + best.bytes_written) best = k;
  }
  uint64_t iters = n->op->id == ROOF_OP_If ? 1 : p->planned_iters > 0 ? (uint64_t)p->planned_iters : 0;
  if (p->scan8 && n->num_inputs > 1 && roof_in(g, n, 1)) iters *= (uint64_t)roof_in(g, n, 1)->dims[0];
  if (n->op->id == ROOF_OP_Loop && p->planned_iters < 0) iters = 1; /* unknown: one iteration's cost */
  c->macs = best.macs * iters;
  c->flops = best.flops * iters;
  c->bytes_read = best.bytes_read * iters;
  c->bytes_written = best.bytes_written * iters;
  c->params = best.params;
  c->has_model = best.has_model;
}

static int describe_control(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  (void)g;
  const roof_control_params* p = n->params;
  if (n->op->id == ROOF_OP_If) return snprintf(buf, size, "run-time branch");
  if (p->planned_iters < 0) return snprintf(buf, size, "x? iter");
  return snprintf(buf, size, "x%lld iter", (long long)p->planned_iters);
}

const roof_op_schema roof_op_If = {
    .id = ROOF_OP_If, .op_type = "If", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_NO_FOLD, .layout = ROOF_LR_PLAIN, .params_size = sizeof(roof_control_params),
    .parse = parse_if, .infer = infer_if, .cost = cost_control, .describe = describe_control,
};
const roof_op_schema roof_op_Loop = {
    .id = ROOF_OP_Loop, .op_type = "Loop", .domain = "", .since_version = 1, .until_version = 1000,
    .flags = ROOF_OPF_NO_FOLD, .layout = ROOF_LR_PLAIN, .params_size = sizeof(roof_control_params),
    .value_inputs = ROOF_IN(0), .parse = parse_loop, .infer = infer_loop, .cost = cost_control, .describe = describe_control,
};
const roof_op_schema roof_op_Scan = {
    .id = ROOF_OP_Scan, .op_type = "Scan", .domain = "", .since_version = 8, .until_version = 1000,
    .flags = ROOF_OPF_NO_FOLD, .layout = ROOF_LR_PLAIN, .params_size = sizeof(roof_control_params),
    .parse = parse_scan, .infer = infer_scan, .cost = cost_control, .describe = describe_control,
};

/* ---- kernel: each body a session of its own ---- */

typedef struct ctl_body {
  roof_model model;       /* wraps the subgraph (owned by the node), prepared */
  roof_session* s;
  int* in_src;            /* per body input: index into k->in, or -1 (formal inputs, set by run) */
  uint64_t* stamps;       /* num_steps + 1 */
  uint64_t* step_ns;      /* per step: summed over the iterations of the last run */
  int64_t iterations;     /* of the last run (0: not run, an If's branch not taken) */
  /* The same summed since the session was created, never reset: a body nested in another
   * body runs several times per run of the outer session, and the profiler reads differences
   * of these around each run (profiler/bodies.c). */
  uint64_t* total_ns;
  int64_t total_iterations;
  /* A Loop body whose shapes follow its iteration number (node->body_template): each iteration
   * runs a plan of its own, made for its number (iter_model, iter_s); `s`, planned for
   * iteration 0, holds the inputs (carried values between iterations) and is not run. */
  const roof_graph* tmpl;
  roof_session_options opts;
  roof_model* iter_model;
  roof_session* iter_s;
} ctl_body;

typedef struct ctl_state {
  ctl_body body[2];
  int num_bodies;
} ctl_state;

static void drop_iteration(ctl_body* cb) {
  roof_session_free(cb->iter_s);
  roof_model_free(cb->iter_model);
  cb->iter_s = NULL;
  cb->iter_model = NULL;
}

static void destroy_control(roof_kernel* k) {
  ctl_state* st = k->state;
  if (st == NULL) return;
  for (int b = 0; b < 2; b++) {
    drop_iteration(&st->body[b]);
    roof_session_free(st->body[b].s);
    free(st->body[b].in_src);
    free(st->body[b].stamps);
    free(st->body[b].step_ns);
    free(st->body[b].total_ns);
  }
  free(st);
  k->state = NULL;
}

static roof_status make_body(roof_kernel* k, ctl_body* cb, roof_graph* sub, roof_error* err) {
  const roof_control_params* p = k->params;
  cb->model.g = sub;
  cb->model.prepared = true;
  cb->model.load.max_tensor_bytes = k->max_scratch_bytes;
  cb->opts = (roof_session_options){.threads = k->pool ? (uint32_t)pthreadpool_get_threads_count(k->pool) : 1,
                                     .force_reference = k->force_reference, .winograd = k->winograd};
  cb->tmpl = k->node->body_template;
  roof_status st = roof_session_create_in_pool(&cb->model, &cb->opts, k->pool, &cb->s, err);
  if (st != ROOF_OK) return st;
  cb->in_src = malloc(sizeof(int) * ((size_t)sub->num_inputs + 1));
  cb->stamps = calloc((size_t)cb->s->num_steps + 1, sizeof(uint64_t));
  cb->step_ns = calloc((size_t)cb->s->num_steps + 1, sizeof(uint64_t));
  cb->total_ns = calloc((size_t)cb->s->num_steps + 1, sizeof(uint64_t));
  if (!cb->in_src || !cb->stamps || !cb->step_ns || !cb->total_ns) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  for (int i = 0; i < sub->num_inputs; i++) { /* outer values by name (unique in the enclosing scopes) */
    cb->in_src[i] = -1;
    for (int j = p->formal; j < k->num_in && cb->in_src[i] < 0; j++) {
      const roof_value* v = roof_in(k->g, k->node, j);
      if (v && strcmp(v->name, sub->values[sub->inputs[i]].name) == 0) cb->in_src[i] = j;
    }
  }
  return ROOF_OK;
}

static roof_status create_control(roof_kernel* k, roof_error* err) {
  const roof_node* n = k->node;
  if (n->num_subgraphs < 1 || n->num_subgraphs > 2) {
    return roof_node_fail(err, ROOF_E_INTERNAL, k->g, n, "control node without planned subgraphs");
  }
  ctl_state* st = calloc(1, sizeof(*st));
  if (st == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, n, "out of memory");
  k->state = st;
  st->num_bodies = n->num_subgraphs;
  for (int b = 0; b < st->num_bodies; b++) {
    roof_status s = make_body(k, &st->body[b], n->subgraphs[b], err);
    if (s != ROOF_OK) return s;
  }
  return ROOF_OK;
}

static uint64_t value_bytes(const roof_graph* g, int v) {
  uint64_t b = 0;
  roof_value_bytes(&g->values[v], &b);
  return b;
}

static void* body_in(ctl_body* cb, int i) { return cb->s->value_ptr[cb->model.g->inputs[i]]; }
static const void* body_result(ctl_body* cb, int o) { return roof_session_output(cb->iter_s ? cb->iter_s : cb->s, (size_t)o); }
static uint64_t in_bytes(ctl_body* cb, int i) { return value_bytes(cb->model.g, cb->model.g->inputs[i]); }
static uint64_t out_bytes(ctl_body* cb, int o) { return value_bytes(cb->model.g, cb->model.g->outputs[o]); }

/* A sequence or optional value `v` crossing between sessions: a deep copy of the run-time
 * object (seq.h; tensors are copied by bytes at each site). */
static roof_status copy_seq_value(const roof_kernel* k, const roof_value* v, void* dst, const void* src, roof_error* err) {
  const char* why = "";
  char vb[ROOF_NAME_BUF];
  roof_status st = roof_seq_assign(dst, src, &why);
  if (st == ROOF_E_NOMEM) return roof_node_fail(err, st, k->g, k->node, "out of memory copying sequence '%s'", ROOF_SAFE(v->name, vb));
  return st == ROOF_OK ? ROOF_OK : roof_node_fail(err, st, k->g, k->node, "tensor '%s': %s", ROOF_SAFE(v->name, vb), why);
}

static const roof_value* body_in_value(ctl_body* cb, int i) { return &cb->model.g->values[cb->model.g->inputs[i]]; }
static const roof_value* body_out_value(ctl_body* cb, int o) { return &cb->model.g->values[cb->model.g->outputs[o]]; }

/* The outer values a body reads, copied into its inputs once per run of the node. */
static roof_status copy_outer(const roof_kernel* k, ctl_body* cb, roof_error* err) {
  for (int i = 0; i < cb->model.g->num_inputs; i++) {
    uint64_t b = in_bytes(cb, i);
    if (cb->in_src[i] >= 0 && body_in_value(cb, i)->kind != ROOF_KIND_TENSOR) {
      roof_status st = copy_seq_value(k, body_in_value(cb, i), body_in(cb, i), k->in[cb->in_src[i]].data, err);
      if (st != ROOF_OK) return st;
    } else if (cb->in_src[i] >= 0 && b) memcpy(body_in(cb, i), k->in[cb->in_src[i]].data, b);
  }
  return ROOF_OK;
}

/* A body planned per iteration (cb->tmpl): a copy of the body as extracted, with iteration
 * number i known, analysed and prepared like a body at load, a session on the same pool; its
 * inputs copied from `s` (the iteration number is part of the plan). Its outputs must have the
 * shapes planned for iteration 0: the node's outputs were laid out for them. */
static roof_status plan_iteration(const roof_kernel* k, ctl_body* cb, int64_t i, roof_error* err) {
  drop_iteration(cb);
  const roof_graph* t = cb->tmpl;
  const roof_value* it = &t->values[t->inputs[0]];
  roof_value_binding b = {.name = it->name, .dtype = it->dtype, .rank = it->rank, .data = &i, .nbytes = sizeof(i)};
  memcpy(b.dims, it->dims, sizeof(int64_t) * (size_t)(it->rank > 0 ? it->rank : 0));
  roof_graph* g = NULL;
  roof_status st = roof_graph_copy(t, &g, err);
  if (st == ROOF_OK) st = roof_subgraph_plan(g, &b, 1, k->max_scratch_bytes, k->node->body_fusion ? k->node->body_fusion : "all", err);
  if (st != ROOF_OK) {
    roof_graph_free(g);
    return st;
  }
  st = roof_model_from_graph(g, &cb->iter_model, err); /* owns g */
  if (st != ROOF_OK) return st;
  cb->iter_model->prepared = true;
  cb->iter_model->load.max_tensor_bytes = k->max_scratch_bytes;
  st = roof_session_create_in_pool(cb->iter_model, &cb->opts, k->pool, &cb->iter_s, err);
  const roof_graph* p = cb->model.g;
  for (int o = 0; st == ROOF_OK && o < p->num_outputs; o++) {
    const roof_value *want = &p->values[p->outputs[o]], *got = &g->values[g->outputs[o]];
    if (got->kind != ROOF_KIND_TENSOR && got->kind == want->kind && got->dtype == want->dtype) continue; /* not planned */
    if (got->dtype == want->dtype && got->rank == want->rank &&
        memcmp(got->dims, want->dims, sizeof(int64_t) * (size_t)(want->rank > 0 ? want->rank : 0)) == 0) {
      continue;
    }
    char nb[ROOF_NAME_BUF], gs[128], ws[128];
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, k->g, k->node,
                          "body output '%s' is %s of shape %s at iteration %lld, %s of shape %s at iteration 0: the "
                          "loop's outputs are planned for one shape",
                          ROOF_SAFE(want->name, nb), roof_dtype_name(got->dtype), roof_shape_str(got->dims, got->rank, gs, sizeof(gs)),
                          (long long)i, roof_dtype_name(want->dtype), roof_shape_str(want->dims, want->rank, ws, sizeof(ws)));
  }
  for (int j = 0; st == ROOF_OK && j < g->num_inputs; j++) {
    void* dst = cb->iter_s->value_ptr[g->inputs[j]];
    uint64_t bytes = in_bytes(cb, j);
    if (dst && g->values[g->inputs[j]].kind != ROOF_KIND_TENSOR) st = copy_seq_value(k, body_in_value(cb, j), dst, body_in(cb, j), err);
    else if (dst && bytes && !(g->values[g->inputs[j]].flags & ROOF_VAL_KNOWN)) memcpy(dst, body_in(cb, j), bytes);
  }
  return st;
}

static roof_status run_body(ctl_body* cb, roof_error* err) {
  roof_session* s = cb->iter_s ? cb->iter_s : cb->s;
  bool stamped = s->num_steps == cb->s->num_steps; /* a plan of its own may have other steps: not timed per layer */
  roof_status st = roof_session_run(s, stamped ? cb->stamps : NULL, err);
  if (st != ROOF_OK) return st;
  for (int j = 0; stamped && j < cb->s->num_steps; j++) {
    cb->step_ns[j] += cb->stamps[j + 1] - cb->stamps[j];
    cb->total_ns[j] += cb->stamps[j + 1] - cb->stamps[j];
  }
  cb->iterations++;
  cb->total_iterations++;
  return ROOF_OK;
}

/* The enclosing run's deadline to every kernel of the body's sessions (their own sessions have
 * no time limit): a Loop nested in a body then stops at the outer --timeout too. */
static void pass_deadline(const roof_kernel* k, roof_session* s) {
  for (int i = 0; s && i < s->num_steps; i++) s->steps[i].k.deadline_ns = k->deadline_ns;
}

static void start_run(const roof_kernel* k, ctl_state* st) {
  for (int b = 0; b < st->num_bodies; b++) {
    st->body[b].iterations = 0;
    memset(st->body[b].step_ns, 0, sizeof(uint64_t) * (size_t)st->body[b].s->num_steps);
    pass_deadline(k, st->body[b].s);
  }
}

/* True when the enclosing run's deadline has passed (checked between iterations: a Loop without
 * a trip count whose condition stays true would otherwise never return). */
static bool past_deadline(const roof_kernel* k) {
  if (k->deadline_ns == NULL || *k->deadline_ns == 0) return false;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec > *k->deadline_ns;
}

static roof_status run_if(roof_kernel* k, roof_error* err) {
  ctl_state* st = k->state;
  start_run(k, st);
  ctl_body* cb = &st->body[((const uint8_t*)k->in[0].data)[0] ? 0 : 1];
  roof_status s = copy_outer(k, cb, err);
  if (s == ROOF_OK) s = run_body(cb, err);
  for (int o = 0; s == ROOF_OK && o < k->num_out; o++) {
    uint64_t b = out_bytes(cb, o);
    if (k->out[o].data && body_out_value(cb, o)->kind != ROOF_KIND_TENSOR) {
      s = copy_seq_value(k, body_out_value(cb, o), k->out[o].data, body_result(cb, o), err);
    } else if (k->out[o].data && b) memcpy(k->out[o].data, body_result(cb, o), b);
  }
  return s;
}

static roof_status run_loop(roof_kernel* k, roof_error* err) {
  const roof_control_params* p = k->params;
  ctl_state* st = k->state;
  ctl_body* cb = &st->body[0];
  start_run(k, st);
  int64_t m = k->in[0].data && k->num_in > 0 && k->node->inputs[0] >= 0 ? ((const int64_t*)k->in[0].data)[0] : INT64_MAX;
  bool cond = k->node->inputs[1] >= 0 ? ((const uint8_t*)k->in[1].data)[0] != 0 : true;
  roof_status s = copy_outer(k, cb, err);
  for (int c = 0; c < p->num_carried && s == ROOF_OK; c++) {
    uint64_t b = in_bytes(cb, 2 + c);
    if (body_in_value(cb, 2 + c)->kind != ROOF_KIND_TENSOR) s = copy_seq_value(k, body_in_value(cb, 2 + c), body_in(cb, 2 + c), k->in[2 + c].data, err);
    else if (b) memcpy(body_in(cb, 2 + c), k->in[2 + c].data, b);
  }
  if (s != ROOF_OK) return s;
  int64_t i = 0;
  for (; i < m && cond; i++) {
    if (p->num_scan_out > 0 && i >= p->planned_iters) break; /* checked below */
    if (!cb->tmpl) *(int64_t*)body_in(cb, 0) = i; /* else part of the iteration's plan */
    *(uint8_t*)body_in(cb, 1) = cond;
    if (past_deadline(k)) {
      s = roof_node_fail(err, ROOF_E_TIMEOUT, k->g, k->node, "run time limit reached (--timeout) after %lld iterations",
                         (long long)i);
      break;
    }
    if (cb->tmpl) s = plan_iteration(k, cb, i, err);
    if (cb->tmpl && s == ROOF_OK) pass_deadline(k, cb->iter_s);
    if (s == ROOF_OK) s = run_body(cb, err);
    if (s != ROOF_OK) break;
    cond = ((const uint8_t*)body_result(cb, 0))[0] != 0;
    for (int j = 0; j < p->num_scan_out; j++) {
      uint64_t b = out_bytes(cb, 1 + p->num_carried + j);
      if (k->out[p->num_carried + j].data && b) {
        memcpy((char*)k->out[p->num_carried + j].data + (size_t)i * b, body_result(cb, 1 + p->num_carried + j), b);
      }
    }
    for (int c = 0; c < p->num_carried && s == ROOF_OK; c++) { /* the next iteration's inputs */
      uint64_t b = in_bytes(cb, 2 + c);
      if (body_in_value(cb, 2 + c)->kind != ROOF_KIND_TENSOR) s = copy_seq_value(k, body_in_value(cb, 2 + c), body_in(cb, 2 + c), body_result(cb, 1 + c), err);
      else if (b) memmove(body_in(cb, 2 + c), body_result(cb, 1 + c), b);
    }
    if (s != ROOF_OK) break;
  }
  drop_iteration(cb);
  if (s != ROOF_OK) return s;
  if (p->num_scan_out > 0 && i != p->planned_iters) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, k->g, k->node,
                          "the loop ran %lld iterations, its scan outputs were planned for %lld (M at load): a condition "
                          "ending it early is not supported with scan outputs",
                          (long long)i, (long long)p->planned_iters);
  }
  for (int c = 0; c < p->num_carried; c++) {
    uint64_t b = in_bytes(cb, 2 + c);
    if (k->out[c].data && body_in_value(cb, 2 + c)->kind != ROOF_KIND_TENSOR) {
      s = copy_seq_value(k, body_in_value(cb, 2 + c), k->out[c].data, body_in(cb, 2 + c), err);
      if (s != ROOF_OK) return s;
    } else if (k->out[c].data && b) memcpy(k->out[c].data, body_in(cb, 2 + c), b);
  }
  return ROOF_OK;
}

/* Slice `idx` of plain tensor t along `axis`, gathered into (to_slice) or scattered from
 * contiguous `buf`. */
static void slice_copy(const roof_tensor* t, char* base, int axis, int64_t idx, void* buf, bool to_slice) {
  size_t es = roof_dtype_size(t->dtype);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= t->dims[d];
  for (int d = axis + 1; d < t->rank; d++) inner *= t->dims[d];
  size_t row = (size_t)inner * es;
  for (int64_t o = 0; o < outer && row; o++) {
    char* at = base + ((size_t)(o * t->dims[axis] + idx)) * row;
    char* b = (char*)buf + (size_t)o * row;
    if (to_slice) memcpy(at, b, row);
    else memcpy(b, at, row);
  }
}

/* Tensor t without its batch axis 0 (opset-8 Scan), entry `b`'s data. */
static char* batch_view(const roof_tensor* t, int64_t b, roof_tensor* v) {
  *v = *t;
  v->rank = t->rank - 1;
  memmove(v->dims, t->dims + 1, sizeof(int64_t) * (size_t)v->rank);
  return (char*)t->data + (size_t)b * roof_tensor_count(v) * roof_dtype_size(t->dtype);
}

static roof_status run_scan(roof_kernel* k, roof_error* err) {
  const roof_control_params* p = k->params;
  ctl_state* st = k->state;
  ctl_body* cb = &st->body[0];
  const roof_graph* s = cb->model.g;
  int off = p->scan8 ? 1 : 0, n = p->num_carried;
  int64_t len = p->planned_iters, batch = p->scan8 ? k->in[off].dims[0] : 1;
  start_run(k, st);
  roof_status cs = copy_outer(k, cb, err);
  if (cs != ROOF_OK) return cs;
  for (int64_t b = 0; b < batch; b++) {
    for (int i = 0; i < n; i++) {
      roof_tensor v;
      const char* src = p->scan8 ? batch_view(&k->in[off + i], b, &v) : k->in[off + i].data;
      uint64_t bytes = in_bytes(cb, i);
      if (bytes) memcpy(body_in(cb, i), src, bytes);
    }
    for (int64_t t = 0; t < len; t++) {
      for (int j = 0; j < p->num_scan_in; j++) {
        roof_tensor v = k->in[off + n + j];
        char* base = p->scan8 ? batch_view(&k->in[off + n + j], b, &v) : (char*)v.data;
        int axis = p->scan8 ? 0 : (int)(p->in_axes[j] < 0 ? p->in_axes[j] + v.rank : p->in_axes[j]);
        slice_copy(&v, base, axis, p->in_reverse[j] ? len - 1 - t : t, body_in(cb, n + j), false);
      }
      roof_status rs = run_body(cb, err);
      if (rs != ROOF_OK) return rs;
      for (int j = 0; j < p->num_scan_out; j++) {
        if (k->out[n + j].data == NULL) continue;
        roof_tensor v = k->out[n + j];
        char* base = p->scan8 ? batch_view(&k->out[n + j], b, &v) : (char*)v.data;
        const roof_value* bo = &s->values[s->outputs[n + j]];
        int axis = p->scan8 ? 0 : (int)(p->out_axes[j] < 0 ? p->out_axes[j] + bo->rank + 1 : p->out_axes[j]);
        slice_copy(&v, base, axis, p->out_reverse[j] ? len - 1 - t : t, (void*)body_result(cb, n + j), true);
      }
      for (int i = 0; i < n; i++) {
        uint64_t bytes = in_bytes(cb, i);
        if (bytes) memmove(body_in(cb, i), body_result(cb, i), bytes);
      }
    }
    for (int i = 0; i < n; i++) {
      if (k->out[i].data == NULL) continue;
      roof_tensor v;
      char* dst = p->scan8 ? batch_view(&k->out[i], b, &v) : k->out[i].data;
      uint64_t bytes = in_bytes(cb, i);
      if (bytes) memcpy(dst, body_in(cb, i), bytes);
    }
  }
  return ROOF_OK;
}

/* Reference entries (the only ones): the bodies run on whatever kernels their sessions chose. */
const roof_kernel_impl roof_kernel_If_ref = {.op = ROOF_OP_If, .backend = ROOF_BACKEND_REF, .create = create_control,
                                             .run = run_if, .destroy = destroy_control};
const roof_kernel_impl roof_kernel_Loop_ref = {.op = ROOF_OP_Loop, .backend = ROOF_BACKEND_REF, .create = create_control,
                                               .run = run_loop, .destroy = destroy_control};
const roof_kernel_impl roof_kernel_Scan_ref = {.op = ROOF_OP_Scan, .backend = ROOF_BACKEND_REF, .create = create_control,
                                               .run = run_scan, .destroy = destroy_control};

int roof_control_bodies(const roof_kernel* k) {
  const ctl_state* st = k->state;
  return st ? st->num_bodies : 0;
}

const roof_session* roof_control_body_session(const roof_kernel* k, int b) { return ((const ctl_state*)k->state)->body[b].s; }

int64_t roof_control_body_iterations(const roof_kernel* k, int b) { return ((const ctl_state*)k->state)->body[b].iterations; }

const uint64_t* roof_control_body_step_ns(const roof_kernel* k, int b) { return ((const ctl_state*)k->state)->body[b].step_ns; }

const uint64_t* roof_control_body_total_ns(const roof_kernel* k, int b, int64_t* iterations) {
  const ctl_body* cb = &((const ctl_state*)k->state)->body[b];
  *iterations = cb->total_iterations;
  return cb->total_ns;
}
