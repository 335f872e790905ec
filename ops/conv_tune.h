/* One-time per-layer tuning of the native convolution entries against XNNPACK.
 *
 * Which of two kernels is faster on a layer depends on the CPU (XNNPACK's AVX2 stride-2
 * convolutions ran ResNet's 64- and 128-channel layers at 2.2-2.5x ONNX Runtime's time on a
 * Zen 3, where on a Zen 5 its AVX-512 ones beat rooftop's im2col GEMM), so where a fixed rule
 * cannot tell, create times both on the layer's shape and keeps the faster. Answers are cached,
 * one line per layer shape, CPU, build and thread count, in $XDG_CACHE_HOME/rooftop/FILE (or
 * ~/.cache/rooftop/FILE); a race on a disturbed machine is used once and not cached.
 * Not thread-safe across kernels of one session (sessions create kernels one at a time);
 * concurrent sessions append whole lines (O_APPEND), so the file stays readable. */
#ifndef ROOF_CONV_TUNE_H
#define ROOF_CONV_TUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel.h"

/* Timed rounds per side after one warm-up round. */
enum { ROOF_TUNE_RUNS = 7 };

/* The build in every key: a sanitizer or unoptimized build times its own code much slower than
 * XNNPACK's (not instrumented), and its answers must not reach an optimized build. */
#if defined(__SANITIZE_ADDRESS__)
#define ROOF_TUNE_BUILD "asan"
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROOF_TUNE_BUILD "asan"
/* roof_tune_conv_vs_xnnpack for an entry that keeps the layer only when it wins: ROOF_OK when
 * k runs it, a refusal (ROOF_E_UNSUPPORTED, both times in the message) when XNNPACK should. */
roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err);

#endif
/* roof_tune_conv_vs_xnnpack for an entry that keeps the layer only when it wins: ROOF_OK when
 * k runs it, a refusal (ROOF_E_UNSUPPORTED, both times in the message) when XNNPACK should. */
roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err);

#endif
#ifndef ROOF_TUNE_BUILD
#ifdef __OPTIMIZE__
#define ROOF_TUNE_BUILD "opt"
#else
#define ROOF_TUNE_BUILD "O0"
/* roof_tune_conv_vs_xnnpack for an entry that keeps the layer only when it wins: ROOF_OK when
 * k runs it, a refusal (ROOF_E_UNSUPPORTED, both times in the message) when XNNPACK should. */
roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err);

#endif
/* roof_tune_conv_vs_xnnpack for an entry that keeps the layer only when it wins: ROOF_OK when
 * k runs it, a refusal (ROOF_E_UNSUPPORTED, both times in the message) when XNNPACK should. */
roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err);

#endif

double roof_tune_now_ms(void);    /* CLOCK_MONOTONIC, milliseconds */
double roof_tune_cpu_ms(void);    /* this process's CPU time, milliseconds */

/* Keeps the two smallest times seen: best[0] <= best[1] (negative: none yet). */
void roof_tune_keep_best(double* best, double t);

/* A side whose second-best run is 1.2x its best was disturbed (a thread descheduled at a
 * barrier on a loaded machine). */
bool roof_tune_steady(const double* best);

/* The CPU's name with blanks replaced (the first field of every key). */
void roof_tune_cpu(char* out, size_t n);

/* The last answer cached for key in FILE: true and choice (a word), a_ms, b_ms written; false
 * when there is none (or no cache directory). */
bool roof_tune_cache_lookup(const char* file, const char* key, char* choice, size_t choice_size, double* a_ms,
                            double* b_ms);

/* Appends "key choice a_ms b_ms" to FILE; a cache that cannot be written only means tuning
 * again next time. */
void roof_tune_cache_store(const char* file, const char* key, const char* choice, double a_ms, double b_ms);

/* ROOFTOP_CONV_TUNE: "native" -> 1, "xnnpack" -> -1, anything else (auto, unset) -> 0. Tests
 * force one side of the layers that would race. */
int roof_tune_env_mode(void);

/* The race of a created native Conv kernel k (state built, weights packed) against XNNPACK's
 * convolution of the same layer: ROOF_TUNE_RUNS alternate timed runs of each on inputs of 0.5
 * (own input, output and scratch buffers; k's tensors are not touched). With ROOFTOP_CONV_TUNE
 * set, no race: that side. Layers under 2^20 multiply-adds are not raced either: XNNPACK (native
 * and xnn times then -1). Otherwise the cached answer for (entry, shape, CPU, build, threads)
 * in conv-tune-v1.txt, or a race whose answer is cached when steady. *native is true when k
 * should run the layer (also when XNNPACK cannot take it); written only on ROOF_OK. */
roof_status roof_tune_conv_vs_xnnpack(roof_kernel* k, const char* entry, bool* native, double* native_ms, double* xnn_ms,
                                      roof_error* err);

/* roof_tune_conv_vs_xnnpack for an entry that keeps the layer only when it wins: ROOF_OK when
 * k runs it, a refusal (ROOF_E_UNSUPPORTED, both times in the message) when XNNPACK should. */
roof_status roof_tune_conv_or_refuse(roof_kernel* k, const char* entry, roof_error* err);

#endif
