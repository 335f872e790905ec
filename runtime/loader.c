/* ONNX model loading: file -> validated graph IR. See loader.h for the contract.
 *
 * Stages: read the file (size checks) -> pre-scan + budgeted unpack (budget_alloc.c) ->
 * opset, then every op looked up in the registry (an unknown op is reported first, 69) ->
 * build the IR here, validating every name, tensor and edge once -> cycle check ->
 * roof_graph_bind_ops (descriptor + attribute parsing). One cleanup path frees the protobuf
 * message and the half-built graph on any failure. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "loader_internal.h"
#include "model.h"
#include "../ops/op.h"

void roof_load_options_resolve(const roof_load_options* in, roof_load_options* out) {
  roof_load_options o = {0};
  if (in) o = *in;
  if (!o.max_file_bytes) o.max_file_bytes = ((uint64_t)2 << 30) - 1;
  if (!o.max_nesting_depth) o.max_nesting_depth = 100;
  if (!o.decode_budget_factor) o.decode_budget_factor = 8;
  if (!o.max_nodes) o.max_nodes = 1000000;
  if (!o.max_initializers) o.max_initializers = 1000000;
  if (!o.max_name_bytes) o.max_name_bytes = 4096;
  if (!o.max_tensor_bytes) o.max_tensor_bytes = (uint64_t)4 << 30;
  if (!o.max_rank || o.max_rank > ROOF_MAX_RANK) o.max_rank = ROOF_MAX_RANK;
  *out = o;
}

/* ---- reading the file ---- */

