/* Choosing where a uprobe goes inside an x86-64 function prologue: heapscope's own table of what
 * a 6.18 kernel emulates, single-steps or rejects, and a Zydis walk of the straight-line prefix
 * (shared/notes/uprobe-placement.md §2-§4 and §7). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "agent/placement.h"

/* One-byte opcodes the kernel refuses: the zeros of good_insns_64 (notes §4). 0x62 is EVEX. */
// clang-format off
static const uint8_t BAD_OP1[256] = {
	[0x06] = 1, [0x07] = 1, [0x0e] = 1, [0x16] = 1, [0x17] = 1, [0x1e] = 1,
	[0x1f] = 1, [0x27] = 1, [0x2f] = 1, [0x37] = 1, [0x3f] = 1, [0x60] = 1,
	[0x61] = 1, [0x62] = 1, [0x6c ... 0x6f] = 1, [0x82] = 1, [0x9a] = 1,
	[0xcc ... 0xcf] = 1, [0xd4 ... 0xd6] = 1, [0xe4 ... 0xe7] = 1, [0xea] = 1,
	[0xec ... 0xef] = 1, [0xf1] = 1, [0xf4] = 1, [0xfa] = 1, [0xfb] = 1,
};

/* Second bytes of 0f xx opcodes the kernel refuses (good_2byte_insns zeros, notes §4). */
static const uint8_t BAD_OP2[256] = {
	[0x00] = 1, [0x01] = 1, [0x05 ... 0x09] = 1, [0x0b] = 1, [0x30] = 1, [0x34] = 1,
	[0x35] = 1, [0x37] = 1, [0x78] = 1, [0x79] = 1, [0xae] = 1,
};
// clang-format on

/* The kernel's canonical NOPs of 2-8 bytes (x86_nops[]), compared byte for byte (notes §2);
 * the 1-byte 90 is covered by "any prefixes, then 90". */
static const struct {
	uint8_t len;
	uint8_t bytes[8];
} CANONICAL_NOPS[] = {
	{ 2, { 0x66, 0x90 } },
	{ 3, { 0x0f, 0x1f, 0x00 } },
	{ 4, { 0x0f, 0x1f, 0x40, 0x00 } },
	{ 5, { 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
	{ 6, { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 } },
	{ 7, { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 } },
	{ 8, { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 } },
};

#define NARGS_MAX 6
static const ZydisRegister ARG_REGS[NARGS_MAX] = {
	ZYDIS_REGISTER_RDI, ZYDIS_REGISTER_RSI, ZYDIS_REGISTER_RDX,
	ZYDIS_REGISTER_RCX, ZYDIS_REGISTER_R8,	ZYDIS_REGISTER_R9,
};
static const char *const ARG_NAMES[NARGS_MAX] = { "rdi", "rsi", "rdx", "rcx", "r8", "r9" };

/* What an instruction writes, as far as placement cares: bits 0-5 are ARG_REGS. */
#define W_RSP (1u << 6)
#define W_RIP (1u << 7)
#define W_STACK (1u << 8) /* an explicit store through rsp: may overwrite the return address */

struct prefixes {
	size_t n;   /* legacy prefix and REX bytes before the opcode */
	int bad;    /* es, cs, ss, ds or lock: the kernel rejects the instruction */
	int opsize; /* a 66 prefix */
	int rex;    /* the REX byte right before the opcode, or 0 */
};

static void parse_prefixes(const uint8_t *b, size_t len, struct prefixes *p)
{
	memset(p, 0, sizeof(*p));
	for (; p->n < len; p->n++) {
		uint8_t c = b[p->n];

		if ((c & 0xf0) == 0x40) {
			p->rex = c;
			continue;
		}
		switch (c) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0xf0: p->bad = 1; break;
		case 0x66: p->opsize = 1; break;
		case 0x64:
		case 0x65:
		case 0x67:
		case 0xf2:
		case 0xf3: break;
		default: return;
		}
		p->rex = 0; /* a REX that a legacy prefix follows is ignored */
	}
}

static void decoder_init(ZydisDecoder *dec)
{
	ZydisDecoderInit(dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
}

static int decodes(const uint8_t *b, size_t len)
{
	ZydisDecodedInstruction in;
	ZydisDecoder dec;

	decoder_init(&dec);
	return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&dec, NULL, b, len, &in));
}

