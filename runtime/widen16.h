/* The 16-bit float stage, a load stage (not a fusion pass): run by roof_model_prepare after
 * constant folding and before fusion, whatever the --fusion setting.
 *
 * A float16 or bfloat16 layer whose op has no fast kernel for that dtype in the kernel table
 * (only the reference entry, or none that takes it: ops/kernel.h, roof_kernel_has_fast) runs
 * as float32: its 16-bit constant inputs are converted once into float32 constants, its
 * 16-bit activations are read through a float32 twin, and its outputs become float32 twins.
 * A twin of an activation is made once by an inserted Cast node (named "VALUE::f32"), and a
 * 16-bit value still needed as such (a graph output, a reader that stays 16-bit) is remade
 * from its twin by a Cast to its dtype ("VALUE::f16"): conversions sit at the boundaries of
 * runs of widened layers, and each is an ordinary executed layer in reports. Views (Reshape,
 * Flatten, ...) and ops with a fast 16-bit kernel (Transpose, Concat, Slice, ...) follow their
 * producer: widened when one of their 16-bit inputs already has a twin, 16-bit otherwise. Cast
 * and CastLike are never widened (they are the conversions), nor ops whose 16-bit outputs do
 * not come from a 16-bit input (ConstantOfShape, EyeLike, RandomNormal...: dtype attributes).
 *
 * Each widened node records the dtype the model stored it in (roof_node.stored_dtype); the
 * graph it leaves has float32 values and float32 byte counts for those layers, which is what
 * their kernels read and write. Reads g->order; re-links and re-sorts the graph. Fails on OOM
 * or when a widened node's schema refuses its float32 inputs (internal error). */
#ifndef ROOF_WIDEN16_H
#define ROOF_WIDEN16_H

#include "graph.h"

#define ROOF_WIDEN16_PASS "widen16"

roof_status roof_graph_widen16(roof_graph* g, roof_error* err);

#endif
