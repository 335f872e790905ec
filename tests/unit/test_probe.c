/* The probe's portable parts: the FMA kernels' FLOP counts (each kernel really does chains x
 * lanes multiply-adds per iteration), the int8 dot-product kernels' op counts and the int8 peak
 * against the FP32 one, the bandwidth loops, CPU names from x86 and arm64
 * /proc/cpuinfo texts, emulation detection, and the arm64 hardware files' arithmetic.
 * usage: test_probe TOOLS_HW_DIR */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu_info.h"
#include "hw.h"
#include "probe_kernels.h"

/* With x = 1 and y = 2 every accumulator ends at seed + chain + 2 x iters: exact in float, so
 * a kernel doing fewer chains, lanes or iterations than its table entry claims cannot pass. */
static void test_fma_kernels(void) {
  const roof_fma_kernel* ks[4];
  int n = roof_fma_kernels(ks);
  CHECK(n >= 1 && strcmp(ks[n - 1]->isa, "scalar") == 0, "the portable kernel comes last");
#if defined(__aarch64__)
  CHECK(strcmp(ks[0]->isa, "neon") == 0, "arm64 measures with NEON, got %s", ks[0]->isa);
#endif
  for (int i = 0; i < n; i++) {
    const roof_fma_kernel* k = ks[i];
    static const struct {
      const char* isa;
      int chains, lanes;
      double flops;
    } kExpect[] = {{"avx512f", 12, 16, 384}, {"avx2+fma", 12, 8, 192}, {"neon", 24, 4, 192}, {"scalar", 8, 1, 16}};
    bool known = false;
    for (size_t e = 0; e < sizeof(kExpect) / sizeof(kExpect[0]); e++) {
      if (strcmp(kExpect[e].isa, k->isa) != 0) continue;
      known = true;
      CHECK(k->chains == kExpect[e].chains && k->lanes == kExpect[e].lanes, "%s: %d chains x %d lanes", k->isa,
            k->chains, k->lanes);
      CHECK(roof_fma_flops_per_iter(k) == kExpect[e].flops, "%s: %g FLOPs per iteration, want %g", k->isa,
            roof_fma_flops_per_iter(k), kExpect[e].flops);
    }
    CHECK(known, "unknown kernel %s", k->isa);
    for (uint64_t iters = 0; iters <= 7; iters += 7) {
      const float seed = 3.0f;
      double want = 0.0;
      for (int c = 0; c < k->chains; c++) want += (double)k->lanes * (seed + c + 2.0 * (double)iters);
      float got = k->run(iters, seed, 1.0f, 2.0f);
      CHECK(got == (float)want, "%s, %llu iterations: sum %.9g, want %.9g", k->isa, (unsigned long long)iters, got, want);
    }
    /* the probe's own constants keep every accumulator finite over many iterations */
    CHECK(isfinite(k->run(100000, 7.0f, 0.999999f, 1e-7f)), "%s: finite", k->isa);
  }
}

/* With x = 1 and y = 2 every int32 lane ends at seed + chain + 2 x macs_per_lane x iters: a
 * kernel doing fewer chains, lanes, products or iterations than its entry claims cannot pass. */
static void test_dot_kernels(void) {
  const roof_dot_kernel* ks[4];
  int n = roof_dot_kernels(ks);
  CHECK(n >= 1 && strcmp(ks[n - 1]->isa, "scalar") == 0, "the portable int8 kernel comes last");
#if defined(__aarch64__)
  CHECK(strncmp(ks[0]->isa, "neon", 4) == 0, "arm64 measures int8 with NEON, got %s", ks[0]->isa);
#endif
  static const struct {
    const char* isa;
    int chains, lanes, macs;
    double ops;
  } kExpect[] = {{"avx512vnni", 12, 16, 4, 1536}, {"avxvnni", 12, 8, 4, 768}, {"avx2", 12, 8, 4, 768},
                 {"neon-dotprod", 24, 4, 4, 768}, {"neon", 12, 4, 4, 384},     {"scalar", 8, 1, 1, 16}};
  for (int i = 0; i < n; i++) {
    const roof_dot_kernel* k = ks[i];
    bool known = false;
    for (size_t e = 0; e < sizeof(kExpect) / sizeof(kExpect[0]); e++) {
      if (strcmp(kExpect[e].isa, k->isa) != 0) continue;
      known = true;
      CHECK(k->chains == kExpect[e].chains && k->lanes == kExpect[e].lanes && k->macs_per_lane == kExpect[e].macs,
            "%s: %d chains x %d lanes x %d products", k->isa, k->chains, k->lanes, k->macs_per_lane);
      CHECK(roof_dot_ops_per_iter(k) == kExpect[e].ops, "%s: %g ops per iteration, want %g", k->isa,
            roof_dot_ops_per_iter(k), kExpect[e].ops);
    }
    CHECK(known, "unknown int8 kernel %s", k->isa);
    for (uint64_t iters = 0; iters <= 7; iters += 7) {
      const int32_t seed = 3;
      int64_t want = 0;
      for (int c = 0; c < k->chains; c++) want += (int64_t)k->lanes * (seed + c + 2 * k->macs_per_lane * (int64_t)iters);
      int64_t got = k->run(iters, seed, 1, 2);
      CHECK(got == want, "%s, %llu iterations: sum %lld, want %lld", k->isa, (unsigned long long)iters, (long long)got,
            (long long)want);
    }
  }
}

