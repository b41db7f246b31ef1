/* Allocator advice: the patterns users reach for a custom allocator for, found in the per-site
 * aggregates, each with the numbers that justify it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"
#include "store/time.h"

/* Thresholds: enough calls to matter, and a clear majority showing the pattern. */
#define MIN_CALLS 1000
#define POOL_MIN_RATE 1000.0	/* allocations per second while the site is active */
#define POOL_MAX_P90_NS 1000000 /* 1 ms */
#define ARENA_MIN_FREES 1000
#define ARENA_MIN_SHARE 0.8
#define BATCH_MAX_AVG_SIZE 256
#define BATCH_MIN_SHARE 0.5
#define CHURN_MIN_REALLOCS 50
#define CHURN_MIN_CHAIN 8
#define CROSS_MIN_BLOCKS 100

static struct an_advice *add(struct an_advices *a, const char *kind, int64_t site)
{
	struct an_advice *v = realloc(a->v, (a->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	a->v = v;
	v = &a->v[a->n++];
	*v = (struct an_advice){ .kind = kind, .site = site };
	return v;
}

/* One site's percentiles, through the sites analysis. */
static int site_detail(struct store_reader *r, int64_t site, struct an_site *out)
{
	struct an_sites_query q = { .group = AN_BY_STACK, .site = site };
	struct an_sites one;
	int err = an_sites(r, &q, &one);

	if (!err && one.n == 1) {
		*out = one.v[0];
		out->stack = (struct an_stack){ 0 };
		out->key = NULL;
	}
	an_sites_free(&one);
	return err;
}

static int pool(struct store_reader *r, sqlite3_stmt *st, struct an_advices *a)
{
	int64_t site = sqlite3_column_int64(st, 0), allocs = sqlite3_column_int64(st, 1);
	int64_t size = sqlite3_column_int64(st, 2), span = sqlite3_column_int64(st, 3);
	double rate = (double)allocs / ((double)(span > 0 ? span : 1) / (double)NS_PER_S);
	struct an_site d = { 0 };
	struct an_advice *v;
	int err;

	if (rate < POOL_MIN_RATE)
		return 0;
	err = site_detail(r, site, &d);
	if (err || d.lifetime_p90_ns < 0 || d.lifetime_p90_ns > POOL_MAX_P90_NS)
		return err;
	v = add(a, "pool", site);
	if (!v)
		return -ENOMEM;
	snprintf(v->evidence, sizeof(v->evidence),
		 "%lld allocations all of %lld bytes at %.0f/s, 90%% freed within %.1f us: a free "
		 "list of fixed-size blocks would serve them",
		 (long long)allocs, (long long)size, rate, (double)d.lifetime_p90_ns / 1000.0);
	return 0;
}

static int arena(sqlite3_stmt *st, struct an_advices *a)
{
	int64_t site = sqlite3_column_int64(st, 0), frees = sqlite3_column_int64(st, 1);
	int64_t burst = sqlite3_column_int64(st, 2);
	struct an_advice *v = add(a, "arena", site);

	if (!v)
		return -ENOMEM;
	snprintf(v->evidence, sizeof(v->evidence),
		 "%lld of its %lld frees came in bursts (100+ frees within 1 ms, from at most 8 "
		 "sites): an arena released at once would replace them",
		 (long long)burst, (long long)frees);
	return 0;
}

static int batching(sqlite3_stmt *st, struct an_advices *a)
{
	int64_t site = sqlite3_column_int64(st, 0), allocs = sqlite3_column_int64(st, 1);
	int64_t tight = sqlite3_column_int64(st, 2);
	struct an_advice *v = add(a, "batching", site);

	if (!v)
		return -ENOMEM;
	snprintf(v->evidence, sizeof(v->evidence),
		 "%lld of its %lld small allocations (%.0f bytes on average) came within 10 us of "
		 "the previous one: allocate them in one block",
		 (long long)tight, (long long)allocs, sqlite3_column_double(st, 3));
	return 0;
}

static int churn(sqlite3_stmt *st, struct an_advices *a)
{
	int64_t site = sqlite3_column_int64(st, 0), n = sqlite3_column_int64(st, 1);
	struct an_advice *v = add(a, "realloc_churn", site);

	if (!v)
		return -ENOMEM;
	snprintf(v->evidence, sizeof(v->evidence),
		 "%lld reallocs grew a block by at most half its size; the longest chain had %lld "
		 "reallocs: grow geometrically or reserve the final size",
		 (long long)n, (long long)sqlite3_column_int64(st, 2));
	return 0;
}

static int cross_thread(sqlite3_stmt *st, struct an_advices *a)
{
	struct an_advice *v = add(a, "cross_thread", sqlite3_column_int64(st, 0));

	if (!v)
		return -ENOMEM;
	v->free_site = sqlite3_column_int64(st, 1);
	snprintf(v->evidence, sizeof(v->evidence),
		 "%lld blocks allocated here were freed by another thread at the free site shown: "
		 "ownership moves between threads (allocator lock and cache traffic)",
		 (long long)sqlite3_column_int64(st, 2));
	return 0;
}

struct rule {
	const char *sql;
	int (*plain)(sqlite3_stmt *st, struct an_advices *a);
	int (*with_reader)(struct store_reader *r, sqlite3_stmt *st, struct an_advices *a);
};

#define STR_(x) #x
#define STR(x) STR_(x)
/* Only the filtered process's sites (store_reader_set_pid). */
#define PID_SITE RD_PID_STACK("site")

static const struct rule RULES[] = {
	{ "SELECT site, allocs, min_size, last_ts - first_ts FROM site_stats WHERE site > 0"
	  " AND " PID_SITE " AND allocs >= " STR(MIN_CALLS) " AND min_size = max_size"
							    " ORDER BY allocs DESC",
	  NULL, pool },
	{ "SELECT site, frees, burst_frees FROM site_stats WHERE site > 0 AND " PID_SITE
	  " AND frees >= " STR(ARENA_MIN_FREES) " AND burst_frees >= " STR(
		  ARENA_MIN_SHARE) " * frees ORDER BY burst_frees DESC",
	  arena, NULL },
	{ "SELECT site, allocs, tight_allocs, 1.0 * bytes / allocs FROM site_stats WHERE site > 0"
	  " AND " PID_SITE
	  " AND allocs >= " STR(MIN_CALLS) " AND bytes <= " STR(BATCH_MAX_AVG_SIZE) " * allocs AND tight_allocs >= " STR(
		  BATCH_MIN_SHARE) " * allocs"
				   /* not a pool (freed at once) nor an arena (freed in bursts): kept alive together */
				   " AND temp_allocs < 0.5 * allocs AND burst_frees < 0.5 * frees"
				   " ORDER BY tight_allocs DESC",
	  batching, NULL },
	{ "SELECT site, small_reallocs, max_realloc_chain FROM site_stats WHERE site > 0"
	  " AND " PID_SITE
	  " AND small_reallocs >= " STR(CHURN_MIN_REALLOCS) " AND max_realloc_chain >= " STR(
		  CHURN_MIN_CHAIN) " ORDER BY small_reallocs DESC",
	  churn, NULL },
	{ "SELECT site, free_site, blocks FROM cross_thread WHERE " PID_SITE
	  " AND blocks >= " STR(CROSS_MIN_BLOCKS) " ORDER BY blocks DESC",
	  cross_thread, NULL },
};

static int run_rule(struct store_reader *r, const struct rule *rule, struct an_advices *a)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r, rule->sql, &st), rc;

