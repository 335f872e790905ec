/* XNNPACK backend plumbing: initialisation with rooftop's allocator, status mapping, the
 * default run and destroy of XNNPACK entries. */
#include <stdlib.h>

#include "xnn_backend.h"

/* XNNPACK's allocations (packed weights above all) through roof_alloc_large. */
static void* xnn_alloc(void* ctx, size_t n) { return (void)ctx, roof_alloc_large(n, 16); }
static void* xnn_realloc(void* ctx, void* p, size_t n) { return (void)ctx, realloc(p, n); }
static void xnn_free(void* ctx, void* p) { (void)ctx, free(p); }
static void* xnn_aligned_alloc(void* ctx, size_t align, size_t n) {
  return (void)ctx, roof_alloc_large(n, align < sizeof(void*) ? sizeof(void*) : align);
}
static const struct xnn_allocator kXnnAllocator = {
    .allocate = xnn_alloc, .reallocate = xnn_realloc, .deallocate = xnn_free,
    .aligned_allocate = xnn_aligned_alloc, .aligned_deallocate = xnn_free,
};

roof_status roof_kernels_init(roof_error* err) {
  if (xnn_initialize(&kXnnAllocator) != xnn_status_success) {
    return roof_fail(err, ROOF_E_INTERNAL, "XNNPACK failed to initialize (unsupported CPU?)");
  }
  return ROOF_OK;
}

static const char* status_name(enum xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid_parameter";
    case xnn_status_invalid_state: return "invalid_state";
    case xnn_status_unsupported_parameter: return "unsupported_parameter";
    case xnn_status_unsupported_hardware: return "unsupported_hardware";
    case xnn_status_out_of_memory: return "out_of_memory";
  }
  return "unknown status";
}

roof_status roof_xnn_check(enum xnn_status s, const roof_kernel* k, const char* what, roof_error* err) {
  if (s == xnn_status_success) return ROOF_OK;
  if (s == xnn_status_unsupported_parameter || s == xnn_status_unsupported_hardware) {
    return roof_kernel_refuse(err, "XNNPACK %s: %s", what, status_name(s));
  }
  roof_status st = s == xnn_status_out_of_memory ? ROOF_E_NOMEM : ROOF_E_INTERNAL;
  return roof_node_fail(err, st, k->g, k->node, "XNNPACK %s failed with status %s (a rooftop bug: please report it)",
                        what, status_name(s));
}

roof_status roof_xnn_created(enum xnn_status s, xnn_operator_t op, roof_kernel* k, const char* what, roof_error* err) {
  if (s == xnn_status_success) k->handle = op;
  return roof_xnn_check(s, k, what, err);
}

roof_status roof_xnn_run(roof_kernel* k, roof_error* err) {
  return roof_xnn_check(xnn_run_operator(roof_xop(k), k->pool), k, "run", err);
}

void roof_xnn_destroy(roof_kernel* k) {
  if (k->handle) xnn_delete_operator(roof_xop(k));
  k->handle = NULL;
  free(k->state);
  k->state = NULL;
}

bool roof_xnn_indirection_ok(const roof_kernel* k, int64_t n, int64_t oh, int64_t ow, int64_t kh, int64_t kw) {
  uint64_t count = 1;
  const int64_t f[6] = {n, oh, ow, kh, kw, (int64_t)sizeof(void*)};
  for (int i = 0; i < 6; i++) {
    if (f[i] < 0 || !roof_mul_u64(count, (uint64_t)f[i], &count)) return false;
  }
  return count <= k->max_scratch_bytes;
}
