/* Parameters of Gemm and MatMul (ops/matmul.c), read by the fusion passes that edit them
 * (`matmul_add` turns a MatMul into a Gemm, or gives a MatMul of a higher-rank activation a
 * bias; `conv_bn` and `activation` rescale a Gemm). */
#ifndef ROOF_GEMM_PARAMS_H
#define ROOF_GEMM_PARAMS_H

#include <stdint.h>

#include "fused_act.h"

typedef struct roof_gemm_params {
  roof_act act; /* first: see fused_act.h */
  float alpha, beta; /* MatMul: 1, 1 */
  int64_t trans_a, trans_b;
  int64_t fused_bias; /* MatMul only, set by `matmul_add`: input 2 is a constant bias added along
                       * the last dim ([N] or [1]); a model's MatMul never has a third input */
} roof_gemm_params;

#endif
