/* Differential tests of the ConvTranspose GEMM entry (ops/matmul.c: kernel equal to the stride,
 * unpadded, one GEMM per input row and tap, shown as native/gemm) against the reference kernel:
 * the 2x2 stride-2 upsampling of DBNet-style heads (64 -> 64), U-Net decoders' wide
 * layers with K in blocks (600 input channels), 3x3 stride 3, 2x3 stride (2, 3), 1x1 stride 1,
 * odd pixel and channel counts, batch 2, with and without bias and a fused Relu, 1 and 2 threads;
 * then random shapes. What it leaves to XNNPACK (padding, output padding, kernel larger than the
 * stride, groups, dilation, under 8 output values per input pixel and tap row) must run
 * elsewhere and match too. Fails at the first bad element with
 * its coordinates. usage: test_convt [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct ct_case {
  int64_t n, c, h, w, o, kh, kw, sh, sw, dil, pad, out_pad, group;
  bool bias, relu;
  int threads;
} ct_case;

static roof_model* build(rng* r, const ct_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->c, c->o / c->group, c->kh, c->kw}, bd[1] = {c->o};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* n = node(&b, "ConvTranspose", ins, c->bias ? 3 : 2, &y, 1);
  int64_t k[2] = {c->kh, c->kw}, s[2] = {c->sh, c->sw}, d[2] = {c->dil, c->dil}, p[4] = {c->pad, c->pad, c->pad, c->pad};
  int64_t op[2] = {c->out_pad, c->out_pad};
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "strides", 2, s);
  attr_ints(n, "dilations", 2, d);
  attr_ints(n, "pads", 4, p);
  attr_ints(n, "output_padding", 2, op);
  if (c->group > 1) attr_i(n, "group", c->group);
  return finish_with_relu(&b, y, c->relu, label);
}

static bool is_gemm(const roof_kernel_impl* e) {
  return e && e->backend == ROOF_BACKEND_NATIVE && e->algorithm && strcmp(e->algorithm, "gemm") == 0;
}

/* want: the case must run on the GEMM entry (else: must not). */
static void check(rng* r, const ct_case* c, bool want) {
  char label[240];
  snprintf(label, sizeof(label), "ConvTranspose%lldx%lld x[%lld,%lld,%lld,%lld] o%lld s%lld,%lld d%lld p%lld op%lld g%lld%s%s t%d",
           (long long)c->kh, (long long)c->kw, (long long)c->n, (long long)c->c, (long long)c->h, (long long)c->w,
           (long long)c->o, (long long)c->sh, (long long)c->sw, (long long)c->dil, (long long)c->pad, (long long)c->out_pad,
           (long long)c->group, c->bias ? " +bias" : "", c->relu ? " +relu" : "", c->threads);
  cases++;
  size_t count = (size_t)(c->n * c->c * c->h * c->w);
  if (!test_op_entry_case(r, build(r, c, label), count, c->threads, "ConvTranspose", label, is_gemm, want, "the GEMM entry")) {
    failures++;
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261201};
  static const ct_case kNamed[] = {
      /* DBNet-style head at a smaller map: 64 -> 64, 2x2 stride 2; 4 output channels (8 values
       * per input pixel and tap row, the least the entry takes) */
      {1, 64, 40, 40, 64, 2, 2, 2, 2, 1, 0, 0, 1, true, true, 2},
      {1, 64, 24, 30, 4, 2, 2, 2, 2, 1, 0, 0, 1, true, false, 1},
      /* U-Net decoder: 600 -> 256 (K in blocks), 2x2 stride 2 */
      {1, 600, 9, 10, 256, 2, 2, 2, 2, 1, 0, 0, 1, true, false, 2},
      /* other taps and strides, odd counts, no bias, batch 2 */
      {2, 37, 7, 9, 19, 3, 3, 3, 3, 1, 0, 0, 1, false, true, 2},
      {1, 20, 5, 13, 33, 2, 3, 2, 3, 1, 0, 0, 1, true, false, 1},
      {1, 48, 11, 3, 17, 1, 1, 1, 1, 1, 0, 0, 1, true, true, 1},
      {2, 5, 1, 1, 7, 4, 4, 4, 4, 1, 0, 0, 1, false, false, 2},
  };
  for (size_t i = 0; i < sizeof(kNamed) / sizeof(kNamed[0]); i++) check(&r, &kNamed[i], true);
  for (int i = 0; i < 10; i++) {
    int64_t k = irand(&r, 1, 4);
    ct_case c = {irand(&r, 1, 2), irand(&r, 1, 80), irand(&r, 1, 20), irand(&r, 1, 20), irand(&r, 1, 70), k, k, k, k, 1, 0, 0, 1,
                 i % 2 == 0, i % 3 == 0, 1 + i % 2};
    check(&r, &c, k * c.o >= 8);
  }
  /* left to XNNPACK: padded, output padding, kernel past the stride, groups, dilation, under
   * 8 values per input pixel and tap row (DBNet's 64 -> 1 2x2 layer, 7 -> 2 3x3) */
  static const ct_case kOther[] = {
      {1, 64, 24, 30, 1, 2, 2, 2, 2, 1, 0, 0, 1, true, false, 1},
      {1, 7, 6, 5, 2, 3, 3, 3, 3, 1, 0, 0, 1, true, true, 2},
      {1, 16, 8, 8, 16, 2, 2, 2, 2, 1, 1, 0, 1, true, false, 1},
      {1, 16, 8, 8, 16, 2, 2, 2, 2, 1, 0, 1, 1, true, false, 1},
      {1, 16, 8, 8, 16, 3, 3, 2, 2, 1, 0, 0, 1, true, true, 2},
      {1, 16, 8, 8, 16, 2, 2, 2, 2, 1, 0, 0, 2, true, false, 1},
      {1, 16, 8, 8, 16, 2, 2, 2, 2, 2, 0, 0, 1, true, false, 1},
  };
  for (size_t i = 0; i < sizeof(kOther) / sizeof(kOther[0]); i++) check(&r, &kOther[i], false);
  printf("test_convt: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
