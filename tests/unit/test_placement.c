/* Unit tests of uprobe placement: the kernel-treatment table on chosen encodings, site choice on
 * synthetic prologues, and the sites of Debian 12's glibc and libstdc++ allocator entry points. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent/elfsym.h"
#include "agent/placement.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
#define VADDR 0x1000
#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

struct want {
	int rc;
	uint32_t delta, pushes;
	int emulated;
};

static void check_site(const uint8_t *code, size_t len, int nargs, int need_ret, struct want w,
		       struct probe_site *s)
{
	int rc = placement_choose(code, len, VADDR, nargs, need_ret, s);

	if (rc != w.rc || s->delta != w.delta || s->pushes != w.pushes || s->emulated != w.emulated)
		fail_msg("got rc %d delta %u pushes %u emulated %d (%s: %s), want %d/%u/%u/%d", rc,
			 s->delta, s->pushes, s->emulated, s->insn, s->reason, w.rc, w.delta,
			 w.pushes, w.emulated);
	assert_true(s->reason[0]);
	if (!w.rc)
		assert_true(s->insn[0]);
}

#define SITE(nargs, need_ret, rc, delta, pushes, emu, ...)                                         \
	check_site(B(__VA_ARGS__), nargs, need_ret, (struct want){ rc, delta, pushes, emu }, &s)

static void check_class(const uint8_t *b, size_t len, enum insn_treatment want)
{
	enum insn_treatment got = placement_classify(b, len);

	if (got != want) {
		char hex[64] = "";

		for (size_t i = 0; i < len && i < 16; i++)
			snprintf(hex + 3 * i, 4, "%02x ", b[i]);
		fail_msg("%s: got treatment %d, want %d", hex, got, want);
	}
}

#define CLASS(want, ...) check_class(B(__VA_ARGS__), want)

static void test_classify_emulated(void **state)
{
	(void)state;
	CLASS(INSN_EMULATED, 0x41, 0x54);			  /* push %r12 */
	CLASS(INSN_EMULATED, 0x50);				  /* push %rax */
	CLASS(INSN_EMULATED, 0x57);				  /* push %rdi */
	CLASS(INSN_EMULATED, 0x41, 0x50);			  /* push %r8 */
	CLASS(INSN_EMULATED, 0x74, 0x02);			  /* je rel8 */
	CLASS(INSN_EMULATED, 0x0f, 0x84, 0x10, 0x00, 0x00, 0x00); /* je rel32 */
	CLASS(INSN_EMULATED, 0x0f, 0x8f, 0x10, 0x00, 0x00, 0x00); /* jg rel32 */
	CLASS(INSN_EMULATED, 0xeb, 0x00);			  /* jmp rel8 */
	CLASS(INSN_EMULATED, 0xe9, 0x00, 0x01, 0x00, 0x00);	  /* jmp rel32 */
	CLASS(INSN_EMULATED, 0xe8, 0x00, 0x01, 0x00, 0x00);	  /* call rel32 */
	CLASS(INSN_EMULATED, 0xf2, 0xe9, 0x00, 0x01, 0x00, 0x00); /* bnd jmp */
}

static void test_classify_nops(void **state)
{
	(void)state;
	CLASS(INSN_EMULATED, 0x90);
	CLASS(INSN_EMULATED, 0x66, 0x90);
	CLASS(INSN_EMULATED, 0x0f, 0x1f, 0x00);
	CLASS(INSN_EMULATED, 0x0f, 0x1f, 0x40, 0x00);
	CLASS(INSN_EMULATED, 0x0f, 0x1f, 0x44, 0x00, 0x00);
	CLASS(INSN_EMULATED, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00);
	CLASS(INSN_EMULATED, 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00);
	CLASS(INSN_EMULATED, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00);
	CLASS(INSN_EMULATED, 0x66, 0x66, 0x90); /* prefixes, then 90 */
	CLASS(INSN_EMULATED, 0xf3, 0x90);	/* pause, taken for a nop by 6.18 */
	CLASS(INSN_EMULATED, 0x41, 0x90);	/* xchg %eax,%r8d, taken for a nop by 6.18 */
	/* Not canonical: a nopl with a non-zero displacement is single-stepped. */
	CLASS(INSN_SINGLE_STEP, 0x0f, 0x1f, 0x44, 0x00, 0x01);
	/* GCC's long padding nop carries a cs prefix: rejected. */
	CLASS(INSN_REJECTED, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00);
}

