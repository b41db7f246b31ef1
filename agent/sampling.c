/* Weights of sampled allocations, and the constants the BPF side draws its countdowns with. */
#include <math.h>
#include <time.h>

#include "agent/sampling.h"

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

void sampling_init(struct sampling *s, uint64_t mean_bytes, uint64_t seed)
{
	struct timespec ts;

	if (!seed) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	s->mean_bytes = mean_bytes;
	s->rng = seed;
}

double sampling_probability(uint64_t mean_bytes, uint64_t size)
{
	return mean_bytes ? -expm1(-(double)size / (double)mean_bytes) : 1.0;
}

int64_t sampling_weight(struct sampling *s, uint64_t size)
{
	double p, w, whole, u;

	if (!s->mean_bytes)
		return 1;
	p = sampling_probability(s->mean_bytes, size ? size : 1); /* malloc(0) counts as a byte */
	w = 1.0 / p;
	whole = floor(w);
	u = (double)(splitmix64(&s->rng) >> 11) * 0x1p-53;
	return (int64_t)whole + (u < w - whole);
}

void sampling_log2_table(uint32_t *out)
{
	for (int i = 0; i < HS_LOG2_ENTRIES; i++) {
		double v = log2(1.0 + (double)i / (1 << HS_LOG2_BITS)) * 4294967296.0;

		out[i] = v >= 4294967295.0 ? 0xffffffffu : (uint32_t)llround(v);
	}
}

void sampling_rate_factor(uint64_t mean_bytes, uint64_t *whole, uint64_t *frac20)
{
	long double k = (long double)mean_bytes * 0.693147180559945309417232121458L;

	*whole = (uint64_t)floorl(k);
	*frac20 = (uint64_t)llroundl((k - floorl(k)) * 1048576.0L);
	if (*frac20 >= 1048576) {
		*whole += 1;
		*frac20 -= 1048576;
	}
}
