/* dlopen_leak: leaks from a function of a dlopen'ed library, and from the executable itself.
 *
 * usage: dlopen_leak [--close] [LIBPATH]
 *   LIBPATH defaults to libleaky.so beside this executable (from /proc/self/exe).
 *   --close: dlclose the library before exiting, so its code is unmapped at the end of the
 *   recording (its frames must still be symbolized as libleaky.so's).
 * Exits 0 (1 with a message if the library cannot be loaded). Output: "pid <pid>\n" only.
 *
 *   function     module        call                  rows  freed  live  live bytes
 *   main_leak    dlopen_leak   2 x malloc(33)        2     0      2     66
 *   leaky_leak   libleaky.so   9 x malloc(777)       9     0      9     6993
 *   leaky_churn  libleaky.so   4 x malloc(55) + free 4     4      0     0
 *
 * Not ours: dlopen/dlclose allocate and free inside ld.so (innermost frame not ours).
 * Errors: none.
 */
#include <dlfcn.h>
#include <limits.h>

#include "progs.h"

static NOINLINE void main_leak(void)
{
	for (int i = 0; i < 2; i++)
		sink(malloc(33));
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	int close_lib = 0, (*leak)(int), (*churn)(int);
	void *lib;

	say("pid %d\n", (int)getpid());
	if (argc > 1 && !strcmp(argv[1], "--close"))
		close_lib = 1, argc--, argv++;
	if (argc > 1) {
		snprintf(path, sizeof(path), "%s", argv[1]);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		char *slash;

		if (n < 0)
			return 1;
		path[n] = '\0';
		slash = strrchr(path, '/');
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "libleaky.so");
	}
	main_leak();
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		say("dlopen %s failed\n", path);
		return 1;
	}
	leak = (int (*)(int))dlsym(lib, "leaky_leak");
	churn = (int (*)(int))dlsym(lib, "leaky_churn");
	if (!leak || !churn)
		return 1;
	leak(9);
	churn(4);
	if (close_lib && dlclose(lib))
		return 1;
	return 0;
}
