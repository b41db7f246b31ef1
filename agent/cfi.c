/* Unwind rows for the BPF stack walker from one ELF file's call-frame information (libdw). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/cfi.h"

/* x86-64 DWARF register numbers (psABI figure 3.36). */
#define REG_RBP 6
#define REG_RSP 7
#define REG_RA 16

/* Where separate debug files live, by GNU build-id. */
#define DEBUG_BUILD_ID_DIR "/usr/lib/debug/.build-id"

/* A growing array of rows, merged as they come. */
struct rows {
	struct hs_unwind_row *v;
	size_t n, cap;
	bool above_4g; /* a row was dropped: its address does not fit in 32 bits */
};

/* A growing array of FDE start addresses. */
struct addrs {
	uint64_t *v;
	size_t n, cap;
};

/* The executable PT_LOAD ranges: FDE starts elsewhere are stale (.debug_frame entries of
 * functions the linker discarded point at 0 or a tombstone). */
#define MAX_EXEC_SEGMENTS 16
struct exec_segments {
	uint64_t start[MAX_EXEC_SEGMENTS], end[MAX_EXEC_SEGMENTS];
	size_t n;
	uint64_t bytes;
};

static struct hs_unwind_row rule(enum hs_cfa_kind kind, uint16_t cfa_off, int8_t rbp_slot)
{
	return (struct hs_unwind_row){ .cfa_kind = kind, .cfa_off = cfa_off, .rbp_slot = rbp_slot };
}

static bool same_rule(const struct hs_unwind_row *a, const struct hs_unwind_row *b)
{
	return a->cfa_kind == b->cfa_kind && a->cfa_off == b->cfa_off && a->rbp_slot == b->rbp_slot;
}

/* Appends r at addr, which must not be below the last row's. A later rule for the same address
 * replaces the earlier one; a rule equal to the last row's extends that row. */
