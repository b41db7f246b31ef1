/* Per-call-site aggregates kept while recording and written once at the end: counts, sizes,
 * lifetimes (user buckets and quarter-octave buckets for percentiles), time in the allocator,
 * and the evidence the advice needs (temporary, tight, burst-freed, realloc-grown, cross-thread
 * blocks). */
#include <errno.h>
#include <stdlib.h>

#include "agent/sitestats.h"
#include "agent/u64map.h"
#include "store/hist.h"
#include "store/store.h"

#define TIGHT_NS 10000		/* allocations this close to the site's previous one are "tight" */
#define BURST_WINDOW_NS 1000000 /* frees of blocks older than this are grouped by millisecond */
#define BURST_MIN_FREES 100
#define BURST_MAX_SITES 8

struct site_hists {
	int64_t lifetime[LIFETIME_BUCKETS];
	uint64_t lifetime_fine[HIST_FINE_BUCKETS]; /* counts are weights: sampled blocks */
	uint64_t size_fine[HIST_FINE_BUCKETS];	   /* stand for several */
	uint64_t alloc_ns_fine[HIST_FINE_BUCKETS];
};

struct site {
	struct store_site_stats s;
	int64_t last_alloc_ts;
	struct site_hists *h; /* allocated with the site's first allocation or free */
	int dirty;	      /* changed since it was last written */
};

/* The frees of the current millisecond, by site, to tell bursts from a steady trickle. */
struct burst_window {
	int64_t idx, total;
	int nsites, too_many_sites;
	int64_t sites[BURST_MAX_SITES], counts[BURST_MAX_SITES];
};

struct sitestats {
	struct u64map *sites; /* site id -> struct site */
	struct u64map *cross; /* site << 32 | free_site -> int64 blocks */
	struct burst_window burst;
};

struct sitestats *sitestats_new(void)
{
	struct sitestats *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->sites = u64map_new(sizeof(struct site));
	ss->cross = u64map_new(sizeof(int64_t));
	ss->burst.idx = -1;
	if (!ss->sites || !ss->cross) {
		sitestats_free(ss);
		return NULL;
	}
	return ss;
}

static void free_hists(uint64_t key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(((struct site *)value)->h);
}

void sitestats_free(struct sitestats *ss)
{
	if (!ss)
		return;
	if (ss->sites)
		u64map_each(ss->sites, free_hists, NULL);
	u64map_free(ss->sites);
	u64map_free(ss->cross);
	free(ss);
}

/* Site 0 (stack unknown: its event was dropped) is kept under key UINT64_MAX. */
static struct site *get_site(struct sitestats *ss, int64_t site)
{
	int created;
	struct site *s = u64map_put(ss->sites, site ? (uint64_t)site : UINT64_MAX, &created);

	if (!s)
		return NULL;
	if (created)
		s->s.site = site;
	if (!s->h && !(s->h = calloc(1, sizeof(*s->h))))
		return NULL;
	s->dirty = 1;
	return s;
}

int sitestats_alloc(struct sitestats *ss, int64_t site, uint64_t size, int64_t weight, int64_t ts,
		    int64_t alloc_ns)
{
	struct site *s = get_site(ss, site);

	if (!s)
		return -ENOMEM;
	if (!s->s.allocs || (int64_t)size < s->s.min_size)
		s->s.min_size = (int64_t)size;
	if ((int64_t)size > s->s.max_size)
		s->s.max_size = (int64_t)size;
	if (s->s.allocs && ts - s->last_alloc_ts < TIGHT_NS)
		s->s.tight_allocs += weight;
	if (!s->s.allocs)
		s->s.first_ts = ts;
	s->s.last_ts = s->last_alloc_ts = ts;
	s->s.allocs += weight;
	s->s.bytes += (int64_t)size * weight;
	s->s.live_blocks += weight;
	s->s.live_bytes += (int64_t)size * weight;
	if (s->s.live_bytes > s->s.peak_live_bytes) {
		s->s.peak_live_bytes = s->s.live_bytes;
		s->s.peak_ts = ts;
	}
	s->h->size_fine[hist_fine_index(size)] += (uint64_t)weight;
	s->h->alloc_ns_fine[hist_fine_index(alloc_ns > 0 ? (uint64_t)alloc_ns : 0)] += (uint64_t)weight;
	return 0;
}

void sitestats_realloc(struct sitestats *ss, int64_t site, uint64_t old_size, uint64_t new_size,
		       int64_t weight, int chain)
{
	struct site *s = get_site(ss, site);

	if (!s || new_size <= old_size)
		return;
	if (new_size - old_size <= old_size / 2 + 16)
		s->s.small_reallocs += weight;
	if (chain > s->s.max_realloc_chain)
		s->s.max_realloc_chain = chain;
}

