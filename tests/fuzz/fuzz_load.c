/* Fuzz target: model bytes -> load + validate -> shape inference, folding, fusion, layout
 * (roof_model_prepare) -> arena plan. Dynamic input dims are bound to 1 so that models with
 * symbolic batch sizes get past inference. No kernel is created. */
#include "fuzz_common.h"
#include "loader.h"
#include "fuzz_model.h"

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
  roof_prepare_options po = {.shapes = shapes, .num_shapes = fuzz_bind_dynamic(m->g, shapes, 16),
                             .max_arena_bytes = (uint64_t)64 << 20};
  if (roof_model_prepare(m, &po, &err) == ROOF_OK) plan(m->g);
  roof_model_free(m);
  return 0;
}