static int is_canonical_nop(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < sizeof(CANONICAL_NOPS) / sizeof(*CANONICAL_NOPS); i++)
		if (len >= CANONICAL_NOPS[i].len &&
		    !memcmp(b, CANONICAL_NOPS[i].bytes, CANONICAL_NOPS[i].len))
			return 1;
	return 0;
}

/* op points at the opcode; decodes() guaranteed the bytes it reads here exist. */
static enum insn_treatment classify_opcode(const uint8_t *op, const struct prefixes *p)
{
	uint8_t o = op[0];

	/* The kernel looks the opcode byte after a VEX prefix up in its one-byte table. */
	if (o == 0xc4 || o == 0xc5)
		return BAD_OP1[op[o == 0xc4 ? 3 : 2]] ? INSN_REJECTED : INSN_SINGLE_STEP;
	if (o == 0x0f) {
		if (BAD_OP2[op[1]])
			return INSN_REJECTED;
		if (op[1] >= 0x80 && op[1] <= 0x8f) /* jcc rel32 */
			return p->opsize ? INSN_REJECTED : INSN_EMULATED;
		return INSN_SINGLE_STEP;
	}
	if (o == 0x8e && ((op[1] >> 3) & 7) == 2) /* mov to %ss masks exceptions */
		return INSN_REJECTED;
	if (BAD_OP1[o])
		return INSN_REJECTED;
	/* jcc rel8, call, jmp: a 66 prefix makes the kernel reject them, not single-step them. */
	if ((o >= 0x70 && o <= 0x7f) || o == 0xe8 || o == 0xe9 || o == 0xeb)
		return p->opsize ? INSN_REJECTED : INSN_EMULATED;
	if (o == 0x90) /* prefixes + 90; 6.18 also takes 41 90 (xchg %eax,%r8d) for one */
		return INSN_EMULATED;
	/* push_setup_xol_ops takes the 1-byte form and 41 5x only: not 48 5x, not 66 5x. */
	if (o >= 0x50 && o <= 0x57 && (p->n == 0 || (p->n == 1 && p->rex == 0x41)))
		return INSN_EMULATED;
	return INSN_SINGLE_STEP;
}

enum insn_treatment placement_classify(const uint8_t *bytes, size_t len)
{
	struct prefixes p;

	/* Bytes that do not decode fail the attach with -ENOEXEC. */
	if (!bytes || !len || !decodes(bytes, len))
		return INSN_REJECTED;
	parse_prefixes(bytes, len, &p);
	if (p.bad || p.n >= len)
		return INSN_REJECTED;
	if (is_canonical_nop(bytes, len))
		return INSN_EMULATED;
	return classify_opcode(bytes + p.n, &p);
}

struct walk {
	ZydisDecoder dec;
	const uint8_t *code;
	size_t len;
	uint64_t vaddr;
	unsigned argmask; /* bits of ARG_REGS that must stay intact */
	int need_ret;
	uint64_t low_target; /* lowest direct-branch target above vaddr, UINT64_MAX if none */
};

struct insn {
	ZydisDecodedInstruction in;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

static int decode_at(const struct walk *w, size_t off, struct insn *out)
{
	return ZYAN_SUCCESS(
		ZydisDecoderDecodeFull(&w->dec, w->code + off, w->len - off, &out->in, out->ops));
}

/* The address operand i of x branches to, if it is a rel8/rel32 target. */
static int branch_target(const struct insn *x, int i, uint64_t ip, uint64_t *t)
{
	const ZydisDecodedOperand *o = &x->ops[i];

	return o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && o->imm.is_relative &&
	       ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(&x->in, o, ip, t));
}

/* Linear sweep of the whole code for rel8/rel32 targets (jmp, jcc, call, loop, xbegin). x86-64
 * compilers keep data out of .text; should a byte not decode anyway, step over it and go on. */
static uint64_t lowest_target(const struct walk *w)
{
	uint64_t low = UINT64_MAX, t;
	struct insn x;

	for (size_t off = 0; off < w->len; off += x.in.length) {
		if (!decode_at(w, off, &x)) {
			x.in.length = 1;
			continue;
		}
		for (int i = 0; i < x.in.operand_count_visible; i++)
			if (branch_target(&x, i, w->vaddr + off, &t) && t > w->vaddr && t < low)
				low = t;
	}
	return low;
}

