/* Fused-vs-unfused comparison; see compare.h. */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "constfold.h"

roof_status roof_compare_outputs(const roof_session* ref, const roof_session* test, double rtol, double atol_frac,
                                 roof_output_diff* d, roof_error* err) {
  memset(d, 0, sizeof(*d));
  d->agree = true;
  size_t n = roof_session_num_outputs(ref);
  if (n != roof_session_num_outputs(test)) {
    return roof_fail(err, ROOF_E_INTERNAL, "compare: %zu outputs vs %zu", n, roof_session_num_outputs(test));
  }
  for (size_t i = 0; i < n; i++) {
    roof_io_info a, b;
    roof_session_output_info(ref, i, &a);
    roof_session_output_info(test, i, &b);
    if (a.nbytes != b.nbytes || a.dtype != b.dtype) {
      return roof_fail(err, ROOF_E_INTERNAL, "compare: output %zu ('%s') differs in dtype or size", i, a.name);
    }
    if (a.dtype != ROOF_DT_FLOAT) {
      if (memcmp(roof_session_output(ref, i), roof_session_output(test, i), a.nbytes) != 0 && d->agree) {
        d->agree = false;
        snprintf(d->first_bad, sizeof(d->first_bad), "output '%s': integer data differs", a.name);
      }
      continue;
    }
    const float* x = roof_session_output(ref, i);
    const float* y = roof_session_output(test, i);
    size_t cnt = a.nbytes / sizeof(float);
    double mag = 0.0;
    /* A compare-and-select, not fmax: Debian 12's aarch64 gcc 12 crashes (internal compiler
     * error in vect_transform_reduction) vectorizing an fmax reduction of widened floats at
     * -O3. Same result: NaN elements are skipped either way. */
    for (size_t k = 0; k < cnt; k++) {
      double v = fabs((double)x[k]);
      mag = v > mag ? v : mag;
    }
    d->max_mag = fmax(d->max_mag, mag);
    for (size_t k = 0; k < cnt; k++) {
      double e = fabs((double)x[k] - (double)y[k]);
      bool nan_same = isnan(x[k]) && isnan(y[k]);
      if (nan_same) continue;
      if (isnan(e)) e = INFINITY;
      d->max_abs = fmax(d->max_abs, e);
      d->max_rel = fmax(d->max_rel, e / fmax(fabs((double)x[k]), 1e-30));
      if (e > atol_frac * mag + rtol * fabs((double)x[k]) && d->agree) {
        d->agree = false;
        snprintf(d->first_bad, sizeof(d->first_bad), "output '%.40s' element %zu: %.8g vs %.8g", a.name, k,
                 (double)x[k], (double)y[k]);
      }
    }
  }
  return ROOF_OK;
}

int roof_profile_compute_layers(const roof_profile* p) {
  int n = 0;
  for (int i = 0; i < p->num_layers; i++) n += !roof_node_is(p->layers[i].node, ROOF_OP_LayoutConvert);
  return n;
}

/* Unfused layer standing for original node `name`, or NULL. */
static const roof_layer* find_original(const roof_profile* p, const char* name) {
  for (int i = 0; i < p->num_layers; i++) {
    const roof_node* n = p->layers[i].node;
    for (int k = 0; k < n->num_fused_from; k++) {
      if (strcmp(n->fused_from[k], name) == 0) return &p->layers[i];
    }
  }
  return NULL;
}

typedef struct group_sum {
  double before_ms;
  uint64_t before_bytes;
  int found;
} group_sum;

static group_sum sum_group(const roof_profile* unfused, const roof_node* fused) {
  group_sum s = {0};
  for (int k = 0; k < fused->num_fused_from; k++) {
    const roof_layer* l = find_original(unfused, fused->fused_from[k]);
    if (l == NULL) continue;
    s.before_ms += l->time_ms.median;
    s.before_bytes += l->cost.bytes_read + l->cost.bytes_written;
    s.found++;
  }
  return s;
}

/* Where every original node went in the fused graph: the four counts sum to the original
 * node count (tests/models/check_compare.py checks it against the model file). */
typedef struct node_accounting {
  int in_groups;  /* stand in a fused kernel with others */
  int unchanged;  /* one original node, one kernel */
  int removed;    /* folded by a fusion pass */
  int constant;   /* evaluated at load (constfold), in both graphs */
} node_accounting;

