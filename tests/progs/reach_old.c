/* reach_old: blocks a recorder attached later never saw, pointing to blocks it did see, for a
 * scan in attach mode: a new block whose only pointer is in an old one is not lost.
 *
 * usage: reach_old READY_FILE
 *   allocates its old blocks (a table and a list node held by globals, and one table reachable
 *   from nothing) and writes "ready PID\n" to READY_FILE; on a first byte on stdin makes the new
 *   blocks below (a recorder attached meanwhile sees them) and writes "built\n" to
 *   READY_FILE.built; on a second byte exits 0
 *   function        size  count  verdict (attached between the two steps)
 *   mk_in_old_table   64   100   still reachable: only the old table, a global's, holds them
 *   mk_in_old_node    80     1   still reachable: only an old list node, a global's, holds it
 *   mk_in_lost_old    96     1   still reachable: only an old block nothing points to holds it
 *                                (the old blocks are unknown, so taken as roots: a scan of an
 *                                attached process errs towards missing a leak, never inventing one)
 *   mk_lost           48     1   definitely lost (its pointer overwritten)
 */
#include <fcntl.h>

#include "progs.h"

struct node {
	struct node *next;
	void *payload;
};

void *volatile *volatile g_table;
struct node *volatile g_list;
void *volatile g_tmp;
static void *volatile *old_lost_table;

NOINLINE void *mk_in_old_table(void)
{
	return malloc(64);
}

NOINLINE void *mk_in_old_node(void)
{
	return malloc(80);
}

NOINLINE void *mk_in_lost_old(void)
{
	return malloc(96);
}

NOINLINE void mk_lost(void)
{
	g_tmp = malloc(48);
	g_tmp = NULL;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	return fd < 0 || write(fd, text, strlen(text)) < 0 ? -1 : close(fd);
}

int main(int argc, char **argv)
{
	char line[64], built[4096], c;
	struct node *n;

	if (argc < 2)
		return 2;
	g_table = calloc(100, sizeof(void *));
	n = calloc(1, sizeof(*n));
	n->next = calloc(1, sizeof(*n));
	g_list = n;
	old_lost_table = calloc(4, sizeof(void *));
	g_tmp = (void *)old_lost_table;
	snprintf(line, sizeof(line), "ready %d\n", (int)getpid());
	if (write_file(argv[1], line) || read(0, &c, 1) < 0)
		return 1;
	for (int i = 0; i < 100; i++)
		g_table[i] = mk_in_old_table();
	g_list->next->payload = mk_in_old_node();
	old_lost_table[1] = mk_in_lost_old();
	old_lost_table = NULL; /* the old table is now reachable from nothing */
	g_tmp = NULL;
	mk_lost();
	snprintf(built, sizeof(built), "%s.built", argv[1]);
	if (write_file(built, "built\n") || read(0, &c, 1) < 0)
		return 1;
	return 0;
}
