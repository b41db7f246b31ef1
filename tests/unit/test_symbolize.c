/* Unit tests of the symbolizer: this process, libc, libstdc++, a late dlopen, an exited child. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/symbolize.h"

static int symtest_line;

static __attribute__((noipa)) void *symtest_where(void)
{
	return __builtin_return_address(0);
}

/* The return address of a call from a known line (symtest_line) of this file. */
static __attribute__((noipa)) void *symtest_site(void)
{
	void *ra;

	symtest_line = __LINE__ + 1;
	ra = symtest_where();
	__asm__ volatile("" ::: "memory"); /* code after the call: no tail call */
	return ra;
}

static __attribute__((noipa)) int symtest_leaf(int x)
{
	return x * 3 + 1;
}

/* assert_string_equal crashes on NULL; this fails cleanly. */
#define assert_str(got, want)                                                                      \
	do {                                                                                       \
		assert_non_null(got);                                                              \
		assert_string_equal((got), (want));                                                \
	} while (0)

static int ends_with(const char *str, const char *suffix)
{
	size_t n = str ? strlen(str) : 0, k = strlen(suffix);

	return n >= k && !strcmp(str + n - k, suffix);
}

/* The full path DWARF gives for a source compiled from the current directory as rel. */
static void full_source(const char *rel, char *out, size_t len)
{
	char cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	if (rel[0] == '/')
		cwd[0] = '\0';
	assert_true(snprintf(out, len, "%s%s%s", cwd, cwd[0] ? "/" : "", rel) < (int)len);
}

/* The load bias the dynamic linker used for the object holding addr. */
static uint64_t load_bias(const void *addr)
{
	struct link_map *lm = NULL;
	Dl_info info;

	assert_true(dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP));
	return lm->l_addr;
}

static void note_build_id(Elf_Scn *scn, char *hex)
{
	size_t off = 0, name_off, desc_off;
	GElf_Shdr sh;
	GElf_Nhdr nh;
	Elf_Data *d;

	if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
		return;
	while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)d->d_buf + desc_off;

		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
		    memcmp((const char *)d->d_buf + name_off, "GNU", 4))
			continue;
		for (size_t i = 0; i < nh.n_descsz && i < 20; i++)
			sprintf(hex + 2 * i, "%02x", desc[i]);
	}
}

/* The GNU build id of an ELF file as `readelf -n` shows it, read with libelf. */
static void file_build_id(const char *path, char hex[41])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	Elf *elf;

	hex[0] = '\0';
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	while ((scn = elf_nextscn(elf, scn)))
		note_build_id(scn, hex);
	elf_end(elf);
	close(fd);
}

/* The runtime address of the vdso's __vdso_clock_gettime, from its in-memory image. */
static uint64_t vdso_clock_gettime(void)
{
	const char *base = (const char *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Ehdr) *eh = (const void *)base;
	Elf_Scn *scn = NULL;
	uint64_t addr = 0;
	GElf_Phdr ph;
	char *image;
	size_t size;
	Elf *elf;

	if (!base)
		fail_msg("no vdso in this process (under valgrind?)");
	size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	image = malloc(size);
	assert_non_null(image);
	memcpy(image, base, size);
	elf_version(EV_CURRENT);
	elf = elf_memory(image, size);
	assert_non_null(gelf_getphdr(elf, 0, &ph)); /* the vdso's one PT_LOAD */
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		const char *name;
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!d || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		for (int i = 0; gelf_getsym(d, i, &sym); i++) {
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, "__vdso_clock_gettime"))
				addr = (uintptr_t)base - ph.p_vaddr + sym.st_value;
		}
	}
	elf_end(elf);
	free(image);
	assert_true(addr != 0);
	return addr;
}

static struct symbolizer *open_self(void)
{
	struct symbolizer *s = NULL;

	assert_int_equal(sym_open(getpid(), &s), 0);
	assert_non_null(s);
	return s;
}

