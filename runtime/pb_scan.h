/* Pre-scan of protobuf bytes before protobuf-c unpacks them (iterative; see pb_scan.c).
 *
 * protobuf-c recurses once per nested sub-message without any limit, so a ~100 KB file of
 * nested length-delimited fields overflows the stack. The scan walks the same fields
 * protobuf-c would descend into (taken from the generated descriptors, so it always agrees
 * with the compiled onnx.proto) using an explicit stack, and refuses:
 *   - nesting deeper than max_depth (the root message counts as depth 1),
 *   - broken wire format (bad varint, length past the end, groups, field number 0),
 *   - a file cut short: a top-level field whose length runs past the end of the data
 *     (PB_SCAN_TRUNCATED, with the length the field needs),
 *   - `string` fields holding a NUL byte (protobuf-c hands out char* and would silently cut
 *     the name there; "a\0b" and "a" must not be confused).
 */
#ifndef ROOF_PB_SCAN_H
#define ROOF_PB_SCAN_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pb_scan_status {
  PB_SCAN_OK = 0,
  PB_SCAN_TOO_DEEP,
  PB_SCAN_MALFORMED,
  PB_SCAN_NUL_IN_STRING,
  PB_SCAN_NOMEM,
  PB_SCAN_TRUNCATED,
} pb_scan_status;

typedef struct pb_scan_result {
  pb_scan_status status;
  size_t offset;        /* byte offset of the offending field (not OK only) */
  const char* message;  /* message type holding it, e.g. "onnx.NodeProto" (static string) */
  const char* field;    /* field name for NUL_IN_STRING, e.g. "output" (static string) */
  uint64_t need;        /* TRUNCATED: bytes the data would need to hold the field (> len) */
} pb_scan_result;

pb_scan_result roof_pb_scan(const uint8_t* data, size_t len, const ProtobufCMessageDescriptor* root,
                            uint32_t max_depth);

#endif
