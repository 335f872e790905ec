/* Unit tests of the core: checked arithmetic, name sanitizing, Kahn sort (order and cycles),
 * strided views, statistics, hardware files and the seed's ridge-point test vectors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph.h"
#include "hw.h"
#include "model.h"
#include "profile.h"
#include "stats.h"

#include "check.h"

static void test_checked_math(void) {
  uint64_t r = 7;
  CHECK(!roof_mul_u64(UINT64_MAX / 2 + 1, 2, &r) && r == 7, "overflow must fail and leave out untouched");
  CHECK(roof_mul_u64(1u << 20, 1u << 20, &r) && r == (1ull << 40), "got %llu", (unsigned long long)r);
  int64_t dims[3] = {1ll << 31, 1ll << 31, 1ll << 31};
  CHECK(!roof_dims_count(dims, 3, &r), "2^93 elements must overflow");
  int64_t neg[2] = {3, -1};
  CHECK(!roof_dims_count(neg, 2, &r), "negative dim must fail");
  CHECK(roof_dims_count(NULL, 0, &r) && r == 1, "scalar has one element");
}

static void test_sanitize(void) {
  char out[96];
  roof_name_sanitize("conv\xff\x01name", out, sizeof(out));
  CHECK(strcmp(out, "conv\\xFF\\x01name") == 0, "got '%s'", out);
  roof_name_sanitize("caf\xc3\xa9", out, sizeof(out)); /* valid UTF-8 kept */
  CHECK(strcmp(out, "caf\xc3\xa9") == 0, "got '%s'", out);
  char longname[5000];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  longname[4998] = 'z';
  roof_name_sanitize(longname, out, sizeof(out));
  CHECK(strlen(out) < sizeof(out) && strstr(out, "...") && out[strlen(out) - 1] == 'z', "got '%s'", out);
}

/* a -> n0 -> b -> n1 -> c, plus n2 reading a and c; nodes added in reverse order */
static void test_toposort(void) {
  roof_graph* g = roof_graph_new();
  g->path = strdup("t.onnx");
  int a = roof_graph_add_value(g, "a"), b = roof_graph_add_value(g, "b"), c = roof_graph_add_value(g, "c"),
      d = roof_graph_add_value(g, "d");
  g->values[a].flags = ROOF_VAL_GRAPH_INPUT;
  int in2[2] = {a, c};
  roof_graph_add_node(g, "n2", "Add", "", in2, 2, &d, 1);
  roof_graph_add_node(g, "n1", "Relu", "", &b, 1, &c, 1);
  roof_graph_add_node(g, "n0", "Relu", "", &a, 1, &b, 1);
  roof_error err = {{0}};
  CHECK(roof_graph_toposort(g, &err) == ROOF_OK, "%s", err.message);
  CHECK(g->num_order == 3 && g->order[0] == 2 && g->order[1] == 1 && g->order[2] == 0, "order %d %d %d",
        g->order[0], g->order[1], g->order[2]);
  /* close a cycle: n0 now reads c */
  g->nodes[2].inputs[0] = c;
  CHECK(roof_graph_toposort(g, &err) == ROOF_E_DATA && strstr(err.message, "cycle"), "%s", err.message);
  CHECK(strstr(err.message, "t.onnx") && strstr(err.message, "node '"), "message names file and node: %s", err.message);
  roof_graph_free(g);
}

static void test_views(void) {
  int64_t dims[4] = {2, 3, 4, 5};
  roof_tensor t;
  roof_tensor_init(&t, ROOF_DT_FLOAT, 4, dims, ROOF_LAYOUT_NHWC, NULL);
  CHECK(t.strides[0] == 60 && t.strides[1] == 1 && t.strides[2] == 15 && t.strides[3] == 3, "nhwc strides");
  CHECK(roof_tensor_is_nhwc(&t) && !roof_tensor_is_plain(&t), "layout predicates");
  float src[120], dst[120];
  for (int i = 0; i < 120; i++) src[i] = (float)i;
  roof_tensor s, d;
  roof_tensor_init(&s, ROOF_DT_FLOAT, 4, dims, ROOF_LAYOUT_PLAIN, src);
  roof_tensor_init(&d, ROOF_DT_FLOAT, 4, dims, ROOF_LAYOUT_NHWC, dst);
  roof_tensor_copy(&s, &d);
  /* element [n=1, c=2, h=3, w=4] */
  int64_t idx[4] = {1, 2, 3, 4};
  CHECK(dst[roof_offset(&d, idx)] == src[roof_offset(&s, idx)], "strided copy");
  CHECK(dst[1 * 60 + 3 * 15 + 4 * 3 + 2] == (float)(1 * 60 + 2 * 20 + 3 * 5 + 4), "nhwc position");
}

