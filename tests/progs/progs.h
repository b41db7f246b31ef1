/* Shared helpers for the test target programs: keep allocations visible, report facts without allocating. */
#ifndef HEAPSCOPE_PROGS_H
#define HEAPSCOPE_PROGS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every function named in a test's expectations must keep its own frame and its own name
 * (no .constprop/.isra clones). */
#define NOINLINE __attribute__((noinline, noclone))

/* Hides a pointer from the optimizer: the block escapes, so neither a malloc/free pair nor an
 * unused (leaked) allocation can be removed, and the call cannot become a tail call. */
static inline __attribute__((always_inline)) void sink(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* The same pointer, but the compiler no longer knows where it came from (for deliberate misuse
 * such as free(p + 16), which it would otherwise warn about). */
static inline __attribute__((always_inline)) void *launder(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

/* Keeps the preceding call out of tail position, so its caller's frame stays on the stack. */
#define NO_TAIL_CALL() __asm__ volatile("" ::: "memory")

/* A size the compiler cannot see (failed-allocation cases would otherwise warn or fold). */
static inline __attribute__((always_inline)) size_t opaque_size(size_t n)
{
	__asm__ volatile("" : "+r"(n));
	return n;
}

/* printf to stdout through write(2): vsnprintf into a stack buffer does not allocate, unlike
 * stdio's first write (which mallocs the stdout buffer and would add a row to the recording). */
static inline __attribute__((format(printf, 1, 2))) void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(1, buf, (size_t)n) < 0)
		_exit(99);
}

/* Blocks SIGUSR1 so that it stays pending until wait_signal(); call it before announcing
 * readiness, or a signal sent right after the announcement would kill the process. */
static inline void block_signal(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* Waits for SIGUSR1 (blocking it first, in case block_signal() was not called). */
static inline void wait_signal(void)
{
	sigset_t set;
	int sig;

	block_signal();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	while (sigwait(&set, &sig) != 0)
		;
}

#endif
