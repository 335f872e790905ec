/* Graph IR container, attribute access and the iterative topological sort. */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op.h"

roof_graph* roof_graph_new(void) { return calloc(1, sizeof(roof_graph)); }

static void quant_free(roof_quant* q) {
  if (q == NULL) return;
  free(q->scale);
  free(q->zero_point);
  free(q);
}

void roof_value_drop_data(roof_value* v) {
  if (!(v->flags & ROOF_VAL_BORROWED)) free(v->data);
  v->data = NULL;
  v->nbytes = 0;
  v->flags &= ~(uint32_t)ROOF_VAL_BORROWED;
}

static void value_clear(roof_value* v) {
  free(v->name);
  for (int d = 0; d < ROOF_MAX_RANK; d++) free(v->dim_params[d]);
  roof_value_drop_data(v);
  quant_free(v->quant);
}

roof_status roof_value_set_quant(roof_value* v, int axis, int64_t count, const float* scale, const int32_t* zero_point,
                                 const char** why) {
  bool per_tensor = axis == -1 && count == 1;
  bool per_axis = axis >= 0 && axis < v->rank && count == v->dims[axis] && count >= 1;
  if (!per_tensor && !per_axis) {
    *why = "one scale per tensor, or one per element of the quantized axis";
    return ROOF_E_DATA;
  }
  for (int64_t i = 0; i < count; i++) {
    if (!(scale[i] > 0.0f && scale[i] <= 3.4e38f)) {
      *why = "every scale must be finite and positive";
      return ROOF_E_DATA;
    }
  }
  roof_quant* q = calloc(1, sizeof(*q));
  float* s = q ? malloc(sizeof(float) * (size_t)count) : NULL;
  int32_t* z = s ? malloc(sizeof(int32_t) * (size_t)count) : NULL;
  if (z == NULL) {
    free(s);
    free(q);
    *why = "out of memory";
    return ROOF_E_NOMEM;
  }
  memcpy(s, scale, sizeof(float) * (size_t)count);
  memcpy(z, zero_point, sizeof(int32_t) * (size_t)count);
  *q = (roof_quant){.axis = axis, .count = count, .scale = s, .zero_point = z};
  quant_free(v->quant);
  v->quant = q;
  return ROOF_OK;
}

static void attr_clear(roof_attr* a) {
  free(a->name);
  free(a->s);
  free(a->ints);
  free(a->floats);
  for (size_t i = 0; a->strings && i < a->n; i++) free(a->strings[i]);
  free(a->strings);
  free(a->graph_inputs);
  if (a->t) {
    value_clear(a->t);
    free(a->t);
  }
}

static void node_clear(roof_node* n) {
  free(n->name);
  free(n->op_type);
  free(n->domain);
  free(n->inputs);
  free(n->outputs);
  for (int i = 0; i < n->num_attrs; i++) attr_clear(&n->attrs[i]);
  free(n->attrs);
  free(n->params);
  for (int i = 0; i < n->num_fused_from; i++) free(n->fused_from[i]);
  free(n->fused_from);
  for (int i = 0; i < n->num_subgraphs; i++) roof_graph_free(n->subgraphs[i]);
  free(n->subgraphs);
  roof_graph_free(n->body_template); /* after the subgraphs, which may borrow its buffers */
  free(n->body_fusion);
}

void roof_graph_free(roof_graph* g) {
  if (g == NULL) return;
  for (int i = 0; i < g->num_values; i++) value_clear(&g->values[i]);
  for (int i = 0; i < g->num_nodes; i++) node_clear(&g->nodes[i]);
  free(g->values);
  free(g->nodes);
  for (int i = 0; i < g->num_folded; i++) free(g->folded[i].name);
  free(g->folded);
  free(g->inputs);
  free(g->outputs);
  free(g->order);
  free(g->path);
  free(g->dir);
  free(g->producer);
  free(g);
}

static char* dup_or_empty(const char* s) { return strdup(s ? s : ""); }

