/* HTML report: one self-contained page (no network: a Content-Security-Policy forbids every
 * fetch) holding the JSON report of report_json.c / compare.c as a data block, and the
 * script and style sheet embedded at build time (report_html_assets.h). The JSON is written
 * with every '<' as the JSON escape \u003c, so no model name can close the data block or
 * open a comment inside it; the assets are checked for closing tags when embedded. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_html_assets.h"

static const char kHead[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data:\">\n"
    "<meta name=\"generator\" content=\"rooftop " ROOF_VERSION "\">\n"
    "<title>rooftop report</title>\n<style>\n";
static const char kBody[] =
    "</style>\n</head>\n<body data-state=\"loading\">\n"
    "<div id=\"app\"><noscript>This report is drawn by JavaScript; its data is the JSON in the "
    "roof-data element of this file.</noscript></div>\n"
    "<script id=\"roof-data\" type=\"application/json\">";
static const char kScript[] = "</script>\n<script>\n";
static const char kTail[] = "</script>\n</body>\n</html>\n";

/* Growable text buffer; `ok` turns false on the first failed allocation and stays false. */
typedef struct html_buf {
  char* text;
  size_t len, cap;
  bool ok;
} html_buf;

static void put(html_buf* b, const char* s, size_t n) {
  if (!b->ok) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char* t = realloc(b->text, cap);
    if (t == NULL) {
      b->ok = false;
      return;
    }
    b->text = t;
    b->cap = cap;
  }
  memcpy(b->text + b->len, s, n);
  b->len += n;
  b->text[b->len] = '\0';
}

static void put_str(html_buf* b, const char* s) { put(b, s, strlen(s)); }

/* JSON text with '<' written as \u003c ('<' only ever occurs inside JSON strings). */
static void put_json(html_buf* b, const char* json) {
  const char* run = json;
  for (const char* p = json; *p; p++) {
    if (*p != '<') continue;
    put(b, run, (size_t)(p - run));
    put_str(b, "\\u003c");
    run = p + 1;
  }
  put_str(b, run);
}

char* roof_html_document(const cJSON* report) {
  char* json = report ? cJSON_PrintUnformatted(report) : NULL;
  if (json == NULL) return NULL;
  html_buf b = {.ok = true};
  put_str(&b, kHead);
  put_str(&b, roof_html_css);
  put_str(&b, kBody);
  put_json(&b, json);
  put_str(&b, kScript);
  put_str(&b, roof_html_js);
  put_str(&b, kTail);
  free(json);
  if (!b.ok) {
    free(b.text);
    return NULL;
  }
  return b.text;
}

roof_status roof_report_html_doc(const char* path, const cJSON* report, roof_error* err) {
  char* text = roof_html_document(report);
  if (text == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  roof_status st = roof_write_text_file(path, text, err);
  free(text);
  return st;
}

roof_status roof_report_html(const char* path, const roof_profile* p, const char* fusion, roof_error* err) {
  cJSON* root = roof_profile_to_json(p, fusion);
  if (root == NULL) return roof_fail(err, ROOF_E_NOMEM, "out of memory writing %s", path);
  roof_status st = roof_report_html_doc(path, root, err);
  cJSON_Delete(root);
  return st;
}
