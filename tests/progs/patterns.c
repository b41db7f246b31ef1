/* patterns: one site for each allocator pattern the advice looks for, and one with none.
 *
 * usage: patterns   (exits 0)
 *   function        pattern        what it does
 *   pool_site       pool           20000 x malloc(48) freed right away (one size, high rate,
 *                                  short lifetimes)
 *   arena_node      arena          4 rounds: 2000 x malloc(40) kept, then all freed at once
 *   arena_leaf                     (with arena_node: the same bursts, from two sites)
 *   churn_grow      realloc_churn  a buffer grown by 16 bytes, 600 times (a chain of 600)
 *   batch_item      batching       5000 x malloc(16) in a tight loop, all kept, then freed 50
 *                                  at a time 2 ms apart (no burst)
 *   plain_site      (none)         200 x malloc(4096) each freed after the next (no pattern)
 * Advice expected: pool at pool_site, arena at arena_node and arena_leaf, realloc_churn at
 * churn_grow, batching at batch_item; nothing at plain_site. Errors: none; nothing leaked.
 */
#include "progs.h"

static NOINLINE void pool_site(void)
{
	for (int i = 0; i < 20000; i++) {
		void *p = malloc(48);

		sink(p);
		free(p);
	}
}

static NOINLINE void *arena_node(void)
{
	return malloc(40);
}

static NOINLINE void *arena_leaf(void)
{
	return malloc(24);
}

static void arena_rounds(void)
{
	static void *blocks[2000];

	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 2000; i++)
			blocks[i] = i % 2 ? arena_leaf() : arena_node();
		for (int i = 0; i < 2000; i++)
			free(blocks[i]);
	}
}

static NOINLINE void churn_grow(void)
{
	char *buf = NULL;

	for (int i = 1; i <= 600; i++) {
		buf = realloc(buf, 16 * (size_t)i);
		sink(buf);
	}
	free(buf);
}

static NOINLINE void *batch_item(void)
{
	return malloc(16);
}

static void batches(void)
{
	static void *items[5000];

	for (int i = 0; i < 5000; i++)
		items[i] = batch_item();
	for (int i = 0; i < 5000; i++) {
		free(items[i]);
		if (i % 50 == 49)
			usleep(2000);
	}
}

static NOINLINE void plain_site(void)
{
	void *prev = NULL;

	for (int i = 0; i < 200; i++) {
		void *p = malloc(4096);

		sink(p);
		free(prev);
		prev = p;
		usleep(100);
	}
	free(prev);
}

int main(void)
{
	say("pid %d\n", (int)getpid());
	pool_site();
	arena_rounds();
	churn_grow();
	batches();
	plain_site();
	return 0;
}
