/* Noise of a timed profile: what a shared or busy machine does to the figures, detected from
 * the profile's own samples and from the system (load average, other processes' CPU time), and
 * said once per profile as a verdict, "quiet" or "noisy", with the reasons seen.
 *
 * The thresholds below were chosen from measurements on a quiet and a loaded machine; their
 * reasons are in docs/cost-model.md ("Measurement noise"). Nothing here keeps state between
 * calls; /proc is read only outside the timed runs, and an unreadable /proc leaves the figures
 * that need it unknown (never an error).
 */
#ifndef ROOF_NOISE_H
#define ROOF_NOISE_H

#include <pthreadpool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROOF_NOISE_SLOW_FACTOR 1.5   /* a run slower than this x its phase's median is slow */
#define ROOF_NOISE_SLOW_SHARE 0.05   /* noisy when more than this share of the runs is slow */
#define ROOF_NOISE_OVERHEAD_LO (-5.0) /* plausible instrumentation overhead, percent: from -5 to */
#define ROOF_NOISE_OVERHEAD_HI 5.0   /* 5 + 3 x the clock reads' expected share */
#define ROOF_NOISE_TWIN_RATIO 2.0    /* identical layers whose medians differ more: noisy */
#define ROOF_NOISE_TWIN_MIN_MS 0.02  /* twins faster than this are not compared (timer, caches) */
#define ROOF_NOISE_LOAD_MARGIN 0.5   /* runnable tasks beyond the free CPUs before load is noise */
#define ROOF_NOISE_BUSY_CPU 0.10     /* CPUs' worth of the profile's CPUs a process must take */
#define ROOF_NOISE_UNSTABLE 0.05     /* a median whose interval half-width exceeds this share */
#define ROOF_SETTLE_MOVE 0.02        /* --until-stable: medians moved less than this: settled */
#define ROOF_SETTLE_MIN_SHARE 0.01   /* layers under this share of the time are not waited for */

#define ROOF_NOISE_SPEED_SHARE 0.80 /* a speed check under this share of the probe's figure is slow */
#define ROOF_NOISE_SPEED_SLOW 0.50  /* noisy when more than this share of the checks is slow */
#define ROOF_NOISE_SPEED_EVERY_MS 100.0 /* speed checks between timed runs at most this often */

#define ROOF_NOISE_MAX_BUSY 4
#define ROOF_NOISE_MAX_REASONS 6
#define ROOF_NOISE_MAX_SPEED 64 /* speed checks kept: the first 63, then the final one */

typedef struct roof_busy_process {
  int pid;
  char name[16];  /* the kernel's command name (at most 15 bytes) */
  char state;     /* at the end of the profile: 'R' running or runnable, 'S' sleeping, ... */
  double cpus;    /* CPU time during the profile / the profile's wall time (1.0 = one CPU) */
  double overlap; /* share of the CPUs it may use that the profile uses too (0..1] */
} roof_busy_process;

typedef struct roof_noise {
  bool noisy;
  int num_reasons;
  char reasons[ROOF_NOISE_MAX_REASONS][128]; /* e.g. "23% of runs > 1.5x median" */
  /* the profile's own samples */
  int runs_total, runs_slow;      /* plain and instrumented runs; over 1.5x their phase median */
  double overhead_lo_pct, overhead_hi_pct; /* plausible band for roof_profile.overhead_pct */
  double twin_ratio;              /* slowest / fastest median among identical layers; 0: none */
  int twin_fast, twin_slow;       /* their layer indices (-1: none) */
  int unstable_layers;            /* layers marked unstable */
  /* the system */
  double load1;                   /* 1-minute load average at the end; < 0: unreadable */
  double load_others;             /* load1 minus the profile's own expected share */
  int cpus_online, cpus_allowed;  /* machine; the process's affinity mask */
  bool procs_read;                /* /proc/[pid]/stat of other processes could be read */
  double elapsed_s;               /* from before the warm-up to after the last timed run */
  double busy_cpus;               /* CPUs' worth other processes took on the profile's CPUs */
  int busy_waiting;               /* processes runnable at both readings whose CPUs are all
                                   * the profile's: they compete with it whatever they got */
  int num_busy;                   /* most demanding first, at most ROOF_NOISE_MAX_BUSY */
  roof_busy_process busy[ROOF_NOISE_MAX_BUSY];
  /* speed checks (roof_speed_check): the FMA rate and L2 reads all of the profile's threads
   * reached at once, before the warm-up, between timed runs and after the last one; judged
   * against the probe's figures by roof_noise_speed_verdict */
  int speed_checks;
  double speed_gflops[ROOF_NOISE_MAX_SPEED]; /* FMA GFLOP/s of each check, in time order */
  double speed_l2_gbs[ROOF_NOISE_MAX_SPEED]; /* GB/s reading half of L2 per thread; 0: not measured */
  double speed_last_ms;                      /* CLOCK_MONOTONIC of the last check */
  uint64_t speed_iters;                      /* FMA loop iterations per thread and burst */
  int speed_reps;                            /* passes over the L2 buffer per burst */
  double speed_peak_gflops, speed_peak_l2_gbs; /* the probe's figures judged against; 0: not judged */
  int speed_slow;                            /* checks with either under ROOF_NOISE_SPEED_SHARE of its figure */
  /* --until-stable (roof_profile_options.until_stable) */
  bool until_stable, settled;
  int batches;                    /* batches of roof_profile_options.runs run */
  double settle_move;             /* largest relative median move between the last two batches */
  int settle_layer;               /* the layer that moved most, -1: the latency median */
} roof_noise;

