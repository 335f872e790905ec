/* Arena planner: every executed activation gets an offset in one buffer. Buffers whose
 * lifetimes overlap never share bytes; placement is largest-first into the smallest gap that
 * fits among already placed, lifetime-overlapping buffers (the classic greedy by size).
 *
 * Values are grouped into buffers first: a view (ROOF_OPF_ALIAS op) shares its input's buffer,
 * and an op that may work in place (ROOF_OPF_INPLACE) writes into the buffer of an input that
 * is read by nothing later and has the same size and layout. A buffer's lifetime is the
 * union of its members'. Graph inputs and constants are not planned. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define ROOF_ARENA_ALIGN 64

typedef struct buf {
  int root;        /* value index owning the buffer */
  int first, last; /* step range (inclusive) */
  uint64_t size;
  uint64_t offset;
} buf;

static int cmp_size_desc(const void* a, const void* b) {
  const buf* x = a;
  const buf* y = b;
  if (x->size != y->size) return x->size < y->size ? 1 : -1;
  return x->root - y->root;
}

static int cmp_offset(const void* a, const void* b) {
  const buf* const* x = a;
  const buf* const* y = b;
  return ((*x)->offset > (*y)->offset) - ((*x)->offset < (*y)->offset);
}

typedef struct plan_ctx {
  const roof_graph* g;
  int* parent;    /* per value: value whose buffer it uses (itself for a root), -1 if not planned */
  int* producer;  /* per value: producing step, -1 */
  int* last;      /* per value: last step reading it (num_order for graph outputs) */
} plan_ctx;

static int root_of(const plan_ctx* c, int v) {
  while (v >= 0 && c->parent[v] != v) v = c->parent[v];
  return v;
}

static bool same_bytes_and_layout(const roof_value* a, const roof_value* b) {
  uint64_t x = 0, y = 0;
  return a->layout == b->layout && a->dtype == b->dtype && roof_value_bytes(a, &x) && roof_value_bytes(b, &y) && x == y;
}

/* Groups values into buffers (views, then in-place writes, in execution order). */
static void group_values(plan_ctx* c, const int* order, int num_order) {
  const roof_graph* g = c->g;
  for (int s = 0; s < num_order; s++) {
    const roof_node* n = &g->nodes[order[s]];
    for (int o = 0; o < n->num_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0 || (g->values[v].flags & (ROOF_VAL_CONST | ROOF_VAL_GRAPH_INPUT))) continue;
      c->parent[v] = v;
      c->producer[v] = s;
    }
    for (int i = 0; i < n->num_inputs; i++) { /* a dtype-only input (CastLike's) is no read */
      bool dtype_only = i < 32 && (n->op->dtype_only_inputs & ROOF_IN(i));
      if (n->inputs[i] >= 0 && !dtype_only) c->last[n->inputs[i]] = s;
    }
    int x = n->num_inputs > 0 ? n->inputs[0] : -1, y = n->num_outputs > 0 ? n->outputs[0] : -1;
    if (roof_node_is_view(n) && y >= 0) c->parent[y] = (x >= 0 && c->parent[x] >= 0) ? x : -1;
  }
  for (int i = 0; i < g->num_outputs; i++) c->last[g->outputs[i]] = num_order;
  /* a group's last use: every member's */
  for (int v = 0; v < g->num_values; v++) {
    int r = root_of(c, v);
    if (r >= 0 && r != v && c->last[v] > c->last[r]) c->last[r] = c->last[v];
  }
  for (int s = 0; s < num_order; s++) {
    const roof_node* n = &g->nodes[order[s]];
    if (!(n->op->flags & ROOF_OPF_INPLACE) || n->num_outputs < 1) continue;
    int y = n->outputs[0];
    if (y < 0 || c->parent[y] != y) continue;
    /* The first input that dies here, is read through no other input, and has the output's
     * bytes and layout (a residual Add can take either operand's buffer). */
    for (int i = 0; i < n->num_inputs; i++) {
      int x = n->inputs[i];
      if (x < 0 || c->parent[x] < 0) continue;
      int rx = root_of(c, x);
      bool read_again = false;
      for (int j = 0; j < n->num_inputs; j++) read_again = read_again || (j != i && n->inputs[j] >= 0 && root_of(c, n->inputs[j]) == rx);
      if (c->last[rx] != s || read_again || !same_bytes_and_layout(&g->values[x], &g->values[y])) continue;
      c->parent[y] = rx; /* write over the input, which dies here */
      if (c->last[y] > c->last[rx]) c->last[rx] = c->last[y];
      break;
    }
  }
}

