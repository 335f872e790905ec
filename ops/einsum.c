/* Einsum: any equation the spec allows (explicit or implicit output, repeated labels for
 * diagonals and traces, one ellipsis per term with numpy broadcasting of its dims), on a
 * reference kernel over every numeric dtype. The contractions exports use (attention's
 * "bhid,bhjd->bhij" and "bhij,bhjd->bhid", "bij,bjk->bik") run as a batched matrix product on
 * the native MatMul kernel (ops/matmul.c, chosen through the kernel table), operands packed to
 * plain [batch, M, K] and [batch, K, N] only when their layout is not already that. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "gemm_params.h"

#define EIN_MAX_IN 8
#define EIN_LETTERS 52                            /* 'A'..'Z' then 'a'..'z': ids in ASCII order */
#define EIN_ELL (-1)                              /* the ellipsis in a parsed term */
#define EIN_LABELS (EIN_LETTERS + ROOF_MAX_RANK)  /* ellipsis dim j is label EIN_LETTERS + j */

typedef struct ein_term {
  int8_t label[ROOF_MAX_RANK + 1]; /* letter ids and at most one EIN_ELL */
  int len;
} ein_term;

typedef struct ein_params {
  int num_terms;
  bool explicit_out;
  ein_term in[EIN_MAX_IN], out;
  /* resolved at infer */
  int64_t size[EIN_LABELS];
  bool used[EIN_LABELS];
  int8_t axes[EIN_MAX_IN][ROOF_MAX_RANK]; /* label of each axis of each input */
  int8_t out_axes[ROOF_MAX_RANK];
  int out_rank;
} ein_params;

static const int kEinDtypes[] = {ROOF_DT_FLOAT,  ROOF_DT_DOUBLE, ROOF_DT_FLOAT16, ROOF_DT_INT8,   ROOF_DT_INT16,
                                 ROOF_DT_INT32,  ROOF_DT_INT64,  ROOF_DT_UINT8,   ROOF_DT_UINT16, ROOF_DT_UINT32,
                                 ROOF_DT_UINT64, 0};

/* ---- parse: the equation string into terms ---- */

static int letter_id(char c) { return isupper((unsigned char)c) ? c - 'A' : 26 + (c - 'a'); }

/* One term of [s, e) (spaces already dropped). */
static roof_status parse_term(const roof_graph* g, const roof_node* n, const char* s, const char* e, ein_term* t,
                              roof_error* err) {
  t->len = 0;
  bool ell = false;
  for (const char* c = s; c < e; c++) {
    int id;
    if (*c == '.') {
      if (ell || e - c < 3 || c[1] != '.' || c[2] != '.') {
        return roof_node_fail(err, ROOF_E_DATA, g, n, "equation: a term may hold one '...' and no other '.'");
      }
      ell = true;
      c += 2;
      id = EIN_ELL;
    } else if (isalpha((unsigned char)*c) && ((unsigned char)*c) < 128) {
      id = letter_id(*c);
    } else {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "equation: character '%c' is not a letter, ',', '...' or '->'",
                            isprint((unsigned char)*c) ? *c : '?');
    }
    if (t->len > ROOF_MAX_RANK) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "equation: a term has more than %d subscripts", ROOF_MAX_RANK);
    }
    t->label[t->len++] = (int8_t)id;
  }
  return ROOF_OK;
}

static roof_status parse_einsum(const roof_graph* g, const roof_node* n, void* params, roof_error* err) {
  ein_params* p = params;
  const char* eq = NULL;
  roof_status st = roof_attr_get_string(g, n, "equation", NULL, &eq, err);
  if (st != ROOF_OK) return st;
  if (eq == NULL) return roof_node_fail(err, ROOF_E_DATA, g, n, "attribute 'equation' is required");
  size_t len = strlen(eq);
  char buf[256];
  size_t m = 0;
  for (size_t i = 0; i < len; i++) {
    if (eq[i] == ' ') continue;
    if (m + 1 >= sizeof(buf)) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "equation longer than %zu characters", sizeof(buf) - 1);
    buf[m++] = eq[i];
  }
  buf[m] = '\0';
  char* arrow = strstr(buf, "->");
  const char* lhs_end = arrow ? arrow : buf + m;
  p->explicit_out = arrow != NULL;
  p->num_terms = 0;
  for (const char* s = buf;;) {
    const char* e = memchr(s, ',', (size_t)(lhs_end - s));
    if (e == NULL) e = lhs_end;
    if (p->num_terms == EIN_MAX_IN) return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "more than %d operands", EIN_MAX_IN);
    st = parse_term(g, n, s, e, &p->in[p->num_terms++], err);
    if (st != ROOF_OK) return st;
    if (e == lhs_end) break;
    s = e + 1;
  }
  if (arrow) {
    if (strstr(arrow + 2, "->")) return roof_node_fail(err, ROOF_E_DATA, g, n, "equation: more than one '->'");
    st = parse_term(g, n, arrow + 2, buf + m, &p->out, err);
  }
  return st;
}

