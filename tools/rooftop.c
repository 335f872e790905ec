/* rooftop command-line tool.
 *
 *   rooftop run MODEL [--input NAME=FILE]... [--shape NAME=DIMS]... [--threads N] [--output-dir DIR]
 *   rooftop profile MODEL [--runs N] [--warmup N] [--threads N] [--shape ...] [--input ...]
 *   rooftop info MODEL [--shape ...]
 *   rooftop ops | passes
 *
 * Exit codes follow sysexits.h (see rooftop.h). Errors are one line on stderr; results go to
 * stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fusion.h"
#include "model.h"
#include "op.h"
#include "rooftop.h"
#include "stats.h"
#include "tensor_io.h"

#define MAX_BINDINGS 64

typedef struct cli_opts {
  const char* model;
  const char* output_dir;
  const char* fusion;
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
  int top;
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
    "usage: rooftop COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run MODEL      run once, write outputs as TensorProto files\n"
    "  profile MODEL  time every layer next to its FLOPs and bytes\n"
    "  info MODEL     shapes, params, FLOPs and bytes per layer, without running\n"
    "  ops            supported ops with opset range and backend\n"
    "  passes         fusion passes\n"
    "\n"
    "common options:\n"
    "  --shape NAME=DIMS   bind a dynamic input shape, e.g. --shape input=1x3x224x224\n"
    "  --input NAME=FILE   input tensor (.pb TensorProto or .npy); others get seeded random data\n"
    "  --threads N         thread count (default: online cores)\n"
    "  --fusion SPEC       all (default), none, or a comma list of pass names\n"
    "  --seed N            seed for random inputs (default 42)\n"
    "  --reference         use the reference kernels for every op (slow; an oracle)\n"
    "\n"
    "run:     --output-dir DIR (default: no files written)\n"
    "profile: --runs N (default 20), --warmup N (default 3), --top N\n"
    "\n"
    "exit codes: 0 ok, 64 usage, 65 invalid model or input data, 66 cannot open,\n"
    "            69 valid but unsupported, 70 internal error, 71 out of memory,\n"
    "            73 cannot create output, 74 write error\n"
    "\n"
    "examples:\n"
    "  rooftop profile resnet18.onnx --threads 1\n"
    "  rooftop run model.onnx --shape input=1x3x640x640 --output-dir out\n";

static bool parse_u64(const char* s, uint64_t max, uint64_t* out) {
  if (s == NULL || *s == '\0' || *s == '-') return false;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max) return false;
  *out = v;
  return true;
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
    b->dims[b->rank++] = d;
    if (*end == 'x' || *end == 'X' || *end == ',') end++;
    else if (*end) return usage_error("--shape '%s': dims are separated by 'x'", arg);
    p = end;
  }
  o->num_shapes++;
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
    } else if (strcmp(a, "--fusion") == 0) {
      NEED_VALUE();
      o->fusion = v;
    } else if (strcmp(a, "--reference") == 0) {
      o->reference = 1;
    } else if (a[0] == '-' && a[1] != '\0') {
      return usage_error("unknown option '%s'", a);
    } else if (o->model == NULL) {
      o->model = a;
    } else {
      return usage_error("unexpected argument '%s'", a);
    }
#undef NEED_VALUE
  }
  if (o->model == NULL) return usage_error("missing MODEL argument%s", "");
  return 0;
}

/* splitmix64: deterministic, seedable, no global state */
static uint64_t next_rand(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void fill_random(int dtype, void* data, size_t nbytes, uint64_t seed) {
  size_t es = roof_dtype_size(dtype);
  size_t n = es ? nbytes / es : 0;
  for (size_t i = 0; i < n; i++) {
    double u = (double)(next_rand(&seed) >> 11) / 9007199254740992.0; /* [0, 1) */
    if (dtype == ROOF_DT_FLOAT || dtype == ROOF_DT_DOUBLE) roof_store_f64(dtype, data, (int64_t)i, 2.0 * u - 1.0);
    else roof_store_i64(dtype, data, (int64_t)i, (int64_t)(u * 2.0)); /* 0 or 1: safe as indices */
  }
}

static bool name_matches(const char* binding, const char* name) {
  size_t n = (size_t)(strchr(binding, '=') - binding);
  return strlen(name) == n && strncmp(binding, name, n) == 0;
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
    if (file) {
      roof_value v = {0};
      st = roof_tensor_file_read(file, &v, err);
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
      printf("note: input '%s' not given: seeded random values (seed %" PRIu64 ")\n", info.name, o->seed + i);
    }
  }
  return ROOF_OK;
}

