/* A consistent copy of a recording, also of one still being written (its WAL included): what a
 * download sends. */
#ifndef HEAPSCOPE_STORE_SNAPSHOT_H
#define HEAPSCOPE_STORE_SNAPSHOT_H

#include <stddef.h>

/* Copies the recording at path into dest, an empty or absent file (VACUUM INTO, in one read
 * transaction). 0, or -EIO / -ENOENT with a one-line reason in err. */
int store_snapshot(const char *path, const char *dest, char *err, size_t errlen);

#endif
