/* libstripped: stripped (see stripped_app.c); lib_entry is exported, lib_inner is not. */
#include "progs.h"

static NOINLINE void *lib_inner(size_t n)
{
	void *p = malloc(n); /* site: lib_inner */
	NO_TAIL_CALL();
	return p;
}

int lib_entry(int n)
{
	sink(lib_inner(opaque_size((size_t)n))); /* site: lib_entry */
	NO_TAIL_CALL();
	return n;
}
