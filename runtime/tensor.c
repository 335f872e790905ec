/* Data types, checked arithmetic and strided views; see tensor.h. */
#define _GNU_SOURCE /* posix_memalign, madvise(MADV_HUGEPAGE) */
#include "tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

size_t roof_dtype_size(int dtype) {
  switch (dtype) {
    case ROOF_DT_FLOAT: case ROOF_DT_INT32: case ROOF_DT_UINT32: return 4;
    case ROOF_DT_UINT8: case ROOF_DT_INT8: case ROOF_DT_BOOL: return 1;
    case ROOF_DT_UINT16: case ROOF_DT_INT16: case ROOF_DT_FLOAT16: case ROOF_DT_BFLOAT16: return 2;
    case ROOF_DT_INT64: case ROOF_DT_DOUBLE: case ROOF_DT_UINT64: return 8;
    case ROOF_DT_STRING: return ROOF_STRING_BYTES;
    default: return 0;
  }
}

const char* roof_dtype_name(int dtype) {
  static const char* const kNames[] = {"undefined", "float32", "uint8", "int8", "uint16", "int16",
                                       "int32", "int64", "string", "bool", "float16", "float64",
                                       "uint32", "uint64", "complex64", "complex128", "bfloat16"};
  if (dtype >= 0 && dtype < (int)(sizeof(kNames) / sizeof(kNames[0]))) return kNames[dtype];
  return "unknown";
}

bool roof_mul_u64(uint64_t a, uint64_t b, uint64_t* out) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

bool roof_add_u64(uint64_t a, uint64_t b, uint64_t* out) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return false;
  *out = r;
  return true;
}

bool roof_dims_count(const int64_t* dims, int rank, uint64_t* out) {
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0 || !roof_mul_u64(n, (uint64_t)dims[i], &n)) return false;
  }
  *out = n;
  return true;
}

