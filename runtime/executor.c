/* Session: arena binding, kernel creation (XNNPACK or reference), timed execution.
 * Nothing on the run path allocates: views, kernels and the arena are built here once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpus.h"
#include "model.h"
#include "seq.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 64-byte aligned, zeroed, with `pad` readable bytes past the end (the kernels' over-read). */
static void* alloc_padded(uint64_t bytes, size_t pad) {
  size_t n = (size_t)((bytes + pad + 63) / 64 * 64);
  void* p = roof_alloc_large(n ? n : 64, 64);
  if (p) memset(p, 0, n ? n : 64);
  return p;
}

void roof_session_free(roof_session* s) {
  if (s == NULL) return;
  for (int i = 0; i < s->num_steps; i++) roof_kernel_destroy(&s->steps[i].k);
  free(s->steps);
  free(s->scratch);
  free(s->views);
  if (s->value_ptr && s->model) {
    const roof_graph* g = s->model->g;
    for (int i = 0; i < g->num_inputs; i++) {
      if (g->values[g->inputs[i]].kind == ROOF_KIND_TENSOR) free(s->value_ptr[g->inputs[i]]);
    }
  }
  for (int i = 0; i < s->num_seqs; i++) roof_seq_free(s->seqs[i]);
  free(s->seqs);
  free(s->value_ptr);
  free(s->arena);
  if (s->pool && !s->pool_borrowed) pthreadpool_destroy(s->pool);
  free(s);
}

static bool is_executed(const roof_node* n) { return !n->removed; }

/* Constants are bound before kernels are chosen (create packs them); planned values and graph
 * inputs after planning, which needs the chosen kernels' padding. */
static void bind_constants(roof_session* s) {
  const roof_graph* g = s->model->g;
  for (int v = 0; v < g->num_values; v++) {
    const roof_value* val = &g->values[v];
    if (!(val->flags & ROOF_VAL_GRAPH_INPUT) && val->data && (val->flags & ROOF_VAL_CONST)) s->value_ptr[v] = val->data;
  }
}

/* A run-time object for sequence/optional value v, kept in the session's list (NULL on OOM). */
static void* new_seq(roof_session* s, int v) {
  const roof_value* val = &s->model->g->values[v];
  roof_seq** grown = realloc(s->seqs, sizeof(*grown) * ((size_t)s->num_seqs + 1));
  if (grown == NULL) return NULL;
  s->seqs = grown;
  roof_seq* q = roof_seq_new(val->kind, val->dtype, NULL);
  if (q) s->seqs[s->num_seqs++] = q;
  return q;
}

/* Sequence and optional values hold no arena bytes: each produced one gets its own object (in
 * execution order, so a view, such as an Identity, shares its input's). */
static roof_status bind_seqs(roof_session* s, roof_error* err) {
  const roof_graph* g = s->model->g;
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    for (int o = 0; o < n->num_outputs; o++) {
      int y = n->outputs[o];
      if (y < 0 || g->values[y].kind == ROOF_KIND_TENSOR) continue;
      bool view = o == 0 && roof_node_is_view(n) && n->inputs[0] >= 0;
      s->value_ptr[y] = view ? s->value_ptr[n->inputs[0]] : new_seq(s, y);
      if (s->value_ptr[y] == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for sequence values", g->path);
    }
  }
  return ROOF_OK;
}

/* Planned values into the arena, graph inputs to their own buffers (so repeated runs keep the
 * input intact), views to their source's pointer. */
static roof_status bind_values(roof_session* s, const size_t* offsets, const size_t* padding, roof_error* err) {
  const roof_graph* g = s->model->g;
  for (int v = 0; v < g->num_values; v++) {
    const roof_value* val = &g->values[v];
    if (val->flags & ROOF_VAL_GRAPH_INPUT) continue;
    if (!(val->data && (val->flags & ROOF_VAL_CONST)) && offsets[v] != SIZE_MAX) s->value_ptr[v] = (char*)s->arena + offsets[v];
  }
  for (int i = 0; i < g->num_inputs; i++) {
    int v = g->inputs[i];
    uint64_t bytes = 0;
    roof_value_bytes(&g->values[v], &bytes);
    s->value_ptr[v] = g->values[v].kind != ROOF_KIND_TENSOR ? new_seq(s, v) : alloc_padded(bytes, padding[v]);
    if (s->value_ptr[v] == NULL) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for graph input buffers", g->path);
    }
  }
  /* Views of graph inputs or constants share their source's pointer. */
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    if (!roof_node_is_view(n) || n->inputs[0] < 0) continue;
    for (int o = 0; o < n->num_outputs && o < 1; o++) {
      int y = n->outputs[o];
      if (y >= 0 && s->value_ptr[y] == NULL) s->value_ptr[y] = s->value_ptr[n->inputs[0]];
    }
  }
  return bind_seqs(s, err);
}

