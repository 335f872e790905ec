/* Releasing a model's weights: an explicit model-level step, never a side effect of a session.
 *
 * After the fact (roof_model_release_weights) or while a session's kernels are created
 * (roof_model_release_to_session, the executor calling back after each kernel). Either way a
 * constant goes only when nothing reads it at run time, a borrowed buffer is forgotten rather
 * than freed (its lender owns it), and a lender keeps every buffer a live copy still reads. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int cmp_ptr(const void* a, const void* b) {
  uintptr_t x = (uintptr_t)*(void* const*)a, y = (uintptr_t)*(void* const*)b;
  return (x > y) - (x < y);
}

/* Buffers of `m` that its live copies still reference, sorted for bsearch (*out NULL and *n 0
 * when there are none). */
static roof_status lent_buffers(const roof_model* m, void*** out, size_t* n, roof_error* err) {
  size_t count = 0;
  for (const roof_model* c = m->borrowers; c; c = c->next_borrower) {
    for (int v = 0; v < c->g->num_values; v++) count += (c->g->values[v].flags & ROOF_VAL_BORROWED) && c->g->values[v].data;
  }
  *out = NULL;
  *n = 0;
  if (count == 0) return ROOF_OK;
  void** p = malloc(sizeof(void*) * count);
  if (p == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory releasing weights", m->g->path);
  for (const roof_model* c = m->borrowers; c; c = c->next_borrower) {
    for (int v = 0; v < c->g->num_values; v++) {
      const roof_value* val = &c->g->values[v];
      if ((val->flags & ROOF_VAL_BORROWED) && val->data) p[(*n)++] = val->data;
    }
  }
  qsort(p, *n, sizeof(void*), cmp_ptr);
  *out = p;
  return ROOF_OK;
}

/* Frees (or, borrowed, forgets) the data of constant v unless a copy still reads it. True when
 * the value let go of its data. */
static bool drop_constant(roof_graph* g, int v, void* const* lent, size_t num_lent) {
  roof_value* val = &g->values[v];
  if (!(val->flags & ROOF_VAL_CONST) || (val->flags & ROOF_VAL_GRAPH_INPUT) || val->data == NULL) return false;
  if (num_lent && bsearch(&val->data, lent, num_lent, sizeof(void*), cmp_ptr)) return false; /* a copy reads it */
  size_t nbytes = val->nbytes;
  roof_value_drop_data(val);
  val->nbytes = nbytes; /* shapes and sizes stay for reports */
  val->flags |= ROOF_VAL_RELEASED;
  return true;
}

/* Whether a kernel of op `op` that is not the reference keeps no packed copy of input i and so
 * may lose it once created (input 0 is the activation; views read through their input). */
static bool packed_input(const roof_op_schema* op, int i) {
  return i > 0 && (op->flags & ROOF_OPF_PACKS_CONSTS) && !(op->flags & ROOF_OPF_ALIAS);
}

/* What the executed nodes read at all (no session: any kernel may be chosen later). */
static void graph_reads(const roof_graph* g, bool* keep) {
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    if (n->removed) continue;
    for (int j = 0; j < n->num_inputs; j++) {
      if (n->inputs[j] >= 0) keep[n->inputs[j]] = true;
    }
  }
}

/* Whether kernel k keeps no reference to input i once created (its entry packed it). */
static bool kernel_packed(const roof_kernel* k, int i) {
  return k->impl != NULL && k->impl->packs_consts && packed_input(k->op, i);
}

/* What the kernels of s read at run time: all inputs but those a packing kernel copied. */
static void run_time_reads(const roof_session* s, bool* keep) {
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    for (int j = 0; j < k->node->num_inputs; j++) {
      if (k->node->inputs[j] >= 0 && !kernel_packed(k, j)) keep[k->node->inputs[j]] = true;
    }
  }
}

/* keep: graph outputs plus, with a session, its run-time reads, else every executed read. */
static void mark_kept(const roof_model* m, const roof_session* s, bool* keep) {
  if (s) run_time_reads(s, keep);
  else graph_reads(m->g, keep);
  for (int i = 0; i < m->g->num_outputs; i++) keep[m->g->outputs[i]] = true;
}

