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
  /* Conv only, set by pass `residual`: input 3 is a tensor of the output's shape and layout
   * added to the convolution (after the bias) before the clamp: y = act(conv(x) + b + r). Only
   * the pointwise entry and the reference compute it; every other entry refuses such a node. */
  int residual;
} roof_conv_params;

/* True when the weights (input 1) and the bias (input 2, if any) are constants with data: the
 * native and XNNPACK Conv entries pack them once at create (ops/convolution.c). */
bool roof_conv_weights_const(const roof_kernel* k);

/* Why the pointwise entry (ops/matmul.c) refuses a Conv of params p, input dims x_dims and
 * weight dims w_dims (2-D, rank 4) on shape alone, or NULL when the shape is one it takes (it
 * also wants NHWC data and constant weights). Pass `residual` asks it before fusing. */
const char* roof_conv_pointwise_refusal(const roof_conv_params* p, const int64_t* x_dims, const int64_t* w_dims);

/* True for a dense 2-D 3x3 stride-1 undilated convolution over at most 64 output pixels whose
 * Winograd F(4x4, 3x3) weights (36 x C x O floats) pass 16 MiB (ResNet's 512-channel 7x7
 * layers: 38 MB, streamed from memory in a model). Winograd's tuning race still decides first;
 * where it prefers XNNPACK (one thread here), the im2col GEMM takes such a layer instead: it
 * reads the direct weights (9.4 MB) and ran ResNet-50's two 7x7x512 layers in 1.41-1.49 ms
 * against XNNPACK's 1.67-1.70 in the model. Larger maps (a 640x640 detector's 20x20x512) are
 * left as they were. w_dims [O, C/g, KH, KW]; pixels = N x OH x OW. */
bool roof_conv_winograd_weights_large(const roof_conv_params* p, const int64_t* w_dims, int64_t pixels);

/* The reason an entry that does not add a residual (roof_conv_params.residual) gives for
 * refusing node k, or NULL when k has none. */
const char* roof_conv_residual_refusal(const roof_kernel* k);

#endif
