/* Terminal report: a summary, then one row per executed layer, fitting 100 columns (long
 * layer names are cut in the middle; only unbounded strings such as the model path or the CPU
 * name can make a summary line longer). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

static bool utf8_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

/* Code points in s (continuation bytes not counted; an invalid byte counts as one). */
static int utf8_width(const char* s) {
  int n = 0;
  for (; *s; s++) n += !utf8_cont(*s);
  return n;
}

/* Byte length of the first n code points of s. */
static size_t utf8_head(const char* s, int n) {
  size_t i = 0;
  for (int k = 0; s[i] && k < n; k++) {
    i++;
    while (utf8_cont(s[i])) i++;
  }
  return i;
}

/* Pointer to the last n code points of s (a string of `width` code points). */
static const char* utf8_tail(const char* s, int width, int n) { return s + utf8_head(s, width - n); }

/* Copy of s with control characters written as escapes (\n, \t, \xNN): a name must not break
 * a line or move the cursor (malloc'ed; NULL when s has none, or out of memory). */
static char* escape_controls(const char* s) {
  size_t n = 0, len = strlen(s);
  for (size_t i = 0; i < len; i++) n += (unsigned char)s[i] < 0x20 || s[i] == 0x7f;
  char* out = n ? malloc(len + 3 * n + 1) : NULL;
  if (out == NULL) return NULL;
  char* o = out;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\n') o += sprintf(o, "\\n");
    else if (c == '\t') o += sprintf(o, "\\t");
    else if (c < 0x20 || c == 0x7f) o += sprintf(o, "\\x%02x", c);
    else *o++ = (char)c;
  }
  *o = '\0';
  return out;
}

/* s in exactly `width` columns: padded, or cut in the middle with an ellipsis, since layer
 * names differ at both ends ("layer1.0.co\u2026bn2"). Cuts fall on code point boundaries;
 * control characters are escaped first. */
static void print_cut(FILE* f, const char* raw, int width) {
  char* escaped = escape_controls(raw);
  const char* s = escaped ? escaped : raw;
  int len = utf8_width(s);
  if (len <= width) {
    fprintf(f, "%s%*s", s, width - len, "");
  } else {
    int head = (width - 1) / 2, tail = width - 1 - head;
    fprintf(f, "%.*s\xE2\x80\xA6%s", (int)utf8_head(s, head), s, utf8_tail(s, len, tail));
  }
  free(escaped);
}

/* Layer names are paths whose distinguishing part sits in the middle
 * ("/features/features.12/conv/conv.0/conv.0.0/Conv"): before a cut, `name` (escaped) is
 * shortened in `out` while wider than `width`: first path segments that only repeat the start
 * of the next one are dropped ("/features/features.12" -> "/features.12"), then the words of
 * leading segments are cut to their first letter ("features.12" -> "f.12"), one segment at a
 * time from the left, keeping every number; the last segment (the op) stays whole. */
enum { kMaxSegs = 64 };

static void join(char** seg, const bool* drop, int n, char* out, size_t cap) {
  size_t o = 0;
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (drop[i]) continue;
    int w = snprintf(out + o, cap - o, "%s%s", o || i ? "/" : "", seg[i]);
    if (w < 0 || (size_t)w >= cap - o) return;
    o += (size_t)w;
  }
}

