/* Diagnostics: how every layer of the library reports a refusal.
 *
 * A message is one line: "FILE: node 'NAME' (OP): tensor 'T': RULE". Helpers below fill
 * roof_error and return the status so call sites read `return roof_fail(err, ROOF_E_DATA, ...)`.
 * Names coming from the model are untrusted: they are sanitized (non-printable bytes and
 * invalid UTF-8 become \xNN, long names are cut) before they reach the message.
 */
#ifndef ROOF_DIAG_H
#define ROOF_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "rooftop.h"

#if defined(__GNUC__)
#define ROOF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ROOF_PRINTF(a, b)
#endif

/* Writes a formatted message into err (if non-NULL) and returns `status`. Never allocates. */
roof_status roof_fail(roof_error* err, roof_status status, const char* fmt, ...) ROOF_PRINTF(3, 4);

/* Prefixes an existing message: "PREFIX: old message" (used to add the file name). */
void roof_error_prefix(roof_error* err, const char* prefix);

/* Copies `name` into `out` (size n) as printable, valid UTF-8 text: control bytes, quotes,
 * backslashes and invalid UTF-8 become \xNN; longer names are cut in the middle with "...".
 * Returns out. A NULL name prints as "(null)". */
const char* roof_name_sanitize(const char* name, char* out, size_t n);

/* Length (1..4) of the valid UTF-8 sequence at p, or 0 when the bytes there are invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
size_t roof_utf8_seq_len(const unsigned char* p, size_t avail);
bool roof_utf8_valid(const char* s);

/* Convenience for messages: sanitized name in a caller-provided 96-byte buffer. */
#define ROOF_NAME_BUF 96
#define ROOF_SAFE(name, buf) roof_name_sanitize((name), (buf), sizeof(buf))

#endif