static void view_of(const roof_session* s, int v, roof_tensor* t) {
  const roof_value* val = &s->model->g->values[v];
  roof_tensor_init(t, val->dtype, val->rank, val->dims, val->layout, s->value_ptr[v]);
}

/* An activation input with no elements whose node still has a non-empty output (a ConvTranspose
 * over zero channels, a global pooling over an empty map): XNNPACK refuses zero extents at setup,
 * while the reference kernels define the result (bias only, NaN means). Kernels with empty
 * outputs never run at all. Empty constants are parameters (Resize's roi), not data. */
static bool has_empty_input(const roof_kernel* k) {
  for (int i = 0; i < k->num_in; i++) {
    const roof_value* v = roof_in(k->g, k->node, i);
    if (v && !(v->flags & ROOF_VAL_CONST) && roof_tensor_count(&k->in[i]) == 0) return true;
  }
  return false;
}
/* Layers with little work run on the calling thread: a pool call wakes every thread and waits
 * for the slowest, a few microseconds here, more than a layer of a few thousand FLOPs takes. The
 * streaming VAD model's 960-FLOP head MatMul took 0.2 us on one thread and 2.1 us on a pool of
 * 2 (idle 2-vCPU Zen 5). Control nodes keep the pool: their bodies run on it. */
static bool runs_on_caller(const roof_graph* g, const roof_node* n) {
  if (n->num_subgraphs > 0 || n->op->cost == NULL) return false;
  roof_cost c = {0};
  n->op->cost(g, n, &c);
  return c.has_model && c.flops < (1u << 16) && c.bytes_read + c.bytes_written < (64u << 10);
}

static roof_status make_kernels(roof_session* s, const roof_session_options* o, roof_release_plan* rel, roof_error* err) {
  const roof_graph* g = s->model->g;
  size_t nviews = 0;
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    nviews += (size_t)n->num_inputs + (size_t)n->num_outputs;
  }
  s->views = calloc(nviews + 1, sizeof(roof_tensor));
  s->steps = calloc((size_t)g->num_order + 1, sizeof(roof_step));
  if (!s->views || !s->steps) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for kernels", g->path);
  roof_tensor* vp = s->views;
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    if (!is_executed(n)) continue;
    roof_step* st = &s->steps[s->num_steps++];
    roof_kernel* k = &st->k;
    st->node = g->order[oi];
    k->op = n->op;
    k->g = g;
    k->node = n;
    k->params = n->params;
    k->pool = s->pool && !runs_on_caller(g, n) ? s->pool : NULL;
    k->winograd = o->winograd;
    k->force_reference = o->force_reference;
    k->deadline_ns = &s->deadline_ns;
    k->max_scratch_bytes = s->model->load.max_tensor_bytes ? s->model->load.max_tensor_bytes : (uint64_t)4 << 30;
    k->in = vp;
    k->num_in = n->num_inputs;
    for (int i = 0; i < n->num_inputs; i++, vp++) {
      if (n->inputs[i] >= 0) view_of(s, n->inputs[i], vp);
    }
    k->out = vp;
    k->num_out = n->num_outputs;
    for (int i = 0; i < n->num_outputs; i++, vp++) {
      if (n->outputs[i] >= 0) view_of(s, n->outputs[i], vp);
    }
    if (roof_node_is_view(n)) continue; /* zero-copy view: nothing to create */
    roof_backend only = ROOF_BACKEND_COUNT;
    if (o->force_reference) {
      only = ROOF_BACKEND_REF;
      snprintf(k->reason, sizeof(k->reason), "reference kernels forced");
    } else if (has_empty_input(k)) {
      only = ROOF_BACKEND_REF;
      snprintf(k->reason, sizeof(k->reason), "an input is empty");
    }
    char forced[sizeof(k->reason)];
    memcpy(forced, k->reason, sizeof(forced));
    roof_status cs = roof_kernel_select(k, only, err);
    if (cs != ROOF_OK) return cs;
    if (only != ROOF_BACKEND_COUNT) memcpy(k->reason, forced, sizeof(forced));
    if (rel) roof_release_after_kernel(rel, s, k);
  }
  return ROOF_OK;
}