static roof_status read_all(int fd, uint8_t* buf, size_t size, size_t* got) {
  *got = 0;
  while (*got < size) {
    ssize_t r = read(fd, buf + *got, size - *got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ROOF_E_NOINPUT; /* error, or the file shrank under us */
    *got += (size_t)r;
  }
  return ROOF_OK;
}

roof_status roof_read_file(const char* path, uint64_t max_bytes, const char* what, uint8_t** data, size_t* len,
                           roof_error* err) {
  char pb[ROOF_PATH_BUF];
  const char* p = ROOF_SAFE(path, pb);
  /* O_NONBLOCK: opening a FIFO must not hang; the fstat below refuses it anyway. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return roof_fail(err, ROOF_E_NOINPUT, "%s: cannot open: %s", p, strerror(errno));
  struct stat sb;
  roof_status st = ROOF_OK;
  uint8_t* buf = NULL;
  size_t got = 0;
  if (fstat(fd, &sb) != 0) {
    st = roof_fail(err, ROOF_E_NOINPUT, "%s: cannot stat: %s", p, strerror(errno));
  } else if (!S_ISREG(sb.st_mode)) {
    st = roof_fail(err, ROOF_E_NOINPUT, "%s: not a regular file (%s)", p,
                   S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO" : "a device or socket");
  } else if (sb.st_size == 0) {
    st = roof_fail(err, ROOF_E_DATA, "%s: empty file: not %s", p, what);
  } else if ((uint64_t)sb.st_size > max_bytes || (uint64_t)sb.st_size > SIZE_MAX) {
    st = roof_fail(err, ROOF_E_DATA, "%s: file of %lld bytes exceeds the limit of %llu bytes", p,
                   (long long)sb.st_size, (unsigned long long)max_bytes);
  } else if ((buf = roof_alloc_large((size_t)sb.st_size, 16)) == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: cannot allocate %lld bytes", p, (long long)sb.st_size);
  } else if (read_all(fd, buf, (size_t)sb.st_size, &got) != ROOF_OK) {
    st = roof_fail(err, ROOF_E_NOINPUT, "%s: read failed after %zu of %lld bytes", p, got, (long long)sb.st_size);
  } else {
    *data = buf;
    *len = got;
    buf = NULL;
  }
  free(buf);
  close(fd);
  return st;
}

/* ---- name -> value index: open addressing (models reach 100k values; no O(n^2)) ---- */

typedef struct name_map {
  int* slots;
  size_t cap, used;
  const roof_graph* g;
} name_map;

static uint64_t hash_str(const char* s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

/* Sized for `expected` entries at load factor <= 1/2; it never grows. */
static bool map_init(name_map* m, const roof_graph* g, size_t expected) {
  m->cap = 64;
  while (m->cap < expected * 2 + 16) m->cap *= 2;
  m->used = 0;
  m->g = g;
  m->slots = malloc(sizeof(int) * m->cap);
  if (m->slots == NULL) return false;
  for (size_t i = 0; i < m->cap; i++) m->slots[i] = -1;
  return true;
}

static int map_find(const name_map* m, const char* name) {
  for (size_t i = hash_str(name) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    int v = m->slots[i];
    if (v < 0) return -1;
    if (strcmp(m->g->values[v].name, name) == 0) return v;
  }
}

static bool map_put(name_map* m, int v) {
  if (m->used + 1 > m->cap / 2) return false; /* would break the probe bound; cannot happen when sized right */
  size_t i = hash_str(m->g->values[v].name) & (m->cap - 1);
  while (m->slots[i] >= 0) i = (i + 1) & (m->cap - 1);
  m->slots[i] = v;
  m->used++;
  return true;
}

/* Names visible in a graph: its own, then those of the graphs enclosing it (an If branch reads
 * outer values by name; sibling branches may reuse a name, a branch may not redefine an outer
 * one). */
typedef struct scope {
  name_map names;
  const struct scope* parent;
} scope;

static int scope_find(const scope* s, const char* name) {
  for (; s; s = s->parent) {
    int v = map_find(&s->names, name);
    if (v >= 0) return v;
  }
  return -1;
}

/* ---- building the IR ---- */

typedef struct load_ctx {
  roof_graph* g;
  const roof_load_options* o;
  ProtobufCAllocator* pb_alloc; /* the decode's allocator: lets raw_data go as soon as it is copied */
  roof_budget* budget;          /* the same allocator's books: raw_data is taken over, not copied */
  scope top;                    /* the main graph's names */
  scope* names;                 /* the graph being loaded (top or a branch) */
  char path[ROOF_PATH_BUF]; /* sanitized, for messages */
} load_ctx;

static roof_status oom(const load_ctx* c, roof_error* err) {
  return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
}

/* Every name kept in the IR ends up in messages and JSON reports: bounded length, UTF-8.
 * (NUL bytes inside protobuf strings were already refused by the pre-scan.) */
static roof_status check_name(const load_ctx* c, const char* name, const char* what, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (name == NULL) return ROOF_OK;
  if (strlen(name) > c->o->max_name_bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: %s '%s': name is longer than %u bytes", c->path, what, ROOF_SAFE(name, nb),
                     c->o->max_name_bytes);
  }
  if (!roof_utf8_valid(name)) {
    return roof_fail(err, ROOF_E_DATA, "%s: %s '%s': name is not valid UTF-8", c->path, what, ROOF_SAFE(name, nb));
  }
  return ROOF_OK;
}

static roof_status add_named_value(load_ctx* c, const char* name, int* out, roof_error* err) {
  int v = roof_graph_add_value(c->g, name);
  if (v < 0) return oom(c, err);
  if (!map_put(&c->names->names, v)) return roof_fail(err, ROOF_E_INTERNAL, "%s: name table is full", c->path);
  *out = v;
  return ROOF_OK;
}

/* The IR holds its own copy now: giving protobuf-c's copy back keeps the peak near one file
 * size instead of two for weight-heavy models. */
static void release_raw_data(load_ctx* c, Onnx__TensorProto* t) {
  if (!t->has_raw_data || t->raw_data.data == NULL) return;
  c->pb_alloc->free(c->pb_alloc->allocator_data, t->raw_data.data);
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_raw_data = 0;
}

static roof_status add_initializer(load_ctx* c, Onnx__TensorProto* t, size_t i, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (t->name == NULL || t->name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: initializer %zu has no name", c->path, i);
  roof_status st = check_name(c, t->name, "tensor", err);
  if (st != ROOF_OK) return st;
  if (scope_find(c->names, t->name) >= 0) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': initializer is defined twice", c->path, ROOF_SAFE(t->name, nb));
  }
  tensor_ctx tc = {.where = c->path, .dir = c->g->dir, .max_bytes = c->o->max_tensor_bytes, .max_rank = c->o->max_rank,
                   .owner = c->budget};
  roof_value tmp;
  st = roof_decode_tensor_proto(t, &tc, &tmp, err);
  if (st != ROOF_OK) return st;
  int v = -1;
  st = add_named_value(c, t->name, &v, err);
  if (st != ROOF_OK) {
    free(tmp.data);
    free(tmp.name);
    return st;
  }
  roof_value* val = &c->g->values[v];
  val->dtype = tmp.dtype;
  val->rank = tmp.rank;
  memcpy(val->dims, tmp.dims, sizeof(val->dims));
  val->data = tmp.data;
  val->nbytes = tmp.nbytes;
  val->flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  free(tmp.name);
  release_raw_data(c, t);
  return ROOF_OK;
}

static roof_status load_initializers(load_ctx* c, Onnx__GraphProto* gp, roof_error* err) {
  if (gp->n_initializer > c->o->max_initializers) {
    return roof_fail(err, ROOF_E_DATA, "%s: %zu initializers exceed the limit of %u", c->path, gp->n_initializer,
                     c->o->max_initializers);
  }
  if (gp->n_sparse_initializer) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: sparse initializers are not supported", c->path);
  }
  for (size_t i = 0; i < gp->n_initializer; i++) {
    roof_status st = add_initializer(c, gp->initializer[i], i, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

/* The kind a TypeProto declares and its tensor element type: a tensor, a sequence of tensors,
 * an optional of either. ROOF_E_DATA for a missing part, ROOF_E_UNSUPPORTED for maps, sparse
 * tensors and deeper nesting. */
roof_status roof_type_proto_kind(const Onnx__TypeProto* tp, int* kind, const Onnx__TypeProto__Tensor** tensor) {
  bool opt = false;
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
    if (tp->optional_type == NULL) return ROOF_E_DATA;
    tp = tp->optional_type->elem_type;
    opt = true;
  }
  bool seq = false;
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE) {
    if (tp->sequence_type == NULL) return ROOF_E_DATA;
    tp = tp->sequence_type->elem_type;
    seq = true;
  }
  if (tp == NULL || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) return ROOF_E_DATA;
  if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) return ROOF_E_UNSUPPORTED;
  if (tp->tensor_type == NULL) return ROOF_E_DATA;
  *kind = opt ? (seq ? ROOF_KIND_OPT_SEQUENCE : ROOF_KIND_OPT_TENSOR) : seq ? ROOF_KIND_SEQUENCE : ROOF_KIND_TENSOR;
  *tensor = tp->tensor_type;
  return ROOF_OK;
}

/* One declared dim of a graph input: a value, or a dynamic dim with its symbolic name. */
static roof_status input_dim(load_ctx* c, const Onnx__ValueInfoProto* vi, const Onnx__TensorShapeProto__Dimension* dim,
                             int d, roof_value* v, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  v->dims[d] = -1;
  if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
    if (dim->dim_value < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': dim %d is negative (%lld)", c->path, ROOF_SAFE(vi->name, nb),
                       d, (long long)dim->dim_value);
    }
    v->dims[d] = dim->dim_value;
    return ROOF_OK;
  }
  const char* p = dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dim->dim_param : NULL;
  if (p == NULL || p[0] == '\0') p = "?";
  roof_status st = check_name(c, p, "dim_param", err);
  if (st != ROOF_OK) return st;
  v->dim_params[d] = strdup(p);
  return v->dim_params[d] ? ROOF_OK : oom(c, err);
}

