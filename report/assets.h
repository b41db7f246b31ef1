/* The dashboard files (web/) embedded into the binary at build time, looked up by exact name:
 * served by server/ and inlined into the HTML report by report/html.c. */
#ifndef HEAPSCOPE_REPORT_ASSETS_H
#define HEAPSCOPE_REPORT_ASSETS_H

#include <stddef.h>

struct asset {
	const char *name; /* path under web/: "index.html", "vendor/uplot.min.js" */
	const unsigned char *data;
	size_t size;
	const char *type; /* Content-Type */
};

/* The embedded file of exactly this name (no normalisation: "./a.js" or "a//b" are not found),
 * or NULL. Static data: never freed. */
const struct asset *assets_find(const char *name);

/* The i-th embedded file (in name order), or NULL past the last one. Static data. */
const struct asset *assets_at(size_t i);

#endif
