/* double_free: frees one block twice in a row from two named functions; glibc aborts.
 *
 * usage: double_free   (no stdio, only "pid <pid>\n" through write(2))
 * glibc's tcache sees the second free (the block is in the tcache bin) and aborts with
 * "free(): double free detected in tcache 2": the process dies of SIGABRT (status 134).
 *
 *   function     call                       row / event
 *   good_pairs   5 x malloc(24) + free      5 rows, freed by free: correct use, no errors
 *   make_victim  malloc(48)                 1 row, 48 B, freed by first_free (free_func free)
 *   first_free   free(p)                    the free of that row
 *   second_free  free(p) again              errors: 1 row, kind double_free, addr = p,
 *                                           innermost frame second_free; the block's row
 *                                           (alloc_id) and the first free (prev_free_site:
 *                                           first_free) when known
 * Totals: 6 rows, 6 freed, 0 live; errors: exactly 1. Exit status 134.
 */
#include "progs.h"

static NOINLINE void good_pairs(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = malloc(24);
		sink(p);
		free(p);
	}
}

static NOINLINE void *make_victim(void)
{
	void *p = malloc(48);

	sink(p);
	return p;
}

static NOINLINE void first_free(void *p)
{
	free(p);
	NO_TAIL_CALL();
}

static NOINLINE void second_free(void *p)
{
	free(p);
	NO_TAIL_CALL();
}

int main(void)
{
	void *p;

	say("pid %d\n", (int)getpid());
	good_pairs();
	p = make_victim();
	first_free(p);
	second_free(p);
	say("not aborted\n");
	return 0;
}
