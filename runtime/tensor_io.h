/* Tensor files: ONNX TensorProto (.pb) and NumPy (.npy) in and out.
 * Used by the CLI (--input, --output-dir) and the conformance runner. */
#ifndef ROOF_TENSOR_IO_H
#define ROOF_TENSOR_IO_H

#include "graph.h"

/* Reads a .pb (TensorProto) or .npy file (chosen by content: .npy starts with "\x93NUMPY").
 * On success `v` holds name (may be NULL), dtype, rank, dims, data (owned), nbytes.
 * Errors name the file and the rule (66 cannot open, 65 malformed). */
roof_status roof_tensor_file_read(const char* path, roof_value* v, roof_error* err);

/* The same with load limits (NULL: defaults): file bytes, single-tensor bytes and rank apply
 * to both formats, nesting depth and decode budget to TensorProto files (rooftop --input). */
roof_status roof_tensor_file_read_limited(const char* path, const roof_load_options* opts, roof_value* v,
                                          roof_error* err);

/* From bytes in memory; `what` names the source in messages; `opts` as above. */
roof_status roof_tensor_bytes_read(const void* bytes, size_t len, const char* what, const roof_load_options* opts,
                                   roof_value* v, roof_error* err);

/* Writes a TensorProto with raw_data (little-endian) to path (73 cannot create, 74 write). */
roof_status roof_tensor_file_write(const char* path, const char* name, int dtype, int rank,
                                   const int64_t* dims, const void* data, roof_error* err);

/* Writes a NumPy .npy file (version 1.0, C order, little-endian) to path; dtypes float32,
 * float64, float16, int64, int32, uint8, int8 and bool (others 69; 73 cannot create, 74 write). */
roof_status roof_tensor_file_write_npy(const char* path, int dtype, int rank, const int64_t* dims, const void* data,
                                       roof_error* err);

/* Frees what roof_tensor_file_read put into v (name, data, dim_params). */
void roof_value_release(roof_value* v);

#endif
