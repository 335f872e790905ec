/* Quantization ops (ops/quantize.c): every fast kernel against the reference on random shapes
 * (odd sizes, uint8 and int8, per tensor and per channel), then the reference against
 * hand-computed values (ties to even, saturation, per-axis and blocked scales, zero points).
 *
 * Tolerance: 0 (bit for bit) for the native Q / DQ / DynamicQuantizeLinear, the native
 * integer GEMM (MatMulInteger, QLinearMatMul: same int32 sums, same output stage) and the native
 * ConvInteger. 1 LSB for
 * QLinearConv on XNNPACK, whose requantization (fixed-point multiplier, its own rounding) differs
 * from the reference's rint(acc * scale) in double at ties. Fails at the first bad element with
 * its coordinates. With ROOFTOP_NO_NATIVE=1 the native entries are off (XNNPACK still runs).
 * usage: test_quant [SEED] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_outputs.h"

static int failures, cases;
static long lsb_off, compared; /* elements within tolerance but not equal, of all compared */

static bool native_off(void) {
  const char* e = getenv("ROOFTOP_NO_NATIVE");
  return e && e[0] == '1';
}

static int scalar_f(builder* b, const char* name, float v) { return typed_const(b, name, ROOF_DT_FLOAT, 0, NULL, &v); }
static int scalar_q(builder* b, const char* name, int dtype, int v) {
  int8_t s = (int8_t)v;
  uint8_t u = (uint8_t)v;
  return typed_const(b, name, dtype, 0, NULL, dtype == ROOF_DT_INT8 ? (const void*)&s : (const void*)&u);
}

/* random bytes of an 8-bit tensor */
static void* rand_bytes(rng* r, uint64_t n) {
  uint8_t* d = malloc(n ? n : 1);
  for (uint64_t i = 0; i < n; i++) d[i] = (uint8_t)next(r);
  return d;
}

static uint64_t count_of(int rank, const int64_t* dims) {
  uint64_t n = 1;
  for (int d = 0; d < rank; d++) n *= (uint64_t)dims[d];
  return n;
}

static int zp_of(rng* r, int dtype) { return dtype == ROOF_DT_INT8 ? irand(r, -20, 20) : irand(r, 100, 150); }
static const char* dn(int dt) { return dt == ROOF_DT_INT8 ? "s8" : dt == ROOF_DT_UINT8 ? "u8" : roof_dtype_name(dt); }

/* Prepares the builder's model, runs it on the reference and the default kernels, compares
 * every output within `tol` (in units of the output element). expect_fast: the op must have
 * run on a non-reference kernel (unless native kernels are off and `native` says it is one). */
typedef bool (*plan_check)(roof_model* m, const char* label);

/* compare() with a check of the prepared model's plan first (NULL: none) */
static void compare_checked(builder* b, const char* op, void* const* in, double tol, bool expect_fast, bool native,
                            plan_check check) {
  cases++;
  roof_model* m = test_prepare(b);
  if (m == NULL) {
    failures++;
    return;
  }
  if (check && !check(m, b->label)) failures++;
  test_outputs ro = {0}, fo = {0};
  bool took_ref = false, took_fast = false;
  bool ok = test_run_session(m, true, 1, in, op, &took_ref, &ro) && test_run_session(m, false, 2, in, op, &took_fast, &fo);
  if (!ok) {
    fprintf(stderr, "FAIL %s: a session failed\n", b->label);
    failures++;
  } else if (expect_fast && !took_fast && !(native && native_off())) {
    fprintf(stderr, "FAIL %s: %s did not run on its fast kernel\n", b->label, op);
    failures++;
  }
  for (int o = 0; ok && o < ro.n; o++) {
    const roof_io_info* info = &ro.info[o];
    size_t es = roof_dtype_size(info->dtype), n = info->nbytes / es;
    for (size_t i = 0; i < n; i++) {
      double a = roof_load_f64(info->dtype, fo.data[o], (int64_t)i), e = roof_load_f64(info->dtype, ro.data[o], (int64_t)i);
      compared++;
      if (a == e || (isnan(a) && isnan(e))) continue;
      if (fabs(a - e) <= tol) {
        lsb_off++;
        continue;
      }
      char c[96];
      fprintf(stderr, "FAIL %s: output %d %s element [%s]: fast %.9g, reference %.9g (tolerance %g)\n", b->label, o,
              roof_dtype_name(info->dtype), test_coords(info, i, c, sizeof(c)), a, e, tol);
      failures++;
      break;
    }
  }
  test_outputs_free(&ro);
  test_outputs_free(&fo);
  roof_model_free(m);
}

static void compare(builder* b, const char* op, void* const* in, double tol, bool expect_fast, bool native) {
  compare_checked(b, op, in, tol, expect_fast, native, NULL);
}

/* ---- Q / DQ / dynamic: native against reference, bit for bit ---- */

static void qdq_case(rng* r, int qdt, bool quantize) {
  int rank = irand(r, 1, 4);
  int64_t dims[4];
  for (int d = 0; d < rank; d++) dims[d] = irand(r, 1, d == rank - 1 ? 67 : 9);
  uint64_t n = count_of(rank, dims);
  char label[160], s[64];
  snprintf(label, sizeof(label), "%s %s %s", quantize ? "QuantizeLinear" : "DequantizeLinear", dn(qdt),
           roof_shape_str(dims, rank, s, sizeof(s)));
  builder b = start(r, label);
  float scale = 0.01f + (float)(next(r) % 1000) / 1000.0f;
  int x = typed_input(&b, "x", quantize ? ROOF_DT_FLOAT : qdt, rank, dims), y = output(&b, "y");
  int ins[3] = {x, scalar_f(&b, "s", scale), scalar_q(&b, "z", qdt, zp_of(r, qdt))};
  node(&b, quantize ? "QuantizeLinear" : "DequantizeLinear", ins, 3, &y, 1);
  mark_output(&b, y);
  void* data;
  if (quantize) {
    float* f = malloc(sizeof(float) * n);
    for (uint64_t i = 0; i < n; i++) {
      /* exact ties (k + 0.5) * scale, values past the range, and plain ones */
      int kind = (int)(next(r) % 4);
      f[i] = kind == 0 ? ((float)irand(r, -200, 200) + 0.5f) * scale : kind == 1 ? frand(r) * 500.0f * scale : frand(r) * 100.0f * scale;
    }
    data = f;
  } else {
    data = rand_bytes(r, n);
  }
  compare(&b, quantize ? "QuantizeLinear" : "DequantizeLinear", &data, 0, true, true);
  free(data);
}

