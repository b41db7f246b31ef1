/* The soak workload (`make soak`): a steady stream of allocations at a fixed rate with a bounded
 * live set, for as long as the recording lasts.
 *
 * usage: steady SECONDS [RATE]
 * RATE allocations per second (default 20000), in bursts of 1/100 s. Sizes 16..4096 B from a
 * fixed-seed PRNG; each block goes into a ring of 10000 and is freed when its slot comes round
 * again, except every 64th, which lives in a second ring of 2000 (longer-lived blocks). Live
 * blocks stay at about 12000 whatever the duration. Prints the allocations made at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RING 10000
#define LONG_RING 2000

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static void *ring[RING], *long_ring[LONG_RING];
	double seconds = argc > 1 ? atof(argv[1]) : 60, start = now_s(), next = start;
	long rate = argc > 2 ? atol(argv[2]) : 20000, burst = rate / 100 > 0 ? rate / 100 : 1;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, n = 0, n_long = 0;

	while (now_s() - start < seconds) {
		for (long i = 0; i < burst; i++, n++) {
			size_t size = 16 + rnd(&seed) % 4081;
			void **slot = n % 64 ? &ring[n % RING] : &long_ring[n_long++ % LONG_RING];

			free(*slot);
			*slot = malloc(size);
			if (*slot)
				memset(*slot, (int)(n & 0xff), size < 64 ? size : 64);
		}
		next += 0.01;
		double wait = next - now_s();
		if (wait > 0) {
			struct timespec ts = { 0, (long)(wait * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < RING; i++)
		free(ring[i]);
	for (int i = 0; i < LONG_RING; i++)
		free(long_ring[i]);
	printf("steady: %llu allocations in %.1f s\n", (unsigned long long)n, now_s() - start);
	return 0;
}
