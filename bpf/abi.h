/* Event layouts shared by the BPF programs and the agent: fixed-width types, explicit padding. */
#ifndef HEAPSCOPE_ABI_H
#define HEAPSCOPE_ABI_H

#ifdef __bpf__
/* vmlinux.h already defines the __u* types. */
#else
#include <linux/types.h>
#endif

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
	HS_EV_STACK_RAW = 5, /* a walk that met code loaded moments ago: finished by the agent */
	HS_EV_EXEC = 6,	     /* a traced process exec'd (attach mode: no tracer holds it there);
			      * every later event of its pid is the new program's */
	HS_EV_EXIT = 7,	     /* a traced process's last thread exited (attach mode): how */
};
#define HS_EV_TYPES 7

/* Counters kept in the per-CPU `counters` array, read by the agent. */
enum hs_counter {
	HS_CNT_DROPPED,		/* ring buffer full: event lost */
	HS_CNT_STACK_COLLISION, /* two stacks with one hash: sent inline, not merged */
	HS_CNT_STACK_MAP_FULL,	/* stack map full: sent inline */
	HS_CNT_INFLIGHT_FAIL,	/* no per-thread state could be created: call not traced */
	HS_CNT_NO_MAPPING,	/* a walk met code outside the mapping table: time to refresh it */
	HS_CNT_FP_FALLBACK,	/* frames taken from the frame pointer where CFI had no row */
	HS_CNT_DEFERRED,	/* walks handed to the agent with a copy of the stack */
	/* Sampled mode (--sample). */
	HS_CNT_SAMPLE_SKIPPED,	/* outermost allocations not sampled: no event, no walk */
	HS_CNT_SAMPLE_TAKEN,	/* allocations sampled (each makes an alloc event) */
	HS_CNT_SAMPLE_NESTED,	/* allocator calls inside another's (not counted twice) */
	HS_CNT_SAMPLE_TABLE_FULL, /* a sampled block that could not be remembered: lost */
	/* Per event type t (enum hs_event_type), at HS_CNT_EVENT(t, what): every event a program
	 * emitted, could not reserve (dropped), or did not send because it came after the cut. */
	HS_CNT_EVENTS,
	HS_CNT_COUNT = HS_CNT_EVENTS + 3 * HS_EV_TYPES,
};

enum hs_event_count {
	HS_EVC_EMITTED,
	HS_EVC_DROPPED,
	HS_EVC_AFTER_CUT,
};
#define HS_CNT_EVENT(type, what) (HS_CNT_EVENTS + 3 * ((type)-1) + (what))

/* What a stack holds (`--stack`). */
enum hs_stack_mode {
	HS_STACK_CALLER = 0, /* the allocator's immediate caller only */
	HS_STACK_FP = 1,     /* the frame-pointer chain above it */
	HS_STACK_DWARF = 2,  /* unwound with the modules' CFI tables, frame pointers where none */
};

/* How a stack walk ended (struct hs_stack.end, stacks.walk_end in the store). */
enum hs_walk_end {
	HS_END_COMPLETE = 0,	/* reached the outermost frame: CFI marks the return address undefined
				 * (_start, a thread's clone) */
	HS_END_CALLER_ONLY = 1, /* --stack=caller: only the immediate caller was asked for */
	HS_END_FP = 2,		/* --stack=fp: the frame-pointer chain ended (no way to tell why) */
	HS_END_DEPTH = 3,	/* the frame limit was reached */
	HS_END_NO_MAPPING = 4,	/* a return address in no known code mapping (JIT, or a library
				 * whose tables were not loaded yet) */
	HS_END_NO_CFI = 5,	/* code with no unwind row, and no frame pointer to fall back on */
	HS_END_UNSUPPORTED = 6, /* a CFI rule the walker cannot evaluate (expression, signal frame) */
	HS_END_READ_FAULT = 7,	/* the stack could not be read (a page not resident) */
	HS_END_BAD_FRAME = 8,	/* a zero return address, or a CFA that does not move up the stack */
	HS_END_COUNT,
};

/* Unwind rows: for one ELF file, sorted by addr; a row holds from its addr to the next row's.
 * The caller's frame: CFA = (rsp or rbp of this frame) + cfa_off; return address at CFA - 8;
 * the caller's rbp is this frame's rbp (rbp_slot 0) or saved at CFA + 8 * rbp_slot. */
enum hs_cfa_kind {
	HS_CFA_RSP = 0,
	HS_CFA_RBP = 1,
	HS_CFA_STOP = 2,	/* return address undefined: the outermost frame */
	HS_CFA_NONE = 3,	/* no CFI covers this address (a gap between FDEs) */
	HS_CFA_UNSUPPORTED = 4, /* a CFA expression, another register, or a return address not at
				 * CFA - 8 (PLT stubs, signal trampolines) */
};

struct hs_unwind_row {
	__u32 addr; /* ELF virtual address */
	__u16 cfa_off;
	__u8 cfa_kind; /* enum hs_cfa_kind */
	__s8 rbp_slot;
};

/* One executable mapping of the target, for the walker: addresses in [start, end) belong to a
 * file whose rows are unwind_rows[first, first + count) (count 0: no CFI), at pc - bias. */
#define HS_MAX_MAPPINGS 1024
struct hs_mapping {
	__u64 start, end, bias;
	__u32 first, count;
};