/* The measured int8 peak next to the FP32 one (loaded machines lower both; the bounds are wide):
 * positive, never beyond 16 x FP32 (a 4-byte dot product per FP32 lane, twice the issue rate),
 * and above FP32 where the CPU has VNNI (4 products per lane per instruction). */
static void test_int8_peak(void) {
  double gflops = 0, gops = 0;
  roof_hw_measure_peaks(1, NULL, &gflops, &gops);
  CHECK(gflops > 0 && gops > 0, "peaks %g GFLOP/s, %g int8 GOP/s", gflops, gops);
  char why[160];
  if (roof_hw_emulated(why, sizeof(why))) return; /* qemu-user: the ratio is the emulator's */
  CHECK(gops < 16 * gflops && gops > 0.25 * gflops, "int8 %g GOP/s implausible next to FP32 %g GFLOP/s", gops, gflops);
  const roof_dot_kernel* ks[4];
  roof_dot_kernels(ks);
  if (strstr(ks[0]->isa, "vnni")) CHECK(gops > gflops, "%s: int8 %g GOP/s not above FP32 %g", ks[0]->isa, gops, gflops);
  printf("test_probe: one thread, loaded machine: FP32 %.1f GFLOP/s, int8 %.1f GOP/s (%s)\n", gflops, gops, ks[0]->isa);
}

static void test_bandwidth_loops(void) {
  enum { N = 64 * 5 };
  float* p = aligned_alloc(64, N * sizeof(float));
  CHECK(p != NULL, "out of memory");
  if (p == NULL) return;
  roof_probe_write(p, N, 0.5f);
  bool all = true;
  for (int i = 0; i < N; i++) all = all && p[i] == 0.5f;
  CHECK(all, "write stores every float");
  CHECK(roof_probe_read(p, N) == 0.5f * N, "read sums every float: %g", roof_probe_read(p, N));
  free(p);
}

static const char kX86[] =
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n"
    "flags\t\t: fpu vme avx2 fma\n\n";
static const char kPi5[] =
    "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull\nCPU implementer\t: 0x41\n"
    "CPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n"
    "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\nRevision\t: d04170\nModel\t\t: Raspberry Pi 5\n";
static const char kBigLittle[] =
    "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd05\n\nprocessor\t: 1\nCPU implementer\t: 0x41\n"
    "CPU part\t: 0xd05\n\nprocessor\t: 6\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n";
static const char kUnknown[] = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd99\n";

