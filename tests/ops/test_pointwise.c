/* Differential tests of the pointwise convolution entry (1x1, stride 1, unpadded, dense, on
 * NHWC data: ops/matmul.c's packed GEMM, shown as native/gemm) against the reference kernel:
 * ResNet-50's and MobileNet v2's 1x1 shapes, layers whose packed weights overflow half of L2
 * (the panel-major task order), pixel counts and channel counts that are no multiple of the
 * micro-kernel's rows or panel width, the input-channel bounds of the entry (48 and 2048), K in
 * blocks past 512 channels (uneven blocks, the clamp on the last one only),
 * batch 2, with and without bias and a fused Relu, 1 and 2 threads; then random shapes. What
 * the entry leaves to XNNPACK (47 or 2049 input channels, under 24 pixels, stride 2, padding,
 * groups) must run elsewhere and match too. Fails at the first bad element with its
 * coordinates. usage: test_pointwise [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct pw_case {
  int64_t n, c, h, w, o, stride, pad, group;
  bool bias, relu;
  int threads;
} pw_case;

static roof_model* build(rng* r, const pw_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->o, c->c / c->group, 1, 1}, bd[1] = {c->o};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {1, 1}, s[2] = {c->stride, c->stride}, p[4] = {c->pad, c->pad, c->pad, c->pad};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "strides", 2, s);
  attr_ints(n, "pads", 4, p);
  if (c->group > 1) attr_i(n, "group", c->group);
  return finish_with_relu(&b, y, c->relu, label);
}

static bool is_pointwise(const roof_kernel_impl* e) {
  return e && e->backend == ROOF_BACKEND_NATIVE && e->algorithm && strcmp(e->algorithm, "gemm") == 0;
}

/* want: the case must run on the pointwise entry (else: must not). */
static void check(rng* r, const pw_case* c, bool want) {
  char label[200];
  snprintf(label, sizeof(label), "Conv1x1 x[%lld,%lld,%lld,%lld] o%lld s%lld p%lld g%lld%s%s t%d", (long long)c->n,
           (long long)c->c, (long long)c->h, (long long)c->w, (long long)c->o, (long long)c->stride, (long long)c->pad,
           (long long)c->group, c->bias ? " +bias" : "", c->relu ? " +relu" : "", c->threads);
  cases++;
  size_t count = (size_t)(c->n * c->c * c->h * c->w);
  if (!test_conv_entry_case(r, build(r, c, label), count, c->threads, label, is_pointwise, want, "the pointwise entry")) failures++;
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  static const pw_case kNamed[] = {
      /* ResNet-50: bottleneck in and out, 56x56 to 7x7 */
      {1, 64, 56, 56, 256, 1, 0, 1, true, true, 1},
      {1, 256, 56, 56, 64, 1, 0, 1, true, true, 2},
      {1, 128, 28, 28, 512, 1, 0, 1, true, false, 2},
      {1, 256, 14, 14, 1024, 1, 0, 1, true, false, 1}, /* 1 MiB of weights: panel-major */
      {1, 512, 7, 7, 2048, 1, 0, 1, true, false, 2},   /* 4 MiB: panel-major, 49 pixels */
      {1, 512, 7, 7, 2048, 1, 0, 1, true, true, 1},
      /* MobileNet v2: expansions and projections */
      {1, 64, 14, 14, 384, 1, 0, 1, true, true, 1},
      {1, 96, 56, 56, 24, 1, 0, 1, true, false, 2},
      {1, 320, 7, 7, 1280, 1, 0, 1, true, true, 2},
      /* the entry's bounds: 48 and 2048 input channels, 24 pixels */
      {1, 48, 5, 5, 40, 1, 0, 1, true, false, 1},
      {1, 512, 3, 8, 33, 1, 0, 1, false, true, 2},
      {1, 2048, 5, 5, 70, 1, 0, 1, true, true, 1},
      /* K in blocks: ResNet-50's 1024 -> 256 and 2048 -> 512; 513 and 777 (uneven blocks) */
      {1, 1024, 14, 14, 256, 1, 0, 1, true, true, 2},
      {1, 2048, 7, 7, 512, 1, 0, 1, true, true, 1},
      {1, 513, 6, 6, 64, 1, 0, 1, true, true, 2},
      {2, 777, 5, 9, 45, 1, 0, 1, false, true, 1},
      /* odd counts: pixels not a multiple of 12 or 6 rows, outputs not of 32 or 16 columns, batch 2 */
      {2, 67, 13, 11, 97, 1, 0, 1, true, true, 2},
      {1, 50, 29, 3, 1, 1, 0, 1, true, false, 1},
      {2, 200, 9, 7, 130, 1, 0, 1, false, false, 1},
  };
  for (size_t i = 0; i < sizeof(kNamed) / sizeof(kNamed[0]); i++) check(&r, &kNamed[i], true);
  for (int i = 0; i < 16; i++) {
    pw_case c = {irand(&r, 1, 2), irand(&r, 48, 300), irand(&r, 5, 30), irand(&r, 5, 30), irand(&r, 1, 300), 1, 0, 1,
                 i % 2 == 0, i % 3 == 0, 1 + i % 2};
    check(&r, &c, true);
  }
  /* left to XNNPACK: 7 and 2049 input channels, under 24 pixels, stride 2, padding, groups */
  static const pw_case kOther[] = {
      {1, 7, 10, 10, 64, 1, 0, 1, true, false, 1},   {1, 2049, 5, 5, 64, 1, 0, 1, true, true, 2},
      {1, 256, 4, 5, 64, 1, 0, 1, true, false, 1},   {1, 256, 56, 56, 512, 2, 0, 1, true, false, 2},
      {1, 64, 12, 12, 64, 1, 1, 1, true, false, 1},  {1, 64, 12, 12, 64, 1, 0, 2, true, true, 2},
  };
  for (size_t i = 0; i < sizeof(kOther) / sizeof(kOther[0]); i++) check(&r, &kOther[i], false);
  /* 8 to 47 input channels: raced against XNNPACK at create (conv_tune.h), each side forced in
   * turn. MobileNet v2's 32 -> 16, 16 -> 96 and 24 -> 144 layers on smaller maps (the arm64
   * stage runs them under emulation), 8 and 47 channels */
  static const pw_case kRaced[] = {
      {1, 32, 40, 40, 16, 1, 0, 1, true, false, 1},   {1, 16, 36, 36, 96, 1, 0, 1, true, true, 2},
      {1, 24, 28, 28, 144, 1, 0, 1, true, true, 1},   {2, 8, 9, 13, 21, 1, 0, 1, false, false, 2},
      {1, 47, 10, 10, 64, 1, 0, 1, true, false, 1},
  };
  const char* const sides[2] = {"xnnpack", "native"};
  for (int side = 0; side < 2; side++) {
    setenv("ROOFTOP_CONV_TUNE", sides[side], 1);
    for (size_t i = 0; i < sizeof(kRaced) / sizeof(kRaced[0]); i++) check(&r, &kRaced[i], side == 1);
  }
  unsetenv("ROOFTOP_CONV_TUNE");
  printf("test_pointwise: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
