/* Parameters of Attention (domain ai.rooftop, ops/attention.c), written by the `attention` pass:
 * softmax(scale * Q.K^T + mask) . V over the last two axes of [B.., T, d] x [B.., S, d] x
 * [B.., S, dv] -> [B.., T, dv], batch dims B.. equal. Each operand may be read through a
 * permutation of the tensor given (the pass absorbs the Transposes around the block this way:
 * the kernel reads a strided view, nothing is copied). */
#ifndef ROOF_ATTENTION_PARAMS_H
#define ROOF_ATTENTION_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "tensor.h"

typedef struct roof_attention_params {
  /* Multiplies Q.K^T. 0 when loaded from a model without the 'scale' attribute: infer then
   * uses 1 / sqrt(d). */
  float scale;
  /* perm[i] (i: 0 Q, 1 K, 2 V): operand i is Transpose(input i, perm[i]), i.e. its axis a is
   * axis perm[i][a] of the input. out_perm: the output written is Transpose(O, out_perm).
   * has_perms false (a model's node): identity, filled in by infer. */
  bool has_perms;
  int64_t perm[3][ROOF_MAX_RANK];
  int64_t out_perm[ROOF_MAX_RANK];
} roof_attention_params;

#endif
