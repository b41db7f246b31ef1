/* The ring-buffer consumer: decodes BPF events and feeds the stack table and the tracker. */
#ifndef HEAPSCOPE_DRAIN_H
#define HEAPSCOPE_DRAIN_H

#include <stdint.h>

#include "bpf/abi.h"

struct images;
struct ring_buffer;
struct stacks;
struct tracker;
struct unwinder;

/* What became of the events of one type (enum hs_event_type), for event_counts. */
struct drain_counts {
	uint64_t received, stored, after_cut;
};

struct drain {
	struct ring_buffer *rb;
	struct tracker *tracker;
	struct stacks *stacks;
	struct images *images; /* events go to the image of their pid */
	struct unwinder *unwinder; /* finishes deferred walks; NULL unless --stack=dwarf */
	uint32_t max_depth;	   /* --max-depth */
	uint64_t t0_mono_ns; /* CLOCK_MONOTONIC at the start of the recording */
	uint64_t events;     /* events consumed */
	int64_t last_ts;     /* newest event, ns since start */
	int err;	     /* first error from the store, 0 if none */
	int modules_changed; /* a module event arrived (image.modules_changed says for which): the
			      * owner resyncs unwind tables, clears it */
	/* Attach mode: a traced process exec'd (HS_EV_EXEC), at ts (ns since start); 0 or -errno
	 * of the store. Later events of pid are the new program's. NULL: ignored. */
	int (*on_exec)(void *ctx, uint32_t pid, int64_t ts);
	void *ctx;
	uint64_t cut_mono_ns; /* the stop (CLOCK_MONOTONIC), 0 while recording: allocations and
			       * frees at or after it are discarded, as the BPF side does */
	struct drain_counts counts[HS_EV_TYPES + 1]; /* by enum hs_event_type */
};

/* Creates the ring buffer consumer for map_fd with d as its context. 0 or -errno. */
int drain_open(struct drain *d, int map_fd);
void drain_close(struct drain *d);

/* Consumes every event available now. Returns the number consumed or -errno. */
int drain_consume(struct drain *d);

/* File descriptor that becomes readable when events are waiting (for epoll). */
int drain_fd(const struct drain *d);

#endif
