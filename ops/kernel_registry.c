/* The kernel table (kernel_list.inc) and kernel selection. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define ROOF_KERNEL(op, tag) extern const roof_kernel_impl roof_kernel_##op##_##tag;
#include "kernel_list.inc"
#undef ROOF_KERNEL

static const roof_kernel_impl* const kKernels[] = {
#define ROOF_KERNEL(op, tag) &roof_kernel_##op##_##tag,
#include "kernel_list.inc"
#undef ROOF_KERNEL
};

const int roof_dtypes_f32[] = {ROOF_DT_FLOAT, 0};

#define NUM_KERNELS (sizeof(kKernels) / sizeof(kKernels[0]))

const char* roof_backend_name(roof_backend b) {
  static const char* const kNames[ROOF_BACKEND_COUNT] = {"xnnpack", "native", "ref"};
  return (unsigned)b < ROOF_BACKEND_COUNT ? kNames[b] : "?";
}

size_t roof_kernel_impl_count(void) { return NUM_KERNELS; }
const roof_kernel_impl* roof_kernel_impl_at(size_t i) { return i < NUM_KERNELS ? kKernels[i] : NULL; }

const roof_kernel_impl* roof_kernel_ref_of(roof_op_id op) {
  for (size_t i = 0; i < NUM_KERNELS; i++) {
    if (kKernels[i]->op == op && kKernels[i]->backend == ROOF_BACKEND_REF) return kKernels[i];
  }
  return NULL;
}

roof_status roof_kernel_refuse(roof_error* err, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return ROOF_E_UNSUPPORTED;
}

bool roof_kernel_not_built(const roof_kernel* k, char* why, size_t why_size) {
  (void)k;
  snprintf(why, why_size, "not built for this architecture");
  return false;
}

/* ROOFTOP_NO_NATIVE=1 turns native kernels off (the op tests run every case both ways). */
static bool native_disabled(void) {
  const char* off = getenv("ROOFTOP_NO_NATIVE");
  return off && off[0] == '1';
}

bool roof_kernel_impl_takes(const roof_kernel_impl* e, int dtype) {
  if (e->dtypes == NULL) return true;
  for (const int* d = e->dtypes; *d; d++) {
    if (*d == dtype) return true;
  }
  return false;
}

bool roof_kernel_has_fast(roof_op_id op, int dtype) {
  for (size_t i = 0; i < NUM_KERNELS; i++) {
    const roof_kernel_impl* e = kKernels[i];
    if (e->op == op && e->backend != ROOF_BACKEND_REF && roof_kernel_impl_takes(e, dtype)) return true;
  }
  return false;
}

/* Appends "backend: why" to k->reason ("; "-separated). */
static void note_refusal(roof_kernel* k, const roof_kernel_impl* e, const char* why) {
  size_t len = strlen(k->reason);
  if (len + 4 >= sizeof(k->reason)) return;
  snprintf(k->reason + len, sizeof(k->reason) - len, "%s%s: %.200s", len ? "; " : "", roof_backend_name(e->backend), why);
}

/* The static checks of entry e: dtype of input 0, then its own supports(). */
static bool entry_accepts(roof_kernel* k, const roof_kernel_impl* e) {
  char why[160] = "";
  if (e->backend == ROOF_BACKEND_NATIVE && native_disabled()) {
    snprintf(why, sizeof(why), "native kernels off (ROOFTOP_NO_NATIVE=1)");
  } else if (k->num_in > 0 && k->node->inputs[0] >= 0 && !roof_kernel_impl_takes(e, k->in[0].dtype)) {
    snprintf(why, sizeof(why), "no %s kernel", roof_dtype_name(k->in[0].dtype));
  } else if (e->supports == NULL || e->supports(k, why, sizeof(why))) {
    return true;
  }
  note_refusal(k, e, why[0] ? why : "refused");
  return false;
}

void roof_kernel_destroy(roof_kernel* k) {
  if (k->impl && k->impl->destroy) k->impl->destroy(k);
  k->state = NULL;
  k->handle = NULL;
}

roof_status roof_kernel_select(roof_kernel* k, roof_backend only, roof_error* err) {
  k->reason[0] = '\0';
  k->impl = NULL;
  for (size_t i = 0; i < NUM_KERNELS; i++) {
    const roof_kernel_impl* e = kKernels[i];
    if (e->op != k->op->id) continue;
    if (only != ROOF_BACKEND_COUNT && e->backend != only) continue;
    if (!entry_accepts(k, e)) continue;
    k->impl = e;
    if (e->create == NULL) return ROOF_OK;
    roof_error why = {0};
    roof_status st = e->create(k, &why);
    if (st == ROOF_OK) return ROOF_OK;
    roof_kernel_destroy(k);
    k->impl = NULL;
    if (st != ROOF_E_UNSUPPORTED) {
      *err = why;
      return st;
    }
    note_refusal(k, e, why.message[0] ? why.message : "refused at create");
  }
  char ob[sizeof(k->reason)];
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, k->g, k->node, "no kernel for this case (%s)",
                        ROOF_SAFE(k->reason[0] ? k->reason : "no entry in the kernel table", ob));
}

roof_status roof_kernel_setup(roof_kernel* k, roof_error* err) {
  if (k->impl == NULL || k->impl->setup == NULL) return ROOF_OK;
  return k->impl->setup(k, err);
}

bool roof_kernel_outputs_empty(const roof_kernel* k) {
  bool any = false;
  for (int i = 0; i < k->num_out; i++) {
    uint64_t n = 1;
    if (roof_out(k->g, k->node, i) == NULL) continue;
    if (!roof_dims_count(k->out[i].dims, k->out[i].rank, &n) || n != 0) return false;
    any = true;
  }
  return any;
}

roof_status roof_kernel_run(roof_kernel* k, roof_error* err) {
  if (roof_kernel_outputs_empty(k)) return ROOF_OK; /* nothing to write; kernels assume >= 1 element */
  if (k->impl == NULL || k->impl->run == NULL) {
    return roof_node_fail(err, ROOF_E_INTERNAL, k->g, k->node, "kernel has no run function");
  }
  return k->impl->run(k, err);
}
