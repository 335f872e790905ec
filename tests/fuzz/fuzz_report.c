/* Fuzz target: the JSON report writer with hostile strings. The graph is built directly (not
 * through the loader, which refuses invalid UTF-8), so the report sees whatever bytes the
 * fuzzer gives: input, node and output names, the model path, the fusion spec, the hardware
 * file's CPU name and roofs. Properties: the text cJSON prints is valid UTF-8 and parses
 * again, and each name comes back as the report's cleaned copy of it.
 *
 * Input: NUL-separated fields: x name, node 1 name, h name, node 2 name, y name, path,
 * fusion, cpu; then raw bytes for the roofs (peak, 4 bandwidths; doubles, NaN/inf allowed). */
#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "model.h"
#include "profile.h"
#include "report.h"

enum { kFields = 8 };

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF), written out independently of
 * the library's own checker. */
static bool utf8_ok(const unsigned char* s) {
  while (*s) {
    unsigned c = *s, n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9) return false;
    unsigned cp = n == 0 ? c : c & (0x3Fu >> n);
    for (unsigned i = 1; i <= n; i++) {
      if ((s[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    static const unsigned kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    s += n + 1;
  }
  return true;
}

static double take_double(fuzz_reader* r) {
  double d = 1.0;
  if (r->left >= sizeof(d)) {
    memcpy(&d, r->p, sizeof(d));
    r->p += sizeof(d);
    r->left -= sizeof(d);
  }
  return d;
}

/* x -> Relu (node 1) -> h -> Sigmoid (node 2) -> y, names from the fuzzer. */
static roof_graph* build(char** f) {
  roof_graph* g = roof_graph_new();
  if (g == NULL) return NULL;
  g->opset = 13;
  free(g->path);
  g->path = strdup(f[5]);
  int64_t dims[2] = {1, 4};
  int x = roof_graph_add_value(g, f[0]), h = roof_graph_add_value(g, f[2]), y = roof_graph_add_value(g, f[4]);
  g->inputs = malloc(sizeof(int));
  g->outputs = malloc(sizeof(int));
  if (x < 0 || h < 0 || y < 0 || !g->inputs || !g->outputs || !g->path) {
    roof_graph_free(g);
    return NULL;
  }
  roof_value_set_shape(&g->values[x], ROOF_DT_FLOAT, 2, dims);
  g->values[x].flags = ROOF_VAL_GRAPH_INPUT;
  g->values[y].flags = ROOF_VAL_GRAPH_OUTPUT;
  g->inputs[g->num_inputs++] = x;
  g->outputs[g->num_outputs++] = y;
  roof_graph_add_node(g, f[1], "Relu", "", &x, 1, &h, 1);
  roof_graph_add_node(g, f[3], "Sigmoid", "", &h, 1, &y, 1);
  g->num_original_nodes = g->num_nodes;
  return g;
}

static void fill_hw(roof_hw* hw, const char* cpu, fuzz_reader* r) {
  memset(hw, 0, sizeof(*hw));
  snprintf(hw->cpu, sizeof(hw->cpu), "%s", cpu);
  snprintf(hw->source, sizeof(hw->source), "spec");
  hw->threads = 1;
  hw->peak_gflops = take_double(r);
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) hw->read_gbs[lv] = hw->copy_gbs[lv] = take_double(r);
  for (int lv = 0; lv < 3; lv++) hw->cache_bytes[lv] = (uint64_t)1 << (15 + 5 * lv);
}

/* The report's layers name the nodes as the report's cleaner wrote them. */
static void check_names(const cJSON* root, char** f) {
  const cJSON* layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  FUZZ_CHECK(cJSON_IsArray(layers), "report has no layers array");
  const cJSON* first = cJSON_GetArrayItem(layers, 0);
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(first, "name");
  FUZZ_CHECK(cJSON_IsString(name), "first layer has no name");
  char* want = roof_utf8_clean(f[1]);
  FUZZ_CHECK(want != NULL && strcmp(want, name->valuestring) == 0, "layer name differs from the cleaned node name");
  free(want);
}

static void check_report(const roof_profile* p, const char* fusion, char** f) {
  cJSON* root = roof_profile_to_json(p, fusion);
  char* text = root ? cJSON_PrintUnformatted(root) : NULL;
  cJSON_Delete(root);
  if (text == NULL) return; /* out of memory */
  FUZZ_CHECK(utf8_ok((const unsigned char*)text), "report JSON is not valid UTF-8");
  cJSON* back = cJSON_Parse(text);
  FUZZ_CHECK(back != NULL, "report JSON does not parse");
  check_names(back, f);
  cJSON_Delete(back);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_reader r = {data, size};
  char* f[kFields];
  bool ok = true;
  for (int i = 0; i < kFields; i++) ok = (f[i] = fuzz_field(&r)) != NULL && ok;
  roof_graph* g = ok ? build(f) : NULL;
  roof_model* m = NULL;
  roof_session* s = NULL;
  roof_error err;
  roof_prepare_options po = {.fusion = "none"};
  roof_session_options so = {.threads = 1};
  if (g && roof_model_from_graph(g, &m, &err) == ROOF_OK && roof_model_prepare(m, &po, &err) == ROOF_OK &&
      roof_session_create(m, &so, &s, &err) == ROOF_OK) {
    roof_profile p;
    memset(&p, 0, sizeof(p));
    roof_profile_options popt = {.runs = 1, .warmup = 0, .timed = (size & 1) != 0, .skip_process_scan = true};
    roof_hw hw;
    fill_hw(&hw, f[7], &r);
    if (roof_profile_run(s, &popt, &p, &err) == ROOF_OK) {
      roof_profile_roofline(&p, &hw);
      check_report(&p, f[6], f);
    }
    roof_profile_free(&p);
    roof_session_free(s);
  }
  roof_model_free(m);
  for (int i = 0; i < kFields; i++) free(f[i]);
  return 0;
}
