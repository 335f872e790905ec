/* Two models of one network: rooftop compare FLOAT.onnx INT8.onnx (compare.h).
 *
 * Layers are matched through provenance: a QDQ model keeps the float node names, and the
 * layer that runs a float node in either model lists that name in fused_from (the qdq pass adds
 * its Q/DQ nodes beside it). A float layer is matched to the first int8 layer holding any of
 * its original names; when two float layers land in one int8 layer, the second row says so and
 * its int8 time and bytes are not counted twice in the totals. Text and JSON come from one
 * document, so the figures printed are the JSON's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "op.h"

roof_status roof_compare_model_outputs(const roof_session* a, const roof_session* b, roof_output_agreement* out,
                                       size_t max, size_t* n_out, roof_error* err) {
  size_t n = roof_session_num_outputs(a);
  if (n != roof_session_num_outputs(b)) {
    return roof_fail(err, ROOF_E_DATA, "compare: the models have %zu and %zu outputs: not two versions of one network", n,
                     roof_session_num_outputs(b));
  }
  if (n > max) return roof_fail(err, ROOF_E_DATA, "compare: %zu outputs, at most %zu compared", n, max);
  for (size_t i = 0; i < n; i++) {
    roof_io_info x, y;
    roof_session_output_info(a, i, &x);
    roof_session_output_info(b, i, &y);
    if (x.dtype != ROOF_DT_FLOAT || y.dtype != ROOF_DT_FLOAT || x.nbytes != y.nbytes) {
      return roof_fail(err, ROOF_E_DATA, "compare: output %zu ('%.64s' %s, '%.64s' %s, %zu vs %zu bytes): both must be float32 of one shape",
                       i, x.name, roof_dtype_name(x.dtype), y.name, roof_dtype_name(y.dtype), x.nbytes, y.nbytes);
    }
    const float* p = roof_session_output(a, i);
    const float* q = roof_session_output(b, i);
    size_t cnt = x.nbytes / sizeof(float);
    double dot = 0.0, na = 0.0, nb = 0.0, max_abs = 0.0;
    for (size_t k = 0; k < cnt; k++) {
      double u = p[k], v = q[k], e = fabs(u - v);
      dot += u * v;
      na += u * u;
      nb += v * v;
      max_abs = isnan(e) || e > max_abs ? e : max_abs; /* a NaN stays: the outputs do not agree */
    }
    roof_output_agreement* o = &out[i];
    snprintf(o->name, sizeof(o->name), "%s", x.name);
    o->elements = cnt;
    o->max_abs = max_abs;
    /* Two zero outputs agree; one zero against another direction has no angle: 0. */
    o->cosine = na == 0.0 && nb == 0.0 ? 1.0 : na == 0.0 || nb == 0.0 ? 0.0 : dot / (sqrt(na) * sqrt(nb));
  }
  *n_out = n;
  return ROOF_OK;
}

static uint64_t moved(const roof_layer* l) { return l->cost.bytes_read + l->cost.bytes_written; }

/* Index in b of the layer whose fused_from holds one of l's original names, or -1. */
static int counterpart(const roof_profile* b, const roof_layer* l) {
  for (int k = 0; k < l->node->num_fused_from; k++) {
    for (int i = 0; i < b->num_layers; i++) {
      const roof_node* n = b->layers[i].node;
      for (int j = 0; j < n->num_fused_from; j++) {
        if (strcmp(n->fused_from[j], l->node->fused_from[k]) == 0) return i;
      }
    }
  }
  return -1;
}

static void add_layer(cJSON* o, const char* tag, const roof_layer* l) {
  char key[32];
  snprintf(key, sizeof(key), "%s_index", tag);
  cJSON_AddNumberToObject(o, key, l->index);
  snprintf(key, sizeof(key), "%s_name", tag);
  cJSON_AddItemToObject(o, key, roof_json_string(l->node->name));
  snprintf(key, sizeof(key), "%s_op_type", tag);
  cJSON_AddItemToObject(o, key, roof_json_string(l->node->op_type));
  snprintf(key, sizeof(key), "%s_ms", tag);
  cJSON_AddItemToObject(o, key, roof_json_number(l->time_ms.median));
  snprintf(key, sizeof(key), "%s_bytes", tag);
  cJSON_AddNumberToObject(o, key, (double)moved(l));
}

