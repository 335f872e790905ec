/* Public model API: load, prepare (shapes, folding, fusion, layout). */
#include <stdlib.h>
#include <string.h>

#include "constfold.h"
#include "widen16.h"
#include "loader.h"
#include "model.h"
#include "../fusion/fusion.h"

const char* roof_status_name(roof_status s) {
  switch (s) {
    case ROOF_OK: return "ok";
    case ROOF_E_USAGE: return "usage error";
    case ROOF_E_DATA: return "invalid model or input data";
    case ROOF_E_NOINPUT: return "cannot open input";
    case ROOF_E_UNSUPPORTED: return "unsupported";
    case ROOF_E_INTERNAL: return "internal error";
    case ROOF_E_NOMEM: return "out of memory";
    case ROOF_E_CANTCREAT: return "cannot create output";
    case ROOF_E_IO: return "write error";
    case ROOF_E_TIMEOUT: return "time limit reached";
  }
  return "unknown status";
}

roof_status roof_model_load(const char* path, const roof_load_options* opts, roof_model** model_out,
                            roof_error* err) {
  if (path == NULL || model_out == NULL) return roof_fail(err, ROOF_E_USAGE, "roof_model_load: NULL argument");
  roof_graph* g = NULL;
  roof_status st = roof_load_graph(path, opts, &g, err);
  if (st != ROOF_OK) return st;
  roof_model* m = NULL;
  st = roof_model_from_graph(g, &m, err);
  if (st != ROOF_OK) return st;
  roof_load_options_resolve(opts, &m->load);
  *model_out = m;
  return ROOF_OK;
}

roof_status roof_model_from_graph(roof_graph* g, roof_model** out, roof_error* err) {
  roof_model* m = calloc(1, sizeof(*m));
  if (m == NULL) {
    roof_graph_free(g);
    return roof_fail(err, ROOF_E_NOMEM, "out of memory creating a model");
  }
  m->g = g;
  roof_load_options_resolve(NULL, &m->load);
  *out = m;
  return ROOF_OK;
}

void roof_model_free(roof_model* m) {
  if (m == NULL) return;
  for (roof_model** p = m->lender ? &m->lender->borrowers : NULL; p && *p; p = &(*p)->next_borrower) {
    if (*p != m) continue;
    *p = m->next_borrower; /* the lender no longer keeps buffers for this copy */
    break;
  }
  roof_graph_free(m->g);
  free(m);
}

/* Every original node starts out standing for itself. */
static roof_status init_provenance(roof_graph* g, roof_error* err) {
  for (int i = 0; i < g->num_nodes; i++) {
    roof_node* n = &g->nodes[i];
    if (n->num_fused_from == 0 && roof_node_add_fused_from(n, n->name) != ROOF_OK) {
      return roof_fail(err, ROOF_E_NOMEM, "%s: out of memory recording provenance", g->path);
    }
  }
  return ROOF_OK;
}

/* Nodes left unbound by a load with keep_unsupported: all named at once unless the prepare is
 * partial (they are set aside then). */
static roof_status check_unbound(const roof_graph* g, bool partial, roof_error* err) {
  roof_missing_ops missing = {0};
  for (int i = 0; i < g->num_nodes && !partial; i++) {
    const roof_node* n = &g->nodes[i];
    if (!n->removed && n->op == NULL) roof_missing_add(&missing, n->op_type, n->domain, n->name, roof_op_known(n->domain, n->op_type));
  }
  return missing.kinds ? roof_missing_fail(g->path, g->opset, &missing, err) : ROOF_OK;
}

static roof_status finish_graph(roof_graph* g, const char* fusion, roof_error* err);

roof_status roof_subgraph_plan(roof_graph* sub, const roof_value_binding* values, size_t num_values,
                               uint64_t max_tensor_bytes, const char* fusion, roof_error* err) {
  roof_status st = roof_graph_bind_ops(sub, err);
  if (st == ROOF_OK) st = init_provenance(sub, err);
  if (st == ROOF_OK && num_values) st = roof_graph_specialize(sub, values, num_values, err);
  if (st == ROOF_OK) st = roof_graph_infer(sub, NULL, 0, max_tensor_bytes, err);
  return st == ROOF_OK && fusion ? finish_graph(sub, fusion, err) : st;
}

