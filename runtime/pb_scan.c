/* Iterative pre-scan of protobuf wire data; the contract is in pb_scan.h.
 *
 * Which fields are sub-messages comes from protobuf-c's own descriptors: the scan descends
 * exactly where protobuf_c_message_unpack() would recurse, so its depth count is the depth
 * protobuf-c will reach. Unknown fields, scalars, packed arrays and bytes are skipped without
 * looking inside, as protobuf-c does.
 */
#include "pb_scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_64BIT = 1, WIRE_LEN = 2, WIRE_32BIT = 5 };

/* protobuf varints are at most 10 bytes; false on truncation or an overlong encoding. */
static bool read_varint(const uint8_t* p, size_t end, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= end) return false;
    uint8_t b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

typedef struct frame {
  size_t end;
  const ProtobufCMessageDescriptor* desc;
} frame;

static pb_scan_result fail(pb_scan_status s, size_t at, const frame* f, const char* field) {
  return (pb_scan_result){s, at, f ? f->desc->name : "", field ? field : "", 0};
}

pb_scan_result roof_pb_scan(const uint8_t* data, size_t len, const ProtobufCMessageDescriptor* root,
                            uint32_t max_depth) {
  if (max_depth == 0) max_depth = 1;
  frame* stack = malloc(sizeof(frame) * ((size_t)max_depth + 1));
  if (stack == NULL) return fail(PB_SCAN_NOMEM, 0, NULL, NULL);
  uint32_t top = 0; /* stack[top] is the message being read; depth = top + 1 */
  stack[0] = (frame){len, root};
  size_t pos = 0;
  pb_scan_result r = fail(PB_SCAN_OK, 0, NULL, NULL);
  for (;;) {
    if (pos == stack[top].end) {
      if (top == 0) break;
      top--;
      continue;
    }
    const frame* f = &stack[top];
    size_t at = pos;
    uint64_t key, n = 0;
    if (!read_varint(data, f->end, &pos, &key) || (key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF) {
      r = fail(PB_SCAN_MALFORMED, at, f, NULL);
      break;
    }
    unsigned wire = (unsigned)(key & 7);
    if (wire == WIRE_VARINT) {
      if (!read_varint(data, f->end, &pos, &n)) { r = fail(PB_SCAN_MALFORMED, at, f, NULL); break; }
      continue;
    }
    if (wire == WIRE_64BIT || wire == WIRE_32BIT) {
      size_t w = wire == WIRE_64BIT ? 8 : 4;
      if (f->end - pos < w) { r = fail(PB_SCAN_MALFORMED, at, f, NULL); break; }
      pos += w;
      continue;
    }
    if (wire != WIRE_LEN) { /* groups (3, 4) and 6, 7: protobuf-c refuses them too */
      r = fail(PB_SCAN_MALFORMED, at, f, NULL);
      break;
    }
    if (!read_varint(data, f->end, &pos, &n) || n > f->end - pos) {
      /* a top-level field longer than the rest of the file: the file was cut short (a nested
       * one overruns its own message, which is malformed whatever the file's length) */
      bool cut = top == 0 && pos < len && n > len - pos;
      r = fail(cut ? PB_SCAN_TRUNCATED : PB_SCAN_MALFORMED, at, f, NULL);
      if (cut) r.need = (uint64_t)pos + n;
      break;
    }
    const ProtobufCFieldDescriptor* fd = protobuf_c_message_descriptor_get_field(f->desc, (unsigned)(key >> 3));
    if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
      if (top + 1 >= max_depth) { r = fail(PB_SCAN_TOO_DEEP, at, f, fd->name); break; }
      top++;
      stack[top] = (frame){pos + (size_t)n, fd->descriptor};
      continue;
    }
    if (fd && fd->type == PROTOBUF_C_TYPE_STRING && memchr(data + pos, 0, (size_t)n) != NULL) {
      r = fail(PB_SCAN_NUL_IN_STRING, at, f, fd->name);
      break;
    }
    pos += (size_t)n;
  }
  free(stack);
  return r;
}
