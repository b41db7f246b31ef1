/* The ring-buffer consumer: decodes BPF events and feeds the stack table and the tracker.
 * No allocation per event: the tracker and stack table hold their own arenas. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "agent/clock.h"
#include "agent/drain.h"
#include "agent/images.h"
#include "agent/sampling.h"
#include "agent/stacks.h"
#include "agent/symbolize.h"
#include "agent/tracker.h"
#include "agent/unwind.h"
#include "bpf/abi.h"

/* How long one drain_consume may take events. libbpf's consume returns only once the ring buffer
 * is empty, which a target producing faster than we store never lets happen: the recorder's loop
 * (its once-a-second commit, signals, the duration) would wait behind it for the whole
 * recording. Time, not a count: after lost events, frees of unknown blocks each scan the live
 * set. The clock is read every CLOCK_EVERY events (a vDSO call, ~20 ns). */
#define CONSUME_BUDGET_NS 50000000ULL
#define CLOCK_EVERY 64

struct drain {
	struct drain_opts o;
	struct ring_buffer *rb;
	struct drain_stats stats;
	int err;	      /* first error from the store, 0 if none */
	int modules_changed;  /* a module event arrived since the owner last asked */
	uint64_t cut_mono_ns; /* 0 while recording */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC: this drain_consume stops taking events then */
	unsigned taken;	      /* events taken by this drain_consume */
	int pending;	      /* the last drain_consume stopped at its deadline */
	uint64_t mark_ns;     /* CLOCK_MONOTONIC: an event at or after it sets mark_passed */
	int mark_passed;
};

static int64_t since_start(struct drain *d, uint64_t ts_ns)
{
	int64_t ts = ts_ns > d->o.t0_mono_ns ? (int64_t)(ts_ns - d->o.t0_mono_ns) : 0;

	if (ts > d->stats.last_ts)
		d->stats.last_ts = ts;
	return ts;
}

/* The image an event belongs to; NULL (the event is not stored) for a process not traced. */
static struct image *image_of(struct drain *d, const struct hs_event_hdr *h)
{
	return images_find(d->o.images, (pid_t)h->pid);
}

/* Which image made a call, and in whose memory its block is. */
static struct tracker_origin origin(const struct image *img)
{
	return (struct tracker_origin){ .pid = img->pid,
					.proc = img->id,
					.heap = img->heap_proc,
					.traced_from_start = img->traced_from_start,
					.armed_ts = img->armed_ts };
}

static int on_alloc(struct drain *d, const struct hs_alloc_event *e)
{
	struct image *img = image_of(d, &e->hdr);
	struct tracker_alloc a = {
		.ts = since_start(d, e->hdr.ts_ns),
		.dur_ns = (int64_t)e->dur_ns,
		.site = stacks_lookup(d->o.stacks, e->stack_id),
		.addr = e->addr,
		.size = e->size,
		.old_addr = e->old_addr,
		.func = (int)e->func,
		.tid = (int)e->hdr.tid,
	};

	if (!img)
		return -ESRCH;
	a.from = origin(img);
	if (d->o.sampling && e->addr)
		a.weight = sampling_weight(d->o.sampling, e->size);
	return tracker_on_alloc(d->o.tracker, &a);
}

static int on_free(struct drain *d, const struct hs_free_event *e)
{
	struct image *img = image_of(d, &e->hdr);
	struct tracker_free f = {
		.ts = since_start(d, e->hdr.ts_ns),
		.site = stacks_lookup(d->o.stacks, e->stack_id),
		.addr = e->addr,
		.func = (int)e->func,
		.tid = (int)e->hdr.tid,
	};

	if (!img)
		return -ESRCH;
	f.from = origin(img);
	return tracker_on_free(d->o.tracker, &f);
}

/* An object the dynamic linker knows: tell the symbolizer now, as it may be gone (dlclose)
 * before /proc/PID/maps is read again. */
static int on_module(struct drain *d, const struct hs_module_event *e)
{
	struct image *img = image_of(d, &e->hdr);
	char path[HS_MODULE_PATH];

	if (!img)
		return -ESRCH;
	memcpy(path, e->path, sizeof(path));
	path[sizeof(path) - 1] = '\0';
	if (path[0] == '/') /* the executable ("") and the vdso have no file name here */
		sym_note_module(img->sym, path, e->bias);
	img->modules_changed = 1;
	d->modules_changed = 1;
	return 0;
}

static int on_stack(struct drain *d, const struct hs_stack_event *e)
{
	struct image *img = image_of(d, &e->hdr);

	if (!img)
		return -ESRCH;
	return stacks_add(d->o.stacks, img->space, e->stack_id, (const uint64_t *)e->frames,
			  e->depth, e->end);
}

/* A walk the BPF side stopped at code it had no tables for yet: the module event came first,
 * so the symbolizer knows the code now; finish the walk on the copy of the stack. */
static int on_raw_stack(struct drain *d, const struct hs_stack_raw_event *e)
{
	struct image *img = image_of(d, &e->s.hdr);
	uint64_t frames[HS_MAX_FRAMES];
	uint32_t depth = e->s.depth < HS_MAX_FRAMES ? e->s.depth : HS_MAX_FRAMES, end = e->s.end;
	uint32_t max = d->o.max_depth && d->o.max_depth < HS_MAX_FRAMES ? d->o.max_depth :
									  HS_MAX_FRAMES;

	if (!img)
		return -ESRCH;
	memcpy(frames, e->s.frames, sizeof(frames));
	if (d->o.unwinder)
		end = unwinder_finish_walk(d->o.unwinder, img->sym, frames, &depth, max, e->sp,
					   e->fp, e->bytes,
					   e->nbytes < sizeof(e->bytes) ? e->nbytes :
									  sizeof(e->bytes));
	return stacks_add(d->o.stacks, img->space, e->s.stack_id, frames, depth, end);
}

