/* Unit tests of the shared option reader: the option meant by a typo, and getopt_long's errors
 * turned into our one line (stderr captured) while the options themselves read as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/cliopt.h"

static const struct option LONGOPTS[] = {
	{ "duration", required_argument, NULL, 't' },
	{ "db", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "asc", no_argument, NULL, 'a' },
	{ "sample", required_argument, NULL, 'm' },
	{ "sample-seed", required_argument, NULL, 'e' },
	{ NULL, 0, NULL, 0 },
};

/* Reads argv (NULL-terminated) to the end; returns the last option read, its stderr in err. */
static int read_all(char **argv, char *err, size_t len)
{
	int argc = 0, c, last = 0, saved = dup(STDERR_FILENO);
	FILE *f = tmpfile();

	while (argv[argc])
		argc++;
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "+d:o:t:", LONGOPTS)) != -1) {
		last = c;
		if (c == '?')
			break;
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	len = fread(err, 1, len - 1, f);
	err[len] = '\0';
	fclose(f);
	return last;
}

static void test_closest(void **state)
{
	static const char *const names[] = { "duration", "db", "output", "top", "sort", "site" };

	(void)state;
	assert_string_equal(cliopt_closest("duraton", names, 6), "duration");	/* missing */
	assert_string_equal(cliopt_closest("durration", names, 6), "duration"); /* extra */
	assert_string_equal(cliopt_closest("dutarion", names, 6),
			    "duration"); /* two letters exchanged */
	assert_string_equal(cliopt_closest("otuput", names, 6), "output");
	assert_string_equal(cliopt_closest("output-file", names, 6), "output");
	assert_string_equal(cliopt_closest("tpo", names, 6), "top");
	assert_null(cliopt_closest("zzzz", names, 6));
	assert_null(cliopt_closest("xx", names, 6)); /* short names: one edit at most */
	assert_null(cliopt_closest("", names, 0));
}

static void test_messages(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(read_all((char *[]){ "x", "--duraton", "5", NULL }, err, sizeof(err)),
			 '?');
	assert_string_equal(err,
			    "heapscope: unknown option '--duraton'; did you mean '--duration'?\n");
	read_all((char *[]){ "x", "--outptu=f", NULL }, err, sizeof(err));
	assert_string_equal(err,
			    "heapscope: unknown option '--outptu'; did you mean '--output'?\n");
	read_all((char *[]){ "x", "--sam", "1", NULL }, err, sizeof(err));
	assert_string_equal(err,
			    "heapscope: option '--sam' is ambiguous: --sample, --sample-seed\n");
	read_all((char *[]){ "x", "--duration", NULL }, err, sizeof(err));
	assert_string_equal(err, "heapscope: option '--duration' needs a value\n");
	read_all((char *[]){ "x", "-t", NULL }, err, sizeof(err));
	assert_string_equal(err, "heapscope: option '-t' needs a value\n");
	read_all((char *[]){ "x", "--asc=1", NULL }, err, sizeof(err));
	assert_string_equal(err, "heapscope: option '--asc' takes no value\n");
	read_all((char *[]){ "x", "-q", NULL }, err, sizeof(err));
	assert_string_equal(err, "heapscope: unknown option '-q' (--help lists them)\n");
	read_all((char *[]){ "x", "--qqqqqq", NULL }, err, sizeof(err));
	assert_string_equal(err, "heapscope: unknown option '--qqqqqq' (--help lists them)\n");
}

static void test_reads_as_getopt(void **state)
{
	char err[64];

	(void)state;
	/* A unique prefix is that option; '+' stops at the first operand. */
	assert_int_equal(read_all((char *[]){ "x", "--dur", "5", "--asc", NULL }, err, sizeof(err)),
			 'a');
	assert_string_equal(err, "");
	assert_int_equal(read_all((char *[]){ "x", "-d", "f", "cmd", "--zz", NULL }, err,
				  sizeof(err)),
			 'd');
	assert_string_equal(err, "");
	assert_int_equal(optind, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_reads_as_getopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
