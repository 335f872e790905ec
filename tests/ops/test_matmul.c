/* Differential tests of the native MatMul and Gemm against the reference kernel: random shapes
 * (1, odd sizes, tile edges, K = 1, 1-D operands, broadcast batch dims), attention's shapes, NHWC
 * (strided) operands and output, a fused Relu clamp, 1 and 2 threads; with B a graph input
 * (packed each run) and a constant (packed once at create); Gemm with every transpose, alpha,
 * beta and bias shape it takes as a fully connected layer.
 * ROOFTOP_NATIVE_ISA=avx2 / =portable run the other micro-kernels on an AVX-512 machine.
 * Fails at the first bad element with its coordinates. usage: test_matmul [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"

static int failures, cases;

/* One MatMul case: operand shapes, optional NHWC views (rank 4, through a 1x1 MaxPool) and
 * a Relu after it (fused into the MatMul's clamp by the activation pass). */
typedef struct mm_case {
  int ra, rb;
  int64_t a[ROOF_MAX_RANK], b[ROOF_MAX_RANK];
  bool nhwc_a, nhwc_b, relu;
  bool const_b;       /* B an initializer */
  bool gemm;          /* Gemm (2-D a and b as stored, transposes below; B constant) */
  int ta, tb;         /* Gemm transA, transB */
  float alpha, beta;  /* Gemm */
  int c_rank;         /* Gemm bias C: 0 none, 1 [N], 2 [1, N], 3 the scalar [1] */
} mm_case;

static int operand(builder* b, const char* name, int rank, const int64_t* dims, bool nhwc) {
  int x = input(b, name, rank, dims);
  if (!nhwc) return x;
  char vn[32];
  snprintf(vn, sizeof(vn), "%s_nhwc", name);
  int y = output(b, vn);
  int64_t k[2] = {1, 1};
  attr_ints(node(b, "MaxPool", &x, 1, &y, 1), "kernel_shape", 2, k);
  return y;
}

static void describe(const mm_case* c, char* buf, size_t n) {
  char as[64], bs[64];
  snprintf(buf, n, "%s %s%s x %s%s%s%s", c->gemm ? "Gemm" : "MatMul", roof_shape_str(c->a, c->ra, as, 64),
           c->nhwc_a ? " nhwc" : "", roof_shape_str(c->b, c->rb, bs, 64), c->nhwc_b ? " nhwc" : "",
           c->const_b ? " const" : "", c->relu ? " +relu" : "");
  if (c->gemm) {
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, " transA %d transB %d alpha %g beta %g C %d", c->ta, c->tb, c->alpha, c->beta, c->c_rank);
  }
}

static roof_model* build(rng* r, const mm_case* c, const char* label) {
  builder b = start(r, label);
  int ins[3] = {operand(&b, "a", c->ra, c->a, c->nhwc_a),
                c->const_b || c->gemm ? constant(&b, "b", c->rb, c->b) : operand(&b, "b", c->rb, c->b, c->nhwc_b), -1};
  int y = output(&b, "y");
  if (c->gemm) {
    int64_t n = c->b[c->tb ? 0 : 1], one = 1, row[2] = {1, n};
    if (c->c_rank) ins[2] = c->c_rank == 3 ? constant(&b, "c", 1, &one) : constant(&b, "c", c->c_rank, c->c_rank == 1 ? &n : row);
    roof_node* g = node(&b, "Gemm", ins, c->c_rank ? 3 : 2, &y, 1);
    attr_i(g, "transA", c->ta);
    attr_i(g, "transB", c->tb);
    attr_f(g, "alpha", c->alpha);
    attr_f(g, "beta", c->beta);
  } else {
    node(&b, "MatMul", ins, 2, &y, 1);
  }
  return finish_with_relu(&b, y, c->relu, label);
}

/* Runs the model on its inputs in[]; *backend is the MatMul or Gemm kernel's backend. */
static float* run(roof_model* m, bool reference, int threads, float* const* in, const size_t* bytes, size_t* count,
                  roof_backend* backend) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = threads, .force_reference = reference};
  if (roof_session_create(m, &so, &s, &err) != ROOF_OK) {
    fprintf(stderr, "session: %s\n", err.message);
    return NULL;
  }
  *backend = ROOF_BACKEND_COUNT;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if ((k->op->id == ROOF_OP_MatMul || k->op->id == ROOF_OP_Gemm) && k->impl) *backend = k->impl->backend;
  }
  float* out = NULL;
  bool ok = true;
  for (int i = 0; ok && i < m->g->num_inputs; i++) ok = roof_session_set_input(s, i, in[i], bytes[i], &err) == ROOF_OK;
  ok = ok && roof_session_run(s, NULL, &err) == ROOF_OK;
  if (ok) {
    roof_io_info info;
    roof_session_output_info(s, 0, &info);
    *count = info.nbytes / sizeof(float);
    out = malloc(info.nbytes + 1);
    memcpy(out, roof_session_output(s, 0), info.nbytes);
  } else {
    fprintf(stderr, "run: %s\n", err.message);
  }
  roof_session_free(s);
  return out;
}