/* Per value: the most bytes any chosen kernel may read past its end. */
static void input_padding(const roof_session* s, size_t* pad) {
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (k->impl == NULL) continue;
    for (int j = 0; j < k->node->num_inputs; j++) {
      int v = k->node->inputs[j];
      if (v >= 0 && k->impl->input_padding > pad[v]) pad[v] = k->impl->input_padding;
    }
  }
}

/* Bound pointers into every kernel view, one shared scratch buffer, then each kernel's setup. */
static roof_status setup_kernels(roof_session* s, roof_error* err) {
  uint64_t scratch = 0;
  for (int i = 0; i < s->num_steps; i++) {
    roof_kernel* k = &s->steps[i].k;
    for (int j = 0; j < k->num_in; j++) {
      if (k->node->inputs[j] >= 0) k->in[j].data = s->value_ptr[k->node->inputs[j]];
    }
    for (int j = 0; j < k->num_out; j++) {
      if (k->node->outputs[j] >= 0) k->out[j].data = s->value_ptr[k->node->outputs[j]];
    }
    uint64_t b = k->impl && k->impl->scratch_bytes ? k->impl->scratch_bytes(k) : 0;
    if (b > scratch) scratch = b;
  }
  if (scratch > 0) {
    s->scratch = alloc_padded(scratch, 64);
    if (s->scratch == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for %llu bytes of kernel scratch",
                                             s->model->g->path, (unsigned long long)scratch);
  }
  s->scratch_bytes = (size_t)scratch;
  for (int i = 0; i < s->num_steps; i++) {
    roof_kernel* k = &s->steps[i].k;
    k->scratch = s->scratch;
    roof_status st = roof_kernel_setup(k, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

roof_status roof_session_create(const roof_model* model, const roof_session_options* opts,
                                roof_session** session_out, roof_error* err) {
  return roof_session_create_with(model, opts, NULL, session_out, err);
}

static roof_status create_session(const roof_model* model, const roof_session_options* opts, roof_release_plan* rel,
                                  const pthreadpool_t* pool, roof_session** session_out, roof_error* err);

roof_status roof_session_create_with(const roof_model* model, const roof_session_options* opts, roof_release_plan* rel,
                                     roof_session** session_out, roof_error* err) {
  return create_session(model, opts, rel, NULL, session_out, err);
}

roof_status roof_session_create_in_pool(const roof_model* model, const roof_session_options* opts, pthreadpool_t pool,
                                        roof_session** session_out, roof_error* err) {
  return create_session(model, opts, NULL, &pool, session_out, err);
}

/* pool NULL: the session makes its own; else *pool (maybe NULL: one thread), borrowed. */
static roof_status create_session(const roof_model* model, const roof_session_options* opts, roof_release_plan* rel,
                                  const pthreadpool_t* pool, roof_session** session_out, roof_error* err) {
  static const roof_session_options kDefault = {0};
  if (opts == NULL) opts = &kDefault;
  if (model == NULL || !model->prepared) {
    return roof_fail(err, ROOF_E_USAGE, "roof_session_create: model is not prepared (call roof_model_prepare)");
  }
  if (model->partial) {
    return roof_fail(err, ROOF_E_USAGE, "roof_session_create: the model was prepared partially (some nodes not "
                                         "analysed): it serves static profiles only");
  }
  if (model->weights_released) {
    return roof_fail(err, ROOF_E_USAGE, "roof_session_create: this model's weights were released "
                                         "(roof_model_release_weights); load the model again");
  }
  const roof_graph* g = model->g;
  roof_status st = ROOF_OK;
  size_t* offsets = NULL;
  size_t* padding = NULL;
  roof_session* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory creating a session", g->path);
  s->model = model;
  if (!(opts->timeout_s >= 0.0 && opts->timeout_s <= 1e9)) { /* NaN fails too */
    st = roof_fail(err, ROOF_E_USAGE, "roof_session_create: timeout_s must lie in [0, 1e9] seconds");
    goto cleanup;
  }
  s->timeout_s = opts->timeout_s;
  s->timeout_ns = opts->timeout_s > 0.0 ? (uint64_t)(opts->timeout_s * 1e9) + 1 : 0;
  st = roof_kernels_init(err);
  if (st != ROOF_OK) goto cleanup;
  s->threads = opts->threads ? opts->threads : roof_default_threads();
  if (pool) {
    s->pool = *pool;
    s->pool_borrowed = true;
  } else if (s->threads > 1) {
    s->pool = pthreadpool_create(s->threads);
    if (s->pool == NULL) {
      st = roof_fail(err, ROOF_E_NOMEM, "cannot create a thread pool of %u threads", s->threads);
      goto cleanup;
    }
  }
  s->num_values = g->num_values;
  s->value_ptr = calloc((size_t)g->num_values + 1, sizeof(void*));
  offsets = malloc(sizeof(size_t) * ((size_t)g->num_values + 1));
  padding = calloc((size_t)g->num_values + 1, sizeof(size_t));
  if (!s->value_ptr || !offsets || !padding) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory creating a session", g->path);
    goto cleanup;
  }
  /* Kernels first (their padding shapes the plan), then the arena, then setup. */
  bind_constants(s);
  st = make_kernels(s, opts, rel, err);
  if (st != ROOF_OK) goto cleanup;
  input_padding(s, padding);
  st = roof_plan_arena(g, g->order, g->num_order, padding, offsets, &s->arena_bytes, &s->activation_bytes_total, err);
  if (st != ROOF_OK) goto cleanup;
  uint64_t limit = model->prep.max_arena_bytes ? model->prep.max_arena_bytes : ((uint64_t)16 << 30);
  if (s->arena_bytes > limit) {
    char pb[ROOF_NAME_BUF * 2];
    st = roof_fail(err, ROOF_E_DATA, "%s: planned arena of %zu bytes exceeds the limit of %llu bytes",
                   ROOF_SAFE(g->path, pb), s->arena_bytes, (unsigned long long)limit);
    goto cleanup;
  }
  s->arena = alloc_padded(s->arena_bytes, 0);
  if (s->arena == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: cannot allocate the %zu-byte arena", g->path, s->arena_bytes);
    goto cleanup;
  }
  st = bind_values(s, offsets, padding, err);
  if (st != ROOF_OK) goto cleanup;
  st = setup_kernels(s, err);
  if (st != ROOF_OK) goto cleanup;
  free(offsets);
  free(padding);
  *session_out = s;
  return ROOF_OK;
cleanup:
  free(offsets);
  free(padding);
  roof_session_free(s);
  return st;
}

size_t roof_session_num_inputs(const roof_session* s) { return (size_t)s->model->g->num_inputs; }
size_t roof_session_num_outputs(const roof_session* s) { return (size_t)s->model->g->num_outputs; }
size_t roof_session_num_steps(const roof_session* s) { return (size_t)s->num_steps; }

static void io_info(const roof_value* v, roof_io_info* info) {
  memset(info, 0, sizeof(*info));
  info->name = v->name;
  info->dtype = v->dtype;
  info->rank = v->rank;
  for (int d = 0; d < v->rank; d++) info->dims[d] = v->dims[d];
  uint64_t b = 0;
  roof_value_bytes(v, &b);
  info->nbytes = (size_t)b;
  info->kind = v->kind;
}

void roof_session_input_info(const roof_session* s, size_t i, roof_io_info* info) {
  io_info(&s->model->g->values[s->model->g->inputs[i]], info);
}

void roof_session_output_info(const roof_session* s, size_t i, roof_io_info* info) {
  io_info(&s->model->g->values[s->model->g->outputs[i]], info);
}

roof_status roof_session_set_input(roof_session* s, size_t i, const void* data, size_t nbytes,
                                   roof_error* err) {
  const roof_graph* g = s->model->g;
  if (i >= (size_t)g->num_inputs) {
    return roof_fail(err, ROOF_E_USAGE, "input index %zu out of range (%d inputs)", i, g->num_inputs);
  }
  roof_io_info info;
  roof_session_input_info(s, i, &info);
  if (info.kind != ROOF_KIND_TENSOR) {
    char nb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
    return roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': input is a sequence or optional: set it with "
                     "roof_session_set_input_sequence", ROOF_SAFE(g->path, pb), ROOF_SAFE(info.name, nb));
  }
  if (nbytes != info.nbytes) {
    char nb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': input has %zu bytes, the graph expects %zu",
                     ROOF_SAFE(g->path, pb), ROOF_SAFE(info.name, nb), nbytes, info.nbytes);
  }
  const roof_value* v = &g->values[g->inputs[i]];
  if ((v->flags & ROOF_VAL_KNOWN) && v->data && nbytes && memcmp(v->data, data, nbytes) != 0) {
    /* shapes (and everything folded) were planned for the value given at prepare */
    char nb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
    return roof_fail(err, ROOF_E_USAGE,
                     "%s: tensor '%s': this input sets shapes and the model was planned for another value of it; "
                     "prepare the model again with this value",
                     ROOF_SAFE(g->path, pb), ROOF_SAFE(info.name, nb));
  }
  if (nbytes) memcpy(s->value_ptr[g->inputs[i]], data, nbytes);
  return ROOF_OK;
}

