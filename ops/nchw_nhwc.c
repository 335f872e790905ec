/* LayoutConvert (domain ai.rooftop): the NCHW <-> NHWC copy the layout pass inserts. Its
 * input and output views already carry the two layouts; the kernel is a cache-blocked 2-D
 * transpose per image ([C, HW] <-> [HW, C]), parallel over images and row blocks, of float32
 * or 8-bit elements (quantized models keep int8 activations NHWC too). */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define ROOF_TILE 32

static roof_status infer_layout(roof_graph* g, roof_node* n, roof_error* err) { return roof_infer_same(g, n, err); }

/* no arithmetic: only bytes */
static void cost_layout(const roof_graph* g, const roof_node* n, roof_cost* c) {
  c->bytes_read = roof_cost_input_bytes(g, n);
  c->bytes_written = roof_cost_output_bytes(g, n);
  c->formula = "layout";
  c->has_model = true;
}

static int describe_layout(const roof_graph* g, const roof_node* n, char* buf, size_t size) {
  const roof_value* y = roof_out(g, n, 0);
  return snprintf(buf, size, "%s", y->layout == ROOF_LAYOUT_NHWC ? "nchw->nhwc" : "nhwc->nchw");
}

typedef struct transpose_task {
  const void* src;
  void* dst;
  size_t rows, cols; /* source viewed as [rows, cols] per image, destination [cols, rows] */
} transpose_task;

/* One body per element type: the compiler vectorizes each with its own width. */
#define TRANSPOSE_TILE(NAME, T)                                                                \
  static void NAME(void* ctx, size_t img, size_t r0, size_t c0, size_t nr, size_t nc) {       \
    const transpose_task* t = ctx;                                                            \
    const T* s = (const T*)t->src + img * t->rows * t->cols;                                  \
    T* d = (T*)t->dst + img * t->rows * t->cols;                                              \
    for (size_t r = r0; r < r0 + nr; r++) {                                                   \
      for (size_t c = c0; c < c0 + nc; c++) d[c * t->rows + r] = s[r * t->cols + c];          \
    }                                                                                         \
  }
TRANSPOSE_TILE(transpose_tile_f32, float)
TRANSPOSE_TILE(transpose_tile_u8, uint8_t)

static const int kLayoutDt[] = {ROOF_DT_FLOAT, ROOF_DT_INT8, ROOF_DT_UINT8, 0};

static bool supports_layout(const roof_kernel* k, char* why, size_t n) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  bool to_nhwc = roof_tensor_is_plain(x) && roof_tensor_is_nhwc(y);
  bool to_nchw = roof_tensor_is_nhwc(x) && roof_tensor_is_plain(y);
  if (x->rank == 4 && (to_nhwc || to_nchw)) return true;
  snprintf(why, n, "not a rank-4 NCHW <-> NHWC conversion");
  return false;
}

static roof_status run_layout(roof_kernel* k, roof_error* err) {
  const roof_tensor *x = &k->in[0], *y = &k->out[0];
  size_t C = (size_t)x->dims[1], HW = (size_t)(x->dims[2] * x->dims[3]);
  bool to_nhwc = roof_tensor_is_plain(x) && !roof_tensor_is_plain(y);
  transpose_task t = {x->data, y->data, to_nhwc ? C : HW, to_nhwc ? HW : C};
  if (C == 1 || HW == 1 || !(to_nhwc || roof_tensor_is_nhwc(x))) { /* same bytes in both layouts */
    memcpy(y->data, x->data, (size_t)roof_tensor_count(x) * roof_dtype_size(x->dtype));
    return ROOF_OK;
  }
  /* about ROOF_TILE^2 elements per task: a 3-channel image input (rows 3) in tiles of 3 x 32 was
   * 1568 tasks for 150 K bytes, the pool's per-task cost above the copy's */
  size_t tr = t.rows < ROOF_TILE ? t.rows : ROOF_TILE, tc = (size_t)ROOF_TILE * ROOF_TILE / tr;
  pthreadpool_parallelize_3d_tile_2d(k->pool, x->dtype == ROOF_DT_FLOAT ? transpose_tile_f32 : transpose_tile_u8, &t,
                                     (size_t)x->dims[0], t.rows, t.cols, tr, tc, ROOF_POOL_FLAGS);
  return ROOF_OK;
}

static roof_status ref_layout(roof_kernel* k, roof_error* err) {
  roof_tensor_copy(&k->in[0], &k->out[0]);
  return ROOF_OK;
}

const roof_op_schema roof_op_LayoutConvert = {
    .id = ROOF_OP_LayoutConvert, .op_type = "LayoutConvert", .domain = "ai.rooftop", .since_version = 1,
    .until_version = 1000, .layout = ROOF_LR_ANY, .params_size = 0, .infer = infer_layout, .cost = cost_layout,
    .describe = describe_layout,
};
/* native: a threaded tiled transpose of the [C, HW] planes */
const roof_kernel_impl roof_kernel_LayoutConvert_native = {
    .op = ROOF_OP_LayoutConvert, .backend = ROOF_BACKEND_NATIVE, .dtypes = kLayoutDt, .supports = supports_layout,
    .run = run_layout,
};
ROOF_REF_KERNEL(LayoutConvert, NULL, ref_layout);