static void dynq_case(rng* r) {
  int rank = irand(r, 1, 3);
  int64_t dims[3];
  for (int d = 0; d < rank; d++) dims[d] = irand(r, 1, 45);
  uint64_t n = count_of(rank, dims);
  char label[128], s[64];
  snprintf(label, sizeof(label), "DynamicQuantizeLinear %s", roof_shape_str(dims, rank, s, sizeof(s)));
  builder b = start(r, label);
  int x = typed_input(&b, "x", ROOF_DT_FLOAT, rank, dims), ys[3] = {output(&b, "y"), output(&b, "ys"), output(&b, "yz")};
  node(&b, "DynamicQuantizeLinear", &x, 1, ys, 3);
  for (int i = 0; i < 3; i++) mark_output(&b, ys[i]);
  float* f = malloc(sizeof(float) * n);
  float shift = (float)(next(r) % 3); /* all positive, mixed, all negative */
  for (uint64_t i = 0; i < n; i++) f[i] = frand(r) * 7.0f + (shift - 1.0f) * 8.0f;
  void* data = f;
  compare(&b, "DynamicQuantizeLinear", &data, 0, true, true);
  free(f);
}

/* ---- integer products ---- */

/* A vector of zero points (or scales) of `len` 8-bit / float values as a constant. */
static int vec_const(builder* b, const char* name, int dtype, int64_t len, rng* r, bool scale) {
  int64_t d[1] = {len};
  void* data = malloc((size_t)len * 4);
  for (int64_t i = 0; i < len; i++) {
    if (scale) ((float*)data)[i] = 0.001f + (float)(next(r) % 100) / 20000.0f;
    else ((uint8_t*)data)[i] = (uint8_t)zp_of(r, dtype);
  }
  int v = typed_const(b, name, dtype, 1, d, data);
  free(data);
  return v;
}

static void mm_case(rng* r, bool qlinear, int adt, int bdt, bool per_vec, bool batched_b) {
  int64_t batch = irand(r, 1, 3), M = irand(r, 1, 37), K = next(r) % 4 == 0 ? irand(r, 513, 1100) : irand(r, 1, 70), N = irand(r, 1, 300);
  int64_t ad[3] = {batch, M, K}, bd3[3] = {batch, K, N}, *bd = batched_b ? bd3 : bd3 + 1;
  int brank = batched_b ? 3 : 2;
  const char* op = qlinear ? "QLinearMatMul" : "MatMulInteger";
  char label[160];
  snprintf(label, sizeof(label), "%s %s x %s [%lld, %lld, %lld] x [%lld, %lld]%s%s", op, dn(adt), dn(bdt), (long long)batch,
           (long long)M, (long long)K, (long long)K, (long long)N, batched_b ? " batched" : "", per_vec ? " per-row/column" : "");
  builder b = start(r, label);
  bool vec_a = !batched_b && !per_vec && next(r) % 3 == 0; /* A [K]: one row */
  if (vec_a) M = 1, ad[0] = 1, ad[1] = 1;
  int a = vec_a ? typed_input(&b, "a", adt, 1, ad + 2) : typed_input(&b, "a", adt, 3, ad), y = output(&b, "y");
  void* bw = rand_bytes(r, count_of(brank, bd));
  bool b_input = next(r) % 4 == 0; /* B packed per run into scratch instead of once at create */
  if (b_input) strncat(label, " B input", sizeof(label) - strlen(label) - 1);
  int bv = b_input ? typed_input(&b, "b", bdt, brank, bd) : typed_const(&b, "b", bdt, brank, bd, bw);
  int az = per_vec ? vec_const(&b, "az", adt, M, r, false) : scalar_q(&b, "az", adt, zp_of(r, adt));
  int bz = per_vec ? vec_const(&b, "bz", bdt, N, r, false) : scalar_q(&b, "bz", bdt, zp_of(r, bdt));
  if (qlinear) {
    int ydt = next(r) % 2 ? ROOF_DT_UINT8 : ROOF_DT_INT8;
    int bs = per_vec ? vec_const(&b, "bs", ROOF_DT_FLOAT, N, r, true) : scalar_f(&b, "bs", 0.004f);
    int ins[8] = {a, scalar_f(&b, "as", 0.02f), az, bv, bs, bz, scalar_f(&b, "ys", 0.03f * (float)K), scalar_q(&b, "yz", ydt, zp_of(r, ydt))};
    node(&b, op, ins, 8, &y, 1);
  } else {
    int ins[4] = {a, bv, az, bz};
    node(&b, op, ins, 4, &y, 1);
  }
  mark_output(&b, y);
  void* data[2] = {rand_bytes(r, count_of(3, ad)), bw};
  compare(&b, op, data, 0, true, true);
  free(data[0]);
  free(bw);
}

/* ---- QLinearConv on XNNPACK: 1 LSB ---- */

typedef struct conv_geo {
  int64_t N, C, H, W, M, KH, KW, group, stride, dil, pad;
  bool one_d;
} conv_geo;