static unsigned reg_bit(ZydisRegister r)
{
	/* Zydis gives the instruction pointer no enclosing register: test it first. */
	if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP || r == ZYDIS_REGISTER_IP)
		return W_RIP;
	r = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);
	for (int i = 0; i < NARGS_MAX; i++)
		if (r == ARG_REGS[i])
			return 1u << i;
	return r == ZYDIS_REGISTER_RSP ? W_RSP : 0;
}

/* Every register the instruction writes, hidden and implicit operands included. */
static unsigned written(const struct insn *x)
{
	unsigned w = 0;

	for (int i = 0; i < x->in.operand_count; i++) {
		const ZydisDecodedOperand *o = &x->ops[i];

		if (!(o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		if (o->type == ZYDIS_OPERAND_TYPE_REGISTER)
			w |= reg_bit(o->reg.value);
		else if (o->type == ZYDIS_OPERAND_TYPE_MEMORY &&
			 o->visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
			 reg_bit(o->mem.base) == W_RSP)
			w |= W_STACK;
	}
	/* These never fall through, yet name no rip operand. */
	if (x->in.mnemonic == ZYDIS_MNEMONIC_UD0 || x->in.mnemonic == ZYDIS_MNEMONIC_UD1 ||
	    x->in.mnemonic == ZYDIS_MNEMONIC_UD2 || x->in.mnemonic == ZYDIS_MNEMONIC_HLT)
		w |= W_RIP;
	return w;
}

/* push of a 64-bit general register: rsp moves by exactly 8, the return address stays found. */
static int is_push_reg(const struct insn *x)
{
	return x->in.mnemonic == ZYDIS_MNEMONIC_PUSH &&
	       x->ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
	       x->ops[0].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT &&
	       ZydisRegisterGetClass(x->ops[0].reg.value) == ZYDIS_REGCLASS_GPR64;
}

static const char *mnemonic(const struct insn *x)
{
	const char *s = ZydisMnemonicGetString(x->in.mnemonic);

	return s ? s : "?";
}

/* Why the instruction x, which precedes any later site, ends the walk; NULL if it does not. */
static const char *stop_reason(const struct walk *w, const struct insn *x, char *buf, size_t len)
{
	unsigned wr = written(x);

	if (wr & W_RIP)
		snprintf(buf, len, "the first control transfer (%s)", mnemonic(x));
	else if (wr & w->argmask)
		snprintf(buf, len, "a write to %s (%s)", ARG_NAMES[__builtin_ctz(wr & w->argmask)],
			 mnemonic(x));
	else if (!is_push_reg(x) && (wr & (W_RSP | W_STACK)))
		snprintf(buf, len, "a change of rsp or [rsp] (%s)", mnemonic(x));
	else
		return NULL;
	return buf;
}

/* Appends x's mnemonic to the list of instructions before the site, while whole words fit. */
static void note_before(char *before, size_t len, const struct insn *x)
{
	size_t n = strlen(before);

	if (n + 2 + strlen(mnemonic(x)) < len)
		snprintf(before + n, len - n, "%s%s", n ? ", " : "", mnemonic(x));
}

/* 1 with out->delta and out->pushes at the first acceptable emulated site; 0 with why when there
 * is none; -EINVAL when the first instruction does not decode. */
static int walk_prefix(const struct walk *w, struct probe_site *out, char *before, size_t blen,
		       char *why, size_t wlen)
{
	uint32_t pushes = 0;
	struct insn x;

	for (size_t off = 0; off < w->len; off += x.in.length) {
		if (!decode_at(w, off, &x)) {
			if (!off)
				return -EINVAL;
			snprintf(why, wlen, "an undecodable instruction at +%zu", off);
			return 0;
		}
		if (off && w->low_target <= w->vaddr + off) {
			snprintf(why, wlen, "a branch target at +%" PRIu64,
				 w->low_target - w->vaddr);
			return 0;
		}
		if (w->need_ret && pushes) {
			snprintf(why, wlen,
				 "a push (a uretprobe needs the return address at [rsp])");
			return 0;
		}
		if (placement_classify(w->code + off, w->len - off) == INSN_EMULATED) {
			out->delta = (uint32_t)off;
			out->pushes = pushes;
			return 1;
		}
		if (stop_reason(w, &x, why, wlen))
			return 0;
		pushes += is_push_reg(&x);
		note_before(before, blen, &x);
	}
	snprintf(why, wlen, "the end of the code");
	return 0;
}

/* The instruction at delta as AT&T text, branch targets as absolute ELF addresses. */
static void format_insn(const struct walk *w, uint32_t delta, char *buf, size_t len)
{
	ZydisFormatter f;
	struct insn x;

	snprintf(buf, len, "?");
	if (!decode_at(w, delta, &x) ||
	    !ZYAN_SUCCESS(ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_ATT)))
		return;
	ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_HEX_UPPERCASE, ZYAN_FALSE);
	ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_ADDR_PADDING_ABSOLUTE,
				  ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_DISP_PADDING, ZYDIS_PADDING_DISABLED);
	ZydisFormatterSetProperty(&f, ZYDIS_FORMATTER_PROP_IMM_PADDING, ZYDIS_PADDING_DISABLED);
	ZydisFormatterFormatInstruction(&f, &x.in, x.ops, x.in.operand_count_visible, buf, len,
					w->vaddr + delta, NULL);
}

