/* The machine's processes as the dashboard lists them: what could be recorded. */
#ifndef HEAPSCOPE_DAEMON_PROCS_H
#define HEAPSCOPE_DAEMON_PROCS_H

#include "daemon/catalog.h"

struct json;

/* {"processes": [{"pid", "user", "command", "rss_bytes", "allocator", "recording", "heapscope"}]}
 * from /proc, by pid: every process with a command line (kernel threads left out). allocator:
 * "glibc", "jemalloc", "tcmalloc", "mimalloc" (the malloc a recording would probe, from its
 * mapped libraries), null when none is mapped (a static or Go program); recording: the id of
 * the running recording of it, or null; heapscope: 1 for the daemon and its recorders. */
void procs_json(struct json *j, struct catalog *c);

#endif
