/* Unit tests of a recording of several processes, written row by row through the store writer:
 * the per-process summary, notices and event accounting, the pid filter of every analysis,
 * misuse after a lost event marked unreliable, and how the text, JSON and CSV renderers show
 * them. `--write FILE` writes the recording only, for the integration tests. */
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

#include "report/json.h"
#include "report/report.h"
#include "store/analysis.h"
#include "store/hist.h"
#include "store/store.h"

#define MS 1000000LL

static char path[64];

/*
 * pid 100 runs /bin/sh (image 1), which execs ./prog (image 2, same pid); ./prog forks pid 101
 * (image 3). Stacks: 1 sh_alloc (image 1), 2 parent_leak, 3 parent_temp, 6 parent_free
 * (image 2), 4 child_leak, 5 child_free (image 3).
 *  - image 1: 3 x 64 B at site 1; two freed at 50 ms, the third released by the exec (200 ms).
 *  - image 2: 10 x 100 B at site 3, each freed 0.5 ms later; 4 x 1000 B at site 2, live.
 *  - image 3: 3 x 500 B at site 4 freed at 345 ms, 2 more live (350, 700 ms).
 *  - errors: a double free in image 2 at 450 ms, an invalid and a double free in pid 101 at
 *    750 and 760 ms. The first event was lost at 700 ms: the last two are unreliable.
 *  - notices: pid 101 is a Go program; pid 102 had no allocator (recording-wide).
 * The recording lasts 1 s and was cut at 990 ms.
 */
struct site_row {
	int64_t site, proc, allocs, size, frees, live_blocks;
	const char *function;
};

static const struct site_row SITES[] = {
	{ 1, 1, 3, 64, 3, 0, "sh_alloc" },	 { 2, 2, 4, 1000, 0, 4, "parent_leak" },
	{ 3, 2, 10, 100, 10, 0, "parent_temp" }, { 4, 3, 5, 500, 3, 2, "child_leak" },
	{ 5, 3, 0, 0, 0, 0, "child_free" },	 { 6, 2, 0, 0, 0, 0, "parent_free" },
};

static void stacks(struct store *st)
{
	assert_int_equal(store_insert_module(st, 1, "/usr/bin/prog", "ab", 0x1000, 0x9000), 0);
	for (size_t i = 0; i < sizeof(SITES) / sizeof(*SITES); i++) {
		int64_t frame = SITES[i].site;

		assert_int_equal(store_insert_frame(st, frame, 0x1000 + frame, 1, frame,
						    SITES[i].function, "prog.c", (int)frame * 10),
				 0);
		assert_int_equal(store_insert_stack(st, SITES[i].site, 1, "complete", &frame,
						    SITES[i].proc),
				 0);
	}
}

static void processes(struct store *st)
{
	const struct store_process p[] = {
		{ 1, 100, 1, "/bin/sh", "sh -c ./prog", "/lib/libc.so.6", 0 },
		{ 2, 100, 1, "/usr/bin/prog", "./prog", "/lib/libc.so.6", 200 * MS },
		{ 3, 101, 100, "/usr/bin/prog", "./prog --child", "/lib/libc.so.6", 300 * MS },
	};

	for (int i = 0; i < 3; i++)
		assert_int_equal(store_insert_process(st, &p[i]), 0);
	assert_int_equal(store_end_process(st, 1, 200 * MS, "exec", -1), 0);
	assert_int_equal(store_end_process(st, 2, 900 * MS, "exited", 0), 0);
	assert_int_equal(store_end_process(st, 3, 800 * MS, "killed", 134), 0);
	assert_int_equal(
		store_insert_notice(st, 3, "go_heap",
				    "a Go program: its heap is managed by"
				    " the Go runtime, not malloc; only C allocations are recorded"),
		0);
	assert_int_equal(store_insert_notice(st, 0, "no_allocator",
					     "pid 102 (true): no allocator"
					     " to probe"),
			 0);
}

struct block {
	int pid;
	int64_t proc, site, size, alloc_ts, free_ts; /* free_ts -1: live */
	int free_func;
};

