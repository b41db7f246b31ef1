/* spawn_exec: starts a program through vfork() + execv() or posix_spawn(), waits for it and
 * exits with its status.
 *
 * usage: spawn_exec vfork|vfork_alloc|spawn PROGRAM [ARGS...]
 * Before starting it, spawn_exec leaks one block: parent_leak, malloc(4321). It makes no other
 * malloc-family call (no stdio; posix_spawn with no file actions or attributes does not
 * allocate), and the vfork child calls nothing but execv (and _exit(127) if that fails).
 * vfork_alloc: as vfork, but the child first mallocs 512 bytes (child_alloc) in the memory it
 * shares with the parent, as dash does before it execs a command; the parent frees that block
 * (parent_free, by free) once the child has exec'd and exited. So the parent's image holds
 * 2 rows: parent_leak (live, 4321 B) and child_alloc (freed by the parent), and no error:
 * the child's exec does not release the block (the memory is the parent's).
 * Exit status: the program's exit code, 128 + signal if it was killed, 126 on a spawn failure.
 */
#include <spawn.h>
#include <sys/wait.h>

#include "progs.h"

extern char **environ;

static NOINLINE void parent_leak(void)
{
	sink(malloc(4321));
}

static void *volatile handoff; /* written by the vfork child, in the parent's memory */

static NOINLINE void child_alloc(void)
{
	handoff = malloc(512);
	NO_TAIL_CALL();
}

static NOINLINE void parent_free(void)
{
	free(handoff);
	NO_TAIL_CALL();
}

int main(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc < 3)
		return 126;
	parent_leak();
	if (!strcmp(argv[1], "vfork") || !strcmp(argv[1], "vfork_alloc")) {
		int alloc = !strcmp(argv[1], "vfork_alloc");

		pid = vfork();
		if (pid == 0) {
			if (alloc)
				child_alloc();
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (pid > 0 && alloc) {
			if (waitpid(pid, &status, 0) != pid)
				return 126;
			parent_free();
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	} else if (!strcmp(argv[1], "spawn")) {
		if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0)
			return 126;
	} else {
		return 126;
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 126;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
