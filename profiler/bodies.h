/* Layers of control-flow bodies in a profile (roof_body_layer, profile.h): found in a session's
 * If / Loop / Scan kernels, measured around each timed instrumented run from the kernels'
 * running totals (roof_control_body_total_ns), so that a body nested in a body that ran several
 * times counts all of its runs. Private to the profiler. */
#ifndef ROOF_BODIES_H
#define ROOF_BODIES_H

#include "profile.h"

typedef struct roof_body_tracker roof_body_tracker;

/* Lists the body layers of session s into p->body_layers (num_body_layers; none: *t NULL and
 * ROOF_OK) and a tracker for the timed runs. ROOF_E_NOMEM, with nothing allocated, otherwise. */
roof_status roof_bodies_begin(const roof_session* s, roof_profile* p, roof_body_tracker** t, roof_error* err);
/* Lists the body layers of a static profile (roof_profile_static: p->layers filled from the
 * prepared graph) from its control nodes' planned subgraphs, in execution order, nested bodies
 * after their row: cost per iteration, kernel "-" (views "view"), nothing timed (body_runs 0).
 * Marks the control layers has_bodies. ROOF_E_NOMEM, with no rows kept, otherwise. */
roof_status roof_bodies_static(roof_profile* p, roof_error* err);
/* Around timed run r (runs numbered from 0, in order): mark before the instrumented run, record
 * after it. Record returns false when out of memory (the run is not kept). NULL t: no-ops. */
void roof_bodies_mark(roof_body_tracker* t);
bool roof_bodies_record(roof_body_tracker* t, size_t r);
/* Statistics over runs [0, runs) into p->body_layers and the control layers' self_ms (layer
 * times and layer_sum_ms already computed; `stamps` as profile.c keeps them, n1 per run). */
void roof_bodies_finish(const roof_body_tracker* t, roof_profile* p, const uint64_t* stamps, size_t n1, size_t runs);
void roof_bodies_free(roof_body_tracker* t);

#endif
