/* One-line diagnostics; see diag.h. */
#include "diag.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

roof_status roof_fail(roof_error* err, roof_status status, const char* fmt, ...) {
  if (err == NULL) return status;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  /* A diagnostic is one line: fold any newline a formatted argument smuggled in. */
  for (char* p = err->message; *p; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
  }
  return status;
}

void roof_error_prefix(roof_error* err, const char* prefix) {
  if (err == NULL || prefix == NULL) return;
  char old[sizeof(err->message)];
  memcpy(old, err->message, sizeof(old));
  snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

/* Length of a valid UTF-8 sequence starting at p (1..4), or 0 when invalid. */
size_t roof_utf8_seq_len(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (n > avail) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  /* Reject overlong forms, surrogates and values past U+10FFFF. */
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)) return 0;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

const char* roof_name_sanitize(const char* name, char* out, size_t n) {
  if (n == 0) return out;
  if (name == NULL) name = "(null)";
  const unsigned char* p = (const unsigned char*)name;
  size_t len = strlen(name);
  size_t o = 0;
  /* Cut long names in the middle: keep head and tail, both readable. */
  size_t head = len, tail_start = len;
  size_t budget = n > 8 ? (n - 8) / 4 : 0; /* worst case 4 output bytes per input byte */
  if (len > budget && budget >= 8) {
    head = budget / 2;
    tail_start = len - (budget - head);
  }
  for (size_t i = 0; i < len && o + 5 < n;) {
    if (i == head && tail_start > head) {
      memcpy(out + o, "...", 3);
      o += 3;
      i = tail_start;
      /* Do not start inside a UTF-8 sequence. */
      while (i < len && (p[i] & 0xC0) == 0x80) i++;
      continue;
    }
    size_t l = roof_utf8_seq_len(p + i, len - i);
    if (l == 1 && p[i] >= 0x20 && p[i] != 0x7F && p[i] != '\\' && p[i] != '\'' && p[i] != '"') {
      out[o++] = (char)p[i];
      i++;
    } else if (l > 1 && o + l + 5 < n) {
      memcpy(out + o, p + i, l);
      o += l;
      i += l;
    } else {
      snprintf(out + o, n - o, "\\x%02X", p[i]);
      o += 4;
      i++;
    }
  }
  out[o] = '\0';
  return out;
}

bool roof_utf8_valid(const char* s) {
  const unsigned char* p = (const unsigned char*)s;
  size_t len = strlen(s);
  for (size_t i = 0; i < len;) {
    size_t l = roof_utf8_seq_len(p + i, len - i);
    if (l == 0) return false;
    i += l;
  }
  return true;
}
