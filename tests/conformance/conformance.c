/* ONNX backend conformance runner over libonnx-testdata.
 *
 * usage: conformance [--filter SUBSTR] [--verbose] [--list-skipped] [--reference] MANIFEST DATA_DIR...
 * --reference runs every op on its reference kernel (the oracle of tests/ops), which the default
 * kernels otherwise hide for the ops XNNPACK or a native kernel takes.
 * Each DATA_DIR holds test folders with model.onnx and test_data_set_N/{input,output}_K.pb.
 * A test is skipped when one of its ops is outside rooftop's registry (`rooftop ops`, checked
 * here on the decoded model, so the loader's order of checks does not matter) or when the
 * manifest says so. Any other refusal, "unsupported" included, is a failure: a case rooftop
 * refuses for an op it lists must be excused in the manifest with its reason.
 * Otherwise every output must match: exact dtype and shape,
 * |got - want| <= atol + rtol * |want| for floats of every width (NaN equals NaN), integers and
 * strings exact.
 * The test data holds bfloat16 tensors as uint16 (numpy has no bfloat16): where the graph
 * declares bfloat16, a uint16 file is read as bfloat16 bits.
 * Ends with "conformance: N passed, M failed, K skipped"; exits 1 when M > 0.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "onnx.pb-c.h"
#include "rooftop.h"
#include "seq_file.h"
#include "tensor_io.h"

typedef struct entry {
  char name[256];
  int skip;
  double rtol, atol;
  char reason[256];
} entry;

typedef struct manifest {
  entry* e;
  int n;
} manifest;

static void load_manifest(const char* path, manifest* m) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return;
  char line[1024];
  while (fgets(line, sizeof(line), f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    entry e = {0};
    char kind[64] = "";
    int off = 0;
    if (sscanf(line, "%255s %63s %n", e.name, kind, &off) < 2) continue;
    if (strcmp(kind, "skip") == 0) e.skip = 1;
    else if (sscanf(kind, "tol=%lf,%lf", &e.rtol, &e.atol) != 2) continue;
    snprintf(e.reason, sizeof(e.reason), "%s", line + off);
    e.reason[strcspn(e.reason, "\n")] = '\0';
    entry* ne = realloc(m->e, sizeof(entry) * (size_t)(m->n + 1));
    if (ne == NULL) break;
    m->e = ne;
    m->e[m->n++] = e;
  }
  fclose(f);
}

static const entry* find_entry(const manifest* m, const char* name) {
  for (int i = 0; i < m->n; i++) {
    if (strcmp(m->e[i].name, name) == 0) return &m->e[i];
  }
  return NULL;
}

typedef enum { R_PASS, R_FAIL, R_SKIP } result;

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static bool file_exists(const char* p) {
  struct stat sb;
  return stat(p, &sb) == 0;
}

/* Flat index -> "i, j, k" coordinates of dims. */
static void coords_of(uint64_t i, const roof_value* want, char* coord, size_t cn) {
  uint64_t rem = i;
  int64_t idx[ROOF_MAX_RANK];
  for (int d = want->rank - 1; d >= 0; d--) {
    idx[d] = want->dims[d] ? (int64_t)(rem % (uint64_t)want->dims[d]) : 0;
    rem = want->dims[d] ? rem / (uint64_t)want->dims[d] : 0;
  }
  roof_shape_str(idx, want->rank, coord, cn);
}

/* Strings match exactly: the bytes up to each element's NUL (ROOF_STRING_BYTES wide elements). */
static bool compare_strings(const roof_io_info* info, const void* got, const roof_value* want, uint64_t n, char* why,
                            size_t wn) {
  for (uint64_t i = 0; i < n; i++) {
    const char* g = (const char*)got + i * ROOF_STRING_BYTES;
    const char* w = (const char*)want->data + i * ROOF_STRING_BYTES;
    if (strncmp(g, w, ROOF_STRING_BYTES) != 0) {
      char coord[128];
      coords_of(i, want, coord, sizeof(coord));
      snprintf(why, wn, "output '%s' at [%s]: got '%.*s', want '%.*s'", info->name, coord, ROOF_STRING_BYTES, g,
               ROOF_STRING_BYTES, w);
      return false;
    }
  }
  return true;
}