/* ---- infer: label sizes, ellipsis broadcasting, the output term ---- */

static char label_char(int id) { return id < 26 ? (char)('A' + id) : id < EIN_LETTERS ? (char)('a' + id - 26) : '.'; }

/* Gives input i's axes their labels and checks sizes (letters equal, ellipsis dims broadcast). */
static roof_status bind_input(const roof_graph* g, const roof_node* n, ein_params* p, int i, int ell_rank,
                              roof_error* err) {
  const roof_value* x = roof_in(g, n, i);
  const ein_term* t = &p->in[i];
  int letters = 0, ax = 0;
  for (int j = 0; j < t->len; j++) letters += t->label[j] != EIN_ELL;
  int own_ell = x->rank - letters;
  for (int j = 0; j < t->len; j++) {
    if (t->label[j] != EIN_ELL) {
      p->axes[i][ax++] = t->label[j];
      continue;
    }
    for (int e = 0; e < own_ell; e++) p->axes[i][ax++] = (int8_t)(EIN_LETTERS + ell_rank - own_ell + e);
  }
  for (int a = 0; a < x->rank; a++) {
    int l = p->axes[i][a];
    int64_t d = x->dims[a];
    if (!p->used[l] || (l >= EIN_LETTERS && p->size[l] == 1)) {
      p->size[l] = d;
    } else if (p->size[l] != d && !(l >= EIN_LETTERS && d == 1)) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "subscript '%c' of input %d has size %lld, elsewhere %lld",
                            label_char(l), i, (long long)d, (long long)p->size[l]);
    }
    p->used[l] = true;
  }
  return ROOF_OK;
}

static roof_status infer_out_term(const roof_graph* g, const roof_node* n, ein_params* p, int ell_rank, roof_error* err) {
  int count[EIN_LETTERS] = {0};
  bool in_out[EIN_LETTERS] = {false};
  p->out_rank = 0;
  for (int i = 0; i < p->num_terms; i++) {
    for (int j = 0; j < p->in[i].len; j++) count[p->in[i].label[j] >= 0 ? p->in[i].label[j] : 0] += p->in[i].label[j] >= 0;
  }
  if (!p->explicit_out) { /* the ellipsis dims, then the letters seen once, in ASCII order */
    for (int e = 0; e < ell_rank; e++) p->out_axes[p->out_rank++] = (int8_t)(EIN_LETTERS + e);
    for (int l = 0; l < EIN_LETTERS; l++) {
      if (count[l] != 1) continue;
      if (p->out_rank == ROOF_MAX_RANK) goto too_big;
      p->out_axes[p->out_rank++] = (int8_t)l;
    }
    return ROOF_OK;
  }
  for (int j = 0; j < p->out.len; j++) {
    int l = p->out.label[j];
    if (l == EIN_ELL) {
      if (p->out_rank + ell_rank > ROOF_MAX_RANK) goto too_big;
      for (int e = 0; e < ell_rank; e++) p->out_axes[p->out_rank++] = (int8_t)(EIN_LETTERS + e);
      continue;
    }
    if (count[l] == 0) return roof_node_fail(err, ROOF_E_DATA, g, n, "output subscript '%c' is in no input", label_char(l));
    if (in_out[l]) return roof_node_fail(err, ROOF_E_DATA, g, n, "output subscript '%c' appears twice", label_char(l));
    in_out[l] = true;
    if (p->out_rank == ROOF_MAX_RANK) goto too_big;
    p->out_axes[p->out_rank++] = (int8_t)l;
  }
  return ROOF_OK;
too_big:
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, g, n, "output rank exceeds %d", ROOF_MAX_RANK);
}

