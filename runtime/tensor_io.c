/* Tensor files: TensorProto (.pb) and NumPy (.npy) in and out. */
#include "tensor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loader_internal.h"

void roof_value_release(roof_value* v) {
  if (v == NULL) return;
  free(v->name);
  free(v->data);
  for (int d = 0; d < ROOF_MAX_RANK; d++) free(v->dim_params[d]);
  memset(v, 0, sizeof(*v));
  v->producer = -1;
}

/* ---- .npy: magic, version, header length, a Python dict literal, raw C-order data ---- */

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

/* Value text after "'key':" in the header dict (spaces skipped), or NULL. */
static const char* npy_field(const char* header, const char* key) {
  const char* k = strstr(header, key);
  if (k == NULL) return NULL;
  k += strlen(key);
  while (*k == ' ') k++;
  if (*k != ':') return NULL;
  k++;
  while (*k == ' ') k++;
  return k;
}

static roof_status npy_descr(const char* p, const char* header, int* dtype, roof_error* err) {
  char descr[16];
  const char* d = npy_field(header, "'descr'");
  const char* end = d && *d == '\'' ? strchr(d + 1, '\'') : NULL;
  if (end == NULL || (size_t)(end - d - 1) >= sizeof(descr)) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy header has no readable 'descr'", p);
  }
  memcpy(descr, d + 1, (size_t)(end - d - 1));
  descr[end - d - 1] = '\0';
  *dtype = npy_dtype(descr);
  if (*dtype == 0) {
    char db[ROOF_NAME_BUF];
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy dtype '%s' is not supported (<f4 <f8 <i8 <i4 |u1 |i1 |b1)", p,
                     ROOF_SAFE(descr, db));
  }
  const char* fo = npy_field(header, "'fortran_order'");
  if (fo == NULL || (strncmp(fo, "False", 5) != 0 && strncmp(fo, "True", 4) != 0)) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy header has no 'fortran_order'", p);
  }
  if (fo[0] == 'T') return roof_fail(err, ROOF_E_DATA, "%s: .npy data is in Fortran order; only C order is read", p);
  return ROOF_OK;
}

static roof_status npy_shape(const char* p, const char* header, roof_value* v, roof_error* err) {
  const char* lp = npy_field(header, "'shape'");
  const char* rp = lp && *lp == '(' ? strchr(lp, ')') : NULL;
  if (rp == NULL) return roof_fail(err, ROOF_E_DATA, "%s: .npy header has no 'shape' tuple", p);
  for (const char* s = lp + 1; s < rp;) {
    while (s < rp && (*s == ' ' || *s == ',')) s++;
    if (s >= rp) break;
    if (*s < '0' || *s > '9') return roof_fail(err, ROOF_E_DATA, "%s: .npy shape is malformed", p);
    char* end;
    errno = 0;
    long long dim = strtoll(s, &end, 10);
    if (errno || end > rp) return roof_fail(err, ROOF_E_DATA, "%s: .npy shape is malformed", p);
    if (v->rank >= ROOF_MAX_RANK) return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy rank exceeds %d", p, ROOF_MAX_RANK);
    v->dims[v->rank++] = dim;
    s = end;
  }
  return ROOF_OK;
}

