/* The options of `heapscope record`, parsed and checked. */
#ifndef HEAPSCOPE_RECORD_OPTS_H
#define HEAPSCOPE_RECORD_OPTS_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "server/server.h"
#include "store/analysis.h"

#define RECORD_MAX_PIDS 64

struct record_opts {
	pid_t pid; /* the first of pids */
	pid_t pids[RECORD_MAX_PIDS];
	int npids;
	int follow;    /* -p: and the processes they fork */
	int no_follow; /* COMMAND: its process only */
	char **argv;   /* launch mode when non-NULL */
	char output[PATH_MAX];
	double duration_s;
	int keep_events;
	int ringbuf_mb;
	int stack_mode; /* --stack: enum hs_stack_mode */
	int max_depth;	/* --max-depth: frames per stack */
	uint64_t sample_bytes; /* --sample: mean bytes between samples, 0 = exact */
	uint64_t sample_seed;  /* --sample-seed, 0 = random */
	int serve;	/* --serve: the dashboard of this recording, live */
	int port;
	const char *bind;
	const char *allow_hosts[SERVER_ALLOW_HOSTS_MAX + 1]; /* --allow-host, NULL-terminated */
	const char *alloc_fns[AN_ALLOC_FN_MAX]; /* --alloc-fn: stored for reports to apply */
	int nalloc_fns;
	int scan_at_end; /* --scan-at-end: a reachability scan at each exit and at the end */
};

/* Parses argv (argv[0] = "record"); on a bad option prints one line and the usage on stderr and
 * returns -EINVAL. --help prints the usage and exits 0. */
int record_parse_opts(int argc, char **argv, struct record_opts *o);

/* The --alloc-fn patterns as a member of the recording's options JSON, `,"alloc_fn":[...]`, or ""
 * without any. malloc'd (the caller frees it); NULL: out of memory. */
char *record_alloc_fns_json(const struct record_opts *o);

/* enum hs_stack_mode from its --stack name, -1 if none. */
int stack_mode_parse(const char *name);

/* The --stack name of an enum hs_stack_mode. */
const char *stack_mode_name(int mode);

#endif
