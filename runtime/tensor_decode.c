/* TensorProto -> roof_value: dims, dtype and data with every size checked.
 * Shared by initializers, Constant attributes, tensor files and external data. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader_internal.h"

/* Element count with every dim checked (negative, rank, overflow). */
static roof_status tensor_dims(const Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, uint64_t* count,
                               roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (t->n_dims > ROOF_MAX_RANK) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': rank %zu exceeds the limit of %d", c->where,
                     ROOF_SAFE(t->name, nb), t->n_dims, ROOF_MAX_RANK);
  }
  uint64_t n = 1;
  for (size_t d = 0; d < t->n_dims; d++) {
    if (t->dims[d] < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': dim %zu is negative (%lld)", c->where,
                       ROOF_SAFE(t->name, nb), d, (long long)t->dims[d]);
    }
    if (!roof_mul_u64(n, (uint64_t)t->dims[d], &n)) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': product of dims overflows", c->where, ROOF_SAFE(t->name, nb));
    }
    v->dims[d] = t->dims[d];
  }
  v->rank = (int)t->n_dims;
  *count = n;
  return ROOF_OK;
}

/* Copies typed repeated fields (float_data, int32_data, ...) into a dense buffer. */
static roof_status typed_data(const Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, uint64_t count,
                              void* dst, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  size_t have = 0;
  switch (v->dtype) {
    case ROOF_DT_FLOAT: have = t->n_float_data; break;
    case ROOF_DT_INT32: case ROOF_DT_INT16: case ROOF_DT_INT8: case ROOF_DT_UINT16: case ROOF_DT_UINT8:
    case ROOF_DT_BOOL: case ROOF_DT_FLOAT16: have = t->n_int32_data; break;
    case ROOF_DT_INT64: have = t->n_int64_data; break;
    case ROOF_DT_DOUBLE: have = t->n_double_data; break;
    case ROOF_DT_UINT32: case ROOF_DT_UINT64: have = t->n_uint64_data; break;
    default: break;
  }
  if (have != count) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': has %zu data elements, dims say %llu", c->where,
                     ROOF_SAFE(t->name, nb), have, (unsigned long long)count);
  }
  for (uint64_t i = 0; i < count; i++) {
    switch (v->dtype) {
      case ROOF_DT_FLOAT: ((float*)dst)[i] = t->float_data[i]; break;
      case ROOF_DT_INT64: ((int64_t*)dst)[i] = t->int64_data[i]; break;
      case ROOF_DT_DOUBLE: ((double*)dst)[i] = t->double_data[i]; break;
      case ROOF_DT_UINT32: ((uint32_t*)dst)[i] = (uint32_t)t->uint64_data[i]; break;
      case ROOF_DT_UINT64: ((uint64_t*)dst)[i] = t->uint64_data[i]; break;
      case ROOF_DT_FLOAT16: case ROOF_DT_UINT16: ((uint16_t*)dst)[i] = (uint16_t)t->int32_data[i]; break;
      default: roof_store_i64(v->dtype, dst, (int64_t)i, t->int32_data[i]); break;
    }
  }
  return ROOF_OK;
}

static const char* ext_entry(const Onnx__TensorProto* t, const char* key) {
  for (size_t i = 0; i < t->n_external_data; i++) {
    const Onnx__StringStringEntryProto* e = t->external_data[i];
    if (e && e->key && strcmp(e->key, key) == 0) return e->value ? e->value : "";
  }
  return NULL;
}

static bool parse_u64_str(const char* s, uint64_t* out) {
  if (s == NULL || *s == '\0' || *s == '-') return false;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

/* External data: a relative path inside the model's directory, a regular single-link file
 * reached without symlinks, offset + length inside it. */
static roof_status external_data(const Onnx__TensorProto* t, const tensor_ctx* c, uint64_t bytes, void* dst,
                                 roof_error* err) {
  char nb[ROOF_NAME_BUF], lb[ROOF_NAME_BUF];
  const char* name = ROOF_SAFE(t->name, nb);
  const char* loc = ext_entry(t, "location");
  if (c->dir == NULL) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data is not allowed here", c->where, name);
  }
  if (loc == NULL || loc[0] == '\0') {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data has no location", c->where, name);
  }
  const char* safe_loc = ROOF_SAFE(loc, lb);
  if (loc[0] == '/') {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data location '%s' must be relative", c->where,
                     name, safe_loc);
  }
  for (const char* p = loc; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data location '%s' must not contain '..'",
                       c->where, name, safe_loc);
    }
    p += n;
    while (*p == '/') p++;
  }
  uint64_t offset = 0, length = bytes;
  const char* off_s = ext_entry(t, "offset");
  const char* len_s = ext_entry(t, "length");
  if ((off_s && !parse_u64_str(off_s, &offset)) || (len_s && !parse_u64_str(len_s, &length))) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data offset/length is not a number", c->where, name);
  }
  if (length != bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data length %llu, dims need %llu bytes", c->where,
                     name, (unsigned long long)length, (unsigned long long)bytes);
  }
  char path[PATH_MAX], real_dir[PATH_MAX], real_file[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/%s", c->dir, loc) >= (int)sizeof(path) || realpath(c->dir, real_dir) == NULL) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data path '%s' is too long", c->where, name, safe_loc);
  }
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return roof_fail(err, errno == ELOOP ? ROOF_E_DATA : ROOF_E_NOINPUT,
                     "%s: tensor '%s': cannot open external data '%s': %s", c->where, name, safe_loc,
                     errno == ELOOP ? "it is a symlink" : strerror(errno));
  }
  roof_status st = ROOF_OK;
  struct stat sb;
  size_t dl = strlen(real_dir);
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data '%s' is not a regular file", c->where, name, safe_loc);
  } else if (sb.st_nlink != 1) {
    st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data '%s' has %lu hard links (must be 1)", c->where,
                   name, safe_loc, (unsigned long)sb.st_nlink);
  } else if (realpath(path, real_file) == NULL || strncmp(real_file, real_dir, dl) != 0 || real_file[dl] != '/') {
    st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data '%s' resolves outside the model's directory",
                   c->where, name, safe_loc);
  } else if (offset > (uint64_t)sb.st_size || bytes > (uint64_t)sb.st_size - offset) {
    st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data range [%llu, +%llu) is outside the %lld-byte file",
                   c->where, name, (unsigned long long)offset, (unsigned long long)bytes, (long long)sb.st_size);
  } else {
    size_t done = 0;
    while (done < bytes) {
      ssize_t r = pread(fd, (char*)dst + done, (size_t)bytes - done, (off_t)(offset + done));
      if (r <= 0) {
        st = roof_fail(err, ROOF_E_NOINPUT, "%s: tensor '%s': reading external data '%s' failed", c->where, name, safe_loc);
        break;
      }
      done += (size_t)r;
    }
  }
  close(fd);
  return st;
}

