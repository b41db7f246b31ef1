/* signal_batch: a long-running process to attach to, whose every allocation is triggered by a
 * signal, so an attach recording holds exactly known rows.
 *
 * usage: signal_batch LEAKS SIZE
 * It prints "ready <pid>\n" (write(2); SIGUSR1, SIGUSR2 and SIGTERM blocked from the start, so an
 * early signal is not lost) and then waits for signals, allocating nothing meanwhile:
 *
 *   signal   function     calls                               rows      live
 *   SIGUSR1  batch_tmp    4 x malloc(40) + free               4         0
 *            batch_leak   LEAKS x malloc(SIZE)                LEAKS     LEAKS x SIZE bytes
 *            then prints "done <n>\n" (n: batches so far)
 *   SIGUSR2  forks a child, which runs child_leak: 2*LEAKS x malloc(SIZE + 1) (all live) and
 *            child_tmp: 3 x calloc(2, 50) + free (100 B each), then _exit(0); the parent waits
 *            for it and prints "forked <child pid>\n"
 *   SIGTERM  exit(0)
 */
#include <sys/wait.h>

#include "progs.h"

static NOINLINE void batch_tmp(void)
{
	for (int i = 0; i < 4; i++) {
		void *p = malloc(40);
		sink(p);
		free(p);
	}
}

static NOINLINE void batch_leak(int n, size_t size)
{
	for (int i = 0; i < n; i++)
		sink(malloc(opaque_size(size)));
}

static NOINLINE void child_leak(int n, size_t size)
{
	for (int i = 0; i < n; i++)
		sink(malloc(opaque_size(size)));
}

static NOINLINE void child_tmp(void)
{
	for (int i = 0; i < 3; i++) {
		void *p = calloc(2, 50);
		sink(p);
		free(p);
	}
}

int main(int argc, char **argv)
{
	sigset_t set;
	int leaks, sig, batches = 0;
	size_t size;

	if (argc < 3)
		return 2;
	leaks = atoi(argv[1]);
	size = (size_t)atol(argv[2]);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	say("ready %d\n", (int)getpid());
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGTERM)
			return 0;
		if (sig == SIGUSR1) {
			batch_tmp();
			batch_leak(leaks, size);
			say("done %d\n", ++batches);
		} else if (sig == SIGUSR2) {
			pid_t pid = fork();
			int status;

			if (pid == 0) {
				child_leak(2 * leaks, size + 1);
				child_tmp();
				_exit(0);
			}
			if (pid > 0)
				waitpid(pid, &status, 0);
			say("forked %d\n", (int)pid);
		}
	}
}
