/* ticker: allocates at a steady, known rate, so a recording cut at an instant can be checked
 * against what the program did up to it.
 *
 * usage: ticker   (runs until killed)
 * Prints "ready <pid>\n", then every millisecond (nanosleep of 1 ms between calls) calls tick:
 * malloc(64) + free; after every 100th tick it prints "tick <n>\n" (n: ticks so far), through
 * write(2) only. So the rows of function tick in a recording of it are its ticks, all freed by
 * free, and the last "tick" line printed before an instant bounds how many happened by then
 * (to within 100). Errors: none.
 */
#include <time.h>

#include "progs.h"

static NOINLINE void tick(void)
{
	void *p = malloc(64);

	sink(p);
	free(p);
}

int main(void)
{
	struct timespec ms = { 0, 1000000 };

	say("ready %d\n", (int)getpid());
	for (unsigned long n = 1;; n++) {
		tick();
		if (n % 100 == 0)
			say("tick %lu\n", n);
		nanosleep(&ms, NULL);
	}
}
