/* Order statistics over timing samples (nanoseconds or any unit; pure functions). */
#ifndef ROOF_STATS_H
#define ROOF_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct roof_stats {
  double median, min, max, mean, p90, stddev;
} roof_stats;

/* Computes stats of n samples; `scratch` must hold n doubles (may alias nothing else). */
void roof_stats_compute(const double* samples, size_t n, double* scratch, roof_stats* out);

#endif
