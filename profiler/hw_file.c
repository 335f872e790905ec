/* Hardware roof files (rooftop.hw/1): load, save, cache location. See hw.h for the format. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "hw.h"

#define ROOF_HW_SCHEMA "rooftop.hw/1"
#define ROOF_HW_MAX_FILE (1 << 20)

static double num(const cJSON* o, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void levels_in(const cJSON* root, const char* key, double* out) {
  const cJSON* o = cJSON_GetObjectItemCaseSensitive(root, key);
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) out[lv] = o ? num(o, roof_mem_level_names[lv]) : 0.0;
}

static void str_in(const cJSON* o, const char* key, char* out, size_t n) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  snprintf(out, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* "core_types": optional; entries past ROOF_MAX_CORE_TYPES are ignored. */
static void core_types_in(const cJSON* arr, roof_hw* h) {
  const cJSON* e;
  if (!cJSON_IsArray(arr)) return;
  cJSON_ArrayForEach(e, arr) {
    if (h->num_core_types == ROOF_MAX_CORE_TYPES) break;
    roof_core_roofs* t = &h->core_types[h->num_core_types++];
    str_in(e, "role", t->role, sizeof(t->role));
    str_in(e, "cpus", t->cpus, sizeof(t->cpus));
    str_in(e, "core", t->core, sizeof(t->core));
    double cpu = num(e, "cpu");
    t->cpu = cpu >= 0 && cpu < 1e6 ? (int)cpu : -1;
    t->peak_gflops = num(e, "peak_gflops");
    levels_in(e, "bandwidth_gbs", t->read_gbs);
    const cJSON* cb = cJSON_GetObjectItemCaseSensitive(e, "cache_bytes");
    for (int lv = 0; lv < 3 && cb; lv++) {
      double b = num(cb, roof_mem_level_names[lv]);
      t->cache_bytes[lv] = b > 0 && b < 1e15 ? (uint64_t)b : 0;
    }
  }
}

/* {"l1": x[0], ..., "dram": x[3]} (levels = 4) or the cache sizes (levels = 3). */
static cJSON* levels_obj(const double* x, const uint64_t* bytes, int levels) {
  cJSON* o = cJSON_CreateObject();
  for (int lv = 0; o && lv < levels; lv++) cJSON_AddNumberToObject(o, roof_mem_level_names[lv], x ? x[lv] : (double)bytes[lv]);
  return o;
}

cJSON* roof_hw_core_types_json(const roof_hw* hw) {
  cJSON* arr = cJSON_CreateArray();
  for (int i = 0; arr && i < hw->num_core_types; i++) {
    const roof_core_roofs* t = &hw->core_types[i];
    cJSON* e = cJSON_CreateObject();
    if (e == NULL) break;
    cJSON_AddItemToArray(arr, e);
    cJSON_AddStringToObject(e, "role", t->role);
    cJSON_AddStringToObject(e, "cpus", t->cpus);
    cJSON_AddStringToObject(e, "core", t->core);
    cJSON_AddNumberToObject(e, "cpu", t->cpu);
    cJSON_AddNumberToObject(e, "peak_gflops", t->peak_gflops);
    cJSON_AddItemToObject(e, "bandwidth_gbs", levels_obj(t->read_gbs, NULL, ROOF_MEM_LEVELS));
    cJSON_AddItemToObject(e, "cache_bytes", levels_obj(NULL, t->cache_bytes, 3));
  }
  return arr;
}

