/* The one growable byte buffer: doubling, NUL-terminated, sticky -ENOMEM. */
#include "report/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keeps one spare byte so the bytes can always be NUL-terminated in place. */
static int reserve(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *np;

	if (b->err)
		return b->err;
	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void buf_add(struct buf *b, const void *d, size_t n)
{
	if (reserve(b, n))
		return;
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *buf_take(struct buf *b, size_t *len)
{
	char *p;

	buf_add(b, "", 0);
	if (b->err) {
		buf_free(b);
		return NULL;
	}
	p = b->p;
	if (len)
		*len = b->len;
	*b = (struct buf){ 0 };
	return p;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}