static void abbreviate(char* s) {
  char* o = s;
  for (char* p = s; *p;) {
    bool letter = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
    *o++ = *p++;
    while (letter && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
  }
  *o = '\0';
}

static void shorten(const char* name, int width, char* out, size_t cap) {
  snprintf(out, cap, "%s", name);
  if (utf8_width(out) <= width) return;
  char* buf = strdup(name);
  char* seg[kMaxSegs];
  bool drop[kMaxSegs] = {false};
  int n = 0;
  for (char* p = buf; buf && n < kMaxSegs; n++) {
    seg[n] = p;
    p = strchr(p, '/');
    if (p == NULL || n + 1 == kMaxSegs) break;
    *p++ = '\0';
  }
  n = buf ? n + 1 : 0;
  if (buf && strchr(seg[n - 1], '/')) n = 0; /* more segments than kMaxSegs: cut only */
  for (int i = 0; i + 1 < n; i++) {
    size_t len = strlen(seg[i]);
    drop[i] = len > 0 && strncmp(seg[i], seg[i + 1], len) == 0 && (seg[i + 1][len] == '.' || seg[i + 1][len] == '_');
  }
  if (n > 0) join(seg, drop, n, out, cap);
  for (int i = 0; i + 1 < n && utf8_width(out) > width; i++) {
    if (drop[i]) continue;
    abbreviate(seg[i]);
    join(seg, drop, n, out, cap);
  }
  free(buf);
}

/* s in at most `width` columns, unpadded (inside a sentence). */
static void print_upto(FILE* f, const char* s, int width) {
  int len = utf8_width(s);
  print_cut(f, s, len < width ? len : width);
}

typedef struct sort_ctx {
  const roof_layer* layers;
  roof_sort key;
} sort_ctx;

static double sort_value(const roof_layer* l, roof_sort key) {
  switch (key) {
    case ROOF_SORT_TIME: return -l->time_ms.median;
    case ROOF_SORT_HEADROOM: return -l->headroom_ms;
    case ROOF_SORT_EFFICIENCY: return l->time_ms.median > 0 ? l->efficiency : 1e30;
    default: return (double)l->index;
  }
}

/* qsort has no context argument: sort an index array with an insertion sort instead
 * (layer counts are in the thousands at most). */
static void sort_indices(int* idx, int n, const roof_layer* layers, roof_sort key) {
  for (int i = 1; i < n; i++) {
    int v = idx[i];
    double kv = sort_value(&layers[v], key);
    int j = i - 1;
    while (j >= 0 && sort_value(&layers[idx[j]], key) > kv) {
      idx[j + 1] = idx[j];
      j--;
    }
    idx[j + 1] = v;
  }
}

/* One line per core type (one line in all on most machines), the types this run's CPUs hold
 * marked: big.LITTLE latency depends on where the threads land. */
static void core_types(FILE* f, const roof_profile* p) {
  for (int i = 0; i < p->cores.count; i++) {
    char d[160];
    roof_core_type_describe(&p->cores, i, d, sizeof(d));
    bool mark = p->cores.count > 1 && (p->cores_used >> i & 1u);
    fprintf(f, "cores    %s%s\n", d, mark ? " (this run)" : "");
  }
}

/* Where the run happened (or, for info, would), with every reason to doubt its figures. */
static void machine(FILE* f, const roof_profile* p) {
  fprintf(f, "machine  ");
  print_upto(f, p->cpu, 56); /* CPU names run to 50 characters and more ("Intel(R) Xeon(R) ...") */
  fprintf(f, ", %u thread%s on CPUs %.12s (%u allowed)\n", p->threads, p->threads == 1 ? "" : "s", p->affinity,
          p->allowed_cpus);
  if (p->oversubscribed) {
    fprintf(f, "warning  %u threads on %u allowed CPUs: threads take turns, times are inflated\n", p->threads,
            p->allowed_cpus);
  }
  core_types(f, p);
  if (!p->has_hw) return;
  /* the CPU is on the machine line; a file's roofs name theirs on a line of its own */
  bool same = strcmp(p->hw.cpu, p->cpu) == 0;
  if (!same) {
    fprintf(f, "roofs    %s of ", p->hw.source);
    print_upto(f, p->hw.cpu, 80);
    fprintf(f, "\n");
  }
  /* the int8 roof next to the FP32 one; a file without it judges int8 layers by FP32 */
  char int8[48] = "";
  if (p->hw.peak_int8_gops > 0) snprintf(int8, sizeof(int8), ", int8 %.0f GOP/s", p->hw.peak_int8_gops);
  fprintf(f, "%s%.16s%s %u thread%s: %.1f GFLOP/s%s; L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.1f GB/s\n", same ? "roofs    " : "        ",
          same ? p->hw.source : "", same ? "," : "", p->hw.threads, p->hw.threads == 1 ? "" : "s", p->hw.peak_gflops,
          int8, p->hw.read_gbs[0], p->hw.read_gbs[1], p->hw.read_gbs[2], p->hw.read_gbs[3]);
  if (p->hw.problem[0]) { /* the rule broken, on its own line: it may be long */
    fprintf(f, "warning  the probe contradicts itself: used for this run, not cached\n         ");
    print_upto(f, p->hw.problem, 90);
    fprintf(f, "\n");
  }
  if (p->above_peak) {
    fprintf(f, "warning  layer #%d ran at %.1f GFLOP/s, above the probed peak: the probe is suspect\n         (",
            p->above_peak->index, p->above_peak->achieved_gflops);
    print_upto(f, p->above_peak->node->name, 40);
    fprintf(f, "; the cached probe is dropped)\n");
  }
}

/* Another machine's roofline time: a prediction, labelled as one, never a measurement. */
static void prediction(FILE* f, const roof_profile* p) {
  if (!p->has_target) return;
  fprintf(f, "predict  %.3f ms per inference predicted (roofline time, not measured; column \"pred ms\") for\n"
             "         ", p->predicted_ms);
  print_upto(f, p->target.cpu, 76);
  fprintf(f, ", %u thread%s\n", p->target.threads, p->target.threads == 1 ? "" : "s");
  roof_energy e = roof_profile_energy_predicted(p);
  if (e.valid) {
    fprintf(f, "         predicted energy from the file's constants: %.1f W, %.4g J (%.3g Wh) per inference,\n"
               "         %.3g gCO2, %.3g cost units\n", e.power_w, e.joules, e.wh, e.gco2, e.cost);
  }
}

/* "run      noisy (reason; reason)", wrapped at the reasons to stay within 100 columns, then
 * the outcome of --until-stable when asked for. */
/* Streaming models (--feedback): latency per call in microseconds, and the state carried. */
static void frames(FILE* f, const roof_profile* p) {
  const roof_graph* g = p->g;
  fprintf(f, "frames   median %.1f us per call (p99 %.1f us); state fed back:", 1e3 * p->latency_ms.median,
          1e3 * p->latency_ms.p99);
  int col = 62; /* pairs wrap at 99 columns; names are cut to 40 columns each */
  for (int i = 0; i < p->num_feedback; i++) {
    const char* o = g->values[g->outputs[p->feedback[i][0]]].name;
    const char* in = g->values[g->inputs[p->feedback[i][1]]].name;
    o = o ? o : "?";
    in = in ? in : "?";
    int need = 1 + (utf8_width(o) < 40 ? utf8_width(o) : 40) + 2 + (utf8_width(in) < 40 ? utf8_width(in) : 40) + 1;
    if (col + need > 99) {
      fprintf(f, "\n        ");
      col = 8;
    }
    fputc(' ', f);
    print_upto(f, o, 40);
    fputs("->", f);
    print_upto(f, in, 40);
    if (i + 1 < p->num_feedback) fputc(',', f);
    col += need;
  }
  fprintf(f, "\n");
}

static void verdict(FILE* f, const roof_profile* p) {
  const roof_noise* n = &p->noise;
  fprintf(f, "run      %s", n->noisy ? "noisy" : "quiet");
  size_t col = 14;
  for (int i = 0; i < n->num_reasons; i++) {
    const char* sep = i ? "; " : " (";
    size_t w = strlen(sep) + strlen(n->reasons[i]) + (i + 1 == n->num_reasons);
    if (col + w > 100) {
      fprintf(f, "%s\n        ", i ? ";" : " (");
      sep = " ";
      col = 9;
    }
    /* a reason longer than a line (many busy processes) is cut at the edge */
    int room = (int)(100 - col - strlen(sep) - 1);
    int len = (int)strlen(n->reasons[i]);
    if (len > room && room > 3) fprintf(f, "%s%.*s...", sep, room - 3, n->reasons[i]);
    else fprintf(f, "%s%s", sep, n->reasons[i]);
    col += w;
  }
  fprintf(f, "%s\n", n->num_reasons ? ")" : "");
  if (!n->until_stable) return;
  if (n->settled) {
    fprintf(f, "stable   settled after %d runs (%d batches: medians moved < %.0f%%)\n", p->runs, n->batches,
            100.0 * ROOF_SETTLE_MOVE);
  } else if (n->batches < 2) {
    fprintf(f, "stable   not settled: one batch (%d runs) within the caps (--max-runs, --max-seconds)\n", p->runs);
  } else if (n->settle_layer >= 0) {
    fprintf(f, "stable   not settled after %d runs (%d batches): layer #%d moved %.1f%%\n", p->runs, n->batches,
            n->settle_layer, 100.0 * n->settle_move);
  } else {
    fprintf(f, "stable   not settled after %d runs (%d batches): latency median moved %.1f%%\n", p->runs, n->batches,
            100.0 * n->settle_move);
  }
}

/* Percentiles asked for, start-up times, and how the runs ended (--duration, Ctrl-C). */
static void run_figures(FILE* f, const roof_profile* p) {
  int col = fprintf(f, "         percentiles");
  for (int i = 0; i < p->num_percentiles; i++) {
    if (col > 84) col = fprintf(f, "\n        ");
    col += fprintf(f, " p%g %.3f%s", p->percentile_q[i], p->percentile_ms[i], i + 1 < p->num_percentiles ? "," : " ms");
  }
  fprintf(f, "\nstartup  first run %.3f ms", p->first_run_ms);
  if (p->load_ms > 0) fprintf(f, "; model load %.1f ms, session (kernels, packed weights) %.1f ms", p->load_ms, p->session_ms);
  fprintf(f, "\n");
  if (p->duration_s > 0 && !p->stopped) fprintf(f, "         %d runs in --duration %g s\n", p->runs, p->duration_s);
  if (p->stopped) fprintf(f, "stopped  interrupted (Ctrl-C): the figures cover the %d runs finished\n", p->runs);
}

static void summary(FILE* f, const roof_profile* p) {
  const roof_graph* g = p->g;
  fprintf(f, "model    %s (opset %lld)\n", g->path, (long long)g->opset);
  fprintf(f, "graph    %d nodes, %d executed, %" PRIu64 " params (%.1f MiB)\n", g->num_original_nodes, p->num_layers,
          p->params, (double)p->weight_bytes / 1048576.0);
  fprintf(f, "work     %.3f GFLOP (%.3f G multiply-accumulates), %.1f MiB moved\n", (double)p->flops / 1e9,
          (double)p->macs / 1e9, (double)p->bytes / 1048576.0);
  const roof_sequence* q = &p->seq;
  if (q->attention_blocks > 0) {
    fprintf(f, "sequence %d attention blocks, %lld keys per query, %lld tokens", q->attention_blocks,
            (long long)q->keys, (long long)q->tokens);
    if (p->runs > 0) fprintf(f, "; attention %.3f ms (%.1f%%)", q->attention_ms, 100.0 * q->attention_share);
    fprintf(f, "\n         %.1f MFLOP/token counted; forward rule 2 x %.1f M non-embedding params = %.1f\n",
            (double)q->flops_per_token / 1e6, (double)q->dense_params / 1e6, (double)q->rule_flops_per_token / 1e6);
  }
  fprintf(f, "memory   arena %.2f MiB (naive %.2f MiB)%s", (double)p->arena_bytes / 1048576.0,
          (double)p->activation_bytes_total / 1048576.0,
          p->arena_estimated ? ", estimated without kernels (widest padding per op)" : "");
  if (p->runs > 0) {
    fprintf(f, "; peak RSS %.1f MiB; %.1f minor page faults per run", (double)p->peak_rss_bytes / 1048576.0,
            p->minor_faults_per_run);
  }
  fprintf(f, "\n");
  machine(f, p);
  if (p->runs > 0) {
    fprintf(f, "latency  median %.3f ms (min %.3f, p90 %.3f, max %.3f, sd %.3f), %d runs, %d warm-up\n",
            p->latency_ms.median, p->latency_ms.min, p->latency_ms.p90, p->latency_ms.max, p->latency_ms.stddev,
            p->runs, p->warmup);
    if (p->num_feedback) frames(f, p);
    if (p->streams > 1) {
      fprintf(f, "streams  %d at once, %u thread%s each: %.2f inferences/s (%d runs pooled, %.1f ms of runs)\n",
              p->streams, p->threads, p->threads == 1 ? "" : "s", p->throughput_per_s, p->runs, p->streams_wall_ms);
    }
    run_figures(f, p);
    fprintf(f, "layers   sum of medians %.3f ms, instrumented %.3f ms (spread %.3f ms, overhead %.2f%%)\n",
            p->layer_sum_ms, p->instrumented_ms.median, p->instrumented_ms.median - p->layer_sum_ms, p->overhead_pct);
    fprintf(f, "         %.3f ms in layers with no FLOP model; CPUs %s\n", p->unmodelled_ms, p->affinity);
    verdict(f, p);
    roof_energy e = roof_profile_energy(p);
    if (e.valid) {
      fprintf(f, "energy   estimate from this machine's constants: %.1f W, %.4g J (%.3g Wh) per inference,\n"
                 "         %.3g gCO2, %.3g cost units\n", e.power_w, e.joules, e.wh, e.gco2, e.cost);
    }
  }
  prediction(f, p);
}

static bool on_ref(const roof_layer* l) { return l->kernel && strcmp(l->kernel, "ref") == 0; }

static bool same_fallback(const roof_layer* a, const roof_layer* b) {
  return on_ref(a) && on_ref(b) && a->node->op == b->node->op &&
         strcmp(a->kernel_reason ? a->kernel_reason : "", b->kernel_reason ? b->kernel_reason : "") == 0;
}

/* Layers on reference kernels, grouped by op and reason (first 8 groups): the slow paths a user
 * should know of, with why every faster kernel refused. */
static void fallbacks(FILE* f, const roof_profile* p) {
  int n = 0, shown = 0;
  double ms = 0.0;
  for (int i = 0; i < p->num_layers; i++) {
    if (!on_ref(&p->layers[i])) continue;
    n++;
    ms += p->layers[i].time_ms.median;
  }
  if (n == 0) return;
  const char* layers = n == 1 ? "layer" : "layers";
  if (p->runs > 0) fprintf(f, "reference kernels: %d %s, %.3f ms (%.1f%% of the layer time)\n", n, layers, ms,
                           p->layer_sum_ms > 0 ? 100.0 * ms / p->layer_sum_ms : 0.0);
  else fprintf(f, "reference kernels: %d %s\n", n, layers);
  for (int i = 0; i < p->num_layers && shown < 8; i++) {
    const roof_layer* l = &p->layers[i];
    bool first = on_ref(l);
    for (int j = 0; first && j < i; j++) first = !same_fallback(&p->layers[j], l); /* one line per (op, reason) */
    if (!first) continue;
    int same = 0;
    for (int j = i; j < p->num_layers; j++) same += same_fallback(&p->layers[j], l);
    fprintf(f, "  %.24s x%d: %.64s\n", l->node->op_type, same,
            l->kernel_reason && l->kernel_reason[0] ? l->kernel_reason : "no faster kernel for this op");
    shown++;
  }
}

/* Nodes a partial prepare (rooftop info) set aside, with why (first 8). */
static void not_analysed(FILE* f, const roof_profile* p) {
  int n = 0, shown = 0;
  for (int i = 0; i < p->g->num_folded; i++) n += strcmp(p->g->folded[i].pass, "not_analysed") == 0;
  if (n == 0) return;
  fprintf(f, "not analysed: %d %s (no cost in the totals)\n", n, n == 1 ? "node" : "nodes");
  for (int i = 0; i < p->g->num_folded && shown < 8; i++) {
    const roof_folded* r = &p->g->folded[i];
    if (strcmp(r->pass, "not_analysed") != 0) continue;
    fprintf(f, "  ");
    print_cut(f, r->name, 40);
    fprintf(f, " %s\n", r->reason);
    shown++;
  }
  if (n > shown) fprintf(f, "  (%d more in the JSON report's folded list)\n", n - shown);
}

/* Layers faster than their roof, each with its likeliest reason (first 8). */
static void above_roof(FILE* f, const roof_profile* p) {
  int n = 0, shown = 0;
  for (int i = 0; i < p->num_layers; i++) n += p->layers[i].above_roof;
  if (n == 0) return;
  fprintf(f, "above their roof: %d %s\n", n, n == 1 ? "layer" : "layers");
  for (int i = 0; i < p->num_layers && shown < 8; i++) {
    const roof_layer* l = &p->layers[i];
    if (!l->above_roof) continue;
    fprintf(f, "  #%d %.16s %.0f%%: %s\n", l->index, l->node->op_type, 100.0 * l->efficiency, l->above_reason);
    shown++;
  }
}

/* Float layers between DequantizeLinear and QuantizeLinear (the first 8 by name) and the
 * bytes their DQ/Q add over the float model: quantization meant to save bandwidth, costing it. */
static void dq_sandwich(FILE* f, const roof_profile* p) {
  if (p->dq_sandwich_layers == 0) return;
  fprintf(f, "dq_sandwich: %d float %s between DequantizeLinear and QuantizeLinear move %.2f MiB more than in\n"
             "  the float model (the DQ/Q around them; fused, they would move int8 only):\n",
          p->dq_sandwich_layers, p->dq_sandwich_layers == 1 ? "layer" : "layers", (double)p->dq_sandwich_bytes / 1048576.0);
  int shown = 0;
  for (int i = 0; i < p->num_layers && shown < 8; i++) {
    const roof_layer* l = &p->layers[i];
    if (l->dq_sandwich_bytes == 0) continue;
    fprintf(f, "  #%d ", l->index);
    print_cut(f, l->node->name, 40);
    fprintf(f, " %.16s: +%.1f KiB\n", l->node->op_type, (double)l->dq_sandwich_bytes / 1024.0);
    shown++;
  }
  if (p->dq_sandwich_layers > shown) fprintf(f, "  (%d more: JSON flags dq_sandwich)\n", p->dq_sandwich_layers - shown);
}

/* Layers whose kernel executes other FLOPs than the model counts (Winograd): how many, and the
 * executed share, so that an efficiency above 100% reads as the algorithm's, not an error. */
static void fast_algorithms(FILE* f, const roof_profile* p) {
  int n = 0;
  uint64_t model = 0, executed = 0;
  const char* name = NULL;
  for (int i = 0; i < p->num_layers; i++) {
    const roof_layer* l = &p->layers[i];
    if (!l->algorithm) continue;
    n++;
    model += l->cost.flops;
    executed += l->executed_flops;
    name = l->algorithm;
  }
  if (n == 0) return;
  fprintf(f, "%s: %d %s execute %.0f%% of their model FLOPs (direct conv, what eff judges)\n"
             "  * = above the direct roof, within the roof of the executed FLOPs (JSON executed_flops)\n",
          name, n, n == 1 ? "layer" : "layers", model ? 100.0 * (double)executed / (double)model : 0.0);
}

/* Widths of the layer and describe columns: the layer column takes what the fixed columns
 * leave of `width` (0: no limit) beside a describe column of up to 24, shown when at least 10
 * of it fit beside a layer column of 20. */
static void column_widths(const roof_profile* p, const int* idx, int n, int fixed, int width, int* name_w, int* desc_w) {
  int name_need = 5, desc_need = 0;
  for (int r = 0; r < n; r++) {
    const roof_layer* l = &p->layers[idx[r]];
    char* e = escape_controls(l->node->name);
    int w = utf8_width(e ? e : l->node->name);
    free(e);
    name_need = w > name_need ? w : name_need;
    w = (int)strlen(l->describe);
    desc_need = w > desc_need ? w : desc_need;
  }
  int avail = width - fixed;
  if (width <= 0 || avail >= name_need + 1 + desc_need) {
    *name_w = name_need;
    *desc_w = desc_need;
    return;
  }
  int d = desc_need < 24 ? desc_need : 24; /* "k3x3 s2 p1 g144" and the like, whole */
  if (avail - 1 - d < 20) d = avail - 1 - 20;
  *desc_w = d >= 10 ? d : 0;
  *name_w = avail - (*desc_w ? 1 + *desc_w : 0);
  if (*name_w < 12) *name_w = 12;
}

typedef struct op_sum {
  const char* op;
  int layers;
  double ms, roof_ms, mflop;
} op_sum;

/* Time, layers, FLOPs and time-weighted efficiency (summed roofs over summed medians) per op
 * type, largest first (by time, or FLOPs for info): the by-op table of the HTML report. */
static void by_op(FILE* f, const roof_profile* p) {
  op_sum* ops = calloc((size_t)p->num_layers + 1, sizeof(op_sum));
  int n = 0;
  bool timed = p->runs > 0;
  for (int i = 0; ops && i < p->num_layers; i++) {
    const roof_layer* l = &p->layers[i];
    int k = 0;
    while (k < n && strcmp(ops[k].op, l->node->op_type) != 0) k++;
    if (k == n) ops[n++].op = l->node->op_type;
    ops[k].layers++;
    ops[k].ms += l->time_ms.median;
    ops[k].roof_ms += l->roofline_ms;
    ops[k].mflop += (double)l->cost.flops / 1e6;
  }
  for (int i = 1; i < n; i++) { /* insertion sort, largest first */
    op_sum v = ops[i];
    int j = i - 1;
    for (; j >= 0 && (timed ? ops[j].ms < v.ms : ops[j].mflop < v.mflop); j--) ops[j + 1] = ops[j];
    ops[j + 1] = v;
  }
  if (n > 0) fprintf(f, "\nby op    %-22s %6s %10s", "op", "layers", "MFLOP");
  if (n > 0 && timed) fprintf(f, " %9s %6s%s", "ms", "share", p->has_hw ? "    eff" : "");
  if (n > 0) fprintf(f, "\n");
  for (int k = 0; k < n && k < 16; k++) {
    fprintf(f, "         %-22.22s %6d %10.2f", ops[k].op, ops[k].layers, ops[k].mflop);
    if (timed) fprintf(f, " %9.3f %5.1f%%", ops[k].ms, p->layer_sum_ms > 0 ? 100.0 * ops[k].ms / p->layer_sum_ms : 0.0);
    if (timed && p->has_hw) fprintf(f, " %5.0f%%", ops[k].ms > 0 ? 100.0 * ops[k].roof_ms / ops[k].ms : 0.0);
    fprintf(f, "\n");
  }
  if (n > 16) fprintf(f, "         (%d more op types)\n", n - 16);
  free(ops);
}

/* The layers of If / Loop / Scan bodies (first kMaxBodyRows), in execution order under their
 * control layer's index: per timed run their iterations, median per iteration and median
 * total; their time is inside the control row's, whose own part (copies in and out, the
 * condition) closes each control layer's rows. 95 columns. */
enum { kMaxBodyRows = 48, kBodyName = 38 };

/* The columns every body line starts with: its control layer's index and its name, shortened. */
static void body_lead(FILE* f, int index, const char* raw, char* name, size_t cap) {
  fprintf(f, "%4d  ", index);
  char* e = escape_controls(raw);
  shorten(e ? e : raw, kBodyName, name, cap);
  free(e);
  print_cut(f, name, kBodyName);
}

static void body_row(FILE* f, const roof_profile* p, const roof_body_layer* l, char* name, size_t cap) {
  body_lead(f, l->parent, l->node->name, name, cap);
  fprintf(f, " %-12.12s %-3.3s", l->node->op_type, l->kernel);
  if (p->body_runs == 0) fprintf(f, "  not timed\n");
  else if (l->runs_executed == 0) fprintf(f, "       0  not executed in these %d runs\n", p->body_runs);
  else {
    fprintf(f, " %7.0f %8.4f %9.4f %5.1f%%%s\n", l->iterations.median, l->per_iteration_ms, l->total_ms.median,
            100.0 * l->share, l->runs_executed < p->body_runs ? " +" : "");
  }
}

static void self_row(FILE* f, const roof_profile* p, int index, const roof_node* n, double self_ms, char* name, size_t cap) {
  if (p->body_runs == 0) return;
  char own[512];
  snprintf(own, sizeof(own), "%s (own)", n->name);
  body_lead(f, index, own, name, cap);
  fprintf(f, " %-12.12s %-3s %7s %8s %9.4f\n", n->op_type, "", "", "", self_ms);
}

/* Whether body row `row` lies inside control layer `parent` and, owner >= 0, inside nested
 * control row `owner`. */
static bool within(const roof_profile* p, int row, int parent, int owner) {
  if (row >= p->num_body_layers || p->body_layers[row].parent != parent) return false;
  for (int o = p->body_layers[row].owner; owner >= 0; o = p->body_layers[o].owner) {
    if (o == owner) return true;
    if (o < 0) return false;
  }
  return true;
}

/* info (nothing run): each body layer's cost per iteration of its body, as the main table's
 * columns less the kernel (none chosen); describe cut to fit `width` (<= 0: whole). */
static void planned_bodies(FILE* f, const roof_profile* p, int width, char* name, size_t cap) {
  int fixed = 6 + kBodyName + 1 + 12 + 1 + 8 + 1 + 7 + 1; /* up to the describe column */
  int desc_w = width <= 0 ? (int)sizeof(p->body_layers[0].describe) : width - fixed >= 8 ? width - fixed : 0;
  fprintf(f, "\ncontrol-flow bodies: cost per iteration of their body (inside their If/Loop/Scan row's cost)\n");
  fprintf(f, "%4s  %-*s %-12s %8s %7s%s\n", "#", kBodyName, "layer", "op", "MFLOP", "MiB", desc_w ? " describe" : "");
  int n = p->num_body_layers < kMaxBodyRows ? p->num_body_layers : kMaxBodyRows;
  for (int i = 0; i < n; i++) {
    const roof_body_layer* l = &p->body_layers[i];
    uint64_t bytes = l->cost.bytes_read + l->cost.bytes_written;
    body_lead(f, l->parent, l->node->name, name, cap);
    fprintf(f, " %-12.12s %8.2f %7.2f", l->node->op_type, (double)l->cost.flops / 1e6, (double)bytes / 1048576.0);
    if (desc_w > 0 && l->describe[0]) fprintf(f, " %.*s", desc_w, l->describe);
    fprintf(f, "\n");
  }
  if (n < p->num_body_layers) fprintf(f, "(%d more body layers in the JSON report's body_layers)\n", p->num_body_layers - n);
  fprintf(f, "MFLOP and MiB per iteration of the body, not timed and not added to the totals: the control row\n"
             "counts them times its trip count (describe: xN iter; an If, its costlier branch once)\n");
}

static void bodies(FILE* f, const roof_profile* p, int width) {
  if (p->num_body_layers == 0) return;
  char* name = malloc(4 * 4096 + 1);
  if (name == NULL) return;
  if (p->runs == 0 && p->body_runs == 0) {
    planned_bodies(f, p, width, name, 4 * 4096 + 1);
    free(name);
    return;
  }
  fprintf(f, "\ncontrol-flow bodies: inside their If/Loop/Scan row's time, not added to the sums\n");
  fprintf(f, "%4s  %-*s %-12s %-3s %7s %8s %9s %6s\n", "#", kBodyName, "layer", "op", "krn", "iters", "ms/iter",
          "total ms", "share");
  int shown = 0, listed = 0, partial = 0; /* lines printed, body layers among them */
  for (int i = 0; i < p->num_body_layers; i++) {
    const roof_body_layer* l = &p->body_layers[i];
    partial += p->body_runs > 0 && l->runs_executed > 0 && l->runs_executed < p->body_runs;
    if (shown < kMaxBodyRows) {
      body_row(f, p, l, name, 4 * 4096 + 1);
      shown++;
      listed++;
    }
    /* after the last row inside a control row (nested ones first), that row's own time */
    int parent = l->parent;
    for (int o = l->owner; shown < kMaxBodyRows && !within(p, i + 1, parent, o);) {
      if (o < 0) {
        self_row(f, p, parent, p->layers[parent].node, p->layers[parent].self_ms, name, 4 * 4096 + 1);
        shown++;
        break;
      }
      const roof_body_layer* c = &p->body_layers[o];
      if (c->runs_executed > 0) self_row(f, p, parent, c->node, c->self_ms, name, 4 * 4096 + 1);
      shown++;
      o = c->owner;
    }
  }
  if (listed < p->num_body_layers) {
    fprintf(f, "(%d more body layers in the JSON report's body_layers)\n", p->num_body_layers - listed);
  }
  if (p->body_runs > 0) {
    fprintf(f, "iters = runs of the body per inference (median), ms/iter = median of total / iters; (own) = the\n"
               "control row's time less its bodies' layers: copies in and out, the condition%s\n",
            partial ? "; + = ran in some runs only" : "");
  }
  free(name);
}

void roof_report_table(FILE* f, const roof_profile* p, roof_sort sort, int top) { roof_report_table_fit(f, p, sort, top, 100); }

void roof_report_table_fit(FILE* f, const roof_profile* p, roof_sort sort, int top, int width) {
  static const char* const kLevel[] = {"L1", "L2", "L3", "DRAM"};
  summary(f, p);
  bool timed = p->runs > 0, pred_col = p->has_target; /* info: the predicted time replaces "roof ms" */
  int* idx = malloc(sizeof(int) * ((size_t)p->num_layers + 1));
  if (idx == NULL) return;
  for (int i = 0; i < p->num_layers; i++) idx[i] = i;
  if (sort != ROOF_SORT_ORDER) sort_indices(idx, p->num_layers, p->layers, sort);
  int n = top > 0 && top < p->num_layers ? top : p->num_layers;
  int fixed = 46 + (timed ? 15 : 0) + (pred_col ? 9 : 0) + (p->has_hw && timed ? 6 : 0) +
              (p->has_hw && !timed && !pred_col ? 8 : 0) + (p->has_hw ? 7 : 0); /* bound: "M:DRAM" */
  bool prec_col = roof_profile_mixed_precision(p); /* float16, int8...: "16/32>32" */
  fixed += prec_col ? 10 : 0;
  bool room_col = p->has_hw && timed && (width <= 0 || width - fixed - 8 >= 16); /* headroom, if names keep 16 */
  fixed += room_col ? 8 : 0;
  int name_w, desc_w;
  column_widths(p, idx, n, fixed, width, &name_w, &desc_w);
  fprintf(f, "\n%4s %-*s %-12s %-3s", "#", name_w, "layer", "op", "krn");
  if (prec_col) fprintf(f, " %-9s", "prec");
  fprintf(f, " %8s %7s %6s", "MFLOP", "MiB", "FLOP/B");
  if (timed) fprintf(f, " %8s %5s", "ms", "share");
  if (pred_col) fprintf(f, " %8s", "pred ms");
  if (p->has_hw && timed) fprintf(f, " %5s%s", "eff", room_col ? " hdrm ms" : "");
  if (p->has_hw && !timed && !pred_col) fprintf(f, " %7s", "roof ms");
  if (p->has_hw) fprintf(f, " %-5s", "bound");
  if (desc_w > 0) fprintf(f, " %s", "describe");
  fprintf(f, "\n");
  bool shortened = false;
  char* name = malloc(4 * 4096 + 1);
  for (int r = 0; r < n && name; r++) {
    const roof_layer* l = &p->layers[idx[r]];
    uint64_t bytes = l->cost.bytes_read + l->cost.bytes_written;
    fprintf(f, "%4d ", l->index);
    char* e = escape_controls(l->node->name);
    shorten(e ? e : l->node->name, name_w, name, 4 * 4096 + 1);
    shortened |= strcmp(name, e ? e : l->node->name) != 0 || utf8_width(name) > name_w;
    free(e);
    print_cut(f, name, name_w);
    fprintf(f, " %-12.12s %-3.3s", l->node->op_type, l->kernel ? l->kernel : "-");
    if (prec_col) {
      char prec[32];
      roof_layer_precision(l, prec, sizeof(prec));
      fprintf(f, " %-9.9s", prec);
    }
    fprintf(f, " %8.2f %7.2f %6.1f", (double)l->cost.flops / 1e6, (double)bytes / 1048576.0, l->intensity);
    if (timed) {
      char ms[32];
      /* one decimal less for a marked 4-digit time: the column stays 8 wide */
      snprintf(ms, sizeof(ms), "%s%.*f", l->unstable ? "~" : "", l->unstable && l->time_ms.median >= 999.9995 ? 2 : 3,
               l->time_ms.median);
      fprintf(f, " %8s %4.1f%%", ms, 100.0 * l->share);
    }
    if (pred_col) fprintf(f, " %8.4f", l->predicted_ms);
    if (p->has_hw) {
      const char* mark = l->above_roof ? "!" : l->fast_algorithm ? "*" : " ";
      if (timed && room_col) fprintf(f, " %4.0f%%%s%7.3f ", 100.0 * l->efficiency, mark, l->headroom_ms);
      else if (timed) fprintf(f, " %4.0f%%%s", 100.0 * l->efficiency, mark);
      else fprintf(f, pred_col ? " " : " %7.4f ", l->roofline_ms);
      if (!l->cost.has_model) fprintf(f, "%-5s", "?");
      else if (l->compute_bound) fprintf(f, "%-5s", "C");
      else fprintf(f, "M:%-3s", kLevel[l->roofline_level]);
    }
    if (desc_w > 0) fprintf(f, " %.*s", desc_w, l->describe);
    fprintf(f, "\n");
  }
  free(name);
  if (n < p->num_layers) fprintf(f, "(%d more layers; --top 0 shows all)\n", p->num_layers - n);
  if (shortened) fprintf(f, "names shortened to fit: repeated path parts dropped, words cut to a letter (--wide: whole)\n");
  if (prec_col) {
    fprintf(f, "prec = the model's storage (weights/activations) > what the kernel computes in (16 = float16,\n"
               "       32 = float32); 16>32 runs on float32 copies, and MiB counts the float32 bytes it moves\n");
    if (p->has_hw) { /* which compute roof judges the integer layers */
      if (p->hw.peak_int8_gops > 0) fprintf(f, "       i8/u8 layers are judged against the int8 roof (%.0f GOP/s)\n", p->hw.peak_int8_gops);
      else fprintf(f, "       i8/u8 layers are judged against the FP32 roof: these roofs have no int8 peak\n");
    }
  }
  if (!p->kernels_chosen) fprintf(f, "krn - = not chosen: kernels are chosen only when a session packs the weights\n");
  fallbacks(f, p);
  not_analysed(f, p);
  above_roof(f, p);
  fast_algorithms(f, p);
  dq_sandwich(f, p);
  if (pred_col) {
    fprintf(f, "pred ms = predicted roofline time on %s, %u thread%s (not measured)\n", p->target.cpu,
            p->target.threads, p->target.threads == 1 ? "" : "s");
  }
  if (timed && p->noise.unstable_layers > 0) {
    int n = p->noise.unstable_layers;
    fprintf(f, "~ = unstable median (%d layer%s): its 95%% interval reaches beyond +-%.0f%%; more --runs or "
               "--until-stable\n", n, n == 1 ? "" : "s", 100.0 * ROOF_NOISE_UNSTABLE);
  }
  if (room_col) fprintf(f, "hdrm ms = median - roofline time: the most a faster kernel could save\n");
  if (p->has_hw) {
    fprintf(f, "eff = roofline time / measured median; ! = above its roof (cost model suspect)\n"
               "bound C = compute, M:LEVEL = memory, LEVEL setting the memory time (residency model)\n");
  }
  bodies(f, p, width);
  by_op(f, p);
  free(idx);
}
