/* Hardware roofs: measured by the probe or written by hand from a spec sheet.
 *
 * File format (JSON, "schema": "rooftop.hw/1"):
 *   { "schema": "rooftop.hw/1", "cpu": "...", "threads": 1, "source": "probe" | "spec",
 *     "isa": "avx512f", "peak_gflops": 255.0,
 *     "isa_int8": "avx512vnni", "peak_int8_gops": 1020.0,   optional: int8 multiply-accumulates,
 *                                               2 ops each (GOP/s); absent (0): integer layers
 *                                               are judged against peak_gflops
 *     "bandwidth_gbs": { "l1": ..., "l2": ..., "l3": ..., "dram": ... },   read bandwidth
 *     "copy_gbs":      { "l1": ..., "l2": ..., "l3": ..., "dram": ... },   optional
 *     "write_gbs":     { "l1": ..., "l2": ..., "l3": ..., "dram": ... },   optional
 *     "cache_bytes":   { "l1": 49152, "l2": 1048576, "l3": 33554432 },     optional
 *     "energy": { "tdp_w": 205, "utilization": 0.7, "pue": 1.2,
 *                 "grid_gco2_per_kwh": 400, "price_per_kwh": 0.15 },        optional
 *     "cpu_set": "0-1", "allowed_cpus": 2,      the probe's CPUs (affinity list, and that count
 *                                               capped by the cgroup quota); optional
 *     "core_types": [ { "role": "big", "cpus": "4-7", "core": "Cortex-A76", "cpu": 4,
 *                       "peak_gflops": 19.2, "bandwidth_gbs": { "l1": ..., "dram": ... },
 *                       "cache_bytes": { "l1": ..., "l2": ..., "l3": ... } }, ... ] }
 *                   optional, only on machines with several core types (core_types.h): one
 *                   thread's roofs on one CPU of each type, fastest type first; "cpu" -1 and
 *                   figures 0 when that type could not be measured (no CPU of it allowed)
 * Units: GFLOP/s = 1e9 FLOP/s, GB/s = 1e9 B/s, bytes. A spec file may give only peak_gflops
 * and bandwidth_gbs.dram; missing cache levels then fall back to DRAM.
 */
#ifndef ROOF_HW_H
#define ROOF_HW_H

#include <pthreadpool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core_types.h"
#include "rooftop.h"

enum { ROOF_MEM_L1 = 0, ROOF_MEM_L2, ROOF_MEM_L3, ROOF_MEM_DRAM, ROOF_MEM_LEVELS };

/* One core type's roofs: one thread pinned to one CPU of the type (read bandwidths only). */
typedef struct roof_core_roofs {
  char role[8];        /* "big", "mid", "little" */
  char cpus[64];       /* the type's CPUs, "4-7" */
  char core[48];       /* "Cortex-A76", "" unknown */
  int cpu;             /* the CPU measured; -1: not measured (none of the type's CPUs allowed) */
  double peak_gflops;  /* 0: not measured */
  double read_gbs[ROOF_MEM_LEVELS];
  uint64_t cache_bytes[3];
} roof_core_roofs;

typedef struct roof_hw {
  char cpu[128];
  char source[16];      /* "probe" or "spec" */
  char isa[16];
  uint32_t threads;
  double peak_gflops;
  char isa_int8[16];     /* the int8 dot-product kernel measured ("" when none) */
  double peak_int8_gops; /* int8 MACs x 2 per second / 1e9; 0 = unknown (peak_gflops serves) */
  double read_gbs[ROOF_MEM_LEVELS];
  double copy_gbs[ROOF_MEM_LEVELS];  /* bytes read + written by memcpy */
  double write_gbs[ROOF_MEM_LEVELS]; /* plain vector stores; 0 = not measured (read figure used) */
  uint64_t cache_bytes[3]; /* capacity used for the cache-aware roof: L1d, L2, L3 per core group */
  /* energy constants, 0 when absent */
  double tdp_w, utilization, pue, grid_gco2_per_kwh, price_per_kwh;
  char cpu_set[256];      /* CPUs the probe could use ("0-1"); "" in spec files */
  uint32_t allowed_cpus;  /* their count, capped by the cgroup CPU quota; 0 unknown */
  int num_core_types;     /* 0 on a machine of one core type (or a file without them) */
  roof_core_roofs core_types[ROOF_MAX_CORE_TYPES]; /* fastest first */
  char problem[192];      /* why these roofs cannot be trusted ("" when roof_hw_check passed);
                           * never saved: such roofs are used once, not cached */
} roof_hw;

