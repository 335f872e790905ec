/* Op binding, shape inference in topological order, and load-time evaluation of nodes whose
 * inputs are all known (the Shape/Gather/Unsqueeze/Concat arithmetic of PyTorch exports). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "if_fold.h"
#include "model.h"

/* Nodes whose outputs exceed this are executed at run time even when their inputs are known:
 * load-time evaluation uses the slow reference kernels and duplicates memory. */
#define ROOF_FOLD_MAX_BYTES ((uint64_t)64 << 20)

void roof_missing_add(roof_missing_ops* m, const char* op_type, const char* domain, const char* node, bool known) {
  m->nodes++;
  for (int k = 0; k < m->kinds && k < ROOF_MISSING_MAX; k++) {
    if (strcmp(m->kind[k].op_type, op_type) == 0 && strcmp(m->kind[k].domain, domain) == 0) {
      m->kind[k].count++;
      return;
    }
  }
  if (m->kinds < ROOF_MISSING_MAX) {
    roof_missing_op* o = &m->kind[m->kinds];
    *o = (roof_missing_op){.op_type = op_type, .domain = domain, .count = 1, .known = known};
    roof_name_sanitize(node, o->node, sizeof(o->node));
  }
  m->kinds++;
}

roof_status roof_missing_fail(const char* path, int64_t opset, const roof_missing_ops* m, roof_error* err) {
  char pb[ROOF_NAME_BUF * 2], tb[ROOF_NAME_BUF], db[ROOF_NAME_BUF];
  const roof_missing_op* f = &m->kind[0];
  path = ROOF_SAFE(path, pb);
  if (m->kinds == 1) {
    char more[48] = "";
    if (f->count > 1) snprintf(more, sizeof(more), " (%d nodes)", f->count);
    if (f->known) {
      return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: node '%s' (%s): op is not supported at opset %lld%s", path, f->node,
                       ROOF_SAFE(f->op_type, tb), (long long)opset, more);
    }
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: node '%s' (%s): unknown op (domain '%s')%s; `rooftop ops` lists the supported ones",
                     path, f->node, ROOF_SAFE(f->op_type, tb), ROOF_SAFE(f->domain, db), more);
  }
  char list[640];
  size_t o = 0;
  list[0] = '\0';
  for (int k = 0; k < m->kinds && k < ROOF_MISSING_MAX; k++) {
    const roof_missing_op* e = &m->kind[k];
    int w = snprintf(list + o, sizeof(list) - o, "%s%s%s%s x%d (node '%s'%s)", k ? ", " : "", ROOF_SAFE(e->domain, db),
                     e->domain[0] ? "." : "", ROOF_SAFE(e->op_type, tb), e->count, e->node, e->known ? ", not at this opset" : "");
    if (w < 0 || (size_t)w >= sizeof(list) - o) { /* no room: end the list where the last entry ended */
      list[o] = '\0';
      break;
    }
    o += (size_t)w;
  }
  bool cut = m->kinds > ROOF_MISSING_MAX || o + 1 >= sizeof(list);
  return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: %d unsupported op types in %d nodes (opset %lld): %s%s; `rooftop ops` lists the supported ones",
                   path, m->kinds, m->nodes, (long long)opset, list, cut ? ", ..." : "");
}

roof_status roof_graph_bind_ops(roof_graph* g, roof_error* err) {
  roof_missing_ops missing = {0};
  for (int i = 0; i < g->num_nodes; i++) {
    const roof_node* n = &g->nodes[i];
    if ((n->removed && !n->branch_of) || n->op != NULL || roof_op_find(n->domain, n->op_type, g->opset)) continue;
    roof_missing_add(&missing, n->op_type, n->domain, n->name, roof_op_known(n->domain, n->op_type));
  }
  if (missing.kinds > 0 && !g->keep_unbound) return roof_missing_fail(g->path, g->opset, &missing, err);
  for (int i = 0; i < g->num_nodes; i++) {
    roof_node* n = &g->nodes[i];
    if ((n->removed && !n->branch_of) || n->op != NULL) continue; /* dormant branch nodes too */
    const roof_op_schema* d = roof_op_find(n->domain, n->op_type, g->opset);
    if (d == NULL) continue; /* kept unbound (keep_unbound) */
    void* params = calloc(1, d->params_size ? d->params_size : 1);
    if (params == NULL) return roof_node_fail(err, ROOF_E_NOMEM, g, n, "out of memory for parameters");
    n->op = d; /* parse may switch on n->op->id (one parse serves a family of ops) */
    if (d->parse) {
      roof_status st = d->parse(g, n, params, err);
      if (st != ROOF_OK) {
        n->op = NULL;
        free(params);
        return st;
      }
    }
    free(n->params);
    n->params = params;
  }
  return ROOF_OK;
}