static struct block blocks[32];
static int nblocks;

static void block(int pid, int64_t proc, int64_t site, int64_t size, int64_t alloc_ts,
		  int64_t free_ts, int free_func)
{
	blocks[nblocks++] = (struct block){ pid, proc, site, size, alloc_ts, free_ts, free_func };
}

static void schedule(void)
{
	nblocks = 0;
	for (int i = 0; i < 3; i++)
		block(100, 1, 1, 64, (10 + 10 * i) * MS, i < 2 ? 50 * MS : 200 * MS,
		      i < 2 ? 12 : 15 /* exec */);
	for (int i = 0; i < 10; i++)
		block(100, 2, 3, 100, 250 * MS + i * MS, 250 * MS + i * MS + MS / 2, 12);
	for (int i = 0; i < 4; i++)
		block(100, 2, 2, 1000, (300 + 100 * i) * MS, -1, 0);
	for (int i = 0; i < 3; i++)
		block(101, 3, 4, 500, (320 + 10 * i) * MS, 345 * MS, 12);
	block(101, 3, 4, 500, 350 * MS, -1, 0);
	block(101, 3, 4, 500, 700 * MS, -1, 0);
}

/* The recorder's 100 ms samples of the whole recording, from the same blocks. */
static void timeline(struct store *st)
{
	for (int64_t end = 100 * MS; end <= 1000 * MS; end += 100 * MS) {
		struct store_timeline t = { .ts = end };

		for (int i = 0; i < nblocks; i++) {
			const struct block *b = &blocks[i];
			int freed = b->free_ts >= 0 && b->free_ts <= end;

			if (b->alloc_ts <= end && !freed) {
				t.live_blocks++;
				t.live_bytes += b->size;
			}
			if (b->alloc_ts > end - 100 * MS && b->alloc_ts <= end) {
				t.allocs++;
				t.alloc_bytes += b->size;
			}
			if (freed && b->free_ts > end - 100 * MS) {
				t.frees++;
				t.free_bytes += b->size;
			}
		}
		assert_int_equal(store_insert_timeline(st, &t), 0);
	}
}

static void allocations(struct store *st)
{
	schedule();
	for (int i = 0; i < nblocks; i++) {
		const struct block *b = &blocks[i];
		struct store_alloc a = { .id = i + 1,
					 .addr = 0x10000 + 0x1000 * (uint64_t)(i + 1),
					 .size = (uint64_t)b->size,
					 .func = 1,
					 .tid = b->pid,
					 .alloc_ts = b->alloc_ts,
					 .alloc_ns = 100,
					 .free_ts = b->free_ts,
					 .site = b->site,
					 .free_func = b->free_func,
					 .free_tid = b->pid,
					 .pid = b->pid,
					 .proc = b->proc };

		assert_int_equal(store_insert_alloc(st, &a), 0);
	}
	timeline(st);
}

/* The aggregates the recorder would write for the rows above. */
static void aggregates(struct store *st)
{
	for (size_t i = 0; i < sizeof(SITES) / sizeof(*SITES); i++) {
		const struct site_row *r = &SITES[i];
		struct store_site_stats ss = { .site = r->site,
					       .allocs = r->allocs,
					       .bytes = r->allocs * r->size,
					       .min_size = r->size,
					       .max_size = r->size,
					       .frees = r->frees,
					       .freed_bytes = r->frees * r->size,
					       .live_blocks = r->live_blocks,
					       .live_bytes = r->live_blocks * r->size };
		int b = hist_fine_index((uint64_t)r->size);

		if (!r->allocs)
			continue;
		assert_int_equal(store_insert_site_stats(st, &ss), 0);
		assert_int_equal(store_insert_site_hist(st, r->site, "size_fine", b,
							(int64_t)hist_fine_lo(b),
							(int64_t)(hist_fine_lo(b) +
								  hist_fine_width(b)),
							r->allocs),
				 0);
		if (r->frees)
			assert_int_equal(store_insert_site_hist(st, r->site, "lifetime", 10, 512000,
								1024000, r->frees),
					 0);
	}
	assert_int_equal(store_insert_leak_site(st, &(struct store_leak_site){ 2, 4, 4000, 300 * MS,
									       0.4, 0 }),
			 0);
	assert_int_equal(store_insert_leak_site(st, &(struct store_leak_site){ 4, 2, 1000, 350 * MS,
									       0.2, 0 }),
			 0);
}

