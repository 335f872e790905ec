/* Sequence and optional ops: SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt,
 * SequenceLength, SequenceErase, Optional, OptionalHasElement, OptionalGetElement.
 *
 * Their sequence/optional values are run-time objects (runtime/seq.h) that the session keeps
 * per value; a kernel's in[i].data / out[i].data points at the object. The ops copy elements in
 * and out (never hot: they run on the calling thread, no cost model) and are never evaluated at
 * load (ROOF_OPF_NO_FOLD: a sequence has no data in the IR).
 *
 * Static plans: the ops that give a tensor from a sequence or optional (SequenceAt,
 * OptionalGetElement of an optional tensor) need the element shape at load. It is known when
 * the value is declared with a static shape (a graph input's type) or built from tensors of one
 * shape (ROOF_VAL_ELEM_SHAPE); otherwise the node is refused (69) rather than guessed, and at
 * run time an element of another shape is an error (69) naming the node and the tensor. */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "kernel.h"
#include "../runtime/seq.h"

static bool is_seq(int kind) { return kind == ROOF_KIND_SEQUENCE || kind == ROOF_KIND_OPT_SEQUENCE; }

/* Input i is present and of one of the kinds in the mask (bit = roof_kind). */
static roof_status need_kind(const roof_graph* g, const roof_node* n, int i, unsigned mask, const char* what, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  char vb[ROOF_NAME_BUF];
  if (v == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d (%s) is required", i, what);
  if (!(mask & (1u << v->kind)) || v->dtype == 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d must be %s", ROOF_SAFE(v->name, vb), i, what);
  }
  return ROOF_OK;
}

#define K_TENSOR (1u << ROOF_KIND_TENSOR)
#define K_SEQ (1u << ROOF_KIND_SEQUENCE)
#define K_OPT (1u << ROOF_KIND_OPT_TENSOR | 1u << ROOF_KIND_OPT_SEQUENCE)

/* Output 0 becomes a value of `kind` with element dtype; shape: `like`'s when given. */
static void set_kind(roof_graph* g, roof_node* n, int kind, int dtype, const roof_value* like) {
  roof_value* y = roof_out(g, n, 0);
  if (y == NULL) return;
  static const int64_t none[ROOF_MAX_RANK] = {0};
  bool shaped = like && (like->kind == ROOF_KIND_TENSOR || (like->flags & ROOF_VAL_ELEM_SHAPE));
  roof_value_set_shape(y, dtype, shaped ? like->rank : 0, shaped ? like->dims : none);
  y->kind = kind;
  y->flags = (y->flags & ~(uint32_t)ROOF_VAL_ELEM_SHAPE) | (shaped ? ROOF_VAL_ELEM_SHAPE : 0u);
}

static bool same_dims(const roof_value* a, const roof_value* b) {
  return a->rank == b->rank && memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank) == 0;
}

/* A scalar or 1-element integer position input (int32 or int64), or absent. */
static roof_status need_position(const roof_graph* g, const roof_node* n, int i, roof_error* err) {
  const roof_value* v = roof_in(g, n, i);
  uint64_t count = 0;
  char vb[ROOF_NAME_BUF];
  if (v == NULL) return ROOF_OK;
  if (v->kind != ROOF_KIND_TENSOR || (v->dtype != ROOF_DT_INT32 && v->dtype != ROOF_DT_INT64) || !roof_value_count(v, &count) ||
      count != 1) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': the position must be one int32 or int64", ROOF_SAFE(v->name, vb));
  }
  return ROOF_OK;
}

/* ---- infer ---- */

static roof_status parse_seq_empty(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  int64_t dt = ROOF_DT_FLOAT;
  roof_status st = roof_attr_get_int(g, n, "dtype", ROOF_DT_FLOAT, &dt, err);
  if (st != ROOF_OK) return st;
  if (dt <= 0 || dt > 64 || roof_dtype_size((int)dt) == 0) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "dtype %lld is not supported", (long long)dt);
  }
  *(int*)params = (int)dt;
  return ROOF_OK;
}