static void test_cpu_names(void) {
  char name[128];
  roof_cpu_name_parse(kX86, name, sizeof(name));
  CHECK(strcmp(name, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz") == 0, "x86 model name, got '%s'", name);
  roof_cpu_name_parse(kPi5, name, sizeof(name));
  CHECK(strcmp(name, "ARM Cortex-A76") == 0, "Pi 5, got '%s'", name);
  roof_cpu_name_parse(kBigLittle, name, sizeof(name));
  CHECK(strcmp(name, "ARM Cortex-A55 + Cortex-A76") == 0, "big.LITTLE, got '%s'", name);
  roof_cpu_name_parse(kUnknown, name, sizeof(name));
  CHECK(strcmp(name, "ARM part 0xd99") == 0, "unknown part, got '%s'", name);
  roof_cpu_name_parse("", name, sizeof(name));
  CHECK(strcmp(name, "unknown cpu") == 0, "empty cpuinfo, got '%s'", name);
  unsigned impl = 0, part = 0;
  CHECK(roof_cpuinfo_arm_ids(kPi5, &impl, &part) && impl == 0x41 && part == 0xd0b, "Pi 5 ids %x %x", impl, part);
  CHECK(!roof_cpuinfo_arm_ids(kX86, &impl, &part), "x86 has no MIDR fields");
  const roof_arm_core* a72 = roof_arm_core_find(0x41, 0xd08);
  CHECK(a72 && strcmp(a72->name, "Cortex-A72") == 0 && a72->l3 == 0 && a72->l2 == (1u << 20), "A72: 1 MiB L2, no L3");
  const roof_arm_core* v1 = roof_arm_core_find(0x41, 0xd40);
  CHECK(v1 && strcmp(v1->name, "Neoverse-V1") == 0 && v1->l1 == (64u << 10), "Neoverse V1");
  CHECK(roof_arm_core_find(0x41, 0xfff) == NULL, "no entry");
}

static void test_emulation(void) {
  char saved[64] = "";
  const char* hint = getenv("ROOFTOP_EMULATED");
  bool had = hint != NULL;
  if (had) snprintf(saved, sizeof(saved), "%s", hint);
  unsetenv("ROOFTOP_EMULATED");
  char why[160];
#if defined(__aarch64__)
  CHECK(!roof_cpuinfo_emulated(kPi5, why, sizeof(why)), "arm64 on an ARM cpuinfo is native");
  CHECK(roof_cpuinfo_emulated(kX86, why, sizeof(why)), "arm64 on an x86 cpuinfo is qemu-user");
#elif defined(__x86_64__)
  CHECK(!roof_cpuinfo_emulated(kX86, why, sizeof(why)), "x86-64 on an x86 cpuinfo is native");
  CHECK(roof_cpuinfo_emulated(kPi5, why, sizeof(why)), "x86-64 on an ARM cpuinfo is emulated");
#endif
  setenv("ROOFTOP_EMULATED", "1", 1);
  CHECK(roof_cpuinfo_emulated(NULL, why, sizeof(why)) && strstr(why, "ROOFTOP_EMULATED"), "the hint");
  if (had) setenv("ROOFTOP_EMULATED", saved, 1);
  else unsetenv("ROOFTOP_EMULATED");
}

/* The arm64 spec files (tools/hw): peak = cores x GHz x FMA pipes x 4 lanes x 2, DRAM =
 * transfers x bus bytes, L1/L2 = cores x GHz x read path bytes per cycle where Arm's manual
 * gives the width (Cortex-A76: 32 and 32), else the level takes DRAM's figure. */
static void test_arm_hw_files(const char* dir) {
  static const struct {
    const char* file;
    double peak, dram;
    uint32_t threads;
    uint64_t l2, l3;
    double l1_gbs, l2_gbs; /* 0: not given, DRAM's */
  } kFiles[] = {
      {"raspberry-pi-5.json", 4 * 2.4 * 2 * 4 * 2, 4267e6 * 4 / 1e9, 4, 512 << 10, 2 << 20, 4 * 2.4 * 32, 4 * 2.4 * 32},
      {"raspberry-pi-4.json", 4 * 1.5 * 2 * 4 * 2, 3200e6 * 4 / 1e9, 4, 1 << 20, 0, 0, 0},
      {"aws-graviton3-core.json", 2.6 * 4 * 4 * 2, 8 * 4800e6 * 8 / 1e9 / 64, 1, 1 << 20, 32 << 20, 0, 0},
  };
  for (size_t i = 0; i < sizeof(kFiles) / sizeof(kFiles[0]); i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, kFiles[i].file);
    roof_hw hw;
    roof_error err = {{0}};
    CHECK(roof_hw_load(path, &hw, &err) == ROOF_OK, "%s", err.message);
    CHECK(fabs(hw.peak_gflops - kFiles[i].peak) < 1e-9, "%s: peak %g, want %g", kFiles[i].file, hw.peak_gflops,
          kFiles[i].peak);
    CHECK(fabs(hw.read_gbs[ROOF_MEM_DRAM] - kFiles[i].dram) < 0.01, "%s: DRAM %g, want %g", kFiles[i].file,
          hw.read_gbs[ROOF_MEM_DRAM], kFiles[i].dram);
    CHECK(hw.threads == kFiles[i].threads && strcmp(hw.isa, "neon") == 0 && strcmp(hw.source, "spec") == 0,
          "%s: threads, isa, source", kFiles[i].file);
    CHECK(hw.cache_bytes[1] == kFiles[i].l2 && hw.cache_bytes[2] == kFiles[i].l3, "%s: L2/L3 capacity", kFiles[i].file);
    /* levels without a figure take the next one down, ultimately DRAM's (no public source) */
    double l1 = kFiles[i].l1_gbs > 0 ? kFiles[i].l1_gbs : kFiles[i].dram, l2 = kFiles[i].l2_gbs > 0 ? kFiles[i].l2_gbs : kFiles[i].dram;
    CHECK(fabs(hw.read_gbs[ROOF_MEM_L1] - l1) < 0.01 && fabs(hw.read_gbs[ROOF_MEM_L2] - l2) < 0.01, "%s: L1 %g, L2 %g GB/s; want %g, %g",
          kFiles[i].file, hw.read_gbs[ROOF_MEM_L1], hw.read_gbs[ROOF_MEM_L2], l1, l2);
    CHECK(hw.read_gbs[ROOF_MEM_L3] == hw.read_gbs[ROOF_MEM_DRAM], "%s: L3 falls back to DRAM", kFiles[i].file);
    CHECK(roof_hw_check(&hw, err.message, sizeof(err.message)), "%s: %s", kFiles[i].file, err.message);
  }
}

int main(int argc, char** argv) {
  test_fma_kernels();
  test_dot_kernels();
  test_int8_peak();
  test_bandwidth_loops();
  test_cpu_names();
  test_emulation();
  if (argc > 1) test_arm_hw_files(argv[1]);
  else CHECK(false, "usage: test_probe TOOLS_HW_DIR");
  if (failures) fprintf(stderr, "test_probe: %d failures\n", failures);
  else printf("test_probe: ok\n");
  return failures ? 1 : 0;
}
