/* The options of `heapscope record`, parsed and checked. */
#ifndef HEAPSCOPE_RECORD_OPTS_H
#define HEAPSCOPE_RECORD_OPTS_H

#include <limits.h>
#include <sys/types.h>

struct record_opts {
	pid_t pid;
	char **argv; /* launch mode when non-NULL */
	char output[PATH_MAX];
	double duration_s;
	int keep_events;
	int ringbuf_mb;
	int caller_only; /* --stack=caller: the allocator's caller, no deeper frames */
	int serve;	 /* --serve: the dashboard of this recording, live */
	int port;
	const char *bind;
};

/* Parses argv (argv[0] = "record"); on a bad option prints one line and the usage on stderr and
 * returns -EINVAL. --help prints the usage and exits 0. */
int record_parse_opts(int argc, char **argv, struct record_opts *o);

#endif
