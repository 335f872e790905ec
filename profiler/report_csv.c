/* CSV report: one row per layer, RFC 4180 quoting (fields with comma, quote, CR or LF are
 * quoted and quotes doubled). Names are cleaned to valid UTF-8 first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static void field(FILE* f, const char* s) {
  char* clean = roof_utf8_clean(s);
  const char* t = clean ? clean : "";
  if (strpbrk(t, ",\"\r\n") == NULL) {
    fputs(t, f);
  } else {
    fputc('"', f);
    for (const char* p = t; *p; p++) {
      if (*p == '"') fputc('"', f);
      fputc(*p, f);
    }
    fputc('"', f);
  }
  free(clean);
}

static void write_rows(FILE* f, const roof_profile* p) {
  static const char* const kLevel[] = {"l1", "l2", "l3", "dram"};
  fputs("index,name,op_type,kernel,fused_from,output_shape,params,macs,flops,bytes_read,bytes_written,"
        "arithmetic_intensity,median_ms,min_ms,max_ms,mean_ms,p90_ms,stddev_ms,share,roofline_ms,roofline_dram_ms,"
        "roofline_level,bound,efficiency,headroom_ms,achieved_gflops,achieved_gbs\r\n", f);
  const roof_graph* g = p->g;
  for (int i = 0; i < p->num_layers; i++) {
    const roof_layer* l = &p->layers[i];
    fprintf(f, "%d,", l->index);
    field(f, l->node->name);
    fputc(',', f);
    field(f, l->node->op_type);
    fprintf(f, ",%s,", l->kernel ? l->kernel : ""); /* info: none chosen */
    size_t len = 1;
    for (int k = 0; k < l->node->num_fused_from; k++) len += strlen(l->node->fused_from[k]) + 1;
    char* ff = calloc(len, 1);
    for (int k = 0; ff && k < l->node->num_fused_from; k++) {
      if (k) strcat(ff, ";");
      strcat(ff, l->node->fused_from[k]);
    }
    field(f, ff ? ff : "");
    free(ff);
    const roof_value* y = roof_out(g, l->node, 0);
    char shape[96] = "";
    if (y) roof_shape_str(y->dims, y->rank, shape, sizeof(shape));
    fprintf(f, ",%s,%llu,%llu,%llu,%llu,%llu,%.6g", shape, (unsigned long long)l->cost.params,
            (unsigned long long)l->cost.macs, (unsigned long long)l->cost.flops,
            (unsigned long long)l->cost.bytes_read, (unsigned long long)l->cost.bytes_written, l->intensity);
    fprintf(f, ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", l->time_ms.median, l->time_ms.min, l->time_ms.max,
            l->time_ms.mean, l->time_ms.p90, l->time_ms.stddev, l->share);
    if (p->has_hw) {
      fprintf(f, ",%.6f,%.6f,%s,%s,%.6f,%.6f,%.6g,%.6g\r\n", l->roofline_ms, l->roofline_dram_ms,
              kLevel[l->roofline_level], !l->cost.has_model ? "unknown" : l->compute_bound ? "compute" : "memory",
              l->efficiency, l->headroom_ms, l->achieved_gflops, l->achieved_gbs);
    } else {
      fputs(",,,,,,,,\r\n", f);
    }
  }
}

roof_status roof_report_csv(const char* path, const roof_profile* p, roof_error* err) {
  char* text = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  if (f == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  write_rows(f, p);
  bool ok = !ferror(f);
  fclose(f);
  roof_status st = ok ? roof_write_text_file(path, text, err) : roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  free(text);
  return st;
}
