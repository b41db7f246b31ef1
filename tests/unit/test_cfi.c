/* Unit tests of the CFI row builder: hand-written .cfi_* functions in this binary, libc, and
 * executables assembled for the occasion (no CFI, .debug_frame only, no .eh_frame_hdr, code
 * above 4 GiB). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/cfi.h"

#define LIBDIR "/lib/x86_64-linux-gnu/"

/* push rbp; mov rsp,rbp; push rbx; nop; pop rbx; pop rbp; ret, with the CFI gcc would emit.
 * The push rbx row changes nothing the walker reads, so it must merge into the one before.
 * An int3 outside any FDE on either side makes the rows around the function certain. */
#define FP_FN_ASM(name)                                                                            \
	".p2align 4\n"                                                                             \
	"int3\n"                                                                                   \
	".globl " name "\n"                                                                        \
	".globl " name "_end\n"                                                                    \
	".hidden " name "\n"                                                                       \
	".hidden " name "_end\n"                                                                   \
	".type " name ", @function\n" name ":\n"                                                   \
	".cfi_startproc\n"                                                                         \
	"push %rbp\n"                                                                              \
	".cfi_def_cfa_offset 16\n"                                                                 \
	".cfi_offset rbp, -16\n"                                                                   \
	"mov %rsp, %rbp\n"                                                                         \
	".cfi_def_cfa_register rbp\n"                                                              \
	"push %rbx\n"                                                                              \
	".cfi_offset rbx, -24\n"                                                                   \
	"nop\n"                                                                                    \
	"pop %rbx\n"                                                                               \
	".cfi_restore rbx\n"                                                                       \
	"pop %rbp\n"                                                                               \
	".cfi_def_cfa rsp, 8\n"                                                                    \
	".cfi_restore rbp\n"                                                                       \
	"ret\n"                                                                                    \
	".cfi_endproc\n" name "_end:\n"                                                            \
	".size " name ", . - " name "\n"                                                           \
	"int3\n"

/* Opens a function like FP_FN_ASM does, for the other cases below. */
#define FN_BEGIN(name)                                                                             \
	".p2align 4\n"                                                                             \
	"int3\n"                                                                                   \
	".globl " name "\n"                                                                        \
	".globl " name "_end\n"                                                                    \
	".hidden " name "\n"                                                                       \
	".hidden " name "_end\n" name ":\n"                                                        \
	".cfi_startproc\n"
#define FN_END(name) ".cfi_endproc\n" name "_end:\n int3\n"

__asm__(".text\n" FP_FN_ASM("cfi_fp_fn")

	/* The outermost frame: the return address is undefined, as in _start. */
	FN_BEGIN("cfi_stop_fn") "nop\n"
				".cfi_undefined rip\n"
				"xor %ebp, %ebp\n"
				"hlt\n" FN_END("cfi_stop_fn")

	/* DW_CFA_def_cfa_expression (0x0f), 11 bytes: the PLT stub's CFA, breg7 8, breg16 0,
	 * lit15, and, lit11, ge, lit3, shl, plus. */
	FN_BEGIN("cfi_expr_fn") "nop\n"
				".cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b,"
				" 0x2a, 0x33, 0x24, 0x22\n"
				"nop\n"
				".cfi_def_cfa rsp, 8\n"
				"ret\n" FN_END("cfi_expr_fn")

	/* One rule per nop, each at an edge of what a row can say (offsets in the comments of
	 * odd_want below). */
	FN_BEGIN("cfi_odd_fn") "nop\n"
			       ".cfi_def_cfa_register rbx\n"
			       "nop\n"
			       ".cfi_def_cfa rsp, 70000\n"
			       "nop\n"
			       ".cfi_def_cfa_offset 65535\n"
			       "nop\n"
			       ".cfi_def_cfa_offset 16\n"
			       ".cfi_escape 0x10, 0x06, 0x02, 0x76, 0x00\n"
			       "nop\n"
			       ".cfi_offset rbp, -1024\n"
			       "nop\n"
			       ".cfi_offset rbp, -1032\n"
			       "nop\n"
			       ".cfi_offset rbp, 1016\n"
			       "nop\n"
			       ".cfi_register rbp, rbx\n"
			       "nop\n"
			       ".cfi_val_offset rbp, -16\n"
			       "nop\n"
			       ".cfi_undefined rbp\n"
			       "nop\n"
			       ".cfi_restore rbp\n"
			       "nop\n"
			       ".cfi_offset rip, -16\n"
			       "nop\n"
			       ".cfi_restore rip\n"
			       ".cfi_offset rbx, -16\n"
			       "nop\n"
			       ".cfi_def_cfa rsp, -8\n"
			       "nop\n"
			       ".cfi_def_cfa rbp, 0\n"
			       "nop\n"
			       ".cfi_offset rbp, 0\n"
			       "nop\n"
			       ".cfi_restore rbp\n"
			       "ret\n" FN_END("cfi_odd_fn")

	/* A signal trampoline's FDE (CIE augmentation "S"): the caller's state is a sigcontext. */
	FN_BEGIN("cfi_signal_fn") ".cfi_signal_frame\n"
				  "nop\n"
				  "ret\n" FN_END("cfi_signal_fn"));

