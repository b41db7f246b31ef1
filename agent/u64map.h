/* Open-addressing hash map from a non-zero 64-bit key to a fixed-size value: the agent's hot-path
 * index (live blocks by address, stacks by BPF id, frames by address). */
#ifndef HEAPSCOPE_U64MAP_H
#define HEAPSCOPE_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map;

/* A map of values of value_size bytes (aligned to 8 bytes when value_size is a multiple of 8,
 * else to 4: a packed value saves the padding). Its memory follows the entries held now: about
 * 8 + value_size bytes per entry plus 5..11 of index, and one page of each array at least.
 * NULL when out of memory. Free with u64map_free. */
struct u64map *u64map_new(size_t value_size);
void u64map_free(struct u64map *m);

/* The value stored under key (non-zero), or NULL. Valid until the next insert or remove. */
void *u64map_get(const struct u64map *m, uint64_t key);

/* The value slot for key, created zero-filled if absent (*created = 1). NULL when out of memory. */
void *u64map_put(struct u64map *m, uint64_t key, int *created);

/* Removes key; 1 if it was there. Moves another entry: every value pointer is stale after. */
int u64map_remove(struct u64map *m, uint64_t key);

/* Removes key after copying its value to out; 1 if it was there. One lookup, not two. */
int u64map_take(struct u64map *m, uint64_t key, void *out);

size_t u64map_count(const struct u64map *m);

/* Calls fn for every entry, in no particular order; the map must not change meanwhile. */
void u64map_each(const struct u64map *m, void (*fn)(uint64_t key, void *value, void *arg),
		 void *arg);

#endif