/* Compares one output; writes the first mismatch into why. */
static bool compare(const roof_io_info* info, const void* got, const roof_value* want_file, double rtol, double atol,
                    char* why, size_t wn) {
  roof_value bits = *want_file; /* bfloat16 held as uint16 (bf16_from_uint16) */
  if (info->dtype == ROOF_DT_BFLOAT16 && bits.dtype == ROOF_DT_UINT16) bits.dtype = ROOF_DT_BFLOAT16;
  const roof_value* want = &bits;
  if (info->dtype != want->dtype || info->rank != want->rank) {
    snprintf(why, wn, "output '%s': got %s rank %d, want %s rank %d", info->name, roof_dtype_name(info->dtype), info->rank,
             roof_dtype_name(want->dtype), want->rank);
    return false;
  }
  for (int d = 0; d < info->rank; d++) {
    if (info->dims[d] != want->dims[d]) {
      snprintf(why, wn, "output '%s': dim %d is %lld, want %lld", info->name, d, (long long)info->dims[d], (long long)want->dims[d]);
      return false;
    }
  }
  uint64_t n = 0;
  roof_dims_count(want->dims, want->rank, &n);
  if (want->dtype == ROOF_DT_STRING) return compare_strings(info, got, want, n, why, wn);
  bool is_float = want->dtype == ROOF_DT_FLOAT || want->dtype == ROOF_DT_DOUBLE || want->dtype == ROOF_DT_FLOAT16 ||
                  want->dtype == ROOF_DT_BFLOAT16;
  for (uint64_t i = 0; i < n; i++) {
    bool ok;
    double g = 0, w = 0;
    if (is_float) {
      g = roof_load_f64(want->dtype, got, (int64_t)i);
      w = roof_load_f64(want->dtype, want->data, (int64_t)i);
      ok = (isnan(g) && isnan(w)) || (g == w) || fabs(g - w) <= atol + rtol * fabs(w);
    } else {
      ok = roof_load_i64(want->dtype, got, (int64_t)i) == roof_load_i64(want->dtype, want->data, (int64_t)i);
      g = (double)roof_load_i64(want->dtype, got, (int64_t)i);
      w = (double)roof_load_i64(want->dtype, want->data, (int64_t)i);
    }
    if (!ok) {
      /* coordinates of the flat index */
      char coord[128] = "";
      coords_of(i, want, coord, sizeof(coord));
      snprintf(why, wn, "output '%s' at [%s]: got %.9g, want %.9g", info->name, coord, g, w);
      return false;
    }
  }
  return true;
}