static void qconv_case(rng* r, int xdt, int wdt, int ydt, bool per_channel, bool wzp_zero, bool bias, const conv_geo* c,
                       plan_check check) {
  char label[200];
  snprintf(label, sizeof(label), "QLinearConv %s/%s->%s %s N%lld C%lld %lldx%lld M%lld k%lldx%lld g%lld s%lld d%lld p%lld%s%s",
           dn(xdt), dn(wdt), dn(ydt), c->one_d ? "1-D" : "2-D", (long long)c->N, (long long)c->C, (long long)c->H,
           (long long)c->W, (long long)c->M, (long long)c->KH, (long long)c->KW, (long long)c->group, (long long)c->stride,
           (long long)c->dil, (long long)c->pad, per_channel ? " per-channel" : "", bias ? " bias" : "");
  builder b = start(r, label);
  int rank = c->one_d ? 3 : 4;
  int64_t xd[4] = {c->N, c->C, c->H, c->W}, wd[4] = {c->M, c->C / c->group, c->KH, c->KW};
  if (c->one_d) xd[2] = c->W, wd[2] = c->KW;
  int x = typed_input(&b, "x", xdt, rank, xd), y = output(&b, "y");
  void* wb = rand_bytes(r, count_of(rank, wd));
  int w = typed_const(&b, "w", wdt, rank, wd, wb);
  free(wb);
  int wz;
  if (wzp_zero) {
    wz = scalar_q(&b, "wz", wdt, wdt == ROOF_DT_UINT8 ? 128 : 0);
  } else {
    wz = scalar_q(&b, "wz", wdt, zp_of(r, wdt));
  }
  int ws = per_channel ? vec_const(&b, "ws", ROOF_DT_FLOAT, c->M, r, true) : scalar_f(&b, "ws", 0.003f);
  int64_t taps = wd[1] * c->KH * c->KW;
  int ins[9] = {x, scalar_f(&b, "xs", 0.05f), scalar_q(&b, "xz", xdt, zp_of(r, xdt)), w, ws, wz,
                scalar_f(&b, "ys", 0.0004f * (float)taps + 0.01f), scalar_q(&b, "yz", ydt, zp_of(r, ydt)), -1};
  if (bias) {
    int32_t* bd = malloc(sizeof(int32_t) * (size_t)c->M);
    for (int64_t m = 0; m < c->M; m++) bd[m] = irand(r, -3000, 3000);
    int64_t d[1] = {c->M};
    ins[8] = typed_const(&b, "bias", ROOF_DT_INT32, 1, d, bd);
    free(bd);
  }
  roof_node* n = node(&b, "QLinearConv", ins, bias ? 9 : 8, &y, 1);
  int nsp = c->one_d ? 1 : 2;
  int64_t st[2] = {c->stride, c->stride}, dl[2] = {c->dil, c->dil}, pd[4] = {c->pad, c->pad, c->pad, c->pad};
  attr_ints(n, "strides", nsp, st);
  attr_ints(n, "dilations", nsp, dl);
  attr_ints(n, "pads", 2 * nsp, pd);
  attr_i(n, "group", c->group);
  mark_output(&b, y);
  void* data = rand_bytes(r, count_of(rank, xd));
  compare_checked(&b, "QLinearConv", &data, 1, true, false, check);
  free(data);
}