/* roof_tensor_copy against a naive walk of the logical index, on random views: a source that
 * is a sliced (offset, stepped, possibly reversed) window of a bigger buffer, a destination in
 * a random axis order. Fails at the first differing element with its coordinates. */
static void test_copy_random(void) {
  enum { CAP = 4096 };
  static float big[CAP], dst[CAP], want[CAP];
  uint32_t seed = 12345;
  for (int i = 0; i < CAP; i++) big[i] = (float)i;
  for (int trial = 0; trial < 500; trial++) {
    seed = seed * 1103515245u + 12345u;
    int rank = 1 + (int)(seed >> 16) % 5;
    int64_t dims[ROOF_MAX_RANK], full[ROOF_MAX_RANK], step[ROOF_MAX_RANK], start[ROOF_MAX_RANK];
    for (int d = 0; d < rank; d++) {
      seed = seed * 1103515245u + 12345u;
      dims[d] = 1 + (seed >> 16) % 4;
      step[d] = ((seed >> 20) % 3 == 0) ? -1 : 1 + (int64_t)((seed >> 24) % 2);
      full[d] = dims[d] * (step[d] < 0 ? 1 : step[d]) + (int64_t)((seed >> 26) % 2);
      start[d] = step[d] < 0 ? full[d] - 1 : (int64_t)((seed >> 28) % 2) * (full[d] - dims[d] * step[d]);
    }
    uint64_t total;
    if (!roof_dims_count(full, rank, &total) || total > CAP) continue; /* the source must fit `big` */
    roof_tensor s, d;
    roof_tensor_init(&s, ROOF_DT_FLOAT, rank, full, ROOF_LAYOUT_PLAIN, big);
    int64_t off = 0;
    for (int a = 0; a < rank; a++) {
      off += start[a] * s.strides[a];
      s.strides[a] *= step[a];
      s.dims[a] = dims[a];
    }
    s.data = big + off;
    /* destination: a random axis order (perm[0] outermost) */
    int perm[ROOF_MAX_RANK];
    for (int a = 0; a < rank; a++) perm[a] = a;
    for (int a = rank - 1; a > 0; a--) {
      seed = seed * 1103515245u + 12345u;
      int b = (int)((seed >> 16) % (uint32_t)(a + 1)), t = perm[a];
      perm[a] = perm[b], perm[b] = t;
    }
    roof_tensor_init(&d, ROOF_DT_FLOAT, rank, dims, ROOF_LAYOUT_PLAIN, dst);
    int64_t st = 1; /* padded by one element on some axes so that the destination has gaps too */
    for (int a = rank - 1; a >= 0; a--) d.strides[perm[a]] = st, st *= dims[perm[a]] + (int64_t)((seed >> (a + 3)) & 1);
    if (st > CAP) continue;
    roof_tensor w = d;
    w.data = want;
    int64_t idx[ROOF_MAX_RANK] = {0};
    do want[roof_offset(&w, idx)] = ((const float*)s.data)[roof_offset(&s, idx)];
    while (roof_index_next(idx, dims, rank));
    memset(dst, 0, sizeof(dst));
    roof_tensor_copy(&s, &d);
    memset(idx, 0, sizeof(idx));
    bool same = true;
    do same = dst[roof_offset(&d, idx)] == want[roof_offset(&w, idx)];
    while (same && roof_index_next(idx, dims, rank));
    CHECK(same, "trial %d rank %d: first difference at [%lld %lld %lld %lld %lld]", trial, rank, (long long)idx[0],
          (long long)idx[1], (long long)idx[2], (long long)idx[3], (long long)idx[4]);
    if (!same) return;
  }
}

