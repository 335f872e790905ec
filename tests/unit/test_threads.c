/* CPUs allowed, probe sanity and predictions (issue 14): the cgroup quota parser and the
 * allowed-CPU rule, the default thread count against the affinity mask, roof_hw_check's
 * rules, the probe cache path keyed by CPU set, and roof_profile_predict's sum and energy. */
#define _GNU_SOURCE 1
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cpus.h"
#include "hw.h"
#include "profile.h"

static void test_quota(void) {
  double c = -1;
  CHECK(roof_cgroup_cpu_max_parse("200000 100000\n", &c) && c == 2.0, "200000/100000 is 2 CPUs, got %g", c);
  CHECK(roof_cgroup_cpu_max_parse("150000 100000", &c) && c == 1.5, "1.5 CPUs, got %g", c);
  CHECK(roof_cgroup_cpu_max_parse("max 100000\n", &c) && c == 0.0, "max is no quota, got %g", c);
  CHECK(!roof_cgroup_cpu_max_parse("", &c) && !roof_cgroup_cpu_max_parse("100000", &c), "period required");
  CHECK(!roof_cgroup_cpu_max_parse("-5 100000", &c) && !roof_cgroup_cpu_max_parse("1x 100000", &c), "bad quota");
  CHECK(!roof_cgroup_cpu_max_parse("100000 0", &c), "zero period");
  CHECK(roof_cpus_allowed(8, 0.0) == 8, "no quota: the affinity count");
  CHECK(roof_cpus_allowed(8, 1.5) == 2, "quota 1.5 of 8 CPUs: ceil is 2, got %u", roof_cpus_allowed(8, 1.5));
  CHECK(roof_cpus_allowed(2, 4.0) == 2, "a quota above the mask does not add CPUs");
  CHECK(roof_cpus_allowed(4, 0.2) == 1 && roof_cpus_allowed(0, 0.0) == 1, "at least 1");
}

static void test_default_threads(void) {
  cpu_set_t set;
  CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
  uint32_t mask = (uint32_t)CPU_COUNT(&set), d = roof_default_threads();
  roof_cpu_limits lim;
  roof_cpu_limits_get(&lim);
  CHECK(d >= 1 && d <= mask && d == lim.allowed, "default %u threads for %u CPUs in the mask (allowed %u)", d, mask,
        lim.allowed);
  CHECK(lim.affinity == mask && lim.cpu_set[0] != '\0', "affinity %u (mask %u), set '%s'", lim.affinity, mask, lim.cpu_set);
  /* pinned to the first CPU of the mask: 1 thread, and its number as the set */
  int first = 0;
  while (!CPU_ISSET(first, &set)) first++;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "pin to CPU %d", first);
  roof_cpu_limits_get(&lim);
  char want[16];
  snprintf(want, sizeof(want), "%d", first);
  CHECK(roof_default_threads() == 1 && strcmp(lim.cpu_set, want) == 0, "pinned: %u threads, set '%s'",
        roof_default_threads(), lim.cpu_set);
  sched_setaffinity(0, sizeof(set), &set);
}

static roof_hw probe_like(void) {
  roof_hw h;
  memset(&h, 0, sizeof(h));
  snprintf(h.source, sizeof(h.source), "probe");
  h.peak_gflops = 100;
  h.peak_int8_gops = 400;
  double bw[ROOF_MEM_LEVELS] = {200, 120, 40, 15};
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) h.read_gbs[lv] = h.copy_gbs[lv] = h.write_gbs[lv] = bw[lv];
  return h;
}

