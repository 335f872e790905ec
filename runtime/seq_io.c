/* Public access to sequence and optional graph inputs and outputs (rooftop.h): copies in, views
 * out, over the session's run-time objects (seq.h). */
#include <string.h>

#include "model.h"
#include "seq.h"

/* The object of graph input/output i, or NULL with ROOF_E_USAGE in err. */
static roof_seq* io_seq(const roof_session* s, size_t i, bool input, roof_error* err) {
  const roof_graph* g = s->model->g;
  int n = input ? g->num_inputs : g->num_outputs;
  char pb[ROOF_NAME_BUF * 2], nb[ROOF_NAME_BUF];
  if (i >= (size_t)n) {
    roof_fail(err, ROOF_E_USAGE, "%s: %s index %zu out of range (%d)", ROOF_SAFE(g->path, pb), input ? "input" : "output", i, n);
    return NULL;
  }
  int v = input ? g->inputs[i] : g->outputs[i];
  if (g->values[v].kind == ROOF_KIND_TENSOR) {
    roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': a tensor, not a sequence or optional", ROOF_SAFE(g->path, pb),
              ROOF_SAFE(g->values[v].name, nb));
    return NULL;
  }
  return s->value_ptr[v];
}

roof_status roof_session_set_input_sequence(roof_session* s, size_t i, bool present, const roof_tensor_data* elems, size_t count,
                                            roof_error* err) {
  roof_seq* q = io_seq(s, i, true, err);
  if (q == NULL) return ROOF_E_USAGE;
  const roof_graph* g = s->model->g;
  const roof_value* v = &g->values[g->inputs[i]];
  char pb[ROOF_NAME_BUF * 2], nb[ROOF_NAME_BUF];
  bool ok = q->kind == ROOF_KIND_SEQUENCE ? present : q->kind == ROOF_KIND_OPT_TENSOR ? count == (present ? 1u : 0u)
                                                                                      : present || count == 0;
  if (!ok || (count > 0 && elems == NULL)) {
    return roof_fail(err, ROOF_E_USAGE, "%s: tensor '%s': %s %zu tensors: a sequence is present, an optional tensor holds "
                     "one or none", ROOF_SAFE(g->path, pb), ROOF_SAFE(v->name, nb), present ? "present with" : "absent with",
                     count);
  }
  /* fill a fresh object, then swap it in: the input keeps its contents on failure */
  roof_seq* t = roof_seq_new(q->kind, q->dtype, NULL);
  if (t == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for input '%s'", ROOF_SAFE(g->path, pb), ROOF_SAFE(v->name, nb));
  roof_status st = ROOF_OK;
  const char* why = "";
  for (size_t j = 0; j < count && st == ROOF_OK; j++) {
    st = roof_seq_insert(t, j, elems[j].dtype, elems[j].rank, elems[j].dims, elems[j].data, elems[j].nbytes, &why);
    if (st != ROOF_OK) {
      st = st == ROOF_E_NOMEM ? roof_fail(err, st, "%s: out of memory for input '%s'", ROOF_SAFE(g->path, pb), ROOF_SAFE(v->name, nb))
                              : roof_fail(err, st, "%s: tensor '%s': element %zu is %s: %s", ROOF_SAFE(g->path, pb),
                                          ROOF_SAFE(v->name, nb), j, roof_dtype_name(elems[j].dtype), why);
    }
  }
  if (st == ROOF_OK) {
    t->present = present;
    roof_seq tmp = *q; /* swap contents; the session keeps its object (kernels point at it) */
    q->count = t->count, q->cap = t->cap, q->items = t->items, q->present = t->present;
    t->count = tmp.count, t->cap = tmp.cap, t->items = tmp.items;
  }
  roof_seq_free(t);
  return st;
}

roof_status roof_session_output_sequence(const roof_session* s, size_t i, bool* present, size_t* count, roof_error* err) {
  const roof_seq* q = io_seq(s, i, false, err);
  if (q == NULL) return ROOF_E_USAGE;
  *present = q->present;
  *count = q->count;
  return ROOF_OK;
}

roof_status roof_session_output_element(const roof_session* s, size_t i, size_t j, roof_tensor_data* elem, roof_error* err) {
  const roof_seq* q = io_seq(s, i, false, err);
  if (q == NULL) return ROOF_E_USAGE;
  if (j >= q->count) {
    return roof_fail(err, ROOF_E_USAGE, "output %zu: element %zu out of range (%zu elements)", i, j, q->count);
  }
  const roof_seq_item* it = &q->items[j];
  roof_tensor_data d = {.dtype = it->dtype, .rank = it->rank, .data = it->data, .nbytes = it->nbytes};
  memcpy(d.dims, it->dims, sizeof(d.dims));
  *elem = d;
  return ROOF_OK;
}