extern const char cfi_fp_fn[], cfi_fp_fn_end[], cfi_stop_fn[], cfi_stop_fn_end[];
extern const char cfi_expr_fn[], cfi_expr_fn_end[], cfi_odd_fn[], cfi_odd_fn_end[];
extern const char cfi_signal_fn[], cfi_signal_fn_end[];
extern const char _start[];

/* The rule expected from offset off on, up to the next entry's offset. */
struct want {
	unsigned off;
	enum hs_cfa_kind kind;
	uint16_t cfa_off;
	int8_t rbp_slot;
};

static const struct want fp_want[] = {
	{ 0, HS_CFA_RSP, 8, 0 }, { 1, HS_CFA_RSP, 16, -2 }, { 4, HS_CFA_RBP, 16, -2 },
	{ 8, HS_CFA_RSP, 8, 0 }, { 9, HS_CFA_NONE, 0, 0 },
};

static const struct want stop_want[] = {
	{ 0, HS_CFA_RSP, 8, 0 },
	{ 1, HS_CFA_STOP, 0, 0 },
	{ 4, HS_CFA_NONE, 0, 0 },
};

static const struct want expr_want[] = {
	{ 0, HS_CFA_RSP, 8, 0 },
	{ 1, HS_CFA_UNSUPPORTED, 0, 0 },
	{ 2, HS_CFA_RSP, 8, 0 },
	{ 3, HS_CFA_NONE, 0, 0 },
};

static const struct want odd_want[] = {
	{ 0, HS_CFA_RSP, 8, 0 },	  { 1, HS_CFA_UNSUPPORTED, 0, 0 }, /* CFA on rbx */
	{ 2, HS_CFA_UNSUPPORTED, 0, 0 },  /* CFA offset above 65535 (merged with the above) */
	{ 3, HS_CFA_RSP, 65535, 0 },	  /* the largest offset a row holds */
	{ 4, HS_CFA_UNSUPPORTED, 0, 0 },  /* rbp at *(rbp + 0): an expression */
	{ 5, HS_CFA_RSP, 16, -128 },	  /* rbp at CFA-1024: the lowest slot */
	{ 6, HS_CFA_UNSUPPORTED, 0, 0 },  /* rbp at CFA-1032: below the slot's range */
	{ 7, HS_CFA_RSP, 16, 127 },	  /* rbp at CFA+1016: the highest slot */
	{ 8, HS_CFA_UNSUPPORTED, 0, 0 },  /* rbp in rbx */
	{ 9, HS_CFA_UNSUPPORTED, 0, 0 },  /* rbp = CFA-16, a value not a slot */
	{ 10, HS_CFA_UNSUPPORTED, 0, 0 }, /* rbp undefined */
	{ 11, HS_CFA_RSP, 16, 0 },	  /* rbp restored: unchanged */
	{ 12, HS_CFA_UNSUPPORTED, 0, 0 }, /* return address at CFA-16 */
	{ 13, HS_CFA_RSP, 16, 0 },	  /* rbx saved: nothing the walker reads */
	{ 14, HS_CFA_UNSUPPORTED, 0, 0 }, /* a negative CFA offset */
	{ 15, HS_CFA_RBP, 0, 0 },	  /* CFA = rbp */
	{ 16, HS_CFA_UNSUPPORTED, 0, 0 }, /* rbp at CFA+0: slot 0 would read "unchanged" */
	{ 17, HS_CFA_RBP, 0, 0 },	  { 18, HS_CFA_NONE, 0, 0 },
};

