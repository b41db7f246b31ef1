/* Unit tests of the unwind tables' loader and of the agent's half of a deferred walk, on this
 * process: real BPF maps (mmapable arrays, as the recorder creates them), this process's
 * modules, and a copy of this thread's own stack; and of the frame step both sides share
 * (bpf/unwind_step.h), rule by rule on hand-made stacks. Needs root (BPF maps). */
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
#include "bpf/unwind_step.h"

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

/* Copies the stack raw and across frames, as the BPF side reads it: ASan would take memcpy's read
 * of the frames' redzones for an underflow. volatile keeps the loop from becoming memcpy. */
static __attribute__((no_sanitize_address)) void copy_stack(void *dst, uint64_t src, size_t n)
{
	const volatile char *s = (const volatile char *)(uintptr_t)src;
	char *d = dst;

	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

/* Built with a frame pointer so that it can find its own return address and CFA without
 * unwinding: the BPF walker's position at a probe, one frame up. */
static __attribute__((noinline, optimize("no-omit-frame-pointer"))) void capture(struct handover *h)
{
	uint64_t *rbp = __builtin_frame_address(0);

	h->frames[0] = rbp[1];
	h->depth = 1;
	h->sp = (uint64_t)(rbp + 2);
	h->fp = rbp[0];
	h->n = sizeof(h->copy);
	copy_stack(h->copy, h->sp, h->n);
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
	end = unwinder_finish_walk(f->u, f->sym, h->frames, &h->depth, 2, h->sp, h->fp, h->copy,
				   h->n);
	assert_int_equal(end, HS_END_DEPTH);
	assert_int_equal(h->depth, 2);
	h->depth = 1;
	end = unwinder_finish_walk(f->u, f->sym, h->frames, &h->depth, HS_MAX_FRAMES, h->sp, h->fp,
				   h->copy, 8);
	assert_int_equal(end, HS_END_READ_FAULT);
	assert_int_equal(h->depth, 1);
	free(h);
}

/* A hand-made stack: STACK_WORDS words from STACK_BASE, word i (at A(i)) holding W(i) unless a
 * case says otherwise. The step reads it as the agent does, through unwind_copy_read; the hooks
 * count what the step asked for. */
#define STACK_BASE 0x7ffc00001000ULL
#define STACK_WORDS 32
#define A(i) (STACK_BASE + 8 * (__u64)(i))
#define W(i) (0x401000ULL + (__u64)(i))
#define PC 0x400123ULL /* the return address into the frame being left: any */

struct hand_stack {
	struct unwind_copy copy;
	int reads, fp_frames;
};

static __always_inline long unwind_read_words(void *src, __u64 addr, __u64 *out, __u32 n)
{
	struct hand_stack *s = src;

	s->reads++;
	return unwind_copy_read(&s->copy, addr, out, n);
}

static __always_inline void unwind_fp_taken(void *src)
{
	((struct hand_stack *)src)->fp_frames++;
}

struct step_case {
	const char *name;
	struct hs_unwind_row row;
	int mapped;
	struct unwind_regs in;
	__u32 end;
	struct unwind_regs out; /* when the walk goes on (else: in, unchanged) */
	int reads;		/* calls of the read hook: a saved rbp in reach costs no second */
	int fp_frames;
};

#define ROW(kind, off, slot)                                                                       \
	{                                                                                          \
		.cfa_kind = (kind), .cfa_off = (off), .rbp_slot = (slot)                           \
	}
#define REGS(sp_, fp_)                                                                             \
	{                                                                                          \
		.pc = PC, .sp = (sp_), .fp = (fp_)                                                 \
	}
#define OUT(pc_, sp_, fp_)                                                                         \
	{                                                                                          \
		.pc = (pc_), .sp = (sp_), .fp = (fp_)                                              \
	}
#define GOES(name_, row_, mapped_, in_, out_, reads_, fp_frames_)                                  \
	{                                                                                          \
		.name = (name_), .row = row_, .mapped = (mapped_), .in = in_, .end = UNWIND_GO_ON, \
		.out = out_, .reads = (reads_), .fp_frames = (fp_frames_)                          \
	}
#define ENDS(name_, row_, mapped_, in_, end_, reads_, fp_frames_)                                  \
	{                                                                                          \
		.name = (name_), .row = row_, .mapped = (mapped_), .in = in_, .end = (end_),       \
		.reads = (reads_), .fp_frames = (fp_frames_)                                       \
	}

static const struct step_case step_cases[] = {
	/* CFA = rsp or rbp + offset, the return address just under it, rbp unchanged */
	GOES("rsp", ROW(HS_CFA_RSP, 24, 0), 1, REGS(A(0), 0x55), OUT(W(2), A(3), 0x55), 1, 0),
	GOES("rbp", ROW(HS_CFA_RBP, 16, 0), 1, REGS(A(0), A(4)), OUT(W(5), A(6), A(4)), 1, 0),
	/* push rbp; mov rbp, rsp: rbp saved just under the return address, both in one read */
	GOES("rbp slot -2", ROW(HS_CFA_RBP, 16, -2), 1, REGS(A(0), A(4)), OUT(W(5), A(6), W(4)), 1,
	     0),
	GOES("rbp slot -8, the reach", ROW(HS_CFA_RSP, 80, -8), 1, REGS(A(0), 0x55),
	     OUT(W(9), A(10), W(2)), 1, 0),
	/* out of reach: one read for the return address, one for rbp */
	GOES("rbp slot -9", ROW(HS_CFA_RSP, 96, -9), 1, REGS(A(0), 0x55), OUT(W(11), A(12), W(3)),
	     2, 0),
	GOES("rbp slot +1", ROW(HS_CFA_RSP, 24, 1), 1, REGS(A(0), 0x55), OUT(W(2), A(3), W(4)), 2,
	     0),
	ENDS("stop", ROW(HS_CFA_STOP, 0, 0), 1, REGS(A(0), A(4)), HS_END_COMPLETE, 0, 0),
	ENDS("unsupported", ROW(HS_CFA_UNSUPPORTED, 0, 0), 1, REGS(A(0), A(4)), HS_END_UNSUPPORTED,
	     0, 0),
	ENDS("unknown kind", ROW(9, 16, 0), 1, REGS(A(0), A(4)), HS_END_UNSUPPORTED, 0, 0),
	/* no row: by frame pointer, rbp pointing at the saved rbp and the return address */
	GOES("none, fp", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(0), A(2)), OUT(W(3), A(4), W(2)), 1, 1),
	GOES("none, fp, no mapping", ROW(HS_CFA_NONE, 0, 0), 0, REGS(A(0), A(2)),
	     OUT(W(3), A(4), W(2)), 1, 1),
	GOES("none, rsp = rbp", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(2), A(2)), OUT(W(3), A(4), W(2)),
	     1, 1),
	ENDS("none, rbp below rsp", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(4), A(2)), HS_END_NO_CFI, 0,
	     0),
	ENDS("none, rbp below rsp, no mapping", ROW(HS_CFA_NONE, 0, 0), 0, REGS(A(4), A(2)),
	     HS_END_NO_MAPPING, 0, 0),
	ENDS("none, rbp misaligned", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(0), A(2) + 4), HS_END_NO_CFI,
	     0, 0),
	/* an unreadable frame record means no frame pointer, not a read fault */
	ENDS("none, rbp unreadable", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(0), A(40)), HS_END_NO_CFI, 1,
	     0),
	ENDS("none, rbp unreadable, no mapping", ROW(HS_CFA_NONE, 0, 0), 0, REGS(A(0), A(40)),
	     HS_END_NO_MAPPING, 1, 0),
	/* word 6 holds 0 */
	ENDS("zero return address", ROW(HS_CFA_RSP, 56, 0), 1, REGS(A(0), 0x55), HS_END_BAD_FRAME,
	     1, 0),
	ENDS("none, zero return address", ROW(HS_CFA_NONE, 0, 0), 1, REGS(A(0), A(5)),
	     HS_END_BAD_FRAME, 1, 1),
	ENDS("cfa at sp", ROW(HS_CFA_RSP, 0, 0), 1, REGS(A(8), 0x55), HS_END_BAD_FRAME, 1, 0),
	ENDS("cfa below sp", ROW(HS_CFA_RBP, 16, -2), 1, REGS(A(8), A(2)), HS_END_BAD_FRAME, 1, 0),
	GOES("last word of the copy", ROW(HS_CFA_RSP, 8 * STACK_WORDS, 0), 1, REGS(A(0), 0x55),
	     OUT(W(31), A(32), 0x55), 1, 0),
	ENDS("read fault", ROW(HS_CFA_RSP, 8 * STACK_WORDS + 8, 0), 1, REGS(A(0), 0x55),
	     HS_END_READ_FAULT, 1, 0),
	ENDS("read fault, rbp in reach", ROW(HS_CFA_RSP, 16, -3), 1, REGS(A(0), 0x55),
	     HS_END_READ_FAULT, 1, 0),
	ENDS("read fault, rbp out of reach", ROW(HS_CFA_RSP, 24, -12), 1, REGS(A(0), 0x55),
	     HS_END_READ_FAULT, 2, 0),
};

