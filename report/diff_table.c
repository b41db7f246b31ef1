/* Matching call sites across recordings: the stack's identity as a key, and the table that
 * folds every side's stacks of one key into one site. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/buf.h"
#include "report/diff_priv.h"

/* The module's file name: the same binary installed or built in another directory matches. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void key_frame(struct buf *b, const struct an_frame *f, uint64_t rel_addr)
{
	char hex[40];

	if (f->function) {
		buf_adds(b, f->function);
		if (f->module) {
			buf_adds(b, "@");
			buf_adds(b, base_name(f->module));
		}
		return;
	}
	/* Runtime addresses move with ASLR; an offset in the module file does not. */
	if (f->module) {
		buf_adds(b, base_name(f->module));
		snprintf(hex, sizeof(hex), "+0x%" PRIx64, rel_addr);
	} else {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, f->addr);
	}
	buf_adds(b, hex);
}

int diff_stack_key(const struct an_stack *s, const uint64_t *rel_addr, char **out)
{
	struct buf b = { 0 };

	if (!s->depth)
		buf_adds(&b, "[unknown]");
	for (int i = 0; i < s->depth; i++) {
		if (i)
			buf_adds(&b, ";");
		key_frame(&b, &s->frames[i], rel_addr ? rel_addr[i] : 0);
	}
	*out = buf_take(&b, NULL);
	return *out ? 0 : -ENOMEM;
}

int diff_table_add(struct diff_table *t, int side, char *key, struct an_stack *stack,
		   const struct diff_counts *c)
{
	struct diff_site *s;
	int err = -ENOMEM;

	if (side < 0 || side >= t->nsides) {
		err = -EINVAL;
		goto fail;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct diff_site *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			goto fail;
		t->v = v;
		t->cap = cap;
	}
	s = &t->v[t->n];
	*s = (struct diff_site){ .key = key, .stack = *stack, .stack_side = side };
	s->c = calloc((size_t)t->nsides, sizeof(*s->c));
	if (!s->c)
		goto fail;
	s->c[side] = *c;
	*stack = (struct an_stack){ 0 };
	t->n++;
	return 0;
fail:
	free(key);
	an_stack_free(stack);
	return err;
}

static int cmp_key(const void *x, const void *y)
{
	const struct diff_site *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	/* Within a key, the latest side first: its frames are the ones kept. */
	return c ? c : b->stack_side - a->stack_side;
}

static void add_counts(struct diff_counts *to, const struct diff_counts *c)
{
	to->allocs += c->allocs;
	to->bytes += c->bytes;
	to->live_blocks += c->live_blocks;
	to->live_bytes += c->live_bytes;
}

static void site_free(struct diff_site *s)
{
	free(s->key);
	an_stack_free(&s->stack);
	free(s->c);
}

int diff_table_fold(struct diff_table *t)
{
	size_t n = 0;

	if (!t->n)
		return 0;
	qsort(t->v, t->n, sizeof(*t->v), cmp_key);
	for (size_t i = 0; i < t->n; i++) {
		struct diff_site *into = n ? &t->v[n - 1] : NULL, *x = &t->v[i];

		if (!into || strcmp(into->key, x->key)) {
			t->v[n++] = *x;
			continue;
		}
		for (int k = 0; k < t->nsides; k++)
			add_counts(&into->c[k], &x->c[k]);
		site_free(x);
	}
	t->n = n;
	return 0;
}

static int cmp_i64_desc(int64_t x, int64_t y)
{
	return x > y ? -1 : x < y;
}

/* The two sides compared, passed to qsort_r: no file-level state (server threads sort too). */
struct sides {
	int a, b;
};

static int cmp_growth(const void *x, const void *y, void *arg)
{
	const struct sides *sd = arg;
	const struct diff_site *s = x, *u = y;
	struct diff_counts ds = diff_counts_sub(&s->c[sd->b], &s->c[sd->a]);
	struct diff_counts du = diff_counts_sub(&u->c[sd->b], &u->c[sd->a]);
	int c = cmp_i64_desc(ds.live_bytes, du.live_bytes);

	if (!c)
		c = cmp_i64_desc(ds.bytes, du.bytes);
	return c ? c : strcmp(s->key, u->key);
}

void diff_table_sort_growth(struct diff_table *t, int a, int b)
{
	struct sides sd = { a, b };

	if (t->n > 1) /* v is NULL without sites: not for qsort_r, even for 0 */
		qsort_r(t->v, t->n, sizeof(*t->v), cmp_growth, &sd);
}

void diff_table_free(struct diff_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		site_free(&t->v[i]);
	free(t->v);
	*t = (struct diff_table){ .nsides = t->nsides };
}

int diff_counts_zero(const struct diff_counts *c)
{
	return !c->allocs && !c->bytes && !c->live_blocks && !c->live_bytes;
}

const char *diff_site_status(const struct diff_site *s, int a, int b)
{
	int in_a = !diff_counts_zero(&s->c[a]), in_b = !diff_counts_zero(&s->c[b]);

	return in_a && in_b ? "both" : in_b ? "new" : "gone";
}

struct diff_counts diff_counts_sub(const struct diff_counts *b, const struct diff_counts *a)
{
	return (struct diff_counts){ b->allocs - a->allocs, b->bytes - a->bytes,
				     b->live_blocks - a->live_blocks,
				     b->live_bytes - a->live_bytes };
}
