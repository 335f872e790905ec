/* The cache residency model (profiler/residency.h) on hand-built graphs: where each layer's
 * tensors come from in a steady-state run, for caches of chosen sizes. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "graph_builder.h"
#include "profile.h"
#include "residency.h"

enum { KiB = 1024, MiB = 1024 * 1024 };

static const bool kAll[3] = {true, true, true};

/* Prepares the builder's graph (no fusion) and its static profile; false when either fails. */
static bool profile_of(builder* b, roof_model** m, roof_profile* p) {
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = "none"};
  if (roof_model_from_graph(b->g, m, &err) != ROOF_OK || roof_model_prepare(*m, &po, &err) != ROOF_OK ||
      roof_profile_static(*m, 1, p, &err) != ROOF_OK) {
    CHECK(false, "%s: %s", b->label, err.message);
    return false;
  }
  return true;
}

static const roof_layer* layer_named(const roof_profile* p, const char* name) {
  for (int i = 0; i < p->num_layers; i++) {
    if (strcmp(p->layers[i].node->name, name) == 0) return &p->layers[i];
  }
  return NULL;
}

static int level_with(const uint64_t* by_level, uint64_t bytes) {
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    if (by_level[lv] == bytes) return lv;
  }
  return -1;
}

/* x -> Relu -> h -> Sigmoid -> y with h of 256 KiB: the consumer reads h where its producer
 * left it, in L2 (1 MiB) but not in L1 (48 KiB); the write of y lands in L2 too. */
static void producer_to_consumer(void) {
  rng r = {1};
  builder b = start(&r, "producer_to_consumer");
  int64_t dims[2] = {1, 64 * KiB}; /* 256 KiB of float */
  int x = input(&b, "x", 2, dims), h = output(&b, "h"), y = output(&b, "y");
  named(&b, "relu", "Relu", &x, 1, &h, 1);
  named(&b, "sigmoid", "Sigmoid", &h, 1, &y, 1);
  mark_output(&b, y);
  roof_model* m = NULL;
  roof_profile p = {0};
  if (profile_of(&b, &m, &p)) {
    uint64_t caps[3] = {48 * KiB, 1 * MiB, 32 * MiB};
    CHECK(roof_residency_fill(&p, caps, kAll, 1), "out of memory");
    const roof_layer* s = layer_named(&p, "sigmoid");
    CHECK(s && level_with(s->read_from, 256 * KiB) == ROOF_MEM_L2, "sigmoid reads h from L2 (level %d)",
          s ? level_with(s->read_from, 256 * KiB) : -9);
    CHECK(s && level_with(s->written_to, 256 * KiB) == ROOF_MEM_L2, "sigmoid writes y to L2");
    /* with 4 threads the private L1s hold 192 KiB, still short of h; 8 hold 384 KiB */
    CHECK(roof_residency_fill(&p, caps, kAll, 8), "out of memory");
    CHECK(s && level_with(s->read_from, 256 * KiB) == ROOF_MEM_L1, "8 private L1s of 48 KiB hold h");
    /* a level without a bandwidth figure is skipped: h comes from L3 */
    const bool no_l2[3] = {true, false, true};
    CHECK(roof_residency_fill(&p, caps, no_l2, 1), "out of memory");
    CHECK(s && level_with(s->read_from, 256 * KiB) == ROOF_MEM_L3, "no L2 figure: L3");
  }
  roof_profile_free(&p);
  roof_model_free(m);
}

/* y = MatMul(Relu(x0), W) with W of 4 MiB: from one run to the next W stays in a 32 MiB L3,
 * and comes from DRAM when the L3 holds 2 MiB; the 4 KiB activation comes from L1. */
