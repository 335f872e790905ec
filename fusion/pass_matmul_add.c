/* Pass `matmul_add`: MatMul of a matrix by a constant weight matrix, then Add of a constant
 * bias, becomes one Gemm (XNNPACK fully connected with bias). */
#include <string.h>

#include "fused_act.h"
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
      if (!y || y->producer < 0 || !const_value(bias) || y->rank != 2) continue;
      int mn = y->producer;
      roof_node* m = &g->nodes[mn];
      if (!roof_node_is(m, ROOF_OP_MatMul)) continue;
      const roof_value* A = roof_in(g, m, 0);
      const roof_value* B = roof_in(g, m, 1);
      if (!A || A->rank != 2 || !const_value(B) || B->rank != 2 || !roof_edit_single_use(g, a->inputs[side], an)) continue;
      if (!roof_act_is_identity((const roof_act*)m->params)) continue; /* the bias would land after a clamp */
      /* the bias must broadcast to [M, N] without growing it */
      bool fits = bias->rank <= 2;
      for (int d = 0; fits && d < bias->rank; d++) {
        int64_t want = y->dims[2 - bias->rank + d];
        fits = bias->dims[d] == want || bias->dims[d] == 1;
      }
      if (!fits) continue;
      int bv = a->inputs[1 - side];
      roof_act add_act = *(const roof_act*)a->params; /* a clamp fused into the Add stays last */
      roof_status st = roof_edit_take_output(g, mn, an);
      if (st == ROOF_OK) st = roof_edit_retype(g, mn, ROOF_OP_Gemm, NULL);
      if (st == ROOF_OK) st = roof_edit_set_input(g, mn, 2, bv);
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
