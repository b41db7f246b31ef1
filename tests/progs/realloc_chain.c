/* realloc_chain: every realloc/reallocarray case, with failed calls that must leave no trace.
 *
 * usage: realloc_chain   (exits 0; no stdio, only "pid <pid>\n" through write(2))
 * Rows in allocation order (id = order among this program's rows, which are all its rows):
 *
 *   #  function      call                         func          size     ended by
 *   1  grow_shrink   calloc(10, 10)               calloc        100      realloc (row 2)
 *   2  grow_shrink   realloc(p, 1000)  grow       realloc       1000     realloc (row 3)
 *   3  grow_shrink   realloc(p, 500)   shrink     realloc       500      - live at exit
 *   4  null_zero     realloc(NULL, 300)           realloc       300      realloc(q, 0)
 *   5  array_steps   reallocarray(NULL, 20, 8)    reallocarray  160      reallocarray (row 6)
 *   6  array_steps   reallocarray(s, 40, 8)       reallocarray  320      free
 *   7  move_big      malloc(100)                  malloc        100      realloc (row 8)
 *   8  move_big      realloc(m, 1 MiB)  moves     realloc       1048576  realloc (row 9)
 *   9  move_big      realloc(m, 2 MiB)  (mmapped) realloc       2097152  free
 *  10  zero_size     malloc(0)                    malloc        0        free
 *
 * failures() makes calls that fail and must record nothing: malloc(2^63), calloc(2^62, 4),
 * realloc(row 3, 2^63) (row 3 stays live: a failed realloc frees nothing), reallocarray(row 3,
 * 2^62, 4) (overflow). realloc(q, 0) frees q and returns NULL: a free, no new row.
 * Totals: 10 rows, 9 freed, 1 live block of 500 B (row 3, function grow_shrink).
 * funcs: malloc 2, calloc 1, realloc 5, reallocarray 2.
 * free_func: realloc 5 (rows 1, 2, 4, 7, 8), reallocarray 1 (row 5), free 3 (rows 6, 9, 10).
 * Errors: none.
 */
#include <stdint.h>

#include "progs.h"

static NOINLINE void *grow_shrink(void)
{
	char *p = calloc(10, 10);

	sink(p);
	p = realloc(p, 1000);
	sink(p);
	p = realloc(p, 500);
	sink(p);
	return p;
}

static NOINLINE void failures(void *live)
{
	size_t huge = opaque_size((size_t)1 << 63), big = opaque_size((size_t)1 << 62);

	sink(malloc(huge));
	sink(calloc(big, 4));
	if (realloc(live, huge) != NULL)
		_exit(90);
	if (reallocarray(live, big, 4) != NULL)
		_exit(91);
}

static NOINLINE void null_zero(void)
{
	/* launder: GCC turns a literal realloc(NULL, n) into malloc(n). */
	void *q = realloc(launder(NULL), 300);

	sink(q);
	q = realloc(q, opaque_size(0));
	if (q != NULL)
		_exit(92); /* glibc frees and returns NULL */
}

static NOINLINE void array_steps(void)
{
	void *s = reallocarray(NULL, 20, 8);

	sink(s);
	s = reallocarray(s, 40, 8);
	sink(s);
	free(s);
}

static NOINLINE void move_big(void)
{
	void *m = malloc(100);

	sink(m);
	m = realloc(m, 1 << 20);
	sink(m);
	m = realloc(m, 2 << 20);
	sink(m);
	free(m);
}

static NOINLINE void zero_size(void)
{
	void *z = malloc(opaque_size(0));

	sink(z);
	free(z);
}

int main(void)
{
	void *p;

	say("pid %d\n", (int)getpid());
	p = grow_shrink();
	failures(p);
	null_zero();
	array_steps();
	move_big();
	zero_size();
	sink(p);
	return 0;
}
