/* Wire-format reader for SequenceProto / OptionalProto (seq_file.h). Field numbers, from
 * onnx-data.proto: both messages have elem_type = 2 (0 undefined, 1 tensor, 3 sequence);
 * SequenceProto.tensor_values = 3; OptionalProto.tensor_value = 3, sequence_value = 5. Other
 * fields (maps, sparse tensors, nesting) are skipped: the runner fails such a test on its
 * comparison. */
#include "seq_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_io.h"

typedef struct wire {
  const uint8_t* p;
  const uint8_t* end;
} wire;

static bool varint(wire* w, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && w->p < w->end; shift += 7) {
    uint8_t b = *w->p++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* Next field: number, wire type, and for length-delimited ones the payload. */
static bool field(wire* w, uint32_t* num, const uint8_t** data, size_t* len, uint64_t* value) {
  uint64_t tag = 0;
  if (!varint(w, &tag)) return false;
  *num = (uint32_t)(tag >> 3);
  *data = NULL;
  *len = 0;
  switch (tag & 7) {
    case 0: return varint(w, value);
    case 1: if (w->end - w->p < 8) return false; w->p += 8; return true;
    case 5: if (w->end - w->p < 4) return false; w->p += 4; return true;
    case 2: {
      uint64_t n = 0;
      if (!varint(w, &n) || n > (uint64_t)(w->end - w->p)) return false;
      *data = w->p;
      *len = (size_t)n;
      w->p += n;
      return true;
    }
    default: return false;
  }
}

static roof_status add_tensor(seq_file* f, const uint8_t* data, size_t len, const char* path, roof_error* err) {
  roof_value* items = realloc(f->items, sizeof(roof_value) * (size_t)(f->count + 1));
  if (items == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", path);
  f->items = items;
  memset(&f->items[f->count], 0, sizeof(roof_value));
  roof_status st = roof_tensor_bytes_read(data, len, path, NULL, &f->items[f->count], err);
  if (st == ROOF_OK) f->count++;
  return st;
}

/* One message; `optional` selects OptionalProto's fields (its sequence_value is read as a SequenceProto). */
static roof_status parse(const uint8_t* data, size_t len, bool optional, seq_file* f, const char* path, roof_error* err) {
  wire w = {data, data + len};
  uint64_t elem_type = 0;
  roof_status st = ROOF_OK;
  while (st == ROOF_OK && w.p < w.end) {
    uint32_t num = 0;
    const uint8_t* d = NULL;
    size_t n = 0;
    uint64_t v = 0;
    if (!field(&w, &num, &d, &n, &v)) return roof_fail(err, ROOF_E_DATA, "%s: malformed protobuf", path);
    if (num == 2 && d == NULL) elem_type = v;
    else if (num == 3 && d) st = add_tensor(f, d, n, path, err);
    else if (optional && num == 5 && d) st = parse(d, n, false, f, path, err);
  }
  if (optional) f->present = elem_type != 0;
  return st;
}

roof_status seq_file_read(const char* path, bool optional, seq_file* out, roof_error* err) {
  FILE* fp = fopen(path, "rb");
  if (fp == NULL) return roof_fail(err, ROOF_E_NOINPUT, "%s: cannot open", path);
  uint8_t* buf = NULL;
  long len = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
  if (len >= 0 && fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) != NULL &&
      fread(buf, 1, (size_t)len, fp) != (size_t)len) {
    free(buf);
    buf = NULL;
  }
  fclose(fp);
  if (buf == NULL) return roof_fail(err, ROOF_E_NOINPUT, "%s: cannot read", path);
  seq_file f = {.present = true};
  roof_status st = parse(buf, (size_t)len, optional, &f, path, err);
  free(buf);
  if (st != ROOF_OK) {
    seq_file_release(&f);
    return st;
  }
  *out = f;
  return ROOF_OK;
}

void seq_file_release(seq_file* f) {
  for (int i = 0; i < f->count; i++) roof_value_release(&f->items[i]);
  free(f->items);
  f->items = NULL;
  f->count = 0;
}
