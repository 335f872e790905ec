/* Core types of a heterogeneous (big.LITTLE, DynamIQ) CPU: which CPUs are fast, which slow.
 *
 * Detection, per online CPU, from the first source every online CPU has:
 *   1. sysfs cpu_capacity (sys/devices/system/cpu/cpuN/cpu_capacity, 1024 for the fastest):
 *      one type per distinct value;
 *   2. cpufreq's cpuinfo_max_freq (kHz): values within 10% of a group's highest join it (a
 *      core type's "favoured" cores may boost a little higher than their siblings);
 *   3. /proc/cpuinfo's CPU implementer/part per processor: one type per part, ordered by the
 *      core table's performance class (profiler/cpu_info.c), then by part number.
 * With none of them every online CPU is one type (source "none"). Types are ordered fastest
 * first: type[0] is "big", type[count-1] "little", any between "mid". Whatever the source, each
 * type also carries the capacity, maximum frequency and core name of its CPUs when known.
 *
 * Test hook: the environment variable ROOFTOP_SYS_ROOT names a directory that stands for "/"
 * when core types are read (its sys/devices/system/cpu/... and proc/cpuinfo), so that tests
 * describe a 4+4 or 1+3+4 machine with a few files. Unset in normal use.
 *
 * Thread-safety: reads files only; the results are the caller's.
 */
#ifndef ROOF_CORE_TYPES_H
#define ROOF_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOF_MAX_CORE_TYPES 8
#define ROOF_MAX_TYPED_CPUS 1024 /* CPUs beyond are left out of every type */

typedef struct roof_core_type {
  uint64_t mask[ROOF_MAX_TYPED_CPUS / 64]; /* its CPUs */
  char cpus[128];     /* the same as a list, "4-7" (cut with "..." when longer) */
  uint32_t num_cpus;
  int first_cpu;
  uint32_t capacity;  /* cpu_capacity of its first CPU; 0 unknown */
  uint32_t max_mhz;   /* highest cpuinfo_max_freq among its CPUs, MHz; 0 unknown */
  unsigned implementer, part; /* MIDR fields of its first CPU; 0 unknown (x86) */
  char core[48];      /* "Cortex-A76" (the core table), "part 0xd4f", or "" unknown */
} roof_core_type;

typedef struct roof_core_types {
  int count;          /* >= 1 */
  const char* source; /* "cpu_capacity", "cpuinfo_max_freq", "cpu part" or "none" */
  roof_core_type type[ROOF_MAX_CORE_TYPES]; /* fastest first */
} roof_core_types;

/* Detects the types under `root` ("" or NULL: the real "/" unless ROOFTOP_SYS_ROOT is set).
 * Online CPUs come from sys/devices/system/cpu/online, else the processor lines of
 * proc/cpuinfo, else sysconf. More distinct types than ROOF_MAX_CORE_TYPES: one type, source
 * "none". Always fills *out. */
void roof_core_types_detect(const char* root, roof_core_types* out);

/* "big", "mid", "little" by position, or "one" when count is 1. */
const char* roof_core_type_role(const roof_core_types* t, int i);

/* Index of "big" (the fastest type) or "little" (the slowest); -1 for any other word. */
int roof_core_type_by_role(const roof_core_types* t, const char* role);

/* Bit i set when the CPU list ("0-1,4", sysfs syntax) holds a CPU of type i; 0 when the
 * list is malformed or empty. */
unsigned roof_core_types_in_list(const roof_core_types* t, const char* list);

/* The roles of the types in `used` joined by "+" ("little", "big+little"), "" when none. */
void roof_core_types_roles(const roof_core_types* t, unsigned used, char* out, size_t n);

/* Whether CPU c belongs to type i. */
bool roof_core_type_has(const roof_core_type* ty, int c);

/* One line describing type i, e.g. "big CPUs 4-7, Cortex-A76, capacity 1024, 2400 MHz"
 * (the known figures only); "one core type, CPUs 0-1, ..." when there is one. */
void roof_core_type_describe(const roof_core_types* t, int i, char* out, size_t n);

/* Cache capacity of `level` (1..3, data or unified) of CPU `cpu` under the root (as
 * roof_core_types_detect) from sysfs; 0 when not exposed. */
uint64_t roof_core_cache_bytes(const char* root, int cpu, int level);

#endif
