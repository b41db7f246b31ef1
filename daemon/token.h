/* The daemon's access token: 256 random bits, kept in DATA/token (mode 0600, root's). */
#ifndef HEAPSCOPE_DAEMON_TOKEN_H
#define HEAPSCOPE_DAEMON_TOKEN_H

#include <stddef.h>

#define TOKEN_HEX 64 /* characters; the buffer needs one more */

/* Reads DATA/token, creating it on first start. 0, or -errno with a one-line reason in err (a
 * token file that is not 64 hex characters, or that others may read, is refused). */
int token_load(const char *data_dir, char token[TOKEN_HEX + 1], char *err, size_t errlen);

#endif
