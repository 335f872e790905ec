/* Numbers <-> string tensor elements, for Cast and CastLike (tensor.h has the contracts).
 * Strings are never on a hot path: clarity over speed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

/* Shortest "%.*g" that reads back to the same value: precision 1 upwards until strtof (float32
 * sources, 9 digits always suffice) or strtod (float64, 17) returns the value. */
static void format_float(double v, bool single, char* out) {
  if (isnan(v)) {
    snprintf(out, ROOF_STRING_BYTES, "NaN");
    return;
  }
  if (isinf(v)) {
    snprintf(out, ROOF_STRING_BYTES, "%s", v < 0 ? "-INF" : "INF");
    return;
  }
  int max = single ? 9 : 17;
  for (int p = 1; p <= max; p++) {
    snprintf(out, ROOF_STRING_BYTES, "%.*g", p, v);
    if (single ? strtof(out, NULL) == (float)v : strtod(out, NULL) == v) return;
  }
}

void roof_string_format(int dtype, const void* data, int64_t off, char* out) {
  memset(out, 0, ROOF_STRING_BYTES);
  switch (dtype) {
    case ROOF_DT_STRING: memcpy(out, (const char*)data + off * ROOF_STRING_BYTES, ROOF_STRING_BYTES); break;
    case ROOF_DT_DOUBLE: format_float(roof_load_f64(dtype, data, off), false, out); break;
    case ROOF_DT_FLOAT: case ROOF_DT_FLOAT16: case ROOF_DT_BFLOAT16:
      format_float(roof_load_f64(dtype, data, off), true, out);
      break;
    case ROOF_DT_UINT64: snprintf(out, ROOF_STRING_BYTES, "%llu", (unsigned long long)(uint64_t)roof_load_i64(dtype, data, off)); break;
    default: snprintf(out, ROOF_STRING_BYTES, "%lld", (long long)roof_load_i64(dtype, data, off)); break; /* ints, bool 0/1 */
  }
}

/* The whole string must be the number: strtod/strtof skip leading blanks, nothing may follow. */
static bool whole(const char* s, const char* end) { return end != s && *end == '\0'; }

bool roof_string_parse(const char* s, int dtype, void* data, int64_t off) {
  if (memchr(s, '\0', ROOF_STRING_BYTES) == NULL) return false; /* an unterminated element */
  char* end = NULL;
  errno = 0;
  if (dtype == ROOF_DT_STRING) {
    memcpy((char*)data + off * ROOF_STRING_BYTES, s, ROOF_STRING_BYTES);
    return true;
  }
  if (dtype == ROOF_DT_FLOAT || dtype == ROOF_DT_FLOAT16 || dtype == ROOF_DT_BFLOAT16) {
    float f = strtof(s, &end); /* straight to float32: no double rounding through double */
    if (!whole(s, end)) return false;
    if (dtype == ROOF_DT_FLOAT) ((float*)data)[off] = f;
    else roof_store_f64(dtype, data, off, f);
    return true;
  }
  if (dtype == ROOF_DT_DOUBLE) {
    double d = strtod(s, &end);
    if (!whole(s, end)) return false;
    ((double*)data)[off] = d;
    return true;
  }
  /* integers and bool: a decimal integer, else any number strtod reads (truncated, saturated) */
  if (dtype == ROOF_DT_UINT64 && strchr(s, '-') == NULL) {
    unsigned long long u = strtoull(s, &end, 10);
    if (whole(s, end) && errno == 0) {
      roof_store_i64(dtype, data, off, (int64_t)u);
      return true;
    }
  } else {
    long long i = strtoll(s, &end, 10);
    if (whole(s, end) && errno == 0) {
      roof_store_i64(dtype, data, off, i);
      return true;
    }
  }
  errno = 0;
  double d = strtod(s, &end);
  if (!whole(s, end)) return false;
  roof_store_f64(dtype, data, off, d);
  return true;
}
