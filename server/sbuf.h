/* A growable text buffer for assembling HTTP response bodies from JSON fragments. */
#ifndef HEAPSCOPE_SERVER_SBUF_H
#define HEAPSCOPE_SERVER_SBUF_H

#include <stddef.h>

/* Zero-initialise before use. Errors are sticky: after a failed append err is -ENOMEM and
 * every later append is a no-op. */
struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_adds(struct sbuf *b, const char *s);
/* The text (NUL-terminated, length in *len), which the caller frees; the buffer is reset. NULL
 * (and the buffer freed) after an error. */
char *sbuf_take(struct sbuf *b, size_t *len);
void sbuf_free(struct sbuf *b);

#endif