/* CPU time of every other process at one moment (sorted by pid; owned, free with
 * roof_proc_snapshot_free, which accepts a zeroed struct). ok false: /proc unreadable. */
typedef struct roof_proc_sample {
  int pid;
  char state;
  char name[16];
  unsigned long long ticks; /* utime + stime, in clock ticks */
} roof_proc_sample;

typedef struct roof_proc_snapshot {
  roof_proc_sample* procs;
  size_t n;
  double t_ms; /* CLOCK_MONOTONIC when taken */
  bool ok;
} roof_proc_snapshot;

void roof_proc_snapshot_take(roof_proc_snapshot* s);
void roof_proc_snapshot_free(roof_proc_snapshot* s);

/* Takes a second snapshot and fills out's system figures (elapsed_s, load, CPUs, busy
 * processes) from `start`; `threads` are the profile's. A `start` that is not ok (unreadable
 * /proc, or never taken: a zeroed struct) leaves the busy list unknown. */
void roof_noise_system(const roof_proc_snapshot* start, unsigned threads, roof_noise* out);

/* The verdict of a timed profile whose layer times, latency, overhead and system figures
 * (p->noise, from roof_noise_system) are filled: marks unstable layers, compares identical
 * layers, counts slow runs among `plain` and `instrumented` (run totals, ms, `runs` each) and
 * writes p->noise's verdict and reasons. */
struct roof_profile;
void roof_noise_judge(struct roof_profile* p, const double* plain, const double* instrumented, size_t runs);

typedef struct roof_speed_bufs {
  float** bufs;  /* one per thread */
  unsigned n;    /* threads */
  size_t floats; /* per buffer: half of L2 */
} roof_speed_bufs;
/* The L2 buffers of `threads` threads, allocated and written once per profile (so that checks
 * between timed runs fault no page in); false when out of memory (*b then holds nothing and
 * the checks measure no L2 figure). roof_speed_bufs_free accepts a half-built or zeroed struct. */
bool roof_speed_bufs_init(roof_speed_bufs* b, unsigned threads);
void roof_speed_bufs_free(roof_speed_bufs* b);

/* One speed check on `threads` workers of `pool` at once (NULL or 1: the calling thread), each
 * figure the best of three bursts of about 0.2 ms (the first check sizes them): the widest FMA
 * kernel (the probe's, profiler/probe_kernels.h) -> speed_gflops, and vector reads of each
 * thread's buffer in `bufs`, as the probe's L2 figure -> speed_l2_gbs (0 when bufs is empty).
 * `final` puts the check in the last slot when the others are full. Costs about 1.5 ms and
 * half an L2 of each core's cache contents; call it outside the timed runs. */
void roof_speed_check(pthreadpool_t pool, unsigned threads, const roof_speed_bufs* bufs, bool final, roof_noise* out);

/* Judges the speed checks against the peak and L2 read bandwidth the probe measured for the
 * profile's thread count (each > 0 to be judged; spec sheets are not): counts the checks with
 * either under ROOF_NOISE_SPEED_SHARE of the probe's, and when more than ROOF_NOISE_SPEED_SLOW
 * of them are, adds a reason and makes the verdict noisy (a state that lasted, not one dip).
 * A CPU that delivers less than the probe saw (a VM whose vCPUs share a core at times,
 * throttling, a neighbour on the core's other hardware thread) slows every layer alike, which
 * the other rules need not see. Judged once: later calls change nothing. */
void roof_noise_speed_verdict(roof_noise* n, double peak_gflops, double l2_read_gbs);

#endif
