/* Fuzz target: external-data path resolution (TensorProto.external_data: location, offset,
 * length) against a fixed sandbox built on the first call:
 *
 *   ROOT/model/data.bin (64 B)   ROOT/model/sub/d.bin (32 B)   ROOT/model/sub/deeper/e.bin (16 B)
 *   ROOT/model/link.bin -> data.bin        ROOT/model/escape.bin -> ../outside.bin
 *   ROOT/model/dirlink -> sub              ROOT/model/updir -> ..
 *   ROOT/model/hard.bin == ROOT/hard2.bin (two links)   ROOT/model/fifo   ROOT/model/empty/
 *   ROOT/outside.bin (64 B)
 *
 * Input: byte 0 = bytes the tensor needs; then NUL-separated fields: location, offset, length
 * (a missing field leaves that entry out; a field "-" also leaves it out).
 * Property: when the read is accepted, the location is a regular file with one link, reached
 * from the model directory without any symlink, inside it, [offset, offset + bytes) lies inside
 * the file, and the bytes read are the file's bytes there. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "loader_internal.h"

static char g_root[PATH_MAX]; /* test harness state: the sandbox, built once per process */
static char g_model_dir[PATH_MAX];

static int put_file(const char* rel, size_t n, uint8_t salt) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof(p), "%s/%s", g_root, rel) >= (int)sizeof(p)) return -1;
  FILE* f = fopen(p, "wb");
  if (f == NULL) return -1;
  for (size_t i = 0; i < n; i++) fputc((int)((i * 31u + salt) & 0xFF), f);
  return fclose(f);
}

static int make_dir(const char* rel) {
  char p[PATH_MAX];
  return snprintf(p, sizeof(p), "%s/%s", g_root, rel) >= (int)sizeof(p) ? -1 : mkdir(p, 0755);
}

static int make_symlink(const char* target, const char* rel) {
  char p[PATH_MAX];
  return snprintf(p, sizeof(p), "%s/%s", g_root, rel) >= (int)sizeof(p) ? -1 : symlink(target, p);
}

static int make_hardlink(const char* from_rel, const char* rel) {
  char p[PATH_MAX], q[PATH_MAX];
  if (snprintf(p, sizeof(p), "%s/%s", g_root, from_rel) >= (int)sizeof(p)) return -1;
  if (snprintf(q, sizeof(q), "%s/%s", g_root, rel) >= (int)sizeof(q)) return -1;
  return link(p, q);
}

static int make_fifo(const char* rel) {
  char p[PATH_MAX];
  return snprintf(p, sizeof(p), "%s/%s", g_root, rel) >= (int)sizeof(p) ? -1 : mkfifo(p, 0644);
}

