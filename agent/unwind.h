/* Unwind tables for the BPF stack walker: each code file's CFI rows, built once (agent/cfi.c)
 * and shared by every mapping of that file, and the target's current mapping table. */
#ifndef HEAPSCOPE_UNWIND_H
#define HEAPSCOPE_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct symbolizer;
struct unwinder;

struct unwind_stats {
	int files;	   /* files with rows in the table */
	int files_no_cfi;  /* code files without CFI (the walker uses frame pointers there) */
	int files_no_room; /* files left out because the row table was full */
	int mappings;	   /* entries of the mapping table last published */
	uint64_t rows, rows_cap;
};

/* Maps the BPF side's `unwind_rows` (rows_cap entries) and `mappings` arrays (both
 * BPF_F_MMAPABLE; 2 mapping tables per slot); live[nslots] is the program's `mappings_live` (in
 * its mapped .bss): per slot (one traced process each) the table generation, whose low bit
 * selects the slot's current mapping table. 0 or -errno. */
int unwinder_new(int rows_fd, uint32_t rows_cap, int mappings_fd, uint32_t *live, uint32_t nslots,
		 struct unwinder **out);

/* Builds rows for the symbolizer's mapped modules not seen before and publishes a new mapping
 * table for slot (the process sym describes); the walker switches to it atomically. 0, -EINVAL
 * for a slot out of range, or -ENOMEM. A file without CFI, or that does not fit, is published
 * without rows (counted in the stats). */
int unwinder_sync(struct unwinder *u, uint32_t slot, const struct symbolizer *sym);

void unwinder_get_stats(const struct unwinder *u, struct unwind_stats *out);

/* Finishes a walk the BPF side handed over (struct hs_stack_raw_event): from the frame of
 * return address frames[*depth - 1], whose rsp and rbp were sp and fp, reading the stack from
 * the n bytes copied at sp. Appends frames (up to max_depth) with the tables of the modules the
 * symbolizer knows now, building any missing, by the BPF walker's own frame step
 * (bpf/unwind_step.h); returns how the walk ended (enum hs_walk_end). */
uint32_t unwinder_finish_walk(struct unwinder *u, struct symbolizer *sym, uint64_t *frames,
			      uint32_t *depth, uint32_t max_depth, uint64_t sp, uint64_t fp,
			      const uint8_t *bytes, size_t n);

/* n bytes of a thread's stack, copied from its address base. */
struct unwind_copy {
	uint64_t base;
	const uint8_t *bytes;
	size_t n;
};

/* The frame step's read hook in user space (unwind_read_words in bpf/unwind_step.h): the n
 * 8-byte words at addr into out. 0, or -EFAULT when the copy does not hold them all. */
int unwind_copy_read(const struct unwind_copy *c, uint64_t addr, void *out, uint32_t n);

/* Unmaps everything. Accepts NULL. */
void unwinder_free(struct unwinder *u);

#endif