static const roof_shape_binding* find_binding(const roof_shape_binding* b, size_t nb, const char* name) {
  for (size_t i = 0; i < nb; i++) {
    if (b[i].name && strcmp(b[i].name, name) == 0) return &b[i];
  }
  return NULL;
}

/* "--shape NAME=D0xD1x..." for an input with dynamic dims: declared dims kept, 1 for each
 * dynamic one; the name single-quoted when a shell would split or expand it. */
static const char* suggest_shape_flag(const roof_value* v, char* out, size_t n) {
  char nb[ROOF_NAME_BUF];
  const char* name = ROOF_SAFE(v->name, nb);
  bool plain = name[0] != '\0' && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-") ==
                                       strlen(name);
  const char* q = plain || strchr(name, '\'') ? "" : "'";
  size_t o = (size_t)snprintf(out, n, "--shape %s%s=", q, name);
  for (int d = 0; d < v->rank && o < n; d++) {
    o += (size_t)snprintf(out + o, n - o, "%s%lld", d ? "x" : "", (long long)(v->dims[d] < 0 ? 1 : v->dims[d]));
  }
  if (o < n) snprintf(out + o, n - o, "%s", q);
  return out;
}

/* True when no node reads graph input v's shape or data: every use is a dtype-only input
 * (CastLike's target_type) or there is none, and it is no graph output. A graph with control
 * flow (If branches, Loop and Scan bodies may read outer values) is not searched: false. Such an
 * input binds with whatever shape it is given (ONNX's CastLike tests give [1] for [3, 4]). */
static bool shape_unused(const roof_graph* g, int v) {
  if (g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) return false;
  for (int ni = 0; ni < g->num_nodes; ni++) {
    const roof_node* n = &g->nodes[ni];
    if (n->removed && !n->branch_of) continue;
    if (n->op == NULL || roof_control_is(n) || n->branch_of) return false;
    for (int i = 0; i < n->num_inputs; i++) {
      if (n->inputs[i] == v && !(i < 32 && (n->op->dtype_only_inputs & ROOF_IN(i)))) return false;
    }
  }
  return true;
}

static roof_status bind_inputs(roof_graph* g, const roof_shape_binding* shapes, size_t nshapes,
                               roof_error* err) {
  char nb[ROOF_NAME_BUF], sb[128], pb[ROOF_NAME_BUF * 2];
  const char* path = ROOF_SAFE(g->path, pb);
  for (size_t i = 0; i < nshapes; i++) {
    int v = roof_graph_find_value(g, shapes[i].name ? shapes[i].name : "");
    if (v < 0 || !(g->values[v].flags & ROOF_VAL_GRAPH_INPUT)) {
      return roof_fail(err, ROOF_E_USAGE, "%s: --shape names '%s', which is not a graph input", path,
                       ROOF_SAFE(shapes[i].name, nb));
    }
  }
  for (int i = 0; i < g->num_inputs; i++) {
    roof_value* v = &g->values[g->inputs[i]];
    const roof_shape_binding* b = find_binding(shapes, nshapes, v->name);
    if (b && b->rank >= 0 && b->rank <= ROOF_MAX_RANK && shape_unused(g, g->inputs[i])) {
      bool ok = true;
      for (int d = 0; d < b->rank; d++) ok = ok && b->dims[d] >= 0;
      if (ok) { /* any shape: nothing reads it */
        v->rank = b->rank;
        memcpy(v->dims, b->dims, sizeof(int64_t) * (size_t)b->rank);
        b = NULL;
      }
    }
    if (b) {
      if (b->rank < 0 || b->rank > ROOF_MAX_RANK || (v->rank >= 0 && v->rank != b->rank)) {
        return roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': --shape has rank %d but the model declares rank %d",
                         path, ROOF_SAFE(v->name, nb), b->rank, v->rank);
      }
      for (int d = 0; d < b->rank; d++) {
        if (b->dims[d] < 0 || (v->rank >= 0 && v->dims[d] >= 0 && v->dims[d] != b->dims[d])) {
          return roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': --shape dim %d is %lld but the model fixes it to %lld",
                           path, ROOF_SAFE(v->name, nb), d, (long long)b->dims[d], (long long)v->dims[d]);
        }
      }
      v->rank = b->rank;
      memcpy(v->dims, b->dims, sizeof(int64_t) * (size_t)b->rank);
    }
    if (v->rank < 0) {
      return roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': input shape is unknown; set it with --shape %s=DIMS",
                       path, ROOF_SAFE(v->name, nb), ROOF_SAFE(v->name, sb));
    }
    for (int d = 0; d < v->rank; d++) {
      if (v->dims[d] < 0) {
        char pn[ROOF_NAME_BUF], flag[ROOF_NAME_BUF + 160];
        return roof_fail(err, ROOF_E_USAGE,
                         "%s: tensor '%s': dim %d ('%s') is dynamic; add the flag %s (declared dims, 1 for each "
                         "dynamic one: change as needed)",
                         path, ROOF_SAFE(v->name, nb), d, ROOF_SAFE(v->dim_params[d] ? v->dim_params[d] : "?", pn),
                         suggest_shape_flag(v, flag, sizeof(flag)));
      }
    }
  }
  return ROOF_OK;
}