static void test_hw_check(void) {
  char why[192];
  roof_hw h = probe_like();
  CHECK(roof_hw_check(&h, why, sizeof(why)) && why[0] == '\0', "falling bandwidths: %s", why);
  h.read_gbs[ROOF_MEM_L2] = 215; /* within 10% above L1: noise */
  CHECK(roof_hw_check(&h, why, sizeof(why)), "L2 7.5%% above L1 is tolerated: %s", why);
  h.read_gbs[ROOF_MEM_L1] = 0.005; /* the oversubscribed probe */
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "rises toward DRAM") && strstr(why, "l1"), "%s", why);
  h = probe_like();
  h.read_gbs[ROOF_MEM_DRAM] = 45; /* DRAM above L3 (40) by 12.5% */
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "l3") && strstr(why, "dram"), "%s", why);
  h = probe_like();
  h.read_gbs[ROOF_MEM_L3] = NAN;
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "l3"), "NaN: %s", why);
  h = probe_like();
  h.copy_gbs[ROOF_MEM_L1] = 0;
  CHECK(!roof_hw_check(&h, why, sizeof(why)), "a probe without copy bandwidth");
  h.copy_gbs[ROOF_MEM_L1] = 200;
  h.write_gbs[ROOF_MEM_DRAM] = INFINITY;
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "write"), "infinite write bandwidth: %s", why);
  h.write_gbs[ROOF_MEM_DRAM] = 0;
  h.copy_gbs[ROOF_MEM_L1] = 0;
  snprintf(h.source, sizeof(h.source), "spec");
  CHECK(roof_hw_check(&h, why, sizeof(why)), "a spec file may leave copy and write bandwidth out: %s", why);
  h.peak_gflops = 0;
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "peak"), "zero peak: %s", why);
  h = probe_like();
  h.peak_int8_gops = 0;
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "int8"), "a probe without the int8 peak: %s", why);
  snprintf(h.source, sizeof(h.source), "spec");
  CHECK(roof_hw_check(&h, why, sizeof(why)), "a spec file may leave the int8 peak out: %s", why);
  h.peak_int8_gops = NAN;
  CHECK(!roof_hw_check(&h, why, sizeof(why)) && strstr(why, "int8"), "NaN int8 peak: %s", why);
}

/* An int8 layer's compute time is its ops over the int8 peak, a float layer's over the FP32
 * one; without an int8 peak (a spec file) both take FP32's. The above-peak check judges the
 * int8 layer by the int8 peak. */
static void test_int8_roof(void) {
  roof_layer layers[2];
  memset(layers, 0, sizeof(layers));
  for (int i = 0; i < 2; i++) {
    layers[i].index = i;
    layers[i].cost.flops = 1000000000; /* 1 G ops: compute-bound at any roof below */
    layers[i].cost.bytes_read = 1000;
    layers[i].time_ms.median = 20.0;
  }
  layers[0].compute = ROOF_DT_INT8;
  layers[1].compute = ROOF_DT_FLOAT;
  roof_profile p;
  memset(&p, 0, sizeof(p));
  p.layers = layers;
  p.num_layers = 2;
  roof_hw h = probe_like(); /* 100 GFLOP/s, 400 int8 GOP/s */
  roof_profile_roofline(&p, &h);
  CHECK(fabs(layers[0].roofline_ms - 2.5) < 1e-9 && layers[0].compute_bound, "int8 layer roofline %g ms, want 2.5 (int8 roof)",
        layers[0].roofline_ms);
  CHECK(fabs(layers[1].roofline_ms - 10.0) < 1e-9, "float layer roofline %g ms, want 10 (FP32 roof)", layers[1].roofline_ms);
  CHECK(p.above_peak == NULL, "no layer above its peak");
  layers[0].compute = ROOF_DT_UINT8;
  layers[0].time_ms.median = 2.0; /* 500 GOP/s: beats the 400 int8 peak, not noise */
  roof_profile_roofline(&p, &h);
  CHECK(p.above_peak == &layers[0], "a uint8 layer at 500 GOP/s is above the 400 GOP/s int8 peak");
  layers[0].time_ms.median = 3.0; /* 333 GOP/s: above FP32, within int8 */
  roof_profile_roofline(&p, &h);
  CHECK(p.above_peak == NULL && fabs(layers[0].efficiency - 2.5 / 3.0) < 1e-9, "333 GOP/s int8: efficiency %g, above %p",
        layers[0].efficiency, (const void*)p.above_peak);
  h.peak_int8_gops = 0;
  snprintf(h.source, sizeof(h.source), "spec");
  roof_profile_roofline(&p, &h);
  CHECK(fabs(layers[0].roofline_ms - 10.0) < 1e-9 && p.above_peak == NULL,
        "no int8 peak: the FP32 roof (%g ms, want 10), no peak check", layers[0].roofline_ms);
  roof_profile_predict(&p, &(roof_hw){.peak_gflops = 100, .peak_int8_gops = 1000, .read_gbs = {96, 96, 96, 96}});
  CHECK(fabs(layers[0].predicted_ms - 1.0) < 1e-9 && fabs(layers[1].predicted_ms - 10.0) < 1e-9,
        "prediction: int8 %g ms (want 1), float %g ms (want 10)", layers[0].predicted_ms, layers[1].predicted_ms);
}

