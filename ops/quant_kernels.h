/* What the QLinearConv entries share (defined in ops/quantize.c): the XNNPACK entry there and
 * the int8 dot-product GEMM of ops/qconv_gemm.c. Inputs by ONNX position: x 0, x_scale 1,
 * x_zero_point 2, w 3, w_scale 4, w_zero_point 5, y_scale 6, y_zero_point 7, bias 8. */
#ifndef ROOF_QUANT_KERNELS_H
#define ROOF_QUANT_KERNELS_H

#include "kernel.h"

/* Element j of parameter input i (scalar or one element: element 0), `def` when absent. */
double roof_qparam(const roof_kernel* k, int i, int64_t j, double def);

/* The output's integer range: its dtype's, narrowed by a clamp the qdq pass fused. */
void roof_qconv_out_range(const roof_kernel* k, int64_t* lo, int64_t* hi);

/* True when every input but x is constant and the weights are symmetric on the signed side (int8
 * weights with zero point 0, or uint8 with 128) with positive normal scales: XNNPACK's qs8 / qc8
 * cases. Otherwise false with the reason in *why (a constant string). */
bool roof_qconv_signed_consts(const roof_kernel* k, const char** why);

#endif