/* A sequence/optional input from its test file (copied into the session). */
static roof_status set_sequence(roof_session* s, size_t i, const seq_file* f, roof_error* err) {
  roof_tensor_data* elems = calloc((size_t)f->count + 1, sizeof(roof_tensor_data));
  if (elems == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory");
  for (int j = 0; j < f->count; j++) {
    const roof_value* v = &f->items[j];
    elems[j] = (roof_tensor_data){.dtype = v->dtype, .rank = v->rank, .data = v->data, .nbytes = v->nbytes};
    memcpy(elems[j].dims, v->dims, sizeof(int64_t) * (size_t)v->rank);
  }
  roof_status st = roof_session_set_input_sequence(s, i, f->present, elems, (size_t)f->count, err);
  free(elems);
  return st;
}

/* A sequence/optional output against its file: presence, length, then each element as a tensor. */
static bool compare_sequence(const roof_session* s, size_t o, const roof_io_info* info, const char* path, double rtol,
                             double atol, char* why, size_t wn) {
  roof_error err = {{0}};
  seq_file want = {0};
  bool present = false;
  size_t count = 0;
  if (seq_file_read(path, info->kind != ROOF_KIND_SEQUENCE, &want, &err) != ROOF_OK ||
      roof_session_output_sequence(s, o, &present, &count, &err) != ROOF_OK) {
    snprintf(why, wn, "%s", err.message);
    seq_file_release(&want);
    return false;
  }
  bool ok = present == want.present && count == (size_t)want.count;
  if (!ok) {
    snprintf(why, wn, "output '%s': got %s with %zu elements, want %s with %d", info->name, present ? "present" : "empty", count,
             want.present ? "present" : "empty", want.count);
  }
  for (size_t j = 0; ok && j < count; j++) {
    roof_tensor_data e;
    roof_session_output_element(s, o, j, &e, &err);
    roof_io_info ei = {.name = info->name, .dtype = e.dtype, .rank = e.rank, .nbytes = e.nbytes};
    memcpy(ei.dims, e.dims, sizeof(ei.dims));
    ok = compare(&ei, e.data, &want.items[j], rtol, atol, why, wn);
    if (!ok) {
      size_t used = strlen(why);
      snprintf(why + used, wn - used, " (element %zu)", j);
    }
  }
  seq_file_release(&want);
  return ok;
}

static bool same_domain(const char* a, const char* b) {
  bool da = a == NULL || a[0] == '\0' || strcmp(a, "ai.onnx") == 0;
  bool db = b == NULL || b[0] == '\0' || strcmp(b, "ai.onnx") == 0;
  return da && db ? true : !da && !db && strcmp(a, b) == 0;
}

static int64_t opset_of(const Onnx__ModelProto* mp, const char* domain) {
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    if (same_domain(mp->opset_import[i]->domain, domain)) return mp->opset_import[i]->version;
  }
  return 0;
}

/* True when every top-level node's op is in rooftop's registry at the model's opset for its
 * domain; else false with the first missing op in why. A file that does not decode counts as
 * supported: the loader reports it. The test data is Debian's, so a plain read is enough. */
static bool ops_supported(const char* model_path, char* why, size_t wn) {
  FILE* f = fopen(model_path, "rb");
  if (f == NULL) return true;
  uint8_t* buf = NULL;
  long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (len > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len)) != NULL &&
      fread(buf, 1, (size_t)len, f) != (size_t)len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  Onnx__ModelProto* mp = buf ? onnx__model_proto__unpack(NULL, (size_t)len, buf) : NULL;
  free(buf);
  bool ok = true;
  for (size_t i = 0; mp && mp->graph && ok && i < mp->graph->n_node; i++) {
    const Onnx__NodeProto* np = mp->graph->node[i];
    const char* dom = np->domain ? np->domain : "";
    const char* op = np->op_type ? np->op_type : "";
    int64_t opset = opset_of(mp, dom);
    if (roof_op_find(dom, op, opset)) continue;
    ok = false;
    snprintf(why, wn, "op %s%s%s %s (opset %lld)", dom, dom[0] ? "." : "", op,
             roof_op_known(dom, op) ? "is not supported at this opset" : "is not in `rooftop ops`", (long long)opset);
  }
  if (mp) onnx__model_proto__free_unpacked(mp, NULL);
  return ok;
}

/* Lists files PREFIX_0.pb, PREFIX_1.pb, ... in dir. */
static int count_files(const char* dir, const char* prefix) {
  int n = 0;
  char p[4160];
  for (;;) {
    snprintf(p, sizeof(p), "%s/%s_%d.pb", dir, prefix, n);
    if (!file_exists(p)) return n;
    n++;
  }
}

