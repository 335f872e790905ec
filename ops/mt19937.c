/* MT19937 (Matsumoto and Nishimura, 1998) written from the published algorithm, with the seeding
 * and the 53-bit doubles of numpy's legacy RandomState: see mt19937.h for why and the contract. */
#include "mt19937.h"

enum { MT_M = 397 };
#define MT_MATRIX_A 0x9908b0dfu
#define MT_UPPER 0x80000000u
#define MT_LOWER 0x7fffffffu

void roof_mt_seed(roof_mt* s, uint32_t seed) {
  s->mt[0] = seed;
  for (uint32_t i = 1; i < ROOF_MT_N; i++) {
    uint32_t prev = s->mt[i - 1];
    s->mt[i] = 1812433253u * (prev ^ (prev >> 30)) + i; /* wraps mod 2^32, as the algorithm says */
  }
  s->next = ROOF_MT_N;
}

/* Next N words of the recurrence: x[k+n] = x[k+m] ^ twist(upper bit of x[k], lower 31 of x[k+1]). */
static void regenerate(roof_mt* s) {
  for (int k = 0; k < ROOF_MT_N; k++) {
    uint32_t y = (s->mt[k] & MT_UPPER) | (s->mt[(k + 1) % ROOF_MT_N] & MT_LOWER);
    s->mt[k] = s->mt[(k + MT_M) % ROOF_MT_N] ^ (y >> 1) ^ ((y & 1u) ? MT_MATRIX_A : 0u);
  }
  s->next = 0;
}

uint32_t roof_mt_u32(roof_mt* s) {
  if (s->next >= ROOF_MT_N) regenerate(s);
  uint32_t y = s->mt[s->next++];
  /* tempering: improves equidistribution of the raw state words */
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double roof_mt_double(roof_mt* s) {
  uint32_t a = roof_mt_u32(s) >> 5, b = roof_mt_u32(s) >> 6; /* 27 + 26 = 53 bits */
  return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}
