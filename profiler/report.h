/* Report writers (one file per format). All write to a temporary file in the target
 * directory and rename it, so a failed write never leaves a truncated report. */
#ifndef ROOF_REPORT_H
#define ROOF_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "profile.h"

/* Copy of s with invalid UTF-8 bytes replaced by U+FFFD (malloc'ed; NULL on OOM). */
char* roof_utf8_clean(const char* s);
cJSON* roof_json_string(const char* s);
cJSON* roof_json_number(double v); /* null when not finite */

/* The op table (report_ops.c): schemas with their kernels in priority order, from the
 * registries. JSON schema rooftop.ops/1: {"ops": [{op_type, domain, since_version,
 * until_version (null: open), view, kernels: [{backend, dtypes: [name | "any"]}]}]}. */
void roof_report_ops_text(FILE* f);
cJSON* roof_report_ops_json(void);

cJSON* roof_profile_to_json(const roof_profile* p, const char* fusion);
roof_status roof_report_json(const char* path, const roof_profile* p, const char* fusion, roof_error* err);
roof_status roof_report_csv(const char* path, const roof_profile* p, roof_error* err);
roof_status roof_report_trace(const char* path, const roof_profile* p, roof_error* err);
roof_status roof_write_text_file(const char* path, const char* text, roof_error* err);

/* HTML report (report_html.c): one self-contained page, no network access, that renders a
 * JSON report (schema rooftop.profile/1, rooftop.compare/1 or rooftop.diff/1) as a summary, a log-log
 * roofline chart with one point per layer, a by-op-type table and a sortable, filterable,
 * paged layer table. The JSON is embedded with every '<' escaped.
 * roof_html_document: the page as malloc'ed text (NULL on OOM or a NULL report).
 * roof_report_html_doc: writes it atomically; report is not consumed.
 * roof_report_html: the same for a profile (JSON built by roof_profile_to_json). */
char* roof_html_document(const cJSON* report);
roof_status roof_report_html_doc(const char* path, const cJSON* report, roof_error* err);
roof_status roof_report_html(const char* path, const roof_profile* p, const char* fusion, roof_error* err);

#endif
