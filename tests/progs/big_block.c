/* big_block: blocks above glibc's mmap threshold (128 KiB by default): two freed, one leaked.
 *
 * usage: big_block   (exits 0; no stdio, only "pid <pid>\n" through write(2))
 *
 *   function    call                 func    size      fate
 *   big_free    malloc(8 MiB)        malloc  8388608   freed (munmap'd by glibc)
 *   big_calloc  calloc(2, 3 MiB)     calloc  6291456   freed
 *   big_leak    malloc(4 MiB)        malloc  4194304   live
 *
 * Totals: 3 rows, 2 freed, 1 live block of 4194304 B (big_leak). Errors: none.
 */
#include "progs.h"

#define MIB (1024 * 1024)

static NOINLINE void big_free(void)
{
	char *p = malloc(8 * MIB);

	memset(p, 1, 4096);
	sink(p);
	free(p);
}

static NOINLINE void big_calloc(void)
{
	char *p = calloc(2, 3 * MIB);

	sink(p);
	free(p);
}

static NOINLINE void big_leak(void)
{
	char *p = malloc(4 * MIB);

	memset(p, 1, 4096);
	sink(p);
}

int main(void)
{
	say("pid %d\n", (int)getpid());
	big_free();
	big_leak();
	big_calloc();
	return 0;
}
