/* Parameters of Softmax, LogSoftmax and Hardmax (ops/normalization.c), read by the `attention`
 * pass (which matches Softmax nodes only). */
#ifndef ROOF_SOFTMAX_PARAMS_H
#define ROOF_SOFTMAX_PARAMS_H

#include <stdint.h>

typedef struct roof_softmax_params {
  int64_t axis;  /* resolved to [0, rank) by infer */
  int coerce_2d; /* opsets < 13: dims [axis, rank) flattened into one */
  int kind;      /* sm_kind (normalization.c), from the op */
} roof_softmax_params;

#endif