static roof_status read_npy(const char* p, const uint8_t* b, size_t len, roof_value* v, roof_error* err) {
  size_t hlen, off;
  if (len >= 10 && b[6] == 1) {
    hlen = (size_t)b[8] | ((size_t)b[9] << 8);
    off = 10;
  } else if (len >= 12 && (b[6] == 2 || b[6] == 3)) {
    hlen = (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
    off = 12;
  } else {
    return roof_fail(err, ROOF_E_DATA, "%s: truncated .npy header or unknown version %d", p, len > 6 ? b[6] : -1);
  }
  if (hlen > len - off || hlen > (1u << 20)) return roof_fail(err, ROOF_E_DATA, "%s: .npy header length %zu is out of range", p, hlen);
  char* header = malloc(hlen + 1);
  if (header == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", p);
  memcpy(header, b + off, hlen);
  header[hlen] = '\0';
  roof_value out;
  memset(&out, 0, sizeof(out));
  out.producer = -1;
  roof_status st = npy_descr(p, header, &out.dtype, err);
  if (st == ROOF_OK) st = npy_shape(p, header, &out, err);
  free(header);
  if (st != ROOF_OK) return st;
  uint64_t bytes;
  if (!roof_dims_count(out.dims, out.rank, &bytes) || !roof_mul_u64(bytes, roof_dtype_size(out.dtype), &bytes)) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy shape overflows", p);
  }
  size_t data_off = off + hlen;
  if (len - data_off != bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: .npy holds %zu data bytes, its shape and dtype need %llu", p, len - data_off,
                     (unsigned long long)bytes);
  }
  out.data = malloc(bytes ? (size_t)bytes : 1);
  if (out.data == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", p);
  if (bytes) memcpy(out.data, b + data_off, (size_t)bytes);
  if (out.dtype == ROOF_DT_BOOL) {
    for (uint64_t i = 0; i < bytes; i++) ((uint8_t*)out.data)[i] = ((uint8_t*)out.data)[i] != 0;
  }
  out.nbytes = (size_t)bytes;
  *v = out;
  return ROOF_OK;
}

/* The limits a TensorProto gets inside roof_tensor_decode, applied to a decoded .npy array. */
static roof_status npy_limits(const char* p, const roof_load_options* o, roof_value* v, roof_error* err) {
  roof_status st = ROOF_OK;
  if ((uint32_t)v->rank > o->max_rank) {
    st = roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy rank %d exceeds the maximum of %u", p, v->rank, o->max_rank);
  } else if (v->nbytes > o->max_tensor_bytes) {
    st = roof_fail(err, ROOF_E_DATA, "%s: .npy array of %zu bytes exceeds the single-tensor limit of %llu bytes", p,
                   v->nbytes, (unsigned long long)o->max_tensor_bytes);
  }
  if (st != ROOF_OK) roof_value_release(v);
  return st;
}

roof_status roof_tensor_bytes_read(const void* bytes, size_t len, const char* what, const roof_load_options* opts,
                                   roof_value* v, roof_error* err) {
  char pb[ROOF_PATH_BUF];
  const uint8_t* data = bytes;
  if (what == NULL) what = "tensor";
  if (data == NULL && len > 0) return roof_fail(err, ROOF_E_USAGE, "roof_tensor_bytes_read: NULL data");
  if (!(len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)) return roof_tensor_decode(data, len, what, opts, v, err);
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  roof_value out;
  const char* p = ROOF_SAFE(what, pb);
  roof_status st = read_npy(p, data, len, &out, err);
  if (st == ROOF_OK) st = npy_limits(p, &o, &out, err);
  if (st == ROOF_OK) *v = out;
  return st;
}

roof_status roof_tensor_file_read_limited(const char* path, const roof_load_options* opts, roof_value* v,
                                          roof_error* err) {
  uint8_t* data = NULL;
  size_t len = 0;
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  roof_status st = roof_read_file(path, o.max_file_bytes, "a tensor file", &data, &len, err);
  if (st != ROOF_OK) return st;
  st = roof_tensor_bytes_read(data, len, path, &o, v, err);
  free(data);
  return st;
}

roof_status roof_tensor_file_read(const char* path, roof_value* v, roof_error* err) {
  return roof_tensor_file_read_limited(path, NULL, v, err);
}

/* ---- writing: pack a TensorProto, write a temporary file beside the target, rename ---- */

static roof_status write_all(int fd, const uint8_t* buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, buf + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return ROOF_E_IO;
    done += (size_t)w;
  }
  return ROOF_OK;
}

static roof_status write_replace(const char* path, const char* p, const uint8_t* buf, size_t n, roof_error* err) {
  char tmp[4096];
  int fd = -1;
  /* O_EXCL on a fresh name: never follows a planted symlink, never clobbers another writer's file */
  for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%ld", path, (long)getpid(), (long)ts.tv_nsec + attempt) >= (int)sizeof(tmp)) {
      return roof_fail(err, ROOF_E_CANTCREAT, "%s: path is too long", p);
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create: %s", p, strerror(errno));
  roof_status st = write_all(fd, buf, n);
  int e = errno;
  if (close(fd) != 0 && st == ROOF_OK) {
    st = ROOF_E_IO;
    e = errno;
  }
  if (st != ROOF_OK) {
    unlink(tmp);
    return roof_fail(err, ROOF_E_IO, "%s: write failed: %s", p, strerror(e));
  }
  if (rename(tmp, path) != 0) {
    e = errno;
    unlink(tmp);
    return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot replace: %s", p, strerror(e));
  }
  return ROOF_OK;
}