static cJSON* side(const roof_profile* p, const char* path, double latency_ms) {
  cJSON* o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "file", roof_json_string(path));
  cJSON_AddItemToObject(o, "latency_ms", roof_json_number(latency_ms));
  cJSON_AddItemToObject(o, "layer_sum_ms", roof_json_number(p->layer_sum_ms));
  cJSON_AddNumberToObject(o, "layers", p->num_layers);
  cJSON_AddNumberToObject(o, "bytes", (double)p->bytes);
  cJSON_AddNumberToObject(o, "weight_bytes", (double)p->weight_bytes);
  cJSON_AddNumberToObject(o, "flops", (double)p->flops);
  cJSON_AddNumberToObject(o, "dq_sandwich_layers", p->dq_sandwich_layers);
  cJSON_AddNumberToObject(o, "dq_sandwich_extra_bytes", (double)p->dq_sandwich_bytes);
  return o;
}

static cJSON* unmatched(const roof_layer* l) {
  cJSON* o = cJSON_CreateObject();
  add_layer(o, "layer", l);
  return o;
}

cJSON* roof_compare_models_doc(const roof_profile* a, const roof_profile* b, const char* path_a, const char* path_b,
                               const roof_alternation* alt, const roof_output_agreement* agree, size_t num_outputs,
                               const char* fusion) {
  bool* claimed = calloc((size_t)b->num_layers + 1, sizeof(bool));
  cJSON* d = claimed ? cJSON_CreateObject() : NULL;
  if (d == NULL) {
    free(claimed);
    return NULL;
  }
  cJSON_AddStringToObject(d, "schema", "rooftop.compare_models/1");
  cJSON_AddItemToObject(d, "a", side(a, path_a, alt->a_ms.median));
  cJSON_AddItemToObject(d, "b", side(b, path_b, alt->b_ms.median));
  cJSON* rows = cJSON_AddArrayToObject(d, "rows");
  cJSON* un_a = cJSON_AddArrayToObject(d, "unmatched_a");
  double ms_a = 0.0, ms_b = 0.0;
  uint64_t by_a = 0, by_b = 0;
  int matched = 0;
  for (int i = 0; i < a->num_layers; i++) {
    const roof_layer* l = &a->layers[i];
    int j = counterpart(b, l);
    if (j < 0) {
      cJSON_AddItemToArray(un_a, unmatched(l));
      continue;
    }
    cJSON* r = cJSON_CreateObject();
    add_layer(r, "a", l);
    add_layer(r, "b", &b->layers[j]);
    cJSON_AddBoolToObject(r, "b_shared", claimed[j]); /* counted with an earlier row */
    ms_a += l->time_ms.median;
    by_a += moved(l);
    if (!claimed[j]) {
      ms_b += b->layers[j].time_ms.median;
      by_b += moved(&b->layers[j]);
    }
    claimed[j] = true;
    matched++;
    cJSON_AddItemToArray(rows, r);
  }
  cJSON* un_b = cJSON_AddArrayToObject(d, "unmatched_b");
  for (int j = 0; j < b->num_layers; j++) {
    if (!claimed[j]) cJSON_AddItemToArray(un_b, unmatched(&b->layers[j]));
  }
  cJSON* t = cJSON_AddObjectToObject(d, "totals");
  cJSON_AddNumberToObject(t, "matched_rows", matched);
  cJSON_AddItemToObject(t, "matched_a_ms", roof_json_number(ms_a));
  cJSON_AddItemToObject(t, "matched_b_ms", roof_json_number(ms_b));
  cJSON_AddNumberToObject(t, "matched_a_bytes", (double)by_a);
  cJSON_AddNumberToObject(t, "matched_b_bytes", (double)by_b);
  cJSON_AddNumberToObject(t, "unmatched_a", cJSON_GetArraySize(un_a));
  cJSON_AddNumberToObject(t, "unmatched_b", cJSON_GetArraySize(un_b));
  cJSON_AddItemToObject(t, "latency_ratio", roof_json_number(alt->a_ms.median > 0 ? alt->b_ms.median / alt->a_ms.median : NAN));
  cJSON_AddItemToObject(t, "speedup", roof_json_number(alt->speedup));
  cJSON_AddNumberToObject(t, "bytes_ratio", a->bytes ? (double)b->bytes / (double)a->bytes : 0.0);
  cJSON_AddNumberToObject(t, "alternating_rounds", alt->rounds);
  cJSON_AddNumberToObject(t, "runs_per_round", alt->runs);
  cJSON* outs = cJSON_AddArrayToObject(d, "outputs");
  for (size_t i = 0; i < num_outputs; i++) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "name", roof_json_string(agree[i].name));
    cJSON_AddNumberToObject(o, "elements", (double)agree[i].elements);
    cJSON_AddItemToObject(o, "max_abs_error", roof_json_number(agree[i].max_abs));
    cJSON_AddItemToObject(o, "cosine", roof_json_number(agree[i].cosine));
    cJSON_AddItemToArray(outs, o);
  }
  cJSON_AddItemToObject(d, "profile_a", roof_profile_to_json(a, fusion));
  cJSON_AddItemToObject(d, "profile_b", roof_profile_to_json(b, fusion));
  free(claimed);
  return d;
}