static bool all_inputs_known(const roof_graph* g, const roof_node* n) {
  if (n->op->layout == ROOF_LR_META) return true;
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    if (v && !(v->data && (v->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN)))) return false;
  }
  return true;
}

/* Runs the node's reference kernel on known data; outputs become KNOWN. */
static roof_status evaluate(roof_graph* g, roof_node* n, roof_error* err) {
  roof_tensor in[64], out[16];
  if (n->num_inputs > 64 || n->num_outputs > 16) return ROOF_OK; /* leave it to run time */
  uint64_t total = 0;
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    uint64_t b;
    if (y == NULL) continue;
    if (!roof_value_bytes(y, &b)) return ROOF_OK;
    total += b;
  }
  if (total > ROOF_FOLD_MAX_BYTES) return ROOF_OK;
  roof_value* x0 = roof_in(g, n, 0);
  roof_value* y0 = roof_out(g, n, 0);
  if (roof_node_is_view(n) && n->num_outputs == 1 && x0 && y0 && x0->data &&
      x0->num_consumers == 1 && !(x0->flags & (ROOF_VAL_GRAPH_OUTPUT | ROOF_VAL_GRAPH_INPUT)) &&
      x0->dtype == y0->dtype) {
    /* A view of a single-use constant (Identity of an initializer in raw exports): move the
     * buffer instead of copying it, so weights are held once. x0 keeps ROOF_VAL_KNOWN without
     * data, so that constfold still folds the node that produced it. */
    roof_value_drop_data(y0);
    y0->data = x0->data;
    y0->nbytes = x0->nbytes;
    y0->flags |= ROOF_VAL_KNOWN | (x0->flags & ROOF_VAL_BORROWED); /* a borrowed buffer stays borrowed */
    x0->data = NULL;
    x0->flags &= ~(uint32_t)ROOF_VAL_BORROWED;
    return ROOF_OK;
  }
  roof_kernel k = {0};
  k.op = n->op;
  k.impl = roof_kernel_ref_of(n->op->id);
  if (x0 && !roof_kernel_impl_takes(k.impl, x0->dtype)) return ROOF_OK; /* float16 Conv...: widen16 */
  k.g = g;
  k.node = n;
  k.params = n->params;
  k.in = in;
  k.out = out;
  k.num_in = n->num_inputs;
  k.num_out = n->num_outputs;
  memset(in, 0, sizeof(in));
  memset(out, 0, sizeof(out));
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    if (v) roof_tensor_init(&in[i], v->dtype, v->rank, v->dims, ROOF_LAYOUT_PLAIN, v->data);
  }
  void* bufs[16] = {0};
  roof_status st = ROOF_OK;
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    if (y == NULL) continue;
    uint64_t b = 0;
    roof_value_bytes(y, &b);
    bufs[o] = calloc(1, b ? b : 1);
    if (bufs[o] == NULL) {
      st = roof_node_fail(err, ROOF_E_NOMEM, g, n, "out of memory evaluating at load time");
      goto cleanup;
    }
    roof_tensor_init(&out[o], y->dtype, y->rank, y->dims, ROOF_LAYOUT_PLAIN, bufs[o]);
  }
  st = roof_kernel_outputs_empty(&k) ? ROOF_OK : k.impl->run(&k, err); /* empty: nothing to compute */
  if (st != ROOF_OK) goto cleanup;
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    if (y == NULL || (y->flags & (ROOF_VAL_INITIALIZER | ROOF_VAL_GRAPH_INPUT))) continue;
    roof_value_drop_data(y);
    y->data = bufs[o];
    roof_value_bytes(y, &total);
    y->nbytes = total;
    y->flags |= ROOF_VAL_KNOWN;
    bufs[o] = NULL;
  }
