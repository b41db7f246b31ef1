/* Built stripped, with its library libstripped.so (mk/progs.mk; unstripped copies in
 * build/progs/debug/): leaks 4001 B from app_leak and 4002 B through the library. */
#include "progs.h"

int lib_entry(int n);

NOINLINE void *app_leak(size_t n)
{
	void *p = malloc(n); /* site: app_leak */
	NO_TAIL_CALL();
	return p;
}

int main(void)
{
	sink(app_leak(opaque_size(4001)));
	lib_entry(4002); /* site: main lib */
	return 0;
}
