/* TensorProto -> roof_value: dims, dtype and data with every size checked.
 * Shared by initializers, TENSOR attributes (Constant), tensor files (.pb) and external data. */
#include <stdlib.h>
#include <string.h>

#include "loader_internal.h"

/* Tensor files often carry no name: print '' rather than "(null)". */
static const char* tname(const Onnx__TensorProto* t) { return t->name ? t->name : ""; }

/* Highest TensorProto.DataType this onnx.proto knows of; above that the code is invalid. */
enum { DT_LAST_KNOWN = 22 };

/* dtype must be one rooftop holds (ROOF_E_UNSUPPORTED for valid ONNX types it does not). */
static roof_status check_dtype(const Onnx__TensorProto* t, const tensor_ctx* c, int dtype, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (roof_dtype_size(dtype) != 0) return ROOF_OK;
  if (dtype <= 0 || dtype > DT_LAST_KNOWN) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': data_type %d is not a valid ONNX type", c->where,
                     ROOF_SAFE(tname(t), nb), dtype);
  }
  return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': data_type %d (%s) is not supported", c->where,
                   ROOF_SAFE(tname(t), nb), dtype, "complex/float8/int4");
}

/* Element count with every dim checked: rank first (69), then negative dims and overflow (65). */
static roof_status tensor_dims(const Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, uint64_t* count,
                               roof_error* err) {
  char nb[ROOF_NAME_BUF];
  uint32_t max_rank = c->max_rank && c->max_rank < ROOF_MAX_RANK ? c->max_rank : ROOF_MAX_RANK;
  if (t->n_dims > max_rank) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': rank %zu exceeds the maximum of %u", c->where,
                     ROOF_SAFE(tname(t), nb), t->n_dims, max_rank);
  }
  uint64_t n = 1;
  for (size_t d = 0; d < t->n_dims; d++) {
    if (t->dims[d] < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': dim %zu is negative (%lld)", c->where,
                       ROOF_SAFE(tname(t), nb), d, (long long)t->dims[d]);
    }
    if (!roof_mul_u64(n, (uint64_t)t->dims[d], &n)) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': product of dims overflows 64 bits", c->where,
                       ROOF_SAFE(tname(t), nb));
    }
    v->dims[d] = t->dims[d];
  }
  v->rank = (int)t->n_dims;
  *count = n;
  return ROOF_OK;
}

/* The typed repeated field that holds dtype's values (onnx.proto's table), and its count. */
static const char* typed_field(const Onnx__TensorProto* t, int dtype, size_t* have) {
  switch (dtype) {
    case ROOF_DT_FLOAT: *have = t->n_float_data; return "float_data";
    case ROOF_DT_INT64: *have = t->n_int64_data; return "int64_data";
    case ROOF_DT_DOUBLE: *have = t->n_double_data; return "double_data";
    case ROOF_DT_UINT32: case ROOF_DT_UINT64: *have = t->n_uint64_data; return "uint64_data";
    default: *have = t->n_int32_data; return "int32_data"; /* int32, int16, int8, uint16, uint8, bool, float16, bfloat16 */
  }
}

/* Copies typed repeated fields into the dense buffer `dst` of `count` elements. */
static roof_status typed_data(const Onnx__TensorProto* t, const tensor_ctx* c, int dtype, uint64_t count, void* dst,
                              roof_error* err) {
  char nb[ROOF_NAME_BUF];
  size_t have = 0;
  const char* field = typed_field(t, dtype, &have);
  size_t total = t->n_float_data + t->n_int32_data + t->n_int64_data + t->n_double_data + t->n_uint64_data +
                 t->n_string_data;
  if (have != count || total != have) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': %s holds %zu values (%zu in other typed fields), dims say %llu",
                     c->where, ROOF_SAFE(tname(t), nb), field, have, total - have, (unsigned long long)count);
  }
  for (uint64_t i = 0; i < count; i++) {
    switch (dtype) {
      case ROOF_DT_FLOAT: ((float*)dst)[i] = t->float_data[i]; break;
      case ROOF_DT_INT64: ((int64_t*)dst)[i] = t->int64_data[i]; break;
      case ROOF_DT_DOUBLE: ((double*)dst)[i] = t->double_data[i]; break;
      case ROOF_DT_UINT32: ((uint32_t*)dst)[i] = (uint32_t)t->uint64_data[i]; break;
      case ROOF_DT_UINT64: ((uint64_t*)dst)[i] = t->uint64_data[i]; break;
      case ROOF_DT_FLOAT16: case ROOF_DT_BFLOAT16: /* the 16 bits, in int32_data */
        ((uint16_t*)dst)[i] = (uint16_t)t->int32_data[i];
        break;
      default: roof_store_i64(dtype, dst, (int64_t)i, t->int32_data[i]); break;     /* bool -> 0/1 */
    }
  }
  return ROOF_OK;
}

/* Strings come only in string_data (onnx.proto: raw_data cannot hold them); each becomes one
 * fixed-width element, NUL padded. A longer string or one with a NUL byte is refused rather than
 * cut: a changed string would silently change what Cast computes. */
