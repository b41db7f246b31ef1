/* The per-site analyses, read from the aggregates the recorder wrote (site_stats, site_hist,
 * leak_sites): sites grouped by stack, function or file; lifetime and size histograms; leaks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/hist.h"
#include "store/reader_priv.h"

const char *const AN_GROUP_NAMES[] = { "stack", "function", "file", NULL };

const char *const AN_SITE_SORT_KEYS[] = {
	"bytes",
	"allocs",
	"frees",
	"live_blocks",
	"live_bytes",
	"peak_live_bytes",
	"min_size",
	"max_size",
	"avg_size",
	"temporary_share",
	"lifetime_p50_ns",
	"lifetime_p90_ns",
	"lifetime_p99_ns",
	"lifetime_max_ns",
	"alloc_time_p50_ns",
	"alloc_time_p99_ns",
	"sites",
	"site",
	NULL,
};

/* A group under construction, with the fine histograms its percentiles come from. */
struct group {
	struct an_site s;
	int64_t temp;
	uint64_t life[HIST_FINE_BUCKETS], alloc_ns[HIST_FINE_BUCKETS];
};

struct grouping {
	struct group *g;
	size_t n, cap;
	int64_t *site_group; /* (site, group index) pairs sorted by site */
	size_t nsites;
};

static int64_t percentile(const uint64_t *h, double p)
{
	uint64_t total = 0, seen = 0;

	for (int i = 0; i < HIST_FINE_BUCKETS; i++)
		total += h[i];
	if (!total)
		return -1;
	for (int i = 0; i < HIST_FINE_BUCKETS; i++) {
		seen += h[i];
		if (seen && (double)seen >= p * (double)total)
			return (int64_t)(hist_fine_lo(i) + hist_fine_width(i) / 2);
	}
	return -1;
}

static int64_t hist_max(const uint64_t *h)
{
	for (int i = HIST_FINE_BUCKETS - 1; i >= 0; i--)
		if (h[i])
			return (int64_t)(hist_fine_lo(i) + hist_fine_width(i) - 1);
	return -1;
}

/* By stack, site is the row's key (RD_CANON: stacks that allocation wrappers make one come
 * together, rows ordered by it); else the group of key. */
static struct group *find_group(struct grouping *gr, const char *key, int64_t site,
				enum an_group by)
{
	if (by == AN_BY_STACK && gr->n && gr->g[gr->n - 1].s.site == site)
		return &gr->g[gr->n - 1];
	for (size_t i = 0; by != AN_BY_STACK && i < gr->n; i++)
		if ((!key && !gr->g[i].s.key) ||
		    (key && gr->g[i].s.key && !strcmp(key, gr->g[i].s.key)))
			return &gr->g[i];
	if (gr->n == gr->cap) {
		size_t cap = gr->cap ? gr->cap * 2 : 64;
		struct group *g = realloc(gr->g, cap * sizeof(*g));

		if (!g)
			return NULL;
		gr->g = g;
		gr->cap = cap;
	}
	memset(&gr->g[gr->n], 0, sizeof(gr->g[gr->n]));
	gr->g[gr->n].s.site = site;
	gr->g[gr->n].s.key = key ? strdup(key) : NULL;
	gr->g[gr->n].s.min_size = INT64_MAX;
	return &gr->g[gr->n++];
}

static void merge_row(struct group *g, sqlite3_stmt *st, enum an_group by)
{
	struct an_site *s = &g->s;
	int64_t bytes = sqlite3_column_int64(st, 2);

	/* A group shows its biggest stack; a stack is its key's (the same frames). */
	if (by != AN_BY_STACK && (bytes > s->bytes || !s->sites))
		s->site = sqlite3_column_int64(st, 0);
	s->sites++;
	s->allocs += sqlite3_column_int64(st, 1);
	s->bytes += bytes;
	if (sqlite3_column_int64(st, 3) < s->min_size)
		s->min_size = sqlite3_column_int64(st, 3);
	if (sqlite3_column_int64(st, 4) > s->max_size)
		s->max_size = sqlite3_column_int64(st, 4);
	s->frees += sqlite3_column_int64(st, 5);
	s->live_blocks += sqlite3_column_int64(st, 6);
	s->live_bytes += sqlite3_column_int64(st, 7);
	s->peak_live_bytes += sqlite3_column_int64(st, 8);
	g->temp += sqlite3_column_int64(st, 9);
}