static node_accounting account_nodes(const roof_profile* fused) {
  const roof_graph* g = fused->g;
  node_accounting a = {0};
  for (int i = 0; i < fused->num_layers; i++) {
    int k = fused->layers[i].node->num_fused_from;
    if (k >= 2) a.in_groups += k;
    else a.unchanged += k; /* layout conversions stand for no original node */
  }
  for (int i = 0; i < g->num_folded; i++) {
    if (strcmp(g->folded[i].pass, ROOF_CONSTFOLD_PASS) == 0) a.constant++;
    else a.removed++;
  }
  return a;
}

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Times `runs` runs of s into out[0..runs). */
static roof_status time_runs(roof_session* s, int runs, double* out, roof_error* err) {
  for (int i = 0; i < runs; i++) {
    double t0 = mono_ms();
    roof_status st = roof_session_run(s, NULL, err);
    if (st != ROOF_OK) return st;
    out[i] = mono_ms() - t0;
  }
  return ROOF_OK;
}

roof_status roof_compare_alternate(roof_session* a, roof_session* b, int rounds, int runs, roof_alternation* out,
                                   roof_error* err) {
  if (rounds < 1 || runs < 1 || rounds > 1000 || runs > 100000) {
    return roof_fail(err, ROOF_E_USAGE, "alternating rounds %d x runs %d: both must be in 1..1000 / 1..100000", rounds, runs);
  }
  size_t n = (size_t)rounds * (size_t)runs;
  double *sa = malloc(n * sizeof(double)), *sb = malloc(n * sizeof(double));
  double *ratio = malloc((size_t)rounds * sizeof(double)), *scratch = malloc(n * sizeof(double));
  roof_status st = ROOF_OK;
  if (sa == NULL || sb == NULL || ratio == NULL || scratch == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "out of memory for %zu timing samples", n);
    goto cleanup;
  }
  if ((st = roof_session_run(a, NULL, err)) != ROOF_OK || (st = roof_session_run(b, NULL, err)) != ROOF_OK) goto cleanup;
  for (int r = 0; r < rounds; r++) {
    double* ra = sa + (size_t)r * (size_t)runs;
    double* rb = sb + (size_t)r * (size_t)runs;
    if ((st = time_runs(a, runs, ra, err)) != ROOF_OK || (st = time_runs(b, runs, rb, err)) != ROOF_OK) goto cleanup;
    roof_stats ma, mb;
    roof_stats_compute(ra, (size_t)runs, scratch, &ma);
    roof_stats_compute(rb, (size_t)runs, scratch, &mb);
    ratio[r] = mb.median > 0 ? ma.median / mb.median : 0.0;
  }
  roof_alternation res = {.rounds = rounds, .runs = runs};
  roof_stats_compute(sa, n, scratch, &res.a_ms);
  roof_stats_compute(sb, n, scratch, &res.b_ms);
  roof_stats rs;
  roof_stats_compute(ratio, (size_t)rounds, scratch, &rs);
  res.speedup = rs.median;
  *out = res;
cleanup:
  free(sa);
  free(sb);
  free(ratio);
  free(scratch);
  return st;
}

