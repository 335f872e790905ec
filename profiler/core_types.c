/* Core types of heterogeneous CPUs; see core_types.h. */
#include "core_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_info.h"
#include "cpus.h"

#define CPU_DIR "/sys/devices/system/cpu"

static const char* root_of(const char* root) {
  if (root) return root;
  const char* env = getenv("ROOFTOP_SYS_ROOT");
  return env ? env : "";
}

/* A small sysfs file's first line into buf; false when absent or empty. */
static bool read_line(const char* path, char* buf, size_t n) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  bool ok = fgets(buf, (int)n, f) != NULL;
  fclose(f);
  return ok && buf[0] != '\0' && buf[0] != '\n';
}

static bool read_u32(const char* path, uint32_t* out) {
  char buf[64], *end;
  if (!read_line(path, buf, sizeof(buf))) return false;
  unsigned long v = strtoul(buf, &end, 10);
  if (end == buf || v > UINT32_MAX) return false;
  *out = (uint32_t)v;
  return true;
}

static void set_bit(uint64_t* mask, int c) { mask[c / 64] |= 1ull << (c % 64); }

bool roof_core_type_has(const roof_core_type* ty, int c) {
  return c >= 0 && c < ROOF_MAX_TYPED_CPUS && (ty->mask[c / 64] >> (c % 64) & 1u);
}

/* "0-3,6": sysfs's CPU list syntax into online[]; false when malformed. */
static bool parse_list(const char* text, bool* online) {
  const char* p = text;
  bool any = false;
  while (*p && *p != '\n') {
    char* end;
    long a = strtol(p, &end, 10), b = a;
    if (end == p || a < 0) return false;
    if (*end == '-') {
      p = end + 1;
      b = strtol(p, &end, 10);
      if (end == p || b < a) return false;
    }
    for (long c = a; c <= b && c < ROOF_MAX_TYPED_CPUS; c++) online[c] = any = true;
    if (*end != ',' && *end != '\n' && *end != '\0') return false;
    p = *end == ',' ? end + 1 : end;
  }
  return any;
}

static bool type_has(const void* ctx, int c) { return roof_core_type_has(ctx, c); }

/* What is known of each online CPU. */
typedef struct cpu_facts {
  bool online[ROOF_MAX_TYPED_CPUS];
  uint32_t capacity[ROOF_MAX_TYPED_CPUS], khz[ROOF_MAX_TYPED_CPUS];
  bool has_capacity[ROOF_MAX_TYPED_CPUS], has_khz[ROOF_MAX_TYPED_CPUS];
  unsigned ids[ROOF_MAX_TYPED_CPUS][2];
  bool has_ids[ROOF_MAX_TYPED_CPUS];
} cpu_facts;

static void read_facts(const char* root, cpu_facts* f) {
  char path[4096], buf[4096];
  memset(f, 0, sizeof(*f));
  bool present[ROOF_MAX_TYPED_CPUS];
  snprintf(path, sizeof(path), "%s/proc/cpuinfo", root);
  char* cpuinfo = roof_cpuinfo_read_from(path);
  bool have_cpuinfo = cpuinfo != NULL;
  if (have_cpuinfo) roof_cpuinfo_processors(cpuinfo, ROOF_MAX_TYPED_CPUS, present, f->ids, f->has_ids);
  free(cpuinfo);
  snprintf(path, sizeof(path), "%s" CPU_DIR "/online", root);
  if (!read_line(path, buf, sizeof(buf)) || !parse_list(buf, f->online)) {
    bool any = false;
    for (int c = 0; have_cpuinfo && c < ROOF_MAX_TYPED_CPUS; c++) any |= f->online[c] = present[c];
    if (!any) { /* neither: the CPUs glibc counts */
      long n = sysconf(_SC_NPROCESSORS_ONLN);
      for (long c = 0; c < (n > 0 ? n : 1) && c < ROOF_MAX_TYPED_CPUS; c++) f->online[c] = true;
    }
  }
  for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
    if (!f->online[c]) continue;
    snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cpu_capacity", root, c);
    f->has_capacity[c] = read_u32(path, &f->capacity[c]) && f->capacity[c] > 0;
    snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cpufreq/cpuinfo_max_freq", root, c);
    f->has_khz[c] = read_u32(path, &f->khz[c]) && f->khz[c] > 0;
  }
}

