/* CPUs this process may use (see cpus.h). The online count alone is wrong under taskset or
 * in a container: threads beyond the allowed CPUs only take turns, and a spinning pool then
 * runs hundreds of times slower. */
#define _GNU_SOURCE 1
#include "cpus.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

static bool read_text(const char* path, char* buf, size_t n) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  bool ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  return ok;
}

bool roof_cgroup_cpu_max_parse(const char* text, double* cpus) {
  char quota[32];
  long long period = 0;
  if (text == NULL || sscanf(text, "%31s %lld", quota, &period) != 2 || period <= 0) return false;
  if (strcmp(quota, "max") == 0) {
    *cpus = 0.0;
    return true;
  }
  char* end;
  errno = 0;
  long long q = strtoll(quota, &end, 10);
  if (errno || *end || q <= 0) return false;
  *cpus = (double)q / (double)period;
  return true;
}

/* Quota of one cgroup directory in CPUs; 0 when it sets none (or has no such file). */
static double dir_quota(const char* dir, bool v2) {
  char path[1100], buf[128];
  double cpus = 0.0;
  snprintf(path, sizeof(path), "%s/%s", dir, v2 ? "cpu.max" : "cpu.cfs_quota_us");
  if (!read_text(path, buf, sizeof(buf))) return 0.0;
  if (v2) return roof_cgroup_cpu_max_parse(buf, &cpus) ? cpus : 0.0;
  long long quota = strtoll(buf, NULL, 10), period = 0;
  snprintf(path, sizeof(path), "%s/cpu.cfs_period_us", dir);
  if (read_text(path, buf, sizeof(buf))) period = strtoll(buf, NULL, 10);
  return quota > 0 && period > 0 ? (double)quota / (double)period : 0.0;
}

static double min_quota(double a, double b) { return a > 0 && (b <= 0 || a < b) ? a : b; }

/* Smallest quota from the directory base+rel up to base: a parent's quota caps its children. */
static double tree_quota(const char* base, const char* rel, bool v2) {
  char dir[1024];
  size_t base_len = strlen(base);
  snprintf(dir, sizeof(dir), "%s%s", base, rel);
  double best = 0.0;
  for (;;) {
    best = min_quota(dir_quota(dir, v2), best);
    char* slash = strrchr(dir, '/');
    if (slash == NULL || (size_t)(slash - dir) < base_len) break;
    *slash = '\0';
  }
  return best;
}

/* "cpu" among the comma-separated controllers of a cgroup v1 line ("cpu,cpuacct"). */
static bool has_cpu_controller(const char* list) {
  for (const char* p = list; p;) {
    if (strncmp(p, "cpu", 3) == 0 && (p[3] == ',' || p[3] == '\0')) return true;
    p = strchr(p, ',');
    if (p) p++;
  }
  return false;
}

/* The process's cgroup paths come from /proc/self/cgroup ("ID:CONTROLLERS:PATH"; v2 has no
 * controllers). In a cgroup namespace the path is "/" and the mount is the group itself. */
static double cgroup_quota(void) {
  FILE* f = fopen("/proc/self/cgroup", "r");
  if (f == NULL) return tree_quota(CGROUP_ROOT, "", true);
  char line[1024], base[512];
  double best = 0.0;
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    char* c1 = strchr(line, ':');
    char* c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL) continue;
    *c2 = '\0';
    const char *controllers = c1 + 1, *rel = c2 + 1;
    if (controllers[0] == '\0') {
      best = min_quota(tree_quota(CGROUP_ROOT, rel, true), best);
      best = min_quota(tree_quota(CGROUP_ROOT "/unified", rel, true), best); /* hybrid layout */
    } else if (has_cpu_controller(controllers)) {
      snprintf(base, sizeof(base), CGROUP_ROOT "/%s", controllers);
      best = min_quota(tree_quota(base, rel, false), best);
      best = min_quota(tree_quota(CGROUP_ROOT "/cpu", rel, false), best);
    }
  }
  fclose(f);
  return best;
}

uint32_t roof_cpus_allowed(uint32_t affinity, double quota_cpus) {
  uint32_t n = affinity ? affinity : 1;
  if (quota_cpus > 0 && quota_cpus < (double)n) {
    double c = ceil(quota_cpus);
    n = c >= 1.0 ? (uint32_t)c : 1;
  }
  return n;
}

/* The affinity mask, grown until the kernel's mask fits (EINVAL means too small). */
static cpu_set_t* affinity_mask(size_t* bytes, int* ncpus) {
  for (int n = 1024; n <= (1 << 20); n *= 2) {
    cpu_set_t* set = CPU_ALLOC(n);
    if (set == NULL) return NULL;
    size_t size = CPU_ALLOC_SIZE(n);
    if (sched_getaffinity(0, size, set) == 0) {
      *bytes = size;
      *ncpus = n;
      return set;
    }
    CPU_FREE(set);
    if (errno != EINVAL) return NULL;
  }
  return NULL;
}

void roof_cpu_list_format(bool (*has)(const void* ctx, int cpu), const void* ctx, int ncpus, char* out, size_t n) {
  size_t o = 0;
  out[0] = '\0';
  for (int c = 0; c < ncpus; c++) {
    if (!has(ctx, c)) continue;
    int e = c;
    while (e + 1 < ncpus && has(ctx, e + 1)) e++;
    char range[32];
    int len = e > c ? snprintf(range, sizeof(range), "%s%d-%d", o ? "," : "", c, e)
                    : snprintf(range, sizeof(range), "%s%d", o ? "," : "", c);
    if (o + (size_t)len + 4 > n) {
      snprintf(out + o, n - o, "...");
      return;
    }
    memcpy(out + o, range, (size_t)len + 1);
    o += (size_t)len;
    c = e;
  }
}

typedef struct mask_view {
  const cpu_set_t* set;
  size_t bytes;
} mask_view;

static bool mask_has(const void* ctx, int cpu) {
  const mask_view* m = ctx;
  return CPU_ISSET_S(cpu, m->bytes, m->set);
}

void roof_cpu_limits_get(roof_cpu_limits* out) {
  roof_cpu_limits l;
  memset(&l, 0, sizeof(l));
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  l.online = online > 0 ? (uint32_t)online : 1;
  l.affinity = l.online;
  size_t bytes = 0;
  int ncpus = 0;
  cpu_set_t* set = affinity_mask(&bytes, &ncpus);
  if (set) {
    int count = CPU_COUNT_S(bytes, set);
    if (count > 0) l.affinity = (uint32_t)count;
    mask_view view = {set, bytes};
    roof_cpu_list_format(mask_has, &view, ncpus, l.cpu_set, sizeof(l.cpu_set));
    CPU_FREE(set);
  }
  l.quota_cpus = cgroup_quota();
  l.allowed = roof_cpus_allowed(l.affinity, l.quota_cpus);
  *out = l;
}

uint32_t roof_default_threads(void) {
  roof_cpu_limits l;
  roof_cpu_limits_get(&l);
  return l.allowed;
}
