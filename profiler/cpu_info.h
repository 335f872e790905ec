/* What CPU this is, portably: its name, its cache sizes and whether it is emulated.
 *
 * x86-64 names itself in /proc/cpuinfo's "model name". arm64 kernels print no name, only
 * "CPU implementer" / "CPU part" (the MIDR fields) per core: a small table of common cores
 * (roof_arm_core_find) names them and gives each a documented cache fallback, used when
 * neither sysfs (/sys/devices/system/cpu/cpu0/cache) nor glibc's sysconf reports a level,
 * which many ARM kernels do not.
 *
 * Under qemu-user an arm64 binary reads the x86 host's /proc/cpuinfo; timings there mean
 * nothing, and the probe and profile say so (roof_hw_emulated).
 *
 * Thread-safety: the parsers are pure; the others read /proc, /sys and the environment only.
 */
#ifndef ROOF_CPU_INFO_H
#define ROOF_CPU_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct roof_arm_core {
  unsigned implementer, part; /* MIDR_EL1 fields: 0x41 = Arm Ltd, part 0xd0b = Cortex-A76 */
  const char* vendor;         /* "ARM" */
  const char* name;           /* "Cortex-A76" */
  /* Common configuration per core (L1d; L2 private or per cluster; L3 reachable by one core,
   * 0 when the design has none), from Arm's reference manuals and the named SoCs. */
  uint64_t l1, l2, l3;
  /* Performance class, to order core types known only by their parts (core_types.h):
   * 1 small in-order (Cortex-A53, A55, A510), 2 big out-of-order, 3 prime (Cortex-X). */
  int perf_class;
} roof_arm_core;

/* The table entry for implementer/part, or NULL. */
const roof_arm_core* roof_arm_core_find(unsigned implementer, unsigned part);

/* CPU name from the text of /proc/cpuinfo: "model name" (x86), else the implementer/part of
 * every core, named by the table and joined by " + " for a big.LITTLE system in the order the
 * kernel lists them ("ARM Cortex-A55 + Cortex-A76"; "ARM part 0xd4f" when not in the table),
 * else "unknown cpu". */
void roof_cpu_name_parse(const char* cpuinfo, char* out, size_t n);

/* First core's implementer and part from /proc/cpuinfo text; false when absent (x86). */
bool roof_cpuinfo_arm_ids(const char* cpuinfo, unsigned* implementer, unsigned* part);

/* Per processor of /proc/cpuinfo text (its "processor : N" blocks, N < max): present[N] set,
 * and ids[N] = {implementer, part} with has_ids[N] when the block gives both (arm64). Pure. */
void roof_cpuinfo_processors(const char* cpuinfo, int max, bool* present, unsigned (*ids)[2], bool* has_ids);

/* Whether this process runs under emulation, given /proc/cpuinfo's text: an arm64 build that
 * reads an x86 /proc/cpuinfo (no "CPU implementer", a "vendor_id" or "flags" line) is qemu-user;
 * so is an x86-64 build reading an ARM one. The environment hint ROOFTOP_EMULATED=1 (set by the
 * arm64 test stage) says so too. why gets a one-line reason when true. */
bool roof_cpuinfo_emulated(const char* cpuinfo, char* why, size_t n);

/* roof_hw_emulated (hw.h) is the same for this process. */

/* /proc/cpuinfo into a malloc'ed NUL-terminated string (NULL when unreadable). */
char* roof_cpuinfo_read(void);
/* The same from another path (a test tree's proc/cpuinfo); procfs files report no size, so
 * the buffer grows as it reads (4 MiB at most). */
char* roof_cpuinfo_read_from(const char* path);

/* Data cache capacity of `level` (1, 2, 3) seen by CPU 0: sysfs, else glibc's sysconf, else
 * the arm64 core table. 0 when unknown; *absent (may be NULL) is set when the table says the
 * core has no such level. */
uint64_t roof_cpu_cache_bytes(int level, bool* absent);

#endif
