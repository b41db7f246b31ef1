/* interior_free: frees a pointer into the middle of a live block from a named function.
 *
 * usage: interior_free   (no stdio, only "pid <pid>\n" through write(2))
 * The block is zeroed first, so the "chunk header" glibc reads at p + 16 - 16 has size 0, and
 * glibc 2.36 aborts with "free(): invalid pointer": the process dies of SIGABRT (status 134).
 *
 *   function     call              row / event
 *   good_pairs   3 x malloc(24)+free  3 rows, freed: correct use, no errors
 *   make_block   malloc(64)        1 row, 64 B, still live at the end (never really freed)
 *   bad_free     free(p + 16)      errors: 1 row, kind invalid_free, addr = p + 16,
 *                                  innermost frame bad_free; alloc_id = make_block's row if set
 * Totals: 4 rows, 3 freed, 1 live (64 B); errors: exactly 1. Exit status 134.
 */
#include "progs.h"

static NOINLINE void good_pairs(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = malloc(24);
		sink(p);
		free(p);
	}
}

static NOINLINE char *make_block(void)
{
	char *p = malloc(64);

	memset(p, 0, 64);
	sink(p);
	return p;
}

static NOINLINE void bad_free(char *p)
{
	free(launder(p + 16));
	NO_TAIL_CALL();
}

int main(void)
{
	char *p;

	say("pid %d\n", (int)getpid());
	good_pairs();
	p = make_block();
	bad_free(p);
	say("not aborted\n");
	return 0;
}
