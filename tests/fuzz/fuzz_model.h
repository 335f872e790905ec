/* Shared by the fuzz targets that prepare models (load, run). */
#ifndef ROOF_FUZZ_MODEL_H
#define ROOF_FUZZ_MODEL_H

#include "loader.h"
#include "model.h"

/* Binds every dynamic dim of every graph input of known rank to 1, so that models with
 * symbolic batch sizes get past shape inference. Returns the number of bindings written. */
static inline size_t fuzz_bind_dynamic(const roof_graph* g, roof_shape_binding* b, size_t cap) {
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

/* Loads `data` with the limits `o`, binds dynamic dims to 1 and prepares with an arena limit
 * (partially when `o` keeps unsupported ops, as rooftop info does). Returns the model (the
 * caller frees it; NULL when loading failed) and whether prepare succeeded. */
static inline roof_model* fuzz_prepare(const uint8_t* data, size_t size, const roof_load_options* o,
                                       uint64_t max_arena_bytes, bool* prepared) {
  roof_graph* g = NULL;
  roof_model* m = NULL;
  roof_error err;
  *prepared = false;
  if (roof_load_graph_mem(data, size, "fuzz.onnx", o, &g, &err) != ROOF_OK) return NULL;
  if (roof_model_from_graph(g, &m, &err) != ROOF_OK) return NULL;
  roof_load_options_resolve(o, &m->load);
  roof_shape_binding shapes[16];
  roof_prepare_options po = {.shapes = shapes, .num_shapes = fuzz_bind_dynamic(m->g, shapes, 16),
                             .max_arena_bytes = max_arena_bytes, .partial = o->keep_unsupported};
  *prepared = roof_model_prepare(m, &po, &err) == ROOF_OK;
  return m;
}

#endif