static void test_own_function(void **state)
{
	struct symbolizer *s = open_self();
	uint64_t ra = (uintptr_t)symtest_site(), leaf = (uintptr_t)symtest_leaf + 4;
	const struct sym_module *m;
	char exe[PATH_MAX], src[PATH_MAX];
	struct sym_info si;
	(void)state;

	assert_int_equal(sym_lookup(s, ra, &si), 0);
	assert_str(si.function, "symtest_site");
	full_source(__FILE__, src, sizeof(src));
	assert_str(si.file, src);
	assert_int_equal(si.line, symtest_line);
	m = sym_module_get(s, si.module);
	assert_non_null(m);
	assert_non_null(realpath("/proc/self/exe", exe));
	assert_string_equal(m->path, exe);
	assert_int_equal(strlen(m->build_id), 40);
	assert_true(m->start <= ra && ra < m->end);
	assert_int_equal(m->bias, load_bias((void *)symtest_site));
	assert_int_equal(si.rel_addr, ra - m->bias);

	assert_int_equal(sym_lookup(s, leaf, &si), 0);
	assert_str(si.function, "symtest_leaf");
	assert_true(ends_with(si.file, "/tests/unit/test_symbolize.c"));
	assert_true(si.line > 0);
	assert_int_equal(si.rel_addr, leaf - m->bias);
	sym_close(s);
	sym_close(NULL);
}

