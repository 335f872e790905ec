/* Differential tests of the few-channel stem convolution (ops/conv_stem.c, entry native/im2col)
 * against the reference kernel: ResNet's stem (7x7 stride 2 pad 3, 3 -> 64 at 224x224), 3x3
 * stride-2 and stride-1 stems over RGB, 1 and 4 input channels, odd image sizes, output channels
 * that are no multiple of the panel width, padding larger than the kernel's half and
 * asymmetric, padding wider than the whole window, dilation 2, batch 2, with and without bias and a fused Relu, 1 and 2 threads; then
 * random shapes. MobileNet's and EfficientNet's 3x3 stems to 32 channels and a 5-channel
 * convolution must stay on XNNPACK (and match too). Fails at the first bad element with its
 * coordinates. usage: test_conv_stem [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct st_case {
  int64_t n, c, h, w, o, kh, kw, sh, sw, dh, dw;
  int64_t pads[4]; /* top, left, bottom, right */
  bool bias, relu;
  int threads;
} st_case;

static roof_model* build(rng* r, const st_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->o, c->c, c->kh, c->kw}, bd[1] = {c->o};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {c->kh, c->kw}, s[2] = {c->sh, c->sw}, d[2] = {c->dh, c->dw};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "strides", 2, s);
  attr_ints(n, "dilations", 2, d);
  attr_ints(n, "pads", 4, c->pads);
  return finish_with_relu(&b, y, c->relu, label);
}

/* The class ops/conv_stem.c leaves to XNNPACK (measured as fast there): under 48 taps to at
 * most 32 output channels. */
static bool small(const st_case* c) { return c->c * c->kh * c->kw < 48 && c->o <= 32; }

static bool is_stem(const roof_kernel_impl* e) {
  return e && e->backend == ROOF_BACKEND_NATIVE && e->algorithm && strcmp(e->algorithm, "im2col") == 0;
}

