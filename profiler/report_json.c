/* JSON report, schema "rooftop.profile/1" (documented in docs/report-json.md).
 * Strings from the model may hold invalid UTF-8, which cJSON would pass through and so emit
 * invalid JSON: every such string is cleaned first (invalid bytes become U+FFFD). Numbers
 * that are not finite are written as null. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "profile.h"
#include "report.h"

char* roof_utf8_clean(const char* s) {
  if (s == NULL) s = "";
  size_t len = strlen(s);
  char* out = malloc(len * 3 + 1);
  if (out == NULL) return NULL;
  const unsigned char* p = (const unsigned char*)s;
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    size_t n = roof_utf8_seq_len(p + i, len - i);
    if (n == 0) {
      memcpy(out + o, "\xEF\xBF\xBD", 3); /* U+FFFD */
      o += 3;
      i++;
    } else {
      memcpy(out + o, p + i, n);
      o += n;
      i += n;
    }
  }
  out[o] = '\0';
  return out;
}

cJSON* roof_json_string(const char* s) {
  char* clean = roof_utf8_clean(s);
  cJSON* j = cJSON_CreateString(clean ? clean : "");
  free(clean);
  return j;
}

cJSON* roof_json_number(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static void add_num(cJSON* o, const char* k, double v) { cJSON_AddItemToObject(o, k, roof_json_number(v)); }
static void add_str(cJSON* o, const char* k, const char* v) { cJSON_AddItemToObject(o, k, roof_json_string(v)); }

/* This machine's core types, the ones the run's CPUs hold marked. */
static cJSON* core_types_obj(const roof_profile* p) {
  cJSON* o = cJSON_CreateObject();
  add_str(o, "source", p->cores.source);
  cJSON* arr = cJSON_AddArrayToObject(o, "types");
  for (int i = 0; arr && i < p->cores.count; i++) {
    const roof_core_type* t = &p->cores.type[i];
    cJSON* e = cJSON_CreateObject();
    if (e == NULL) break;
    cJSON_AddItemToArray(arr, e);
    add_str(e, "role", roof_core_type_role(&p->cores, i));
    add_str(e, "cpus", t->cpus);
    add_num(e, "num_cpus", t->num_cpus);
    add_str(e, "core", t->core);
    add_num(e, "capacity", t->capacity);
    add_num(e, "max_mhz", t->max_mhz);
    cJSON_AddBoolToObject(e, "this_run", p->cores_used >> i & 1u);
  }
  return o;
}

static cJSON* stats_obj(const roof_stats* s) {
  cJSON* o = cJSON_CreateObject();
  add_num(o, "median", s->median);
  add_num(o, "min", s->min);
  add_num(o, "max", s->max);
  add_num(o, "mean", s->mean);
  add_num(o, "p90", s->p90);
  add_num(o, "p95", s->p95);
  add_num(o, "p99", s->p99);
  add_num(o, "stddev", s->stddev);
  add_num(o, "cv", s->cv);
  add_num(o, "median_low", s->median_lo);
  add_num(o, "median_high", s->median_hi);
  return o;
}

/* run.noise: the verdict of noise.h with what was seen. */
static cJSON* noise_obj(const roof_noise* n) {
  cJSON* o = cJSON_CreateObject();
  add_str(o, "verdict", n->noisy ? "noisy" : "quiet");
  cJSON* rs = cJSON_AddArrayToObject(o, "reasons");
  for (int i = 0; i < n->num_reasons; i++) cJSON_AddItemToArray(rs, roof_json_string(n->reasons[i]));
  add_num(o, "runs_total", n->runs_total);
  add_num(o, "runs_slow", n->runs_slow);
  cJSON* band = cJSON_AddArrayToObject(o, "overhead_plausible_pct");
  cJSON_AddItemToArray(band, roof_json_number(n->overhead_lo_pct));
  cJSON_AddItemToArray(band, roof_json_number(n->overhead_hi_pct));
  if (n->twin_fast >= 0) {
    cJSON* t = cJSON_AddObjectToObject(o, "identical_layers");
    add_num(t, "ratio", n->twin_ratio);
    add_num(t, "fast", n->twin_fast);
    add_num(t, "slow", n->twin_slow);
  } else {
    cJSON_AddNullToObject(o, "identical_layers");
  }
  add_num(o, "unstable_layers", n->unstable_layers);
  if (n->load1 >= 0) add_num(o, "load_average_1m", n->load1);
  else cJSON_AddNullToObject(o, "load_average_1m");
  add_num(o, "load_others", n->load_others);
  add_num(o, "cpus_online", n->cpus_online);
  add_num(o, "cpus_allowed", n->cpus_allowed);
  add_num(o, "elapsed_s", n->elapsed_s);
  add_num(o, "busy_cpus", n->busy_cpus);
  add_num(o, "busy_waiting", n->busy_waiting);
  /* speed checks: null when none ran (a static profile, streams) */
  if (n->speed_checks > 0) {
    cJSON* sp = cJSON_AddObjectToObject(o, "speed_checks");
    cJSON* g = cJSON_AddArrayToObject(sp, "gflops");
    for (int i = 0; i < n->speed_checks; i++) cJSON_AddItemToArray(g, roof_json_number(n->speed_gflops[i]));
    cJSON* m = cJSON_AddArrayToObject(sp, "l2_read_gbs");
    for (int i = 0; i < n->speed_checks; i++) cJSON_AddItemToArray(m, roof_json_number(n->speed_l2_gbs[i]));
    bool judged = n->speed_peak_gflops > 0 || n->speed_peak_l2_gbs > 0;
    if (n->speed_peak_gflops > 0) add_num(sp, "peak_gflops", n->speed_peak_gflops);
    else cJSON_AddNullToObject(sp, "peak_gflops");
    if (n->speed_peak_l2_gbs > 0) add_num(sp, "probe_l2_read_gbs", n->speed_peak_l2_gbs);
    else cJSON_AddNullToObject(sp, "probe_l2_read_gbs");
    if (judged) add_num(sp, "slow", n->speed_slow);
    else cJSON_AddNullToObject(sp, "slow");
    add_num(sp, "slow_below", ROOF_NOISE_SPEED_SHARE);
  } else {
    cJSON_AddNullToObject(o, "speed_checks");
  }
  cJSON* busy = n->procs_read ? cJSON_AddArrayToObject(o, "busy_processes") : cJSON_AddNullToObject(o, "busy_processes");
  for (int i = 0; n->procs_read && i < n->num_busy; i++) {
    const roof_busy_process* b = &n->busy[i];
    cJSON* e = cJSON_CreateObject();
    add_num(e, "pid", b->pid);
    add_str(e, "name", b->name);
    char state[2] = {b->state, '\0'};
    add_str(e, "state", state);
    add_num(e, "cpus", b->cpus);
    add_num(e, "overlap", b->overlap);
    cJSON_AddItemToArray(busy, e);
  }
  return o;
}

/* run.until_stable: null unless asked for. */
static void until_stable_obj(cJSON* run, const roof_profile* p) {
  const roof_noise* n = &p->noise;
  if (!n->until_stable) {
    cJSON_AddNullToObject(run, "until_stable");
    return;
  }
  cJSON* o = cJSON_AddObjectToObject(run, "until_stable");
  cJSON_AddBoolToObject(o, "settled", n->settled);
  add_num(o, "runs", p->runs);
  add_num(o, "batches", n->batches);
  if (n->batches > 1) add_num(o, "largest_move", n->settle_move);
  else cJSON_AddNullToObject(o, "largest_move");
  if (n->batches > 1 && n->settle_layer >= 0) add_num(o, "moved_layer", n->settle_layer);
  else cJSON_AddNullToObject(o, "moved_layer");
}

/* Run control and figures: percentiles asked for, every run's latency, load and first-run
 * times, when it ran, and whether Ctrl-C ended it. */
static void run_control(cJSON* run, const roof_profile* p) {
  cJSON* pct = cJSON_AddObjectToObject(run, "latency_percentiles_ms");
  for (int i = 0; i < p->num_percentiles; i++) {
    char key[32];
    snprintf(key, sizeof(key), "p%g", p->percentile_q[i]);
    add_num(pct, key, p->percentile_ms[i]);
  }
  cJSON* runs = cJSON_AddArrayToObject(run, "latency_runs_ms");
  for (int i = 0; p->latency_runs_ms && i < p->runs; i++) cJSON_AddItemToArray(runs, roof_json_number(p->latency_runs_ms[i]));
  if (p->duration_s > 0) add_num(run, "duration_s", p->duration_s);
  else cJSON_AddNullToObject(run, "duration_s");
  add_num(run, "first_run_ms", p->first_run_ms);
  if (p->load_ms > 0) add_num(run, "load_ms", p->load_ms);
  else cJSON_AddNullToObject(run, "load_ms");
  if (p->session_ms > 0) add_num(run, "session_ms", p->session_ms);
  else cJSON_AddNullToObject(run, "session_ms");
  char date[32] = "";
  time_t t = (time_t)p->started_unix;
  struct tm tm;
  if (p->started_unix > 0 && gmtime_r(&t, &tm)) strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
  add_str(run, "date", date);
  cJSON_AddBoolToObject(run, "stopped", p->stopped);
}

/* {axis (null: per tensor), scale [...], zero_point [...]} */
static cJSON* quant_obj(const roof_quant* q) {
  cJSON* o = cJSON_CreateObject();
  if (q->axis < 0) cJSON_AddNullToObject(o, "axis");
  else add_num(o, "axis", q->axis);
  cJSON* s = cJSON_AddArrayToObject(o, "scale");
  cJSON* z = cJSON_AddArrayToObject(o, "zero_point");
  for (int64_t i = 0; s && z && i < q->count; i++) {
    cJSON_AddItemToArray(s, roof_json_number(q->scale[i]));
    cJSON_AddItemToArray(z, cJSON_CreateNumber(q->zero_point[i]));
  }
  return o;
}

static cJSON* tensors(const roof_graph* g, const int* ids, int n) {
  cJSON* arr = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    if (ids[i] < 0) continue;
    const roof_value* v = &g->values[ids[i]];
    cJSON* t = cJSON_CreateObject();
    add_str(t, "name", v->name);
    cJSON* shape = cJSON_CreateArray();
    for (int d = 0; d < v->rank; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)v->dims[d]));
    cJSON_AddItemToObject(t, "shape", shape);
    add_str(t, "dtype", roof_dtype_name(v->dtype));
    if (v->quant) cJSON_AddItemToObject(t, "quant", quant_obj(v->quant));
    cJSON_AddItemToArray(arr, t);
  }
  return arr;
}

