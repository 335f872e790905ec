/* Parameters of Gelu (ops/gelu.c), written by the `gelu` pass. */
#ifndef ROOF_GELU_PARAMS_H
#define ROOF_GELU_PARAMS_H

#include <stdbool.h>

typedef struct roof_gelu_params {
  bool tanh; /* approximate "tanh"; false: the exact erf form */
} roof_gelu_params;

#endif
