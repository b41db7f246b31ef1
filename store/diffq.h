/* The queries `heapscope diff` needs beyond the analyses: a time window's per-site counts and
 * the module offsets that identify unsymbolized frames across recordings. */
#ifndef HEAPSCOPE_STORE_DIFFQ_H
#define HEAPSCOPE_STORE_DIFFQ_H

#include <stddef.h>
#include <stdint.h>

struct store_reader;

/* One stack's counts in a window (a sampled recording's are estimates: sums of weights). */
struct diffq_site {
	int64_t site;			 /* stacks.id; 0: the stack was lost */
	int64_t allocs, bytes;		 /* allocations made in [from_ns, to_ns) */
	int64_t live_blocks, live_bytes; /* allocated before to_ns and not freed before it */
};

struct diffq_sites {
	struct diffq_site *v;
	size_t n;
};

/* The per-stack counts of the window [from_ns, to_ns) of a recording, ns since its start;
 * to_ns < 0: open (live then means still live at the end). Stacks with nothing to count in the
 * window are left out. The caller frees *out with diffq_sites_free. 0, -EINVAL (from_ns < 0, or
 * an empty window) or -EIO (store_reader_errmsg) or -ENOMEM. */
int diffq_window_sites(struct store_reader *r, int64_t from_ns, int64_t to_ns,
		       struct diffq_sites *out);
void diffq_sites_free(struct diffq_sites *s);

#endif
