/* The pprof profile builder: interning tables, the protobuf wire encoder and the gzip writer. */
#include "report/pprof.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "report/buf.h"
#include "store/analysis.h"

/* Interns byte strings as dense indexes: the string table and the four entity tables. */
struct itab {
	struct ient {
		char *key; /* NUL-terminated copy */
		size_t len;
		uint64_t hash;
	} * ents;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1, 0 if empty; open addressing, linear probing */
	size_t nslots;	 /* a power of two, at least twice n */
};

struct pmap {
	uint64_t start, limit;
	uint32_t build_id;
	int unnamed, no_file; /* a location without a function, without a file */
};

struct psample {
	size_t first; /* into pprof.locs */
	size_t depth;
	int64_t values[PPROF_NVALUES];
};

struct pprof {
	struct itab strings, functions, mappings, locations;
	struct pmap *maps; /* parallel to mappings.ents */
	size_t maps_cap;
	uint64_t *locs; /* every sample's location ids, back to back */
	size_t nlocs, locs_cap;
	struct psample *samples;
	size_t nsamples, samples_cap;
	int64_t time_ns, duration_ns, period;
	uint32_t types[PPROF_NVALUES][2], period_type[2], default_type;
	uint32_t comment; /* string index, 0: none */
};

/* Protobuf wire types. */
enum { WT_VARINT = 0, WT_LEN = 2 };

/* Makes room for one more element in a doubling array. */
static int grow(void *arrp, size_t *cap, size_t n, size_t elem)
{
	void **arr = arrp;
	size_t nc = *cap ? *cap * 2 : 16;
	void *na;

	if (n < *cap)
		return 0;
	na = realloc(*arr, nc * elem);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = nc;
	return 0;
}

static uint64_t fnv1a(const void *key, size_t len)
{
	const unsigned char *k = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 0x100000001b3ULL;
	return h;
}

static int itab_rehash(struct itab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = t->ents[i].hash & (ns - 1);

		while (s[h])
			h = (h + 1) & (ns - 1);
		s[h] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = ns;
	return 0;
}

/* Sets *idx to key's index, adding it if new. Returns 0 or -ENOMEM. */
static int itab_intern(struct itab *t, const void *key, size_t len, uint32_t *idx)
{
	uint64_t h = fnv1a(key, len);
	size_t i;
	char *copy;

	if ((t->n + 1) * 2 > t->nslots && itab_rehash(t))
		return -ENOMEM;
	for (i = h & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
		const struct ient *e = &t->ents[t->slots[i] - 1];

		if (e->hash == h && e->len == len && !memcmp(e->key, key, len)) {
			*idx = t->slots[i] - 1;
			return 0;
		}
	}
	if (t->n >= UINT32_MAX - 1 || grow(&t->ents, &t->cap, t->n, sizeof(*t->ents)))
		return -ENOMEM;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	t->ents[t->n] = (struct ient){ copy, len, h };
	*idx = (uint32_t)t->n++;
	t->slots[i] = *idx + 1;
	return 0;
}

static void itab_free(struct itab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ents[i].key);
	free(t->ents);
	free(t->slots);
}

static int str_id(struct pprof *p, const char *s, uint32_t *id)
{
	if (!s)
		s = "";
	return itab_intern(&p->strings, s, strlen(s), id);
}

static int value_type(struct pprof *p, const char *type, const char *unit, uint32_t vt[2])
{
	return str_id(p, type, &vt[0]) || str_id(p, unit, &vt[1]) ? -ENOMEM : 0;
}

struct pprof *pprof_new(void)
{
	static const char *const types[PPROF_NVALUES][2] = {
		{ "alloc_objects", "count" },
		{ "alloc_space", "bytes" },
		{ "inuse_objects", "count" },
		{ "inuse_space", "bytes" },
	};
	struct pprof *p = calloc(1, sizeof(*p));
	uint32_t empty;
	int err;

	if (!p)
		return NULL;
	err = str_id(p, "", &empty); /* the string table must start with "" */
	for (int i = 0; i < PPROF_NVALUES && !err; i++)
		err = value_type(p, types[i][0], types[i][1], p->types[i]);
	/* Go's heap profiles say the same: each sample is measured in bytes of space. */
	if (!err)
		err = value_type(p, "space", "bytes", p->period_type);
	p->default_type = p->types[PPROF_INUSE_SPACE][0];
	p->period = 1; /* every allocation is recorded */
	if (err) {
		pprof_free(p);
		return NULL;
	}
	return p;
}

