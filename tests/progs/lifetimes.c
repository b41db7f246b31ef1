/* lifetimes: blocks whose lifetimes are controlled, for the lifetime histogram.
 *
 * usage: lifetimes   (exits 0)
 *   function     blocks  size  lifetime
 *   short_lived  1000    32    freed right after the malloc (a few us under tracing)
 *   medium       100     64    freed together ~10 ms after allocation
 *   long_lived   10      128   freed together ~200 ms after allocation
 *   forever      5       256   never freed
 * Expected lifetime buckets: 1000 below 1 ms, 100 in [8.192 ms, 16.384 ms),
 * 10 in [131.072 ms, 262.144 ms), 5 still live. Errors: none.
 */
#include <time.h>

#include "progs.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static NOINLINE void short_lived(void)
{
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(32);

		sink(p);
		free(p);
	}
}

static NOINLINE void *medium(void)
{
	return malloc(64);
}

static NOINLINE void *long_lived(void)
{
	return malloc(128);
}

static NOINLINE void *forever(void)
{
	return malloc(256);
}

int main(void)
{
	void *mid[100], *lng[10];

	say("pid %d\n", (int)getpid());
	for (int i = 0; i < 10; i++)
		lng[i] = long_lived();
	for (int i = 0; i < 5; i++)
		sink(forever());
	short_lived();
	for (int i = 0; i < 100; i++)
		mid[i] = medium();
	sleep_ms(10);
	for (int i = 0; i < 100; i++)
		free(mid[i]);
	sleep_ms(190);
	for (int i = 0; i < 10; i++)
		free(lng[i]);
	return 0;
}