static void test_classify_single_step(void **state)
{
	(void)state;
	CLASS(INSN_SINGLE_STEP, 0xf3, 0x0f, 0x1e, 0xfa);	     /* endbr64 */
	CLASS(INSN_SINGLE_STEP, 0x48, 0x85, 0xff);		     /* test %rdi,%rdi */
	CLASS(INSN_SINGLE_STEP, 0x80, 0x3d, 1, 2, 3, 4, 0x00);	     /* cmpb $0,rip */
	CLASS(INSN_SINGLE_STEP, 0x48, 0x53);			     /* REX.W push */
	CLASS(INSN_SINGLE_STEP, 0x49, 0x54);			     /* REX.WB push */
	CLASS(INSN_SINGLE_STEP, 0x66, 0x53);			     /* push %bx */
	CLASS(INSN_SINGLE_STEP, 0x6a, 0x01);			     /* push $1 */
	CLASS(INSN_SINGLE_STEP, 0x68, 0x00, 0x01, 0x00, 0x00);	     /* push $0x100 */
	CLASS(INSN_SINGLE_STEP, 0xff, 0x35, 0x00, 0x01, 0x00, 0x00); /* push rip-rel */
	CLASS(INSN_SINGLE_STEP, 0x48, 0x83, 0xec, 0x08);	     /* sub $8,%rsp */
	CLASS(INSN_SINGLE_STEP, 0xc3);				     /* ret */
	CLASS(INSN_SINGLE_STEP, 0x5b);				     /* pop %rbx */
	CLASS(INSN_SINGLE_STEP, 0xff, 0xe0);			     /* jmp *%rax */
	CLASS(INSN_SINGLE_STEP, 0xff, 0xd0);			     /* call *%rax */
	CLASS(INSN_SINGLE_STEP, 0xc5, 0xf8, 0x77);		     /* vzeroupper */
}

static void test_classify_rejected(void **state)
{
	(void)state;
	CLASS(INSN_REJECTED, 0x66, 0x74, 0x02);		    /* 66 jcc rel8 */
	CLASS(INSN_REJECTED, 0x66, 0x0f, 0x84, 0x10, 0x00); /* 66 jcc rel16 */
	CLASS(INSN_REJECTED, 0x66, 0x0f, 0x84, 0x10, 0x00, 0x00, 0x00);
	CLASS(INSN_REJECTED, 0x66, 0xeb, 0x00);			  /* 66 jmp rel8 */
	CLASS(INSN_REJECTED, 0x66, 0xe9, 0x00, 0x01, 0x00, 0x00); /* 66 jmp */
	CLASS(INSN_REJECTED, 0x66, 0xe8, 0x00, 0x01, 0x00, 0x00); /* 66 call */
	CLASS(INSN_REJECTED, 0xf0, 0x48, 0x0f, 0xb1, 0x17);	  /* lock cmpxchg */
	CLASS(INSN_REJECTED, 0xf0, 0xff, 0x07);			  /* lock incl (%rdi) */
	CLASS(INSN_REJECTED, 0x3e, 0xff, 0xe0);			  /* notrack jmp *%rax */
	CLASS(INSN_REJECTED, 0x2e, 0x74, 0x02);			  /* branch hint */
	CLASS(INSN_REJECTED, 0x26, 0x8b, 0x07);			  /* es: mov */
	CLASS(INSN_REJECTED, 0xcc);				  /* int3 */
	CLASS(INSN_REJECTED, 0xcd, 0x80);			  /* int $0x80 */
	CLASS(INSN_REJECTED, 0xf4);				  /* hlt */
	CLASS(INSN_REJECTED, 0x0f, 0x0b);			  /* ud2 */
	CLASS(INSN_REJECTED, 0x0f, 0x05);			  /* syscall */
	CLASS(INSN_REJECTED, 0x0f, 0x01, 0xd6);			  /* xtest */
	CLASS(INSN_REJECTED, 0x0f, 0xae, 0xf0);			  /* mfence */
	CLASS(INSN_REJECTED, 0x8e, 0xd0);			  /* mov %eax,%ss */
	CLASS(INSN_REJECTED, 0x62, 0xf1, 0x7c, 0x48, 0x10, 0x07); /* EVEX vmovups */
	CLASS(INSN_REJECTED, 0x06);				  /* invalid in 64-bit */
	CLASS(INSN_REJECTED, 0x0f, 0x84, 0x10);			  /* truncated */
}

