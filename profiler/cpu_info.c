/* CPU name, caches and emulation; see cpu_info.h. */
#include "cpu_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_types.h"
#include "hw.h"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)

/* Sizes: Arm's Technical Reference Manuals give each core's configurable range; the figure
 * here is the common one, named SoC in the comment. */
static const roof_arm_core kArmCores[] = {
    {0x41, 0xd03, "ARM", "Cortex-A53", KIB(32), KIB(512), 0, 1},       /* Raspberry Pi 3: 512 KiB L2 */
    {0x41, 0xd05, "ARM", "Cortex-A55", KIB(32), KIB(128), MIB(1), 1},  /* DSU L3 per cluster */
    {0x41, 0xd07, "ARM", "Cortex-A57", KIB(32), MIB(2), 0, 2},
    {0x41, 0xd08, "ARM", "Cortex-A72", KIB(32), MIB(1), 0, 2},         /* Raspberry Pi 4 (BCM2711): 1 MiB L2 */
    {0x41, 0xd09, "ARM", "Cortex-A73", KIB(64), MIB(1), 0, 2},
    {0x41, 0xd0a, "ARM", "Cortex-A75", KIB(64), KIB(256), MIB(1), 2},
    {0x41, 0xd0b, "ARM", "Cortex-A76", KIB(64), KIB(512), MIB(2), 2},  /* Raspberry Pi 5 (BCM2712): 2 MiB L3 */
    {0x41, 0xd0c, "ARM", "Neoverse-N1", KIB(64), MIB(1), MIB(32), 2},  /* AWS Graviton2: 32 MiB LLC */
    {0x41, 0xd0d, "ARM", "Cortex-A77", KIB(64), KIB(512), MIB(2), 2},
    {0x41, 0xd40, "ARM", "Neoverse-V1", KIB(64), MIB(1), MIB(32), 2},  /* AWS Graviton3: 32 MiB L3 */
    {0x41, 0xd41, "ARM", "Cortex-A78", KIB(64), KIB(512), MIB(4), 2},
    {0x41, 0xd44, "ARM", "Cortex-X1", KIB(64), MIB(1), MIB(4), 3},
    {0x41, 0xd46, "ARM", "Cortex-A510", KIB(32), KIB(256), MIB(2), 1},
    {0x41, 0xd47, "ARM", "Cortex-A710", KIB(64), KIB(512), MIB(4), 2},
    {0x41, 0xd48, "ARM", "Cortex-X2", KIB(64), MIB(1), MIB(4), 3},
    {0x41, 0xd49, "ARM", "Neoverse-N2", KIB(64), MIB(1), MIB(32), 2},
    {0x41, 0xd4f, "ARM", "Neoverse-V2", KIB(64), MIB(2), MIB(32), 2},  /* AWS Graviton4 */
    {0x61, 0x022, "Apple", "M1 Icestorm", KIB(64), MIB(4), 0, 1},
    {0x61, 0x023, "Apple", "M1 Firestorm", KIB(128), MIB(12), 0, 3},
};

const roof_arm_core* roof_arm_core_find(unsigned implementer, unsigned part) {
  for (size_t i = 0; i < sizeof(kArmCores) / sizeof(kArmCores[0]); i++) {
    if (kArmCores[i].implementer == implementer && kArmCores[i].part == part) return &kArmCores[i];
  }
  return NULL;
}

/* The value of the line starting at `line` if its key is `key` ("key\t: value"), else NULL;
 * *len gets the value's length up to the end of the line. */
static const char* field(const char* line, const char* key, size_t* len) {
  size_t k = strlen(key);
  if (strncmp(line, key, k) != 0) return NULL;
  const char* p = line + k;
  while (*p == ' ' || *p == '\t') p++;
  if (*p != ':') return NULL;
  p++;
  while (*p == ' ' || *p == '\t') p++;
  *len = strcspn(p, "\n");
  return p;
}

/* Iterates `line` over the starts of the lines of text. */
#define FOR_LINES(text, line) \
  for (const char* line = (text); line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)

static bool has_key(const char* text, const char* key) {
  size_t len;
  FOR_LINES(text, line) {
    if (field(line, key, &len)) return true;
  }
  return false;
}

bool roof_cpuinfo_arm_ids(const char* cpuinfo, unsigned* implementer, unsigned* part) {
  bool got_impl = false;
  size_t len;
  FOR_LINES(cpuinfo, line) {
    const char* v;
    if (!got_impl && (v = field(line, "CPU implementer", &len))) {
      *implementer = (unsigned)strtoul(v, NULL, 0);
      got_impl = true;
    } else if (got_impl && (v = field(line, "CPU part", &len))) {
      *part = (unsigned)strtoul(v, NULL, 0);
      return true;
    }
  }
  return false;
}

void roof_cpuinfo_processors(const char* cpuinfo, int max, bool* present, unsigned (*ids)[2], bool* has_ids) {
  for (int i = 0; i < max; i++) present[i] = has_ids[i] = false;
  long cur = -1;
  bool impl_seen = false;
  size_t len;
  FOR_LINES(cpuinfo, line) {
    const char* v;
    if ((v = field(line, "processor", &len))) {
      char* end;
      cur = strtol(v, &end, 10);
      if (end == v || cur < 0 || cur >= max) cur = -1; /* x86 and arm64 number them; others may not */
      if (cur >= 0) present[cur] = true;
      impl_seen = false;
    } else if (cur >= 0 && (v = field(line, "CPU implementer", &len))) {
      ids[cur][0] = (unsigned)strtoul(v, NULL, 0);
      impl_seen = true;
    } else if (cur >= 0 && impl_seen && (v = field(line, "CPU part", &len))) {
      ids[cur][1] = (unsigned)strtoul(v, NULL, 0);
      has_ids[cur] = true;
    }
  }
}

