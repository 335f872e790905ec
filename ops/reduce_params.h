/* Parameters of the reductions (ops/reduction.c, reduce_list.inc), read by the `layer_norm` pass. Complete only
 * after shape inference: infer resolves the axes (attribute, or constant input from opset 18)
 * into reduce[]. */
#ifndef ROOF_REDUCE_PARAMS_H
#define ROOF_REDUCE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct roof_reduce_params {
  int64_t keepdims, noop_empty; /* attributes, defaults 1 and 0 applied */
  int64_t select_last;          /* ArgMax / ArgMin: select_last_index */
  int64_t axes[ROOF_MAX_RANK];  /* as given (may be negative); ArgMax / ArgMin: axes[0] is `axis` */
  size_t num_axes;
  bool reduce[ROOF_MAX_RANK];   /* resolved at infer: input axis d is reduced */
} roof_reduce_params;

#endif
