/* The op registry: the X-macro list in op_list.inc is the only place ops are enumerated. */
#include <string.h>

#include "op.h"

#define ROOF_OP(sym, family) extern const roof_op_schema roof_op_##sym;
#include "op_list.inc"
#undef ROOF_OP

static const roof_op_schema* const kOps[] = {
#define ROOF_OP(sym, family) &roof_op_##sym,
#include "op_list.inc"
#undef ROOF_OP
};

_Static_assert(sizeof(kOps) / sizeof(kOps[0]) == ROOF_OP_COUNT, "op_list.inc expansions disagree");

const roof_op_schema* roof_op_schema_of(roof_op_id id) {
  return (unsigned)id < ROOF_OP_COUNT ? kOps[id] : NULL;
}

static bool same_domain(const char* a, const char* b) {
  /* "" and "ai.onnx" name the same default domain. */
  if (a == NULL || strcmp(a, "ai.onnx") == 0) a = "";
  if (b == NULL || strcmp(b, "ai.onnx") == 0) b = "";
  return strcmp(a, b) == 0;
}

const roof_op_schema* roof_op_find(const char* domain, const char* op_type, int64_t opset) {
  for (size_t i = 0; i < ROOF_OP_COUNT; i++) {
    const roof_op_schema* d = kOps[i];
    if (strcmp(d->op_type, op_type) != 0 || !same_domain(d->domain, domain)) continue;
    return (d->since_version <= opset && opset <= d->until_version) ? d : NULL;
  }
  return NULL;
}

bool roof_op_known(const char* domain, const char* op_type) {
  for (size_t i = 0; i < ROOF_OP_COUNT; i++) {
    if (strcmp(kOps[i]->op_type, op_type) == 0 && same_domain(kOps[i]->domain, domain)) return true;
  }
  return false;
}
