/* Unit tests of the API's parameter checks: digits only, ranges, overflow, seconds, unknown,
 * repeated and required parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "server/params.h"

struct args {
	int64_t limit, ns;
	int order;
	const char *name;
};

static const char *const ORDERS[] = { "desc", "asc", NULL };
static const struct param_spec SPEC[] = {
	{ "limit", P_INT, 1, 100, NULL, offsetof(struct args, limit), 1 },
	{ "age", P_SECONDS, 0, 0, NULL, offsetof(struct args, ns), 0 },
	{ "order", P_ENUM, 0, 0, ORDERS, offsetof(struct args, order), 0 },
	{ "name", P_STR, 0, 4, NULL, offsetof(struct args, name), 0 },
	{ NULL },
};

static int parse(const char *const *kv, int n, struct args *a, char *err)
{
	struct params p = { .n = n };

	for (int i = 0; i < n; i++) {
		p.name[i] = kv[2 * i];
		p.value[i] = kv[2 * i + 1];
	}
	*a = (struct args){ .limit = 7 };
	return params_parse(&p, SPEC, a, err, 256);
}

static void test_uint(void **state)
{
	int64_t v = -1;

	(void)state;
	assert_int_equal(params_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(params_uint("1000000000000000000", PARAM_INT_MAX, &v), 0);
	assert_int_equal(v, PARAM_INT_MAX);
	assert_int_equal(params_uint("1000000000000000001", PARAM_INT_MAX, &v), -EINVAL);
	assert_int_equal(params_uint("99999999999999999999", PARAM_INT_MAX, &v), -EINVAL);
	assert_int_equal(params_uint("-1", 10, &v), -EINVAL);
	assert_int_equal(params_uint("+1", 10, &v), -EINVAL);
	assert_int_equal(params_uint(" 1", 10, &v), -EINVAL);
	assert_int_equal(params_uint("1;DROP", 10, &v), -EINVAL);
	assert_int_equal(params_uint("", 10, &v), -EINVAL);
	assert_int_equal(params_uint(NULL, 10, &v), -EINVAL);
	assert_int_equal(params_uint("11", 10, &v), -EINVAL);
}

static void test_seconds(void **state)
{
	int64_t ns = -1;

	(void)state;
	assert_int_equal(params_seconds("1.5", &ns), 0);
	assert_int_equal(ns, 1500000000);
	assert_int_equal(params_seconds("0.000000001", &ns), 0);
	assert_int_equal(ns, 1);
	assert_int_equal(params_seconds("1000000000", &ns), 0);
	assert_int_equal(params_seconds("1000000001", &ns), -EINVAL);
	assert_int_equal(params_seconds("1.", &ns), -EINVAL);
	assert_int_equal(params_seconds(".5", &ns), -EINVAL);
	assert_int_equal(params_seconds("1e3", &ns), -EINVAL);
	assert_int_equal(params_seconds("0.1234567891", &ns), 0);
	assert_int_equal(ns, 123456789);
	assert_int_equal(params_seconds("0.0000000000000000001", &ns), -EINVAL);
	assert_int_equal(params_seconds("0.5x", &ns), -EINVAL);
	assert_int_equal(params_seconds("1.-5", &ns), -EINVAL);
	assert_int_equal(params_seconds("-1", &ns), -EINVAL);
}

static void test_parse(void **state)
{
	static const char *const good[] = { "limit", "100", "age",  "2",
					    "order", "asc", "name", "abcd" };
	static const char *const unknown[] = { "limit", "1", "bogus", "1" };
	static const char *const twice[] = { "limit", "1", "limit", "2" };
	static const char *const range[] = { "limit", "0" };
	static const char *const badenum[] = { "limit", "1", "order", "up" };
	static const char *const longstr[] = { "limit", "1", "name", "abcde" };
	static const char *const novalue[] = { "limit", NULL };
	static const char *const missing[] = { "age", "1" };
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(parse(good, 4, &a, err), 0);
	assert_int_equal(a.limit, 100);
	assert_int_equal(a.ns, 2000000000);
	assert_int_equal(a.order, 1);
	assert_string_equal(a.name, "abcd");
	assert_int_equal(parse(unknown, 2, &a, err), -EINVAL);
	assert_string_equal(err, "unknown parameter 'bogus'");
	assert_int_equal(parse(twice, 2, &a, err), -EINVAL);
	assert_string_equal(err, "parameter 'limit' given twice");
	assert_int_equal(parse(range, 1, &a, err), -EINVAL);
	assert_string_equal(err, "parameter 'limit' must be an integer from 1 to 100");
	assert_int_equal(parse(badenum, 2, &a, err), -EINVAL);
	assert_string_equal(err, "parameter 'order' must be one of: desc, asc");
	assert_int_equal(parse(longstr, 2, &a, err), -EINVAL);
	assert_int_equal(parse(novalue, 1, &a, err), -EINVAL);
	assert_int_equal(parse(missing, 1, &a, err), -EINVAL);
	assert_string_equal(err, "parameter 'limit' is required");
}

static void test_overflow(void **state)
{
	struct params p = { .overflow = 1 };
	struct args a;
	char err[256];

	(void)state;
	assert_int_equal(params_parse(&p, SPEC, &a, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
