/* rooftop command-line tool.
 *
 *   rooftop run MODEL [--input NAME=FILE]... [--shape NAME=DIMS]... [--threads N] [--output-dir DIR [--output-format npy]]
 *   rooftop profile MODEL [--runs N] [--warmup N] [--threads N] [--shape ...] [--input ...]
 *                         [--until-stable [--max-runs N] [--max-seconds S]]
 *                         [--json FILE] [--csv FILE] [--trace FILE] [--html FILE] [--quiet]
 *   rooftop info MODEL [--shape ...] [--hw FILE]
 *   rooftop compare MODEL [...] | compare A.json B.json
 *   rooftop probe | ops | passes
 *   rooftop COMMAND --help    (that command's options and examples; man page: tools/rooftop.1)
 *
 * Exit codes follow sysexits.h (see rooftop.h). Errors are one line on stderr; results go to
 * stdout. A progress line is drawn on stderr during the probe and the timed phases, only when
 * stderr is a terminal and --quiet is not given.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <pthread.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare.h"
#include "core_types.h"
#include "cpus.h"
#include "fusion.h"
#include "hw.h"
#include "model.h"
#include "op.h"
#include "rooftop.h"
#include "profile.h"
#include "report.h"
#include "tensor_io.h"

#define MAX_BINDINGS 64

typedef struct cli_opts {
  bool partial; /* info: analyse what can be (roof_prepare_options.partial) */
  const char* model;
  const char* model2; /* compare A.json B.json */
  const char* output_dir;
  bool npy;       /* run: --output-format npy */
  bool wide;      /* profile, info: table names whole, no width limit */
  const char* fusion;
  const char* hw_file;
  const char* json_out;
  const char* csv_out;
  const char* trace_out;
  const char* html_out;
  const char* input_names[MAX_BINDINGS];
  const char* input_files[MAX_BINDINGS];
  int num_input_files;
  roof_shape_binding shapes[MAX_BINDINGS];
  char shape_names[MAX_BINDINGS][256];
  int num_shapes;
  uint32_t threads;
  int runs, warmup;
  uint64_t seed;
  int reference;
  int winograd; /* roof_session_options.winograd: 0 auto, 1 on, -1 off */
  int top;
  roof_sort sort;
  const char* pin;
  roof_load_options limits;  /* zero fields: the library's defaults */
  uint64_t max_arena_bytes;  /* 0: default */
  double timeout_s;          /* 0: none */
  bool until_stable;         /* profile: batches of --runs until the medians settle */
  int max_runs;              /* 0: the library's default cap */
  double max_seconds;        /* 0: the library's default cap */
  double duration_s;         /* profile: timed runs for this long, at least --runs (0: none) */
  double percentiles[ROOF_MAX_PERCENTILES];
  int num_percentiles;       /* 0: the library's default (50, 90, 95, 99) */
  int64_t batch;             /* --batch N: first dim of every graph input (0: as the model says) */
  int streams;               /* profile --streams N: inference requests at once (0: 1) */
  const char* feedback[ROOF_MAX_FEEDBACK]; /* --feedback OUT=IN: output OUT ends at '=' */
  int num_feedback;
  const char* model_flag; /* the first option given other than --json, --html, --quiet (compare A B refuses it) */
  bool no_model;  /* probe takes no MODEL */
  bool allow_two; /* compare takes A.json B.json */
  bool quiet;     /* no progress indicator, no notes */
} cli_opts;

static int fail(roof_status st, const roof_error* err) {
  fprintf(stderr, "rooftop: %s\n", err->message);
  return roof_exit_code(st);
}

