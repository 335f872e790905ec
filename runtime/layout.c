/* Layout policy: rank-4 float and 8-bit integer activations live NHWC between ops that want channels-last
 * (Conv, pools, BatchNormalization, Resize) and ops that work on any strides; a LayoutConvert
 * node is inserted only where an op needs plain NCHW data (views such as Reshape/Flatten,
 * graph outputs) or NHWC data it does not have (a graph input feeding a Conv). Each
 * conversion is an ordinary executed node, so it shows up in profiles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

extern const roof_op_schema roof_op_LayoutConvert;

typedef struct twin_map {
  int* other; /* per value: index of its converted twin, or -1 */
  int cap;
} twin_map;

/* 8-bit integers count too: quantized models (QLinearConv between Q/DQ) then stay channels-last
 * from layer to layer, as XNNPACK's int8 operators want them, instead of converting twice per
 * layer. */
static bool is_activation4(const roof_value* v) {
  bool dt = v && (v->dtype == ROOF_DT_FLOAT || v->dtype == ROOF_DT_INT8 || v->dtype == ROOF_DT_UINT8);
  return dt && v->rank == 4 && !(v->flags & ROOF_VAL_CONST);
}

static roof_status grow_twins(twin_map* t, int n) {
  if (n <= t->cap) return ROOF_OK;
  int cap = n * 2;
  int* o = realloc(t->other, sizeof(int) * (size_t)cap);
  if (o == NULL) return ROOF_E_NOMEM;
  for (int i = t->cap; i < cap; i++) o[i] = -1;
  t->other = o;
  t->cap = cap;
  return ROOF_OK;
}

/* Returns (creating once) the twin of value v in layout `want`. */
static roof_status twin(roof_graph* g, twin_map* t, int v, roof_layout want, int* out, roof_error* err) {
  if (g->values[v].layout == want) {
    *out = v;
    return ROOF_OK;
  }
  if (grow_twins(t, g->num_values + 2) != ROOF_OK) goto oom;
  if (t->other[v] >= 0) {
    *out = t->other[v];
    return ROOF_OK;
  }
  char name[512];
  snprintf(name, sizeof(name), "%s::%s", g->values[v].name, want == ROOF_LAYOUT_NHWC ? "nhwc" : "nchw");
  int nv = roof_graph_add_value(g, name);
  if (nv < 0) goto oom;
  roof_value* src = &g->values[v];
  roof_value* dst = &g->values[nv];
  roof_value_set_shape(dst, src->dtype, src->rank, src->dims);
  dst->layout = want;
  char nn[600];
  snprintf(nn, sizeof(nn), "%s::to_%s", g->values[v].name, want == ROOF_LAYOUT_NHWC ? "nhwc" : "nchw");
  int node = roof_graph_add_node(g, nn, "LayoutConvert", "ai.rooftop", &v, 1, &nv, 1);
  if (node < 0) goto oom;
  g->nodes[node].op = &roof_op_LayoutConvert;
  g->nodes[node].params = calloc(1, roof_op_LayoutConvert.params_size ? roof_op_LayoutConvert.params_size : 1);
  if (g->nodes[node].params == NULL) goto oom;
  if (grow_twins(t, g->num_values + 2) != ROOF_OK) goto oom;
  t->other[v] = nv;
  t->other[nv] = v;
  *out = nv;
  return ROOF_OK;
oom:
  return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory inserting layout conversions", g->path);
}

/* With one channel or one pixel, NCHW and NHWC put the bytes in the same order. */
static bool layouts_coincide(const roof_value* v) { return v->dims[1] == 1 || (v->dims[2] == 1 && v->dims[3] == 1); }

/* Rewrites input i of node n to the twin in layout `want` when it is a rank-4 activation. */
static roof_status want_input(roof_graph* g, twin_map* t, int node, int i, roof_layout want, roof_error* err) {
  int v = g->nodes[node].inputs[i];
  if (v < 0 || !is_activation4(&g->values[v]) || layouts_coincide(&g->values[v])) return ROOF_OK;
  int tv;
  roof_status st = twin(g, t, v, want, &tv, err);
  if (st == ROOF_OK) g->nodes[node].inputs[i] = tv; /* nodes may have moved: index again */
  return st;
}

