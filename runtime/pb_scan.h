/* Nesting-depth pre-scan of ONNX protobuf bytes (iterative; see pb_scan.c). */
#ifndef ROOF_PB_SCAN_H
#define ROOF_PB_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pb_root { PB_ROOT_MODEL, PB_ROOT_TENSOR } pb_root;
typedef enum pb_scan_result { PB_SCAN_OK, PB_SCAN_TOO_DEEP, PB_SCAN_MALFORMED, PB_SCAN_NOMEM } pb_scan_result;

/* Walks `data` as a ModelProto (or TensorProto) and reports whether sub-messages nest deeper
 * than max_depth (the root counts as depth 1) or the wire format is broken. */
pb_scan_result roof_pb_scan(const uint8_t* data, size_t len, pb_root root, uint32_t max_depth);

#endif
