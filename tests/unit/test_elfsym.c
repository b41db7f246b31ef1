/* Unit tests of the ELF reader against binutils (nm, objdump, readelf) on the system's libc,
 * ld.so, and PIE, non-PIE and static executables compiled for the occasion. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/elfsym.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define LDSO "/lib64/ld-linux-x86-64.so.2"

static char tmpdir[] = "/tmp/heapscope-elfsym-XXXXXX";

/* The first line of a shell command's output, without its newline. 0 or -1. */
static int run_line(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	int ok;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	ok = fgets(out, (int)len, p) != NULL;
	pclose(p);
	if (!ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* Address and size nm reports for the symbol named exactly sym (e.g. "malloc@@GLIBC_2.2.5"). */
static void nm_symbol(const char *path, const char *nm_flags, const char *sym, uint64_t *addr,
		      uint64_t *size)
{
	char line[256];

	if (run_line(line, sizeof(line), "nm %s -S --defined-only %s | awk '$4 == \"%s\"'",
		     nm_flags, path, sym))
		fail_msg("nm found no %s in %s (is binutils installed?)", sym, path);
	assert_int_equal(sscanf(line, "%" SCNx64 " %" SCNx64, addr, size), 2);
}

/* The hex of the bytes objdump -d shows from addr on (at most 16), for an independent check of
 * the address-to-file mapping. */
static void objdump_bytes(const char *path, uint64_t addr, char *hex, size_t len)
{
	if (run_line(hex, len,
		     "objdump -d -w --start-address=%#" PRIx64 " --stop-address=%#" PRIx64
		     " %s | awk -F '\t' '/^ *[0-9a-f]+:\t/ {s = s $2} END {gsub(/ /, \"\", s);"
		     " print substr(s, 1, 32)}'",
		     addr, addr + 16, path))
		fail_msg("objdump shows nothing at %#" PRIx64 " in %s", addr, path);
}

/* Checks f against nm, and that read_code gives the file's bytes at f's offset, which objdump
 * also shows at f's address. */
static void check_func(const char *path, struct elf_file *ef, const char *name,
		       const char *nm_flags, const char *nm_name)
{
	uint8_t code[16], file[16];
	char hex[64], ours[64] = "";
	uint64_t addr, size;
	struct elf_func f;
	int fd;

	nm_symbol(path, nm_flags, nm_name, &addr, &size);
	assert_int_equal(elfsym_find_func(ef, name, &f), 0);
	assert_int_equal(f.vaddr, addr);
	assert_int_equal(f.size, size);
	assert_int_equal(elfsym_read_code(ef, f.vaddr, code, sizeof(code)), sizeof(code));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file, sizeof(file), (off_t)f.file_offset), sizeof(file));
	close(fd);
	assert_memory_equal(code, file, sizeof(code));
	objdump_bytes(path, addr, hex, sizeof(hex));
	for (size_t i = 0; i < sizeof(code); i++)
		snprintf(ours + 2 * i, 3, "%02x", code[i]);
	/* Past the function's end objdump may skip a gap between sections: compare its bytes. */
	assert_true(strlen(hex) >= 2 * (size < 16 ? size : 16));
	hex[2 * (size < 16 ? size : 16)] = ours[2 * (size < 16 ? size : 16)] = '\0';
	assert_string_equal(hex, ours);
}

static void test_libc_malloc(void **state)
{
	struct elf_file *ef;
	(void)state;

	assert_int_equal(elfsym_open(LIBC, &ef), 0);
	check_func(LIBC, ef, "malloc", "-D", "malloc@@GLIBC_2.2.5");
	check_func(LIBC, ef, "free", "-D", "free@@GLIBC_2.2.5");
	check_func(LIBC, ef, "posix_memalign", "-D", "posix_memalign@@GLIBC_2.2.5");
	elfsym_close(ef);
}

/* A default version wins over a hidden one; a hidden one alone still matches; IFUNCs refuse. */
static void test_libc_versions(void **state)
{
	struct elf_file *ef;
	struct elf_func f, g;
	uint64_t addr, size;
	(void)state;

	assert_int_equal(elfsym_open(LIBC, &ef), 0);
	check_func(LIBC, ef, "pthread_cond_wait", "-D", "pthread_cond_wait@@GLIBC_2.3.2");
	check_func(LIBC, ef, "realpath", "-D", "realpath@@GLIBC_2.3");
	nm_symbol(LIBC, "-D", "cfree@GLIBC_2.2.5", &addr, &size);
	assert_int_equal(elfsym_find_func(ef, "cfree", &f), 0);
	assert_int_equal(f.vaddr, addr);
	assert_int_equal(elfsym_find_func(ef, "free", &g), 0);
	assert_int_equal(f.vaddr, g.vaddr);
	/* memcpy@@GLIBC_2.14 is an IFUNC; the plain memcpy@GLIBC_2.2.5 must not be picked. */
	assert_int_equal(elfsym_find_func(ef, "memcpy", &f), -ENOTSUP);
	assert_int_equal(elfsym_find_func(ef, "heapscope_no_such_symbol", &f), -ENOENT);
	assert_int_equal(elfsym_find_func(ef, "mallo", &f), -ENOENT);
	elfsym_close(ef);
}