int roof_graph_add_value(roof_graph* g, const char* name) {
  if (g->num_values == g->cap_values) {
    int cap = g->cap_values ? g->cap_values * 2 : 64;
    roof_value* nv = realloc(g->values, (size_t)cap * sizeof(*nv));
    if (nv == NULL) return -1;
    g->values = nv;
    g->cap_values = cap;
  }
  roof_value* v = &g->values[g->num_values];
  memset(v, 0, sizeof(*v));
  v->name = dup_or_empty(name);
  if (v->name == NULL) return -1;
  v->rank = -1;
  v->producer = -1;
  return g->num_values++;
}

int roof_graph_add_node(roof_graph* g, const char* name, const char* op_type, const char* domain,
                        const int* inputs, int num_inputs, const int* outputs, int num_outputs) {
  if (g->num_nodes == g->cap_nodes) {
    int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
    roof_node* nn = realloc(g->nodes, (size_t)cap * sizeof(*nn));
    if (nn == NULL) return -1;
    g->nodes = nn;
    g->cap_nodes = cap;
  }
  roof_node* n = &g->nodes[g->num_nodes];
  memset(n, 0, sizeof(*n));
  n->name = dup_or_empty(name);
  n->op_type = dup_or_empty(op_type);
  n->domain = dup_or_empty(domain);
  n->inputs = malloc(sizeof(int) * (size_t)(num_inputs + 1));
  n->outputs = malloc(sizeof(int) * (size_t)(num_outputs + 1));
  if (!n->name || !n->op_type || !n->domain || !n->inputs || !n->outputs) {
    node_clear(n);
    return -1;
  }
  if (num_inputs) memcpy(n->inputs, inputs, sizeof(int) * (size_t)num_inputs);
  if (num_outputs) memcpy(n->outputs, outputs, sizeof(int) * (size_t)num_outputs);
  n->num_inputs = num_inputs;
  n->num_outputs = num_outputs;
  return g->num_nodes++;
}

int roof_graph_find_value(const roof_graph* g, const char* name) {
  /* Linear: used at load (via a hash in the loader) and in tests; not on hot paths. */
  for (int i = 0; i < g->num_values; i++) {
    if (strcmp(g->values[i].name, name) == 0) return i;
  }
  return -1;
}

void roof_graph_link(roof_graph* g) {
  for (int i = 0; i < g->num_values; i++) {
    g->values[i].num_consumers = 0;
    if (!(g->values[i].flags & (ROOF_VAL_INITIALIZER | ROOF_VAL_GRAPH_INPUT))) g->values[i].producer = -1;
  }
  for (int n = 0; n < g->num_nodes; n++) {
    roof_node* node = &g->nodes[n];
    if (node->removed && !node->branch_of) continue;
    /* a dormant branch node's reads keep outer values alive (no buffer moved away) */
    for (int i = 0; i < node->num_inputs; i++) {
      if (node->inputs[i] >= 0) g->values[node->inputs[i]].num_consumers++;
    }
    if (node->removed) continue;
    for (int o = 0; o < node->num_outputs; o++) {
      if (node->outputs[o] >= 0) g->values[node->outputs[o]].producer = n;
    }
  }
  for (int i = 0; i < g->num_outputs; i++) g->values[g->outputs[i]].num_consumers++;
}

