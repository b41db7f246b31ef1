/* The reachability scan: stops every thread of a live process, reads its roots (registers,
 * stacks, writable segments, TLS) and classifies its live blocks as Valgrind's memcheck does. */
#ifndef HEAPSCOPE_REACH_H
#define HEAPSCOPE_REACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* A block's verdict (stored as is: allocations.reach, leak_sites.reach, table reach_kinds). */
enum reach_kind {
	REACH_NONE = 0,	     /* not scanned */
	REACH_DEFINITE = 1,  /* definitely lost: no pointer to it anywhere */
	REACH_INDIRECT = 2,  /* indirectly lost: pointed to only from lost blocks */
	REACH_POSSIBLE = 3,  /* possibly lost: only interior pointers, or only via such blocks */
	REACH_REACHABLE = 4, /* still reachable: a chain of start pointers from a root */
};
#define REACH_KINDS 5

/* A live block: addr and size in, kind out; key is the caller's (the tracker's). */
struct reach_block {
	uint64_t addr, size, key;
	int kind; /* enum reach_kind */
};

struct reach_stats {
	int threads;		/* threads stopped (at exit: the one held) */
	int64_t stop_ns;	/* how long the target was stopped */
	int64_t scan_ns;	/* the whole scan, the stop included */
	int64_t roots_bytes;	/* registers, stacks, writable segments and TLS read */
	int64_t blocks_bytes;	/* block contents read */
	int64_t unreadable;	/* blocks whose memory could not be read (taken as empty) */
	int64_t blocks[REACH_KINDS], bytes[REACH_KINDS];
};

struct reach_opts {
	pid_t pid;
	/* pid's main thread is held by us at its exit (PTRACE_EVENT_EXIT): its registers are read
	 * as they are, the other threads are dying and are not stopped. */
	int at_exit;
	/* Blocks allocated before the recording began are unknown (attach mode): the heap's memory
	 * outside the known blocks is read as roots too, so a new block that only an old one points
	 * to is not called lost. Stale words in free memory may then keep a lost block reachable:
	 * this way errs towards missing a leak, never towards inventing one. */
	int untraced_heap;
	/* Called once every thread is stopped: the caller takes its events up to now (so its live
	 * set is exact) and gives the live blocks of pid's memory (*blocks stays the caller's;
	 * their kinds are written there). 0 or -errno. */
	int (*stopped)(void *ctx, struct reach_block **blocks, size_t *n);
	void *ctx;
};

/*
 * Stops pid (PTRACE_SEIZE + PTRACE_INTERRUPT on each thread; a thread we trace already only
 * gets the interrupt, and its stop is left for its tracer's code to take and resume), reads
 * the roots and every reached block with process_vm_readv, classifies every block, and lets
 * the threads go on before returning, on every path. If we die meanwhile the kernel detaches
 * the threads and they go on. 0 or -errno with a one-line reason in err (-EPERM: traced by
 * another process).
 */
int reach_scan(const struct reach_opts *o, struct reach_stats *st, char *err, size_t errlen);

/* Classifies blocks (sorted by address, not overlapping) from the words of roots, reading
 * block contents with read(ctx, addr, buf, len) (bytes read, short or -1 on a fault). The
 * part of reach_scan that needs no process: exposed for the unit tests. 0 or -ENOMEM. */
struct reach_mem {
	ssize_t (*read)(void *ctx, const struct iovec *remote, int n, void *buf, size_t len);
	void *ctx;
};
int reach_classify(struct reach_block *blocks, size_t n, const uint64_t *roots, size_t nroots,
		   const struct reach_mem *mem, struct reach_stats *st);

/* "definitely lost", "indirectly lost", "possibly lost", "still reachable" or "not scanned". */
const char *reach_kind_name(int kind);

#endif