/* "rdi, rsi intact; " for the argument registers in use. */
static void describe_args(int nargs, char *buf, size_t len)
{
	buf[0] = '\0';
	for (int i = 0; i < nargs; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", ARG_NAMES[i]);
	if (nargs)
		snprintf(buf + strlen(buf), len - strlen(buf), " intact; ");
}

/* Length of the mnemonic (the first word) of an instruction text. */
static int word_len(const char *insn)
{
	const char *sp = strchr(insn, ' ');

	return sp ? (int)(sp - insn) : (int)strlen(insn);
}

static void describe_site(struct probe_site *out, int nargs, const char *before)
{
	int n = word_len(out->insn);
	char args[48];

	describe_args(nargs, args, sizeof(args));
	if (*before)
		snprintf(out->reason, sizeof(out->reason), "emulated %.*s after %s; %sRA at rsp+%u",
			 n, out->insn, before, args, 8 * out->pushes);
	else
		snprintf(out->reason, sizeof(out->reason), "emulated %.*s at entry; RA at rsp+0", n,
			 out->insn);
}

int placement_choose(const uint8_t *code, size_t len, uint64_t vaddr, int nargs, int need_ret,
		     struct probe_site *out)
{
	struct walk w = { .code = code, .len = len, .vaddr = vaddr, .need_ret = need_ret };
	char before[48] = "", why[80] = "";
	int found;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!code || !len || nargs < 0 || nargs > NARGS_MAX) {
		snprintf(out->reason, sizeof(out->reason), "bad arguments");
		return -EINVAL;
	}
	decoder_init(&w.dec);
	w.argmask = (1u << nargs) - 1;
	w.low_target = lowest_target(&w);
	found = walk_prefix(&w, out, before, sizeof(before), why, sizeof(why));
	if (found < 0) {
		snprintf(out->reason, sizeof(out->reason), "the first instruction does not decode");
		return -EINVAL;
	}
	format_insn(&w, out->delta, out->insn, sizeof(out->insn));
	if (found) {
		out->emulated = 1;
		describe_site(out, nargs, before);
		return 0;
	}
	if (placement_classify(code, len) == INSN_REJECTED) {
		snprintf(out->reason, sizeof(out->reason),
			 "no emulated site before %s, and the kernel rejects the entry", why);
		return -ENOTSUP;
	}
	snprintf(out->reason, sizeof(out->reason),
		 "no emulated site before %s: entry (single-stepped %.*s)", why,
		 word_len(out->insn), out->insn);
	return 0;
}

int placement_call_before(const uint8_t *code, size_t len)
{
	ZydisDecoder dec;
	ZydisDecodedInstruction in;

	decoder_init(&dec);
	/* The call is the instruction that ends exactly where the return address points. */
	for (size_t k = 2; k <= len && k <= 15; k++) {
		if (ZYAN_SUCCESS(
			    ZydisDecoderDecodeInstruction(&dec, NULL, code + len - k, k, &in)) &&
		    in.length == k && in.meta.category == ZYDIS_CATEGORY_CALL)
			return 1;
	}
	return 0;
}
