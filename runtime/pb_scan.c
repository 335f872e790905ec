/* Iterative nesting-depth pre-scan of protobuf bytes, run before protobuf-c sees them.
 *
 * protobuf-c unpacks sub-messages recursively without a limit, so a small file of nested
 * length-delimited fields overflows the stack. The scan follows exactly the fields that are
 * sub-messages in onnx.proto (a table per message type), with an explicit stack, and refuses
 * nesting deeper than the limit. Unknown fields and bytes are skipped, as protobuf-c does.
 */
#include "pb_scan.h"

#include <stdlib.h>

/* Message kinds that can contain sub-messages. */
enum {
  K_LEAF = 0, K_MODEL, K_GRAPH, K_NODE, K_ATTR, K_TENSOR, K_SPARSE, K_VALUEINFO, K_TYPE, K_TYPE_TENSOR,
  K_TYPE_ELEM, K_TYPE_MAP, K_SHAPE, K_TRAINING, K_FUNCTION, K_ANNOTATION,
};

typedef struct child { int kind, field, child; } child;

/* (message kind, field number) -> sub-message kind; everything else is scalar or bytes. */
static const child kChildren[] = {
    {K_MODEL, 7, K_GRAPH},          {K_MODEL, 8, K_LEAF},           {K_MODEL, 14, K_LEAF},
    {K_MODEL, 20, K_TRAINING},      {K_MODEL, 25, K_FUNCTION},      {K_GRAPH, 1, K_NODE},
    {K_GRAPH, 5, K_TENSOR},         {K_GRAPH, 15, K_SPARSE},        {K_GRAPH, 11, K_VALUEINFO},
    {K_GRAPH, 12, K_VALUEINFO},     {K_GRAPH, 13, K_VALUEINFO},     {K_GRAPH, 14, K_ANNOTATION},
    {K_NODE, 5, K_ATTR},            {K_ATTR, 5, K_TENSOR},          {K_ATTR, 6, K_GRAPH},
    {K_ATTR, 22, K_SPARSE},         {K_ATTR, 14, K_TYPE},           {K_ATTR, 10, K_TENSOR},
    {K_ATTR, 11, K_GRAPH},          {K_ATTR, 23, K_SPARSE},         {K_ATTR, 15, K_TYPE},
    {K_TENSOR, 3, K_LEAF},          {K_TENSOR, 13, K_LEAF},         {K_SPARSE, 1, K_TENSOR},
    {K_SPARSE, 2, K_TENSOR},        {K_VALUEINFO, 2, K_TYPE},       {K_TYPE, 1, K_TYPE_TENSOR},
    {K_TYPE, 4, K_TYPE_ELEM},       {K_TYPE, 5, K_TYPE_MAP},        {K_TYPE, 9, K_TYPE_ELEM},
    {K_TYPE, 8, K_TYPE_TENSOR},     {K_TYPE_TENSOR, 2, K_SHAPE},    {K_TYPE_ELEM, 1, K_TYPE},
    {K_TYPE_MAP, 2, K_TYPE},        {K_SHAPE, 1, K_LEAF},           {K_TRAINING, 1, K_GRAPH},
    {K_TRAINING, 2, K_GRAPH},       {K_TRAINING, 3, K_LEAF},        {K_TRAINING, 4, K_LEAF},
    {K_FUNCTION, 7, K_NODE},        {K_FUNCTION, 9, K_LEAF},        {K_FUNCTION, 11, K_ATTR},
    {K_ANNOTATION, 2, K_LEAF},
};

static int child_kind(int kind, uint64_t field) {
  for (size_t i = 0; i < sizeof(kChildren) / sizeof(kChildren[0]); i++) {
    if (kChildren[i].kind == kind && (uint64_t)kChildren[i].field == field) return kChildren[i].child;
  }
  return -1;
}

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

typedef struct frame { size_t end; int kind; } frame;

pb_scan_result roof_pb_scan(const uint8_t* data, size_t len, pb_root root, uint32_t max_depth) {
  frame* stack = malloc(sizeof(frame) * ((size_t)max_depth + 2));
  if (stack == NULL) return PB_SCAN_NOMEM;
  int top = 0;
  stack[0] = (frame){len, root == PB_ROOT_TENSOR ? K_TENSOR : K_MODEL};
  size_t pos = 0;
  pb_scan_result r = PB_SCAN_OK;
  while (top >= 0) {
    if (pos == stack[top].end) {
      top--;
      continue;
    }
    uint64_t key, v;
    if (!read_varint(data, stack[top].end, &pos, &key)) { r = PB_SCAN_MALFORMED; break; }
    uint64_t field = key >> 3;
    switch (key & 7) {
      case 0:
        if (!read_varint(data, stack[top].end, &pos, &v)) r = PB_SCAN_MALFORMED;
        break;
      case 1:
        if (stack[top].end - pos < 8) r = PB_SCAN_MALFORMED;
        else pos += 8;
        break;
      case 5:
        if (stack[top].end - pos < 4) r = PB_SCAN_MALFORMED;
        else pos += 4;
        break;
      case 2: {
        if (!read_varint(data, stack[top].end, &pos, &v) || v > stack[top].end - pos) {
          r = PB_SCAN_MALFORMED;
          break;
        }
        int ck = child_kind(stack[top].kind, field);
        if (ck < 0) {
          pos += (size_t)v; /* scalar bytes / packed / unknown: not recursed into */
        } else if ((uint32_t)top + 1 >= max_depth) {
          r = PB_SCAN_TOO_DEEP;
        } else {
          top++;
          stack[top] = (frame){pos + (size_t)v, ck};
        }
        break;
      }
      default:
        r = PB_SCAN_MALFORMED; /* groups (3, 4) and wire types 6, 7 do not occur in onnx.proto */
        break;
    }
    if (r != PB_SCAN_OK || field == 0) {
      if (r == PB_SCAN_OK) r = PB_SCAN_MALFORMED;
      break;
    }
  }
  free(stack);
  return r;
}