static void test_sites(void **state)
{
	struct probe_site s;
	(void)state;

	/* free: test %rdi,%rdi; je rel32 -> the je. */
	SITE(1, 0, 0, 3, 0, 1, 0x48, 0x85, 0xff, 0x0f, 0x84, 0x10, 0x00, 0x00, 0x00);
	assert_string_equal(s.insn, "jz 0x1019");
	/* malloc: push %r12 at entry. */
	SITE(1, 1, 0, 0, 0, 1, 0x41, 0x54, 0x55, 0x53);
	/* posix_memalign: cmpb $0,rip; push %r12 -> the push, before which nothing was pushed. */
	SITE(3, 1, 0, 7, 0, 1, 0x80, 0x3d, 1, 2, 3, 4, 0x00, 0x41, 0x54);
	/* _Znwm: endbr64; test; mov $1,%eax; push %rbx. */
	SITE(1, 1, 0, 12, 0, 1, 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0xb8, 0x01, 0x00, 0x00,
	     0x00, 0x53);
	assert_string_equal(s.insn, "push %rbx");
	/* _ZdlPv: endbr64; jmp rel32. */
	SITE(1, 0, 0, 4, 0, 1, 0xf3, 0x0f, 0x1e, 0xfa, 0xe9, 0x00, 0x01, 0x00, 0x00);
	/* A call is a site too. */
	SITE(1, 0, 0, 3, 0, 1, 0x48, 0x85, 0xff, 0xe8, 0x00, 0x00, 0x00, 0x00);
	/* Nops count. */
	SITE(1, 0, 0, 4, 0, 1, 0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00);
}

static void test_fallbacks(void **state)
{
	struct probe_site s;
	(void)state;

	/* mov %rsi,%rdi before the push: falls back to the single-stepped entry... */
	SITE(1, 0, 0, 0, 0, 0, 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x89, 0xf7, 0x53);
	assert_non_null(strstr(s.reason, "rdi"));
	assert_non_null(strstr(s.reason, "single-stepped endbr64"));
	/* ...unless rdi is not needed. */
	SITE(0, 0, 0, 7, 0, 1, 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x89, 0xf7, 0x53);
	/* Writes through hidden operands: mul writes rdx, cpuid rcx/rdx, stosq rdi. */
	SITE(3, 0, 0, 0, 0, 0, 0x48, 0xf7, 0xe2, 0x53);
	SITE(2, 0, 0, 3, 0, 1, 0x48, 0xf7, 0xe2, 0x53);
	SITE(3, 0, 0, 0, 0, 0, 0x0f, 0xa2, 0x53);
	SITE(2, 0, 0, 2, 0, 1, 0x0f, 0xa2, 0x53);
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0xab, 0x53);
	/* A partial write counts: mov %al,%dil. */
	SITE(1, 0, 0, 0, 0, 0, 0x40, 0x88, 0xc7, 0x53);
	/* rsp changes: sub, pop, push $imm, a store to (%rsp). */
	SITE(0, 0, 0, 0, 0, 0, 0x48, 0x83, 0xec, 0x08, 0x53);
	SITE(0, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0x5b, 0x53);
	SITE(0, 0, 0, 0, 0, 0, 0x6a, 0x01, 0x53);
	SITE(0, 0, 0, 0, 0, 0, 0x48, 0x89, 0x04, 0x24, 0x53);
	/* Nothing after the first control transfer: jmp *%rax; push. */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0xff, 0xe0, 0x53);
	assert_non_null(strstr(s.reason, "control transfer"));
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0xc3, 0x53);	    /* ret */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0xff, 0xd0, 0x53); /* call *%rax */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0xe3, 0x02, 0x53); /* jrcxz: single-stepped */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0x0f, 0x05, 0x53); /* syscall */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0x0f, 0x0b, 0x53); /* ud2 never falls through */
	assert_non_null(strstr(s.reason, "control transfer (ud2)"));
	/* Nothing emulated at all. */
	SITE(1, 0, 0, 0, 0, 0, 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff);
	assert_non_null(strstr(s.reason, "end of the code"));
}

static void test_branch_targets(void **state)
{
	struct probe_site s;
	(void)state;

	/* test; mov $1,%eax; push %rbx; jmp back to +3: the push (+8) is inside (entry, +3]..., */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x53, 0xeb, 0xf8);
	assert_non_null(strstr(s.reason, "branch target at +3"));
	/* ...a target exactly at the site excludes it (the interval is closed at the site)... */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0x53, 0xeb, 0xfd);
	/* ...a target past the site does not... */
	SITE(1, 0, 0, 3, 0, 1, 0x48, 0x85, 0xff, 0x53, 0xeb, 0xfe);
	/* ...nor a target at the entry itself: je +3 jumps to +0. */
	SITE(1, 0, 0, 3, 0, 1, 0x48, 0x85, 0xff, 0x74, 0xfb);
	/* A rel32 branch far down the function counts as well. */
	SITE(1, 0, 0, 0, 0, 0, 0x48, 0x85, 0xff, 0x53, 0x90, 0x90, 0x0f, 0x84, 0xf7, 0xff, 0xff,
	     0xff);
	assert_non_null(strstr(s.reason, "branch target at +3"));
}

