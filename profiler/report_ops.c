/* `rooftop ops`: the op schemas and the kernel table beside them, as text and as JSON
 * (schema rooftop.ops/1), read from the registries, never hand-kept. */
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "report.h"

static const char* short_dtype(int dt) {
  switch (dt) {
    case ROOF_DT_FLOAT: return "f32";
    case ROOF_DT_FLOAT16: return "f16";
    case ROOF_DT_BFLOAT16: return "bf16";
    case ROOF_DT_DOUBLE: return "f64";
    case ROOF_DT_INT8: return "i8";
    case ROOF_DT_UINT8: return "u8";
    case ROOF_DT_INT16: return "i16";
    case ROOF_DT_UINT16: return "u16";
    case ROOF_DT_INT32: return "i32";
    case ROOF_DT_UINT32: return "u32";
    case ROOF_DT_INT64: return "i64";
    case ROOF_DT_UINT64: return "u64";
    case ROOF_DT_BOOL: return "bool";
    default: return roof_dtype_name(dt);
  }
}

/* "f32,i64" for an entry's signature; "any" when it takes every dtype its schema accepts. */
static void dtypes_text(const roof_kernel_impl* e, char* buf, size_t n) {
  if (e->dtypes == NULL) {
    snprintf(buf, n, "any");
    return;
  }
  size_t o = 0;
  buf[0] = '\0';
  for (const int* d = e->dtypes; *d && o + 1 < n; d++) {
    o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? "," : "", short_dtype(*d));
  }
}

static void opsets_text(const roof_op_schema* s, char* buf, size_t n) {
  if (s->until_version >= 1000) snprintf(buf, n, "%d+", s->since_version);
  else snprintf(buf, n, "%d-%d", s->since_version, s->until_version);
}

/* "xnnpack f32 | native f32 | ref any" (views: "view"). */
static void kernels_text(const roof_op_schema* s, char* buf, size_t n) {
  size_t o = 0;
  buf[0] = '\0';
  if (s->flags & ROOF_OPF_ALIAS) {
    o += (size_t)snprintf(buf, n, s->runs ? "view unless it computes (Dropout that drops); " : "view (no kernel at run time); ");
  }
  if (s->flags & ROOF_OPF_LOAD_ONLY) o += (size_t)snprintf(buf, n, "resolved at load (no kernel)");
  for (size_t i = 0; i < roof_kernel_impl_count() && o + 1 < n; i++) {
    const roof_kernel_impl* e = roof_kernel_impl_at(i);
    if (e->op != s->id) continue;
    char dt[96];
    dtypes_text(e, dt, sizeof(dt));
    o += (size_t)snprintf(buf + o, n - o, "%s%s%s%s %s", o && buf[o - 2] != ';' ? " | " : "", roof_backend_name(e->backend),
                          e->algorithm ? "/" : "", e->algorithm ? e->algorithm : "", dt);
  }
}

void roof_report_ops_text(FILE* f) {
  fprintf(f, "%-20s %-11s %-7s %s\n", "op", "domain", "opsets", "kernels in priority order (backend dtypes)");
  for (int id = 0; id < ROOF_OP_COUNT; id++) {
    const roof_op_schema* s = roof_op_schema_of((roof_op_id)id);
    char range[32], kern[512];
    opsets_text(s, range, sizeof(range));
    kernels_text(s, kern, sizeof(kern));
    fprintf(f, "%-20s %-11s %-7s %s\n", s->op_type, s->domain[0] ? s->domain : "ai.onnx", range, kern);
  }
}

cJSON* roof_report_ops_json(void) {
  cJSON* root = cJSON_CreateObject();
  cJSON* ops = cJSON_AddArrayToObject(root, "ops");
  cJSON_AddStringToObject(root, "schema", "rooftop.ops/1");
  for (int id = 0; ops && id < ROOF_OP_COUNT; id++) {
    const roof_op_schema* s = roof_op_schema_of((roof_op_id)id);
    cJSON* o = cJSON_CreateObject();
    if (o == NULL) break;
    cJSON_AddItemToArray(ops, o);
    cJSON_AddStringToObject(o, "op_type", s->op_type);
    cJSON_AddStringToObject(o, "domain", s->domain[0] ? s->domain : "ai.onnx");
    cJSON_AddNumberToObject(o, "since_version", s->since_version);
    if (s->until_version < 1000) cJSON_AddNumberToObject(o, "until_version", s->until_version);
    else cJSON_AddNullToObject(o, "until_version");
    cJSON_AddBoolToObject(o, "view", (s->flags & ROOF_OPF_ALIAS) != 0);
    cJSON_AddBoolToObject(o, "load_only", (s->flags & ROOF_OPF_LOAD_ONLY) != 0);
    cJSON* ks = cJSON_AddArrayToObject(o, "kernels");
    for (size_t i = 0; ks && i < roof_kernel_impl_count(); i++) {
      const roof_kernel_impl* e = roof_kernel_impl_at(i);
      if (e->op != s->id) continue;
      cJSON* k = cJSON_CreateObject();
      if (k == NULL) break;
      cJSON_AddItemToArray(ks, k);
      cJSON_AddStringToObject(k, "backend", roof_backend_name(e->backend));
      if (e->algorithm) cJSON_AddStringToObject(k, "algorithm", e->algorithm);
      cJSON* dts = cJSON_AddArrayToObject(k, "dtypes");
      if (e->dtypes == NULL) cJSON_AddItemToArray(dts, cJSON_CreateString("any"));
      for (const int* d = e->dtypes; d && *d; d++) cJSON_AddItemToArray(dts, cJSON_CreateString(roof_dtype_name(*d)));
    }
  }
  return root;
}