/* A one-thread session of m for a plan check; NULL after printing why */
static roof_session* plan_session(roof_model* m, const char* label) {
  roof_session_options so = {.threads = 1};
  roof_session* ses = NULL;
  roof_error err = {{0}};
  if (roof_session_create(m, &so, &ses, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: session: %s\n", label, err.message);
    return NULL;
  }
  return ses;
}

/* A quantized chain as the qdq pass leaves it: Q -> QLinearConv 3x3 -> QLinearConv 1x1 ->
 * QLinearAdd (both convolutions' outputs) -> DQ on a float NCHW input. The layout pass must keep
 * the 8-bit activations NHWC from the first convolution to the DQ: one int8 conversion in (after
 * Q), one float conversion out (after DQ), none between. Fast kernels against the reference
 * within 3 output steps (each XNNPACK requantization may be 1 LSB off and the chain adds them). */
static int qconv_node(builder* b, rng* r, const char* tag, int x, float xs, int xz, int adt, int wdt, bool per_channel,
                      int64_t C, int64_t K, float ys, int yz) {
  char nm[8][32];
  const char* parts[8] = {"w", "ws", "wz", "xs", "xz", "ys", "yz", "y"};
  for (int i = 0; i < 8; i++) snprintf(nm[i], sizeof(nm[i]), "%s_%s", tag, parts[i]);
  int64_t wd[4] = {C, C, K, K};
  void* wb = rand_bytes(r, count_of(4, wd));
  int w = typed_const(b, nm[0], wdt, 4, wd, wb);
  free(wb);
  int ws = per_channel ? vec_const(b, nm[1], ROOF_DT_FLOAT, C, r, true) : scalar_f(b, nm[1], 0.003f);
  int wz = scalar_q(b, nm[2], wdt, wdt == ROOF_DT_UINT8 ? 128 : 0);
  int y = output(b, nm[7]);
  int ins[8] = {x, scalar_f(b, nm[3], xs), scalar_q(b, nm[4], adt, xz), w, ws, wz, scalar_f(b, nm[5], ys), scalar_q(b, nm[6], adt, yz)};
  roof_node* n = node(b, "QLinearConv", ins, 8, &y, 1);
  int64_t pd[4] = {K / 2, K / 2, K / 2, K / 2};
  attr_ints(n, "pads", 4, pd);
  return y;
}

/* the chain's plan: conversions only at the two ends, both convolutions on NHWC views */
static bool chain_plan_ok(roof_model* m, const char* label) {
  roof_session* ses = plan_session(m, label);
  if (ses == NULL) return false;
  int conv8 = 0, convf = 0, direct = 0;
  for (int i = 0; i < ses->num_steps; i++) {
    const roof_kernel* k = &ses->steps[i].k;
    if (strcmp(k->node->op_type, "LayoutConvert") == 0) {
      if (k->in[0].dtype == ROOF_DT_FLOAT) convf++;
      else conv8++;
    }
    if (strcmp(k->node->op_type, "QLinearConv") == 0 && roof_tensor_is_nhwc(&k->in[0]) && roof_tensor_is_nhwc(&k->out[0]) &&
        !roof_tensor_is_plain(&k->in[0]))
      direct++;
  }
  roof_session_free(ses);
  if (conv8 != 1 || convf != 1 || direct != 2) {
    fprintf(stderr, "FAIL %s: layout conversions int8 %d float %d (want 1 and 1), NHWC QLinearConv %d of 2\n", label,
            conv8, convf, direct);
    return false;
  }
  return true;
}

static void nhwc_chain_case(rng* r, int adt, int wdt, bool per_channel) {
  char label[120];
  snprintf(label, sizeof(label), "NHWC chain Q->QLinearConv->QLinearConv->QLinearAdd->DQ %s/%s%s", dn(adt), dn(wdt),
           per_channel ? " per-channel" : "");
  builder b = start(r, label);
  int64_t C = irand(r, 5, 24), xd[4] = {1, C, irand(r, 3, 17), irand(r, 3, 17)};
  int x = input(&b, "x", 4, xd), q0 = output(&b, "q0");
  int z0 = zp_of(r, adt), z1 = zp_of(r, adt), z2 = zp_of(r, adt), z3 = zp_of(r, adt);
  float s1 = 0.0004f * (float)(C * 9) + 0.01f, s2 = 0.0004f * (float)C * s1 / 0.05f + 0.01f, s3 = s1 + s2;
  int qin[3] = {x, scalar_f(&b, "s0", 0.05f), scalar_q(&b, "z0", adt, z0)};
  node(&b, "QuantizeLinear", qin, 3, &q0, 1);
  int q1 = qconv_node(&b, r, "c1", q0, 0.05f, z0, adt, wdt, per_channel, C, 3, s1, z1);
  int q2 = qconv_node(&b, r, "c2", q1, s1, z1, adt, wdt, per_channel, C, 1, s2, z2);
  int q3 = output(&b, "q3"), y = output(&b, "y");
  int ains[8] = {q1, scalar_f(&b, "as", s1), scalar_q(&b, "az", adt, z1), q2, scalar_f(&b, "bs", s2),
                 scalar_q(&b, "bz", adt, z2), scalar_f(&b, "s3", s3), scalar_q(&b, "z3", adt, z3)};
  roof_node* add = node(&b, "QLinearAdd", ains, 8, &q3, 1);
  free(add->domain);
  add->domain = strdup("com.microsoft");
  int dins[3] = {q3, scalar_f(&b, "ds", s3), scalar_q(&b, "dz", adt, z3)};
  node(&b, "DequantizeLinear", dins, 3, &y, 1);
  mark_output(&b, y);
  uint64_t n = count_of(4, xd);
  float* data = malloc(sizeof(float) * (size_t)n);
  for (uint64_t i = 0; i < n; i++) data[i] = (float)irand(r, -300, 300) * 0.02f;
  void* in = data;
  compare_checked(&b, "QLinearConv", &in, 3.0 * s3, true, false, chain_plan_ok);
  free(data);
}

/* ---- 8-bit pooling: MaxPool (int8 / uint8, opset 12) on XNNPACK bit for bit (a max involves no
 * rounding), dilated windows over padding refused; QLinearGlobalAveragePool on XNNPACK within 1 LSB (its requantization), channels
 * first (stored NHWC by the layout pass) or channels_last ---- */

static void q8_maxpool_case(rng* r, int dt) {
  int64_t xd[4] = {irand(r, 1, 2), irand(r, 1, 40), irand(r, 5, 17), irand(r, 5, 17)};
  int64_t k = irand(r, 2, 3), s = irand(r, 1, 2), dil = irand(r, 1, 4) == 4 ? 2 : 1, pad = irand(r, 0, k - 1);
  int64_t ceil = irand(r, 0, 1);
  char label[160];
  snprintf(label, sizeof(label), "MaxPool %s N%lld C%lld %lldx%lld k%lld s%lld d%lld p%lld%s", dn(dt), (long long)xd[0],
           (long long)xd[1], (long long)xd[2], (long long)xd[3], (long long)k, (long long)s, (long long)dil, (long long)pad,
           ceil ? " ceil" : "");
  builder b = start(r, label);
  int x = typed_input(&b, "x", dt, 4, xd), y = output(&b, "y");
  roof_node* n = node(&b, "MaxPool", &x, 1, &y, 1);
  int64_t ks[2] = {k, k}, st[2] = {s, s}, dl[2] = {dil, dil}, pd[4] = {pad, pad, pad, pad};
  attr_ints(n, "kernel_shape", 2, ks);
  attr_ints(n, "strides", 2, st);
  attr_ints(n, "dilations", 2, dl);
  attr_ints(n, "pads", 4, pd);
  attr_i(n, "ceil_mode", ceil);
  mark_output(&b, y);
  void* data = rand_bytes(r, count_of(4, xd));
  /* dilated windows over padding run on the reference (XNNPACK reads edge pixels there) */
  compare(&b, "MaxPool", &data, 0, dil == 1 || (pad == 0 && !ceil), false);
  free(data);
}

static void q8_gap_case(rng* r, int dt, bool channels_last) {
  int64_t N = irand(r, 1, 2), C = irand(r, 1, 70), H = irand(r, 1, 9), W = irand(r, 2, 9);
  int64_t xd[4] = {N, C, H, W};
  if (channels_last) xd[1] = H, xd[2] = W, xd[3] = C;
  char label[160];
  snprintf(label, sizeof(label), "QLinearGlobalAveragePool %s N%lld C%lld %lldx%lld%s", dn(dt), (long long)N, (long long)C,
           (long long)H, (long long)W, channels_last ? " channels_last" : "");
  builder b = start(r, label);
  float xs = 0.01f + (float)(next(r) % 100) / 1000.0f, ys = xs * (0.5f + (float)(next(r) % 100) / 100.0f);
  int x = typed_input(&b, "x", dt, 4, xd), y = output(&b, "y");
  int ins[5] = {x, scalar_f(&b, "xs", xs), scalar_q(&b, "xz", dt, zp_of(r, dt)), scalar_f(&b, "ys", ys),
                scalar_q(&b, "yz", dt, zp_of(r, dt))};
  roof_node* n = node(&b, "QLinearGlobalAveragePool", ins, 5, &y, 1);
  free(n->domain);
  n->domain = strdup("com.microsoft");
  attr_i(n, "channels_last", channels_last);
  mark_output(&b, y);
  void* data = rand_bytes(r, count_of(4, xd));
  compare(&b, "QLinearGlobalAveragePool", &data, 1, true, false);
  free(data);
}

/* com.microsoft QLinearSigmoid / QLinearLeakyRelu and ai.rooftop QLinearSwish (kind 0, 1, 2) on
 * the native table: bit for bit */
static void q8_unary_case(rng* r, int dt, int kind) {
  int rank = irand(r, 1, 4);
  int64_t dims[4];
  for (int d = 0; d < rank; d++) dims[d] = irand(r, 1, d == rank - 1 ? 150 : 7);
  bool leaky = kind == 1, swish = kind == 2;
  const char* op = kind == 0 ? "QLinearSigmoid" : leaky ? "QLinearLeakyRelu" : "QLinearSwish";
  char label[160], sh[64];
  snprintf(label, sizeof(label), "%s %s %s", op, dn(dt), roof_shape_str(dims, rank, sh, sizeof(sh)));
  builder b = start(r, label);
  float xs = 0.01f + (float)(next(r) % 100) / 1000.0f, ys = leaky ? xs : 1.0f / 256.0f;
  int x = typed_input(&b, "x", dt, rank, dims), y = output(&b, "y");
  int ins[7] = {x, scalar_f(&b, "xs", xs), scalar_q(&b, "xz", dt, zp_of(r, dt)), scalar_f(&b, "ys", ys),
                scalar_q(&b, "yz", dt, dt == ROOF_DT_INT8 ? -128 : 0), scalar_f(&b, "os", xs), scalar_q(&b, "oz", dt, zp_of(r, dt))};
  roof_node* n = node(&b, op, ins, swish ? 7 : 5, &y, 1);
  free(n->domain);
  n->domain = strdup(swish ? "ai.rooftop" : "com.microsoft");
  if (leaky) attr_f(n, "alpha", 0.1f + (float)(next(r) % 50) / 100.0f);
  mark_output(&b, y);
  void* data = rand_bytes(r, count_of(rank, dims));
  compare(&b, op, &data, 0, true, true);
  free(data);
}

/* com.microsoft QLinearMul on XNNPACK: 1 LSB; b broadcast over a's trailing or leading dims */
static void q8_mul_case(rng* r, int dt) {
  int64_t ad[4] = {irand(r, 1, 2), irand(r, 1, 40), irand(r, 1, 9), irand(r, 1, 9)}, bd[4];
  memcpy(bd, ad, sizeof(bd));
  for (int d = 0; d < 4; d++)
    if (next(r) % 3 == 0) bd[d] = 1;
  char label[160], sa[64], sb[64];
  snprintf(label, sizeof(label), "QLinearMul %s %s x %s", dn(dt), roof_shape_str(ad, 4, sa, sizeof(sa)),
           roof_shape_str(bd, 4, sb, sizeof(sb)));
  builder b = start(r, label);
  int a = typed_input(&b, "a", dt, 4, ad), bb = typed_input(&b, "b", dt, 4, bd), y = output(&b, "y");
  int ins[8] = {a, scalar_f(&b, "as", 0.05f), scalar_q(&b, "az", dt, zp_of(r, dt)), bb, scalar_f(&b, "bs", 0.02f),
                scalar_q(&b, "bz", dt, zp_of(r, dt)), scalar_f(&b, "ys", 0.1f), scalar_q(&b, "yz", dt, zp_of(r, dt))};
  roof_node* n = node(&b, "QLinearMul", ins, 8, &y, 1);
  free(n->domain);
  n->domain = strdup("com.microsoft");
  mark_output(&b, y);
  void* data[2] = {rand_bytes(r, count_of(4, ad)), rand_bytes(r, count_of(4, bd))};
  compare(&b, "QLinearMul", data, 1, true, false);
  free(data[0]);
  free(data[1]);
}

/* Squeeze-and-excitation as the qdq pass leaves it: Q -> QLinearConv 1x1 (NHWC out) ->
 * QLinearMul by per-channel gates [N, C, 1, 1] -> DQ. The Mul must run on XNNPACK with its NHWC
 * operand read in place (physical shapes broadcast), within 2 output steps of the reference. */
static bool se_plan_ok(roof_model* m, const char* label) {
  roof_session* ses = plan_session(m, label);
  if (ses == NULL) return false;
  bool ok = false;
  for (int i = 0; i < ses->num_steps; i++) {
    const roof_kernel* k = &ses->steps[i].k;
    if (strcmp(k->node->op_type, "QLinearMul") == 0) {
      ok = k->impl->backend == ROOF_BACKEND_XNNPACK && roof_tensor_is_nhwc(&k->in[0]) && !roof_tensor_is_plain(&k->in[0]);
      if (!ok) fprintf(stderr, "FAIL %s: QLinearMul not on XNNPACK over the NHWC map (%s)\n", label, k->reason);
    }
  }
  roof_session_free(ses);
  return ok;
}

static void se_mul_case(rng* r, int adt) {
  char label[120];
  snprintf(label, sizeof(label), "NHWC Q->QLinearConv->QLinearMul(gates [N, C, 1, 1])->DQ %s", dn(adt));
  builder b = start(r, label);
  int64_t C = irand(r, 3, 40), xd[4] = {irand(r, 1, 2), C, irand(r, 2, 12), irand(r, 2, 12)}, gd[4] = {xd[0], C, 1, 1};
  int x = input(&b, "x", 4, xd), g = typed_input(&b, "g", adt, 4, gd), q0 = output(&b, "q0");
  int z0 = zp_of(r, adt), z1 = zp_of(r, adt), z2 = zp_of(r, adt);
  float s1 = 0.0004f * (float)C + 0.01f;
  int qin[3] = {x, scalar_f(&b, "s0", 0.05f), scalar_q(&b, "z0", adt, z0)};
  node(&b, "QuantizeLinear", qin, 3, &q0, 1);
  int q1 = qconv_node(&b, r, "c1", q0, 0.05f, z0, adt, ROOF_DT_INT8, false, C, 1, s1, z1);
  int q2 = output(&b, "q2"), y = output(&b, "y");
  int mins[8] = {q1, scalar_f(&b, "ms", s1), scalar_q(&b, "mz", adt, z1), g, scalar_f(&b, "gs", 1.0f / 256.0f),
                 scalar_q(&b, "gz", adt, adt == ROOF_DT_INT8 ? -128 : 0), scalar_f(&b, "s2", s1), scalar_q(&b, "z2", adt, z2)};
  roof_node* mul = node(&b, "QLinearMul", mins, 8, &q2, 1);
  free(mul->domain);
  mul->domain = strdup("com.microsoft");
  int dins[3] = {q2, scalar_f(&b, "ds", s1), scalar_q(&b, "dz", adt, z2)};
  node(&b, "DequantizeLinear", dins, 3, &y, 1);
  mark_output(&b, y);
  float* data = malloc(sizeof(float) * (size_t)count_of(4, xd));
  for (uint64_t i = 0; i < count_of(4, xd); i++) data[i] = (float)irand(r, -300, 300) * 0.02f;
  void* in[2] = {data, rand_bytes(r, count_of(4, gd))};
  compare_checked(&b, "QLinearMul", in, 2 * s1 + 1e-6, true, false, se_plan_ok);
  free(in[0]);
  free(in[1]);
}

/* ConvInteger on the native kernel: bit for bit; per-channel weight zero points, weights as
 * constants or graph inputs */
static void iconv_case(rng* r, int xdt, int wdt, bool per_channel, bool w_input, const conv_geo* c) {
  char label[200];
  snprintf(label, sizeof(label), "ConvInteger %s/%s %s N%lld C%lld %lldx%lld M%lld k%lldx%lld g%lld s%lld d%lld p%lld%s%s", dn(xdt),
           dn(wdt), c->one_d ? "1-D" : "2-D", (long long)c->N, (long long)c->C, (long long)c->H, (long long)c->W,
           (long long)c->M, (long long)c->KH, (long long)c->KW, (long long)c->group, (long long)c->stride, (long long)c->dil,
           (long long)c->pad, per_channel ? " per-channel" : "", w_input ? " W input" : "");
  builder b = start(r, label);
  int rank = c->one_d ? 3 : 4;
  int64_t xd[4] = {c->N, c->C, c->H, c->W}, wd[4] = {c->M, c->C / c->group, c->KH, c->KW};
  if (c->one_d) xd[2] = c->W, wd[2] = c->KW;
  int x = typed_input(&b, "x", xdt, rank, xd), y = output(&b, "y");
  void* in[2] = {rand_bytes(r, count_of(rank, xd)), rand_bytes(r, count_of(rank, wd))};
  int w = w_input ? typed_input(&b, "w", wdt, rank, wd) : typed_const(&b, "w", wdt, rank, wd, in[1]);
  int ins[4] = {x, w, scalar_q(&b, "xz", xdt, zp_of(r, xdt)),
                per_channel ? vec_const(&b, "wz", wdt, c->M, r, false) : scalar_q(&b, "wz", wdt, zp_of(r, wdt))};
  roof_node* n = node(&b, "ConvInteger", ins, 4, &y, 1);
  int nsp = c->one_d ? 1 : 2;
  int64_t st[2] = {c->stride, c->stride}, dl[2] = {c->dil, c->dil}, pd[4] = {c->pad, c->pad + 1, c->pad, c->pad};
  attr_ints(n, "strides", nsp, st);
  attr_ints(n, "dilations", nsp, dl);
  attr_ints(n, "pads", 2 * nsp, pd);
  attr_i(n, "group", c->group);
  mark_output(&b, y);
  compare(&b, "ConvInteger", in, 0, true, true);
  free(in[0]);
  free(in[1]);
}

static void random_geo(rng* r, conv_geo* c) {
  c->one_d = next(r) % 5 == 0;
  c->N = irand(r, 1, 2);
  int kind = (int)(next(r) % 3); /* dense, grouped, depthwise */
  c->group = kind == 0 ? 1 : kind == 1 ? irand(r, 2, 3) : irand(r, 3, 17);
  int64_t cin_g = kind == 2 ? 1 : irand(r, 1, 13), cout_g = kind == 2 ? irand(r, 1, 2) : irand(r, 1, 19);
  c->C = cin_g * c->group;
  c->M = cout_g * c->group;
  c->KH = c->one_d ? 1 : irand(r, 1, 3);
  c->KW = irand(r, 1, 3);
  c->stride = irand(r, 1, 2);
  c->dil = next(r) % 4 == 0 ? 2 : 1;
  c->pad = irand(r, 0, 1);
  c->H = c->one_d ? 1 : irand(r, (int)((c->KH - 1) * c->dil + 1), 15);
  c->W = irand(r, (int)((c->KW - 1) * c->dil + 1), 17);
}

/* ---- QLinearConv on the int8 GEMM (ops/qconv_gemm.c): 1 LSB (float32 requantization) ----
 * Dense 2-D shapes past one 64-channel panel and one 6-row tile, K not a multiple of 4, the
 * stem's 7x7 over 3 channels, the direct case (1x1, channels a multiple of 4), and images large
 * enough for the banded schedule (800+ output pixels). */

/* the plan's QLinearConv must be on the native entry, unless native kernels are off or this
 * CPU lacks the instructions (then the entry must have said so) */
static bool q8gemm_ran(roof_model* m, const char* label) {
  roof_session* ses = plan_session(m, label);
  if (ses == NULL) return false;
  bool ok = false;
  for (int i = 0; i < ses->num_steps; i++) {
    const roof_kernel* k = &ses->steps[i].k;
    if (strcmp(k->node->op_type, "QLinearConv") != 0) continue;
    ok = native_off() || (k->impl && k->impl->backend == ROOF_BACKEND_NATIVE) || strstr(k->reason, "no AVX512-VNNI");
    if (!ok) fprintf(stderr, "FAIL %s: QLinearConv not on the int8 GEMM (%s)\n", label, k->reason);
  }
  roof_session_free(ses);
  return ok;
}

static void q8gemm_case(rng* r, int i) {
  static const int64_t chans[5] = {3, 4, 13, 64, 67};
  static const int q8[2] = {ROOF_DT_UINT8, ROOF_DT_INT8};
  conv_geo c = {.N = irand(r, 1, 2), .group = 1, .C = chans[i % 5], .M = irand(r, 1, 140)};
  c.KH = c.KW = c.C <= 4 && i % 4 == 0 ? 7 : i % 3 == 0 ? 1 : 3;
  c.stride = irand(r, 1, 2);
  c.dil = i % 7 == 3 ? 2 : 1;
  c.pad = irand(r, 0, (int)c.KH / 2 + 1);
  int xdt = q8[i % 2];
  if (i % 6 == 0) { /* direct: the input is A */
    xdt = ROOF_DT_UINT8, c.C = i % 12 == 0 ? 64 : 4, c.KH = c.KW = 1, c.stride = 1, c.dil = 1, c.pad = 0;
  }
  int64_t span = (c.KH - 1) * c.dil + 1;
  c.H = irand(r, (int)span, 20);
  c.W = irand(r, (int)span, 20);
  if (i % 6 == 4) { /* 800+ output pixels, at most 4 panels: rows in bands, packed 48 at a time */
    c.N = 2, c.stride = 1, c.dil = 1, c.pad = c.KH / 2, c.H = irand(r, 21, 30), c.W = irand(r, 21, 30);
  }
  qconv_case(r, xdt, q8[(i / 2) % 2], q8[(i / 4) % 2], i % 2 == 1, true, i % 3 != 0, &c, q8gemm_ran);
}

/* ---- the reference against hand-computed values ---- */

static void expect_bytes(builder* b, void* const* in, int out, const void* want, size_t bytes) {
  cases++;
  roof_model* m = test_prepare(b);
  if (m == NULL) {
    failures++;
    return;
  }
  test_outputs o = {0};
  bool took = false;
  if (!test_run_session(m, true, 1, in, "", &took, &o) || o.info[out].nbytes != bytes) {
    fprintf(stderr, "FAIL %s: run failed or output size differs\n", b->label);
    failures++;
  } else if (memcmp(o.data[out], want, bytes) != 0) {
    size_t es = roof_dtype_size(o.info[out].dtype);
    for (size_t i = 0; i < bytes / es; i++) {
      if (memcmp((char*)o.data[out] + i * es, (const char*)want + i * es, es) == 0) continue;
      char c[96];
      fprintf(stderr, "FAIL %s: element [%s]: %.9g, expected %.9g\n", b->label, test_coords(&o.info[out], i, c, sizeof(c)),
              roof_load_f64(o.info[out].dtype, o.data[out], (int64_t)i), roof_load_f64(o.info[out].dtype, want, (int64_t)i));
      break;
    }
    failures++;
  }
  test_outputs_free(&o);
  roof_model_free(m);
}

static void hand_cases(rng* r) {
  { /* ties to even, saturation, NaN to the lowest value */
    builder b = start(r, "QuantizeLinear ties and saturation");
    int64_t d[1] = {9};
    int x = typed_input(&b, "x", ROOF_DT_FLOAT, 1, d), y = output(&b, "y");
    int ins[3] = {x, scalar_f(&b, "s", 2.0f), scalar_q(&b, "z", ROOF_DT_INT8, 1)};
    node(&b, "QuantizeLinear", ins, 3, &y, 1);
    mark_output(&b, y);
    float xv[9] = {1.0f, 3.0f, 5.0f, -1.0f, -3.0f, 300.0f, -300.0f, NAN, 2.2f};
    int8_t want[9] = {1, 3, 3, 1, -1, 127, -128, -128, 2}; /* 0.5->0, 1.5->2, 2.5->2, -0.5->0, -1.5->-2, +1 */
    void* in = xv;
    b.g->opset = 13;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* per-axis dequantize of uint8 [2, 3] on axis 1 */
    builder b = start(r, "DequantizeLinear per-axis");
    int64_t d[2] = {2, 3}, c[1] = {3};
    int x = typed_input(&b, "x", ROOF_DT_UINT8, 2, d), y = output(&b, "y");
    float s[3] = {1.0f, 0.5f, 2.0f};
    uint8_t z[3] = {0, 10, 128};
    int ins[3] = {x, typed_const(&b, "s", ROOF_DT_FLOAT, 1, c, s), typed_const(&b, "z", ROOF_DT_UINT8, 1, c, z)};
    node(&b, "DequantizeLinear", ins, 3, &y, 1);
    mark_output(&b, y);
    uint8_t xv[6] = {0, 10, 128, 255, 0, 129};
    float want[6] = {0.0f, 0.0f, 0.0f, 255.0f, -5.0f, 2.0f};
    void* in = xv;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* opset 21 blocked quantize: [2, 4] in blocks of 2 along axis 1, scales [2, 2] */
    builder b = start(r, "QuantizeLinear blocked");
    b.g->opset = 21;
    int64_t d[2] = {2, 4}, sd[2] = {2, 2};
    int x = typed_input(&b, "x", ROOF_DT_FLOAT, 2, d), y = output(&b, "y");
    float s[4] = {1.0f, 2.0f, 4.0f, 0.5f};
    int ins[2] = {x, typed_const(&b, "s", ROOF_DT_FLOAT, 2, sd, s)};
    roof_node* n = node(&b, "QuantizeLinear", ins, 2, &y, 1);
    attr_i(n, "axis", 1);
    attr_i(n, "block_size", 2);
    mark_output(&b, y);
    float xv[8] = {1, 2, 4, 6, 8, 12, 1, 2};
    uint8_t want[8] = {1, 2, 2, 3, 2, 3, 2, 4}; /* uint8 by default */
    void* in = xv;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* MatMulInteger [2, 2] x [2, 2] with zero points 1 and per-column [0, 2] */
    builder b = start(r, "MatMulInteger hand");
    int64_t d[2] = {2, 2}, c[1] = {2};
    int a = typed_input(&b, "a", ROOF_DT_UINT8, 2, d), y = output(&b, "y");
    int8_t bw[4] = {1, -2, 3, 4}, bz[2] = {0, 2};
    int ins[4] = {a, typed_const(&b, "b", ROOF_DT_INT8, 2, d, bw), scalar_q(&b, "az", ROOF_DT_UINT8, 1),
                  typed_const(&b, "bz", ROOF_DT_INT8, 1, c, bz)};
    node(&b, "MatMulInteger", ins, 4, &y, 1);
    mark_output(&b, y);
    uint8_t av[4] = {2, 3, 0, 255}; /* A - 1 = [[1, 2], [-1, 254]]; B - bz = [[1, -4], [3, 2]] */
    int32_t want[4] = {7, 0, 761, 512};
    void* in = av;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* com.microsoft QLinearAdd, B broadcast: (x - 10) * 0.5 + (b - 0) * 0.25, output scale 1, zero point 3 */
    builder b = start(r, "QLinearAdd broadcast");
    int64_t d[2] = {2, 2}, bd[1] = {2};
    int x = typed_input(&b, "x", ROOF_DT_UINT8, 2, d), y = output(&b, "y");
    uint8_t bv[2] = {2, 6};
    int ins[8] = {x, scalar_f(&b, "xs", 0.5f), scalar_q(&b, "xz", ROOF_DT_UINT8, 10), typed_const(&b, "b", ROOF_DT_UINT8, 1, bd, bv),
                  scalar_f(&b, "bs", 0.25f), scalar_q(&b, "bz", ROOF_DT_UINT8, 0), scalar_f(&b, "ys", 1.0f),
                  scalar_q(&b, "yz", ROOF_DT_UINT8, 3)};
    roof_node* n = node(&b, "QLinearAdd", ins, 8, &y, 1);
    free(n->domain);
    n->domain = strdup("com.microsoft");
    mark_output(&b, y);
    uint8_t xv[4] = {10, 11, 0, 255}; /* 0 + 0.5, 0.5 + 1.5, -5 + 0.5, 122.5 + 1.5 */
    uint8_t want[4] = {3, 5, 0, 127};  /* rint: 0 (tie to even), 2, -4 -> -1 saturated to 0, 124 (+3) */
    void* in = xv;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* com.microsoft QLinearGlobalAveragePool, channels_last: [1, 2, 2, 2] -> [1, 1, 1, 2] */
    builder b = start(r, "QLinearGlobalAveragePool channels_last");
    int64_t d[4] = {1, 2, 2, 2};
    int x = typed_input(&b, "x", ROOF_DT_INT8, 4, d), y = output(&b, "y");
    int ins[5] = {x, scalar_f(&b, "xs", 1.0f), scalar_q(&b, "xz", ROOF_DT_INT8, 0), scalar_f(&b, "ys", 2.0f),
                  scalar_q(&b, "yz", ROOF_DT_INT8, -1)};
    roof_node* n = node(&b, "QLinearGlobalAveragePool", ins, 5, &y, 1);
    free(n->domain);
    n->domain = strdup("com.microsoft");
    attr_i(n, "channels_last", 1);
    mark_output(&b, y);
    int8_t xv[8] = {1, -8, 3, -8, 5, -8, 7, -7}; /* channel 0 mean 4 -> 2 - 1; channel 1 mean -7.75 -> -3.875 -> -4 - 1 */
    int8_t want[2] = {1, -5};
    void* in = xv;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* empty x: DynamicQuantizeLinear gives scale 0 and zero point 0 */
    builder b = start(r, "DynamicQuantizeLinear empty");
    int64_t d[2] = {2, 0};
    int x = typed_input(&b, "x", ROOF_DT_FLOAT, 2, d), ys[3] = {output(&b, "y"), output(&b, "ys"), output(&b, "yz")};
    node(&b, "DynamicQuantizeLinear", &x, 1, ys, 3);
    for (int i = 0; i < 3; i++) mark_output(&b, ys[i]);
    float none = 0.0f, want = 0.0f;
    void* in = &none;
    expect_bytes(&b, &in, 1, &want, sizeof(want));
  }
  { /* MatMulInteger with K = 0: zeros */
    builder b = start(r, "MatMulInteger K 0");
    int64_t ad[2] = {2, 0}, bd[2] = {0, 3};
    int a = typed_input(&b, "a", ROOF_DT_INT8, 2, ad), y = output(&b, "y");
    int ins[2] = {a, typed_const(&b, "b", ROOF_DT_INT8, 2, bd, NULL)};
    node(&b, "MatMulInteger", ins, 2, &y, 1);
    mark_output(&b, y);
    int32_t want[6] = {0};
    int8_t none = 0;
    void* in = &none;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
  { /* QLinearConv 1x1: y = rint((x - 2) * 3 * 0.5 / 1) + 10 with bias 1 */
    builder b = start(r, "QLinearConv hand");
    int64_t d[4] = {1, 1, 1, 3}, wd[4] = {1, 1, 1, 1}, bd[1] = {1};
    int x = typed_input(&b, "x", ROOF_DT_UINT8, 4, d), y = output(&b, "y");
    int8_t w = 3;
    int32_t bias = 1;
    int ins[9] = {x, scalar_f(&b, "xs", 0.5f), scalar_q(&b, "xz", ROOF_DT_UINT8, 2), typed_const(&b, "w", ROOF_DT_INT8, 4, wd, &w),
                  scalar_f(&b, "ws", 1.0f), scalar_q(&b, "wz", ROOF_DT_INT8, 0), scalar_f(&b, "ys", 1.0f),
                  scalar_q(&b, "yz", ROOF_DT_UINT8, 10), typed_const(&b, "b", ROOF_DT_INT32, 1, bd, &bias)};
    node(&b, "QLinearConv", ins, 9, &y, 1);
    mark_output(&b, y);
    uint8_t xv[3] = {2, 3, 100}; /* acc 1, 4, 295 -> 0.5, 2, 147.5 -> 0, 2, 148 (+10) */
    uint8_t want[3] = {10, 12, 158};
    void* in = xv;
    expect_bytes(&b, &in, 0, want, sizeof(want));
  }
}

int main(int argc, char** argv) {
  rng r = {argc > 1 ? strtoull(argv[1], NULL, 0) : 1717};
  static const int q8[2] = {ROOF_DT_UINT8, ROOF_DT_INT8};
  for (int i = 0; i < 12; i++) qdq_case(&r, q8[i % 2], i % 4 < 2);
  for (int i = 0; i < 6; i++) dynq_case(&r);
  for (int i = 0; i < 24; i++) mm_case(&r, i % 2 == 1, q8[(i / 2) % 2], q8[(i / 4) % 2], i % 3 == 0, i % 5 == 4);
  for (int i = 0; i < 40; i++) {
    conv_geo c;
    random_geo(&r, &c);
    int xdt = q8[i % 2], wdt = q8[(i / 2) % 2], ydt = q8[(i / 4) % 2];
    bool per_channel = i % 3 == 1, wzp_zero = per_channel || i % 3 == 0;
    qconv_case(&r, xdt, wdt, ydt, per_channel, wzp_zero, i % 4 != 3, &c, NULL);
  }
  for (int i = 0; i < 16; i++) {
    conv_geo c;
    random_geo(&r, &c);
    iconv_case(&r, q8[i % 2], q8[(i / 2) % 2], i % 3 == 0, i % 4 == 3, &c);
  }
  for (int i = 0; i < 36; i++) q8gemm_case(&r, i);
  for (int i = 0; i < 6; i++) nhwc_chain_case(&r, q8[i % 2], q8[(i / 2) % 2], i >= 4);
  for (int i = 0; i < 12; i++) q8_maxpool_case(&r, q8[i % 2]);
  for (int i = 0; i < 8; i++) q8_gap_case(&r, q8[i % 2], i % 4 >= 2);
  for (int i = 0; i < 18; i++) q8_unary_case(&r, q8[i % 2], i / 2 % 3);
  for (int i = 0; i < 12; i++) q8_mul_case(&r, q8[i % 2]);
  for (int i = 0; i < 4; i++) se_mul_case(&r, q8[i % 2]);
  hand_cases(&r);
  printf("test_quant: %d cases, %d failed; %ld of %ld compared elements 1 LSB off (XNNPACK's requantization)\n", cases,
         failures, lsb_off, compared);
  return failures ? 1 : 0;
}
