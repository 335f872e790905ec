/* Control-flow subgraphs: linking outer reads and extracting bodies; see control.h. */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "../ops/control_params.h"

bool roof_control_is(const roof_node* n) {
  return n->op != NULL && (n->op->id == ROOF_OP_If || n->op->id == ROOF_OP_Loop || n->op->id == ROOF_OP_Scan);
}

/* True when node m lies (at any depth) in a body of node c. The chain is as deep as the
 * nesting, which the loader's pre-scan bounded. */
static bool within(const roof_graph* g, int m, int c) {
  for (int p = g->nodes[m].branch_of - 1; p >= 0; p = g->nodes[p].branch_of - 1) {
    if (p == c) return true;
  }
  return false;
}

typedef struct link_ctx {
  roof_graph* g;
  int* dprod;  /* per value: the dormant node producing it, or -1 */
  int* formal; /* per value: the control node whose body declares it as a formal input, or -1 */
} link_ctx;

static bool defined_in(const link_ctx* c, int v, int node) {
  if (c->g->values[v].flags & ROOF_VAL_INITIALIZER) return true; /* copied in, not passed */
  int p = c->dprod[v], f = c->formal[v];
  return (p >= 0 && within(c->g, p, node)) || f == node || (f >= 0 && within(c->g, f, node));
}

