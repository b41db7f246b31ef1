/* Histogram bucket arithmetic shared by the recorder (which fills site_hist) and the analyses
 * (which read it): log2 buckets split in four, and the lifetime buckets shown to users. */
#ifndef HEAPSCOPE_STORE_HIST_H
#define HEAPSCOPE_STORE_HIST_H

#include <stdint.h>

/* Fine buckets: 0 holds 0; then each power of two [2^o, 2^(o+1)) in four equal parts (fewer
 * below 4), so a percentile read from them is within ~12% of the true value. */
#define HIST_FINE_BUCKETS 257

static inline int hist_fine_index(uint64_t v)
{
	int o;

	if (!v)
		return 0;
	o = 63 - __builtin_clzll(v);
	return 1 + 4 * o + (int)(o < 2 ? v - (1ULL << o) : (v >> (o - 2)) & 3);
}

static inline uint64_t hist_fine_width(int i)
{
	int o = (i - 1) / 4;

	return i == 0 || o < 2 ? 1 : 1ULL << (o - 2);
}

static inline uint64_t hist_fine_lo(int i)
{
	int o = (i - 1) / 4;

	return i == 0 ? 0 : (1ULL << o) + (uint64_t)((i - 1) % 4) * hist_fine_width(i);
}

/* Lifetime buckets as users see them: under 1 µs, then doubling from 1 µs, up to 1 hour, then
 * over 1 hour. Bounds in ns; the last bucket's hi is INT64_MAX. */
#define LIFETIME_BUCKETS 34
#define LIFETIME_HOUR_NS 3600000000000LL

static inline int lifetime_bucket(int64_t ns)
{
	if (ns < 1000)
		return 0;
	if (ns >= LIFETIME_HOUR_NS)
		return LIFETIME_BUCKETS - 1;
	return 1 + (63 - __builtin_clzll((uint64_t)(ns / 1000)));
}

static inline int64_t lifetime_bucket_lo(int i)
{
	if (i == 0)
		return 0;
	if (i == LIFETIME_BUCKETS - 1)
		return LIFETIME_HOUR_NS;
	return 1000LL << (i - 1);
}

static inline int64_t lifetime_bucket_hi(int i)
{
	if (i == LIFETIME_BUCKETS - 1)
		return INT64_MAX;
	if (i == LIFETIME_BUCKETS - 2)
		return LIFETIME_HOUR_NS;
	return 1000LL << i;
}

/* Size buckets as users see them: 0 bytes, then [2^(k-1), 2^k) for k >= 1. */
#define SIZE_BUCKETS 65

static inline int size_bucket(uint64_t size)
{
	return size ? 64 - __builtin_clzll(size) : 0;
}

#endif