static void test_need_ret(void **state)
{
	struct probe_site s;
	(void)state;

	/* REX.W push %rbx (single-stepped, but a push); test; je: an entry probe may sit on the
	 * je with the return address at rsp+8... */
	SITE(1, 0, 0, 5, 1, 1, 0x48, 0x53, 0x48, 0x85, 0xff, 0x74, 0x05);
	assert_non_null(strstr(s.reason, "rsp+8"));
	/* ...but a uretprobe needs [rsp] to be the return address: back to the entry. */
	SITE(1, 1, 0, 0, 0, 0, 0x48, 0x53, 0x48, 0x85, 0xff, 0x74, 0x05);
	/* An emulated push is itself a fine uretprobe site: nothing was pushed yet. */
	SITE(1, 1, 0, 3, 0, 1, 0x48, 0x85, 0xff, 0x53, 0x74, 0x05);
}

static void test_errors(void **state)
{
	struct probe_site s;
	(void)state;

	SITE(1, 0, -EINVAL, 0, 0, 0, 0x06, 0x90); /* the first instruction does not decode */
	assert_int_equal(placement_choose((const uint8_t *)"", 0, VADDR, 1, 0, &s), -EINVAL);
	assert_int_equal(placement_choose(B(0x90), VADDR, 7, 0, &s), -EINVAL);
	assert_int_equal(placement_choose(NULL, 1, VADDR, 1, 0, &s), -EINVAL);
	/* A rejected entry with nothing better: lock cmpxchg; sub $8,%rsp. */
	assert_int_equal(placement_choose(B(0xf0, 0x48, 0x0f, 0xb1, 0x17, 0x48, 0x83, 0xec, 0x08),
					  VADDR, 1, 0, &s),
			 -ENOTSUP);
	assert_int_equal(s.delta, 0);
	assert_non_null(strstr(s.reason, "rejects"));
	/* A rejected entry is never the site, but a later emulated one may be. */
	SITE(1, 0, 0, 3, 0, 1, 0xf0, 0xff, 0x07, 0x53);
}

/* The Debian 12 sites of shared/notes/uprobe-placement.md §8, from the real bytes (checked
 * against objdump -d). nargs is the C signature's; need_ret for the allocating functions. */
struct real_site {
	const char *lib, *sym;
	int nargs, need_ret;
	uint32_t delta;
	int emulated;
};

static const struct real_site REAL_SITES[] = {
	{ LIBC, "malloc", 1, 1, 0, 1 },
	{ LIBC, "calloc", 2, 1, 0, 1 },
	{ LIBC, "realloc", 2, 1, 0, 1 },
	{ LIBC, "reallocarray", 3, 1, 0, 0 }, /* mul %rdx at +3 writes rdx */
	{ LIBC, "reallocarray", 1, 1, 9, 1 }, /* jo, if only rdi mattered */
	{ LIBC, "free", 1, 0, 3, 1 },
	{ LIBC, "posix_memalign", 3, 1, 7, 1 },
	{ LIBC, "aligned_alloc", 2, 1, 7, 1 },
	{ LIBC, "memalign", 2, 1, 7, 1 },
	{ LIBC, "valloc", 1, 1, 7, 1 },
	{ LIBC, "pvalloc", 1, 1, 7, 1 },
	{ LIBSTDCXX, "_Znwm", 1, 1, 12, 1 },
	{ LIBSTDCXX, "_Znam", 1, 1, 4, 1 },
	{ LIBSTDCXX, "_ZnwmRKSt9nothrow_t", 2, 1, 0, 0 }, /* sub $8,%rsp at +4 */
	{ LIBSTDCXX, "_ZnamRKSt9nothrow_t", 2, 1, 0, 0 },
	{ LIBSTDCXX, "_ZnwmSt11align_val_t", 2, 1, 4, 1 },
	{ LIBSTDCXX, "_ZnamSt11align_val_t", 2, 1, 4, 1 },
	{ LIBSTDCXX, "_ZnwmSt11align_val_tRKSt9nothrow_t", 3, 1, 0, 0 },
	{ LIBSTDCXX, "_ZnamSt11align_val_tRKSt9nothrow_t", 3, 1, 0, 0 },
	{ LIBSTDCXX, "_ZdlPv", 1, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdaPv", 1, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdlPvm", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdaPvm", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdlPvRKSt9nothrow_t", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdaPvRKSt9nothrow_t", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdlPvSt11align_val_t", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdaPvSt11align_val_t", 2, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdlPvmSt11align_val_t", 3, 0, 0, 0 }, /* mov %rdx,%rsi at +4 */
	{ LIBSTDCXX, "_ZdlPvmSt11align_val_t", 1, 0, 7, 1 },
	{ LIBSTDCXX, "_ZdaPvmSt11align_val_t", 3, 0, 0, 0 },
	{ LIBSTDCXX, "_ZdaPvmSt11align_val_t", 1, 0, 7, 1 },
	{ LIBSTDCXX, "_ZdlPvSt11align_val_tRKSt9nothrow_t", 3, 0, 4, 1 },
	{ LIBSTDCXX, "_ZdaPvSt11align_val_tRKSt9nothrow_t", 3, 0, 4, 1 },
};