static roof_status infer_seq_empty(roof_graph* g, roof_node* n, roof_error* err) {
  (void)err;
  set_kind(g, n, ROOF_KIND_SEQUENCE, *(const int*)n->params, NULL);
  return ROOF_OK;
}

static roof_status infer_seq_construct(roof_graph* g, roof_node* n, roof_error* err) {
  const roof_value* x0 = roof_in(g, n, 0);
  bool uniform = true;
  char vb[ROOF_NAME_BUF];
  if (n->num_inputs < 1) return roof_node_fail(err, ROOF_E_DATA, g, n, "takes at least one tensor");
  for (int i = 0; i < n->num_inputs; i++) {
    roof_status st = roof_require_same_dtype(g, n, i, 0, err);
    if (st != ROOF_OK) return st;
    const roof_value* x = roof_in(g, n, i);
    if (x->kind != ROOF_KIND_TENSOR) return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': inputs are tensors", ROOF_SAFE(x->name, vb));
    uniform = uniform && same_dims(x, x0);
  }
  set_kind(g, n, ROOF_KIND_SEQUENCE, x0->dtype, uniform ? x0 : NULL);
  return ROOF_OK;
}

static roof_status infer_seq_insert(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_SEQ, "a sequence", err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, NULL, err);
  if (st == ROOF_OK) st = need_position(g, n, 2, err);
  if (st != ROOF_OK) return st;
  const roof_value *s = roof_in(g, n, 0), *x = roof_in(g, n, 1);
  char vb[ROOF_NAME_BUF];
  if (x->dtype != s->dtype) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s' is %s, the sequence holds %s (an element has the sequence's dtype)",
                          ROOF_SAFE(x->name, vb), roof_dtype_name(x->dtype), roof_dtype_name(s->dtype));
  }
  bool uniform = (s->flags & ROOF_VAL_ELEM_SHAPE) && same_dims(s, x);
  set_kind(g, n, ROOF_KIND_SEQUENCE, s->dtype, uniform ? x : NULL);
  return ROOF_OK;
}

static roof_status infer_seq_erase(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_SEQ, "a sequence", err);
  if (st == ROOF_OK) st = need_position(g, n, 1, err);
  if (st != ROOF_OK) return st;
  const roof_value* s = roof_in(g, n, 0);
  set_kind(g, n, ROOF_KIND_SEQUENCE, s->dtype, s);
  return ROOF_OK;
}

static roof_status infer_seq_length(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_SEQ, "a sequence", err);
  if (st == ROOF_OK && roof_out(g, n, 0)) roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_INT64, 0, NULL);
  return st;
}

/* A tensor taken from sequence/optional `s`: its planned shape is the declared element shape. */
static roof_status tensor_from(roof_graph* g, roof_node* n, const roof_value* s, roof_error* err) {
  char vb[ROOF_NAME_BUF];
  if (!(s->flags & ROOF_VAL_ELEM_SHAPE)) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "tensor '%s': the shape of its elements is not known at load (declare "
                          "it in the graph input's type, or build the sequence from tensors of one shape): the output "
                          "tensor must be planned", ROOF_SAFE(s->name, vb));
  }
  roof_value* y = roof_out(g, n, 0);
  if (y) roof_value_set_shape(y, s->dtype, s->rank, s->dims);
  return ROOF_OK;
}

static roof_status infer_seq_at(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_SEQ, "a sequence", err);
  if (st == ROOF_OK) st = roof_require_input(g, n, 1, NULL, err);
  if (st == ROOF_OK) st = need_position(g, n, 1, err);
  return st == ROOF_OK ? tensor_from(g, n, roof_in(g, n, 0), err) : st;
}

typedef struct optional_params {
  int kind, dtype; /* from the `type` attribute (an Optional without input), else 0 */
} optional_params;