static int usage_error(const char* fmt, const char* arg) {
  fprintf(stderr, "rooftop: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, " (see rooftop --help)\n");
  return ROOF_E_USAGE;
}

static const char kHelp[] =
    "rooftop - per-layer roofline profiler for ONNX models on XNNPACK\n"
    "\n"
    "usage: rooftop COMMAND [ARGS]      (rooftop COMMAND --help: options and examples)\n"
    "\n"
    "commands:\n"
    "  run MODEL      run once; print a summary of the outputs, or write them (--output-dir)\n"
    "  profile MODEL  time every layer next to its FLOPs and bytes\n"
    "  info MODEL     shapes, params, FLOPs and bytes per layer, without running\n"
    "  compare MODEL  profile with --fusion none and with fusion; outputs must agree\n"
    "  compare A.json B.json   diff two saved profiles layer by layer (by original node)\n"
    "  compare FLOAT.onnx INT8.onnx   two models on the same inputs: layers side by side, outputs\n"
    "  ops            supported ops with opset range and backend\n"
    "  passes         fusion passes\n"
    "  probe          measure peak FLOP/s and cache/DRAM bandwidth (--json FILE saves them)\n"
    "\n"
    "common options:\n"
    "  --shape NAME=DIMS   bind a dynamic input shape, e.g. --shape input=1x3x224x224\n"
    "  --input NAME=FILE   input tensor (.pb TensorProto or .npy); others get seeded random data\n"
    "                      (string inputs: the decimal text of seeded random numbers)\n"
    "  --threads N         thread count (default: the CPUs this process may use)\n"
    "  --fusion SPEC       all (default), none, or a comma list of pass names\n"
    "  --seed N            seed for random inputs (default 42)\n"
    "  --reference         use the reference kernels for every op (slow; an oracle)\n"
    "  --winograd MODE     3x3 stride-1 convs: auto (default: per layer, the faster of Winograd\n"
    "                      and XNNPACK, timed once and cached), on, off\n"
    "  --batch N           first dim of every graph input (a fixed one is rewritten, with a warning)\n"
    "  --quiet, -q         no progress indicator on stderr, no notes on stdout\n"
    "  --wide              table names whole (else fitted to COLUMNS, the terminal, or 100 columns)\n"
    "\n"
    "limits (untrusted models; positive integers; a model over a limit exits 65, over --max-rank 69):\n"
    "  --max-file-bytes N        model and --input file size (default 2147483647 = 2 GiB - 1)\n"
    "  --max-nesting-depth N     protobuf message nesting (default 100)\n"
    "  --decode-budget-factor N  decoder may allocate N x file size + 64 MiB (default 8)\n"
    "  --max-nodes N             nodes in the graph (default 1000000)\n"
    "  --max-initializers N      initializers in the graph (default 1000000)\n"
    "  --max-name-bytes N        any name (node, tensor, attribute, ...) (default 4096)\n"
    "  --max-rank N              rank of initializers, constants and graph inputs, 1..6 (default 6)\n"
    "  --max-tensor-bytes N      any tensor in the file or planned, and any one dim (default 4 GiB)\n"
    "  --max-arena-bytes N       planned activation arena (default 17179869184 = 16 GiB)\n"
    "  --timeout SECONDS         run time limit, checked between kernels, e.g. 0.5 (default none);\n"
    "                            when reached the command stops cleanly and exits 75\n"
    "\n"
    "run:     --output-dir DIR (default: no files written), --output-format pb|npy (default pb)\n"
    "profile: --runs N (default 20), --warmup N (default 3), --top N,\n"
    "         --duration S (timed runs for S seconds, at least --runs), --percentiles 50,90,95,99,\n"
    "         --streams N (throughput mode: N inference requests at once, threads divided),\n"
    "         --sort order|time|headroom|efficiency, --hw FILE (adds a prediction for the file's machine;\n"
    "         measured figures stay this machine's),\n"
    "         --pin CPUS (e.g. 0 or 0,2-3: CPUs the run may use; big or little: a core type's),\n"
    "         --until-stable (batches of --runs until the medians settle; caps --max-runs N, default\n"
    "         10 batches and at least 200 runs, --max-seconds S, default 60)\n"
    "info:    --hw FILE adds the predicted roofline time per layer and in total\n"
    "profile, info: --json FILE writes the report as JSON (schema rooftop.profile/1),\n"
    "         --csv FILE one row per layer, --trace FILE Chrome trace events (profile only)\n"
    "profile, compare: --html FILE writes a self-contained HTML report (roofline chart, tables)\n"
    "\n"
    "exit codes: 0 ok, 64 usage, 65 invalid model or input data, 66 cannot open,\n"
    "            69 valid but unsupported, 70 internal error, 71 out of memory,\n"
    "            73 cannot create output, 74 write error, 75 time limit (--timeout) reached,\n"
    "            130 interrupted (Ctrl-C during profile: the reports cover the runs finished)\n"
    "\n"
    "examples:\n"
    "  rooftop profile resnet18.onnx --threads 1 --html resnet18.html\n"
    "  rooftop run model.onnx --shape input=1x3x640x640 --output-dir out\n";

static const char kInputHelp[] =
    "  --shape NAME=DIMS   bind a dynamic input shape (dims separated by x)\n"
    "  --input NAME=FILE   input tensor (.pb TensorProto or .npy); others get seeded random data\n"
    "                      (string inputs: the decimal text of seeded random numbers)\n"
    "  --seed N            seed for random inputs (default 42)\n"
    "  --threads N         thread count (default: the CPUs this process may use)\n"
    "  --fusion SPEC       all (default), none, or a comma list of pass names (rooftop passes)\n"
    "  --reference         reference kernels for every op (slow; an oracle)\n"
    "  --winograd MODE     3x3 stride-1 convs: auto (timed per layer, cached), on, off\n"
    "  --batch N           first dim of every graph input (a fixed one is rewritten, with a warning)\n"
    "  --quiet, -q         no progress indicator on stderr, no notes on stdout\n";

/* One help text per command: usage, options, examples (printed with kInputHelp where the
 * command loads a model). */
typedef struct cmd_help {
  const char* name;
  bool model_options;
  const char* text;
} cmd_help;

static const cmd_help kCommandHelp[] = {
    {"run", true,
     "usage: rooftop run MODEL [options]\n"
     "Runs the model once and writes each graph output as DIR/output_<i>.pb (or .npy); without\n"
     "--output-dir prints each output's name, shape, first values and range.\n\n"
     "  --output-dir DIR    where to write the outputs (default: none written)\n"
     "  --output-format F   pb (TensorProto, default) or npy\n"
     "  --runs N            call the model N times, as a stream of frames (default 1); the outputs\n"
     "                      are the last call's\n"
     "  --feedback OUT=IN   after each call, output OUT becomes input IN of the next (state of a\n"
     "                      streaming model, e.g. hn=h0); repeatable\n"},
    {"profile", true,
     "usage: rooftop profile MODEL [options]\n"
     "Times every executed layer and puts it against its roofline bound on this machine.\n\n"
     "  --runs N            timed runs per phase (default 20)\n"
     "  --warmup N          untimed runs before each phase (default 3)\n"
     "  --sort KEY          order (default), time, headroom or efficiency\n"
     "  --top N             print the first N layers of the table (default all)\n"
     "  --hw FILE           add a prediction for the file's machine (pred ms column, total, energy);\n"
     "                      this machine is still the one measured and judged\n"
     "  --pin CPUS          run on these CPUs only, e.g. 0 or 0,2-3; big or little: the CPUs of the\n"
     "                      fastest or slowest core type (big.LITTLE) among those allowed\n"
     "  --until-stable      batches of --runs timed runs until two in a row agree (latency and every\n"
     "                      layer above 1% of the time within 2%), or a cap is reached; every report\n"
     "                      says which, after how many runs\n"
     "  --max-runs N        cap for --until-stable (default 10 batches, at least 200 runs)\n"
     "  --max-seconds S     cap for --until-stable, seconds of timed runs (default 60)\n"
     "  --duration S        timed runs until S seconds of them have passed (at least --runs)\n"
     "  --percentiles LIST  latency percentiles to print and save (default 50,90,95,99)\n"
     "  --feedback OUT=IN   streaming models: after every run output OUT becomes input IN of the\n"
     "                      next (e.g. hn=h0, outside the timed region); repeatable; adds the\n"
     "                      latency per call in microseconds\n"
     "  --streams N         throughput mode: N inference requests at once, each a session with its\n"
     "                      own arena and packed weights, --threads divided among them (at least 1\n"
     "                      each); reports inferences per second and latency under that load, and\n"
     "                      layer times pooled over the streams (--runs per stream)\n"
     "  --wide              names whole; else the table fits COLUMNS, the terminal, or 100 columns\n"
     "  --json FILE         report as JSON (schema rooftop.profile/1): every run's latency too\n"
     "  --csv FILE          one row per layer\n"
     "  --trace FILE        Chrome trace events (chrome://tracing, Perfetto)\n"
     "  --html FILE         self-contained HTML report: roofline chart, sortable layer table\n\n"
     "examples:\n"
     "  rooftop profile resnet18.onnx --threads 1 --sort time --top 10\n"
     "  rooftop profile model.onnx --shape input=1x3x224x224 --html report.html --json report.json\n"
     "  rooftop profile model.onnx --hw tools/hw/intel-10980xe.json --runs 50\n"
     "  rooftop profile model.onnx --until-stable --max-seconds 30\n"
     "  rooftop profile model.onnx --duration 10 --percentiles 50,99,99.9\n"
     "  rooftop profile model.onnx --streams 2 --threads 2\n"
     "  rooftop profile model.onnx --pin big   # big.LITTLE: the fast cores only\n"
     "Ctrl-C ends the timed runs; the reports then cover the runs finished (exit 130).\n"},
    {"info", true,
     "usage: rooftop info MODEL [options]\n"
     "Shapes, params, FLOPs and bytes per layer without running the model: no kernel is created\n"
     "and no weight packed (kernel column unchosen, arena figures estimated).\n\n"
     "  --hw FILE           add the predicted roofline time per layer and in total for the file's\n"
     "                      machine and thread count\n"
     "  --json FILE         report as JSON (schema rooftop.info/1)\n"
     "  --csv FILE          one row per layer\n\n"
     "examples:\n"
     "  rooftop info resnet18.onnx --fusion none\n"
     "  rooftop info model.onnx --hw tools/hw/intel-10980xe.json --json predicted.json\n"},
    {"compare", true,
     "usage: rooftop compare MODEL [options]\n"
     "       rooftop compare A.json B.json\n"
     "       rooftop compare FLOAT.onnx INT8.onnx [options]\n"
     "Profiles MODEL with --fusion none and with fusion on the same inputs: outputs must agree;\n"
     "prints time saved per fused group. With two saved profiles (rooftop profile --json), names\n"
     "both (model, machine, threads, date), warns when the models differ, and diffs them layer by\n"
     "layer (matched by the original nodes they stand for) with a sum-of-layers row; it takes\n"
     "only --json, --html and --quiet. With two models (a float one and its QDQ version): both\n"
     "profiled on the same inputs, each layer of the first beside the layer of the second that\n"
     "holds its node name (ms, KiB), the unmatched layers, totals, and per output the max abs\n"
     "error and cosine similarity (--json: rooftop.compare_models/1; --html: that page). Profiles and\n"
     "models are told apart by content; one of each exits 64.\n\n"
     "  --runs N, --warmup N, --hw FILE   as for profile (compare MODEL)\n"
     "  --json FILE         comparison as JSON (rooftop.compare/1; A.json B.json: rooftop.diff/1)\n"
     "  --html FILE         self-contained HTML report: the fused run with the fused groups, or\n"
     "                      A beside B with B's profile (two profiles or two models)\n\n"
     "examples:\n"
     "  rooftop compare resnet18_raw.onnx --threads 1 --html fusion.html\n"
     "  rooftop compare laptop.json server.json\n"
     "  rooftop compare resnet18.onnx resnet18_qdq.onnx --threads 1 --json int8.json\n"},
    {"probe", false,
     "usage: rooftop probe [--threads N] [--pin CPUS|big|little] [--json FILE] [--quiet]\n"
     "Measures peak FP32 FLOP/s and read/write/copy bandwidth at L1, L2, L3 and DRAM working sets;\n"
     "the result is cached per CPU, thread count and CPU set for rooftop profile (not when it\n"
     "contradicts itself after 3 measurements, nor with more threads than CPUs allowed).\n"
     "On a big.LITTLE machine it then measures each core type on one thread pinned to one of its\n"
     "CPUs (peak and read bandwidths); elsewhere it prints the one core type.\n\n"
     "examples:\n"
     "  rooftop probe --threads 1\n"
     "  rooftop probe --json my-machine.json   # usable later with --hw\n"
     "  rooftop probe --pin little --threads 1 # the slow cores' roofs\n"},
    {"ops", false,
     "usage: rooftop ops [--json]\n"
     "Lists the supported ops with their opset range and, in priority order, the kernels that\n"
     "can run them (backend and input dtypes); --json prints the same as JSON (rooftop.ops/1).\n"},
    {"passes", false, "usage: rooftop passes\nLists the fusion passes.\n"},
};

/* Prints the help of `cmd`; false when there is no such command. */
static bool print_command_help(const char* cmd) {
  for (size_t i = 0; i < sizeof(kCommandHelp) / sizeof(kCommandHelp[0]); i++) {
    const cmd_help* h = &kCommandHelp[i];
    if (strcmp(h->name, cmd) != 0) continue;
    fputs(h->text, stdout);
    if (h->model_options) printf("\nmodel options:\n%s", kInputHelp);
    return true;
  }
  return false;
}

static bool is_help(const char* a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

static bool parse_u64(const char* s, uint64_t max, uint64_t* out) {
  if (s == NULL || *s == '\0' || *s == '-') return false;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return false;
  *out = v;
  return true;
}

/* Seconds as a positive decimal number (e.g. 0.001 or 30), at most a year. */
static bool parse_seconds(const char* s, double* out) {
  if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '.')) return false; /* no sign, space, inf, nan */
  char* end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v > 0.0) || v > 31536000.0) return false;
  *out = v;
  return true;
}

typedef struct limit_flag {
  const char* name;
  uint64_t min, max;
} limit_flag;

/* One table entry per library limit; the index is the case in set_limit(). */
static const limit_flag kLimitFlags[] = {
    {"--max-file-bytes", 1, UINT64_MAX},  {"--max-nesting-depth", 1, UINT32_MAX},
    {"--decode-budget-factor", 1, 1024},  {"--max-nodes", 1, UINT32_MAX},
    {"--max-initializers", 1, UINT32_MAX}, {"--max-name-bytes", 1, UINT32_MAX},
    {"--max-rank", 1, 6},                 {"--max-tensor-bytes", 1, UINT64_MAX},
    {"--max-arena-bytes", 1, UINT64_MAX},
};

static void set_limit(cli_opts* o, size_t which, uint64_t n) {
  switch (which) {
    case 0: o->limits.max_file_bytes = n; break;
    case 1: o->limits.max_nesting_depth = (uint32_t)n; break;
    case 2: o->limits.decode_budget_factor = (uint32_t)n; break;
    case 3: o->limits.max_nodes = (uint32_t)n; break;
    case 4: o->limits.max_initializers = (uint32_t)n; break;
    case 5: o->limits.max_name_bytes = (uint32_t)n; break;
    case 6: o->limits.max_rank = (uint32_t)n; break;
    case 7: o->limits.max_tensor_bytes = n; break;
    default: o->max_arena_bytes = n; break;
  }
}

/* 1: `a` is a limit flag (handled, or a usage error in *rc); 0: not one. */
static int parse_limit(cli_opts* o, const char* a, const char* v, int* rc) {
  for (size_t i = 0; i < sizeof(kLimitFlags) / sizeof(kLimitFlags[0]); i++) {
    const limit_flag* f = &kLimitFlags[i];
    if (strcmp(a, f->name) != 0) continue;
    uint64_t n;
    if (v == NULL) {
      *rc = usage_error("option %s needs a value", a);
    } else if (!parse_u64(v, f->max, &n) || n < f->min) {
      fprintf(stderr, "rooftop: %s expects an integer in %llu..%llu, got '%s' (see rooftop --help)\n", a,
              (unsigned long long)f->min, (unsigned long long)f->max, v);
      *rc = ROOF_E_USAGE;
    } else {
      set_limit(o, i, n);
      *rc = 0;
    }
    return 1;
  }
  return 0;
}