static int cmp_site_group(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static int remember_site(struct grouping *gr, int64_t site, size_t group)
{
	if ((gr->nsites & (gr->nsites - 1)) == 0) {
		int64_t *v =
			realloc(gr->site_group, 2 * (gr->nsites ? gr->nsites * 2 : 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		gr->site_group = v;
	}
	gr->site_group[2 * gr->nsites] = site;
	gr->site_group[2 * gr->nsites + 1] = (int64_t)group;
	gr->nsites++;
	return 0;
}

/* Frame 0 is the first below a stack's allocation wrappers (trim 0 without them). */
#define SITES_FROM(src)                                                                            \
	"SELECT s.site, s.allocs, s.bytes, s.min_size, s.max_size, s.frees, s.live_blocks,"        \
	" s.live_bytes, s.peak_live_bytes, s.temp_allocs, f.function, f.file,"                     \
	" coalesce(a.canon, s.site) AS key_site"                                                   \
	" FROM " src " s LEFT JOIN temp.site_alias a ON a.site = s.site"                           \
	" LEFT JOIN site_frames f ON f.site = s.site AND f.pos = coalesce(a.trim, 0)"             \
	" WHERE (:fn IS NULL OR instr(f.function, :fn) > 0)"                                        \
	" AND (:file IS NULL OR instr(f.file, :file) > 0)"                                          \
	" AND " RD_SITE_IN("s.site", ":site") " AND " RD_PID_STACK("s.site") " ORDER BY key_site"
static const char *SITES_SQL = SITES_FROM("site_stats");
/* A time window: the aggregates cover the whole recording, so its sites come from the rows of
 * the allocations made in it (weighted; parameters by name: the subquery's come first). Peaks and temporary shares cannot be told from rows:
 * -1 (unknown). */
static const char *WIN_SITES_SQL = SITES_FROM(
	"(SELECT site, sum(weight) AS allocs, sum(size * weight) AS bytes, min(size) AS min_size,"
	" max(size) AS max_size, sum(CASE WHEN free_ts IS NULL THEN 0 ELSE weight END) AS frees,"
	" sum(CASE WHEN free_ts IS NULL THEN weight ELSE 0 END) AS live_blocks,"
	" sum(CASE WHEN free_ts IS NULL THEN size * weight ELSE 0 END) AS live_bytes,"
	" -1 AS peak_live_bytes, 0 AS temp_allocs FROM allocations WHERE " RD_PID_ROW(
		"pid") " AND " RD_WIN("alloc_ts") " GROUP BY site)");

static int read_groups(struct store_reader *r, const struct an_sites_query *q, struct grouping *gr)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r, r->windowed ? WIN_SITES_SQL : SITES_SQL, &st), rc;

	if (err)
		return err;
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":fn"), q->function, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":file"), q->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":site"), q->site);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key =
			q->group == AN_BY_FUNCTION ? (const char *)sqlite3_column_text(st, 10) :
			q->group == AN_BY_FILE	   ? (const char *)sqlite3_column_text(st, 11) :
						     NULL;
		struct group *g = find_group(gr, key, sqlite3_column_int64(st, 12), q->group);

		if (!g) {
			err = -ENOMEM;
			break;
		}
		merge_row(g, st, q->group);
		err = remember_site(gr, sqlite3_column_int64(st, 0), (size_t)(g - gr->g));
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (gr->nsites > 1) /* site_group is NULL with no site: not for qsort, even for 0 */
		qsort(gr->site_group, gr->nsites, 2 * sizeof(int64_t), cmp_site_group);
	return err;
}