/* Declared type of a graph input: dtype and dims (dynamic dims keep their dim_param name). */
static roof_status input_type(load_ctx* c, const Onnx__ValueInfoProto* vi, roof_value* v, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  const char* name = ROOF_SAFE(vi->name, nb);
  const Onnx__TypeProto* tp = vi->type;
  if (tp == NULL || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph input has no type", c->path, name);
  }
  int kind = ROOF_KIND_TENSOR;
  const Onnx__TypeProto__Tensor* tt = NULL;
  roof_status st = roof_type_proto_kind(tp, &kind, &tt);
  if (st != ROOF_OK) {
    return roof_fail(err, st, "%s: tensor '%s': graph input of %s type (rooftop takes tensors, sequences of tensors and "
                     "optionals of either)", c->path, name, st == ROOF_E_DATA ? "an incomplete" : "a map, sparse or nested");
  }
  v->dtype = tt->has_elem_type ? tt->elem_type : 0;
  if (v->dtype == 0) return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph input has no element type", c->path, name);
  if (roof_dtype_size(v->dtype) == 0) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': graph input type %d (%s) is not supported", c->path, name,
                     v->dtype, roof_dtype_name(v->dtype));
  }
  if (kind != ROOF_KIND_TENSOR) { /* a run-time object: the element shapes come with each run */
    v->kind = kind;
    v->rank = 0;
    bool fixed = tt->shape && tt->shape->n_dim <= c->o->max_rank;
    for (size_t d = 0; fixed && d < tt->shape->n_dim; d++) {
      const Onnx__TensorShapeProto__Dimension* dim = tt->shape->dim[d];
      fixed = dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value >= 0;
      if (fixed) v->dims[d] = dim->dim_value;
    }
    if (fixed) { /* every element has this declared shape (checked when it is read as a tensor) */
      v->rank = (int)tt->shape->n_dim;
      v->flags |= ROOF_VAL_ELEM_SHAPE;
    }
    return ROOF_OK;
  }
  if (tt->shape == NULL) return ROOF_OK; /* rank unknown: it must come from --shape */
  if (tt->shape->n_dim > c->o->max_rank) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': rank %zu exceeds the maximum of %u", c->path, name,
                     tt->shape->n_dim, c->o->max_rank);
  }
  v->rank = (int)tt->shape->n_dim;
  for (int d = 0; d < v->rank; d++) {
    roof_status st = input_dim(c, vi, tt->shape->dim[d], d, v, err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

static roof_status load_inputs(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  c->g->inputs = malloc(sizeof(int) * (gp->n_input + 1));
  if (c->g->inputs == NULL) return oom(c, err);
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto* vi = gp->input[i];
    if (vi->name == NULL || vi->name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: graph input %zu has no name", c->path, i);
    roof_status st = check_name(c, vi->name, "tensor", err);
    if (st != ROOF_OK) return st;
    int v = scope_find(c->names, vi->name);
    if (v >= 0 && (c->g->values[v].flags & ROOF_VAL_INITIALIZER)) continue; /* IR < 4: initializers listed as inputs */
    if (v >= 0) return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph input is listed twice", c->path, ROOF_SAFE(vi->name, nb));
    if ((st = add_named_value(c, vi->name, &v, err)) != ROOF_OK) return st;
    c->g->values[v].flags = ROOF_VAL_GRAPH_INPUT;
    c->g->inputs[c->g->num_inputs++] = v;
    if ((st = input_type(c, vi, &c->g->values[v], err)) != ROOF_OK) return st;
  }
  return ROOF_OK;
}

/* Old exporters leave AttributeProto.type unset; the field that is present tells it. */
static roof_attr_type attr_type(const Onnx__AttributeProto* a) {
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) return (roof_attr_type)a->type;
  if (a->n_floats) return ROOF_ATTR_FLOATS;
  if (a->n_ints) return ROOF_ATTR_INTS;
  if (a->n_strings) return ROOF_ATTR_STRINGS;
  if (a->t) return ROOF_ATTR_TENSOR;
  if (a->tp) return ROOF_ATTR_TYPE_PROTO;
  if (a->g || a->n_graphs) return (roof_attr_type)ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (a->has_f) return ROOF_ATTR_FLOAT;
  if (a->has_i) return ROOF_ATTR_INT;
  if (a->has_s) return ROOF_ATTR_STRING;
  return ROOF_ATTR_UNDEFINED;
}

static roof_status attr_tensor(load_ctx* c, const roof_node* n, const Onnx__AttributeProto* a, roof_attr* out,
                               roof_error* err) {
  char nb[ROOF_NAME_BUF], ob[ROOF_NAME_BUF], ab[ROOF_NAME_BUF], where[sizeof(c->path) + 3 * ROOF_NAME_BUF + 48];
  snprintf(where, sizeof(where), "%s: node '%s' (%s): attribute '%s'", c->path, ROOF_SAFE(n->name, nb),
           ROOF_SAFE(n->op_type, ob), ROOF_SAFE(a->name, ab));
  if (a->t == NULL) return roof_fail(err, ROOF_E_DATA, "%s: no tensor given", where);
  out->t = calloc(1, sizeof(roof_value));
  if (out->t == NULL) return oom(c, err);
  tensor_ctx tc = {.where = where, .dir = c->g->dir, .max_bytes = c->o->max_tensor_bytes, .max_rank = c->o->max_rank};
  roof_status st = roof_decode_tensor_proto(a->t, &tc, out->t, err);
  if (st != ROOF_OK) {
    free(out->t);
    out->t = NULL;
    return st;
  }
  out->t->flags = ROOF_VAL_CONST;
  return ROOF_OK;
}

static roof_status copy_attr(load_ctx* c, const roof_node* n, const Onnx__AttributeProto* a, roof_attr* out,
                             roof_error* err) {
  char ab[ROOF_NAME_BUF];
  out->name = strdup(a->name);
  if (out->name == NULL) return oom(c, err);
  out->type = attr_type(a);
  switch (out->type) {
    case ROOF_ATTR_FLOAT: out->f = a->f; return ROOF_OK;
    case ROOF_ATTR_INT: out->i = a->i; return ROOF_OK;
    case ROOF_ATTR_STRING:
      /* protobuf bytes carry no terminator: copy the length and add one */
      if ((out->s = malloc(a->s.len + 1)) == NULL) return oom(c, err);
      if (a->s.len) memcpy(out->s, a->s.data, a->s.len);
      out->s[a->s.len] = '\0';
      out->s_len = a->s.len;
      return ROOF_OK;
    case ROOF_ATTR_FLOATS:
      out->n = a->n_floats;
      if ((out->floats = malloc(sizeof(float) * (a->n_floats + 1))) == NULL) return oom(c, err);
      if (a->n_floats) memcpy(out->floats, a->floats, sizeof(float) * a->n_floats);
      return ROOF_OK;
    case ROOF_ATTR_INTS:
      out->n = a->n_ints;
      if ((out->ints = malloc(sizeof(int64_t) * (a->n_ints + 1))) == NULL) return oom(c, err);
      if (a->n_ints) memcpy(out->ints, a->ints, sizeof(int64_t) * a->n_ints);
      return ROOF_OK;
    case ROOF_ATTR_TENSOR: return attr_tensor(c, n, a, out, err);
    case ROOF_ATTR_STRINGS: /* each protobuf bytes field copied with a terminator */
      if ((out->strings = calloc(a->n_strings + 1, sizeof(char*))) == NULL) return oom(c, err);
      for (size_t i = 0; i < a->n_strings; i++, out->n++) {
        if ((out->strings[i] = malloc(a->strings[i].len + 1)) == NULL) return oom(c, err);
        if (a->strings[i].len) memcpy(out->strings[i], a->strings[i].data, a->strings[i].len);
        out->strings[i][a->strings[i].len] = '\0';
      }
      return ROOF_OK;
    case ROOF_ATTR_UNDEFINED:
      return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute '%s' has no type and no value", ROOF_SAFE(a->name, ab));
    default: break;
  }
  bool control = n->domain[0] == '\0' &&
                 (strcmp(n->op_type, "If") == 0 || strcmp(n->op_type, "Loop") == 0 || strcmp(n->op_type, "Scan") == 0);
  if ((int)out->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO) { /* Optional's `type` */
    int kind = ROOF_KIND_TENSOR;
    const Onnx__TypeProto__Tensor* tt = NULL;
    roof_status st = roof_type_proto_kind(a->tp, &kind, &tt);
    if (st != ROOF_OK || !tt->has_elem_type || roof_dtype_size(tt->elem_type) == 0) {
      return roof_node_fail(err, st != ROOF_OK ? st : ROOF_E_DATA, c->g, n, "attribute '%s' must name a tensor or a sequence "
                            "of tensors with a known element type", ROOF_SAFE(a->name, ab));
    }
    out->i = kind;
    out->t_dtype = tt->elem_type;
    return ROOF_OK;
  }
  if (out->type == ROOF_ATTR_GRAPH && control) {
    if (a->g == NULL) return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute '%s' holds no graph", ROOF_SAFE(a->name, ab));
    return ROOF_OK; /* loaded by load_branch once the enclosing graph's nodes are wired */
  }
  if ((int)out->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ||
      (int)out->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, c->g, n, "attribute '%s' holds %s (only If branches and Loop and Scan bodies are supported)",
                          ROOF_SAFE(a->name, ab), control ? "a list of graphs" : "a subgraph");
  }
  return roof_node_fail(err, ROOF_E_UNSUPPORTED, c->g, n, "attribute '%s' has type %d (tensor lists, sparse tensors and type protos are not supported)",
                        ROOF_SAFE(a->name, ab), (int)out->type);
}