enum { SRC_CAPACITY, SRC_FREQ, SRC_PART, SRC_NONE };
static const char* const kSourceNames[] = {"cpu_capacity", "cpuinfo_max_freq", "cpu part", "none"};

/* A CPU's speed rank under the source: larger is faster. */
static uint64_t rank_of(const cpu_facts* f, int src, int c) {
  if (src == SRC_CAPACITY) return f->capacity[c];
  if (src == SRC_FREQ) return f->khz[c];
  if (src == SRC_PART) {
    const roof_arm_core* core = roof_arm_core_find(f->ids[c][0], f->ids[c][1]);
    /* class first, then the part number: a newer part of one class is usually the faster */
    return (uint64_t)(core ? core->perf_class : 0) << 32 | (uint64_t)f->ids[c][0] << 16 | f->ids[c][1];
  }
  return 0;
}

/* Whether CPU c joins a group whose fastest member has rank `top` (CPUs are visited fastest
 * first). Frequencies within 10% are one type; the other sources must agree exactly. */
static bool same_type(int src, uint64_t top, uint64_t r) {
  if (src == SRC_FREQ) return r * 10 >= top * 9;
  return r == top;
}

static void fill_type(const cpu_facts* f, roof_core_type* ty) {
  ty->first_cpu = -1;
  for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
    if (!roof_core_type_has(ty, c)) continue;
    if (ty->first_cpu < 0) ty->first_cpu = c;
    ty->num_cpus++;
    if (f->has_khz[c] && f->khz[c] / 1000 > ty->max_mhz) ty->max_mhz = f->khz[c] / 1000;
  }
  int c = ty->first_cpu;
  if (c < 0) return;
  ty->capacity = f->has_capacity[c] ? f->capacity[c] : 0;
  if (f->has_ids[c]) {
    ty->implementer = f->ids[c][0];
    ty->part = f->ids[c][1];
    const roof_arm_core* core = roof_arm_core_find(ty->implementer, ty->part);
    if (core) snprintf(ty->core, sizeof(ty->core), "%s", core->name);
    else snprintf(ty->core, sizeof(ty->core), "part 0x%03x", ty->part);
  }
  roof_cpu_list_format(type_has, ty, ROOF_MAX_TYPED_CPUS, ty->cpus, sizeof(ty->cpus));
}

void roof_core_types_detect(const char* root, roof_core_types* out) {
  cpu_facts* f = calloc(1, sizeof(*f));
  memset(out, 0, sizeof(*out));
  out->count = 1;
  out->source = kSourceNames[SRC_NONE];
  if (f == NULL) { /* no detail: one type, no CPU named */
    out->type[0].first_cpu = -1;
    return;
  }
  read_facts(root_of(root), f);
  int src = SRC_NONE;
  bool all[3] = {true, true, true}, any = false;
  for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
    if (!f->online[c]) continue;
    any = true;
    all[SRC_CAPACITY] &= f->has_capacity[c];
    all[SRC_FREQ] &= f->has_khz[c];
    all[SRC_PART] &= f->has_ids[c];
  }
  for (int s = SRC_CAPACITY; s < SRC_NONE && any; s++) {
    if (all[s]) {
      src = s;
      break;
    }
  }
  /* Groups, fastest first: repeatedly take the fastest CPU not yet typed and every CPU of its
   * type (at most a few types, so the passes over the CPUs stay cheap). */
  bool typed[ROOF_MAX_TYPED_CPUS] = {false};
  int count = 0;
  for (;;) {
    int best = -1;
    for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
      if (f->online[c] && !typed[c] && (best < 0 || rank_of(f, src, c) > rank_of(f, src, best))) best = c;
    }
    if (best < 0) break;
    if (count == ROOF_MAX_CORE_TYPES) { /* too many to be core types: treat the CPUs as one */
      count = 0;
      src = SRC_NONE;
      memset(out->type, 0, sizeof(out->type));
      memset(typed, 0, sizeof(typed));
      continue;
    }
    roof_core_type* ty = &out->type[count++];
    uint64_t top = rank_of(f, src, best);
    for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
      if (f->online[c] && !typed[c] && same_type(src, top, rank_of(f, src, c))) {
        typed[c] = true;
        set_bit(ty->mask, c);
      }
    }
  }
  out->count = count > 0 ? count : 1;
  out->source = kSourceNames[src];
  for (int i = 0; i < count; i++) fill_type(f, &out->type[i]);
  if (count == 0) out->type[0].first_cpu = -1;
  free(f);
}

