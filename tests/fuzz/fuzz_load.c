/* Fuzz target: model bytes -> load + validate -> shape inference, folding, fusion, layout
 * (roof_model_prepare) -> arena plan. Dynamic input dims are bound to 1 so that models with
 * symbolic batch sizes get past inference. No kernel is created. */
#include "fuzz_common.h"
#include "loader.h"
#include "model.h"

/* Binds every dynamic dim of every graph input of known rank to 1. */
static size_t bind_dynamic(const roof_graph* g, roof_shape_binding* b, size_t cap) {
  size_t n = 0;
  for (int i = 0; i < g->num_inputs && n < cap; i++) {
    const roof_value* v = &g->values[g->inputs[i]];
    if (v->rank < 0 || v->rank > 6) continue;
    bool dynamic = false;
    for (int d = 0; d < v->rank; d++) dynamic = dynamic || v->dims[d] < 0;
    if (!dynamic) continue;
    b[n].name = v->name;
    b[n].rank = v->rank;
    for (int d = 0; d < v->rank; d++) b[n].dims[d] = v->dims[d] < 0 ? 1 : v->dims[d];
    n++;
  }
  return n;
}

static void plan(const roof_graph* g) {
  size_t* offsets = malloc(sizeof(size_t) * ((size_t)g->num_values + 1));
  size_t arena = 0, naive = 0;
  roof_error err;
  if (offsets && roof_plan_arena(g, g->order, g->num_order, offsets, &arena, &naive, &err) == ROOF_OK) {
    FUZZ_CHECK(arena <= naive || naive == 0, "planned arena larger than the naive sum of activations");
  }
  free(offsets);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  roof_load_options o = fuzz_limits();
  roof_graph* g = NULL;
  roof_model* m = NULL;
  roof_error err;
  if (roof_load_graph_mem(data, size, "fuzz.onnx", &o, &g, &err) != ROOF_OK) return 0;
  if (roof_model_from_graph(g, &m, &err) != ROOF_OK) return 0;
  roof_load_options_resolve(&o, &m->load);
  roof_shape_binding shapes[16];
  roof_prepare_options po = {.shapes = shapes, .num_shapes = bind_dynamic(m->g, shapes, 16),
                             .max_arena_bytes = (uint64_t)64 << 20};
  if (roof_model_prepare(m, &po, &err) == ROOF_OK) plan(m->g);
  roof_model_free(m);
  return 0;
}
