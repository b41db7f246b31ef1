/* Starting and ending the tracing of one program image: what it runs and which allocator, its
 * symbolizer and stack space, its BPF process entry and unwind tables, its probes, its
 * processes row; at its end, what became of its blocks. */
#ifndef HEAPSCOPE_FOLLOW_H
#define HEAPSCOPE_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct heapscope_bpf;
struct image;
struct images;
struct stacks;
struct store;
struct tracker;
struct unwinder;

struct follow {
	struct heapscope_bpf *skel;
	struct store *store;
	struct stacks *stacks;
	struct unwinder *unwinder; /* --stack=dwarf, else NULL */
	struct tracker *tracker;
	struct images *images;
	struct obj_cache *objs_cache; /* the objects of programs exec'd so far */
	uint64_t t0_mono_ns;
	uint32_t next_as_id;
	int probes_stored; /* the probes table describes the first image's probes */
	int sampled;	   /* --sample: the sampled mode's probes */
	int warned_no_room, warned_no_slot;
	/* An exec: the old image's probes, taken over when the new one has the same allocator
	 * (the probes are on files, not images), else detached before the new ones. */
	struct probes *inherited;
	char inherited_allocator[4096];
	int kept; /* the last image begun kept them */
	char *err;
	size_t errlen;
};

enum follow_how {
	FOLLOW_ATTACH, /* a running process: blocks allocated before are not known */
	FOLLOW_FORK,  /* a new process, a copy of a traced one: its inherited blocks are not ours */
	FOLLOW_EXEC,  /* a process held at its exec: traced from its first allocation */
	FOLLOW_VFORK, /* a vfork child: its blocks are its parent's, in the parent's memory */
	FOLLOW_EXECED, /* a process that exec'd a moment ago, not held (attach mode): traced from
			* its start when the probes it had still fit (the same allocator) */
};

/* Starts tracing pid (held at birth or exec, or running). A program heapscope cannot trace (no
 * allocator it can probe, a Go heap) gets a notice, stored and said once on stderr, and is
 * traced for what it has. 0 with *out set (NULL when every slot is taken: said once), or -errno
 * with one line in err (the process is gone, a probe cannot be attached). */
int follow_begin(struct follow *f, pid_t pid, pid_t ppid, enum follow_how how, struct image **out);

/* Ends img at CLOCK_MONOTONIC instant mono_ns, once its last event is in: reason is exited,
 * killed, exec (its live blocks are released, not leaks) or recording_end; exit_status < 0
 * for none. 0 or -errno of the store. */
int follow_end(struct follow *f, struct image *img, uint64_t mono_ns, const char *reason,
	       int exit_status);

/* Publishes img's unwind tables for the modules its symbolizer knows now. 0 or -errno. */
int follow_sync_tables(struct follow *f, struct image *img);

/* ns since the start of the recording of a CLOCK_MONOTONIC instant. */
int64_t follow_ts(const struct follow *f, uint64_t mono_ns);

#endif
