/* Fuzz target: bytes -> onnx.TensorProto decode (the path of `--input NAME=FILE.pb` and the
 * conformance runner). Property: an accepted tensor's byte count matches dims and dtype. */
#include "fuzz_common.h"
#include "loader.h"
#include "tensor_io.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  roof_load_options o = fuzz_limits();
  roof_value v;
  roof_error err;
  if (roof_tensor_decode(data, size, "fuzz.pb", &o, &v, &err) != ROOF_OK) return 0;
  uint64_t n = 0;
  FUZZ_CHECK(v.rank >= 0 && v.rank <= 6, "accepted tensor rank outside 0..6");
  FUZZ_CHECK(roof_dims_count(v.dims, v.rank, &n) && roof_mul_u64(n, roof_dtype_size(v.dtype), &n) && n == v.nbytes,
             "accepted tensor's byte count differs from dims x dtype size");
  FUZZ_CHECK(v.nbytes <= o.max_tensor_bytes, "accepted tensor over the single-tensor limit");
  roof_value_release(&v);
  return 0;
}
