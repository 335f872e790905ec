/* Data types, checked size arithmetic and strided tensor views.
 *
 * A roof_tensor is a non-owning view: logical dims in ONNX order (N, C, H, W for images) and
 * element strides of the physical buffer. An NHWC activation of logical shape [N, C, H, W]
 * has strides [H*W*C, 1, W*C, C]. Reference kernels index through strides and so work on
 * either layout; XNNPACK kernels check the layout they need.
 */
#ifndef ROOF_TENSOR_H
#define ROOF_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rooftop.h" /* ROOF_STRING_BYTES */

#define ROOF_MAX_RANK 6 /* XNNPACK's XNN_MAX_TENSOR_DIMS; higher ranks are refused at load */

/* Values equal ONNX TensorProto.DataType. */
typedef enum roof_dtype {
  ROOF_DT_UNDEFINED = 0,
  ROOF_DT_FLOAT = 1,
  ROOF_DT_UINT8 = 2,
  ROOF_DT_INT8 = 3,
  ROOF_DT_UINT16 = 4,
  ROOF_DT_INT16 = 5,
  ROOF_DT_INT32 = 6,
  ROOF_DT_INT64 = 7,
  ROOF_DT_STRING = 8,
  ROOF_DT_BOOL = 9,
  ROOF_DT_FLOAT16 = 10,
  ROOF_DT_DOUBLE = 11,
  ROOF_DT_UINT32 = 12,
  ROOF_DT_UINT64 = 13,
  ROOF_DT_BFLOAT16 = 16,
} roof_dtype;

/* Size in bytes of one element; 0 for types rooftop cannot hold in a tensor (complex, float8,
 * int4, ...). A string element is ROOF_STRING_BYTES wide (rooftop.h): fixed width keeps the
 * planner, views and copies unchanged, and strings only meet Cast, CastLike and views. */
size_t roof_dtype_size(int dtype);
const char* roof_dtype_name(int dtype);

typedef enum roof_layout {
  ROOF_LAYOUT_PLAIN = 0, /* row-major over logical dims (NCHW for images) */
  ROOF_LAYOUT_NHWC = 1,  /* rank 4 only: channels last */
} roof_layout;

typedef struct roof_tensor {
  int dtype;
  int rank;
  int64_t dims[ROOF_MAX_RANK];    /* logical, ONNX order */
  int64_t strides[ROOF_MAX_RANK]; /* in elements, physical */
  void* data;
} roof_tensor;

/* Checked arithmetic: return false on overflow or negative operands; *out untouched then. */
bool roof_mul_u64(uint64_t a, uint64_t b, uint64_t* out);
bool roof_add_u64(uint64_t a, uint64_t b, uint64_t* out);
/* Product of dims (each >= 0) with overflow check; empty product = 1. */
bool roof_dims_count(const int64_t* dims, int rank, uint64_t* out);

/* Element strides for a layout. NHWC requires rank 4 (otherwise plain is used). */
void roof_strides_for(const int64_t* dims, int rank, roof_layout layout, int64_t* strides);
/* Fills a view over `data` with the given layout. */
void roof_tensor_init(roof_tensor* t, int dtype, int rank, const int64_t* dims, roof_layout layout,
                      void* data);
uint64_t roof_tensor_count(const roof_tensor* t);
/* True when strides are plain row-major for dims (size-1 dims ignored). */
bool roof_tensor_is_plain(const roof_tensor* t);
/* True when t is an NHWC-laid rank-4 tensor (strides [HWC, 1, WC, C]). */
bool roof_tensor_is_nhwc(const roof_tensor* t);

/* Physical dims in memory order (NHWC tensors give [N, H, W, C]); returns rank. */
int roof_tensor_physical_dims(const roof_tensor* t, size_t* out);

/* Offset in elements of a logical multi-index. */
static inline int64_t roof_offset(const roof_tensor* t, const int64_t* idx) {
  int64_t off = 0;
  for (int i = 0; i < t->rank; i++) off += idx[i] * t->strides[i];
  return off;
}

