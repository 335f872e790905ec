/* The run-time sequence object (runtime/seq.h): insert at front/back/middle, erase, assign
 * (deep copy, optional <-> sequence rules), the checks an insert makes (dtype, byte size), and an
 * allocation-failure sweep: every allocation of a scripted scenario is made to fail in turn; each
 * failing call must leave the object as it was, and freeing everything must leave no block
 * outstanding (a counting allocator). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seq.h"

typedef struct counting {
  long live;       /* blocks outstanding */
  long calls;      /* allocations so far */
  long fail_at;    /* the allocation number that fails (-1: none) */
} counting;

static void* c_alloc(void* ctx, size_t n) {
  counting* c = ctx;
  if (c->calls++ == c->fail_at) return NULL;
  void* p = malloc(n);
  if (p) c->live++;
  return p;
}
static void c_release(void* ctx, void* p) {
  counting* c = ctx;
  if (p) c->live--;
  free(p);
}

static const float kA[3] = {1, 2, 3}, kB[2] = {4, 5};
static const int64_t kDa[1] = {3}, kDb[1] = {2};

/* Element i of q is a float vector equal to want (n values). */
static void check_item(const roof_seq* q, size_t i, const float* want, int64_t n, const char* what) {
  CHECK(i < q->count, "%s: element %zu missing (count %zu)", what, i, q->count);
  if (i >= q->count) return;
  const roof_seq_item* it = &q->items[i];
  CHECK(it->dtype == ROOF_DT_FLOAT && it->rank == 1 && it->dims[0] == n, "%s: element %zu has dtype %d rank %d dim %lld", what, i,
        it->dtype, it->rank, (long long)it->dims[0]);
  for (int64_t j = 0; j < n && it->rank == 1 && it->dims[0] == n; j++) {
    CHECK(((const float*)it->data)[j] == want[j], "%s: element %zu at [%lld]: got %g, want %g", what, i, (long long)j,
          ((const float*)it->data)[j], want[j]);
  }
}

/* The scripted scenario; returns the first failing status (the object stays valid). */
static roof_status scenario(const roof_seq_allocator* a, bool verify) {
  const char* why = "";
  roof_seq* s = roof_seq_new(ROOF_KIND_SEQUENCE, ROOF_DT_FLOAT, a);
  roof_seq* o = roof_seq_new(ROOF_KIND_OPT_SEQUENCE, ROOF_DT_FLOAT, a);
  roof_status st = s && o ? ROOF_OK : ROOF_E_NOMEM;
  if (st == ROOF_OK) st = roof_seq_insert(s, 0, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why); /* [A] */
  if (st == ROOF_OK) st = roof_seq_insert(s, 0, ROOF_DT_FLOAT, 1, kDb, kB, sizeof(kB), &why); /* [B A] */
  if (st == ROOF_OK) st = roof_seq_insert(s, 2, ROOF_DT_FLOAT, 1, kDb, kB, sizeof(kB), &why); /* [B A B] */
  if (st == ROOF_OK) st = roof_seq_insert(s, 1, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why); /* [B A A B] */
  if (st == ROOF_OK) st = roof_seq_insert(s, 4, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why); /* [B A A B A] grows */
  if (st == ROOF_OK && verify) {
    check_item(s, 0, kB, 2, "insert");
    check_item(s, 1, kA, 3, "insert");
    check_item(s, 3, kB, 2, "insert");
    check_item(s, 4, kA, 3, "insert");
  }
  if (st == ROOF_OK) st = roof_seq_erase(s, 1); /* [B A B A] */
  if (st == ROOF_OK && verify) {
    CHECK(s->count == 4, "erase: count %zu, want 4", s->count);
    check_item(s, 1, kA, 3, "erase");
    check_item(s, 2, kB, 2, "erase");
  }
  if (st == ROOF_OK) st = roof_seq_assign(o, s, &why);
  if (st == ROOF_OK && verify) {
    CHECK(o->present && o->count == 4, "assign: present %d count %zu", o->present, o->count);
    CHECK(o->items[0].data != s->items[0].data, "assign must copy the data, not share it");
    check_item(o, 3, kA, 3, "assign");
  }
  if (st != ROOF_OK && s && o) {
    /* the failed call left both objects whole: still readable */
    for (size_t i = 0; i < s->count; i++) CHECK(s->items[i].data != NULL, "item %zu lost its data after a failure", i);
  }
  roof_seq_free(s);
  roof_seq_free(o);
  return st;
}

int main(void) {
  const char* why = "";
  /* rules an insert checks */
  roof_seq* s = roof_seq_new(ROOF_KIND_SEQUENCE, ROOF_DT_FLOAT, NULL);
  CHECK(s != NULL, "roof_seq_new failed");
  int32_t i3[3] = {1, 2, 3};
  CHECK(roof_seq_insert(s, 0, ROOF_DT_INT32, 1, kDa, i3, sizeof(i3), &why) == ROOF_E_DATA, "an int32 element in a float sequence must be refused");
  CHECK(roof_seq_insert(s, 0, ROOF_DT_FLOAT, 1, kDa, kA, 8, &why) == ROOF_E_DATA, "a byte size that does not match must be refused");
  CHECK(roof_seq_insert(s, 1, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why) == ROOF_E_DATA, "position past the end must be refused");
  CHECK(roof_seq_erase(s, 0) == ROOF_E_DATA, "erase of an empty sequence must be refused");
  CHECK(s->count == 0, "refused calls must not change the sequence (count %zu)", s->count);
  /* optionals: an empty one cannot become a sequence; an optional tensor holds one element */
  roof_seq* e = roof_seq_new(ROOF_KIND_OPT_SEQUENCE, ROOF_DT_FLOAT, NULL);
  CHECK(e && !e->present, "a new optional must be empty");
  CHECK(roof_seq_assign(s, e, &why) == ROOF_E_DATA, "an empty optional assigned to a sequence must be refused");
  roof_seq* t = roof_seq_new(ROOF_KIND_OPT_TENSOR, ROOF_DT_FLOAT, NULL);
  CHECK(roof_seq_insert(t, 0, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why) == ROOF_OK && t->present, "optional tensor insert");
  CHECK(roof_seq_insert(t, 0, ROOF_DT_FLOAT, 1, kDa, kA, sizeof(kA), &why) == ROOF_E_DATA, "a second element in an optional tensor");
  roof_seq_clear(t);
  CHECK(!t->present && t->count == 0, "clear empties an optional");
  roof_seq_free(s);
  roof_seq_free(e);
  roof_seq_free(t);

  /* the scenario with every allocation succeeding, then each one failing in turn */
  counting c = {.fail_at = -1};
  roof_seq_allocator a = {c_alloc, c_release, &c};
  CHECK(scenario(&a, true) == ROOF_OK, "scenario failed without injected failures");
  CHECK(c.live == 0, "%ld blocks leaked", c.live);
  long total = c.calls;
  for (long k = 0; k < total; k++) {
    c = (counting){.fail_at = k};
    roof_status st = scenario(&a, false);
    CHECK(st == ROOF_E_NOMEM, "allocation %ld of %ld failing: status %d, want %d", k, total, (int)st, (int)ROOF_E_NOMEM);
    CHECK(c.live == 0, "allocation %ld failing: %ld blocks leaked", k, c.live);
  }
  printf("test_seq: %ld allocation failures swept, %d failures\n", total, failures);
  return failures ? 1 : 0;
}
