/* exec_on_signal: a process to attach to that execs another program when told.
 *
 * usage: exec_on_signal PROG [ARGS...]
 * Allocates 3 blocks of 99 bytes (held), prints "waiting <pid>\n" (SIGUSR1 blocked from the start,
 * so an early signal is not lost), and on SIGUSR1 execs PROG with ARGS. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "progs.h"

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	if (argc < 2)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 3; i++)
		sink(malloc(opaque_size(99)));
	printf("waiting %d\n", (int)getpid());
	fflush(stdout);
	sigwait(&set, &sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	execv(argv[1], argv + 1);
	return 127;
}