static void set_outputs(roof_graph* g, int node, roof_layout l) {
  roof_node* n = &g->nodes[node];
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    if (y) y->layout = (l == ROOF_LAYOUT_NHWC && is_activation4(y)) ? ROOF_LAYOUT_NHWC : ROOF_LAYOUT_PLAIN;
  }
}

static roof_status place_node(roof_graph* g, twin_map* t, int node, roof_error* err) {
  const roof_op_schema* d = g->nodes[node].op;
  int nin = g->nodes[node].num_inputs;
  roof_status st = ROOF_OK;
  switch (d->layout_of ? d->layout_of(&g->nodes[node]) : d->layout) {
    case ROOF_LR_NHWC: {
      uint32_t more = d->nhwc_inputs ? d->nhwc_inputs(&g->nodes[node]) : 0;
      st = want_input(g, t, node, 0, ROOF_LAYOUT_NHWC, err);
      for (int i = 1; i < nin && i < 32 && st == ROOF_OK; i++) {
        if (more & (1u << i)) st = want_input(g, t, node, i, ROOF_LAYOUT_NHWC, err);
      }
      set_outputs(g, node, ROOF_LAYOUT_NHWC);
      return st;
    }
    case ROOF_LR_PLAIN:
      for (int i = 0; i < nin && st == ROOF_OK; i++) st = want_input(g, t, node, i, ROOF_LAYOUT_PLAIN, err);
      set_outputs(g, node, ROOF_LAYOUT_PLAIN);
      return st;
    case ROOF_LR_META:
      set_outputs(g, node, ROOF_LAYOUT_PLAIN);
      return ROOF_OK;
    case ROOF_LR_ANY: {
      roof_layout l = ROOF_LAYOUT_PLAIN;
      for (int i = 0; i < nin; i++) {
        const roof_value* v = roof_in(g, &g->nodes[node], i);
        if (is_activation4(v)) {
          l = v->layout;
          break;
        }
      }
      for (int i = 0; i < nin && st == ROOF_OK; i++) st = want_input(g, t, node, i, l, err);
      set_outputs(g, node, l);
      return st;
    }
  }
  return ROOF_OK;
}

roof_status roof_graph_layout(roof_graph* g, roof_error* err) {
  twin_map t = {0};
  roof_status st = ROOF_OK;
  for (int i = 0; i < g->num_values; i++) g->values[i].layout = ROOF_LAYOUT_PLAIN;
  int norder = g->num_order;
  for (int oi = 0; oi < norder && st == ROOF_OK; oi++) st = place_node(g, &t, g->order[oi], err);
  /* Graph outputs leave in ONNX layout: the plain twin takes over the output's name. */
  for (int i = 0; i < g->num_outputs && st == ROOF_OK; i++) {
    int v = g->outputs[i];
    if (g->values[v].layout != ROOF_LAYOUT_NHWC || layouts_coincide(&g->values[v])) continue;
    int tv;
    st = twin(g, &t, v, ROOF_LAYOUT_PLAIN, &tv, err);
    if (st != ROOF_OK) break;
    char nhwc_name[512];
    snprintf(nhwc_name, sizeof(nhwc_name), "%s::nhwc", g->values[v].name);
    char* renamed = strdup(nhwc_name);
    if (renamed == NULL) {
      st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory inserting layout conversions", g->path);
      break;
    }
    free(g->values[tv].name);
    g->values[tv].name = g->values[v].name;
    g->values[v].name = renamed;
    g->values[tv].flags |= ROOF_VAL_GRAPH_OUTPUT;
    g->values[v].flags &= ~(uint32_t)ROOF_VAL_GRAPH_OUTPUT;
    g->outputs[i] = tv;
  }
  free(t.other);
  if (st != ROOF_OK) return st;
  return roof_graph_toposort(g, err);
}