static void test_stats(void) {
  double x[5] = {5, 1, 4, 2, 3}, scratch[5];
  roof_stats s;
  roof_stats_compute(x, 5, scratch, &s);
  CHECK(s.median == 3 && s.min == 1 && s.max == 5 && s.mean == 3 && s.p90 == 5, "stats");
  CHECK(fabs(s.stddev - sqrt(2.5)) < 1e-12, "stddev %g", s.stddev);
  CHECK(fabs(s.cv - sqrt(2.5) / 3) < 1e-12 && s.median_lo == 1 && s.median_hi == 5, "cv %g, interval of 5 samples", s.cv);
  double y[20], scratch20[20];
  for (int i = 0; i < 20; i++) y[i] = 19 - i; /* 0..19 reversed */
  roof_stats_compute(y, 20, scratch20, &s);
  CHECK(s.median_lo == 5 && s.median_hi == 14, "median interval of 20 samples: ranks 6 and 15, got %g..%g", s.median_lo,
        s.median_hi);
}

static void test_hw_file(const char* dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/intel-10980xe.json", dir);
  roof_hw hw;
  roof_error err = {{0}};
  CHECK(roof_hw_load(path, &hw, &err) == ROOF_OK, "%s", err.message);
  double ridge = hw.peak_gflops / hw.read_gbs[ROOF_MEM_DRAM];
  CHECK(fabs(ridge - 48.0) < 1e-9, "ridge of 4.608 TFLOP/s at 96 GB/s must be 48, got %g", ridge);
  /* regime on both sides of the ridge: intensity 47 is memory-bound, 49 compute-bound */
  double t_mem = 1.0 / (hw.read_gbs[ROOF_MEM_DRAM] * 1e9), t_flop = 1.0 / (hw.peak_gflops * 1e9);
  CHECK(47.0 * t_flop < t_mem && 49.0 * t_flop > t_mem, "regimes around the ridge");
  /* measured figures of the same seed text: 2.86 TFLOP/s and 74 GB/s give a ridge near 38.6 */
  CHECK(fabs(2860.0 / 74.0 - 38.65) < 0.01, "measured ridge");
  snprintf(path, sizeof(path), "%s/v100-tensor-core.json", dir);
  CHECK(roof_hw_load(path, &hw, &err) == ROOF_OK, "%s", err.message);
  ridge = hw.peak_gflops / hw.read_gbs[ROOF_MEM_DRAM];
  CHECK(fabs(ridge - 173.6) < 0.05, "V100 ridge 173.6, got %g", ridge);
  int level = -1;
  roof_hw_bandwidth_for(&hw, 1 << 20, &level);
  CHECK(level == ROOF_MEM_L2, "1 MiB fits the 6 MiB L2, got level %d", level);
  CHECK(roof_hw_load("/nonexistent/hw.json", &hw, &err) == ROOF_E_NOINPUT, "missing file is 66");
}

/* x[1,64] -> Relu -> Sigmoid -> y, prepared; NULL on failure (reported). */
static roof_model* tiny_model(const roof_prepare_options* po) {
  roof_graph* g = roof_graph_new();
  g->path = strdup("tiny.onnx");
  g->opset = 13;
  int64_t dims[2] = {1, 64};
  int x = roof_graph_add_value(g, "x"), h = roof_graph_add_value(g, "h"), y = roof_graph_add_value(g, "y");
  roof_value_set_shape(&g->values[x], ROOF_DT_FLOAT, 2, dims);
  g->values[x].flags = ROOF_VAL_GRAPH_INPUT;
  g->values[y].flags = ROOF_VAL_GRAPH_OUTPUT;
  g->inputs = malloc(sizeof(int));
  g->outputs = malloc(sizeof(int));
  g->inputs[g->num_inputs++] = x;
  g->outputs[g->num_outputs++] = y;
  roof_graph_add_node(g, "r", "Relu", "", &x, 1, &h, 1);
  roof_graph_add_node(g, "s", "Sigmoid", "", &h, 1, &y, 1);
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  CHECK(roof_model_from_graph(g, &m, &err) == ROOF_OK, "%s", err.message);
  if (m && roof_model_prepare(m, po, &err) != ROOF_OK) {
    CHECK(0, "prepare: %s", err.message);
    roof_model_free(m);
    m = NULL;
  }
  return m;
}