/* Credits the sites of a finished millisecond with their frees if it was a burst. */
static void close_burst_window(struct sitestats *ss)
{
	struct burst_window *w = &ss->burst;

	if (w->total >= BURST_MIN_FREES && !w->too_many_sites) {
		for (int i = 0; i < w->nsites; i++) {
			struct site *s = get_site(ss, w->sites[i]);

			if (s)
				s->s.burst_frees += w->counts[i];
		}
	}
	w->total = 0;
	w->nsites = 0;
	w->too_many_sites = 0;
}

static void count_burst(struct sitestats *ss, int64_t site, int64_t ts)
{
	struct burst_window *w = &ss->burst;
	int i;

	if (ts / BURST_WINDOW_NS != w->idx) {
		close_burst_window(ss);
		w->idx = ts / BURST_WINDOW_NS;
	}
	w->total++;
	for (i = 0; i < w->nsites && w->sites[i] != site; i++)
		;
	if (i == w->nsites) {
		if (i == BURST_MAX_SITES) {
			w->too_many_sites = 1;
			return;
		}
		w->sites[w->nsites] = site;
		w->counts[w->nsites++] = 0;
	}
	w->counts[i]++;
}

int sitestats_free_block(struct sitestats *ss, int64_t site, uint64_t size, int64_t weight,
			 int64_t alloc_ts, int alloc_tid, int64_t free_ts, int64_t free_site,
			 int free_tid, int temporary)
{
	struct site *s = get_site(ss, site);
	int64_t life = free_ts - alloc_ts, *pair;
	int created;

	if (!s)
		return -ENOMEM;
	if (life < 0)
		life = 0;
	s->s.frees += weight;
	s->s.freed_bytes += (int64_t)size * weight;
	s->s.live_blocks -= weight;
	s->s.live_bytes -= (int64_t)size * weight;
	s->s.temp_allocs += temporary * weight;
	s->h->lifetime[lifetime_bucket(life)] += weight;
	s->h->lifetime_fine[hist_fine_index((uint64_t)life)] += (uint64_t)weight;
	if (alloc_tid != free_tid) {
		s->s.cross_thread_frees += weight;
		if (site) { /* a pair needs the allocation's stack */
			pair = u64map_put(ss->cross, ((uint64_t)site << 32) | (uint32_t)free_site,
					  &created);
			if (!pair)
				return -ENOMEM;
			*pair += weight;
		}
	}
	/* A burst frees blocks that lived together, not a malloc/free loop's: only blocks that
	 * outlived the window count. Last: it may add sites, moving s. */
	if (life >= BURST_WINDOW_NS)
		count_burst(ss, site, free_ts);
	return 0;
}

struct write_ctx {
	struct store *st;
	int err;
};

static int write_fine(struct store *st, int64_t site, const char *kind, const uint64_t *h)
{
	int err = 0;

	for (int i = 0; i < HIST_FINE_BUCKETS && !err; i++)
		if (h[i])
			err = store_insert_site_hist(st, site, kind, i, (int64_t)hist_fine_lo(i),
						     (int64_t)(hist_fine_lo(i) +
							       hist_fine_width(i)),
						     (int64_t)h[i]);
	return err;
}

static void write_site(uint64_t key, void *value, void *arg)
{
	struct write_ctx *c = arg;
	struct site *s = value;
	int err;

	(void)key;
	if (c->err || !s->dirty)
		return;
	s->dirty = 0;
	err = store_insert_site_stats(c->st, &s->s);
	for (int i = 0; i < LIFETIME_BUCKETS && !err; i++)
		if (s->h->lifetime[i])
			err = store_insert_site_hist(c->st, s->s.site, "lifetime", i,
						     lifetime_bucket_lo(i), lifetime_bucket_hi(i),
						     s->h->lifetime[i]);
	if (!err)
		err = write_fine(c->st, s->s.site, "lifetime_fine", s->h->lifetime_fine);
	if (!err)
		err = write_fine(c->st, s->s.site, "size_fine", s->h->size_fine);
	if (!err)
		err = write_fine(c->st, s->s.site, "alloc_ns_fine", s->h->alloc_ns_fine);
	c->err = err;
}

static void write_pair(uint64_t key, void *value, void *arg)
{
	struct write_ctx *c = arg;

	if (!c->err)
		c->err = store_insert_cross_thread(c->st, (int64_t)(key >> 32),
						   (int64_t)(uint32_t)key, *(int64_t *)value);
}

int sitestats_write(struct sitestats *ss, struct store *st, int final)
{
	struct write_ctx c = { st, 0 };

	if (final) /* a burst still open would be split by a write in the middle of a recording */
		close_burst_window(ss);
	u64map_each(ss->sites, write_site, &c);
	if (!c.err)
		u64map_each(ss->cross, write_pair, &c);
	return c.err;
}