/* Loads, prepares and creates a session; on failure prints nothing (caller does). */
static roof_status open_session(const cli_opts* o, roof_model** m_out, roof_session** s_out, roof_error* err) {
  roof_model* m = NULL;
  roof_session* s = NULL;
  roof_status st = roof_model_load(o->model, NULL, &m, err);
  if (st != ROOF_OK) return st;
  roof_prepare_options po = {.shapes = o->shapes, .num_shapes = (size_t)o->num_shapes, .fusion = o->fusion};
  st = roof_model_prepare(m, &po, err);
  if (st == ROOF_OK) {
    roof_session_options so = {.threads = o->threads, .force_reference = o->reference};
    st = roof_session_create(m, &so, &s, err);
  }
  if (st != ROOF_OK) {
    roof_model_free(m);
    return st;
  }
  *m_out = m;
  *s_out = s;
  return ROOF_OK;
}

static roof_status write_outputs(const roof_session* s, const char* dir, roof_error* err) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    return roof_fail(err, ROOF_E_CANTCREAT, "%s: cannot create output directory: %s", dir, strerror(errno));
  }
  for (size_t i = 0; i < roof_session_num_outputs(s); i++) {
    roof_io_info info;
    roof_session_output_info(s, i, &info);
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/output_%zu.pb", dir, i) >= (int)sizeof(path)) {
      return roof_fail(err, ROOF_E_CANTCREAT, "%s: output path too long", dir);
    }
    roof_status st = roof_tensor_file_write(path, info.name, info.dtype, info.rank, info.dims,
                                            roof_session_output(s, i), err);
    if (st != ROOF_OK) return st;
    printf("wrote %s (%s)\n", path, info.name);
  }
  return ROOF_OK;
}

static int cmd_run(const cli_opts* o) {
  roof_error err = {{0}};
  roof_model* m;
  roof_session* s;
  roof_status st = open_session(o, &m, &s, &err);
  if (st != ROOF_OK) return fail(st, &err);
  st = bind_inputs(s, o, &err);
  if (st == ROOF_OK) st = roof_session_run(s, NULL, &err);
  if (st == ROOF_OK && o->output_dir) st = write_outputs(s, o->output_dir, &err);
  roof_session_free(s);
  roof_model_free(m);
  if (st != ROOF_OK) return fail(st, &err);
  return 0;
}

/* ---- profile / info ---- */

typedef struct layer_row {
  const roof_node* node;
  const char* kernel;
  roof_cost cost;
  char desc[48];
  double median_ms, share;
} layer_row;

static void layer_cost(const roof_graph* g, const roof_node* n, roof_cost* c) {
  memset(c, 0, sizeof(*c));
  c->formula = "none";
  if (n->op->cost) n->op->cost(g, n, c);
}

static const char* kernel_kind(const roof_kernel* k) {
  if (k->desc->flags & ROOF_OPF_ALIAS) return "view";
  return k->use_ref ? "ref" : "xnn";
}

static void print_name(const char* name, int width) {
  int len = (int)strlen(name);
  if (len <= width) {
    printf("%-*s", width, name);
    return;
  }
  int head = (width - 1) / 2, tail = width - 1 - head; /* cut from the middle */
  printf("%.*s~%s", head, name, name + len - tail);
}

static void print_table(const roof_session* s, const layer_row* rows, int n, bool timed) {
  printf("%4s %-26s %-13s %-4s %-14s %9s %9s %8s", "#", "layer", "op", "kern", "output", "MFLOP", "KiB", "FLOP/B");
  if (timed) printf(" %8s %6s %7s", "ms", "share", "GFLOP/s");
  printf("\n");
  const roof_graph* g = s->model->g;
  for (int i = 0; i < n; i++) {
    const layer_row* r = &rows[i];
    const roof_value* y = roof_out(g, r->node, 0);
    char shape[64] = "-";
    if (y) roof_shape_str(y->dims, y->rank, shape, sizeof(shape));
    uint64_t bytes = r->cost.bytes_read + r->cost.bytes_written;
    double ai = bytes ? (double)r->cost.flops / (double)bytes : 0.0;
    printf("%4d ", i);
    print_name(r->node->name, 26);
    printf(" %-13.13s %-4s %-14.14s %9.2f %9.1f %8.2f", r->node->op_type, r->kernel, shape,
           (double)r->cost.flops / 1e6, (double)bytes / 1024.0, ai);
    if (timed) {
      double gf = r->median_ms > 0 ? (double)r->cost.flops / (r->median_ms * 1e6) : 0.0;
      printf(" %8.3f %5.1f%% %7.1f", r->median_ms, 100.0 * r->share, gf);
    }
    printf("\n");
  }
}

static void print_totals(const roof_session* s, const layer_row* rows, int n) {
  uint64_t flops = 0, macs = 0, bytes = 0, params = 0;
  for (int i = 0; i < n; i++) {
    flops += rows[i].cost.flops;
    macs += rows[i].cost.macs;
    bytes += rows[i].cost.bytes_read + rows[i].cost.bytes_written;
  }
  const roof_graph* g = s->model->g;
  for (int v = 0; v < g->num_values; v++) {
    uint64_t c;
    if ((g->values[v].flags & ROOF_VAL_INITIALIZER) && roof_value_count(&g->values[v], &c)) params += c;
  }
  printf("model: %s  opset %lld  nodes: %d original, %d executed  threads: %u\n", g->path,
         (long long)g->opset, g->num_original_nodes, s->num_steps, s->threads);
  printf("params %" PRIu64 "  flops %.3f G  macs %.3f G  bytes %.1f MiB  arena %.2f MiB (naive sum %.2f MiB)\n",
         params, (double)flops / 1e9, (double)macs / 1e9, (double)bytes / 1048576.0,
         (double)s->arena_bytes / 1048576.0, (double)s->activation_bytes_total / 1048576.0);
}

