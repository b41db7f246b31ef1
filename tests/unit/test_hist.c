/* Unit tests of the histogram bucket arithmetic: every value falls in the bucket whose bounds
 * hold it, and the user-facing lifetime buckets have the documented edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/hist.h"

static void test_fine_buckets_hold_their_values(void **state)
{
	uint64_t vals[] = { 0,	       1,    2,	   3,	      4,
			    5,	       6,    7,	   8,	      9,
			    15,	       16,   17,   1000,      1023,
			    1024,      1535, 1536, 123456789, UINT64_MAX / 3,
			    UINT64_MAX };
	(void)state;

	for (size_t k = 0; k < sizeof(vals) / sizeof(*vals); k++) {
		int i = hist_fine_index(vals[k]);

		assert_in_range(i, 0, HIST_FINE_BUCKETS - 1);
		assert_true(hist_fine_lo(i) <= vals[k]);
		assert_true(vals[k] - hist_fine_lo(i) < hist_fine_width(i));
	}
	/* Monotonic, and a bucket is at most a quarter of its octave wide. */
	for (uint64_t v = 1; v < 100000; v++) {
		assert_true(hist_fine_index(v) >= hist_fine_index(v - 1));
		assert_true(hist_fine_width(hist_fine_index(v)) * 4 <= (v < 4 ? 4 : v));
	}
}

static void test_lifetime_buckets(void **state)
{
	(void)state;
	assert_int_equal(lifetime_bucket(0), 0);
	assert_int_equal(lifetime_bucket(999), 0);
	assert_int_equal(lifetime_bucket(1000), 1);
	assert_int_equal(lifetime_bucket(1999), 1);
	assert_int_equal(lifetime_bucket(2000), 2);
	assert_int_equal(lifetime_bucket(10000000), 14);  /* 10 ms: [8.192 ms, 16.384 ms) */
	assert_int_equal(lifetime_bucket(200000000), 18); /* 200 ms: [131 ms, 262 ms) */
	assert_int_equal(lifetime_bucket(LIFETIME_HOUR_NS - 1), LIFETIME_BUCKETS - 2);
	assert_int_equal(lifetime_bucket(LIFETIME_HOUR_NS), LIFETIME_BUCKETS - 1);
	for (int i = 0; i < LIFETIME_BUCKETS; i++) {
		assert_int_equal(lifetime_bucket(lifetime_bucket_lo(i)), i);
		if (i < LIFETIME_BUCKETS - 1)
			assert_int_equal(lifetime_bucket(lifetime_bucket_hi(i) - 1), i);
	}
	assert_int_equal(size_bucket(0), 0);
	assert_int_equal(size_bucket(1), 1);
	assert_int_equal(size_bucket(2), 2);
	assert_int_equal(size_bucket(3), 2);
	assert_int_equal(size_bucket(4096), 13);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fine_buckets_hold_their_values),
		cmocka_unit_test(test_lifetime_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