roof_status roof_decode_tensor_proto(const Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  roof_value out;
  memset(&out, 0, sizeof(out));
  out.producer = -1;
  out.dtype = t->has_data_type ? t->data_type : 0;
  uint64_t count = 0;
  roof_status st = tensor_dims(t, c, &out, &count, err);
  if (st != ROOF_OK) return st;
  size_t es = roof_dtype_size(out.dtype);
  if (es == 0) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': data type %d is not supported", c->where,
                     ROOF_SAFE(t->name, nb), out.dtype);
  }
  uint64_t bytes;
  if (!roof_mul_u64(count, es, &bytes) || bytes > c->max_bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': %llu elements exceed the tensor size limit of %llu bytes",
                     c->where, ROOF_SAFE(t->name, nb), (unsigned long long)count, (unsigned long long)c->max_bytes);
  }
  size_t typed = t->n_float_data + t->n_int32_data + t->n_int64_data + t->n_double_data + t->n_uint64_data +
                 t->n_string_data;
  bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if ((t->has_raw_data ? 1 : 0) + (typed ? 1 : 0) + (external ? 1 : 0) > 1) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': data is given in more than one form (raw, typed, external)",
                     c->where, ROOF_SAFE(t->name, nb));
  }
  out.data = malloc(bytes ? (size_t)bytes : 1);
  if (out.data == NULL) {
    return roof_fail(err, ROOF_E_NOMEM, "%s: tensor '%s': cannot allocate %llu bytes", c->where,
                     ROOF_SAFE(t->name, nb), (unsigned long long)bytes);
  }
  out.nbytes = (size_t)bytes;
  if (t->has_raw_data) {
    if (t->raw_data.len != bytes) {
      st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': raw_data has %zu bytes, dims and dtype need %llu", c->where,
                     ROOF_SAFE(t->name, nb), t->raw_data.len, (unsigned long long)bytes);
    } else if (bytes) {
      memcpy(out.data, t->raw_data.data, (size_t)bytes); /* little-endian host, like the format */
    }
  } else if (external) {
    st = external_data(t, c, bytes, out.data, err);
  } else {
    st = typed_data(t, c, &out, count, out.data, err);
  }
  if (st == ROOF_OK && t->name && t->name[0]) {
    out.name = strdup(t->name);
    if (out.name == NULL) st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->where);
  }
  if (st != ROOF_OK) {
    free(out.data);
    return st;
  }
  *v = out;
  return ROOF_OK;
}

roof_status roof_tensor_decode(const void* bytes, size_t len, const char* what, const roof_load_options* opts,
                               roof_value* v, roof_error* err) {
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  if (len == 0) return roof_fail(err, ROOF_E_DATA, "%s: empty file: not a TensorProto", what);
  pb_scan_result sr = roof_pb_scan(bytes, len, PB_ROOT_TENSOR, o.max_nesting_depth);
  if (sr != PB_SCAN_OK) {
    return roof_fail(err, sr == PB_SCAN_NOMEM ? ROOF_E_NOMEM : ROOF_E_DATA, "%s: %s", what,
                     sr == PB_SCAN_TOO_DEEP ? "protobuf nesting exceeds the depth limit" : "not a valid TensorProto");
  }
  roof_budget budget;
  roof_budget_init(&budget, (uint64_t)len * o.decode_budget_factor + ((uint64_t)64 << 20));
  Onnx__TensorProto* t = onnx__tensor_proto__unpack(&budget.allocator, len, bytes);
  if (t == NULL) {
    return roof_fail(err, budget.exceeded ? ROOF_E_DATA : ROOF_E_DATA, "%s: %s", what,
                     budget.exceeded ? "decoding exceeds the allocation budget" : "not a valid TensorProto");
  }
  tensor_ctx c = {.where = what, .dir = NULL, .max_bytes = o.max_tensor_bytes};
  roof_status st = roof_decode_tensor_proto(t, &c, v, err);
  onnx__tensor_proto__free_unpacked(t, &budget.allocator);
  return st;
}