static int cmd_profile(const cli_opts* o, bool timed) {
  roof_error err = {{0}};
  roof_model* m;
  roof_session* s;
  roof_status st = open_session(o, &m, &s, &err);
  if (st != ROOF_OK) return fail(st, &err);
  int n = s->num_steps;
  int runs = timed ? o->runs : 0;
  layer_row* rows = calloc((size_t)n + 1, sizeof(layer_row));
  uint64_t* stamps = calloc((size_t)(n + 1) * (size_t)(runs + 1), sizeof(uint64_t));
  double* samples = calloc((size_t)runs + 1, sizeof(double));
  double* scratch = calloc((size_t)runs + 1, sizeof(double));
  if (!rows || !stamps || !samples || !scratch) {
    st = roof_fail(&err, ROOF_E_NOMEM, "out of memory for profile buffers");
    goto cleanup;
  }
  if (timed) {
    st = bind_inputs(s, o, &err);
    for (int w = 0; w < o->warmup && st == ROOF_OK; w++) st = roof_session_run(s, NULL, &err);
    for (int r = 0; r < runs && st == ROOF_OK; r++) st = roof_session_run(s, stamps + (size_t)r * (size_t)(n + 1), &err);
    if (st != ROOF_OK) goto cleanup;
  }
  double total_ms = 0.0;
  for (int i = 0; i < n; i++) {
    const roof_kernel* k = &s->steps[i].k;
    rows[i].node = k->node;
    rows[i].kernel = kernel_kind(k);
    layer_cost(s->model->g, k->node, &rows[i].cost);
    if (!timed) continue;
    for (int r = 0; r < runs; r++) {
      const uint64_t* t = stamps + (size_t)r * (size_t)(n + 1);
      samples[r] = (double)(t[i + 1] - t[i]) / 1e6;
    }
    roof_stats stt;
    roof_stats_compute(samples, (size_t)runs, scratch, &stt);
    rows[i].median_ms = stt.median;
    total_ms += stt.median;
  }
  for (int i = 0; i < n && timed; i++) rows[i].share = total_ms > 0 ? rows[i].median_ms / total_ms : 0;
  print_totals(s, rows, n);
  print_table(s, rows, n, timed);
  if (timed) {
    for (int r = 0; r < runs; r++) {
      const uint64_t* t = stamps + (size_t)r * (size_t)(n + 1);
      samples[r] = (double)(t[n] - t[0]) / 1e6;
    }
    roof_stats e2e;
    roof_stats_compute(samples, (size_t)runs, scratch, &e2e);
    printf("end-to-end (instrumented, %d runs): median %.3f ms  min %.3f  max %.3f  p90 %.3f; sum of layer medians %.3f ms\n",
           runs, e2e.median, e2e.min, e2e.max, e2e.p90, total_ms);
  }
cleanup:
  free(rows);
  free(stamps);
  free(samples);
  free(scratch);
  roof_session_free(s);
  roof_model_free(m);
  if (st != ROOF_OK) return fail(st, &err);
  return 0;
}

static int cmd_ops(void) {
  printf("%-20s %-11s %-9s %s\n", "op", "domain", "opsets", "backend");
  for (size_t i = 0; i < roof_op_count(); i++) {
    const roof_op_desc* d = roof_op_at(i);
    char range[32];
    if (d->until_version >= 1000) snprintf(range, sizeof(range), "%d+", d->since_version);
    else snprintf(range, sizeof(range), "%d-%d", d->since_version, d->until_version);
    const char* backend = (d->flags & ROOF_OPF_ALIAS) ? "view" : (d->flags & ROOF_OPF_XNNPACK) ? "xnnpack" : "reference";
    printf("%-20s %-11s %-9s %s\n", d->op_type, d->domain[0] ? d->domain : "ai.onnx", range, backend);
  }
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
  if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
    fputs(kHelp, stdout);
    return 0;
  }
  if (strcmp(cmd, "ops") == 0) return cmd_ops();
  if (strcmp(cmd, "passes") == 0) return cmd_passes();
  cli_opts o;
  memset(&o, 0, sizeof(o));
  bool known = strcmp(cmd, "run") == 0 || strcmp(cmd, "profile") == 0 || strcmp(cmd, "info") == 0;
  if (!known) return usage_error("unknown command '%s'", cmd);
  int rc = parse_args(argc, argv, 2, &o);
  if (rc) return rc;
  if (strcmp(cmd, "run") == 0) return cmd_run(&o);
  return cmd_profile(&o, strcmp(cmd, "profile") == 0);
}
