/* Sequence-model figures (profile.h, roof_sequence): attention blocks, tokens, FLOPs per token.
 *
 * The rule of thumb printed beside the counted FLOPs is the forward-pass one, 2 x params per
 * token (each weight used once per token by a multiply-add); the 6 x params often quoted is a
 * training estimate (forward and backward), and "6 L d^2" matches neither. The counted figure
 * also holds what the rule leaves out: attention's score and value products (4 x keys x width
 * per token and layer), normalisations and activations. A block the attention pass fused is
 * one Attention layer. */
#include <stdlib.h>

#include "attention_params.h"
#include "profile.h"

enum { MAX_CHAIN = 8 }; /* ops between the scores' MatMul and the Softmax (scale, mask, cast) */

/* Flags, not data: a session may have released the weights its kernels packed. */
static bool is_activation(const roof_graph* g, int v) {
  return v >= 0 && !(g->values[v].flags & (ROOF_VAL_CONST | ROOF_VAL_RELEASED));
}

/* A MatMul whose operands are both computed (attention's products; weights are constant). */
static bool activation_matmul(const roof_graph* g, const roof_node* n) {
  return roof_node_is(n, ROOF_OP_MatMul) && n->num_inputs == 2 && is_activation(g, n->inputs[0]) &&
         is_activation(g, n->inputs[1]);
}

/* The layer of value v's producer, or -1 (no producer, or not executed). */
static int producer_layer(const roof_profile* p, const int* layer_of, int v) {
  int n = v >= 0 ? p->g->values[v].producer : -1;
  return n >= 0 ? layer_of[n] : -1;
}

/* Marks the layers of the attention block around Softmax layer s: back through at most
 * MAX_CHAIN elementwise layers (first input each) to the scores' MatMul, forward to the MatMul
 * that reads the probabilities. Nothing is marked unless both are found. */
static bool mark_block(roof_profile* p, const int* layer_of, int s, int64_t* keys, int64_t* queries) {
  const roof_graph* g = p->g;
  int chain[MAX_CHAIN + 2], len = 0;
  int l = s;
  while (len < MAX_CHAIN + 1) {
    chain[len++] = l;
    const roof_node* n = p->layers[l].node;
    if (l != s && activation_matmul(g, n)) break;
    if (l != s && n->num_inputs > 2) return false;
    l = producer_layer(p, layer_of, n->inputs[0]);
    if (l < 0) return false;
  }
  if (!activation_matmul(g, p->layers[chain[len - 1]].node)) return false;
  int out = p->layers[s].node->outputs[0], values = -1;
  for (int i = s + 1; i < p->num_layers && values < 0; i++) {
    const roof_node* n = p->layers[i].node;
    if (activation_matmul(g, n) && n->inputs[0] == out) values = i;
  }
  if (values < 0) return false;
  for (int i = 0; i < len; i++) p->in_attention[chain[i]] = true;
  p->in_attention[values] = true;
  const roof_value* scores = &g->values[p->layers[s].node->inputs[0]];
  if (*keys == 0 && scores->rank >= 2) {
    *keys = scores->dims[scores->rank - 1];
    *queries = scores->dims[scores->rank - 2];
  }
  return true;
}

/* An Attention layer (the attention pass's fusion of a whole block): keys S and queries T from
 * its operands as the kernel reads them (through their perms). */
static void fused_block(roof_profile* p, int i, int64_t* keys, int64_t* queries) {
  const roof_node* n = p->layers[i].node;
  const roof_attention_params* a = n->params;
  const roof_value *q = &p->g->values[n->inputs[0]], *k = &p->g->values[n->inputs[1]];
  int r = q->rank;
  p->in_attention[i] = true;
  if (*keys == 0 && r >= 2) {
    *keys = k->dims[a->has_perms ? a->perm[1][r - 2] : r - 2];
    *queries = q->dims[a->has_perms ? a->perm[0][r - 2] : r - 2];
  }
}

/* Token vectors per run: rows of the first dense layer's activation input ([..., width]). */
static int64_t dense_rows(const roof_profile* p) {
  for (int i = 0; i < p->num_layers; i++) {
    const roof_node* n = p->layers[i].node;
    bool dense = (roof_node_is(n, ROOF_OP_MatMul) || roof_node_is(n, ROOF_OP_Gemm)) && n->num_inputs >= 2 &&
                 !is_activation(p->g, n->inputs[1]);
    const roof_value* a = dense ? &p->g->values[n->inputs[0]] : NULL;
    uint64_t c;
    if (a && a->rank >= 1 && a->dims[a->rank - 1] > 0 && roof_value_count(a, &c)) return (int64_t)(c / (uint64_t)a->dims[a->rank - 1]);
  }
  return 0;
}

bool roof_profile_sequence(roof_profile* p) {
  const roof_graph* g = p->g;
  roof_sequence seq = {0};
  free(p->in_attention);
  p->in_attention = calloc((size_t)p->num_layers + 1, sizeof(bool));
  int* layer_of = malloc(sizeof(int) * (size_t)(g->num_nodes + 1));
  if (p->in_attention == NULL || layer_of == NULL) {
    free(layer_of);
    p->seq = seq;
    return false;
  }
  for (int n = 0; n < g->num_nodes; n++) layer_of[n] = -1;
  for (int i = 0; i < p->num_layers; i++) layer_of[p->layers[i].node - g->nodes] = i;
  for (int i = 0; i < p->num_layers; i++) {
    if (roof_node_is(p->layers[i].node, ROOF_OP_Softmax) && mark_block(p, layer_of, i, &seq.keys, &seq.queries)) {
      seq.attention_blocks++;
    } else if (roof_node_is(p->layers[i].node, ROOF_OP_Attention)) {
      fused_block(p, i, &seq.keys, &seq.queries);
      seq.attention_blocks++;
    }
  }
  free(layer_of);
  if (seq.attention_blocks > 0) {
    seq.tokens = dense_rows(p);
    if (seq.tokens <= 0) seq.tokens = seq.queries;
    for (int i = 0; i < p->num_layers; i++) {
      if (!roof_node_is(p->layers[i].node, ROOF_OP_Gather)) seq.dense_params += p->layers[i].cost.params;
      if (p->in_attention[i]) seq.attention_ms += p->layers[i].time_ms.median;
    }
    seq.flops_per_token = seq.tokens > 0 ? p->flops / (uint64_t)seq.tokens : 0;
    seq.rule_flops_per_token = 2 * seq.dense_params;
    seq.attention_share = p->layer_sum_ms > 0 ? seq.attention_ms / p->layer_sum_ms : 0.0;
  }
  p->seq = seq;
  return true;
}
