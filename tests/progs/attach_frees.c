/* attach_frees: a process to attach to, which frees blocks it allocated before the attach.
 *
 * usage: attach_frees [--hold]   (exits 0)
 * Before: prepare() mallocs 1000 x 128 B, then it prints "ready <pid>\n" (write(2)) and waits
 * for SIGUSR1 (blocked from the start, so an early signal is not lost).
 * On SIGUSR1:
 *
 *   function     call                        rows in an attach recording   untracked frees
 *   release      free of the 1000 blocks     none (allocated before)       1000
 *   churn_after  20 x malloc(64) + free      20, all freed by free         0
 *   leak_after   5 x malloc(256)             5, live, 1280 B               0
 *
 * then prints "done\n". With --hold it waits for a second SIGUSR1 before exiting, so the leaks
 * are still live when the recording is stopped by SIGINT.
 * An attach recording started before SIGUSR1: 25 rows, 20 freed, 5 live (1280 B),
 * recording.untracked_frees = 1000, errors: none.
 */
#include "progs.h"

#define NBLOCKS 1000

static void *blocks[NBLOCKS];

static NOINLINE void prepare(void)
{
	for (int i = 0; i < NBLOCKS; i++) {
		blocks[i] = malloc(128);
		sink(blocks[i]);
	}
}

static NOINLINE void release(void)
{
	for (int i = 0; i < NBLOCKS; i++)
		free(blocks[i]);
}

static NOINLINE void churn_after(void)
{
	for (int i = 0; i < 20; i++) {
		void *p = malloc(64);
		sink(p);
		free(p);
	}
}

static NOINLINE void leak_after(void)
{
	for (int i = 0; i < 5; i++)
		sink(malloc(256));
}

int main(int argc, char **argv)
{
	int hold = argc > 1 && !strcmp(argv[1], "--hold");

	block_signal();
	prepare();
	say("ready %d\n", (int)getpid());
	wait_signal();
	release();
	churn_after();
	leak_after();
	say("done\n");
	if (hold)
		wait_signal();
	return 0;
}