static void compare(const char* label, const roof_value* y, const float* fast, const float* ref, size_t n) {
  double mag = 0;
  for (size_t i = 0; i < n; i++) mag = fmax(mag, fabs(ref[i]));
  for (size_t i = 0; i < n; i++) {
    if (fabs((double)fast[i] - ref[i]) <= 1e-5 * mag + 1e-4 * fabs(ref[i]) + 1e-6) continue;
    int64_t idx[ROOF_MAX_RANK];
    size_t rem = i;
    for (int d = y->rank - 1; d >= 0; d--) {
      idx[d] = (int64_t)(rem % (size_t)y->dims[d]);
      rem /= (size_t)y->dims[d];
    }
    char c[96];
    fprintf(stderr, "FAIL %s: element [%s]: native %.8g, reference %.8g\n", label,
            roof_shape_str(idx, y->rank, c, sizeof(c)), fast[i], ref[i]);
    failures++;
    return;
  }
}

static void check(rng* r, const mm_case* c, int threads) {
  char label[200];
  describe(c, label, sizeof(label));
  cases++;
  roof_model* m = build(r, c, label);
  if (m == NULL) {
    failures++;
    return;
  }
  float* in[2] = {NULL, NULL};
  size_t bytes[2];
  for (int i = 0; i < m->g->num_inputs; i++) {
    const roof_value* x = &m->g->values[m->g->inputs[i]];
    uint64_t n = 1;
    for (int d = 0; d < x->rank; d++) n *= (uint64_t)x->dims[d];
    in[i] = malloc(sizeof(float) * n);
    for (uint64_t j = 0; j < n; j++) in[i][j] = frand(r);
    bytes[i] = sizeof(float) * n;
  }
  size_t nf = 0, nr = 0;
  roof_backend bf, br;
  float* ref = run(m, true, 1, in, bytes, &nr, &br);
  float* fast = run(m, false, threads, in, bytes, &nf, &bf);
  if (ref == NULL || fast == NULL || nf != nr) {
    fprintf(stderr, "FAIL %s: session failed\n", label);
    failures++;
  } else if (bf != ROOF_BACKEND_NATIVE) {
    fprintf(stderr, "FAIL %s: the native kernel was not taken\n", label);
    failures++;
  } else {
    compare(label, &m->g->values[m->g->outputs[0]], fast, ref, nr);
  }
  free(in[0]);
  free(in[1]);
  free(fast);
  free(ref);
  roof_model_free(m);
}

/* Sizes that straddle every micro-kernel's tile edges (MR 4, 6, 12; NR 8, 16, 32). */
static int64_t edge_size(rng* r) {
  static const int64_t kSizes[] = {1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 17, 23, 25, 31, 32, 33, 47, 65};
  return kSizes[irand(r, 0, (int)(sizeof(kSizes) / sizeof(kSizes[0])) - 1)];
}

/* Random ranks 1..4 with broadcast batch dims: each batch dim of one operand is 1, absent or
 * the common size. */
static void random_case(rng* r, int i) {
  mm_case c = {.ra = irand(r, 1, 4), .rb = irand(r, 1, 4)};
  int64_t M = edge_size(r), N = edge_size(r), K = i % 7 == 0 ? 1 : edge_size(r);
  int nb = (c.ra > c.rb ? c.ra : c.rb) - 2;
  int64_t batch[ROOF_MAX_RANK];
  for (int d = 0; d < nb; d++) batch[d] = irand(r, 1, 3);
  for (int d = 0; d < c.ra - 2; d++) c.a[d] = irand(r, 0, 2) ? batch[nb - (c.ra - 2) + d] : 1;
  for (int d = 0; d < c.rb - 2; d++) c.b[d] = irand(r, 0, 2) ? batch[nb - (c.rb - 2) + d] : 1;
  if (c.ra == 1) c.a[0] = K;
  else c.a[c.ra - 2] = M, c.a[c.ra - 1] = K;
  if (c.rb == 1) c.b[0] = K;
  else c.b[c.rb - 2] = K, c.b[c.rb - 1] = N;
  check(r, &c, 1 + i % 2);
}

static mm_case make4(const int64_t* a, const int64_t* b) {
  mm_case c = {.ra = 4, .rb = 4};
  memcpy(c.a, a, sizeof(int64_t) * 4);
  memcpy(c.b, b, sizeof(int64_t) * 4);
  return c;
}