/* Appends " + name" (or the vendor and name for the first) unless that core type is listed. */
static void add_core(char* out, size_t n, unsigned impl, unsigned part, unsigned seen[][2], int* nseen) {
  for (int i = 0; i < *nseen; i++) {
    if (seen[i][0] == impl && seen[i][1] == part) return;
  }
  if (*nseen >= 8) return;
  seen[*nseen][0] = impl;
  seen[*nseen][1] = part;
  const roof_arm_core* c = roof_arm_core_find(impl, part);
  char name[64];
  if (c) snprintf(name, sizeof(name), "%s%s%s", *nseen ? "" : c->vendor, *nseen ? "" : " ", c->name);
  else if (impl == 0x41) snprintf(name, sizeof(name), "%spart 0x%03x", *nseen ? "" : "ARM ", part);
  else snprintf(name, sizeof(name), "implementer 0x%02x part 0x%03x", impl, part);
  size_t used = strlen(out);
  if (used < n) snprintf(out + used, n - used, "%s%s", *nseen ? " + " : "", name);
  (*nseen)++;
}

void roof_cpu_name_parse(const char* cpuinfo, char* out, size_t n) {
  if (n == 0) return;
  out[0] = '\0';
  size_t len;
  FOR_LINES(cpuinfo, line) {
    const char* v = field(line, "model name", &len);
    if (v && len > 0) {
      snprintf(out, n, "%.*s", (int)len, v);
      return;
    }
  }
  unsigned seen[8][2], impl = 0;
  int nseen = 0;
  bool have_impl = false;
  FOR_LINES(cpuinfo, line) {
    const char* v;
    if ((v = field(line, "CPU implementer", &len))) {
      impl = (unsigned)strtoul(v, NULL, 0);
      have_impl = true;
    } else if (have_impl && (v = field(line, "CPU part", &len))) {
      add_core(out, n, impl, (unsigned)strtoul(v, NULL, 0), seen, &nseen);
    }
  }
  if (out[0] == '\0') snprintf(out, n, "unknown cpu");
}

bool roof_cpuinfo_emulated(const char* cpuinfo, char* why, size_t n) {
  const char* hint = getenv("ROOFTOP_EMULATED");
  if (hint && hint[0] && strcmp(hint, "0") != 0) {
    snprintf(why, n, "ROOFTOP_EMULATED=%s says this process is emulated", hint);
    return true;
  }
  if (cpuinfo == NULL) return false;
#if defined(__aarch64__)
  if (!has_key(cpuinfo, "CPU implementer") && (has_key(cpuinfo, "vendor_id") || has_key(cpuinfo, "flags"))) {
    snprintf(why, n, "an arm64 build reading an x86 /proc/cpuinfo (qemu-user emulation)");
    return true;
  }
#elif defined(__x86_64__)
  if (!has_key(cpuinfo, "flags") && has_key(cpuinfo, "CPU implementer")) {
    snprintf(why, n, "an x86-64 build reading an ARM /proc/cpuinfo (emulation)");
    return true;
  }
#endif
  return false;
}

char* roof_cpuinfo_read(void) { return roof_cpuinfo_read_from("/proc/cpuinfo"); }

char* roof_cpuinfo_read_from(const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return NULL;
  size_t cap = 1 << 14, len = 0;
  char* buf = malloc(cap);
  while (buf) {
    len += fread(buf + len, 1, cap - 1 - len, f);
    if (len < cap - 1 || cap >= (1u << 22)) break; /* EOF, or 4 MiB: enough for any machine's first cores */
    char* grown = realloc(buf, cap * 2);
    if (grown == NULL) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

bool roof_hw_emulated(char* why, size_t n) {
  char* text = roof_cpuinfo_read();
  bool emulated = roof_cpuinfo_emulated(text, why, n);
  free(text);
  return emulated;
}

void roof_hw_cpu_name(char* out, size_t n) {
  char* text = roof_cpuinfo_read();
  if (text == NULL) {
    snprintf(out, n, "unknown cpu");
    return;
  }
  roof_cpu_name_parse(text, out, n);
  char why[128];
  /* An emulated probe gets its own name, so its roofs are never cached as the host's. */
  if (roof_cpuinfo_emulated(text, why, sizeof(why))) {
    size_t used = strlen(out);
    if (used < n) snprintf(out + used, n - used, " (emulated)");
  }
  free(text);
}

uint64_t roof_cpu_cache_bytes(int level, bool* absent) {
  if (absent) *absent = false;
  uint64_t v = roof_core_cache_bytes("", 0, level); /* sysfs of CPU 0 */
  if (v) return v;
  /* glibc reads CPUID on x86; on arm64 it reports 0 for most kernels. */
  long s = level == 1 ? sysconf(_SC_LEVEL1_DCACHE_SIZE) : level == 2 ? sysconf(_SC_LEVEL2_CACHE_SIZE)
                                                                     : sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (s > 0) return (uint64_t)s;
  char* text = roof_cpuinfo_read();
  unsigned impl = 0, part = 0;
  const roof_arm_core* c = text && roof_cpuinfo_arm_ids(text, &impl, &part) ? roof_arm_core_find(impl, part) : NULL;
  free(text);
  if (c == NULL) return 0;
  v = level == 1 ? c->l1 : level == 2 ? c->l2 : c->l3;
  if (v == 0 && absent) *absent = true;
  return v;
}