static int function_id(struct pprof *p, const struct pprof_frame *fr, uint64_t *id)
{
	char hex[512];
	const char *name = fr->function, *base = fr->module ? strrchr(fr->module, '/') : NULL;
	uint32_t name_x, file_x, idx;
	uint64_t key[2];

	if (!name && fr->module && *fr->module)
		snprintf(hex, sizeof(hex), "%s+0x%" PRIx64, base ? base + 1 : fr->module, fr->offset);
	else if (!name)
		snprintf(hex, sizeof(hex), "0x%" PRIx64, fr->addr);
	if (!name)
		name = hex;
	if (str_id(p, name, &name_x) || str_id(p, fr->file, &file_x))
		return -ENOMEM;
	key[0] = name_x;
	key[1] = file_x;
	if (itab_intern(&p->functions, key, sizeof(key), &idx))
		return -ENOMEM;
	*id = (uint64_t)idx + 1;
	return 0;
}

/* The id of the frame's module mapping, 0 if it has none; the first range seen wins. */
static int mapping_id(struct pprof *p, const struct pprof_frame *fr, uint64_t *id)
{
	uint32_t file_x, build_x, idx;
	uint64_t key;
	size_t before = p->mappings.n;

	*id = 0;
	if (!fr->module || !*fr->module)
		return 0;
	if (str_id(p, fr->module, &file_x) || str_id(p, fr->build_id, &build_x))
		return -ENOMEM;
	key = file_x;
	if (grow(&p->maps, &p->maps_cap, before, sizeof(*p->maps)) ||
	    itab_intern(&p->mappings, &key, sizeof(key), &idx))
		return -ENOMEM;
	if (p->mappings.n > before)
		p->maps[idx] = (struct pmap){ fr->module_start, fr->module_end, build_x, 0, 0 };
	*id = (uint64_t)idx + 1;
	return 0;
}

/* The location of frames[0..n-1]: functions inlined into frames[n - 1], then that frame. */
static int location_id(struct pprof *p, const struct pprof_frame *fr, int n, uint64_t *id)
{
	const struct pprof_frame *own = &fr[n - 1];
	uint64_t key[2 + 2 * 64];
	uint32_t idx;
	struct pmap *m;

	if (n > 64)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (function_id(p, &fr[i], &key[2 + 2 * i]))
			return -ENOMEM;
		key[3 + 2 * i] = fr[i].line > 0 ? (uint64_t)fr[i].line : 0;
	}
	if (mapping_id(p, own, &key[0]))
		return -ENOMEM;
	m = key[0] ? &p->maps[key[0] - 1] : NULL;
	key[1] = own->addr;
	/* Another process's load of the same file: its address moved into the mapping's range. */
	if (m && own->module_start && m->start && own->addr >= own->module_start)
		key[1] = m->start + (own->addr - own->module_start);
	for (int i = 0; i < n; i++) {
		if (m && !fr[i].function)
			m->unnamed = 1;
		if (m && !fr[i].file)
			m->no_file = 1;
	}
	if (itab_intern(&p->locations, key, (2 + 2 * (size_t)n) * sizeof(*key), &idx))
		return -ENOMEM;
	*id = (uint64_t)idx + 1;
	return 0;
}

int pprof_add_sample(struct pprof *p, const struct pprof_frame *frames, int depth,
		     const int64_t values[PPROF_NVALUES])
{
	struct psample *s;
	size_t first = p->nlocs;
	int err = 0;

	if (depth < 0 || (depth > 0 && !frames) || !values)
		return -EINVAL;
	if (grow(&p->samples, &p->samples_cap, p->nsamples, sizeof(*p->samples)))
		return -ENOMEM;
	for (int i = 0; i < depth && !err;) {
		int n = 1;

		/* A frame and the functions inlined into it (at most 63: the rest their own). */
		while (i + n <= depth - 1 && frames[i + n - 1].inlined && n < 64)
			n++;
		err = grow(&p->locs, &p->locs_cap, p->nlocs, sizeof(*p->locs));
		if (!err)
			err = location_id(p, &frames[i], n, &p->locs[p->nlocs]);
		if (!err)
			p->nlocs++;
		i += n;
	}
	if (err) {
		p->nlocs = first;
		return err;
	}
	s = &p->samples[p->nsamples++];
	s->first = first;
	s->depth = p->nlocs - first;
	memcpy(s->values, values, sizeof(s->values));
	return 0;
}