void roof_report_compare(FILE* f, const roof_profile* unfused, const roof_profile* fused, const roof_output_diff* d,
                         const roof_alternation* alt) {
  const roof_graph* g = fused->g;
  fprintf(f, "outputs  %s: max abs error %.3g, max rel error %.3g (max |output| %.3g)%s%s\n",
          d->agree ? "agree" : "DIFFER", d->max_abs, d->max_rel, d->max_mag, d->agree ? "" : "; first: ",
          d->agree ? "" : d->first_bad);
  fprintf(f, "\n%-40s %10s %10s %10s %10s\n", "fused group (original nodes)", "before ms", "after ms", "saved ms",
          "KiB saved");
  for (int i = 0; i < fused->num_layers; i++) {
    const roof_layer* l = &fused->layers[i];
    if (l->node->num_fused_from < 2) continue;
    group_sum s = sum_group(unfused, l->node);
    uint64_t after_bytes = l->cost.bytes_read + l->cost.bytes_written;
    char names[41];
    snprintf(names, sizeof(names), "%s+%d", l->node->fused_from[0], l->node->num_fused_from - 1);
    fprintf(f, "%-40s %10.3f %10.3f %10.3f %10.1f\n", names, s.before_ms, l->time_ms.median,
            s.before_ms - l->time_ms.median,
            s.before_bytes > after_bytes ? (double)(s.before_bytes - after_bytes) / 1024.0 : 0.0);
  }
  for (int i = 0; i < g->num_folded; i++) {
    if (strcmp(g->folded[i].pass, ROOF_CONSTFOLD_PASS) == 0) continue; /* folded in both graphs */
    const roof_layer* l = find_original(unfused, g->folded[i].name);
    fprintf(f, "%-40.40s %10.3f %10s %10.3f %10s  (%s: %s)\n", g->folded[i].name, l ? l->time_ms.median : 0.0, "-",
            l ? l->time_ms.median : 0.0, "-", g->folded[i].pass, g->folded[i].reason);
  }
  node_accounting a = account_nodes(fused);
  fprintf(f, "\noriginal nodes %d: %d in fused groups, %d unchanged, %d removed by passes, %d constant at load\n",
          a.in_groups + a.unchanged + a.removed + a.constant, a.in_groups, a.unchanged, a.removed, a.constant);
  fprintf(f, "executed nodes %d -> %d (not counting layout conversions: %d -> %d)\n", unfused->num_layers,
          fused->num_layers, roof_profile_compute_layers(unfused), roof_profile_compute_layers(fused));
  fprintf(f, "latency %.3f ms -> %.3f ms: speedup %.3fx (median over %d alternating rounds of %d runs each)\n",
          alt->a_ms.median, alt->b_ms.median, alt->speedup, alt->rounds, alt->runs);
}

cJSON* roof_compare_to_json(const roof_profile* unfused, const roof_profile* fused, const roof_output_diff* d,
                            const roof_alternation* alt) {
  const roof_graph* g = fused->g;
  cJSON* root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "schema", "rooftop.compare/1");
  cJSON* out = cJSON_AddObjectToObject(root, "outputs");
  cJSON_AddBoolToObject(out, "agree", d->agree);
  cJSON_AddItemToObject(out, "max_abs_error", roof_json_number(d->max_abs));
  cJSON_AddItemToObject(out, "max_rel_error", roof_json_number(d->max_rel));
  cJSON* groups = cJSON_AddArrayToObject(root, "groups");
  for (int i = 0; i < fused->num_layers; i++) {
    const roof_layer* l = &fused->layers[i];
    if (l->node->num_fused_from < 2) continue;
    group_sum s = sum_group(unfused, l->node);
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "name", roof_json_string(l->node->name));
    cJSON* ff = cJSON_AddArrayToObject(o, "fused_from");
    for (int k = 0; k < l->node->num_fused_from; k++) cJSON_AddItemToArray(ff, roof_json_string(l->node->fused_from[k]));
    cJSON_AddItemToObject(o, "before_ms", roof_json_number(s.before_ms));
    cJSON_AddItemToObject(o, "after_ms", roof_json_number(l->time_ms.median));
    cJSON_AddItemToObject(o, "saved_ms", roof_json_number(s.before_ms - l->time_ms.median));
    cJSON_AddItemToArray(groups, o);
  }
  cJSON* folded = cJSON_AddArrayToObject(root, "folded");
  for (int i = 0; i < g->num_folded; i++) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "name", roof_json_string(g->folded[i].name));
    cJSON_AddStringToObject(o, "pass", g->folded[i].pass);
    cJSON_AddStringToObject(o, "reason", g->folded[i].reason);
    cJSON_AddItemToArray(folded, o);
  }
  node_accounting a = account_nodes(fused);
  cJSON* acc = cJSON_AddObjectToObject(root, "accounting");
  cJSON_AddNumberToObject(acc, "original_nodes", a.in_groups + a.unchanged + a.removed + a.constant);
  cJSON_AddNumberToObject(acc, "in_groups", a.in_groups);
  cJSON_AddNumberToObject(acc, "unchanged", a.unchanged);
  cJSON_AddNumberToObject(acc, "removed", a.removed);
  cJSON_AddNumberToObject(acc, "constant", a.constant);
  cJSON* tot = cJSON_AddObjectToObject(root, "totals");
  cJSON_AddNumberToObject(tot, "nodes_before", unfused->num_layers);
  cJSON_AddNumberToObject(tot, "nodes_after", fused->num_layers);
  cJSON_AddNumberToObject(tot, "compute_nodes_before", roof_profile_compute_layers(unfused));
  cJSON_AddNumberToObject(tot, "compute_nodes_after", roof_profile_compute_layers(fused));
  cJSON_AddItemToObject(tot, "latency_before_ms", roof_json_number(alt->a_ms.median));
  cJSON_AddItemToObject(tot, "latency_after_ms", roof_json_number(alt->b_ms.median));
  cJSON_AddItemToObject(tot, "speedup", roof_json_number(alt->speedup));
  cJSON_AddNumberToObject(tot, "alternating_rounds", alt->rounds);
  cJSON_AddNumberToObject(tot, "runs_per_round", alt->runs);
  cJSON_AddItemToObject(root, "unfused", roof_profile_to_json(unfused, "none"));
  cJSON_AddItemToObject(root, "fused", roof_profile_to_json(fused, "all"));
  return root;
}

