/* Unit tests of sampled mode's arithmetic (agent/sampling.c): the probability of a sample, the
 * weights' expectation (1/p, so sums of weights are unbiased), the BPF side's constants. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent/sampling.h"

static void probability_follows_the_rate(void **state)
{
	(void)state;
	assert_true(fabs(sampling_probability(4096, 4096) - (1 - exp(-1.0))) < 1e-12);
	assert_true(fabs(sampling_probability(4096, 16) - (1 - exp(-16.0 / 4096))) < 1e-15);
	assert_true(sampling_probability(4096, 1 << 20) == 1.0); /* 1 - e^-256 rounds to 1 */
	assert_true(sampling_probability(0, 16) == 1.0);	 /* exact mode */
}

/* The mean of many weights of one size is 1/p within 5 standard errors (a weight is floor(1/p)
 * or one more: its variance is f(1 - f), f the fraction). */
static void weights_average_one_over_p(void **state)
{
	static const uint64_t sizes[] = { 1, 16, 100, 4096, 70000, 1 << 20 };
	struct sampling s;

	(void)state;
	sampling_init(&s, 4096, 42);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		double w = 1 / sampling_probability(4096, sizes[i]), f = w - floor(w), sum = 0;
		int n = 200000;

		for (int k = 0; k < n; k++) {
			int64_t x = sampling_weight(&s, sizes[i]);

			assert_true(x == (int64_t)floor(w) || x == (int64_t)floor(w) + 1);
			sum += (double)x;
		}
		assert_true(fabs(sum / n - w) <= 5 * sqrt(f * (1 - f) / n) + 1e-9);
	}
}

static void exact_mode_weighs_one(void **state)
{
	struct sampling s;

	(void)state;
	sampling_init(&s, 0, 1);
	assert_int_equal(sampling_weight(&s, 16), 1);
}

static void same_seed_same_weights(void **state)
{
	struct sampling a, b;

	(void)state;
	sampling_init(&a, 1000, 7);
	sampling_init(&b, 1000, 7);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sampling_weight(&a, 10), sampling_weight(&b, 10));
}

/* The table is log2(1 + i/1024) in Q32, increasing, from 0 to 2^32 (saturated). */
static void log2_table(void **state)
{
	uint32_t t[HS_LOG2_ENTRIES];

	(void)state;
	sampling_log2_table(t);
	assert_int_equal(t[0], 0);
	assert_int_equal(t[HS_LOG2_ENTRIES - 1], 0xffffffffu);
	assert_true(fabs(t[512] / 4294967296.0 - log2(1.5)) < 1e-9);
	for (int i = 1; i < HS_LOG2_ENTRIES; i++)
		assert_true(t[i] > t[i - 1]);
}

/* R ln 2 = whole + frac20 / 2^20. */
static void rate_factor(void **state)
{
	static const uint64_t rates[] = { 1, 16, 4096, 131072, 1ULL << 32 };

	(void)state;
	for (size_t i = 0; i < sizeof(rates) / sizeof(*rates); i++) {
		uint64_t whole, frac;

		sampling_rate_factor(rates[i], &whole, &frac);
		assert_true(frac < (1 << 20));
		assert_true(fabs((double)whole + frac / 1048576.0 - rates[i] * log(2.0)) <=
			    1.0 / 1048576);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probability_follows_the_rate),
		cmocka_unit_test(weights_average_one_over_p),
		cmocka_unit_test(exact_mode_weighs_one),
		cmocka_unit_test(same_seed_same_weights),
		cmocka_unit_test(log2_table),
		cmocka_unit_test(rate_factor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