static void test_cache_path(void) {
  char dir[] = "/tmp/roof_threads_XXXXXX", a[4096], b[4096], c[4096], d[4096];
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  setenv("XDG_CACHE_HOME", dir, 1);
  CHECK(roof_hw_cache_path("AMD EPYC", 1, "0", a, sizeof(a)), "path");
  CHECK(roof_hw_cache_path("AMD EPYC", 1, "0-1", b, sizeof(b)), "path");
  CHECK(roof_hw_cache_path("AMD EPYC", 2, "0-1", c, sizeof(c)), "path");
  CHECK(strncmp(a, dir, strlen(dir)) == 0 && strstr(a, "hw2-AMD_EPYC-t1-c0.json"), "%s", a);
  CHECK(strcmp(a, b) != 0 && strcmp(b, c) != 0 && strstr(b, "-c0-1.json"), "keyed by set and threads: %s %s %s", a, b, c);
  const char* long_set = "0-3,8-11,16-19,24-27,32-35,40-43";
  CHECK(roof_hw_cache_path("AMD EPYC", 1, long_set, d, sizeof(d)) && strstr(d, "-ch") && strlen(strrchr(d, '/')) < 48,
        "a long set is hashed: %s", d);
  char dir2[4200];
  snprintf(dir2, sizeof(dir2), "%s/rooftop", dir);
  rmdir(dir2);
  rmdir(dir);
}

static void test_predict(void) {
  roof_layer layers[2];
  memset(layers, 0, sizeof(layers));
  layers[0].cost.flops = 2000000000; /* 2 GFLOP: compute-bound on the target */
  layers[0].cost.bytes_read = 1000000;
  layers[1].cost.flops = 1000;       /* memory-bound: 96 MB at 96 GB/s = 1 ms */
  layers[1].cost.bytes_read = 64000000;
  layers[1].cost.bytes_written = 32000000;
  roof_profile p;
  memset(&p, 0, sizeof(p));
  p.layers = layers;
  p.num_layers = 2;
  p.latency_ms.median = 50.0; /* measured here: must not enter the prediction */
  roof_hw t = probe_like();
  snprintf(t.source, sizeof(t.source), "spec");
  t.peak_gflops = 1000;
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) t.read_gbs[lv] = 96;
  t.tdp_w = 100;
  t.utilization = 0.5;
  t.pue = 2.0;
  roof_profile_predict(&p, &t);
  CHECK(fabs(layers[0].predicted_ms - 2.0) < 1e-12 && fabs(layers[1].predicted_ms - 1.0) < 1e-12,
        "predicted %g and %g ms, want 2 and 1", layers[0].predicted_ms, layers[1].predicted_ms);
  CHECK(fabs(p.predicted_ms - 3.0) < 1e-12, "predicted total %g ms, want 3", p.predicted_ms);
  roof_energy e = roof_profile_energy_predicted(&p);
  CHECK(e.valid && fabs(e.joules - 100 * 0.5 * 2.0 * 3e-3) < 1e-12, "energy %g J on the predicted 3 ms", e.joules);
  CHECK(!roof_profile_energy(&p).valid, "no roofs of this machine, no measured energy");
}

int main(void) {
  test_quota();
  test_default_threads();
  test_hw_check();
  test_cache_path();
  test_predict();
  test_int8_roof();
  if (failures) {
    fprintf(stderr, "test_threads: %d failures\n", failures);
    return 1;
  }
  printf("test_threads: ok\n");
  return 0;
}
