/* Unit tests of the HTML report writer (profiler/report_html.c): a hostile model name can
 * neither close the data block nor open a comment in it and comes back intact from the
 * embedded JSON; the embedded script and style sheet are present; nothing is loaded from
 * elsewhere; a failed write reports its status and leaves no file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "report_html_assets.h"

#include "check.h"

static const char kHostile[] = "</script><script>alert(1)</script><!-- </SCRIPT \xc3\xa9";
static const char kDataTag[] = "<script id=\"roof-data\" type=\"application/json\">";

static int count(const char* hay, const char* needle) {
  int n = 0;
  for (const char* p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* The JSON text of the data block, malloc'ed; NULL when the block is missing. */
static char* data_block(const char* doc) {
  const char* a = strstr(doc, kDataTag);
  if (a == NULL) return NULL;
  a += strlen(kDataTag);
  const char* b = strstr(a, "</script>");
  if (b == NULL) return NULL;
  char* out = malloc((size_t)(b - a) + 1);
  if (out == NULL) return NULL;
  memcpy(out, a, (size_t)(b - a));
  out[b - a] = '\0';
  return out;
}

static void test_document(void) {
  CHECK(roof_html_document(NULL) == NULL, "a NULL report has no document");
  cJSON* report = cJSON_CreateObject();
  cJSON_AddStringToObject(report, "schema", "rooftop.profile/1");
  cJSON* layer = cJSON_CreateObject();
  cJSON_AddStringToObject(layer, "name", kHostile);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(report, "layers"), layer);
  char* doc = roof_html_document(report);
  CHECK(doc != NULL, "document");
  if (doc == NULL) {
    cJSON_Delete(report);
    return;
  }
  CHECK(count(doc, "</script>") == 2, "exactly the data block and the script end: %d", count(doc, "</script>"));
  CHECK(count(doc, "<!--") == 0, "no comment opener");
  CHECK(strstr(doc, roof_html_js) && strstr(doc, roof_html_css), "script and style sheet embedded");
  CHECK(strstr(doc, " src=") == NULL && strstr(doc, "<link") == NULL, "nothing loaded from elsewhere");
  CHECK(strstr(doc, "default-src 'none'") != NULL, "a CSP forbids fetches");
  char* data = data_block(doc);
  CHECK(data && strchr(data, '<') == NULL, "no '<' in the data block");
  cJSON* back = data ? cJSON_Parse(data) : NULL;
  const cJSON* name = back ? cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(back, "layers"), 0), "name") : NULL;
  CHECK(cJSON_IsString(name) && strcmp(name->valuestring, kHostile) == 0, "the name comes back intact");
  cJSON_Delete(back);
  free(data);
  free(doc);
  cJSON_Delete(report);
}

static void test_write_failure(void) {
  cJSON* report = cJSON_CreateObject();
  roof_error err = {{0}};
  const char* path = "no-such-dir-for-rooftop/report.html";
  roof_status st = roof_report_html_doc(path, report, &err);
  CHECK(st == ROOF_E_CANTCREAT && strstr(err.message, path), "status %d: %s", (int)st, err.message);
  CHECK(access(path, F_OK) != 0, "no file left behind");
  cJSON_Delete(report);
}

int main(void) {
  test_document();
  test_write_failure();
  if (failures) {
    fprintf(stderr, "test_html: %d failures\n", failures);
    return 1;
  }
  printf("test_html: ok\n");
  return 0;
}