/* Advances a logical multi-index over dims (row-major); returns false after the last one. */
static inline bool roof_index_next(int64_t* idx, const int64_t* dims, int rank) {
  for (int i = rank - 1; i >= 0; i--) {
    if (++idx[i] < dims[i]) return true;
    idx[i] = 0;
  }
  return false;
}

/* A buffer of n bytes aligned to `align` (a power of two >= sizeof(void*)), released with
 * free(); its contents are undefined. Blocks of 2 MiB and more are 2 MiB aligned, and their
 * whole 2 MiB extents are dropped and advised for transparent huge pages (x86-64's and 4 KiB-page
 * arm64's size; only a hint, a no-op with 64 KiB pages): filling 100 MB of fresh memory otherwise
 * costs ~25k page faults (the model file, decoded weights, packed weights, the arena), and in a
 * virtual machine weights on 4 KiB pages ran ViT-B at 1.0 to 3.0x its huge-page time from one
 * run to the next (nested page walks on every TLB miss). NULL on failure. */
void* roof_alloc_large(size_t n, size_t align);

/* The axes of a copy between two views of equal logical dims that matter: size-1 axes dropped,
 * the rest ordered by destination stride (largest first; ties keep logical order) and merged
 * where both views are contiguous across the pair. Strides in elements. */
typedef struct roof_copy_axes {
  int rank;
  int64_t dims[ROOF_MAX_RANK], ss[ROOF_MAX_RANK], ds[ROOF_MAX_RANK];
} roof_copy_axes;
void roof_copy_axes_plan(const roof_tensor* src, const roof_tensor* dst, roof_copy_axes* p);

/* Generic strided copy between views of equal dtype and logical dims (any layouts). */
void roof_tensor_copy(const roof_tensor* src, roof_tensor* dst);

/* True for the floating-point dtypes (float32, float64, float16, bfloat16). */
bool roof_dtype_is_float(int dtype);

/* IEEE binary16 and bfloat16 <-> float32. Widening is exact; narrowing rounds to nearest, ties
 * to even, overflows to infinity and keeps NaN a (quiet) NaN. */
float roof_f16_to_f32(uint16_t h);
uint16_t roof_f32_to_f16(float f);
float roof_bf16_to_f32(uint16_t h);
uint16_t roof_f32_to_bf16(float f);

/* Reads element `off` (in elements) of a numeric tensor as double / int64. The stores convert
 * (float to integer saturates, NaN gives INT64_MIN's truncation; float16 and bfloat16 through
 * float32). Only the dtypes for which roof_dtype_has_scalar_io() is true are read or written;
 * others read 0 and store nothing. */
bool roof_dtype_has_scalar_io(int dtype);
double roof_load_f64(int dtype, const void* data, int64_t off);
int64_t roof_load_i64(int dtype, const void* data, int64_t off);
void roof_store_f64(int dtype, void* data, int64_t off, double v);
void roof_store_i64(int dtype, void* data, int64_t off, int64_t v);

/* String elements (ROOF_DT_STRING, ROOF_STRING_BYTES wide, NUL padded) for Cast:
 * roof_string_format writes element `off` of a tensor of `dtype` as text into out (ROOF_STRING_BYTES
 * bytes, NUL padded): floats as the shortest "%.*g" that reads back to the same value (float32,
 * float16 and bfloat16 through float32: at most 9 significant digits; float64: 17), "NaN", "INF"
 * and "-INF"; integers in decimal, bool as 0 or 1; a string is copied.
 * roof_string_parse reads the element s (ROOF_STRING_BYTES bytes) into element `off` of a tensor
 * of `dtype`: floats take what strtof/strtod take (so INF, +INF, -INF, NaN, infinity in any case,
 * hex floats), leading blanks allowed, nothing after the number; integers a decimal integer or
 * else a number (truncated and saturated as roof_store_f64), bool nonzero -> 1. Returns false,
 * storing nothing, for an empty or unparsable string or one without a NUL in its bytes. */
void roof_string_format(int dtype, const void* data, int64_t off, char* out);
bool roof_string_parse(const char* s, int dtype, void* data, int64_t off);

#endif
