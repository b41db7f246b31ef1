/* One frame of the stack walk, for both sides: the BPF walker (bpf/heapscope.bpf.c) and the
 * agent, which finishes deferred walks on a copy of the stack (agent/unwind.c). */
#ifndef HEAPSCOPE_UNWIND_STEP_H
#define HEAPSCOPE_UNWIND_STEP_H

#ifdef __bpf__
/* vmlinux.h has the __u* types, bpf_helpers.h __always_inline. */
#else
#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#include "bpf/abi.h"

/* A saved rbp this many words or fewer below the CFA is read in one go with the return address
 * just under the CFA: most functions save it within a few pushes, and one user read costs as
 * much as several. A power of two (it masks indexes for the verifier). */
#define UNWIND_RBP_REACH 8

/* unwind_step's answer while the walk goes on; every enum hs_walk_end stops it. */
#define UNWIND_GO_ON HS_END_COUNT

/* Where a walk is: a return address into a frame, and that frame's rsp and rbp there. */
struct unwind_regs {
	__u64 pc, sp, fp;
};

/* The includer defines these two hooks (src is its own: the BPF walk, the agent's copy of the
 * stack). unwind_read_words: the n words (1 <= n <= UNWIND_RBP_REACH) of the target's stack at
 * addr into out; 0, or non-zero when they cannot be read. unwind_fp_taken: a frame was found by
 * frame pointer (the BPF side counts them); a hook rather than a flag to test after each step,
 * so that frames with CFI pay nothing for it. */
static __always_inline long unwind_read_words(void *src, __u64 addr, __u64 *out, __u32 n);
static __always_inline void unwind_fp_taken(void *src);

/* The caller's CFA, return address and rbp by the frame's CFI row; UNWIND_GO_ON, or how the
 * walk ends (HS_END_NO_CFI for a NONE row: no rule, try the frame pointer). */
static __always_inline __u32 unwind_cfi(void *src, const struct hs_unwind_row *row,
					const struct unwind_regs *r, __u64 *cfa, __u64 *ra,
					__u64 *fp)
{
	if (row->cfa_kind == HS_CFA_STOP)
		return HS_END_COMPLETE;
	if (row->cfa_kind > HS_CFA_RBP)
		return row->cfa_kind == HS_CFA_NONE ? HS_END_NO_CFI : HS_END_UNSUPPORTED;
	*cfa = (row->cfa_kind == HS_CFA_RSP ? r->sp : r->fp) + row->cfa_off;
	*fp = r->fp;
	if (row->rbp_slot < 0 && row->rbp_slot >= -UNWIND_RBP_REACH) {
		/* rbp saved a few words below the return address: one read for both */
		__u32 words = -row->rbp_slot;
		__u64 buf[UNWIND_RBP_REACH];

		if (words > UNWIND_RBP_REACH ||
		    unwind_read_words(src, *cfa - 8 * (__u64)words, buf, words))
			return HS_END_READ_FAULT;
		*fp = buf[0];
		*ra = buf[(words - 1) & (UNWIND_RBP_REACH - 1)];
		return UNWIND_GO_ON;
	}
	if (unwind_read_words(src, *cfa - 8, ra, 1))
		return HS_END_READ_FAULT;
	if (row->rbp_slot && unwind_read_words(src, *cfa + 8 * (__s64)row->rbp_slot, fp, 1))
		return HS_END_READ_FAULT;
	return UNWIND_GO_ON;
}

/* One frame up by the frame pointer, for code without CFI; 0 when rbp is not a frame (below
 * rsp, misaligned or unreadable). rsp equals rbp in a function without locals. */
static __always_inline int unwind_fp(void *src, const struct unwind_regs *r, __u64 *cfa,
				     __u64 *ra, __u64 *fp)
{
	__u64 pair[2];

	if (r->fp < r->sp || (r->fp & 7) || unwind_read_words(src, r->fp, pair, 2))
		return 0;
	unwind_fp_taken(src);
	*cfa = r->fp + 16;
	*fp = pair[0];
	*ra = pair[1];
	return 1;
}

/* One frame up from r: row is the rule of r->pc (a NONE row where no CFI covers it, or where
 * r->pc is in no known mapping: mapped 0). UNWIND_GO_ON with r moved to the caller's frame, or
 * how the walk ends, r unchanged. A row-less frame goes on by frame pointer if it has one. */
static __always_inline __u32 unwind_step(void *src, const struct hs_unwind_row *row, int mapped,
					 struct unwind_regs *r)
{
	__u64 cfa, ra, fp; /* set by every path that goes on */
	__u32 end = unwind_cfi(src, row, r, &cfa, &ra, &fp);

	if (end == HS_END_NO_CFI && unwind_fp(src, r, &cfa, &ra, &fp))
		end = UNWIND_GO_ON;
	else if (end == HS_END_NO_CFI && !mapped)
		end = HS_END_NO_MAPPING;
	if (end != UNWIND_GO_ON)
		return end;
	/* A walk that does not move up the stack would loop, or read garbage as frames. */
	if (!ra || cfa <= r->sp)
		return HS_END_BAD_FRAME;
	r->pc = ra;
	r->sp = cfa;
	r->fp = fp;
	return UNWIND_GO_ON;
}

#endif
