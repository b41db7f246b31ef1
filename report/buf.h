/* The one growable byte buffer: JSON text, pprof's protobuf bytes and HTTP response bodies. */
#ifndef HEAPSCOPE_REPORT_BUF_H
#define HEAPSCOPE_REPORT_BUF_H

#include <stddef.h>

/*
 * Zero-initialise before use. The bytes are always followed by a NUL (once anything was
 * allocated), so text can be used as a C string. Errors are sticky: after a failed append err
 * is -ENOMEM and every later append is a no-op.
 */
struct buf {
	char *p;
	size_t len, cap;
	int err;
};

void buf_add(struct buf *b, const void *d, size_t n);
void buf_adds(struct buf *b, const char *s);
/* Empties the buffer but keeps its memory, for reuse. */
void buf_clear(struct buf *b);
/* The bytes (NUL-terminated, length in *len if len is non-NULL), which the caller frees; the
 * buffer is reset. NULL (and the buffer freed) after an error or when out of memory. */
char *buf_take(struct buf *b, size_t *len);
/* Frees the bytes and resets the buffer. */
void buf_free(struct buf *b);

#endif
