/* ONNX model loading: file -> validated graph IR. See loader.h for the contract. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  *out = o;
}

/* ---- budgeted allocator: protobuf-c allocations counted against a limit ---- */

static void* budget_alloc(void* ctx, size_t size) {
  roof_budget* b = ctx;
  if (size > b->limit - b->used) {
    b->exceeded = true;
    return NULL;
  }
  size_t* p = malloc(size + sizeof(size_t) * 2); /* header keeps the size for free; 16-byte aligned */
  if (p == NULL) return NULL;
  p[0] = size;
  b->used += size;
  return p + 2;
}

static void budget_free(void* ctx, void* ptr) {
  if (ptr == NULL) return;
  roof_budget* b = ctx;
  size_t* p = (size_t*)ptr - 2;
  b->used -= p[0];
  free(p);
}

void roof_budget_init(roof_budget* b, uint64_t limit) {
  memset(b, 0, sizeof(*b));
  b->limit = limit;
  b->allocator.alloc = budget_alloc;
  b->allocator.free = budget_free;
  b->allocator.allocator_data = b;
}

roof_status roof_read_file(const char* path, uint64_t max_bytes, uint8_t** data, size_t* len, roof_error* err) {
  char pb[ROOF_NAME_BUF * 2];
  const char* p = ROOF_SAFE(path, pb);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* NONBLOCK: a FIFO must not hang the open */
  if (fd < 0) return roof_fail(err, ROOF_E_NOINPUT, "%s: cannot open: %s", p, strerror(errno));
  struct stat sb;
  roof_status st = ROOF_OK;
  uint8_t* buf = NULL;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    st = roof_fail(err, ROOF_E_NOINPUT, "%s: not a regular file", p);
    goto done;
  }
  if (sb.st_size == 0) {
    st = roof_fail(err, ROOF_E_DATA, "%s: empty file: not an ONNX model", p);
    goto done;
  }
  if ((uint64_t)sb.st_size > max_bytes) {
    st = roof_fail(err, ROOF_E_DATA, "%s: file of %lld bytes exceeds the limit of %llu bytes", p,
                   (long long)sb.st_size, (unsigned long long)max_bytes);
    goto done;
  }
  buf = malloc((size_t)sb.st_size);
  if (buf == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: cannot allocate %lld bytes", p, (long long)sb.st_size);
    goto done;
  }
  size_t got = 0;
  while (got < (size_t)sb.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      st = roof_fail(err, ROOF_E_NOINPUT, "%s: read failed after %zu bytes", p, got);
      goto done;
    }
    got += (size_t)r;
  }
  *data = buf;
  *len = got;
  buf = NULL;
done:
  free(buf);
  close(fd);
  return st;
}

/* ---- name -> value index, open addressing (models reach 100k values) ---- */

typedef struct name_map {
  int* slots;
  size_t cap;
  const roof_graph* g;
} name_map;

static uint64_t hash_str(const char* s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static bool map_init(name_map* m, const roof_graph* g, size_t expected) {
  m->cap = 64;
  while (m->cap < expected * 2 + 16) m->cap *= 2;
  m->slots = malloc(sizeof(int) * m->cap);
  m->g = g;
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

static void map_put(name_map* m, int v) {
  size_t i = hash_str(m->g->values[v].name) & (m->cap - 1);
  while (m->slots[i] >= 0) i = (i + 1) & (m->cap - 1);
  m->slots[i] = v;
}

/* ---- building the IR ---- */

typedef struct load_ctx {
  roof_graph* g;
  const roof_load_options* o;
  name_map names;
  char path[ROOF_NAME_BUF * 2]; /* sanitized, for messages */
} load_ctx;

static roof_status check_name(load_ctx* c, const char* name, const char* what, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (name && strlen(name) > c->o->max_name_bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: %s '%s' is longer than %u bytes", c->path, what, ROOF_SAFE(name, nb),
                     c->o->max_name_bytes);
  }
  if (name && !roof_utf8_valid(name)) {
    return roof_fail(err, ROOF_E_DATA, "%s: %s '%s' is not valid UTF-8", c->path, what, ROOF_SAFE(name, nb));
  }
  return ROOF_OK;
}

static roof_status add_named_value(load_ctx* c, const char* name, int* out, roof_error* err) {
  int v = roof_graph_add_value(c->g, name);
  if (v < 0) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  map_put(&c->names, v);
  *out = v;
  return ROOF_OK;
}

static roof_status load_initializers(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (gp->n_initializer > c->o->max_initializers) {
    return roof_fail(err, ROOF_E_DATA, "%s: %zu initializers exceed the limit of %u", c->path, gp->n_initializer,
                     c->o->max_initializers);
  }
  if (gp->n_sparse_initializer) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: sparse initializers are not supported", c->path);
  }
  tensor_ctx tc = {.where = c->path, .dir = c->g->dir, .max_bytes = c->o->max_tensor_bytes};
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto* t = gp->initializer[i];
    if (t->name == NULL || t->name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: initializer %zu has no name", c->path, i);
    roof_status st = check_name(c, t->name, "initializer", err);
    if (st != ROOF_OK) return st;
    if (map_find(&c->names, t->name) >= 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': initializer defined twice", c->path, ROOF_SAFE(t->name, nb));
    }
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
  }
  return ROOF_OK;
}

