/* html: the self-contained HTML report, the dashboard (web/) inlined around the report JSON. */
#ifndef HEAPSCOPE_REPORT_HTML_H
#define HEAPSCOPE_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

/*
 * The page is the dashboard itself, from the same embedded web/ files the server serves
 * (report/assets.h): web/index.html with each <link rel="stylesheet" href="/assets/NAME"> line
 * replaced by that file in a <style>, and its <script type="module" src="/assets/ENTRY"> line by
 * three scripts:
 *   - <script type="application/json" id="heapscope-data">: the report JSON (the object
 *     `heapscope report --format json` writes), which web/api.js answers the views' API
 *     requests from;
 *   - <script type="application/json" id="heapscope-modules">: {"entry": ENTRY, "modules":
 *     {"app.js": "source", ...}}, every embedded .js file;
 *   - an inline module, web/offline.js, that loads the modules from blob: URLs.
 * Every '<' inside the JSON is written as \u003c: '<' only occurs inside JSON strings, so the
 * data reads the same while no "</script>" or "<!--" can end or confuse the script element,
 * whatever the JSON writer escaped. So the page makes no request at all.
 */

/* Writes the page with json[0..len) as its data. json must be one JSON object; it is not
 * validated. Returns 0, -EINVAL if the embedded dashboard lacks a piece of the page (built
 * without web/), or -EIO if writing to out failed. */
int html_render(FILE *out, const char *json, size_t len);

/* Streaming variant: write_json(json_out, ctx) writes the JSON to json_out, a stream that
 * applies the '<' escaping and passes everything on to out; it returns 0 or a negative errno.
 * json_out is valid only during the call. Returns 0, write_json's error, -EINVAL, -ENOMEM, or
 * -EIO. */
int html_render_stream(FILE *out, int (*write_json)(FILE *json_out, void *ctx), void *ctx);

#endif
