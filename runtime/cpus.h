/* CPUs this process may use: the affinity mask (taskset, --pin, a container's cpuset) and the
 * cgroup CPU quota (a container's --cpus), which both cap the threads worth starting.
 *
 * Thread-safety: every function reads only the process's own state and files under /proc
 * and /sys; all may be called from any thread. Nothing here allocates what the caller frees.
 */
#ifndef ROOF_CPUS_H
#define ROOF_CPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct roof_cpu_limits {
  uint32_t online;     /* online CPUs of the machine (sysconf), >= 1 */
  uint32_t affinity;   /* CPUs in the affinity mask; `online` when the mask cannot be read */
  double quota_cpus;   /* cgroup quota / period (CPUs' worth of time); 0: no quota */
  uint32_t allowed;    /* min(affinity, ceil(quota_cpus)), at least 1 */
  char cpu_set[256];   /* the affinity mask as a list, e.g. "0-1" or "0,2-3"; "" when unreadable
                        * (a longer list is cut at a CPU boundary and ends in "...") */
} roof_cpu_limits;

/* Reads the affinity mask (sized for any CPU count) and the cgroup quota: cgroup v2
 * cpu.max ("QUOTA PERIOD" or "max PERIOD"), else v1 cpu.cfs_quota_us / cpu.cfs_period_us
 * (quota -1: none), in the process's own cgroup, else at the mount's root. Always fills *out. */
void roof_cpu_limits_get(roof_cpu_limits* out);

/* Threads a session uses by default (roof_session_options.threads = 0, rooftop info and
 * probe): roof_cpu_limits_get()'s `allowed`. Never 0. */
uint32_t roof_default_threads(void);

/* min(affinity, ceil(quota_cpus)) when quota_cpus > 0, else affinity; at least 1 (0 inputs
 * count as 1). Pure: the rule of roof_cpu_limits.allowed. */
uint32_t roof_cpus_allowed(uint32_t affinity, double quota_cpus);

/* Parses a cgroup v2 cpu.max line ("200000 100000" or "max 100000"). true with *cpus =
 * quota / period (0 for "max") when the text is well formed, false otherwise. Pure. */
bool roof_cgroup_cpu_max_parse(const char* text, double* cpus);

/* "0-3,8": the CPUs c < ncpus for which has(ctx, c), as ranges; cut at a range boundary with
 * "..." when out (n > 0 bytes) is too small. Pure but for `has`. */
void roof_cpu_list_format(bool (*has)(const void* ctx, int cpu), const void* ctx, int ncpus, char* out, size_t n);

#endif