/* Declared type of a graph input/output: dtype and dims (dim_param names kept). */
static roof_status value_type(load_ctx* c, const Onnx__ValueInfoProto* vi, roof_value* v, bool required,
                              roof_error* err) {
  char nb[ROOF_NAME_BUF];
  const Onnx__TypeProto* tp = vi->type;
  if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || tp->tensor_type == NULL) {
    if (!required) return ROOF_OK;
    return roof_fail(err, tp == NULL ? ROOF_E_DATA : ROOF_E_UNSUPPORTED, "%s: tensor '%s': %s", c->path,
                     ROOF_SAFE(vi->name, nb), tp == NULL ? "graph input has no type" : "only tensor inputs are supported");
  }
  const Onnx__TypeProto__Tensor* tt = tp->tensor_type;
  v->dtype = tt->has_elem_type ? tt->elem_type : 0;
  if (required && roof_dtype_size(v->dtype) == 0) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': input dtype %d is not supported", c->path,
                     ROOF_SAFE(vi->name, nb), v->dtype);
  }
  if (tt->shape == NULL) return ROOF_OK; /* rank unknown: must come from --shape */
  if (tt->shape->n_dim > ROOF_MAX_RANK) {
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': rank %zu exceeds the limit of %d", c->path,
                     ROOF_SAFE(vi->name, nb), tt->shape->n_dim, ROOF_MAX_RANK);
  }
  v->rank = (int)tt->shape->n_dim;
  for (int d = 0; d < v->rank; d++) {
    const Onnx__TensorShapeProto__Dimension* dim = tt->shape->dim[d];
    v->dims[d] = -1;
    if (dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (dim->dim_value < 0) {
        return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': dim %d is negative (%lld)", c->path,
                         ROOF_SAFE(vi->name, nb), d, (long long)dim->dim_value);
      }
      v->dims[d] = dim->dim_value;
    } else {
      const char* p = dim && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM ? dim->dim_param : "?";
      v->dim_params[d] = strdup(p && p[0] ? p : "?");
      if (v->dim_params[d] == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
    }
  }
  return ROOF_OK;
}

