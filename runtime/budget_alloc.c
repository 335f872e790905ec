/* A ProtobufCAllocator with a byte budget.
 *
 * protobuf-c turns every 2-byte empty sub-message into a ~100-byte struct and every 1-byte
 * packed int64 into 8 bytes, so a small file can ask for gigabytes. The loader hands this
 * allocator to onnx__*__unpack(): once the live total would pass `limit`, alloc answers NULL,
 * protobuf-c unwinds (freeing what it built) and the loader reports "exceeds the budget". */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

/* Blocks are plain malloc blocks, accounted by their usable size, so that a decoded buffer
 * (raw_data) can be handed over to the IR and later released with free(). */
static void* budget_alloc(void* ctx, size_t size) {
  roof_budget* b = ctx;
  if (size > b->limit - b->used) {
    b->exceeded = true;
    return NULL;
  }
  void* p = roof_alloc_large(size, 16); /* raw_data of big weights: huge pages, fewer faults */
  if (p == NULL) {
    b->nomem = true;
    return NULL;
  }
  b->used += malloc_usable_size(p);
  if (b->used > b->peak) b->peak = b->used;
  return p;
}

static void budget_free(void* ctx, void* ptr) {
  if (ptr == NULL) return;
  roof_budget* b = ctx;
  b->used -= malloc_usable_size(ptr);
  free(ptr);
}

void* roof_budget_take(roof_budget* b, void* ptr) {
  if (ptr != NULL) b->used -= malloc_usable_size(ptr);
  return ptr;
}

void roof_budget_init(roof_budget* b, uint64_t limit) {
  memset(b, 0, sizeof(*b));
  b->limit = limit;
  b->allocator.alloc = budget_alloc;
  b->allocator.free = budget_free;
  b->allocator.allocator_data = b;
}

uint64_t roof_decode_budget(const roof_load_options* o, size_t file_bytes) {
  uint64_t scaled, limit;
  if (!roof_mul_u64(file_bytes, o->decode_budget_factor, &scaled) ||
      !roof_add_u64(scaled, (uint64_t)64 << 20, &limit)) {
    return UINT64_MAX;
  }
  return limit;
}

static const char* kind_of(const ProtobufCMessageDescriptor* desc) {
  return desc == &onnx__model_proto__descriptor ? "an ONNX model" : "an ONNX TensorProto";
}

/* Pre-scan, then unpack under the budget: the only way untrusted bytes reach protobuf-c. */
roof_status roof_pb_unpack(const ProtobufCMessageDescriptor* desc, const uint8_t* data, size_t len,
                           const roof_load_options* o, const char* where, roof_budget* budget,
                           ProtobufCMessage** msg, roof_error* err) {
  pb_scan_result r = roof_pb_scan(data, len, desc, o->max_nesting_depth);
  switch (r.status) {
    case PB_SCAN_OK: break;
    case PB_SCAN_NOMEM: return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory scanning the file", where);
    case PB_SCAN_TOO_DEEP:
      return roof_fail(err, ROOF_E_DATA, "%s: protobuf messages nest deeper than the limit of %u (%s.%s at byte %zu)",
                       where, o->max_nesting_depth, r.message, r.field, r.offset);
    case PB_SCAN_NUL_IN_STRING:
      return roof_fail(err, ROOF_E_DATA, "%s: string field %s.%s holds a NUL byte (at byte %zu)", where, r.message,
                       r.field, r.offset);
    case PB_SCAN_TRUNCATED:
      return roof_fail(err, ROOF_E_DATA, "%s: truncated: %s of at least %llu bytes cut to %zu (field at byte %zu in %s)",
                       where, kind_of(desc), (unsigned long long)r.need, len, r.offset, r.message);
    case PB_SCAN_MALFORMED:
      return roof_fail(err, ROOF_E_DATA, "%s: not %s: malformed protobuf at byte %zu (in %s)", where, kind_of(desc),
                       r.offset, r.message);
  }
  roof_budget_init(budget, roof_decode_budget(o, len));
  ProtobufCMessage* m = protobuf_c_message_unpack(desc, &budget->allocator, len, data);
  if (m == NULL) {
    if (budget->exceeded) {
      return roof_fail(err, ROOF_E_DATA, "%s: decode exceeds budget of %llu bytes (decode_budget_factor %u x file size + 64 MiB)",
                       where, (unsigned long long)budget->limit, o->decode_budget_factor);
    }
    if (budget->nomem) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory decoding protobuf", where);
    return roof_fail(err, ROOF_E_DATA, "%s: not %s: protobuf decode failed", where, kind_of(desc));
  }
  *msg = m;
  return ROOF_OK;
}