cleanup:
  for (int o = 0; o < 16; o++) free(bufs[o]);
  return st;
}

/* No dim may exceed the single-tensor byte limit, even in an empty tensor ([0, 7e18] holds no
 * bytes): shape arithmetic (padding, strides, sums of dims) then stays far inside int64. */
static bool dims_bounded(const roof_value* v, uint64_t max_bytes, int* bad) {
  for (int d = 0; d < v->rank; d++) {
    if (v->dims[d] > 0 && (uint64_t)v->dims[d] > max_bytes) {
      *bad = d;
      return false;
    }
  }
  return true;
}

static roof_status check_known_dims(const roof_graph* g, uint64_t max_bytes, roof_error* err) {
  for (int i = 0; i < g->num_values; i++) {
    const roof_value* v = &g->values[i];
    int d;
    if (v->rank < 0 || dims_bounded(v, max_bytes, &d)) continue;
    char vb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': dim %d is %lld, above the tensor size limit of %llu bytes",
                     ROOF_SAFE(g->path, pb), ROOF_SAFE(v->name, vb), d, (long long)v->dims[d],
                     (unsigned long long)max_bytes);
  }
  return ROOF_OK;
}

static roof_status check_outputs(roof_graph* g, roof_node* n, uint64_t max_bytes, roof_error* err) {
  char vb[ROOF_NAME_BUF], sb[128];
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    if (y == NULL) continue;
    if (y->rank < 0 || y->rank > ROOF_MAX_RANK) {
      return roof_node_fail(err, y->rank < 0 ? ROOF_E_INTERNAL : ROOF_E_UNSUPPORTED, g, n,
                            "tensor '%s': output rank %d is not in 0..%d", ROOF_SAFE(y->name, vb), y->rank,
                            ROOF_MAX_RANK);
    }
    uint64_t bytes;
    if (roof_dtype_size(y->dtype) == 0) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "tensor '%s': dtype %s is not supported",
                            ROOF_SAFE(y->name, vb), roof_dtype_name(y->dtype));
    }
    int d;
    if (!dims_bounded(y, max_bytes, &d)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': dim %d is %lld, above the tensor size limit of %llu bytes",
                            ROOF_SAFE(y->name, vb), d, (long long)y->dims[d], (unsigned long long)max_bytes);
    }
    if (!roof_value_bytes(y, &bytes) || bytes > max_bytes) {
      return roof_node_fail(err, ROOF_E_DATA, g, n,
                            "tensor '%s': planned shape %s exceeds the tensor size limit of %llu bytes",
                            ROOF_SAFE(y->name, vb), roof_shape_str(y->dims, y->rank, sb, sizeof(sb)),
                            (unsigned long long)max_bytes);
    }
  }
  return ROOF_OK;
}

/* Partial analysis: node n is set aside (folded under "not_analysed" with `reason`); the first
 * refusal's message is kept in *note when it is empty. */
static roof_status set_aside(roof_graph* g, roof_node* n, const char* reason, const roof_error* why, char* note,
                             size_t note_size, roof_error* err) {
  if (note && note[0] == '\0') snprintf(note, note_size, "%s", why ? why->message : reason);
  /* whatever infer wrote before refusing (a shape over the size limit, say) is not to be
   * trusted downstream: the outputs become unknown, so their readers are set aside too */
  for (int o = 0; o < n->num_outputs; o++) {
    roof_value* y = roof_out(g, n, o);
    if (y == NULL) continue;
    roof_value_drop_data(y);
    y->flags &= ~(uint32_t)ROOF_VAL_KNOWN;
    y->rank = -1;
  }
  if (roof_graph_fold_node(g, (int)(n - g->nodes), ROOF_NOT_ANALYSED_PASS, reason) != ROOF_OK) {
    return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory recording the nodes not analysed", g->path);
  }
  return ROOF_OK;
}

