/* Running a prepared model in the op tests (header-only, static functions): one session on
 * given inputs keeping every output, and the coordinates of a flat element index for
 * failure messages. */
#ifndef ROOF_TEST_SESSION_OUTPUTS_H
#define ROOF_TEST_SESSION_OUTPUTS_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"
#include "model.h"

#define TEST_MAX_IO 8

typedef struct test_outputs {
  int n;
  roof_io_info info[TEST_MAX_IO];
  void* data[TEST_MAX_IO]; /* owned copies */
} test_outputs;

static inline void test_outputs_free(test_outputs* o) {
  for (int i = 0; i < o->n; i++) free(o->data[i]);
  o->n = 0;
}

/* One session (reference or default kernels, `threads` threads) on inputs `in` (one buffer per
 * graph input, each its input's size); copies every output into `o`. *impl: the kernel entry of
 * the first layer of op type `op` not on the reference kernel, else the reference entry (NULL
 * when no layer has that op type). false (reported on stderr) when the session cannot be
 * created or run. */
static inline bool test_run_session_impl(roof_model* m, bool reference, int threads, void* const* in, const char* op,
                                         const roof_kernel_impl** impl, test_outputs* o) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = (uint32_t)threads, .force_reference = reference};
  if (roof_session_create(m, &so, &s, &err) != ROOF_OK) {
    fprintf(stderr, "session: %s\n", err.message);
    return false;
  }
  *impl = NULL;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (strcmp(k->node->op_type, op) != 0 || !k->impl) continue;
    if (*impl == NULL || ((*impl)->backend == ROOF_BACKEND_REF && k->impl->backend != ROOF_BACKEND_REF)) *impl = k->impl;
  }
  bool ok = true;
  for (size_t i = 0; ok && i < roof_session_num_inputs(s); i++) {
    roof_io_info info;
    roof_session_input_info(s, i, &info);
    ok = roof_session_set_input(s, i, in[i], info.nbytes, &err) == ROOF_OK;
  }
  ok = ok && roof_session_run(s, NULL, &err) == ROOF_OK;
  if (!ok) fprintf(stderr, "run: %s\n", err.message);
  o->n = ok ? (int)roof_session_num_outputs(s) : 0;
  if (o->n > TEST_MAX_IO) o->n = TEST_MAX_IO;
  for (int i = 0; i < o->n; i++) {
    roof_session_output_info(s, (size_t)i, &o->info[i]);
    o->data[i] = malloc(o->info[i].nbytes + 1);
    memcpy(o->data[i], roof_session_output(s, (size_t)i), o->info[i].nbytes);
  }
  roof_session_free(s);
  return ok;
}

/* test_run_session_impl; *took_fast: a layer of op type `op` ran on a kernel other than the
 * reference. */
static inline bool test_run_session(roof_model* m, bool reference, int threads, void* const* in, const char* op,
                                    bool* took_fast, test_outputs* o) {
  const roof_kernel_impl* impl = NULL;
  bool ok = test_run_session_impl(m, reference, threads, in, op, &impl, o);
  *took_fast = impl && impl->backend != ROOF_BACKEND_REF;
  return ok;
}

/* The builder's graph as a prepared model without fusion (its nodes all count as original);
 * NULL, with "FAIL label: prepare: ..." on stderr, when preparing refuses it. */
static inline roof_model* test_prepare(builder* b) {
  b->g->num_original_nodes = b->g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(b->g, &m, &err);
  roof_prepare_options po = {.fusion = "none"};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", b->label, err.message);
    roof_model_free(m);
    return NULL;
  }
  return m;
}

/* "2,0,3": the coordinates of flat element i of a row-major tensor of info's shape. */
static inline const char* test_coords(const roof_io_info* info, size_t i, char* buf, size_t n) {
  int64_t idx[ROOF_MAX_RANK];
  for (int d = info->rank - 1; d >= 0; d--) {
    idx[d] = (int64_t)(i % (size_t)info->dims[d]);
    i /= (size_t)info->dims[d];
  }
  return roof_shape_str(idx, info->rank, buf, n);
}