/* ---- saved profiles: rooftop compare A.json B.json ---- */

static cJSON* load_profile(const char* path, roof_error* err, roof_status* st) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    *st = roof_fail(err, ROOF_E_NOINPUT, "%s: cannot open", path);
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char* text = (n > 0 && n < (1L << 30)) ? malloc((size_t)n + 1) : NULL;
  size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
  fclose(f);
  cJSON* j = NULL;
  if (text && got == (size_t)n) {
    text[n] = '\0';
    j = cJSON_Parse(text);
  }
  free(text);
  const cJSON* schema = j ? cJSON_GetObjectItemCaseSensitive(j, "schema") : NULL;
  if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "rooftop.profile/1") != 0 ||
      !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "layers"))) {
    cJSON_Delete(j);
    *st = roof_fail(err, ROOF_E_DATA, "%s: not a rooftop.profile/1 JSON report (rooftop profile --json)", path);
    return NULL;
  }
  return j;
}

static double layer_ms(const cJSON* layer) {
  const cJSON* t = cJSON_GetObjectItemCaseSensitive(layer, "time_ms");
  const cJSON* m = t ? cJSON_GetObjectItemCaseSensitive(t, "median") : NULL;
  return cJSON_IsNumber(m) ? m->valuedouble : 0.0;
}

/* Layer of `layers` whose fused_from holds `name`, or NULL. */
static const cJSON* layer_for(const cJSON* layers, const char* name) {
  const cJSON* l;
  cJSON_ArrayForEach(l, layers) {
    const cJSON* f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(l, "fused_from")) {
      if (cJSON_IsString(f) && strcmp(f->valuestring, name) == 0) return l;
    }
  }
  return NULL;
}

static const char* str_of(const cJSON* o, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "?";
}

static double num_at(const cJSON* o, const char* k1, const char* k2) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, k1);
  if (k2) v = cJSON_GetObjectItemCaseSensitive(v, k2);
  return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* What one side is: file, model, machine, threads, date, and its totals. */
static cJSON* side(const cJSON* prof, const char* path) {
  const cJSON* run = cJSON_GetObjectItemCaseSensitive(prof, "run");
  const cJSON* model = cJSON_GetObjectItemCaseSensitive(prof, "model");
  cJSON* o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "file", roof_json_string(path));
  cJSON_AddItemToObject(o, "model", roof_json_string(str_of(model, "path")));
  cJSON_AddItemToObject(o, "cpu", roof_json_string(str_of(run, "cpu")));
  cJSON_AddNumberToObject(o, "threads", num_at(run, "threads", NULL));
  cJSON_AddItemToObject(o, "fusion", roof_json_string(str_of(run, "fusion")));
  const char* date = str_of(run, "date"); /* reports before the key: "?" */
  cJSON_AddItemToObject(o, "date", roof_json_string(strcmp(date, "?") ? date : "unknown"));
  cJSON_AddItemToObject(o, "latency_ms", roof_json_number(num_at(run, "latency_ms", "median")));
  cJSON_AddItemToObject(o, "layer_sum_ms", roof_json_number(num_at(run, "layer_sum_ms", NULL)));
  cJSON_AddNumberToObject(o, "params", num_at(model, "params", NULL));
  cJSON_AddNumberToObject(o, "flops", num_at(model, "flops", NULL));
  cJSON_AddNumberToObject(o, "nodes_original", num_at(model, "nodes_original", NULL));
  return o;
}

