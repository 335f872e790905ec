/* The 16-bit float stage (contract in widen16.h): float16/bfloat16 layers without a fast
 * 16-bit kernel run on float32 twins, with Cast layers only where a run of them begins or
 * ends. This is what ONNX Runtime's CPU provider does for float16 ops it lacks (casts around
 * them), and this XNNPACK's own float16 operators are no alternative on x86: they round every
 * accumulation step to float16 and ran a 3x3 convolution 5-8x slower than float32 here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_edit.h"
#include "widen16.h"
#include "../ops/kernel.h"

extern const roof_op_schema roof_op_Cast;

static bool is16(int dtype) { return dtype == ROOF_DT_FLOAT16 || dtype == ROOF_DT_BFLOAT16; }

typedef struct widen {
  roof_graph* g;
  int* twin;   /* per value: its float32 twin, or -1 */
  int* narrow; /* 16-bit values whose producer now writes their twin */
  int num_narrow;
  int cap;     /* entries of twin (and narrow) */
} widen;

static roof_status grow(widen* w, roof_error* err) {
  if (w->g->num_values + 2 <= w->cap) return ROOF_OK;
  int cap = (w->g->num_values + 2) * 2;
  int* t = realloc(w->twin, sizeof(int) * (size_t)cap);
  if (t) w->twin = t;
  int* nr = t ? realloc(w->narrow, sizeof(int) * (size_t)cap) : NULL;
  if (nr) w->narrow = nr;
  if (t == NULL || nr == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in the float16 stage", w->g->path);
  for (int i = w->cap; i < cap; i++) w->twin[i] = -1;
  w->cap = cap;
  return ROOF_OK;
}

static roof_status oom(const widen* w, roof_error* err) {
  return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory in the float16 stage", w->g->path);
}

/* New Cast node `name` from value `x` to value `y` (dtype `to`), bound and parsed like a
 * loaded one (its `to` attribute is real, so that copies of the graph parse it again). */
static roof_status add_cast(widen* w, const char* name, int x, int y, int to, roof_error* err) {
  roof_graph* g = w->g;
  int node = roof_graph_add_node(g, name, "Cast", "", &x, 1, &y, 1);
  if (node < 0) return oom(w, err);
  roof_node* n = &g->nodes[node];
  n->attrs = calloc(1, sizeof(roof_attr));
  if (n->attrs == NULL) return oom(w, err);
  n->num_attrs = 1;
  n->attrs[0].name = strdup("to");
  n->attrs[0].type = ROOF_ATTR_INT;
  n->attrs[0].i = to;
  n->op = &roof_op_Cast;
  n->params = calloc(1, roof_op_Cast.params_size);
  if (n->attrs[0].name == NULL || n->params == NULL) return oom(w, err);
  roof_status st = roof_op_Cast.parse(g, n, n->params, err);
  if (st == ROOF_OK) g->values[y].producer = node;
  return st;
}

/* A new value `SRC::SUFFIX` with src's shape in dtype `dtype`; -1 on OOM. */
static int add_like(roof_graph* g, int src, const char* suffix, int dtype) {
  char name[512];
  snprintf(name, sizeof(name), "%s::%s", g->values[src].name, suffix);
  int v = roof_graph_add_value(g, name);
  if (v >= 0) roof_value_set_shape(&g->values[v], dtype, g->values[src].rank, g->values[src].dims);
  return v;
}

/* The float32 twin of 16-bit value v: converted data for constants, else a Cast layer. */
static roof_status twin_of(widen* w, int v, int* out, roof_error* err) {
  roof_status st = grow(w, err);
  if (st != ROOF_OK) return st;
  if (w->twin[v] >= 0) {
    *out = w->twin[v];
    return ROOF_OK;
  }
  roof_graph* g = w->g;
  const roof_value* x = &g->values[v];
  uint64_t count = 0;
  int tv;
  if (x->data != NULL && (x->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN)) && roof_value_count(x, &count)) {
    float* f = malloc(sizeof(float) * (size_t)(count ? count : 1));
    if (f == NULL) return oom(w, err);
    const uint16_t* h = x->data; /* 16-bit elements, aligned by the decoder */
    for (uint64_t i = 0; i < count; i++) f[i] = x->dtype == ROOF_DT_FLOAT16 ? roof_f16_to_f32(h[i]) : roof_bf16_to_f32(h[i]);
    char name[512];
    snprintf(name, sizeof(name), "%s::f32", x->name);
    tv = roof_edit_add_const(g, name, ROOF_DT_FLOAT, x->rank, x->dims, f);
    if (tv < 0) return oom(w, err);
  } else {
    tv = add_like(g, v, "f32", ROOF_DT_FLOAT);
    if (tv < 0) return oom(w, err);
    char name[512];
    snprintf(name, sizeof(name), "%s::to_f32", g->values[v].name);
    st = add_cast(w, name, v, tv, ROOF_DT_FLOAT, err);
    if (st != ROOF_OK) return st;
  }
  st = grow(w, err);
  if (st != ROOF_OK) return st;
  w->twin[v] = tv;
  *out = tv;
  return ROOF_OK;
}

