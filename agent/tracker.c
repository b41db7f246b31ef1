/* Pairs frees with their allocations in memory (a hash of live addresses, so lifetime is a
 * column, not a self-join), detects double and invalid frees, keeps the timeline. */
#include <errno.h>
#include <stdlib.h>

#include "agent/reach.h"
#include "agent/sitestats.h"
#include "agent/tracker.h"
#include "agent/u64map.h"
#include "bpf/abi.h"
#include "store/store.h"

/* Longest idle gap filled with timeline rows; past it the series just resumes. */
#define MAX_GAP_ROWS 100000

/* An untracked free is remembered (a second free of its address is a double free) only from this
 * long after the attach: the frees are probed before the allocations, so until then a block can
 * be freed, handed out again by an allocation not seen, and freed again, which is no misuse; a
 * call begun before the probes went in and preempted may also return late. */
#define ARMED_GRACE_NS (100 * 1000000LL)

/* Freed addresses remembered for double-free detection: a 4-way set-associative table of
 * 65,536 (1.5 MiB, allocated once). An address is forgotten when it is allocated again or when
 * four newer frees land in its set; a second free of a forgotten address reads as an invalid
 * free, not a double free (tracker_stats.freed_forgotten counts the addresses forgotten). */
#define FREED_WAYS 4
#define FREED_SETS 16384

/* 44 bytes (52 with its key in the map): the live set is the recorder's only memory that
 * grows with the traced program. pid and heap are the image's (struct proc_info). */
struct live_block {
	int64_t alloc_ts;
	uint64_t id : 48, chain : 16; /* chain: reallocs its contents went through (saturates) */
	uint64_t size : 53, reach : 3, func : 8; /* reach: the last scan's enum reach_kind */
	uint32_t site, tid;
	uint32_t alloc_ns; /* saturates at 4.29 s */
	uint32_t weight;   /* blocks it stands for: 1 exact, sampled mode more */
	uint32_t proc;
} __attribute__((packed, aligned(4)));

_Static_assert(sizeof(struct live_block) == 44, "live_block grew");

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
	uint64_t key; /* 0: empty */
	int64_t alloc_id;
	int32_t free_site;
	uint32_t seq; /* when it was freed, to replace the oldest of a set */
};

/* What every block of one image shares. */
struct proc_info {
	int32_t pid, heap;
};

struct tracker {
	struct store *st;
	struct tracker_opts o;
	struct u64map *live;
	struct freed_block *freed; /* FREED_SETS sets of FREED_WAYS */
	uint32_t freed_seq;
	int64_t next_id;
	struct tracker_stats stats;
	struct store_timeline bucket; /* the interval being filled */
	int64_t bucket_idx;
	struct sitestats *sites;
	/* tid + 1 -> address of the thread's latest allocation, while that block is live */
	struct u64map *last_alloc;
	struct u64map *procs; /* proc + 1 -> struct proc_info */
	int64_t cached_proc;  /* the last image seen, and its info (-1: none) */
	struct proc_info cached;
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
	t->freed = calloc(FREED_SETS * FREED_WAYS, sizeof(*t->freed));
	t->next_id = 1;
	t->sites = sitestats_new();
	t->last_alloc = u64map_new(sizeof(uint64_t));
	t->procs = u64map_new(sizeof(struct proc_info));
	t->cached_proc = -1;
	if (!t->live || !t->freed || !t->sites || !t->last_alloc || !t->procs) {
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
	free(t->freed);
	u64map_free(t->last_alloc);
	u64map_free(t->procs);
	sitestats_free(t->sites);
	free(t);
}

static struct freed_block *freed_set(struct tracker *t, uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ULL;

	return t->freed + ((h >> 32) & (FREED_SETS - 1)) * FREED_WAYS;
}

static struct freed_block *freed_find(struct tracker *t, uint64_t key)
{
	struct freed_block *set = freed_set(t, key);

	for (int i = 0; i < FREED_WAYS; i++)
		if (set[i].key == key)
			return &set[i];
	return NULL;
}

/* Remembers a freed address, in place of the oldest of its set when the set is full. */
static void freed_note(struct tracker *t, uint64_t key, int64_t alloc_id, int64_t free_site)
{
	struct freed_block *set = freed_set(t, key), *slot = &set[0];

	for (int i = 0; i < FREED_WAYS; i++) {
		if (set[i].key == key || !set[i].key) {
			slot = &set[i];
			break;
		}
		if ((int32_t)(set[i].seq - slot->seq) < 0)
			slot = &set[i];
	}
	if (slot->key && slot->key != key)
		t->stats.freed_forgotten++;
	*slot = (struct freed_block){ key, alloc_id, (int32_t)free_site, t->freed_seq++ };
}

/* An address allocated again is no longer a freed one. */
static void freed_forget(struct tracker *t, uint64_t key)
{
	struct freed_block *fb = freed_find(t, key);

	if (fb)
		fb->key = 0;
}

/* The pid and heap of the image proc (whose blocks the tracker holds). */
static struct proc_info proc_info(struct tracker *t, int64_t proc)
{
	struct proc_info *p;

