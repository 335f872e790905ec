/* Run-time sequences and optionals (seq.h). Items are copied in and out: the sequence ops are
 * never on a hot path, and copies keep every object's ownership simple (no sharing). */
#include "seq.h"

#include <stdlib.h>
#include <string.h>

static void* sys_alloc(void* ctx, size_t n) {
  (void)ctx;
  return malloc(n);
}
static void sys_release(void* ctx, void* p) {
  (void)ctx;
  free(p);
}
static const roof_seq_allocator kSystem = {sys_alloc, sys_release, NULL};

static const roof_seq_allocator* alloc_of(const roof_seq* s) { return s->a ? s->a : &kSystem; }

roof_seq* roof_seq_new(int kind, int dtype, const roof_seq_allocator* a) {
  const roof_seq_allocator* al = a ? a : &kSystem;
  roof_seq* s = al->alloc(al->ctx, sizeof(*s));
  if (s == NULL) return NULL;
  memset(s, 0, sizeof(*s));
  s->kind = kind;
  s->dtype = dtype;
  s->present = kind == ROOF_KIND_SEQUENCE;
  s->a = a;
  return s;
}

static void free_items(const roof_seq_allocator* al, roof_seq_item* items, size_t count) {
  for (size_t i = 0; i < count; i++) al->release(al->ctx, items[i].data);
}

void roof_seq_clear(roof_seq* s) {
  free_items(alloc_of(s), s->items, s->count);
  s->count = 0;
  s->present = s->kind == ROOF_KIND_SEQUENCE;
}

void roof_seq_free(roof_seq* s) {
  if (s == NULL) return;
  const roof_seq_allocator* al = alloc_of(s);
  free_items(al, s->items, s->count);
  al->release(al->ctx, s->items);
  al->release(al->ctx, s);
}

/* A checked copy of one tensor into item `it` (its data allocated here). */
static roof_status make_item(const roof_seq_allocator* al, int dtype, int rank, const int64_t* dims, const void* data,
                             size_t nbytes, roof_seq_item* it, const char** why) {
  uint64_t count = 0, bytes = 0;
  if (rank < 0 || rank > ROOF_MAX_RANK) {
    *why = "an element's rank must lie in 0..6";
    return ROOF_E_DATA;
  }
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 0) {
      *why = "an element's dims must not be negative";
      return ROOF_E_DATA;
    }
  }
  if (roof_dtype_size(dtype) == 0 || !roof_dims_count(dims, rank, &count) ||
      __builtin_mul_overflow(count, (uint64_t)roof_dtype_size(dtype), &bytes) || bytes != nbytes) {
    *why = "an element's byte size must match its dtype and dims";
    return ROOF_E_DATA;
  }
  memset(it, 0, sizeof(*it));
  it->dtype = dtype;
  it->rank = rank;
  if (rank > 0) memcpy(it->dims, dims, sizeof(int64_t) * (size_t)rank);
  it->data = al->alloc(al->ctx, nbytes ? nbytes : 1);
  if (it->data == NULL) return ROOF_E_NOMEM;
  if (nbytes) memcpy(it->data, data, nbytes);
  it->nbytes = nbytes;
  return ROOF_OK;
}

/* Room for `need` items; the array is replaced only on success. */
static roof_status reserve(roof_seq* s, size_t need) {
  if (need <= s->cap) return ROOF_OK;
  const roof_seq_allocator* al = alloc_of(s);
  size_t cap = s->cap ? s->cap * 2 : 4;
  if (cap < need) cap = need;
  size_t bytes = 0;
  if (__builtin_mul_overflow(cap, sizeof(roof_seq_item), &bytes)) return ROOF_E_NOMEM;
  roof_seq_item* items = al->alloc(al->ctx, bytes);
  if (items == NULL) return ROOF_E_NOMEM;
  if (s->count) memcpy(items, s->items, sizeof(roof_seq_item) * s->count);
  al->release(al->ctx, s->items);
  s->items = items;
  s->cap = cap;
  return ROOF_OK;
}

roof_status roof_seq_insert(roof_seq* s, size_t pos, int dtype, int rank, const int64_t* dims, const void* data, size_t nbytes,
                            const char** why) {
  if (s->dtype != 0 && dtype != s->dtype) {
    *why = "an element's dtype must be the sequence's";
    return ROOF_E_DATA;
  }
  if (pos > s->count) {
    *why = "the position must lie in 0..length";
    return ROOF_E_DATA;
  }
  if (s->kind == ROOF_KIND_OPT_TENSOR && s->count > 0) {
    *why = "an optional tensor holds one element";
    return ROOF_E_DATA;
  }
  roof_seq_item it;
  roof_status st = reserve(s, s->count + 1);
  if (st == ROOF_OK) st = make_item(alloc_of(s), dtype, rank, dims, data, nbytes, &it, why);
  if (st != ROOF_OK) return st;
  memmove(&s->items[pos + 1], &s->items[pos], sizeof(roof_seq_item) * (s->count - pos));
  s->items[pos] = it;
  s->count++;
  s->present = true;
  if (s->dtype == 0) s->dtype = dtype;
  return ROOF_OK;
}

roof_status roof_seq_erase(roof_seq* s, size_t pos) {
  if (pos >= s->count) return ROOF_E_DATA;
  alloc_of(s)->release(alloc_of(s)->ctx, s->items[pos].data);
  memmove(&s->items[pos], &s->items[pos + 1], sizeof(roof_seq_item) * (s->count - pos - 1));
  s->count--;
  return ROOF_OK;
}

roof_status roof_seq_assign(roof_seq* dst, const roof_seq* src, const char** why) {
  if (dst == src) return ROOF_OK;
  if (dst->kind == ROOF_KIND_SEQUENCE && !src->present) {
    *why = "an empty optional cannot become a sequence";
    return ROOF_E_DATA;
  }
  /* build the copy aside, then swap it in: dst is untouched on failure */
  roof_seq tmp = {.kind = dst->kind, .dtype = dst->dtype ? dst->dtype : src->dtype, .a = dst->a};
  roof_status st = reserve(&tmp, src->count);
  for (size_t i = 0; st == ROOF_OK && i < src->count; i++) {
    const roof_seq_item* it = &src->items[i];
    st = roof_seq_insert(&tmp, i, it->dtype, it->rank, it->dims, it->data, it->nbytes, why);
  }
  if (st != ROOF_OK) {
    free_items(alloc_of(&tmp), tmp.items, tmp.count);
    alloc_of(&tmp)->release(alloc_of(&tmp)->ctx, tmp.items);
    return st;
  }
  tmp.present = src->present || dst->kind == ROOF_KIND_SEQUENCE;
  const roof_seq_allocator* al = alloc_of(dst);
  free_items(al, dst->items, dst->count);
  al->release(al->ctx, dst->items);
  *dst = tmp;
  return ROOF_OK;
}