static void weights_across_runs(void) {
  rng r = {2};
  builder b = start(&r, "weights_across_runs");
  int64_t xd[2] = {1, 1024}, wd[2] = {1024, 1024};
  int x0 = input(&b, "x0", 2, xd), x = output(&b, "x"), w = constant(&b, "W", 2, wd), y = output(&b, "y");
  named(&b, "relu", "Relu", &x0, 1, &x, 1);
  int ins[2] = {x, w};
  named(&b, "matmul", "MatMul", ins, 2, &y, 1);
  mark_output(&b, y);
  roof_model* m = NULL;
  roof_profile p = {0};
  if (profile_of(&b, &m, &p)) {
    uint64_t caps[3] = {48 * KiB, 1 * MiB, 32 * MiB};
    CHECK(roof_residency_fill(&p, caps, kAll, 1), "out of memory");
    const roof_layer* l = layer_named(&p, "matmul");
    CHECK(l && level_with(l->read_from, 4 * MiB) == ROOF_MEM_L3, "W from L3 across runs (level %d)",
          l ? level_with(l->read_from, 4 * MiB) : -9);
    CHECK(l && level_with(l->read_from, 4 * KiB) == ROOF_MEM_L1, "x (4 KiB) from L1");
    caps[2] = 2 * MiB;
    CHECK(roof_residency_fill(&p, caps, kAll, 1), "out of memory");
    CHECK(l && level_with(l->read_from, 4 * MiB) == ROOF_MEM_DRAM, "W from DRAM with a 2 MiB L3");
  }
  roof_profile_free(&p);
  roof_model_free(m);
}

/* a = Relu(s) (256 KiB), then c = Sigmoid(t) moves 8 MiB, then z = Neg(a): the large tensor
 * evicts a from L2, so Neg reads it from L3; without the large branch it stays in L2. */
static void evicted_by_larger(bool with_large) {
  rng r = {3};
  builder b = start(&r, with_large ? "evicted_by_larger" : "not_evicted");
  int64_t sd[2] = {1, 64 * KiB}, td[2] = {1, 1 * MiB};
  int s = input(&b, "s", 2, sd), a = output(&b, "a"), z = output(&b, "z");
  named(&b, "relu", "Relu", &s, 1, &a, 1);
  int gate = a;
  if (with_large) { /* the large Add runs between a's producer and its next reader: the reader
                     * depends on it through ReduceMean(c) */
    int t = input(&b, "t", 2, td), mean = output(&b, "mean"), c = output(&b, "c"), mean_c = output(&b, "mean_c");
    roof_node* rm = named(&b, "mean", "ReduceMean", &a, 1, &mean, 1);
    attr_i(rm, "keepdims", 1);
    int ins[2] = {t, mean};
    named(&b, "large", "Add", ins, 2, &c, 1);
    roof_node* rc = named(&b, "mean_c", "ReduceMean", &c, 1, &mean_c, 1);
    attr_i(rc, "keepdims", 1);
    int sub_in[2] = {a, mean_c};
    int g2 = output(&b, "gate");
    named(&b, "gate", "Sub", sub_in, 2, &g2, 1);
    gate = g2;
  }
  named(&b, "neg", "Neg", &gate, 1, &z, 1);
  mark_output(&b, z);
  roof_model* m = NULL;
  roof_profile p = {0};
  if (profile_of(&b, &m, &p)) {
    uint64_t caps[3] = {48 * KiB, 1 * MiB, 32 * MiB};
    CHECK(roof_residency_fill(&p, caps, kAll, 1), "out of memory");
    const roof_layer* first_reader = layer_named(&p, with_large ? "gate" : "neg");
    int want = with_large ? ROOF_MEM_L3 : ROOF_MEM_L2;
    int got = first_reader ? level_with(first_reader->read_from, 256 * KiB) : -9;
    CHECK(got == want, "%s: a read from level %d, expected %d", b.label, got, want);
  }
  roof_profile_free(&p);
  roof_model_free(m);
}

int main(void) {
  producer_to_consumer();
  weights_across_runs();
  evicted_by_larger(false);
  evicted_by_larger(true);
  if (failures) fprintf(stderr, "test_residency: %d failures\n", failures);
  else printf("test_residency: all checks passed\n");
  return failures ? 1 : 0;
}