void roof_strides_for(const int64_t* dims, int rank, roof_layout layout, int64_t* strides) {
  if (layout == ROOF_LAYOUT_NHWC && rank == 4) {
    /* [N, C, H, W] stored as [N, H, W, C] */
    strides[1] = 1;
    strides[3] = dims[1];
    strides[2] = dims[3] * dims[1];
    strides[0] = dims[2] * dims[3] * dims[1];
    return;
  }
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

void roof_tensor_init(roof_tensor* t, int dtype, int rank, const int64_t* dims, roof_layout layout,
                      void* data) {
  memset(t, 0, sizeof(*t));
  t->dtype = dtype;
  t->rank = rank;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  roof_strides_for(t->dims, rank, layout, t->strides);
  t->data = data;
}

uint64_t roof_tensor_count(const roof_tensor* t) {
  uint64_t n = 1;
  for (int i = 0; i < t->rank; i++) n *= (uint64_t)t->dims[i];
  return n;
}

bool roof_tensor_is_plain(const roof_tensor* t) {
  int64_t s = 1;
  for (int i = t->rank - 1; i >= 0; i--) {
    if (t->dims[i] != 1 && t->strides[i] != s) return false;
    s *= t->dims[i];
  }
  return true;
}

bool roof_tensor_is_nhwc(const roof_tensor* t) {
  if (t->rank != 4) return false;
  int64_t s[4];
  roof_strides_for(t->dims, 4, ROOF_LAYOUT_NHWC, s);
  for (int i = 0; i < 4; i++) {
    if (t->dims[i] != 1 && t->strides[i] != s[i]) return false;
  }
  return true;
}

int roof_tensor_physical_dims(const roof_tensor* t, size_t* out) {
  if (t->rank == 4 && roof_tensor_is_nhwc(t) && !roof_tensor_is_plain(t)) {
    out[0] = (size_t)t->dims[0];
    out[1] = (size_t)t->dims[2];
    out[2] = (size_t)t->dims[3];
    out[3] = (size_t)t->dims[1];
    return 4;
  }
  for (int i = 0; i < t->rank; i++) out[i] = (size_t)t->dims[i];
  return t->rank;
}

void* roof_alloc_large(size_t n, size_t align) {
  enum { HUGE = 2 << 20 };
  if (n >= HUGE && align < HUGE) align = HUGE;
  void* p = NULL;
  if (posix_memalign(&p, align, n ? n : 1) != 0) return NULL;
  if (n >= HUGE) {
    /* The block may be heap memory already faulted in as 4 KiB pages (glibc's mmap threshold
     * rises after large frees, so packed weights reuse the freed float weights' pages): the
     * advice would then not apply until khugepaged's slow scan. Dropping the whole 2 MiB extents
     * first (their contents are undefined anyway; the chunk headers lie outside them) makes the
     * next touch fault in huge pages. Both calls are hints: failure is harmless. */
    (void)madvise(p, n / HUGE * HUGE, MADV_DONTNEED);
    (void)madvise(p, n / HUGE * HUGE, MADV_HUGEPAGE);
  }
  return p;
}

/* Why the plan: a walk of the full logical index per element ran ~100x slower than memcpy on
 * the channel slices of NHWC activations (ShuffleNet's channel split), which become one run per
 * pixel with it. */
void roof_copy_axes_plan(const roof_tensor* src, const roof_tensor* dst, roof_copy_axes* p) {
  roof_copy_axes raw = {0};
  for (int i = 0; i < src->rank; i++) {
    if (src->dims[i] == 1) continue;
    int k = raw.rank++;
    /* insertion by destination stride, largest first; ties keep logical order */
    while (k > 0 && raw.ds[k - 1] < dst->strides[i]) {
      raw.dims[k] = raw.dims[k - 1], raw.ss[k] = raw.ss[k - 1], raw.ds[k] = raw.ds[k - 1];
      k--;
    }
    raw.dims[k] = src->dims[i], raw.ss[k] = src->strides[i], raw.ds[k] = dst->strides[i];
  }
  p->rank = 0;
  for (int i = 0; i < raw.rank; i++) {
    int o = p->rank - 1;
    if (o >= 0 && p->ss[o] == raw.ss[i] * raw.dims[i] && p->ds[o] == raw.ds[i] * raw.dims[i]) {
      p->dims[o] *= raw.dims[i];
      p->ss[o] = raw.ss[i];
      p->ds[o] = raw.ds[i];
      continue;
    }
    p->dims[++o] = raw.dims[i], p->ss[o] = raw.ss[i], p->ds[o] = raw.ds[i];
    p->rank = o + 1;
  }
}

/* The innermost axis: one memcpy when both sides are dense, else a strided element loop. */
static void copy_run(char* d, const char* s, int64_t n, int64_t ds, int64_t ss, size_t es) {
  if (ds == 1 && ss == 1) {
    memcpy(d, s, (size_t)n * es);
  } else if (es == 4) {
    uint32_t* d4 = (uint32_t*)(void*)d;
    const uint32_t* s4 = (const uint32_t*)(const void*)s;
    for (int64_t i = 0; i < n; i++) d4[i * ds] = s4[i * ss];
  } else {
    for (int64_t i = 0; i < n; i++) memcpy(d + i * ds * (int64_t)es, s + i * ss * (int64_t)es, es);
  }
}

void roof_tensor_copy(const roof_tensor* src, roof_tensor* dst) {
  size_t es = roof_dtype_size(src->dtype);
  uint64_t n = roof_tensor_count(src);
  if (n == 0) return;
  if (roof_tensor_is_plain(src) && roof_tensor_is_plain(dst)) {
    memmove(dst->data, src->data, n * es);
    return;
  }
  roof_copy_axes p;
  roof_copy_axes_plan(src, dst, &p);
  if (p.rank == 0) {
    memcpy(dst->data, src->data, es);
    return;
  }
  int outer = p.rank - 1;
  int64_t idx[ROOF_MAX_RANK] = {0};
  const char* s = src->data;
  char* d = dst->data;
  for (;;) {
    copy_run(d, s, p.dims[outer], p.ds[outer], p.ss[outer], es);
    int i = outer - 1;
    for (; i >= 0; i--) { /* odometer over the outer axes, pointers moved incrementally */
      s += p.ss[i] * (int64_t)es;
      d += p.ds[i] * (int64_t)es;
      if (++idx[i] < p.dims[i]) break;
      s -= p.ss[i] * p.dims[i] * (int64_t)es;
      d -= p.ds[i] * p.dims[i] * (int64_t)es;
      idx[i] = 0;
    }
    if (i < 0) return;
  }
}

bool roof_dtype_is_float(int dtype) {
  return dtype == ROOF_DT_FLOAT || dtype == ROOF_DT_DOUBLE || dtype == ROOF_DT_FLOAT16 || dtype == ROOF_DT_BFLOAT16;
}

float roof_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
  if (e == 0x1f) {
    bits = sign | 0x7f800000u | (m << 13); /* inf, NaN (payload kept) */
  } else if (e != 0) {
    bits = sign | ((e + 112u) << 23) | (m << 13); /* rebias 15 -> 127 */
  } else { /* zero or subnormal: m * 2^-24, exact in float */
    float v = (float)m * 0x1p-24f;
    memcpy(&bits, &v, sizeof(bits));
    bits |= sign;
  }
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

uint16_t roof_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof(x));
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return sign | 0x7e00u; /* NaN stays NaN (quiet) */
  if (a >= 0x47800000u) return sign | 0x7c00u; /* 65536 and above (and inf): infinity */
  if (a < 0x38800000u) { /* below 2^-14: a subnormal half; rounding by the FPU (nearest even) */
    float v;
    memcpy(&v, &a, sizeof(v));
    return sign | (uint16_t)lrintf(v * 0x1p24f);
  }
  uint32_t h = ((a >> 23) - 112u) << 10 | ((a >> 13) & 0x3ffu), rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* a carry into the exponent is right */
  return sign | (uint16_t)h;
}

float roof_bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

