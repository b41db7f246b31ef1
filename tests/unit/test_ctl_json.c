/* Unit tests of ctl's reading of the daemon's answers (daemon/ctl_json.c): error lines, ids, the
 * recordings list with its nulls, escapes and long strings, and what is not the JSON expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "daemon/ctl_json.h"

static void test_string(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(ctl_json_string("{\"error\": \"no such recording\"}", "error", out,
					 sizeof(out)), 0);
	assert_string_equal(out, "no such recordi"); /* cut to fit */
	assert_int_equal(ctl_json_string("{\"a\": {\"id\": \"x\"}, \"id\": \"\\u00e9\\\"1\"}", "id",
					 out, sizeof(out)), 0);
	assert_string_equal(out, "\xc3\xa9\"1"); /* UTF-8, escapes undone, nested "id" skipped */
	assert_int_equal(ctl_json_string("{\"id\": 12}", "id", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_json_string("{\"id\": null}", "id", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_json_string("{}", "id", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_json_string("[\"id\"]", "id", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_json_string("<html>Bad Gateway</html>", "error", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(ctl_json_string("", "error", out, sizeof(out)), -ENOENT);
	assert_int_equal(ctl_json_string(NULL, "error", out, sizeof(out)), -ENOENT);
}

static void test_recordings(void **state)
{
	static const char body[] =
		"{\"recordings\": [{\"id\": \"20261206T161934-b37b\", \"state\": \"ended\", \"pid\": "
		"2408, \"rule\": \"hstrend\", \"mode\": \"attach\", \"start_ns\": 1796660374000000000, "
		"\"size_bytes\": 10590617, \"command\": \"/tmp/a \\\"b\\\"\", \"sample_bytes\": 0, "
		"\"duration_s\": 2.01, \"allocs\": 217680, \"live_bytes\": 1536, \"errors\": 3, "
		"\"processes\": [1, 2]},"
		" {\"id\": \"x-1\", \"state\": \"running\", \"pid\": 7, \"rule\": null, \"start_ns\": 5,"
		" \"size_bytes\": 0, \"command\": null, \"sample_bytes\": 4096, \"duration_s\": 0,"
		" \"allocs\": null, \"live_bytes\": null, \"errors\": null}]}";
	struct ctl_recording *r;

	(void)state;
	assert_int_equal(ctl_json_recordings(body, &r), 2);
	assert_string_equal(r[0].id, "20261206T161934-b37b");
	assert_string_equal(r[0].state, "ended");
	assert_string_equal(r[0].rule, "hstrend");
	assert_int_equal(r[0].pid, 2408);
	assert_int_equal(r[0].start_ns, 1796660374000000000LL);
	assert_int_equal(r[0].size_bytes, 10590617);
	assert_int_equal(r[0].allocs, 217680);
	assert_int_equal(r[0].live_bytes, 1536);
	assert_int_equal(r[0].errors, 3);
	assert_int_equal(r[0].sample_bytes, 0);
	assert_true(r[0].duration_s > 2.0099 && r[0].duration_s < 2.0101);
	assert_string_equal(r[1].rule, ""); /* null */
	assert_int_equal(r[1].allocs, -1);
	assert_int_equal(r[1].live_bytes, -1);
	assert_int_equal(r[1].errors, -1);
	assert_int_equal(r[1].sample_bytes, 4096);
	assert_true(r[1].duration_s == 0);
	free(r);

	assert_int_equal(ctl_json_recordings("{\"recordings\": []}", &r), 0);
	assert_null(r);
}

static void test_not_the_list(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",
		"[]",
		"{\"error\": \"no\"}",
		"{\"recordings\": {}}",
		"{\"recordings\": [1]}",
		"{\"recordings\": [{\"pid\": \"12\"}]}",	 /* a string where a number goes */
		"{\"recordings\": [{\"id\": 12}]}",	 /* a number where a string goes */
		"{\"recordings\": [{\"duration_s\": true}]}",
		"{\"recordings\": [{\"id\": \"a\"}, {\"id\": \"b\"",	 /* cut off */
	};
	struct ctl_recording *r = (void *)1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ctl_json_recordings(bad[i], &r), -EINVAL);
		assert_null(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_recordings),
		cmocka_unit_test(test_not_the_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
