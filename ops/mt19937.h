/* The Mersenne Twister MT19937 as numpy's legacy generator (np.random.RandomState) uses it, so
 * that rooftop draws the same random numbers as ONNX's reference implementation (training-mode
 * Dropout's mask is np.random.uniform(0, 1, shape) after np.random.seed(seed)).
 *
 * Contract:
 *   roof_mt_seed    state from a 32-bit seed, as RandomState(seed) for an integer seed in
 *                   [0, 2^32): mt[0] = seed, mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i
 *                   (Matsumoto and Nishimura's init_genrand); the first draw regenerates.
 *   roof_mt_u32     the next tempered 32-bit output.
 *   roof_mt_double  the next double in [0, 1) with 53 random bits, from two 32-bit outputs a, b:
 *                   ((a >> 5) * 2^26 + (b >> 6)) / 2^53 (numpy's random_sample and uniform(0, 1)).
 * The state is plain data (copyable; no allocation); one state must not be used by two threads
 * at once. The sequence is fixed by the seed: seed 0 gives 0.5488135039273248,
 * 0.7151893663724195, ... as numpy does. */
#ifndef ROOF_MT19937_H
#define ROOF_MT19937_H

#include <stdint.h>

#define ROOF_MT_N 624

typedef struct roof_mt {
  uint32_t mt[ROOF_MT_N];
  int next; /* index of the next word to temper; ROOF_MT_N: regenerate first */
} roof_mt;

void roof_mt_seed(roof_mt* s, uint32_t seed);
uint32_t roof_mt_u32(roof_mt* s);
double roof_mt_double(roof_mt* s);

#endif