static const struct want signal_want[] = {
	{ 0, HS_CFA_UNSUPPORTED, 0, 0 },
	{ 2, HS_CFA_NONE, 0, 0 },
};

static char tmpdir[] = "/tmp/heapscope-cfi-XXXXXX";

/* The loaded object holding an address: its load bias and file. */
struct object {
	const void *addr;
	uint64_t bias;
	char path[256];
	int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct object *o = arg;
	uintptr_t a = (uintptr_t)o->addr;
	(void)size;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || a < start || a >= start + ph->p_memsz)
			continue;
		o->bias = info->dlpi_addr;
		/* The executable comes first, with an empty name. */
		snprintf(o->path, sizeof(o->path), "%s",
			 *info->dlpi_name ? info->dlpi_name : "/proc/self/exe");
		o->found = 1;
		return 1;
	}
	return 0;
}

/* The object holding addr; fails the test when none does. */
static struct object object_of(const void *addr)
{
	struct object o = { .addr = addr };

	dl_iterate_phdr(find_object, &o);
	if (!o.found)
		fail_msg("no loaded object holds %p", addr);
	return o;
}

/* The ELF address of a function of this binary. */
static uint64_t self_vaddr(const char *fn)
{
	return (uint64_t)(uintptr_t)fn - object_of(fn).bias;
}

static const char *kind_name(int kind)
{
	static const char *const names[] = { "RSP", "RBP", "STOP", "NONE", "UNSUPPORTED" };

	return kind >= 0 && kind <= HS_CFA_UNSUPPORTED ? names[kind] : "?";
}

/* Every byte of [vaddr, vaddr + size] against want: the rule, and a row starting exactly where
 * the rule changes. The byte before vaddr lies outside any FDE. */
static void check_rows(const struct hs_unwind_row *rows, size_t n, uint64_t vaddr, unsigned size,
		       const struct want *want, size_t nwant)
{
	const struct hs_unwind_row *r = cfi_lookup(rows, n, vaddr - 1);
	size_t k = 0;

	assert_non_null(r);
	assert_int_equal(r->cfa_kind, HS_CFA_NONE);
	assert_int_equal(want[nwant - 1].off, size);
	for (unsigned off = 0; off <= size; off++) {
		while (k + 1 < nwant && want[k + 1].off <= off)
			k++;
		r = cfi_lookup(rows, n, vaddr + off);
		assert_non_null(r);
		if (r->cfa_kind != want[k].kind || r->cfa_off != want[k].cfa_off ||
		    r->rbp_slot != want[k].rbp_slot)
			fail_msg("at +%u: %s/%u/%d, want %s/%u/%d", off, kind_name(r->cfa_kind),
				 r->cfa_off, r->rbp_slot, kind_name(want[k].kind), want[k].cfa_off,
				 want[k].rbp_slot);
		if (off == want[k].off && (k == 0 || want[k - 1].kind != want[k].kind ||
					   want[k - 1].cfa_off != want[k].cfa_off ||
					   want[k - 1].rbp_slot != want[k].rbp_slot))
			assert_int_equal(r->addr, vaddr + off);
	}
}

