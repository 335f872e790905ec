/* Parameters of BatchNormalization (ops/normalization.c), read by the `conv_bn` pass.
 * Parse refuses training mode (training_mode != 0 or a second output in use) and spatial = 0,
 * so every parsed BatchNormalization is the inference form y = (x - mean) * gamma /
 * sqrt(var + epsilon) + beta. */
#ifndef ROOF_NORM_PARAMS_H
#define ROOF_NORM_PARAMS_H

typedef struct roof_bn_params {
  float epsilon; /* default 1e-5 applied */
} roof_bn_params;

#endif
