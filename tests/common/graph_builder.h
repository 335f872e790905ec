/* A tiny in-memory graph builder for the C tests (header-only, static functions): values,
 * seeded random constants, nodes with attributes, graph inputs and outputs. */
#ifndef ROOF_TEST_GRAPH_BUILDER_H
#define ROOF_TEST_GRAPH_BUILDER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct rng { uint64_t s; } rng;
static inline uint64_t next(rng* r) {
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline int irand(rng* r, int lo, int hi) { return lo + (int)(next(r) % (uint64_t)(hi - lo + 1)); }
static inline float frand(rng* r) { return (float)((double)(next(r) >> 11) / 9007199254740992.0 * 2.0 - 1.0); }


typedef struct builder {
  roof_graph* g;
  rng* r;
  const char* label;
} builder;

static inline int value(builder* b, const char* name, int rank, const int64_t* dims) {
  int v = roof_graph_add_value(b->g, name);
  roof_value_set_shape(&b->g->values[v], ROOF_DT_FLOAT, rank, dims);
  return v;
}

static inline int input(builder* b, const char* name, int rank, const int64_t* dims) {
  int v = value(b, name, rank, dims);
  b->g->values[v].flags = ROOF_VAL_GRAPH_INPUT;
  b->g->inputs = realloc(b->g->inputs, sizeof(int) * (size_t)(b->g->num_inputs + 1));
  b->g->inputs[b->g->num_inputs++] = v;
  return v;
}

static inline int constant(builder* b, const char* name, int rank, const int64_t* dims) {
  int v = value(b, name, rank, dims);
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) n *= (uint64_t)dims[i];
  float* d = malloc(sizeof(float) * (n ? n : 1));
  for (uint64_t i = 0; i < n; i++) d[i] = frand(b->r);
  b->g->values[v].data = d;
  b->g->values[v].nbytes = n * sizeof(float);
  b->g->values[v].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  return v;
}

/* A graph input of any dtype. */
static inline int typed_input(builder* b, const char* name, int dtype, int rank, const int64_t* dims) {
  int v = input(b, name, rank, dims);
  roof_value_set_shape(&b->g->values[v], dtype, rank, dims);
  return v;
}

/* A constant of any dtype, data copied. */
static inline int typed_const(builder* b, const char* name, int dtype, int rank, const int64_t* dims, const void* data) {
  int v = value(b, name, rank, dims);
  roof_value* val = &b->g->values[v];
  roof_value_set_shape(val, dtype, rank, dims);
  uint64_t n = 1;
  for (int i = 0; i < rank; i++) n *= (uint64_t)dims[i];
  size_t bytes = (size_t)n * roof_dtype_size(dtype);
  val->data = malloc(bytes ? bytes : 1);
  if (bytes) memcpy(val->data, data, bytes);
  val->nbytes = bytes;
  val->flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  return v;
}

static inline int constant_i64(builder* b, const char* name, int n, const int64_t* vals) {
  int64_t dims[1] = {n};
  int v = roof_graph_add_value(b->g, name);
  roof_value_set_shape(&b->g->values[v], ROOF_DT_INT64, 1, dims);
  int64_t* d = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
  memcpy(d, vals, sizeof(int64_t) * (size_t)n);
  b->g->values[v].data = d;
  b->g->values[v].nbytes = sizeof(int64_t) * (size_t)n;
  b->g->values[v].flags = ROOF_VAL_INITIALIZER | ROOF_VAL_CONST;
  return v;
}

