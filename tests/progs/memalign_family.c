/* memalign_family: each aligned allocator twice, one block freed and one leaked.
 *
 * usage: memalign_family   (exits 0; no stdio, only "pid <pid>\n" through write(2))
 *
 *   function       call                        func            size   align  fate
 *   align_freed    posix_memalign(&a, 64, 100)  posix_memalign  100    64     freed
 *   align_freed    aligned_alloc(256, 512)      aligned_alloc   512    256    freed
 *   align_freed    memalign(128, 200)           memalign        200    128    freed
 *   align_freed    valloc(300)                  valloc          300    4096   freed
 *   align_freed    pvalloc(100)                 pvalloc         100    4096   freed
 *   align_leaked   posix_memalign(&b, 4096, 5000) posix_memalign 5000  4096   live
 *   align_leaked   aligned_alloc(32, 96)        aligned_alloc   96     32     live
 *   align_leaked   memalign(8192, 1000)         memalign        1000   8192   live
 *   align_leaked   valloc(5000)                 valloc          5000   4096   live
 *   align_leaked   pvalloc(5000)                pvalloc         5000   4096   live
 *
 * pvalloc rounds the block up to whole pages; the size stored is the requested one.
 * align_bad: posix_memalign(&c, 24, 10) fails with EINVAL (alignment not a power of two):
 * no row. Totals: 10 rows (2 of each func 5..9), 5 freed (by free), 5 live = 16096 B.
 * Note: in glibc 2.36 aligned_alloc and memalign are one function (same address).
 * Errors: none.
 */
#include <malloc.h>

#include "progs.h"

static NOINLINE void align_freed(void)
{
	void *a = NULL;

	if (posix_memalign(&a, 64, 100))
		_exit(90);
	sink(a);
	free(a);
	a = aligned_alloc(256, 512);
	sink(a);
	free(a);
	a = memalign(128, 200);
	sink(a);
	free(a);
	a = valloc(300);
	sink(a);
	free(a);
	a = pvalloc(100);
	sink(a);
	free(a);
}

static NOINLINE void align_leaked(void)
{
	void *b = NULL;

	if (posix_memalign(&b, 4096, 5000))
		_exit(91);
	sink(b);
	sink(aligned_alloc(32, 96));
	sink(memalign(8192, 1000));
	sink(valloc(5000));
	sink(pvalloc(5000));
}

static NOINLINE void align_bad(void)
{
	void *c = NULL;

	if (posix_memalign(&c, opaque_size(24), 10) == 0)
		_exit(92);
	sink(c);
}

int main(void)
{
	say("pid %d\n", (int)getpid());
	align_freed();
	align_bad();
	align_leaked();
	return 0;
}