static int parse_shape(cli_opts* o, const char* arg) {
  const char* eq = strrchr(arg, '=');
  if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(o->shape_names[0])) {
    return usage_error("--shape expects NAME=DIMS such as input=1x3x224x224, got '%s'", arg);
  }
  if (o->num_shapes >= MAX_BINDINGS) return usage_error("too many --shape options%s", "");
  roof_shape_binding* b = &o->shapes[o->num_shapes];
  memcpy(o->shape_names[o->num_shapes], arg, (size_t)(eq - arg));
  o->shape_names[o->num_shapes][eq - arg] = '\0';
  b->name = o->shape_names[o->num_shapes];
  b->rank = 0;
  const char* p = eq + 1;
  while (*p) {
    if (b->rank >= 6) return usage_error("--shape '%s' has more than 6 dims", arg);
    char* end;
    errno = 0;
    long long d = strtoll(p, &end, 10);
    if (end == p || errno || d < 0 || d > (1ll << 40)) return usage_error("--shape '%s': bad dimension", arg);
    if (d == 0) return usage_error("--shape '%s': a dimension is 0 (an empty tensor): dims must be 1 or more", arg);
    b->dims[b->rank++] = d;
    if (*end == 'x' || *end == 'X' || *end == ',') end++;
    else if (*end) return usage_error("--shape '%s': dims are separated by 'x'", arg);
    p = end;
  }
  o->num_shapes++;
  return 0;
}

/* --percentiles 50,90,99.9: each in (0, 100], at most ROOF_MAX_PERCENTILES. */
static int parse_percentiles(cli_opts* o, const char* list) {
  const char* p = list;
  o->num_percentiles = 0;
  while (*p) {
    char* end;
    errno = 0;
    double q = (*p >= '0' && *p <= '9') || *p == '.' ? strtod(p, &end) : -1.0;
    if (q < 0 || errno || end == p || !(q > 0.0 && q <= 100.0) || (*end && *end != ',')) {
      return usage_error("--percentiles expects a comma list of numbers in (0, 100] such as 50,90,99, got '%s'", list);
    }
    if (o->num_percentiles >= ROOF_MAX_PERCENTILES) return usage_error("--percentiles takes at most 8 values, got '%s'", list);
    o->percentiles[o->num_percentiles++] = q;
    p = *end ? end + 1 : end;
  }
  if (o->num_percentiles == 0) return usage_error("--percentiles needs at least one value%s", "");
  return 0;
}

static int parse_args(int argc, char** argv, int first, cli_opts* o) {
  o->runs = 20;
  o->warmup = 3;
  o->seed = 42;
  for (int i = first; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t n;
    int limit_rc = 0;
    bool report_flag = !strcmp(a, "--json") || !strcmp(a, "--html") || !strcmp(a, "--quiet") || !strcmp(a, "-q");
    if (a[0] == '-' && !report_flag && o->model_flag == NULL) o->model_flag = a;
    if (parse_limit(o, a, v, &limit_rc)) {
      if (limit_rc) return limit_rc;
      i++;
      continue;
    }
#define NEED_VALUE() \
  if (v == NULL) return usage_error("option %s needs a value", a); \
  i++
    if (strcmp(a, "--shape") == 0) {
      NEED_VALUE();
      int rc = parse_shape(o, v);
      if (rc) return rc;
    } else if (strcmp(a, "--input") == 0) {
      NEED_VALUE();
      const char* eq = strchr(v, '=');
      if (eq == NULL || eq == v || o->num_input_files >= MAX_BINDINGS) {
        return usage_error("--input expects NAME=FILE, got '%s'", v);
      }
      o->input_names[o->num_input_files] = v; /* NAME ends at '=' */
      o->input_files[o->num_input_files++] = eq + 1;
    } else if (strcmp(a, "--threads") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1024, &n) || n == 0) return usage_error("--threads expects 1..1024, got '%s'", v);
      o->threads = (uint32_t)n;
    } else if (strcmp(a, "--runs") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1000000, &n) || n == 0) return usage_error("--runs expects 1..1000000, got '%s'", v);
      o->runs = (int)n;
    } else if (strcmp(a, "--warmup") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1000000, &n)) return usage_error("--warmup expects 0..1000000, got '%s'", v);
      o->warmup = (int)n;
    } else if (strcmp(a, "--until-stable") == 0) {
      o->until_stable = true;
    } else if (strcmp(a, "--max-runs") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1000000, &n) || n == 0) return usage_error("--max-runs expects 1..1000000, got '%s'", v);
      o->max_runs = (int)n;
    } else if (strcmp(a, "--max-seconds") == 0) {
      NEED_VALUE();
      if (!parse_seconds(v, &o->max_seconds)) {
        return usage_error("--max-seconds expects seconds > 0 (at most 31536000), such as 30, got '%s'", v);
      }
    } else if (strcmp(a, "--feedback") == 0) {
      NEED_VALUE();
      const char* eq = strchr(v, '=');
      if (eq == NULL || eq == v || eq[1] == '\0') return usage_error("--feedback expects OUTPUT=INPUT, got '%s'", v);
      if (o->num_feedback >= ROOF_MAX_FEEDBACK) return usage_error("--feedback: at most 16 pairs (at '%s')", v);
      o->feedback[o->num_feedback++] = v;
    } else if (strcmp(a, "--streams") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 64, &n) || n == 0) return usage_error("--streams expects 1..64, got '%s'", v);
      o->streams = (int)n;
    } else if (strcmp(a, "--duration") == 0) {
      NEED_VALUE();
      if (!parse_seconds(v, &o->duration_s)) {
        return usage_error("--duration expects seconds > 0 (at most 31536000), such as 10, got '%s'", v);
      }
    } else if (strcmp(a, "--percentiles") == 0) {
      NEED_VALUE();
      int rc = parse_percentiles(o, v);
      if (rc) return rc;
    } else if (strcmp(a, "--batch") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1u << 20, &n) || n == 0) return usage_error("--batch expects 1..1048576, got '%s'", v);
      o->batch = (int64_t)n;
    } else if (strcmp(a, "--pin") == 0) {
      NEED_VALUE();
      o->pin = v;
    } else if (strcmp(a, "--top") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, 1000000, &n)) return usage_error("--top expects a count, got '%s'", v);
      o->top = (int)n;
    } else if (strcmp(a, "--seed") == 0) {
      NEED_VALUE();
      if (!parse_u64(v, UINT64_MAX, &n)) return usage_error("--seed expects a number, got '%s'", v);
      o->seed = n;
    } else if (strcmp(a, "--output-dir") == 0) {
      NEED_VALUE();
      o->output_dir = v;
    } else if (strcmp(a, "--output-format") == 0) {
      NEED_VALUE();
      if (strcmp(v, "npy") != 0 && strcmp(v, "pb") != 0) return usage_error("--output-format expects pb or npy, got '%s'", v);
      o->npy = strcmp(v, "npy") == 0;
    } else if (strcmp(a, "--fusion") == 0) {
      NEED_VALUE();
      o->fusion = v;
    } else if (strcmp(a, "--sort") == 0) {
      NEED_VALUE();
      if (strcmp(v, "time") == 0) o->sort = ROOF_SORT_TIME;
      else if (strcmp(v, "headroom") == 0) o->sort = ROOF_SORT_HEADROOM;
      else if (strcmp(v, "efficiency") == 0) o->sort = ROOF_SORT_EFFICIENCY;
      else if (strcmp(v, "order") == 0) o->sort = ROOF_SORT_ORDER;
      else return usage_error("--sort expects order, time, headroom or efficiency, got '%s'", v);
    } else if (strcmp(a, "--hw") == 0) {
      NEED_VALUE();
      o->hw_file = v;
    } else if (strcmp(a, "--csv") == 0) {
      NEED_VALUE();
      o->csv_out = v;
    } else if (strcmp(a, "--trace") == 0) {
      NEED_VALUE();
      o->trace_out = v;
    } else if (strcmp(a, "--json") == 0) {
      NEED_VALUE();
      o->json_out = v;
    } else if (strcmp(a, "--html") == 0) {
      NEED_VALUE();
      o->html_out = v;
    } else if (strcmp(a, "--wide") == 0) {
      o->wide = true;
    } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
      o->quiet = true;
    } else if (strcmp(a, "--timeout") == 0) {
      NEED_VALUE();
      if (!parse_seconds(v, &o->timeout_s)) {
        return usage_error("--timeout expects seconds > 0 (at most 31536000), such as 0.5 or 30, got '%s'", v);
      }
    } else if (strcmp(a, "--reference") == 0) {
      o->reference = 1;
    } else if (strcmp(a, "--winograd") == 0) {
      NEED_VALUE();
      if (strcmp(v, "auto") == 0) o->winograd = 0;
      else if (strcmp(v, "on") == 0) o->winograd = 1;
      else if (strcmp(v, "off") == 0) o->winograd = -1;
      else return usage_error("--winograd expects auto, on or off, got '%s'", v);
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else if (o->model == NULL) {
      o->model = a;
    } else if (o->model2 == NULL && o->allow_two) {
      o->model2 = a;
    } else {
      return usage_error("unexpected argument '%s'", a);
    }
#undef NEED_VALUE
  }
  if (o->model == NULL && !o->no_model) return usage_error("missing MODEL argument%s", "");
  return 0;
}

/* Report paths are tried before any work: a profile of minutes must not end in "cannot create".
 * The writers create PATH.tmp.PID and rename it over PATH; the same temporary is created and
 * removed here (a directory named PATH would fail the rename). */
static int check_writable(const char* path) {
  struct stat sb;
  char tmp[4096];
  if (path == NULL) return 0;
  if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "rooftop: %s: cannot create: it is a directory\n", path);
    return ROOF_E_CANTCREAT;
  }
  if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
    fprintf(stderr, "rooftop: %s: cannot create: path too long\n", path);
    return ROOF_E_CANTCREAT;
  }
  FILE* f = fopen(tmp, "wb");
  if (f == NULL) {
    fprintf(stderr, "rooftop: %s: cannot create: %s\n", path, strerror(errno));
    return ROOF_E_CANTCREAT;
  }
  fclose(f);
  remove(tmp);
  return 0;
}

static int check_report_paths(const cli_opts* o) {
  const char* paths[] = {o->json_out, o->csv_out, o->trace_out, o->html_out};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
    int rc = check_writable(paths[i]);
    if (rc) return rc;
  }
  return 0;
}