#define CHECK_SELF(rows, n, fn, want)                                                              \
	check_rows(rows, n, self_vaddr(fn), (unsigned)(fn##_end - fn), want,                       \
		   sizeof(want) / sizeof(want[0]))

/* Sorted strictly, no two neighbours with the same rule, and the last row NONE or the 4 GiB
 * guard. */
static void check_well_formed(const struct hs_unwind_row *rows, size_t n)
{
	assert_true(n > 0);
	for (size_t i = 1; i < n; i++) {
		assert_true(rows[i - 1].addr < rows[i].addr);
		assert_false(rows[i - 1].cfa_kind == rows[i].cfa_kind &&
			     rows[i - 1].cfa_off == rows[i].cfa_off &&
			     rows[i - 1].rbp_slot == rows[i].rbp_slot);
	}
	assert_true(rows[n - 1].cfa_kind == HS_CFA_NONE ||
		    rows[n - 1].cfa_kind == HS_CFA_UNSUPPORTED);
}

static void build_ok(const char *path, struct hs_unwind_row **rows, size_t *n)
{
	int err = cfi_build(path, rows, n);

	if (err)
		fail_msg("cfi_build(%s): %s", path, strerror(-err));
	check_well_formed(*rows, *n);
}

static void test_self(void **state)
{
	struct hs_unwind_row *rows;
	size_t n;
	(void)state;

	build_ok("/proc/self/exe", &rows, &n);
	CHECK_SELF(rows, n, cfi_fp_fn, fp_want);
	CHECK_SELF(rows, n, cfi_stop_fn, stop_want);
	CHECK_SELF(rows, n, cfi_expr_fn, expr_want);
	CHECK_SELF(rows, n, cfi_odd_fn, odd_want);
	CHECK_SELF(rows, n, cfi_signal_fn, signal_want);
	free(rows);
}

/* Whether one of the rows from vaddr's to the one holding vaddr + len is STOP. */
static int stop_within(const struct hs_unwind_row *rows, size_t n, uint64_t vaddr, unsigned len)
{
	const struct hs_unwind_row *r = cfi_lookup(rows, n, vaddr);

	for (; r && r < rows + n && r->addr < vaddr + len; r++)
		if (r->cfa_kind == HS_CFA_STOP)
			return 1;
	return 0;
}

/* glibc's _start marks its return address undefined: the clean bottom of every stack. */
static void test_start_is_stop(void **state)
{
	struct hs_unwind_row *rows;
	size_t n;
	(void)state;

	build_ok("/proc/self/exe", &rows, &n);
	assert_true(stop_within(rows, n, self_vaddr(_start), 16));
	free(rows);
}

/* ld.so's entry code (_start, _dl_start_user) has no FDE: it is marked as the outermost frame,
 * since it calls every constructor of the initial libraries. */
static void test_ldso_entry_is_stop(void **state)
{
	const char *ldso = "/lib64/ld-linux-x86-64.so.2";
	struct hs_unwind_row *rows;
	const struct hs_unwind_row *r;
	GElf_Ehdr eh;
	Elf *elf;
	size_t n;
	int fd;
	(void)state;

	elf_version(EV_CURRENT);
	fd = open(ldso, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(gelf_getehdr(elf, &eh));
	elf_end(elf);
	close(fd);
	build_ok(ldso, &rows, &n);
	r = cfi_lookup(rows, n, eh.e_entry);
	assert_non_null(r);
	assert_int_equal(r->cfa_kind, HS_CFA_STOP);
	r = cfi_lookup(rows, n, eh.e_entry + 0x20); /* in _dl_start_user, which follows _start */
	assert_int_equal(r->cfa_kind, HS_CFA_STOP);
	free(rows);
}

static void test_libc(void **state)
{
	/* libc's own malloc: under ASan the program's malloc is the sanitizer's interposed one. */
	void *libc_malloc = dlsym(RTLD_NEXT, "malloc");
	struct object libc = object_of(libc_malloc);
	struct hs_unwind_row *rows;
	const struct hs_unwind_row *r;
	size_t n, kinds[HS_CFA_UNSUPPORTED + 1] = { 0 };
	(void)state;

	if (!strstr(libc.path, "libc.so"))
		fail_msg("malloc comes from %s, not libc", libc.path);
	build_ok(libc.path, &rows, &n);
	assert_true(n > 5000);
	r = cfi_lookup(rows, n, (uintptr_t)libc_malloc - libc.bias);
	assert_non_null(r);
	assert_int_equal(r->cfa_kind, HS_CFA_RSP);
	assert_int_equal(r->cfa_off, 8);
	assert_int_equal(r->rbp_slot, 0);
	for (size_t i = 0; i < n; i++) {
		assert_in_range(rows[i].cfa_kind, HS_CFA_RSP, HS_CFA_UNSUPPORTED);
		kinds[rows[i].cfa_kind]++;
	}
	/* clone's child and _start-like stubs are STOP, the PLT's expression and __restore_rt's
	 * signal frame UNSUPPORTED, and some code keeps a frame pointer. */
	assert_true(kinds[HS_CFA_RBP] > 50);
	assert_true(kinds[HS_CFA_STOP] >= 2);
	assert_true(kinds[HS_CFA_UNSUPPORTED] >= 2);
	assert_true(kinds[HS_CFA_RSP] > kinds[HS_CFA_NONE]);
	free(rows);
}

static void test_lookup(void **state)
{
	static const struct hs_unwind_row rows[] = {
		{ .addr = 0x1000, .cfa_kind = HS_CFA_RSP, .cfa_off = 8 },
		{ .addr = 0x1001, .cfa_kind = HS_CFA_RSP, .cfa_off = 16 },
		{ .addr = 0x1010, .cfa_kind = HS_CFA_NONE },
	};
	(void)state;

	assert_null(cfi_lookup(rows, 3, 0xfff));
	assert_null(cfi_lookup(rows, 0, 0x1000));
	assert_ptr_equal(cfi_lookup(rows, 3, 0x1000), &rows[0]);
	assert_ptr_equal(cfi_lookup(rows, 3, 0x1001), &rows[1]);
	assert_ptr_equal(cfi_lookup(rows, 3, 0x100f), &rows[1]);
	assert_ptr_equal(cfi_lookup(rows, 3, 0x1010), &rows[2]);
	assert_ptr_equal(cfi_lookup(rows, 3, 0x100000000ull), &rows[2]);
	assert_ptr_equal(cfi_lookup(rows, 1, 0x5000), &rows[0]);
}

/* Runs a shell command; fails the test when it does. */
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd))
		fail_msg("`%s` failed (install build-essential and binutils)", cmd);
}

