/* Per-call-site aggregates kept while recording (counts, sizes, lifetimes, allocator-pattern
 * evidence) and written every second and at the end, so the analyses read a few rows per site
 * instead of scanning every allocation. */
#ifndef HEAPSCOPE_SITESTATS_H
#define HEAPSCOPE_SITESTATS_H

#include <stdint.h>

struct store;
struct sitestats;

/* NULL when out of memory. */
struct sitestats *sitestats_new(void);
void sitestats_free(struct sitestats *ss);

/* A successful allocation at site, standing for `weight` blocks (1 exact; sampled mode: see
 * agent/sampling.h): every count and byte total below is a sum of weights. 0 or -ENOMEM. */
int sitestats_alloc(struct sitestats *ss, int64_t site, uint64_t size, int64_t weight, int64_t ts,
		    int64_t alloc_ns);

/* A realloc at site that grew a block from old_size to new_size; chain = how many reallocs the
 * block has been through, this one included. */
void sitestats_realloc(struct sitestats *ss, int64_t site, uint64_t old_size, uint64_t new_size,
		       int64_t weight, int chain);

/* The free of a block allocated at site by alloc_tid at alloc_ts, made at free_site by free_tid.
 * temporary: the allocating thread freed it before allocating anything else. 0 or -ENOMEM. */
int sitestats_free_block(struct sitestats *ss, int64_t site, uint64_t size, int64_t weight,
			 int64_t alloc_ts, int alloc_tid, int64_t free_ts, int64_t free_site,
			 int free_tid, int temporary);

/* Writes the sites changed since the last write to site_stats, site_hist and cross_thread (rows
 * are replaced, so readers see the recording so far). final: the recording ended. */
int sitestats_write(struct sitestats *ss, struct store *st, int final);

#endif