/* splitmix64: deterministic, seedable, no global state */
static uint64_t next_rand(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Strings get the text of the numbers a float input would get ("%.9g"), so a string input feeding
 * a Cast to a number profiles without a file. */
static void fill_random(int dtype, void* data, size_t nbytes, uint64_t seed) {
  size_t es = roof_dtype_size(dtype);
  size_t n = es ? nbytes / es : 0;
  for (size_t i = 0; i < n; i++) {
    double u = (double)(next_rand(&seed) >> 11) / 9007199254740992.0; /* [0, 1) */
    if (dtype == ROOF_DT_STRING) {
      char* e = (char*)data + i * ROOF_STRING_BYTES;
      memset(e, 0, ROOF_STRING_BYTES);
      snprintf(e, ROOF_STRING_BYTES, "%.9g", 2.0 * u - 1.0);
    } else if (dtype == ROOF_DT_FLOAT || dtype == ROOF_DT_DOUBLE) roof_store_f64(dtype, data, (int64_t)i, 2.0 * u - 1.0);
    else roof_store_i64(dtype, data, (int64_t)i, (int64_t)(u * 2.0)); /* 0 or 1: safe as indices */
  }
}

static bool name_matches(const char* binding, const char* name) {
  size_t n = (size_t)(strchr(binding, '=') - binding);
  return strlen(name) == n && strncmp(binding, name, n) == 0;
}

/* --feedback OUT=IN pairs as output and input indices, each pair checked (names exist, same
 * dtype and shape, the input sets no shape). */
static roof_status feedback_pairs(const roof_session* s, const cli_opts* o, size_t (*pairs)[2], roof_error* err) {
  for (int f = 0; f < o->num_feedback; f++) {
    const char* b = o->feedback[f];
    const char* in_name = strchr(b, '=') + 1;
    size_t out = SIZE_MAX, in = SIZE_MAX;
    for (size_t i = 0; i < roof_session_num_outputs(s); i++) {
      roof_io_info info;
      roof_session_output_info(s, i, &info);
      if (name_matches(b, info.name)) out = i;
    }
    for (size_t i = 0; i < roof_session_num_inputs(s); i++) {
      roof_io_info info;
      roof_session_input_info(s, i, &info);
      if (strcmp(in_name, info.name) == 0) in = i;
    }
    if (out == SIZE_MAX || in == SIZE_MAX) {
      return roof_fail(err, ROOF_E_USAGE, "%s: --feedback %s: '%.*s' is %s", o->model, b,
                       out == SIZE_MAX ? (int)(in_name - 1 - b) : (int)strlen(in_name), out == SIZE_MAX ? b : in_name,
                       out == SIZE_MAX ? "not a graph output" : "not a graph input");
    }
    roof_status st = roof_session_feedback_check(s, out, in, err);
    if (st != ROOF_OK) return st;
    pairs[f][0] = out;
    pairs[f][1] = in;
  }
  return ROOF_OK;
}

/* Binds every graph input: from --input files, else seeded random data (announced on stdout). */
static roof_status bind_inputs(roof_session* s, const cli_opts* o, roof_error* err) {
  size_t ni = roof_session_num_inputs(s);
  for (int f = 0; f < o->num_input_files; f++) {
    bool found = false;
    for (size_t i = 0; i < ni && !found; i++) {
      roof_io_info info;
      roof_session_input_info(s, i, &info);
      found = name_matches(o->input_names[f], info.name);
    }
    if (!found) {
      return roof_fail(err, ROOF_E_USAGE, "%s: --input names '%.*s', which is not a graph input", o->model,
                       (int)(strchr(o->input_names[f], '=') - o->input_names[f]), o->input_names[f]);
    }
  }
  for (size_t i = 0; i < ni; i++) {
    roof_io_info info;
    roof_session_input_info(s, i, &info);
    const char* file = NULL;
    for (int f = 0; f < o->num_input_files; f++) {
      if (name_matches(o->input_names[f], info.name)) file = o->input_files[f];
    }
    roof_status st;
    if (info.kind != ROOF_KIND_TENSOR) { /* no tensor file and no random data stand for a sequence */
      return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: tensor '%s': graph input is a sequence or optional: rooftop gives "
                       "random data and --input files to tensor inputs only", o->model, info.name);
    }
    if (file) {
      roof_value v = {0};
      st = roof_tensor_file_read_limited(file, &o->limits, &v, err);
      if (st != ROOF_OK) return st;
      bool same = v.dtype == info.dtype && v.rank == info.rank;
      for (int d = 0; same && d < v.rank; d++) same = v.dims[d] == info.dims[d];
      if (!same) {
        char a[128], b[128];
        st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': file holds %s %s, the graph expects %s %s", file, info.name,
                       roof_dtype_name(v.dtype), roof_shape_str(v.dims, v.rank, a, sizeof(a)),
                       roof_dtype_name(info.dtype), roof_shape_str(info.dims, info.rank, b, sizeof(b)));
      } else {
        st = roof_session_set_input(s, i, v.data, v.nbytes, err);
      }
      roof_value_release(&v);
      if (st != ROOF_OK) return st;
    } else {
      void* buf = malloc(info.nbytes ? info.nbytes : 1);
      if (buf == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory for input '%s'", info.name);
      fill_random(info.dtype, buf, info.nbytes, o->seed + i);
      st = roof_session_set_input(s, i, buf, info.nbytes, err);
      free(buf);
      if (st != ROOF_OK) return st;
      if (!o->quiet) printf("note: input '%s' not given: seeded random values (seed %" PRIu64 ")\n", info.name, o->seed + i);
    }
  }
  return ROOF_OK;
}

/* --pin big|little: the CPUs of the fastest or slowest core type (core_types.h) among those the
 * process may use now (taskset, a cpuset), so that a narrower mask is kept, not widened. */
static roof_status pin_core_type(const char* role, cpu_set_t* set, roof_error* err) {
  roof_core_types t;
  roof_core_types_detect(NULL, &t);
  const roof_core_type* ty = &t.type[roof_core_type_by_role(&t, role)];
  cpu_set_t now;
  if (sched_getaffinity(0, sizeof(now), &now) != 0) CPU_ZERO(&now);
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (roof_core_type_has(ty, c) && CPU_ISSET(c, &now)) CPU_SET(c, set);
  }
  if (CPU_COUNT(set) > 0) return ROOF_OK;
  roof_cpu_limits lim;
  roof_cpu_limits_get(&lim);
  return roof_fail(err, ROOF_E_USAGE, "--pin %s: none of the %s CPUs (%s) is among the CPUs this process may use (%s)",
                   role, role, ty->cpus[0] ? ty->cpus : "unknown", lim.cpu_set);
}

/* --pin 0,2-3 (or big, little): restrict the process (and the pool threads created after) to
 * these CPUs. */
static roof_status apply_pin(const char* spec, roof_error* err) {
  cpu_set_t set;
  CPU_ZERO(&set);
  const char* p = spec;
  if (strcmp(spec, "big") == 0 || strcmp(spec, "little") == 0) {
    roof_status st = pin_core_type(spec, &set, err);
    if (st != ROOF_OK) return st;
    p = "";
  }
  while (*p) {
    char* end;
    long a = strtol(p, &end, 10), b = a;
    if (end == p || a < 0 || a >= CPU_SETSIZE) goto bad;
    if (*end == '-') {
      p = end + 1;
      b = strtol(p, &end, 10);
      if (end == p || b < a || b >= CPU_SETSIZE) goto bad;
    }
    for (long c = a; c <= b; c++) CPU_SET((int)c, &set);
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') goto bad;
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return roof_fail(err, ROOF_E_USAGE, "--pin %s: cannot run on those CPUs: %s", spec, strerror(errno));
  }
  return ROOF_OK;
bad:
  return roof_fail(err, ROOF_E_USAGE, "--pin expects big, little or a CPU list such as 0 or 0,2-3, got '%s'", spec);
}

/* --batch N: the first dim of every graph input of rank 1 or more becomes N before shapes are
 * inferred. A dynamic one is bound; a fixed one is rewritten with a warning, since a graph
 * that hard-codes its batch elsewhere (a Reshape to 1x...) then fails or misreads it. */
static void apply_batch(const cli_opts* o, roof_model* m) {
  roof_graph* g = m->g;
  for (int i = 0; o->batch > 0 && i < g->num_inputs; i++) {
    roof_value* v = &g->values[g->inputs[i]];
    if (v->rank < 1 || v->dims[0] == o->batch) continue;
    if (v->dims[0] >= 0) {
      fprintf(stderr, "rooftop: warning: input '%.64s' has a fixed batch dim %lld, rewritten to %lld (--batch)\n",
              v->name, (long long)v->dims[0], (long long)o->batch);
    }
    v->dims[0] = o->batch;
  }
}

/* Applies --pin, then loads the model (unprepared), --batch applied; on failure prints
 * nothing (caller does). */
static roof_status load_model(const cli_opts* o, roof_model** m_out, roof_error* err) {
  roof_status st = o->pin ? apply_pin(o->pin, err) : ROOF_OK;
  if (st == ROOF_OK) st = roof_model_load(o->model, &o->limits, m_out, err);
  if (st == ROOF_OK) apply_batch(o, *m_out);
  return st;
}

/* The --input files are offered to prepare as values: the model is planned for those of the
 * inputs that set shapes (the others are read again when bound). */
static roof_status prepare_model(const cli_opts* o, roof_model* m, const char* fusion, roof_error* err) {
  roof_value files[MAX_BINDINGS] = {{0}};
  roof_value_binding values[MAX_BINDINGS];
  char names[MAX_BINDINGS][ROOF_NAME_BUF];
  roof_status st = ROOF_OK;
  int nf = 0;
  for (; nf < o->num_input_files && st == ROOF_OK; nf++) {
    st = roof_tensor_file_read_limited(o->input_files[nf], &o->limits, &files[nf], err);
    int len = (int)(strchr(o->input_names[nf], '=') - o->input_names[nf]); /* NAME of NAME=FILE */
    snprintf(names[nf], sizeof(names[nf]), "%.*s", len, o->input_names[nf]);
    values[nf] = (roof_value_binding){.name = names[nf], .dtype = files[nf].dtype, .rank = files[nf].rank,
                                      .data = files[nf].data, .nbytes = files[nf].nbytes};
    if (files[nf].rank > 0) memcpy(values[nf].dims, files[nf].dims, sizeof(int64_t) * (size_t)files[nf].rank);
  }
  roof_prepare_options po = {.shapes = o->shapes, .num_shapes = (size_t)o->num_shapes, .values = values,
                             .num_values = (size_t)nf, .fusion = fusion, .max_arena_bytes = o->max_arena_bytes,
                             .partial = o->partial};
  if (st == ROOF_OK) st = roof_model_prepare(m, &po, err);
  for (int f = 0; f < nf; f++) roof_value_release(&files[f]);
  return st;
}

