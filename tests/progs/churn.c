/* Allocates and frees without pause, so a recording that stops while it runs cuts through a
 * stream of calls: prints "ready", then malloc(16..512) in a loop, each block kept in a ring of
 * 8 and freed 8 calls later. Runs forever, or argv[1] seconds (then frees the ring, exits 0). */
#include <time.h>

#include "progs.h"

#define RING 8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	void *ring[RING] = { 0 };
	double seconds = argc > 1 ? atof(argv[1]) : 0, end = now_s() + seconds;
	unsigned long i = 0;

	say("ready\n");
	for (;; i++) {
		unsigned slot = i % RING;
		void *p;

		/* The clock only every 64Ki calls: the loop stays a stream of allocator calls. */
		if (seconds > 0 && (i & 0xffff) == 0 && now_s() >= end)
			break;
		free(ring[slot]); /* the oldest block (NULL during the first round) */
		p = malloc(opaque_size(16 + (i * 37) % 497));
		sink(p);
		ring[slot] = p;
	}
	for (unsigned slot = 0; slot < RING; slot++)
		free(ring[slot]);
	say("done %lu\n", i);
	return 0;
}
