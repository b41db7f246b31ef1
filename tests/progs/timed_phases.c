/* timed_phases: leaks made at known times, for leak ranking by age and time windows.
 *
 * usage: timed_phases
 * No stdio: the only output is "pid <pid>\n" through write(2), so every malloc-family call in
 * the process is one of these (launch mode: the recording holds exactly these rows).
 *
 *   t      function     calls                              live at the end
 *   0 s    leak_a       10 x malloc(1000)                  10 blocks, 10000 B
 *          leak_steady  1 x malloc(400)                    1 block,   400 B
 *          churn        20 x malloc(100) + free            0
 *   1 s    leak_b       5 x malloc(3000)                   5 blocks,  15000 B
 *          leak_steady  1 x malloc(400)                    1 block,   400 B
 *          temp_b       3 x malloc(500), freed at 2 s      0
 *          churn        20 x malloc(100) + free            0
 *   2 s    leak_c       6 x malloc(2000)                   6 blocks,  12000 B
 *          leak_steady  1 x malloc(400)                    1 block,   400 B
 *          drop_b       frees temp_b's 3 blocks
 * (1 s nanosleeps between the phases; leak_steady is one call site whose blocks land in 3 of the
 * recording's tenths: growth 0.3)
 */
#include <time.h>

#include "progs.h"

static void *temp[3];

static NOINLINE void leak_a(void)
{
	for (int i = 0; i < 10; i++)
		sink(malloc(opaque_size(1000)));
}

static NOINLINE void leak_b(void)
{
	for (int i = 0; i < 5; i++)
		sink(malloc(opaque_size(3000)));
}

static NOINLINE void leak_c(void)
{
	for (int i = 0; i < 6; i++)
		sink(malloc(opaque_size(2000)));
}

static NOINLINE void leak_steady(void)
{
	sink(malloc(opaque_size(400)));
	NO_TAIL_CALL();
}

static NOINLINE void temp_b(void)
{
	for (int i = 0; i < 3; i++) {
		temp[i] = malloc(opaque_size(500));
		sink(temp[i]);
	}
}

static NOINLINE void drop_b(void)
{
	for (int i = 0; i < 3; i++)
		free(temp[i]);
	NO_TAIL_CALL();
}

static NOINLINE void churn(void)
{
	for (int i = 0; i < 20; i++) {
		void *p = malloc(opaque_size(100));
		sink(p);
		free(p);
	}
}

int main(void)
{
	static void (*const leak[3])(void) = { leak_a, leak_b, leak_c };
	struct timespec second = { 1, 0 };

	say("pid %d\n", (int)getpid());
	for (int phase = 0; phase < (int)opaque_size(3); phase++) { /* not unrolled */
		leak[phase]();
		leak_steady(); /* one call site, 3 phases */
		if (phase == 1)
			temp_b();
		if (phase < 2) {
			churn();
			nanosleep(&second, NULL);
		} else {
			drop_b();
		}
	}
	return 0;
}