static void errors(struct store *st)
{
	const struct store_error e[] = {
		{ "double_free", 0x10000 + 0x1000 * 4, 450 * MS, 100, 12, 6, 4, 6, 100 },
		{ "invalid_free", 0x12345, 750 * MS, 101, 12, 5, 0, 0, 101 },
		{ "double_free", 0x10000 + 0x1000 * 18, 760 * MS, 101, 12, 5, 18, 5, 101 },
	};

	for (int i = 0; i < 3; i++)
		assert_int_equal(store_insert_error(st, &e[i]), 0);
}

/* accounted 0: one free was received but neither stored nor discarded after the cut. */
static void event_counts(struct store *st, int accounted)
{
	const struct store_event_count c[] = {
		{ "alloc", 23, 1, 23, 22, 1 },
		{ "free", 20, 0, 20, accounted ? 18 : 17, 2 },
		{ "stack", 6, 0, 6, 6, 0 },
	};

	for (int i = 0; i < 3; i++)
		assert_int_equal(store_insert_event_count(st, &c[i]), 0);
}

static void write_recording(const char *file, int accounted)
{
	struct store_recording rec = { .pid = 100,
				       .mode = "launch",
				       .command = "sh -c ./prog",
				       .exe = "/bin/sh",
				       .allocator = "/lib/libc.so.6",
				       .stack_mode = "dwarf" };
	struct store_end end = { .duration_ns = 1000 * MS,
				 .end_reason = "exited",
				 .exit_status = 0,
				 .dropped_events = 1,
				 .peak_live_bytes = 5500,
				 .peak_ts = 340 * MS,
				 .cut_ts = 990 * MS,
				 .first_drop_ts = 700 * MS };
	struct store *st;
	char err[256];

	assert_int_equal(store_create(file, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin_recording(st, &rec), 0);
	processes(st);
	stacks(st);
	allocations(st);
	aggregates(st);
	errors(st);
	event_counts(st, accounted);
	assert_int_equal(store_end_recording(st, &end), 0);
	assert_int_equal(store_close(st), 0);
}

static struct store_reader *make_recording(int accounted)
{
	struct store_reader *r;
	char err[256];

	snprintf(path, sizeof(path), "/tmp/hs-processes-%d.db", (int)getpid());
	write_recording(path, accounted);
	assert_int_equal(store_reader_open(path, &r, err, sizeof(err)), 0);
	return r;
}

static void done(struct store_reader *r)
{
	store_reader_close(r);
	unlink(path);
}

static void assert_process(const struct an_process *p, int pid, int ppid, const char *reason,
			   int status, int64_t allocs, int64_t frees, int64_t live_blocks,
			   int64_t live_bytes, int64_t errs)
{
	assert_int_equal(p->pid, pid);
	assert_int_equal(p->ppid, ppid);
	assert_string_equal(p->end_reason, reason);
	assert_int_equal(p->exit_status, status);
	assert_int_equal(p->allocs, allocs);
	assert_int_equal(p->frees, frees);
	assert_int_equal(p->live_blocks, live_blocks);
	assert_int_equal(p->live_bytes, live_bytes);
	assert_int_equal(p->errors, errs);
}

static void test_summary_processes(void **state)
{
	struct store_reader *r = make_recording(1);
	struct an_summary s;
	(void)state;

	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.allocs, 3 + 14 + 5);
	assert_int_equal(s.frees, 3 + 10 + 3); /* the exec released one of sh's blocks */
	assert_int_equal(s.live_blocks, 6);
	assert_int_equal(s.live_bytes, 5000);
	assert_int_equal(s.cut_ts, 990 * MS);
	assert_int_equal(s.first_drop_ts, 700 * MS);
	assert_int_equal(s.double_frees, 2);
	assert_int_equal(s.invalid_frees, 1);
	assert_int_equal(s.unreliable_errors, 2);
	assert_int_equal(s.pid_filter, 0);
	assert_int_equal(s.nprocs, 3);
	assert_int_equal(s.procs[0].id, 1);
	assert_string_equal(s.procs[0].exe, "/bin/sh");
	assert_int_equal(s.procs[0].start_ts, 0);
	assert_int_equal(s.procs[0].end_ts, 200 * MS);
	assert_process(&s.procs[0], 100, 1, "exec", -1, 3, 3, 0, 0, 0);
	assert_string_equal(s.procs[1].command, "./prog");
	assert_process(&s.procs[1], 100, 1, "exited", 0, 14, 10, 4, 4000, 1);
	assert_process(&s.procs[2], 101, 100, "killed", 134, 5, 3, 2, 1000, 2);
	assert_int_equal(s.nnotices, 2);
	assert_int_equal(s.notices[0].pid, 101);
	assert_string_equal(s.notices[0].kind, "go_heap");
	assert_true(!strncmp(s.notices[0].message, "a Go program: ", 14));
	assert_int_equal(s.notices[1].pid, 0);
	assert_string_equal(s.notices[1].kind, "no_allocator");
	assert_int_equal(s.events.n, 3);
	assert_string_equal(s.events.v[0].kind, "alloc");
	assert_string_equal(s.events.v[2].kind, "stack");
	assert_int_equal(s.events.emitted, 49);
	assert_int_equal(s.events.dropped, 1);
	assert_int_equal(s.events.received, 49);
	assert_int_equal(s.events.stored, 46);
	assert_int_equal(s.events.after_cut, 3);
	assert_true(s.events.accounted);
	an_summary_free(&s);
	done(r);
}

