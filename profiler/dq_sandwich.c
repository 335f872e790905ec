/* The dequantize/requantize sandwich (profile.h, roof_profile_dq_sandwich).
 *
 * A float layer the qdq pass could not fuse still runs in float inside a QDQ model: a
 * DequantizeLinear widens its int8 input to float, the layer reads and writes float, and a
 * QuantizeLinear narrows the result again. The same layer in the float model reads and writes
 * the same float tensors and nothing else, so every byte of the DQ and the Q (and of the layout
 * conversions between them and the layer) is traffic the quantized model adds: the opposite of
 * what quantization is for. Shared producers (a DQ read by two layers) are split evenly among
 * their readers so the summary counts each byte once. */
#include <stdlib.h>

#include "op.h"
#include "profile.h"

static uint64_t moved(const roof_layer* l) { return l->cost.bytes_read + l->cost.bytes_written; }

/* The layer's bytes divided among the readers of its first output. */
static uint64_t share(const roof_profile* p, const roof_layer* l) {
  int readers = l->node->num_outputs > 0 ? p->g->values[l->node->outputs[0]].num_consumers : 1;
  return moved(l) / (uint64_t)(readers > 1 ? readers : 1);
}

static bool is_float(int dt) { return dt == ROOF_DT_FLOAT || dt == ROOF_DT_FLOAT16 || dt == ROOF_DT_BFLOAT16; }

/* Layer that produced value v, looking through layout conversions (their shares added to
 * *via); -1 for a graph input, a constant or a chain longer than the planner makes. */
static int source(const roof_profile* p, const int* prod, int v, uint64_t* via) {
  for (int hops = 0; hops < 4 && v >= 0; hops++) {
    int i = prod[v];
    if (i < 0) return -1;
    const roof_layer* l = &p->layers[i];
    if (!roof_node_is(l->node, ROOF_OP_LayoutConvert) || l->node->num_inputs < 1) return i;
    *via += share(p, l);
    v = l->node->inputs[0];
  }
  return -1;
}

/* Extra bytes of layer i when it is a float layer fed only by DQs (of its non-constant
 * inputs, at least one) whose output some Q reads (q_bytes[i] > 0), else 0. */
static uint64_t extra_bytes(const roof_profile* p, const int* prod, const uint64_t* q_bytes, int i) {
  const roof_layer* l = &p->layers[i];
  const roof_node* n = l->node;
  if (q_bytes[i] == 0 || !is_float(l->compute) || roof_node_is(n, ROOF_OP_DequantizeLinear) ||
      roof_node_is(n, ROOF_OP_QuantizeLinear) || roof_node_is(n, ROOF_OP_LayoutConvert)) {
    return 0;
  }
  uint64_t extra = q_bytes[i];
  int from_dq = 0;
  for (int k = 0; k < n->num_inputs; k++) {
    int v = n->inputs[k];
    if (v < 0 || (p->g->values[v].flags & ROOF_VAL_CONST)) continue;
    uint64_t via = 0;
    int s = source(p, prod, v, &via);
    if (s < 0 || !roof_node_is(p->layers[s].node, ROOF_OP_DequantizeLinear)) return 0;
    extra += via + share(p, &p->layers[s]);
    from_dq++;
  }
  return from_dq > 0 ? extra : 0;
}

void roof_profile_dq_sandwich(roof_profile* p) {
  const roof_graph* g = p->g;
  int* prod = malloc(sizeof(int) * ((size_t)g->num_values + 1));
  uint64_t* q_bytes = calloc((size_t)p->num_layers + 1, sizeof(uint64_t));
  if (prod == NULL || q_bytes == NULL) goto cleanup; /* out of memory: no flags */
  for (int v = 0; v < g->num_values; v++) prod[v] = -1;
  for (int i = 0; i < p->num_layers; i++) {
    const roof_node* n = p->layers[i].node;
    for (int k = 0; k < n->num_outputs; k++) {
      if (n->outputs[k] >= 0) prod[n->outputs[k]] = i;
    }
  }
  /* What each Q (and the conversions before it) costs the layer whose output it narrows. */
  for (int j = 0; j < p->num_layers; j++) {
    const roof_node* q = p->layers[j].node;
    if (!roof_node_is(q, ROOF_OP_QuantizeLinear) || q->num_inputs < 1 || q->inputs[0] < 0) continue;
    uint64_t via = 0;
    int s = source(p, prod, q->inputs[0], &via);
    if (s >= 0) q_bytes[s] += via + moved(&p->layers[j]);
  }
  for (int i = 0; i < p->num_layers; i++) {
    roof_layer* l = &p->layers[i];
    l->dq_sandwich_bytes = extra_bytes(p, prod, q_bytes, i);
    p->dq_sandwich_layers += l->dq_sandwich_bytes > 0;
    p->dq_sandwich_bytes += l->dq_sandwich_bytes;
  }
cleanup:
  free(prod);
  free(q_bytes);
}