static roof_status infer_einsum(roof_graph* g, roof_node* n, roof_error* err) {
  ein_params* p = n->params;
  if (n->num_inputs != p->num_terms) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "equation has %d operands, the node %d inputs", p->num_terms, n->num_inputs);
  }
  memset(p->used, 0, sizeof(p->used));
  int ell_rank = 0;
  for (int i = 0; i < p->num_terms; i++) {
    roof_status st = roof_require_input(g, n, i, kEinDtypes, err);
    if (st != ROOF_OK) return st;
    const roof_value* x = roof_in(g, n, i);
    if (x->dtype != roof_in(g, n, 0)->dtype) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d is %s, input 0 %s", i, roof_dtype_name(x->dtype),
                            roof_dtype_name(roof_in(g, n, 0)->dtype));
    }
    int letters = 0;
    bool ell = false;
    for (int j = 0; j < p->in[i].len; j++) {
      letters += p->in[i].label[j] != EIN_ELL;
      ell = ell || p->in[i].label[j] == EIN_ELL;
    }
    if (ell ? x->rank < letters : x->rank != letters) {
      return roof_node_fail(err, ROOF_E_DATA, g, n, "input %d has rank %d, its term %d subscripts%s", i, x->rank, letters,
                            ell ? " and '...'" : "");
    }
    if (ell && x->rank - letters > ell_rank) ell_rank = x->rank - letters;
  }
  if (p->explicit_out) {
    for (int j = 0; j < p->out.len; j++) {
      if (p->out.label[j] == EIN_ELL && ell_rank == 0) {
        bool any = false;
        for (int i = 0; i < p->num_terms; i++) {
          for (int t = 0; t < p->in[i].len; t++) any = any || p->in[i].label[t] == EIN_ELL;
        }
        if (!any) return roof_node_fail(err, ROOF_E_DATA, g, n, "output has '...' and no input does");
      }
    }
  }
  for (int i = 0; i < p->num_terms; i++) {
    roof_status st = bind_input(g, n, p, i, ell_rank, err);
    if (st != ROOF_OK) return st;
  }
  roof_status st = infer_out_term(g, n, p, ell_rank, err);
  if (st != ROOF_OK) return st;
  int64_t dims[ROOF_MAX_RANK];
  for (int a = 0; a < p->out_rank; a++) dims[a] = p->size[p->out_axes[a]];
  roof_value_set_shape(roof_out(g, n, 0), roof_in(g, n, 0)->dtype, p->out_rank, dims);
  return ROOF_OK;
}

/* macs = the iteration space (every label's size) times (operands - 1); one operand (a sum or
 * a transpose) costs one flop per input element */
static void cost_einsum(const roof_graph* g, const roof_node* n, roof_cost* c) {
  const ein_params* p = n->params;
  uint64_t space = 1;
  for (int l = 0; l < EIN_LABELS; l++) {
    if (p->used[l] && !roof_mul_u64(space, (uint64_t)p->size[l], &space)) space = UINT64_MAX;
  }
  if (p->num_terms > 1) {
    c->macs = space * (uint64_t)(p->num_terms - 1);
    c->flops = 2 * c->macs;
  } else {
    roof_value_count(roof_in(g, n, 0), &c->flops);
  }
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->params = roof_cost_const_params(g, n);
  c->formula = "einsum";
  c->has_model = true;
}

static int describe_einsum(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const char* eq = NULL;
  roof_error err;
  if (roof_attr_get_string(g, n, "equation", NULL, &eq, &err) != ROOF_OK || eq == NULL) return snprintf(buf, size, "?");
  char b[ROOF_NAME_BUF];
  return snprintf(buf, size, "%s", ROOF_SAFE(eq, b));
}

/* ---- reference: the whole iteration space, output labels outer, summed labels inner; each
 * input's offset is the dot of the label index with its per-label strides (a repeated label
 * adds its axes' strides: the diagonal). Floats in double, integers in wrapping 64 bits. ---- */

