/* The self-contained HTML report: the page template embedded in the binary, with the report's
 * JSON spliced in. */
#ifndef HEAPSCOPE_REPORT_HTML_H
#define HEAPSCOPE_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Writes the page with json (the report object, from report/json.c, which escapes "</") as its
 * data. 0 or -EIO. */
int html_render(FILE *out, const char *json, size_t len);

#endif
