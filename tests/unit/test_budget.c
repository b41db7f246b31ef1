/* Unit tests of check's budgets: byte counts with their suffixes, the site budget file (globs
 * with spaces, limits, comments, each error's FILE:LINE), verdicts at the boundary, XML escaping
 * and the JUnit document's counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/budget.h"

static void test_parse_bytes(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(budget_parse_bytes("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(budget_parse_bytes("4999", &v), 0);
	assert_int_equal(v, 4999);
	assert_int_equal(budget_parse_bytes("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(budget_parse_bytes("4kib", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(budget_parse_bytes("2MB", &v), 0);
	assert_int_equal(v, 2 << 20);
	assert_int_equal(budget_parse_bytes("1G", &v), 0);
	assert_int_equal(v, 1 << 30);
	assert_int_equal(budget_parse_bytes("9223372036854775807", &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(budget_parse_bytes("9223372036854775808", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes("8388608T", &v), -EINVAL); /* 2^63 */
	assert_int_equal(budget_parse_bytes("-1", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes("1.5K", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes("", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes("12Q", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes("12Kx", &v), -EINVAL);
	assert_int_equal(budget_parse_bytes(" 1", &v), -EINVAL);
}

/* Writes text to a temporary file and loads it; the error in err. */
static int load(const char *text, struct budgets *b, char *err, size_t len, char *path)
{
	FILE *f;

	strcpy(path, "/tmp/test_budget.XXXXXX");
	f = fdopen(mkstemp(path), "w");
	fputs(text, f);
	fclose(f);
	return budget_load_file(b, path, err, len);
}

static void test_site_file(void **state)
{
	struct budgets b = { 0 };
	char err[1024] = "", path[64];

	(void)state;
	assert_int_equal(load("# comment\n\n"
			      "leak_*   max_live_bytes=4K max_allocs=3  # trailing\n"
			      "std::vector<int, std::allocator<int> >::push_back max_bytes=1M\n"
			      "\tcache max_live_blocks=0\r\n",
			      &b, err, sizeof(err), path),
			 0);
	unlink(path);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.v[0].metric, BUDGET_SITE_LIVE_BYTES);
	assert_string_equal(b.v[0].pattern, "leak_*");
	assert_int_equal(b.v[0].limit, 4096);
	assert_int_equal(b.v[0].line, 3);
	assert_int_equal(b.v[1].metric, BUDGET_SITE_ALLOCS);
	assert_int_equal(b.v[1].limit, 3);
	assert_string_equal(b.v[2].pattern, "std::vector<int, std::allocator<int> >::push_back");
	assert_int_equal(b.v[2].metric, BUDGET_SITE_BYTES);
	assert_int_equal(b.v[2].limit, 1 << 20);
	assert_string_equal(b.v[3].pattern, "cache");
	assert_int_equal(b.v[3].metric, BUDGET_SITE_LIVE_BLOCKS);
	assert_int_equal(b.v[3].limit, 0);
	budgets_free(&b);
}

static void test_site_file_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "a max_live_bytes=1\nb max_lve_bytes=2\n",
		  ":2: unknown limit 'max_lve_bytes=2'" },
		{ "a\n", ":1: no limit" },
		{ "max_allocs=1\n", ":1: no function glob before the limits" },
		{ "a max_allocs=-1\n", ":1: invalid value in 'max_allocs=-1'" },
		{ "a max_allocs=1 extra\n", ":1: unknown limit 'extra'" },
	};
	char err[1024], path[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct budgets b = { 0 };

		err[0] = 0;
		assert_int_equal(load(cases[i].text, &b, err, sizeof(err), path), -EINVAL);
		unlink(path);
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, cases[i].want));
		budgets_free(&b);
	}
	assert_int_equal(budget_load_file(&(struct budgets){ 0 }, "/nonexistent/x", err,
					  sizeof(err)),
			 -ENOENT);
}

static void test_verdict_boundary(void **state)
{
	struct budget x = { .limit = 5000, .measured = 5000, .measured_ok = 1 };

	(void)state;
	assert_int_equal(budget_verdict(&x), 0);
	x.measured = 5001;
	assert_int_equal(budget_verdict(&x), 1);
	x.measured = 0;
	assert_int_equal(budget_verdict(&x), 0);
	x.measured_ok = 0;
	assert_int_equal(budget_verdict(&x), -1);
}

/* The output of fn(f) as a malloc'd string. */
static char *capture_escape(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	budget_xml_escape(f, s);
	fclose(f);
	return buf;
}

static void test_xml_escape(void **state)
{
	char *s;

	(void)state;
	s = capture_escape("a<b>&\"c'\td\n");
	assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&apos;\td\n");
	free(s);
	s = capture_escape("x\x01y\x7fz\xff\xc3(\xc3\xa9");
	assert_string_equal(s, "x?y?z?\x3f(\xc3\xa9"); /* é kept, broken sequences dropped */
	free(s);
}

static void test_junit_counts(void **state)
{
	struct budgets b = { 0 };
	struct budget_run run = { .command = "./t <1>", .status = "exited 0", .time_s = 1.5 };
	char *xml = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	budget_add(&b, BUDGET_LEAKED_BYTES, NULL, 0, 10);
	budget_add(&b, BUDGET_ALLOCS, NULL, 0, 10);
	budget_add(&b, BUDGET_DEFINITELY_LOST, NULL, 0, 10);
	b.v[0] = (struct budget){
		.metric = BUDGET_LEAKED_BYTES, .limit = 10, .measured = 11, .measured_ok = 1
	};
	b.v[1].measured_ok = 1;
	b.v[1].measured = 10;
	snprintf(b.v[2].why, sizeof(b.v[2].why), "no scan");
	f = open_memstream(&xml, &len);
	assert_int_equal(budget_write_junit(f, &b, &run, "table & <stuff>"), 0);
	fclose(f);
	assert_non_null(strstr(xml, " tests=\"4\" failures=\"1\" errors=\"1\" time=\"1.500\">"));
	assert_non_null(strstr(xml, "<property name=\"command\" value=\"./t &lt;1&gt;\"/>"));
	assert_non_null(strstr(xml, "message=\"leaked bytes (live at the end): measured 11, limit "
				    "10: over by 1\" type=\"BudgetExceeded\""));
	assert_non_null(strstr(xml, "<error message=\"definitely lost bytes: not measured (limit "
				    "10): no scan\" type=\"NotMeasured\">"));
	assert_non_null(strstr(xml, "<system-out>table &amp; &lt;stuff&gt;</system-out>"));
	free(xml);
	budgets_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bytes),	 cmocka_unit_test(test_site_file),
		cmocka_unit_test(test_site_file_errors), cmocka_unit_test(test_verdict_boundary),
		cmocka_unit_test(test_xml_escape),	 cmocka_unit_test(test_junit_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