static roof_status load_attrs(load_ctx* c, const Onnx__NodeProto* np, roof_node* n, roof_error* err) {
  char ab[ROOF_NAME_BUF];
  n->attrs = calloc(np->n_attribute + 1, sizeof(roof_attr));
  if (n->attrs == NULL) return oom(c, err);
  for (size_t a = 0; a < np->n_attribute; a++) {
    const Onnx__AttributeProto* ap = np->attribute[a];
    if (ap->name == NULL || ap->name[0] == '\0') return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute %zu has no name", a);
    roof_status st = check_name(c, ap->name, "attribute", err);
    if (st != ROOF_OK) return st;
    if (roof_node_attr(n, ap->name)) {
      return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute '%s' is given twice", ROOF_SAFE(ap->name, ab));
    }
    if (ap->ref_attr_name && ap->ref_attr_name[0]) {
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, c->g, n, "attribute '%s' refers to a function attribute",
                            ROOF_SAFE(ap->name, ab));
    }
    n->num_attrs = (int)a + 1;
    if ((st = copy_attr(c, n, ap, &n->attrs[a], err)) != ROOF_OK) return st;
  }
  return ROOF_OK;
}

static const char* node_domain(const Onnx__NodeProto* np) {
  if (np->domain == NULL || strcmp(np->domain, "ai.onnx") == 0) return ""; /* both name the default domain */
  return np->domain;
}