static void test_ldso(void **state)
{
	struct elf_file *ef;
	(void)state;

	assert_int_equal(elfsym_open(LDSO, &ef), 0);
	check_func(LDSO, ef, "_dl_debug_state", "-D", "_dl_debug_state@@GLIBC_PRIVATE");
	elfsym_close(ef);
}

static void check_build_id(const char *path)
{
	char want[128], got[41];
	struct elf_file *ef;

	if (run_line(want, sizeof(want), "readelf -n %s | awk '/Build ID:/ {print $3; exit}'",
		     path) ||
	    !*want)
		fail_msg("readelf shows no build-id in %s", path);
	assert_int_equal(elfsym_open(path, &ef), 0);
	assert_int_equal(elfsym_build_id(ef, got, sizeof(got)), 0);
	assert_string_equal(got, want);
	assert_int_equal(elfsym_build_id(ef, got, 40), -ERANGE);
	elfsym_close(ef);
}

static void test_build_id(void **state)
{
	(void)state;
	check_build_id(LIBC);
	check_build_id(LDSO);
}

static void test_errors(void **state)
{
	struct elf_file *ef = (void *)1;
	uint8_t buf[64];
	struct elf_func f;
	(void)state;

	assert_int_equal(elfsym_open("/nonexistent/heapscope", &ef), -ENOENT);
	assert_null(ef);
	assert_int_equal(elfsym_open("/etc/passwd", &ef), -ENOEXEC);
	elfsym_close(NULL);
	assert_int_equal(elfsym_open(LIBC, &ef), 0);
	assert_int_equal(elfsym_read_code(ef, 0xffff000000000000ull, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(elfsym_find_func(ef, "", &f), -EINVAL);
	elfsym_close(ef);
}

/* Builds tmpdir/name from a tiny program with the given compiler flags. */
static void build(const char *name, const char *flags)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cc -O1 -g0 %s -o %s/%s %s/prog.c 2>&1", flags, tmpdir, name,
		 tmpdir);
	if (system(cmd))
		fail_msg("cannot build a test executable: `%s` failed (install build-essential)",
			 cmd);
}

static int setup_progs(void **state)
{
	char path[256];
	FILE *f;
	(void)state;

	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/prog.c", tmpdir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("#include <stdlib.h>\n"
	      "int work(int n) { return n * 3 + 1; }\n"
	      "int main(int c, char **v) { free(malloc(c)); return work(c) + (v != 0); }\n",
	      f);
	fclose(f);
	return 0;
}

static int teardown_progs(void **state)
{
	char cmd[256];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* main (and a static libc's malloc) come from .symtab: executables export neither. */
static void check_exe(const char *name, const char *flags, int is_static)
{
	char path[256];
	struct elf_file *ef;
	struct elf_func f;

	build(name, flags);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_int_equal(elfsym_open(path, &ef), 0);
	check_func(path, ef, "main", "", "main");
	check_func(path, ef, "work", "", "work");
	if (is_static)
		check_func(path, ef, "malloc", "", "malloc");
	else
		assert_int_equal(elfsym_find_func(ef, "malloc", &f), -ENOENT);
	elfsym_close(ef);
	check_build_id(path);
}

static void test_pie(void **state)
{
	(void)state;
	check_exe("pie", "-fPIE -pie", 0);
}

static void test_non_pie(void **state)
{
	struct elf_file *ef;
	struct elf_func f;
	char path[256];
	(void)state;

	check_exe("nopie", "-fno-PIE -no-pie", 0);
	/* Non-PIE code sits at 0x400000 and up: the offset is not the address. */
	snprintf(path, sizeof(path), "%s/nopie", tmpdir);
	assert_int_equal(elfsym_open(path, &ef), 0);
	assert_int_equal(elfsym_find_func(ef, "main", &f), 0);
	assert_true(f.vaddr >= 0x400000 && f.file_offset < f.vaddr);
	elfsym_close(ef);
}

static void test_static(void **state)
{
	(void)state;
	check_exe("static", "-static", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc_malloc), cmocka_unit_test(test_libc_versions),
		cmocka_unit_test(test_ldso),	    cmocka_unit_test(test_build_id),
		cmocka_unit_test(test_errors),	    cmocka_unit_test(test_pie),
		cmocka_unit_test(test_non_pie),	    cmocka_unit_test(test_static),
	};

	return cmocka_run_group_tests(tests, setup_progs, teardown_progs);
}
