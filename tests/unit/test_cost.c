/* Cost formulas, one single-op graph each, against counts written out by hand:
 * Conv (stride, dilation, groups, depthwise), Gemm (transposes), MatMul (batched),
 * pooling, elementwise with broadcasting, views. */
#include <inttypes.h>
#include <stdio.h>

#include "graph_builder.h"

static int failures;

/* Prepares the graph (no fusion) and returns the cost of its node named `op`. */
static roof_cost cost_of(builder* b, const char* op) {
  roof_cost c = {0};
  roof_model* m = NULL;
  roof_error err = {{0}};
  b->g->num_original_nodes = b->g->num_nodes;
  roof_model_from_graph(b->g, &m, &err);
  roof_prepare_options po = {.fusion = "none"};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", b->label, err.message);
    failures++;
  } else {
    for (int i = 0; i < m->g->num_nodes; i++) {
      const roof_node* n = &m->g->nodes[i];
      if (!n->removed && strcmp(n->op_type, op) == 0) n->op->cost(m->g, n, &c);
    }
  }
  roof_model_free(m);
  return c;
}

static void expect(const char* what, const char* field, uint64_t got, uint64_t want) {
  if (got == want) return;
  fprintf(stderr, "FAIL %s: %s = %" PRIu64 ", expected %" PRIu64 "\n", what, field, got, want);
  failures++;
}

