/* roof_model_copy: a second, independently preparable model from one load.
 *
 * Preparation rewrites a graph in place (folding, fusion, layout), so two preparations of one
 * file need two graphs. Copying names, nodes and attributes is cheap; the constant buffers
 * (the weights) are what a second load would double, so the copy borrows them: its values
 * point at the source's buffers and carry ROOF_VAL_BORROWED, which every path that frees value
 * data honours. Constants the copy's own preparation makes (folded values, fused weights) are
 * the copy's. Node parameters are parsed again rather than copied (they are op-specific
 * structs; parsing is what the loader does, from the copied attributes). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* strdup that keeps NULL as NULL (optional strings); false on OOM. */
static bool dup_opt(const char* s, char** out) {
  *out = s ? strdup(s) : NULL;
  return s == NULL || *out != NULL;
}

static bool dup_bytes(const void* p, size_t n, void** out) {
  *out = NULL;
  if (p == NULL) return true;
  *out = malloc(n ? n : 1);
  if (*out && n) memcpy(*out, p, n);
  return *out != NULL;
}

/* dst is zeroed by the caller; a half-copied dst is released by roof_graph_free as usual. */
static bool copy_value(const roof_value* src, roof_value* dst) {
  *dst = *src;
  dst->name = NULL;
  dst->quant = NULL;
  memset(dst->dim_params, 0, sizeof(dst->dim_params));
  if (src->data) dst->flags |= ROOF_VAL_BORROWED; /* before anything can fail: never freed here */
  bool ok = dup_opt(src->name, &dst->name);
  for (int d = 0; d < ROOF_MAX_RANK && ok; d++) ok = dup_opt(src->dim_params[d], &dst->dim_params[d]);
  const roof_quant* q = src->quant;
  const char* why = NULL;
  if (ok && q) ok = roof_value_set_quant(dst, q->axis, q->count, q->scale, q->zero_point, &why) == ROOF_OK;
  return ok;
}

bool roof_attr_copy(const roof_attr* src, roof_attr* dst) {
  *dst = *src;
  dst->name = dst->s = NULL;
  dst->ints = NULL;
  dst->floats = NULL;
  dst->t = NULL;
  dst->strings = NULL;
  dst->graph_inputs = NULL;
  bool ok = dup_opt(src->name, &dst->name) && dup_bytes(src->s, src->s_len + 1, (void**)&dst->s) &&
            dup_bytes(src->graph_inputs, sizeof(int) * (size_t)src->num_graph_inputs, (void**)&dst->graph_inputs) &&
            dup_bytes(src->ints, sizeof(int64_t) * src->n, (void**)&dst->ints) &&
            dup_bytes(src->floats, sizeof(float) * src->n, (void**)&dst->floats);
  if (ok && src->strings) {
    dst->n = 0; /* counts the strings copied so far, for roof_graph_free */
    dst->strings = calloc(src->n + 1, sizeof(char*));
    ok = dst->strings != NULL;
    for (size_t i = 0; ok && i < src->n; i++, dst->n++) ok = dup_opt(src->strings[i], &dst->strings[i]);
  }
  if (ok && src->t) {
    dst->t = calloc(1, sizeof(roof_value));
    ok = dst->t != NULL && copy_value(src->t, dst->t);
  }
  return ok;
}

/* The node unbound (op and params NULL): roof_graph_bind_ops parses it again. */
static bool copy_node(const roof_node* src, roof_node* dst) {
  *dst = *src;
  dst->name = dst->op_type = dst->domain = NULL;
  dst->op = NULL;
  dst->params = NULL;
  dst->inputs = dst->outputs = NULL;
  dst->attrs = NULL;
  dst->num_attrs = 0;
  dst->fused_from = NULL;
  dst->num_fused_from = 0;
  dst->subgraphs = NULL; /* copies are made before prepare, which extracts them */
  dst->num_subgraphs = 0;
  dst->body_template = NULL;
  dst->body_fusion = NULL;
  bool ok = dup_opt(src->name, &dst->name) && dup_opt(src->op_type, &dst->op_type) &&
            dup_opt(src->domain, &dst->domain) &&
            dup_bytes(src->inputs, sizeof(int) * (size_t)src->num_inputs, (void**)&dst->inputs) &&
            dup_bytes(src->outputs, sizeof(int) * (size_t)src->num_outputs, (void**)&dst->outputs);
  if (ok && src->num_attrs > 0) {
    dst->attrs = calloc((size_t)src->num_attrs, sizeof(roof_attr));
    ok = dst->attrs != NULL;
    for (int i = 0; ok && i < src->num_attrs; i++, dst->num_attrs++) ok = roof_attr_copy(&src->attrs[i], &dst->attrs[i]);
  }
  if (ok && src->num_fused_from > 0) {
    dst->fused_from = calloc((size_t)src->num_fused_from, sizeof(char*));
    ok = dst->fused_from != NULL;
    for (int i = 0; ok && i < src->num_fused_from; i++, dst->num_fused_from++) {
      ok = dup_opt(src->fused_from[i], &dst->fused_from[i]);
    }
  }
  return ok;
}