/* An allocation or free at or after the cut: the BPF side may have read the cut late. */
static int after_cut(const struct drain *d, const struct hs_event_hdr *h)
{
	return d->cut_mono_ns && (h->type == HS_EV_ALLOC || h->type == HS_EV_FREE) &&
	       h->ts_ns >= d->cut_mono_ns;
}

static int dispatch(struct drain *d, const void *data, size_t size)
{
	const struct hs_event_hdr *h = data;
	const struct hs_stack_event *se = data;

	switch (h->type) {
	case HS_EV_ALLOC:
		return size >= sizeof(struct hs_alloc_event) ? on_alloc(d, data) : -EBADMSG;
	case HS_EV_FREE: return size >= sizeof(struct hs_free_event) ? on_free(d, data) : -EBADMSG;
	case HS_EV_STACK: return size >= sizeof(*se) ? on_stack(d, se) : -EBADMSG;
	case HS_EV_STACK_RAW:
		return size >= sizeof(struct hs_stack_raw_event) ? on_raw_stack(d, data) : -EBADMSG;
	case HS_EV_MODULE:
		return size >= sizeof(struct hs_module_event) ? on_module(d, data) : -EBADMSG;
	case HS_EV_EXIT:
		if (size < sizeof(struct hs_exit_event))
			return -EBADMSG;
		if (!image_of(d, h))
			return -ESRCH;
		if (d->o.on_exit)
			d->o.on_exit(d->o.ctx, h->pid,
				     ((const struct hs_exit_event *)data)->status);
		return 0;
	case HS_EV_EXEC:
		if (!image_of(d, h))
			return -ESRCH;
		return d->o.on_exec ? d->o.on_exec(d->o.ctx, h->pid, since_start(d, h->ts_ns)) : 0;
	}
	return -EBADMSG;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct hs_event_hdr *h = data;
	struct drain *d = ctx;
	struct drain_counts *c;
	int err;

	d->stats.events++;
	if (size < sizeof(*h) || h->type < 1 || h->type > HS_EV_TYPES)
		return 0; /* not ours: cannot happen with a matching BPF object */
	c = &d->stats.counts[h->type];
	c->received++;
	if (d->mark_ns && h->ts_ns >= d->mark_ns)
		d->mark_passed = 1;
	if (after_cut(d, h)) {
		c->after_cut++;
		return 0;
	}
	err = dispatch(d, data, size);
	if (err == -EBADMSG || err == -ESRCH)
		return 0; /* malformed, or from a process not traced: received, not stored */
	if (!err)
		c->stored++;
	if (err && !d->err)
		d->err = err;
	if (!err && d->mark_passed) {
		d->taken++;
		return -EAGAIN; /* the owner waits for this one: the rest can wait */
	}
	if (!err && ++d->taken % CLOCK_EVERY == 0 && clock_ns(CLOCK_MONOTONIC) >= d->deadline_ns)
		return -EAGAIN; /* this event is taken; the rest waits for the next call */
	return err;		/* stops consuming: the store failed (e.g. disk full) */
}

int drain_new(const struct drain_opts *o, int map_fd, struct drain **out)
{
	struct drain *d = calloc(1, sizeof(*d));
	int e;

	if (!d)
		return -ENOMEM;
	d->o = *o;
	d->rb = ring_buffer__new(map_fd, on_event, d, NULL);
	if (!d->rb) {
		e = -errno;
		free(d);
		return e;
	}
	*out = d;
	return 0;
}

void drain_free(struct drain *d)
{
	if (!d)
		return;
	ring_buffer__free(d->rb);
	free(d);
}

int drain_consume(struct drain *d)
{
	int n;

	if (d->err)
		return d->err;
	d->deadline_ns = clock_ns(CLOCK_MONOTONIC) + CONSUME_BUDGET_NS;
	d->taken = 0;
	n = ring_buffer__consume(d->rb);
	d->pending = n == -EAGAIN && !d->err;
	if (d->pending)
		return (int)d->taken;
	if (d->o.wakeup_sent)
		*d->o.wakeup_sent = 0; /* caught up: the next event past the mark may wake us */
	return d->err ? d->err : n;
}

int drain_pending(const struct drain *d)
{
	return d->pending;
}

int drain_error(const struct drain *d)
{
	return d->err;
}

void drain_set_mark(struct drain *d, uint64_t mono_ns)
{
	d->mark_ns = mono_ns;
	d->mark_passed = 0;
}

int drain_mark_passed(const struct drain *d)
{
	return d->mark_passed;
}

void drain_set_cut(struct drain *d, uint64_t mono_ns)
{
	d->cut_mono_ns = mono_ns;
}

int drain_take_modules_changed(struct drain *d)
{
	int changed = d->modules_changed;

	d->modules_changed = 0;
	return changed;
}

void drain_get_stats(const struct drain *d, struct drain_stats *out)
{
	*out = d->stats;
}

int drain_fd(const struct drain *d)
{
	return ring_buffer__epoll_fd(d->rb);
}