/* Loads and prepares; on failure prints nothing (caller does). */
static roof_status open_model(const cli_opts* o, roof_model** m_out, roof_error* err) {
  roof_model* m = NULL;
  roof_status st = load_model(o, &m, err);
  if (st == ROOF_OK) st = prepare_model(o, m, o->fusion, err);
  if (st != ROOF_OK) {
    roof_model_free(m);
    return st;
  }
  *m_out = m;
  return ROOF_OK;
}

/* A session of a prepared model that serves no other: the model's weights are released as
 * the kernels pack them, so they are held about once (borrowed ones stay with their lender). */
static roof_status sole_session(const cli_opts* o, roof_model* m, roof_session** s_out, roof_error* err) {
  roof_session_options so = {.threads = o->threads, .force_reference = o->reference, .timeout_s = o->timeout_s,
                             .winograd = o->winograd};
  return roof_model_release_to_session(m, &so, s_out, err);
}

/* Loads, prepares and creates a session; on failure prints nothing (caller does). */
static roof_status open_session(const cli_opts* o, roof_model** m_out, roof_session** s_out, roof_error* err) {
  roof_model* m = NULL;
  roof_status st = open_model(o, &m, err);
  if (st == ROOF_OK) st = sole_session(o, m, s_out, err);
  if (st != ROOF_OK) {
    roof_model_free(m);
    return st;
  }
  *m_out = m;
  return ROOF_OK;
}

static roof_status write_outputs(const roof_session* s, const char* dir, bool npy, roof_error* err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create output directory: %s", dir, strerror(errno));
  }
  for (size_t i = 0; i < roof_session_num_outputs(s); i++) {
    roof_io_info info;
    roof_session_output_info(s, i, &info);
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/output_%zu.%s", dir, i, npy ? "npy" : "pb") >= (int)sizeof(path)) {
      return roof_fail(err, ROOF_E_CANTCREAT, "%s: output path too long", dir);
    }
    if (info.kind != ROOF_KIND_TENSOR) { /* no tensor file format holds a sequence */
      return roof_fail(err, ROOF_E_UNSUPPORTED, "%s: output '%s' is a sequence or optional: --output-dir writes tensors only",
                       dir, info.name);
    }
    const void* data = roof_session_output(s, i);
    roof_status st = npy ? roof_tensor_file_write_npy(path, info.dtype, info.rank, info.dims, data, err)
                         : roof_tensor_file_write(path, info.name, info.dtype, info.rank, info.dims, data, err);
    if (st != ROOF_OK) return st;
    printf("wrote %s (%s)\n", path, info.name);
  }
  return ROOF_OK;
}

/* A sequence/optional output: its kind, element dtype and each element's shape (up to 8). */
static void print_sequence(const roof_session* s, size_t i, const char* name, const roof_io_info* info) {
  static const char* const kinds[] = {"tensor", "sequence", "optional tensor", "optional sequence"};
  bool present = false;
  size_t count = 0;
  roof_error err = {{0}};
  roof_session_output_sequence(s, i, &present, &count, &err);
  printf("output %zu '%s' %s of %s: ", i, name, kinds[info->kind & 3], roof_dtype_name(info->dtype));
  if (!present) {
    printf("empty\n");
    return;
  }
  printf("%zu element%s", count, count == 1 ? "" : "s");
  for (size_t j = 0; j < count && j < 8; j++) {
    roof_tensor_data e;
    char shape[128];
    if (roof_session_output_element(s, i, j, &e, &err) == ROOF_OK) printf("%s%s", j ? ", " : " (", roof_shape_str(e.dims, e.rank, shape, sizeof(shape)));
  }
  printf("%s\n", count == 0 ? "" : count > 8 ? ", ...)" : ")");
}

/* Without --output-dir: each output's name, dtype, shape, first values and range on stdout
 * (control characters in names shown as '?'). */
static void print_outputs(const roof_session* s) {
  for (size_t i = 0; i < roof_session_num_outputs(s); i++) {
    roof_io_info info;
    roof_session_output_info(s, i, &info);
    char shape[128], name[72];
    snprintf(name, sizeof(name), "%s", info.name);
    for (char* c = name; *c; c++) *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
    size_t es = roof_dtype_size(info.dtype), n = es ? info.nbytes / es : 0;
    if (info.kind != ROOF_KIND_TENSOR) {
      print_sequence(s, i, name, &info);
      continue;
    }
    printf("output %zu '%s' %s %s", i, name, roof_dtype_name(info.dtype), roof_shape_str(info.dims, info.rank, shape, sizeof(shape)));
    const void* data = roof_session_output(s, i);
    if (n > 0 && info.dtype == ROOF_DT_STRING) { /* the first strings, control bytes as '?' */
      printf(":");
      for (size_t k = 0; k < n && k < 5; k++) {
        char t[ROOF_STRING_BYTES];
        memcpy(t, (const char*)data + k * ROOF_STRING_BYTES, sizeof(t));
        t[sizeof(t) - 1] = '\0';
        for (char* c = t; *c; c++) *c = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
        printf(" '%s'", t);
      }
      printf("%s\n", n > 5 ? " ..." : "");
      continue;
    }
    if (n == 0 || !roof_dtype_has_scalar_io(info.dtype)) {
      printf("\n");
      continue;
    }
    double lo = roof_load_f64(info.dtype, data, 0), hi = lo, sum = 0.0;
    for (size_t k = 0; k < n; k++) {
      double v = roof_load_f64(info.dtype, data, (int64_t)k);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      sum += v;
    }
    printf(":");
    for (size_t k = 0; k < n && k < 5; k++) printf(" %.6g", roof_load_f64(info.dtype, data, (int64_t)k));
    printf("%s (min %.6g, max %.6g, mean %.6g)\n", n > 5 ? " ..." : "", lo, hi, sum / (double)n);
  }
}

static int cmd_run(const cli_opts* o) {
  roof_error err = {{0}};
  roof_model* m;
  roof_session* s;
  roof_status st = open_session(o, &m, &s, &err);
  if (st != ROOF_OK) return fail(st, &err);
  size_t pairs[ROOF_MAX_FEEDBACK][2];
  st = bind_inputs(s, o, &err);
  if (st == ROOF_OK) st = feedback_pairs(s, o, pairs, &err);
  /* --runs N: N calls, as a stream of frames; the outputs written are the last call's */
  for (int r = 0; st == ROOF_OK && r < (o->runs > 0 ? o->runs : 1); r++) {
    if (r > 0) {
      for (int f = 0; f < o->num_feedback && st == ROOF_OK; f++) st = roof_session_feed_back(s, pairs[f][0], pairs[f][1], &err);
    }
    if (st == ROOF_OK) st = roof_session_run(s, NULL, &err);
  }
  if (st == ROOF_OK && o->output_dir) st = write_outputs(s, o->output_dir, o->npy, &err);
  if (st == ROOF_OK && !o->output_dir) print_outputs(s);
  roof_session_free(s);
  roof_model_free(m);
  if (st != ROOF_OK) return fail(st, &err);
  return 0;
}

/* ---- progress on stderr ---- */

/* One progress line on stderr, drawn only when stderr is a terminal and --quiet is not given;
 * redrawn at most every 100 ms so that terminal writes stay clear of the timed runs. */
typedef struct cli_progress {
  bool on;
  const char* label; /* prefix such as "fused: ", or "" */
  double last_ms;
} cli_progress;

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static cli_progress progress_make(const cli_opts* o, const char* label) {
  cli_progress pr = {.on = !o->quiet && isatty(STDERR_FILENO), .label = label, .last_ms = 0.0};
  return pr;
}

/* roof_profile_options.progress: "[#####...............] fused: timed runs 5/20" */
static void progress_show(void* ctx, const char* phase, int done, int total) {
  cli_progress* pr = ctx;
  if (!pr->on) return;
  if (done >= total) {
    fputs("\r\033[K", stderr);
    pr->last_ms = 0.0;
    return;
  }
  double now = mono_ms();
  if (done > 0 && now - pr->last_ms < 100.0) return;
  pr->last_ms = now;
  int fill = total > 0 ? 20 * done / total : 0;
  fprintf(stderr, "\r\033[K[%.*s%.*s] %s%s %d/%d", fill, "####################", 20 - fill, "....................",
          pr->label, phase, done, total);
  fflush(stderr);
}

static void progress_note(const cli_progress* pr, const char* text) {
  if (pr == NULL || !pr->on) return;
  fprintf(stderr, "\r\033[K%s", text);
  fflush(stderr);
}

static void progress_clear(const cli_progress* pr) {
  if (pr && pr->on) fputs("\r\033[K", stderr);
}

/* ---- profile / info ---- */

static roof_status get_hw(const cli_opts* o, uint32_t threads, bool force_probe, const cli_progress* pr,
                          roof_hw* hw, roof_error* err);
static void forget_cached_probe(const roof_hw* hw);

/* Columns for the table: none with --wide; else COLUMNS when set (as exported by the user),
 * else the terminal's width when stdout is one, else 100 (files and pipes). */
static int table_width(const cli_opts* o) {
  if (o->wide) return 0;
  const char* env = getenv("COLUMNS");
  uint64_t n;
  if (env && parse_u64(env, 100000, &n) && n >= 40) return (int)n;
  struct winsize ws;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
  return 100;
}

/* Table, --json, --csv, --trace, --html of one profile. */
static roof_status write_reports(const cli_opts* o, const roof_profile* p, roof_error* err) {
  roof_report_table_fit(stdout, p, o->sort, o->top, table_width(o));
  roof_status st = ROOF_OK;
  if (o->json_out) st = roof_report_json(o->json_out, p, o->fusion, err);
  if (st == ROOF_OK && o->csv_out) st = roof_report_csv(o->csv_out, p, err);
  if (st == ROOF_OK && o->trace_out) st = roof_report_trace(o->trace_out, p, err);
  if (st == ROOF_OK && o->html_out) st = roof_report_html(o->html_out, p, o->fusion, err);
  return st;
}

