/* reach_big: a big live heap for the scan's benchmark and the recorder-killed-mid-scan test.
 *
 * usage: reach_big BLOCKS SIZE READY_FILE
 * Allocates BLOCKS blocks of SIZE bytes (SIZE >= 16), linked into one list from a global (so a
 * scan reads every one), writes "ready PID\n" to READY_FILE and waits for a byte on stdin;
 * meanwhile a thread keeps counting (a stopped process shows as a frozen counter). Exits 0.
 */
#include <fcntl.h>
#include <pthread.h>

#include "progs.h"

void *volatile g_head;
volatile unsigned long g_ticks;

static void *ticker(void *arg)
{
	(void)arg;
	for (;;)
		g_ticks++;
	return NULL;
}

NOINLINE void *mk_big_block(size_t size, void *next)
{
	void **b = malloc(size);

	memset(b, 0, size);
	b[0] = next;
	return b;
}

int main(int argc, char **argv)
{
	long n = argc > 3 ? atol(argv[1]) : 0, size = argc > 3 ? atol(argv[2]) : 0;
	char line[64], c;
	void *head = NULL;
	pthread_t t;
	int fd;

	if (n <= 0 || size < 16)
		return 2;
	for (long i = 0; i < n; i++)
		head = mk_big_block((size_t)size, head);
	g_head = head;
	head = NULL;
	if (pthread_create(&t, NULL, ticker, NULL))
		return 1;
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		return 1;
	if (read(0, &c, 1) < 0)
		return 1;
	_exit(0);
}
