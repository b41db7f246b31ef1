/* libfponly.so: frame pointers but no unwind tables at all (built without -g and with
 * -fno-asynchronous-unwind-tables), so the unwinder must fall back to the frame-pointer chain
 * here and return to the tables in its caller: fp_entry -> fp_inner -> malloc (see nofp_chain). */
#include "progs.h"

static NOINLINE void *fp_inner(size_t n)
{
	void *p = malloc(n);

	sink(p);
	return p;
}

void *fp_entry(size_t n)
{
	void *p = fp_inner(n);

	NO_TAIL_CALL();
	return p;
}