/* ViT-B/16 and BERT-base attention products, 1 and 2 threads. */
static void attention_cases(rng* r) {
  static const int64_t kShapes[4][2][4] = {
      {{1, 12, 197, 64}, {1, 12, 64, 197}},
      {{1, 12, 197, 197}, {1, 12, 197, 64}},
      {{1, 12, 128, 64}, {1, 12, 64, 128}},
      {{1, 12, 128, 128}, {1, 12, 128, 64}},
  };
  for (int i = 0; i < 4; i++) {
    mm_case c = make4(kShapes[i][0], kShapes[i][1]);
    check(r, &c, 1 + i % 2);
  }
}

/* Strided operands: NHWC views of A (K strided: A copied dense), of B (columns strided), of both;
 * the output follows A's layout (columns strided: stored element by element). */
static void strided_cases(rng* r) {
  static const int64_t kA[4] = {2, 3, 13, 9}, kB[4] = {2, 3, 9, 21}, kB1[4] = {1, 3, 9, 40};
  for (int i = 0; i < 4; i++) {
    mm_case c = make4(kA, i == 3 ? kB1 : kB);
    c.nhwc_a = i != 1;
    c.nhwc_b = i >= 1;
    check(r, &c, 2);
  }
}

/* A Relu fused into the MatMul's clamp, with dense and with strided output. */
static void clamp_cases(rng* r) {
  static const int64_t kA[4] = {1, 2, 29, 17}, kB[4] = {1, 2, 17, 35};
  for (int i = 0; i < 2; i++) {
    mm_case c = make4(kA, kB);
    c.relu = true;
    c.nhwc_a = i == 1;
    check(r, &c, 2);
  }
}

/* Long K (accumulation over many terms) and a row count far from any tile size. */
static void long_cases(rng* r) {
  mm_case c = {.ra = 3, .rb = 2, .a = {2, 37, 700}, .b = {700, 50}};
  check(r, &c, 2);
  mm_case v = {.ra = 2, .rb = 1, .a = {101, 333}, .b = {333}}; /* matrix by vector */
  check(r, &v, 2);
  mm_case w = {.ra = 1, .rb = 3, .a = {70}, .b = {3, 70, 97}}; /* vector by batched matrix */
  check(r, &w, 1);
}

/* Constant B (packed once at create): random shapes as above, batched and 1-D B included. */
static void const_cases(rng* r) {
  for (int i = 0; i < 24; i++) {
    mm_case c = {.ra = irand(r, 1, 3), .rb = irand(r, 1, 3), .const_b = true, .relu = i % 5 == 0};
    int64_t M = edge_size(r), N = edge_size(r), K = edge_size(r);
    for (int d = 0; d < ROOF_MAX_RANK; d++) c.a[d] = c.b[d] = 2;
    if (c.ra == 1) c.a[0] = K;
    else c.a[c.ra - 2] = M, c.a[c.ra - 1] = K;
    if (c.rb == 1) c.b[0] = K;
    else c.b[c.rb - 2] = K, c.b[c.rb - 1] = N;
    check(r, &c, 1 + i % 2);
  }
  mm_case bert = {.ra = 3, .rb = 2, .a = {1, 128, 768}, .b = {768, 3072}, .const_b = true}; /* a Linear layer */
  check(r, &bert, 2);
}

/* Gemm as a fully connected layer: every transpose, alpha, beta and bias shape. */
static void gemm_cases(rng* r) {
  for (int i = 0; i < 32; i++) {
    int64_t M = edge_size(r), N = edge_size(r), K = edge_size(r);
    mm_case c = {.ra = 2, .rb = 2, .gemm = true, .ta = i & 1, .tb = (i >> 1) & 1, .c_rank = (i >> 2) & 3,
                 .alpha = i & 16 ? 0.5f : 1.0f, .beta = i & 8 ? 2.0f : 1.0f, .relu = i % 3 == 0};
    c.a[0] = c.ta ? K : M, c.a[1] = c.ta ? M : K;
    c.b[0] = c.tb ? N : K, c.b[1] = c.tb ? K : N;
    check(r, &c, 1 + (i >> 4));
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261201};
  for (int i = 0; i < 60; i++) random_case(&r, i);
  attention_cases(&r);
  strided_cases(&r);
  clamp_cases(&r);
  long_cases(&r);
  const_cases(&r);
  gemm_cases(&r);
  const char* isa = getenv("ROOFTOP_NATIVE_ISA");
  printf("test_matmul (%s): %d cases, %d failures\n", isa ? isa : "best ISA", cases, failures);
  return failures ? 1 : 0;
}
