/* storm: a fork/exec storm with exactly known children, for the recorder's process tracking.
 *
 * usage: storm [--wait] N PROG1 PROG2 PROG3   (exits 7 once every child exited 0, else 1)
 * With --wait it prints "ready <pid>\n" and waits for SIGUSR1 first (attach mode). It leaks one
 * block (storm_leak, malloc(4242)), then starts N children, at most 8 running at once; child i
 * (0 <= i < N) is of kind i % 5:
 *
 *   kind  how                                   program images of the child
 *   0     fork, then execv(PROG1)               the fork's (no call), then PROG1's
 *   1     vfork, then execv(PROG1)              (the vfork's, in storm's memory), then PROG1's
 *   2     fork, then execv(PROG2)               the fork's (no call), then PROG2's
 *   3     fork, then execv(PROG3)               the fork's (no call), then PROG3's
 *   4     fork, no exec: child_leak             3 x malloc(333), live, then _exit(0)
 *
 * Each execv is given argv = { PROGn, NULL }. The fork children call nothing but execv or
 * child_leak (and _exit); storm itself makes no other malloc-family call (no stdio). It prints
 * "done <n>\n" (n children reaped) at the end.
 */
#include <sys/wait.h>

#include "progs.h"

#define RUNNING_MAX 8

static NOINLINE void storm_leak(void)
{
	sink(malloc(4242));
}

static NOINLINE void child_leak(void)
{
	for (int i = 0; i < 3; i++)
		sink(malloc(333));
}

static pid_t start(int kind, char *const progs[3])
{
	char *argv[2] = { NULL, NULL };
	pid_t pid;

	if (kind == 1) {
		argv[0] = progs[0];
		pid = vfork();
		if (pid == 0) {
			execv(argv[0], argv);
			_exit(127);
		}
		return pid;
	}
	pid = fork();
	if (pid == 0) {
		if (kind == 4) {
			child_leak();
			_exit(0);
		}
		argv[0] = progs[kind == 0 ? 0 : kind - 1];
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int hold = argc > 1 && !strcmp(argv[1], "--wait"), n, running = 0, reaped = 0, bad = 0;
	char **progs;

	if (argc != 5 + hold)
		return 2;
	n = atoi(argv[1 + hold]);
	progs = argv + 2 + hold;
	if (hold) {
		block_signal();
		say("ready %d\n", (int)getpid());
		wait_signal();
	}
	storm_leak();
	for (int i = 0; i < n || running; running--, reaped++) {
		int status;

		for (; i < n && running < RUNNING_MAX; i++, running++)
			if (start(i % 5, progs) < 0)
				return 1;
		if (wait(&status) < 0)
			return 1;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	say("done %d\n", reaped);
	return bad ? 1 : 7;
}
