/* Shared by the fuzz targets (tests only): the libFuzzer entry point's declaration, a reader
 * that cuts the input into fields, and the tight limits every target loads with.
 * A target may abort() when a property it checks is violated: that is how a fuzz target
 * reports a bug (the library itself never aborts). */
#ifndef ROOF_FUZZ_COMMON_H
#define ROOF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rooftop.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/* Limits small enough for thousands of executions a second, large enough for the seeds. */
static inline roof_load_options fuzz_limits(void) {
  roof_load_options o = {0};
  o.max_file_bytes = (uint64_t)1 << 20;
  o.max_nesting_depth = 64;
  o.decode_budget_factor = 8;
  o.max_nodes = 4096;
  o.max_initializers = 4096;
  o.max_name_bytes = 256;
  o.max_tensor_bytes = (uint64_t)4 << 20;
  return o;
}

/* Input cursor: fields end at a NUL byte (or the end of the input). */
typedef struct fuzz_reader {
  const uint8_t* p;
  size_t left;
} fuzz_reader;

/* Next field as a malloc'ed NUL-terminated string (never NULL unless out of memory). */
static inline char* fuzz_field(fuzz_reader* r) {
  size_t n = 0;
  while (n < r->left && r->p[n] != 0) n++;
  char* s = malloc(n + 1);
  if (s == NULL) return NULL;
  if (n) memcpy(s, r->p, n);
  s[n] = '\0';
  size_t used = n < r->left ? n + 1 : n;
  r->p += used;
  r->left -= used;
  return s;
}

static inline uint8_t fuzz_byte(fuzz_reader* r) {
  if (r->left == 0) return 0;
  r->left--;
  return *r->p++;
}

/* Reports a violated property and aborts (fuzz targets only). */
#define FUZZ_CHECK(cond, what)                                           \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", what, __FILE__, __LINE__); \
      abort();                                                           \
    }                                                                    \
  } while (0)

#endif