static struct group *group_of(struct grouping *gr, int64_t site)
{
	int64_t key[2] = { site, 0 };
	int64_t *hit = gr->nsites ? bsearch(key, gr->site_group, gr->nsites, 2 * sizeof(int64_t),
					    cmp_site_group) :
				    NULL;

	return hit ? &gr->g[hit[1]] : NULL;
}

/* A window's: from the rows of its allocations. */
static int read_win_hists(struct store_reader *r, struct grouping *gr)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r,
			     "SELECT site, free_ts - alloc_ts, alloc_ns, weight FROM allocations"
			     " WHERE " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts"),
			     &st),
	    rc;

	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct group *g = group_of(gr, sqlite3_column_int64(st, 0));
		int64_t life = sqlite3_column_int64(st, 1), ns = sqlite3_column_int64(st, 2);
		uint64_t w = (uint64_t)sqlite3_column_int64(st, 3);

		if (!g)
			continue;
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			g->life[hist_fine_index(life > 0 ? (uint64_t)life : 0)] += w;
		g->alloc_ns[hist_fine_index(ns > 0 ? (uint64_t)ns : 0)] += w;
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

/* Adds every site's fine lifetime and allocator-time histograms into its group. */
static int read_fine_hists(struct store_reader *r, struct grouping *gr)
{
	sqlite3_stmt *st;
	int err, rc;

	if (r->windowed)
		return read_win_hists(r, gr);
	err = rd_prepare(r,
			     "SELECT site, kind, bucket, count FROM site_hist"
			     " WHERE kind IN ('lifetime_fine', 'alloc_ns_fine')",
			     &st);

	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct group *g = group_of(gr, sqlite3_column_int64(st, 0));
		int b = sqlite3_column_int(st, 2);
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		if (!g || b < 0 || b >= HIST_FINE_BUCKETS || !kind)
			continue;
		(kind[0] == 'l' ? g->life : g->alloc_ns)[b] +=
			(uint64_t)sqlite3_column_int64(st, 3);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

static void finish_group(struct group *g)
{
	struct an_site *s = &g->s;

	s->avg_size = s->allocs ? (double)s->bytes / (double)s->allocs : 0;
	s->temporary_share = s->allocs ? (double)g->temp / (double)s->allocs : 0;
	if (s->min_size == INT64_MAX)
		s->min_size = 0;
	s->lifetime_p50_ns = percentile(g->life, 0.50);
	s->lifetime_p90_ns = percentile(g->life, 0.90);
	s->lifetime_p99_ns = percentile(g->life, 0.99);
	s->lifetime_max_ns = hist_max(g->life);
	s->alloc_time_p50_ns = percentile(g->alloc_ns, 0.50);
	s->alloc_time_p99_ns = percentile(g->alloc_ns, 0.99);
}

/* Sorting: the key's offset in struct an_site and whether it is a double (passed to qsort_r:
 * server threads sort at the same time). */
struct sort_key {
	size_t offset;
	int is_double, ascending;
};

static int cmp_sites(const void *a, const void *b, void *arg)
{
	const struct sort_key *k = arg;
	const char *x = (const char *)&((const struct group *)a)->s + k->offset;
	const char *y = (const char *)&((const struct group *)b)->s + k->offset;
	double dx = k->is_double ? *(const double *)x : (double)*(const int64_t *)x;
	double dy = k->is_double ? *(const double *)y : (double)*(const int64_t *)y;
	int c = dx < dy ? -1 : dx > dy;

	if (!c) /* stable across runs: then by site id */
		c = ((const struct group *)a)->s.site < ((const struct group *)b)->s.site ? -1 : 1;
	return k->ascending ? c : -c;
}

static int set_sort(const char *key, int ascending, struct sort_key *out)
{
	static const struct {
		const char *name;
		size_t off;
		int is_double;
	} cols[] = {
#define COL(n) { #n, offsetof(struct an_site, n), 0 }
#define DCOL(n)                                                                                    \
	{                                                                                          \
#n, offsetof(struct an_site, n), 1                                                 \
	}
		COL(bytes),
		COL(allocs),
		COL(frees),
		COL(live_blocks),
		COL(live_bytes),
		COL(peak_live_bytes),
		COL(min_size),
		COL(max_size),
		DCOL(avg_size),
		DCOL(temporary_share),
		COL(lifetime_p50_ns),
		COL(lifetime_p90_ns),
		COL(lifetime_p99_ns),
		COL(lifetime_max_ns),
		COL(alloc_time_p50_ns),
		COL(alloc_time_p99_ns),
		COL(sites),
		COL(site),
#undef COL
#undef DCOL
	};

	for (size_t i = 0; i < sizeof(cols) / sizeof(*cols); i++) {
		if (!strcmp(cols[i].name, key ? key : "bytes")) {
			*out = (struct sort_key){ cols[i].off, cols[i].is_double, ascending };
			return 0;
		}
	}
	return -EINVAL;
}

static int take_page(struct store_reader *r, struct grouping *gr, const struct an_sites_query *q,
		     struct an_sites *out)
{
	size_t start = q->offset > 0 ? (size_t)q->offset : 0, n;
	int err = 0;

	out->total = gr->n;
	n = start < gr->n ? gr->n - start : 0;
	if (q->limit > 0 && (size_t)q->limit < n)
		n = (size_t)q->limit;
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		out->v[i] = gr->g[start + i].s;
		gr->g[start + i].s.key = NULL; /* moved */
		out->n++;
		err = an_load_stack(r, out->v[i].site, &out->v[i].stack);
	}
	return err;
}

