/* Plain-program driver for a fuzz target: replays every regular file found in the given
 * directories (and files given directly) through LLVMFuzzerTestOneInput, so that the corpus
 * runs in the normal build under ctest with the normal compiler. Missing paths are skipped
 * with a note (the seed corpus is generated and may be absent); exits 0 when every input ran.
 * usage: fuzz_TARGET_replay PATH... */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int read_whole(const char* path, uint8_t** out, size_t* len) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return -1;
  uint8_t* buf = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t* nb = realloc(buf, cap);
      if (nb == NULL) {
        rc = -1;
        break;
      }
      buf = nb;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  if (ferror(f)) rc = -1;
  fclose(f);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  *out = buf;
  *len = n;
  return 0;
}

static int replay_file(const char* path, size_t* count) {
  uint8_t* data = NULL;
  size_t len = 0;
  if (read_whole(path, &data, &len) != 0) {
    fprintf(stderr, "replay: %s: cannot read: %s\n", path, strerror(errno));
    return 1;
  }
  /* a copy of exactly `len` bytes, so that reading past the end is caught by the sanitizers */
  uint8_t* exact = malloc(len ? len : 1);
  if (exact == NULL) {
    free(data);
    return 1;
  }
  if (len) memcpy(exact, data, len);
  free(data);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  (*count)++;
  return 0;
}

static int cmp_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* Files of one directory in name order (reproducible runs). */
static int replay_dir(const char* dir, size_t* count) {
  DIR* d = opendir(dir);
  if (d == NULL) return 1;
  char** names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && rc == 0) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char** nn = realloc(names, cap * sizeof(char*));
      if (nn == NULL) rc = 1;
      else names = nn;
    }
    if (rc == 0 && (names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)) == NULL) rc = 1;
    if (rc == 0) sprintf(names[n++], "%s/%s", dir, e->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof(char*), cmp_names);
  for (size_t i = 0; i < n; i++) {
    struct stat sb;
    if (rc == 0 && stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode)) rc = replay_file(names[i], count);
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char** argv) {
  size_t count = 0;
  int rc = 0;
  for (int i = 1; i < argc && rc == 0; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0) {
      printf("replay: %s: absent, skipped\n", argv[i]);
      continue;
    }
    rc = S_ISDIR(sb.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i], &count);
  }
  printf("replay: %zu inputs%s\n", count, rc ? ", stopped on an error" : "");
  return rc;
}
