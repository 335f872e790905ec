/* ONNX model loading: file -> validated graph IR (no protobuf types survive this file).
 *
 * roof_load_graph() reads `path` with size checks, pre-scans protobuf nesting depth
 * iteratively, decodes with a byte-budgeted protobuf-c allocator, then validates the whole
 * model once (DESIGN.md section 7): names, types, dims (negative, rank > 6, product overflow),
 * raw_data length == count * elem size, external data (relative path inside the model's
 * directory, no "..", no symlinks/hardlinks, regular file, offset+length inside it), undefined
 * inputs, duplicate outputs, graph outputs never produced. Every node gets `op` from
 * roof_op_find(domain, op_type, opset) and its `params` from op->parse.
 * On success *out owns everything; on failure nothing is leaked and *out is untouched.
 */
#ifndef ROOF_LOADER_H
#define ROOF_LOADER_H

#include "graph.h"

/* Fills zero fields with defaults (documented in rooftop.h). */
void roof_load_options_resolve(const roof_load_options* in, roof_load_options* out);

roof_status roof_load_graph(const char* path, const roof_load_options* opts, roof_graph** out,
                            roof_error* err);

/* The same from bytes in memory (fuzzing, embedding): `name` stands for the file in messages
 * and g->path; the graph has no directory, so external data is refused. */
roof_status roof_load_graph_mem(const void* data, size_t len, const char* name, const roof_load_options* opts,
                                roof_graph** out, roof_error* err);

/* Decodes a serialized onnx.TensorProto (from memory) into `v`: dtype, rank, dims, data
 * (malloc'ed, owned by v), nbytes, name (strdup or NULL). `what` names the source in messages. */
roof_status roof_tensor_decode(const void* bytes, size_t len, const char* what,
                               const roof_load_options* opts, roof_value* v, roof_error* err);

#endif
