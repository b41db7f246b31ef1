/* Unit tests of the pairing tracker against a real store file: realloc semantics, double and
 * invalid frees, untracked frees in attach mode, the allocator's own frees, the timeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "agent/tracker.h"
#include "bpf/abi.h"
#include "store/schema.h"
#include "store/store.h"

#define MS 1000000LL

struct fixture {
	char path[64];
	struct store *st;
	struct tracker *t;
};

static struct fixture *open_fixture(int traced_from_start)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tracker_opts o = { .traced_from_start = traced_from_start, .interval_ns = 100 * MS };
	struct store_recording rec = { .pid = 1, .mode = "launch", .command = "test" };
	char err[256];

	snprintf(f->path, sizeof(f->path), "/tmp/hs-tracker-%d.db", (int)getpid());
	assert_int_equal(store_create(f->path, &f->st, err, sizeof(err)), 0);
	assert_int_equal(store_begin_recording(f->st, &rec), 0);
	assert_int_equal(tracker_new(f->st, &o, &f->t), 0);
	return f;
}

/* Finishes the recording and returns the database for queries. */
static sqlite3 *close_fixture(struct fixture *f, int64_t end_ts)
{
	struct store_end end = { .duration_ns = end_ts, .end_reason = "exited", .exit_status = 0 };
	sqlite3 *db;

	assert_int_equal(tracker_finish(f->t, end_ts), 0);
	assert_int_equal(store_end_recording(f->st, &end), 0);
	tracker_free(f->t);
	assert_int_equal(store_close(f->st), 0);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	return db;
}

static int64_t q(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void done(struct fixture *f, sqlite3 *db)
{
	sqlite3_close(db);
	unlink(f->path);
	free(f);
}

static void alloc(struct fixture *f, int64_t ts, int func, uint64_t addr, uint64_t size,
		  uint64_t old)
{
	struct tracker_alloc a = { .ts = ts,
				   .site = 1,
				   .addr = addr,
				   .size = size,
				   .old_addr = old,
				   .func = func,
				   .tid = 7 };

	assert_int_equal(tracker_on_alloc(f->t, &a), 0);
}

static void release(struct fixture *f, int64_t ts, uint64_t addr, int64_t site)
{
	struct tracker_free fr = {
		.ts = ts, .site = site, .addr = addr, .func = HS_FN_FREE, .tid = 8
	};

	assert_int_equal(tracker_on_free(f->t, &fr), 0);
}

static void test_realloc_semantics(void **state)
{
	struct fixture *f = open_fixture(1);
	sqlite3 *db;
	(void)state;

	alloc(f, 1 * MS, HS_FN_REALLOC, 0x1000, 10, 0);	     /* realloc(NULL, 10) */
	alloc(f, 2 * MS, HS_FN_REALLOC, 0x1000, 20, 0x1000); /* grown in place */
	alloc(f, 3 * MS, HS_FN_REALLOC, 0x2000, 90, 0x1000); /* moved */
	alloc(f, 4 * MS, HS_FN_REALLOC, 0, 0, 0x2000);	     /* realloc(p, 0) frees p */
	alloc(f, 5 * MS, HS_FN_REALLOC, 0, 50, 0x3000);	     /* failed: nothing happens */
	db = close_fixture(f, 10 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations"), 3);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations WHERE free_ts IS NULL"), 0);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations WHERE free_func = 3"), 3);
	assert_int_equal(q(db, "SELECT free_ts - alloc_ts FROM allocations WHERE id = 2"), 1 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 0);
	done(f, db);
}

static void test_double_and_invalid_free(void **state)
{
	struct fixture *f = open_fixture(1);
	sqlite3 *db;
	(void)state;

	alloc(f, 1 * MS, HS_FN_MALLOC, 0x1000, 64, 0);
	alloc(f, 1 * MS, HS_FN_MALLOC, 0x2000, 64, 0);
	release(f, 2 * MS, 0x1000, 3);
	release(f, 3 * MS, 0x1000, 4); /* double */
	release(f, 4 * MS, 0x2010, 5); /* interior of a live block */
	release(f, 5 * MS, 0x9000, 6); /* never returned */
	alloc(f, 6 * MS, HS_FN_MALLOC, 0x1000, 8, 0);
	release(f, 7 * MS, 0x1000, 3); /* returned again since: fine */
	db = close_fixture(f, 10 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 3);
	assert_int_equal(q(db, "SELECT alloc_id FROM errors WHERE kind = 'double_free'"), 1);
	assert_int_equal(q(db, "SELECT prev_free_site FROM errors WHERE kind = 'double_free'"), 3);
	assert_int_equal(q(db, "SELECT alloc_id FROM errors WHERE site = 5"), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE site = 6 AND alloc_id IS NULL"
			       " AND kind = 'invalid_free'"),
			 1);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations WHERE free_ts IS NULL"), 1);
	done(f, db);
}

/* The freed-address table is bounded: a double free is caught while its address is among the
 * recently freed ones; one forgotten (many frees later) is still an error, as an invalid free,
 * and the forgetting is counted. The live set's memory comes back as blocks are freed. */