	if (err)
		return err;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = rule->plain ? rule->plain(st, a) : rule->with_reader(r, st, a);
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

/* Likely allocation wrappers not yet treated as such (an_detect_alloc_fns): their callers are
 * the sites that matter. */
static int wrappers(struct store_reader *r, struct an_advices *a)
{
	struct an_wrappers w;
	int err = an_detect_alloc_fns(r, &w);

	for (size_t i = 0; i < w.n && !err; i++) {
		const struct an_wrapper *x = &w.v[i];
		struct an_advice *v;

		if (rd_alloc_fn_matches(r, x->function))
			continue;
		v = add(a, "alloc_wrapper", x->site);
		if (!v) {
			err = -ENOMEM;
			break;
		}
		snprintf(v->evidence, sizeof(v->evidence),
			 "%s is the innermost function of %.0f%% of the %lld allocations through it,"
			 " called from %lld call sites: an allocation wrapper? --alloc-fn '%s' makes"
			 " its callers the sites",
			 x->function, 100.0 * (double)x->allocs / (double)(x->all_allocs ? x->all_allocs : 1),
			 (long long)x->all_allocs, (long long)x->callers, x->function);
	}
	an_wrappers_free(&w);
	return err;
}

/* A time window keeps the advice of the sites that allocated in it (alloc_wrapper: whatever
 * site): the patterns are read from the whole recording's aggregates. */
static int keep_window_sites(struct store_reader *r, struct an_advices *a)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int err = rd_prepare(r,
			     "SELECT EXISTS (SELECT 1 FROM allocations WHERE " RD_SITE_IN(
				     "allocations.site", "?1") " AND " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts") ")",
			     &st);

	for (size_t i = 0; i < a->n && !err; i++) {
		int in = !strcmp(a->v[i].kind, "alloc_wrapper");

		if (!in) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, a->v[i].site);
			in = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		}
		if (in)
			a->v[n++] = a->v[i];
	}
	sqlite3_finalize(st);
	a->n = n;
	return err;
}

int an_advice(struct store_reader *r, struct an_advices *out)
{
	int err = 0, windowed = r->windowed;

	*out = (struct an_advices){ 0 };
	r->windowed = 0; /* the rules read the whole recording's aggregates (an_sites included) */
	for (size_t i = 0; i < sizeof(RULES) / sizeof(*RULES) && !err; i++)
		err = run_rule(r, &RULES[i], out);
	if (!err)
		err = wrappers(r, out);
	r->windowed = windowed;
	if (!err && windowed)
		err = keep_window_sites(r, out);
	for (size_t i = 0; i < out->n && !err; i++) {
		err = an_load_stack(r, out->v[i].site, &out->v[i].stack);
		if (!err)
			err = an_load_stack(r, out->v[i].free_site, &out->v[i].free_stack);
	}
	if (err)
		an_advices_free(out);
	return err;
}

void an_advices_free(struct an_advices *a)
{
	for (size_t i = 0; i < a->n; i++) {
		an_stack_free(&a->v[i].stack);
		an_stack_free(&a->v[i].free_stack);
	}
	free(a->v);
	*a = (struct an_advices){ 0 };
}
