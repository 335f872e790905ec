/* Cache residency: which memory level each tensor a layer reads or writes comes from, in a
 * steady-state run (the runs a profile times, after the first).
 *
 * Model (docs/cost-model.md, "Where the bytes come from"): the layers run in execution order;
 * a layer reads each of its inputs, then writes each of its outputs, whole tensors at a time.
 * Caches are fully associative LRU stacks of whole tensors:
 *   - a read of tensor t comes from the first level that holds its reuse distance: the bytes of
 *     t plus the distinct bytes of every other tensor touched since t was last touched (by its
 *     producer, an earlier reader, or, for weights and graph inputs, the previous run). Two
 *     runs are simulated; the second is reported, so weights that fit stay resident across runs
 *     and weights that do not come from DRAM;
 *   - a write of tensor t lands in the first level that holds t plus the tensors its layer
 *     reads (the layer's working set); it costs that level's write bandwidth;
 *   - activations share the arena: the distinct activation bytes between two touches are
 *     capped at the arena size (the planner reuses buffers, so no more can have passed);
 *   - views (Reshape, Flatten, ...) touch nothing, their output is their input's buffer;
 *   - capacities: L1 and L2 are private, so `threads` cores hold threads x their size; L3 is
 *     shared (its size as the probe or the hardware file gives it). A level with no size or no
 *     bandwidth is skipped.
 * Every simplification leans toward the faster level (full capacity, perfect LRU, no conflict
 * misses), so that the bound built on it stays a lower bound on time.
 */
#ifndef ROOF_RESIDENCY_H
#define ROOF_RESIDENCY_H

#include "profile.h"

/* Fills read_from[] and written_to[] of every layer of `p` (bytes per memory level,
 * ROOF_MEM_*) for caches of `cache_bytes` (L1d, L2, L3; 0 = no such level) shared by
 * `threads` cores, and with `usable[lv]` false for a level that has no bandwidth figure.
 * Uses p->arena_bytes (0: no cap). Returns false when out of memory or p has no graph (layers
 * unchanged then). */
bool roof_residency_fill(roof_profile* p, const uint64_t cache_bytes[3], const bool usable[3], uint32_t threads);

#endif
