/* Open-addressing hash map from a non-zero 64-bit key to a fixed-size value (linear probing,
 * backward-shift deletion, so there are no tombstones to slow down a long recording). */
#include <stdlib.h>
#include <string.h>

#include "agent/u64map.h"

struct u64map {
	size_t value_size, slot_size, cap, count;
	unsigned char *slots; /* each slot: uint64_t key (0 = empty), then the value */
};

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static unsigned char *slot(const struct u64map *m, size_t i)
{
	return m->slots + i * m->slot_size;
}

static uint64_t slot_key(const struct u64map *m, size_t i)
{
	uint64_t k;

	memcpy(&k, slot(m, i), sizeof(k));
	return k;
}

struct u64map *u64map_new(size_t value_size)
{
	struct u64map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->value_size = value_size;
	m->slot_size = (sizeof(uint64_t) + value_size + 7) & ~(size_t)7;
	m->cap = 1024;
	m->slots = calloc(m->cap, m->slot_size);
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void u64map_free(struct u64map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static size_t find(const struct u64map *m, uint64_t key)
{
	size_t i = mix(key) & (m->cap - 1);
	uint64_t k;

	while ((k = slot_key(m, i)) && k != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	size_t i = find(m, key);

	return slot_key(m, i) ? slot(m, i) + sizeof(uint64_t) : NULL;
}

static int grow(struct u64map *m)
{
	struct u64map bigger = *m;

	bigger.cap = m->cap * 2;
	bigger.slots = calloc(bigger.cap, m->slot_size);
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t k = slot_key(m, i);

		if (k)
			memcpy(slot(&bigger, find(&bigger, k)), slot(m, i), m->slot_size);
	}
	free(m->slots);
	*m = bigger;
	return 0;
}

void *u64map_put(struct u64map *m, uint64_t key, int *created)
{
	size_t i;

	*created = 0;
	if ((m->count + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	i = find(m, key);
	if (!slot_key(m, i)) {
		memcpy(slot(m, i), &key, sizeof(key));
		memset(slot(m, i) + sizeof(key), 0, m->value_size);
		m->count++;
		*created = 1;
	}
	return slot(m, i) + sizeof(uint64_t);
}

int u64map_remove(struct u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i = find(m, key), j = i;
	uint64_t k;

	if (!slot_key(m, i))
		return 0;
	/* Shift later members of the probe run back into the hole when their home allows it. */
	for (;;) {
		j = (j + 1) & mask;
		k = slot_key(m, j);
		if (!k)
			break;
		size_t home = mix(k) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			memcpy(slot(m, i), slot(m, j), m->slot_size);
			i = j;
		}
	}
	memset(slot(m, i), 0, sizeof(uint64_t));
	m->count--;
	return 1;
}

size_t u64map_count(const struct u64map *m)
{
	return m->count;
}

void u64map_each(const struct u64map *m, void (*fn)(uint64_t key, void *value, void *arg),
		 void *arg)
{
	for (size_t i = 0; i < m->cap; i++) {
		uint64_t k = slot_key(m, i);

		if (k)
			fn(k, slot(m, i) + sizeof(uint64_t), arg);
	}
}