/* One node's inference: its inputs' shapes, its output 0, the schema's infer, the size limits. */
static roof_status infer_node(roof_graph* g, roof_node* n, uint64_t max_bytes, roof_error* err) {
  for (int i = 0; i < n->num_inputs; i++) {
    const roof_value* v = roof_in(g, n, i);
    char vb[ROOF_NAME_BUF];
    if (v && v->rank < 0) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "tensor '%s': input %d has no known shape",
                            ROOF_SAFE(v->name, vb), i);
    }
  }
  if (roof_out(g, n, 0) == NULL && !(n->op->flags & ROOF_OPF_OPTIONAL_OUT0)) { /* infer functions write output 0 unchecked */
    return roof_node_fail(err, ROOF_E_DATA, g, n, "output 0 is missing (every supported op produces its first output)");
  }
  for (int i = 0; i < n->num_inputs; i++) { /* strings reach only the ops written for them */
    const roof_value* v = roof_in(g, n, i);
    char vb[ROOF_NAME_BUF];
    if (v && v->dtype == ROOF_DT_STRING && !(n->op->flags & (ROOF_OPF_STRINGS | ROOF_OPF_ALIAS)) &&
        !(i < 32 && (n->op->dtype_only_inputs & ROOF_IN(i)))) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "tensor '%s': string input %d: only Cast, CastLike and views read string tensors",
                            ROOF_SAFE(v->name, vb), i);
    }
  }
  roof_status st = n->op->infer(g, n, err);
  if (st == ROOF_OK) st = check_outputs(g, n, max_bytes, err);
  return st;
}

/* One node in order: inference (or setting it aside), then evaluation when its inputs are known. */
static roof_status visit(roof_graph* g, roof_node* n, uint64_t max_bytes, bool partial, char* note, size_t note_size,
                         roof_error* err) {
  roof_status st;
  if (n->op == NULL) { /* unbound: a woken branch node of an unknown op under keep_unbound */
    if (partial) return set_aside(g, n, "unsupported op", NULL, NULL, 0, err);
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "unknown op (domain '%s')", n->domain);
  }
  roof_error why;
  st = infer_node(g, n, max_bytes, partial ? &why : err);
  if (st != ROOF_OK && partial && st != ROOF_E_NOMEM) {
    bool upstream = false;
    for (int i = 0; i < n->num_inputs; i++) upstream = upstream || (roof_in(g, n, i) && roof_in(g, n, i)->rank < 0);
    return set_aside(g, n, upstream ? "reads a tensor of a node not analysed" : "shape inference refused it",
                     upstream ? NULL : &why, upstream ? NULL : note, note_size, err);
  }
  if (st != ROOF_OK) {
    if (partial) *err = why;
    return st;
  }
  if (!(n->op->flags & ROOF_OPF_NO_FOLD) && roof_kernel_ref_of(n->op->id) && all_inputs_known(g, n)) {
    st = evaluate(g, n, err);
  }
  return st;
}

/* An If reached in order: replaced by its taken branch (if_fold.h) when its condition is known
 * at load, planned with both branches as subgraphs (control.h) otherwise; in a partial analysis
 * one that cannot be analysed is set aside with its branches. */
static roof_status visit_if(roof_graph* g, int ni, uint64_t max_bytes, bool partial, char* note, size_t note_size,
                            roof_error* err) {
  roof_error why;
  const roof_value* c = roof_in(g, &g->nodes[ni], 0);
  bool known = c->rank >= 0 && c->data && (c->flags & (ROOF_VAL_CONST | ROOF_VAL_KNOWN));
  if (!known && c->rank >= 0) {
    roof_status st = roof_control_plan(g, ni, max_bytes, partial ? &why : err);
    if (st == ROOF_OK) return visit(g, &g->nodes[ni], max_bytes, partial, note, note_size, err);
    if (st == ROOF_E_NOMEM || !partial) {
      if (partial) *err = why;
      return st;
    }
    st = set_aside(g, &g->nodes[ni], "shape inference refused it", &why, note, note_size, err);
    return st == ROOF_OK ? roof_if_drop_branches(g, ni, err) : st;
  }
  roof_status st = roof_if_fold(g, ni, partial ? &why : err);
  if (st == ROOF_OK || st == ROOF_E_NOMEM || !partial) {
    if (st != ROOF_OK && partial) *err = why;
    return st;
  }
  bool upstream = roof_in(g, &g->nodes[ni], 0)->rank < 0;
  st = set_aside(g, &g->nodes[ni], upstream ? "reads a tensor of a node not analysed" : "shape inference refused it",
                 upstream ? NULL : &why, upstream ? NULL : note, note_size, err);
  return st == ROOF_OK ? roof_if_drop_branches(g, ni, err) : st;
}

