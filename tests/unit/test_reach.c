/* Unit tests of the reachability classification (agent/reach.c reach_classify) on synthetic
 * blocks and roots: memcheck's four verdicts, cliques, interior pointers, an empty block, an
 * unreadable one, and a long list through the address index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <cmocka.h>

#include "agent/reach.h"

/* A fake address space: block i's contents are words[i] (NULL: unreadable). */
struct space {
	struct reach_block *b;
	size_t n;
	uint64_t **words;
	int reads;
};

static ssize_t fake_read(void *ctx, const struct iovec *remote, int n, void *buf, size_t len)
{
	struct space *sp = ctx;
	size_t done = 0;

	sp->reads++;
	for (int k = 0; k < n; k++) {
		uint64_t a = (uint64_t)(uintptr_t)remote[k].iov_base;
		size_t i = 0;

		while (i < sp->n && !(a >= sp->b[i].addr && a < sp->b[i].addr + sp->b[i].size))
			i++;
		if (i == sp->n || !sp->words[i] || done + remote[k].iov_len > len)
			return (ssize_t)done; /* a fault: short */
		memcpy((char *)buf + done, (char *)sp->words[i] + (a - sp->b[i].addr),
		       remote[k].iov_len);
		done += remote[k].iov_len;
	}
	return (ssize_t)done;
}

/* The same over sorted blocks, by binary search (the long list). */
static ssize_t fake_read_sorted(void *ctx, const struct iovec *remote, int n, void *buf,
				size_t len)
{
	struct space *sp = ctx;
	size_t done = 0;

	sp->reads++;
	for (int k = 0; k < n; k++) {
		uint64_t a = (uint64_t)(uintptr_t)remote[k].iov_base;
		size_t lo = 0, hi = sp->n;

		while (lo + 1 < hi) {
			size_t mid = (lo + hi) / 2;

			if (sp->b[mid].addr <= a)
				lo = mid;
			else
				hi = mid;
		}
		if (done + remote[k].iov_len > len || a - sp->b[lo].addr + remote[k].iov_len >
							      sp->b[lo].size)
			return (ssize_t)done;
		memcpy((char *)buf + done, (char *)sp->words[lo] + (a - sp->b[lo].addr),
		       remote[k].iov_len);
		done += remote[k].iov_len;
	}
	return (ssize_t)done;
}

enum { A, B, C, D, E, F, G, H, I, Z, J, K, NB };

static void test_verdicts(void **state)
{
	static const uint64_t base = 0x100000;
	struct reach_block b[NB];
	uint64_t w[NB][8] = { { 0 } }, *words[NB];
	struct space sp = { b, NB, words, 0 };
	struct reach_mem mem = { fake_read, &sp };
	struct reach_stats st = { 0 };
	static const uint64_t size[NB] = { 64, 32, 48, 32, 40, 24, 16, 16, 16, 0, 32, 16 };
	(void)state;

	for (int i = 0; i < NB; i++) {
		b[i] = (struct reach_block){ .addr = base + 0x100 * (uint64_t)i, .size = size[i],
					     .key = (uint64_t)i };
		words[i] = w[i];
	}
	w[A][3] = b[B].addr;	 /* A (root start pointer) -> B: both reachable */
	w[C][0] = b[D].addr;	 /* C only by an interior root pointer: C and D possibly lost */
	w[E][1] = b[F].addr + 8; /* E lost, F (interior pointer) and G its clique: indirect */
	w[F][2] = b[G].addr;
	w[H][0] = b[I].addr; /* a cycle without a root: H (lower address) leads, I indirect */
	w[I][0] = b[H].addr;
	w[J][0] = b[K].addr; /* J reachable but unreadable: K, behind it, is definitely lost */
	words[J] = NULL;
	uint64_t roots[] = { 7, b[A].addr, b[C].addr + 16, b[Z].addr, b[J].addr, b[E].addr + 4096,
			     0xdeadbeef, base - 8 };

	assert_int_equal(reach_classify(b, NB, roots, sizeof(roots) / 8, &mem, &st), 0);
	assert_int_equal(b[A].kind, REACH_REACHABLE);
	assert_int_equal(b[B].kind, REACH_REACHABLE);
	assert_int_equal(b[Z].kind, REACH_REACHABLE);
	assert_int_equal(b[J].kind, REACH_REACHABLE);
	assert_int_equal(b[C].kind, REACH_POSSIBLE);
	assert_int_equal(b[D].kind, REACH_POSSIBLE);
	assert_int_equal(b[E].kind, REACH_DEFINITE);
	assert_int_equal(b[F].kind, REACH_INDIRECT);
	assert_int_equal(b[G].kind, REACH_INDIRECT);
	assert_int_equal(b[H].kind, REACH_DEFINITE);
	assert_int_equal(b[I].kind, REACH_INDIRECT);
	assert_int_equal(b[K].kind, REACH_DEFINITE);
	assert_int_equal(st.blocks[REACH_DEFINITE], 3);
	assert_int_equal(st.bytes[REACH_DEFINITE], 40 + 16 + 16);
	assert_int_equal(st.blocks[REACH_INDIRECT], 3);
	assert_int_equal(st.blocks[REACH_POSSIBLE], 2);
	assert_int_equal(st.blocks[REACH_REACHABLE], 4);
	assert_int_equal(st.bytes[REACH_REACHABLE], 64 + 32 + 0 + 32);
	assert_int_equal(st.unreadable, 1);
}