static int rows_push(struct rows *rs, uint64_t addr, struct hs_unwind_row r)
{
	if (addr > UINT32_MAX) {
		rs->above_4g = true;
		return 0;
	}
	r.addr = (uint32_t)addr;
	if (rs->n && rs->v[rs->n - 1].addr == r.addr)
		rs->n--;
	if (rs->n && same_rule(&rs->v[rs->n - 1], &r))
		return 0;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 1024;
		struct hs_unwind_row *v = realloc(rs->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = r;
	return 0;
}

static int addrs_push(struct addrs *as, uint64_t addr)
{
	if (as->n == as->cap) {
		size_t cap = as->cap ? 2 * as->cap : 1024;
		uint64_t *v = realloc(as->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		as->v = v;
		as->cap = cap;
	}
	as->v[as->n++] = addr;
	return 0;
}

/* ---- From a libdw frame (one CFI row) to a rule ---- */

/* The CFA as rsp or rbp plus an offset that fits the row; UNSUPPORTED otherwise. */
static struct hs_unwind_row cfa_rule(Dwarf_Frame *f)
{
	Dwarf_Op *ops;
	size_t nops;
	int64_t off;

	/* libdw gives "register + offset" as a single DW_OP_bregx; anything else is an expression,
	 * and no ops at all means the CFA is undefined. */
	if (dwarf_frame_cfa(f, &ops, &nops) || nops != 1 || ops[0].atom != DW_OP_bregx)
		return rule(HS_CFA_UNSUPPORTED, 0, 0);
	off = (int64_t)ops[0].number2;
	if (off < 0 || off > UINT16_MAX)
		return rule(HS_CFA_UNSUPPORTED, 0, 0);
	if (ops[0].number == REG_RSP)
		return rule(HS_CFA_RSP, (uint16_t)off, 0);
	if (ops[0].number == REG_RBP)
		return rule(HS_CFA_RBP, (uint16_t)off, 0);
	return rule(HS_CFA_UNSUPPORTED, 0, 0);
}

/* Whether the caller's value of regno is saved in memory at CFA + *off. libdw spells that
 * DW_OP_call_frame_cfa, then DW_OP_plus_uconst with the (negative) offset stored unsigned;
 * without the second op the offset is 0. */
static bool saved_at_cfa(const Dwarf_Op *ops, size_t nops, int64_t *off)
{
	if (nops < 1 || nops > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (nops == 1) {
		*off = 0;
		return true;
	}
	if (ops[1].atom != DW_OP_plus_uconst)
		return false;
	*off = (int64_t)ops[1].number;
	return true;
}

/* The return address is at CFA - 8 (0), undefined (1: the outermost frame), or elsewhere (-1). */
static int ra_location(Dwarf_Frame *f)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int64_t off;

	if (dwarf_frame_register(f, REG_RA, mem, &ops, &nops))
		return -1;
	if (nops == 0)
		return ops == mem ? 1 : -1; /* undefined, or "same value" (nonsense for RA) */
	return saved_at_cfa(ops, nops, &off) && off == -8 ? 0 : -1;
}

/* The caller's rbp: unchanged (*slot 0) or saved at CFA + 8 * *slot. -1 when the row cannot
 * say so: saved in a register, by an expression, at CFA + 0, off the 8-byte grid or out of
 * the slot's range, or undefined (the walker would carry a wrong value upwards). */
static int rbp_slot(Dwarf_Frame *f, int8_t *slot)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int64_t off;

	if (dwarf_frame_register(f, REG_RBP, mem, &ops, &nops))
		return -1;
	if (nops == 0) {
		*slot = 0;
		return ops == NULL ? 0 : -1;
	}
	if (!saved_at_cfa(ops, nops, &off) || off == 0 || off % 8 || off / 8 < INT8_MIN ||
	    off / 8 > INT8_MAX)
		return -1;
	*slot = (int8_t)(off / 8);
	return 0;
}

/* The rule of one frame, and the end of the range it covers. */
static struct hs_unwind_row frame_rule(Dwarf_Frame *f, Dwarf_Addr *end)
{
	struct hs_unwind_row r;
	Dwarf_Addr start;
	bool signal;
	int ra;

	if (dwarf_frame_info(f, &start, end, &signal) != REG_RA || signal)
		return rule(HS_CFA_UNSUPPORTED, 0, 0);
	ra = ra_location(f);
	if (ra == 1)
		return rule(HS_CFA_STOP, 0, 0);
	r = cfa_rule(f);
	if (r.cfa_kind == HS_CFA_UNSUPPORTED || ra != 0 || rbp_slot(f, &r.rbp_slot))
		return rule(HS_CFA_UNSUPPORTED, 0, 0);
	return r;
}

/* ---- FDE start addresses ---- */

/* Little-endian unsigned integer of size bytes at p (x86-64 CFI is little-endian). */
static uint64_t read_le(const uint8_t *p, size_t size)
{
	uint64_t v = 0;

	for (size_t i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* Decodes a DW_EH_PE-encoded pointer at p, whose own ELF address is p_vaddr, in the forms
 * x86-64 uses: 2, 4 or 8 bytes, signed or not, absolute or pc-relative. The bytes read, or -1
 * for another encoding or when it would read past end. */
static int read_encoded(const uint8_t *p, const uint8_t *end, uint8_t enc, uint64_t p_vaddr,
			uint64_t *out)
{
	static const uint8_t sizes[16] = {
		[DW_EH_PE_absptr] = 8, [DW_EH_PE_udata2] = 2, [DW_EH_PE_udata4] = 4,
		[DW_EH_PE_udata8] = 8, [DW_EH_PE_sdata2] = 2, [DW_EH_PE_sdata4] = 4,
		[DW_EH_PE_sdata8] = 8,
	};
	size_t size = sizes[enc & 0x0f];
	uint64_t v;

	if (!size || (size_t)(end - p) < size || (enc & ~0x7f))
		return -1;
	v = read_le(p, size);
	if ((enc & 0x0f) == DW_EH_PE_sdata2)
		v = (uint64_t)(int64_t)(int16_t)v;
	else if ((enc & 0x0f) == DW_EH_PE_sdata4)
		v = (uint64_t)(int64_t)(int32_t)v;
	if ((enc & 0x70) == DW_EH_PE_pcrel)
		v += p_vaddr;
	else if (enc & 0x70)
		return -1;
	*out = v;
	return (int)size;
}

static bool find_phdr(Elf *elf, uint32_t type, GElf_Phdr *out)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (gelf_getphdr(elf, (int)i, out) && out->p_type == type)
			return true;
	return false;
}

/* FDE starts from .eh_frame_hdr's binary-search table, the linker's index: version 1, three
 * encodings, the .eh_frame pointer, the count, then (start, FDE) pairs of 4-byte offsets from
 * the header's address. 0, -ENOENT without a table in that form, -ENOMEM. */
static int hdr_fde_starts(Elf *elf, struct addrs *out)
{
	const uint8_t *hdr, *p, *end;
	uint64_t eh_frame, count;
	GElf_Phdr ph;
	Elf_Data *d;
	int len;

	if (!find_phdr(elf, PT_GNU_EH_FRAME, &ph))
		return -ENOENT;
	d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
	if (!d || d->d_size < 4)
		return -ENOENT;
	hdr = d->d_buf;
	end = hdr + d->d_size;
	if (hdr[0] != 1 || hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -ENOENT;
	p = hdr + 4;
	len = read_encoded(p, end, hdr[1], ph.p_vaddr + 4, &eh_frame);
	if (len < 0)
		return -ENOENT;
	p += len;
	len = read_encoded(p, end, hdr[2], ph.p_vaddr + (uint64_t)(p - hdr), &count);
	if (len < 0)
		return -ENOENT;
	p += len;
	if (count > (uint64_t)(end - p) / 8)
		return -ENOENT;
	for (uint64_t i = 0; i < count; i++)
		if (addrs_push(out, ph.p_vaddr + (uint64_t)(int64_t)(int32_t)read_le(p + 8 * i, 4)))
			return -ENOMEM;
	return 0;
}

/* The encoding of the FDE start addresses a .eh_frame CIE declares (augmentation 'R'); without
 * augmentation data they are absolute. -1 for augmentations this cannot skip. */
static int cie_fde_encoding(const Dwarf_CIE *cie, uint8_t *enc)
{
	const uint8_t *p = cie->augmentation_data;
	const uint8_t *end = p + cie->augmentation_data_size;
	uint64_t personality;
	int len;

	*enc = DW_EH_PE_absptr;
	if (cie->augmentation[0] != 'z')
		return 0;
	for (const char *a = cie->augmentation + 1; *a; a++) {
		if (*a == 'R') {
			if (p >= end)
				return -1;
			*enc = *p;
			return 0;
		}
		if (*a == 'L') {
			p++;
		} else if (*a == 'P') {
			/* Only its size matters: any application (pcrel, indirect) reads alike. */
			len = p < end ? read_encoded(p + 1, end, *p & 0x0f, 0, &personality) : -1;
			if (len < 0)
				return -1;
			p += 1 + len;
		} else if (*a != 'S' && *a != 'B') {
			return -1;
		}
	}
	return 0;
}

/* The start address of one FDE found by dwarf_next_cfi in a section at sec_vaddr. -1 when its
 * CIE is unreadable or its encoding unknown. */
static int fde_start(const unsigned char *ident, Elf_Data *data, bool eh_frame, uint64_t sec_vaddr,
		     const Dwarf_FDE *fde, uint64_t *start)
{
	const uint8_t *buf = data->d_buf;
	Dwarf_CFI_Entry cie;
	Dwarf_Off next;
	uint8_t enc = DW_EH_PE_absptr; /* .debug_frame: a plain 8-byte address */

	if (eh_frame) {
		if (dwarf_next_cfi(ident, data, true, fde->CIE_pointer, &next, &cie) ||
		    !dwarf_cfi_cie_p(&cie) || cie_fde_encoding(&cie.cie, &enc))
			return -1;
	}
	return read_encoded(fde->start, fde->end, enc, sec_vaddr + (uint64_t)(fde->start - buf),
			    start) < 0 ?
		       -1 :
		       0;
}

/* The contents of the section named name, and its header; NULL when absent or NOBITS (as
 * .eh_frame is in a separate debug file). */
static Elf_Data *section_data(Elf *elf, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	const char *sn;
	size_t shstrndx;
	Elf_Data *data;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh) || sh->sh_type == SHT_NOBITS)
			continue;
		sn = elf_strptr(elf, shstrndx, sh->sh_name);
		if (sn && !strcmp(sn, name))
			break;
	}
	data = scn ? elf_getdata(scn, NULL) : NULL;
	return data && data->d_buf ? data : NULL;
}

