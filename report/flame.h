/* The flame graph tree: every site's stack merged from the outermost frame down, as JSON. */
#ifndef HEAPSCOPE_REPORT_FLAME_H
#define HEAPSCOPE_REPORT_FLAME_H

#include <stddef.h>
#include <stdint.h>

#include "store/analysis.h"

enum flame_weight { FLAME_BYTES, FLAME_ALLOCS, FLAME_LIVE_BYTES };

/* Valid weight names in enum order, NULL-terminated: "bytes", "allocs", "live_bytes". */
extern const char *const FLAME_WEIGHTS[];

struct flame_node {
	const struct an_frame *frame; /* NULL for the root; borrowed from the sites */
	int64_t value;
	struct flame_node *kids; /* sorted by value, biggest first */
	size_t n, cap;
};

/* Builds the tree of sites (grouped by stack): the root's children are outermost frames, equal
 * frames (function, file, line) among siblings merge, a node's value is the weight of every
 * site below it. Sites of weight 0 are left out. The tree borrows frames from sites, which
 * must outlive it. 0 or -ENOMEM; free with flame_free. */
int flame_build(const struct an_sites *sites, enum flame_weight w, struct flame_node *root);
void flame_free(struct flame_node *root);

struct json;

/* Writes the tree as one value: {"name": "all", "value", "children": [{"name", "file", "line",
 * "module", "value", "children"}...]} (name: the function, else "0x<addr>"). Errors stay in the
 * writer's sticky error. */
void flame_render(struct json *j, const struct flame_node *root);

#endif