static inline roof_attr* add_attr(roof_node* n, const char* name, roof_attr_type t) {
  n->attrs = realloc(n->attrs, sizeof(roof_attr) * (size_t)(n->num_attrs + 1));
  roof_attr* a = &n->attrs[n->num_attrs++];
  memset(a, 0, sizeof(*a));
  a->name = strdup(name);
  a->type = t;
  return a;
}
static inline void attr_i(roof_node* n, const char* name, int64_t v) { add_attr(n, name, ROOF_ATTR_INT)->i = v; }
static inline void attr_f(roof_node* n, const char* name, float v) { add_attr(n, name, ROOF_ATTR_FLOAT)->f = v; }
static inline void attr_ints(roof_node* n, const char* name, int cnt, const int64_t* v) {
  roof_attr* a = add_attr(n, name, ROOF_ATTR_INTS);
  a->ints = malloc(sizeof(int64_t) * (size_t)(cnt ? cnt : 1));
  memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
  a->n = (size_t)cnt;
}
static inline void attr_floats(roof_node* n, const char* name, int cnt, const float* v) {
  roof_attr* a = add_attr(n, name, ROOF_ATTR_FLOATS);
  a->floats = malloc(sizeof(float) * (size_t)(cnt ? cnt : 1));
  memcpy(a->floats, v, sizeof(float) * (size_t)cnt);
  a->n = (size_t)cnt;
}
static inline void attr_strings(roof_node* n, const char* name, int cnt, const char* const* v) {
  roof_attr* a = add_attr(n, name, ROOF_ATTR_STRINGS);
  a->strings = calloc((size_t)cnt + 1, sizeof(char*));
  for (int i = 0; i < cnt; i++) a->strings[i] = strdup(v[i]);
  a->n = (size_t)cnt;
}
static inline void attr_s(roof_node* n, const char* name, const char* s) {
  roof_attr* a = add_attr(n, name, ROOF_ATTR_STRING);
  a->s = strdup(s);
  a->s_len = strlen(s);
}

static inline roof_node* node(builder* b, const char* op, const int* ins, int nin, const int* outs, int nout) {
  int n = roof_graph_add_node(b->g, op, op, "", ins, nin, outs, nout);
  return &b->g->nodes[n];
}

/* Same as node() with an explicit node name (provenance tests need unique names). */
static inline roof_node* named(builder* b, const char* name, const char* op, const int* ins, int nin, const int* outs,
                               int nout) {
  int n = roof_graph_add_node(b->g, name, op, "", ins, nin, outs, nout);
  return &b->g->nodes[n];
}

static inline int output(builder* b, const char* name) {
  int v = roof_graph_add_value(b->g, name);
  return v;
}

static inline void mark_output(builder* b, int v) {
  b->g->values[v].flags |= ROOF_VAL_GRAPH_OUTPUT;
  b->g->outputs = realloc(b->g->outputs, sizeof(int) * (size_t)(b->g->num_outputs + 1));
  b->g->outputs[b->g->num_outputs++] = v;
}

/* Input x of 4-D dims, optionally through MaxPool(1x1) so the op sees NHWC data. */
static inline int image(builder* b, const int64_t* dims, bool nhwc) {
  int x = input(b, "x", 4, dims);
  if (!nhwc) return x;
  int y = output(b, "x_nhwc");
  roof_node* n = node(b, "MaxPool", &x, 1, &y, 1);
  int64_t k[2] = {1, 1};
  attr_ints(n, "kernel_shape", 2, k);
  return y;
}

static inline builder start(rng* r, const char* label) {
  builder b = {roof_graph_new(), r, label};
  b.g->path = strdup("test_ops");
  b.g->opset = 13;
  return b;
}

/* Ends a one-op test graph at value y: an optional Relu after it (fused into the op's clamp by
 * the activation pass), y marked as the output, the model prepared with that pass alone (or no
 * pass). NULL, with "FAIL label: prepare: ..." on stderr, when preparing refuses it. */
static inline roof_model* finish_with_relu(builder* b, int y, bool relu, const char* label) {
  if (relu) {
    int z = output(b, "z");
    node(b, "Relu", &y, 1, &z, 1);
    y = z;
  }
  mark_output(b, y);
  b->g->num_original_nodes = b->g->num_nodes;
  roof_model* m = NULL;
  roof_error err = {{0}};
  roof_prepare_options po = {.fusion = relu ? "activation" : "none"};
  if (roof_model_from_graph(b->g, &m, &err) != ROOF_OK || roof_model_prepare(m, &po, &err) != ROOF_OK) {
    fprintf(stderr, "FAIL %s: prepare: %s\n", label, err.message);
    roof_model_free(m);
    return NULL;
  }
  return m;
}

#endif
