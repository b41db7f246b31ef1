/* fork_workers: a parent that forks 4 workers, each leaking a distinct, known number of blocks.
 *
 * usage: fork_workers   (exits 0; each worker w exits with status w + 1)
 * No stdio: output through write(2) only ("pid <pid>\n", then "worker <w> <pid>\n" per worker).
 *
 *   who        function       calls                              rows  freed  live  live bytes
 *   parent     parent_tmp     8 x malloc(48) + free              8     8      0     0
 *   parent     parent_leak    6 x malloc(600)                    6     0      6     3600
 *   parent     inherit        1 x malloc(777), freed by the      1     1      0     0
 *                             parent after the workers exit
 *   worker w   worker_tmp     5 x calloc(3, 16) + free           5     5      0     0
 *   worker w   worker_leak    (w+1)*10 x malloc(110 * (w+1))     (w+1)*10  0  (w+1)*10  ...
 *                             w=0: 10 x 110 = 1100 B, w=1: 20 x 220 = 4400 B,
 *                             w=2: 30 x 330 = 9900 B, w=3: 40 x 440 = 17600 B
 *   worker w   drop_inherited free of the parent's 777-byte block (allocated before the fork:
 *                             an untracked free in the worker, never an error)
 * Parent: 15 rows, 9 freed, 6 live = 3600 B. Workers: 5 + (w+1)*10 rows each.
 * Whole tree: 15 + 120 = 135 rows; live 6 + 100 = 106 blocks, 3600 + 33000 = 36600 B;
 * 4 untracked frees (one per worker); errors: none.
 * The workers run one at a time (the parent waits for each before forking the next).
 */
#include <sys/wait.h>

#include "progs.h"

static NOINLINE void parent_tmp(void)
{
	for (int i = 0; i < 8; i++) {
		void *p = malloc(48);
		sink(p);
		free(p);
	}
}

static NOINLINE void parent_leak(void)
{
	for (int i = 0; i < 6; i++)
		sink(malloc(600));
}

static NOINLINE void *inherit(void)
{
	void *p = malloc(777);

	sink(p);
	return p;
}

static NOINLINE void worker_tmp(void)
{
	for (int i = 0; i < 5; i++) {
		void *p = calloc(3, 16);
		sink(p);
		free(p);
	}
}

static NOINLINE void worker_leak(int w)
{
	for (int i = 0; i < (w + 1) * 10; i++)
		sink(malloc(opaque_size(110 * (size_t)(w + 1))));
}

static NOINLINE void drop_inherited(void *p)
{
	free(p);
	NO_TAIL_CALL();
}

int main(void)
{
	void *shared;

	say("pid %d\n", (int)getpid());
	parent_tmp();
	shared = inherit();
	for (int w = 0; w < 4; w++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			_exit(98);
		if (pid == 0) {
			say("worker %d %d\n", w, (int)getpid());
			worker_tmp();
			worker_leak(w);
			drop_inherited(shared);
			_exit(w + 1);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != w + 1)
			_exit(97);
	}
	parent_leak();
	free(shared);
	return 0;
}
