/* Differential tests of the strided convolution entry (ops/matmul.c: im2col rows on the packed
 * GEMM, shown as native/im2col-gemm) against the reference kernel: ResNet's stride-2 layers (3x3
 * at the head of a stage, the 1x1 downsample shortcuts, 56x56 down to 7x7), K in blocks and
 * not, odd pixel and channel counts, padding cut at every border, asymmetric pads, dilation,
 * 5x5 and 1x3 kernels, stride 3, batch 2, with and without bias and a fused Relu, 1 and 2
 * threads; then random shapes; stride-1 3x3 layers over at most 64 pixels whose Winograd weights
 * pass 16 MiB. What it leaves to other entries (other stride-1 layers, under 48 channels,
 * under 24 output pixels, groups, fewer than 256 input channels) must run elsewhere and match too. Fails at the first bad
 * element with its coordinates. usage: test_im2col [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct ic_case {
  int64_t n, c, h, w, o, kh, kw, stride, dil, pt, pl, pb, pr, group;
  bool bias, relu;
  int threads;
} ic_case;

static roof_model* build(rng* r, const ic_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->o, c->c / c->group, c->kh, c->kw}, bd[1] = {c->o};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {c->kh, c->kw}, s[2] = {c->stride, c->stride}, d[2] = {c->dil, c->dil}, p[4] = {c->pt, c->pl, c->pb, c->pr};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "strides", 2, s);
  attr_ints(n, "dilations", 2, d);
  attr_ints(n, "pads", 4, p);
  if (c->group > 1) attr_i(n, "group", c->group);
  return finish_with_relu(&b, y, c->relu, label);
}

static bool is_im2col(const roof_kernel_impl* e) {
  return e && e->backend == ROOF_BACKEND_NATIVE && e->algorithm && strcmp(e->algorithm, "im2col-gemm") == 0;
}

/* want: the case must run on the im2col entry (else: must not). */
static void check(rng* r, const ic_case* c, bool want) {
  char label[240];
  snprintf(label, sizeof(label), "Conv%lldx%lld x[%lld,%lld,%lld,%lld] o%lld s%lld d%lld p%lld,%lld,%lld,%lld g%lld%s%s t%d",
           (long long)c->kh, (long long)c->kw, (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w,
           (long long)c->o, (long long)c->stride, (long long)c->dil, (long long)c->pt, (long long)c->pl, (long long)c->pb,
           (long long)c->pr, (long long)c->group, c->bias ? " +bias" : "", c->relu ? " +relu" : "", c->threads);
  cases++;
  size_t count = (size_t)(c->n * c->c * c->h * c->w);
  if (!test_conv_entry_case(r, build(r, c, label), count, c->threads, label, is_im2col, want, "the im2col entry")) failures++;
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  static const ic_case kNamed[] = {
      /* ResNet-50's stride-2 3x3 layers and 1x1 downsample shortcuts (K blocked past 512) */
      {1, 256, 28, 28, 256, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 1},
      {1, 512, 14, 14, 512, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 2},
      {1, 256, 56, 56, 512, 1, 1, 2, 1, 0, 0, 0, 0, 1, true, false, 2},
      {1, 512, 28, 28, 1024, 1, 1, 2, 1, 0, 0, 0, 0, 1, true, false, 1},
      {1, 1024, 14, 14, 2048, 1, 1, 2, 1, 0, 0, 0, 0, 1, true, false, 2},
      /* ResNet-18's last stage: 256 -> 512 at 14x14 */
      {1, 256, 14, 14, 512, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 1},
      {1, 256, 14, 14, 512, 1, 1, 2, 1, 0, 0, 0, 0, 1, false, false, 2},
      /* odd counts, asymmetric and one-sided pads, dilation, other kernels, stride 3, batch 2 */
      {2, 267, 13, 11, 97, 3, 3, 2, 1, 1, 0, 0, 1, 1, true, true, 2},
      {1, 256, 17, 19, 33, 3, 3, 2, 2, 2, 2, 2, 2, 1, false, true, 1},
      {1, 300, 20, 20, 40, 5, 5, 2, 1, 2, 2, 2, 2, 1, true, false, 2},
      {1, 296, 15, 31, 70, 1, 3, 2, 1, 0, 1, 0, 1, 1, true, true, 1},
      {2, 280, 25, 25, 64, 3, 3, 3, 1, 0, 0, 0, 0, 1, true, false, 2},
      {1, 300, 10, 12, 1, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 1},
  };
  for (size_t i = 0; i < sizeof(kNamed) / sizeof(kNamed[0]); i++) check(&r, &kNamed[i], true);
  /* stride 1, 3x3, at most 64 output pixels, Winograd weights past 16 MiB, where Winograd's race
   * does not take them (here: Winograd off): ResNet's last stage (512 -> 512 at 7x7) and an odd
   * one (344 -> 350 at 8x6) */
  static const ic_case kStride1[] = {
      {1, 512, 7, 7, 512, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, true, 2},
      {1, 344, 8, 6, 350, 3, 3, 1, 1, 1, 1, 1, 1, 1, false, false, 1},
  };
  setenv("ROOFTOP_WINOGRAD", "off", 1);
  for (size_t i = 0; i < sizeof(kStride1) / sizeof(kStride1[0]); i++) check(&r, &kStride1[i], true);
  unsetenv("ROOFTOP_WINOGRAD");
  for (int i = 0; i < 12; i++) {
    int64_t k = irand(&r, 1, 3) * 2 - 1, pad = irand(&r, 0, k / 2 + 1);
    ic_case c = {irand(&r, 1, 2), irand(&r, 256, 400), irand(&r, 10, 30), irand(&r, 10, 30), irand(&r, 1, 150), k, k,
                 irand(&r, 2, 3), 1, pad, pad, pad, pad, 1, i % 2 == 0, i % 3 == 0, 1 + i % 2};
    check(&r, &c, true);
  }
  /* left to other entries: stride 1, under 8 input channels, under 24 output pixels, groups */
  static const ic_case kOther[] = {
      {1, 64, 12, 12, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, true, false, 1},
      {1, 7, 20, 20, 64, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, false, 1},
      {1, 256, 8, 8, 64, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 1},
      {1, 512, 20, 20, 64, 3, 3, 2, 1, 1, 1, 1, 1, 2, true, true, 2},
  };
  for (size_t i = 0; i < sizeof(kOther) / sizeof(kOther[0]); i++) check(&r, &kOther[i], false);
  /* 8 to 255 input channels: raced against XNNPACK at create (conv_tune.h), each side forced in
   * turn. ResNet-18's and ResNet-50's stride-2 layers on smaller maps (64 -> 128 3x3 and 1x1,
   * 128 -> 256, 128 -> 128; the arm64 stage runs them under emulation), 255 channels, an odd
   * 8-channel one */
  static const ic_case kRaced[] = {
      {1, 64, 22, 22, 128, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 1},
      {1, 64, 30, 30, 128, 1, 1, 2, 1, 0, 0, 0, 0, 1, true, false, 2},
      {1, 128, 14, 14, 256, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 2},
      {1, 128, 20, 20, 128, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, true, 2},
      {1, 255, 20, 20, 64, 3, 3, 2, 1, 1, 1, 1, 1, 1, true, false, 2},
      {2, 8, 19, 23, 20, 5, 3, 3, 1, 2, 1, 0, 2, 1, false, false, 1},
  };
  const char* const sides[2] = {"xnnpack", "native"};
  for (int side = 0; side < 2; side++) {
    setenv("ROOFTOP_CONV_TUNE", sides[side], 1);
    for (size_t i = 0; i < sizeof(kRaced) / sizeof(kRaced[0]); i++) check(&r, &kRaced[i], side == 1);
  }
  unsetenv("ROOFTOP_CONV_TUNE");
  printf("test_im2col: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
