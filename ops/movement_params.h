/* Parameters of Transpose and Pad (ops/movement.c), read by the `channel_shuffle` and `pad`
 * passes. Both are complete only after shape inference: infer fills in what the attributes
 * leave implicit or what later opsets pass as constant inputs. */
#ifndef ROOF_MOVEMENT_PARAMS_H
#define ROOF_MOVEMENT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct roof_transpose_params {
  /* Output axis d reads input axis perm[d]. Parse copies the attribute; infer fills in the
   * default (reversed axes) when it is absent, so after infer num_perm == input rank. */
  int64_t perm[ROOF_MAX_RANK];
  size_t num_perm;
} roof_transpose_params;

typedef enum roof_pad_mode {
  ROOF_PAD_CONSTANT = 0,
  ROOF_PAD_REFLECT = 1,
  ROOF_PAD_EDGE = 2,
} roof_pad_mode;

typedef struct roof_pad_params {
  roof_pad_mode mode; /* parsed from the attribute (default constant) */
  /* Opsets < 11: the 'pads' attribute as parsed (infer's source; never rewritten). */
  int64_t attr_pads[2 * ROOF_MAX_RANK];
  size_t num_attr_pads;
  /* Resolved by infer for every opset (from attr_pads, or from the constant pads and axes inputs
   * from opset 11): pads[d] before and pads[d + rank] after input axis d, 0 for axes not padded. */
  int64_t pads[2 * ROOF_MAX_RANK];
  /* Constant-mode fill: the 'value' attribute before opset 11 (parse), the constant_value input
   * from 11 (infer); 0 when absent. */
  double value;
} roof_pad_params;

#endif
