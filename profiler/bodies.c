/* Control-flow bodies in a profile: see bodies.h. A body layer's time in a run is the
 * difference of its kernel's running total around that run, and a control row's own time
 * (self_ms) is its time minus its direct bodies' layers' in the same run: both come from one
 * clock (the body sessions' stamps lie inside the enclosing step's), so self stays >= 0 up to
 * the timer's rounding. */
#include "bodies.h"

#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "control_params.h"

typedef struct entry {
  const roof_kernel* k; /* the control kernel running the body */
  int body, step;       /* body attribute, step in that body's session */
  uint64_t prev_ns;
  int64_t prev_iters;
} entry;

struct roof_body_tracker {
  entry* e;
  int n;
  size_t cap_runs;      /* runs the sample arrays hold */
  uint64_t* ns;         /* n per run */
  int64_t* iters;       /* n per run */
};

static bool is_control(const roof_kernel* k) {
  return k->impl && k->state && (k->impl->op == ROOF_OP_If || k->impl->op == ROOF_OP_Loop || k->impl->op == ROOF_OP_Scan);
}

static const char* backend(const roof_kernel* k) { return k->impl ? roof_backend_name(k->impl->backend) : "view"; }

/* Appends the row of node n, in body b (graph g) of control node c, to p->body_layers
 * (*cap rows held, doubled when full): its index, or -1 out of memory (nothing appended). The
 * cost and describe text are the op's per iteration of the body; the timed and the static
 * listings both build their rows here. */
static int add_row(roof_profile* p, int* cap, const roof_graph* g, const roof_node* c, int b, const roof_node* n,
                   const roof_body_layer* where, const char* kernel, bool has_bodies) {
  if (p->num_body_layers == *cap) {
    int grown = *cap ? 2 * *cap : 16;
    roof_body_layer* l = realloc(p->body_layers, sizeof(roof_body_layer) * (size_t)grown);
    if (l == NULL) return -1;
    p->body_layers = l;
    *cap = grown;
  }
  int i = p->num_body_layers++;
  roof_body_layer* l = &p->body_layers[i];
  *l = (roof_body_layer){.parent = where->parent, .owner = where->owner, .depth = where->depth,
                         .label = roof_control_body_label(c, b), .node = n, .kernel = kernel, .has_bodies = has_bodies};
  l->cost.formula = "none";
  if (n->op->cost) n->op->cost(g, n, &l->cost);
  if (n->op->describe) n->op->describe(g, n, l->describe, sizeof(l->describe));
  return i;
}

/* Appends the layers of every body of control kernel k (and, after each nested control row,
 * its own bodies'); false when out of memory. */
static bool list_bodies(roof_body_tracker* t, roof_profile* p, const roof_kernel* k, int parent, int owner, int depth,
                        int* cap, int* cap_e) {
  for (int b = 0; b < roof_control_bodies(k); b++) {
    const roof_session* s = roof_control_body_session(k, b);
    for (int j = 0; j < s->num_steps; j++) {
      const roof_kernel* bk = &s->steps[j].k;
      if (t->n == *cap_e) {
        int grown = *cap_e ? 2 * *cap_e : 16;
        entry* e = realloc(t->e, sizeof(entry) * (size_t)grown);
        if (e == NULL) return false;
        t->e = e;
        *cap_e = grown;
      }
      roof_body_layer where = {.parent = parent, .owner = owner, .depth = depth};
      int i = add_row(p, cap, s->model->g, k->node, b, bk->node, &where, backend(bk), is_control(bk));
      if (i < 0) return false;
      t->e[t->n++] = (entry){.k = k, .body = b, .step = j};
      if (is_control(bk) && !list_bodies(t, p, bk, parent, i, depth + 1, cap, cap_e)) return false;
    }
  }
  return true;
}

/* Out of memory listing: no rows kept. */
static roof_status drop_rows(roof_profile* p, roof_error* err) {
  free(p->body_layers);
  p->body_layers = NULL;
  p->num_body_layers = 0;
  return roof_fail(err, ROOF_E_NOMEM, "out of memory listing control-flow body layers");
}

/* The static listing's walk: node c's planned bodies in their execution order, nested control
 * nodes' bodies after their row (as list_bodies, from the graphs instead of the kernels). */
static bool list_planned(roof_profile* p, const roof_node* c, int parent, int owner, int depth, int* cap) {
  for (int b = 0; b < c->num_subgraphs; b++) {
    const roof_graph* g = c->subgraphs[b];
    for (int oi = 0; oi < g->num_order; oi++) {
      const roof_node* n = &g->nodes[g->order[oi]];
      if (n->removed) continue;
      bool nested = roof_control_is(n) && n->num_subgraphs > 0;
      roof_body_layer where = {.parent = parent, .owner = owner, .depth = depth};
      int i = add_row(p, cap, g, c, b, n, &where, (n->op->flags & ROOF_OPF_ALIAS) ? "view" : "-", nested);
      if (i < 0 || (nested && !list_planned(p, n, parent, i, depth + 1, cap))) return false;
    }
  }
  return true;
}

roof_status roof_bodies_static(roof_profile* p, roof_error* err) {
  int cap = 0;
  bool ok = true;
  for (int i = 0; ok && i < p->num_layers; i++) {
    const roof_node* n = p->layers[i].node;
    if (!roof_control_is(n) || n->num_subgraphs == 0) continue;
    p->layers[i].has_bodies = true;
    ok = list_planned(p, n, i, -1, 1, &cap);
  }
  return ok ? ROOF_OK : drop_rows(p, err);
}

