/* Pairs frees with their allocations in memory, detects allocator misuse, keeps the timeline,
 * and hands finished rows to the store. */
#ifndef HEAPSCOPE_TRACKER_H
#define HEAPSCOPE_TRACKER_H

#include <stdint.h>

struct reach_block;
struct store;
struct tracker;

struct tracker_opts {
	int traced_from_start; /* every image from its start (or as each event says) */
	int keep_events;       /* also store every raw event */
	int sampled;	       /* --sample: only sampled blocks are known, so a free of another
				* is no misuse: every unknown free is an untracked one */
	int64_t interval_ns;   /* timeline resolution */
	/* 1 when a free made at site comes from the allocator's own code: glibc flushing its
	 * thread cache at thread exit frees chunks the program had already freed. Such a free is
	 * never a misuse. Asked only for frees that would otherwise be errors. */
	int (*internal_free)(void *ctx, int64_t site);
	void *ctx;
};

/* Timestamps are ns since the recording started; sites are stacks.id (0 = unknown). */
/* Who made a call, and in whose memory its block is. */
struct tracker_origin {
	int pid;
	int64_t proc; /* processes.id of the image that made the call */
	int64_t heap; /* processes.id of the image whose memory holds the block (its own, or a
		       * vfork child's parent): addresses are per memory */
	int traced_from_start; /* that memory was traced from its first allocation: a free of an
				* unknown block is an error, not an untracked free */
	int64_t armed_ts; /* its probes were all in then: before it (and just after, for calls
			   * begun before it) an allocation may go unseen, so an untracked free
			   * then is not remembered for double-free detection */
};

struct tracker_alloc {
	int64_t ts, dur_ns, site;
	uint64_t addr, size, old_addr; /* addr 0: failed, or realloc(p, 0) that freed p */
	int func;		       /* enum hs_func */
	int tid;
	struct tracker_origin from;
	int64_t weight; /* blocks this allocation stands for: 1 (0 reads as 1) exact, sampled more */
};

struct tracker_free {
	int64_t ts, site;
	uint64_t addr;
	int func; /* enum hs_func */
	int tid;
	struct tracker_origin from;
};

struct tracker_stats {
	int64_t allocs, frees, live_blocks, live_bytes, alloc_bytes, untracked_frees, errors;
	int64_t peak_live_bytes, peak_ts;
	/* freed addresses forgotten before being allocated again (the double-free table is
	 * bounded, see tracker.c): a later second free of one reads as an invalid free */
	int64_t freed_forgotten;
};

/* The tracker writes into st (not owned). 0 or -ENOMEM. Free with tracker_free. */
int tracker_new(struct store *st, const struct tracker_opts *o, struct tracker **out);
void tracker_free(struct tracker *t);

/* 0 or the store's -errno. */
int tracker_on_alloc(struct tracker *t, const struct tracker_alloc *a);
int tracker_on_free(struct tracker *t, const struct tracker_free *f);

/* An image ended by exec: the live blocks in its memory (heap = proc) end at ts, as released by
 * the exec (free_func 'exec'), not as leaks. 0 or -errno. */
int tracker_release_image(struct tracker *t, int64_t proc, int pid, int64_t ts);

/* Closes the timeline, writes every still-live block (free_ts NULL), the sites of those blocks
 * (leak_sites) and the per-site aggregates. 0 or -errno. */
int tracker_finish(struct tracker *t, int64_t end_ts);

/* Writes the per-site aggregates changed since the last call (and, with with_leaks, the sites
 * of the blocks live now), so readers of a recording in progress see it so far. 0 or -errno. */
int tracker_publish(struct tracker *t, int64_t now_ts, int with_leaks);

/* The blocks live now in the memory of image heap (processes.id), for a reachability scan: *out
 * is malloc'd (the caller frees it), each with its tracker key. 0 or -ENOMEM. */
int tracker_live_blocks(struct tracker *t, int64_t heap, struct reach_block **out, size_t *n);
/* Keeps each block's verdict (by key; blocks freed since are skipped): written with its
 * allocations row and in leak_sites. */
void tracker_set_reach(struct tracker *t, const struct reach_block *b, size_t n);

void tracker_get_stats(const struct tracker *t, struct tracker_stats *out);

#endif
