/* Tensor files: TensorProto (.pb) and NumPy (.npy) in, TensorProto out. */
#include "tensor_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader_internal.h"

void roof_value_release(roof_value* v) {
  if (v == NULL) return;
  free(v->name);
  free(v->data);
  for (int d = 0; d < ROOF_MAX_RANK; d++) free(v->dim_params[d]);
  memset(v, 0, sizeof(*v));
}

static int npy_dtype(const char* descr) {
  static const struct { const char* d; int t; } kTypes[] = {
      {"<f4", ROOF_DT_FLOAT}, {"<f8", ROOF_DT_DOUBLE}, {"<i8", ROOF_DT_INT64}, {"<i4", ROOF_DT_INT32},
      {"|u1", ROOF_DT_UINT8}, {"|i1", ROOF_DT_INT8},   {"|b1", ROOF_DT_BOOL},
  };
  for (size_t i = 0; i < sizeof(kTypes) / sizeof(kTypes[0]); i++) {
    if (strcmp(descr, kTypes[i].d) == 0) return kTypes[i].t;
  }
  return 0;
}

/* .npy v1/v2/v3: magic, version, header length, a Python dict literal, then raw C-order data. */
static roof_status read_npy(const char* path, const uint8_t* b, size_t len, roof_value* v, roof_error* err) {
  if (len < 10) return roof_fail(err, ROOF_E_DATA, "%s: truncated .npy header", path);
  size_t hlen, off;
  if (b[6] == 1) {
    hlen = (size_t)b[8] | ((size_t)b[9] << 8);
    off = 10;
  } else if (b[6] == 2 || b[6] == 3) {
    if (len < 12) return roof_fail(err, ROOF_E_DATA, "%s: truncated .npy header", path);
    hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
    off = 12;
  } else {
    return roof_fail(err, ROOF_E_DATA, "%s: unsupported .npy version %d", path, b[6]);
  }
  if (hlen > len - off || hlen > 65536) return roof_fail(err, ROOF_E_DATA, "%s: .npy header length %zu is out of range", path, hlen);
  char header[65537];
  memcpy(header, b + off, hlen);
  header[hlen] = '\0';
  char descr[16] = "";
  const char* d = strstr(header, "'descr'");
  const char* q = d ? strchr(d + 7, '\'') : NULL;
  const char* q2 = q ? strchr(q + 1, '\'') : NULL;
  if (!q2 || (size_t)(q2 - q - 1) >= sizeof(descr)) return roof_fail(err, ROOF_E_DATA, "%s: .npy header has no descr", path);
  memcpy(descr, q + 1, (size_t)(q2 - q - 1));
  descr[q2 - q - 1] = '\0';
  int dtype = npy_dtype(descr);
  if (dtype == 0) return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy dtype '%s' is not supported", path, descr);
  const char* fo = strstr(header, "'fortran_order'");
  const char* colon = fo ? strchr(fo, ':') : NULL;
  while (colon && (*++colon == ' ')) {
  }
  if (colon == NULL || strncmp(colon, "False", 5) != 0) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy must be in C order (fortran_order False)", path);
  }
  const char* sh = strstr(header, "'shape'");
  const char* lp = sh ? strchr(sh, '(') : NULL;
  const char* rp = lp ? strchr(lp, ')') : NULL;
  if (!rp) return roof_fail(err, ROOF_E_DATA, "%s: .npy header has no shape", path);
  roof_value out;
  memset(&out, 0, sizeof(out));
  out.dtype = dtype;
  for (const char* p = lp + 1; p < rp;) {
    while (p < rp && (*p == ' ' || *p == ',')) p++;
    if (p >= rp) break;
    char* end;
    errno = 0;
    long long dim = strtoll(p, &end, 10);
    if (end == p || errno || dim < 0) return roof_fail(err, ROOF_E_DATA, "%s: .npy shape is malformed", path);
    if (out.rank >= ROOF_MAX_RANK) return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy rank exceeds %d", path, ROOF_MAX_RANK);
    out.dims[out.rank++] = dim;
    p = end;
  }
  uint64_t bytes;
  if (!roof_dims_count(out.dims, out.rank, &bytes) || !roof_mul_u64(bytes, roof_dtype_size(dtype), &bytes)) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy shape overflows", path);
  }
  size_t data_off = off + hlen;
  if (len - data_off != bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy holds %zu data bytes, its shape needs %llu", path, len - data_off,
                     (unsigned long long)bytes);
  }
  out.data = malloc(bytes ? (size_t)bytes : 1);
  if (out.data == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", path);
  if (bytes) memcpy(out.data, b + data_off, (size_t)bytes);
  out.nbytes = (size_t)bytes;
  *v = out;
  return ROOF_OK;
}

roof_status roof_tensor_file_read(const char* path, roof_value* v, roof_error* err) {
  uint8_t* data = NULL;
  size_t len = 0;
  roof_load_options o;
  roof_load_options_resolve(NULL, &o);
  roof_status st = roof_read_file(path, o.max_file_bytes, &data, &len, err);
  if (st != ROOF_OK) return st;
  char pb[ROOF_NAME_BUF * 2];
  const char* p = ROOF_SAFE(path, pb);
  if (len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) st = read_npy(p, data, len, v, err);
  else st = roof_tensor_decode(data, len, p, &o, v, err);
  free(data);
  return st;
}

roof_status roof_tensor_file_write(const char* path, const char* name, int dtype, int rank, const int64_t* dims,
                                   const void* data, roof_error* err) {
  Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
  int64_t d[ROOF_MAX_RANK];
  for (int i = 0; i < rank; i++) d[i] = dims[i];
  uint64_t bytes;
  if (!roof_dims_count(d, rank, &bytes) || !roof_mul_u64(bytes, roof_dtype_size(dtype), &bytes)) {
    return roof_fail(err, ROOF_E_INTERNAL, "%s: tensor size overflows", path);
  }
  t.n_dims = (size_t)rank;
  t.dims = d;
  t.has_data_type = 1;
  t.data_type = dtype;
  t.name = (char*)(name ? name : "");
  t.has_raw_data = 1;
  t.raw_data.len = (size_t)bytes;
  t.raw_data.data = (uint8_t*)data;
  size_t n = onnx__tensor_proto__get_packed_size(&t);
  uint8_t* buf = malloc(n ? n : 1);
  if (buf == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", path);
  onnx__tensor_proto__pack(&t, buf);
  char tmp[4096];
  roof_status st = ROOF_OK;
  if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
    free(buf);
    return roof_fail(err, ROOF_E_CANTCREAT, "%s: path too long", path);
  }
  FILE* f = fopen(tmp, "wb");
  if (f == NULL) {
    st = roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create: %s", path, strerror(errno));
  } else {
    bool ok = fwrite(buf, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
      int e = errno;
      remove(tmp);
      st = roof_fail(err, ROOF_E_IO, "%s: write failed: %s", path, strerror(e));
    }
  }
  free(buf);
  return st;
}
