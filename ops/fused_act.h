/* Fused activation clamp carried by ops that can apply it for free (XNNPACK output_min/max).
 * Contract: an op whose descriptor has ROOF_OPF_FUSED_ACT keeps a roof_act as the FIRST member
 * of its params struct; the `activation` fusion pass narrows it, every kernel (XNNPACK and
 * reference) applies it. */
#ifndef ROOF_FUSED_ACT_H
#define ROOF_FUSED_ACT_H

#include <math.h>

typedef struct roof_act {
  float min, max; /* -inf / +inf: no clamp */
} roof_act;

static inline void roof_act_init(roof_act* a) {
  a->min = -INFINITY;
  a->max = INFINITY;
}

static inline float roof_act_apply(const roof_act* a, float v) {
  return v < a->min ? a->min : (v > a->max ? a->max : v);
}

/* XNNPACK takes a clamp only when min < max (an empty or NaN range is its invalid_parameter). */
static inline int roof_act_xnn_ok(const roof_act* a) { return a->min < a->max; }

static inline int roof_act_is_identity(const roof_act* a) { return a->min == -INFINITY && a->max == INFINITY; }

#endif
