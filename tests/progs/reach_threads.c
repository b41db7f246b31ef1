/* reach_threads: four threads allocating and freeing all the time, beside blocks of known
 * reachability, for a scan of a live multi-threaded process.
 *
 * usage: reach_threads READY_FILE
 *   starts the threads and writes "ready PID\n" to READY_FILE; on a first byte on stdin makes
 *   the blocks below (so a recorder attached meanwhile sees them) and writes "built\n" to
 *   READY_FILE.built; on a second byte stops the threads, checks their data and exits 0 (1 if
 *   any was corrupted)
 *   function        size  verdict
 *   mk_lost          48   definitely lost (its pointer overwritten)
 *   mk_chain_head    64   definitely lost: heads a chain of two mk_chain_node blocks
 *   mk_chain_node    96   indirectly lost (2)
 *   mk_kept         128   still reachable (a global)
 *   churn           16..1024, freed again: whatever a scan finds them (not checked)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>

#include "progs.h"

#define NTHREADS 4
#define SLOTS 64

void *volatile g_lost, *volatile g_chain, *volatile g_kept;
static volatile int stop;
static int bad[NTHREADS];

NOINLINE void mk_lost(void)
{
	g_lost = malloc(48);
	g_lost = NULL;
}

NOINLINE void *mk_chain_node(void *next)
{
	void **n = calloc(1, 96);

	n[0] = next;
	return n;
}

NOINLINE void mk_chain_head(void)
{
	void **h = calloc(1, 64);

	h[0] = mk_chain_node(mk_chain_node(NULL));
	g_chain = h;
	g_chain = NULL;
}

NOINLINE void mk_kept(void)
{
	g_kept = malloc(128);
}

/* Each slot holds a block filled with its own index: a scan must not disturb a byte of it. */
NOINLINE void *churn(size_t size, unsigned char fill)
{
	unsigned char *p = malloc(size);

	memset(p, fill, size);
	return p;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned char *slot[SLOTS] = { 0 };
	size_t size[SLOTS] = { 0 };
	unsigned seed = (unsigned)id * 7919u + 1;

	while (!stop) {
		int i = (int)((seed = seed * 1103515245u + 12345u) >> 16) % SLOTS;

		if (slot[i]) {
			for (size_t k = 0; k < size[i]; k++)
				bad[id] |= slot[i][k] != (unsigned char)i;
			free(slot[i]);
		}
		size[i] = 16u << (seed >> 8) % 7;
		slot[i] = churn(size[i], (unsigned char)i);
	}
	for (int i = 0; i < SLOTS; i++)
		free(slot[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	char line[64], built[4096], c;
	int fd, any = 0;

	if (argc < 2)
		return 2;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
			return 1;
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		return 1;
	if (read(0, &c, 1) < 0)
		return 1;
	mk_lost();
	mk_chain_head();
	mk_kept();
	snprintf(built, sizeof(built), "%s.built", argv[1]);
	fd = open(built, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "built\n", 6) < 0)
		return 1;
	if (read(0, &c, 1) < 0)
		return 1;
	stop = 1;
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		any |= bad[i];
	}
	return any;
}