static cJSON* layer_obj(const roof_profile* p, const roof_layer* l) {
  static const char* const kLevel[] = {"l1", "l2", "l3", "dram"};
  const roof_graph* g = p->g;
  cJSON* o = cJSON_CreateObject();
  add_num(o, "index", l->index);
  add_str(o, "name", l->node->name);
  add_str(o, "op_type", l->node->op_type);
  if (l->kernel) add_str(o, "kernel", l->kernel);
  else cJSON_AddNullToObject(o, "kernel"); /* info: no kernel chosen */
  add_str(o, "kernel_reason", l->kernel_reason ? l->kernel_reason : "");
  if (l->store_weights) add_str(o, "store_weights", roof_dtype_name(l->store_weights));
  else cJSON_AddNullToObject(o, "store_weights");
  add_str(o, "store_activations", roof_dtype_name(l->store_acts));
  add_str(o, "compute", roof_dtype_name(l->compute));
  if (l->widened_from) add_str(o, "widened_from", roof_dtype_name(l->widened_from));
  else cJSON_AddNullToObject(o, "widened_from");
  add_str(o, "describe", l->describe);
  cJSON* ff = cJSON_CreateArray();
  for (int i = 0; i < l->node->num_fused_from; i++) cJSON_AddItemToArray(ff, roof_json_string(l->node->fused_from[i]));
  cJSON_AddItemToObject(o, "fused_from", ff);
  cJSON_AddItemToObject(o, "inputs", tensors(g, l->node->inputs, l->node->num_inputs));
  cJSON_AddItemToObject(o, "outputs", tensors(g, l->node->outputs, l->node->num_outputs));
  add_str(o, "formula", l->cost.formula ? l->cost.formula : "none");
  add_num(o, "params", (double)l->cost.params);
  add_num(o, "macs", (double)l->cost.macs);
  add_num(o, "flops", (double)l->cost.flops);
  add_num(o, "executed_flops", (double)l->executed_flops);
  if (l->algorithm) add_str(o, "algorithm", l->algorithm);
  add_num(o, "bytes_read", (double)l->cost.bytes_read);
  add_num(o, "bytes_written", (double)l->cost.bytes_written);
  add_num(o, "arithmetic_intensity", l->intensity);
  cJSON_AddBoolToObject(o, "attention", p->in_attention && p->in_attention[l->index]);
  if (p->runs > 0) {
    cJSON_AddItemToObject(o, "time_ms", stats_obj(&l->time_ms));
    add_num(o, "share", l->share);
    cJSON_AddBoolToObject(o, "unstable", l->unstable);
  }
  if (p->has_hw) {
    add_num(o, "roofline_ms", l->roofline_ms);
    add_num(o, "roofline_dram_ms", l->roofline_dram_ms);
    add_str(o, "roofline_level", kLevel[l->roofline_level]);
    cJSON* from = cJSON_AddObjectToObject(o, "read_from");
    cJSON* to = cJSON_AddObjectToObject(o, "written_to");
    cJSON* inpl = cJSON_AddObjectToObject(o, "written_in_place");
    for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
      add_num(from, roof_mem_level_names[lv], (double)l->read_from[lv]);
      add_num(to, roof_mem_level_names[lv], (double)l->written_to[lv]);
      add_num(inpl, roof_mem_level_names[lv], (double)l->in_place[lv]);
    }
    add_str(o, "bound", !l->cost.has_model ? "unknown" : l->compute_bound ? "compute" : "memory");
    if (p->runs > 0) {
      add_num(o, "efficiency", l->efficiency);
      add_num(o, "headroom_ms", l->headroom_ms);
      add_num(o, "achieved_gflops", l->achieved_gflops);
      add_num(o, "achieved_gbs", l->achieved_gbs);
      cJSON* flags = cJSON_CreateArray();
      if (l->above_roof) cJSON_AddItemToArray(flags, cJSON_CreateString("above_roof"));
      if (l->above_roof) add_str(o, "above_roof_reason", l->above_reason);
      if (l->fast_algorithm) cJSON_AddItemToArray(flags, cJSON_CreateString("fast_algorithm"));
      if (l->below_resolution) cJSON_AddItemToArray(flags, cJSON_CreateString("below_timer_resolution"));
      if (!l->cost.has_model) cJSON_AddItemToArray(flags, cJSON_CreateString("no_flop_model"));
      if (l->unstable) cJSON_AddItemToArray(flags, cJSON_CreateString("unstable_median"));
      if (l->dq_sandwich_bytes) cJSON_AddItemToArray(flags, cJSON_CreateString("dq_sandwich"));
      cJSON_AddItemToObject(o, "flags", flags);
    }
  }
  if (l->dq_sandwich_bytes) {
    if (!cJSON_HasObjectItem(o, "flags")) {
      cJSON* flags = cJSON_AddArrayToObject(o, "flags"); /* untimed (info): the one static flag */
      cJSON_AddItemToArray(flags, cJSON_CreateString("dq_sandwich"));
    }
    add_num(o, "dq_sandwich_extra_bytes", (double)l->dq_sandwich_bytes);
  }
  if (p->has_target) add_num(o, "predicted_ms", l->predicted_ms);
  if (l->has_bodies && p->body_runs > 0) add_num(o, "self_ms", l->self_ms);
  return o;
}