/* Ctrl-C during a profile: SIGINT is blocked before any thread exists (pool threads inherit
 * the mask, so none of them takes it) and read as pending between runs; the profile then ends
 * with the runs finished and its reports are written. No handler, so no global flag. */
#define CLI_EXIT_INTERRUPTED 130 /* 128 + SIGINT, as a shell reports a process killed by it */

static void block_sigint(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static bool sigint_pending(void* ctx) {
  (void)ctx;
  sigset_t set;
  return sigpending(&set) == 0 && sigismember(&set, SIGINT) == 1;
}

static int interrupted_early(void) {
  fprintf(stderr, "rooftop: interrupted before the timed runs: no report written\n");
  return CLI_EXIT_INTERRUPTED;
}

/* Throughput mode: the threads divided among the streams (at least 1 each), one session per
 * stream. The weights are not released: every session packs its own copy from them. */
#define CLI_MAX_STREAMS 64
static roof_status stream_sessions(const cli_opts* o, roof_model* m, roof_session** s, roof_session** extra,
                                   roof_error* err) {
  uint32_t total = o->threads ? o->threads : roof_default_threads();
  uint32_t per = total / (uint32_t)o->streams;
  roof_session_options so = {.threads = per ? per : 1, .force_reference = o->reference, .timeout_s = o->timeout_s};
  roof_status st = roof_session_create(m, &so, s, err);
  for (int i = 0; st == ROOF_OK && i < o->streams - 1; i++) st = roof_session_create(m, &so, &extra[i], err);
  return st;
}

static void free_streams(roof_session** extra, int n) {
  for (int i = 0; i < n; i++) roof_session_free(extra[i]);
}

static int cmd_profile(const cli_opts* o) {
  roof_error err = {{0}};
  roof_model* m;
  roof_session* s = NULL;
  roof_session* extra[CLI_MAX_STREAMS] = {NULL};
  int num_extra = o->streams > 1 ? o->streams - 1 : 0;
  block_sigint();
  double t0 = mono_ms();
  roof_status st = open_model(o, &m, &err);
  double t1 = mono_ms();
  if (st == ROOF_OK) {
    st = num_extra ? stream_sessions(o, m, &s, extra, &err) : sole_session(o, m, &s, &err);
    if (st != ROOF_OK) {
      free_streams(extra, num_extra);
      roof_session_free(s);
      roof_model_free(m);
    }
  }
  double t2 = mono_ms();
  if (sigint_pending(NULL)) return interrupted_early();
  if (st != ROOF_OK) return fail(st, &err);
  roof_profile p;
  memset(&p, 0, sizeof(p));
  roof_hw hw, target;
  cli_progress pr = progress_make(o, "");
  /* Roofs first: a probe after the runs would compete with nothing, but one before them
   * keeps the timed phase free of the probe's cache pollution. */
  st = get_hw(o, s->threads, false, &pr, &hw, &err);
  if (st == ROOF_OK && o->hw_file) st = roof_hw_load(o->hw_file, &target, &err);
  if (st == ROOF_OK) st = bind_inputs(s, o, &err);
  cli_opts quiet = *o; /* the notes on random inputs once, not once per stream */
  quiet.quiet = true;
  for (int i = 0; st == ROOF_OK && i < num_extra; i++) st = bind_inputs(extra[i], &quiet, &err);
  size_t pairs[ROOF_MAX_FEEDBACK][2];
  if (st == ROOF_OK) st = feedback_pairs(s, o, pairs, &err);
  if (st == ROOF_OK) {
    roof_profile_options po = {.streams = extra, .num_streams = num_extra, .feedback = pairs, .num_feedback = o->num_feedback,.runs = o->runs, .warmup = o->warmup, .timed = true,
                               .progress = progress_show, .progress_ctx = &pr, .until_stable = o->until_stable,
                               .max_runs = o->max_runs, .max_seconds = o->max_seconds, .duration_s = o->duration_s,
                               .percentiles = o->num_percentiles ? o->percentiles : NULL,
                               .num_percentiles = o->num_percentiles, .stop = sigint_pending};
    if (!sigint_pending(NULL)) st = roof_profile_run(s, &po, &p, &err);
  }
  progress_clear(&pr);
  if (st == ROOF_OK && p.layers == NULL) { /* Ctrl-C during the probe or before the runs */
    free_streams(extra, num_extra);
    roof_session_free(s);
    roof_model_free(m);
    return interrupted_early();
  }
  if (st == ROOF_OK) {
    p.load_ms = t1 - t0;
    p.session_ms = t2 - t1;
    roof_profile_roofline(&p, &hw);
    if (o->hw_file) roof_profile_predict(&p, &target);
    st = write_reports(o, &p, &err);
    if (p.above_peak) forget_cached_probe(&hw);
  }
  bool stopped = st == ROOF_OK && p.stopped;
  int runs = p.runs;
  roof_profile_free(&p);
  free_streams(extra, num_extra);
  roof_session_free(s);
  roof_model_free(m);
  if (st != ROOF_OK) return sigint_pending(NULL) ? interrupted_early() : fail(st, &err);
  if (stopped) fprintf(stderr, "rooftop: interrupted: the reports cover the %d runs finished\n", runs);
  return stopped ? CLI_EXIT_INTERRUPTED : 0;
}

/* Costs from the prepared graph alone: no session, so no arena is allocated and no weight is
 * packed (the arena figures are the planner's estimate, the kernel column stays unchosen). */
/* After a partial info: every unsupported op named at once (as a load would), and the first
 * refusal of shape inference. 69 when something was left out, else 0. */
static int partial_verdict(const roof_model* m) {
  if (m->not_analysed == 0) return 0;
  const roof_graph* g = m->g;
  roof_missing_ops missing = {0};
  for (int i = 0; i < g->num_nodes; i++) {
    const roof_node* n = &g->nodes[i];
    if (n->op == NULL) roof_missing_add(&missing, n->op_type, n->domain, n->name, roof_op_known(n->domain, n->op_type));
  }
  roof_error e = {{0}};
  if (missing.kinds) roof_missing_fail(g->path, g->opset, &missing, &e);
  else snprintf(e.message, sizeof(e.message), "%s", g->path);
  /* the note is a node's refusal when no op is missing, else it repeats the list */
  bool note = missing.kinds == 0 && m->partial_note[0];
  fprintf(stderr, "rooftop: %s; %d nodes not analysed (the report covers the others)%s%s\n", e.message,
          m->not_analysed, note ? "; first refusal: " : "", note ? m->partial_note : "");
  return roof_exit_code(ROOF_E_UNSUPPORTED);
}

static int cmd_info(const cli_opts* opts) {
  roof_error err = {{0}};
  roof_model* m;
  cli_opts io = *opts; /* info reports what it can: unsupported ops are set aside, not fatal */
  io.partial = true;
  io.limits.keep_unsupported = true;
  const cli_opts* o = &io;
  roof_status st = open_model(o, &m, &err);
  if (st != ROOF_OK) return fail(st, &err);
  roof_profile p;
  memset(&p, 0, sizeof(p));
  roof_hw hw;
  st = roof_profile_static(m, o->threads, &p, &err);
  if (st == ROOF_OK && o->hw_file) st = roof_hw_load(o->hw_file, &hw, &err);
  if (st == ROOF_OK) {
    if (o->hw_file) roof_profile_roofline(&p, &hw); /* nothing measured: the file's roofs judge alone */
    if (o->hw_file) roof_profile_predict(&p, &hw);
    st = write_reports(o, &p, &err);
  }
  roof_profile_free(&p);
  int rc = st == ROOF_OK ? partial_verdict(m) : 0;
  roof_model_free(m);
  if (st != ROOF_OK) return fail(st, &err);
  return rc;
}

/* The probe streams a buffer larger than the last-level cache; run it in a child process so
 * that its memory never shows up in the profiled process's peak RSS. */
static roof_status probe_isolated(uint32_t threads, roof_hw* hw, roof_error* err) {
  int fds[2];
  if (pipe(fds) != 0) return roof_fail(err, ROOF_E_INTERNAL, "probe: pipe failed: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return roof_fail(err, ROOF_E_INTERNAL, "probe: fork failed: %s", strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    sigset_t none; /* a Ctrl-C (blocked by profile) ends the probe; the parent sees it pending */
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : NULL;
    roof_hw h;
    roof_error e = {{0}};
    roof_status st = (threads > 1 && pool == NULL) ? ROOF_E_NOMEM : roof_hw_probe(threads, pool, &h, &e);
    bool ok = st == ROOF_OK && write(fds[1], &h, sizeof(h)) == (ssize_t)sizeof(h);
    if (!ok && write(fds[1], &e, sizeof(e)) < 0) _exit(2);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  union {
    roof_hw h;
    roof_error e;
  } buf;
  size_t got = 0;
  ssize_t r;
  while ((r = read(fds[0], (char*)&buf + got, sizeof(buf) - got)) > 0) got += (size_t)r;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == sizeof(roof_hw)) {
    *hw = buf.h;
    return ROOF_OK;
  }
  if (got == sizeof(roof_error)) {
    *err = buf.e;
    return ROOF_E_INTERNAL;
  }
  return roof_fail(err, ROOF_E_INTERNAL, "probe: the measuring process failed");
}

/* Roofs are best-achievable figures: a busy neighbour during a probe can only lower them, so
 * a re-probe keeps, per figure, the higher of itself and the cached probe of these CPUs. */
static void keep_best(roof_hw* hw, const roof_hw* old) {
  if (strcmp(old->source, "probe") != 0 || strcmp(old->cpu, hw->cpu) != 0 || old->threads != hw->threads ||
      strcmp(old->cpu_set, hw->cpu_set) != 0) {
    return;
  }
  roof_hw merged = *hw;
  if (old->peak_gflops > merged.peak_gflops) merged.peak_gflops = old->peak_gflops;
  if (old->peak_int8_gops > merged.peak_int8_gops && strcmp(old->isa_int8, hw->isa_int8) == 0) {
    merged.peak_int8_gops = old->peak_int8_gops;
  }
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    if (old->read_gbs[lv] > merged.read_gbs[lv]) merged.read_gbs[lv] = old->read_gbs[lv];
    if (old->copy_gbs[lv] > merged.copy_gbs[lv]) merged.copy_gbs[lv] = old->copy_gbs[lv];
    if (old->write_gbs[lv] > merged.write_gbs[lv]) merged.write_gbs[lv] = old->write_gbs[lv];
  }
  if (roof_hw_check(&merged, merged.problem, sizeof(merged.problem))) *hw = merged;
}