/* Run-time limits of the session options: arena bytes, timeout (and its argument check). */
static void test_session_limits(void) {
  roof_error err = {{0}};
  roof_session* s = NULL;
  roof_prepare_options po = {.fusion = "none", .max_arena_bytes = 64};
  roof_model* m = tiny_model(&po);
  roof_session_options so = {.threads = 1};
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_E_DATA && s == NULL && strstr(err.message, "planned arena of"),
        "arena over the limit: %s", err.message);
  roof_model_free(m);
  po.max_arena_bytes = 0;
  m = tiny_model(&po);
  so.timeout_s = NAN;
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_E_USAGE && s == NULL, "NaN timeout: %s", err.message);
  so.timeout_s = 1e-9;
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_OK, "%s", err.message);
  CHECK(s && roof_session_run(s, NULL, &err) == ROOF_E_TIMEOUT && strstr(err.message, "run time limit of 1e-09 s"),
        "1 ns timeout: %s", err.message);
  CHECK(s && roof_session_run(s, NULL, &err) == ROOF_E_TIMEOUT, "a later run is past the deadline too");
  roof_session_free(s);
  s = NULL;
  so.timeout_s = 3600;
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_OK && roof_session_run(s, NULL, &err) == ROOF_OK,
        "an hour is enough: %s", err.message);
  roof_session_free(s);
  roof_model_free(m);
}

/* rooftop info's profile comes from the prepared graph alone: the same layers and costs as a
 * session's profile, no kernel chosen, arena figures flagged as the planner's estimate. */
static void test_profile_static(void) {
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "none"};
  roof_model* m = tiny_model(&po);
  roof_profile st, ses;
  memset(&st, 0, sizeof(st));
  memset(&ses, 0, sizeof(ses));
  roof_session* s = NULL;
  roof_session_options so = {.threads = 1};
  roof_profile_options popt = {.timed = false};
  CHECK(m && roof_profile_static(m, 1, &st, &err) == ROOF_OK, "%s", err.message);
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_OK && roof_profile_run(s, &popt, &ses, &err) == ROOF_OK,
        "%s", err.message);
  CHECK(st.num_layers == 2 && st.num_layers == ses.num_layers, "%d static layers, %d in a session", st.num_layers,
        ses.num_layers);
  for (int i = 0; i < st.num_layers && i < ses.num_layers; i++) {
    CHECK(st.layers[i].node == ses.layers[i].node && st.layers[i].cost.flops == ses.layers[i].cost.flops &&
              st.layers[i].cost.bytes_read == ses.layers[i].cost.bytes_read,
          "layer %d differs from the session's", i);
    CHECK(st.layers[i].kernel == NULL && ses.layers[i].kernel != NULL, "layer %d: kernel chosen only by a session", i);
  }
  CHECK(st.arena_estimated && !st.kernels_chosen && !ses.arena_estimated && ses.kernels_chosen, "flags");
  CHECK(st.arena_bytes >= ses.arena_bytes && st.threads == 1, "estimate %zu vs session arena %zu", st.arena_bytes,
        ses.arena_bytes);
  roof_profile_free(&st);
  roof_profile_free(&ses);
  roof_session_free(s);
  roof_model_free(m);
}

/* A graph input that sets a shape (Reshape's through an Add): prepare specializes the model to
 * the value given; runs with that value work and compute the reshape, another value is refused. */
