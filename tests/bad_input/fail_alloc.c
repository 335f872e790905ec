/* Allocation failure injection for load_check_oom (linked with --wrap=malloc,calloc,realloc,strdup:
 * every call from rooftop's own code, protobuf-c's through the budget allocator included, comes
 * here). ROOF_FAIL_ALLOC_AT=N makes the N-th call fail (1-based); unset or 0: never fail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void* __real_malloc(size_t n);
void* __real_calloc(size_t a, size_t b);
void* __real_realloc(void* p, size_t n);
char* __real_strdup(const char* s);

void* __wrap_malloc(size_t n);
void* __wrap_calloc(size_t a, size_t b);
void* __wrap_realloc(void* p, size_t n);
char* __wrap_strdup(const char* s);

static long g_calls = 0, g_fail_at = -1; /* test-only process state */

static int should_fail(void) {
  if (g_fail_at < 0) {
    const char* s = getenv("ROOF_FAIL_ALLOC_AT");
    g_fail_at = s ? atol(s) : 0;
  }
  if (g_fail_at > 0 && ++g_calls == g_fail_at) {
    errno = ENOMEM;
    return 1;
  }
  return 0;
}

void* __wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void* __wrap_calloc(size_t a, size_t b) { return should_fail() ? NULL : __real_calloc(a, b); }
void* __wrap_realloc(void* p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
char* __wrap_strdup(const char* s) { return should_fail() ? NULL : __real_strdup(s); }