static void test_not_accounted(void **state)
{
	struct store_reader *r = make_recording(0);
	struct an_summary s;
	(void)state;

	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.events.stored, 45);
	assert_false(s.events.accounted);
	an_summary_free(&s);
	done(r);
}

/* Nothing written yet (a recording that runs): no counts, so nothing is vouched for. */
static void test_no_event_counts(void **state)
{
	struct store_recording rec = { .pid = 7, .mode = "attach", .command = "x" };
	struct store_reader *r;
	struct an_summary s;
	struct store *st;
	char err[256];
	(void)state;

	snprintf(path, sizeof(path), "/tmp/hs-processes-%d.db", (int)getpid());
	assert_int_equal(store_create(path, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin_recording(st, &rec), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_reader_open(path, &r, err, sizeof(err)), 0);
	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.events.n, 0);
	assert_false(s.events.accounted);
	assert_int_equal(s.nprocs, 0);
	assert_int_equal(s.cut_ts, -1);
	assert_int_equal(s.first_drop_ts, -1);
	assert_null(s.end_reason);
	an_summary_free(&s);
	/* Without processes rows the recording is its own pid, and no other. */
	assert_int_equal(store_reader_set_pid(r, 7), 0);
	assert_int_equal(store_reader_set_pid(r, 8), -ENOENT);
	store_reader_close(r);
	assert_int_equal(store_close(st), 0);
	unlink(path);
}