static void test_specialized_input(void) {
  roof_graph* g = roof_graph_new();
  g->path = strdup("spec.onnx");
  g->opset = 13;
  int64_t xd[2] = {3, 4}, sd[1] = {2};
  int x = roof_graph_add_value(g, "x"), s = roof_graph_add_value(g, "s"), z = roof_graph_add_value(g, "zero");
  int s2 = roof_graph_add_value(g, "s2"), y = roof_graph_add_value(g, "y");
  roof_value_set_shape(&g->values[x], ROOF_DT_FLOAT, 2, xd);
  roof_value_set_shape(&g->values[s], ROOF_DT_INT64, 1, sd);
  roof_value_set_shape(&g->values[z], ROOF_DT_INT64, 1, sd);
  g->values[z].data = calloc(2, sizeof(int64_t));
  g->values[z].nbytes = 2 * sizeof(int64_t);
  g->values[z].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  g->values[x].flags = g->values[s].flags = ROOF_VAL_GRAPH_INPUT;
  g->values[y].flags = ROOF_VAL_GRAPH_OUTPUT;
  g->inputs = malloc(2 * sizeof(int));
  g->outputs = malloc(sizeof(int));
  g->inputs[g->num_inputs++] = x;
  g->inputs[g->num_inputs++] = s;
  g->outputs[g->num_outputs++] = y;
  int add_in[2] = {s, z}, rs_in[2] = {x, s2};
  roof_graph_add_node(g, "add", "Add", "", add_in, 2, &s2, 1);
  roof_graph_add_node(g, "reshape", "Reshape", "", rs_in, 2, &y, 1);
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_session* ses = NULL;
  roof_error err = {{0}};
  CHECK(roof_model_from_graph(g, &m, &err) == ROOF_OK, "%s", err.message);
  int64_t shape[2] = {6, 2}, other[2] = {2, 6};
  float xs[12], out_want = 0.0f;
  for (int i = 0; i < 12; i++) xs[i] = (float)i;
  roof_value_binding vb = {.name = "s", .dtype = ROOF_DT_INT64, .rank = 1, .dims = {2}, .data = shape, .nbytes = sizeof(shape)};
  roof_prepare_options po = {.values = &vb, .num_values = 1};
  roof_session_options so = {.threads = 1};
  CHECK(m && roof_model_prepare(m, &po, &err) == ROOF_OK, "prepare with the value: %s", err.message);
  CHECK(m && roof_session_create(m, &so, &ses, &err) == ROOF_OK, "%s", err.message);
  roof_io_info info;
  if (ses) roof_session_output_info(ses, 0, &info);
  CHECK(ses && info.rank == 2 && info.dims[0] == 6 && info.dims[1] == 2, "output planned as 6x2");
  CHECK(ses && roof_session_set_input(ses, 0, xs, sizeof(xs), &err) == ROOF_OK &&
            roof_session_set_input(ses, 1, shape, sizeof(shape), &err) == ROOF_OK && roof_session_run(ses, NULL, &err) == ROOF_OK,
        "run with the planned value: %s", err.message);
  if (ses) out_want = ((const float*)roof_session_output(ses, 0))[11];
  CHECK(out_want == 11.0f, "reshape output [5, 1] is %g, want 11", out_want);
  CHECK(ses && roof_session_set_input(ses, 1, other, sizeof(other), &err) == ROOF_E_USAGE &&
            strstr(err.message, "planned for another value"),
        "another value of a shape-setting input: %s", err.message);
  roof_session_free(ses);
  roof_model_free(m);
}

/* x -> Relu -> Relu -> y on 1x64: two identical layers. */
static roof_model* twin_model(void) {
  roof_graph* g = roof_graph_new();
  g->path = strdup("twins.onnx");
  g->opset = 13;
  int64_t dims[2] = {1, 64};
  int x = roof_graph_add_value(g, "x"), h = roof_graph_add_value(g, "h"), y = roof_graph_add_value(g, "y");
  roof_value_set_shape(&g->values[x], ROOF_DT_FLOAT, 2, dims);
  g->values[x].flags = ROOF_VAL_GRAPH_INPUT;
  g->values[y].flags = ROOF_VAL_GRAPH_OUTPUT;
  g->inputs = malloc(sizeof(int));
  g->outputs = malloc(sizeof(int));
  g->inputs[g->num_inputs++] = x;
  g->outputs[g->num_outputs++] = y;
  roof_graph_add_node(g, "a", "Relu", "", &x, 1, &h, 1);
  roof_graph_add_node(g, "b", "Relu", "", &h, 1, &y, 1);
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "none"};
  CHECK(roof_model_from_graph(g, &m, &err) == ROOF_OK, "%s", err.message);
  if (m && roof_model_prepare(m, &po, &err) != ROOF_OK) {
    CHECK(0, "prepare: %s", err.message);
    roof_model_free(m);
    m = NULL;
  }
  return m;
}

/* Re-judges profile p on made-up figures: every run at 1 ms, no system figures. */
static void judge_made_up(roof_profile* p, double* plain, double* instr, size_t runs) {
  memset(&p->noise, 0, sizeof(p->noise));
  p->noise.load1 = -1;
  p->noise.cpus_online = p->noise.cpus_allowed = 1;
  p->latency_ms.median = p->instrumented_ms.median = 1.0;
  roof_noise_judge(p, plain, instr, runs);
}

