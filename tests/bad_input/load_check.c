/* load_check: drives one model through the library the way `rooftop run` does, without the CLI.
 *
 *   load_check load|prepare|run MODEL [--shape NAME=DIMS]...
 *   load_check --tensor FILE          read a .pb/.npy tensor file and describe it
 *   load_check --roundtrip DIR        write a tensor into DIR, read it back, compare
 *
 * Exit status: the roof_status of the first failure (0 when everything passed). On failure the
 * library's one-line message goes to stderr and nothing else does; a summary goes to stdout.
 * "load" calls roof_load_graph alone (isolates the loader); "prepare" adds shape inference,
 * fusion and layout; "run" (same arguments as `rooftop run`, so run_case.sh drives either)
 * also creates a session and runs it once on zero inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "model.h"
#include "tensor_io.h"

#define MAX_SHAPES 16

static int fail(roof_status st, const roof_error* err) {
  fprintf(stderr, "%s\n", err->message);
  return roof_exit_code(st);
}

static int usage(const char* msg) {
  fprintf(stderr, "load_check: %s (usage: load_check load|prepare|run MODEL [--shape NAME=DIMS]...)\n", msg);
  return ROOF_E_USAGE;
}

static bool parse_shape(char* arg, roof_shape_binding* b) {
  char* eq = strchr(arg, '=');
  if (eq == NULL) return false;
  *eq = '\0';
  b->name = arg;
  b->rank = 0;
  for (char* p = eq + 1; *p;) {
    char* end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0 || b->rank >= ROOF_MAX_RANK) return false;
    b->dims[b->rank++] = d;
    p = *end == 'x' ? end + 1 : end;
    if (*end && *end != 'x') return false;
  }
  return true;
}

static int check_tensor(const char* path) {
  roof_value v;
  roof_error err = {{0}};
  roof_status st = roof_tensor_file_read(path, &v, &err);
  if (st != ROOF_OK) return fail(st, &err);
  char sb[128];
  uint64_t n = 0;
  double sum = 0;
  if (roof_dims_count(v.dims, v.rank, &n)) {
    for (uint64_t i = 0; i < n; i++) sum += roof_load_f64(v.dtype, v.data, (int64_t)i);
  }
  printf("tensor '%s': %s %s (%zu bytes), sum %g\n", v.name ? v.name : "", roof_dtype_name(v.dtype),
         roof_shape_str(v.dims, v.rank, sb, sizeof(sb)), v.nbytes, sum);
  roof_value_release(&v);
  return 0;
}

static int roundtrip(const char* dir) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/roundtrip.pb", dir);
  const int64_t dims[3] = {2, 3, 4};
  float data[24];
  for (int i = 0; i < 24; i++) data[i] = (float)i * 0.5f - 3.0f;
  roof_error err = {{0}};
  roof_status st = roof_tensor_file_write(path, "y", ROOF_DT_FLOAT, 3, dims, data, &err);
  if (st != ROOF_OK) return fail(st, &err);
  roof_value v;
  st = roof_tensor_file_read(path, &v, &err);
  if (st != ROOF_OK) return fail(st, &err);
  bool ok = v.dtype == ROOF_DT_FLOAT && v.rank == 3 && v.dims[0] == 2 && v.dims[1] == 3 && v.dims[2] == 4 &&
            v.nbytes == sizeof(data) && memcmp(v.data, data, sizeof(data)) == 0 && v.name && strcmp(v.name, "y") == 0;
  roof_value_release(&v);
  snprintf(path, sizeof(path), "%s/no/such/dir/x.pb", dir);
  st = roof_tensor_file_write(path, "y", ROOF_DT_FLOAT, 3, dims, data, &err);
  ok = ok && st == ROOF_E_CANTCREAT;
  printf("roundtrip: %s\n", ok ? "ok" : "MISMATCH");
  if (!ok) fprintf(stderr, "load_check: tensor roundtrip mismatch\n");
  return ok ? 0 : ROOF_E_INTERNAL;
}

static int run_session(roof_model* m) {
  roof_error err = {{0}};
  roof_session* s = NULL;
  roof_session_options so = {.threads = 1};
  roof_status st = roof_session_create(m, &so, &s, &err);
  for (size_t i = 0; st == ROOF_OK && i < roof_session_num_inputs(s); i++) {
    roof_io_info info;
    roof_session_input_info(s, i, &info);
    void* zeros = calloc(1, info.nbytes ? info.nbytes : 1);
    st = zeros ? roof_session_set_input(s, i, zeros, info.nbytes, &err)
               : roof_fail(&err, ROOF_E_NOMEM, "load_check: out of memory");
    free(zeros);
  }
  if (st == ROOF_OK) st = roof_session_run(s, NULL, &err);
  roof_session_free(s);
  return st == ROOF_OK ? 0 : fail(st, &err);
}

int main(int argc, char** argv) {
  roof_shape_binding shapes[MAX_SHAPES];
  size_t num_shapes = 0;
  if (argc == 3 && strcmp(argv[1], "--tensor") == 0) return check_tensor(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--roundtrip") == 0) return roundtrip(argv[2]);
  if (argc < 3) return usage("missing arguments");
  const char* stage = argv[1];
  if (strcmp(stage, "load") != 0 && strcmp(stage, "prepare") != 0 && strcmp(stage, "run") != 0) {
    return usage("unknown stage");
  }
  const char* model = NULL;
  for (int i = 2; i < argc; i++) {
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "--shape") == 0 && v) {
      if (num_shapes == MAX_SHAPES || !parse_shape(argv[++i], &shapes[num_shapes])) return usage("bad --shape");
      num_shapes++;
    } else if (argv[i][0] == '-' || model != NULL) {
      return usage("unknown option or extra argument");
    } else {
      model = argv[i];
    }
  }
  if (model == NULL) return usage("missing MODEL");
  roof_error err = {{0}};
  if (strcmp(stage, "load") == 0) {
    roof_graph* g = NULL;
    roof_status st = roof_load_graph(model, NULL, &g, &err);
    if (st != ROOF_OK) return fail(st, &err);
    printf("loaded: opset %lld, %d nodes, %d values, %d inputs, %d outputs\n", (long long)g->opset, g->num_nodes,
           g->num_values, g->num_inputs, g->num_outputs);
    roof_graph_free(g);
    return 0;
  }
  roof_model* m = NULL;
  roof_status st = roof_model_load(model, NULL, &m, &err);
  if (st != ROOF_OK) return fail(st, &err);
  roof_prepare_options po = {.shapes = shapes, .num_shapes = num_shapes};
  st = roof_model_prepare(m, &po, &err);
  int rc = st != ROOF_OK ? fail(st, &err) : strcmp(stage, "prepare") == 0 ? 0 : run_session(m);
  if (rc == 0) printf("ok: %s\n", stage);
  roof_model_free(m);
  return rc;
}
