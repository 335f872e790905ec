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

/* x -> Relu -> h -> Sigmoid -> y with h of 256 KiB: the consumer reads h where its producer
 * left it: 48 KiB of it can sit in L1, the rest in L2 (1 MiB). */
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
    CHECK(s && s->read_from[ROOF_MEM_L1] == 48 * KiB && s->read_from[ROOF_MEM_L2] == 208 * KiB &&
              s->read_from[ROOF_MEM_L3] == 0 && s->read_from[ROOF_MEM_DRAM] == 0,
          "sigmoid reads h: 48 KiB from L1, 208 KiB from L2; got %llu %llu %llu %llu",
          s ? (unsigned long long)s->read_from[0] : 0, s ? (unsigned long long)s->read_from[1] : 0,
          s ? (unsigned long long)s->read_from[2] : 0, s ? (unsigned long long)s->read_from[3] : 0);
    /* 8 private L1s of 48 KiB hold all of h */
    CHECK(roof_residency_fill(&p, caps, kAll, 8), "out of memory");
    CHECK(s && s->read_from[ROOF_MEM_L1] == 256 * KiB, "8 threads: h from L1");
    /* a level without a bandwidth figure is skipped: the part past L1 comes from L3 */
    const bool no_l2[3] = {true, false, true};
    CHECK(roof_residency_fill(&p, caps, no_l2, 1), "out of memory");
    CHECK(s && s->read_from[ROOF_MEM_L2] == 0 && s->read_from[ROOF_MEM_L3] == 208 * KiB, "no L2 figure: L3");
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
    /* between two reads of W the run touches x0, x and y (12 KiB): the caches above L3 can
     * keep at most 1 MiB - 12 KiB of W, L3 the rest */
    const roof_layer* l = layer_named(&p, "matmul");
    CHECK(l && l->read_from[ROOF_MEM_L3] >= 3 * MiB && l->read_from[ROOF_MEM_DRAM] == 0,
          "W from L3 across runs: %llu bytes from L3, %llu from DRAM", l ? (unsigned long long)l->read_from[2] : 0,
          l ? (unsigned long long)l->read_from[3] : 0);
    caps[2] = 2 * MiB;
    CHECK(roof_residency_fill(&p, caps, kAll, 1), "out of memory");
    CHECK(l && l->read_from[ROOF_MEM_DRAM] >= 2 * MiB, "W from DRAM past a 2 MiB L3: %llu bytes",
          l ? (unsigned long long)l->read_from[3] : 0);
    /* the 4 KiB activation was just written: L1 */
    const roof_layer* relu = layer_named(&p, "relu");
    CHECK(relu && relu->written_to[ROOF_MEM_L1] == 4 * KiB, "x written to L1");
  }
  roof_profile_free(&p);
  roof_model_free(m);
}

/* a = Relu(s) (256 KiB), then an Add moves 8 MiB, then a is read again: the large tensors
 * evict a from L1 and L2, it comes from L3; without the large branch it stays in L1/L2. */
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
    uint64_t from_l3 = first_reader ? first_reader->read_from[ROOF_MEM_L3] : 0;
    uint64_t closer = first_reader ? first_reader->read_from[ROOF_MEM_L1] + first_reader->read_from[ROOF_MEM_L2] : 0;
    if (with_large) CHECK(from_l3 >= 256 * KiB, "%s: a read from L3 (%llu bytes)", b.label, (unsigned long long)from_l3);
    else CHECK(closer == 256 * KiB, "%s: a read from L1/L2 (%llu bytes)", b.label, (unsigned long long)closer);
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
