/* html: the self-contained HTML report, the embedded page template around the report JSON. */
#ifndef HEAPSCOPE_REPORT_HTML_H
#define HEAPSCOPE_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/*
 * The template is report/html_template.html, embedded with .incbin at build time (so the
 * Makefile lists it as a prerequisite of html.o). It holds one line that is exactly
 * "<!--HEAPSCOPE_DATA-->" inside <script type="application/json" id="heapscope-data">; that
 * line is replaced by the report JSON (the object `heapscope report --format json` writes) and
 * the page's inline script reads it with JSON.parse. Every '<' of the JSON is written as
 * \u003c — '<' only occurs inside JSON strings, so the data reads the same while no "</script>"
 * or "<!--" can end or confuse the script element, whatever the JSON writer escaped.
 */

/* Writes the page with json[0..len) spliced in. json must be one JSON object; it is not
 * validated. Returns 0, or -EIO if writing to out failed. */
int html_render(FILE *out, const char *json, size_t len);

/* Streaming variant: write_json(json_out, ctx) writes the JSON to json_out, a stream that
 * applies the '<' escaping and passes everything on to out; it returns 0 or a negative errno.
 * json_out is valid only during the call. Returns 0, write_json's error, -ENOMEM, or -EIO. */
int html_render_stream(FILE *out, int (*write_json)(FILE *json_out, void *ctx), void *ctx);

#endif
