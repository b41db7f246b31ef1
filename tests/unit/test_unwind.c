/* Unit tests of the unwind tables' loader and of the agent's half of a deferred walk, on this
 * process: real BPF maps (mmapable arrays, as the recorder creates them), this process's
 * modules, and a copy of this thread's own stack. Needs root (BPF maps). */
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

#include <bpf/bpf.h>

#include "agent/symbolize.h"
#include "agent/unwind.h"
#include "bpf/abi.h"

#define ROWS_CAP (1U << 20)

struct fixture {
	int rows_fd, maps_fd;
	uint32_t live;
	struct symbolizer *sym;
	struct unwinder *u;
};

static int mmapable_array(uint32_t value_size, uint32_t entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);

	return bpf_map_create(BPF_MAP_TYPE_ARRAY, "unwind_test", sizeof(uint32_t), value_size,
			      entries, &opts);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->rows_fd = mmapable_array(sizeof(struct hs_unwind_row), ROWS_CAP);
	f->maps_fd = mmapable_array(sizeof(struct hs_mappings), 2);
	if (f->rows_fd < 0 || f->maps_fd < 0)
		fail_msg("cannot create BPF maps (%s): these tests need root", strerror(errno));
	assert_int_equal(sym_open(getpid(), &f->sym), 0);
	assert_int_equal(unwinder_new(f->rows_fd, ROWS_CAP, f->maps_fd, &f->live, 1, &f->u), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unwinder_free(f->u);
	sym_close(f->sym);
	close(f->rows_fd);
	close(f->maps_fd);
	free(f);
	return 0;
}

static const struct hs_mappings *published(struct fixture *f)
{
	static struct hs_mappings t;
	uint32_t slot = f->live & 1;

	assert_int_equal(bpf_map_lookup_elem(f->maps_fd, &slot, &t), 0);
	return &t;
}

/* Every code module of this process, sorted, each with its file's rows; the generation moves. */
static void test_sync_publishes(void **state)
{
	struct fixture *f = *state;
	const struct hs_mappings *t;
	struct unwind_stats st;
	uint64_t rows;
	int with_rows = 0;

	uint32_t gen;

	assert_int_equal(unwinder_sync(f->u, 0, f->sym), 0);
	assert_int_equal(f->live & 1, 1); /* the slot's second table */
	gen = f->live;
	t = published(f);
	assert_true(t->count >= 3); /* this test, libc, ld.so at least */
	for (uint32_t i = 0; i < t->count; i++) {
		assert_true(t->m[i].start < t->m[i].end);
		if (i)
			assert_true(t->m[i - 1].end <= t->m[i].start);
		with_rows += t->m[i].count > 0;
	}
	assert_true(with_rows >= 3);
	unwinder_get_stats(f->u, &st);
	assert_int_equal(st.mappings, (int)t->count);
	assert_true(st.rows > 10000 && st.rows <= ROWS_CAP);

	/* A second sync builds nothing again (rows shared by file) and flips the table. */
	assert_int_equal(unwinder_sync(f->u, 0, f->sym), 0);
	assert_int_equal(f->live & 1, 0);
	assert_true(f->live > gen); /* generations are never reused: cached rules go stale */
	assert_int_equal(unwinder_sync(f->u, 1, f->sym), -EINVAL); /* one slot only */
	rows = st.rows;
	unwinder_get_stats(f->u, &st);
	assert_int_equal(st.rows, rows);
}

/* What the BPF side hands over: a return address, the registers of its frame, and the stack. */
struct handover {
	uint64_t frames[HS_MAX_FRAMES];
	uint32_t depth;
	uint64_t sp, fp;
	uint8_t copy[HS_RAW_STACK_BYTES];
	size_t n;
};

/* Built with a frame pointer so that it can find its own return address and CFA without
 * unwinding: the BPF walker's position at a probe, one frame up. */
static __attribute__((noinline, optimize("no-omit-frame-pointer"))) void
capture(struct handover *h)
{
	uint64_t *rbp = __builtin_frame_address(0);

	h->frames[0] = rbp[1];
	h->depth = 1;
	h->sp = (uint64_t)(rbp + 2);
	h->fp = rbp[0];
	h->n = sizeof(h->copy);
	memcpy(h->copy, (void *)h->sp, h->n);
}

static __attribute__((noinline)) void level2(struct handover *h)
{
	volatile char pad[40];

	pad[0] = 1;
	capture(h);
	__asm__ volatile("" ::: "memory");
	(void)pad[0];
}

static __attribute__((noinline)) void level1(struct handover *h)
{
	volatile char pad[120];

	pad[0] = 1;
	level2(h);
	__asm__ volatile("" ::: "memory");
	(void)pad[0];
}

static const char *function_of(struct fixture *f, uint64_t addr)
{
	struct sym_info info;

	assert_int_equal(sym_lookup(f->sym, addr, &info), 0);
	return info.function ? info.function : "??";
}

/* A deferred walk finished on a copy of this thread's stack: level2 < level1 < this test < ...
 * < main, complete at _start. */
static void test_finish_walk(void **state)
{
	struct fixture *f = *state;
	struct handover *h = calloc(1, sizeof(*h));
	uint32_t end;
	int main_at = -1;

	assert_int_equal(unwinder_sync(f->u, 0, f->sym), 0);
	level1(h);
	end = unwinder_finish_walk(f->u, f->sym, h->frames, &h->depth, HS_MAX_FRAMES, h->sp, h->fp,
				   h->copy, h->n);
	assert_int_equal(end, HS_END_COMPLETE);
	assert_string_equal(function_of(f, h->frames[0]), "level2");
	assert_string_equal(function_of(f, h->frames[1]), "level1");
	assert_string_equal(function_of(f, h->frames[2]), "test_finish_walk");
	for (uint32_t i = 0; i < h->depth; i++)
		if (!strcmp(function_of(f, h->frames[i]), "main"))
			main_at = (int)i;
	assert_true(main_at > 2);
	assert_string_equal(function_of(f, h->frames[h->depth - 1]), "_start");

	/* The same walk with a frame limit, and with a copy too short to hold the next frame. */
	h->depth = 1;
	end = unwinder_finish_walk(f->u, f->sym, h->frames, &h->depth, 2, h->sp, h->fp, h->copy, h->n);
	assert_int_equal(end, HS_END_DEPTH);
	assert_int_equal(h->depth, 2);
	h->depth = 1;
	end = unwinder_finish_walk(f->u, f->sym, h->frames, &h->depth, HS_MAX_FRAMES, h->sp, h->fp,
				   h->copy, 8);
	assert_int_equal(end, HS_END_READ_FAULT);
	assert_int_equal(h->depth, 1);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_publishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_walk, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