static void test_pid_summary(void **state)
{
	struct store_reader *r = make_recording(1);
	struct an_summary s;
	(void)state;

	assert_int_equal(store_reader_set_pid(r, 999), -ENOENT);
	assert_int_equal(store_reader_set_pid(r, -1), -EINVAL);
	assert_int_equal(store_reader_set_pid(r, 100), 0);
	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.pid_filter, 100);
	assert_int_equal(s.pid, 100); /* the recording's target, as ever */
	assert_int_equal(s.allocs, 17);
	assert_int_equal(s.frees, 13);
	assert_int_equal(s.alloc_bytes, 192 + 1000 + 4000);
	assert_int_equal(s.live_blocks, 4);
	assert_int_equal(s.live_bytes, 4000);
	assert_int_equal(s.peak_bytes, 4000); /* its own: all four of parent_leak's blocks */
	assert_int_equal(s.peak_ts, 600 * MS);
	assert_int_equal(s.double_frees, 1);
	assert_int_equal(s.invalid_frees, 0);
	assert_int_equal(s.unreliable_errors, 0);
	assert_int_equal(s.nprocs, 2);
	assert_int_equal(s.procs[1].id, 2);
	assert_int_equal(s.nnotices, 1); /* the recording-wide one */
	assert_string_equal(s.notices[0].kind, "no_allocator");
	assert_int_equal(s.stacks.sites, 3);
	assert_int_equal(s.stacks.allocs, 17);
	assert_int_equal(s.events.emitted, 49); /* recording-wide */
	an_summary_free(&s);

	assert_int_equal(store_reader_set_pid(r, 101), 0);
	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.allocs, 5);
	assert_int_equal(s.live_bytes, 1000);
	assert_int_equal(s.peak_bytes, 1500); /* three blocks of 500 B before 345 ms */
	assert_int_equal(s.peak_ts, 340 * MS);
	assert_int_equal(s.unreliable_errors, 2);
	assert_int_equal(s.nnotices, 2);
	an_summary_free(&s);

	assert_int_equal(store_reader_set_pid(r, 0), 0); /* the whole recording again */
	assert_int_equal(an_summary(r, &s), 0);
	assert_int_equal(s.allocs, 22);
	assert_int_equal(s.peak_bytes, 5500); /* the recorder's */
	an_summary_free(&s);
	done(r);
}

static void test_pid_sites_leaks(void **state)
{
	struct store_reader *r = make_recording(1);
	struct an_sites_query q = { .group = AN_BY_STACK };
	struct an_sites sites;
	struct an_leaks leaks;
	struct an_hist h;
	(void)state;

	assert_int_equal(store_reader_set_pid(r, 100), 0);
	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.total, 3);
	assert_int_equal(sites.v[0].site, 2); /* 4000 B */
	assert_int_equal(sites.v[1].site, 3);
	assert_int_equal(sites.v[2].site, 1);
	an_sites_free(&sites);
	q.site = 4; /* pid 101's */
	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.n, 0);
	an_sites_free(&sites);
	assert_int_equal(an_leaks(r, 0, 0, &leaks), 0);
	assert_int_equal(leaks.n, 1);
	assert_int_equal(leaks.v[0].site, 2);
	assert_string_equal(leaks.v[0].stack.frames[0].function, "parent_leak");
	an_leaks_free(&leaks);
	assert_int_equal(an_lifetimes(r, 0, &h), 0);
	assert_int_equal(h.live, 4);
	assert_int_equal(h.b[10].count, 13);

	assert_int_equal(store_reader_set_pid(r, 101), 0);
	q.site = 0;
	assert_int_equal(an_sites(r, &q, &sites), 0);
	assert_int_equal(sites.total, 1);
	assert_int_equal(sites.v[0].site, 4);
	assert_int_equal(sites.v[0].allocs, 5);
	an_sites_free(&sites);
	/* With a minimum age, leaks come from the allocation rows: by allocations.pid. */
	assert_int_equal(an_leaks(r, 400 * MS, 0, &leaks), 0);
	assert_int_equal(leaks.n, 1);
	assert_int_equal(leaks.v[0].site, 4);
	assert_int_equal(leaks.v[0].blocks, 1); /* the 350 ms one; not the 700 ms one */
	an_leaks_free(&leaks);
	assert_int_equal(an_sizes(r, 0, &h), 0);
	assert_int_equal(h.n, 10);
	assert_int_equal(h.b[9].count, 5); /* [256, 512): 500 */
	done(r);
}

