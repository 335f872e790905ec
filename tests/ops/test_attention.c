/* Attention (ai.rooftop) native kernel against its reference kernel. Each case builds the
 * decomposed block (MatMul(Q, K^T) -> scale -> [Add mask] -> Softmax -> MatMul(., V), with the
 * Transposes PyTorch exports around it), prepares it with the `attention` pass, checks that it
 * became one Attention layer, and runs it on the native kernel and on --reference: random
 * shapes including odd T, S, d, dv, masks constant or graph inputs, broadcast, with -inf
 * entries (a causal mask). A few hand-computed values check the reference itself.
 * usage: test_attention [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph_builder.h"

static int failures, cases;

static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

/* Runs m on inputs in[] (one buffer per graph input); output 0 copied to *out. *backend: the
 * backend of the Attention layer, -1 when there is none. */
static bool run(roof_model* m, bool reference, float** in, float** out, size_t* count, int* backend) {
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_session_options so = {.threads = 2, .force_reference = reference};
  if (roof_session_create(m, &so, &s, &err) != ROOF_OK) {
    fprintf(stderr, "session: %s\n", err.message);
    return false;
  }
  *backend = -1;
  for (int i = 0; i < s->num_steps; i++) {
    const roof_kernel* k = &s->steps[i].k;
    if (strcmp(k->node->op_type, "Attention") == 0) *backend = (int)k->impl->backend;
  }
  bool ok = true;
  for (int i = 0; ok && i < m->g->num_inputs; i++) {
    roof_io_info info;
    roof_session_input_info(s, (size_t)i, &info);
    ok = roof_session_set_input(s, (size_t)i, in[i], info.nbytes, &err) == ROOF_OK;
  }
  ok = ok && roof_session_run(s, NULL, &err) == ROOF_OK;
  if (!ok) fprintf(stderr, "run: %s\n", err.message);
  roof_io_info info;
  roof_session_output_info(s, 0, &info);
  *count = info.nbytes / sizeof(float);
  *out = malloc(info.nbytes + 1);
  if (ok) memcpy(*out, roof_session_output(s, 0), info.nbytes);
  roof_session_free(s);
  return ok;
}

/* Input data: uniform in [-1, 1]; the graph input named "mask" gets -inf in about one entry in
 * five (never in its first column, so no row is all -inf). */
static float** make_inputs(const roof_graph* g, rng* r) {
  float** in = calloc((size_t)g->num_inputs, sizeof(float*));
  for (int i = 0; i < g->num_inputs; i++) {
    const roof_value* v = &g->values[g->inputs[i]];
    uint64_t n = 1;
    for (int a = 0; a < v->rank; a++) n *= (uint64_t)v->dims[a];
    in[i] = malloc(sizeof(float) * (n ? n : 1));
    int64_t cols = v->rank ? v->dims[v->rank - 1] : 1;
    bool mask = strcmp(v->name, "mask") == 0;
    for (uint64_t e = 0; e < n; e++) {
      in[i][e] = frand(r) * 2.0f;
      if (mask && e % (uint64_t)cols != 0 && next(r) % 5 == 0) in[i][e] = -INFINITY;
    }
  }
  return in;
}