static void check_real(const struct real_site *r)
{
	char build_id[41] = "none";
	struct elf_file *ef;
	struct probe_site s;
	struct elf_func f;
	uint8_t code[4096];
	ssize_t n;

	if (elfsym_open(r->lib, &ef))
		fail_msg("cannot open %s (Debian 12's libc6 / libstdc++6 expected)", r->lib);
	elfsym_build_id(ef, build_id, sizeof(build_id));
	assert_int_equal(elfsym_find_func(ef, r->sym, &f), 0);
	n = elfsym_read_code(ef, f.vaddr, code, f.size < sizeof(code) ? f.size : sizeof(code));
	assert_true(n > 0 && (uint64_t)n == (f.size < sizeof(code) ? f.size : sizeof(code)));
	assert_int_equal(placement_choose(code, (size_t)n, f.vaddr, r->nargs, r->need_ret, &s), 0);
	if (s.delta != r->delta || s.emulated != r->emulated || s.pushes != 0)
		fail_msg("%s (nargs %d) in %s, build-id %s: site +%u pushes %u emulated %d (%s: "
			 "%s); "
			 "expected +%u emulated %d for Debian 12 (glibc 2.36, libstdc++ 6.0.30)",
			 r->sym, r->nargs, r->lib, build_id, s.delta, s.pushes, s.emulated, s.insn,
			 s.reason, r->delta, r->emulated);
	elfsym_close(ef);
}

static void test_debian12(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(REAL_SITES) / sizeof(*REAL_SITES); i++)
		check_real(&REAL_SITES[i]);
}

/* A return address is recognised by the call instruction that ends right before it. */
static void test_call_before(void **state)
{
	/* 15 bytes before a return address, ending with each kind of call. */
	static const struct {
		uint8_t tail[7];
		size_t n;
		int is_call;
	} cases[] = {
		{ { 0xe8, 0x10, 0x20, 0x30, 0x40 }, 5, 1 },	  /* call rel32 */
		{ { 0xff, 0xd0 }, 2, 1 },			  /* call *%rax */
		{ { 0x41, 0xff, 0xd3 }, 3, 1 },			  /* call *%r11 */
		{ { 0xff, 0x15, 0x10, 0x20, 0x30, 0x40 }, 6, 1 }, /* call *disp32(%rip) */
		{ { 0xff, 0x50, 0x08 }, 3, 1 },			  /* call *0x8(%rax) */
		{ { 0x48, 0x89, 0xc7 }, 3, 0 },			  /* mov %rax,%rdi */
		{ { 0x00, 0x00, 0x00, 0x00 }, 4, 0 },		  /* data */
		{ { 0xc3 }, 1, 0 },				  /* ret */
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint8_t code[15];

		memset(code, 0x90, sizeof(code)); /* nops before */
		memcpy(code + sizeof(code) - cases[i].n, cases[i].tail, cases[i].n);
		assert_int_equal(placement_call_before(code, sizeof(code)), cases[i].is_call);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_emulated),
		cmocka_unit_test(test_classify_nops),
		cmocka_unit_test(test_classify_single_step),
		cmocka_unit_test(test_classify_rejected),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_branch_targets),
		cmocka_unit_test(test_need_ret),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_debian12),
		cmocka_unit_test(test_call_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
