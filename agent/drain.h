/* The ring-buffer consumer: decodes BPF events and feeds the stack table and the tracker. */
#ifndef HEAPSCOPE_DRAIN_H
#define HEAPSCOPE_DRAIN_H

#include <stdint.h>

#include "bpf/abi.h"

struct images;
struct ring_buffer;
struct sampling;
struct stacks;
struct tracker;
struct unwinder;

/* What became of the events of one type (enum hs_event_type), for event_counts. */
struct drain_counts {
	uint64_t received, stored, after_cut;
};

/* Where the events go, and who hears of an exec. */
struct drain_opts {
	struct tracker *tracker;
	struct stacks *stacks;
	struct images *images;	   /* events go to the image of their pid */
	struct unwinder *unwinder; /* finishes deferred walks; NULL unless --stack=dwarf */
	uint32_t max_depth;	   /* --max-depth */
	uint64_t t0_mono_ns;	   /* CLOCK_MONOTONIC at the start of the recording */
	struct sampling *sampling; /* --sample: weighs each sampled allocation; NULL exact */
	volatile uint32_t *wakeup_sent; /* the BPF side's latch, cleared after each read */
	/* Attach mode: a traced process exec'd (HS_EV_EXEC), at ts (ns since start); 0 or -errno
	 * of the store. Later events of pid are the new program's. NULL: ignored. */
	int (*on_exec)(void *ctx, uint32_t pid, int64_t ts);
	/* Attach mode: a traced process ended (HS_EV_EXIT) with this wait status. NULL: ignored. */
	void (*on_exit)(void *ctx, uint32_t pid, uint32_t status);
	void *ctx;
};

struct drain_stats {
	uint64_t events;			     /* consumed */
	int64_t last_ts;			     /* newest event, ns since start */
	struct drain_counts counts[HS_EV_TYPES + 1]; /* by enum hs_event_type */
};

struct drain;

/* The consumer of the ring buffer map_fd. 0 or -errno. Free with drain_free. */
int drain_new(const struct drain_opts *o, int map_fd, struct drain **out);
void drain_free(struct drain *d);

/* Consumes the events available now, for at most 50 ms (see drain_pending): how many,
 * or the first error of the store (the drain then stops: nothing more is taken). */
int drain_consume(struct drain *d);

/* 1 when the last drain_consume stopped at its time limit with events still waiting. */
int drain_pending(const struct drain *d);

/* The first error of the store, 0 if none. */
int drain_error(const struct drain *d);

/* A mark (CLOCK_MONOTONIC; 0: none): drain_mark_passed says 1 once an event stamped at or after
 * it was consumed. The ring buffer holds events in the order they were reserved, so every event
 * that was complete before the mark has been consumed by then. */
void drain_set_mark(struct drain *d, uint64_t mono_ns);
int drain_mark_passed(const struct drain *d);

/* The stop (CLOCK_MONOTONIC): allocations and frees at or after it are discarded, as the BPF
 * side does. */
void drain_set_cut(struct drain *d, uint64_t mono_ns);

/* 1 once after module events (struct image.modules_changed says of which images), else 0. */
int drain_take_modules_changed(struct drain *d);

void drain_get_stats(const struct drain *d, struct drain_stats *out);

/* File descriptor that becomes readable when events are waiting (for epoll). */
int drain_fd(const struct drain *d);

#endif