	if (proc == t->cached_proc)
		return t->cached;
	p = u64map_get(t->procs, (uint64_t)proc + 1);
	return p ? *p : (struct proc_info){ 0 };
}

static int note_proc(struct tracker *t, const struct tracker_origin *o)
{
	struct proc_info *p;
	int created;

	if (o->proc == t->cached_proc && o->pid == t->cached.pid && o->heap == t->cached.heap)
		return 0;
	p = u64map_put(t->procs, (uint64_t)o->proc + 1, &created);
	if (!p)
		return -ENOMEM;
	*p = (struct proc_info){ o->pid, (int32_t)o->heap };
	t->cached_proc = o->proc;
	t->cached = *p;
	return 0;
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
		s->found_id = (int64_t)b->id;
}

/* A free of an address we never returned: an error when the process was traced from its start
 * (inside a live block or not), an untracked free when we attached later. The linear scan only
 * runs on this rare path. */
static int unknown_free(struct tracker *t, const struct tracker_free *f)
{
	struct interior_search s = { block_key(f->from.heap, f->addr), 0 };

	if (!f->from.traced_from_start && !t->o.traced_from_start) {
		t->stats.untracked_frees++;
		if (f->ts >= f->from.armed_ts + ARMED_GRACE_NS)
			freed_note(t, s.key, 0, f->site);
		return 0;
	}
	u64map_each(t->live, find_containing, &s);
	return report_error(t, "invalid_free", f, s.found_id, 0);
}

/* The latest allocation of a thread is remembered only while it is live: once freed, it can
 * make no later free temporary, and the map stays as small as the live set. */
static int was_latest(struct tracker *t, const struct live_block *b, uint64_t addr)
{
	uint64_t *last = u64map_get(t->last_alloc, (uint64_t)b->tid + 1);

	if (!last || *last != addr)
		return 0;
	u64map_remove(t->last_alloc, (uint64_t)b->tid + 1);
	return 1;
}

/* Completes the live block at addr as freed by f. 1 if it was live. */
static int close_block(struct tracker *t, const struct tracker_free *f, int *err)
{
	uint64_t key = block_key(f->from.heap, f->addr);
	struct live_block b;
	struct store_alloc row;
	int tid, latest;
	int64_t w, bytes;

	if (!u64map_take(t->live, key, &b))
		return 0;
	w = b.weight;
	bytes = (int64_t)b.size * w;
	tid = f->func == HS_FN_COUNT ? (int)b.tid : f->tid; /* an exec is no other thread's free */
	row = (struct store_alloc){ (int64_t)b.id, f->addr,    b.size, (int)b.func + 1, (int)b.tid,
				    b.alloc_ts,	   b.alloc_ns, f->ts,  b.site,		f->site,
				    f->func + 1,   tid,	       0,      b.proc,		w,
				    (int)b.reach };
	row.pid = proc_info(t, b.proc).pid;
	latest = was_latest(t, &b, f->addr);
	*err = sitestats_free_block(t->sites, b.site, b.size, w, b.alloc_ts, (int)b.tid, f->ts,
				    f->site, tid, latest && (int)b.tid == tid);
	t->stats.frees += w;
	t->stats.live_blocks -= w;
	t->stats.live_bytes -= bytes;
	t->bucket.frees += w;
	t->bucket.free_bytes += bytes;
	if (!*err)
		*err = store_insert_alloc(t->st, &row);
	freed_note(t, key, row.id, f->site);
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
	if (t->o.internal_free && t->o.internal_free(t->o.ctx, f->site))
		return 0;
	fb = freed_find(t, block_key(f->from.heap, f->addr));
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

static uint32_t clamp_u32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int open_block(struct tracker *t, const struct tracker_alloc *a, int chain)
{
	struct tracker_free missed = { .ts = a->ts, .addr = a->addr, .func = -1, .from = a->from };
	uint64_t key = block_key(a->from.heap, a->addr), *last;
	int64_t w = a->weight > 0 ? a->weight : 1, bytes = (int64_t)a->size * w;
	struct live_block *b;
	int created, err = note_proc(t, &a->from);

	if (err)
		return err;
	b = u64map_put(t->live, key, &created);
	if (b && !created) {
		/* Still live means its free was lost (dropped event): close it without a free site. */
		close_block(t, &missed, &err);
		b = u64map_put(t->live, key, &created);
	}
	freed_forget(t, key);
	last = b ? u64map_put(t->last_alloc, (uint64_t)a->tid + 1, &created) : NULL;
	if (!last)
		return -ENOMEM;
	*last = a->addr;
	b = u64map_get(t->live, key); /* the put above may have moved it */
	*b = (struct live_block){ .alloc_ts = a->ts,
				  .id = (uint64_t)t->next_id++,
				  .chain = chain < 0xffff ? (unsigned)chain : 0xffff,
				  .size = a->size,
				  .func = (unsigned)a->func,
				  .site = (uint32_t)a->site,
				  .tid = (uint32_t)a->tid,
				  .alloc_ns = clamp_u32(a->dur_ns),
				  .weight = (uint32_t)w,
				  .proc = (uint32_t)a->from.proc };
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
	struct tracker *t;
	int32_t heap;
	uint64_t *keys;
	size_t n, cap;
	int err;
};

static void collect_image(uint64_t key, void *value, void *arg)
{
	struct image_blocks *ib = arg;
	const struct live_block *b = value;

	if (ib->err || proc_info(ib->t, b->proc).heap != ib->heap)
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
	struct image_blocks ib = { .t = t, .heap = (int32_t)proc };
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
	struct store_alloc row = { (int64_t)b->id,
				   key_addr(key),
				   b->size,
				   (int)b->func + 1,
				   (int)b->tid,
				   b->alloc_ts,
				   b->alloc_ns,
				   -1,
				   b->site,
				   0,
				   0,
				   0,
				   proc_info(c->t, b->proc).pid,
				   b->proc,
				   b->weight,
				   (int)b->reach };
	struct leak_acc *l;
	int created, tenth;

	if (c->err)
		return;
	if (c->write_rows)
		c->err = store_insert_alloc(c->t->st, &row);
	/* one row per site and verdict of the last scan: bits 32.. hold reach + 1, never 0 */
	l = u64map_put(c->leaks, ((uint64_t)b->reach + 1) << 32 | b->site, &created);
	if (!l) {
		c->err = -ENOMEM;
		return;
	}
	if (created || b->alloc_ts < l->oldest_ts)
		l->oldest_ts = b->alloc_ts;
	l->blocks += b->weight;
	l->bytes += (int64_t)b->size * (int64_t)b->weight;
	tenth = c->end_ts > 0 ? (int)(b->alloc_ts * 10 / c->end_ts) : 0;
	l->tenths |= 1u << (tenth < 0 ? 0 : tenth > 9 ? 9 : tenth);
}

static void write_leak_site(uint64_t key, void *value, void *arg)
{
	struct finish_ctx *c = arg;
	struct leak_acc *l = value;
	struct store_leak_site row = { (int64_t)(key & UINT32_MAX), l->blocks, l->bytes,
				       l->oldest_ts, __builtin_popcount(l->tenths) / 10.0,
				       (int)(key >> 32) - 1 };

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

struct scan_blocks {
	struct tracker *t;
	int32_t heap;
	struct reach_block *v;
	size_t n, cap;
	int err;
};

static void collect_scan(uint64_t key, void *value, void *arg)
{
	struct scan_blocks *sb = arg;
	const struct live_block *b = value;

	if (sb->err || proc_info(sb->t, b->proc).heap != sb->heap)
		return;
	if (sb->n == sb->cap) {
		size_t cap = sb->cap ? 2 * sb->cap : 1024;
		struct reach_block *v = realloc(sb->v, cap * sizeof(*v));

		if (!v) {
			sb->err = -ENOMEM;
			return;
		}
		sb->v = v;
		sb->cap = cap;
	}
	sb->v[sb->n++] = (struct reach_block){ key_addr(key), b->size, key, REACH_NONE };
}

int tracker_live_blocks(struct tracker *t, int64_t heap, struct reach_block **out, size_t *n)
{
	struct scan_blocks sb = { .t = t, .heap = (int32_t)heap };

	u64map_each(t->live, collect_scan, &sb);
	if (sb.err) {
		free(sb.v);
		return sb.err;
	}
	*out = sb.v;
	*n = sb.n;
	return 0;
}

void tracker_set_reach(struct tracker *t, const struct reach_block *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct live_block *lb = u64map_get(t->live, b[i].key);

		if (lb)
			lb->reach = (unsigned)b[i].kind & 7;
	}
}

void tracker_get_stats(const struct tracker *t, struct tracker_stats *out)
{
	*out = t->stats;
	out->peak_live_bytes = t->peak_live_bytes;
	out->peak_ts = t->peak_ts;
}
