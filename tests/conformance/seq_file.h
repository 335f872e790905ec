/* SequenceProto / OptionalProto test files (ONNX's onnx-data.proto) for the conformance runner:
 * the few fields it needs, read off the protobuf wire format (no generated code: Debian ships
 * onnx-data.proto only compiled for C++). Tensors decode through roof_tensor_bytes_read. */
#ifndef ROOF_SEQ_FILE_H
#define ROOF_SEQ_FILE_H

#include <stdbool.h>

#include "graph.h"

typedef struct seq_file {
  bool present;      /* an OptionalProto with an element; a SequenceProto: true */
  int count;
  roof_value* items; /* count tensors, owned */
} seq_file;

/* Reads `path` as an OptionalProto (optional) or SequenceProto; an optional's element may be a
 * tensor (count 1) or a sequence. Errors (65, 66) name the file and the rule. */
roof_status seq_file_read(const char* path, bool optional, seq_file* out, roof_error* err);
void seq_file_release(seq_file* f);

#endif