uint16_t roof_f32_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof(x));
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u); /* NaN stays NaN */
  x += 0x7fffu + ((x >> 16) & 1u); /* nearest, ties to even; overflow reaches infinity */
  return (uint16_t)(x >> 16);
}

bool roof_dtype_has_scalar_io(int dtype) {
  switch (dtype) {
    case ROOF_DT_FLOAT: case ROOF_DT_DOUBLE: case ROOF_DT_INT64: case ROOF_DT_INT32: case ROOF_DT_INT16:
    case ROOF_DT_INT8: case ROOF_DT_UINT8: case ROOF_DT_BOOL: case ROOF_DT_UINT16: case ROOF_DT_UINT32:
    case ROOF_DT_UINT64: case ROOF_DT_FLOAT16: case ROOF_DT_BFLOAT16: return true;
    default: return false;
  }
}

double roof_load_f64(int dtype, const void* data, int64_t off) {
  switch (dtype) {
    case ROOF_DT_FLOAT: return ((const float*)data)[off];
    case ROOF_DT_DOUBLE: return ((const double*)data)[off];
    case ROOF_DT_INT64: return (double)((const int64_t*)data)[off];
    case ROOF_DT_INT32: return ((const int32_t*)data)[off];
    case ROOF_DT_INT16: return ((const int16_t*)data)[off];
    case ROOF_DT_INT8: return ((const int8_t*)data)[off];
    case ROOF_DT_UINT8: case ROOF_DT_BOOL: return ((const uint8_t*)data)[off];
    case ROOF_DT_UINT16: return ((const uint16_t*)data)[off];
    case ROOF_DT_UINT32: return ((const uint32_t*)data)[off];
    case ROOF_DT_UINT64: return (double)((const uint64_t*)data)[off];
    case ROOF_DT_FLOAT16: return roof_f16_to_f32(((const uint16_t*)data)[off]);
    case ROOF_DT_BFLOAT16: return roof_bf16_to_f32(((const uint16_t*)data)[off]);
    default: return 0.0;
  }
}

int64_t roof_load_i64(int dtype, const void* data, int64_t off) {
  switch (dtype) {
    case ROOF_DT_INT64: return ((const int64_t*)data)[off];
    case ROOF_DT_UINT64: return (int64_t)((const uint64_t*)data)[off];
    case ROOF_DT_FLOAT: case ROOF_DT_DOUBLE: case ROOF_DT_FLOAT16: case ROOF_DT_BFLOAT16: {
      double v = roof_load_f64(dtype, data, off);
      if (!(v > -9.2e18 && v < 9.2e18)) return v > 0 ? INT64_MAX : INT64_MIN; /* NaN -> MIN */
      return (int64_t)v;
    }
    default: return (int64_t)roof_load_f64(dtype, data, off);
  }
}

void roof_store_f64(int dtype, void* data, int64_t off, double v) {
  switch (dtype) {
    case ROOF_DT_FLOAT: ((float*)data)[off] = (float)v; break;
    case ROOF_DT_DOUBLE: ((double*)data)[off] = v; break;
    case ROOF_DT_BOOL: ((uint8_t*)data)[off] = v != 0.0; break;
    case ROOF_DT_FLOAT16: ((uint16_t*)data)[off] = roof_f32_to_f16((float)v); break;
    case ROOF_DT_BFLOAT16: ((uint16_t*)data)[off] = roof_f32_to_bf16((float)v); break;
    default: roof_store_i64(dtype, data, off, roof_load_i64(ROOF_DT_DOUBLE, &v, 0)); break;
  }
}

void roof_store_i64(int dtype, void* data, int64_t off, int64_t v) {
  switch (dtype) {
    case ROOF_DT_INT64: ((int64_t*)data)[off] = v; break;
    case ROOF_DT_UINT64: ((uint64_t*)data)[off] = (uint64_t)v; break;
    case ROOF_DT_INT32: ((int32_t*)data)[off] = (int32_t)v; break;
    case ROOF_DT_UINT32: ((uint32_t*)data)[off] = (uint32_t)v; break;
    case ROOF_DT_INT16: ((int16_t*)data)[off] = (int16_t)v; break;
    case ROOF_DT_UINT16: ((uint16_t*)data)[off] = (uint16_t)v; break;
    case ROOF_DT_INT8: ((int8_t*)data)[off] = (int8_t)v; break;
    case ROOF_DT_UINT8: ((uint8_t*)data)[off] = (uint8_t)v; break;
    case ROOF_DT_BOOL: ((uint8_t*)data)[off] = v != 0; break;
    case ROOF_DT_FLOAT: ((float*)data)[off] = (float)v; break;
    case ROOF_DT_DOUBLE: ((double*)data)[off] = (double)v; break;
    case ROOF_DT_FLOAT16: ((uint16_t*)data)[off] = roof_f32_to_f16((float)v); break;
    case ROOF_DT_BFLOAT16: ((uint16_t*)data)[off] = roof_f32_to_bf16((float)v); break;
    default: break;
  }
}
