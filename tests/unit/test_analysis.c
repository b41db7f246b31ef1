/* Unit tests of the analyses on a recording written through the tracker (no BPF): per-site
 * aggregates, grouping, sorting, percentiles, leaks and their ranking, histograms, advice. */
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
	struct tracker_alloc a = { .ts = ts, .site = site, .addr = addr, .size = size,
				   .func = HS_FN_MALLOC, .tid = 1, .dur_ns = 500 };

	assert_int_equal(tracker_on_alloc(t, &a), 0);
}

static void release(struct tracker *t, int64_t ts, uint64_t addr, int tid)
{
	struct tracker_free f = { .ts = ts, .site = 9, .addr = addr, .func = HS_FN_FREE, .tid = tid };

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
	struct store_end end = { .duration_ns = 1000 * MS, .end_reason = "exited" };
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
		assert_int_equal(store_insert_frame(st, i, 0x1000 + i, 1, i, fn, files[i - 1], 10 * i), 0);
		assert_int_equal(store_insert_stack(st, i, 1, "complete", &frame), 0);
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
	assert_int_equal(h.b[11].count, 10); /* [1.024 ms, 2.048 ms)... 2 ms */
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
	assert_int_equal(store_reader_open("/tmp/hs-not-sqlite.db", &r, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "not a heapscope recording"));
	unlink("/tmp/hs-not-sqlite.db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_and_sites),
		cmocka_unit_test(test_leaks_and_histograms),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
