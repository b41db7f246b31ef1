/* Open-addressing hash map from a non-zero 64-bit key to a fixed-size value: a dense array of
 * entries (key, value) and an index of 32-bit entry numbers (linear probing, backward-shift
 * deletion, so there are no tombstones to slow down a long recording). A removal moves the last
 * entry into the hole, and both arrays shrink as the map empties, so the memory held follows the
 * entries held now, not the most ever held: ~entry size + 5..11 bytes of index per entry. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/u64map.h"

#define MIN_SLOTS 1024u /* index slots: one page */

struct u64map {
	size_t value_size, entry_size;
	size_t count, ecap; /* entries in use, entries the array has room for */
	size_t mask;	    /* index slots - 1 */
	uint32_t *index;    /* per slot: 0 empty, else entry number + 1 */
	unsigned char *entries;
};

/* The arrays are mapped pages, not heap blocks: growing one (mremap) copies nothing and leaves
 * the pages not yet used untouched, and shrinking one gives its pages back to the system, which
 * a heap block freed in the middle of the heap would not. */
static size_t page_round(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (bytes + page - 1) & ~(page - 1);
}

static void *pages_new(size_t bytes)
{
	void *p = mmap(NULL, page_round(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void pages_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, page_round(bytes));
}

static void *pages_resize(void *p, size_t old_bytes, size_t new_bytes)
{
	void *q = mremap(p, page_round(old_bytes), page_round(new_bytes), MREMAP_MAYMOVE);

	return q == MAP_FAILED ? NULL : q;
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static unsigned char *entry(const struct u64map *m, size_t e)
{
	return m->entries + e * m->entry_size;
}

static uint64_t entry_key(const struct u64map *m, size_t e)
{
	uint64_t k;

	memcpy(&k, entry(m, e), sizeof(k));
	return k;
}

struct u64map *u64map_new(size_t value_size)
{
	struct u64map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->value_size = value_size;
	/* 4-byte aligned entries: a value with 8-byte members has a size that is a multiple of 8,
	 * so its entries stay 8-byte aligned; a packed value saves the padding. */
	m->entry_size = (sizeof(uint64_t) + value_size + 3) & ~(size_t)3;
	m->mask = MIN_SLOTS - 1;
	m->ecap = page_round(MIN_SLOTS / 2 * m->entry_size) / m->entry_size;
	m->index = pages_new(MIN_SLOTS * sizeof(uint32_t));
	m->entries = pages_new(m->ecap * m->entry_size);
	if (!m->index || !m->entries) {
		u64map_free(m);
		return NULL;
	}
	return m;
}

void u64map_free(struct u64map *m)
{
	if (!m)
		return;
	pages_free(m->index, (m->mask + 1) * sizeof(uint32_t));
	pages_free(m->entries, m->ecap * m->entry_size);
	free(m);
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t find(const struct u64map *m, uint64_t key)
{
	size_t i = mix(key) & m->mask;
	uint32_t e;

	while ((e = m->index[i]) && entry_key(m, e - 1) != key)
		i = (i + 1) & m->mask;
	return i;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	uint32_t e = m->index[find(m, key)];

	return e ? entry(m, e - 1) + sizeof(uint64_t) : NULL;
}

/* A new index of slots slots (a power of two) over the same entries. */
static int reindex(struct u64map *m, size_t slots)
{
	uint32_t *index = pages_new(slots * sizeof(uint32_t));
	size_t mask = slots - 1;

	if (!index)
		return -1;
	for (size_t e = 0; e < m->count; e++) {
		size_t i = mix(entry_key(m, e)) & mask;

		while (index[i])
			i = (i + 1) & mask;
		index[i] = (uint32_t)(e + 1);
	}
	pages_free(m->index, (m->mask + 1) * sizeof(uint32_t));
	m->index = index;
	m->mask = mask;
	return 0;
}

static int resize_entries(struct u64map *m, size_t ecap)
{
	unsigned char *p = pages_resize(m->entries, m->ecap * m->entry_size, ecap * m->entry_size);

	if (!p)
		return -1;
	m->entries = p;
	m->ecap = ecap;
	return 0;
}

void *u64map_put(struct u64map *m, uint64_t key, int *created)
{
	size_t i;
	unsigned char *p;

	*created = 0;
	if ((m->count + 1) * 4 > (m->mask + 1) * 3 && reindex(m, (m->mask + 1) * 2))
		return NULL;
	i = find(m, key);
	if (m->index[i])
		return entry(m, m->index[i] - 1) + sizeof(uint64_t);
	if (m->count == m->ecap && resize_entries(m, m->ecap * 2))
		return NULL;
	p = entry(m, m->count);
	memcpy(p, &key, sizeof(key));
	memset(p + sizeof(key), 0, m->value_size);
	m->index[i] = (uint32_t)++m->count;
	*created = 1;
	return p + sizeof(uint64_t);
}

/* Empties slot i, shifting later members of its probe run back when their home allows it. */
static void unslot(struct u64map *m, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->index[j])
			break;
		size_t home = mix(entry_key(m, m->index[j] - 1)) & m->mask;

		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->index[i] = m->index[j];
			i = j;
		}
	}
	m->index[i] = 0;
}

/* Removes the entry in index slot i. */
static void remove_at(struct u64map *m, size_t i)
{
	size_t last = m->count - 1, e = m->index[i] - 1;

	unslot(m, i);
	if (e != last) { /* the last entry fills the hole: its slot now points there */
		i = mix(entry_key(m, last)) & m->mask;
		while (m->index[i] != last + 1)
			i = (i + 1) & m->mask;
		m->index[i] = (uint32_t)(e + 1);
		memcpy(entry(m, e), entry(m, last), m->entry_size);
	}
	m->count--;
	/* Shrink with hysteresis (grown at 3/4 full, shrunk below 1/8 and 1/4), so a map that
	 * hovers around a size does not resize back and forth. A failed shrink changes nothing. */
	if (m->mask + 1 > MIN_SLOTS && m->count * 8 < m->mask + 1)
		reindex(m, (m->mask + 1) / 2);
	if (m->ecap * m->entry_size > 4 * page_round(1) && m->count * 4 < m->ecap)
		resize_entries(m, m->ecap / 2);
}

int u64map_remove(struct u64map *m, uint64_t key)
{
	size_t i = find(m, key);

	if (!m->index[i])
		return 0;
	remove_at(m, i);
	return 1;
}

int u64map_take(struct u64map *m, uint64_t key, void *out)
{
	size_t i = find(m, key);

	if (!m->index[i])
		return 0;
	memcpy(out, entry(m, m->index[i] - 1) + sizeof(uint64_t), m->value_size);
	remove_at(m, i);
	return 1;
}

size_t u64map_count(const struct u64map *m)
{
	return m->count;
}

void u64map_each(const struct u64map *m, void (*fn)(uint64_t key, void *value, void *arg),
		 void *arg)
{
	for (size_t e = 0; e < m->count; e++)
		fn(entry_key(m, e), entry(m, e) + sizeof(uint64_t), arg);
}