int an_sites(struct store_reader *r, const struct an_sites_query *q, struct an_sites *out)
{
	struct grouping gr = { 0 };
	struct sort_key key;
	int err;

	*out = (struct an_sites){ 0 };
	if (set_sort(q->sort, q->ascending, &key) || q->limit < 0 || q->offset < 0)
		return -EINVAL;
	err = read_groups(r, q, &gr);
	if (!err)
		err = read_fine_hists(r, &gr);
	for (size_t i = 0; i < gr.n; i++) {
		finish_group(&gr.g[i]);
		if (r->windowed) { /* not known from the rows */
			gr.g[i].s.peak_live_bytes = -1;
			gr.g[i].s.temporary_share = -1;
		}
	}
	if (!err) {
		if (gr.n > 1) /* g is NULL when no site matched: not for qsort_r, even for 0 */
			qsort_r(gr.g, gr.n, sizeof(*gr.g), cmp_sites, &key);
		err = take_page(r, &gr, q, out);
	}
	for (size_t i = 0; i < gr.n; i++)
		free(gr.g[i].s.key);
	free(gr.g);
	free(gr.site_group);
	if (err)
		an_sites_free(out);
	return err;
}

void an_sites_free(struct an_sites *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].key);
		an_stack_free(&s->v[i].stack);
	}
	free(s->v);
	*s = (struct an_sites){ 0 };
}

/* --- Histograms ---------------------------------------------------------------------------- */

static int sum_hist(struct store_reader *r, int64_t site, const char *kind, int64_t *counts, int n,
		    int to_size_buckets)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r,
			     "SELECT bucket, sum(count) FROM site_hist WHERE kind = ?1"
			     " AND " RD_SITE_IN("site_hist.site", "?2") " AND " RD_PID_STACK(
				     "site") " GROUP BY bucket",
			     &st),
	    rc;

	if (err)
		return err;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, site);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int b = sqlite3_column_int(st, 0);

		if (to_size_buckets) /* a fine bucket lies inside one power of two */
			b = size_bucket(hist_fine_lo(b));
		if (b >= 0 && b < n)
			counts[b] += sqlite3_column_int64(st, 1);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

