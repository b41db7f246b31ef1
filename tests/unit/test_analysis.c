/* Unit tests of the analyses on a recording written through the tracker (no BPF): per-site
 * aggregates, grouping, sorting, percentiles, leaks and their ranking, histograms, advice; and
 * the stack quality on stores written row by row. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/tracker.h"
#include "bpf/abi.h"
#include "store/analysis.h"
#include "store/store.h"

#define US 1000LL
#define MS 1000000LL

static char path[64];

static void alloc(struct tracker *t, int64_t ts, int64_t site, uint64_t addr, uint64_t size)
{
	struct tracker_alloc a = { .ts = ts,
				   .site = site,
				   .addr = addr,
				   .size = size,
				   .func = HS_FN_MALLOC,
				   .tid = 1,
				   .dur_ns = 500 };

	assert_int_equal(tracker_on_alloc(t, &a), 0);
}

static void release(struct tracker *t, int64_t ts, uint64_t addr, int tid)
{
	struct tracker_free f = {
		.ts = ts, .site = 9, .addr = addr, .func = HS_FN_FREE, .tid = tid
	};

	assert_int_equal(tracker_on_free(t, &f), 0);
}

/* Stacks 1..3 (one frame each: f1, f2, f3 in a.c, b.c, a.c), then:
 * site 1: 10 blocks of 100 B freed after 2 ms; site 2: 4 live blocks of 1000 B allocated across
 * the whole recording; site 3: 1 live block of 48 B at the start, 3000 x 48 B freed at once
 * (a pool), and 200 freed by another thread. The recording lasts 1 s. */
static struct store_reader *make_recording(void)
{
	struct store_recording rec = { .pid = 42, .mode = "launch", .command = "prog" };
	struct tracker_opts o = { .traced_from_start = 1, .interval_ns = 100 * MS };
	struct store_end end = {
		.duration_ns = 1000 * MS, .end_reason = "exited", .cut_ts = -1, .first_drop_ts = -1
	};
	struct tracker_stats ts;
	const char *files[] = { "a.c", "b.c", "a.c" };
	struct store_reader *r;
	struct tracker *t;
	struct store *st;
	char err[256];

	snprintf(path, sizeof(path), "/tmp/hs-analysis-%d.db", (int)getpid());
	assert_int_equal(store_create(path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin_recording(st, &rec), 0);
	assert_int_equal(store_insert_module(st, 1, "/bin/prog", "ab", 0x1000, 0x9000), 0);
	for (int i = 1; i <= 3; i++) {
		char fn[8];
		int64_t frame = i;

		snprintf(fn, sizeof(fn), "f%d", i);
		assert_int_equal(store_insert_frame(st, i, 0x1000 + i, 1, i, fn, files[i - 1],
						    10 * i),
				 0);
		assert_int_equal(store_insert_stack(st, i, 1, "complete", &frame, 0), 0);
	}
	assert_int_equal(tracker_new(st, &o, &t), 0);
	alloc(t, 1 * MS, 3, 0x50000, 48);
	for (int i = 0; i < 10; i++)
		alloc(t, 10 * MS + i, 1, 0x1000 + 0x100 * i, 100);
	for (int i = 0; i < 10; i++)
		release(t, 12 * MS + i, 0x1000 + 0x100 * i, 1);
	for (int i = 0; i < 4; i++)
		alloc(t, 50 * MS + 250 * MS * i, 2, 0x20000 + 0x1000 * i, 1000);
	for (int i = 0; i < 3000; i++) {
		alloc(t, 400 * MS + 2 * US * i, 3, 0x30000, 48);
		release(t, 400 * MS + 2 * US * i + 1 * US, 0x30000, 1);
	}
	for (int i = 0; i < 200; i++) {
		alloc(t, 500 * MS + i, 3, 0x40000 + 0x40 * i, 48);
		release(t, 600 * MS + i, 0x40000 + 0x40 * i, 2);
	}
	assert_int_equal(tracker_finish(t, end.duration_ns), 0);
	tracker_get_stats(t, &ts);
	end.peak_live_bytes = ts.peak_live_bytes;
	end.peak_ts = ts.peak_ts;
	tracker_free(t);
	assert_int_equal(store_end_recording(st, &end), 0);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(store_reader_open(path, &r, err, sizeof(err)), 0);
	return r;
}

static void done(struct store_reader *r)
{
	store_reader_close(r);
	unlink(path);
}

static void test_summary_and_sites(void **state)
{
	struct store_reader *r = make_recording();
	struct an_sites_query q = { .group = AN_BY_STACK };
	struct an_summary s;
	struct an_sites sites;
	(void)state;

	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.pid, 42);
	assert_int_equal(s.allocs, 1 + 10 + 4 + 3000 + 200);
	assert_int_equal(s.frees, 10 + 3000 + 200);
	assert_int_equal(s.live_blocks, 5);
	assert_int_equal(s.live_bytes, 4048);
	/* In event order: the first block, site 2's four, then the first pool block. */
	assert_int_equal(s.peak_bytes, 48 + 4000 + 48);
	assert_int_equal(s.peak_ts, 400 * MS);
	an_summary_free(&s);

	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.n, 3);
	assert_int_equal(sites.v[0].site, 3); /* most bytes: 3201 x ~48 */
	assert_int_equal(sites.v[0].allocs, 3201);
	assert_int_equal(sites.v[0].frees, 3200);
	assert_int_equal(sites.v[0].min_size, 48);
	assert_int_equal(sites.v[0].max_size, 48);
	assert_string_equal(sites.v[0].stack.frames[0].function, "f3");
	assert_int_equal(sites.v[2].site, 1);
	/* Lifetimes of site 1 are all 2 ms: the quarter-octave bucket around it. */
	assert_in_range(sites.v[2].lifetime_p50_ns, 2 * MS * 88 / 100, 2 * MS * 112 / 100);
	assert_in_range(sites.v[2].lifetime_p99_ns, 2 * MS * 88 / 100, 2 * MS * 112 / 100);
	assert_int_equal(sites.v[1].lifetime_p50_ns, -1); /* site 2: nothing freed */
	an_sites_free(&sites);

	q = (struct an_sites_query){ .group = AN_BY_FILE, .sort = "allocs", .ascending = 1 };
	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.n, 2);
	assert_string_equal(sites.v[0].key, "b.c");
	assert_int_equal(sites.v[0].allocs, 4);
	assert_string_equal(sites.v[1].key, "a.c");
	assert_int_equal(sites.v[1].allocs, 3211);
	assert_int_equal(sites.v[1].sites, 2);
	an_sites_free(&sites);

	q = (struct an_sites_query){ .group = AN_BY_FUNCTION, .function = "f2" };
	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.n, 1);
	assert_string_equal(sites.v[0].key, "f2");
	an_sites_free(&sites);
	q.sort = "nonsense";
	assert_int_equal(an_sites(r, &q, &sites), -EINVAL);
	done(r);
}

