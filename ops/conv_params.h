/* Parameters of Conv and ConvTranspose, shared with the fusion passes that edit them
 * (`pad` widens the padding, `activation` narrows the clamp). */
#ifndef ROOF_CONV_PARAMS_H
#define ROOF_CONV_PARAMS_H

#include "common.h"
#include "fused_act.h"

typedef struct roof_conv_params {
  roof_act act; /* first: see fused_act.h */
  int64_t group;
  roof_spatial sp; /* pads resolved by infer: [top, left, bottom, right] for 2-D */
  int64_t output_padding[3]; /* ConvTranspose */
  int64_t output_shape[3];
  int has_output_shape;
} roof_conv_params;

/* True when the weights (input 1) and the bias (input 2, if any) are constants with data: the
 * native and XNNPACK Conv entries pack them once at create (ops/convolution.c). */
bool roof_conv_weights_const(const roof_kernel* k);

#endif