/* A start pointer reached through a possibly-lost block does not make its target reachable. */
static void test_no_roots(void **state)
{
	struct reach_block b[2] = { { 0x1000, 16, 0, 0 }, { 0x2000, 16, 1, 0 } };
	uint64_t w0[2] = { 0x2000, 0 }, w1[2] = { 0 }, *words[2] = { w0, w1 };
	struct space sp = { b, 2, words, 0 };
	struct reach_mem mem = { fake_read, &sp };
	struct reach_stats st = { 0 };
	(void)state;

	assert_int_equal(reach_classify(b, 2, NULL, 0, &mem, &st), 0);
	assert_int_equal(b[0].kind, REACH_DEFINITE);
	assert_int_equal(b[1].kind, REACH_INDIRECT);
	assert_int_equal(reach_classify(NULL, 0, NULL, 0, &mem, &st), 0);
}

/* 100000 blocks spread unevenly (the bucket index), one list from a root through every other
 * block: those reachable, the rest lost, each on its own. */
static void test_long_list(void **state)
{
	enum { N = 100000 };
	struct reach_block *b = calloc(N, sizeof(*b));
	uint64_t *w = calloc(N, 2 * sizeof(uint64_t)), **words = calloc(N, sizeof(*words));
	struct reach_stats st = { 0 };
	uint64_t addr = 0x7f0000000000ULL, root;
	(void)state;

	assert_non_null(b);
	assert_non_null(w);
	assert_non_null(words);
	for (size_t i = 0; i < N; i++) {
		b[i] = (struct reach_block){ addr, 16, i, 0 };
		words[i] = &w[2 * i];
		addr += 16 + (i % 7 == 0 ? 1 << 20 : 16 * (i % 5));
	}
	for (size_t i = 0; i + 2 < N; i += 2)
		w[2 * i + 1] = b[i + 2].addr; /* even blocks: a list */
	root = b[0].addr;
	struct space sp = { b, N, words, 0 };
	struct reach_mem mem = { fake_read_sorted, &sp };

	assert_int_equal(reach_classify(b, N, &root, 1, &mem, &st), 0);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(b[i].kind, i % 2 ? REACH_DEFINITE : REACH_REACHABLE);
	assert_int_equal(st.blocks[REACH_REACHABLE], N / 2);
	assert_int_equal(st.blocks[REACH_DEFINITE], N / 2);
	assert_true(sp.reads <= N); /* a list is read a block at a time: nothing to batch */
	free(b);
	free(w);
	free(words);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_no_roots),
		cmocka_unit_test(test_long_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