static roof_status infer_graph(roof_graph* g, const roof_shape_binding* shapes, size_t num_shapes,
                               uint64_t max_tensor_bytes, char* note, size_t note_size, roof_error* err) {
  bool partial = note != NULL;
  roof_status st = bind_inputs(g, shapes, num_shapes, err);
  if (st != ROOF_OK) return st;
  st = roof_graph_toposort(g, err);
  if (st != ROOF_OK) return st;
  const uint64_t max_bytes = max_tensor_bytes ? max_tensor_bytes : (uint64_t)4 << 30;
  st = check_known_dims(g, max_bytes, err); /* inputs as bound, initializers, constants */
  if (st != ROOF_OK) return st;
  /* A folded If changes the order (its branch joins it): the walk starts over on the new order,
   * skipping the nodes already visited. */
  bool* done = calloc((size_t)g->num_nodes + 1, sizeof(bool));
  int num_done = g->num_nodes;
  if (done == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for shape inference", g->path);
  for (int oi = 0; oi < g->num_order && st == ROOF_OK; oi++) {
    int ni = g->order[oi];
    if (done[ni]) continue;
    done[ni] = true;
    roof_node* n = &g->nodes[ni];
    if (n->op != NULL && roof_control_is(n) && n->op->id != ROOF_OP_If) { /* Loop, Scan: bodies planned apart */
      bool ready = true;
      for (int i = 0; i < n->num_inputs; i++) ready = ready && (roof_in(g, n, i) == NULL || roof_in(g, n, i)->rank >= 0);
      roof_error why;
      st = ready ? roof_control_plan(g, ni, max_bytes, partial ? &why : err) : ROOF_OK;
      if (st == ROOF_OK) st = visit(g, n, max_bytes, partial, note, note_size, err);
      else if (partial && st != ROOF_E_NOMEM) st = set_aside(g, n, "shape inference refused it", &why, note, note_size, err);
      if (st == ROOF_OK && n->removed) st = roof_if_drop_branches(g, ni, err);
      continue;
    }
    if (n->op == NULL || n->op->id != ROOF_OP_If) {
      st = visit(g, n, max_bytes, partial, note, note_size, err);
      continue;
    }
    st = visit_if(g, ni, max_bytes, partial, note, note_size, err);
    bool* more = st == ROOF_OK ? realloc(done, sizeof(bool) * ((size_t)g->num_nodes + 1)) : done;
    if (more == NULL) st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for shape inference", g->path);
    done = more ? more : done;
    for (; st == ROOF_OK && num_done < g->num_nodes; num_done++) done[num_done] = false;
    oi = -1;
  }
  free(done);
  for (int i = 0; i < g->num_outputs && !partial && st == ROOF_OK; i++) {
    const roof_value* v = &g->values[g->outputs[i]];
    char vb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
    if (v->rank < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph output has no known shape",
                       ROOF_SAFE(g->path, pb), ROOF_SAFE(v->name, vb));
    }
  }
  return st;
}

roof_status roof_graph_infer(roof_graph* g, const roof_shape_binding* shapes, size_t num_shapes,
                             uint64_t max_tensor_bytes, roof_error* err) {
  return infer_graph(g, shapes, num_shapes, max_tensor_bytes, NULL, 0, err);
}

roof_status roof_graph_infer_partial(roof_graph* g, const roof_shape_binding* shapes, size_t num_shapes,
                                     uint64_t max_tensor_bytes, char* note, size_t note_size, roof_error* err) {
  if (note_size > 0) note[0] = '\0';
  return infer_graph(g, shapes, num_shapes, max_tensor_bytes, note, note_size, err);
}