static void test_leaks_and_histograms(void **state)
{
	struct store_reader *r = make_recording();
	struct an_leaks leaks;
	struct an_hist h;
	int64_t total = 0;
	(void)state;

	assert_int_equal(an_leaks(r, 0, 0, &leaks), 0);
	assert_int_equal(leaks.n, 2);
	/* Site 2 grows through the recording (4 tenths) and holds more: first. */
	assert_int_equal(leaks.v[0].site, 2);
	assert_int_equal(leaks.v[0].blocks, 4);
	assert_int_equal(leaks.v[0].bytes, 4000);
	assert_true(leaks.v[0].growth > 0.35 && leaks.v[0].growth < 0.45);
	assert_int_equal(leaks.v[0].oldest_age_ns, 950 * MS);
	assert_int_equal(leaks.v[1].site, 3);
	assert_string_equal(leaks.v[1].stack.frames[0].function, "f3");
	an_leaks_free(&leaks);
	assert_int_equal(an_leaks(r, 800 * MS, 0, &leaks), 0); /* only blocks older than 800 ms */
	assert_int_equal(leaks.n, 2);
	assert_int_equal(leaks.v[0].site, 2);
	assert_int_equal(leaks.v[0].blocks, 1);
	assert_int_equal(leaks.v[1].site, 3);
	assert_int_equal(leaks.v[1].bytes, 48);
	an_leaks_free(&leaks);

	/* By file: a.c holds sites 3 (48 B) and 1 (none live); b.c site 2. */
	assert_int_equal(an_leaks_grouped(r, 0, 0, AN_BY_FILE, &leaks), 0);
	assert_int_equal(leaks.n, 2);
	assert_string_equal(leaks.v[0].key, "b.c");
	assert_int_equal(leaks.v[0].bytes, 4000);
	assert_string_equal(leaks.v[1].key, "a.c");
	assert_int_equal(leaks.v[1].sites, 1);
	an_leaks_free(&leaks);

	assert_int_equal(an_lifetimes(r, 0, &h), 0);
	for (int i = 0; i < h.n; i++)
		total += h.b[i].count;
	assert_int_equal(total, 3210);
	assert_int_equal(h.live, 5);
	assert_int_equal(h.b[1].count, 3000); /* [1 us, 2 us) */
	assert_int_equal(h.b[11].count, 10);  /* [1.024 ms, 2.048 ms)... 2 ms */
	assert_int_equal(h.b[17].count, 200); /* [65.5 ms, 131 ms): 100 ms */
	assert_int_equal(an_sizes(r, 0, &h), 0);
	assert_int_equal(h.b[6].count, 3201); /* [32, 64): 48 */
	assert_int_equal(h.b[7].count, 10);   /* [64, 128): 100 */
	assert_int_equal(h.b[10].count, 4);   /* [512, 1024): 1000 */
	assert_int_equal(h.n, 11);
	done(r);
}