roof_status roof_bodies_begin(const roof_session* s, roof_profile* p, roof_body_tracker** t, roof_error* err) {
  *t = NULL;
  roof_body_tracker* tr = calloc(1, sizeof(*tr));
  bool ok = tr != NULL;
  int cap = 0, cap_e = 0;
  for (int i = 0; ok && i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (!is_control(k)) continue;
    p->layers[i].has_bodies = true;
    ok = list_bodies(tr, p, k, i, -1, 1, &cap, &cap_e);
  }
  if (!ok) {
    roof_bodies_free(tr);
    return drop_rows(p, err);
  }
  if (tr->n == 0) {
    roof_bodies_free(tr);
    return ROOF_OK;
  }
  *t = tr;
  return ROOF_OK;
}

void roof_bodies_mark(roof_body_tracker* t) {
  for (int i = 0; t && i < t->n; i++) {
    entry* e = &t->e[i];
    e->prev_ns = roof_control_body_total_ns(e->k, e->body, &e->prev_iters)[e->step];
  }
}

bool roof_bodies_record(roof_body_tracker* t, size_t r) {
  if (t == NULL) return true;
  if (r >= t->cap_runs) {
    size_t cap = r + 1 > 2 * t->cap_runs ? r + 1 : 2 * t->cap_runs;
    uint64_t* ns = realloc(t->ns, sizeof(uint64_t) * cap * (size_t)t->n);
    if (ns) t->ns = ns;
    int64_t* it = ns ? realloc(t->iters, sizeof(int64_t) * cap * (size_t)t->n) : NULL;
    if (it == NULL) return false;
    t->iters = it;
    t->cap_runs = cap;
  }
  for (int i = 0; i < t->n; i++) {
    entry* e = &t->e[i];
    int64_t iters;
    uint64_t ns = roof_control_body_total_ns(e->k, e->body, &iters)[e->step];
    t->ns[r * (size_t)t->n + (size_t)i] = ns - e->prev_ns;
    t->iters[r * (size_t)t->n + (size_t)i] = iters - e->prev_iters;
  }
  return true;
}

/* Time in run r of the rows whose owner is `owner` and parent `parent` (direct bodies). */
static double children_ms(const roof_body_tracker* t, const roof_profile* p, int parent, int owner, size_t r) {
  double ms = 0.0;
  for (int i = 0; i < t->n; i++) {
    const roof_body_layer* l = &p->body_layers[i];
    if (l->parent == parent && l->owner == owner) ms += (double)t->ns[r * (size_t)t->n + (size_t)i] / 1e6;
  }
  return ms;
}

void roof_bodies_finish(const roof_body_tracker* t, roof_profile* p, const uint64_t* stamps, size_t n1, size_t runs) {
  if (t == NULL || runs == 0 || runs > t->cap_runs) return;
  double* a = malloc(sizeof(double) * runs * 3);
  if (a == NULL) return; /* out of memory: the rows stay listed, untimed (body_runs 0) */
  double *b = a + runs, *scratch = a + 2 * runs;
  size_t n = (size_t)t->n;
  for (int i = 0; i < t->n; i++) {
    roof_body_layer* l = &p->body_layers[i];
    for (size_t r = 0; r < runs; r++) a[r] = (double)t->iters[r * n + (size_t)i];
    roof_stats_compute(a, runs, scratch, &l->iterations);
    size_t ran = 0;
    for (size_t r = 0; r < runs; r++) {
      int64_t it = t->iters[r * n + (size_t)i];
      if (it <= 0) continue;
      a[ran] = (double)t->ns[r * n + (size_t)i] / 1e6;
      b[ran] = a[ran] / (double)it;
      ran++; /* per iteration, over the runs it ran in */
    }
    l->runs_executed = (int)ran;
    if (ran == 0) continue;
    roof_stats per;
    roof_stats_compute(a, ran, scratch, &l->total_ms);
    roof_stats_compute(b, ran, scratch, &per);
    l->per_iteration_ms = per.median;
    l->share = p->layer_sum_ms > 0 ? l->total_ms.median / p->layer_sum_ms : 0.0;
  }
  roof_stats s;
  for (int li = 0; li < p->num_layers; li++) { /* top-level control layers */
    if (!p->layers[li].has_bodies) continue;
    for (size_t r = 0; r < runs; r++) {
      double whole = (double)(stamps[r * n1 + (size_t)li + 1] - stamps[r * n1 + (size_t)li]) / 1e6;
      a[r] = whole - children_ms(t, p, li, -1, r);
    }
    roof_stats_compute(a, runs, scratch, &s);
    p->layers[li].self_ms = s.median;
  }
  for (int i = 0; i < t->n; i++) { /* nested control rows, over the runs they ran in */
    roof_body_layer* l = &p->body_layers[i];
    if (!l->has_bodies) continue;
    size_t ran = 0;
    for (size_t r = 0; r < runs; r++) {
      if (t->iters[r * n + (size_t)i] == 0) continue;
      a[ran++] = (double)t->ns[r * n + (size_t)i] / 1e6 - children_ms(t, p, l->parent, i, r);
    }
    if (ran == 0) continue;
    roof_stats_compute(a, ran, scratch, &s);
    l->self_ms = s.median;
  }
  p->body_runs = (int)runs;
  free(a);
}

void roof_bodies_free(roof_body_tracker* t) {
  if (t == NULL) return;
  free(t->e);
  free(t->ns);
  free(t->iters);
  free(t);
}