static void test_pid_errors_timeline(void **state)
{
	struct store_reader *r = make_recording(1);
	struct an_timeline t;
	struct an_errors e;
	(void)state;

	assert_int_equal(an_errors(r, &e), 0);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.v[0].pid, 100);
	assert_false(e.v[0].unreliable);
	assert_true(e.v[1].unreliable); /* 750 ms, after the drop at 700 ms */
	assert_true(e.v[2].unreliable);
	an_errors_free(&e);

	assert_int_equal(store_reader_set_pid(r, 101), 0);
	assert_int_equal(an_errors(r, &e), 0);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.v[0].kind, "invalid_free");
	assert_int_equal(e.v[1].pid, 101);
	assert_string_equal(e.v[1].stack.frames[0].function, "child_free");
	an_errors_free(&e);

	/* The whole recording's: the recorder's samples, two to an interval. The live state is the
	 * interval's last sample's (an even number of samples once left it unmarked). */
	assert_int_equal(store_reader_set_pid(r, 0), 0);
	assert_int_equal(an_timeline(r, 0, 100 * MS, 500 * MS, 200 * MS, &t), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.v[0].ts, 300 * MS);
	assert_int_equal(t.v[0].allocs, 11);
	assert_int_equal(t.v[0].frees, 11);
	assert_int_equal(t.v[0].live_blocks, 1);
	assert_int_equal(t.v[0].live_bytes, 1000);
	assert_int_equal(t.v[1].allocs, 6);
	assert_int_equal(t.v[1].live_blocks, 4);
	assert_int_equal(t.v[1].live_bytes, 3500);
	an_timeline_free(&t);

	/* One process's timeline, from its allocations: 100 ms intervals. */
	assert_int_equal(store_reader_set_pid(r, 101), 0);
	assert_int_equal(an_timeline(r, 0, 0, 0, 100 * MS, &t), 0);
	assert_int_equal(t.n, 10);
	assert_int_equal(t.v[3].allocs, 4); /* 320, 330, 340, 350 ms */
	assert_int_equal(t.v[3].frees, 3);
	assert_int_equal(t.v[3].live_bytes, 500);
	assert_int_equal(t.v[9].live_blocks, 2);
	assert_int_equal(t.v[9].live_bytes, 1000);
	an_timeline_free(&t);
	done(r);
}

static char *render_json_summary(struct store_reader *r)
{
	struct json *j = json_new_buffer(0);
	struct an_summary s;
	char *text;

	assert_int_equal(an_summary(r, &s), 0);
	report_json_summary(j, &s);
	text = json_take_buffer(j, NULL);
	assert_int_equal(json_free(j), 0);
	an_summary_free(&s);
	return text;
}

static void assert_has(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in:\n%s", part, text);
}

static void test_json(void **state)
{
	struct store_reader *r = make_recording(1);
	struct json *j = json_new_buffer(0);
	struct an_errors e;
	char *text = render_json_summary(r);
	(void)state;

	assert_has(text, "\"pid_filter\":null,\"cut_ts\":990000000,\"first_drop_ts\":700000000,"
			 "\"unreliable_errors\":2,\"events\":{\"emitted\":49,\"dropped\":1,"
			 "\"received\":49,\"stored\":46,\"after_cut\":3,\"accounted\":true,"
			 "\"kinds\":[{\"kind\":\"alloc\",\"emitted\":23,");
	assert_has(text, "\"processes\":[{\"id\":1,\"pid\":100,\"ppid\":1,\"exe\":\"/bin/sh\","
			 "\"command\":\"sh -c ./prog\",\"allocator\":\"/lib/libc.so.6\","
			 "\"start_ts\":0,\"end_ts\":200000000,\"end_reason\":\"exec\","
			 "\"exit_status\":null,\"allocs\":3,\"frees\":3,\"live_blocks\":0,"
			 "\"live_bytes\":0,\"errors\":0}");
	assert_has(text, "\"notices\":[{\"pid\":101,\"kind\":\"go_heap\",\"message\":\"a Go");
	assert_has(text, "{\"pid\":null,\"kind\":\"no_allocator\"");
	free(text);

	assert_int_equal(an_errors(r, &e), 0);
	report_json_errors(j, &e);
	text = json_take_buffer(j, NULL);
	assert_has(text, "\"tid\":100,\"pid\":100,\"unreliable\":false,");
	assert_has(text, "\"tid\":101,\"pid\":101,\"unreliable\":true,");
	free(text);
	an_errors_free(&e);
	json_free(j);

	assert_int_equal(store_reader_set_pid(r, 101), 0);
	text = render_json_summary(r);
	assert_has(text, "\"pid_filter\":101,");
	assert_has(text, "\"processes\":[{\"id\":3,\"pid\":101,\"ppid\":100,");
	free(text);
	done(r);
}