/* The name a node gets in the IR (and in messages): its own, or "<op_type>_<index>". */
static const char* node_name(const Onnx__NodeProto* np, size_t index, char* buf, size_t n) {
  if (np->name && np->name[0]) return np->name;
  snprintf(buf, n, "%.60s_%zu", np->op_type ? np->op_type : "", index);
  return buf;
}

/* Sweep 1: the node, its outputs and attributes. Inputs are wired in sweep 2, so nodes may be
 * listed in any order and a cycle is reported as a cycle, not as an undefined input. */
static roof_status declare_node(load_ctx* c, const Onnx__NodeProto* np, size_t index, roof_error* err) {
  char nb[ROOF_NAME_BUF], synth[96];
  const char* op = np->op_type; /* non-empty: check_ops ran */
  roof_status st = check_name(c, op, "op_type", err);
  if (st == ROOF_OK) st = check_name(c, np->name, "node", err);
  if (st == ROOF_OK) st = check_name(c, np->domain, "domain", err);
  if (st != ROOF_OK) return st;
  const char* name = node_name(np, index, synth, sizeof(synth));
  int node = roof_graph_add_node(c->g, name, op, node_domain(np), NULL, 0, NULL, 0);
  if (node < 0) return oom(c, err);
  int* outs = malloc(sizeof(int) * (np->n_output + 1));
  if (outs == NULL) return oom(c, err);
  free(c->g->nodes[node].outputs);
  c->g->nodes[node].outputs = outs;
  for (size_t o = 0; o < np->n_output; o++) {
    const char* out = np->output[o];
    outs[o] = -1;
    c->g->nodes[node].num_outputs = (int)o + 1;
    if (out == NULL || out[0] == '\0') continue; /* optional output not requested */
    if ((st = check_name(c, out, "tensor", err)) != ROOF_OK) return st;
    if (scope_find(c->names, out) >= 0) {
      return roof_node_fail(err, ROOF_E_DATA, c->g, &c->g->nodes[node],
                            "tensor '%s': output is already produced by another node, a graph input or an initializer",
                            ROOF_SAFE(out, nb));
    }
    if ((st = add_named_value(c, out, &outs[o], err)) != ROOF_OK) return st;
  }
  return load_attrs(c, np, &c->g->nodes[node], err);
}

static roof_status wire_node(load_ctx* c, const Onnx__NodeProto* np, int node, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  roof_node* n = &c->g->nodes[node];
  int* ins = malloc(sizeof(int) * (np->n_input + 1));
  if (ins == NULL) return oom(c, err);
  free(n->inputs);
  n->inputs = ins;
  for (size_t i = 0; i < np->n_input; i++) {
    const char* in = np->input[i];
    ins[i] = -1;
    n->num_inputs = (int)i + 1;
    if (in == NULL || in[0] == '\0') continue; /* optional input omitted */
    ins[i] = scope_find(c->names, in);
    if (ins[i] < 0) {
      return roof_node_fail(err, ROOF_E_DATA, c->g, n,
                            "tensor '%s': input %zu is not produced by any node, graph input or initializer",
                            ROOF_SAFE(in, nb), i);
    }
  }
  return ROOF_OK;
}

static roof_status load_nodes(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err);

/* The formal inputs of a Loop or Scan body: values of the body's scope (their types come from
 * the enclosing node when the body is planned: runtime/control.c), listed in the attribute. */