static roof_status load_inputs(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  c->g->inputs = malloc(sizeof(int) * (gp->n_input + 1));
  if (c->g->inputs == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto* vi = gp->input[i];
    if (vi->name == NULL || vi->name[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: graph input %zu has no name", c->path, i);
    roof_status st = check_name(c, vi->name, "input", err);
    if (st != ROOF_OK) return st;
    int v = map_find(&c->names, vi->name);
    if (v >= 0 && (c->g->values[v].flags & ROOF_VAL_INITIALIZER)) continue; /* old-style: initializers listed as inputs */
    if (v >= 0) return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph input listed twice", c->path, ROOF_SAFE(vi->name, nb));
    st = add_named_value(c, vi->name, &v, err);
    if (st != ROOF_OK) return st;
    st = value_type(c, vi, &c->g->values[v], true, err);
    if (st != ROOF_OK) return st;
    c->g->values[v].flags = ROOF_VAL_GRAPH_INPUT;
    c->g->inputs[c->g->num_inputs++] = v;
  }
  return ROOF_OK;
}

static roof_status copy_attr(load_ctx* c, const roof_node* n, const Onnx__AttributeProto* a, roof_attr* out,
                             roof_error* err) {
  char ab[ROOF_NAME_BUF];
  if (a->name == NULL || a->name[0] == '\0') return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute without a name");
  out->name = strdup(a->name);
  if (out->name == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  out->type = a->has_type ? (roof_attr_type)a->type : ROOF_ATTR_UNDEFINED;
  if (a->ref_attr_name && a->ref_attr_name[0]) {
    return roof_node_fail(err, ROOF_E_UNSUPPORTED, c->g, n, "attribute '%s' refers to a function attribute",
                          ROOF_SAFE(a->name, ab));
  }
  switch (out->type) {
    case ROOF_ATTR_FLOAT: out->f = a->f; return ROOF_OK;
    case ROOF_ATTR_INT: out->i = a->i; return ROOF_OK;
    case ROOF_ATTR_STRING:
      /* protobuf bytes carry no terminator: copy the length and add one */
      out->s = malloc(a->s.len + 1);
      if (out->s == NULL) break;
      if (a->s.len) memcpy(out->s, a->s.data, a->s.len);
      out->s[a->s.len] = '\0';
      out->s_len = a->s.len;
      return ROOF_OK;
    case ROOF_ATTR_FLOATS:
      out->n = a->n_floats;
      out->floats = malloc(sizeof(float) * (a->n_floats + 1));
      if (out->floats == NULL) break;
      if (a->n_floats) memcpy(out->floats, a->floats, sizeof(float) * a->n_floats);
      return ROOF_OK;
    case ROOF_ATTR_INTS:
      out->n = a->n_ints;
      out->ints = malloc(sizeof(int64_t) * (a->n_ints + 1));
      if (out->ints == NULL) break;
      if (a->n_ints) memcpy(out->ints, a->ints, sizeof(int64_t) * a->n_ints);
      return ROOF_OK;
    case ROOF_ATTR_TENSOR: {
      if (a->t == NULL) return roof_node_fail(err, ROOF_E_DATA, c->g, n, "attribute '%s' has no tensor", ROOF_SAFE(a->name, ab));
      out->t = calloc(1, sizeof(roof_value));
      if (out->t == NULL) break;
      tensor_ctx tc = {.where = c->path, .dir = c->g->dir, .max_bytes = c->o->max_tensor_bytes};
      roof_status st = roof_decode_tensor_proto(a->t, &tc, out->t, err);
      if (st != ROOF_OK) {
        free(out->t);
        out->t = NULL;
      }
      return st;
    }
    case ROOF_ATTR_STRINGS:
      out->n = a->n_strings; /* contents unused by supported ops */
      return ROOF_OK;
    default:
      return roof_node_fail(err, ROOF_E_UNSUPPORTED, c->g, n, "attribute '%s' has unsupported type %d (graphs, sparse tensors and type protos are not supported)",
                            ROOF_SAFE(a->name, ab), (int)out->type);
  }
  return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
}

/* Sweep 1: the node, its outputs and attributes. Inputs are wired in sweep 2, so nodes may be
 * listed in any order and a cycle is reported as a cycle (by the Kahn sort), not as an
 * undefined input. */
static roof_status declare_node(load_ctx* c, const Onnx__NodeProto* np, size_t index, roof_error* err) {
  char nb[ROOF_NAME_BUF], synth[96];
  const char* op = np->op_type ? np->op_type : "";
  if (op[0] == '\0') return roof_fail(err, ROOF_E_DATA, "%s: node %zu has no op_type", c->path, index);
  const char* name = np->name;
  if (name == NULL || name[0] == '\0') {
    snprintf(synth, sizeof(synth), "%.60s_%zu", op, index);
    name = synth;
  }
  roof_status st = check_name(c, name, "node name", err);
  if (st == ROOF_OK) st = check_name(c, op, "op_type", err);
  if (st != ROOF_OK) return st;
  int node = roof_graph_add_node(c->g, name, op, np->domain, NULL, 0, NULL, 0);
  if (node < 0) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  int* outs = malloc(sizeof(int) * (np->n_output + 1));
  if (outs == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  free(c->g->nodes[node].outputs);
  c->g->nodes[node].outputs = outs;
  for (size_t o = 0; o < np->n_output; o++) {
    const char* out = np->output[o];
    outs[o] = -1;
    c->g->nodes[node].num_outputs = (int)o + 1;
    if (out == NULL || out[0] == '\0') continue;
    if ((st = check_name(c, out, "tensor name", err)) != ROOF_OK) return st;
    if (map_find(&c->names, out) >= 0) {
      return roof_node_fail(err, ROOF_E_DATA, c->g, &c->g->nodes[node],
                            "tensor '%s': output is already produced by another node, input or initializer",
                            ROOF_SAFE(out, nb));
    }
    if ((st = add_named_value(c, out, &outs[o], err)) != ROOF_OK) return st;
  }
  roof_node* n = &c->g->nodes[node];
  n->attrs = calloc(np->n_attribute + 1, sizeof(roof_attr));
  if (n->attrs == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  for (size_t a = 0; a < np->n_attribute; a++) {
    n->num_attrs = (int)a + 1;
    st = copy_attr(c, n, np->attribute[a], &n->attrs[a], err);
    if (st != ROOF_OK) return st;
  }
  return ROOF_OK;
}

static roof_status wire_node(load_ctx* c, const Onnx__NodeProto* np, int node, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  roof_node* n = &c->g->nodes[node];
  int* ins = malloc(sizeof(int) * (np->n_input + 1));
  if (ins == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  free(n->inputs);
  n->inputs = ins;
  for (size_t i = 0; i < np->n_input; i++) {
    const char* in = np->input[i];
    ins[i] = -1;
    n->num_inputs = (int)i + 1;
    if (in == NULL || in[0] == '\0') continue;
    ins[i] = map_find(&c->names, in);
    if (ins[i] < 0) {
      return roof_node_fail(err, ROOF_E_DATA, c->g, n, "tensor '%s': input %zu is not produced by any node, input or initializer",
                            ROOF_SAFE(in, nb), i);
    }
  }
  return ROOF_OK;
}

static roof_status load_nodes(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  if (gp->n_node > c->o->max_nodes) {
    return roof_fail(err, ROOF_E_DATA, "%s: %zu nodes exceed the limit of %u", c->path, gp->n_node, c->o->max_nodes);
  }
  roof_status st = ROOF_OK;
  for (size_t i = 0; i < gp->n_node && st == ROOF_OK; i++) st = declare_node(c, gp->node[i], i, err);
  for (size_t i = 0; i < gp->n_node && st == ROOF_OK; i++) st = wire_node(c, gp->node[i], (int)i, err);
  c->g->num_original_nodes = c->g->num_nodes;
  return st;
}

static roof_status load_outputs(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char nb[ROOF_NAME_BUF];
  if (gp->n_output == 0) return roof_fail(err, ROOF_E_DATA, "%s: graph has no outputs", c->path);
  c->g->outputs = malloc(sizeof(int) * (gp->n_output + 1));
  if (c->g->outputs == NULL) return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  for (size_t i = 0; i < gp->n_output; i++) {
    const char* name = gp->output[i]->name;
    int v = name ? map_find(&c->names, name) : -1;
    if (v < 0) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': graph output is never produced", c->path, ROOF_SAFE(name, nb));
    }
    c->g->values[v].flags |= ROOF_VAL_GRAPH_OUTPUT;
    c->g->outputs[c->g->num_outputs++] = v;
  }
  return ROOF_OK;
}

static roof_status load_opset(load_ctx* c, const Onnx__ModelProto* mp, roof_error* err) {
  c->g->opset = -1;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto* os = mp->opset_import[i];
    if (os && (os->domain == NULL || os->domain[0] == '\0' || strcmp(os->domain, "ai.onnx") == 0)) {
      c->g->opset = os->has_version ? os->version : 1;
    }
  }
  if (c->g->opset < 1) {
    /* valid ONNX may use other domains only (training ops); nothing here can run it */
    return roof_fail(err, mp->n_opset_import ? ROOF_E_UNSUPPORTED : ROOF_E_DATA,
                     "%s: model imports no default-domain (ai.onnx) opset", c->path);
  }
  c->g->ir_version = mp->has_ir_version ? mp->ir_version : 0;
  return ROOF_OK;
}

/* An op outside the registry is the most basic refusal: report it before anything else. */
static roof_status check_ops(load_ctx* c, const Onnx__GraphProto* gp, roof_error* err) {
  char ob[ROOF_NAME_BUF], db[ROOF_NAME_BUF], nb[ROOF_NAME_BUF];
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto* np = gp->node[i];
    const char* op = np->op_type ? np->op_type : "";
    const char* dom = np->domain ? np->domain : "";
    if (roof_op_find(dom, op, c->g->opset)) continue;
    const char* name = np->name && np->name[0] ? np->name : op;
    if (roof_op_known(dom, op)) {
      return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: node '%s' (%s): op is not supported at opset %lld", c->path,
                       ROOF_SAFE(name, nb), ROOF_SAFE(op, ob), (long long)c->g->opset);
    }
    return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: node '%s' (%s): unknown op (domain '%s'); `rooftop ops` lists the supported ones",
                     c->path, ROOF_SAFE(name, nb), ROOF_SAFE(op, ob), ROOF_SAFE(dom, db));
  }
  return ROOF_OK;
}

static roof_status build_graph(load_ctx* c, const Onnx__ModelProto* mp, roof_error* err) {
  const Onnx__GraphProto* gp = mp->graph;
  if (gp == NULL) return roof_fail(err, ROOF_E_DATA, "%s: model has no graph", c->path);
  if (!map_init(&c->names, c->g, gp->n_initializer + gp->n_input + gp->n_node * 2 + 16)) {
    return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c->path);
  }
  roof_status st = load_opset(c, mp, err);
  if (st == ROOF_OK) st = check_ops(c, gp, err);
  if (st == ROOF_OK) st = load_initializers(c, gp, err);
  if (st == ROOF_OK) st = load_inputs(c, gp, err);
  if (st == ROOF_OK) st = load_nodes(c, gp, err);
  if (st == ROOF_OK) st = load_outputs(c, gp, err);
  if (st == ROOF_OK && mp->producer_name) c->g->producer = strdup(mp->producer_name);
  return st;
}

