/* The JSON API: one route per analysis, rendered by report/ exactly as `report --format json`. */
#ifndef HEAPSCOPE_SERVER_API_H
#define HEAPSCOPE_SERVER_API_H

#include <stddef.h>

#include "server/params.h"

/*
 * Routes (GET or HEAD; JSON exactly as report_json_* write it):
 *   summary                                   the summary object
 *   sites?group=stack|function|file&sort=COLUMN&order=desc|asc&function=SUBSTR&file=SUBSTR
 *        &limit=1..10000 (50)&offset=N        {"total": N, "sites": [...]}
 *   site?id=N (required)                      {"site": {...}, "lifetimes", "sizes", "timeline"}
 *   leaks?group=stack|function|file&limit=0..10000 (100; 0: all)&min_age=SECONDS   [...]
 *   lifetimes?site=N, sizes?site=N            histogram objects (site 0 or absent: all)
 *   timeline?from=NS&to=NS&resolution=NS&site=N          [...] (at most 1e6 points)
 *   errors, advice                            [...]
 *   flame?weight=bytes|allocs|live_bytes      {"name": "all", "value", "children": [...]}
 * Every route also takes pid=N (1..INT_MAX): the analysis of that process only; 404 when the
 * recording has no such process.
 * Numbers are decimal digits only (at most 1e18), strings at most 256 bytes. Unknown or
 * repeated parameters are rejected (400) rather than ignored, so a typo is never silent.
 */
struct api_reply {
	unsigned status;
	char *body; /* JSON, malloc'd: the caller frees it. NULL only when out of memory. */
	size_t len;
};

/* Answers GET /api/<route> from the recording at db_path, opened read-only for this request
 * only. Always fills out: 200 with the analysis, else 400 (bad parameter), 404 (unknown route,
 * site or process), 500 (the query failed) or 503 (recording unreadable, out of memory) with
 * {"error": "one line"}. Safe to call from several threads at once. */
void api_handle(const char *db_path, const char *route, const struct params *p,
		struct api_reply *out);

/* {"error": msg} into out (body NULL if out of memory). */
void api_error(unsigned status, const char *msg, struct api_reply *out);

#endif
