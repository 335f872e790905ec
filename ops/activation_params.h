/* Parameters of the activations (Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh,
 * Elu), parsed once per node by ops/activation.c. Fusion passes read these, never attributes. */
#ifndef ROOF_ACTIVATION_PARAMS_H
#define ROOF_ACTIVATION_PARAMS_H

#include <stdbool.h>

typedef struct roof_act_params {
  float alpha, beta; /* LeakyRelu/Elu alpha; HardSigmoid alpha, beta (defaults applied) */
  float min, max;    /* Clip bounds (attributes before opset 11, constant inputs after);
                      * Relu: [0, inf); -inf/+inf when absent */
  bool runtime_bounds; /* Clip 11+: a bound is an input only known at run time */
} roof_act_params;

#endif