roof_status roof_plan_arena(const roof_graph* g, const int* order, int num_order, const size_t* padding,
                            size_t* offsets, size_t* arena_bytes, size_t* naive_bytes, roof_error* err) {
  roof_status st = ROOF_OK;
  size_t nv = (size_t)g->num_values + 1;
  plan_ctx c = {g, malloc(sizeof(int) * nv), malloc(sizeof(int) * nv), malloc(sizeof(int) * nv)};
  int* slot = malloc(sizeof(int) * nv);
  size_t* pad = calloc(nv, sizeof(size_t)); /* per buffer root: the most any reader reads past the end */
  buf* bufs = calloc(nv, sizeof(buf));
  const buf** live = calloc(nv, sizeof(buf*));
  if (!c.parent || !c.producer || !c.last || !slot || !pad || !bufs || !live) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning the arena", g->path);
    goto cleanup;
  }
  for (int v = 0; v < g->num_values; v++) c.parent[v] = c.producer[v] = c.last[v] = slot[v] = -1;
  group_values(&c, order, num_order);
  for (int v = 0; padding && v < g->num_values; v++) {
    int r = root_of(&c, v);
    if (r >= 0 && padding[v] > pad[r]) pad[r] = padding[v];
  }
  int nb = 0;
  uint64_t naive = 0;
  for (int v = 0; v < g->num_values; v++) {
    uint64_t bytes = 0;
    if (c.parent[v] < 0 || !roof_value_bytes(&g->values[v], &bytes)) continue;
    bytes += pad[root_of(&c, v)]; /* a kernel may read this far past the end (the chosen kernels' input_padding) */
    bytes = (bytes + ROOF_ARENA_ALIGN - 1) / ROOF_ARENA_ALIGN * ROOF_ARENA_ALIGN;
    int pn = g->values[v].producer;
    if (pn < 0 || !roof_node_is_view(&g->nodes[pn])) naive += bytes; /* views hold no bytes of their own */
    if (c.parent[v] != v) continue;
    int last = c.last[v] >= c.producer[v] ? c.last[v] : c.producer[v];
    bufs[nb] = (buf){.root = v, .first = c.producer[v], .last = last, .size = bytes};
    slot[v] = nb++;
  }
  qsort(bufs, (size_t)nb, sizeof(buf), cmp_size_desc);
  uint64_t total = 0;
  for (int i = 0; i < nb; i++) {
    int nl = 0;
    for (int j = 0; j < i; j++) {
      if (bufs[j].first <= bufs[i].last && bufs[i].first <= bufs[j].last) live[nl++] = &bufs[j];
    }
    qsort(live, (size_t)nl, sizeof(buf*), cmp_offset);
    uint64_t best = UINT64_MAX, best_gap = UINT64_MAX, cursor = 0;
    for (int j = 0; j < nl; j++) {
      if (live[j]->offset > cursor) {
        uint64_t gap = live[j]->offset - cursor;
        if (gap >= bufs[i].size && gap < best_gap) {
          best_gap = gap;
          best = cursor;
        }
      }
      uint64_t end = live[j]->offset + live[j]->size;
      if (end > cursor) cursor = end;
    }
    bufs[i].offset = best != UINT64_MAX ? best : cursor;
    if (bufs[i].offset + bufs[i].size > total) total = bufs[i].offset + bufs[i].size;
  }
  for (int v = 0; v < g->num_values; v++) offsets[v] = SIZE_MAX;
  for (int i = 0; i < nb; i++) offsets[bufs[i].root] = (size_t)bufs[i].offset;
  for (int v = 0; v < g->num_values; v++) {
    int r = root_of(&c, v);
    if (r >= 0 && r != v) offsets[v] = offsets[r];
  }
  *arena_bytes = (size_t)total;
  *naive_bytes = (size_t)naive;
cleanup:
  free(c.parent);
  free(c.producer);
  free(c.last);
  free(slot);
  free(pad);
  free(bufs);
  free(live);
  return st;
}

/* Without kernels nobody knows which entry each node will take, so every input is padded for
 * the entry of its reader's op that reads furthest past the end: the kernels chosen later can
 * only read less. */
static void widest_padding(const roof_graph* g, size_t* pad) {
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    if (n->removed || roof_node_is_view(n)) continue;
    size_t widest = 0;
    for (size_t e = 0; e < roof_kernel_impl_count(); e++) {
      const roof_kernel_impl* k = roof_kernel_impl_at(e);
      if (k->op == n->op->id && k->input_padding > widest) widest = k->input_padding;
    }
    for (int i = 0; i < n->num_inputs; i++) {
      int v = n->inputs[i];
      if (v >= 0 && widest > pad[v]) pad[v] = widest;
    }
  }
}

roof_status roof_model_arena_estimate(const roof_model* m, size_t* arena_bytes, size_t* naive_bytes, roof_error* err) {
  if (m == NULL || !m->prepared) return roof_fail(err, ROOF_E_USAGE, "roof_model_arena_estimate: model is not prepared");
  const roof_graph* g = m->g;
  size_t nv = (size_t)g->num_values + 1;
  size_t* offsets = malloc(sizeof(size_t) * nv);
  size_t* padding = calloc(nv, sizeof(size_t));
  size_t arena = 0, naive = 0;
  roof_status st = ROOF_OK;
  if (!offsets || !padding) st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning the arena", g->path);
  if (st == ROOF_OK) {
    widest_padding(g, padding);
    st = roof_plan_arena(g, g->order, g->num_order, padding, offsets, &arena, &naive, err);
  }
  free(offsets);
  free(padding);
  if (st != ROOF_OK) return st;
  *arena_bytes = arena;
  *naive_bytes = naive;
  return ROOF_OK;
}
