/* Order statistics; see stats.h. p90, p95, p99 use the nearest-rank definition. */
#include "stats.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double rank(const double* sorted, size_t n, double q) {
  size_t r = (size_t)ceil(q / 100.0 * (double)n - 1e-9); /* 1e-9: 0.95 x 20 is 19, not 19.000000000000004 */
  return sorted[(r ? (r <= n ? r : n) : 1) - 1];
}

double roof_stats_percentile(const double* samples, size_t n, double q, double* scratch) {
  if (n == 0) return 0.0;
  memcpy(scratch, samples, n * sizeof(double));
  qsort(scratch, n, sizeof(double), cmp_double);
  return rank(scratch, n, q);
}

void roof_stats_compute(const double* samples, size_t n, double* scratch, roof_stats* out) {
  memset(out, 0, sizeof(*out));
  if (n == 0) return;
  memcpy(scratch, samples, n * sizeof(double));
  qsort(scratch, n, sizeof(double), cmp_double);
  out->min = scratch[0];
  out->max = scratch[n - 1];
  out->median = (n % 2) ? scratch[n / 2] : 0.5 * (scratch[n / 2 - 1] + scratch[n / 2]);
  out->p90 = rank(scratch, n, 90.0);
  out->p95 = rank(scratch, n, 95.0);
  out->p99 = rank(scratch, n, 99.0);
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += scratch[i];
  out->mean = sum / (double)n;
  double ss = 0.0;
  for (size_t i = 0; i < n; i++) ss += (scratch[i] - out->mean) * (scratch[i] - out->mean);
  out->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
  out->cv = out->mean > 0 ? out->stddev / out->mean : 0.0;
  /* Ranks of the median's interval from the binomial(n, 1/2) normal approximation, rounded
   * outward so that small samples never claim more confidence than they have. */
  double lo = floor(0.5 * (double)n - 0.98 * sqrt((double)n));
  size_t k = lo > 0 ? (size_t)lo : 0;
  out->median_lo = scratch[k];
  out->median_hi = scratch[n - 1 - k];
}
