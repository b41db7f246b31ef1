/* xmalloc_wrap: allocation wrappers (xmalloc, xcalloc) called from three functions, for
 * --alloc-fn (the callers become the sites) and the detection of wrappers.
 *
 * No stdio: every malloc-family call in the process is one of these (launch mode).
 *
 *   caller  call site  calls                                   allocs  bytes  freed  live
 *   use_a   A1         5 x xmalloc(100 + i % 2) (two paths)    5       502    0      5
 *   use_a   A2         2 x xmalloc(120)                        2       240    2      0
 *   use_a   A3         1 x xcalloc(1, 50)                      1       50     0      1
 *   use_b   B1         4 x xmalloc(200)                        4       800    4      0
 *   use_b   B2         1 x xmalloc(210)                        1       210    0      1
 *   use_b   B3         2 x xcalloc(2, 30)                      2       120    0      2
 *   use_c   C1         3 x xmalloc(300)                        3       900    0      3
 *   use_c   C2         1 x xmalloc(310)                        1       310    1      0
 *   use_c   C3         3 x xcalloc(3, 10)                      3       90     0      3
 *   main    M1         2 x malloc(64) + free                   2       128    2      0
 *   total                                                      24      3350   9      15
 *
 * xmalloc calls malloc from two places (odd and even sizes), so A1 is two recorded stacks that
 * are one site once xmalloc is a wrapper. xmalloc is called from 6 call sites (a wrapper by the
 * detection's threshold of 5), xcalloc from 3 (not one). Raw sites: xmalloc 7 stacks (16 allocs),
 * xcalloc 3 (6), main 1 (2). The markers A1... in comments are read by the test for line numbers.
 */
#include "progs.h"

static NOINLINE void *xmalloc(size_t n)
{
	void *p;

	if (n % 2) {
		p = malloc(opaque_size(n));
		NO_TAIL_CALL();
	} else {
		p = malloc(n);
	}
	if (!p)
		abort();
	return p;
}

static NOINLINE void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort();
	return p;
}

static void *keep[32];
static int nkeep;

static NOINLINE void use_a(void)
{
	void *t[2];

	for (size_t i = 0; i < opaque_size(5); i++)
		keep[nkeep++] = xmalloc(100 + i % 2); /* A1 */
	for (size_t i = 0; i < opaque_size(2); i++)
		t[i] = xmalloc(120); /* A2 */
	keep[nkeep++] = xcalloc(1, 50); /* A3 */
	free(t[0]);
	free(t[1]);
}

static NOINLINE void use_b(void)
{
	for (size_t i = 0; i < opaque_size(4); i++)
		free(xmalloc(200)); /* B1 */
	keep[nkeep++] = xmalloc(210); /* B2 */
	for (size_t i = 0; i < opaque_size(2); i++)
		keep[nkeep++] = xcalloc(2, 30); /* B3 */
}

static NOINLINE void use_c(void)
{
	for (size_t i = 0; i < opaque_size(3); i++)
		keep[nkeep++] = xmalloc(300); /* C1 */
	free(xmalloc(310)); /* C2 */
	for (size_t i = 0; i < opaque_size(3); i++)
		keep[nkeep++] = xcalloc(3, 10); /* C3 */
}

int main(void)
{
	say("pid %d\n", (int)getpid());
	use_a();
	use_b();
	use_c();
	for (size_t i = 0; i < opaque_size(2); i++)
		free(launder(malloc(64))); /* M1 */
	for (int i = 0; i < nkeep; i++)
		sink(keep[i]);
	return 0;
}
