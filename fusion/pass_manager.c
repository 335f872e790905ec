/* Pass manager: validates the pass list, then runs the selected passes in table order until
 * none changes the graph (bounded, so a pass that keeps "changing" cannot hang the load). */
#include <string.h>

#include "constfold.h"
#include "fusion.h"

roof_status roof_pass_identity(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_conv_bn(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_activation(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_hardswish(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_channel_shuffle(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_swish(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_gelu(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_pad(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_reshape_chain(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_matmul_add(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_layer_norm(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_attention(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_qdq(roof_graph* g, bool* changed, roof_error* err);
roof_status roof_pass_residual(roof_graph* g, bool* changed, roof_error* err);

/* Table order is run order within a round. */
static const roof_pass kPasses[] = {
    /* Not a pass: a load stage (runtime/constfold.h) that static shapes depend on, run by
     * roof_model_prepare for every --fusion setting. Listed (run NULL) because folded nodes
     * carry its name in provenance; naming it in --fusion is accepted and changes nothing. */
    {ROOF_CONSTFOLD_PASS,
     "load stage, not a pass: evaluate all-constant nodes, incl. Shape of static shapes (always on)",
     NULL},
    {"identity", "drop Identity, inference Dropout, no-op Cast, Reshape, Pad and Transpose", roof_pass_identity},
    {"reshape_chain", "merge consecutive Reshape/Flatten/Squeeze/Unsqueeze into one zero-copy view", roof_pass_reshape_chain},
    {"pad", "fold a zero Pad of the spatial dims into the following Conv's padding", roof_pass_pad},
    {"matmul_add", "MatMul by a constant matrix + Add of a constant bias into one Gemm, or one MatMul with a fused bias", roof_pass_matmul_add},
    {"conv_bn", "fold BatchNormalization into the preceding Conv, ConvTranspose or Gemm", roof_pass_conv_bn},
    {"channel_shuffle", "Reshape -> Transpose -> Reshape channel shuffle into one ChannelShuffle kernel", roof_pass_channel_shuffle},
    {"swish", "x * Sigmoid(x) into one Swish (SiLU) kernel", roof_pass_swish},
    {"hardswish", "x * HardSigmoid(x) (alpha 1/6, beta 1/2) into one HardSwish kernel", roof_pass_hardswish},
    {"gelu", "x / sqrt(2) -> Erf -> + 1 -> * x -> * 0.5 (GELU as PyTorch exports it) into one Gelu kernel", roof_pass_gelu},
    {"layer_norm", "ReduceMean -> Sub -> Pow/Mul -> ReduceMean -> Add eps -> Sqrt -> Div [-> Mul scale -> Add bias] into one LayerNormalization", roof_pass_layer_norm},
    {"attention", "MatMul(Q, K^T) -> scale -> [Add mask] -> Softmax -> MatMul(., V) into one Attention kernel (Transposes of Q, K, V, output absorbed)", roof_pass_attention},
    {"qdq", "DequantizeLinear -> Conv / Gemm / Add [-> Relu / Clip] -> QuantizeLinear (QDQ int8 models) into one QLinearConv / QLinearMatMul / QLinearAdd layer, the clamp in its output range", roof_pass_qdq},
    {"activation", "fuse Relu and Clip into the clamp of the preceding Conv, Gemm, MatMul, Add, pooling or BatchNormalization", roof_pass_activation},
    {"residual", "1x1 Conv (the pointwise entry's shapes) -> Add of a same-shape activation [-> Relu] into one Conv adding it before its clamp", roof_pass_residual},
    {NULL, NULL, NULL}, /* sentinel */
};
#define ROOF_NUM_PASSES (sizeof(kPasses) / sizeof(kPasses[0]) - 1)

size_t roof_pass_count(void) { return ROOF_NUM_PASSES; }
const roof_pass* roof_pass_at(size_t i) { return i < ROOF_NUM_PASSES ? &kPasses[i] : NULL; }

roof_status roof_pass_fail(const roof_graph* g, const char* pass, int n, roof_status st, roof_error* err) {
  if (st == ROOF_E_NOMEM) return roof_fail(err, st, "%s: out of memory in pass %s", g->path, pass);
  char b[ROOF_NAME_BUF];
  return roof_fail(err, ROOF_E_INTERNAL, "%s: node '%s': pass %s broke a graph-edit precondition", g->path,
                   ROOF_SAFE(g->nodes[n].name, b), pass);
}

static bool spec_has(const char* spec, const char* name) {
  size_t len = strlen(name);
  for (const char* p = spec; *p;) {
    const char* comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0) return true;
    p += n + (comma ? 1 : 0);
  }
  return false;
}

static roof_status validate(const char* spec, roof_error* err) {
  for (const char* p = spec; *p;) {
    const char* comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    bool ok = false;
    for (size_t i = 0; i < ROOF_NUM_PASSES && !ok; i++) {
      ok = strlen(kPasses[i].name) == n && strncmp(p, kPasses[i].name, n) == 0;
    }
    if (!ok) {
      return roof_fail(err, ROOF_E_USAGE, "--fusion: unknown pass '%.*s' (`rooftop passes` lists them; or use all / none)",
                       (int)(n > 64 ? 64 : n), p);
    }
    p += n + (comma ? 1 : 0);
  }
  return ROOF_OK;
}

roof_status roof_fusion_run(roof_graph* g, const char* spec, roof_error* err) {
  if (spec == NULL) spec = "all";
  if (strcmp(spec, "none") == 0) return ROOF_OK;
  bool all = strcmp(spec, "all") == 0;
  if (!all) {
    roof_status st = validate(spec, err);
    if (st != ROOF_OK) return st;
  }
  for (int round = 0; round < 16; round++) {
    bool any = false;
    for (size_t i = 0; i < ROOF_NUM_PASSES; i++) {
      if (kPasses[i].run == NULL || (!all && !spec_has(spec, kPasses[i].name))) continue;
      bool changed = false;
      roof_status st = kPasses[i].run(g, &changed, err);
      if (st != ROOF_OK) return st;
      if (changed) {
        st = roof_graph_toposort(g, err);
        if (st != ROOF_OK) return st;
        any = true;
      }
    }
    if (!any) break;
  }
  return ROOF_OK;
}