/* A window's histograms: from the rows of its allocations (lifetimes: NULL while live). */
static int win_hist(struct store_reader *r, int64_t site, int lifetimes, int64_t *counts, int n,
		    int64_t *live)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r,
			     lifetimes ? "SELECT free_ts - alloc_ts, weight FROM allocations WHERE " RD_SITE_IN(
						 "allocations.site", "?1") " AND " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts") :
					 "SELECT size, weight FROM allocations WHERE " RD_SITE_IN(
						 "allocations.site", "?1") " AND " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts"),
			     &st),
	    rc;

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0), w = sqlite3_column_int64(st, 1);
		int b;

		if (lifetimes && sqlite3_column_type(st, 0) == SQLITE_NULL) {
			*live += w;
			continue;
		}
		b = lifetimes ? lifetime_bucket(v) : size_bucket(v > 0 ? (uint64_t)v : 0);
		if (b >= 0 && b < n)
			counts[b] += w;
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

int an_lifetimes(struct store_reader *r, int64_t site, struct an_hist *out)
{
	int64_t counts[LIFETIME_BUCKETS] = { 0 }, live = 0;
	int err = r->windowed ? win_hist(r, site, 1, counts, LIFETIME_BUCKETS, &live) :
				sum_hist(r, site, "lifetime", counts, LIFETIME_BUCKETS, 0);
	sqlite3_stmt *st;

	*out = (struct an_hist){ .n = LIFETIME_BUCKETS };
	for (int i = 0; i < LIFETIME_BUCKETS; i++)
		out->b[i] = (struct an_bucket){ lifetime_bucket_lo(i), lifetime_bucket_hi(i),
						counts[i] };
	out->live = live;
	if (err || r->windowed)
		return err;
	if (!err)
		err = rd_prepare(r,
				 "SELECT coalesce(sum(live_blocks), 0) FROM site_stats"
				 " WHERE " RD_SITE_IN("site_stats.site", "?1") " AND " RD_PID_STACK("site"),
				 &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	if (sqlite3_step(st) == SQLITE_ROW)
		out->live = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int an_sizes(struct store_reader *r, int64_t site, struct an_hist *out)
{
	int64_t counts[SIZE_BUCKETS] = { 0 }, live = 0;
	int err = r->windowed ? win_hist(r, site, 0, counts, SIZE_BUCKETS, &live) :
				sum_hist(r, site, "size_fine", counts, SIZE_BUCKETS, 1),
	    last = 0;

	*out = (struct an_hist){ 0 };
	for (int i = 0; i < SIZE_BUCKETS; i++)
		if (counts[i])
			last = i;
	out->n = last + 1;
	for (int i = 0; i <= last; i++)
		out->b[i] = (struct an_bucket){ i ? 1LL << (i - 1) : 0,
						i ? (i == 64 ? INT64_MAX : 1LL << i) : 1,
						counts[i] };
	return err;
}

/* --- Leaks --------------------------------------------------------------------------------- */

/* Suspects by verdict first: definitely, indirectly, possibly lost, then not scanned. */
static int reach_rank(int reach)
{
	return reach >= 1 && reach <= 3 ? reach : 4;
}

static int cmp_leaks(const void *a, const void *b)
{
	const struct an_leak *x = a, *y = b;

	if (reach_rank(x->reach) != reach_rank(y->reach))
		return reach_rank(x->reach) - reach_rank(y->reach);
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

/* With a minimum age or a time window, blocks are counted from the allocations themselves (a
 * scan), but a site's growth stays the recorder's (leak_sites: of all its blocks live at the end),
 * so filtering some blocks out changes no other's rank. Stacks that allocation wrappers make one
 * (RD_CANON) add up; the growth is their highest. */
static const char *LEAKS_SQL =
	"SELECT coalesce(a.canon, l.site) AS key_site, sum(l.blocks), sum(l.bytes), min(l.oldest_ts),"
	" max(l.growth), count(*), l.reach FROM leak_sites l"
	" LEFT JOIN temp.site_alias a ON a.site = l.site"
	" WHERE ?1 = 0 AND (l.reach = 4) = ?2 AND " RD_PID_STACK("l.site") " GROUP BY key_site, l.reach";
static const char *OLD_LEAKS_SQL =
	"SELECT coalesce(a.canon, x.site) AS key_site, sum(x.weight), sum(x.size * x.weight),"
	" min(x.alloc_ts), max(coalesce(g.growth, 0)), count(DISTINCT x.site),"
	" coalesce(x.reach, 0) AS key_reach FROM allocations x"
	" LEFT JOIN temp.site_alias a ON a.site = x.site"
	" LEFT JOIN leak_sites g ON g.site = x.site AND g.reach = coalesce(x.reach, 0)"
	" WHERE x.free_ts IS NULL AND x.alloc_ts <= ?3 - ?1 AND (coalesce(x.reach, 0) = 4) = ?2"
	" AND " RD_PID_ROW("x.pid") " AND " RD_WIN("x.alloc_ts") " GROUP BY key_site, key_reach";

/* The age share is the oldest block's age over the recording's duration (end). */
static double leak_score(const struct an_leak *l, int64_t end)
{
	double age = end > 0 ? (double)l->oldest_age_ns / (double)end : 0;

	return an_leak_score(l->bytes, l->growth, age < 0 ? 0 : age > 1 ? 1 : age);
}

/* A block's age at end, never negative: end (RD_END_NS) is at or after every block published, so
 * 0 would only come from a file that contradicts itself. */
static int64_t age_at(int64_t end, int64_t alloc_ts)
{
	return alloc_ts < end ? end - alloc_ts : 0;
}

static int read_leaks(struct store_reader *r, int64_t min_age, int64_t end, int held,
		      struct an_leaks *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rows = min_age || r->windowed, rc;
	int err = rd_prepare(r, rows ? OLD_LEAKS_SQL : LEAKS_SQL, &st);

	if (err)
		return err;
	sqlite3_bind_int64(st, 1, min_age);
	sqlite3_bind_int(st, 2, held);
	if (rows) /* ?3 there; LEAKS_SQL's third parameter is :pid */
		sqlite3_bind_int64(st, 3, end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct an_leak *l;

		if (out->n == cap) {
			l = realloc(out->v, (cap = cap ? cap * 2 : 16) * sizeof(*l));
			if (!l) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			out->v = l;
		}
		l = &out->v[out->n++];
		*l = (struct an_leak){ .site = sqlite3_column_int64(st, 0),
				       .blocks = sqlite3_column_int64(st, 1),
				       .bytes = sqlite3_column_int64(st, 2),
				       .oldest_age_ns = age_at(end, sqlite3_column_int64(st, 3)),
				       .growth = sqlite3_column_double(st, 4),
				       .sites = sqlite3_column_int64(st, 5),
				       .reach = sqlite3_column_int(st, 6) };
		l->score = leak_score(l, end);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

double an_leak_score(int64_t bytes, double growth, double age_share)
{
	return (double)bytes * (0.25 + 0.75 * growth) * (0.5 + 0.5 * age_share);
}

static const char *group_key(const struct an_leak *l, enum an_group by)
{
	const struct an_frame *f = l->stack.depth ? &l->stack.frames[0] : NULL;

	return !f ? NULL : by == AN_BY_FUNCTION ? f->function : f->file;
}

static int cmp_keys(const char *a, const char *b)
{
	return !a || !b ? (a != NULL) - (b != NULL) : strcmp(a, b);
}

/* One group per key and verdict. */
static int cmp_leak_keys(const void *a, const void *b, void *by)
{
	const struct an_leak *x = a, *y = b;

	if (x->reach != y->reach)
		return x->reach - y->reach;
	return cmp_keys(group_key(a, *(enum an_group *)by), group_key(b, *(enum an_group *)by));
}

/* Folds leaks of the same key into the first of them (the biggest stack shows for the group). */
static int merge_leaks(struct an_leaks *l, enum an_group by, int64_t end)
{
	size_t n = 0;

	if (l->n > 1) /* v is NULL without leaks: not for qsort_r, even for 0 */
		qsort_r(l->v, l->n, sizeof(*l->v), cmp_leak_keys, &by);
	for (size_t i = 0; i < l->n; i++) {
		struct an_leak *g = n ? &l->v[n - 1] : NULL, *x = &l->v[i];

		if (!g || g->reach != x->reach || cmp_keys(group_key(g, by), group_key(x, by))) {
			l->v[n++] = *x;
			continue;
		}
		if (x->bytes > g->bytes) { /* keep the biggest member's stack and site */
			struct an_stack t = g->stack;
			int64_t site = g->site;

			g->stack = x->stack;
			g->site = x->site;
			x->stack = t;
			x->site = site;
		}
		g->blocks += x->blocks;
		g->bytes += x->bytes;
		g->sites += x->sites;
		if (x->oldest_age_ns > g->oldest_age_ns)
			g->oldest_age_ns = x->oldest_age_ns;
		if (x->growth > g->growth)
			g->growth = x->growth;
		an_stack_free(&x->stack);
	}
	l->n = n;
	for (size_t i = 0; i < n; i++) {
		const char *k = group_key(&l->v[i], by);

		l->v[i].score = leak_score(&l->v[i], end);
		if (k && !(l->v[i].key = strdup(k)))
			return -ENOMEM;
	}
	return 0;
}

static int leaks_query(struct store_reader *r, int64_t min_age_ns, int64_t limit, enum an_group by,
		       int held, struct an_leaks *out)
{
	int64_t end;
	int err;

	*out = (struct an_leaks){ 0 };
	if (min_age_ns < 0 || limit < 0)
		return -EINVAL;
	err = rd_end_ns(r, &end);
	if (!err)
		err = read_leaks(r, min_age_ns, end, held, out);
	/* Stacks are needed to group; ungrouped, only for the rows kept. */
	if (!err && by != AN_BY_STACK) {
		for (size_t i = 0; i < out->n && !err; i++)
			err = an_load_stack(r, out->v[i].site, &out->v[i].stack);
		if (!err)
			err = merge_leaks(out, by, end);
	}
	if (!err && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_leaks);
	if (!err && limit && (size_t)limit < out->n) {
		for (size_t i = (size_t)limit; i < out->n; i++) {
			an_stack_free(&out->v[i].stack);
			free(out->v[i].key);
		}
		out->n = (size_t)limit;
	}
	for (size_t i = 0; i < out->n && !err && by == AN_BY_STACK; i++)
		err = an_load_stack(r, out->v[i].site, &out->v[i].stack);
	if (err)
		an_leaks_free(out);
	return err;
}

int an_leaks_grouped(struct store_reader *r, int64_t min_age_ns, int64_t limit, enum an_group by,
		     struct an_leaks *out)
{
	return leaks_query(r, min_age_ns, limit, by, 0, out);
}

int an_held_grouped(struct store_reader *r, int64_t min_age_ns, int64_t limit, enum an_group by,
		    struct an_leaks *out)
{
	return leaks_query(r, min_age_ns, limit, by, 1, out);
}

int an_leaks(struct store_reader *r, int64_t min_age_ns, int64_t limit, struct an_leaks *out)
{
	return an_leaks_grouped(r, min_age_ns, limit, AN_BY_STACK, out);
}

void an_leaks_free(struct an_leaks *l)
{
	for (size_t i = 0; i < l->n; i++) {
		an_stack_free(&l->v[i].stack);
		free(l->v[i].key);
	}
	free(l->v);
	*l = (struct an_leaks){ 0 };
}