static roof_status parse_optional(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  optional_params* p = params;
  const roof_attr* a = roof_node_attr(n, "type");
  if (a && a->type == ROOF_ATTR_TYPE_PROTO) {
    p->kind = (int)a->i;
    p->dtype = a->t_dtype;
  }
  if ((n->num_inputs < 1 || n->inputs[0] < 0) && p->dtype == 0) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "an Optional without input needs its 'type' attribute");
  }
  if (p->kind == ROOF_KIND_OPT_TENSOR || p->kind == ROOF_KIND_OPT_SEQUENCE) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "an optional of an optional is not supported");
  }
  return ROOF_OK;
}

static roof_status infer_optional(roof_graph* g, roof_node* n, roof_error* err) {
  const optional_params* p = n->params;
  const roof_value* x = roof_in(g, n, 0);
  if (x == NULL) {
    set_kind(g, n, p->kind == ROOF_KIND_SEQUENCE ? ROOF_KIND_OPT_SEQUENCE : ROOF_KIND_OPT_TENSOR, p->dtype, NULL);
    return ROOF_OK;
  }
  roof_status st = need_kind(g, n, 0, K_TENSOR | K_SEQ, "a tensor or a sequence", err);
  if (st != ROOF_OK) return st;
  set_kind(g, n, x->kind == ROOF_KIND_SEQUENCE ? ROOF_KIND_OPT_SEQUENCE : ROOF_KIND_OPT_TENSOR, x->dtype, x);
  return ROOF_OK;
}

static roof_status infer_opt_has(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_OPT | K_TENSOR | K_SEQ, "an optional", err);
  if (st == ROOF_OK && roof_out(g, n, 0)) roof_value_set_shape(roof_out(g, n, 0), ROOF_DT_BOOL, 0, NULL);
  return st;
}

static roof_status infer_opt_get(roof_graph* g, roof_node* n, roof_error* err) {
  roof_status st = need_kind(g, n, 0, K_OPT | K_TENSOR | K_SEQ, "an optional", err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (is_seq(x->kind)) {
    set_kind(g, n, ROOF_KIND_SEQUENCE, x->dtype, x);
    return ROOF_OK;
  }
  if (x->kind == ROOF_KIND_TENSOR) { /* opset 18 passes a tensor through */
    roof_value* y = roof_out(g, n, 0);
    if (y) roof_value_set_shape(y, x->dtype, x->rank, x->dims);
    return ROOF_OK;
  }
  return tensor_from(g, n, x, err);
}

static void cost_seq(const roof_graph* g, const roof_node* n, roof_cost* c) {
  (void)g;
  (void)n;
  c->formula = "sequence";
  c->has_model = false;
}

#define SEQ_OP(SYM, SINCE, PARAMS, PARSE, INFER)                                                                       \
  const roof_op_schema roof_op_##SYM = {.id = ROOF_OP_##SYM, .op_type = #SYM, .domain = "", .since_version = SINCE,   \
                                        .until_version = 1000, .flags = ROOF_OPF_NO_FOLD, .layout = ROOF_LR_PLAIN,    \
                                        .params_size = PARAMS, .parse = PARSE, .infer = INFER, .cost = cost_seq}

SEQ_OP(SequenceEmpty, 11, sizeof(int), parse_seq_empty, infer_seq_empty);
SEQ_OP(SequenceConstruct, 11, 0, NULL, infer_seq_construct);
SEQ_OP(SequenceInsert, 11, 0, NULL, infer_seq_insert);
SEQ_OP(SequenceErase, 11, 0, NULL, infer_seq_erase);
SEQ_OP(SequenceLength, 11, 0, NULL, infer_seq_length);
SEQ_OP(SequenceAt, 11, 0, NULL, infer_seq_at);
SEQ_OP(Optional, 15, sizeof(optional_params), parse_optional, infer_optional);
SEQ_OP(OptionalHasElement, 15, 0, NULL, infer_opt_has);
SEQ_OP(OptionalGetElement, 15, 0, NULL, infer_opt_get);