static void conv(rng* r, int64_t C, int64_t H, int64_t M, int64_t k, int64_t s, int64_t d, int64_t g, int64_t pad) {
  char label[96];
  snprintf(label, sizeof(label), "Conv C%lld H%lld M%lld k%lld s%lld d%lld g%lld", (long long)C, (long long)H, (long long)M,
           (long long)k, (long long)s, (long long)d, (long long)g);
  builder b = start(r, label);
  int64_t xd[4] = {1, C, H, H}, wd[4] = {M, C / g, k, k}, bd[1] = {M};
  int ins[3] = {input(&b, "x", 4, xd), constant(&b, "w", 4, wd), constant(&b, "b", 1, bd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Conv", ins, 3, &y, 1);
  int64_t st[2] = {s, s}, dil[2] = {d, d}, pads[4] = {pad, pad, pad, pad};
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "dilations", 2, dil);
  attr_ints(n, "pads", 4, pads);
  attr_i(n, "group", g);
  mark_output(&b, y);
  int64_t out = (H + 2 * pad - ((k - 1) * d + 1)) / s + 1; /* spatial output size */
  uint64_t macs = (uint64_t)(M * out * out * (C / g) * k * k);
  roof_cost c = cost_of(&b, "Conv");
  expect(label, "macs", c.macs, macs);
  expect(label, "flops", c.flops, 2 * macs);
  expect(label, "params", c.params, (uint64_t)(M * (C / g) * k * k + M));
  expect(label, "bytes_read", c.bytes_read, 4u * (uint64_t)(C * H * H + M * (C / g) * k * k + M));
  expect(label, "bytes_written", c.bytes_written, 4u * (uint64_t)(M * out * out));
}

static void gemm(rng* r, int64_t M, int64_t K, int64_t N, int ta, int tb) {
  char label[64];
  snprintf(label, sizeof(label), "Gemm %lldx%lldx%lld tA%d tB%d", (long long)M, (long long)K, (long long)N, ta, tb);
  builder b = start(r, label);
  int64_t ad[2] = {ta ? K : M, ta ? M : K}, bd[2] = {tb ? N : K, tb ? K : N}, cd[1] = {N};
  int ins[3] = {input(&b, "a", 2, ad), constant(&b, "bm", 2, bd), constant(&b, "c", 1, cd)};
  int y = output(&b, "y");
  roof_node* n = node(&b, "Gemm", ins, 3, &y, 1);
  attr_i(n, "transA", ta);
  attr_i(n, "transB", tb);
  mark_output(&b, y);
  roof_cost c = cost_of(&b, "Gemm");
  expect(label, "macs", c.macs, (uint64_t)(M * K * N));
  expect(label, "flops", c.flops, (uint64_t)(2 * M * K * N));
  expect(label, "bytes_read", c.bytes_read, 4u * (uint64_t)(M * K + K * N + N));
  expect(label, "bytes_written", c.bytes_written, 4u * (uint64_t)(M * N));
}

static void matmul(rng* r) {
  builder b = start(r, "MatMul 3x5x7 @ 7x4");
  int64_t ad[3] = {3, 5, 7}, bd[2] = {7, 4};
  int ins[2] = {input(&b, "a", 3, ad), constant(&b, "bm", 2, bd)};
  int y = output(&b, "y");
  node(&b, "MatMul", ins, 2, &y, 1);
  mark_output(&b, y);
  roof_cost c = cost_of(&b, "MatMul");
  expect(b.label, "macs", c.macs, 3 * 5 * 7 * 4);
  expect(b.label, "bytes_written", c.bytes_written, 4 * 3 * 5 * 4);
}

static void pool(rng* r) {
  builder b = start(r, "MaxPool 1x8x13x13 k3 s2");
  int64_t xd[4] = {1, 8, 13, 13}, k[2] = {3, 3}, s[2] = {2, 2};
  int x = input(&b, "x", 4, xd), y = output(&b, "y");
  roof_node* n = node(&b, "MaxPool", &x, 1, &y, 1);
  attr_ints(n, "kernel_shape", 2, k);
  attr_ints(n, "strides", 2, s);
  mark_output(&b, y);
  roof_cost c = cost_of(&b, "MaxPool"); /* output 6x6: window of 9 per output element */
  expect(b.label, "flops", c.flops, 8 * 6 * 6 * 9);
  expect(b.label, "macs", c.macs, 0);
  expect(b.label, "bytes_read", c.bytes_read, 4 * 8 * 13 * 13);
}

static void eltwise(rng* r) {
  builder b = start(r, "Add 2x8x5x5 + 8x1x1");
  int64_t xd[4] = {2, 8, 5, 5}, cd[3] = {8, 1, 1};
  int ins[2] = {input(&b, "x", 4, xd), constant(&b, "c", 3, cd)};
  int y = output(&b, "y");
  node(&b, "Add", ins, 2, &y, 1);
  mark_output(&b, y);
  roof_cost c = cost_of(&b, "Add"); /* one flop per output element; the small operand read once */
  expect(b.label, "flops", c.flops, 2 * 8 * 5 * 5);
  expect(b.label, "bytes_read", c.bytes_read, 4 * (2 * 8 * 5 * 5 + 8));
  expect(b.label, "bytes_written", c.bytes_written, 4 * 2 * 8 * 5 * 5);

  builder v = start(r, "Flatten (a view)");
  int64_t fd[4] = {2, 3, 4, 5};
  int fx = input(&v, "x", 4, fd), fy = output(&v, "y");
  node(&v, "Flatten", &fx, 1, &fy, 1);
  mark_output(&v, fy);
  roof_cost fc = cost_of(&v, "Flatten");
  expect(v.label, "bytes moved", fc.bytes_read + fc.bytes_written, 0);
}

int main(void) {
  rng r = {7};
  conv(&r, 3, 224, 64, 7, 2, 1, 1, 3);   /* resnet stem */
  conv(&r, 16, 15, 32, 3, 1, 2, 1, 2);   /* dilated */
  conv(&r, 32, 17, 32, 3, 2, 1, 32, 1);  /* depthwise */
  conv(&r, 12, 9, 18, 3, 1, 1, 3, 1);    /* grouped */
  gemm(&r, 4, 9, 5, 0, 0);
  gemm(&r, 4, 9, 5, 1, 0);
  gemm(&r, 4, 9, 5, 0, 1);
  gemm(&r, 4, 9, 5, 1, 1);
  matmul(&r);
  pool(&r);
  eltwise(&r);
  if (failures) {
    fprintf(stderr, "test_cost: %d failures\n", failures);
    return 1;
  }
  printf("test_cost: ok\n");
  return 0;
}