static char* read_small_file(const char* path, roof_error* err, roof_status* st) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    *st = roof_fail(err, ROOF_E_NOINPUT, "%s: cannot open hardware file: %s", path, strerror(errno));
    return NULL;
  }
  char* buf = malloc(ROOF_HW_MAX_FILE + 1);
  size_t n = buf ? fread(buf, 1, ROOF_HW_MAX_FILE + 1, f) : 0;
  fclose(f);
  if (buf == NULL || n > ROOF_HW_MAX_FILE) {
    free(buf);
    *st = roof_fail(err, ROOF_E_DATA, "%s: hardware file is larger than %d bytes", path, ROOF_HW_MAX_FILE);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

roof_status roof_hw_load(const char* path, roof_hw* hw, roof_error* err) {
  roof_status st = ROOF_OK;
  char* text = read_small_file(path, err, &st);
  if (text == NULL) return st;
  cJSON* root = cJSON_Parse(text);
  free(text);
  if (root == NULL) return roof_fail(err, ROOF_E_DATA, "%s: not valid JSON", path);
  roof_hw h;
  memset(&h, 0, sizeof(h));
  const cJSON* schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
  const cJSON* cpu = cJSON_GetObjectItemCaseSensitive(root, "cpu");
  const cJSON* source = cJSON_GetObjectItemCaseSensitive(root, "source");
  const cJSON* isa = cJSON_GetObjectItemCaseSensitive(root, "isa");
  if (!cJSON_IsString(schema) || strcmp(schema->valuestring, ROOF_HW_SCHEMA) != 0) {
    st = roof_fail(err, ROOF_E_DATA, "%s: \"schema\" must be \"%s\"", path, ROOF_HW_SCHEMA);
    goto done;
  }
  snprintf(h.cpu, sizeof(h.cpu), "%s", cJSON_IsString(cpu) ? cpu->valuestring : "unnamed device");
  snprintf(h.source, sizeof(h.source), "%s", cJSON_IsString(source) ? source->valuestring : "spec");
  snprintf(h.isa, sizeof(h.isa), "%s", cJSON_IsString(isa) ? isa->valuestring : "");
  double threads = num(root, "threads");
  h.threads = threads >= 1 && threads < 1e6 ? (uint32_t)threads : 1;
  h.peak_gflops = num(root, "peak_gflops");
  h.peak_int8_gops = num(root, "peak_int8_gops");
  str_in(root, "isa_int8", h.isa_int8, sizeof(h.isa_int8));
  levels_in(root, "bandwidth_gbs", h.read_gbs);
  levels_in(root, "copy_gbs", h.copy_gbs);
  levels_in(root, "write_gbs", h.write_gbs);
  const cJSON* caches = cJSON_GetObjectItemCaseSensitive(root, "cache_bytes");
  for (int lv = 0; lv < 3 && caches; lv++) {
    double b = num(caches, roof_mem_level_names[lv]);
    h.cache_bytes[lv] = b > 0 && b < 1e15 ? (uint64_t)b : 0;
  }
  const cJSON* e = cJSON_GetObjectItemCaseSensitive(root, "energy");
  if (e) {
    h.tdp_w = num(e, "tdp_w");
    h.utilization = num(e, "utilization");
    h.pue = num(e, "pue");
    h.grid_gco2_per_kwh = num(e, "grid_gco2_per_kwh");
    h.price_per_kwh = num(e, "price_per_kwh");
  }
  const cJSON* set = cJSON_GetObjectItemCaseSensitive(root, "cpu_set");
  if (cJSON_IsString(set)) snprintf(h.cpu_set, sizeof(h.cpu_set), "%s", set->valuestring);
  double allowed = num(root, "allowed_cpus");
  h.allowed_cpus = allowed >= 1 && allowed < 1e6 ? (uint32_t)allowed : 0;
  core_types_in(cJSON_GetObjectItemCaseSensitive(root, "core_types"), &h);
  if (!(h.peak_gflops > 0) || !(h.read_gbs[ROOF_MEM_DRAM] > 0)) {
    st = roof_fail(err, ROOF_E_DATA, "%s: \"peak_gflops\" and \"bandwidth_gbs\".\"dram\" must be positive numbers", path);
    goto done;
  }
  /* Levels a spec sheet leaves out fall back to the next level down (ultimately DRAM). */
  for (int lv = ROOF_MEM_L3; lv >= 0; lv--) {
    if (!(h.read_gbs[lv] > 0)) h.read_gbs[lv] = h.read_gbs[lv + 1];
  }
  *hw = h;
done:
  cJSON_Delete(root);
  return st;
}

roof_status roof_hw_save(const char* path, const roof_hw* hw, roof_error* err) {
  cJSON* root = cJSON_CreateObject();
  cJSON* bw = cJSON_CreateObject();
  cJSON* cp = cJSON_CreateObject();
  cJSON* wr = cJSON_CreateObject();
  cJSON* cb = cJSON_CreateObject();
  roof_status st = ROOF_OK;
  if (!root || !bw || !cp || !wr || !cb) {
    cJSON_Delete(bw);
    cJSON_Delete(cp);
    cJSON_Delete(wr);
    cJSON_Delete(cb);
    cJSON_Delete(root);
    return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  }
  cJSON_AddStringToObject(root, "schema", ROOF_HW_SCHEMA);
  cJSON_AddStringToObject(root, "cpu", hw->cpu);
  cJSON_AddNumberToObject(root, "threads", hw->threads);
  cJSON_AddStringToObject(root, "source", hw->source);
  cJSON_AddStringToObject(root, "isa", hw->isa);
  cJSON_AddNumberToObject(root, "peak_gflops", hw->peak_gflops);
  if (hw->peak_int8_gops > 0) {
    cJSON_AddStringToObject(root, "isa_int8", hw->isa_int8);
    cJSON_AddNumberToObject(root, "peak_int8_gops", hw->peak_int8_gops);
  }
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    cJSON_AddNumberToObject(bw, roof_mem_level_names[lv], hw->read_gbs[lv]);
    cJSON_AddNumberToObject(cp, roof_mem_level_names[lv], hw->copy_gbs[lv]);
    cJSON_AddNumberToObject(wr, roof_mem_level_names[lv], hw->write_gbs[lv]);
  }
  for (int lv = 0; lv < 3; lv++) cJSON_AddNumberToObject(cb, roof_mem_level_names[lv], (double)hw->cache_bytes[lv]);
  cJSON_AddItemToObject(root, "bandwidth_gbs", bw);
  cJSON_AddItemToObject(root, "copy_gbs", cp);
  cJSON_AddItemToObject(root, "write_gbs", wr);
  cJSON_AddItemToObject(root, "cache_bytes", cb);
  if (hw->cpu_set[0]) cJSON_AddStringToObject(root, "cpu_set", hw->cpu_set);
  if (hw->allowed_cpus) cJSON_AddNumberToObject(root, "allowed_cpus", hw->allowed_cpus);
  if (hw->num_core_types) cJSON_AddItemToObject(root, "core_types", roof_hw_core_types_json(hw));
  char* text = cJSON_Print(root);
  cJSON_Delete(root);
  if (text == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
  FILE* f = fopen(tmp, "wb");
  if (f == NULL) {
    st = roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create: %s", path, strerror(errno));
  } else {
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
      remove(tmp);
      st = roof_fail(err, ROOF_E_IO, "%s: write failed: %s", path, strerror(errno));
    }
  }
  free(text);
  return st;
}

