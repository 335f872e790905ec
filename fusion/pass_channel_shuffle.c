/* Pass `channel_shuffle`: Reshape [N, C, H, W] -> [N, g, C/g, H, W], Transpose (0, 2, 1, 3, 4),
 * Reshape back to [N, C, H, W] (ShuffleNet's channel shuffle) becomes one ChannelShuffle
 * kernel, which also keeps the data NHWC instead of converting it around the reshapes. */
#include <stdlib.h>
#include <string.h>

#include "fusion.h"
#include "graph_edit.h"
#include "movement_params.h"
#include "op.h"
#include "shuffle_params.h"

/* The single live consumer of value v, or -1. */
static int only_consumer(const roof_graph* g, int v) {
  int c[2];
  return roof_edit_consumers(g, v, c, 2) == 1 && !(g->values[v].flags & ROOF_VAL_GRAPH_OUTPUT) ? c[0] : -1;
}

/* perm as resolved by infer (the default when the attribute is absent is the reversal). */
static bool perm_is_shuffle(const roof_node* t) {
  const roof_transpose_params* p = t->params;
  static const int64_t kPerm[5] = {0, 2, 1, 3, 4};
  return p->num_perm == 5 && memcmp(p->perm, kPerm, sizeof(kPerm)) == 0;
}

/* The first Reshape becomes the ChannelShuffle, reading x alone (not the shape input). */
static roof_status rewrite(roof_graph* g, int r1, int t, int r2, int64_t groups, roof_error* err) {
  roof_shuffle_params* p = calloc(1, sizeof(*p));
  if (p == NULL) return roof_pass_fail(g, "channel_shuffle", r1, ROOF_E_NOMEM, err);
  p->groups = groups;
  const int chain[3] = {r1, t, r2};
  roof_status st = roof_edit_replace_chain(g, chain, 3, ROOF_OP_ChannelShuffle, p, 1);
  return st == ROOF_OK ? ROOF_OK : roof_pass_fail(g, "channel_shuffle", r1, st, err);
}

roof_status roof_pass_channel_shuffle(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int r1 = g->order[oi];
    if (!roof_node_is(&g->nodes[r1], ROOF_OP_Reshape)) continue;
    const roof_value* x = roof_in(g, &g->nodes[r1], 0);
    const roof_value* mid = roof_out(g, &g->nodes[r1], 0);
    if (!x || !mid || x->rank != 4 || mid->rank != 5 || x->dtype != ROOF_DT_FLOAT) continue;
    int64_t groups = mid->dims[1];
    if (mid->dims[0] != x->dims[0] || groups * mid->dims[2] != x->dims[1] || mid->dims[3] != x->dims[2] ||
        mid->dims[4] != x->dims[3]) {
      continue;
    }
    int t = only_consumer(g, g->nodes[r1].outputs[0]);
    if (t < 0 || !roof_node_is(&g->nodes[t], ROOF_OP_Transpose) || !perm_is_shuffle(&g->nodes[t])) continue;
    int r2 = only_consumer(g, g->nodes[t].outputs[0]);
    if (r2 < 0 || !roof_node_is(&g->nodes[r2], ROOF_OP_Reshape)) continue;
    const roof_value* y = roof_out(g, &g->nodes[r2], 0);
    if (!y || y->rank != 4 || memcmp(y->dims, x->dims, 4 * sizeof(int64_t)) != 0) continue;
    roof_status st = rewrite(g, r1, t, r2, groups, err);
    if (st != ROOF_OK) return st;
    *changed = true;
  }
  return ROOF_OK;
}