static roof_status load_body_inputs(load_ctx* c, roof_attr* at, const Onnx__GraphProto* sub, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if ((at->graph_inputs = malloc(sizeof(int) * (sub->n_input + 1))) == NULL) return oom(c, err);
  for (size_t i = 0; i < sub->n_input; i++) {
    const char* name = sub->input[i] ? sub->input[i]->name : NULL;
    if (name == NULL || name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: body input %zu has no name", c->path, i);
    roof_status st = check_name(c, name, "tensor", err);
    if (st != ROOF_OK) return st;
    if (map_find(&c->names->names, name) >= 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': body input is listed twice", c->path, ROOF_SAFE(name, nb));
    }
    int v = -1;
    if ((st = add_named_value(c, name, &v, err)) != ROOF_OK) return st;
    at->graph_inputs[at->num_graph_inputs++] = v;
  }
  return ROOF_OK;
}

/* An If branch or a Loop/Scan body: its inputs (bodies only), initializers and nodes join the
 * graph in a scope of their own; its direct nodes stay dormant (removed, branch_of = the node)
 * until if_fold.c decides the If or control.c plans the subgraph. The attribute keeps the value
 * indices of the branch's outputs (and of the body's inputs). */
static roof_status load_branch(load_ctx* c, int node, int a, Onnx__GraphProto* sub, int which, roof_error* err) {
  char ab[ROOF_NAME_BUF], nb[ROOF_NAME_BUF];
  const char* attr = ROOF_SAFE(c->g->nodes[node].attrs[a].name, ab);
  bool is_if = strcmp(c->g->nodes[node].op_type, "If") == 0;
  if (sub->n_input && is_if) {
    return roof_node_fail(err, ROOF_E_DATA, c->g, &c->g->nodes[node], "attribute '%s': an If branch takes no inputs (%zu declared)",
                          attr, sub->n_input);
  }
  size_t nv = sub->n_initializer + sub->n_input;
  for (size_t i = 0; i < sub->n_node; i++) nv += sub->node[i]->n_output;
  scope s = {.parent = c->names};
  if (!map_init(&s.names, c->g, nv)) return oom(c, err);
  scope* outer = c->names;
  c->names = &s;
  int first = c->g->num_nodes;
  roof_status st = is_if ? ROOF_OK : load_body_inputs(c, &c->g->nodes[node].attrs[a], sub, err);
  if (st == ROOF_OK) st = load_initializers(c, sub, err);
  if (st == ROOF_OK) st = load_nodes(c, sub, err);
  for (size_t i = 0; st == ROOF_OK && i < sub->n_node; i++) { /* its direct nodes come first */
    roof_node* m = &c->g->nodes[first + (int)i];
    m->removed = true;
    m->branch_of = node + 1;
    m->branch = which;
  }
  roof_attr* at = &c->g->nodes[node].attrs[a];
  if (st == ROOF_OK && (at->ints = malloc(sizeof(int64_t) * (sub->n_output + 1))) == NULL) st = oom(c, err);
  for (size_t o = 0; st == ROOF_OK && o < sub->n_output; o++, at->n++) {
    const char* name = sub->output[o]->name;
    int v = name && name[0] ? scope_find(c->names, name) : -1;
    if (v < 0) {
      st = roof_node_fail(err, ROOF_E_DATA, c->g, &c->g->nodes[node],
                          "attribute '%s': branch output '%s' is never produced (no node of the branch, input, outer value or initializer)",
                          attr, ROOF_SAFE(name ? name : "", nb));
    }
    at->ints[o] = v;
  }
  c->names = outer;
  free(s.names.slots);
  return st;
}

static roof_status load_branches(load_ctx* c, const Onnx__GraphProto* gp, int first, roof_error* err) {
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* np = gp->node[i];
    for (size_t a = 0; a < np->n_attribute; a++) {
      const roof_attr* at = &c->g->nodes[first + (int)i].attrs[a];
      if (at->type != ROOF_ATTR_GRAPH) continue;
      roof_status st = load_branch(c, first + (int)i, (int)a, np->attribute[a]->g, strcmp(at->name, "else_branch") == 0, err);
      if (st != ROOF_OK) return st;
    }
  }
  return ROOF_OK;
}

static roof_status load_nodes(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  roof_status st = ROOF_OK;
  int first = c->g->num_nodes;
  for (size_t i = 0; i < gp->n_node && st == ROOF_OK; i++) st = declare_node(c, gp->node[i], i, err);
  for (size_t i = 0; i < gp->n_node && st == ROOF_OK; i++) st = wire_node(c, gp->node[i], first + (int)i, err);
  if (st == ROOF_OK) st = load_branches(c, gp, first, err);
  c->g->num_original_nodes = c->g->num_nodes;
  return st;
}

static roof_status load_outputs(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (gp->n_output == 0) return roof_fail(err, ROOF_E_DATA, "%s: graph has no outputs", c->path);
  c->g->outputs = malloc(sizeof(int) * (gp->n_output + 1));
  if (c->g->outputs == NULL) return oom(c, err);
  for (size_t i = 0; i < gp->n_output; i++) {
    const char* name = gp->output[i]->name;
    if (name == NULL || name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: graph output %zu has no name", c->path, i);
    int v = scope_find(c->names, name);
    if (v < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph output is never produced (no node, graph input or initializer)",
                       c->path, ROOF_SAFE(name, nb));
    }
    c->g->values[v].flags |= ROOF_VAL_GRAPH_OUTPUT;
    c->g->outputs[c->g->num_outputs++] = v;
  }
  return ROOF_OK;
}

/* Default-domain opset; 0 when the model imports none (then no node may use that domain). */
static roof_status load_opset(load_ctx* c, const Onnx__ModelProto* mp, roof_error* err) {
  c->g->opset = 0;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto* os = mp->opset_import[i];
    if (os->domain == NULL || os->domain[0] == '\0' || strcmp(os->domain, "ai.onnx") == 0) {
      if (!os->has_version || os->version < 1) {
        return roof_fail(err, ROOF_E_DATA, "%s: opset_import for the default domain has no valid version", c->path);
      }
      c->g->opset = os->version;
    }
  }
  c->g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
  if (mp->producer_name && mp->producer_name[0]) {
    roof_status st = check_name(c, mp->producer_name, "producer", err);
    if (st != ROOF_OK) return st;
    if ((c->g->producer = strdup(mp->producer_name)) == NULL) return oom(c, err);
  }
  return ROOF_OK;
}

/* A default-domain node needs a default-domain opset_import (other domains are unknown ops). */
static roof_status check_opset_use(const load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF], ob[ROOF_NAME_BUF], synth[96];
  if (c->g->opset >= 1) return ROOF_OK;
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* np = gp->node[i];
    if (node_domain(np)[0] != '\0') continue;
    return roof_fail(err, ROOF_E_DATA, "%s: node '%s' (%s): uses the default ONNX domain, but the model imports no version of it (opset_import)",
                     c->path, ROOF_SAFE(node_name(np, i, synth, sizeof(synth)), nb), ROOF_SAFE(np->op_type, ob));
  }
  return ROOF_OK;
}