/* The speed-check rule on made-up checks (peak 100 GFLOP/s, L2 reads 50 GB/s). */
static void speed_made_up(roof_noise* n, const double* gflops, const double* l2, int checks, double peak, double l2_gbs) {
  memset(n, 0, sizeof(*n));
  n->speed_checks = checks;
  memcpy(n->speed_gflops, gflops, sizeof(double) * (size_t)checks);
  memcpy(n->speed_l2_gbs, l2, sizeof(double) * (size_t)checks);
  roof_noise_speed_verdict(n, peak, l2_gbs);
}

static void test_speed_verdict(roof_noise* n) {
  const double calm[3] = {100, 81, 95}, l2_calm[3] = {50, 41, 48};
  speed_made_up(n, calm, l2_calm, 3, 100, 50);
  CHECK(!n->noisy && n->num_reasons == 0 && n->speed_slow == 0, "checks at 81%% or more are calm: %s",
        n->num_reasons ? n->reasons[0] : "");
  const double fma_slow[3] = {100, 50, 79};
  speed_made_up(n, fma_slow, l2_calm, 3, 100, 50);
  CHECK(n->noisy && n->speed_slow == 2 && n->num_reasons == 1 &&
            strcmp(n->reasons[0], "CPU below its probe in 2 of 3 speed checks: FMA 50-100%") == 0,
        "slow FMA checks: %d, '%s'", n->speed_slow, n->num_reasons ? n->reasons[0] : "");
  roof_noise_speed_verdict(n, 100, 50);
  CHECK(n->num_reasons == 1, "judged once: %d reasons", n->num_reasons);
  const double one_dip[4] = {100, 50, 90, 95}, l2_four[4] = {50, 50, 50, 50};
  speed_made_up(n, one_dip, l2_four, 4, 100, 50);
  CHECK(!n->noisy && n->speed_slow == 1, "one slow check of four, half or less: %d slow, %s", n->speed_slow,
        n->num_reasons ? n->reasons[0] : "");
  const double half[4] = {100, 50, 70, 95};
  speed_made_up(n, half, l2_four, 4, 100, 50);
  CHECK(!n->noisy && n->speed_slow == 2, "two of four: not more than half");
  const double l2_slow[3] = {50, 20, 0}; /* 0: not measured, never slow */
  speed_made_up(n, fma_slow, l2_slow, 3, 100, 50);
  CHECK(n->noisy && n->speed_slow == 2 &&
            strcmp(n->reasons[0], "CPU below its probe in 2 of 3 speed checks: FMA 50-100%, L2 reads 0-100%") == 0,
        "slow FMA and L2 checks: %d, '%s'", n->speed_slow, n->num_reasons ? n->reasons[0] : "");
  speed_made_up(n, fma_slow, l2_slow, 3, 0, 0);
  CHECK(!n->noisy && n->num_reasons == 0 && n->speed_peak_gflops == 0, "no probe figures: not judged");
  speed_made_up(n, calm, l2_slow, 3, 100, 0);
  CHECK(!n->noisy && n->speed_peak_gflops == 100, "no L2 figure: only FMA judged");
}

/* The noise verdict: structure on a real timed profile (--until-stable capped at two batches),
 * then each rule on made-up figures, so that no assertion depends on this machine's load. */