roof_status roof_graph_toposort(roof_graph* g, roof_error* err) {
  roof_status st = ROOF_OK;
  int* indeg = calloc((size_t)g->num_nodes + 1, sizeof(int));
  int* queue = malloc(sizeof(int) * ((size_t)g->num_nodes + 1));
  int* order = malloc(sizeof(int) * ((size_t)g->num_nodes + 1));
  /* consumers as CSR: value -> list of nodes reading it */
  int* cstart = calloc((size_t)g->num_values + 1, sizeof(int));
  int* clist = NULL;
  if (!indeg || !queue || !order || !cstart) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory sorting %d nodes", g->path, g->num_nodes);
    goto cleanup;
  }
  roof_graph_link(g);
  size_t total = 0;
  for (int n = 0; n < g->num_nodes; n++) {
    const roof_node* node = &g->nodes[n];
    if (node->removed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      int v = node->inputs[i];
      if (v < 0) continue;
      cstart[v + 1]++;
      total++;
      if (g->values[v].producer >= 0) indeg[n]++;
    }
  }
  for (int v = 0; v < g->num_values; v++) cstart[v + 1] += cstart[v];
  clist = malloc(sizeof(int) * (total + 1));
  int* fill = calloc((size_t)g->num_values + 1, sizeof(int));
  if (!clist || !fill) {
    free(fill);
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory sorting %d nodes", g->path, g->num_nodes);
    goto cleanup;
  }
  for (int n = 0; n < g->num_nodes; n++) {
    const roof_node* node = &g->nodes[n];
    if (node->removed) continue;
    for (int i = 0; i < node->num_inputs; i++) {
      int v = node->inputs[i];
      if (v >= 0) clist[cstart[v] + fill[v]++] = n;
    }
  }
  free(fill);
  int head = 0, tail = 0, count = 0, live = 0;
  for (int n = 0; n < g->num_nodes; n++) {
    if (g->nodes[n].removed) continue;
    live++;
    if (indeg[n] == 0) queue[tail++] = n;
  }
  while (head < tail) {
    int n = queue[head++];
    order[count++] = n;
    const roof_node* node = &g->nodes[n];
    for (int o = 0; o < node->num_outputs; o++) {
      int v = node->outputs[o];
      if (v < 0) continue;
      for (int c = cstart[v]; c < cstart[v + 1]; c++) {
        if (--indeg[clist[c]] == 0) queue[tail++] = clist[c];
      }
    }
  }
  if (count != live) {
    int bad = -1;
    for (int n = 0; n < g->num_nodes && bad < 0; n++) {
      if (!g->nodes[n].removed && indeg[n] > 0) bad = n;
    }
    st = roof_node_fail(err, ROOF_E_DATA, g, &g->nodes[bad],
                        "graph has a cycle through this node (%d of %d nodes cannot be ordered)",
                        live - count, live);
    goto cleanup;
  }
  free(g->order);
  g->order = order;
  g->num_order = count;
  order = NULL;
cleanup:
  free(indeg);
  free(queue);
  free(order);
  free(cstart);
  free(clist);
  return st;
}

const roof_attr* roof_node_attr(const roof_node* n, const char* name) {
  for (int i = 0; i < n->num_attrs; i++) {
    if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
  }
  return NULL;
}

static roof_status wrong_type(const roof_graph* g, const roof_node* n, const char* name,
                              const char* want, roof_error* err) {
  char b[ROOF_NAME_BUF];
  return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s' must be %s", ROOF_SAFE(name, b), want);
}

roof_status roof_attr_get_int(const roof_graph* g, const roof_node* n, const char* name, int64_t def,
                              int64_t* out, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = def; return ROOF_OK; }
  if (a->type != ROOF_ATTR_INT) return wrong_type(g, n, name, "an int", err);
  *out = a->i;
  return ROOF_OK;
}

roof_status roof_attr_get_float(const roof_graph* g, const roof_node* n, const char* name, float def,
                                float* out, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = def; return ROOF_OK; }
  if (a->type != ROOF_ATTR_FLOAT) return wrong_type(g, n, name, "a float", err);
  *out = a->f;
  return ROOF_OK;
}

roof_status roof_attr_get_ints(const roof_graph* g, const roof_node* n, const char* name,
                               const int64_t** out, size_t* count, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = NULL; *count = 0; return ROOF_OK; }
  if (a->type != ROOF_ATTR_INTS) return wrong_type(g, n, name, "a list of ints", err);
  *out = a->ints;
  *count = a->n;
  return ROOF_OK;
}

roof_status roof_attr_get_floats(const roof_graph* g, const roof_node* n, const char* name,
                                 const float** out, size_t* count, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = NULL; *count = 0; return ROOF_OK; }
  if (a->type != ROOF_ATTR_FLOATS) return wrong_type(g, n, name, "a list of floats", err);
  *out = a->floats;
  *count = a->n;
  return ROOF_OK;
}

