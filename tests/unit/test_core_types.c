/* Core type detection (profiler/core_types.h) on fake sysfs/procfs trees written here: a 4+4
 * phone-like layout told apart by cpu_capacity, a 1+3+4 layout by cpufreq alone and again by
 * /proc/cpuinfo parts alone, a tree with nothing, and too many distinct capacities; per-CPU
 * cache sizes; the ROOFTOP_SYS_ROOT hook.
 * usage: test_core_types WORK_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core_types.h"

static char work[2048];

/* Writes text to ROOT/rel, making the directories on the way. */
static void put(const char* root, const char* rel, const char* text) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", root, rel);
  for (char* p = path + strlen(root) + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
  FILE* f = fopen(path, "w");
  CHECK(f != NULL, "cannot write %s", path);
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

static void put_cpu(const char* root, int cpu, const char* file, const char* text) {
  char rel[256];
  snprintf(rel, sizeof(rel), "sys/devices/system/cpu/cpu%d/%s", cpu, file);
  put(root, rel, text);
}

/* proc/cpuinfo of arm64 form: parts[c] for processor c. */
static void put_cpuinfo(const char* root, const unsigned* parts, int n) {
  char text[8192];
  size_t o = 0;
  for (int c = 0; c < n; c++) {
    o += (size_t)snprintf(text + o, sizeof(text) - o,
                          "processor\t: %d\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU architecture: 8\n"
                          "CPU variant\t: 0x1\nCPU part\t: 0x%03x\nCPU revision\t: 0\n\n",
                          c, parts[c]);
  }
  put(root, "proc/cpuinfo", text);
}

static const char* make_root(const char* name) {
  static char root[4][2100];
  static int next;
  char* r = root[next++ % 4];
  snprintf(r, sizeof(root[0]), "%s/%s", work, name);
  mkdir(r, 0755);
  return r;
}

static void expect_type(const roof_core_types* t, int i, const char* role, const char* cpus, uint32_t n,
                        const char* core, uint32_t capacity, uint32_t mhz) {
  const roof_core_type* ty = &t->type[i];
  CHECK(strcmp(roof_core_type_role(t, i), role) == 0, "type %d is %s, want %s", i, roof_core_type_role(t, i), role);
  CHECK(strcmp(ty->cpus, cpus) == 0 && ty->num_cpus == n, "type %d: CPUs %s (%u), want %s (%u)", i, ty->cpus,
        ty->num_cpus, cpus, n);
  CHECK(strcmp(ty->core, core) == 0, "type %d: core '%s', want '%s'", i, ty->core, core);
  CHECK(ty->capacity == capacity && ty->max_mhz == mhz, "type %d: capacity %u, %u MHz; want %u, %u", i, ty->capacity,
        ty->max_mhz, capacity, mhz);
}

/* 4 x Cortex-A55 (CPUs 0-3, capacity 446, 1.8 GHz) + 4 x Cortex-A76 (4-7, 1024, 2.4 GHz), with
 * caches: 128 KiB L2 on the small cores, 512 KiB on the big ones. */
static const char* tree_4_4(void) {
  const char* r = make_root("t44");
  static const unsigned parts[8] = {0xd05, 0xd05, 0xd05, 0xd05, 0xd0b, 0xd0b, 0xd0b, 0xd0b};
  put(r, "sys/devices/system/cpu/online", "0-7\n");
  put_cpuinfo(r, parts, 8);
  for (int c = 0; c < 8; c++) {
    bool big = c >= 4;
    put_cpu(r, c, "cpu_capacity", big ? "1024\n" : "446\n");
    put_cpu(r, c, "cpufreq/cpuinfo_max_freq", big ? "2400000\n" : "1800000\n");
    put_cpu(r, c, "cache/index0/level", "1\n");
    put_cpu(r, c, "cache/index0/type", "Data\n");
    put_cpu(r, c, "cache/index0/size", big ? "64K\n" : "32K\n");
    put_cpu(r, c, "cache/index1/level", "1\n");
    put_cpu(r, c, "cache/index1/type", "Instruction\n");
    put_cpu(r, c, "cache/index1/size", "999K\n");
    put_cpu(r, c, "cache/index2/level", "2\n");
    put_cpu(r, c, "cache/index2/type", "Unified\n");
    put_cpu(r, c, "cache/index2/size", big ? "512K\n" : "128K\n");
  }
  return r;
}

static void test_4_4(void) {
  const char* r = tree_4_4();
  roof_core_types t;
  roof_core_types_detect(r, &t);
  CHECK(t.count == 2 && strcmp(t.source, "cpu_capacity") == 0, "4+4: %d types from %s", t.count, t.source);
  if (t.count != 2) return;
  expect_type(&t, 0, "big", "4-7", 4, "Cortex-A76", 1024, 2400);
  expect_type(&t, 1, "little", "0-3", 4, "Cortex-A55", 446, 1800);
  CHECK(roof_core_type_by_role(&t, "big") == 0 && roof_core_type_by_role(&t, "little") == 1 &&
            roof_core_type_by_role(&t, "mid") == -1,
        "roles");
  CHECK(roof_core_type_has(&t.type[0], 5) && !roof_core_type_has(&t.type[0], 3) && roof_core_type_has(&t.type[1], 0),
        "masks");
  char d[160];
  roof_core_type_describe(&t, 0, d, sizeof(d));
  CHECK(strcmp(d, "big CPUs 4-7, Cortex-A76, capacity 1024, 2400 MHz") == 0, "describe: '%s'", d);
  CHECK(roof_core_cache_bytes(r, 4, 2) == 512 << 10 && roof_core_cache_bytes(r, 0, 2) == 128 << 10,
        "L2 per type: %llu, %llu", (unsigned long long)roof_core_cache_bytes(r, 4, 2),
        (unsigned long long)roof_core_cache_bytes(r, 0, 2));
  CHECK(roof_core_cache_bytes(r, 0, 1) == 32 << 10, "L1d skips the instruction cache: %llu",
        (unsigned long long)roof_core_cache_bytes(r, 0, 1));
  CHECK(roof_core_cache_bytes(r, 0, 3) == 0, "no L3 in the tree");

  unsigned used = roof_core_types_in_list(&t, "0-1");
  char roles[64];
  roof_core_types_roles(&t, used, roles, sizeof(roles));
  CHECK(used == 2u && strcmp(roles, "little") == 0, "CPUs 0-1: types %#x (%s)", used, roles);
  used = roof_core_types_in_list(&t, "3,5");
  roof_core_types_roles(&t, used, roles, sizeof(roles));
  CHECK(used == 3u && strcmp(roles, "big+little") == 0, "CPUs 3,5: types %#x (%s)", used, roles);
  CHECK(roof_core_types_in_list(&t, "") == 0 && roof_core_types_in_list(&t, "x") == 0, "bad lists use no type");

  /* the test hook: NULL reads the environment's root */
  setenv("ROOFTOP_SYS_ROOT", r, 1);
  roof_core_types_detect(NULL, &t);
  CHECK(t.count == 2 && t.type[0].capacity == 1024, "ROOFTOP_SYS_ROOT: %d types", t.count);
  unsetenv("ROOFTOP_SYS_ROOT");

  /* an offline CPU belongs to no type */
  put(r, "sys/devices/system/cpu/online", "0-2,4-7\n");
  roof_core_types_detect(r, &t);
  CHECK(t.count == 2 && strcmp(t.type[1].cpus, "0-2") == 0 && t.type[1].num_cpus == 3, "offline CPU 3: little is %s",
        t.type[1].cpus);
}

/* 1 x Cortex-X1 (CPU 7, 3.0 GHz) + 3 x Cortex-A78 (4-6, 2.4 GHz, CPU 5 favoured at 2.5) + 4 x
 * Cortex-A55 (0-3, 1.8 GHz), without cpu_capacity; then the same told by parts alone. */
static void test_1_3_4(void) {
  const char* r = make_root("t134");
  static const unsigned parts[8] = {0xd05, 0xd05, 0xd05, 0xd05, 0xd41, 0xd41, 0xd41, 0xd44};
  static const char* const khz[8] = {"1800000", "1800000", "1800000", "1800000", "2400000", "2500000", "2400000", "3000000"};
  put(r, "sys/devices/system/cpu/online", "0-7\n");
  put_cpuinfo(r, parts, 8);
  for (int c = 0; c < 8; c++) put_cpu(r, c, "cpufreq/cpuinfo_max_freq", khz[c]);
  roof_core_types t;
  roof_core_types_detect(r, &t);
  CHECK(t.count == 3 && strcmp(t.source, "cpuinfo_max_freq") == 0, "1+3+4 by frequency: %d types from %s", t.count,
        t.source);
  if (t.count == 3) {
    expect_type(&t, 0, "big", "7", 1, "Cortex-X1", 0, 3000);
    expect_type(&t, 1, "mid", "4-6", 3, "Cortex-A78", 0, 2500);
    expect_type(&t, 2, "little", "0-3", 4, "Cortex-A55", 0, 1800);
  }

  const char* p = make_root("t134parts"); /* no sysfs at all: processors and parts only */
  put_cpuinfo(p, parts, 8);
  roof_core_types_detect(p, &t);
  CHECK(t.count == 3 && strcmp(t.source, "cpu part") == 0, "1+3+4 by parts: %d types from %s", t.count, t.source);
  if (t.count == 3) {
    expect_type(&t, 0, "big", "7", 1, "Cortex-X1", 0, 0);
    expect_type(&t, 1, "mid", "4-6", 3, "Cortex-A78", 0, 0);
    expect_type(&t, 2, "little", "0-3", 4, "Cortex-A55", 0, 0);
    CHECK(roof_core_type_by_role(&t, "little") == 2, "little is the last type");
  }
}

/* Nothing at all: one type over the CPUs glibc counts. Ten distinct capacities: one type. */
static void test_degenerate(void) {
  const char* r = make_root("empty");
  roof_core_types t;
  roof_core_types_detect(r, &t);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  CHECK(t.count == 1 && strcmp(t.source, "none") == 0, "empty tree: %d types from %s", t.count, t.source);
  CHECK(t.type[0].num_cpus == (uint32_t)(n > 0 ? n : 1) && t.type[0].first_cpu == 0, "empty tree: %u CPUs, want %ld",
        t.type[0].num_cpus, n);
  CHECK(strcmp(roof_core_type_role(&t, 0), "one") == 0 && roof_core_type_by_role(&t, "big") == 0 &&
            roof_core_type_by_role(&t, "little") == 0,
        "one type is both big and little");
  char d[160];
  roof_core_type_describe(&t, 0, d, sizeof(d));
  CHECK(strncmp(d, "one core type, CPUs 0", 21) == 0, "describe: '%s'", d);

  const char* m = make_root("many");
  put(m, "sys/devices/system/cpu/online", "0-9\n");
  for (int c = 0; c < 10; c++) {
    char cap[16];
    snprintf(cap, sizeof(cap), "%d\n", 100 + 90 * c);
    put_cpu(m, c, "cpu_capacity", cap);
  }
  roof_core_types_detect(m, &t);
  CHECK(t.count == 1 && strcmp(t.source, "none") == 0 && strcmp(t.type[0].cpus, "0-9") == 0,
        "ten capacities: %d types from %s, CPUs %s", t.count, t.source, t.type[0].cpus);

  /* equal capacities everywhere (an x86 kernel exposing 1024 on each CPU): one type */
  const char* e = make_root("equal");
  put(e, "sys/devices/system/cpu/online", "0-1\n");
  put_cpu(e, 0, "cpu_capacity", "1024\n");
  put_cpu(e, 1, "cpu_capacity", "1024\n");
  roof_core_types_detect(e, &t);
  CHECK(t.count == 1 && strcmp(t.source, "cpu_capacity") == 0 && strcmp(t.type[0].cpus, "0-1") == 0,
        "equal capacities: %d types from %s", t.count, t.source);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_core_types WORK_DIR\n");
    return 2;
  }
  snprintf(work, sizeof(work), "%s", argv[1]);
  mkdir(work, 0755);
  test_4_4();
  test_1_3_4();
  test_degenerate();
  if (failures) fprintf(stderr, "%d failures\n", failures);
  else printf("ok: core types of 4+4, 1+3+4 (frequency, parts), empty, many and equal trees\n");
  return failures ? 1 : 0;
}
