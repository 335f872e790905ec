/* Parameters of Gemm and MatMul (ops/matmul.c), read by the fusion passes that edit them
 * (`matmul_add` turns a MatMul into a Gemm, `conv_bn` and `activation` rescale a Gemm). */
#ifndef ROOF_GEMM_PARAMS_H
#define ROOF_GEMM_PARAMS_H

#include <stdint.h>

#include "fused_act.h"

typedef struct roof_gemm_params {
  roof_act act; /* first: see fused_act.h */
  float alpha, beta; /* MatMul: 1, 1 */
  int64_t trans_a, trans_b;
} roof_gemm_params;

#endif
