/* Choosing where a uprobe goes inside an x86-64 function prologue, so that the kernel emulates
 * the probed instruction instead of single-stepping it (shared/notes/uprobe-placement.md §7). */
#ifndef HEAPSCOPE_PLACEMENT_H
#define HEAPSCOPE_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

struct probe_site {
	uint32_t delta;	  /* bytes from the symbol start to the probe site */
	uint32_t pushes;  /* `push reg` run before the site: return address at rsp + 8*pushes */
	int emulated;	  /* 1: the kernel emulates the site, 0: it single-steps it */
	char insn[64];	  /* the site's instruction, Zydis AT&T syntax, e.g. "jz 0x98fb8" */
	char reason[128]; /* one short sentence: why this site */
};

/* Picks the probe site of the function whose code (len bytes, the symbol's st_size or a cap of
 * it) starts at ELF address vaddr. nargs (0..6) argument registers, in SysV order rdi, rsi, rdx,
 * rcx, r8, r9, must be intact at the site; need_ret: a uretprobe shares the site, so no push
 * may precede it. The site is the first instruction boundary of the straight-line prefix (up to
 * and including the first control transfer) whose instruction the kernel emulates, before
 * which no instruction writes an argument register or rsp (except `push reg`, counted in
 * pushes) and which no direct branch of the code targets (entry excluded). Without one, the
 * site is the entry (delta 0). Always fills *out. 0; -EINVAL for bad arguments or when the
 * first instruction does not decode; -ENOTSUP when the site falls back to an entry instruction
 * the kernel rejects (*out then describes it). */
int placement_choose(const uint8_t *code, size_t len, uint64_t vaddr, int nargs, int need_ret,
		     struct probe_site *out);

/* What a 6.18 kernel does with a uprobe on the instruction starting at bytes (len of them
 * readable; the kernel reads 16). Decided from prefix and opcode bytes (notes §2-§4). */
enum insn_treatment { INSN_EMULATED, INSN_SINGLE_STEP, INSN_REJECTED };
enum insn_treatment placement_classify(const uint8_t *bytes, size_t len);

/* 1 if the len bytes before a return address end with a call instruction (a real return
 * address), 0 if not (a frame-pointer walk that wandered into data). */
int placement_call_before(const uint8_t *code, size_t len);

#endif