/* The dtype that decides: the first 16-bit input's, 0 when the node reads no 16-bit value. */
static int input16(const roof_graph* g, const roof_node* n) {
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    if (v && is16(v->dtype)) return v->dtype;
  }
  return 0;
}

static bool follows_twin(const widen* w, const roof_node* n) {
  for (int i = 0; i < n->num_inputs; i++) {
    int v = n->inputs[i];
    if (v >= 0 && v < w->cap && w->twin[v] >= 0 && !(w->g->values[v].flags & ROOF_VAL_CONST)) return true;
  }
  return false;
}

static bool should_widen(const widen* w, const roof_node* n) {
  const roof_graph* g = w->g;
  if (n->removed || n->op == NULL || n->op->layout == ROOF_LR_META) return false;
  if (n->op->id == ROOF_OP_Cast || n->op->id == ROOF_OP_CastLike) return false;
  int dt = input16(g, n);
  if (dt == 0) return false;
  if (roof_node_is_view(n)) return follows_twin(w, n);
  const roof_value* x0 = roof_in(g, n, 0);
  if (roof_kernel_has_fast(n->op->id, x0 && !is16(x0->dtype) ? x0->dtype : dt)) return follows_twin(w, n);
  return true;
}

static roof_status widen_node(widen* w, int node, roof_error* err) {
  roof_graph* g = w->g;
  int dt = input16(g, &g->nodes[node]);
  for (int i = 0; i < g->nodes[node].num_inputs; i++) {
    int v = g->nodes[node].inputs[i];
    if (v < 0 || !is16(g->values[v].dtype)) continue;
    int tv;
    roof_status st = twin_of(w, v, &tv, err); /* may add nodes: index again */
    if (st != ROOF_OK) return st;
    g->nodes[node].inputs[i] = tv;
  }
  for (int o = 0; o < g->nodes[node].num_outputs; o++) {
    int v = g->nodes[node].outputs[o];
    if (v < 0 || !is16(g->values[v].dtype)) continue;
    roof_status st = grow(w, err);
    if (st != ROOF_OK) return st;
    int tv = add_like(g, v, "f32", ROOF_DT_FLOAT);
    if (tv < 0) return oom(w, err);
    st = grow(w, err);
    if (st != ROOF_OK) return st;
    g->nodes[node].outputs[o] = tv;
    g->values[tv].producer = node;
    g->values[v].producer = -1;
    w->twin[v] = tv;
    w->narrow[w->num_narrow++] = v;
  }
  roof_node* n = &g->nodes[node];
  n->stored_dtype = dt;
  /* outputs take their dtype from the float32 inputs now */
  roof_status st = n->op->infer(g, n, err);
  if (st != ROOF_OK) return st;
  for (int o = 0; o < n->num_outputs; o++) {
    const roof_value* y = roof_out(g, n, o);
    char b[ROOF_NAME_BUF];
    if (y && is16(y->dtype)) {
      return roof_fail(err, ROOF_E_INTERNAL, "%s: node '%s': the float16 stage left output %d 16-bit", g->path,
                       ROOF_SAFE(n->name, b), o);
    }
  }
  return ROOF_OK;
}

/* 16-bit values whose producer was widened are remade from their twin where still read. */
static roof_status narrow_back(widen* w, roof_error* err) {
  roof_graph* g = w->g;
  roof_graph_link(g);
  for (int k = 0; k < w->num_narrow; k++) {
    int v = w->narrow[k];
    const roof_value* x = &g->values[v];
    if (x->num_consumers == 0 && !(x->flags & ROOF_VAL_GRAPH_OUTPUT)) continue;
    char name[512];
    snprintf(name, sizeof(name), "%s::to_%s", x->name, x->dtype == ROOF_DT_FLOAT16 ? "f16" : "bf16");
    roof_status st = add_cast(w, name, w->twin[v], v, x->dtype, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

roof_status roof_graph_widen16(roof_graph* g, roof_error* err) {
  bool any = false;
  for (int i = 0; i < g->num_values && !any; i++) any = is16(g->values[i].dtype);
  if (!any) return ROOF_OK;
  widen w = {.g = g};
  roof_status st = grow(&w, err);
  int num_order = g->num_order;
  int* order = st == ROOF_OK ? malloc(sizeof(int) * (size_t)(num_order ? num_order : 1)) : NULL;
  if (st == ROOF_OK && order == NULL) st = oom(&w, err);
  if (st == ROOF_OK) memcpy(order, g->order, sizeof(int) * (size_t)num_order);
  for (int k = 0; k < num_order && st == ROOF_OK; k++) {
    if (should_widen(&w, &g->nodes[order[k]])) st = widen_node(&w, order[k], err);
  }
  if (st == ROOF_OK) st = narrow_back(&w, err);
  if (st == ROOF_OK) {
    roof_graph_link(g);
    st = roof_graph_toposort(g, err);
  }
  free(order);
  free(w.twin);
  free(w.narrow);
  return st;
}