/* The address nm gives for sym in path. */
static uint64_t nm_addr(const char *path, const char *sym)
{
	char cmd[512], line[128] = "";
	uint64_t addr = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm %s | awk '$3 == \"%s\" {print $1}'", path, sym);
	p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p) || sscanf(line, "%" SCNx64, &addr) != 1)
		fail_msg("nm shows no %s in %s", sym, path);
	pclose(p);
	return addr;
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

/* fp_fn, a 4 KiB filler so crt's CFI covers little of the code, and main. */
static const char prog_asm[] = ".text\n" FP_FN_ASM("fp_fn")
	FN_BEGIN("filler") ".skip 4096, 0x90\nret\n" FN_END(
		"filler") ".globl main\nmain:\nxor %eax, %eax\nret\n"
			  ".section .note.GNU-stack,\"\",@progbits\n";

/* The kind of the row holding vaddr, -1 when none does. */
static int kind_at(const struct hs_unwind_row *rows, size_t n, uint64_t vaddr)
{
	const struct hs_unwind_row *r = cfi_lookup(rows, n, vaddr);

	return r ? r->cfa_kind : -1;
}

/* Builds tmpdir/name from prog_asm (with head before it) and checks fp_fn's rows in it. */
static void check_prog(const char *name, const char *head, const char *flags)
{
	char text[sizeof(prog_asm) + 256], src[256], path[256];
	struct hs_unwind_row *rows;
	uint64_t fn;
	size_t n;

	snprintf(src, sizeof(src), "%s.s", name);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(text, sizeof(text), "%s%s", head, prog_asm);
	write_file(src, text);
	run("cc %s -o %s %s/%s", flags, path, tmpdir, src);
	build_ok(path, &rows, &n);
	fn = nm_addr(path, "fp_fn");
	check_rows(rows, n, fn, (unsigned)(nm_addr(path, "fp_fn_end") - fn), fp_want,
		   sizeof(fp_want) / sizeof(fp_want[0]));
	assert_true(stop_within(rows, n, nm_addr(path, "_start"), 16));
	free(rows);
}

/* Code assembled without .eh_frame: its rules come from .debug_frame, _start's from crt's
 * .eh_frame. Without .debug_frame only _start's remain. */
