/* Value-dependent shapes: graph inputs whose values define shapes (see model.h).
 *
 * rooftop plans one static arena per session, so a shape that depends on an input's value is
 * settled at prepare from the value the caller gives: the input becomes known data for shape
 * inference (which then evaluates and folds everything computed from it), and runs must pass
 * the same bytes. Which inputs matter is found from the schemas: value_inputs names the inputs
 * whose values an op's infer reads; walking back from them through producers, but not through
 * ops that read only shapes (Shape), reaches the graph inputs concerned. */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "op.h"

typedef struct need {
  int value;
  int node;  /* the node whose value input depends on it (for the message) */
  int input;
} need;

static const roof_value_binding* find_value_binding(const roof_value_binding* b, size_t n, const char* name) {
  for (size_t i = 0; i < n; i++) {
    if (b[i].name && name && strcmp(b[i].name, name) == 0) return &b[i];
  }
  return NULL;
}

/* Marks in `origin` every value that input `input` of node n depends on (values already marked
 * were reached from an earlier node). Iterative; a value is marked when pushed, so the stack
 * holds each value at most once. */
static void walk_back(const roof_graph* g, int n, int input, int* stack, need* origin) {
  int top = 0;
  int v0 = g->nodes[n].inputs[input];
  if (origin[v0].node >= 0) return;
  origin[v0] = (need){v0, n, input};
  stack[top++] = v0;
  while (top > 0) {
    const roof_value* val = &g->values[stack[--top]];
    if (val->data || val->producer < 0) continue;
    const roof_node* p = &g->nodes[val->producer];
    if (p->removed || p->op == NULL || p->op->layout == ROOF_LR_META) continue; /* reads shapes only */
    for (int i = 0; i < p->num_inputs; i++) {
      int v = p->inputs[i];
      if (v < 0 || origin[v].node >= 0) continue;
      if (g->values[v].kind != ROOF_KIND_TENSOR) continue; /* a sequence's contents are never planned for */
      origin[v] = (need){v, n, input};
      stack[top++] = v;
    }
  }
}

static roof_status bind_value(roof_graph* g, roof_value* v, const roof_value_binding* b, roof_error* err) {
  char nb[ROOF_NAME_BUF], pb[ROOF_NAME_BUF * 2];
  const char* path = ROOF_SAFE(g->path, pb);
  bool shape_ok = b->rank >= 0 && b->rank <= ROOF_MAX_RANK && (v->rank < 0 || v->rank == b->rank);
  uint64_t count = 1;
  for (int d = 0; shape_ok && d < b->rank; d++) {
    shape_ok = b->dims[d] >= 0 && (v->rank < 0 || v->dims[d] < 0 || v->dims[d] == b->dims[d]) &&
               !__builtin_mul_overflow(count, (uint64_t)b->dims[d], &count);
  }
  if (b->dtype != v->dtype || !shape_ok) {
    char gs[128], ws[128];
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': the value given is %s of shape %s, the graph declares %s of shape %s", path,
                     ROOF_SAFE(v->name, nb), roof_dtype_name(b->dtype),
                     b->rank >= 0 && b->rank <= ROOF_MAX_RANK ? roof_shape_str(b->dims, b->rank, gs, sizeof(gs)) : "?",
                     roof_dtype_name(v->dtype), v->rank >= 0 ? roof_shape_str(v->dims, v->rank, ws, sizeof(ws)) : "of unknown shape");
  }
  uint64_t bytes;
  if (__builtin_mul_overflow(count, (uint64_t)roof_dtype_size(v->dtype), &bytes) || bytes != b->nbytes ||
      (bytes && b->data == NULL)) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': the value given has %zu bytes, its shape needs %llu", path,
                     ROOF_SAFE(v->name, nb), b->nbytes, (unsigned long long)bytes);
  }
  void* copy = malloc(bytes ? bytes : 1);
  if (copy == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory for the value of '%s'", path, ROOF_SAFE(v->name, nb));
  if (bytes) memcpy(copy, b->data, bytes);
  v->data = copy;
  v->nbytes = bytes;
  v->flags |= ROOF_VAL_KNOWN;
  v->rank = b->rank;
  memcpy(v->dims, b->dims, sizeof(int64_t) * (size_t)b->rank);
  return ROOF_OK;
}

/* Per value of g, the value input it feeds (node -1: none); NULL on OOM (the caller reports). */
static need* find_origins(roof_graph* g) {
  need* origin = malloc(sizeof(need) * (size_t)(g->num_values ? g->num_values : 1));
  int* stack = malloc(sizeof(int) * (size_t)(g->num_values ? g->num_values : 1));
  if (origin == NULL || stack == NULL) {
    free(origin);
    free(stack);
    return NULL;
  }
  roof_graph_link(g); /* producers, as the walk reads them */
  for (int v = 0; v < g->num_values; v++) origin[v] = (need){v, -1, -1};
  for (int n = 0; n < g->num_nodes; n++) {
    const roof_node* node = &g->nodes[n];
    if (node->removed || node->op == NULL || node->op->value_inputs == 0) continue;
    for (int i = 0; i < node->num_inputs && i < 32; i++) {
      if ((node->op->value_inputs & ROOF_IN(i)) && node->inputs[i] >= 0) walk_back(g, n, i, stack, origin);
    }
  }
  free(stack);
  return origin;
}

roof_status roof_graph_shape_inputs(roof_graph* g, bool* sets, roof_error* err) {
  need* origin = find_origins(g);
  if (origin == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory finding shape-defining inputs", g->path);
  for (int i = 0; i < g->num_inputs; i++) sets[i] = origin[g->inputs[i]].node >= 0 && g->values[g->inputs[i]].data == NULL;
  free(origin);
  return ROOF_OK;
}

roof_status roof_graph_specialize(roof_graph* g, const roof_value_binding* values, size_t num_values, roof_error* err) {
  roof_status st = ROOF_OK;
  need* origin = find_origins(g);
  if (origin == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory finding shape-defining inputs", g->path);
  for (int i = 0; i < g->num_inputs && st == ROOF_OK; i++) {
    roof_value* v = &g->values[g->inputs[i]];
    const need* o = &origin[g->inputs[i]];
    if (o->node < 0 || v->data) continue;
    const roof_value_binding* b = find_value_binding(values, num_values, v->name);
    if (b == NULL) {
      char nb[ROOF_NAME_BUF], fb[ROOF_NAME_BUF];
      st = roof_node_fail(err, ROOF_E_USAGE, g, &g->nodes[o->node],
                          "input %d is computed from graph input '%s', whose value sets a shape: give that value "
                          "(--input %s=FILE); the model is planned for it",
                          o->input, ROOF_SAFE(v->name, nb), ROOF_SAFE(v->name, fb));
      break;
    }
    st = bind_value(g, v, b, err);
  }
  free(origin);
  return st;
}