/* A layer of a control-flow body: where it sits, whether it ran, and its time per iteration
 * and per run (inside its enclosing row's time, not in layer_sum_ms). */
static cJSON* body_layer_obj(const roof_profile* p, int i) {
  const roof_body_layer* l = &p->body_layers[i];
  cJSON* o = cJSON_CreateObject();
  add_str(o, "name", l->node->name);
  add_str(o, "op_type", l->node->op_type);
  add_str(o, "kernel", l->kernel);
  add_num(o, "parent", l->parent);
  add_str(o, "parent_name", p->layers[l->parent].node->name);
  if (l->owner >= 0) add_num(o, "owner", l->owner);
  else cJSON_AddNullToObject(o, "owner");
  add_num(o, "depth", l->depth);
  add_str(o, "body", l->label);
  add_str(o, "formula", l->cost.formula ? l->cost.formula : "none");
  add_num(o, "flops", (double)l->cost.flops);
  add_num(o, "bytes_read", (double)l->cost.bytes_read);
  add_num(o, "bytes_written", (double)l->cost.bytes_written);
  if (p->body_runs == 0) {
    cJSON_AddNullToObject(o, "executed");
    return o;
  }
  cJSON_AddBoolToObject(o, "executed", l->runs_executed > 0);
  add_num(o, "runs_executed", l->runs_executed);
  cJSON* it = cJSON_AddObjectToObject(o, "iterations");
  add_num(it, "median", l->iterations.median);
  add_num(it, "min", l->iterations.min);
  add_num(it, "max", l->iterations.max);
  if (l->runs_executed > 0) {
    cJSON_AddItemToObject(o, "total_ms", stats_obj(&l->total_ms));
    add_num(o, "per_iteration_ms", l->per_iteration_ms);
    add_num(o, "share", l->share);
  }
  if (l->has_bodies && l->runs_executed > 0) add_num(o, "self_ms", l->self_ms);
  return o;
}

