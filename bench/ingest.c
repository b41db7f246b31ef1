/* Store ingest benchmark: writes allocation rows through store/store.h and prints rows/s.
 *
 * usage: ingest FILE.db [ROWS]   (default 2,000,000 rows, committed every 100,000) */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store/time.h"

#define COMMIT_EVERY 100000

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / (double)NS_PER_S;
}

/* A row shaped like allocbench's: mostly short-lived small blocks, 1 in 10 still live. */
static void fill_row(struct store_alloc *a, int64_t i, uint64_t *rng)
{
	*rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
	memset(a, 0, sizeof(*a));
	a->id = i + 1;
	a->addr = 0x55550000000ull + (*rng & 0xfffff0);
	a->size = 16 + (*rng >> 24) % 497;
	a->func = 1;
	a->tid = 4242;
	a->alloc_ts = i * 100;
	a->alloc_ns = 80;
	a->free_ts = i % 10 ? i * 100 + 50 : -1;
	a->site = 1 + (int64_t)(*rng >> 40) % 64;
	a->free_site = a->free_ts < 0 ? 0 : 65 + (int64_t)(*rng >> 48) % 64;
	a->free_func = a->free_ts < 0 ? 0 : 12;
	a->free_tid = a->free_ts < 0 ? 0 : 4242;
}

int main(int argc, char **argv)
{
	struct store_recording rec = { .pid = 1,
				       .mode = "launch",
				       .command = "ingest",
				       .exe = "ingest",
				       .allocator = "none",
				       .options = "{}" };
	struct store_end end = { .end_reason = "exited", .exit_status = 0 };
	int64_t rows = argc > 2 ? strtoll(argv[2], NULL, 0) : 2000000;
	struct store *st = NULL;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	double t0, t1, t2;
	char err[256] = "";
	int e;

	if (argc < 2 || rows <= 0) {
		fprintf(stderr, "usage: ingest FILE.db [ROWS]\n");
		return 2;
	}
	e = store_create(argv[1], &st, err, sizeof(err));
	if (e) {
		fprintf(stderr, "ingest: cannot create %s: %s\n", argv[1], err);
		return 1;
	}
	e = store_begin_recording(st, &rec);
	t0 = now_s();
	for (int64_t i = 0; i < rows && !e; i++) {
		struct store_alloc a;

		fill_row(&a, i, &rng);
		e = store_insert_alloc(st, &a);
		if (!e && (i + 1) % COMMIT_EVERY == 0)
			e = store_commit(st);
	}
	if (!e)
		e = store_commit(st);
	t1 = now_s();
	end.duration_ns = (int64_t)((t1 - t0) * (double)NS_PER_S);
	if (!e)
		e = store_end_recording(st, &end);
	if (e) {
		fprintf(stderr, "ingest: writing %s failed: %s (%s)\n", argv[1], strerror(-e),
			store_errmsg(st));
		store_close(st);
		return 1;
	}
	e = store_close(st);
	t2 = now_s();
	if (e) {
		fprintf(stderr, "ingest: closing %s failed: %s\n", argv[1], strerror(-e));
		return 1;
	}
	printf("{\"rows\":%lld,\"insert_seconds\":%.3f,\"rows_per_sec\":%.0f,"
	       "\"total_seconds\":%.3f,\"rows_per_sec_with_end\":%.0f}\n",
	       (long long)rows, t1 - t0, (double)rows / (t1 - t0), t2 - t0,
	       (double)rows / (t2 - t0));
	return 0;
}