/* This machine's roofs for `threads` (never a --hw file): the cache for this CPU model, thread
 * count and CPU set, else a fresh probe. A probe that contradicts itself (roof_hw_check) is
 * measured again, twice at most; if it still does, it serves this run with hw->problem set
 * (the reports warn) and is not cached. Neither is a probe with more threads than CPUs
 * allowed: threads taking turns measure the scheduler, not the machine. */
static roof_status get_hw(const cli_opts* o, uint32_t threads, bool force_probe, const cli_progress* pr,
                          roof_hw* hw, roof_error* err) {
  char why[160];
  if (roof_hw_emulated(why, sizeof(why))) /* qemu-user: correct outputs, meaningless times */
    fprintf(stderr, "rooftop: warning: %s: timings and probed roofs mean nothing under emulation\n", why);
  char cpu[128], path[4096];
  roof_cpu_limits lim;
  roof_cpu_limits_get(&lim);
  roof_hw_cpu_name(cpu, sizeof(cpu));
  bool cached = roof_hw_cache_path(cpu, threads, lim.cpu_set, path, sizeof(path));
  if (cached && !force_probe && roof_hw_load(path, hw, err) == ROOF_OK &&
      roof_hw_check(hw, hw->problem, sizeof(hw->problem))) {
    return ROOF_OK;
  }
  progress_note(pr, "probing this machine's roofs (peak FLOP/s, int8 op/s, L1/L2/L3/DRAM bandwidth)...");
  roof_status st = ROOF_OK;
  for (int attempt = 0; attempt < 3; attempt++) {
    st = probe_isolated(threads, hw, err);
    if (st != ROOF_OK || hw->problem[0] == '\0') break;
  }
  progress_clear(pr);
  if (st == ROOF_OK && cached && hw->problem[0] == '\0' && threads <= lim.allowed) {
    roof_error ignored;
    roof_hw old;
    if (roof_hw_load(path, &old, &ignored) == ROOF_OK) keep_best(hw, &old);
    roof_hw_save(path, hw, &ignored); /* a read-only cache only costs a re-probe next time */
  }
  return st;
}

/* A cached probe whose peak a layer beat is deleted: the next profile measures again. */
static void forget_cached_probe(const roof_hw* hw) {
  char path[4096];
  if (strcmp(hw->source, "probe") == 0 && roof_hw_cache_path(hw->cpu, hw->threads, hw->cpu_set, path, sizeof(path))) {
    remove(path);
  }
}

/* The core types: one line on a machine of one type; else each type's one-thread roofs. */
static void print_core_roofs(const roof_hw* hw) {
  roof_core_types t;
  roof_core_types_detect(NULL, &t);
  if (hw->num_core_types == 0) {
    char d[160];
    roof_core_type_describe(&t, 0, d, sizeof(d));
    printf("cores: %s\n", d);
    return;
  }
  printf("core types (from %s), one thread pinned to a CPU of each:\n", t.source);
  printf("%-7s %-12s %-14s %8s %9s %9s %9s %9s\n", "type", "CPUs", "core", "GFLOP/s", "L1 GB/s", "L2 GB/s", "L3 GB/s",
         "DRAM GB/s");
  for (int i = 0; i < hw->num_core_types; i++) {
    const roof_core_roofs* c = &hw->core_types[i];
    printf("%-7s %-12.12s %-14.14s ", c->role, c->cpus, c->core[0] ? c->core : "-");
    if (c->cpu < 0) {
      printf("not measured: none of its CPUs is allowed\n");
      continue;
    }
    printf("%8.1f %9.1f %9.1f %9.1f %9.1f\n", c->peak_gflops, c->read_gbs[0], c->read_gbs[1], c->read_gbs[2],
           c->read_gbs[3]);
  }
}

static int cmd_probe(const cli_opts* o) {
  roof_error err = {{0}};
  uint32_t threads = o->threads ? o->threads : roof_default_threads();
  roof_hw hw;
  cli_progress pr = progress_make(o, "");
  roof_status st = o->pin ? apply_pin(o->pin, &err) : ROOF_OK;
  if (st != ROOF_OK) return fail(st, &err);
  if (!o->threads) threads = roof_default_threads(); /* of the pinned CPUs */
  st = get_hw(o, threads, true, &pr, &hw, &err);
  if (st == ROOF_OK && o->json_out) st = roof_hw_save(o->json_out, &hw, &err);
  if (st != ROOF_OK) return fail(st, &err);
  printf("cpu: %s  threads: %u  isa: %s  CPUs %s (%u allowed)\n", hw.cpu, hw.threads, hw.isa, hw.cpu_set,
         hw.allowed_cpus);
  if (hw.threads > hw.allowed_cpus) printf("warning: %u threads on %u allowed CPUs take turns: not cached\n", hw.threads, hw.allowed_cpus);
  if (hw.problem[0]) printf("warning: the probe contradicts itself after 3 measurements (%s): not cached\n", hw.problem);
  printf("peak fp32: %.1f GFLOP/s\n", hw.peak_gflops);
  printf("peak int8: %.1f GOP/s (%s, 1 multiply-accumulate = 2 ops)\n", hw.peak_int8_gops, hw.isa_int8);
  printf("%-5s %12s %12s %12s %12s\n", "level", "size", "read GB/s", "write GB/s", "copy GB/s");
  for (int lv = 0; lv < ROOF_MEM_LEVELS; lv++) {
    char size[32] = "-";
    if (lv < 3) snprintf(size, sizeof(size), "%llu KiB", (unsigned long long)(hw.cache_bytes[lv] >> 10));
    printf("%-5s %12s %12.1f %12.1f %12.1f\n", roof_mem_level_names[lv], size, hw.read_gbs[lv], hw.write_gbs[lv],
           hw.copy_gbs[lv]);
  }
  printf("ridge point (DRAM): %.1f FLOP/byte\n", hw.peak_gflops / hw.read_gbs[ROOF_MEM_DRAM]);
  print_core_roofs(&hw);
  return 0;
}

/* --json and --html outputs of compare MODEL (one JSON document serves both). */
static roof_status write_compare_reports(const cli_opts* o, const roof_profile* pa, const roof_profile* pb,
                                         const roof_output_diff* diff, const roof_alternation* alt, roof_error* err) {
  if (o->json_out == NULL && o->html_out == NULL) return ROOF_OK;
  cJSON* j = roof_compare_to_json(pa, pb, diff, alt);
  char* text = j && o->json_out ? cJSON_Print(j) : NULL;
  roof_status st = ROOF_OK;
  if (j == NULL || (o->json_out && text == NULL)) st = roof_fail(err, ROOF_E_NOMEM, "out of memory writing reports");
  if (st == ROOF_OK && o->json_out) st = roof_write_text_file(o->json_out, text, err);
  if (st == ROOF_OK && o->html_out) st = roof_report_html_doc(o->html_out, j, err);
  free(text);
  cJSON_Delete(j);
  return st;
}

/* Both sides of compare MODEL from one load: the unfused side is the loaded model, the fused
 * side a copy borrowing its weights. Order keeps one extra copy of the weights at most: the
 * copy is prepared and lets go of the loaded constants its graph does not read, then the
 * unfused session packs the loaded weights and releases them (all but those the copy still
 * reads), then the fused session packs the copy's own fused weights and releases them. On
 * failure the outputs written so far are the caller's to free. */
static roof_status open_compare(const cli_opts* o, roof_model** ma, roof_session** sa, roof_model** mb,
                                roof_session** sb, roof_error* err) {
  roof_status st = load_model(o, ma, err);
  if (st == ROOF_OK) st = roof_model_copy(*ma, mb, err);
  if (st == ROOF_OK) st = prepare_model(o, *mb, o->fusion, err);
  if (st == ROOF_OK) st = roof_model_release_weights(*mb, NULL, err);
  if (st == ROOF_OK) st = prepare_model(o, *ma, "none", err);
  if (st == ROOF_OK) st = sole_session(o, *ma, sa, err);
  if (st == ROOF_OK) st = sole_session(o, *mb, sb, err);
  return st;
}

/* What a compare argument holds, by content: a JSON document (a saved profile) starts with
 * '{' after blanks; anything else is taken for a model (the loader judges it). A file that
 * cannot be read goes by its extension, so the later open names the error. */
static bool is_json_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    size_t n = strlen(path);
    return n >= 5 && strcmp(path + n - 5, ".json") == 0;
  }
  int c;
  while ((c = fgetc(f)) == ' ' || c == '\t' || c == '\n' || c == '\r') {
  }
  fclose(f);
  return c == '{';
}

/* Both sessions of a compare profiled one after the other, then their latencies for the
 * totals in alternating rounds: a busy neighbour during one profile would bias it alone. */
static roof_status profile_pair(const cli_opts* o, roof_session* sa, roof_session* sb, cli_progress* pr_a,
                                cli_progress* pr_b, roof_profile* pa, roof_profile* pb, roof_alternation* alt,
                                roof_error* err) {
  roof_profile_options po = {.runs = o->runs, .warmup = o->warmup, .timed = true,
                             .progress = progress_show, .progress_ctx = pr_a};
  roof_status st = roof_profile_run(sa, &po, pa, err);
  po.progress_ctx = pr_b;
  if (st == ROOF_OK) st = roof_profile_run(sb, &po, pb, err);
  progress_clear(pr_b);
  int per_round = o->runs / 4 > 2 ? o->runs / 4 : 2;
  if (st == ROOF_OK) st = roof_compare_alternate(sa, sb, 5, per_round, alt, err);
  return st;
}

/* compare FLOAT.onnx INT8.onnx: both models profiled on the same inputs (--input files or the
 * same seeded data: inputs are bound by position with the same seeds), layers side by side. */