static roof_status ref_einsum(roof_kernel* k, roof_error* err) {
  const ein_params* p = k->params;
  roof_tensor* y = &k->out[0];
  int nin = p->num_terms, nsum = 0, dt = k->in[0].dtype;
  bool is_float = roof_dtype_is_float(dt);
  int8_t sum_labels[EIN_LABELS];
  int64_t sum_dims[EIN_LABELS], stride[EIN_MAX_IN][EIN_LABELS];
  bool in_out[EIN_LABELS] = {false};
  memset(stride, 0, sizeof(stride));
  for (int a = 0; a < p->out_rank; a++) in_out[p->out_axes[a]] = true;
  for (int l = 0; l < EIN_LABELS; l++) {
    if (p->used[l] && !in_out[l]) sum_labels[nsum] = (int8_t)l, sum_dims[nsum++] = p->size[l];
  }
  for (int i = 0; i < nin; i++) {
    for (int a = 0; a < k->in[i].rank; a++) { /* a broadcast (size-1) ellipsis dim stays at 0 */
      if (k->in[i].dims[a] != 1 || p->size[p->axes[i][a]] == 1) stride[i][p->axes[i][a]] += k->in[i].strides[a];
    }
  }
  bool empty_sum = false;
  for (int s = 0; s < nsum; s++) empty_sum = empty_sum || sum_dims[s] == 0;
  int64_t oi[ROOF_MAX_RANK] = {0};
  do {
    int64_t base[EIN_MAX_IN] = {0}, si[EIN_LABELS] = {0};
    for (int i = 0; i < nin; i++) {
      for (int a = 0; a < p->out_rank; a++) base[i] += oi[a] * stride[i][p->out_axes[a]];
    }
    double facc = 0.0;
    uint64_t iacc = 0;
    do {
      if (empty_sum) break;
      double fprod = 1.0;
      uint64_t iprod = 1;
      for (int i = 0; i < nin; i++) {
        int64_t off = base[i];
        for (int s = 0; s < nsum; s++) off += si[s] * stride[i][sum_labels[s]];
        if (is_float) fprod *= roof_load_f64(dt, k->in[i].data, off);
        else iprod *= (uint64_t)roof_load_i64(dt, k->in[i].data, off);
      }
      facc += fprod;
      iacc += iprod;
    } while (roof_index_next(si, sum_dims, nsum));
    if (is_float) roof_store_f64(dt, y->data, roof_offset(y, oi), facc);
    else roof_store_i64(dt, y->data, roof_offset(y, oi), (int64_t)iacc);
  } while (roof_index_next(oi, y->dims, y->rank));
  return ROOF_OK;
}

/* ---- native: two float32 operands whose labels are each batch (A, B, output), M (A, output),
 * N (B, output) or K (A, B), none repeated within a term and none broadcast. The operands are
 * seen as [batch, M, K] and [batch, K, N], the output as [batch, M, N] (labels of a group in
 * output order, K in A's order); a view that is not plain in that order is packed into scratch
 * (the output computed there and copied out). The product is the MatMul kernel the table gives
 * for plain 3-D operands. ---- */

enum { EIN_BATCH = 0, EIN_M, EIN_N, EIN_K, EIN_GROUPS };

/* One operand or the output: its view permuted to group order, and whether it is plain. */
typedef struct ein_side {
  roof_tensor perm;  /* the original view, axes in group order (data bound at setup) */
  int src;           /* input index, or -1 for the output */
  bool packed;       /* goes through scratch */
  size_t scratch_off;
} ein_side;

typedef struct ein_state {
  roof_kernel mm; /* the MatMul kernel */
  roof_tensor mm_in[2], mm_out;
  roof_gemm_params mm_params;
  ein_side side[3]; /* A, B, Y */
  uint64_t own_scratch;
} ein_state;

/* Group of each label (-1: unused; EIN_GROUPS: not a batched-matmul label); false with a reason
 * when the node is not a batched matrix product. */
