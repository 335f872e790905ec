/* Chrome trace event JSON (opens in Perfetto / chrome://tracing): one complete event ("ph":"X")
 * per layer per instrumented run, timestamps in microseconds from the first run's start. */
#include <stdlib.h>

#include "report.h"

roof_status roof_report_trace(const char* path, const roof_profile* p, roof_error* err) {
  if (p->stamps == NULL || p->runs == 0) {
    return roof_fail(err, ROOF_E_USAGE, "%s: a trace needs timed runs (rooftop profile)", path);
  }
  const roof_graph* g = p->g;
  cJSON* root = cJSON_CreateObject();
  cJSON* events = cJSON_AddArrayToObject(root, "traceEvents");
  cJSON_AddStringToObject(root, "displayTimeUnit", "ms");
  size_t n1 = (size_t)p->num_layers + 1;
  uint64_t t0 = p->stamps[0];
  for (int r = 0; r < p->runs; r++) {
    const uint64_t* t = p->stamps + (size_t)r * n1;
    for (int i = 0; i < p->num_layers; i++) {
      const roof_layer* l = &p->layers[i];
      cJSON* e = cJSON_CreateObject();
      cJSON_AddItemToObject(e, "name", roof_json_string(l->node->name));
      cJSON_AddItemToObject(e, "cat", roof_json_string(l->node->op_type));
      cJSON_AddStringToObject(e, "ph", "X");
      cJSON_AddNumberToObject(e, "ts", (double)(t[i] - t0) / 1e3);
      cJSON_AddNumberToObject(e, "dur", (double)(t[i + 1] - t[i]) / 1e3);
      cJSON_AddNumberToObject(e, "pid", 1);
      cJSON_AddNumberToObject(e, "tid", 1);
      cJSON* args = cJSON_AddObjectToObject(e, "args");
      cJSON_AddNumberToObject(args, "run", r);
      cJSON_AddStringToObject(args, "kernel", l->kernel);
      const roof_value* y = roof_out(g, l->node, 0);
      char shape[96] = "";
      if (y) roof_shape_str(y->dims, y->rank, shape, sizeof(shape));
      cJSON_AddStringToObject(args, "output_shape", shape);
      cJSON_AddNumberToObject(args, "flops", (double)l->cost.flops);
      cJSON_AddNumberToObject(args, "bytes_read", (double)l->cost.bytes_read);
      cJSON_AddNumberToObject(args, "bytes_written", (double)l->cost.bytes_written);
      cJSON_AddItemToArray(events, e);
    }
  }
  char* text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (text == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  roof_status st = roof_write_text_file(path, text, err);
  free(text);
  return st;
}