roof_status roof_attr_get_strings(const roof_graph* g, const roof_node* n, const char* name,
                                  char* const** out, size_t* count, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = NULL; *count = 0; return ROOF_OK; }
  if (a->type != ROOF_ATTR_STRINGS || (a->n > 0 && a->strings == NULL)) return wrong_type(g, n, name, "a list of strings", err);
  *out = a->strings;
  *count = a->n;
  return ROOF_OK;
}

roof_status roof_attr_get_string(const roof_graph* g, const roof_node* n, const char* name,
                                 const char* def, const char** out, roof_error* err) {
  const roof_attr* a = roof_node_attr(n, name);
  if (a == NULL) { *out = def; return ROOF_OK; }
  if (a->type != ROOF_ATTR_STRING) return wrong_type(g, n, name, "a string", err);
  *out = a->s;
  return ROOF_OK;
}

roof_status roof_node_fail(roof_error* err, roof_status s, const roof_graph* g, const roof_node* n,
                           const char* fmt, ...) {
  if (err == NULL) return s;
  char nb[ROOF_NAME_BUF], ob[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
  char rule[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rule, sizeof(rule), fmt, ap);
  va_end(ap);
  return roof_fail(err, s, "%s: node '%s' (%s): %s", roof_name_sanitize(g ? g->path : NULL, pb, sizeof(pb)),
                   ROOF_SAFE(n->name, nb), ROOF_SAFE(n->op_type, ob), rule);
}

void roof_value_set_shape(roof_value* v, int dtype, int rank, const int64_t* dims) {
  v->dtype = dtype;
  v->rank = rank;
  for (int i = 0; i < rank; i++) v->dims[i] = dims[i];
}

bool roof_value_count(const roof_value* v, uint64_t* out) {
  if (v->rank < 0) return false;
  return roof_dims_count(v->dims, v->rank, out);
}

bool roof_value_bytes(const roof_value* v, uint64_t* out) {
  uint64_t n;
  if (v->kind != ROOF_KIND_TENSOR) { /* a run-time object (seq.h): no bytes in any plan */
    *out = 0;
    return true;
  }
  size_t es = roof_dtype_size(v->dtype);
  if (es == 0 || !roof_value_count(v, &n)) return false;
  return roof_mul_u64(n, es, out);
}

const char* roof_shape_str(const int64_t* dims, int rank, char* buf, size_t n) {
  if (n == 0) return buf;
  buf[0] = '\0';
  if (rank == 0) {
    snprintf(buf, n, "scalar");
    return buf;
  }
  size_t o = 0;
  for (int i = 0; i < rank && o < n; i++) {
    int w = snprintf(buf + o, n - o, i ? "x%lld" : "%lld", (long long)dims[i]);
    if (w < 0) break;
    o += (size_t)w;
  }
  return buf;
}

roof_status roof_node_add_fused_from(roof_node* n, const char* name) {
  char** nf = realloc(n->fused_from, sizeof(char*) * (size_t)(n->num_fused_from + 1));
  if (nf == NULL) return ROOF_E_NOMEM;
  n->fused_from = nf;
  char* s = strdup(name ? name : "");
  if (s == NULL) return ROOF_E_NOMEM;
  n->fused_from[n->num_fused_from++] = s;
  return ROOF_OK;
}

roof_status roof_graph_fold_node(roof_graph* g, int n, const char* pass, const char* reason) {
  roof_node* node = &g->nodes[n];
  node->removed = true;
  int add = node->num_fused_from;
  if (add == 0) return ROOF_OK;
  roof_folded* nf = realloc(g->folded, sizeof(*nf) * (size_t)(g->num_folded + add));
  if (nf == NULL) return ROOF_E_NOMEM;
  g->folded = nf;
  for (int i = 0; i < add; i++) {
    /* move the provenance strings: the node no longer stands for them */
    g->folded[g->num_folded++] = (roof_folded){.name = node->fused_from[i], .pass = pass, .reason = reason};
    node->fused_from[i] = NULL;
  }
  node->num_fused_from = 0;
  return ROOF_OK;
}
