/* The recorder's reachability scans and the control socket that asks for them (private to the
 * recorder's files, as record_priv.h). */
#ifndef HEAPSCOPE_RECORD_SCAN_H
#define HEAPSCOPE_RECORD_SCAN_H

#include <stddef.h>
#include <sys/types.h>

#include "agent/scan_client.h"

struct recorder;

/* Scans pid (an image of this recording, in its own memory): stopped, classified, stored. The
 * result (text, or JSON with json) or the one-line reason goes into out. 0 or -errno. */
int record_scan(struct recorder *r, pid_t pid, const char *trigger, int at_exit, int json,
		char *out, size_t len);
/* --scan-at-end at a stop with processes still running: each is scanned, its line printed. */
void record_scan_running(struct recorder *r);

/* The control socket (r->scan_fd, in the loop's epoll; -1 when it cannot be made). */
int record_scan_listen(struct recorder *r);
void record_scan_request(struct recorder *r); /* r->scan_fd is readable */
void record_scan_close(struct recorder *r);

/* `heapscope scan -p PID [--json]`. */
int scan_main(int argc, char **argv);

#endif
