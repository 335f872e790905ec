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

/* End-to-end latency of two sessions measured in alternating rounds (A `runs` times, then B,
 * `rounds` times), so that load from other processes falls on both alike. */
typedef struct roof_alternation {
  int rounds, runs;   /* per session: rounds x runs timed runs (after one untimed run each) */
  roof_stats a_ms, b_ms;
  double speedup;     /* median over rounds of median(A) / median(B) */
} roof_alternation;

/* Inputs must be bound. Allocates only its sample buffers (freed before returning). */
roof_status roof_compare_alternate(roof_session* a, roof_session* b, int rounds, int runs, roof_alternation* out,
                                   roof_error* err);

/* One row per fused group and per folded node, then node accounting and totals; latencies and
 * speedup come from `alt` (unfused = A). */
void roof_report_compare(FILE* f, const roof_profile* unfused, const roof_profile* fused,
                         const roof_output_diff* d, const roof_alternation* alt);
cJSON* roof_compare_to_json(const roof_profile* unfused, const roof_profile* fused, const roof_output_diff* d,
                            const roof_alternation* alt);

/* Diffs two saved profiles (rooftop profile --json) layer by layer, matching each layer of A
 * to the layer of B that stands for the same original node (say two machines or two fusion
 * settings): a header naming each side (model, machine, threads, date), a warning when the
 * models differ, the layer rows, a sum-of-layers row and the latency ratio, printed on `out`.
 * `doc` (NULL: not kept) receives the comparison as a rooftop.diff/1 JSON document
 * (docs/report-json.md), the caller's to cJSON_Delete. */
roof_status roof_compare_saved(FILE* out, const char* path_a, const char* path_b, cJSON** doc, roof_error* err);

/* Two models of one network, say float and its QDQ int8 version (rooftop compare FLOAT.onnx
 * INT8.onnx), run on the same inputs. Per output: max |a - b| and the cosine similarity
 * (1 for two zero outputs, 0 for one), both float32 of one size or ROOF_E_DATA. `out` holds
 * `max` entries; *n receives the output count on success. */
typedef struct roof_output_agreement {
  char name[128];
  size_t elements;
  double max_abs;  /* NaN when an element pair differs by NaN */
  double cosine;
} roof_output_agreement;
roof_status roof_compare_model_outputs(const roof_session* a, const roof_session* b, roof_output_agreement* out,
                                       size_t max, size_t* n, roof_error* err);
/* The rooftop.compare_models/1 document (docs/report-json.md): each layer of A beside the
 * layer of B holding one of its original node names (time and bytes moved), the unmatched
 * layers of each, totals (latencies from `alt`, A first), the output agreement and both
 * profiles. NULL when out of memory; the caller's to cJSON_Delete. */
cJSON* roof_compare_models_doc(const roof_profile* a, const roof_profile* b, const char* path_a, const char* path_b,
                               const roof_alternation* alt, const roof_output_agreement* agree, size_t num_outputs,
                               const char* fusion);
/* The document as text. */
void roof_compare_models_print(FILE* f, const cJSON* doc);

/* Executed layers that are not layout conversions. */
int roof_profile_compute_layers(const roof_profile* p);

#endif
