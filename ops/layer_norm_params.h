/* Parameters of LayerNormalization (ops/layer_norm.c), written by the `layer_norm` pass, which
 * makes the op from its decomposed form at any model opset. Infer resolves them from the
 * attributes; a pass fills in every field itself (infer does not run again after fusion). */
#ifndef ROOF_LAYER_NORM_PARAMS_H
#define ROOF_LAYER_NORM_PARAMS_H

#include <stdint.h>

typedef struct roof_ln_params {
  int64_t axis;  /* resolved to [0, rank) */
  float epsilon;
  int64_t outer; /* product of X's dims before axis (rows) */
  int64_t inner; /* product of X's dims from axis on (row length) */
} roof_ln_params;

#endif