static bool classify(const roof_kernel* k, int8_t* group, const char** why) {
  const ein_params* p = k->params;
  bool in[3][EIN_LABELS];
  memset(in, 0, sizeof(in));
  for (int i = 0; i < 2; i++) {
    for (int a = 0; a < k->in[i].rank; a++) {
      int l = p->axes[i][a];
      if (in[i][l]) return *why = "a subscript repeated within a term", false;
      if (k->in[i].dims[a] != p->size[l]) return *why = "broadcast '...' dims", false;
      in[i][l] = true;
    }
  }
  for (int a = 0; a < p->out_rank; a++) in[2][p->out_axes[a]] = true;
  for (int l = 0; l < EIN_LABELS; l++) {
    bool a = in[0][l], b = in[1][l], o = in[2][l];
    group[l] = !a && !b ? -1 : a && b ? (o ? EIN_BATCH : EIN_K) : o ? (a ? EIN_M : EIN_N) : EIN_GROUPS;
    if (group[l] == EIN_GROUPS) return *why = "a subscript summed within one operand", false;
  }
  return true;
}

static bool supports_ein_native(const roof_kernel* k, char* why, size_t n) {
  const ein_params* p = k->params;
  int8_t group[EIN_LABELS];
  const char* no = NULL;
  if (p->num_terms != 2) no = "not two operands";
  else if (!classify(k, group, &no)) {}
  if (no) snprintf(why, n, "%s", no);
  return no == NULL;
}

/* The view of t with its axes in the order of `labels` (each a label of one axis of t). */
static void permute_view(const roof_tensor* t, const int8_t* axes_of_t, const int8_t* labels, int count, roof_tensor* v) {
  *v = *t;
  v->rank = count;
  for (int j = 0; j < count; j++) {
    for (int a = 0; a < t->rank; a++) {
      if (axes_of_t[a] != labels[j]) continue;
      v->dims[j] = t->dims[a];
      v->strides[j] = t->strides[a];
    }
  }
}

static void destroy_ein(roof_kernel* k) {
  ein_state* s = k->state;
  if (s) roof_kernel_destroy(&s->mm);
  free(s);
  k->state = NULL;
}

static roof_status create_ein_native(roof_kernel* k, roof_error* err) {
  const ein_params* p = k->params;
  int8_t group[EIN_LABELS], order[EIN_GROUPS][ROOF_MAX_RANK];
  int cnt[EIN_GROUPS] = {0};
  int64_t size[EIN_GROUPS] = {1, 1, 1, 1};
  const char* why = NULL;
  if (!classify(k, group, &why)) return roof_kernel_refuse(err, "%s", why);
  for (int a = 0; a < p->out_rank; a++) { /* batch, M, N in output order */
    int l = p->out_axes[a];
    order[group[l]][cnt[group[l]]++] = (int8_t)l;
  }
  for (int a = 0; a < k->in[0].rank; a++) { /* K in A's order */
    int l = p->axes[0][a];
    if (group[l] == EIN_K) order[EIN_K][cnt[EIN_K]++] = (int8_t)l;
  }
  for (int gi = 0; gi < EIN_GROUPS; gi++) {
    for (int j = 0; j < cnt[gi]; j++) size[gi] *= p->size[order[gi][j]];
  }
  ein_state* s = calloc(1, sizeof(*s));
  if (s == NULL) return roof_node_fail(err, ROOF_E_NOMEM, k->g, k->node, "out of memory");
  k->state = s;
  static const int kSides[3][3] = {{EIN_BATCH, EIN_M, EIN_K}, {EIN_BATCH, EIN_K, EIN_N}, {EIN_BATCH, EIN_M, EIN_N}};
  roof_tensor* mm_views[3] = {&s->mm_in[0], &s->mm_in[1], &s->mm_out};
  for (int sd = 0; sd < 3; sd++) {
    int8_t labels[ROOF_MAX_RANK];
    int count = 0;
    int64_t d3[3];
    for (int q = 0; q < 3; q++) {
      int gi = kSides[sd][q];
      for (int j = 0; j < cnt[gi]; j++) labels[count++] = order[gi][j];
      d3[q] = size[gi];
    }
    ein_side* side = &s->side[sd];
    side->src = sd < 2 ? sd : -1;
    permute_view(sd < 2 ? &k->in[sd] : &k->out[0], sd < 2 ? p->axes[sd] : p->out_axes, labels, count, &side->perm);
    side->packed = !roof_tensor_is_plain(&side->perm);
    if (side->packed) {
      side->scratch_off = (size_t)s->own_scratch;
      s->own_scratch += (roof_tensor_count(&side->perm) * sizeof(float) + 63) / 64 * 64;
    }
    roof_tensor_init(mm_views[sd], ROOF_DT_FLOAT, 3, d3, ROOF_LAYOUT_PLAIN, NULL);
  }
  roof_act_init(&s->mm_params.act);
  s->mm_params.alpha = s->mm_params.beta = 1.0f;
  roof_kernel* mm = &s->mm;
  mm->op = roof_op_schema_of(ROOF_OP_MatMul);
  mm->g = k->g;
  mm->node = k->node;
  mm->params = &s->mm_params;
  mm->in = s->mm_in;
  mm->num_in = 2;
  mm->out = &s->mm_out;
  mm->num_out = 1;
  mm->pool = k->pool;
  mm->max_scratch_bytes = k->max_scratch_bytes;
  roof_error why_mm = {0};
  roof_status st = roof_kernel_select(mm, ROOF_BACKEND_NATIVE, &why_mm);
  if (st == ROOF_E_UNSUPPORTED) return roof_kernel_refuse(err, "MatMul: %s", mm->reason);
  if (st != ROOF_OK) *err = why_mm;
  return st;
}