static int rm_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_sandbox(void) {
  if (g_root[0]) nftw(g_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int build_sandbox(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(g_root, sizeof(g_root), "%s/roof-fuzz-ext-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (mkdtemp(g_root) == NULL) return -1;
  atexit(remove_sandbox);
  if (snprintf(g_model_dir, sizeof(g_model_dir), "%s/model", g_root) >= (int)sizeof(g_model_dir)) return -1;
  bool ok = make_dir("model") == 0 && make_dir("model/sub") == 0 && make_dir("model/sub/deeper") == 0 &&
            make_dir("model/empty") == 0 && put_file("model/data.bin", 64, 1) == 0 &&
            put_file("outside.bin", 64, 2) == 0 && put_file("model/sub/d.bin", 32, 3) == 0 &&
            put_file("model/sub/deeper/e.bin", 16, 4) == 0 && put_file("hard2.bin", 64, 5) == 0 &&
            make_hardlink("hard2.bin", "model/hard.bin") == 0 && make_symlink("data.bin", "model/link.bin") == 0 &&
            make_symlink("../outside.bin", "model/escape.bin") == 0 && make_symlink("sub", "model/dirlink") == 0 &&
            make_symlink("..", "model/updir") == 0 && make_fifo("model/fifo") == 0;
  return ok ? 0 : -1;
}

/* Independent check of an accepted read: walks the path with lstat, no realpath shortcuts. */
static void check_accepted(const char* loc, uint64_t offset, uint64_t bytes, const uint8_t* got) {
  FUZZ_CHECK(loc[0] != '/', "absolute external-data location accepted");
  char path[PATH_MAX];
  size_t o = (size_t)snprintf(path, sizeof(path), "%s", g_model_dir);
  int depth = 0;
  for (const char* p = loc; *p;) {
    size_t c = strcspn(p, "/");
    FUZZ_CHECK(!(c == 2 && p[0] == '.' && p[1] == '.'), "'..' component accepted");
    if (c > 0 && !(c == 1 && p[0] == '.')) {
      FUZZ_CHECK(o + 1 + c < sizeof(path), "accepted location longer than PATH_MAX");
      path[o++] = '/';
      memcpy(path + o, p, c);
      o += c;
      path[o] = '\0';
      struct stat sb;
      FUZZ_CHECK(lstat(path, &sb) == 0, "accepted location has a missing component");
      FUZZ_CHECK(!S_ISLNK(sb.st_mode), "accepted location goes through a symlink");
      depth++;
    }
    p += c;
    while (*p == '/') p++;
  }
  struct stat sb;
  FUZZ_CHECK(depth > 0 && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode), "accepted location is not a regular file");
  FUZZ_CHECK(sb.st_nlink == 1, "accepted file has more than one hard link");
  FUZZ_CHECK(offset <= (uint64_t)sb.st_size && bytes <= (uint64_t)sb.st_size - offset, "accepted range outside the file");
  uint8_t want[256];
  int fd = open(path, O_RDONLY);
  FUZZ_CHECK(fd >= 0, "accepted file cannot be opened again");
  ssize_t r = pread(fd, want, (size_t)bytes, (off_t)offset);
  close(fd);
  FUZZ_CHECK(r == (ssize_t)bytes && (bytes == 0 || memcmp(want, got, (size_t)bytes) == 0), "bytes read differ from the file");
}

static uint64_t parse_or_zero(const char* s) { return strtoull(s, NULL, 10); }

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (g_root[0] == '\0' && build_sandbox() != 0) {
    fprintf(stderr, "fuzz_external: cannot build the sandbox under %s\n", g_root);
    abort(); /* the harness itself is broken */
  }
  fuzz_reader r = {data, size};
  uint64_t bytes = fuzz_byte(&r);
  char* field[3] = {fuzz_field(&r), fuzz_field(&r), fuzz_field(&r)};
  static const char* const kKeys[3] = {"location", "offset", "length"};
  Onnx__StringStringEntryProto entries[3];
  Onnx__StringStringEntryProto* list[3];
  Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
  t.name = "w";
  t.external_data = list;
  for (int i = 0; i < 3; i++) {
    if (field[i] == NULL || (i > 0 && (field[i][0] == '\0' || strcmp(field[i], "-") == 0))) continue;
    onnx__string_string_entry_proto__init(&entries[t.n_external_data]);
    entries[t.n_external_data].key = (char*)kKeys[i];
    entries[t.n_external_data].value = field[i];
    list[t.n_external_data] = &entries[t.n_external_data];
    t.n_external_data++;
  }
  tensor_ctx c = {.where = "fuzz.onnx", .dir = g_model_dir, .max_bytes = 256};
  uint8_t dst[256];
  roof_error err;
  if (field[0] && roof_external_data_read(&t, &c, bytes, dst, &err) == ROOF_OK) {
    uint64_t offset = (field[1] && field[1][0] && strcmp(field[1], "-") != 0) ? parse_or_zero(field[1]) : 0;
    check_accepted(field[0], offset, bytes, dst);
  }
  for (int i = 0; i < 3; i++) free(field[i]);
  return 0;
}
