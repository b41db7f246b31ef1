/* nofp_chain: built -O2 -fomit-frame-pointer (mk/progs.mk), like the distributions' binaries, so
 * a frame-pointer walk sees only the allocator's caller; the unwind tables must give the rest.
 *
 * usage: nofp_chain [--wait] [--dlopen LIB]
 *   --wait     print "pid <pid>" and wait for SIGUSR1 before allocating (attach mode)
 *   --dlopen   load LIB (a copy of libnofp.so) with dlopen, after the wait, and call its
 *              lib_entry instead of the linked one, at once
 * Allocations, each leaked, each from one call chain (sizes tell them apart):
 *   1001  main -> chain_a -> chain_b -> chain_c -> malloc
 *   1003  thread_main (second thread) -> chain_a -> chain_b -> chain_c -> malloc
 *   1002  main -> lib_entry -> lib_inner -> malloc   (libnofp.so, linked or dlopen'ed)
 *   1004  main -> fp_entry -> fp_inner -> malloc     (libfponly.so: frame pointers, no CFI)
 */
#include <dlfcn.h>
#include <pthread.h>

#include "progs.h"

void *lib_entry(size_t n);
void *fp_entry(size_t n);

/* Each level keeps a stack buffer (a frame of its own size) and works after its call returns,
 * so no call is a tail call and every frame is a real one. */
static NOINLINE void *chain_c(size_t n)
{
	volatile char pad[48];
	void *p;

	pad[0] = 1;
	p = malloc(n); /* site: chain_c */
	sink(p);
	return (char *)p + pad[0] - 1;
}

static NOINLINE void *chain_b(size_t n)
{
	volatile char pad[200];
	void *p;

	pad[0] = 2;
	p = chain_c(n); /* site: chain_b */
	NO_TAIL_CALL();
	return (char *)p + pad[0] - 2;
}

static NOINLINE void *chain_a(size_t n)
{
	volatile char pad[24];
	void *p;

	pad[0] = 3;
	p = chain_b(n); /* site: chain_a */
	NO_TAIL_CALL();
	return (char *)p + pad[0] - 3;
}

static void *thread_main(void *arg)
{
	void *p = chain_a(1003); /* site: thread_main */

	NO_TAIL_CALL();
	return arg ? p : NULL;
}

static void *open_library(const char *path)
{
	void *h = dlopen(path, RTLD_NOW);
	void *(*entry)(size_t) = h ? (void *(*)(size_t))dlsym(h, "lib_entry") : NULL;

	if (!entry) {
		say("dlopen %s: %s\n", path, dlerror());
		exit(3);
	}
	return entry;
}

int main(int argc, char **argv)
{
	void *(*entry)(size_t) = lib_entry;
	const char *lib = NULL;
	int wait = 0;
	pthread_t t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--dlopen") && i + 1 < argc)
			lib = argv[++i];
	}
	if (wait)
		block_signal();
	say("pid %d\n", (int)getpid());
	if (wait)
		wait_signal();
	if (lib)
		entry = (void *(*)(size_t))open_library(lib);
	sink(chain_a(1001)); /* site: main chain */
	sink(entry(1002));   /* site: main lib */
	sink(fp_entry(1004)); /* site: main fp */
	if (pthread_create(&t, NULL, thread_main, NULL) || pthread_join(t, NULL))
		return 2;
	return 0;
}
