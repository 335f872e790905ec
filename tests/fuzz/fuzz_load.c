/* Fuzz target: model bytes -> load + validate -> shape inference, folding, fusion, layout
 * (roof_model_prepare; partial for odd-sized inputs, as rooftop info) -> arena plan. Dynamic input dims are bound to 1 so that models with
 * symbolic batch sizes get past inference. No kernel is created. */
#include "fuzz_common.h"
#include "loader.h"
#include "fuzz_model.h"

static void plan(const roof_graph* g) {
  size_t* offsets = malloc(sizeof(size_t) * ((size_t)g->num_values + 1));
  size_t arena = 0, naive = 0;
  roof_error err;
  if (offsets && roof_plan_arena(g, g->order, g->num_order, NULL, offsets, &arena, &naive, &err) == ROOF_OK) {
    FUZZ_CHECK(arena <= naive || naive == 0, "planned arena larger than the naive sum of activations");
  }
  free(offsets);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  roof_load_options o = fuzz_limits();
  o.keep_unsupported = size & 1; /* half the inputs go the way of rooftop info */
  bool prepared;
  roof_model* m = fuzz_prepare(data, size, &o, (uint64_t)64 << 20, &prepared);
  if (prepared) plan(m->g);
  roof_model_free(m);
  return 0;
}