/* The report's text and CSV of views loaded the way `report` does. */
static char *render(struct store_reader *r, unsigned views, int csv)
{
	struct report_data d = { .views = views };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(an_summary(r, &d.summary), 0);
	assert_int_equal(an_errors(r, &d.errors), 0);
	assert_int_equal(csv ? report_csv(f, &d) : report_text(f, &d), 0);
	fclose(f);
	an_summary_free(&d.summary);
	an_errors_free(&d.errors);
	return text;
}

static void test_text_and_csv(void **state)
{
	struct store_reader *r = make_recording(1);
	char *text = render(r, VIEW_SUMMARY | VIEW_ERRORS, 0);
	(void)state;

	assert_has(text, "\n  events        49 emitted = 46 stored + 3 after the cut; 1 dropped"
			 " (accounted)\n");
	assert_has(text, "\n  notice: pid 101: a Go program: its heap");
	assert_has(text, "\n  notice: pid 102 (true): no allocator to probe\n");
	assert_has(text, "  errors        2 double frees, 1 invalid frees  (2 after events were"
			 " lost: may be spurious)\n");
	assert_has(text, "\n== Processes (3 program images)\n");
	assert_has(text, "exec");
	assert_has(text, "./prog --child\n");
	assert_has(text, "\n== Allocator misuse (2 of these came after events were lost and may"
			 " be spurious)\n");
	assert_has(text, "  invalid_free of 0x12345 by free (pid 101, thread 101)  [after events"
			 " were lost: may be spurious]\n");
	assert_null(strstr(strstr(text, "== Allocator misuse"), "(pid 100, thread 100)  ["));
	free(text);

	text = render(r, VIEW_SUMMARY | VIEW_ERRORS, 1);
	assert_has(text, "\n# processes\nid,pid,ppid,exe,command,start_ts,end_ts,end_reason,"
			 "exit_status,allocs,frees,live_blocks,live_bytes,errors\n"
			 "1,100,1,\"/bin/sh\",\"sh -c ./prog\",0,200000000,\"exec\",,3,3,0,0,0\n");
	assert_has(text, "3,101,100,\"/usr/bin/prog\",\"./prog --child\",300000000,800000000,"
			 "\"killed\",134,5,3,2,1000,2\n");
	assert_has(text, "kind,addr,ts,tid,func,function,file,line,pid,unreliable\n");
	assert_has(text, ",\"child_free\",\"prog.c\",50,101,1\n");
	assert_has(text, ",\"parent_free\",\"prog.c\",60,100,0\n");
	free(text);

	/* One process: no processes section, and the filter said. */
	assert_int_equal(store_reader_set_pid(r, 101), 0);
	text = render(r, VIEW_SUMMARY, 0);
	assert_null(strstr(text, "== Processes"));
	assert_has(text, "\n  only pid      101 (1 program image): the counts below are its own\n");
	free(text);
	done(r);

	r = make_recording(0);
	text = render(r, VIEW_SUMMARY, 0);
	assert_has(text, "\n  events        NOT accounted: 49 emitted, 49 received, 45 stored + 3"
			 " after the cut; 1 dropped; free 20 emitted, 20 received, 17 stored + 2"
			 " after the cut;\n");
	free(text);
	done(r);
}

/* `test_processes --write FILE` writes the recording and exits: the integration and browser
 * tests serve and report it, numbers known. */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write")) {
		write_recording(argv[2], 1);
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_processes),
		cmocka_unit_test(test_not_accounted),
		cmocka_unit_test(test_no_event_counts),
		cmocka_unit_test(test_pid_summary),
		cmocka_unit_test(test_pid_sites_leaks),
		cmocka_unit_test(test_pid_errors_timeline),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_text_and_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
