/* Unit tests of the agent's hash map: insert, lookup, removal with backward shift, growth and
 * shrinking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "agent/u64map.h"

static void test_put_get_remove(void **state)
{
	struct u64map *m = u64map_new(sizeof(uint64_t));
	int created;
	(void)state;

	assert_non_null(m);
	for (uint64_t k = 1; k <= 100000; k++) {
		uint64_t *v = u64map_put(m, k * 16, &created);

		assert_non_null(v);
		assert_int_equal(created, 1);
		*v = k;
	}
	assert_int_equal(u64map_count(m), 100000);
	*(uint64_t *)u64map_put(m, 16, &created) += 0;
	assert_int_equal(created, 0);
	/* Remove every other key; the rest must stay reachable across the shifted runs. */
	for (uint64_t k = 1; k <= 100000; k += 2)
		assert_int_equal(u64map_remove(m, k * 16), 1);
	assert_int_equal(u64map_remove(m, 16), 0);
	assert_int_equal(u64map_count(m), 50000);
	for (uint64_t k = 1; k <= 100000; k++) {
		uint64_t *v = u64map_get(m, k * 16);

		if (k % 2)
			assert_null(v);
		else
			assert_int_equal(*v, k);
	}
	u64map_free(m);
}

/* Removal moves the last entry into the hole and the map shrinks as it empties: every key left
 * must stay reachable with its value, and take returns the value it removes. */
static void test_shrink_and_take(void **state)
{
	struct u64map *m = u64map_new(sizeof(uint64_t));
	uint64_t v;
	int created;
	(void)state;

	for (uint64_t k = 1; k <= 200000; k++)
		*(uint64_t *)u64map_put(m, k * 48, &created) = k;
	for (uint64_t k = 1; k <= 200000; k++) {
		if (k % 1000 == 0)
			continue;
		assert_int_equal(u64map_take(m, k * 48, &v), 1);
		assert_int_equal(v, k);
	}
	assert_int_equal(u64map_take(m, 48, &v), 0);
	assert_int_equal(u64map_count(m), 200);
	for (uint64_t k = 1000; k <= 200000; k += 1000)
		assert_int_equal(*(uint64_t *)u64map_get(m, k * 48), k);
	for (uint64_t k = 1; k <= 5000; k++) /* and it grows again */
		*(uint64_t *)u64map_put(m, k * 7 + 1, &created) = k;
	for (uint64_t k = 1; k <= 5000; k++)
		assert_int_equal(*(uint64_t *)u64map_get(m, k * 7 + 1), k);
	u64map_free(m);
}

static void count_entry(uint64_t key, void *value, void *arg)
{
	(void)key;
	*(uint64_t *)arg += *(uint64_t *)value;
}

static void test_each(void **state)
{
	struct u64map *m = u64map_new(sizeof(uint64_t));
	uint64_t sum = 0;
	int created;
	(void)state;

	for (uint64_t k = 1; k <= 10; k++)
		*(uint64_t *)u64map_put(m, k, &created) = k;
	u64map_each(m, count_entry, &sum);
	assert_int_equal(sum, 55);
	u64map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_remove),
		cmocka_unit_test(test_shrink_and_take),
		cmocka_unit_test(test_each),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
