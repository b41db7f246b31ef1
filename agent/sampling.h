/* Sampled mode (`record --sample BYTES`): which allocations the BPF side samples, and how much
 * each sample weighs. Poisson sampling by bytes: each thread counts down an exponential number
 * of bytes of mean R; an allocation of size s is sampled with probability p(s) = 1 - exp(-s/R),
 * independently of the others, and stands for 1/p(s) allocations and s/p(s) bytes, so sums of
 * weights are unbiased estimates of counts and bytes (per site, in total, live at any time). */
#ifndef HEAPSCOPE_SAMPLING_H
#define HEAPSCOPE_SAMPLING_H

#include <stdint.h>

#include "bpf/abi.h"

/* The default rate: see README "Sampled or exact". */
#define SAMPLING_DEFAULT_BYTES (128 * 1024)

struct sampling {
	uint64_t mean_bytes; /* R */
	uint64_t rng;	     /* state of the weights' stochastic rounding */
};

/* seed 0: from the clock. */
void sampling_init(struct sampling *s, uint64_t mean_bytes, uint64_t seed);

/* p(s), the probability that an allocation of size bytes is sampled. */
double sampling_probability(uint64_t mean_bytes, uint64_t size);

/* Blocks a sample of size bytes stands for: 1/p(s) rounded up or down at random, with the
 * odds that keep its expectation 1/p(s) (an integer weight keeps every aggregate an integer). */
int64_t sampling_weight(struct sampling *s, uint64_t size);

/* The table the BPF side draws countdowns with (bpf/abi.h): HS_LOG2_ENTRIES values. */
void sampling_log2_table(uint32_t *out);

/* R * ln 2 split for the BPF side's integer arithmetic: whole part and 20-bit fraction. */
void sampling_rate_factor(uint64_t mean_bytes, uint64_t *whole, uint64_t *frac20);

#endif