/* Prepares b's graph with the attention pass; native (fast) vs reference. */
static void check(builder* b, bool expect_native) {
  cases++;
  roof_graph* g = b->g;
  g->num_original_nodes = g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(g, &m, &err);
  roof_prepare_options po = {.fusion = "attention"};
  if (roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", b->label, err.message);
    failures++;
    roof_model_free(m);
    return;
  }
  float** in = make_inputs(m->g, b->r);
  float *fast = NULL, *ref = NULL;
  size_t nf = 0, nr = 0;
  int bf = -1, br = -1;
  bool ok = run(m, true, in, &ref, &nr, &br) && run(m, false, in, &fast, &nf, &bf);
  const roof_value* y = &m->g->values[m->g->outputs[0]];
  if (!ok || nf != nr) {
    fprintf(stderr, "FAIL %s: session failed\n", b->label);
    failures++;
  } else if (bf < 0) {
    fprintf(stderr, "FAIL %s: the pass made no Attention layer\n", b->label);
    failures++;
  } else if (expect_native != (bf == ROOF_BACKEND_NATIVE) && !native_off()) {
    fprintf(stderr, "FAIL %s: Attention ran on backend %d\n", b->label, bf);
    failures++;
  } else {
    double mag = 0;
    for (size_t i = 0; i < nr; i++) mag = fmax(mag, fabs(ref[i]));
    for (size_t i = 0; i < nr; i++) {
      if (isnan(fast[i]) && isnan(ref[i])) continue;
      if (fabs((double)fast[i] - ref[i]) <= 1e-5 * mag + 1e-4 * fabs(ref[i]) + 1e-6) continue;
      int64_t idx[ROOF_MAX_RANK];
      size_t rem = i;
      for (int d = y->rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)(rem % (size_t)y->dims[d]);
        rem /= (size_t)y->dims[d];
      }
      char c[96];
      fprintf(stderr, "FAIL %s: element [%s]: native %.8g, reference %.8g\n", b->label,
              roof_shape_str(idx, y->rank, c, sizeof(c)), fast[i], ref[i]);
      failures++;
      break;
    }
  }
  for (int i = 0; i < m->g->num_inputs; i++) free(in[i]);
  free(in);
  free(fast);
  free(ref);
  roof_model_free(m);
}

static int scalar(builder* b, const char* name, float v) {
  int c = constant(b, name, 0, NULL);
  *(float*)b->g->values[c].data = v;
  return c;
}

static int transpose(builder* b, int x, int r, const int64_t* perm) {
  int y = output(b, "t");
  attr_ints(node(b, "Transpose", &x, 1, &y, 1), "perm", r, perm);
  return y;
}

/* The mask kinds of a case. */
enum { NO_MASK, CONST_CAUSAL, INPUT_ROW, INPUT_FULL };

/* scores [.., T, S] + mask, then Softmax and the product by v; returns the output value. */
static int tail(builder* b, int scores, int v, int mask_kind, int r, const int64_t* sd) {
  int x = scores;
  if (mask_kind != NO_MASK) {
    int64_t md[ROOF_MAX_RANK];
    int mr = mask_kind == INPUT_FULL ? r : 2;
    if (mask_kind == INPUT_FULL) memcpy(md, sd, sizeof(int64_t) * (size_t)r);
    else md[0] = mask_kind == INPUT_ROW ? 1 : sd[r - 2], md[1] = sd[r - 1];
    int m;
    if (mask_kind == CONST_CAUSAL) {
      m = constant(b, "causal", 2, md);
      float* d = b->g->values[m].data;
      for (int64_t t = 0; t < md[0]; t++) {
        for (int64_t s = 0; s < md[1]; s++) d[t * md[1] + s] = s <= t + md[1] - md[0] ? 0.0f : -INFINITY;
      }
    } else {
      m = input(b, "mask", mr, md);
    }
    int ai[2] = {x, m}, y = output(b, "masked");
    node(b, "Add", ai, 2, &y, 1);
    x = y;
  }
  int p = output(b, "p");
  attr_i(node(b, "Softmax", &x, 1, &p, 1), "axis", -1);
  int mi[2] = {p, v}, o = output(b, "o");
  node(b, "MatMul", mi, 2, &o, 1);
  return o;
}

