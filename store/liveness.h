/* Whether the recorder that writes a recording still runs: its identity, stored in the recording
 * row, and the check a reader makes against the running system. */
#ifndef HEAPSCOPE_STORE_LIVENESS_H
#define HEAPSCOPE_STORE_LIVENESS_H

#include <stdint.h>

/* A process, told apart from any later one with its pid: its start time (clock ticks since
 * boot, /proc/PID/stat) and where the pid means it (the boot, the pid namespace). */
struct liveness_id {
	int pid;
	int64_t start_ticks;
	char where[96]; /* boot id + pid namespace; "" unknown */
};

/* The calling process's identity. 0 or -errno (then only pid is set). */
int liveness_self(struct liveness_id *out);

/* 1: that process still runs; 0: it is gone (its pid is free or another process's); -1: cannot
 * tell here (another boot or pid namespace, or identity unknown). */
int liveness_check(const struct liveness_id *id);

#endif