static void test_advice(void **state)
{
	struct store_reader *r = make_recording();
	struct an_advices a;
	(void)state;

	assert_int_equal(an_advice(r, &a), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[0].kind, "pool");
	assert_int_equal(a.v[0].site, 3);
	assert_string_equal(a.v[1].kind, "cross_thread");
	assert_int_equal(a.v[1].site, 3);
	assert_int_equal(a.v[1].free_site, 9);
	assert_non_null(strstr(a.v[1].evidence, "200 blocks"));
	an_advices_free(&a);
	done(r);
}

/* Stacks of known depth and walk end, with per-site allocation counts written straight into
 * site_stats (sites < 0: none, as before the recorder first publishes them; then every count is
 * one allocation row). */
struct quality_site {
	int64_t site; /* 0: the stack was lost */
	int depth;
	const char *walk_end;
	int64_t allocs;
};

static struct store_reader *make_quality(const char *mode, const struct quality_site *v, int n,
					 int with_site_stats)
{
	struct store_recording rec = {
		.pid = 7, .mode = "launch", .command = "q", .stack_mode = mode
	};
	struct store_end end = { .duration_ns = 1000 * MS,
				 .end_reason = "exited",
				 .fp_fallback_frames = 17,
				 .unwind_files = 41,
				 .unwind_files_no_cfi = 2,
				 .cut_ts = -1,
				 .first_drop_ts = -1 };
	int64_t frames[64], id = 0;
	struct store_reader *r;
	struct store *st;
	char err[256];

	for (int i = 0; i < 64; i++)
		frames[i] = 1;
	snprintf(path, sizeof(path), "/tmp/hs-analysis-%d.db", (int)getpid());
	assert_int_equal(store_create(path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin_recording(st, &rec), 0);
	assert_int_equal(store_insert_frame(st, 1, 0x1000, 0, 0, "f", NULL, 0), 0);
	for (int i = 0; i < n; i++) {
		struct store_site_stats ss = { .site = v[i].site, .allocs = v[i].allocs };

		if (v[i].site)
			assert_int_equal(store_insert_stack(st, v[i].site, v[i].depth,
							    v[i].walk_end, frames, 0),
					 0);
		if (with_site_stats)
			assert_int_equal(store_insert_site_stats(st, &ss), 0);
		for (int64_t k = 0; !with_site_stats && k < v[i].allocs; k++) {
			struct store_alloc a = { .id = ++id,
						 .addr = 0x1000 + 16 * id,
						 .size = 16,
						 .func = 1,
						 .tid = 1,
						 .alloc_ts = id,
						 .free_ts = -1,
						 .site = v[i].site };

			assert_int_equal(store_insert_alloc(st, &a), 0);
		}
	}
	assert_int_equal(store_end_recording(st, &end), 0);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(store_reader_open(path, &r, err, sizeof(err)), 0);
	return r;
}

static void assert_end(const struct an_walk_end *e, const char *name, int64_t sites, int64_t allocs)
{
	assert_string_equal(e->walk_end, name);
	assert_int_equal(e->sites, sites);
	assert_int_equal(e->allocs, allocs);
}

/* 1000 allocations: 890 with complete stacks (2 of the 5 sites), 60 cut by code without CFI,
 * 40 at the depth limit, 10 whose stack was lost; a stack used only to free does not count. */
static void test_stack_quality(void **state)
{
	static const struct quality_site v[] = {
		{ 1, 3, "complete", 600 }, { 2, 5, "complete", 290 }, { 3, 64, "depth", 40 },
		{ 4, 2, "no_cfi", 60 },	   { 5, 7, "complete", 0 },   { 0, 0, NULL, 10 },
	};
	struct store_reader *r = make_quality("dwarf", v, 6, 1);
	struct an_stack_quality q;
	struct an_summary s;
	(void)state;

	assert_int_equal(an_stack_quality(r, &q), 0);
	assert_string_equal(q.mode, "dwarf");
	assert_int_equal(q.sites, 5);
	assert_int_equal(q.allocs, 1000);
	assert_float_equal(q.complete_allocs_share, 0.89, 1e-12);
	assert_float_equal(q.complete_sites_share, 0.4, 1e-12);
	/* (600 x 3 + 290 x 5 + 40 x 64 + 60 x 2 + 10 x 0) / 1000 */
	assert_float_equal(q.mean_depth, 5.93, 1e-12);
	assert_int_equal(q.p99_depth, 64); /* 960 allocations at depth <= 5: under 99% */
	assert_int_equal(q.nends, 4);
	assert_end(&q.ends[0], "complete", 2, 890);
	assert_end(&q.ends[1], "no_cfi", 1, 60);
	assert_end(&q.ends[2], "depth", 1, 40);
	assert_end(&q.ends[3], "unknown", 1, 10);
	assert_int_equal(q.fp_fallback_frames, 17);
	assert_int_equal(q.unwind_files, 41);
	assert_int_equal(q.unwind_files_no_cfi, 2);
	assert_non_null(q.hint);
	assert_true(!strncmp(q.hint, "no_cfi: ", 8)); /* the biggest reason, under 90% complete */

	/* The summary carries the same, and its allocation count agrees. */
	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.allocs, q.allocs);
	assert_int_equal(s.stacks.nends, q.nends);
	assert_float_equal(s.stacks.mean_depth, q.mean_depth, 0);
	assert_ptr_equal(s.stacks.hint, q.hint);
	an_summary_free(&s);
	an_stack_quality_free(&q);
	done(r);
}

