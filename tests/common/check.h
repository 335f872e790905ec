/* CHECK(cond, fmt, ...) for the unit tests: counts a failure in the including file's
 * `failures` and prints file, line, the condition and a message; the test goes on. */
#ifndef ROOF_TEST_CHECK_H
#define ROOF_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      failures++;                                                     \
      fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
    }                                                                 \
  } while (0)

#endif