static void add_energy(cJSON* o, const char* key, roof_energy e) {
  if (!e.valid) return;
  cJSON* en = cJSON_AddObjectToObject(o, key);
  add_num(en, "power_w", e.power_w);
  add_num(en, "joules_per_inference", e.joules);
  add_num(en, "wh_per_inference", e.wh);
  add_num(en, "gco2_per_inference", e.gco2);
  add_num(en, "cost_per_inference", e.cost);
}

/* The --hw machine's predicted figures, in their own object: never mixed with "run". */
static void add_prediction(cJSON* root, const roof_profile* p) {
  if (!p->has_target) return;
  const roof_hw* t = &p->target;
  char label[256];
  snprintf(label, sizeof(label), "prediction for %s, %u thread%s", t->cpu, t->threads, t->threads == 1 ? "" : "s");
  cJSON* pr = cJSON_AddObjectToObject(root, "prediction");
  add_str(pr, "label", label);
  add_str(pr, "cpu", t->cpu);
  add_num(pr, "threads", t->threads);
  add_str(pr, "source", t->source);
  add_num(pr, "peak_gflops", t->peak_gflops);
  add_num(pr, "peak_int8_gops", t->peak_int8_gops);
  cJSON* bw = cJSON_AddObjectToObject(pr, "bandwidth_gbs");
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) add_num(bw, roof_mem_level_names[lv], t->read_gbs[lv]);
  add_num(pr, "latency_ms", p->predicted_ms);
  add_energy(pr, "energy_estimate", roof_profile_energy_predicted(p));
}

