/* Pairs frees with their allocations in memory (a hash of live addresses, so lifetime is a
 * column, not a self-join), detects double and invalid frees, keeps the timeline. */
#include <errno.h>
#include <stdlib.h>

#include "agent/sitestats.h"
#include "agent/tracker.h"
#include "agent/u64map.h"
#include "bpf/abi.h"
#include "store/store.h"

/* Longest idle gap filled with timeline rows; past it the series just resumes. */
#define MAX_GAP_ROWS 100000

struct live_block {
	int64_t id, alloc_ts, alloc_ns, site;
	uint64_t size;
	int32_t func, tid;
	int32_t chain; /* reallocs this block's contents have been through */
	int32_t pid, proc, heap;
	uint32_t weight; /* blocks it stands for: 1 exact, sampled mode more */
};

/* Blocks are keyed by address within their program image: user addresses fit in 48 bits, and
 * two processes (or one before and after an exec) may hand out the same address. */
static uint64_t block_key(int64_t proc, uint64_t addr)
{
	return ((uint64_t)proc << 48) ^ addr;
}

static uint64_t key_addr(uint64_t key)
{
	return key & ((1ULL << 48) - 1);
}

struct freed_block {
	int64_t alloc_id, free_site;
};

struct tracker {
	struct store *st;
	struct tracker_opts o;
	struct u64map *live, *freed;
	int64_t next_id;
	struct tracker_stats stats;
	struct store_timeline bucket; /* the interval being filled */
	int64_t bucket_idx;
	struct sitestats *sites;
	struct u64map *last_alloc; /* tid + 1 -> address of the thread's latest allocation */
	int64_t peak_live_bytes, peak_ts;
};