static bool copy_values(const roof_graph* src, roof_graph* dst) {
  dst->values = calloc((size_t)src->num_values + 1, sizeof(roof_value));
  if (dst->values == NULL) return false;
  dst->cap_values = src->num_values + 1;
  for (int i = 0; i < src->num_values; i++) {
    dst->num_values++;
    if (!copy_value(&src->values[i], &dst->values[i])) return false;
  }
  return true;
}

static bool copy_nodes(const roof_graph* src, roof_graph* dst) {
  dst->nodes = calloc((size_t)src->num_nodes + 1, sizeof(roof_node));
  if (dst->nodes == NULL) return false;
  dst->cap_nodes = src->num_nodes + 1;
  for (int i = 0; i < src->num_nodes; i++) {
    dst->num_nodes++;
    if (!copy_node(&src->nodes[i], &dst->nodes[i])) return false;
  }
  return true;
}

static bool copy_folded(const roof_graph* src, roof_graph* dst) {
  if (src->num_folded == 0) return true;
  dst->folded = calloc((size_t)src->num_folded, sizeof(roof_folded));
  if (dst->folded == NULL) return false;
  for (int i = 0; i < src->num_folded; i++, dst->num_folded++) {
    dst->folded[i] = src->folded[i]; /* pass and reason are static strings */
    dst->folded[i].name = NULL;
    if (!dup_opt(src->folded[i].name, &dst->folded[i].name)) return false;
  }
  return true;
}

static bool copy_graph(const roof_graph* src, roof_graph* dst) {
  dst->opset = src->opset;
  dst->keep_unbound = src->keep_unbound;
  dst->ir_version = src->ir_version;
  dst->num_original_nodes = src->num_original_nodes;
  dst->num_inputs = src->num_inputs;
  dst->num_outputs = src->num_outputs;
  dst->num_order = src->num_order;
  return dup_opt(src->path, &dst->path) && dup_opt(src->dir, &dst->dir) && dup_opt(src->producer, &dst->producer) &&
         dup_bytes(src->inputs, sizeof(int) * (size_t)src->num_inputs, (void**)&dst->inputs) &&
         dup_bytes(src->outputs, sizeof(int) * (size_t)src->num_outputs, (void**)&dst->outputs) &&
         dup_bytes(src->order, sizeof(int) * (size_t)src->num_order, (void**)&dst->order) && copy_values(src, dst) &&
         copy_nodes(src, dst) && copy_folded(src, dst);
}

roof_status roof_graph_copy(const roof_graph* src, roof_graph** copy_out, roof_error* err) {
  roof_graph* g = roof_graph_new();
  roof_status st = g ? ROOF_OK : roof_fail(err, ROOF_E_NOMEM, "%s: out of memory copying the model", src->path);
  if (st == ROOF_OK && !copy_graph(src, g)) st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory copying the model", src->path);
  if (st == ROOF_OK) st = roof_graph_bind_ops(g, err);
  if (st != ROOF_OK) {
    roof_graph_free(g);
    return st;
  }
  *copy_out = g;
  return ROOF_OK;
}

roof_status roof_model_copy(roof_model* src, roof_model** copy_out, roof_error* err) {
  if (src == NULL || copy_out == NULL) return roof_fail(err, ROOF_E_USAGE, "roof_model_copy: NULL argument");
  if (src->prepared || src->lender != NULL) {
    return roof_fail(err, ROOF_E_USAGE, "roof_model_copy: the source must be a loaded model, neither prepared "
                                         "nor itself a copy");
  }
  roof_graph* g = NULL;
  roof_status st = roof_graph_copy(src->g, &g, err);
  roof_model* m = NULL;
  if (st == ROOF_OK) st = roof_model_from_graph(g, &m, err); /* owns g from here, also on error */
  if (st != ROOF_OK) return st;
  m->load = src->load;
  m->lender = src;
  m->next_borrower = src->borrowers;
  src->borrowers = m;
  *copy_out = m;
  return ROOF_OK;
}
