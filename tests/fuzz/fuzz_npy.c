/* Fuzz target: bytes -> .npy decode (`--input NAME=FILE.npy`). Inputs without the .npy magic
 * get it prepended, so the fuzzer spends its time inside the header and shape parsers.
 * Property: an accepted array's byte count matches its shape and dtype and stays under the
 * single-tensor limit; bool data is 0/1. */
#include "fuzz_common.h"
#include "loader.h"
#include "tensor_io.h"

static const char kMagic[6] = "\x93NUMPY";

static void check(const roof_value* v, const roof_load_options* o) {
  uint64_t n = 0;
  FUZZ_CHECK(v->nbytes <= o->max_tensor_bytes, "accepted array over the single-tensor limit");
  FUZZ_CHECK(v->rank >= 0 && v->rank <= 6, "accepted array rank outside 0..6");
  for (int d = 0; d < v->rank; d++) FUZZ_CHECK(v->dims[d] >= 0, "accepted array with a negative dim");
  FUZZ_CHECK(roof_dims_count(v->dims, v->rank, &n) && roof_mul_u64(n, roof_dtype_size(v->dtype), &n) && n == v->nbytes,
             "accepted array's byte count differs from shape x dtype size");
  if (v->dtype == ROOF_DT_BOOL) {
    for (size_t i = 0; i < v->nbytes; i++) FUZZ_CHECK(((const uint8_t*)v->data)[i] <= 1, "bool array holds a byte other than 0/1");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bool has_magic = size >= sizeof(kMagic) && memcmp(data, kMagic, sizeof(kMagic)) == 0;
  size_t len = has_magic ? size : size + sizeof(kMagic);
  uint8_t* buf = malloc(len ? len : 1);
  if (buf == NULL) return 0;
  if (has_magic) {
    if (size) memcpy(buf, data, size);
  } else {
    memcpy(buf, kMagic, sizeof(kMagic));
    if (size) memcpy(buf + sizeof(kMagic), data, size);
  }
  roof_value v;
  roof_error err;
  roof_load_options o = fuzz_limits();
  if (roof_tensor_bytes_read(buf, len, "fuzz.npy", &o, &v, &err) == ROOF_OK) {
    check(&v, &o);
    roof_value_release(&v);
  }
  free(buf);
  return 0;
}