bool roof_hw_check(const roof_hw* hw, char* why, size_t n) {
  bool probed = strcmp(hw->source, "probe") == 0;
  if (n > 0) why[0] = '\0';
  if (!(isfinite(hw->peak_gflops) && hw->peak_gflops > 0)) {
    snprintf(why, n, "peak %g GFLOP/s is not a positive number", hw->peak_gflops);
    return false;
  }
  /* the int8 peak is optional in a spec file (0: the FP32 peak judges integer layers) */
  double i8 = hw->peak_int8_gops;
  if (!(isfinite(i8) && (probed ? i8 > 0 : i8 >= 0))) {
    snprintf(why, n, "int8 peak %g GOP/s is not a positive number", i8);
    return false;
  }
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    double r = hw->read_gbs[lv], c = hw->copy_gbs[lv], w = hw->write_gbs[lv];
    bool cw_ok = isfinite(c) && isfinite(w) && (probed ? c > 0 && w > 0 : c >= 0 && w >= 0);
    if (!(isfinite(r) && r > 0) || !cw_ok) {
      snprintf(why, n, "%s bandwidth (read %g, copy %g, write %g GB/s) is not a positive number", roof_mem_level_names[lv],
               r, c, w);
      return false;
    }
  }
  /* A level farther from the core is never faster: a rise beyond noise means a disturbed run. */
  for (int a = 0; a < ROOF_MEM_LEVELS; a++) {
    for (int b = a + 1; b < ROOF_MEM_LEVELS; b++) {
      if (hw->read_gbs[a] * ROOF_HW_LEVEL_TOLERANCE >= hw->read_gbs[b]) continue;
      snprintf(why, n, "read bandwidth rises toward DRAM: %s %.3g GB/s < %s %.3g GB/s", roof_mem_level_names[a],
               hw->read_gbs[a], roof_mem_level_names[b], hw->read_gbs[b]);
      return false;
    }
  }
  return true;
}

/* FNV-1a: a short stable name for a long CPU list. */
static uint32_t fnv1a(const char* s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

bool roof_hw_cache_dir(char* out, size_t n) {
  const char* xdg = getenv("XDG_CACHE_HOME");
  const char* home = getenv("HOME");
  char parent[2048];
  if (xdg && xdg[0] == '/') snprintf(parent, sizeof(parent), "%s", xdg);
  else if (home && home[0] == '/') snprintf(parent, sizeof(parent), "%s/.cache", home);
  else return false;
  mkdir(parent, 0755); /* failures surface when a file is saved */
  if (snprintf(out, n, "%s/rooftop", parent) >= (int)n) return false;
  mkdir(out, 0755);
  return true;
}

bool roof_hw_cache_path(const char* cpu, uint32_t threads, const char* cpu_set, char* out, size_t n) {
  char base[2048];
  if (!roof_hw_cache_dir(base, sizeof(base))) return false;
  char slug[96];
  size_t j = 0;
  for (const char* p = cpu; *p && j + 1 < sizeof(slug); p++) {
    char c = *p;
    slug[j++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  slug[j] = '\0';
  char set[32];
  if (cpu_set == NULL || cpu_set[0] == '\0') snprintf(set, sizeof(set), "any");
  else if (strlen(cpu_set) <= 24 && strspn(cpu_set, "0123456789,-") == strlen(cpu_set)) snprintf(set, sizeof(set), "%s", cpu_set);
  else snprintf(set, sizeof(set), "h%08x", fnv1a(cpu_set));
  /* "hw2": files of the first probe measured reads on CPUs without AVX-512 with a loop chained
   * on the add latency (every level at the same 22 GB/s on a Zen 3); they are not read again */
  return snprintf(out, n, "%s/hw2-%s-t%u-c%s.json", base, slug, threads, set) < (int)n;
}
