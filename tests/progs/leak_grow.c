/* leak_grow: a leak that grows with N beside a fixed one, for comparing recordings (`diff`).
 *
 * usage: leak_grow N [M]
 * No stdio: the only output is "pid <pid>\n" through write(2), so every malloc-family call in
 * the process is one of these (launch mode: the recording holds exactly these rows).
 *
 *   phase 1    function    calls                        live blocks  live bytes
 *              leak_grow   N x malloc(1000)             N            N x 1000
 *              leak_fixed  5 x malloc(64)               5            320
 *              churn       100 x malloc(256) + free     0            0
 *              leak_big    N >= 20 only: malloc(5000)   1            5000   (a site of bigger runs)
 *   with M:    sleeps 1 s (no allocation), then
 *   phase 2    leak_late   M x malloc(2000)             M            M x 2000
 *              churn       100 x malloc(256) + free     0            0
 *              drop_fixed  frees 2 of leak_fixed's blocks (3 stay live: 192 B)
 */
#include <time.h>

#include "progs.h"

static void *fixed[5];

static NOINLINE void leak_grow(int n)
{
	for (int i = 0; i < n; i++)
		sink(malloc(opaque_size(1000)));
}

static NOINLINE void leak_fixed(void)
{
	for (int i = 0; i < 5; i++) {
		fixed[i] = malloc(opaque_size(64));
		sink(fixed[i]);
	}
}

static NOINLINE void leak_big(void)
{
	sink(malloc(opaque_size(5000)));
}

static NOINLINE void churn(void)
{
	for (int i = 0; i < 100; i++) {
		void *p = malloc(opaque_size(256));
		sink(p);
		free(p);
	}
}

static NOINLINE void leak_late(int m)
{
	for (int i = 0; i < m; i++)
		sink(malloc(opaque_size(2000)));
}

static NOINLINE void drop_fixed(void)
{
	free(fixed[0]);
	free(fixed[1]);
	NO_TAIL_CALL();
}

int main(int argc, char **argv)
{
	struct timespec second = { 1, 0 };
	int n;

	if (argc < 2)
		return 2;
	n = atoi(argv[1]);
	say("pid %d\n", (int)getpid());
	leak_grow(n);
	leak_fixed();
	churn();
	if (n >= 20)
		leak_big();
	if (argc > 2) {
		nanosleep(&second, NULL);
		leak_late(atoi(argv[2]));
		churn();
		drop_fixed();
	}
	return 0;
}
