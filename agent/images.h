/* The program images a recording traces: each process, and each process again after an exec
 * (new code, new addresses, maybe a new allocator). Events are routed to an image by pid. */
#ifndef HEAPSCOPE_IMAGES_H
#define HEAPSCOPE_IMAGES_H

#include <stdint.h>
#include <sys/types.h>

#include "agent/target.h"

struct probes;
struct stack_space;
struct symbolizer;

struct image {
	int64_t id;	   /* processes.id */
	int64_t heap_proc; /* processes.id whose memory its blocks are in: its own, or for a vfork
			    * child its parent's */
	pid_t pid, ppid;
	uint32_t slot;	       /* BPF struct hs_proc.slot: its unwind mapping table */
	int traced_from_start; /* traced from its first allocation (launched, forked or exec'd
				 * while followed); else a free of an unknown block is untracked */
	int64_t start_ts;      /* ns since the recording started */
	int64_t armed_ts;      /* when all its probes were in (ns since start; see tracker_origin) */
	struct target t;       /* command, exe, allocator, objects */
	struct symbolizer *sym;
	struct stack_space *space;
	struct probes *probes;
	int modules_changed; /* the dynamic linker's list changed: resync unwind tables */
	uint64_t no_mapping_seen;
	int exit_code; /* attach mode, from the BPF side: exit code or 128 + signal; -1 unknown */
};

struct images;

/* Up to nslots images live at once (the BPF side's mapping tables). 0 or -ENOMEM. */
int images_new(uint32_t nslots, struct images **out);

/* Frees the table and every image still in it (with image_release). Accepts NULL. */
void images_free(struct images *im);

/* A new image for pid, the current one for it from now on, with a free slot and the next
 * processes.id; NULL when every slot is taken or memory is short. */
struct image *images_add(struct images *im, pid_t pid, pid_t ppid);

/* The current image of pid; NULL if none. */
struct image *images_find(const struct images *im, pid_t pid);

/* Removes img (its process exited or exec'd, and its last event is in): frees what it owns
 * (stack space, symbolizer, target; probes still held are detached in the background: the
 * caller detaches them first where that must be done now) and its slot. */
void images_remove(struct images *im, struct image *img);

/* The images live now: images_count of them, images_at(0..count-1). */
int images_count(const struct images *im);
struct image *images_at(const struct images *im, int i);

#endif