/* 99% of allocations complete: no hint, and p99 stops short of the deepest 1%. */
static void test_stack_quality_good(void **state)
{
	static const struct quality_site v[] = {
		{ 1, 12, "complete", 990 },
		{ 2, 64, "depth", 10 },
	};
	struct store_reader *r = make_quality("dwarf", v, 2, 1);
	struct an_stack_quality q;
	(void)state;

	assert_int_equal(an_stack_quality(r, &q), 0);
	assert_float_equal(q.complete_allocs_share, 0.99, 1e-12);
	assert_int_equal(q.p99_depth, 12);
	assert_float_equal(q.mean_depth, (990 * 12 + 10 * 64) / 1000.0, 1e-12);
	assert_null(q.hint);
	an_stack_quality_free(&q);
	done(r);
}

/* A live recording before site_stats is first written: the allocation rows are counted. */
static void test_stack_quality_live(void **state)
{
	static const struct quality_site v[] = {
		{ 1, 1, "caller_only", 3 },
		{ 2, 1, "caller_only", 2 },
		{ 0, 0, NULL, 1 },
	};
	struct store_reader *r = make_quality("caller", v, 3, 0);
	struct an_stack_quality q;
	(void)state;

	assert_int_equal(an_stack_quality(r, &q), 0);
	assert_string_equal(q.mode, "caller");
	assert_int_equal(q.sites, 3);
	assert_int_equal(q.allocs, 6);
	assert_float_equal(q.complete_allocs_share, 0, 0);
	assert_float_equal(q.mean_depth, 5 / 6.0, 1e-12);
	assert_int_equal(q.p99_depth, 1);
	assert_int_equal(q.nends, 2);
	assert_end(&q.ends[0], "caller_only", 2, 5);
	assert_end(&q.ends[1], "unknown", 1, 1);
	assert_true(!strncmp(q.hint, "caller_only: ", 13));
	an_stack_quality_free(&q);
	done(r);
}

/* Nothing allocated: zeros, no ends, no hint. */
static void test_stack_quality_empty(void **state)
{
	struct store_reader *r = make_quality("fp", NULL, 0, 1);
	struct an_stack_quality q;
	(void)state;

	assert_int_equal(an_stack_quality(r, &q), 0);
	assert_string_equal(q.mode, "fp");
	assert_int_equal(q.sites, 0);
	assert_int_equal(q.allocs, 0);
	assert_float_equal(q.complete_allocs_share, 0, 0);
	assert_float_equal(q.mean_depth, 0, 0);
	assert_int_equal(q.p99_depth, 0);
	assert_int_equal(q.nends, 0);
	assert_null(q.hint);
	an_stack_quality_free(&q);
	an_stack_quality_free(&q); /* a freed result is a zeroed one */
	done(r);
}

static void test_open_errors(void **state)
{
	struct store_reader *r;
	char err[512];
	FILE *f;
	(void)state;

	assert_int_equal(store_reader_open("/nonexistent/x.db", &r, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "No such file"));
	f = fopen("/tmp/hs-not-sqlite.db", "w");
	fputs("hello", f);
	fclose(f);
	assert_int_equal(store_reader_open("/tmp/hs-not-sqlite.db", &r, err, sizeof(err)),
			 -ENOTSUP);
	assert_non_null(strstr(err, "not a heapscope recording"));
	unlink("/tmp/hs-not-sqlite.db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_and_sites),
		cmocka_unit_test(test_leaks_and_histograms),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_stack_quality),
		cmocka_unit_test(test_stack_quality_good),
		cmocka_unit_test(test_stack_quality_live),
		cmocka_unit_test(test_stack_quality_empty),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