/* FDE starts by walking the entries of the section named name (.eh_frame without its index, or
 * .debug_frame). 0, -ENOENT without the section, -ENOMEM. */
static int section_fde_starts(Elf *elf, const char *name, struct addrs *out)
{
	bool eh_frame = !strcmp(name, ".eh_frame");
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry e;
	GElf_Shdr sh;
	Elf_Data *data = section_data(elf, name, &sh);
	uint64_t start;
	int rc;

	if (!ident || !data)
		return -ENOENT;
	for (;;) {
		next = (Dwarf_Off)-1;
		rc = dwarf_next_cfi(ident, data, eh_frame, off, &next, &e);
		if (rc > 0 || (rc < 0 && (next == (Dwarf_Off)-1 || next <= off)))
			break;
		if (rc == 0 && !dwarf_cfi_cie_p(&e) &&
		    !fde_start(ident, data, eh_frame, sh.sh_addr, &e.fde, &start) &&
		    addrs_push(out, start))
			return -ENOMEM;
		off = next;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool in_exec(const struct exec_segments *x, uint64_t addr)
{
	for (size_t i = 0; i < x->n; i++)
		if (addr >= x->start[i] && addr < x->end[i])
			return true;
	return false;
}

/* Sorts the starts, dropping duplicates and those outside executable code. */
static void tidy_starts(struct addrs *as, const struct exec_segments *x)
{
	size_t k = 0;

	if (as->n > 1) /* v is NULL without a start: not for qsort, even for 0 */
		qsort(as->v, as->n, sizeof(*as->v), cmp_u64);
	for (size_t i = 0; i < as->n; i++)
		if ((k == 0 || as->v[i] != as->v[k - 1]) && in_exec(x, as->v[i]))
			as->v[k++] = as->v[i];
	as->n = k;
}

/* ---- Rows ---- */

/* The rows of the FDE at start, cut at limit (where the next FDE starts), then a NONE row where
 * the FDE ends short of limit. */
static int fde_rows(Dwarf_CFI *cfi, uint64_t start, uint64_t limit, struct rows *rs)
{
	uint64_t pc = start;
	Dwarf_Frame *f;
	Dwarf_Addr end;
	int err;

	while (pc < limit && dwarf_cfi_addrframe(cfi, pc, &f) == 0) {
		struct hs_unwind_row r = frame_rule(f, &end);

		free(f);
		err = rows_push(rs, pc, r);
		if (err)
			return err;
		if (end <= pc) /* a malformed range: do not spin */
			return rows_push(rs, limit, rule(HS_CFA_UNSUPPORTED, 0, 0));
		pc = end;
	}
	if (pc == start) /* libdw cannot read this FDE at all */
		return rows_push(rs, pc, rule(HS_CFA_UNSUPPORTED, 0, 0));
	return pc < limit ? rows_push(rs, pc, rule(HS_CFA_NONE, 0, 0)) : 0;
}

static int cfi_rows(Dwarf_CFI *cfi, const struct addrs *starts, struct rows *rs)
{
	for (size_t i = 0; i < starts->n; i++) {
		uint64_t limit = i + 1 < starts->n ? starts->v[i + 1] : UINT64_MAX;
		int err = fde_rows(cfi, starts->v[i], limit, rs);

		if (err)
			return err;
	}
	return 0;
}

/* Bytes of code that rows other than NONE cover. */
static uint64_t covered_bytes(const struct rows *rs)
{
	uint64_t bytes = 0;

	for (size_t i = 0; i + 1 < rs->n; i++)
		if (rs->v[i].cfa_kind != HS_CFA_NONE)
			bytes += rs->v[i + 1].addr - rs->v[i].addr;
	return bytes;
}

/* Rows where top's rules win wherever top has one (is not NONE), under's elsewhere. */
static int overlay(const struct rows *top, const struct rows *under, struct rows *out)
{
	const struct hs_unwind_row *t = NULL, *u = NULL;
	size_t i = 0, j = 0;
	int err;

	out->above_4g = top->above_4g || under->above_4g;
	while (i < top->n || j < under->n) {
		uint32_t addr = i < top->n ? top->v[i].addr : UINT32_MAX;

		if (j < under->n && under->v[j].addr < addr)
			addr = under->v[j].addr;
		if (i < top->n && top->v[i].addr == addr)
			t = &top->v[i++];
		if (j < under->n && under->v[j].addr == addr)
			u = &under->v[j++];
		err = rows_push(out, addr, t && (t->cfa_kind != HS_CFA_NONE || !u) ? *t : *u);
		if (err)
			return err;
	}
	return 0;
}

/* ---- Sources ---- */

/* Rows from .eh_frame. 0 (also when empty), -ENOMEM. */
static int eh_frame_rows(Elf *elf, const struct exec_segments *x, struct rows *rs)
{
	Dwarf_CFI *cfi = dwarf_getcfi_elf(elf);
	struct addrs starts = { 0 };
	int err;

	if (!cfi)
		return 0;
	err = hdr_fde_starts(elf, &starts);
	if (err == -ENOENT)
		err = section_fde_starts(elf, ".eh_frame", &starts);
	if (err == 0) {
		tidy_starts(&starts, x);
		err = cfi_rows(cfi, &starts, rs);
	}
	free(starts.v);
	dwarf_cfi_end(cfi);
	return err == -ENOENT ? 0 : err;
}

/* An ELF file with .debug_frame: the file itself (fd -1) or its separate debug file. */
struct debug_source {
	int fd;
	Elf *elf;
	Dwarf *dwarf;
	Dwarf_CFI *cfi;
};

static void debug_source_close(struct debug_source *s)
{
	dwarf_end(s->dwarf);
	if (s->fd >= 0) {
		elf_end(s->elf);
		close(s->fd);
	}
	*s = (struct debug_source){ .fd = -1 };
}

/* Whether elf has .debug_frame; fills s->dwarf and s->cfi if so. */
static bool open_debug_frame(Elf *elf, struct debug_source *s)
{
	s->elf = elf;
	s->dwarf = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	s->cfi = s->dwarf ? dwarf_getcfi(s->dwarf) : NULL;
	return s->cfi != NULL;
}

/* The separate debug file named by elf's GNU build-id, if it has .debug_frame. */
static bool open_debug_file(Elf *elf, struct debug_source *s)
{
	char path[sizeof(DEBUG_BUILD_ID_DIR) + 8 + 2 * 64 + sizeof(".debug")];
	const uint8_t *id;
	ssize_t len = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	int k;

	if (len < 2 || len > 64)
		return false;
	k = snprintf(path, sizeof(path), DEBUG_BUILD_ID_DIR "/%02x/", id[0]);
	for (ssize_t i = 1; i < len; i++)
		k += snprintf(path + k, sizeof(path) - (size_t)k, "%02x", id[i]);
	snprintf(path + k, sizeof(path) - (size_t)k, ".debug");
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return false;
	s->elf = elf_begin(s->fd, ELF_C_READ_MMAP, NULL);
	return s->elf && elf_kind(s->elf) == ELF_K_ELF && open_debug_frame(s->elf, s);
}

/* Rows from .debug_frame of elf or of its debug file. 0 (also when there is none), -ENOMEM. */
static int debug_frame_rows(Elf *elf, const struct exec_segments *x, struct rows *rs)
{
	struct debug_source s = { .fd = -1 };
	struct addrs starts = { 0 };
	int err = 0;

	if (!open_debug_frame(elf, &s)) {
		debug_source_close(&s);
		if (!open_debug_file(elf, &s))
			goto out;
	}
	/* After dwarf_begin_elf, so a compressed section reads back decompressed. */
	err = section_fde_starts(s.elf, ".debug_frame", &starts);
	if (err == 0) {
		tidy_starts(&starts, x);
		err = cfi_rows(s.cfi, &starts, rs);
	}
out:
	free(starts.v);
	debug_source_close(&s);
	return err == -ENOENT ? 0 : err;
}

static void exec_segments(Elf *elf, struct exec_segments *x)
{
	GElf_Phdr ph;
	size_t n;

	*x = (struct exec_segments){ 0 };
	if (elf_getphdrnum(elf, &n))
		return;
	for (size_t i = 0; i < n && x->n < MAX_EXEC_SEGMENTS; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		x->start[x->n] = ph.p_vaddr;
		x->end[x->n++] = ph.p_vaddr + ph.p_memsz;
		x->bytes += ph.p_memsz;
	}
}

/* All rows of elf: .eh_frame, with .debug_frame under it when .eh_frame covers less than half
 * of the code (built without unwind tables; only crt's entry code has them). */
static int elf_rows(Elf *elf, struct rows *out)
{
	struct rows eh = { 0 }, dbg = { 0 };
	struct exec_segments x;
	int err;

	exec_segments(elf, &x);
	err = eh_frame_rows(elf, &x, &eh);
	if (err || 2 * covered_bytes(&eh) >= x.bytes)
		goto keep_eh;
	err = debug_frame_rows(elf, &x, &dbg);
	if (err || dbg.n == 0)
		goto keep_eh;
	err = overlay(&eh, &dbg, out);
	free(eh.v);
	free(dbg.v);
	return err;
keep_eh:
	free(dbg.v);
	*out = eh;
	return err;
}

/* The file's entry point, where no FDE covers it, is the outermost frame: ld.so's _start and
 * _dl_start_user (hand-written, without CFI) run every constructor of the initial libraries, and
 * a stack that reaches them is complete, not cut short. */
static void mark_entry_stub(Elf *elf, struct rows *rs)
{
	GElf_Ehdr eh;
	size_t lo = 0, hi = rs->n;

	if (!gelf_getehdr(elf, &eh) || !eh.e_entry || !rs->n || eh.e_entry < rs->v[0].addr)
		return;
	while (hi - lo > 1) { /* the last row at or below e_entry */
		size_t mid = lo + (hi - lo) / 2;

		if (rs->v[mid].addr <= eh.e_entry)
			lo = mid;
		else
			hi = mid;
	}
	if (rs->v[lo].cfa_kind == HS_CFA_NONE) {
		uint32_t addr = rs->v[lo].addr;

		rs->v[lo] = rule(HS_CFA_STOP, 0, 0);
		rs->v[lo].addr = addr;
	}
}

/* Opens path as a 64-bit x86-64 ELF file. 0, -errno from open, -ENOEXEC. */
static int open_elf(const char *path, int *fd, Elf **elf)
{
	GElf_Ehdr eh;

	*elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	/* Rows speak of x86-64 registers: another machine's CFI would be misread. */
	if (!*elf || elf_kind(*elf) != ELF_K_ELF || !gelf_getehdr(*elf, &eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	return 0;
}

int cfi_build(const char *path, struct hs_unwind_row **rows, size_t *n)
{
	struct rows rs = { 0 };
	Elf *elf = NULL;
	int fd = -1, err;

	if (!path || !rows || !n)
		return -EINVAL;
	*rows = NULL;
	*n = 0;
	err = open_elf(path, &fd, &elf);
	if (err)
		goto out;
	err = elf_rows(elf, &rs);
	if (!err)
		mark_entry_stub(elf, &rs);
	if (!err && rs.above_4g)
		err = rows_push(&rs, UINT32_MAX, rule(HS_CFA_UNSUPPORTED, 0, 0));
	if (!err && rs.n == 0)
		err = -ENOENT;
	if (err)
		goto out;
	*rows = realloc(rs.v, rs.n * sizeof(*rs.v)) ?: rs.v;
	*n = rs.n;
	rs.v = NULL;
out:
	free(rs.v);
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return err;
}

const struct hs_unwind_row *cfi_lookup(const struct hs_unwind_row *rows, size_t n, uint64_t vaddr)
{
	size_t lo = 0, hi = n;

	if (n == 0 || vaddr < rows[0].addr)
		return NULL;
	/* Invariant: rows[lo].addr <= vaddr, and rows[hi].addr > vaddr when hi < n. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows[mid].addr <= vaddr)
			lo = mid;
		else
			hi = mid;
	}
	return &rows[lo];
}