cJSON* roof_profile_to_json(const roof_profile* p, const char* fusion) {
  const roof_graph* g = p->g;
  cJSON* root = cJSON_CreateObject();
  add_str(root, "schema", p->runs > 0 ? "rooftop.profile/1" : "rooftop.info/1");
  cJSON* tool = cJSON_AddObjectToObject(root, "tool");
  add_str(tool, "name", "rooftop");
  add_str(tool, "version", ROOF_VERSION);
  cJSON* model = cJSON_AddObjectToObject(root, "model");
  add_str(model, "path", g->path);
  add_num(model, "opset", (double)g->opset);
  add_num(model, "nodes_original", g->num_original_nodes);
  add_num(model, "nodes_executed", p->num_layers);
  add_num(model, "params", (double)p->params);
  add_num(model, "weight_bytes", (double)p->weight_bytes);
  add_num(model, "flops", (double)p->flops);
  add_num(model, "macs", (double)p->macs);
  add_num(model, "bytes", (double)p->bytes);
  if (p->dq_sandwich_layers > 0) {
    cJSON* dq = cJSON_AddObjectToObject(model, "dq_sandwich");
    add_num(dq, "layers", p->dq_sandwich_layers);
    add_num(dq, "extra_bytes", (double)p->dq_sandwich_bytes);
  }
  add_num(model, "arena_bytes", (double)p->arena_bytes);
  add_num(model, "activation_bytes_total", (double)p->activation_bytes_total);
  cJSON_AddBoolToObject(model, "arena_estimated", p->arena_estimated);
  if (p->seq.attention_blocks > 0) {
    const roof_sequence* q = &p->seq;
    cJSON* s = cJSON_AddObjectToObject(model, "sequence");
    add_num(s, "attention_blocks", q->attention_blocks);
    add_num(s, "keys", (double)q->keys);
    add_num(s, "queries", (double)q->queries);
    add_num(s, "tokens", (double)q->tokens);
    add_num(s, "flops_per_token", (double)q->flops_per_token);
    add_num(s, "dense_params", (double)q->dense_params);
    add_num(s, "rule_flops_per_token", (double)q->rule_flops_per_token);
    if (p->runs > 0) {
      add_num(s, "attention_ms", q->attention_ms);
      add_num(s, "attention_share", q->attention_share);
    }
  } else {
    cJSON_AddNullToObject(model, "sequence");
  }
  if (p->has_hw) {
    cJSON* hw = cJSON_AddObjectToObject(root, "hardware");
    add_str(hw, "cpu", p->hw.cpu);
    add_num(hw, "threads", p->hw.threads);
    add_str(hw, "source", p->hw.source);
    add_num(hw, "peak_gflops", p->hw.peak_gflops);
    add_str(hw, "isa_int8", p->hw.isa_int8);
    add_num(hw, "peak_int8_gops", p->hw.peak_int8_gops);
    cJSON* bw = cJSON_AddObjectToObject(hw, "bandwidth_gbs");
    cJSON* wr = cJSON_AddObjectToObject(hw, "write_gbs");
    cJSON* cp = cJSON_AddObjectToObject(hw, "copy_gbs");
    cJSON* cb = cJSON_AddObjectToObject(hw, "cache_bytes");
    for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
      add_num(bw, roof_mem_level_names[lv], p->hw.read_gbs[lv]);
      add_num(wr, roof_mem_level_names[lv], p->hw.write_gbs[lv]);
      add_num(cp, roof_mem_level_names[lv], p->hw.copy_gbs[lv]);
      if (lv < 3) add_num(cb, roof_mem_level_names[lv], (double)p->hw.cache_bytes[lv]);
    }
    add_str(hw, "cpu_set", p->hw.cpu_set);
    add_num(hw, "allowed_cpus", p->hw.allowed_cpus);
    add_str(hw, "problem", p->hw.problem);
    if (p->above_peak) {
      cJSON* ap = cJSON_AddObjectToObject(hw, "above_peak");
      add_num(ap, "index", p->above_peak->index);
      add_str(ap, "name", p->above_peak->node->name);
      add_num(ap, "achieved_gflops", p->above_peak->achieved_gflops);
    } else {
      cJSON_AddNullToObject(hw, "above_peak");
    }
  }
  if (p->has_hw && p->hw.num_core_types) {
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(root, "hardware"), "core_types", roof_hw_core_types_json(&p->hw));
  }
  cJSON_AddItemToObject(root, "core_types", core_types_obj(p));
  add_prediction(root, p);
  cJSON* run = cJSON_AddObjectToObject(root, "run");
  add_num(run, "threads", p->threads);
  add_num(run, "runs", p->runs);
  add_num(run, "streams", p->streams > 1 ? p->streams : 1);
  cJSON* fb = cJSON_AddArrayToObject(run, "feedback");
  for (int i = 0; i < p->num_feedback; i++) {
    cJSON* pair = cJSON_CreateObject();
    add_str(pair, "output", p->g->values[p->g->outputs[p->feedback[i][0]]].name);
    add_str(pair, "input", p->g->values[p->g->inputs[p->feedback[i][1]]].name);
    cJSON_AddItemToArray(fb, pair);
  }
  if (p->streams > 1) {
    add_num(run, "throughput_per_s", p->throughput_per_s);
    add_num(run, "streams_wall_ms", p->streams_wall_ms);
  } else {
    cJSON_AddNullToObject(run, "throughput_per_s");
    cJSON_AddNullToObject(run, "streams_wall_ms");
  }
  add_num(run, "warmup", p->warmup);
  add_str(run, "fusion", fusion ? fusion : "all");
  add_str(run, "cpu", p->cpu);
  char roles[64];
  roof_core_types_roles(&p->cores, p->cores_used, roles, sizeof(roles));
  add_str(run, "core_type", roles);
  add_num(run, "allowed_cpus", p->allowed_cpus);
  cJSON_AddBoolToObject(run, "oversubscribed", p->oversubscribed);
  if (p->runs > 0) {
    cJSON_AddItemToObject(run, "latency_ms", stats_obj(&p->latency_ms));
    cJSON_AddItemToObject(run, "instrumented_ms", stats_obj(&p->instrumented_ms));
    add_num(run, "layer_sum_ms", p->layer_sum_ms);
    add_num(run, "overhead_pct", p->overhead_pct);
    add_num(run, "unmodelled_ms", p->unmodelled_ms);
    add_num(run, "peak_rss_bytes", (double)p->peak_rss_bytes);
    add_num(run, "minor_faults_per_run", p->minor_faults_per_run);
    add_str(run, "cpu_affinity", p->affinity);
    run_control(run, p);
    cJSON_AddItemToObject(run, "noise", noise_obj(&p->noise));
    until_stable_obj(run, p);
    add_energy(run, "energy_estimate", roof_profile_energy(p));
  }
  cJSON* folded = cJSON_AddArrayToObject(root, "folded");
  for (int i = 0; i < g->num_folded; i++) {
    cJSON* o = cJSON_CreateObject();
    add_str(o, "name", g->folded[i].name);
    add_str(o, "pass", g->folded[i].pass);
    add_str(o, "reason", g->folded[i].reason);
    cJSON_AddItemToArray(folded, o);
  }
  cJSON* layers = cJSON_AddArrayToObject(root, "layers");
  for (int i = 0; i < p->num_layers; i++) cJSON_AddItemToArray(layers, layer_obj(p, &p->layers[i]));
  cJSON* bodies = cJSON_AddArrayToObject(root, "body_layers");
  for (int i = 0; i < p->num_body_layers; i++) cJSON_AddItemToArray(bodies, body_layer_obj(p, i));
  add_num(root, "body_runs", p->body_runs);
  return root;
}

roof_status roof_write_text_file(const char* path, const char* text, roof_error* err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
    return roof_fail(err, ROOF_E_CANTCREAT, "%s: path too long", path);
  }
  FILE* f = fopen(tmp, "wb");
  if (f == NULL) return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create: %s", path, strerror(errno));
  bool ok = fputs(text, f) >= 0;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return roof_fail(err, ROOF_E_IO, "%s: write failed: %s", path, strerror(e));
  }
  return ROOF_OK;
}

roof_status roof_report_json(const char* path, const roof_profile* p, const char* fusion, roof_error* err) {
  cJSON* root = roof_profile_to_json(p, fusion);
  char* text = root ? cJSON_Print(root) : NULL;
  cJSON_Delete(root);
  if (text == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  roof_status st = roof_write_text_file(path, text, err);
  free(text);
  return st;
}
