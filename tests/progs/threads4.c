/* threads4: four concurrent threads, each with its own number of malloc/free pairs and leaks.
 *
 * usage: threads4   (exits 0; prints "thread <i> tid <tid>\n" for i = 0..3, through write(2))
 * The threads start together (barrier) so their allocator calls interleave. Thread i (0..3):
 *
 *   function      thread i does                       rows        freed       live
 *   thread_churn  250*(i+1) x malloc(32*(i+1)) + free  250*(i+1)   250*(i+1)   0
 *   thread_leak   (i+1) x malloc(1000*(i+1))           i+1         0           i+1
 *   handoff       10*(i+1) x malloc(48), kept          10*(i+1)    10*(i+1)    0
 *
 * After joining the threads, the main thread frees the 100 handoff blocks in free_handoffs()
 * (free_tid = the main thread's, tid = the allocating thread's).
 *
 *   per thread i:   0: 261 rows, 1 leak of 1000 B   1: 522 rows, 2 leaks, 4000 B
 *                   2: 783 rows, 3 leaks, 9000 B    3: 1044 rows, 4 leaks, 16000 B
 *   totals: thread_churn 2500 rows all freed (by free, in the same thread); thread_leak 10 rows,
 *   30000 B, all live at exit; handoff 100 rows, 4800 B, all freed by the main thread;
 *   4 distinct tids, none of them the main thread's. All: 2610 rows, 2600 freed.
 * Not ours: glibc 2.36's pthread_create callocs each thread's DTV (4 rows, main thread,
 * innermost frame in ld.so). A thread's exit (tcache_thread_shutdown) frees again the blocks
 * cached in its tcache (already freed by the program) and the tcache itself (from _int_malloc,
 * not a traced call): none of that is an error. Errors: none.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "progs.h"

#define NTHREADS 4

static pthread_barrier_t start;
static void *handoffs[NTHREADS][10 * NTHREADS];

static NOINLINE void thread_churn(int i)
{
	for (int k = 0; k < 250 * (i + 1); k++) {
		void *p = malloc(32 * (size_t)(i + 1));
		sink(p);
		free(p);
	}
}

static NOINLINE void thread_leak(int i)
{
	for (int k = 0; k < i + 1; k++)
		sink(malloc(1000 * (size_t)(i + 1)));
}

static NOINLINE void handoff(int i)
{
	for (int k = 0; k < 10 * (i + 1); k++) {
		handoffs[i][k] = malloc(48);
		sink(handoffs[i][k]);
	}
}

static NOINLINE void free_handoffs(void)
{
	for (int i = 0; i < NTHREADS; i++)
		for (int k = 0; k < 10 * (i + 1); k++)
			free(handoffs[i][k]);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	pthread_barrier_wait(&start);
	thread_churn(i);
	thread_leak(i);
	handoff(i);
	say("thread %d tid %ld\n", i, (long)syscall(SYS_gettid));
	return NULL;
}

int main(void)
{
	pthread_t th[NTHREADS];

	say("pid %d\n", (int)getpid());
	pthread_barrier_init(&start, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)i))
			return 1;
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	free_handoffs();
	return 0;
}