static void test_debug_frame(void **state)
{
	struct hs_unwind_row *rows;
	char path[256];
	size_t n;
	(void)state;

	check_prog("dbg", ".cfi_sections .debug_frame\n", "");
	snprintf(path, sizeof(path), "%s/dbg", tmpdir);
	run("strip --strip-debug %s", path);
	build_ok(path, &rows, &n);
	assert_int_equal(kind_at(rows, n, nm_addr(path, "fp_fn") + 1), HS_CFA_NONE);
	assert_true(stop_within(rows, n, nm_addr(path, "_start"), 16));
	free(rows);
}

/* Without .eh_frame_hdr the FDEs are found by walking .eh_frame. */
static void test_no_eh_frame_hdr(void **state)
{
	char cmd[256];
	(void)state;

	check_prog("nohdr", "", "-Wl,--no-eh-frame-hdr");
	snprintf(cmd, sizeof(cmd), "readelf -lW %s/nohdr | grep -q GNU_EH_FRAME", tmpdir);
	assert_int_not_equal(system(cmd), 0);
	check_prog("hdr", "", "");
}

/* Code linked above 4 GiB has no row of its own: the guard row says UNSUPPORTED. */
static void test_above_4g(void **state)
{
	struct hs_unwind_row *rows;
	char path[256];
	size_t n;
	(void)state;

	write_file("high.s", ".globl _start\n_start:\n.cfi_startproc\nnop\n.cfi_undefined rip\n"
			     "xor %edi, %edi\nmov $60, %eax\nsyscall\n.cfi_endproc\n"
			     ".section .note.GNU-stack,\"\",@progbits\n");
	snprintf(path, sizeof(path), "%s/high", tmpdir);
	run("cc -nostdlib -static -Wl,-Ttext=0x100001000 -o %s %s/high.s", path, tmpdir);
	build_ok(path, &rows, &n);
	assert_int_equal(rows[n - 1].addr, UINT32_MAX);
	assert_int_equal(rows[n - 1].cfa_kind, HS_CFA_UNSUPPORTED);
	assert_int_equal(kind_at(rows, n, nm_addr(path, "_start")), HS_CFA_UNSUPPORTED);
	free(rows);
}

static void test_errors(void **state)
{
	struct hs_unwind_row *rows = (void *)1;
	char path[256];
	size_t n = 1;
	(void)state;

	assert_int_equal(cfi_build("/nonexistent/heapscope", &rows, &n), -ENOENT);
	assert_null(rows);
	assert_int_equal(n, 0);
	assert_int_equal(cfi_build("/etc/passwd", &rows, &n), -ENOEXEC);
	/* An executable linked from an object without any CFI. */
	write_file("nocfi.s", ".globl _start\n_start:\nxor %edi, %edi\nmov $60, %eax\nsyscall\n");
	snprintf(path, sizeof(path), "%s/nocfi", tmpdir);
	run("as -o %s.o %s.s && ld -o %s %s.o", path, path, path, path);
	assert_int_equal(cfi_build(path, &rows, &n), -ENOENT);
	assert_null(rows);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Build times of large files, for the record (not asserted: machines differ). */
static void test_timing(void **state)
{
	static const char *const paths[] = {
		LIBDIR "libc.so.6",
		LIBDIR "libstdc++.so.6",
		"/usr/bin/python3.11",
		LIBDIR "libsqlite3.so.0",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct hs_unwind_row *rows;
		struct timespec t0;
		double ms;
		size_t n;

		if (access(paths[i], R_OK)) {
			printf("# %s: absent\n", paths[i]);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(cfi_build(paths[i], &rows, &n), 0);
		ms = ms_since(&t0);
		check_well_formed(rows, n);
		printf("# %s: %zu rows in %.1f ms\n", paths[i], n, ms);
		free(rows);
	}
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),	    cmocka_unit_test(test_start_is_stop),
		cmocka_unit_test(test_libc),	    cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_debug_frame), cmocka_unit_test(test_no_eh_frame_hdr),
		cmocka_unit_test(test_above_4g),    cmocka_unit_test(test_errors),
		cmocka_unit_test(test_timing),	    cmocka_unit_test(test_ldso_entry_is_stop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
