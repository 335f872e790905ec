/* The MT19937 generator of training-mode Dropout (ops/mt19937.h) against numpy's legacy one.
 *
 * The expected doubles below were printed by numpy (np.random.RandomState(seed).random_sample),
 * the generator ONNX's reference Dropout draws its mask from: they are an outside reference, not
 * rooftop's own output. For seeds 0 and 12345: the first 8 doubles, and the one at index 1000
 * (past two regenerations of the 624-word state, as every double takes two 32-bit outputs).
 * Doubles must match exactly (both sides build them from the same 53 bits); the check stops at
 * the first differing index. Reseeding must restart the sequence. */
#include <stdio.h>
#include <string.h>

#include "mt19937.h"

typedef struct expect {
  uint32_t seed;
  double first[8];
  double at1000;
} expect;

static const expect kNumpy[] = {
    {0,
     {0.5488135039273248, 0.7151893663724195, 0.6027633760716439, 0.5448831829968969, 0.4236547993389047,
      0.6458941130666561, 0.4375872112626925, 0.8917730007820798},
     0.5928802707811576},
    {12345,
     {0.9296160928171479, 0.3163755545817859, 0.18391881167709445, 0.2045602785530397, 0.5677250290816866,
      0.5955447029792516, 0.9645145197356216, 0.6531770968715709},
     0.7976445358842773},
};

static int check_seed(const expect* e) {
  roof_mt s;
  for (int pass = 0; pass < 2; pass++) { /* the second pass: reseeding the used state restarts it */
    roof_mt_seed(&s, e->seed);
    for (int i = 0; i <= 1000; i++) {
      double got = roof_mt_double(&s);
      double want = i < 8 ? e->first[i] : i == 1000 ? e->at1000 : got;
      if (got != want) {
        fprintf(stderr, "FAIL seed %u pass %d: double %d is %.17g, numpy gives %.17g\n", e->seed, pass, i, got, want);
        return 1;
      }
      if (!(got >= 0.0 && got < 1.0)) {
        fprintf(stderr, "FAIL seed %u: double %d = %.17g is outside [0, 1)\n", e->seed, i, got);
        return 1;
      }
    }
  }
  return 0;
}

int main(void) {
  int bad = 0;
  for (size_t i = 0; i < sizeof(kNumpy) / sizeof(kNumpy[0]); i++) bad |= check_seed(&kNumpy[i]);
  if (bad) return 1;
  printf("mt19937: numpy's legacy sequence for seeds 0 and 12345 (doubles 0-7 and 1000)\n");
  return 0;
}
