/* A growable text buffer for assembling HTTP response bodies from JSON fragments. */
#include "server/sbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *np;

	if (b->err)
		return;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap != b->cap) {
		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

char *sbuf_take(struct sbuf *b, size_t *len)
{
	char *p;

	if (!b->p)
		sbuf_add(b, "", 0);
	if (b->err) {
		sbuf_free(b);
		return NULL;
	}
	p = b->p;
	*len = b->len;
	*b = (struct sbuf){ 0 };
	return p;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	*b = (struct sbuf){ 0 };
}
