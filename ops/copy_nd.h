/* Threaded copies between strided views: the native kernels of Transpose and Slice (and of any
 * op that is one strided copy) are a view of the input plus roof_copy_nd.
 *
 * The copy is planned over the axes that matter: size-1 axes dropped, the rest ordered by
 * destination stride (largest first) and merged wherever both sides stay contiguous across the
 * pair. Then one of three loops, over tasks of about 32 KiB on the pool:
 *   rows     the innermost axis is contiguous on both sides: one memcpy per row (row blocks,
 *            long rows split into column chunks)
 *   tiles    the destination's contiguous axis is strided in the source but another axis is
 *            contiguous there: a 2-D transpose of that pair in 32x32 tiles per outer index (16x16
 *            blocks; 4x4 in SSE registers for 4-byte elements)
 *   strided  neither (a negative or >1 step on the innermost axis): an element loop per row
 */
#ifndef ROOF_COPY_ND_H
#define ROOF_COPY_ND_H

#include <pthreadpool.h>

#include "tensor.h"

/* Copies src to dst: same element size and logical dims, any strides (negative ones too), the
 * two must not overlap. A copy under 256 KiB runs on the calling thread (see roof_copy_pool).
 * pool may be NULL. */
void roof_copy_nd(const roof_tensor* src, const roof_tensor* dst, pthreadpool_t pool);

/* Which loop roof_copy_nd takes for these views: "rows", "tiles", "strided" or "one" (a single
 * element); for tests and reports. */
const char* roof_copy_nd_kind(const roof_tensor* src, const roof_tensor* dst);

/* Tile sizes of a [rows, cols] pass of es-byte elements over the pool: cols chunks of at most
 * 32 KiB, rows grouped so a task moves about 32 KiB. */
void roof_copy_tiles(size_t rows, size_t cols, size_t es, size_t* tile_rows, size_t* tile_cols);

/* The pool for a copy moving `bytes`: NULL (the calling thread) under 256 KiB. Why: ShuffleNet's
 * channel halves (45 to 180 KiB) took 1.5 to 2x longer at 2 threads than on one (a busy pool
 * thread joins late); a copy of 256 KiB is ~20 us, past the cost of the hand-off. */
static inline pthreadpool_t roof_copy_pool(pthreadpool_t pool, uint64_t bytes) {
  return bytes < (256u << 10) ? NULL : pool;
}

#endif
