/* Differential tests of the native 1-D convolution (ops/conv1d.c) against the reference kernel:
 * random shapes with groups (depthwise included), strides up to an STFT hop, dilations, explicit
 * and SAME padding, with and without bias, a fused Relu; an STFT front end (1 channel, 400 taps,
 * hop 160, 258 output channels); blocks of 8 to 40 output channels per group (the packed path);
 * 1 and 2 threads. Fails at the first bad element with its
 * coordinates. usage: test_conv1d [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;

typedef struct c1_case {
  int64_t n, c, l, co, k, group, stride, dil, pad0, pad1;
  bool bias, relu, same;
} c1_case;

static roof_model* build(rng* r, const c1_case* c, const char* label) {
  builder b = start(r, label);
  int64_t xd[3] = {c->n, c->c, c->l}, wd[3] = {c->co, c->c / c->group, c->k}, bd[1] = {c->co};
  int ins[3] = {input(&b, "x", 3, xd), constant(&b, "w", 3, wd), c->bias ? constant(&b, "b", 1, bd) : -1};
  int y = output(&b, "y");
  roof_node* conv = node(&b, "Conv", ins, c->bias ? 3 : 2, &y, 1);
  attr_i(conv, "group", c->group);
  attr_ints(conv, "strides", 1, &c->stride);
  attr_ints(conv, "dilations", 1, &c->dil);
  if (c->same) {
    attr_s(conv, "auto_pad", "SAME_UPPER");
  } else {
    int64_t pads[2] = {c->pad0, c->pad1};
    attr_ints(conv, "pads", 2, pads);
  }
  return finish_with_relu(&b, y, c->relu, label);
}

static void check(rng* r, const c1_case* c, int threads) {
  char label[200];
  snprintf(label, sizeof(label), "Conv1d x [%lld,%lld,%lld] w [%lld,%lld,%lld] group %lld stride %lld dil %lld pads %s%lld,%lld%s%s",
           (long long)c->n, (long long)c->c, (long long)c->l, (long long)c->co, (long long)(c->c / c->group),
           (long long)c->k, (long long)c->group, (long long)c->stride, (long long)c->dil, c->same ? "SAME " : "",
           (long long)c->pad0, (long long)c->pad1, c->bias ? " +bias" : "", c->relu ? " +relu" : "");
  cases++;
  roof_model* m = build(r, c, label);
  if (m == NULL) {
    failures++;
    return;
  }
  size_t count = (size_t)(c->n * c->c * c->l);
  float* x = malloc(sizeof(float) * (count ? count : 1));
  for (size_t i = 0; i < count; i++) x[i] = frand(r);
  void* in[1] = {x};
  if (!test_differential(m, threads, in, "Conv", label)) failures++;
  free(x);
  roof_model_free(m);
}

static void random_cases(rng* r) {
  for (int i = 0; i < 48; i++) {
    c1_case c = {.n = irand(r, 1, 2), .c = irand(r, 1, 6), .l = irand(r, 1, 40), .k = irand(r, 1, 11),
                 .stride = irand(r, 1, 4), .dil = i % 4 == 3 ? irand(r, 2, 3) : 1, .bias = i % 2 == 0,
                 .relu = i % 5 == 0, .same = i % 7 == 3};
    int64_t g = i % 3 == 0 ? c.c : (i % 3 == 1 ? 1 : (c.c % 2 == 0 ? 2 : 1)); /* depthwise, dense, 2 groups */
    c.group = g;
    c.co = g * irand(r, 1, 3);
    c.pad0 = irand(r, 0, c.k - 1);
    c.pad1 = irand(r, 0, c.k - 1);
    /* the output must have at least one element */
    if (!c.same && c.l + c.pad0 + c.pad1 < c.dil * (c.k - 1) + 1) c.pad1 = c.dil * (c.k - 1) + 1 - c.l - c.pad0;
    check(r, &c, 1 + i % 2);
  }
  /* 8 or more output channels per group: the packed path (blocks of 16 channels, tiles of 4
   * positions), with partial blocks and tiles, borders and dilations */
  for (int i = 0; i < 32; i++) {
    c1_case c = {.n = irand(r, 1, 2), .c = irand(r, 1, 5), .l = irand(r, 1, 60), .k = irand(r, 1, 9),
                 .stride = irand(r, 1, 5), .dil = i % 4 == 1 ? irand(r, 2, 3) : 1, .bias = i % 2 == 1,
                 .relu = i % 3 == 0, .same = i % 5 == 2};
    c.group = i % 4 == 3 ? 2 : 1;
    c.c *= c.group;
    c.co = c.group * irand(r, 8, 40);
    c.pad0 = irand(r, 0, c.k - 1);
    c.pad1 = irand(r, 0, c.k - 1);
    if (!c.same && c.l + c.pad0 + c.pad1 < c.dil * (c.k - 1) + 1) c.pad1 = c.dil * (c.k - 1) + 1 - c.l - c.pad0;
    check(r, &c, 1 + i % 2);
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261129};
  random_cases(&r);
  /* an STFT front end: 400-sample windows every 160 samples, 129 bins x (cos, sin) */
  c1_case stft = {.n = 1, .c = 1, .l = 1600, .co = 258, .k = 400, .group = 1, .stride = 160, .dil = 1, .pad0 = 200, .pad1 = 200};
  check(&r, &stft, 2);
  c1_case tcn = {.n = 1, .c = 64, .l = 100, .co = 64, .k = 3, .group = 1, .stride = 1, .dil = 4, .pad0 = 4, .pad1 = 4, .bias = true};
  check(&r, &tcn, 2);
  /* a voice-activity front end: 64-sample windows every 32 samples, 33 bins x (cos, sin), unpadded */
  c1_case vad = {.n = 1, .c = 1, .l = 512, .co = 66, .k = 64, .group = 1, .stride = 32, .dil = 1};
  check(&r, &vad, 1);
  printf("test_conv1d: %d cases, %d failures\n", cases, failures);
  return failures ? 1 : 0;
}