const char* roof_core_type_role(const roof_core_types* t, int i) {
  if (t->count <= 1) return "one";
  if (i == 0) return "big";
  return i == t->count - 1 ? "little" : "mid";
}

int roof_core_type_by_role(const roof_core_types* t, const char* role) {
  if (strcmp(role, "big") == 0) return 0;
  if (strcmp(role, "little") == 0) return t->count - 1;
  return -1;
}

void roof_core_type_describe(const roof_core_types* t, int i, char* out, size_t n) {
  const roof_core_type* ty = &t->type[i];
  int o = snprintf(out, n, "%s CPUs %s", t->count > 1 ? roof_core_type_role(t, i) : "one core type,",
                   ty->cpus[0] ? ty->cpus : "?");
#define MORE(...) \
  if (o >= 0 && (size_t)o < n) o += snprintf(out + o, n - (size_t)o, __VA_ARGS__)
  if (ty->core[0]) MORE(", %s", ty->core);
  if (ty->capacity) MORE(", capacity %u", ty->capacity);
  if (ty->max_mhz) MORE(", %u MHz", ty->max_mhz);
#undef MORE
}

unsigned roof_core_types_in_list(const roof_core_types* t, const char* list) {
  bool cpus[ROOF_MAX_TYPED_CPUS] = {false};
  unsigned used = 0;
  if (list == NULL || !parse_list(list, cpus)) return 0;
  for (int c = 0; c < ROOF_MAX_TYPED_CPUS; c++) {
    for (int i = 0; cpus[c] && i < t->count; i++) {
      if (roof_core_type_has(&t->type[i], c)) used |= 1u << i;
    }
  }
  return used;
}

void roof_core_types_roles(const roof_core_types* t, unsigned used, char* out, size_t n) {
  size_t o = 0;
  if (n == 0) return;
  out[0] = '\0';
  for (int i = 0; i < t->count && o < n; i++) {
    if (used >> i & 1u) o += (size_t)snprintf(out + o, n - o, "%s%s", o ? "+" : "", roof_core_type_role(t, i));
  }
}

uint64_t roof_core_cache_bytes(const char* root, int cpu, int level) {
  const char* r = root_of(root);
  for (int idx = 0; idx < 8; idx++) {
    char path[4200], buf[64];
    snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cache/index%d/level", r, cpu, idx);
    uint32_t lv = 0;
    if (!read_u32(path, &lv)) {
      snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cache/index%d", r, cpu, idx);
      if (access(path, F_OK) != 0) break;
      continue;
    }
    if ((int)lv != level) continue;
    snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cache/index%d/type", r, cpu, idx);
    if (read_line(path, buf, sizeof(buf)) && strncmp(buf, "Instruction", 11) == 0) continue;
    snprintf(path, sizeof(path), "%s" CPU_DIR "/cpu%d/cache/index%d/size", r, cpu, idx);
    if (!read_line(path, buf, sizeof(buf))) continue;
    char* end;
    unsigned long long kb = strtoull(buf, &end, 10);
    if (end == buf) continue;
    return *end == 'M' ? kb << 20 : kb << 10; /* "48K"; a bare number is KiB too */
  }
  return 0;
}
