/* Every op in the registry against inputs it does not expect: each input slot is one of
 * missing, a float activation (4-D, empty or a scalar), a float constant, an int64 constant
 * vector or scalar, or an int64 activation; the node gets 1 or 3 outputs and no attributes. Each model goes through
 * prepare and, when that succeeds, one run on the reference and on the native kernels.
 *
 * What must hold: nothing crashes (run it under ASan/UBSan: the fuzzers found a Dropout with
 * no input 0 this way), and every refusal is a one-line message that names the node. Arities
 * up to 3 are swept exhaustively, 4 to 6 with one kind everywhere and one slot missing.
 * Usage: op_sweep [OP_TYPE]  (one op only, for debugging) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "graph_builder.h"
#include "model.h"
#include "op.h"

enum { K_MISSING, K_ACT_F32, K_CONST_F32, K_CONST_I64, K_CONST_SCALAR, K_ACT_I64, K_ACT_EMPTY, K_ACT_SCALAR, K_COUNT };
enum { kMaxArity = 6 };

typedef struct sweep_stats {
  long models, prepared, ran;
} sweep_stats;

static int add_slot(builder* b, int kind, int slot) {
  char name[32];
  snprintf(name, sizeof(name), "in%d", slot);
  static const int64_t act[4] = {2, 3, 4, 5}, cst[2] = {2, 3}, iv[2] = {1, 0}, one[1] = {1}, empty[3] = {2, 0, 3};
  switch (kind) {
    case K_ACT_F32: return input(b, name, 4, act);
    case K_CONST_F32: return constant(b, name, 2, cst);
    case K_CONST_I64: return constant_i64(b, name, 2, iv);
    case K_CONST_SCALAR: {
      int v = constant_i64(b, name, 1, one);
      b->g->values[v].rank = 0; /* the data holds one element either way */
      return v;
    }
    case K_ACT_I64: {
      int v = input(b, name, 1, cst);
      b->g->values[v].dtype = ROOF_DT_INT64;
      return v;
    }
    case K_ACT_EMPTY: return input(b, name, 3, empty); /* zero elements */
    case K_ACT_SCALAR: return input(b, name, 0, NULL);
    default: return -1;
  }
}

/* A message names the node ("node 'op'") or the model file; one line. */
static bool well_formed(const roof_error* err) {
  const char* m = err->message;
  return m[0] != '\0' && strchr(m, '\n') == NULL && (strstr(m, "node '") != NULL || strstr(m, "op_sweep") != NULL);
}

static void run_session(roof_model* m, int force_reference, const char* what) {
  roof_session_options so = {.threads = 1, .force_reference = force_reference, .timeout_s = 5.0};
  roof_session* s = NULL;
  roof_error err = {{0}};
  roof_status st = roof_session_create(m, &so, &s, &err);
  CHECK(st == ROOF_OK || well_formed(&err), "%s: session create: %s", what, err.message);
  if (st != ROOF_OK) return;
  for (size_t i = 0; i < roof_session_num_inputs(s); i++) {
    roof_io_info info;
    roof_session_input_info(s, i, &info);
    uint8_t* buf = calloc(1, info.nbytes ? info.nbytes : 1);
    if (buf == NULL) break;
    for (size_t k = 0; k < info.nbytes; k++) buf[k] = (uint8_t)(k % 3 == 0 ? 1 : 0); /* small valid indices */
    roof_session_set_input(s, i, buf, info.nbytes, &err);
    free(buf);
  }
  st = roof_session_run(s, NULL, &err);
  CHECK(st == ROOF_OK || well_formed(&err), "%s: run: %s", what, err.message);
  roof_session_free(s);
}

static void sweep_one(const roof_op_schema* op, int64_t opset, const int* kinds, int arity, int nout,
                      sweep_stats* stats) {
  rng r = {(uint64_t)op->id * 131u + (uint64_t)arity};
  builder b = start(&r, op->op_type);
  b.g->opset = opset;
  int ins[kMaxArity], outs[3];
  for (int i = 0; i < arity; i++) ins[i] = add_slot(&b, kinds[i], i);
  for (int i = 0; i < nout; i++) {
    char name[16];
    snprintf(name, sizeof(name), "out%d", i);
    outs[i] = output(&b, name);
  }
  roof_graph_add_node(b.g, "op", op->op_type, op->domain, ins, arity, outs, nout);
  mark_output(&b, outs[0]);

  char what[160];
  int o = snprintf(what, sizeof(what), "%s opset %" PRId64 " outputs %d inputs [", op->op_type, opset, nout);
  for (int i = 0; i < arity && o < (int)sizeof(what); i++) o += snprintf(what + o, sizeof(what) - (size_t)o, "%s%d", i ? "," : "", kinds[i]);
  if (o < (int)sizeof(what)) snprintf(what + o, sizeof(what) - (size_t)o, "]");

  stats->models++;
  roof_model* m = NULL;
  roof_error err = {{0}};
  if (roof_model_from_graph(b.g, &m, &err) != ROOF_OK) {
    CHECK(false, "%s: model from graph: %s", what, err.message);
    return;
  }
  roof_prepare_options po = {.max_arena_bytes = (uint64_t)64 << 20};
  roof_status st = roof_model_prepare(m, &po, &err);
  CHECK(st == ROOF_OK || well_formed(&err), "%s: prepare: %s", what, err.message);
  if (st == ROOF_OK) {
    stats->prepared++;
    run_session(m, 1, what);
    run_session(m, 0, what);
    stats->ran++;
  }
  roof_model_free(m);
}

static void sweep_opset(const roof_op_schema* op, int64_t opset, sweep_stats* stats) {
  int kinds[kMaxArity];
  for (int arity = 0; arity <= 3; arity++) {
    int total = 1;
    for (int i = 0; i < arity; i++) total *= K_COUNT;
    for (int code = 0; code < total; code++) {
      for (int i = 0, c = code; i < arity; i++, c /= K_COUNT) kinds[i] = c % K_COUNT;
      sweep_one(op, opset, kinds, arity, 1, stats);
      sweep_one(op, opset, kinds, arity, 3, stats); /* extra outputs: masks, indices, states */
    }
  }
  for (int arity = 1; arity <= kMaxArity; arity++) {
    for (int k = 1; k < K_COUNT; k++) {
      for (int gap = -1; gap < arity; gap++) {
        for (int i = 0; i < arity; i++) kinds[i] = i == gap ? K_MISSING : k;
        if (arity <= 3) continue; /* swept above */
        sweep_one(op, opset, kinds, arity, 1, stats);
        sweep_one(op, opset, kinds, arity, 3, stats);
      }
    }
  }
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : NULL;
  sweep_stats stats = {0};
  int ops = 0;
  for (int id = 0; id < ROOF_OP_COUNT; id++) {
    const roof_op_schema* op = roof_op_schema_of((roof_op_id)id);
    if (op == NULL || (only && strcmp(only, op->op_type) != 0)) continue;
    ops++;
    /* the first opset the schema serves and the newest one below 22 (attributes became
     * inputs across versions: Clip, Squeeze, Pad, Resize, ...) */
    int64_t last = op->until_version < 21 ? op->until_version : 21;
    if (last < op->since_version) last = op->since_version;
    sweep_opset(op, op->since_version, &stats);
    if (last != op->since_version) sweep_opset(op, last, &stats);
  }
  printf("op_sweep: %d ops, %ld models, %ld prepared and run (reference and native): %d failures\n", ops, stats.models,
         stats.prepared, failures);
  CHECK(ops > 0, "no op matched '%s'", only ? only : "");
  return failures ? 1 : 0;
}
