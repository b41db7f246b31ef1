/* Where a report goes: stdout, or a file that is never left half-written. */
#ifndef HEAPSCOPE_REPORT_OUTFILE_H
#define HEAPSCOPE_REPORT_OUTFILE_H

#include <stdio.h>

/* render(f, ctx) writes the output (0 or -errno). path NULL: to stdout. A regular (or new) file
 * is rendered into PATH.tmp and renamed over PATH, so a failure leaves no partial file; anything
 * else (/dev/null, a FIFO, a terminal) is written in place, since renaming over it would put a
 * file where the device was. 0 or -errno. */
int outfile_write(const char *path, int (*render)(FILE *f, void *ctx), void *ctx);

#endif