/* Output 0 of `fast` (float32) against the reference's: within 1e-5 of the largest reference
 * output plus 1e-5 of the element itself plus 1e-6 (float sums in another order than the
 * reference's double accumulation). false, with "FAIL label: element [coordinates]: ..." on
 * stderr, at the first element outside. */
static inline bool test_close_f32(const char* label, const test_outputs* fast, const test_outputs* ref) {
  const float *f = fast->data[0], *e = ref->data[0];
  size_t n = ref->info[0].nbytes / sizeof(float);
  double mag = 0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(e[i]));
  for (size_t i = 0; i < n; i++) {
    if (fabs((double)f[i] - e[i]) <= 1e-5 * mag + 1e-5 * fabs(e[i]) + 1e-6) continue;
    char at[96];
    fprintf(stderr, "FAIL %s: element [%s]: native %.8g, reference %.8g\n", label,
            test_coords(&ref->info[0], i, at, sizeof(at)), f[i], e[i]);
    return false;
  }
  return true;
}

/* The differential check of one op test model: the reference kernels at 1 thread, the default
 * ones at `threads`; false (with "FAIL label: ..." on stderr) when a session fails, when no
 * layer of op type `op` left the reference kernel, or at the first element outside
 * test_close_f32's bound. */
static inline bool test_differential(roof_model* m, int threads, void* const* in, const char* op, const char* label) {
  test_outputs ref = {0}, fast = {0};
  bool took_ref, took_fast, ok = false;
  if (!test_run_session(m, true, 1, in, op, &took_ref, &ref) || !test_run_session(m, false, threads, in, op, &took_fast, &fast)) {
    fprintf(stderr, "FAIL %s: session failed\n", label);
  } else if (!took_fast) {
    fprintf(stderr, "FAIL %s: no %s layer left the reference kernel\n", label, op);
  } else {
    ok = test_close_f32(label, &fast, &ref);
  }
  test_outputs_free(&ref);
  test_outputs_free(&fast);
  return ok;
}

/* As test_differential, and the entry that ran `op` in the default session must be (want) or
 * must not be (!want) one that is_entry accepts; entry names it in the message. */
static inline bool test_differential_entry(roof_model* m, int threads, void* const* in, const char* op, const char* label,
                                           bool (*is_entry)(const roof_kernel_impl*), bool want, const char* entry) {
  test_outputs ref = {0}, fast = {0};
  const roof_kernel_impl *ref_impl = NULL, *impl = NULL;
  bool ok = false;
  if (!test_run_session_impl(m, true, 1, in, op, &ref_impl, &ref) ||
      !test_run_session_impl(m, false, threads, in, op, &impl, &fast)) {
    fprintf(stderr, "FAIL %s: session failed\n", label);
  } else if (is_entry(impl) != want) {
    fprintf(stderr, "FAIL %s: ran on %s/%s, expected %s%s\n", label, impl ? roof_backend_name(impl->backend) : "?",
            impl && impl->algorithm ? impl->algorithm : "-", want ? "" : "other than ", entry);
  } else {
    ok = test_close_f32(label, &fast, &ref);
  }
  test_outputs_free(&ref);
  test_outputs_free(&fast);
  return ok;
}

/* One case of an entry test: m (built for label, NULL when building failed) run on a random
 * [count] input against the reference, with the entry check of test_differential_entry on
 * op's node; frees m. False on any failure. */
static inline bool test_op_entry_case(rng* r, roof_model* m, size_t count, int threads, const char* op, const char* label,
                                      bool (*is_entry)(const roof_kernel_impl*), bool want, const char* entry) {
  if (m == NULL) return false;
  float* x = malloc(sizeof(float) * (count ? count : 1));
  for (size_t i = 0; i < count; i++) x[i] = frand(r);
  void* in[1] = {x};
  bool ok = test_differential_entry(m, threads, in, op, label, is_entry, want, entry);
  free(x);
  roof_model_free(m);
  return ok;
}

/* The same for a Conv node. */
static inline bool test_conv_entry_case(rng* r, roof_model* m, size_t count, int threads, const char* label,
                                        bool (*is_entry)(const roof_kernel_impl*), bool want, const char* entry) {
  return test_op_entry_case(r, m, count, threads, "Conv", label, is_entry, want, entry);
}

#endif
