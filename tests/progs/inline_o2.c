/* Inlined allocation helpers at -O2 (built by mk/progs.mk): an always_inline chain raw_alloc <
 * xalloc called from two functions; leaks 3001 B from make_a and 3002 B from make_b. */
#include "progs.h"

static inline __attribute__((always_inline)) void *raw_alloc(size_t n)
{
	void *p = malloc(n); /* site: raw_alloc */
	sink(p);
	return p;
}

static inline __attribute__((always_inline)) void *xalloc(size_t n)
{
	void *p = raw_alloc(n); /* site: xalloc */
	if (!p)
		abort();
	return p;
}

NOINLINE void *make_a(void)
{
	void *p = xalloc(opaque_size(3001)); /* site: make_a */
	NO_TAIL_CALL();
	return p;
}

NOINLINE void *make_b(void)
{
	void *p = xalloc(opaque_size(3002)); /* site: make_b */
	NO_TAIL_CALL();
	return p;
}

int main(void)
{
	sink(make_a());
	sink(make_b());
	return 0;
}