static double num(const cJSON* o, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char* str(const cJSON* o, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "?";
}

static double kib(double bytes) { return bytes / 1024.0; }

static void print_unmatched(FILE* f, const char* tag, const cJSON* list) {
  int n = cJSON_GetArraySize(list), shown = 0;
  fprintf(f, "\nonly in %s: %d layer%s\n", tag, n, n == 1 ? "" : "s");
  const cJSON* l;
  cJSON_ArrayForEach(l, list) {
    if (shown++ == 12) {
      fprintf(f, "  (%d more in the JSON report)\n", n - 12);
      break;
    }
    fprintf(f, "  #%-4.0f %-36.36s %-16.16s %10.3f ms %10.1f KiB\n", num(l, "layer_index"), str(l, "layer_name"),
            str(l, "layer_op_type"), num(l, "layer_ms"), kib(num(l, "layer_bytes")));
  }
}

void roof_compare_models_print(FILE* f, const cJSON* d) {
  const cJSON *a = cJSON_GetObjectItemCaseSensitive(d, "a"), *b = cJSON_GetObjectItemCaseSensitive(d, "b");
  const cJSON* t = cJSON_GetObjectItemCaseSensitive(d, "totals");
  fprintf(f, "A %s: %.0f layers\nB %s: %.0f layers\n", str(a, "file"), num(a, "layers"), str(b, "file"), num(b, "layers"));
  const cJSON* o;
  cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(d, "outputs")) {
    fprintf(f, "output %s: max abs error %.4g, cosine %.6f (%.0f elements)\n", str(o, "name"), num(o, "max_abs_error"),
            num(o, "cosine"), num(o, "elements"));
  }
  fprintf(f, "\n%-32s %-14s %9s %9s %9s %9s  %s\n", "layer (A)", "op", "A ms", "B ms", "A KiB", "B KiB", "B layer (op)");
  const cJSON* r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(d, "rows")) {
    bool shared = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "b_shared"));
    char bms[32] = "  (above)", bkib[32] = "  (above)";
    if (!shared) snprintf(bms, sizeof(bms), "%9.3f", num(r, "b_ms"));
    if (!shared) snprintf(bkib, sizeof(bkib), "%9.1f", kib(num(r, "b_bytes")));
    fprintf(f, "%-32.32s %-14.14s %9.3f %9s %9.1f %9s  %.40s (%.16s)\n", str(r, "a_name"), str(r, "a_op_type"),
            num(r, "a_ms"), bms, kib(num(r, "a_bytes")), bkib, str(r, "b_name"), str(r, "b_op_type"));
  }
  fprintf(f, "%-32s %-14s %9.3f %9.3f %9.1f %9.1f\n", "matched layers", "", num(t, "matched_a_ms"), num(t, "matched_b_ms"),
          kib(num(t, "matched_a_bytes")), kib(num(t, "matched_b_bytes")));
  print_unmatched(f, "A", cJSON_GetObjectItemCaseSensitive(d, "unmatched_a"));
  print_unmatched(f, "B", cJSON_GetObjectItemCaseSensitive(d, "unmatched_b"));
  fprintf(f, "\ntotals   A %.3f ms, B %.3f ms: B/A %.3f (median over %.0f alternating rounds of %.0f runs)\n"
             "         sum of layers A %.3f ms, B %.3f ms; bytes moved A %.1f MiB, B %.1f MiB: B/A %.3f\n",
          num(a, "latency_ms"), num(b, "latency_ms"), num(t, "latency_ratio"), num(t, "alternating_rounds"),
          num(t, "runs_per_round"), num(a, "layer_sum_ms"), num(b, "layer_sum_ms"), num(a, "bytes") / 1048576.0,
          num(b, "bytes") / 1048576.0, num(t, "bytes_ratio"));
  if (num(b, "dq_sandwich_layers") > 0) {
    fprintf(f, "         dq_sandwich: %.0f float layers of B between DQ and Q move %.1f KiB more than in A\n",
            num(b, "dq_sandwich_layers"), kib(num(b, "dq_sandwich_extra_bytes")));
  }
}