static result run_set(const char* model_path, const char* set_dir, double rtol, double atol, bool reference,
                      char* why, size_t wn) {
  roof_error err = {{0}};
  roof_model* m = NULL;
  roof_session* s = NULL;
  result r = R_FAIL;
  int nin = count_files(set_dir, "input"), nout = count_files(set_dir, "output");
  roof_value* ins = calloc((size_t)nin + 1, sizeof(roof_value));
  roof_shape_binding* shapes = calloc((size_t)nin + 1, sizeof(roof_shape_binding));
  roof_value_binding* values = calloc((size_t)nin + 1, sizeof(roof_value_binding));
  char path[4160];
  seq_file* seqs = calloc((size_t)nin + 1, sizeof(seq_file));
  roof_status st = roof_model_load(model_path, NULL, &m, &err);
  const roof_graph* g = m ? m->g : NULL;
  for (int i = 0; st == ROOF_OK && i < nin; i++) {
    snprintf(path, sizeof(path), "%s/input_%d.pb", set_dir, i);
    int kind = g && i < g->num_inputs ? g->values[g->inputs[i]].kind : ROOF_KIND_TENSOR;
    if (kind != ROOF_KIND_TENSOR) st = seq_file_read(path, kind != ROOF_KIND_SEQUENCE, &seqs[i], &err);
    else st = roof_tensor_file_read(path, &ins[i], &err);
  }
  /* inputs bind to graph inputs in order; their shapes settle dynamic dims (sequences: none) */
  int bound = 0;
  for (int i = 0; st == ROOF_OK && g && i < g->num_inputs && i < nin; i++) {
    if (g->values[g->inputs[i]].kind != ROOF_KIND_TENSOR) continue;
    shapes[bound].name = g->values[g->inputs[i]].name;
    shapes[bound].rank = ins[i].rank;
    memcpy(shapes[bound].dims, ins[i].dims, sizeof(int64_t) * (size_t)ins[i].rank);
    /* every value is offered; prepare uses those that set shapes */
    values[bound] = (roof_value_binding){.name = shapes[bound].name, .dtype = ins[i].dtype, .rank = ins[i].rank,
                                         .data = ins[i].data, .nbytes = ins[i].nbytes};
    memcpy(values[bound].dims, ins[i].dims, sizeof(int64_t) * (size_t)ins[i].rank);
    bound++;
  }
  if (st == ROOF_OK && g && g->num_inputs != nin) {
    st = ROOF_E_UNSUPPORTED;
    snprintf(err.message, sizeof(err.message), "%d graph inputs, %d input files (optional inputs)", g->num_inputs, nin);
  }
  roof_prepare_options po = {.shapes = shapes, .num_shapes = (size_t)bound, .values = values, .num_values = (size_t)bound};
  if (st == ROOF_OK) st = roof_model_prepare(m, &po, &err);
  roof_session_options so = {.threads = 1, .force_reference = reference};
  if (st == ROOF_OK) st = roof_session_create(m, &so, &s, &err);
  for (int i = 0; st == ROOF_OK && i < nin; i++) {
    roof_io_info info;
    roof_session_input_info(s, (size_t)i, &info);
    if (info.kind != ROOF_KIND_TENSOR) {
      st = set_sequence(s, (size_t)i, &seqs[i], &err);
      continue;
    }
    if (info.dtype == ROOF_DT_BFLOAT16 && ins[i].dtype == ROOF_DT_UINT16) ins[i].dtype = ROOF_DT_BFLOAT16; /* same bits */
    if (info.dtype != ins[i].dtype) {
      st = ROOF_E_DATA;
      snprintf(err.message, sizeof(err.message), "input %d dtype %s, graph wants %s", i, roof_dtype_name(ins[i].dtype),
               roof_dtype_name(info.dtype));
      break;
    }
    st = roof_session_set_input(s, (size_t)i, ins[i].data, ins[i].nbytes, &err);
  }
  if (st == ROOF_OK) st = roof_session_run(s, NULL, &err);
  if (st == ROOF_OK && (size_t)nout != roof_session_num_outputs(s)) {
    snprintf(why, wn, "%zu outputs, %d expected files", roof_session_num_outputs(s), nout);
    goto done;
  }
  if (st != ROOF_OK) {
    snprintf(why, wn, "status %d: %s", (int)st, err.message);
    goto done;
  }
  r = R_PASS;
  for (int o = 0; o < nout && r == R_PASS; o++) {
    roof_value want = {0};
    snprintf(path, sizeof(path), "%s/output_%d.pb", set_dir, o);
    roof_io_info oi;
    roof_session_output_info(s, (size_t)o, &oi);
    if (oi.kind != ROOF_KIND_TENSOR) {
      if (!compare_sequence(s, (size_t)o, &oi, path, rtol, atol, why, wn)) r = R_FAIL;
      continue;
    }
    if (roof_tensor_file_read(path, &want, &err) != ROOF_OK) {
      snprintf(why, wn, "%s", err.message);
      r = R_FAIL;
      break;
    }
    roof_io_info info;
    roof_session_output_info(s, (size_t)o, &info);
    if (!compare(&info, roof_session_output(s, (size_t)o), &want, rtol, atol, why, wn)) r = R_FAIL;
    roof_value_release(&want);
  }
done:
  for (int i = 0; i < nin; i++) {
    roof_value_release(&ins[i]);
    seq_file_release(&seqs[i]);
  }
  free(seqs);
  free(ins);
  free(shapes);
  free(values);
  roof_session_free(s);
  roof_model_free(m);
  return r;
}

