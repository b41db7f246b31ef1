/* The dashboard files (web/) embedded into the binary at build time, looked up by exact name. */
#ifndef HEAPSCOPE_SERVER_ASSETS_H
#define HEAPSCOPE_SERVER_ASSETS_H

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

/* The dashboard page: the embedded web/index.html, else a built-in placeholder. Never NULL. */
const struct asset *assets_index(void);

#endif
