/* Pass `matmul_add`: MatMul of a matrix by a constant weight matrix, then Add of a constant
 * bias, becomes one Gemm (a fully connected layer with bias). A MatMul of a higher-rank
 * activation ([batch, tokens, K] x [K, N], a transformer's Linear) keeps its op and takes a
 * per-column bias as a fused third input (roof_gemm_params.fused_bias). */
#include <string.h>

#include "fused_act.h"
#include "gemm_params.h"
#include "fusion.h"
#include "graph_edit.h"
#include "op.h"

static bool const_value(const roof_value* v) { return v && v->data && (v->flags & ROOF_VAL_CONST) && v->dtype == ROOF_DT_FLOAT; }

roof_status roof_pass_matmul_add(roof_graph* g, bool* changed, roof_error* err) {
  for (int oi = 0; oi < g->num_order; oi++) {
    int an = g->order[oi];
    roof_node* a = &g->nodes[an];
    if (!roof_node_is(a, ROOF_OP_Add) || a->num_inputs != 2) continue;
    for (int side = 0; side < 2; side++) {
      const roof_value* y = roof_in(g, a, side);
      const roof_value* bias = roof_in(g, a, 1 - side);
      if (!y || y->producer < 0 || !const_value(bias) || y->rank < 2) continue;
      int mn = y->producer;
      roof_node* m = &g->nodes[mn];
      if (!roof_node_is(m, ROOF_OP_MatMul)) continue;
      const roof_value* A = roof_in(g, m, 0);
      const roof_value* B = roof_in(g, m, 1);
      if (!A || A->rank != y->rank || !const_value(B) || B->rank != 2 || !roof_edit_single_use(g, a->inputs[side], an)) continue;
      if (!roof_act_is_identity((const roof_act*)m->params)) continue; /* the bias would land after a clamp */
      bool matrix = y->rank == 2;
      /* the bias must broadcast to y without growing it: to [M, N] for Gemm's C, else per column */
      bool fits = bias->rank <= y->rank;
      for (int d = 0; fits && d < bias->rank; d++) {
        int64_t want = y->dims[y->rank - bias->rank + d];
        bool last = d == bias->rank - 1;
        fits = bias->dims[d] == 1 || (bias->dims[d] == want && (matrix || last));
      }
      if (!fits) continue;
      int bv = a->inputs[1 - side];
      roof_act add_act = *(const roof_act*)a->params; /* a clamp fused into the Add stays last */
      roof_status st = roof_edit_take_output(g, mn, an);
      if (st == ROOF_OK && matrix) st = roof_edit_retype(g, mn, ROOF_OP_Gemm, NULL);
      if (st == ROOF_OK) st = roof_edit_set_input(g, mn, 2, bv);
      if (st == ROOF_OK && !matrix) ((roof_gemm_params*)g->nodes[mn].params)->fused_bias = 1;
      if (st != ROOF_OK) return roof_pass_fail(g, "matmul_add", an, st, err);
      /* MatMul's params are a roof_gemm_params with Gemm's defaults (alpha = beta = 1, no
       * transposes); the clamp becomes the Add's */
      *(roof_act*)g->nodes[mn].params = add_act;
      *changed = true;
      break;
    }
  }
  return ROOF_OK;
}
