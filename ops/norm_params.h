/* Parameters of BatchNormalization (ops/normalization.c), read by the `conv_bn` pass.
 * Parse refuses spatial = 0 and the pre-14 training outputs. With training = false the node is
 * the inference form y = (x - mean) * gamma / sqrt(var + epsilon) + beta. With training = true
 * (training_mode = 1, opsets 14 and 15) y uses the batch mean and biased batch variance over
 * every axis but 1, and the optional outputs 1 and 2 are running_mean = mean * momentum +
 * batch_mean * (1 - momentum) and running_var likewise with the batch variance: no pass may fold
 * such a node (its statistics depend on the data). The `activation` pass may narrow act, the
 * clamp every kernel applies to y (fused_act.h; a Relu after a pre-activation BatchNormalization,
 * DenseNet's BN -> Relu -> Conv); `conv_bn` hands it to the Conv it folds the node into. */
#ifndef ROOF_NORM_PARAMS_H
#define ROOF_NORM_PARAMS_H

#include <stdbool.h>

#include "fused_act.h"

typedef struct roof_bn_params {
  roof_act act;   /* first member (fused_act.h); the identity unless a pass fused a clamp */
  float epsilon;  /* default 1e-5 applied */
  float momentum; /* default 0.9; read in training mode only */
  bool training;  /* training_mode = 1 */
} roof_bn_params;

#endif
