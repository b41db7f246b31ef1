/* Where recorders listen for scan requests, and the client that asks them. */
#ifndef HEAPSCOPE_SCAN_CLIENT_H
#define HEAPSCOPE_SCAN_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

/* Where each recorder listens: rec-<recorder pid>.sock, mode 0600 in a 0700 directory, by
 * default; HEAPSCOPE_RUN_DIR another (tests: recorders that do not see each other). */
#define RECORD_SCAN_DIR "/run/heapscope"
const char *record_scan_dir(void);
/* name (a file of the run directory at path) is a socket whose recorder is gone: unlinked, 1. */
int record_scan_prune(const char *name, const char *path);

/* The client: asks every recorder listening at once (in parallel, each given RECORD_SCAN_FIND_MS
 * to answer) which one traces pid, then that one for a scan (`heapscope scan`, the daemon's POST
 * /api/recordings/ID/scan); recorder > 0 asks that one only. The answer's line into out. 0
 * (scanned), -ESRCH (no recorder traces pid), -ETIMEDOUT (none said so, some did not answer) or
 * -EIO (the scan failed: out says why). */
#define RECORD_SCAN_FIND_MS 3000
int record_scan_ask(pid_t recorder, pid_t pid, int json, char *out, size_t len);

#endif
