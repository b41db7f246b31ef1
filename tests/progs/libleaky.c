/* libleaky: a dlopen'ed library that leaks from its own function (see dlopen_leak.c). */
#include "progs.h"

/* Leaks `count` blocks of 777 B; the innermost frame of their site is this function. */
NOINLINE int leaky_leak(int count)
{
	for (int i = 0; i < count; i++)
		sink(malloc(777));
	return count;
}

/* Makes `count` malloc(55)/free pairs. */
NOINLINE int leaky_churn(int count)
{
	for (int i = 0; i < count; i++) {
		void *p = malloc(55);
		sink(p);
		free(p);
	}
	return count;
}