/* An op outside the registry is the most basic refusal (69): it is reported before anything
 * else is validated, so a model using one unsupported feature is not blamed for another. */
/* Every node's op must be known at the model's opset; all that are not are named at once, before
 * any weight is decoded. */
static roof_status check_ops(const load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char synth[96];
  roof_missing_ops missing = {0};
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* np = gp->node[i];
    const char* op = np->op_type ? np->op_type : "";
    const char* dom = node_domain(np);
    if (op[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: node %zu has no op_type", c->path, i);
    if (roof_op_find(dom, op, c->g->opset)) continue;
    roof_missing_add(&missing, op, dom, node_name(np, i, synth, sizeof(synth)), roof_op_known(dom, op));
  }
  return missing.kinds ? roof_missing_fail(c->path, c->g->opset, &missing, err) : ROOF_OK;
}

/* One element of an annotation's SCALE_TENSOR / ZERO_POINT_TENSOR: an initializer of one element
 * (float32 for the scale, an integer type for the zero point). *out written on success. */
static roof_status annotation_tensor(load_ctx* c, const char* tensor, const char* key, const char* name, bool is_scale,
                                     int* out, roof_error* err) {
  char tb[ROOF_NAME_BUF], nb[ROOF_NAME_BUF];
  int v = name ? scope_find(c->names, name) : -1;
  const roof_value* val = v >= 0 ? &c->g->values[v] : NULL;
  uint64_t n = 0;
  bool one = val && roof_value_count(val, &n) && n == 1;
  const char* why = val == NULL || !(val->flags & ROOF_VAL_INITIALIZER) ? "names no initializer"
                    : !one ? "must hold one element (an annotation carries no axis for per-axis parameters)"
                    : is_scale && val->dtype != ROOF_DT_FLOAT ? "must be float32"
                    : !is_scale && (roof_dtype_is_float(val->dtype) || !roof_dtype_has_scalar_io(val->dtype))
                        ? "must be an integer type"
                        : NULL;
  if (why == NULL) {
    *out = v;
    return ROOF_OK;
  }
  return roof_fail(err, val && !one && n > 1 ? ROOF_E_UNSUPPORTED : ROOF_E_DATA,
                   "%s: tensor '%s': quantization annotation %s '%s' %s", c->path, ROOF_SAFE(tensor, tb), key,
                   ROOF_SAFE(name ? name : "", nb), why);
}

/* GraphProto.quantization_annotation: per-tensor scale and zero point of a value, as
 * initializer names under the keys SCALE_TENSOR and ZERO_POINT_TENSOR (zero point optional). */
static roof_status load_quant_annotations(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char tb[ROOF_NAME_BUF];
  for (size_t i = 0; i < gp->n_quantization_annotation; i++) {
    const Onnx__TensorAnnotation* a = gp->quantization_annotation[i];
    if (a == NULL) continue;
    int v = a->tensor_name ? scope_find(c->names, a->tensor_name) : -1;
    if (v < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': quantization annotation names no tensor of the graph", c->path,
                       ROOF_SAFE(a->tensor_name ? a->tensor_name : "", tb));
    }
    int sv = -1, zv = -1;
    for (size_t k = 0; k < a->n_quant_parameter_tensor_names; k++) {
      const Onnx__StringStringEntryProto* e = a->quant_parameter_tensor_names[k];
      if (e == NULL || e->key == NULL) continue;
      bool scale = strcmp(e->key, "SCALE_TENSOR") == 0, zero = strcmp(e->key, "ZERO_POINT_TENSOR") == 0;
      if (!scale && !zero) continue; /* keys rooftop has no use for */
      roof_status st = annotation_tensor(c, a->tensor_name, e->key, e->value, scale, scale ? &sv : &zv, err);
      if (st != ROOF_OK) return st;
    }
    if (sv < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': quantization annotation has no SCALE_TENSOR", c->path,
                       ROOF_SAFE(a->tensor_name, tb));
    }
    roof_value* val = &c->g->values[v];
    float scale = (float)roof_load_f64(ROOF_DT_FLOAT, c->g->values[sv].data, 0);
    int32_t zp = zv >= 0 ? (int32_t)roof_load_i64(c->g->values[zv].dtype, c->g->values[zv].data, 0) : 0;
    const char* why = NULL;
    roof_status st = roof_value_set_quant(val, -1, 1, &scale, &zp, &why);
    if (st != ROOF_OK) {
      return roof_fail(err, st, "%s: tensor '%s': quantization annotation: %s", c->path, ROOF_SAFE(val->name, tb), why);
    }
  }
  return ROOF_OK;
}

/* Nodes of the graph and of every subgraph in its attributes; stops counting past `limit`. The
 * recursion is as deep as the subgraph nesting, which the pre-scan bounded. */
static uint64_t count_nodes(const Onnx__GraphProto* gp, uint64_t limit) {
  uint64_t total = gp->n_node;
  for (size_t i = 0; i < gp->n_node && total <= limit; i++) {
    const Onnx__NodeProto* np = gp->node[i];
    for (size_t a = 0; a < np->n_attribute && total <= limit; a++) {
      const Onnx__AttributeProto* ap = np->attribute[a];
      if (ap->g) total += count_nodes(ap->g, limit);
      for (size_t k = 0; k < ap->n_graphs && total <= limit; k++) total += count_nodes(ap->graphs[k], limit);
    }
  }
  return total;
}