static roof_status add_input(roof_graph* g, int node, int v, roof_error* err) {
  roof_node* n = &g->nodes[node];
  for (int i = 0; i < n->num_inputs; i++) {
    if (n->inputs[i] == v) return ROOF_OK;
  }
  int* in = realloc(n->inputs, sizeof(int) * ((size_t)n->num_inputs + 1));
  if (in == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory linking subgraphs", g->path);
  n->inputs = in;
  in[n->num_inputs++] = v;
  return ROOF_OK;
}

/* Value v read at the level of node `from`'s body (from = the reader's enclosing node): every
 * enclosing node up to the one whose scope defines v takes it as an input. */
static roof_status read_from(const link_ctx* c, int from, int v, roof_error* err) {
  for (int p = from; p >= 0; p = c->g->nodes[p].branch_of - 1) {
    if (v < 0 || defined_in(c, v, p)) return ROOF_OK;
    roof_status st = add_input(c->g, p, v, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

roof_status roof_control_link(roof_graph* g, roof_error* err) {
  roof_status st = ROOF_OK;
  link_ctx c = {.g = g};
  c.dprod = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  c.formal = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  if (c.dprod == NULL || c.formal == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory linking subgraphs", g->path);
    goto cleanup;
  }
  for (int v = 0; v < g->num_values; v++) c.dprod[v] = c.formal[v] = -1;
  for (int m = 0; m < g->num_nodes; m++) {
    const roof_node* n = &g->nodes[m];
    for (int o = 0; n->branch_of && o < n->num_outputs; o++) {
      if (n->outputs[o] >= 0) c.dprod[n->outputs[o]] = m;
    }
    for (int a = 0; a < n->num_attrs; a++) {
      for (int i = 0; i < n->attrs[a].num_graph_inputs; i++) c.formal[n->attrs[a].graph_inputs[i]] = m;
    }
  }
  for (int m = 0; m < g->num_nodes && st == ROOF_OK; m++) {
    const roof_node* n = &g->nodes[m];
    /* a dormant node's inputs are read in its enclosing body; a control node's body outputs in its own */
    for (int i = 0; n->branch_of && i < n->num_inputs && st == ROOF_OK; i++) st = read_from(&c, n->branch_of - 1, n->inputs[i], err);
    for (int a = 0; a < g->nodes[m].num_attrs && st == ROOF_OK; a++) {
      const roof_attr* at = &g->nodes[m].attrs[a];
      for (size_t o = 0; at->type == ROOF_ATTR_GRAPH && o < at->n && st == ROOF_OK; o++) st = read_from(&c, m, (int)at->ints[o], err);
    }
  }
cleanup:
  free(c.dprod);
  free(c.formal);
  return st;
}

/* ---- extraction ---- */

typedef struct extract_ctx {
  roof_graph* g;   /* enclosing graph */
  roof_graph* sub;
  int node;        /* the control node */
  int* vmap;       /* enclosing value -> sub value, -1 */
  int* nmap;       /* enclosing node -> sub node, -1 */
  roof_error* err;
} extract_ctx;

static roof_status xnomem(const extract_ctx* x) {
  return roof_fail(x->err, ROOF_E_NOMEM, "%s: out of memory planning a subgraph", x->g->path);
}

/* The sub value standing for enclosing value v: created on first use. A value of the
 * enclosing scope (not produced in the body, not a formal input) becomes a copied constant
 * when its data is known at load, a graph input of the body otherwise. */
static roof_status map_value(extract_ctx* x, int v, bool local, int* out) {
  if (v < 0) {
    *out = -1;
    return ROOF_OK;
  }
  if (x->vmap[v] >= 0) {
    *out = x->vmap[v];
    return ROOF_OK;
  }
  const roof_value* src = &x->g->values[v];
  int w = roof_graph_add_value(x->sub, src->name);
  if (w < 0) return xnomem(x);
  x->vmap[v] = w;
  *out = w;
  if (local) return ROOF_OK;
  roof_value* dst = &x->sub->values[w];
  src = &x->g->values[v]; /* (sub grew, not g) */
  dst->dtype = src->dtype;
  dst->kind = src->kind;
  dst->rank = src->rank;
  memcpy(dst->dims, src->dims, sizeof(dst->dims));
  dst->layout = ROOF_LAYOUT_PLAIN;
  if (src->data && (src->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN))) {
    dst->data = malloc(src->nbytes ? src->nbytes : 1);
    if (dst->data == NULL) return xnomem(x);
    if (src->nbytes) memcpy(dst->data, src->data, src->nbytes);
    dst->nbytes = src->nbytes;
    dst->flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
    return ROOF_OK;
  }
  if (src->rank < 0) {
    char nb[ROOF_NAME_BUF];
    return roof_node_fail(x->err, ROOF_E_DATA, x->g, &x->g->nodes[x->node], "tensor '%s': read by a body, has no known shape",
                          ROOF_SAFE(src->name, nb));
  }
  dst->flags = ROOF_VAL_GRAPH_INPUT | (src->flags & ROOF_VAL_ELEM_SHAPE);
  x->sub->inputs[x->sub->num_inputs++] = w;
  return ROOF_OK;
}

/* True when node m belongs to graph attribute `which` (0 then/body, 1 else) of x->node. */
static bool member(const extract_ctx* x, int m, int which) {
  const roof_graph* g = x->g;
  int d = m;
  while (d >= 0 && g->nodes[d].branch_of - 1 != x->node) d = g->nodes[d].branch_of - 1;
  return d >= 0 && g->nodes[d].branch_of && g->nodes[d].branch == which;
}

static roof_status copy_member(extract_ctx* x, int m, const char* label) {
  const roof_node* src = &x->g->nodes[m];
  bool direct = src->branch_of - 1 == x->node;
  char name[ROOF_NAME_BUF * 4];
  snprintf(name, sizeof(name), direct ? "%s/%s/%s" : "%.0s%.0s%s", x->g->nodes[x->node].name, label, src->name);
  int k = roof_graph_add_node(x->sub, name, src->op_type, src->domain, NULL, 0, NULL, 0);
  if (k < 0) return xnomem(x);
  x->nmap[m] = k;
  roof_node* dst = &x->sub->nodes[k];
  free(dst->inputs);
  free(dst->outputs);
  dst->inputs = malloc(sizeof(int) * ((size_t)src->num_inputs + 1));
  dst->outputs = malloc(sizeof(int) * ((size_t)src->num_outputs + 1));
  dst->attrs = calloc((size_t)src->num_attrs + 1, sizeof(roof_attr));
  if (!dst->inputs || !dst->outputs || !dst->attrs) return xnomem(x);
  for (int a = 0; a < src->num_attrs; a++, dst->num_attrs++) {
    if (!roof_attr_copy(&src->attrs[a], &dst->attrs[a])) return xnomem(x);
  }
  dst->removed = !direct;        /* nested bodies stay dormant */
  dst->branch = src->branch;
  dst->branch_of = direct ? 0 : src->branch_of; /* remapped once every member is copied */
  return ROOF_OK;
}

/* Inputs, outputs and graph attributes of copied node m in sub values. Outputs first (they
 * are local); inputs read from outside become constants or body inputs. */
static roof_status wire_member(extract_ctx* x, int m) {
  const roof_node* src = &x->g->nodes[m];
  int k = x->nmap[m];
  roof_status st = ROOF_OK;
  for (int o = 0; o < src->num_outputs && st == ROOF_OK; o++) {
    st = map_value(x, src->outputs[o], true, &x->sub->nodes[k].outputs[o]);
    x->sub->nodes[k].num_outputs = o + 1;
  }
  for (int a = 0; a < src->num_attrs && st == ROOF_OK; a++) {
    const roof_attr* at = &src->attrs[a];
    for (int i = 0; at->type == ROOF_ATTR_GRAPH && i < at->num_graph_inputs && st == ROOF_OK; i++) {
      int w = -1;
      st = map_value(x, at->graph_inputs[i], true, &w);
      x->sub->nodes[k].attrs[a].graph_inputs[i] = w;
    }
  }
  return st;
}

static roof_status wire_reads(extract_ctx* x, int m) {
  const roof_node* src = &x->g->nodes[m];
  int k = x->nmap[m];
  roof_status st = ROOF_OK;
  for (int i = 0; i < src->num_inputs && st == ROOF_OK; i++) {
    st = map_value(x, src->inputs[i], false, &x->sub->nodes[k].inputs[i]);
    x->sub->nodes[k].num_inputs = i + 1;
  }
  for (int a = 0; a < src->num_attrs && st == ROOF_OK; a++) {
    const roof_attr* at = &src->attrs[a];
    for (size_t o = 0; at->type == ROOF_ATTR_GRAPH && o < at->n && st == ROOF_OK; o++) {
      int w = -1;
      st = map_value(x, (int)at->ints[o], false, &w);
      x->sub->nodes[k].attrs[a].ints[o] = w;
    }
  }
  return st;
}

static roof_status new_sub(extract_ctx* x) {
  const roof_graph* g = x->g;
  roof_graph* s = roof_graph_new();
  x->sub = s;
  if (s == NULL || (s->path = strdup(g->path)) == NULL || (g->dir && (s->dir = strdup(g->dir)) == NULL)) return xnomem(x);
  s->opset = g->opset;
  s->ir_version = g->ir_version;
  s->inputs = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  return s->inputs ? ROOF_OK : xnomem(x);
}

static roof_status extract(extract_ctx* x, int a, int which, const roof_value* types) {
  const roof_attr* at = &x->g->nodes[x->node].attrs[a];
  const char* label = roof_control_label(&x->g->nodes[x->node], a);
  roof_status st = new_sub(x);
  for (int i = 0; i < at->num_graph_inputs && st == ROOF_OK; i++) { /* formal inputs first */
    int w = -1;
    st = map_value(x, at->graph_inputs[i], true, &w);
    if (st != ROOF_OK) break;
    roof_value* v = &x->sub->values[w];
    v->dtype = types[i].dtype;
    v->kind = types[i].kind;
    v->rank = types[i].rank;
    memcpy(v->dims, types[i].dims, sizeof(v->dims));
    v->flags = ROOF_VAL_GRAPH_INPUT | (types[i].flags & ROOF_VAL_ELEM_SHAPE);
    x->sub->inputs[x->sub->num_inputs++] = w;
  }
  for (int m = 0; m < x->g->num_nodes && st == ROOF_OK; m++) {
    if (x->g->nodes[m].branch_of && member(x, m, which)) st = copy_member(x, m, label);
  }
  for (int m = 0; m < x->g->num_nodes && st == ROOF_OK; m++) {
    if (x->nmap[m] >= 0) st = wire_member(x, m);
  }
  for (int m = 0; m < x->g->num_nodes && st == ROOF_OK; m++) {
    if (x->nmap[m] >= 0) st = wire_reads(x, m);
  }
  for (int m = 0; m < x->g->num_nodes && st == ROOF_OK; m++) {
    roof_node* d = x->nmap[m] >= 0 ? &x->sub->nodes[x->nmap[m]] : NULL;
    if (d && d->branch_of) d->branch_of = x->nmap[d->branch_of - 1] + 1;
  }
  if (st == ROOF_OK && (x->sub->outputs = malloc(sizeof(int) * (at->n + 1))) == NULL) st = xnomem(x);
  for (size_t o = 0; st == ROOF_OK && o < at->n; o++) {
    int w = -1;
    st = map_value(x, (int)at->ints[o], false, &w);
    if (st != ROOF_OK) break;
    x->sub->values[w].flags |= ROOF_VAL_GRAPH_OUTPUT;
    x->sub->outputs[x->sub->num_outputs++] = w;
  }
  x->sub->num_original_nodes = x->sub->num_nodes;
  return st;
}

/* The dormant nodes under c in the enclosing graph: folded, they now live in the subgraphs. */
static roof_status fold_members(roof_graph* g, int c, roof_error* err) {
  static const char kReason[] = "runs in a subgraph of an If decided at run time, a Loop or a Scan (its own plan)";
  for (int m = 0; m < g->num_nodes; m++) {
    if (!g->nodes[m].branch_of || !within(g, m, c)) continue;
    if (roof_graph_fold_node(g, m, ROOF_CONTROL_PASS, kReason) != ROOF_OK) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning a subgraph", g->path);
    }
  }
  for (int m = 0; m < g->num_nodes; m++) {
    if (g->nodes[m].branch_of && within(g, m, c)) g->nodes[m].branch_of = 0;
  }
  return ROOF_OK;
}

/* A Loop body whose shapes follow its iteration number and nothing else known only at run time
 * (the iteration number is the one formal input whose values are known ahead: 0, 1, ...):
 * *sub stays as extracted in n->body_template, for the kernel to plan again per iteration, and
 * becomes the body planned for iteration 0, whose shapes every iteration must give. *done
 * false: an ordinary body (planned by the caller). */
static roof_status plan_per_iteration(roof_node* n, roof_graph** sub, uint64_t max_tensor_bytes, bool* done, roof_error* err) {
  roof_graph* t = *sub;
  *done = false;
  bool* sets = calloc((size_t)t->num_inputs + 1, sizeof(bool));
  if (sets == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning a subgraph", t->path);
  roof_status st = roof_graph_bind_ops(t, err);
  if (st == ROOF_OK) st = roof_graph_shape_inputs(t, sets, err);
  bool per_iteration = st == ROOF_OK && t->num_inputs > 0 && sets[0];
  for (int i = 1; i < t->num_inputs && per_iteration; i++) per_iteration = !sets[i];
  free(sets);
  if (!per_iteration) return st;
  roof_graph* c = NULL;
  const roof_value* it = &t->values[t->inputs[0]];
  int64_t zero = 0;
  roof_value_binding b = {.name = it->name, .dtype = it->dtype, .rank = it->rank, .data = &zero, .nbytes = sizeof(zero)};
  memcpy(b.dims, it->dims, sizeof(int64_t) * (size_t)(it->rank > 0 ? it->rank : 0));
  st = roof_graph_copy(t, &c, err);
  if (st == ROOF_OK) st = roof_subgraph_plan(c, &b, 1, max_tensor_bytes, NULL, err);
  if (st != ROOF_OK) {
    roof_graph_free(c);
    return st;
  }
  n->body_template = t;
  *sub = c;
  *done = true;
  return ROOF_OK;
}

roof_status roof_control_plan(roof_graph* g, int node, uint64_t max_tensor_bytes, roof_error* err) {
  roof_node* n = &g->nodes[node];
  if (n->subgraphs) return ROOF_OK;
  int num = 0;
  for (int a = 0; a < n->num_attrs; a++) num += n->attrs[a].type == ROOF_ATTR_GRAPH;
  roof_graph** subs = calloc((size_t)num + 2, sizeof(roof_graph*));
  extract_ctx x = {.g = g, .node = node, .err = err};
  x.vmap = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  x.nmap = malloc(sizeof(int) * ((size_t)g->num_nodes + 1));
  roof_value* types = NULL;
  roof_status st = subs && x.vmap && x.nmap ? ROOF_OK : roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning a subgraph", g->path);
  int k = 0;
  for (int a = 0; a < n->num_attrs && st == ROOF_OK; a++) {
    const roof_attr* at = &n->attrs[a];
    if (at->type != ROOF_ATTR_GRAPH) continue;
    free(types);
    types = calloc((size_t)at->num_graph_inputs + 1, sizeof(roof_value));
    if (types == NULL) {
      st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning a subgraph", g->path);
      break;
    }
    st = roof_control_body_types(g, n, a, types, at->num_graph_inputs, err);
    for (int v = 0; v < g->num_values; v++) x.vmap[v] = -1;
    for (int m = 0; m < g->num_nodes; m++) x.nmap[m] = -1;
    x.sub = NULL;
    int which = strcmp(at->name, "else_branch") == 0;
    if (st == ROOF_OK && subs[which]) {
      st = roof_node_fail(err, ROOF_E_DATA, g, n, "attribute '%s': a second body of this node", at->name);
      break;
    }
    if (st == ROOF_OK) st = extract(&x, a, which, types);
    subs[which] = x.sub; /* then_branch (or the body) first, whatever the attribute order */
    k++;
    bool planned = false;
    if (st == ROOF_OK && n->op->id == ROOF_OP_Loop) st = plan_per_iteration(n, &subs[which], max_tensor_bytes, &planned, err);
    if (st == ROOF_OK && !planned) st = roof_subgraph_analyse(x.sub, max_tensor_bytes, err);
  }
  free(types);
  free(x.vmap);
  free(x.nmap);
  if (st == ROOF_OK) st = fold_members(g, node, err);
  if (st != ROOF_OK) {
    for (int i = 0; subs && i < 2; i++) roof_graph_free(subs[i]);
    free(subs);
    return st;
  }
  n->subgraphs = subs;
  n->num_subgraphs = k;
  return ROOF_OK;
}