const void* roof_session_output(const roof_session* s, size_t i) {
  return s->value_ptr[s->model->g->outputs[i]];
}

roof_status roof_session_feedback_check(const roof_session* s, size_t out, size_t in, roof_error* err) {
  const roof_graph* g = s->model->g;
  char pb[ROOF_NAME_BUF * 2], ob[ROOF_NAME_BUF], ib[ROOF_NAME_BUF], os[64], is[64];
  if (out >= (size_t)g->num_outputs || in >= (size_t)g->num_inputs) {
    return roof_fail(err, ROOF_E_USAGE, "%s: feedback from output %zu to input %zu: the graph has %d outputs and %d inputs",
                     ROOF_SAFE(g->path, pb), out, in, g->num_outputs, g->num_inputs);
  }
  roof_io_info o, i;
  roof_session_output_info(s, out, &o);
  roof_session_input_info(s, in, &i);
  bool same = o.dtype == i.dtype && o.rank == i.rank && o.kind == ROOF_KIND_TENSOR && i.kind == ROOF_KIND_TENSOR;
  for (int d = 0; same && d < o.rank; d++) same = o.dims[d] == i.dims[d];
  if (!same) {
    return roof_fail(err, ROOF_E_USAGE, "%s: feedback '%s' -> '%s': output is %s %s, input is %s %s; they must match",
                     ROOF_SAFE(g->path, pb), ROOF_SAFE(o.name, ob), ROOF_SAFE(i.name, ib), roof_dtype_name(o.dtype),
                     roof_shape_str(o.dims, o.rank, os, sizeof(os)), roof_dtype_name(i.dtype),
                     roof_shape_str(i.dims, i.rank, is, sizeof(is)));
  }
  if (g->values[g->inputs[in]].flags & ROOF_VAL_KNOWN) {
    return roof_fail(err, ROOF_E_USAGE, "%s: feedback '%s' -> '%s': the input sets shapes (planned for its first value), "
                     "so it cannot take state", ROOF_SAFE(g->path, pb), ROOF_SAFE(o.name, ob), ROOF_SAFE(i.name, ib));
  }
  return ROOF_OK;
}

