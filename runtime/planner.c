/* Arena planner: every executed activation gets an offset in one buffer. Buffers whose
 * lifetimes overlap never share bytes; placement is largest-first into the smallest gap that
 * fits among already placed, lifetime-overlapping buffers (the classic greedy by size).
 * Views (ROOF_OPF_ALIAS ops) share their input's buffer, so a buffer's lifetime is the union
 * of the lifetimes of every value aliasing it. Graph inputs and constants are not planned. */
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

/* Value index whose buffer v lives in (follows ALIAS producers), or -1 if not planned. */
static int root_of(const roof_graph* g, int v) {
  for (int guard = 0; guard < g->num_values; guard++) {
    const roof_value* val = &g->values[v];
    if (val->flags & (ROOF_VAL_CONST | ROOF_VAL_GRAPH_INPUT)) return -1;
    if (val->producer < 0) return -1;
    const roof_node* n = &g->nodes[val->producer];
    if (!(n->op->flags & ROOF_OPF_ALIAS) || n->inputs[0] < 0) return v;
    v = n->inputs[0];
  }
  return -1;
}

roof_status roof_plan_arena(const roof_graph* g, const int* order, int num_order, size_t* offsets,
                            size_t* arena_bytes, size_t* naive_bytes, roof_error* err) {
  roof_status st = ROOF_OK;
  int* slot = malloc(sizeof(int) * (size_t)g->num_values + 1);
  buf* bufs = calloc((size_t)g->num_values + 1, sizeof(buf));
  const buf** live = calloc((size_t)g->num_values + 1, sizeof(buf*));
  if (!slot || !bufs || !live) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory planning the arena", g->path);
    goto cleanup;
  }
  for (int v = 0; v < g->num_values; v++) slot[v] = -1;
  int nb = 0;
  uint64_t naive = 0;
  for (int s = 0; s < num_order; s++) {
    const roof_node* n = &g->nodes[order[s]];
    for (int o = 0; o < n->num_outputs; o++) {
      int v = n->outputs[o];
      if (v < 0) continue;
      int r = root_of(g, v);
      if (r < 0) continue;
      if (slot[r] < 0) {
        uint64_t bytes = 0;
        roof_value_bytes(&g->values[r], &bytes);
        bytes += XNN_EXTRA_BYTES; /* XNNPACK may read past the end of every input */
        bytes = (bytes + ROOF_ARENA_ALIGN - 1) / ROOF_ARENA_ALIGN * ROOF_ARENA_ALIGN;
        bufs[nb] = (buf){.root = r, .first = s, .last = s, .size = bytes};
        slot[r] = nb++;
        naive += bytes;
      }
    }
    for (int i = 0; i < n->num_inputs; i++) {
      int v = n->inputs[i];
      int r = v < 0 ? -1 : root_of(g, v);
      if (r >= 0 && slot[r] >= 0 && bufs[slot[r]].last < s) bufs[slot[r]].last = s;
    }
  }
  for (int i = 0; i < g->num_outputs; i++) {
    int r = root_of(g, g->outputs[i]);
    if (r >= 0 && slot[r] >= 0) bufs[slot[r]].last = num_order;
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
  /* Aliases take their root's offset. */
  for (int v = 0; v < g->num_values; v++) {
    int r = root_of(g, v);
    if (r >= 0 && r != v) offsets[v] = offsets[r];
  }
  *arena_bytes = (size_t)total;
  *naive_bytes = (size_t)naive;
cleanup:
  free(slot);
  free(bufs);
  free(live);
  return st;
}