/* Value of the `mappings` map: two per traced process (slot), the agent fills the one not in use
 * and flips the slot's `mappings_live` (so a walk in progress never reads a half-written
 * table). Generations are unique across slots, so a cached rule is never taken for another
 * process's. */
struct hs_mappings {
	__u32 count;
	__u32 pad;
	struct hs_mapping m[HS_MAX_MAPPINGS];
};

/* Every event starts with this header. */
struct hs_event_hdr {
	__u32 type; /* enum hs_event_type */
	__u32 tid;
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;   /* the thread group */
	__u32 pad;
};

/* Processes traced at once (each has its own mapping table for the walker). */
#define HS_MAX_PROCS 64

/* Address spaces numbered by the BPF side itself (an exec the agent has not seen yet) have this
 * bit set; the agent's own are below it. */
#define HS_AS_BPF (1U << 31)

/* Value of the `procs` map, by thread group id: set by the agent before the probes of a process
 * (or of its new image after an exec) are attached. */
struct hs_proc {
	__u32 slot;  /* its mapping table: mappings[2 * slot + (mappings_live[slot] & 1)] */
	__u32 as_id; /* its address space, unique within the recording: stacks of two images with
		      * the same return addresses are different stacks */
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

/* HS_EV_EXIT: the wait status the process leaves (exit code << 8, or the signal that killed it). */
struct hs_exit_event {
	struct hs_event_hdr hdr;
	__u32 status;
	__u32 pad;
};

/* HS_EV_STACK: the frames behind a stack_id. Sent once per id, before any event that uses it.
 * An id with HS_STACK_INLINE set belongs to one event only (hash collision or full map). */
#define HS_STACK_INLINE (1ULL << 63)
struct hs_stack_event {
	struct hs_event_hdr hdr;
	__u64 stack_id;
	__u32 depth;
	__u32 end;		     /* enum hs_walk_end */
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
	__u32 end; /* enum hs_walk_end */
	__u64 frames[HS_MAX_FRAMES];
	__u64 stop_sp, stop_fp; /* end no_mapping, deferred: the walk's registers there; else 0 */
	__u64 as_id;		/* struct hs_proc.as_id */
};

/* HS_EV_STACK_RAW: a walk stopped at a return address in code loaded since the last table
 * update (a library dlopen'ed a moment ago, whose tables the agent is building). It carries the
 * frames so far, the registers there and a copy of the stack above, and the agent finishes the
 * walk. The id is always inline (HS_STACK_INLINE): stacks that only share the start differ. */
#define HS_RAW_STACK_BYTES 4096
struct hs_stack_raw_event {
	struct hs_stack_event s; /* s.hdr.type = HS_EV_STACK_RAW, s.end = HS_END_NO_MAPPING */
	__u64 sp, fp;		 /* at frames[depth - 1]: its CFA-side rsp and rbp */
	__u32 nbytes;		 /* of the stack copied from sp */
	__u32 pad;
	__u8 bytes[HS_RAW_STACK_BYTES];
};

/* The BPF object is built into the agent from this same header (the skeleton), so no version
 * check is needed at run time; what could differ is how clang -target bpf and gcc lay the
 * structs out, checked here by both. */
_Static_assert(sizeof(struct hs_event_hdr) == 24, "event header layout");
_Static_assert(sizeof(struct hs_alloc_event) == 72, "alloc event layout");
_Static_assert(sizeof(struct hs_free_event) == 48, "free event layout");
_Static_assert(sizeof(struct hs_exit_event) == 32, "exit event layout");
_Static_assert(sizeof(struct hs_stack_event) == 40 + 8 * HS_MAX_FRAMES, "stack event layout");
_Static_assert(sizeof(struct hs_module_event) == 32 + HS_MODULE_PATH, "module event layout");
_Static_assert(sizeof(struct hs_unwind_row) == 8, "unwind row layout");
_Static_assert(sizeof(struct hs_mapping) == 32, "mapping layout");
_Static_assert(sizeof(struct hs_proc) == 8, "process entry layout");

/* Attach cookie layout: which function a probe belongs to, and how many pushes precede the
 * probe site (the return address is at rsp + 8 * pushes). */
#define HS_COOKIE(func, pushes) (((__u64)(pushes) << 8) | (__u64)(func))
#define HS_COOKIE_FUNC(c) ((__u32)((c)&0xff))
#define HS_COOKIE_PUSHES(c) ((__u32)(((c) >> 8) & 0xff))
/* Sampled mode also needs, for an allocator function that calls others (realloc -> malloc,
 * operator new -> malloc), where its code is: a call returning into it is nested, not counted.
 * The probe is `delta` bytes into the function, which is `size` bytes long. */
#define HS_COOKIE_NESTS (1ULL << 48)
#define HS_COOKIE_SPAN(delta, size) (((__u64)((delta)&0xff) << 40) | ((__u64)((size)&0xffffff) << 16))
#define HS_COOKIE_DELTA(c) (((c) >> 40) & 0xff)
#define HS_COOKIE_SIZE(c) (((c) >> 16) & 0xffffff)

/* Sampled mode's exponential draw: log2(1 + i / 2^HS_LOG2_BITS) in 32-bit fixed point. */
#define HS_LOG2_BITS 10
#define HS_LOG2_ENTRIES ((1 << HS_LOG2_BITS) + 1)

/* Key of the BPF side's table of sampled live blocks. */
struct hs_sampled_key {
	__u32 pid;
	__u32 pad;
	__u64 addr;
};

#endif