int tracker_new(struct store *st, const struct tracker_opts *o, struct tracker **out)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->st = st;
	t->o = *o;
	t->live = u64map_new(sizeof(struct live_block));
	t->freed = u64map_new(sizeof(struct freed_block));
	t->next_id = 1;
	t->sites = sitestats_new();
	t->last_alloc = u64map_new(sizeof(uint64_t));
	if (!t->live || !t->freed || !t->sites || !t->last_alloc) {
		tracker_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void tracker_free(struct tracker *t)
{
	if (!t)
		return;
	u64map_free(t->live);
	u64map_free(t->freed);
	u64map_free(t->last_alloc);
	sitestats_free(t->sites);
	free(t);
}

static int flush_bucket(struct tracker *t)
{
	t->bucket.ts = (t->bucket_idx + 1) * t->o.interval_ns;
	t->bucket.live_bytes = t->stats.live_bytes;
	t->bucket.live_blocks = t->stats.live_blocks;
	return store_insert_timeline(t->st, &t->bucket);
}

/* Moves the timeline forward to the interval holding ts, writing the ones it passes. */
static int advance(struct tracker *t, int64_t ts)
{
	int64_t idx = ts / t->o.interval_ns, rows = 0;
	int err = 0;

	while (idx > t->bucket_idx && !err) {
		err = flush_bucket(t);
		t->bucket = (struct store_timeline){ 0 };
		t->bucket_idx++;
		if (++rows > MAX_GAP_ROWS)
			t->bucket_idx = idx;
	}
	return err;
}

static int store_event(struct tracker *t, const char *kind, int64_t ts, int func, int tid,
		       uint64_t addr, uint64_t size, uint64_t old_addr, int64_t site, int pid)
{
	struct store_event e = { ts, kind, func + 1, tid, addr, size, old_addr, site, pid };

	return t->o.keep_events ? store_insert_event(t->st, &e) : 0;
}

static int report_error(struct tracker *t, const char *kind, const struct tracker_free *f,
			int64_t alloc_id, int64_t prev_free_site)
{
	struct store_error e = { kind,	  f->addr,  f->ts,	    f->tid,	f->func + 1,
				 f->site, alloc_id, prev_free_site, f->from.pid };

	t->stats.errors++;
	return store_insert_error(t->st, &e);
}

struct interior_search {
	uint64_t key;
	int64_t found_id;
};

static void find_containing(uint64_t start, void *value, void *arg)
{
	struct interior_search *s = arg;
	struct live_block *b = value;

	if (s->key > start && s->key < start + b->size)
		s->found_id = b->id;
}

/* A free of an address we never returned: an error when the process was traced from its start
 * (inside a live block or not), an untracked free when we attached later. The linear scan only
 * runs on this rare path. */
static int unknown_free(struct tracker *t, const struct tracker_free *f)
{
	struct interior_search s = { block_key(f->from.heap, f->addr), 0 };
	struct freed_block *fb;
	int created;

	if (!f->from.traced_from_start && !t->o.traced_from_start) {
		t->stats.untracked_frees++;
		fb = u64map_put(t->freed, s.key, &created);
		if (!fb)
			return -ENOMEM;
		*fb = (struct freed_block){ 0, f->site };
		return 0;
	}
	u64map_each(t->live, find_containing, &s);
	return report_error(t, "invalid_free", f, s.found_id, 0);
}

/* Completes the live block at addr as freed by f. 1 if it was live. */
static int close_block(struct tracker *t, const struct tracker_free *f, int *err)
{
	uint64_t key = block_key(f->from.heap, f->addr), *last;
	struct live_block *b = u64map_get(t->live, key);
	struct freed_block *fb;
	struct store_alloc row;
	int created, tid;

	if (!b)
		return 0;
	tid = f->func == HS_FN_COUNT ? b->tid : f->tid; /* an exec is no other thread's free */
	row = (struct store_alloc){ b->id,	 f->addr,     b->size, b->func + 1, b->tid,
				    b->alloc_ts, b->alloc_ns, f->ts,   b->site,	    f->site,
				    f->func + 1, tid,	      b->pid,  b->proc,	    b->weight };
	last = u64map_get(t->last_alloc, (uint64_t)b->tid + 1);
	*err = sitestats_free_block(t->sites, b->site, b->size, b->weight, b->alloc_ts, b->tid,
				    f->ts, f->site, tid, b->tid == tid && last && *last == f->addr);
	t->stats.frees += b->weight;
	t->stats.live_blocks -= b->weight;
	t->stats.live_bytes -= (int64_t)b->size * b->weight;
	t->bucket.frees += b->weight;
	t->bucket.free_bytes += (int64_t)b->size * b->weight;
	u64map_remove(t->live, key);
	if (!*err)
		*err = store_insert_alloc(t->st, &row);
	fb = u64map_put(t->freed, key, &created);
	if (!fb) {
		*err = -ENOMEM;
		return 1;
	}
	*fb = (struct freed_block){ row.id, f->site };
	return 1;
}

static int do_free(struct tracker *t, const struct tracker_free *f, int from_realloc)
{
	struct freed_block *fb;
	int err = 0;

	if (close_block(t, f, &err))
		return err;
	if (from_realloc) { /* glibc returned success, so the block was real: allocated before us */
		t->stats.untracked_frees++;
		return 0;
	}
	if (t->o.sampled) {
		t->stats.untracked_frees++;
		return 0;
	}
	if (t->o.internal_free && t->o.internal_free(t->o.ctx, f->site))
		return 0;
	fb = u64map_get(t->freed, block_key(f->from.heap, f->addr));
	if (fb)
		return report_error(t, "double_free", f, fb->alloc_id, fb->free_site);
	return unknown_free(t, f);
}

int tracker_on_free(struct tracker *t, const struct tracker_free *f)
{
	int err = advance(t, f->ts);

	if (!err)
		err = store_event(t, "free", f->ts, f->func, f->tid, f->addr, 0, 0, f->site,
				  f->from.pid);
	return err ? err : do_free(t, f, 0);
}

static int open_block(struct tracker *t, const struct tracker_alloc *a, int chain)
{
	struct tracker_free missed = { .ts = a->ts, .addr = a->addr, .func = -1, .from = a->from };
	uint64_t key = block_key(a->from.heap, a->addr), *last;
	int64_t w = a->weight > 0 ? a->weight : 1, bytes = (int64_t)a->size * w;
	struct live_block *b;
	int created, err = 0;

	/* Still live means its free was lost (dropped event): close it without a free site. */
	if (u64map_get(t->live, key))
		close_block(t, &missed, &err);
	u64map_remove(t->freed, key);
	b = u64map_put(t->live, key, &created);
	last = b ? u64map_put(t->last_alloc, (uint64_t)a->tid + 1, &created) : NULL;
	if (!last)
		return -ENOMEM;
	*last = a->addr;
	*b = (struct live_block){ t->next_id++,
				  a->ts,
				  a->dur_ns,
				  a->site,
				  a->size,
				  a->func,
				  a->tid,
				  chain,
				  a->from.pid,
				  (int32_t)a->from.proc,
				  (int32_t)a->from.heap,
				  (uint32_t)w };
	t->stats.allocs += w;
	t->stats.alloc_bytes += bytes;
	t->stats.live_blocks += w;
	t->stats.live_bytes += bytes;
	if (t->stats.live_bytes > t->peak_live_bytes) {
		t->peak_live_bytes = t->stats.live_bytes;
		t->peak_ts = a->ts;
	}
	t->bucket.allocs += w;
	t->bucket.alloc_bytes += bytes;
	if (!err)
		err = sitestats_alloc(t->sites, a->site, a->size, w, a->ts, a->dur_ns);
	return err;
}

int tracker_on_alloc(struct tracker *t, const struct tracker_alloc *a)
{
	struct tracker_free f = { a->ts, a->site, a->old_addr, a->func, a->tid, a->from };
	int err = advance(t, a->ts), chain = 0;

	if (!err)
		err = store_event(t, "alloc", a->ts, a->func, a->tid, a->addr, a->size, a->old_addr,
				  a->site, a->from.pid);
	if (err)
		return err;
	/* realloc of a block: success frees the old block (moved or not); realloc(p, 0) returns
	 * NULL after freeing p; any other NULL is a failure that changed nothing. */
	if (a->old_addr && (a->addr || a->size == 0)) {
		struct live_block *old = u64map_get(t->live, block_key(a->from.heap, a->old_addr));

		if (old && a->addr) {
			chain = old->chain + 1;
			sitestats_realloc(t->sites, a->site, old->size, a->size,
					  a->weight > 0 ? a->weight : 1, chain);
		}
		err = do_free(t, &f, 1);
	}
	if (!err && a->addr)
		err = open_block(t, a, chain);
	return err;
}

struct image_blocks {
	int32_t heap;
	uint64_t *keys;
	size_t n, cap;
	int err;
};

static void collect_image(uint64_t key, void *value, void *arg)
{
	struct image_blocks *ib = arg;
	const struct live_block *b = value;

	if (b->heap != ib->heap || ib->err)
		return;
	if (ib->n == ib->cap) {
		size_t cap = ib->cap ? 2 * ib->cap : 256;
		uint64_t *k = realloc(ib->keys, cap * sizeof(*k));

		if (!k) {
			ib->err = -ENOMEM;
			return;
		}
		ib->keys = k;
		ib->cap = cap;
	}
	ib->keys[ib->n++] = key;
}

int tracker_release_image(struct tracker *t, int64_t proc, int pid, int64_t ts)
{
	struct image_blocks ib = { .heap = (int32_t)proc };
	int err = advance(t, ts);

	if (!err)
		u64map_each(t->live, collect_image, &ib);
	err = err ? err : ib.err;
	for (size_t i = 0; i < ib.n && !err; i++) {
		struct tracker_free f = { .ts = ts,
					  .addr = key_addr(ib.keys[i]),
					  .func = HS_FN_COUNT,
					  .from = { .pid = pid, .proc = proc, .heap = proc } };

		close_block(t, &f, &err);
	}
	free(ib.keys);
	return err;
}

struct leak_acc {
	int64_t blocks, bytes, oldest_ts;
	uint32_t tenths; /* bit k: a still-live block was allocated in the k-th tenth */
};

struct finish_ctx {
	struct tracker *t;
	struct u64map *leaks; /* site (0 as UINT64_MAX) -> struct leak_acc */
	int64_t end_ts;
	int write_rows; /* the end: also write each live block's allocations row */
	int err;
};

static void collect_live(uint64_t key, void *value, void *arg)
{
	struct finish_ctx *c = arg;
	struct live_block *b = value;
	struct store_alloc row = {
		b->id, key_addr(key), b->size, b->func + 1, b->tid, b->alloc_ts, b->alloc_ns,
		-1,    b->site,	      0,       0,	    0,	    b->pid,	 b->proc, b->weight
	};
	struct leak_acc *l;
	int created, tenth;

	if (c->err)
		return;
	if (c->write_rows)
		c->err = store_insert_alloc(c->t->st, &row);
	l = u64map_put(c->leaks, b->site ? (uint64_t)b->site : UINT64_MAX, &created);
	if (!l) {
		c->err = -ENOMEM;
		return;
	}
	if (created || b->alloc_ts < l->oldest_ts)
		l->oldest_ts = b->alloc_ts;
	l->blocks += b->weight;
	l->bytes += (int64_t)b->size * b->weight;
	tenth = c->end_ts > 0 ? (int)(b->alloc_ts * 10 / c->end_ts) : 0;
	l->tenths |= 1u << (tenth < 0 ? 0 : tenth > 9 ? 9 : tenth);
}

static void write_leak_site(uint64_t key, void *value, void *arg)
{
	struct finish_ctx *c = arg;
	struct leak_acc *l = value;
	struct store_leak_site row = { key == UINT64_MAX ? 0 : (int64_t)key, l->blocks, l->bytes,
				       l->oldest_ts, __builtin_popcount(l->tenths) / 10.0 };

	if (!c->err)
		c->err = store_insert_leak_site(c->t->st, &row);
}

/* Replaces leak_sites with the sites of the blocks live at ts. */
static int write_leaks(struct tracker *t, int64_t ts, int write_rows)
{
	struct finish_ctx c = { t, u64map_new(sizeof(struct leak_acc)), ts, write_rows, 0 };

	if (!c.leaks)
		return -ENOMEM;
	c.err = store_clear_leak_sites(t->st);
	if (!c.err)
		u64map_each(t->live, collect_live, &c);
	if (!c.err)
		u64map_each(c.leaks, write_leak_site, &c);
	u64map_free(c.leaks);
	return c.err;
}

int tracker_publish(struct tracker *t, int64_t now_ts, int with_leaks)
{
	int err = sitestats_write(t->sites, t->st, 0);

	if (!err && with_leaks)
		err = write_leaks(t, now_ts, 0);
	return err;
}

int tracker_finish(struct tracker *t, int64_t end_ts)
{
	int err = advance(t, end_ts);

	if (!err)
		err = flush_bucket(t);
	if (!err)
		err = write_leaks(t, end_ts, 1);
	if (!err)
		err = sitestats_write(t->sites, t->st, 1);
	return err;
}

void tracker_get_stats(const struct tracker *t, struct tracker_stats *out)
{
	*out = t->stats;
	out->peak_live_bytes = t->peak_live_bytes;
	out->peak_ts = t->peak_ts;
}
