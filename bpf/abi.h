/* Event layouts shared by the BPF programs and the agent: fixed-width types, explicit padding. */
#ifndef HEAPSCOPE_ABI_H
#define HEAPSCOPE_ABI_H

#ifdef __bpf__
/* vmlinux.h already defines the __u* types. */
#else
#include <linux/types.h>
#endif

/* Bumped whenever a layout below changes; the agent refuses a BPF object of another version. */
#define HS_ABI_VERSION 1

/* Deepest stack kept per allocation; frame 0 is the allocator's caller. */
#define HS_MAX_FRAMES 64

/* Allocator entry points. The order is part of the store (funcs table ids = value + 1). */
enum hs_func {
	HS_FN_MALLOC,
	HS_FN_CALLOC,
	HS_FN_REALLOC,
	HS_FN_REALLOCARRAY,
	HS_FN_POSIX_MEMALIGN,
	HS_FN_ALIGNED_ALLOC,
	HS_FN_MEMALIGN,
	HS_FN_VALLOC,
	HS_FN_PVALLOC,
	HS_FN_NEW,
	HS_FN_NEW_ARRAY,
	HS_FN_FREE,
	HS_FN_DELETE,
	HS_FN_DELETE_ARRAY,
	HS_FN_COUNT,
};

enum hs_event_type {
	HS_EV_ALLOC = 1, /* an outermost allocator call returned */
	HS_EV_FREE = 2,	 /* an outermost free/delete was entered with a non-NULL pointer */
	HS_EV_STACK = 3, /* a stack seen for the first time, or one that could not be deduplicated */
	HS_EV_MODULE = 4, /* an object in the dynamic linker's list (sent at every dlopen/dlclose) */
};

/* Counters kept in the per-CPU `counters` array, read by the agent. */
enum hs_counter {
	HS_CNT_DROPPED,		/* ring buffer full: event lost */
	HS_CNT_STACK_COLLISION, /* two stacks with one hash: sent inline, not merged */
	HS_CNT_STACK_MAP_FULL,	/* stack map full: sent inline */
	HS_CNT_INFLIGHT_FAIL,	/* no per-thread state could be created: call not traced */
	HS_CNT_COUNT,
};

/* Every event starts with this header. */
struct hs_event_hdr {
	__u32 type; /* enum hs_event_type */
	__u32 tid;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

/* HS_EV_ALLOC. realloc(p, 0) that freed p arrives here too, with addr = 0 and size = 0. */
struct hs_alloc_event {
	struct hs_event_hdr hdr;
	__u32 func; /* enum hs_func */
	__u32 pad;
	__u64 addr;	/* returned pointer, 0 on failure */
	__u64 size;	/* requested bytes (nmemb * size for calloc/reallocarray) */
	__u64 old_addr; /* realloc/reallocarray: the block passed in */
	__u64 stack_id; /* see struct hs_stack_event */
	__u64 dur_ns;	/* time spent inside the allocator */
};

/* HS_EV_FREE. */
struct hs_free_event {
	struct hs_event_hdr hdr;
	__u32 func; /* enum hs_func */
	__u32 pad;
	__u64 addr;
	__u64 stack_id;
};

/* HS_EV_STACK: the frames behind a stack_id. Sent once per id, before any event that uses it.
 * An id with HS_STACK_INLINE set belongs to one event only (hash collision or full map). */
#define HS_STACK_INLINE (1ULL << 63)
struct hs_stack_event {
	struct hs_event_hdr hdr;
	__u64 stack_id;
	__u32 depth;
	__u32 pad;
	__u64 frames[HS_MAX_FRAMES]; /* return addresses, innermost first; only `depth` are valid */
};

/* HS_EV_MODULE: one entry of ld.so's link_map list, read when the list is consistent, so an
 * object loaded and unloaded between two reads of /proc/PID/maps is still known. */
#define HS_MODULE_PATH 256
struct hs_module_event {
	struct hs_event_hdr hdr;
	__u64 bias; /* l_addr: load address - ELF address */
	char path[HS_MODULE_PATH];
};

/* Value of the `stacks` dedup map. */
struct hs_stack {
	__u32 depth;
	__u32 pad;
	__u64 frames[HS_MAX_FRAMES];
};

/* Attach cookie layout: which function a probe belongs to, and how many pushes precede the
 * probe site (the return address is at rsp + 8 * pushes). */
#define HS_COOKIE(func, pushes) (((__u64)(pushes) << 8) | (__u64)(func))
#define HS_COOKIE_FUNC(c) ((__u32)((c)&0xff))
#define HS_COOKIE_PUSHES(c) ((__u32)(((c) >> 8) & 0xff))

#endif
