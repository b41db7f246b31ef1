/* The recorder's reachability scans and the control socket that asks for them (private to the
 * recorder's files, as record_priv.h). */
#ifndef HEAPSCOPE_RECORD_SCAN_H
#define HEAPSCOPE_RECORD_SCAN_H

#include <stddef.h>
#include <sys/types.h>

/* Where each recorder listens: rec-<recorder pid>.sock, mode 0600 in a 0700 directory, by
 * default; HEAPSCOPE_RUN_DIR another (tests: recorders that do not see each other). */
#define RECORD_SCAN_DIR "/run/heapscope"
const char *record_scan_dir(void);
/* name (a file of the run directory at path) is a socket whose recorder is gone: unlinked, 1. */
int record_scan_prune(const char *name, const char *path);

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

/* The client: asks every recorder listening at once (in parallel, each given RECORD_SCAN_FIND_MS
 * to answer) which one traces pid, then that one for a scan (`heapscope scan`, the daemon's POST
 * /api/recordings/ID/scan); recorder > 0 asks that one only. The answer's line into out. 0
 * (scanned), -ESRCH (no recorder traces pid), -ETIMEDOUT (none said so, some did not answer) or
 * -EIO (the scan failed: out says why). */
#define RECORD_SCAN_FIND_MS 3000
int record_scan_ask(pid_t recorder, pid_t pid, int json, char *out, size_t len);

/* `heapscope scan -p PID [--json]`. */
int scan_main(int argc, char **argv);

#endif
