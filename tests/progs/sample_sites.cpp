/* sample_sites: known bytes per call site, from 16 B to 1 MiB, for sampled mode's estimates.
 *
 * usage: sample_sites [SCALE]   (every count times SCALE, default 1)
 * No stdio. Each site allocates COUNT blocks of SIZE bytes; every LEAK_EVERY-th block stays
 * live to the end (0: none), the others are freed at once. Calls that nest inside another
 * allocator call (operator new -> malloc, realloc(NULL, n) -> malloc in glibc) must be
 * charged once.
 *
 *   site          call                    size      count    leak_every
 *   site_16       malloc                  16        400000   0
 *   site_64       malloc                  64        200000   4
 *   site_256      calloc(4, 64)           256       100000   0
 *   site_1k       realloc(NULL, n)        1024      40000    10
 *   site_4k       operator new            4096      20000    0
 *   site_64k      malloc                  65536     4000     2
 *   site_1m       malloc                  1048576   400      4
 */
#include <new>

#include "progs.h"

static NOINLINE void site_16(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(16);
		sink(p);
		free(p);
	}
}

static NOINLINE void site_64(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(64);
		sink(p);
		if (i % 4)
			free(p);
	}
}

static NOINLINE void site_256(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = calloc(4, 64);
		sink(p);
		free(p);
	}
}

static NOINLINE void site_1k(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = realloc(launder(NULL), opaque_size(1024));
		sink(p);
		if (i % 10)
			free(p);
	}
}

static NOINLINE void site_4k(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = new char[4096];
		sink(p);
		delete[] p;
	}
}

static NOINLINE void site_64k(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(65536);
		sink(p);
		if (i % 2)
			free(p);
	}
}

static NOINLINE void site_1m(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(1048576);
		sink(p);
		if (i % 4)
			free(p);
	}
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 1;

	site_16(400000 * scale);
	site_64(200000 * scale);
	site_256(100000 * scale);
	site_1k(40000 * scale);
	site_4k(20000 * scale);
	site_64k(4000 * scale);
	site_1m(400 * scale);
	return 0;
}
