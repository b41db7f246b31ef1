/* Turns the BPF side's stack ids into stored, symbolized stacks, each frame and stack once. */
#ifndef HEAPSCOPE_STACKS_H
#define HEAPSCOPE_STACKS_H

#include <stdint.h>

struct store;
struct symbolizer;
struct stacks;

struct stack_space;

/* Writes into st (not owned). 0 or -ENOMEM. */
int stacks_new(struct store *st, struct stacks **out);
void stacks_free(struct stacks *s);

/* An address space (one process image, processes.id proc) whose frames sym symbolizes (not
 * owned). Its stacks and frames are its own: the same address in two images is two frames.
 * 0 or -ENOMEM. Free it with stacks_space_free once its last event is in. */
int stacks_space_new(struct stacks *s, struct symbolizer *sym, int64_t proc,
		     struct stack_space **out);
void stacks_space_free(struct stack_space *sp);

/* Stores the frames behind a BPF stack id, innermost first, with how the walk ended (enum
 * hs_walk_end). Frames from the first one that lies in no known module, or does not follow a
 * call instruction, are dropped (a walk that left real code: the end becomes bad_frame).
 * 0 or -errno. */
int stacks_add(struct stacks *s, struct stack_space *sp, uint64_t bpf_id, const uint64_t *frames,
	       uint32_t depth, uint32_t end);

/* The stacks.id of a BPF stack id; 0 if it never arrived (its event was dropped). */
int64_t stacks_lookup(const struct stacks *s, uint64_t bpf_id);

/* The file of a stack's innermost frame; NULL if unknown. */
const char *stacks_innermost_path(const struct stacks *s, int64_t site);

#endif