static uint64_t scratch_ein(const roof_kernel* k) {
  const ein_state* s = k->state;
  const roof_kernel* mm = &s->mm;
  return s->own_scratch + (mm->impl && mm->impl->scratch_bytes ? mm->impl->scratch_bytes(mm) : 0);
}

static roof_status setup_ein_native(roof_kernel* k, roof_error* err) {
  ein_state* s = k->state;
  roof_tensor* mm_views[3] = {&s->mm_in[0], &s->mm_in[1], &s->mm_out};
  for (int sd = 0; sd < 3; sd++) {
    ein_side* side = &s->side[sd];
    side->perm.data = side->src >= 0 ? k->in[side->src].data : k->out[0].data;
    mm_views[sd]->data = side->packed ? (char*)k->scratch + side->scratch_off : side->perm.data;
  }
  s->mm.scratch = s->own_scratch ? (char*)k->scratch + s->own_scratch : k->scratch;
  return roof_kernel_setup(&s->mm, err);
}

/* the packed form of a side: its permuted dims, plain, in scratch */
static void packed_view(const roof_kernel* k, const ein_side* side, roof_tensor* v) {
  roof_tensor_init(v, ROOF_DT_FLOAT, side->perm.rank, side->perm.dims, ROOF_LAYOUT_PLAIN,
                   (char*)k->scratch + side->scratch_off);
}

static roof_status run_ein_native(roof_kernel* k, roof_error* err) {
  ein_state* s = k->state;
  roof_tensor v;
  for (int sd = 0; sd < 2; sd++) {
    if (!s->side[sd].packed) continue;
    packed_view(k, &s->side[sd], &v);
    roof_tensor_copy(&s->side[sd].perm, &v);
  }
  roof_status st = roof_kernel_run(&s->mm, err);
  if (st != ROOF_OK || !s->side[2].packed) return st;
  packed_view(k, &s->side[2], &v);
  roof_tensor_copy(&v, &s->side[2].perm);
  return ROOF_OK;
}

const roof_op_schema roof_op_Einsum = {
    .id = ROOF_OP_Einsum, .op_type = "Einsum", .domain = "", .since_version = 12, .until_version = 1000,
    .layout = ROOF_LR_ANY, .params_size = sizeof(ein_params), .parse = parse_einsum, .infer = infer_einsum,
    .cost = cost_einsum, .describe = describe_einsum,
};
const roof_kernel_impl roof_kernel_Einsum_native = {
    .op = ROOF_OP_Einsum, .backend = ROOF_BACKEND_NATIVE, .dtypes = roof_dtypes_f32, .supports = supports_ein_native,
    .create = create_ein_native, .setup = setup_ein_native, .run = run_ein_native, .destroy = destroy_ein,
    .scratch_bytes = scratch_ein,
};
ROOF_REF_KERNEL(Einsum, NULL, ref_einsum);
