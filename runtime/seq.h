/* Run-time sequences and optionals: the values of ONNX seq(tensor), optional(tensor) and
 * optional(seq(tensor)).
 *
 * Their element shapes are known only at run time, so they stay out of the static arena: a
 * session holds one roof_seq per such value (runtime/executor.c), and the value's slot in the
 * session (value_ptr, a kernel's in[i].data / out[i].data) points at it. The sequence ops
 * (ops/sequence.c) build and read these objects on the calling thread.
 *
 * Ownership: a roof_seq owns its items and each item's data (a copy). Every function that can
 * fail leaves the object as it was (no item added, none lost) and frees what it allocated.
 * An optional is empty (present false, count 0) or holds one tensor (OPT_TENSOR, count 1) or one
 * sequence (OPT_SEQUENCE: the items are the sequence's). A plain sequence is always present.
 * Allocation goes through the allocator given at creation (NULL: malloc/free), so a test can
 * make any allocation fail. */
#ifndef ROOF_SEQ_H
#define ROOF_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "tensor.h"

typedef struct roof_seq_allocator {
  void* (*alloc)(void* ctx, size_t bytes); /* NULL on failure */
  void (*release)(void* ctx, void* p);      /* accepts NULL */
  void* ctx;
} roof_seq_allocator;

typedef struct roof_seq_item {
  int dtype;
  int rank;
  int64_t dims[ROOF_MAX_RANK];
  void* data;    /* nbytes, row-major, owned */
  size_t nbytes;
} roof_seq_item;

typedef struct roof_seq {
  int kind;      /* ROOF_KIND_SEQUENCE, ROOF_KIND_OPT_TENSOR or ROOF_KIND_OPT_SEQUENCE */
  int dtype;     /* element dtype every item must have; 0: any (set by the first insert) */
  bool present;  /* optionals: holds an element; sequences: always true */
  size_t count, cap;
  roof_seq_item* items;
  const roof_seq_allocator* a; /* borrowed; NULL: malloc/free */
} roof_seq;

/* A new empty object of `kind` (a non-tensor kind) and element dtype (0: not fixed); NULL on
 * OOM. An optional starts empty. `a` must outlive the object. */
roof_seq* roof_seq_new(int kind, int dtype, const roof_seq_allocator* a);
void roof_seq_free(roof_seq* s); /* accepts NULL */
/* Frees every item; count 0. An optional becomes empty. */
void roof_seq_clear(roof_seq* s);

/* Inserts a copy of a tensor (dtype, rank <= ROOF_MAX_RANK, dims, nbytes of data matching them)
 * at pos (0..count). ROOF_E_DATA with the rule in *why (static text) when the dtype differs from
 * the sequence's or the bytes do not match the dims; ROOF_E_NOMEM. Unchanged on failure. */
roof_status roof_seq_insert(roof_seq* s, size_t pos, int dtype, int rank, const int64_t* dims, const void* data, size_t nbytes,
                            const char** why);
/* Removes item pos (< count, else ROOF_E_DATA). */
roof_status roof_seq_erase(roof_seq* s, size_t pos);
/* dst's contents become a deep copy of src's (items and presence); dst keeps its kind. An
 * empty optional assigned to a plain sequence is ROOF_E_DATA (*why). dst == src: nothing.
 * Unchanged on failure. */
roof_status roof_seq_assign(roof_seq* dst, const roof_seq* src, const char** why);

#endif