/* "" when A and B are the same model by their counts, else what differs: the original node
 * count, and with the same fusion setting the params and FLOPs (fusion changes both). */
static void models_differ(const cJSON* a, const cJSON* b, char* why, size_t n) {
  static const char* const kKeys[] = {"nodes_original", "params", "flops"};
  size_t o = 0, keys = strcmp(str_of(a, "fusion"), str_of(b, "fusion")) == 0 ? 3 : 1;
  why[0] = '\0';
  for (size_t i = 0; i < keys && o < n; i++) {
    double x = num_at(a, kKeys[i], NULL), y = num_at(b, kKeys[i], NULL);
    if (x != y) o += (size_t)snprintf(why + o, n - o, "%s%s %.0f vs %.0f", o ? ", " : "", kKeys[i], x, y);
  }
}

/* The rooftop.diff/1 document: both sides, one row per layer of A with its counterpart in B,
 * totals, and the two profiles whole (the HTML report draws B's). Takes ownership of a, b. */
static cJSON* diff_doc(cJSON* a, cJSON* b, const char* path_a, const char* path_b) {
  cJSON* d = cJSON_CreateObject();
  cJSON_AddStringToObject(d, "schema", "rooftop.diff/1");
  cJSON* sa = side(a, path_a);
  cJSON* sb = side(b, path_b);
  cJSON_AddItemToObject(d, "a", sa);
  cJSON_AddItemToObject(d, "b", sb);
  char why[256];
  models_differ(sa, sb, why, sizeof(why));
  cJSON_AddItemToObject(d, "models_differ", roof_json_string(why));
  cJSON* rows = cJSON_AddArrayToObject(d, "rows");
  const cJSON* lb = cJSON_GetObjectItemCaseSensitive(b, "layers");
  const cJSON* l;
  double ma = 0.0, mb = 0.0;
  int unmatched = 0;
  cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(a, "layers")) {
    const cJSON* first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "fused_from"), 0);
    const cJSON* m = cJSON_IsString(first) ? layer_for(lb, first->valuestring) : NULL;
    cJSON* r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "index", num_at(l, "index", NULL));
    cJSON_AddItemToObject(r, "name", roof_json_string(str_of(l, "name")));
    cJSON_AddItemToObject(r, "op_type", roof_json_string(str_of(l, "op_type")));
    cJSON_AddItemToObject(r, "a_ms", roof_json_number(layer_ms(l)));
    if (m) {
      cJSON_AddItemToObject(r, "b_ms", roof_json_number(layer_ms(m)));
      cJSON_AddItemToObject(r, "ratio", roof_json_number(layer_ms(l) > 0 ? layer_ms(m) / layer_ms(l) : NAN));
      cJSON_AddItemToObject(r, "b_name", roof_json_string(str_of(m, "name")));
      ma += layer_ms(l);
      mb += layer_ms(m);
    } else {
      cJSON_AddNullToObject(r, "b_ms");
      cJSON_AddNullToObject(r, "ratio");
      cJSON_AddNullToObject(r, "b_name");
    }
    unmatched += m == NULL;
    cJSON_AddItemToArray(rows, r);
  }
  double la = num_at(sa, "latency_ms", NULL), lb_ms = num_at(sb, "latency_ms", NULL);
  double sa_ms = num_at(sa, "layer_sum_ms", NULL), sb_ms = num_at(sb, "layer_sum_ms", NULL);
  cJSON* t = cJSON_AddObjectToObject(d, "totals");
  cJSON_AddItemToObject(t, "latency_ratio", roof_json_number(la > 0 ? lb_ms / la : NAN));
  cJSON_AddItemToObject(t, "layer_sum_ratio", roof_json_number(sa_ms > 0 ? sb_ms / sa_ms : NAN));
  cJSON_AddItemToObject(t, "outside_layers_a_ms", roof_json_number(la - sa_ms));
  cJSON_AddItemToObject(t, "outside_layers_b_ms", roof_json_number(lb_ms - sb_ms));
  cJSON_AddItemToObject(t, "matched_a_ms", roof_json_number(ma));
  cJSON_AddItemToObject(t, "matched_b_ms", roof_json_number(mb));
  cJSON_AddNumberToObject(t, "unmatched", unmatched);
  cJSON_AddItemToObject(d, "profile_a", a);
  cJSON_AddItemToObject(d, "profile_b", b);
  return d;
}