roof_status roof_model_release_weights(roof_model* model, const roof_session* session, roof_error* err) {
  if (model == NULL || !model->prepared) {
    return roof_fail(err, ROOF_E_USAGE, "roof_model_release_weights: model is not prepared (call roof_model_prepare)");
  }
  if (session != NULL && session->model != model) {
    return roof_fail(err, ROOF_E_USAGE, "roof_model_release_weights: the session was not created from this model");
  }
  roof_graph* g = model->g;
  void** lent = NULL;
  size_t num_lent = 0;
  bool* keep = calloc((size_t)g->num_values + 1, sizeof(bool));
  roof_status st = keep ? lent_buffers(model, &lent, &num_lent, err)
                        : roof_fail(err, ROOF_E_NOMEM, "%s: out of memory releasing weights", g->path);
  if (st == ROOF_OK) {
    mark_kept(model, session, keep);
    for (int v = 0; v < g->num_values; v++) {
      if (!keep[v]) drop_constant(g, v, lent, num_lent);
    }
    if (session) model->weights_released = true;
  }
  free(keep);
  free(lent);
  return st;
}

/* Streaming release: reads left per value, and which values some reader needs at run time as
 * far as is known before kernels exist (a reference kernel chosen later adds its inputs). */
struct roof_release_plan {
  roof_model* model;
  int* uses;
  bool* keep;
  void** lent;
  size_t num_lent;
};

static void plan_free(roof_release_plan* r) {
  free(r->uses);
  free(r->keep);
  free(r->lent);
}

static roof_status plan_make(roof_model* m, roof_release_plan* r, roof_error* err) {
  const roof_graph* g = m->g;
  memset(r, 0, sizeof(*r));
  r->model = m;
  r->uses = calloc((size_t)g->num_values + 1, sizeof(int));
  r->keep = calloc((size_t)g->num_values + 1, sizeof(bool));
  if (!r->uses || !r->keep) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory releasing weights", g->path);
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    if (n->removed) continue;
    for (int j = 0; j < n->num_inputs; j++) {
      int v = n->inputs[j];
      if (v < 0) continue;
      r->uses[v]++;
      if (!packed_input(n->op, j)) r->keep[v] = true;
    }
  }
  for (int i = 0; i < g->num_outputs; i++) r->keep[g->outputs[i]] = true;
  return lent_buffers(m, &r->lent, &r->num_lent, err);
}

/* Called by the executor once kernel k exists: an input whose last reader this was, and that
 * no reader needs at run time, goes (every kernel that read it holds its own copy by now). */
void roof_release_after_kernel(roof_release_plan* r, roof_session* s, const roof_kernel* k) {
  const roof_node* n = k->node;
  for (int j = 0; j < n->num_inputs; j++) {
    int v = n->inputs[j];
    if (v < 0) continue;
    if (!kernel_packed(k, j)) r->keep[v] = true; /* this kernel reads it at run time */
    if (--r->uses[v] > 0 || r->keep[v]) continue;
    if (drop_constant(r->model->g, v, r->lent, r->num_lent)) s->value_ptr[v] = NULL;
  }
}

roof_status roof_model_release_to_session(roof_model* model, const roof_session_options* opts,
                                          roof_session** session_out, roof_error* err) {
  if (model == NULL || !model->prepared) {
    return roof_fail(err, ROOF_E_USAGE, "roof_model_release_to_session: model is not prepared (call roof_model_prepare)");
  }
  if (model->weights_released) {
    return roof_fail(err, ROOF_E_USAGE, "roof_model_release_to_session: this model's weights were released; "
                                         "load the model again");
  }
  roof_release_plan plan = {0};
  roof_session* s = NULL;
  /* Constants no executed node reads go before any kernel packs. */
  roof_status st = roof_model_release_weights(model, NULL, err);
  if (st == ROOF_OK) st = plan_make(model, &plan, err);
  if (st == ROOF_OK) {
    st = roof_session_create_with(model, opts, &plan, &s, err);
    model->weights_released = true; /* also on failure: some constants may be gone */
  }
  plan_free(&plan);
  if (st != ROOF_OK) return st;
  *session_out = s;
  return ROOF_OK;
}
