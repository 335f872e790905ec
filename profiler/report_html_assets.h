/* The HTML report's script and style sheet, embedded at build time from profiler/html/report.js
 * and profiler/html/report.css (profiler/html/embed.cmake). Both are NUL-terminated and
 * guaranteed by the embed step to hold no closing script/style tag. */
#ifndef ROOF_REPORT_HTML_ASSETS_H
#define ROOF_REPORT_HTML_ASSETS_H

extern const char roof_html_js[];
extern const char roof_html_css[];

#endif
