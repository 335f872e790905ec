/* Report writers (one file per format). All write to a temporary file in the target
 * directory and rename it, so a failed write never leaves a truncated report. */
#ifndef ROOF_REPORT_H
#define ROOF_REPORT_H

#include <cjson/cJSON.h>

#include "profile.h"

/* Copy of s with invalid UTF-8 bytes replaced by U+FFFD (malloc'ed; NULL on OOM). */
char* roof_utf8_clean(const char* s);
cJSON* roof_json_string(const char* s);
cJSON* roof_json_number(double v); /* null when not finite */

cJSON* roof_profile_to_json(const roof_profile* p, const char* fusion);
roof_status roof_report_json(const char* path, const roof_profile* p, const char* fusion, roof_error* err);
roof_status roof_report_csv(const char* path, const roof_profile* p, roof_error* err);
roof_status roof_report_trace(const char* path, const roof_profile* p, roof_error* err);
roof_status roof_write_text_file(const char* path, const char* text, roof_error* err);

#endif
