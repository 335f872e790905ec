/* The op registry: the X-macro list in op_list.inc is the only place ops are enumerated. */
#include <limits.h>
#include <string.h>

#include "op.h"

#define ROOF_OP(sym, family) extern const roof_op_desc roof_op_##sym;
#include "op_list.inc"
#undef ROOF_OP

typedef enum roof_op_id {
#define ROOF_OP(sym, family) ROOF_OPID_##sym,
#include "op_list.inc"
#undef ROOF_OP
  ROOF_OPID_COUNT
} roof_op_id;

static const roof_op_desc* const kOps[] = {
#define ROOF_OP(sym, family) &roof_op_##sym,
#include "op_list.inc"
#undef ROOF_OP
};

_Static_assert(sizeof(kOps) / sizeof(kOps[0]) == ROOF_OPID_COUNT,
               "op_list.inc expansions disagree");

size_t roof_op_count(void) { return ROOF_OPID_COUNT; }

const roof_op_desc* roof_op_at(size_t i) { return i < ROOF_OPID_COUNT ? kOps[i] : NULL; }

static bool same_domain(const char* a, const char* b) {
  /* "" and "ai.onnx" name the same default domain. */
  if (a == NULL || strcmp(a, "ai.onnx") == 0) a = "";
  if (b == NULL || strcmp(b, "ai.onnx") == 0) b = "";
  return strcmp(a, b) == 0;
}

const roof_op_desc* roof_op_find(const char* domain, const char* op_type, int64_t opset) {
  const roof_op_desc* best = NULL;
  for (size_t i = 0; i < ROOF_OPID_COUNT; i++) {
    const roof_op_desc* d = kOps[i];
    if (strcmp(d->op_type, op_type) != 0 || !same_domain(d->domain, domain)) continue;
    if (d->since_version > opset || d->until_version < opset) continue;
    if (best == NULL || d->since_version > best->since_version) best = d;
  }
  return best;
}

bool roof_op_known(const char* domain, const char* op_type) {
  for (size_t i = 0; i < ROOF_OPID_COUNT; i++) {
    if (strcmp(kOps[i]->op_type, op_type) == 0 && same_domain(kOps[i]->domain, domain)) return true;
  }
  return false;
}
