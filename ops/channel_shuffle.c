/* ChannelShuffle (domain ai.rooftop): what the `channel_shuffle` pass makes of ShuffleNet's
 * Reshape -> Transpose -> Reshape. Output channel c' = j * groups + i reads input channel
 * i * (C / groups) + j. XNNPACK's channel shuffle on NHWC data; reference on any layout. */
#include <stdio.h>

#include "common.h"
#include "xnn_backend.h"
#include "shuffle_params.h"

static roof_status infer_shuffle(roof_graph* g, roof_node* n, roof_error* err) {
  const roof_shuffle_params* p = n->params;
  roof_status st = roof_require_input(g, n, 0, roof_float_types, err);
  if (st != ROOF_OK) return st;
  const roof_value* x = roof_in(g, n, 0);
  if (x->rank != 4 || p->groups < 1 || x->dims[1] % p->groups) {
    return roof_node_fail(err, ROOF_E_DATA, g, n, "%lld groups do not divide the channels of a rank-%d input",
                          (long long)p->groups, x->rank);
  }
  return roof_infer_same(g, n, err);
}

static void cost_shuffle(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "copy";
  c->has_model = true;
}

static int describe_shuffle(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  return snprintf(buf, size, "groups %lld", (long long)((const roof_shuffle_params*)n->params)->groups);
}

static roof_status ref_shuffle(roof_kernel* k, roof_error* err) {
  const roof_shuffle_params* p = k->params;
  const roof_tensor* x = &k->in[0];
  roof_tensor* y = &k->out[0];
  int64_t C = x->dims[1], per = C / p->groups;
  int64_t i[ROOF_MAX_RANK] = {0};
  if (roof_tensor_count(y) == 0) return ROOF_OK;
  do {
    int64_t xi[ROOF_MAX_RANK] = {i[0], (i[1] % p->groups) * per + i[1] / p->groups, i[2], i[3]};
    ((float*)y->data)[roof_offset(y, i)] = ((const float*)x->data)[roof_offset(x, xi)];
  } while (roof_index_next(i, y->dims, 4));
  return ROOF_OK;
}

static roof_status create_shuffle(roof_kernel* k, roof_error* err) {
  const roof_shuffle_params* p = k->params;
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  if (!roof_tensor_is_nhwc(x) || !roof_tensor_is_nhwc(y)) return roof_kernel_refuse(err, "input or output not NHWC");
  if (p->groups < 2) return roof_kernel_refuse(err, "fewer than 2 groups");
  size_t C = (size_t)x->dims[1];
  xnn_operator_t op = NULL;
  enum xnn_status s = xnn_create_channel_shuffle_nc_x32((size_t)p->groups, C / (size_t)p->groups, C, C, 0, &op);
  return roof_xnn_created(s, op, k, "create channel shuffle", err);
}

static roof_status setup_shuffle(roof_kernel* k, roof_error* err) {
  const roof_tensor* x = &k->in[0];
  size_t batch = (size_t)(x->dims[0] * x->dims[2] * x->dims[3]);
  enum xnn_status s = xnn_setup_channel_shuffle_nc_x32(roof_xop(k), batch, x->data, k->out[0].data, k->pool);
  return roof_xnn_check(s, k, "setup channel shuffle", err);
}

const roof_op_schema roof_op_ChannelShuffle = {
    .id = ROOF_OP_ChannelShuffle, .op_type = "ChannelShuffle", .domain = "ai.rooftop", .since_version = 1,
    .until_version = 1000, .flags = ROOF_OPF_NO_FOLD, .layout = ROOF_LR_NHWC, .params_size = sizeof(roof_shuffle_params),
    .infer = infer_shuffle, .cost = cost_shuffle, .describe = describe_shuffle,
};
/* x32: a channel shuffle moves 32-bit words whatever they hold */
ROOF_XNN_KERNEL(ChannelShuffle, NULL, create_shuffle, setup_shuffle, roof_xnn_destroy);
ROOF_REF_KERNEL(ChannelShuffle, roof_dtypes_f32, ref_shuffle);