static roof_status string_data(const Onnx__TensorProto* t, const tensor_ctx* c, uint64_t count, char* dst,
                               roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (t->has_raw_data || (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
      t->n_string_data != count) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': string_data holds %zu strings, dims say %llu (strings are never raw or external)",
                     c->where, ROOF_SAFE(tname(t), nb), t->n_string_data, (unsigned long long)count);
  }
  for (uint64_t i = 0; i < count; i++) {
    const ProtobufCBinaryData* b = &t->string_data[i];
    if (b->len > ROOF_STRING_BYTES - 1 || (b->len && memchr(b->data, 0, b->len))) {
      return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': string %llu has %zu bytes%s: rooftop holds strings of at most %d bytes without NUL",
                       c->where, ROOF_SAFE(tname(t), nb), (unsigned long long)i, b->len,
                       b->len > ROOF_STRING_BYTES - 1 ? "" : " with a NUL byte", ROOF_STRING_BYTES - 1);
    }
    char* e = dst + i * ROOF_STRING_BYTES;
    memset(e, 0, ROOF_STRING_BYTES);
    if (b->len) memcpy(e, b->data, b->len);
  }
  return ROOF_OK;
}

static roof_status fill_data(const Onnx__TensorProto* t, const tensor_ctx* c, int dtype, uint64_t count,
                             uint64_t bytes, void* dst, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if (dtype == ROOF_DT_STRING) return string_data(t, c, count, dst, err);
  if (t->has_raw_data) {
    if (t->raw_data.len != bytes) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': raw_data has %zu bytes, dims and dtype need %llu", c->where,
                       ROOF_SAFE(tname(t), nb), t->raw_data.len, (unsigned long long)bytes);
    }
    if (bytes) memcpy(dst, t->raw_data.data, (size_t)bytes); /* little-endian, like this host */
    return ROOF_OK;
  }
  if (external) return roof_external_data_read(t, c, bytes, dst, err);
  return typed_data(t, c, dtype, count, dst, err);
}

/* The raw_data buffer passes to the IR as it is (a copy of ~the file size saved, and its page
 * faults: half of ResNet-50's load). */
static roof_status take_raw_data(Onnx__TensorProto* t, const tensor_ctx* c, roof_value* out, roof_value* v,
                                 roof_error* err) {
  if (t->name && t->name[0]) {
    out->name = strdup(t->name);
    if (out->name == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->where);
  }
  out->nbytes = t->raw_data.len;
  out->data = roof_budget_take(c->owner, t->raw_data.data); /* little-endian, like this host */
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_raw_data = 0;
  *v = *out;
  return ROOF_OK;
}

roof_status roof_decode_tensor_proto(Onnx__TensorProto* t, const tensor_ctx* c, roof_value* v, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  roof_value out;
  memset(&out, 0, sizeof(out));
  out.producer = -1;
  out.dtype = t->has_data_type ? t->data_type : 0;
  uint64_t count = 0, bytes = 0;
  roof_status st = tensor_dims(t, c, &out, &count, err);
  if (st == ROOF_OK) st = check_dtype(t, c, out.dtype, err);
  if (st != ROOF_OK) return st;
  if (t->segment) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': segmented tensors are not supported", c->where,
                     ROOF_SAFE(tname(t), nb));
  }
  size_t typed = t->n_float_data + t->n_int32_data + t->n_int64_data + t->n_double_data + t->n_uint64_data +
                 t->n_string_data;
  bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if ((t->has_raw_data ? 1 : 0) + (typed ? 1 : 0) + (external ? 1 : 0) > 1) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': data is given in more than one form (raw_data, typed fields, external)",
                     c->where, ROOF_SAFE(tname(t), nb));
  }
  if (!roof_mul_u64(count, roof_dtype_size(out.dtype), &bytes) || bytes > c->max_bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': %llu elements exceed the single-tensor limit of %llu bytes",
                     c->where, ROOF_SAFE(tname(t), nb), (unsigned long long)count, (unsigned long long)c->max_bytes);
  }
  if (bytes > SIZE_MAX - 1) return roof_fail(err, ROOF_E_NOMEM, "%s: tensor '%s': too large", c->where, ROOF_SAFE(tname(t), nb));
  if (c->owner && out.dtype != ROOF_DT_STRING && t->has_raw_data && t->raw_data.data && bytes && t->raw_data.len == bytes) {
    return take_raw_data(t, c, &out, v, err); /* weights: the decoder's buffer becomes the IR's */
  }
  out.data = malloc(bytes ? (size_t)bytes : 1);
  if (out.data == NULL) {
    return roof_fail(err, ROOF_E_NOMEM, "%s: tensor '%s': cannot allocate %llu bytes", c->where,
                     ROOF_SAFE(tname(t), nb), (unsigned long long)bytes);
  }
  out.nbytes = (size_t)bytes;
  st = fill_data(t, c, out.dtype, count, bytes, out.data, err);
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
  char wb[ROOF_PATH_BUF];
  const char* where = ROOF_SAFE(what ? what : "tensor", wb);
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  if (len == 0) return roof_fail(err, ROOF_E_DATA, "%s: empty: not an ONNX TensorProto", where);
  roof_budget budget;
  ProtobufCMessage* msg = NULL;
  roof_status st = roof_pb_unpack(&onnx__tensor_proto__descriptor, bytes, len, &o, where, &budget, &msg, err);
  if (st != ROOF_OK) return st;
  tensor_ctx c = {.where = where, .dir = NULL, .max_bytes = o.max_tensor_bytes, .max_rank = o.max_rank, .owner = &budget};
  st = roof_decode_tensor_proto((Onnx__TensorProto*)msg, &c, v, err);
  protobuf_c_message_free_unpacked(msg, &budget.allocator);
  return st;
}