static void test_double_free_bound(void **state)
{
	struct fixture *f = open_fixture(1);
	struct tracker_stats s;
	sqlite3 *db;
	(void)state;

	alloc(f, 1 * MS, HS_FN_MALLOC, 0x10, 16, 0);
	release(f, 1 * MS, 0x10, 3);
	for (uint64_t i = 1; i <= 300000; i++) {
		alloc(f, 2 * MS, HS_FN_MALLOC, 0x100000 + i * 0x20, 16, 0);
		release(f, 2 * MS, 0x100000 + i * 0x20, 3);
	}
	alloc(f, 3 * MS, HS_FN_MALLOC, 0x50, 16, 0);
	release(f, 3 * MS, 0x50, 3);
	release(f, 4 * MS, 0x50, 4);  /* recent: a double free */
	release(f, 4 * MS, 0x10, 5);  /* 300,001 frees ago: forgotten, an invalid free */
	tracker_get_stats(f->t, &s);
	assert_true(s.freed_forgotten > 0);
	assert_int_equal(s.live_blocks, 0);
	db = close_fixture(f, 10 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE kind = 'double_free' AND site = 4"
			       " AND alloc_id = 300002 AND prev_free_site = 3"),
			 1);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE kind = 'invalid_free' AND site = 5"),
			 1);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations"), 300002);
	done(f, db);
}

static void test_attach_mode_untracked(void **state)
{
	struct fixture *f = open_fixture(0);
	struct tracker_stats s;
	sqlite3 *db;
	(void)state;

	for (uint64_t i = 1; i <= 1000; i++)
		release(f, 1 * MS, i * 0x100, 2);
	for (uint64_t i = 1; i <= 5; i++)
		alloc(f, 2 * MS, HS_FN_MALLOC, 0x100000 + i * 0x100, 32, 0);
	/* Within 100 ms of the attach (armed_ts 0), an allocation may have handed the block out
	 * again unseen: a second free is one more untracked free, not a double free. */
	release(f, 3 * MS, 0x100, 2);
	/* Later, a second free of a pre-attach block is a double free. */
	release(f, 200 * MS, 0x9000, 2);
	release(f, 201 * MS, 0x9000, 3);
	tracker_get_stats(f->t, &s);
	assert_int_equal(s.untracked_frees, 1002);
	db = close_fixture(f, 300 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM allocations WHERE free_ts IS NULL"), 5);
	assert_int_equal(q(db, "SELECT count(*) FROM errors WHERE kind = 'double_free' AND site = 3"), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 1);
	done(f, db);
}

static int always_internal(void *ctx, int64_t site)
{
	(void)ctx;
	return site == 9;
}

static void test_allocator_internal_free(void **state)
{
	struct fixture *f = open_fixture(1);
	sqlite3 *db;
	(void)state;

	tracker_free(f->t);
	struct tracker_opts o = { .traced_from_start = 1,
				  .interval_ns = 100 * MS,
				  .internal_free = always_internal };
	assert_int_equal(tracker_new(f->st, &o, &f->t), 0);
	alloc(f, 1 * MS, HS_FN_MALLOC, 0x1000, 64, 0);
	release(f, 2 * MS, 0x1000, 3);
	release(f, 3 * MS, 0x1000, 9); /* glibc flushing its tcache at thread exit */
	db = close_fixture(f, 10 * MS);
	assert_int_equal(q(db, "SELECT count(*) FROM errors"), 0);
	done(f, db);
}

static void test_timeline(void **state)
{
	struct fixture *f = open_fixture(1);
	sqlite3 *db;
	(void)state;

	alloc(f, 50 * MS, HS_FN_MALLOC, 0x1000, 100, 0);
	alloc(f, 150 * MS, HS_FN_MALLOC, 0x2000, 200, 0);
	release(f, 350 * MS, 0x1000, 2);
	db = close_fixture(f, 420 * MS);
	/* Intervals ending at 100, 200, 300, 400, 500 ms. */
	assert_int_equal(q(db, "SELECT count(*) FROM timeline"), 5);
	assert_int_equal(q(db, "SELECT live_bytes FROM timeline WHERE ts = 100000000"), 100);
	assert_int_equal(q(db, "SELECT live_bytes FROM timeline WHERE ts = 300000000"), 300);
	assert_int_equal(q(db, "SELECT live_bytes FROM timeline WHERE ts = 400000000"), 200);
	assert_int_equal(q(db, "SELECT sum(allocs) FROM timeline"), 2);
	assert_int_equal(q(db, "SELECT frees FROM timeline WHERE ts = 400000000"), 1);
	done(f, db);
}

static void test_schema_version_check(void **state)
{
	sqlite3 *db;
	int found;
	(void)state;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(schema_check(db, &found), -ENOTSUP);
	assert_int_equal(schema_create(db, NULL), 0);
	assert_int_equal(schema_check(db, &found), 0);
	assert_int_equal(found, STORE_SCHEMA_VERSION);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	assert_int_equal(schema_check(db, &found), -EPROTO);
	assert_int_equal(found, 99);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realloc_semantics),
		cmocka_unit_test(test_double_and_invalid_free),
		cmocka_unit_test(test_double_free_bound),
		cmocka_unit_test(test_attach_mode_untracked),
		cmocka_unit_test(test_allocator_internal_free),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_schema_version_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