static result run_test(const char* dir, const char* name, const entry* e, bool reference, char* why, size_t wn) {
  char model[4096];
  snprintf(model, sizeof(model), "%s/%s/model.onnx", dir, name);
  if (e && e->skip) {
    snprintf(why, wn, "manifest: %s", e->reason);
    return R_SKIP;
  }
  if (!ops_supported(model, why, wn)) return R_SKIP;
  double rtol = e ? e->rtol : 1e-3, atol = e ? e->atol : 1e-7;
  result r = R_SKIP;
  snprintf(why, wn, "no test data");
  for (int set = 0;; set++) {
    char sd[4096];
    snprintf(sd, sizeof(sd), "%s/%s/test_data_set_%d", dir, name, set);
    if (!file_exists(sd)) break;
    r = run_set(model, sd, rtol, atol, reference, why, wn);
    if (r != R_PASS) break;
  }
  return r;
}

int main(int argc, char** argv) {
  const char* filter = NULL;
  const char* manifest_path = NULL;
  bool verbose = false, list_skipped = false, reference = false;
  const char* dirs[16];
  int ndirs = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) filter = argv[++i];
    else if (strcmp(argv[i], "--verbose") == 0) verbose = true;
    else if (strcmp(argv[i], "--list-skipped") == 0) list_skipped = true;
    else if (strcmp(argv[i], "--reference") == 0) reference = true;
    else if (manifest_path == NULL) manifest_path = argv[i];
    else if (ndirs < 16) dirs[ndirs++] = argv[i];
  }
  if (manifest_path == NULL || ndirs == 0) {
    fprintf(stderr, "usage: conformance [--filter S] [--verbose] [--list-skipped] [--reference] MANIFEST DATA_DIR...\n");
    return 64;
  }
  manifest m = {0};
  load_manifest(manifest_path, &m);
  int pass = 0, fail = 0, skip = 0;
  for (int d = 0; d < ndirs; d++) {
    DIR* dh = opendir(dirs[d]);
    if (dh == NULL) {
      fprintf(stderr, "conformance: cannot open %s\n", dirs[d]);
      continue;
    }
    char** names = NULL;
    int nn = 0;
    struct dirent* de;
    while ((de = readdir(dh)) != NULL) {
      if (de->d_name[0] == '.' || (filter && !strstr(de->d_name, filter))) continue;
      char** nx = realloc(names, sizeof(char*) * (size_t)(nn + 1));
      if (nx == NULL) break;
      names = nx;
      names[nn++] = strdup(de->d_name);
    }
    closedir(dh);
    qsort(names, (size_t)nn, sizeof(char*), cmp_str);
    for (int i = 0; i < nn; i++) {
      char why[1200] = "";
      result r = run_test(dirs[d], names[i], find_entry(&m, names[i]), reference, why, sizeof(why));
      if (r == R_PASS) pass++;
      else if (r == R_FAIL) fail++;
      else skip++;
      if (r == R_FAIL) printf("FAIL %s: %s\n", names[i], why);
      else if (r == R_SKIP && list_skipped) printf("skip %s: %s\n", names[i], why);
      else if (verbose && r == R_PASS) printf("pass %s\n", names[i]);
      free(names[i]);
    }
    free(names);
  }
  free(m.e);
  printf("conformance: %d passed, %d failed, %d skipped\n", pass, fail, skip);
  return fail ? 1 : 0;
}
