/* Shared by the fuzz targets that prepare models (load, run). */
#ifndef ROOF_FUZZ_MODEL_H
#define ROOF_FUZZ_MODEL_H

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

#endif