roof_status roof_load_graph(const char* path, const roof_load_options* opts, roof_graph** out, roof_error* err) {
  roof_load_options o;
  roof_load_options_resolve(opts, &o);
  load_ctx c = {0};
  c.o = &o;
  ROOF_SAFE(path, c.path);
  uint8_t* data = NULL;
  size_t len = 0;
  Onnx__ModelProto* mp = NULL;
  roof_budget budget;
  roof_status st = roof_read_file(path, o.max_file_bytes, &data, &len, err);
  if (st != ROOF_OK) return st;
  pb_scan_result sr = roof_pb_scan(data, len, PB_ROOT_MODEL, o.max_nesting_depth);
  if (sr != PB_SCAN_OK) {
    st = sr == PB_SCAN_NOMEM ? roof_fail(err, ROOF_E_NOMEM, "%s: out of memory scanning", c.path)
         : sr == PB_SCAN_TOO_DEEP
             ? roof_fail(err, ROOF_E_DATA, "%s: protobuf messages nest deeper than the limit of %u", c.path, o.max_nesting_depth)
             : roof_fail(err, ROOF_E_DATA, "%s: not an ONNX model (malformed protobuf)", c.path);
    goto done;
  }
  roof_budget_init(&budget, (uint64_t)len * o.decode_budget_factor + ((uint64_t)64 << 20));
  mp = onnx__model_proto__unpack(&budget.allocator, len, data);
  if (mp == NULL) {
    st = roof_fail(err, ROOF_E_DATA, "%s: %s", c.path,
                   budget.exceeded ? "decoding exceeds the allocation budget" : "not an ONNX model (protobuf decode failed)");
    goto done;
  }
  c.g = roof_graph_new();
  if (c.g == NULL || (c.g->path = strdup(path)) == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c.path);
    goto done;
  }
  char* tmp = strdup(path);
  c.g->dir = tmp ? strdup(dirname(tmp)) : NULL;
  free(tmp);
  if (c.g->dir == NULL) {
    st = roof_fail(err, ROOF_E_NOMEM, "%s: out of memory", c.path);
    goto done;
  }
  st = build_graph(&c, mp, err);
  if (st == ROOF_OK) st = roof_graph_bind_ops(c.g, err);
  if (st == ROOF_OK) {
    *out = c.g;
    c.g = NULL;
  }
done:
  if (mp) onnx__model_proto__free_unpacked(mp, &budget.allocator);
  free(data);
  free(c.names.slots);
  roof_graph_free(c.g);
  return st;
}
