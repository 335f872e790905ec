/* Cache residency by LRU reuse distance over whole tensors (see residency.h for the model).
 *
 * The reuse distance of a touch is the sum of the sizes of the distinct tensors touched since
 * the previous touch of the same tensor. Every tensor keeps only its latest touch in a
 * Fenwick tree indexed by touch time (its bytes at that time, 0 elsewhere): the distance is a
 * range sum, and moving a tensor to "now" is one removal and one insertion, O(log n) each.
 * Activations and persistent tensors (weights, graph inputs) sit in separate trees because
 * only the activation part is capped by the arena size. */
#include "residency.h"

#include <stdlib.h>

typedef struct fenwick {
  uint64_t* t; /* 1-based */
  size_t n;
} fenwick;

static void fw_add(fenwick* f, size_t i, int64_t delta) {
  for (i++; i <= f->n; i += i & (~i + 1)) f->t[i] += (uint64_t)delta; /* wraps back for removals */
}

static uint64_t fw_prefix(const fenwick* f, size_t i) { /* sum of [0, i) */
  uint64_t s = 0;
  for (; i > 0; i -= i & (~i + 1)) s += f->t[i];
  return s;
}

typedef struct sim {
  fenwick act, pers;
  int64_t* last;      /* per value: time of its latest touch, -1 before the first */
  int* root;          /* per value: the value whose buffer it is (views point through) */
  uint64_t arena;     /* cap of distinct activation bytes, 0 = none */
  uint64_t cap[3];    /* effective capacity per cache level, 0 = level skipped */
  size_t now;
} sim;

static bool persistent(const roof_value* v) {
  return (v->flags & (ROOF_VAL_CONST | ROOF_VAL_GRAPH_INPUT)) != 0;
}

static uint64_t value_bytes(const roof_graph* g, int v) {
  uint64_t b = 0;
  return roof_value_bytes(&g->values[v], &b) ? b : 0;
}

/* Adds `bytes` of a tensor to out[] by level when `others` distinct bytes were touched since
 * its last touch: a level of capacity C can have kept C - others of it (the best a replacement
 * policy can do, so the split never puts bytes farther than they need be); the rest comes
 * from the next level. */
static void split(const sim* s, uint64_t others, uint64_t bytes, uint64_t* out) {
  uint64_t served = 0;
  for (int lv = 0; lv < 3; lv++) {
    if (s->cap[lv] == 0 || s->cap[lv] <= others) continue;
    uint64_t upto = s->cap[lv] - others < bytes ? s->cap[lv] - others : bytes;
    if (upto > served) {
      out[lv] += upto - served;
      served = upto;
    }
  }
  out[ROOF_MEM_DRAM] += bytes - served;
}

/* Distinct bytes touched since value v's latest touch, v's own bytes excluded. */
static uint64_t since_last(const sim* s, int v) {
  size_t from = (size_t)s->last[v] + 1;
  uint64_t act = fw_prefix(&s->act, s->now) - fw_prefix(&s->act, from);
  uint64_t pers = fw_prefix(&s->pers, s->now) - fw_prefix(&s->pers, from);
  if (s->arena && act > s->arena) act = s->arena;
  return act + pers;
}

static void touch(sim* s, const roof_graph* g, int v, uint64_t bytes) {
  fenwick* f = persistent(&g->values[v]) ? &s->pers : &s->act;
  if (s->last[v] >= 0) fw_add(f, (size_t)s->last[v], -(int64_t)bytes);
  fw_add(f, s->now, (int64_t)bytes);
  s->last[v] = (int64_t)s->now++;
}

static bool listed(const int* vals, int n, int v) {
  for (int i = 0; i < n; i++) {
    if (vals[i] == v) return true;
  }
  return false;
}

/* One layer: reads (each distinct buffer once), then writes. `record` fills the layer. */
static void run_layer(sim* s, const roof_graph* g, roof_layer* l, bool record) {
  const roof_node* n = l->node;
  int seen[16], num_seen = 0;
  uint64_t scratch[ROOF_MEM_LEVELS] = {0};
  for (int i = 0; i < n->num_inputs; i++) {
    if (n->inputs[i] < 0) continue;
    int v = s->root[n->inputs[i]];
    if (listed(seen, num_seen, v)) continue;
    if (num_seen < 16) seen[num_seen++] = v;
    uint64_t bytes = value_bytes(g, v);
    uint64_t* out = record ? l->read_from : scratch;
    if (s->last[v] < 0) out[ROOF_MEM_DRAM] += bytes; /* first touch ever */
    else split(s, since_last(s, v), bytes, out);
    touch(s, g, v, bytes);
  }
  for (int i = 0; i < n->num_outputs; i++) {
    if (n->outputs[i] < 0) continue;
    int v = s->root[n->outputs[i]];
    uint64_t bytes = value_bytes(g, v);
    /* the output's lines may be anywhere; at best they are resident (in place they are) */
    split(s, 0, bytes, record ? l->written_to : scratch);
    if (record && listed(seen, num_seen, v)) split(s, 0, bytes, l->in_place);
    touch(s, g, v, bytes);
  }
}

bool roof_residency_fill(roof_profile* p, const uint64_t cache_bytes[3], const bool usable[3], uint32_t threads) {
  const roof_graph* g = p->g;
  if (g == NULL) return false; /* a profile built by hand, with no graph to walk */
  size_t touches = 0;
  for (int i = 0; i < p->num_layers; i++) touches += (size_t)(p->layers[i].node->num_inputs + p->layers[i].node->num_outputs);
  sim s = {.arena = p->arena_bytes};
  s.act.n = s.pers.n = 2 * touches + 1;
  s.act.t = calloc(s.act.n + 1, sizeof(uint64_t));
  s.pers.t = calloc(s.pers.n + 1, sizeof(uint64_t));
  s.last = malloc(sizeof(int64_t) * ((size_t)g->num_values + 1));
  s.root = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  bool ok = s.act.t && s.pers.t && s.last && s.root;
  if (!ok) goto cleanup;
  for (int lv = 0; lv < 3; lv++) {
    uint64_t per_core = lv < ROOF_MEM_L3 ? (threads ? threads : 1) : 1; /* private levels add up */
    s.cap[lv] = usable[lv] ? cache_bytes[lv] * per_core : 0;
  }
  for (int v = 0; v < g->num_values; v++) {
    s.last[v] = -1;
    s.root[v] = v;
  }
  for (int i = 0; i < p->num_layers; i++) { /* a view's output is its input's buffer, so is an in-place one's */
    const roof_node* n = p->layers[i].node;
    int in = roof_node_is_view(n) ? 0 : p->layers[i].inplace_input;
    if (in >= 0 && in < n->num_inputs && n->inputs[in] >= 0 && n->num_outputs > 0 && n->outputs[0] >= 0) {
      s.root[n->outputs[0]] = s.root[n->inputs[in]];
    }
  }
  for (int i = 0; i < p->num_layers; i++) {
    roof_layer* l = &p->layers[i];
    for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) l->read_from[lv] = l->written_to[lv] = l->in_place[lv] = 0;
  }
  for (int pass = 0; pass < 2; pass++) { /* the first run warms the caches; the second counts */
    for (int i = 0; i < p->num_layers; i++) {
      roof_layer* l = &p->layers[i];
      if (roof_node_is_view(l->node)) continue;
      run_layer(&s, g, l, pass == 1);
    }
  }
cleanup:
  free(s.act.t);
  free(s.pers.t);
  free(s.last);
  free(s.root);
  return ok;
}
