/* Order statistics over timing samples (nanoseconds or any unit; pure functions). */
#ifndef ROOF_STATS_H
#define ROOF_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct roof_stats {
  double median, min, max, mean, p90, stddev;
  double p95, p99;               /* nearest rank, as p90 */
  double cv;                     /* stddev / mean (0 when the mean is 0); rare outliers weigh
                                  * on it although they leave the median where it is */
  double median_lo, median_hi;   /* distribution-free ~95% interval of the median: the order
                                  * statistics n/2 -+ 0.98 sqrt(n) (min and max for n < 8) */
} roof_stats;

/* Computes stats of n samples; `scratch` must hold n doubles (may alias nothing else). */
void roof_stats_compute(const double* samples, size_t n, double* scratch, roof_stats* out);
/* Percentile q (0 < q <= 100) of n > 0 samples by nearest rank (the smallest sample with at
 * least q% of the samples at or below it); `scratch` as above. */
double roof_stats_percentile(const double* samples, size_t n, double q, double* scratch);

#endif