/* Rank-4 heads [B, H, T, d], K^T by Transpose (0, 1, 3, 2), scale by Mul on the scores. */
static void case_heads(rng* r, int i) {
  int64_t B = irand(r, 1, 2), H = irand(r, 1, 4), T = irand(r, 1, 70), S = irand(r, 1, 70), d = irand(r, 1, 40),
          dv = irand(r, 1, 40);
  int mask = i % 4;
  if (mask == CONST_CAUSAL && S < T) S = T;
  char label[128];
  snprintf(label, sizeof(label), "heads#%d B%lld H%lld T%lld S%lld d%lld dv%lld mask %d", i, (long long)B, (long long)H,
           (long long)T, (long long)S, (long long)d, (long long)dv, mask);
  builder b = start(r, label);
  int64_t qd[4] = {B, H, T, d}, kd[4] = {B, H, S, d}, vd[4] = {B, H, S, dv}, sd[4] = {B, H, T, S};
  int64_t swap[4] = {0, 1, 3, 2};
  int q = input(&b, "q", 4, qd), k = input(&b, "k", 4, kd), v = input(&b, "v", 4, vd);
  int mi[2] = {q, transpose(&b, k, 4, swap)}, s = output(&b, "s"), ss = output(&b, "ss");
  node(&b, "MatMul", mi, 2, &s, 1);
  int si[2] = {s, scalar(&b, "scale", 1.0f / sqrtf((float)d))};
  node(&b, "Mul", si, 2, &ss, 1);
  mark_output(&b, tail(&b, ss, v, mask, 4, sd));
  check(&b, true);
}

/* PyTorch's nn.MultiheadAttention export: Q, K, V [T, BH, d] -> Transpose (1, 0, 2), Q divided
 * by sqrt(d), K^T by Transpose (1, 2, 0), output Transpose (1, 0, 2) back to [T, BH, dv]. */
static void case_torch(rng* r, int i) {
  int64_t BH = irand(r, 1, 6), T = irand(r, 1, 50), d = irand(r, 1, 33), dv = irand(r, 1, 33);
  int mask = i % 2 ? CONST_CAUSAL : NO_MASK;
  char label[128];
  snprintf(label, sizeof(label), "torch#%d BH%lld T%lld d%lld dv%lld mask %d", i, (long long)BH, (long long)T, (long long)d,
           (long long)dv, mask);
  builder b = start(r, label);
  int64_t qd[3] = {T, BH, d}, vd[3] = {T, BH, dv}, sd[3] = {BH, T, T}, p102[3] = {1, 0, 2}, p120[3] = {1, 2, 0};
  int q = input(&b, "q", 3, qd), k = input(&b, "k", 3, qd), v = input(&b, "v", 3, vd);
  int qs = output(&b, "qs"), s = output(&b, "s");
  int di[2] = {transpose(&b, q, 3, p102), scalar(&b, "sqrt_d", sqrtf((float)d))};
  node(&b, "Div", di, 2, &qs, 1);
  int mi[2] = {qs, transpose(&b, k, 3, p120)};
  node(&b, "MatMul", mi, 2, &s, 1);
  int o = tail(&b, s, transpose(&b, v, 3, p102), mask, 3, sd);
  mark_output(&b, transpose(&b, o, 3, p102));
  check(&b, true);
}

/* K^T given as it is ([B, d, S], read through a strided view), V through Transpose (0, 2, 1)
 * (its rows strided: packed by the kernel), the scale on K^T by Div, a mask row. */
static void case_strided(rng* r, int i) {
  int64_t B = irand(r, 1, 5), T = irand(r, 1, 45), S = irand(r, 1, 45), d = irand(r, 1, 20), dv = irand(r, 2, 20);
  char label[128];
  snprintf(label, sizeof(label), "strided#%d B%lld T%lld S%lld d%lld dv%lld", i, (long long)B, (long long)T, (long long)S,
           (long long)d, (long long)dv);
  builder b = start(r, label);
  int64_t qd[3] = {B, T, d}, ktd[3] = {B, d, S}, vtd[3] = {B, dv, S}, sd[3] = {B, T, S}, p021[3] = {0, 2, 1};
  int q = input(&b, "q", 3, qd), kt = input(&b, "kt", 3, ktd), vt = input(&b, "vt", 3, vtd);
  int ks = output(&b, "ks"), s = output(&b, "s");
  int di[2] = {kt, scalar(&b, "two", 2.0f)};
  node(&b, "Div", di, 2, &ks, 1);
  int mi[2] = {q, ks};
  node(&b, "MatMul", mi, 2, &s, 1);
  mark_output(&b, tail(&b, s, transpose(&b, vt, 3, p021), i % 2 ? INPUT_ROW : INPUT_FULL, 3, sd));
  check(&b, true);
}

