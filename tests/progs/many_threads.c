/* many_threads: a process with many threads, each allocating steadily, for attaching (and
 * seizing every thread) under load.
 *
 * usage: many_threads N   (runs until killed)
 * Starts N threads; each calls work: malloc(48) + free, then sleeps 1 ms, forever. Once all are
 * running it prints "ready <pid>\n" (write(2) only). Errors: none.
 */
#include <pthread.h>
#include <time.h>

#include "progs.h"

static NOINLINE void work(void)
{
	void *p = malloc(48);

	sink(p);
	free(p);
}

static void *thread_main(void *arg)
{
	struct timespec ms = { 0, 1000000 };

	(void)arg;
	for (;;) {
		work();
		nanosleep(&ms, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;

	for (int i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, thread_main, NULL))
			return 1;
	}
	say("ready %d\n", (int)getpid());
	for (;;)
		pause();
}