static int cmd_compare_models(const cli_opts* o) {
  roof_error err = {{0}};
  cli_opts ob = *o;
  ob.model = o->model2;
  roof_model *ma = NULL, *mb = NULL;
  roof_session *sa = NULL, *sb = NULL;
  roof_profile pa, pb;
  memset(&pa, 0, sizeof(pa));
  memset(&pb, 0, sizeof(pb));
  roof_output_agreement agree[16];
  size_t num_outputs = 0;
  cJSON* doc = NULL;
  roof_status st = open_session(o, &ma, &sa, &err);
  if (st == ROOF_OK) st = open_session(&ob, &mb, &sb, &err);
  if (st == ROOF_OK) st = bind_inputs(sa, o, &err);
  if (st == ROOF_OK) st = bind_inputs(sb, &ob, &err);
  if (st == ROOF_OK) st = roof_session_run(sa, NULL, &err);
  if (st == ROOF_OK) st = roof_session_run(sb, NULL, &err);
  if (st == ROOF_OK) st = roof_compare_model_outputs(sa, sb, agree, 16, &num_outputs, &err);
  cli_progress pr_a = progress_make(o, "A: "), pr_b = progress_make(o, "B: ");
  roof_alternation alt;
  if (st == ROOF_OK) st = profile_pair(o, sa, sb, &pr_a, &pr_b, &pa, &pb, &alt, &err);
  if (st == ROOF_OK) {
    doc = roof_compare_models_doc(&pa, &pb, o->model, o->model2, &alt, agree, num_outputs, o->fusion ? o->fusion : "all");
    if (doc == NULL) st = roof_fail(&err, ROOF_E_NOMEM, "out of memory comparing %s and %s", o->model, o->model2);
  }
  if (st == ROOF_OK) roof_compare_models_print(stdout, doc);
  char* text = st == ROOF_OK && o->json_out ? cJSON_Print(doc) : NULL;
  if (st == ROOF_OK && o->json_out) st = text ? roof_write_text_file(o->json_out, text, &err) : roof_fail(&err, ROOF_E_NOMEM, "out of memory writing %s", o->json_out);
  /* the page embeds the same document: its figures are the JSON's */
  if (st == ROOF_OK && o->html_out) st = roof_report_html_doc(o->html_out, doc, &err);
  free(text);
  cJSON_Delete(doc);
  roof_profile_free(&pa);
  roof_profile_free(&pb);
  roof_session_free(sa);
  roof_session_free(sb);
  roof_model_free(ma);
  roof_model_free(mb);
  return st == ROOF_OK ? 0 : fail(st, &err);
}

/* Profiles the graph with --fusion none and with the requested fusion on the same inputs. */
static int cmd_compare(const cli_opts* o) {
  roof_error err = {{0}};
  if (o->model2) {
    bool ja = is_json_file(o->model), jb = is_json_file(o->model2);
    if (ja != jb) {
      fprintf(stderr, "rooftop: compare takes two saved profiles (A.json B.json) or two models (FLOAT.onnx INT8.onnx), "
                      "not a %s and a %s (see rooftop compare --help)\n", ja ? "profile" : "model", jb ? "profile" : "model");
      return ROOF_E_USAGE;
    }
    if (!ja) {
      return cmd_compare_models(o);
    }
    if (o->model_flag) {
      return usage_error("compare A.json B.json takes only --json, --html and --quiet; %s is for compare MODEL",
                         o->model_flag);
    }
    cJSON* doc = NULL;
    roof_status st = roof_compare_saved(stdout, o->model, o->model2, &doc, &err);
    char* text = st == ROOF_OK && o->json_out ? cJSON_Print(doc) : NULL;
    if (st == ROOF_OK && o->json_out) st = text ? roof_write_text_file(o->json_out, text, &err) : roof_fail(&err, ROOF_E_NOMEM, "out of memory writing %s", o->json_out);
    if (st == ROOF_OK && o->html_out) st = roof_report_html_doc(o->html_out, doc, &err);
    free(text);
    cJSON_Delete(doc);
    return st == ROOF_OK ? 0 : fail(st, &err);
  }
  roof_model *ma = NULL, *mb = NULL;
  roof_session *sa = NULL, *sb = NULL;
  roof_profile pa, pb;
  memset(&pa, 0, sizeof(pa));
  memset(&pb, 0, sizeof(pb));
  roof_status st = open_compare(o, &ma, &sa, &mb, &sb, &err);
  roof_hw hw, target;
  cli_progress pr_a = progress_make(o, "unfused: "), pr_b = progress_make(o, "fused: ");
  if (st == ROOF_OK) st = get_hw(o, sa->threads, false, &pr_a, &hw, &err);
  if (st == ROOF_OK && o->hw_file) st = roof_hw_load(o->hw_file, &target, &err);
  if (st == ROOF_OK) st = bind_inputs(sa, o, &err);
  if (st == ROOF_OK) st = bind_inputs(sb, o, &err);
  roof_output_diff diff;
  if (st == ROOF_OK) st = roof_session_run(sa, NULL, &err);
  if (st == ROOF_OK) st = roof_session_run(sb, NULL, &err);
  if (st == ROOF_OK) st = roof_compare_outputs(sa, sb, 1e-4, 1e-5, &diff, &err);
  roof_alternation alt;
  if (st == ROOF_OK) st = profile_pair(o, sa, sb, &pr_a, &pr_b, &pa, &pb, &alt, &err);
  if (st == ROOF_OK) {
    roof_profile_roofline(&pa, &hw);
    roof_profile_roofline(&pb, &hw);
    if (o->hw_file) roof_profile_predict(&pa, &target);
    if (o->hw_file) roof_profile_predict(&pb, &target);
    roof_report_compare(stdout, &pa, &pb, &diff, &alt);
    st = write_compare_reports(o, &pa, &pb, &diff, &alt, &err);
  }
  roof_profile_free(&pa);
  roof_profile_free(&pb);
  roof_session_free(sa);
  roof_session_free(sb);
  roof_model_free(mb);
  roof_model_free(ma); /* the lender after its copy */
  if (st != ROOF_OK) return fail(st, &err);
  return diff.agree ? 0 : ROOF_E_INTERNAL;
}

static int cmd_ops(int argc, char** argv) {
  bool json = false;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) json = true;
    else return usage_error("ops: unknown argument '%s' (rooftop ops [--json])", argv[i]);
  }
  if (!json) {
    roof_report_ops_text(stdout);
    return 0;
  }
  cJSON* j = roof_report_ops_json();
  char* text = j ? cJSON_Print(j) : NULL;
  cJSON_Delete(j);
  if (text == NULL) {
    fprintf(stderr, "rooftop: out of memory\n");
    return ROOF_E_NOMEM;
  }
  puts(text);
  cJSON_free(text);
  return 0;
}

static int cmd_passes(void) {
  for (size_t i = 0; i < roof_pass_count(); i++) {
    const roof_pass* p = roof_pass_at(i);
    printf("%-16s %s\n", p->name, p->summary);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    fputs(kHelp, stdout);
    return argc < 2 ? ROOF_E_USAGE : 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("rooftop %s\n", ROOF_VERSION);
    return 0;
  }
  const char* cmd = argv[1];
  for (int i = 2; i < argc; i++) {
    if (!is_help(argv[i])) continue;
    if (!print_command_help(cmd)) fputs(kHelp, stdout);
    return 0;
  }
  if (strcmp(cmd, "ops") == 0) return cmd_ops(argc, argv);
  if (strcmp(cmd, "passes") == 0) return cmd_passes();
  cli_opts o;
  memset(&o, 0, sizeof(o));
  bool known = strcmp(cmd, "run") == 0 || strcmp(cmd, "profile") == 0 || strcmp(cmd, "info") == 0 ||
               strcmp(cmd, "probe") == 0 || strcmp(cmd, "compare") == 0;
  if (!known) return usage_error("unknown command '%s'", cmd);
  o.no_model = strcmp(cmd, "probe") == 0;
  o.allow_two = strcmp(cmd, "compare") == 0;
  int rc = parse_args(argc, argv, 2, &o);
  if (rc) return rc;
  if (o.html_out && strcmp(cmd, "profile") != 0 && strcmp(cmd, "compare") != 0) {
    return usage_error("--html needs timings: use it with rooftop profile or rooftop compare, not %s", cmd);
  }
  if ((o.until_stable || o.max_runs || o.max_seconds > 0) && strcmp(cmd, "profile") != 0) {
    return usage_error("--until-stable, --max-runs and --max-seconds are profile options, not %s ones", cmd);
  }
  if ((o.output_dir || o.npy) && strcmp(cmd, "run") != 0) {
    return usage_error("--output-dir and --output-format are run options, not %s ones", cmd);
  }
  bool profile = strcmp(cmd, "profile") == 0;
  if ((o.duration_s > 0 || o.num_percentiles) && !profile) {
    return usage_error("--duration and --percentiles are profile options, not %s ones", cmd);
  }
  if (o.streams && !profile) return usage_error("--streams is a profile option, not a %s one", cmd);
  if (o.num_feedback && !profile && strcmp(cmd, "run") != 0) return usage_error("--feedback is a run and profile option, not a %s one", cmd);
  if (o.streams > 1 && (o.duration_s > 0 || o.until_stable)) {
    return usage_error("--streams runs a fixed number of runs per stream: not with --duration or --until-stable%s", "");
  }
  if (o.duration_s > 0 && o.until_stable) return usage_error("--duration and --until-stable both decide when to stop: choose one%s", "");
  if (o.batch && strcmp(cmd, "probe") == 0) return usage_error("--batch applies to a model, not to %s", cmd);
  if ((o.max_runs || o.max_seconds > 0) && !o.until_stable) {
    return usage_error("--max-runs and --max-seconds cap --until-stable; add it%s", "");
  }
  rc = check_report_paths(&o);
  if (rc) return rc;
  if (o.no_model) {
    if (o.model) return usage_error("probe takes no MODEL argument (got '%s')", o.model);
    return cmd_probe(&o);
  }
  if (strcmp(cmd, "run") == 0) return cmd_run(&o);
  if (strcmp(cmd, "compare") == 0) return cmd_compare(&o);
  if (strcmp(cmd, "info") == 0) return cmd_info(&o);
  return cmd_profile(&o);
}
