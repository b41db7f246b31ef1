/* The recorder's clocks in nanoseconds: CLOCK_MONOTONIC is the BPF side's bpf_ktime_get_ns. */
#ifndef HEAPSCOPE_CLOCK_H
#define HEAPSCOPE_CLOCK_H

#include <stdint.h>
#include <time.h>

#include "store/time.h"

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

#endif
