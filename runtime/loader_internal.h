/* Loader internals shared by loader.c, tensor_decode.c and tensor_io.c. */
#ifndef ROOF_LOADER_INTERNAL_H
#define ROOF_LOADER_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "loader.h"
#include "onnx.pb-c.h"
#include "pb_scan.h"

/* A ProtobufCAllocator that refuses to hand out more than `limit` bytes in total. */
typedef struct roof_budget {
  ProtobufCAllocator allocator;
  uint64_t used, limit;
  bool exceeded;
} roof_budget;

void roof_budget_init(roof_budget* b, uint64_t limit);

typedef struct tensor_ctx {
  const char* where;   /* file name for messages */
  const char* dir;     /* model directory for external data; NULL forbids external data */
  uint64_t max_bytes;  /* single tensor limit */
} tensor_ctx;

roof_status roof_decode_tensor_proto(const Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, roof_error* err);

/* Reads a whole regular file (size-checked). Error statuses: 66 cannot open / not regular,
 * 65 empty or over max_bytes. */
roof_status roof_read_file(const char* path, uint64_t max_bytes, uint8_t** data, size_t* len, roof_error* err);

#endif