roof_status roof_subgraph_analyse(roof_graph* sub, uint64_t max_tensor_bytes, roof_error* err) {
  return roof_subgraph_plan(sub, NULL, 0, max_tensor_bytes, NULL, err);
}

/* The preparation after shape inference, for one graph and the subgraphs of its control nodes. */
static roof_status finish_graph(roof_graph* g, const char* fusion, roof_error* err) {
  roof_status st = roof_constfold(g, err);
  if (st == ROOF_OK) st = roof_graph_toposort(g, err);
  if (st == ROOF_OK) st = roof_graph_widen16(g, err);
  /* passes match patterns over live nodes; with nodes set aside a match could span a gap */
  if (st == ROOF_OK) st = roof_fusion_run(g, fusion, err);
  if (st == ROOF_OK) st = roof_graph_layout(g, err);
  return st == ROOF_OK ? roof_subgraphs_finish(g, fusion, err) : st;
}

roof_status roof_subgraphs_finish(roof_graph* g, const char* fusion, roof_error* err) {
  for (int i = 0; i < g->num_nodes; i++) {
    roof_node* n = &g->nodes[i];
    if (!n->removed && n->body_template && n->body_fusion == NULL) {
      n->body_fusion = strdup(fusion ? fusion : "all");
      if (n->body_fusion == NULL) return roof_node_fail(err, ROOF_E_NOMEM, g, n, "out of memory");
    }
    for (int k = 0; !n->removed && k < n->num_subgraphs; k++) {
      roof_status st = finish_graph(n->subgraphs[k], fusion, err);
      if (st != ROOF_OK) return st;
    }
  }
  return ROOF_OK;
}

roof_status roof_model_prepare(roof_model* m, const roof_prepare_options* opts, roof_error* err) {
  static const roof_prepare_options kDefault = {0};
  if (opts == NULL) opts = &kDefault;
  if (m == NULL) return roof_fail(err, ROOF_E_USAGE, "roof_model_prepare: NULL model");
  if (m->prepared) return roof_fail(err, ROOF_E_USAGE, "roof_model_prepare: model already prepared");
  roof_graph* g = m->g;
  roof_status st = roof_graph_bind_ops(g, err);
  if (st == ROOF_OK) st = check_unbound(g, opts->partial, err);
  if (st == ROOF_OK) st = init_provenance(g, err);
  if (st == ROOF_OK) st = roof_graph_specialize(g, opts->values, opts->num_values, err);
  if (st != ROOF_OK) return st;
  int folded_before = g->num_folded;
  st = opts->partial ? roof_graph_infer_partial(g, opts->shapes, opts->num_shapes, m->load.max_tensor_bytes,
                                                m->partial_note, sizeof(m->partial_note), err)
                     : roof_graph_infer(g, opts->shapes, opts->num_shapes, m->load.max_tensor_bytes, err);
  if (st != ROOF_OK) return st;
  int not_analysed = 0; /* set aside by the partial analysis (If folding records its nodes too) */
  for (int i = folded_before; i < g->num_folded; i++) not_analysed += strcmp(g->folded[i].pass, ROOF_NOT_ANALYSED_PASS) == 0;
  st = finish_graph(g, opts->partial ? "none" : opts->fusion, err);
  if (st != ROOF_OK) return st;
  m->prep = *opts;
  m->prep.shapes = NULL;
  m->prep.num_shapes = 0;
  m->prep.values = NULL;
  m->prep.num_values = 0;
  m->prep.fusion = NULL;
  m->prepared = true;
  m->partial = opts->partial;
  m->not_analysed = opts->partial ? not_analysed : 0;
  return ROOF_OK;
}
