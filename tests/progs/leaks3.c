/* leaks3: leaks from three functions with distinct counts, beside allocations that are freed.
 *
 * usage: leaks3 [EXIT_CODE]   (exits with EXIT_CODE, default 0)
 * No stdio: the only output is "pid <pid>\n" through write(2), so every malloc-family call in
 * the process is one of these (launch mode: the recording holds exactly these rows).
 *
 *   function  calls                          rows  freed  live  live bytes
 *   leak_a    3  x malloc(100)               3     0      3     300
 *   leak_b    7  x malloc(200)               7     0      7     1400
 *   leak_c    11 x malloc(300)               11    0      11    3300
 *   churn     50 x malloc(64) + free         50    50     0     0    (same address each time)
 *   scratch   10 x calloc(4, 32) + free      10    10     0     0    (size stored: 128)
 *   zero      malloc(0) + free, free(NULL)   1     1      0     0    (size 0; free(NULL): nothing)
 *   total                                    82    61     21    5000
 * Frees: 61, all by free (free_func 12) from churn (50), scratch (10) and zero (1).
 * Allocation funcs: malloc 72, calloc 10. Errors: none.
 */
#include "progs.h"

static NOINLINE void leak_a(void)
{
	for (int i = 0; i < 3; i++)
		sink(malloc(100));
}

static NOINLINE void leak_b(void)
{
	for (int i = 0; i < 7; i++)
		sink(malloc(200));
}

static NOINLINE void leak_c(void)
{
	for (int i = 0; i < 11; i++)
		sink(malloc(300));
}

static NOINLINE void churn(void)
{
	for (int i = 0; i < 50; i++) {
		void *p = malloc(64);
		sink(p);
		free(p);
	}
}

static NOINLINE void scratch(void)
{
	for (int i = 0; i < 10; i++) {
		void *p = calloc(4, 32);
		sink(p);
		free(p);
	}
}

static NOINLINE void zero(void)
{
	void *p = malloc(0), *null = NULL;

	sink(p);
	free(p);
	sink(&null);
	free(null);
}

int main(int argc, char **argv)
{
	say("pid %d\n", (int)getpid());
	leak_a();
	churn();
	leak_b();
	scratch();
	leak_c();
	zero();
	return argc > 1 ? atoi(argv[1]) : 0;
}
