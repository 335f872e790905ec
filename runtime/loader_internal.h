/* Loader internals shared by loader.c, budget_alloc.c, tensor_decode.c, external_data.c and
 * tensor_io.c. Nothing here is used outside runtime/. */
#ifndef ROOF_LOADER_INTERNAL_H
#define ROOF_LOADER_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "loader.h"
#include "onnx.pb-c.h"
#include "pb_scan.h"

/* Sanitized file paths in messages: up to ~140 bytes are shown whole (ROOF_SAFE cuts longer). */
#define ROOF_PATH_BUF (ROOF_NAME_BUF * 6)

/* A ProtobufCAllocator that refuses to keep more than `limit` bytes live (malloc's usable sizes). */
typedef struct roof_budget {
  ProtobufCAllocator allocator;
  uint64_t used, peak, limit;
  bool exceeded; /* a request was refused for the budget */
  bool nomem;    /* malloc itself failed */
} roof_budget;

void roof_budget_init(roof_budget* b, uint64_t limit);
/* Takes a block the allocator handed out off its books: the caller owns it and frees it with
 * free(). Returns ptr. */
void* roof_budget_take(roof_budget* b, void* ptr);
/* decode_budget_factor * file_bytes + 64 MiB, saturating. */
uint64_t roof_decode_budget(const roof_load_options* o, size_t file_bytes);

/* Where a TensorProto comes from, for messages and external data. */
typedef struct tensor_ctx {
  const char* where;   /* message prefix, already sanitized: "FILE" or "FILE: node 'N' (OP)" */
  const char* dir;     /* model directory for external data; NULL forbids external data */
  uint64_t max_bytes;  /* single tensor limit */
  uint32_t max_rank;   /* 1..ROOF_MAX_RANK; 0 is read as ROOF_MAX_RANK */
  roof_budget* owner;  /* the decode's allocator: when set, raw_data buffers are taken over (no
                        * copy) and the TensorProto's field is emptied; NULL: copied */
} tensor_ctx;

/* Decodes `t` into `v` (name strdup'ed or NULL, data malloc'ed). On failure v is untouched and
 * so is t; on success t's raw_data is emptied when c->owner is set. */
/* The kind (roof_kind) a TypeProto declares and its tensor element type: tensors, sequences of
 * tensors and optionals of either. ROOF_E_DATA for a missing part, ROOF_E_UNSUPPORTED for maps,
 * sparse tensors and deeper nesting (loader.c; also the tensor file reader). */
roof_status roof_type_proto_kind(const Onnx__TypeProto* tp, int* kind, const Onnx__TypeProto__Tensor** tensor);

roof_status roof_decode_tensor_proto(Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v,
                                     roof_error* err);

/* Reads `bytes` bytes of external data for `t` into dst, enforcing the rules of loader.h. */
roof_status roof_external_data_read(const Onnx__TensorProto* t, const tensor_ctx* c, uint64_t bytes, void* dst,
                                    roof_error* err);

/* Reads a whole regular file (size-checked). 66: cannot open / not a regular file / read error;
 * 65: empty or larger than max_bytes. `what` names the kind of file in the empty-file message. */
roof_status roof_read_file(const char* path, uint64_t max_bytes, const char* what, uint8_t** data, size_t* len,
                           roof_error* err);

/* Unpacks `data` as message `desc` after the nesting pre-scan, under the decode budget.
 * `where` (sanitized) prefixes messages. The result is freed with roof_pb_free(msg, budget). */
roof_status roof_pb_unpack(const ProtobufCMessageDescriptor* desc, const uint8_t* data, size_t len,
                           const roof_load_options* o, const char* where, roof_budget* budget,
                           ProtobufCMessage** msg, roof_error* err);

#endif