static void print_side(FILE* out, const char* tag, const cJSON* s) {
  char* file = roof_utf8_clean(str_of(s, "file"));
  char* model = roof_utf8_clean(str_of(s, "model"));
  const char* slash = model ? strrchr(model, '/') : NULL;
  double th = num_at(s, "threads", NULL);
  fprintf(out, "%-8s %s: %s, %s, %.0f thread%s, fusion %s, %s\n", tag, file ? file : "?",
          slash ? slash + 1 : model ? model : "?", str_of(s, "cpu"), th, th == 1 ? "" : "s", str_of(s, "fusion"),
          str_of(s, "date"));
  free(file);
  free(model);
}

/* The comparison as text, from its document. */
static void print_diff(FILE* out, const cJSON* d) {
  const cJSON *sa = cJSON_GetObjectItemCaseSensitive(d, "a"), *sb = cJSON_GetObjectItemCaseSensitive(d, "b");
  const cJSON* t = cJSON_GetObjectItemCaseSensitive(d, "totals");
  print_side(out, "A", sa);
  print_side(out, "B", sb);
  const char* why = str_of(d, "models_differ");
  if (why[0]) fprintf(out, "warning  A and B are different models (%.160s): layers matched by node name only\n", why);
  fprintf(out, "\n%-36s %-14s %10s %10s %8s  %s\n", "layer (A)", "op", "A ms", "B ms", "B/A", "B layer");
  const cJSON* r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(d, "rows")) {
    const cJSON* bms = cJSON_GetObjectItemCaseSensitive(r, "b_ms");
    char tbs[32] = "-", ratio[32] = "";
    if (cJSON_IsNumber(bms)) snprintf(tbs, sizeof(tbs), "%.3f", bms->valuedouble);
    if (cJSON_IsNumber(bms)) snprintf(ratio, sizeof(ratio), "%.2f", num_at(r, "ratio", NULL));
    const char* other = cJSON_IsNumber(bms) ? str_of(r, "b_name") : "(none: removed or unmatched)";
    fprintf(out, "%-36.36s %-14.14s %10.3f %10s %8s  %s\n", str_of(r, "name"), str_of(r, "op_type"),
            num_at(r, "a_ms", NULL), tbs, ratio, other);
  }
  double sa_ms = num_at(sa, "layer_sum_ms", NULL), sb_ms = num_at(sb, "layer_sum_ms", NULL);
  fprintf(out, "%-36s %-14s %10.3f %10.3f %8.2f\n", "sum of layers", "", sa_ms, sb_ms, num_at(t, "layer_sum_ratio", NULL));
  fprintf(out, "\nlatency  A %.3f ms, B %.3f ms: B/A %.3f; the sum of layers B/A %.3f, time outside the layers\n"
               "         A %.3f ms, B %.3f ms; %.0f of A's layers have no counterpart in B\n",
          num_at(sa, "latency_ms", NULL), num_at(sb, "latency_ms", NULL), num_at(t, "latency_ratio", NULL),
          num_at(t, "layer_sum_ratio", NULL), num_at(t, "outside_layers_a_ms", NULL), num_at(t, "outside_layers_b_ms", NULL),
          num_at(t, "unmatched", NULL));
}

roof_status roof_compare_saved(FILE* out, const char* path_a, const char* path_b, cJSON** doc, roof_error* err) {
  roof_status st = ROOF_OK;
  cJSON* a = load_profile(path_a, err, &st);
  cJSON* b = a ? load_profile(path_b, err, &st) : NULL;
  if (b == NULL) {
    cJSON_Delete(a);
    return st;
  }
  cJSON* d = diff_doc(a, b, path_a, path_b);
  if (d == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory comparing %s and %s", path_a, path_b);
  print_diff(out, d);
  if (doc) *doc = d;
  else cJSON_Delete(d);
  return ROOF_OK;
}