/* Values the graph can hold: initializers + inputs + every node output (sizes the name map). */
static roof_status count_values(const load_ctx* c, const Onnx__GraphProto* gp, size_t* n, roof_error* err) {
  size_t total = gp->n_initializer + gp->n_input;
  for (size_t i = 0; i < gp->n_node; i++) total += gp->node[i]->n_output;
  if (total > INT_MAX / 4) return roof_fail(err, ROOF_E_DATA, "%s: %zu tensors exceed the limit", c->path, total);
  *n = total;
  return ROOF_OK;
}

static roof_status build_graph(load_ctx* c, const Onnx__ModelProto* mp, roof_error* err) {
  Onnx__GraphProto* gp = mp->graph;
  if (gp == NULL) return roof_fail(err, ROOF_E_DATA, "%s: model has no graph", c->path);
  roof_status st = load_opset(c, mp, err);
  if (st == ROOF_OK) st = check_opset_use(c, gp, err);
  if (st == ROOF_OK && !c->o->keep_unsupported) st = check_ops(c, gp, err);
  if (st != ROOF_OK) return st;
  uint64_t nodes = count_nodes(gp, c->o->max_nodes);
  if (nodes > c->o->max_nodes) { /* before walking the nodes to count their outputs */
    return roof_fail(err, ROOF_E_DATA, "%s: %llu nodes (If branches and Loop/Scan bodies included) exceed the limit of %u", c->path,
                     (unsigned long long)nodes, c->o->max_nodes);
  }
  size_t nvalues = 0;
  if ((st = count_values(c, gp, &nvalues, err)) != ROOF_OK) return st;
  c->names = &c->top;
  if (!map_init(&c->top.names, c->g, nvalues)) return oom(c, err);
  st = load_initializers(c, gp, err);
  if (st == ROOF_OK) st = load_inputs(c, gp, err);
  if (st == ROOF_OK) st = load_nodes(c, gp, err);
  if (st == ROOF_OK) st = load_outputs(c, gp, err);
  if (st == ROOF_OK) st = load_quant_annotations(c, gp, err);
  if (st == ROOF_OK) st = roof_control_link(c->g, err);
  return st;
}

/* `dir` NULL: the graph has no directory and external data is refused. */
static roof_status new_graph(load_ctx* c, const char* path, const char* dir, roof_error* err) {
  c->g = roof_graph_new();
  if (c->g == NULL || (c->g->path = strdup(path)) == NULL) return oom(c, err);
  if (dir == NULL) return ROOF_OK;
  char* tmp = strdup(dir);
  if (tmp == NULL) return oom(c, err);
  c->g->dir = strdup(dirname(tmp));
  free(tmp);
  return c->g->dir ? ROOF_OK : oom(c, err);
}

/* Decode + build + validate. `owned` (NULL, or `data` itself when the caller hands it over) is
 * freed right after decoding: protobuf-c copied what it keeps, so the peak stays near one file. */
static roof_status load_from_bytes(const uint8_t* data, size_t len, uint8_t* owned, const char* path, const char* dir,
                                   const roof_load_options* o, roof_graph** out, roof_error* err) {
  load_ctx c = {0};
  c.o = o;
  ROOF_SAFE(path, c.path);
  ProtobufCMessage* msg = NULL;
  roof_budget budget;
  roof_status st = len == 0 ? roof_fail(err, ROOF_E_DATA, "%s: empty: not an ONNX model", c.path) : ROOF_OK;
  if (st == ROOF_OK) st = roof_pb_unpack(&onnx__model_proto__descriptor, data, len, o, c.path, &budget, &msg, err);
  free(owned);
  if (st == ROOF_OK) st = new_graph(&c, path, dir, err);
  if (st == ROOF_OK) c.g->keep_unbound = o->keep_unsupported;
  c.pb_alloc = &budget.allocator;
  c.budget = &budget;
  if (st == ROOF_OK) st = build_graph(&c, (const Onnx__ModelProto*)msg, err);
  if (msg) protobuf_c_message_free_unpacked(msg, &budget.allocator);
  if (st == ROOF_OK) st = roof_graph_toposort(c.g, err); /* a cycle is invalid data (65) */
  if (st == ROOF_OK) st = roof_graph_bind_ops(c.g, err);  /* descriptors + attribute parsing */
  if (st == ROOF_OK) {
    *out = c.g;
    c.g = NULL;
  }
  free(c.top.names.slots);
  roof_graph_free(c.g);
  return st;
}

roof_status roof_load_graph(const char* path, const roof_load_options* opts, roof_graph** out, roof_error* err) {
  if (path == NULL || out == NULL) return roof_fail(err, ROOF_E_USAGE, "roof_load_graph: NULL argument");
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  uint8_t* data = NULL;
  size_t len = 0;
  roof_status st = roof_read_file(path, o.max_file_bytes, "an ONNX model", &data, &len, err);
  if (st != ROOF_OK) return st;
  return load_from_bytes(data, len, data, path, path, &o, out, err);
}

roof_status roof_load_graph_mem(const void* data, size_t len, const char* name, const roof_load_options* opts,
                                roof_graph** out, roof_error* err) {
  if ((data == NULL && len > 0) || name == NULL || out == NULL) {
    return roof_fail(err, ROOF_E_USAGE, "roof_load_graph_mem: NULL argument");
  }
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  char pb[ROOF_PATH_BUF];
  if ((uint64_t)len > o.max_file_bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: model of %zu bytes exceeds the limit of %llu bytes", ROOF_SAFE(name, pb), len,
                     (unsigned long long)o.max_file_bytes);
  }
  return load_from_bytes(data, len, NULL, name, NULL, &o, out, err);
}