roof_status roof_session_feed_back(roof_session* s, size_t out, size_t in, roof_error* err) {
  roof_status st = roof_session_feedback_check(s, out, in, err);
  if (st != ROOF_OK) return st;
  roof_io_info i;
  roof_session_input_info(s, in, &i);
  const roof_graph* g = s->model->g;
  /* memmove: a graph output that is its input (an Identity folded away) shares the buffer */
  if (i.nbytes) memmove(s->value_ptr[g->inputs[in]], s->value_ptr[g->outputs[out]], i.nbytes);
  return ROOF_OK;
}

/* Deadline check between kernels: only when a timeout was asked for (one clock read each). */
static roof_status check_deadline(roof_session* s, size_t next_step, roof_error* err) {
  if (s->timeout_ns == 0 || now_ns() <= s->deadline_ns) return ROOF_OK;
  char pb[ROOF_NAME_BUF * 2], nb[ROOF_NAME_BUF], ob[ROOF_NAME_BUF];
  const roof_graph* g = s->model->g;
  if (next_step >= (size_t)s->num_steps) {
    return roof_fail(err, ROOF_E_TIMEOUT, "%s: run time limit of %.6g s reached (--timeout) by the end of the run",
                     ROOF_SAFE(g->path, pb), s->timeout_s);
  }
  const roof_node* n = &g->nodes[s->steps[next_step].node];
  return roof_fail(err, ROOF_E_TIMEOUT, "%s: node '%s' (%s): run time limit of %.6g s reached (--timeout); stopped before step %zu of %d",
                   ROOF_SAFE(g->path, pb), ROOF_SAFE(n->name, nb), ROOF_SAFE(n->op_type, ob), s->timeout_s, next_step,
                   s->num_steps);
}

roof_status roof_session_run(roof_session* s, uint64_t* stamps, roof_error* err) {
  uint64_t t0 = now_ns();
  if (stamps) stamps[0] = t0;
  if (s->timeout_ns && s->deadline_ns == 0) s->deadline_ns = t0 + s->timeout_ns;
  for (int i = 0; i < s->num_steps; i++) {
    roof_status st = check_deadline(s, (size_t)i, err);
    if (st != ROOF_OK) return st;
    roof_kernel* k = &s->steps[i].k;
    if (k->impl != NULL) {
      st = roof_kernel_run(k, err);
      if (st != ROOF_OK) return st;
    }
    if (stamps) stamps[i + 1] = now_ns();
  }
  return check_deadline(s, (size_t)s->num_steps, err);
}
