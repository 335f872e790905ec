/* Fused-vs-unfused comparison: output agreement and per-fused-group time accounting.
 * Groups are matched through provenance: a fused layer's `fused_from` names are looked up in
 * the unfused profile, whose layers each stand for one original node. */
#ifndef ROOF_COMPARE_H
#define ROOF_COMPARE_H

#include <stdio.h>

#include "profile.h"
#include "report.h"

typedef struct roof_output_diff {
  double max_abs;     /* over all float outputs */
  double max_rel;     /* |a - b| / max(|a|, tiny) */
  double max_mag;     /* max |reference| */
  bool agree;         /* every element within atol_frac * max_mag + rtol * |ref| */
  char first_bad[160];
} roof_output_diff;

/* Compares every output of `test` against `ref` (same graph outputs, same shapes). */
roof_status roof_compare_outputs(const roof_session* ref, const roof_session* test, double rtol, double atol_frac,
                                 roof_output_diff* d, roof_error* err);

/* One row per fused group and per folded node, then totals. */
void roof_report_compare(FILE* f, const roof_profile* unfused, const roof_profile* fused,
                         const roof_output_diff* d);
cJSON* roof_compare_to_json(const roof_profile* unfused, const roof_profile* fused, const roof_output_diff* d);

/* Diffs two saved profiles (rooftop profile --json) layer by layer, matching each layer of A
 * to the layer of B that stands for the same original node (say two machines or two fusion
 * settings). */
roof_status roof_compare_saved(FILE* out, const char* path_a, const char* path_b, roof_error* err);

/* Executed layers that are not layout conversions. */
int roof_profile_compute_layers(const roof_profile* p);

#endif