int pprof_set_sampling(struct pprof *p, int64_t sample_bytes)
{
	char text[160];

	if (sample_bytes <= 0)
		return 0;
	snprintf(text, sizeof(text),
		 "estimated: sampled every %" PRId64 " bytes on average; counts and bytes are"
		 " estimates (each sample weighted by the blocks it stands for)",
		 sample_bytes);
	p->period = sample_bytes;
	return str_id(p, text, &p->comment);
}

void pprof_set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_ns = time_nanos;
	p->duration_ns = duration_nanos;
}

static void pb_varint(struct buf *b, uint64_t v)
{
	unsigned char t[10];
	size_t n = 0;

	do {
		t[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	buf_add(b, t, n);
}

/* A varint field (uint64, or int64 as two's complement); zero is the default and left out. */
static void pb_uint(struct buf *b, int field, uint64_t v)
{
	if (!v)
		return;
	pb_varint(b, (uint64_t)field << 3 | WT_VARINT);
	pb_varint(b, v);
}

static void pb_bytes(struct buf *b, int field, const void *d, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | WT_LEN);
	pb_varint(b, n);
	buf_add(b, d, n);
}

/* Appends sub as an embedded message and empties sub for reuse. */
static void pb_msg(struct buf *b, int field, struct buf *sub)
{
	if (sub->err && !b->err)
		b->err = sub->err;
	pb_bytes(b, field, sub->p, sub->len);
	buf_clear(sub);
}

/* A packed repeated varint field, built in tmp. */
static void pb_packed(struct buf *b, struct buf *tmp, int field, const uint64_t *v, size_t n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		pb_varint(tmp, v[i]);
	pb_msg(b, field, tmp);
}

static void enc_value_type(struct buf *out, struct buf *s, int field, const uint32_t vt[2])
{
	pb_uint(s, 1, vt[0]);
	pb_uint(s, 2, vt[1]);
	pb_msg(out, field, s);
}

static void enc_samples(const struct pprof *p, struct buf *out, struct buf *s, struct buf *t)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct psample *sm = &p->samples[i];
		uint64_t v[PPROF_NVALUES];

		for (int k = 0; k < PPROF_NVALUES; k++)
			v[k] = (uint64_t)sm->values[k];
		/* A sample may have no frame at all (a lost stack), when locs may still be NULL. */
		pb_packed(s, t, 1, sm->depth ? p->locs + sm->first : NULL, sm->depth);
		pb_packed(s, t, 2, v, PPROF_NVALUES);
		pb_msg(out, 2, s);
	}
}

static void enc_mappings(const struct pprof *p, struct buf *out, struct buf *s)
{
	for (size_t i = 0; i < p->mappings.n; i++) {
		const struct pmap *m = &p->maps[i];

		pb_uint(s, 1, i + 1);
		pb_uint(s, 2, m->start);
		pb_uint(s, 3, m->limit);
		pb_uint(s, 5, *(const uint64_t *)p->mappings.ents[i].key);
		pb_uint(s, 6, m->build_id);
		/* Symbolized (pprof then leaves it alone) unless a location in it lacks a name or a
		 * file: then pprof may find the file by build-id and symbolize it. The file offset is
		 * 0: the range starts with the file's first segment. */
		pb_uint(s, 7, !m->unnamed);
		pb_uint(s, 8, !m->no_file);
		pb_uint(s, 9, !m->no_file);
		pb_msg(out, 3, s);
	}
}

static void enc_locations(const struct pprof *p, struct buf *out, struct buf *s, struct buf *t)
{
	for (size_t i = 0; i < p->locations.n; i++) {
		const uint64_t *k = (const uint64_t *)p->locations.ents[i].key;

		size_t nlines = (p->locations.ents[i].len / sizeof(*k) - 2) / 2;

		pb_uint(s, 1, i + 1);
		pb_uint(s, 2, k[0]);
		pb_uint(s, 3, k[1]);
		for (size_t l = 0; l < nlines; l++) { /* innermost first, the caller last */
			pb_uint(t, 1, k[2 + 2 * l]);
			pb_uint(t, 2, k[3 + 2 * l]);
			pb_msg(s, 4, t);
		}
		pb_msg(out, 4, s);
	}
}