/* Every rule of the step: where the CFA and the saved rbp are, one read for both when rbp is in
 * reach, the frame-pointer fallback and its ends, and the ends that stop a walk. */
static void test_step_rules(void **state)
{
	__u64 words[STACK_WORDS];

	(void)state;
	for (int i = 0; i < STACK_WORDS; i++)
		words[i] = W(i);
	words[6] = 0;
	for (size_t k = 0; k < sizeof(step_cases) / sizeof(step_cases[0]); k++) {
		const struct step_case *t = &step_cases[k];
		struct hand_stack s = { .copy = { STACK_BASE, (const uint8_t *)words,
						  sizeof(words) } };
		struct unwind_regs r = t->in, want = t->end == UNWIND_GO_ON ? t->out : t->in;
		__u32 end = unwind_step(&s, &t->row, t->mapped, &r);

		if (end != t->end || r.pc != want.pc || r.sp != want.sp || r.fp != want.fp ||
		    s.reads != t->reads || s.fp_frames != t->fp_frames)
			fail_msg("%s: end %u, pc %#llx sp %#llx fp %#llx, %d reads, %d by fp; want %u, "
				 "pc %#llx sp %#llx fp %#llx, %d reads, %d by fp",
				 t->name, end, r.pc, r.sp, r.fp, s.reads, s.fp_frames, t->end,
				 want.pc, want.sp, want.fp, t->reads, t->fp_frames);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sync_publishes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_walk, setup, teardown),
		cmocka_unit_test(test_step_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
