/* reach_truth: blocks whose reachability is known, for the reachability scan and memcheck.
 *
 * usage: reach_truth wait|exit [READY_FILE]
 * Every block comes from its own function (one site each; sizes are multiples of 16, so no
 * pointer of glibc's arena into the chunk after a block lands inside it):
 *
 *   function        size  held by                                     verdict
 *   mk_overwritten  112   a global, then overwritten                  definitely lost
 *   mk_list_head     80   a global, overwritten: head of a list       definitely lost
 *   mk_list_node     80   x3, each by the previous node               indirectly lost (3)
 *   mk_interior     256   a global pointing 96 bytes in               possibly lost
 *   mk_interior8     48   a global pointing 8 bytes in, first word 7  possibly lost
 *   mk_length64      96   a global pointing 8 bytes in, first word 88 still reachable (memcheck's
 *                         (the size of the rest: length-prefixed)     length64 heuristic)
 *   mk_stdstring     64   a global pointing 24 bytes in; length 10,   still reachable (memcheck's
 *                         capacity 39 (24 + 39 + 1 = 64): a COW string stdstring heuristic)
 *   mk_newarray      96   a global pointing 8 bytes in, first word 4  still reachable (memcheck's
 *                         (4 elements of 22 bytes: new[]'s count)     newarray heuristic)
 *   mk_global       144   a global                                    still reachable
 *   mk_stack        160   main's stack variable                       still reachable
 *   mk_tls          192   the main thread's __thread variable         still reachable
 *   mk_holder        32   a global; holds mk_child                    still reachable
 *   mk_child        224   only mk_holder's block                      still reachable
 *   mk_register     176   only r12 of a thread blocked in pause()     still reachable (wait)
 *   mk_thread_tls   208   that thread's __thread variable             still reachable (wait)
 *
 * wait: builds everything, starts the thread, writes "ready PID\n" to READY_FILE (or stdout,
 *       with write(2)), and under Valgrind asks memcheck for a leak check there
 *       (VALGRIND_DO_LEAK_CHECK); then reads one byte from stdin and _exits 0.
 * exit: builds everything but the thread (its register would die before any check at exit)
 *       and calls exit(0) from main, the stack variable still in main's frame.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "progs.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_DO_LEAK_CHECK
#endif

#define KEY 0x5a5a5a5a5a5a5a5aULL

struct node {
	struct node *next;
	char pad[72];
};

void *volatile g_overwritten, *volatile g_list, *volatile g_interior, *volatile g_global;
void *volatile g_interior8, *volatile g_length64, *volatile g_stdstring, *volatile g_newarray;
void *volatile g_holder;
volatile uintptr_t g_register_obf;
volatile int g_thread_ready;
static __thread void *volatile tls_main;
static __thread void *volatile tls_thread;

NOINLINE void mk_overwritten(void)
{
	g_overwritten = malloc(112);
	g_overwritten = NULL;
}

NOINLINE struct node *mk_list_node(struct node *next)
{
	struct node *n = calloc(1, sizeof(*n));

	n->next = next;
	return n;
}

NOINLINE void mk_list_head(void)
{
	struct node *n = NULL, *head;

	for (int i = 0; i < 3; i++)
		n = mk_list_node(n);
	head = calloc(1, sizeof(*head));
	head->next = n;
	g_list = head;
	g_list = NULL;
}

NOINLINE void mk_interior(void)
{
	g_interior = (char *)calloc(1, 256) + 96;
}

NOINLINE void mk_interior8(void)
{
	uint64_t *p = calloc(1, 48);

	p[0] = 7;
	g_interior8 = (char *)p + 8;
}

NOINLINE void mk_length64(void)
{
	uint64_t *p = calloc(1, 96);

	p[0] = 96 - 8;
	g_length64 = (char *)p + 8;
}

NOINLINE void mk_stdstring(void)
{
	uint64_t *p = calloc(1, 64);

	p[0] = 10;	/* length */
	p[1] = 39;	/* capacity: 3 words + 39 + the terminating 0 = 64 */
	p[2] = 0;	/* refcount */
	g_stdstring = (char *)p + 24;
}

NOINLINE void mk_newarray(void)
{
	uint64_t *p = calloc(1, 96);

	p[0] = 4; /* 4 elements of (96 - 8) / 4 = 22 bytes */
	g_newarray = (char *)p + 8;
}

NOINLINE void mk_global(void)
{
	g_global = malloc(144);
}

NOINLINE void *mk_stack(void)
{
	return malloc(160);
}

NOINLINE void mk_tls(void)
{
	tls_main = malloc(192);
}

NOINLINE void *mk_child(void)
{
	return calloc(1, 224);
}

NOINLINE void mk_holder(void)
{
	void **h = calloc(1, 32);

	h[0] = mk_child();
	g_holder = h;
}

NOINLINE void mk_register(void)
{
	g_register_obf = (uintptr_t)malloc(176) ^ KEY;
}

NOINLINE void mk_thread_tls(void)
{
	tls_thread = malloc(208);
}

/* r12 gets the pointer, then the thread says so and waits in pause() for good: the pointer is
 * in no memory, only in the register (saved by the kernel, read by ptrace or by Valgrind). */
static void *holder_thread(void *arg)
{
	(void)arg;
	mk_thread_tls();
	__asm__ volatile("mov %[obf], %%r12\n\t"
			 "xor %[key], %%r12\n\t"
			 "movl $1, %[ready]\n\t"
			 "1: mov %[nr], %%eax\n\t"
			 "syscall\n\t"
			 "jmp 1b\n\t"
			 : [ready] "=m"(g_thread_ready)
			 : [obf] "m"(g_register_obf), [key] "r"(KEY), [nr] "i"(SYS_pause)
			 : "rax", "rcx", "r11", "r12", "memory");
	return NULL;
}

/* Clobbers the caller-saved registers a stale copy of a pointer could sit in. */
NOINLINE void scrub(void)
{
	__asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
			 "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d" ::
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11");
}

int main(int argc, char **argv)
{
	int wait_mode = argc > 1 && !strcmp(argv[1], "wait");
	void *volatile on_stack;
	pthread_t t;
	char line[64], c;
	int fd = 1;

	if (argc < 2 || (!wait_mode && strcmp(argv[1], "exit")))
		return 2;
	mk_overwritten();
	mk_list_head();
	mk_interior();
	mk_interior8();
	mk_length64();
	mk_stdstring();
	mk_newarray();
	mk_global();
	on_stack = mk_stack();
	mk_tls();
	mk_holder();
	if (wait_mode) {
		mk_register();
		if (pthread_create(&t, NULL, holder_thread, NULL))
			return 1;
		while (!g_thread_ready)
			sched_yield();
	}
	scrub();
	if (!wait_mode)
		exit(0);
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	if (argc > 2)
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) < 0)
		return 1;
	if (RUNNING_ON_VALGRIND)
		VALGRIND_DO_LEAK_CHECK;
	if (read(0, &c, 1) < 0)
		return 1;
	sink(on_stack);
	_exit(0);
}