extern const char* const roof_mem_level_names[ROOF_MEM_LEVELS]; /* "l1", "l2", "l3", "dram" */

/* Measures peak FP32 FLOP/s (independent FMA chains on the widest ISA), peak int8 GOP/s (the
 * best integer dot-product kernel, probe_kernels.h) and read/copy/write bandwidth
 * at working sets inside L1, L2, L3 and DRAM, using `threads` workers of `pool` (NULL: 1).
 * With several core types (roof_core_types_detect) it then measures each type on one thread
 * pinned to the first of its CPUs it may run on (the calling thread's affinity is restored):
 * core_types[]; nothing more on a machine of one type.
 * Records the CPU set and allowed CPUs, and fills `problem` by roof_hw_check (a probe that
 * contradicts itself still succeeds: measuring again is the caller's choice). */
roof_status roof_hw_probe(uint32_t threads, pthreadpool_t pool, roof_hw* hw, roof_error* err);

/* The compute roofs alone, as roof_hw_probe measures them (best of 5 timed repetitions of about
 * 30 ms each): FP32 GFLOP/s with the widest FMA kernel, int8 GOP/s with the best dot-product
 * kernel, on `threads` workers of `pool` (NULL: 1 thread). */
void roof_hw_measure_peaks(uint32_t threads, pthreadpool_t pool, double* gflops, double* int8_gops);

roof_status roof_hw_load(const char* path, roof_hw* hw, roof_error* err);
/* hw's core_types as the file's JSON array (the caller's; NULL when out of memory). */
struct cJSON;
struct cJSON* roof_hw_core_types_json(const roof_hw* hw);
roof_status roof_hw_save(const char* path, const roof_hw* hw, roof_error* err);

/* rooftop's cache directory, $XDG_CACHE_HOME/rooftop (or ~/.cache/rooftop), created if
 * missing: false when neither variable names an absolute path or the path does not fit in n. */
bool roof_hw_cache_dir(char* out, size_t n);

/* Cache file for this CPU model, thread count and CPU set (the affinity list, e.g. "0-1"):
 * $XDG_CACHE_HOME/rooftop/hw2-<cpu>-t<N>-c<set>.json (or ~/.cache/...); a set longer than 24
 * characters is named by an 8-digit hash of it. Creates the directory. Returns false when
 * no cache directory can be named or the path does not fit in n. */
bool roof_hw_cache_path(const char* cpu, uint32_t threads, const char* cpu_set, char* out, size_t n);

/* Whether roofs agree with themselves: peak (and the int8 peak: finite and >= 0, > 0 when
 * probed) and every read bandwidth finite and > 0 (write and
 * copy bandwidths too when measured: source "probe"), and read bandwidth never rising toward DRAM
 * by more than ROOF_HW_LEVEL_TOLERANCE (read_gbs[a] x tolerance >= read_gbs[b] for every
 * level a nearer the core than b). false with the first broken rule in why (n > 0), else
 * true with why = "". */
#define ROOF_HW_LEVEL_TOLERANCE 1.10
bool roof_hw_check(const roof_hw* hw, char* why, size_t n);

/* CPU model name from /proc/cpuinfo (or "unknown cpu"). */
void roof_hw_cpu_name(char* out, size_t n);
/* That name is the model name on x86-64, the core types' names on arm64 (cpu_info.h), with
 * " (emulated)" appended when roof_hw_emulated: an emulated probe is never cached as the host's.
 * roof_hw_emulated: whether this process runs under emulation (qemu-user), with the reason. */
bool roof_hw_emulated(char* why, size_t n);

/* The compute roof (G ops/s) of a layer computing in int8 (int8 true: int8 or uint8 operands
 * multiplied into int32) or not: peak_int8_gops when known, else peak_gflops. */
double roof_hw_peak_for(const roof_hw* hw, bool int8);

/* Bandwidth (GB/s) for a working set of `bytes`: the first cache level that holds it, else DRAM.
 * Writes the chosen level to *level. */
double roof_hw_bandwidth_for(const roof_hw* hw, uint64_t bytes, int* level);

#endif
