/* libnofp.so: built -O2 -fomit-frame-pointer; lib_entry -> lib_inner -> malloc (see nofp_chain),
 * and a constructor that leaks 1005 bytes: run by the dynamic linker before main, from its own
 * entry code (which has no unwind tables), or from dlopen. */
#include "progs.h"

static NOINLINE void *lib_inner(size_t n)
{
	volatile char pad[96];
	void *p;

	pad[0] = 1;
	p = malloc(n); /* site: lib_inner */
	sink(p);
	return (char *)p + pad[0] - 1;
}

void *lib_entry(size_t n)
{
	volatile char pad[16];
	void *p;

	pad[0] = 1;
	p = lib_inner(n); /* site: lib_entry */
	NO_TAIL_CALL();
	return (char *)p + pad[0] - 1;
}

static __attribute__((constructor)) void lib_init(void)
{
	sink(malloc(1005)); /* site: lib_init */
}