static void enc_functions(const struct pprof *p, struct buf *out, struct buf *s)
{
	for (size_t i = 0; i < p->functions.n; i++) {
		const uint64_t *k = (const uint64_t *)p->functions.ents[i].key;

		pb_uint(s, 1, i + 1);
		pb_uint(s, 2, k[0]);
		pb_uint(s, 3, k[0]);
		pb_uint(s, 4, k[1]);
		pb_msg(out, 5, s);
	}
}

static void enc_trailer(const struct pprof *p, struct buf *out, struct buf *s)
{
	for (size_t i = 0; i < p->strings.n; i++)
		pb_bytes(out, 6, p->strings.ents[i].key, p->strings.ents[i].len);
	pb_uint(out, 9, (uint64_t)p->time_ns);
	pb_uint(out, 10, (uint64_t)p->duration_ns);
	enc_value_type(out, s, 11, p->period_type);
	pb_uint(out, 12, (uint64_t)p->period);
	if (p->comment)
		pb_uint(out, 13, p->comment); /* repeated int64 comment: one, unpacked */
	pb_uint(out, 14, p->default_type);
}

int pprof_encode(const struct pprof *p, unsigned char **out, size_t *len)
{
	struct buf b = { 0 }, s = { 0 }, t = { 0 };

	for (int i = 0; i < PPROF_NVALUES; i++)
		enc_value_type(&b, &s, 1, p->types[i]);
	enc_samples(p, &b, &s, &t);
	enc_mappings(p, &b, &s);
	enc_locations(p, &b, &s, &t);
	enc_functions(p, &b, &s);
	enc_trailer(p, &b, &s);
	buf_free(&s);
	buf_free(&t);
	*out = (unsigned char *)buf_take(&b, len);
	return *out ? 0 : -ENOMEM;
}

/* Deflates data in gzip framing (windowBits 15 + 16) to out. */
static int gzip_to(FILE *out, const unsigned char *data, size_t n)
{
	unsigned char buf[16384];
	z_stream z = { 0 };
	int zr, err = 0;

	if (n > UINT_MAX)
		return -EFBIG;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)n;
	do {
		size_t have;

		z.next_out = buf;
		z.avail_out = sizeof(buf);
		zr = deflate(&z, Z_FINISH);
		have = sizeof(buf) - z.avail_out;
		if (fwrite(buf, 1, have, out) != have)
			err = -EIO;
	} while (zr == Z_OK && !err);
	if (!err && zr != Z_STREAM_END)
		err = -ENOMEM;
	deflateEnd(&z);
	if (!err && fflush(out))
		err = -EIO;
	return err;
}

int pprof_write_gz(const struct pprof *p, FILE *out)
{
	unsigned char *data;
	size_t len;
	int err = pprof_encode(p, &data, &len);

	if (err)
		return err;
	err = gzip_to(out, data, len);
	free(data);
	return err;
}

void pprof_free(struct pprof *p)
{
	if (!p)
		return;
	itab_free(&p->strings);
	itab_free(&p->functions);
	itab_free(&p->mappings);
	itab_free(&p->locations);
	free(p->maps);
	free(p->locs);
	free(p->samples);
	free(p);
}

int pprof_add_stack(struct pprof *p, const struct an_stack *stack,
		    const int64_t values[PPROF_NVALUES])
{
	struct pprof_frame frames[256];
	int depth = stack->depth < 256 ? stack->depth : 256;

	for (int k = 0; k < depth; k++) {
		const struct an_frame *f = &stack->frames[k];

		frames[k] = (struct pprof_frame){ .function = f->function,
						  .file = f->file,
						  .line = f->line,
						  .addr = f->addr,
						  .module = f->module,
						  .build_id = f->build_id,
						  .module_start = f->module_start,
						  .module_end = f->module_end,
						  .offset = f->offset,
						  .inlined = f->inlined };
	}
	return pprof_add_sample(p, frames, depth, values);
}