static void test_cache_returns_same_strings(void **state)
{
	struct symbolizer *s = open_self();
	uint64_t ra = (uintptr_t)symtest_site();
	struct sym_info a, b;
	(void)state;

	assert_int_equal(sym_lookup(s, ra, &a), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(sym_lookup(s, ra, &b), 0);
		assert_ptr_equal(a.function, b.function);
		assert_ptr_equal(a.file, b.file);
		assert_int_equal(a.line, b.line);
		assert_int_equal(a.module, b.module);
	}
	/* A second address in the same function shares the interned strings. */
	assert_int_equal(sym_lookup(s, ra + 1, &b), 0);
	assert_ptr_equal(a.function, b.function);
	assert_ptr_equal(a.file, b.file);
	sym_close(s);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Uncached, a libc address costs ~150 us here (dwfl scans the whole symbol table): 100000 of
 * them would take 15 s; cached they take about a millisecond. */
static void test_cache_is_fast(void **state)
{
	struct symbolizer *s = open_self();
	uint64_t addr = (uintptr_t)dlsym(RTLD_DEFAULT, "malloc") + 1;
	struct sym_info si;
	double t0;
	(void)state;

	t0 = now_s();
	for (int i = 0; i < 100000; i++)
		assert_int_equal(sym_lookup(s, addr, &si), 0);
	assert_true(now_s() - t0 < 1.0);
	assert_non_null(si.function);
	sym_close(s);
}

static void test_demangles_cxx(void **state)
{
	/* libstdc++'s operator new, not an ASan build's interceptor (and loaded: heapscope itself
	 * no longer needs libstdc++, which the linker may then leave out). */
	void *lib = dlopen("libstdc++.so.6", RTLD_NOW);
	void *fn = lib ? dlsym(lib, "_Znwm") : NULL;
	struct symbolizer *s = open_self();
	struct sym_info si;
	(void)state;

	assert_non_null(fn);
	assert_int_equal(sym_lookup(s, (uintptr_t)fn + 1, &si), 0);
	assert_str(si.function, "operator new(unsigned long)");
	assert_non_null(strstr(sym_module_get(s, si.module)->path, "libstdc++"));
	assert_int_equal(sym_module_get(s, si.module)->bias, load_bias(fn));
	sym_close(s);
	dlclose(lib);
}

/* Names as compilers mangle them: C++, Rust's legacy scheme (its hash dropped) and v0. */
static void test_demangle_names(void **state)
{
	static const char *const cases[][2] = {
		{ "_ZNSt6vectorIiSaIiEE9push_backERKi",
		  "std::vector<int, std::allocator<int> >::push_back(int const&)" },
		{ "_Z8fill_mapRSt3mapIiiSt4lessIiESaISt4pairIKiiEEE",
		  "fill_map(std::map<int, int, std::less<int>, std::allocator<std::pair<int const, int> > >&)" },
		/* rustc 1.63 (Debian 12), legacy: leak::leak_vecs */
		{ "_ZN4leak9leak_vecs17h5f8ba8ef1e4b0c4aE", "leak::leak_vecs" },
		{ "_ZN5alloc7raw_vec19RawVec$LT$T$C$A$GT$11allocate_in17h2d61e8a6c5e2b3f1E",
		  "alloc::raw_vec::RawVec<T,A>::allocate_in" },
		/* v0 (-C symbol-mangling-version=v0) */
		{ "_RNvCs1234_4leak9leak_vecs", "leak::leak_vecs" },
		{ "_RNvMs_NtCs4fqI2P2rA04_4leak5innerNtB4_3Foo3new", "<leak::inner::Foo>::new" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *d = sym_demangle(cases[i][0]);

		assert_str(d, cases[i][1]);
		free(d);
	}
	assert_null(sym_demangle("malloc"));
	assert_null(sym_demangle("_Rnot_mangled"));
}

/* libc has its DWARF in /usr/lib/debug/.build-id when libc6-dbg is installed, else none. */
static void test_libc_separate_debuginfo(void **state)
{
	struct symbolizer *s = open_self();
	void *fn = dlsym(RTLD_NEXT, "malloc"); /* libc's, not an ASan build's interceptor */
	const struct sym_module *m;
	char debug[PATH_MAX], id[41];
	struct sym_info si;
	(void)state;

	assert_int_equal(sym_lookup(s, (uintptr_t)fn + 1, &si), 0);
	m = sym_module_get(s, si.module);
	assert_non_null(m);
	assert_non_null(strstr(m->path, "libc.so"));
	file_build_id(m->path, id);
	assert_string_equal(m->build_id, id);
	assert_non_null(si.function);
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug", m->build_id,
		 m->build_id + 2);
	if (access(debug, R_OK) == 0) {
		assert_true(ends_with(si.file, "/malloc.c"));
		assert_true(si.line > 0);
	} else {
		assert_null(si.file);
		assert_int_equal(si.line, 0);
	}
	sym_close(s);
}

static void test_unknown_address(void **state)
{
	struct symbolizer *s = open_self();
	void *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t addr = (uintptr_t)anon + 16;
	struct sym_info si;
	int n;
	(void)state;

	assert_true(anon != MAP_FAILED);
	for (int i = 0; i < 2; i++) { /* the second time from the cache */
		assert_int_equal(sym_lookup(s, addr, &si), 0);
		assert_int_equal(si.module, -1);
		assert_null(si.function);
		assert_null(si.file);
		assert_int_equal(si.line, 0);
		assert_int_equal(si.rel_addr, addr);
	}
	assert_int_equal(sym_lookup(s, 0, &si), 0);
	assert_int_equal(si.module, -1);
	n = sym_module_count(s);
	assert_non_null(sym_module_get(s, n - 1));
	assert_null(sym_module_get(s, n));
	assert_null(sym_module_get(s, -1));
	munmap(anon, 4096);
	sym_close(s);
}

/* A new directory beside this test's executable: files there may be mapped executable. */
static void scratch_dir(char dir[PATH_MAX])
{
	char exe[PATH_MAX];

	assert_non_null(realpath("/proc/self/exe", exe));
	*strrchr(exe, '/') = '\0';
	assert_true(snprintf(dir, PATH_MAX, "%s/symtest.XXXXXX", exe) < PATH_MAX);
	assert_non_null(mkdtemp(dir));
}

/* Maps a new one-page file dir/name with prot, at addr if not NULL (in a mapping of ours). */
static char *map_file_page(const char *dir, const char *name, char *addr, int prot)
{
	static const char page[4096];
	char path[PATH_MAX + 8], *p;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, page, sizeof(page)), sizeof(page));
	p = mmap(addr, sizeof(page), prot, MAP_PRIVATE | (addr ? MAP_FIXED : 0), fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	return p;
}