static void test_noise(void) {
  roof_error err = {{0}};
  roof_model* m = twin_model();
  roof_session* s = NULL;
  roof_session_options so = {.threads = 1};
  roof_profile p;
  memset(&p, 0, sizeof(p));
  roof_profile_options popt = {.timed = true, .runs = 6, .warmup = 1, .until_stable = true, .max_runs = 12};
  CHECK(m && roof_session_create(m, &so, &s, &err) == ROOF_OK && roof_profile_run(s, &popt, &p, &err) == ROOF_OK,
        "%s", err.message);
  if (p.layers == NULL) goto cleanup;
  CHECK(p.num_layers == 2 && p.runs == 12 && p.noise.batches == 2 && p.noise.until_stable, "%d layers, %d runs, %d batches",
        p.num_layers, p.runs, p.noise.batches);
  CHECK(p.noise.runs_total == 24 && p.noise.noisy == (p.noise.num_reasons > 0) && p.noise.cpus_allowed >= 1,
        "verdict structure: %d runs, %d reasons", p.noise.runs_total, p.noise.num_reasons);
  int nc = p.noise.speed_checks;
  bool measured = nc >= 2;
  for (int i = 0; i < nc; i++) measured = measured && p.noise.speed_gflops[i] > 0 && p.noise.speed_l2_gbs[i] > 0;
  CHECK(measured, "speed checks before and after the runs, each with both figures: %d checks", nc);
  test_speed_verdict(&p.noise);
  double plain[20], instr[20];
  for (int i = 0; i < 20; i++) plain[i] = instr[i] = 1.0;
  p.overhead_pct = 0.0;
  p.layers[0].time_ms.median = p.layers[1].time_ms.median = 0.1;
  judge_made_up(&p, plain, instr, 20);
  CHECK(!p.noise.noisy && fabs(p.noise.twin_ratio - 1.0) < 1e-12 && p.noise.twin_fast >= 0, "calm figures: %s",
        p.noise.num_reasons ? p.noise.reasons[0] : "");
  plain[0] = plain[1] = 1.6;  /* 2 of 40 runs: 5%, not more */
  judge_made_up(&p, plain, instr, 20);
  CHECK(!p.noise.noisy && p.noise.runs_slow == 2, "5%% slow runs are within the rule");
  instr[0] = 2.0; /* 3 of 40 */
  p.overhead_pct = -20.0;
  p.layers[1].time_ms.median = 0.25;
  judge_made_up(&p, plain, instr, 20);
  CHECK(p.noise.noisy && p.noise.num_reasons == 3 && strcmp(p.noise.reasons[0], "8% of runs > 1.5x median") == 0 &&
            strncmp(p.noise.reasons[1], "instrumentation overhead -20.0% (plausible -5% to ", 50) == 0 &&
            strcmp(p.noise.reasons[2], "identical layers #0 and #1 2.5x apart") == 0,
        "reasons: %d, '%s'", p.noise.num_reasons, p.noise.reasons[0]);
  for (int i = 0; i < 20; i++) plain[i] = instr[i] = 1.0;
  p.overhead_pct = 0.0;
  p.layers[1].time_ms.median = 0.1;
  memset(&p.noise, 0, sizeof(p.noise));
  p.noise.load1 = 2.6; /* 1 thread on 2 CPUs: 1 free, beyond 1.5 others is noise */
  p.noise.load_others = 2.6;
  p.noise.cpus_online = 2;
  p.noise.cpus_allowed = 1;
  p.noise.num_busy = 1;
  p.noise.busy_cpus = 0.5;
  p.noise.busy[0] = (roof_busy_process){.pid = 123, .name = "stress", .state = 'R', .cpus = 0.5, .overlap = 1.0};
  roof_noise_judge(&p, plain, instr, 20);
  CHECK(p.noise.num_reasons == 2 && strcmp(p.noise.reasons[0], "load 2.6 on 2 CPUs") == 0 &&
            strcmp(p.noise.reasons[1], "busy: stress (pid 123)") == 0,
        "system reasons: %d, '%s'", p.noise.num_reasons, p.noise.num_reasons ? p.noise.reasons[0] : "");
  roof_proc_snapshot snap;
  roof_proc_snapshot_take(&snap);
  if (snap.ok) { /* containers may hide /proc; then there is nothing to check */
    bool parent = false, self = false;
    for (size_t i = 0; i < snap.n; i++) {
      parent |= snap.procs[i].pid == (int)getppid();
      self |= snap.procs[i].pid == (int)getpid();
    }
    CHECK(parent && !self, "snapshot of %zu processes: parent %d seen, self excluded", snap.n, (int)getppid());
  }
  roof_proc_snapshot_free(&snap);
cleanup:
  roof_profile_free(&p);
  roof_session_free(s);
  roof_model_free(m);
}

int main(int argc, char** argv) {
  test_checked_math();
  test_sanitize();
  test_toposort();
  test_views();
  test_copy_random();
  test_stats();
  test_hw_file(argc > 1 ? argv[1] : "tools/hw");
  test_session_limits();
  test_profile_static();
  test_specialized_input();
  test_noise();
  if (failures) {
    fprintf(stderr, "test_core: %d failures\n", failures);
    return 1;
  }
  printf("test_core: ok\n");
  return 0;
}
