/* Turns the BPF side's stack ids into stored, symbolized stacks, each frame and stack once. */
#ifndef HEAPSCOPE_STACKS_H
#define HEAPSCOPE_STACKS_H

#include <stdint.h>

struct store;
struct symbolizer;
struct stacks;

/* Writes into st, symbolizes with sym (neither owned). 0 or -ENOMEM. */
int stacks_new(struct store *st, struct symbolizer *sym, struct stacks **out);
void stacks_free(struct stacks *s);

/* Stores the frames behind a BPF stack id, innermost first, with how the walk ended (enum
 * hs_walk_end). Frames from the first one that lies in no known module, or does not follow a
 * call instruction, are dropped (a walk that left real code: the end becomes bad_frame).
 * 0 or -errno. */
int stacks_add(struct stacks *s, uint64_t bpf_id, const uint64_t *frames, uint32_t depth,
	       uint32_t end);

/* The stacks.id of a BPF stack id; 0 if it never arrived (its event was dropped). */
int64_t stacks_lookup(const struct stacks *s, uint64_t bpf_id);

/* The symbolizer's module index of a stack's innermost frame; -1 if unknown. */
int stacks_innermost_module(const struct stacks *s, int64_t site);

#endif