static void remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* File b starts where file a ends, and anonymous memory follows b: that gap is in no module. */
static void test_gap_after_adjacent_modules(void **state)
{
	char *area = mmap(NULL, 4 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char dir[PATH_MAX];
	struct symbolizer *s;
	struct sym_info si;
	(void)state;

	assert_true(area != MAP_FAILED);
	scratch_dir(dir);
	map_file_page(dir, "a", area, PROT_READ | PROT_EXEC);
	map_file_page(dir, "b", area + 4096, PROT_READ | PROT_EXEC);
	s = open_self();
	assert_int_equal(sym_lookup(s, (uintptr_t)area + 4096 + 8, &si), 0);
	assert_true(ends_with(sym_module_get(s, si.module)->path, "/b"));
	assert_int_equal(sym_lookup(s, (uintptr_t)area + 2 * 4096 + 8, &si), 0);
	assert_int_equal(si.module, -1);
	assert_null(si.function);
	sym_close(s);
	munmap(area, 4 * 4096);
	remove_file(dir, "a");
	remove_file(dir, "b");
	rmdir(dir);
}

/* Code c replaces code b at the same address: b keeps its index and its cached addresses, new
 * addresses there are c's. */
static void test_code_mapped_over_module(void **state)
{
	char *area = mmap(NULL, 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char dir[PATH_MAX];
	struct symbolizer *s;
	struct sym_info b, si;
	(void)state;

	assert_true(area != MAP_FAILED);
	scratch_dir(dir);
	map_file_page(dir, "b", area, PROT_READ | PROT_EXEC);
	s = open_self();
	assert_int_equal(sym_lookup(s, (uintptr_t)area + 8, &b), 0);
	assert_true(ends_with(sym_module_get(s, b.module)->path, "/b"));
	map_file_page(dir, "c", area, PROT_READ | PROT_EXEC);
	assert_int_equal(sym_refresh(s), 0);
	assert_int_equal(sym_lookup(s, (uintptr_t)area + 8, &si), 0);
	assert_int_equal(si.module, b.module);
	assert_int_equal(sym_lookup(s, (uintptr_t)area + 16, &si), 0);
	assert_true(ends_with(sym_module_get(s, si.module)->path, "/c"));
	assert_true(ends_with(sym_module_get(s, b.module)->path, "/b"));
	sym_close(s);
	munmap(area, 2 * 4096);
	remove_file(dir, "b");
	remove_file(dir, "c");
	rmdir(dir);
}

/* A file mapped without exec (data, or libelf's own mappings of what we open) is no module. */
static void test_data_file_is_no_module(void **state)
{
	char dir[PATH_MAX], *data;
	struct symbolizer *s;
	struct sym_info si;
	(void)state;

	scratch_dir(dir);
	data = map_file_page(dir, "data", NULL, PROT_READ);
	s = open_self();
	assert_int_equal(sym_lookup(s, (uintptr_t)data + 8, &si), 0);
	assert_int_equal(si.module, -1);
	for (int i = 0; i < sym_module_count(s); i++)
		assert_false(ends_with(sym_module_get(s, i)->path, "/data"));
	/* Nothing new is mapped with exec between two refreshes, so nothing new is reported. */
	for (int i = 0, n = sym_module_count(s); i < 3; i++) {
		assert_int_equal(sym_refresh(s), 0);
		assert_int_equal(sym_module_count(s), n);
	}
	sym_close(s);
	munmap(data, 4096);
	remove_file(dir, "data");
	rmdir(dir);
}

/* Builds tests/unit/symlib.c (path in src) into dir/libsymlib.so (path in so). */
static void build_symlib(char dir[PATH_MAX], char src[PATH_MAX], char so[PATH_MAX])
{
	const char *slash = strrchr(__FILE__, '/');
	char cmd[3 * PATH_MAX + 64];

	snprintf(src, PATH_MAX, "%.*ssymlib.c", slash ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
	if (access(src, R_OK))
		fail_msg("cannot read %s: run the test from the repository root", src);
	scratch_dir(dir);
	assert_true(snprintf(so, PATH_MAX, "%s/libsymlib.so", dir) < PATH_MAX);
	snprintf(cmd, sizeof(cmd), "cc -shared -fPIC -g -O2 -Wl,--build-id -o '%s' '%s'", so, src);
	if (system(cmd))
		fail_msg("'%s' failed: the test needs a C compiler to build its library", cmd);
}

static void test_dlopen_after_open(void **state)
{
	char dir[PATH_MAX], so[PATH_MAX], real[PATH_MAX], id[41];
	char src[PATH_MAX], full[PATH_MAX];
	struct symbolizer *s;
	const struct sym_module *first, *m;
	void *(*site)(void), *(*where)(void), *lib;
	struct sym_info si, again;
	uint64_t ra;
	int n, *line;
	(void)state;

	build_symlib(dir, src, so);
	s = open_self();
	n = sym_module_count(s);
	first = sym_module_get(s, 0);
	lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(lib);
	site = (void *(*)(void))dlsym(lib, "symlib_site");
	where = (void *(*)(void))dlsym(lib, "symlib_where");
	line = dlsym(lib, "symlib_line");
	assert_true(site && where && line);
	ra = (uintptr_t)site();

	/* No sym_refresh here: the unknown address must trigger it. */
	assert_int_equal(sym_lookup(s, ra, &si), 0);
	assert_str(si.function, "symlib_site");
	full_source(src, full, sizeof(full));
	assert_str(si.file, full);
	assert_int_equal(si.line, *line);
	assert_true(si.module >= n);
	assert_true(sym_module_count(s) > n);
	assert_ptr_equal(sym_module_get(s, 0), first);
	m = sym_module_get(s, si.module);
	assert_non_null(realpath(so, real));
	assert_string_equal(m->path, real);
	file_build_id(so, id);
	assert_int_equal(strlen(id), 40);
	assert_string_equal(m->build_id, id);
	assert_int_equal(si.rel_addr, ra - load_bias((void *)site));

	/* Unmapped code still symbolizes as the library's, under the same index. */
	assert_int_equal(dlclose(lib), 0);
	assert_null(dlopen(so, RTLD_NOW | RTLD_NOLOAD));
	assert_int_equal(sym_refresh(s), 0);
	assert_int_equal(sym_lookup(s, (uintptr_t)where + 1, &again), 0);
	assert_str(again.function, "symlib_where");
	assert_int_equal(again.module, si.module);
	sym_close(s);
	unlink(so);
	rmdir(dir);
}

/* Starts a child that blocks until killed; its address space is a copy of ours. */
static pid_t start_child(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_child_after_exit(void **state)
{
	uint64_t ra = (uintptr_t)symtest_site(), leaf = (uintptr_t)symtest_leaf + 4;
	uint64_t getpid_addr = (uintptr_t)dlsym(RTLD_DEFAULT, "getpid") + 1;
	uint64_t vdso_addr = vdso_clock_gettime() + 1;
	pid_t pid = start_child();
	struct symbolizer *s = NULL;
	struct sym_info si;
	int n;
	(void)state;

	assert_int_equal(sym_open(pid, &s), 0);
	assert_int_equal(sym_lookup(s, ra, &si), 0);
	assert_str(si.function, "symtest_site");
	n = sym_module_count(s);
	reap(pid);

	/* Never looked up before the child died: the module must not need /proc/PID any more. */
	assert_int_equal(sym_lookup(s, leaf, &si), 0);
	assert_str(si.function, "symtest_leaf");
	assert_true(ends_with(si.file, "/tests/unit/test_symbolize.c"));
	assert_int_equal(sym_lookup(s, getpid_addr, &si), 0);
	assert_non_null(si.function);
	assert_non_null(strstr(sym_module_get(s, si.module)->path, "libc.so"));
	assert_int_equal(sym_lookup(s, vdso_addr, &si), 0); /* read from /proc/PID/mem at open */
	assert_non_null(si.function);
	assert_non_null(strstr(si.function, "clock_gettime"));
	assert_non_null(strstr(sym_module_get(s, si.module)->path, "[vdso"));

	assert_int_equal(sym_refresh(s), -ESRCH);
	assert_int_equal(sym_lookup(s, 16, &si), 0);
	assert_int_equal(si.module, -1);
	assert_int_equal(sym_module_count(s), n);
	sym_close(s);
}

static void test_open_errors(void **state)
{
	struct symbolizer *s = (struct symbolizer *)1;
	pid_t pid = start_child();
	(void)state;

	reap(pid);
	assert_int_equal(sym_open(pid, &s), -ESRCH);
	assert_null(s);
	assert_int_equal(sym_open(0, &s), -EINVAL);
	assert_int_equal(sym_open(-1, &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_function),
		cmocka_unit_test(test_cache_returns_same_strings),
		cmocka_unit_test(test_cache_is_fast),
		cmocka_unit_test(test_demangles_cxx),
		cmocka_unit_test(test_demangle_names),
		cmocka_unit_test(test_libc_separate_debuginfo),
		cmocka_unit_test(test_unknown_address),
		cmocka_unit_test(test_gap_after_adjacent_modules),
		cmocka_unit_test(test_code_mapped_over_module),
		cmocka_unit_test(test_data_file_is_no_module),
		cmocka_unit_test(test_dlopen_after_open),
		cmocka_unit_test(test_child_after_exit),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