/* want_stem: the case must run on the stem entry (else: must not). */
static void check(rng* r, const st_case* c, bool want_stem) {
  char label[240];
  snprintf(label, sizeof(label),
           "Conv x[%lld,%lld,%lld,%lld] o%lld k%lldx%lld s%lld,%lld d%lld,%lld pads %lld,%lld,%lld,%lld%s%s t%d",
           (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w, (long long)c->o, (long long)c->kh,
           (long long)c->kw, (long long)c->sh, (long long)c->sw, (long long)c->dh, (long long)c->dw,
           (long long)c->pads[0], (long long)c->pads[1], (long long)c->pads[2], (long long)c->pads[3],
           c->bias ? " +bias" : "", c->relu ? " +relu" : "", c->threads);
  cases++;
  size_t count = (size_t)(c->n * c->c * c->h * c->w);
  if (!test_conv_entry_case(r, build(r, c, label), count, c->threads, label, is_stem, want_stem, "the stem entry")) failures++;
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261130};
  /* the small stems are raced against XNNPACK at create (conv_tune.h): XNNPACK's side unless a
   * case below forces the stem's */
  setenv("ROOFTOP_CONV_TUNE", "xnnpack", 1);
  static const st_case kNamed[] = {
      /* ResNet's stem; 3x3 stride-2 and stride-1 stems over RGB to 64 channels */
      {1, 3, 224, 224, 64, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, true, true, 1},
      {1, 3, 224, 224, 64, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, false, false, 2},
      {1, 3, 224, 224, 64, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, true, 2},
      {1, 3, 224, 224, 64, 3, 3, 2, 2, 1, 1, {0, 0, 1, 1}, true, false, 1},
      {1, 3, 64, 64, 64, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, true, true, 1},
      {2, 3, 33, 47, 40, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, false, true, 2},
      /* 1 and 4 input channels */
      {1, 1, 28, 28, 40, 5, 5, 1, 1, 1, 1, {2, 2, 2, 2}, true, false, 1},
      {2, 1, 19, 23, 33, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, true, 2},
      {1, 4, 37, 29, 48, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, true, 2},
      {1, 4, 16, 16, 16, 4, 4, 4, 4, 1, 1, {0, 0, 0, 0}, true, false, 1}, /* a ViT-like patchify */
      /* padding larger than the kernel's half, asymmetric */
      {1, 3, 9, 11, 33, 3, 3, 1, 1, 1, 1, {3, 2, 4, 3}, true, false, 1},
      {1, 2, 13, 7, 65, 5, 5, 2, 2, 1, 1, {4, 4, 4, 4}, true, true, 2},
      {1, 3, 5, 5, 8, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, true, false, 1}, /* windows wider than the image */
      /* padding wider than the window: whole rows and columns of windows in the padding, the
       * first tap inside the image past the kernel (found by fuzz_run: the zeroing of the taps
       * above the image ran past the window) */
      {1, 3, 4, 30, 40, 3, 3, 2, 1, 1, 1, {13, 4, 1, 16}, true, false, 1},
      {1, 2, 5, 21, 36, 3, 3, 1, 1, 2, 2, {9, 11, 8, 7}, true, true, 2},
      /* dilation 2 (and mixed) */
      {1, 3, 31, 29, 40, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, true, true, 2},
      {2, 4, 17, 21, 35, 3, 5, 2, 1, 2, 2, {1, 3, 2, 0}, false, false, 1},
      {1, 1, 12, 40, 36, 3, 3, 1, 3, 1, 2, {0, 1, 0, 1}, true, false, 1},
      /* odd sizes: 1x1 images and kernels, a 1-pixel-wide output, rows shorter than the tile */
      {1, 3, 1, 1, 40, 1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, true, false, 1},
      {1, 2, 7, 1, 34, 3, 1, 1, 1, 1, 1, {1, 0, 1, 0}, false, true, 2},
      {3, 3, 6, 5, 100, 2, 2, 1, 1, 1, 1, {0, 0, 0, 0}, true, false, 2},
  };
  for (size_t i = 0; i < sizeof(kNamed) / sizeof(kNamed[0]); i++) check(&r, &kNamed[i], true);
  for (int i = 0; i < 24; i++) {
    st_case c = {irand(&r, 1, 2), irand(&r, 1, 4), irand(&r, 1, 30), irand(&r, 1, 30), irand(&r, 1, 70),
                 irand(&r, 1, 7), irand(&r, 1, 7), irand(&r, 1, 3), irand(&r, 1, 3), irand(&r, 1, 2), irand(&r, 1, 2),
                 {irand(&r, 0, 4), irand(&r, 0, 4), irand(&r, 0, 4), irand(&r, 0, 4)}, i % 2 == 0, i % 3 == 0,
                 1 + i % 2};
    /* the output must have at least one element in each spatial dim */
    int64_t eh = c.dh * (c.kh - 1) + 1, ew = c.dw * (c.kw - 1) + 1;
    if (c.h + c.pads[0] + c.pads[2] < eh) c.pads[2] = eh - c.h - c.pads[0];
    if (c.w + c.pads[1] + c.pads[3] < ew) c.pads[3] = ew - c.w - c.pads[1];
    check(&r, &c, !small(&c));
  }
  /* past the entry's class, on XNNPACK: 5 input channels; raced, XNNPACK's side forced:
   * MobileNet v2's and EfficientNet-B0's 3x3 stride-2 stems (3 -> 32, symmetric and bottom-right
   * padding), a 3x3 stride-1 one */
  static const st_case kOther[] = {
      {1, 5, 20, 20, 16, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, false, 1},
      {1, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, true, 2},
      {1, 3, 224, 224, 32, 3, 3, 2, 2, 1, 1, {0, 0, 1, 1}, true, false, 1},
      {1, 3, 64, 64, 32, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, true, true, 1},
  };
  for (size_t i = 0; i < sizeof(kOther) / sizeof(kOther[0]); i++) check(&r, &kOther[i], false);
  /* the same small stems on smaller images when the race goes to this entry (it did on a Zen 3;
   * the arm64 stage runs them under emulation) */
  static const st_case kRaced[] = {
      {1, 3, 58, 62, 32, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, true, true, 2},
      {1, 3, 57, 49, 32, 3, 3, 2, 2, 1, 1, {0, 0, 1, 1}, true, false, 1},
      {1, 3, 40, 40, 32, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, true, true, 1},
  };
  setenv("ROOFTOP_CONV_TUNE", "native", 1);
  for (size_t i = 0; i < sizeof(kRaced) / sizeof(kRaced[0]); i++) check(&r, &kRaced[i], true);
  unsetenv("ROOFTOP_CONV_TUNE");
  printf("test_conv_stem: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
