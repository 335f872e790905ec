/* External tensor data (TensorProto.data_location = EXTERNAL).
 *
 * The model names a file by a string it controls, so the file is treated as untrusted:
 * a relative path with no ".." component, reached from the model's directory without any
 * symlink (neither the file nor a directory on the way), a regular file with a single hard
 * link (a hard link could expose any file of the same filesystem), and the byte range
 * [offset, offset + length) inside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader_internal.h"

static const char* ext_entry(const Onnx__TensorProto* t, const char* key) {
  const char* found = NULL;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const Onnx__StringStringEntryProto* e = t->external_data[i];
    if (e && e->key && strcmp(e->key, key) == 0) found = e->value ? e->value : ""; /* last wins */
  }
  return found;
}

static bool parse_u64_str(const char* s, uint64_t* out) {
  if (s == NULL || *s < '0' || *s > '9') return false;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return false;
  *out = v;
  return true;
}

/* Joins dir and a relative location lexically, dropping "." and empty components.
 * False when the result does not fit or the location holds a ".." component. */
static bool join_clean(const char* dir, const char* loc, char* out, size_t n, bool* dotdot) {
  *dotdot = false;
  size_t o = strlen(dir);
  if (o + 1 >= n) return false;
  memcpy(out, dir, o + 1);
  for (const char* p = loc; *p;) {
    size_t c = strcspn(p, "/");
    if (c == 2 && p[0] == '.' && p[1] == '.') {
      *dotdot = true;
      return false;
    }
    if (c > 0 && !(c == 1 && p[0] == '.')) {
      if (o + 1 + c + 1 > n) return false;
      if (o == 0 || out[o - 1] != '/') out[o++] = '/';
      memcpy(out + o, p, c);
      o += c;
      out[o] = '\0';
    }
    p += c;
    while (*p == '/') p++;
  }
  return true;
}

static roof_status read_range(int fd, uint64_t offset, uint64_t bytes, void* dst) {
  uint64_t done = 0;
  while (done < bytes) {
    size_t chunk = bytes - done > ((size_t)1 << 30) ? ((size_t)1 << 30) : (size_t)(bytes - done);
    ssize_t r = pread(fd, (char*)dst + done, chunk, (off_t)(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return ROOF_E_NOINPUT;
    done += (uint64_t)r;
  }
  return ROOF_OK;
}

/* Opens the cleaned path and verifies the file it reached; *fd_out is set on success only. */
static roof_status open_checked(const tensor_ctx* c, const char* name, const char* loc, const char* path,
                                const char* real_dir, struct stat* sb, int* fd_out, roof_error* err) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP) {
      return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data '%s' is a symlink (not allowed)", c->where,
                       name, loc);
    }
    return roof_fail(err, ROOF_E_NOINPUT, "%s: tensor '%s': external data '%s' cannot be opened: %s", c->where, name,
                     loc, strerror(e));
  }
  char real_file[PATH_MAX];
  struct stat rs;
  size_t dl = strlen(real_dir);
  const char* why = NULL;
  if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode)) why = "is not a regular file";
  else if (sb->st_nlink != 1) why = "has more than one hard link (not allowed)";
  else if (realpath(path, real_file) == NULL) why = "cannot be resolved";
  else if (strncmp(real_file, real_dir, dl) != 0 || (dl > 1 && real_file[dl] != '/')) why = "resolves outside the model's directory";
  else if (strcmp(real_file, path) != 0) why = "is reached through a symlinked directory (not allowed)";
  else if (stat(real_file, &rs) != 0 || rs.st_dev != sb->st_dev || rs.st_ino != sb->st_ino) why = "changed while it was opened";
  if (why) {
    close(fd);
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data '%s' %s", c->where, name, loc, why);
  }
  *fd_out = fd;
  return ROOF_OK;
}

roof_status roof_external_data_read(const Onnx__TensorProto* t, const tensor_ctx* c, uint64_t bytes, void* dst,
                                    roof_error* err) {
  char nb[ROOF_NAME_BUF], lb[ROOF_PATH_BUF];
  const char* name = ROOF_SAFE(t->name ? t->name : "", nb);
  if (c->dir == NULL) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data is only allowed in a model file", c->where, name);
  }
  const char* loc = ext_entry(t, "location");
  if (loc == NULL || loc[0] == '\0') {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data has no location", c->where, name);
  }
  const char* sloc = ROOF_SAFE(loc, lb);
  if (loc[0] == '/') {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data location '%s' is absolute (must be relative to the model's directory)",
                     c->where, name, sloc);
  }
  uint64_t offset = 0, length = bytes, end;
  const char* off_s = ext_entry(t, "offset");
  const char* len_s = ext_entry(t, "length");
  if ((off_s && !parse_u64_str(off_s, &offset)) || (len_s && !parse_u64_str(len_s, &length))) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data offset/length is not a decimal number", c->where, name);
  }
  if (length != bytes) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data length %llu, dims and dtype need %llu bytes",
                     c->where, name, (unsigned long long)length, (unsigned long long)bytes);
  }
  if (!roof_add_u64(offset, length, &end) || end > (uint64_t)INT64_MAX) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data offset + length overflows", c->where, name);
  }
  char real_dir[PATH_MAX], path[PATH_MAX];
  bool dotdot = false;
  if (realpath(c->dir, real_dir) == NULL) {
    return roof_fail(err, ROOF_E_NOINPUT, "%s: tensor '%s': cannot resolve the model's directory: %s", c->where, name,
                     strerror(errno));
  }
  if (!join_clean(real_dir, loc, path, sizeof(path), &dotdot)) {
    return roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data location '%s' %s", c->where, name, sloc,
                     dotdot ? "has a '..' component (must stay inside the model's directory)" : "is too long");
  }
  struct stat sb;
  int fd = -1;
  roof_status st = open_checked(c, name, sloc, path, real_dir, &sb, &fd, err);
  if (st != ROOF_OK) return st;
  if (end > (uint64_t)sb.st_size) {
    st = roof_fail(err, ROOF_E_DATA, "%s: tensor '%s': external data range [%llu, %llu) is outside the %lld-byte file '%s'",
                   c->where, name, (unsigned long long)offset, (unsigned long long)end, (long long)sb.st_size, sloc);
  } else if (read_range(fd, offset, bytes, dst) != ROOF_OK) {
    st = roof_fail(err, ROOF_E_NOINPUT, "%s: tensor '%s': reading external data '%s' failed", c->where, name, sloc);
  }
  close(fd);
  return st;
}
