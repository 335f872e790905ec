/* Fuzz target: small models that load and prepare are run once on reference or XNNPACK
 * kernels under a tight arena limit (4 MiB) and a run-time limit, inputs filled with a
 * pattern. Catches kernels that read or write outside their tensors (ASan) and undefined
 * arithmetic (UBSan). */
#include "fuzz_common.h"
#include "loader.h"
#include "fuzz_model.h"
#include "op.h"

enum { kMaxModelBytes = 64 << 10 };
/* Work a run may take, by the cost model (flops, pooling windows included): the sanitizers
 * make reference kernels ~10x slower, and one slow input costs thousands of fast ones. */
static const uint64_t kMaxFlops = (uint64_t)16 << 20;

static bool cheap_enough(const roof_graph* g) {
  uint64_t total = 0;
  for (int oi = 0; oi < g->num_order; oi++) {
    const roof_node* n = &g->nodes[g->order[oi]];
    roof_cost c = {0};
    if (n->removed || n->op == NULL || n->op->cost == NULL) continue;
    n->op->cost(g, n, &c);
    if (c.flops > kMaxFlops || c.bytes_read > 4 * kMaxFlops || c.bytes_written > 4 * kMaxFlops) return false;
    total += c.flops + (c.bytes_read + c.bytes_written) / 4; /* copies cost per element too */
    if (total > kMaxFlops) return false;
  }
  return true;
}

/* Small integers as every dtype holds them: valid indices for Gather and friends often. */
static void fill_inputs(roof_session* s, uint8_t seed) {
  for (size_t i = 0; i < roof_session_num_inputs(s); i++) {
    roof_io_info info;
    roof_session_input_info(s, i, &info);
    uint8_t* buf = malloc(info.nbytes ? info.nbytes : 1);
    if (buf == NULL) return;
    for (size_t b = 0; b < info.nbytes; b++) buf[b] = (uint8_t)((b * 7u + seed) & 1u ? 0 : (b + seed) % 3);
    roof_error err;
    roof_session_set_input(s, i, buf, info.nbytes, &err);
    free(buf);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxModelBytes) return 0;
  roof_load_options o = fuzz_limits();
  o.max_tensor_bytes = (uint64_t)1 << 20;
  roof_session* s = NULL;
  roof_error err;
  bool prepared;
  roof_model* m = fuzz_prepare(data, size, &o, (uint64_t)4 << 20, &prepared);
  /* winograd 1: the Winograd kernel itself, never its timing against XNNPACK or the tuning cache */
  roof_session_options so = {.threads = 1, .force_reference = size & 1, .timeout_s = 2.0, .winograd = 1};
  if (prepared && cheap_enough(m->g) &&
      roof_session_create(m, &so, &s, &err) == ROOF_OK) {
    fill_inputs(s, size > 0 ? data[size / 2] : 0);
    roof_session_run(s, NULL, &err);
    roof_session_free(s);
  }
  roof_model_free(m);
  return 0;
}