/* ---- kernels (reference only: run-time objects, calling thread) ---- */

static roof_status seq_fail(roof_kernel* k, roof_status st, int input, const char* why, roof_error* err) {
  char vb[ROOF_NAME_BUF];
  const roof_value* v = roof_in(k->g, k->node, input);
  if (st == ROOF_E_NOMEM) return roof_node_fail(err, st, k->g, k->node, "out of memory for a sequence");
  return roof_node_fail(err, st, k->g, k->node, "tensor '%s': %s", v ? ROOF_SAFE(v->name, vb) : "?", why);
}

/* Position input i of a sequence of n elements (absent: `def`), negative counting from the end;
 * in 0..n for an insert, 0..n-1 otherwise. */
static roof_status position(roof_kernel* k, int i, int64_t def, size_t n, bool insert, size_t* pos, roof_error* err) {
  int64_t p = def;
  if (i < k->num_in && k->in[i].data) {
    p = k->in[i].dtype == ROOF_DT_INT32 ? ((const int32_t*)k->in[i].data)[0] : ((const int64_t*)k->in[i].data)[0];
  }
  int64_t at = p < 0 ? p + (int64_t)n : p;
  if (at < 0 || (uint64_t)at > (uint64_t)n || (!insert && (uint64_t)at == (uint64_t)n)) {
    char vb[ROOF_NAME_BUF];
    const roof_value* v = roof_in(k->g, k->node, i);
    return roof_node_fail(err, ROOF_E_DATA, k->g, k->node, "tensor '%s': position %lld is out of range for a sequence of %zu "
                          "elements", v ? ROOF_SAFE(v->name, vb) : "?", (long long)p, n);
  }
  *pos = (size_t)at;
  return ROOF_OK;
}

/* Appends tensor view t (plain) to q at pos. */
static roof_status insert_tensor(roof_kernel* k, roof_seq* q, size_t pos, const roof_tensor* t, int input, roof_error* err) {
  uint64_t count = roof_tensor_count(t);
  const char* why = "";
  roof_status st = roof_seq_insert(q, pos, t->dtype, t->rank, t->dims, t->data, (size_t)count * roof_dtype_size(t->dtype), &why);
  return st == ROOF_OK ? ROOF_OK : seq_fail(k, st, input, why, err);
}

static roof_status run_seq_empty(roof_kernel* k, roof_error* err) {
  (void)err;
  roof_seq_clear(k->out[0].data);
  return ROOF_OK;
}

