/* Parameters of the quantization ops (ops/quantize.c), shared with the `qdq` fusion pass, which
 * turns DequantizeLinear -> Conv / Gemm / Add [-> Relu / Clip] -> QuantizeLinear chains into
 * QLinearConv / QLinearMatMul / QLinearAdd layers and sets their fused clamp and bias. */
#ifndef ROOF_QUANT_PARAMS_H
#define ROOF_QUANT_PARAMS_H

#include "common.h"
#include "fused_act.h"

enum { ROOF_QM_TENSOR = 0, ROOF_QM_AXIS, ROOF_QM_BLOCK };

/* QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
 * QLinearMatMul, QLinearConv. */
typedef struct roof_quant_params {
  int64_t axis_attr, block, saturate, out_dtype; /* Q / DQ attributes */
  int axis;                                      /* resolved (ROOF_QM_AXIS, ROOF_QM_BLOCK) */
  int mode;                                      /* ROOF_QM_* */
  int64_t group;                                 /* convolutions */
  roof_spatial sp;
  /* Set only by the qdq pass (a model's node never has them): */
  int clamp;       /* QLinearConv, QLinearMatMul: `act` narrows the output's integer range to
                    * [Q(act.min), Q(act.max)] (a Relu / Clip fused into the output range) */
  roof_act act;    /* in real (dequantized) units */
  int fused_bias;  /* QLinearMatMul: input 8 is an int32 bias per column (scale a_scale x
                    * b_scale, zero point 0), added to the accumulators before requantizing */
} roof_quant_params;

/* com.microsoft QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
 * QLinearGlobalAveragePool. */
typedef struct roof_qlinear_ms_params {
  float alpha;
  int64_t channels_last;
  int clamp;    /* set by the qdq pass only, as in roof_quant_params */
  roof_act act;
} roof_qlinear_ms_params;

#endif