/* The output transposed so that its last axis is strided: the native kernel writes it by
 * stride (the micro-kernel's column stride), and must still match the reference. */
static void case_out_strided(rng* r) {
  builder b = start(r, "output last axis strided");
  int64_t qd[3] = {2, 5, 3}, kd[3] = {2, 7, 3}, vd[3] = {2, 7, 4}, p021[3] = {0, 2, 1};
  int q = input(&b, "q", 3, qd), k = input(&b, "k", 3, kd), v = input(&b, "v", 3, vd), s = output(&b, "s");
  int mi[2] = {q, transpose(&b, k, 3, p021)};
  node(&b, "MatMul", mi, 2, &s, 1);
  int64_t sd[3] = {2, 5, 7};
  mark_output(&b, transpose(&b, tail(&b, s, v, NO_MASK, 3, sd), 3, p021));
  check(&b, true);
}

/* softmax([0, ln 3] * scale 1) = [1/4, 3/4]; . V [[4, -2], [8, 2]] = [7, 1]. With a mask row
 * [0, -inf]: [1, 0] -> [4, -2]. Both kernels. */
static void hand_case(bool reference, bool masked) {
  cases++;
  rng r = {1};
  builder b = start(&r, "hand");
  int64_t qd[2] = {1, 1}, kd[2] = {2, 1}, vd[2] = {2, 2}, md[2] = {1, 2};
  int ins[4] = {input(&b, "q", 2, qd), input(&b, "k", 2, kd), input(&b, "v", 2, vd), -1};
  if (masked) ins[3] = input(&b, "mask", 2, md);
  int y = output(&b, "y");
  int n = roof_graph_add_node(b.g, "attn", "Attention", "ai.rooftop", ins, masked ? 4 : 3, &y, 1);
  attr_f(&b.g->nodes[n], "scale", 1.0f);
  mark_output(&b, y);
  b.g->num_original_nodes = b.g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_model_from_graph(b.g, &m, &err);
  float q = 1.0f, k[2] = {0.0f, logf(3.0f)}, v[4] = {4, -2, 8, 2}, mask[2] = {0.0f, -INFINITY};
  float* in[4] = {&q, k, v, mask};
  float* out = NULL;
  size_t count = 0;
  int backend = -1;
  bool ok = roof_model_prepare(m, NULL, &err) == ROOF_OK && run(m, reference, in, &out, &count, &backend);
  float want[2] = {masked ? 4.0f : 7.0f, masked ? -2.0f : 1.0f};
  if (!ok || count != 2 || fabsf(out[0] - want[0]) > 1e-5f || fabsf(out[1] - want[1]) > 1e-5f) {
    fprintf(stderr, "FAIL hand (%s, mask %d): got [%g, %g], want [%g, %g] %s\n", reference ? "reference" : "native", masked,
            ok ? out[0] : NAN, ok ? out[1] : NAN, want[0], want[1], ok ? "" : err.message);
    failures++;
  }
  free(out);
  roof_model_free(m);
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 10) : 20261201};
  for (int i = 0; i < 16; i++) case_heads(&r, i);
  for (int i = 0; i < 8; i++) case_torch(&r, i);
  for (int i = 0; i < 8; i++) case_strided(&r, i);
  case_out_strided(&r);
  for (int ref = 0; ref < 2; ref++) {
    hand_case(ref, false);
    hand_case(ref, true);
  }
  if (failures) {
    fprintf(stderr, "test_attention: %d failures in %d cases\n", failures, cases);
    return 1;
  }
  printf("test_attention: %d cases ok\n", cases);
  return 0;
}