roof_status roof_tensor_file_write(const char* path, const char* name, int dtype, int rank, const int64_t* dims,
                                   const void* data, roof_error* err) {
  char pb[ROOF_PATH_BUF];
  const char* p = ROOF_SAFE(path, pb);
  if (rank < 0 || rank > ROOF_MAX_RANK || (rank > 0 && dims == NULL)) {
    return roof_fail(err, ROOF_E_INTERNAL, "%s: invalid rank %d", p, rank);
  }
  if (roof_dtype_size(dtype) == 0) return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: cannot write dtype %d", p, dtype);
  int64_t d[ROOF_MAX_RANK] = {0};
  for (int i = 0; i < rank; i++) d[i] = dims[i];
  uint64_t bytes;
  if (!roof_dims_count(d, rank, &bytes) || !roof_mul_u64(bytes, roof_dtype_size(dtype), &bytes) || bytes > SIZE_MAX / 2) {
    return roof_fail(err, ROOF_E_INTERNAL, "%s: tensor size overflows", p);
  }
  Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
  t.n_dims = (size_t)rank;
  t.dims = d;
  t.has_data_type = 1;
  t.data_type = dtype;
  t.name = (char*)(name ? name : "");
  ProtobufCBinaryData* strs = NULL; /* strings go in string_data (raw_data cannot hold them) */
  if (dtype == ROOF_DT_STRING) {
    size_t count = (size_t)bytes / ROOF_STRING_BYTES;
    strs = malloc(sizeof(*strs) * (count ? count : 1));
    if (strs == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", p);
    for (size_t i = 0; i < count; i++) {
      const char* e = (const char*)data + i * ROOF_STRING_BYTES;
      strs[i] = (ProtobufCBinaryData){.len = strnlen(e, ROOF_STRING_BYTES), .data = (uint8_t*)e};
    }
    t.n_string_data = count;
    t.string_data = strs;
  } else {
    t.has_raw_data = 1;
    t.raw_data.len = (size_t)bytes;
    t.raw_data.data = (uint8_t*)data;
  }
  size_t n = onnx__tensor_proto__get_packed_size(&t);
  uint8_t* buf = malloc(n ? n : 1);
  if (buf == NULL) {
    free(strs);
    return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", p);
  }
  onnx__tensor_proto__pack(&t, buf);
  free(strs);
  roof_status st = write_replace(path, p, buf, n, err);
  free(buf);
  return st;
}

/* .npy version 1.0: magic, header length, the dict padded with spaces to a 64-byte boundary
 * (numpy's own alignment) ending in a newline, then the raw C-order data. */
roof_status roof_tensor_file_write_npy(const char* path, int dtype, int rank, const int64_t* dims, const void* data,
                                       roof_error* err) {
  char pb[ROOF_PATH_BUF];
  const char* p = ROOF_SAFE(path, pb);
  static const struct { int t; const char* d; } kDescr[] = {
      {ROOF_DT_FLOAT, "<f4"}, {ROOF_DT_DOUBLE, "<f8"}, {ROOF_DT_INT64, "<i8"}, {ROOF_DT_INT32, "<i4"},
      {ROOF_DT_UINT8, "|u1"}, {ROOF_DT_INT8, "|i1"},   {ROOF_DT_BOOL, "|b1"},  {ROOF_DT_FLOAT16, "<f2"},
  };
  const char* descr = NULL;
  for (size_t i = 0; i < sizeof(kDescr) / sizeof(kDescr[0]); i++) {
    if (kDescr[i].t == dtype) descr = kDescr[i].d;
  }
  if (descr == NULL) return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: .npy has no dtype for %s", p, roof_dtype_name(dtype));
  if (rank < 0 || rank > ROOF_MAX_RANK || (rank > 0 && dims == NULL)) {
    return roof_fail(err, ROOF_E_INTERNAL, "%s: invalid rank %d", p, rank);
  }
  uint64_t bytes;
  if (!roof_dims_count(dims, rank, &bytes) || !roof_mul_u64(bytes, roof_dtype_size(dtype), &bytes) || bytes > SIZE_MAX / 2) {
    return roof_fail(err, ROOF_E_INTERNAL, "%s: tensor size overflows", p);
  }
  char dict[512];
  int len = snprintf(dict, sizeof(dict), "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < rank; i++) len += snprintf(dict + len, sizeof(dict) - (size_t)len, "%lld%s", (long long)dims[i], rank == 1 ? "," : i + 1 < rank ? ", " : "");
  len += snprintf(dict + len, sizeof(dict) - (size_t)len, "), }");
  size_t head = 10 + (size_t)len + 1, padded = (head + 63) / 64 * 64;
  uint8_t* buf = malloc(padded + (size_t)bytes);
  if (buf == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", p);
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (uint8_t)((padded - 10) & 0xFF);
  buf[9] = (uint8_t)((padded - 10) >> 8);
  memcpy(buf + 10, dict, (size_t)len);
  memset(buf + 10 + len, ' ', padded - head);
  buf[padded - 1] = '\n';
  if (bytes) memcpy(buf + padded, data, (size_t)bytes);
  roof_status st = write_replace(path, p, buf, padded + (size_t)bytes, err);
  free(buf);
  return st;
}
