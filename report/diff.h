/* `heapscope diff`: per-call-site deltas between two recordings, or two time windows of them,
 * and the trend of sites across a series of recordings (a rule's windows). */
#ifndef HEAPSCOPE_REPORT_DIFF_H
#define HEAPSCOPE_REPORT_DIFF_H

#include <stddef.h>
#include <stdint.h>

/* One side of a comparison: a recording, whole or a window of it. */
struct diff_side {
	const char *db_path;
	const char *label;   /* shown for it (an id, a file name); NULL: db_path */
	int64_t from_ns, to_ns; /* window since the recording's start; -1: open */
};

/* The comparison as JSON (the API's /api/diff, `diff --format json`), malloc'd into *out.
 * 0, or -errno with a one-line reason in err. Safe from several threads at once. */
int diff_render_json(const struct diff_side *a, const struct diff_side *b, char **out,
		     size_t *len, char *err, size_t errlen);
/* Live bytes and blocks of the top sites across recordings (oldest first): JSON into *out.
 * top <= 0: every site that held live bytes; n 0: no windows, no sites. 0 or -errno with err.
 * Safe from several threads at once. */
int diff_trend_json(const char *const *db_paths, const char *const *labels, int n, int top,
		    char **out, size_t *len, char *err, size_t errlen);

/* Runs the subcommand (argv[0] = "diff"); returns the exit status. */
int diff_main(int argc, char **argv);

#endif