static roof_status run_seq_construct(roof_kernel* k, roof_error* err) {
  roof_seq* y = k->out[0].data;
  roof_seq_clear(y);
  for (int i = 0; i < k->num_in; i++) {
    roof_status st = insert_tensor(k, y, (size_t)i, &k->in[i], i, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

static roof_status copy_seq(roof_kernel* k, roof_seq* y, const roof_seq* x, roof_error* err) {
  const char* why = "";
  roof_status st = roof_seq_assign(y, x, &why);
  return st == ROOF_OK ? ROOF_OK : seq_fail(k, st, 0, why, err);
}

static roof_status run_seq_insert(roof_kernel* k, roof_error* err) {
  const roof_seq* x = k->in[0].data;
  roof_seq* y = k->out[0].data;
  size_t pos = 0;
  roof_status st = position(k, 2, (int64_t)x->count, x->count, true, &pos, err);
  if (st == ROOF_OK) st = copy_seq(k, y, x, err);
  return st == ROOF_OK ? insert_tensor(k, y, pos, &k->in[1], 1, err) : st;
}

static roof_status run_seq_erase(roof_kernel* k, roof_error* err) {
  const roof_seq* x = k->in[0].data;
  roof_seq* y = k->out[0].data;
  size_t pos = 0;
  roof_status st = position(k, 1, -1, x->count, false, &pos, err);
  if (st == ROOF_OK) st = copy_seq(k, y, x, err);
  if (st == ROOF_OK) roof_seq_erase(y, pos);
  return st;
}

static roof_status run_seq_length(roof_kernel* k, roof_error* err) {
  (void)err;
  *(int64_t*)k->out[0].data = (int64_t)((const roof_seq*)k->in[0].data)->count;
  return ROOF_OK;
}

/* Item `it` into the planned output tensor: its shape must be the one planned. */
static roof_status item_out(roof_kernel* k, const roof_seq_item* it, roof_error* err) {
  roof_tensor* y = &k->out[0];
  bool same = it->rank == y->rank && it->dtype == y->dtype;
  for (int d = 0; same && d < y->rank; d++) same = it->dims[d] == y->dims[d];
  if (!same) {
    char a[64], b[64];
    char msg[200];
    snprintf(msg, sizeof(msg), "an element of shape %s, planned for %s (every element must have the declared shape)",
             roof_shape_str(it->dims, it->rank, a, sizeof(a)), roof_shape_str(y->dims, y->rank, b, sizeof(b)));
    return seq_fail(k, ROOF_E_UNSUPPORTED, 0, msg, err);
  }
  if (it->nbytes) memcpy(y->data, it->data, it->nbytes);
  return ROOF_OK;
}

static roof_status run_seq_at(roof_kernel* k, roof_error* err) {
  const roof_seq* x = k->in[0].data;
  size_t pos = 0;
  roof_status st = position(k, 1, 0, x->count, false, &pos, err);
  return st == ROOF_OK ? item_out(k, &x->items[pos], err) : st;
}

static roof_status run_optional(roof_kernel* k, roof_error* err) {
  roof_seq* y = k->out[0].data;
  roof_seq_clear(y);
  if (k->num_in < 1 || k->in[0].data == NULL) return ROOF_OK; /* empty */
  if (roof_in(k->g, k->node, 0)->kind == ROOF_KIND_TENSOR) return insert_tensor(k, y, 0, &k->in[0], 0, err);
  return copy_seq(k, y, k->in[0].data, err);
}

static roof_status run_opt_has(roof_kernel* k, roof_error* err) {
  (void)err;
  const roof_value* x = roof_in(k->g, k->node, 0);
  *(uint8_t*)k->out[0].data = x->kind == ROOF_KIND_TENSOR || ((const roof_seq*)k->in[0].data)->present;
  return ROOF_OK;
}

static roof_status run_opt_get(roof_kernel* k, roof_error* err) {
  const roof_value* x = roof_in(k->g, k->node, 0);
  if (x->kind == ROOF_KIND_TENSOR) {
    roof_tensor_copy(&k->in[0], &k->out[0]);
    return ROOF_OK;
  }
  const roof_seq* q = k->in[0].data;
  if (!q->present) return seq_fail(k, ROOF_E_DATA, 0, "OptionalGetElement of an empty optional", err);
  if (x->kind == ROOF_KIND_OPT_SEQUENCE || x->kind == ROOF_KIND_SEQUENCE) return copy_seq(k, k->out[0].data, q, err);
  return item_out(k, &q->items[0], err);
}

ROOF_REF_KERNEL(SequenceEmpty, NULL, run_seq_empty);
ROOF_REF_KERNEL(SequenceConstruct, NULL, run_seq_construct);
ROOF_REF_KERNEL(SequenceInsert, NULL, run_seq_insert);
ROOF_REF_KERNEL(SequenceErase, NULL, run_seq_erase);
ROOF_REF_KERNEL(SequenceLength, NULL, run_seq_length);
ROOF_REF_KERNEL(SequenceAt, NULL, run_seq_at);
ROOF_REF_KERNEL(Optional, NULL, run_optional);
ROOF_REF_KERNEL(OptionalHasElement, NULL, run_opt_has);
ROOF_REF_KERNEL(OptionalGetElement, NULL, run_opt_get);
