/* Symbolizer on elfutils libdwfl: stable module table, per-address cache, inlined calls from
 * DWARF, C++ and Rust demangling (libiberty). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <libiberty/demangle.h>

#include "agent/symbolize.h"
#include "agent/u64map.h"
#include "store/time.h"

/* Inlined calls kept per address: deeper chains (rare; recursion through always_inline is not
 * possible) are cut, their outermost calls kept. */
#define MAX_INLINED 32

/* A function's address range and its name (interned). */
struct fn_range {
	uint64_t lo, hi;
	const char *name;
};

struct module_rec {
	struct sym_module pub;
	int in_dwfl; /* in s->dwfl now (an unmapped module stays until something overlaps it) */
	/* Functions found so far, sorted by address: libdwfl's dwfl_module_addrinfo scans every
	 * symbol of the module (cc1 has ~100k), and a function's other return addresses fall in
	 * the range it already found. */
	struct fn_range *fns;
	size_t nfns, cap_fns;
};

struct strset {
	char **slots; /* open addressing, NULL = empty */
	size_t cap, count;
};

/* A module range to report: name points into a module_rec or into the scan's Dwfl. */
struct span {
	const char *name;
	uint64_t start, end;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

/* The inline chains handed out, freed at sym_close. */
struct chain_block {
	struct chain_block *next;
	struct sym_inline v[];
};

struct symbolizer {
	pid_t pid;
	int proc_fd; /* /proc/PID: reads through it fail once PID is reaped, even if it is reused */
	int gone;
	Dwfl *dwfl;
	struct u64map *cache; /* addr -> struct sym_info */
	struct strset names;  /* every function and file string handed out */
	struct module_rec **mods;
	int nmods, cap_mods;
	int sync_err;
	uint64_t last_refresh_ns; /* of a refresh caused by an unknown address */
	struct chain_block *chains;
	Dwfl_Callbacks offline; /* sym_file_open's (the Dwfl keeps a pointer to its callbacks) */
};

#define REFRESH_INTERVAL_NS 50000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* dwfl_linux_proc_find_elf, but a file is read with pread rather than mapped: libelf's mapping
 * of a library would show in our own maps, where dwfl merges it with the library's real load
 * when the process is this one (a test, or an agent symbolizing itself). */
static int find_elf(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr base,
		    char **file_name, Elf **elfp)
{
	int fd = dwfl_linux_proc_find_elf(mod, ud, name, base, file_name, elfp);

	if (fd >= 0 && !*elfp)
		*elfp = elf_begin(fd, ELF_C_READ, NULL); /* if NULL, dwfl maps it after all */
	return fd;
}

/* debuginfo_path NULL means ":.debug:/usr/lib/debug", which covers /usr/lib/debug/.build-id. */
static const Dwfl_Callbacks callbacks = {
	.find_elf = find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static uint64_t str_hash(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *str; str++)
		h = (h ^ (unsigned char)*str) * 0x100000001b3ULL;
	return h;
}

static int strset_grow(struct strset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 256;
	char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < set->cap; i++) {
		size_t j;

		if (!set->slots[i])
			continue;
		for (j = str_hash(set->slots[i]) & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/* The set's copy of str, added if new; NULL when out of memory. */
static const char *intern(struct strset *set, const char *str)
{
	size_t i;

	if ((set->count + 1) * 2 > set->cap && strset_grow(set))
		return NULL;
	for (i = str_hash(str) & (set->cap - 1); set->slots[i]; i = (i + 1) & (set->cap - 1))
		if (!strcmp(set->slots[i], str))
			return set->slots[i];
	set->slots[i] = strdup(str);
	if (set->slots[i])
		set->count++;
	return set->slots[i];
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
}

/* 1 while the process we opened exists and is not a zombie (whose maps read as empty). */
static int alive(const struct symbolizer *s)
{
	char buf[512], *paren;
	ssize_t n;
	int fd = openat(s->proc_fd, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static int spans_push(struct spans *v, const char *name, uint64_t start, uint64_t end)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct span *p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = (struct span){ name, start, end };
	return 0;
}

static int overlaps_any(const struct spans *v, uint64_t start, uint64_t end)
{
	for (size_t i = 0; i < v->n; i++)
		if (start < v->v[i].end && v->v[i].start < end)
			return 1;
	return 0;
}

/* The executable ranges of the process, from a second read of its maps (dwfl reports every
 * file mapping and does not say which are code). */
static int exec_ranges(const struct symbolizer *s, struct spans *out)
{
	int fd = openat(s->proc_fd, "maps", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	uint64_t start, end;
	char *line = NULL, perms[8];
	size_t cap = 0;
	int err = 0;

	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (!err && getline(&line, &cap, f) > 0)
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end, perms) == 3 &&
		    perms[2] == 'x')
			err = spans_push(out, NULL, start, end);
	free(line);
	fclose(f);
	return err;
}

struct collect {
	struct spans *cur;
	const struct spans *exec;
};

/* Keeps the file mappings with code: the others are data (fonts, databases, and when the
 * process is this one, libelf's own mappings of the files we opened), never worth opening. */
static int collect_span(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	struct collect *c = arg;
	Dwarf_Addr end;
	(void)ud;

	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
	if (!overlaps_any(c->exec, start, end))
		return DWARF_CB_OK;
	return spans_push(c->cur, name, start, end) ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* Reads the current code mappings into scan (a throwaway Dwfl) and lists them in cur. */
static int scan_maps(struct symbolizer *s, Dwfl *scan, struct spans *cur)
{
	struct spans exec = { 0 };
	struct collect c = { cur, &exec };
	int rc, err;

	dwfl_report_begin(scan);
	rc = dwfl_linux_proc_report(scan, s->pid);
	dwfl_report_end(scan, NULL, NULL);
	err = exec_ranges(s, &exec);
	/* Checked after the reads: while the process still exists its pid cannot have been reused,
	 * so what we read was its maps. A zombie's maps are empty, which makes the report fail. */
	if (!alive(s)) {
		s->gone = 1;
		err = -ESRCH;
	} else if (rc) {
		err = rc > 0 && rc != ENOEXEC ? -rc : -EIO; /* ENOEXEC: maps or auxv unparsable */
	} else if (!err && dwfl_getmodules(scan, collect_span, &c, 0) != 0) {
		err = -ENOMEM;
	}
	free(exec.v);
	return err;
}

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Re-reports cur plus every old module nothing in cur overlaps (unmapped code still symbolizes);
 * re-reported modules keep their loaded ELF and DWARF. */
static int report_all(struct symbolizer *s, struct spans *cur)
{
	int err = 0;

	for (int i = 0; i < s->nmods; i++) {
		const struct sym_module *m = &s->mods[i]->pub;

		if (s->mods[i]->in_dwfl && !overlaps_any(cur, m->start, m->end) &&
		    spans_push(cur, m->path, m->start, m->end))
			return -ENOMEM;
	}
	/* Sorted and disjoint, like dwfl_linux_proc_report's own order, for the segment table. */
	qsort(cur->v, cur->n, sizeof(*cur->v), by_start);
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < cur->n; i++)
		if (!dwfl_report_module(s->dwfl, cur->v[i].name, cur->v[i].start, cur->v[i].end))
			err = -ENOMEM;
	dwfl_report_end(s->dwfl, NULL, NULL);
	return err;
}

static void describe_module(struct sym_module *m, Dwfl_Module *mod)
{
	const unsigned char *bits;
	GElf_Addr bias = 0, vaddr;
	int len;

	/* Opened now rather than at the first lookup so the module outlives the process: the vdso
	 * is read from /proc/PID/mem, and a file deleted later stays readable through our fd. */
	if (!dwfl_module_getelf(mod, &bias))
		bias = 0;
	m->bias = bias;
	m->build_id[0] = '\0';
	len = dwfl_module_build_id(mod, &bits, &vaddr);
	/* A longer id cannot be stored; a truncated one would name the wrong debug file. */
	if (len <= 0 || len > 20)
		return;
	for (int i = 0; i < len; i++)
		snprintf(m->build_id + 2 * i, 3, "%02x", bits[i]);
}

/* The index of the record for (name, start, end), appended if unknown; -ENOMEM. */
static int module_record(struct symbolizer *s, const char *name, uint64_t start, uint64_t end)
{
	struct module_rec *rec;

	for (int i = 0; i < s->nmods; i++) {
		const struct sym_module *m = &s->mods[i]->pub;

		/* The same load, seen through /proc/PID/maps or the dynamic linker's list. */
		if (m->start == start && !strcmp(m->path, name))
			return i;
	}
	if (s->nmods == s->cap_mods) {
		int cap = s->cap_mods ? s->cap_mods * 2 : 32;
		struct module_rec **p = realloc(s->mods, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->mods = p;
		s->cap_mods = cap;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec || !(rec->pub.path = strdup(name))) {
		free(rec);
		return -ENOMEM;
	}
	rec->pub.start = start;
	rec->pub.end = end;
	s->mods[s->nmods] = rec;
	return s->nmods++;
}

/* Links each Dwfl module to its record through the module's userdata (index + 1). */
static int sync_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	struct symbolizer *s = arg;

	if (!*ud) {
		Dwarf_Addr end;
		int idx;

		dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
		idx = module_record(s, name, start, end);
		if (idx < 0) {
			s->sync_err = idx;
			return DWARF_CB_OK; /* unlinked (unknown to lookups) until the next sync */
		}
		describe_module(&s->mods[idx]->pub, mod);
		*ud = (void *)(intptr_t)(idx + 1);
	}
	s->mods[(intptr_t)*ud - 1]->in_dwfl = 1;
	return DWARF_CB_OK;
}

static int sync_modules(struct symbolizer *s)
{
	for (int i = 0; i < s->nmods; i++)
		s->mods[i]->in_dwfl = 0;
	s->sync_err = 0;
	dwfl_getmodules(s->dwfl, sync_module, s, 0);
	return s->sync_err;
}

int sym_refresh(struct symbolizer *s)
{
	struct spans cur = { 0 };
	Dwfl *scan;
	int err;

	if (s->gone)
		return -ESRCH;
	scan = dwfl_begin(&callbacks);
	if (!scan)
		return -ENOMEM;
	/* Scanned into a throwaway Dwfl so a failed or partial read never drops known modules. */
	err = scan_maps(s, scan, &cur);
	if (!err)
		err = report_all(s, &cur);
	if (!err)
		err = sync_modules(s);
	free(cur.v);
	dwfl_end(scan);
	return err;
}

/* The load range of the ELF file at path once relocated by bias: its PT_LOAD segments, widened
 * to pages as the dynamic linker maps them. 0 or -errno. */
static int elf_load_range(const char *path, uint64_t bias, uint64_t *start, uint64_t *end)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOEXEC;
	Elf *elf;
	size_t n;

	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (ph.p_vaddr < lo)
				lo = ph.p_vaddr;
			if (ph.p_vaddr + ph.p_memsz > hi)
				hi = ph.p_vaddr + ph.p_memsz;
		}
		err = hi > lo ? 0 : -ENOEXEC;
	}
	elf_end(elf);
	close(fd);
	*start = (bias + lo) & ~4095ULL;
	*end = (bias + hi + 4095) & ~4095ULL;
	return err;
}

int sym_note_module(struct symbolizer *s, const char *path, uint64_t bias)
{
	struct spans cur = { 0 };
	uint64_t start = 0, end = 0;
	char real[PATH_MAX];
	int err;

	/* The dynamic linker's name (/lib64/ld-linux..., a symlink) as /proc/PID/maps shows it. */
	if (!realpath(path, real) || elf_load_range(real, bias, &start, &end))
		return 0; /* not a readable ELF file: nothing to symbolize with */
	path = real;
	for (int i = 0; i < s->nmods; i++) {
		const struct sym_module *m = &s->mods[i]->pub;

		if (s->mods[i]->in_dwfl && m->start < end && start < m->end &&
		    !strcmp(m->path, path))
			return 0;
	}
	err = spans_push(&cur, path, start, end);
	if (!err)
		err = report_all(s, &cur);
	if (!err)
		err = sync_modules(s);
	free(cur.v);
	return err;
}

int sym_open(pid_t pid, struct symbolizer **out)
{
	char path[64];
	struct symbolizer *s;
	int err;

	*out = NULL;
	if (pid <= 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pid = pid;
	elf_version(EV_CURRENT);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	s->proc_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto fail;
	}
	s->cache = u64map_new(sizeof(struct sym_info));
	s->dwfl = dwfl_begin(&callbacks);
	err = s->cache && s->dwfl ? sym_refresh(s) : -ENOMEM;
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	sym_close(s);
	return err;
}

int sym_file_open(const char *path, struct symbolizer **out)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->proc_fd = -1;
	s->gone = 1; /* no process: never refreshed */
	elf_version(EV_CURRENT);
	s->offline = (Dwfl_Callbacks){
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	s->cache = u64map_new(sizeof(struct sym_info));
	s->dwfl = dwfl_begin(&s->offline);
	if (!s->cache || !s->dwfl)
		goto fail;
	dwfl_report_begin(s->dwfl);
	/* Base 0: the module sits at its file's own addresses, those of frames.rel_addr. */
	err = dwfl_report_elf(s->dwfl, path, path, -1, 0, false) ? 0 : -ENOEXEC;
	dwfl_report_end(s->dwfl, NULL, NULL);
	if (!err)
		err = sync_modules(s);
	if (!err && !s->nmods)
		err = -ENOEXEC;
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	sym_close(s);
	return err;
}

void sym_close(struct symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	u64map_free(s->cache);
	strset_free(&s->names);
	for (int i = 0; i < s->nmods; i++) {
		free((char *)s->mods[i]->pub.path);
		free(s->mods[i]->fns);
		free(s->mods[i]);
	}
	free(s->mods);
	while (s->chains) {
		struct chain_block *next = s->chains->next;

		free(s->chains);
		s->chains = next;
	}
	if (s->proc_fd >= 0)
		close(s->proc_fd);
	free(s);
}

char *sym_demangle(const char *name)
{
	/* libiberty tries Rust first (a legacy Rust name is also a valid C++ one), then C++;
	 * DMGL_VERBOSE is off, so a legacy Rust name loses its hash suffix. */
	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI);
}

/* Demangled, and without a symbol version ("__libc_start_main@@GLIBC_2.34"): a user (and gdb)
 * knows the function by its plain name. */
static const char *function_name(struct symbolizer *s, const char *name)
{
	char *demangled = NULL, *bare = NULL;
	const char *at = strchr(name, '@'), *copy;

	if (at && at > name)
		name = bare = strndup(name, (size_t)(at - name));
	if (name)
		demangled = sym_demangle(name);
	copy = name ? intern(&s->names, demangled ? demangled : name) : NULL;
	free(demangled);
	free(bare);
	return copy;
}

/* The interned name of a source file: libdw 0.188 does not join a DWARF 5 directory entry that is
 * relative ("tests/unit") to the compilation directory: do it when that one is absolute. (With
 * -fdebug-prefix-map, as in Debian's libc, it is relative too and the name stays relative.)
 * *out NULL only for -ENOMEM. */
static int source_file(struct symbolizer *s, const char *file, const char *dir, const char **out)
{
	char *joined = NULL;

	if (file[0] == '/' || (dir && dir[0] != '/'))
		dir = NULL;
	while (dir && file[0] == '.' && file[1] == '/')
		file += 2;
	if (dir && asprintf(&joined, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	*out = intern(&s->names, joined ? joined : file);
	free(joined);
	return *out ? 0 : -ENOMEM;
}

/* File and line of a line record. */
static int source_line(struct symbolizer *s, Dwfl_Line *line, struct sym_info *out)
{
	Dwarf_Addr line_addr;
	const char *file = dwfl_lineinfo(line, &line_addr, &out->line, NULL, NULL, NULL);

	if (!file) {
		out->line = 0;
		return 0;
	}
	return source_file(s, file, file[0] != '/' ? dwfl_line_comp_dir(line) : NULL, &out->file);
}

/* DWARF's name of a function: its linkage name demangled, else its name (as addr2line -f -C
 * gives it). 0 with *out NULL when it has none; -ENOMEM. */
static int die_function(struct symbolizer *s, Dwarf_Die *die, const char **out)
{
	Dwarf_Attribute attr;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));

	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_diename(die);
	*out = name ? function_name(s, name) : NULL;
	return name && !*out ? -ENOMEM : 0;
}

/* The call site of an inlined instance: file and line in the function it was inlined into. */
static int call_site(struct symbolizer *s, Dwarf_Die *die, Dwarf_Files *files, const char *dir,
		     const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word v;
	const char *name;

	*file = NULL;
	*line = 0;
	if (!dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &v))
		*line = (int)v;
	if (!files || dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &v))
		return 0;
	name = dwarf_filesrc(files, v, NULL, NULL);
	return name ? source_file(s, name, dir, file) : 0;
}

/* The instances inlined at pc, innermost first, from the DIE holding pc up to its function
 * (addr2line -i's way: dwarf_getscopes alone would continue into the abstract definition). */
static int inlined_dies(Dwfl_Module *mod, uint64_t pc, Dwarf_Die *cu, Dwarf_Die **out)
{
	Dwarf_Addr bias;
	Dwarf_Die *scopes = NULL, inner;
	int n;

	Dwarf_Die *c = dwfl_module_addrdie(mod, pc, &bias);

	*out = NULL;
	if (!c)
		return 0;
	*cu = *c;
	n = dwarf_getscopes(cu, pc - bias, &scopes);
	if (n > 0)
		inner = scopes[0];
	free(scopes);
	if (n <= 0)
		return 0;
	n = dwarf_getscopes_die(&inner, out);
	return n > 0 ? n : 0;
}

/* Splits the functions inlined at pc off out: out->file:line moves to the innermost one, each
 * next one (and last the function itself) gets the call site of the one inside it. -ENOMEM. */
static int inline_chain(struct symbolizer *s, Dwfl_Module *mod, uint64_t pc, struct sym_info *out)
{
	struct sym_inline v[MAX_INLINED];
	const char *file = out->file, *dir;
	struct chain_block *b;
	Dwarf_Files *files = NULL;
	Dwarf_Attribute attr;
	Dwarf_Die cu, *dies;
	int n = inlined_dies(mod, pc, &cu, &dies), k = 0, line = out->line, err = 0;

	if (n && dwarf_getsrcfiles(&cu, &files, NULL))
		files = NULL;
	dir = n ? dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr)) : NULL;
	for (int i = 0; i < n && !err; i++) {
		int tag = dwarf_tag(&dies[i]);

		if (tag == DW_TAG_subprogram || tag == DW_TAG_entry_point)
			break;
		if (tag != DW_TAG_inlined_subroutine)
			continue;
		if (k == MAX_INLINED) /* keep the outermost calls: shift the innermost out */
			memmove(v, v + 1, --k * sizeof(*v));
		v[k].file = file;
		v[k].line = line;
		err = die_function(s, &dies[i], &v[k].function);
		if (!err)
			err = call_site(s, &dies[i], files, dir, &file, &line);
		k++;
	}
	free(dies);
	if (err || !k)
		return err;
	b = malloc(sizeof(*b) + k * sizeof(*v));
	if (!b)
		return -ENOMEM;
	memcpy(b->v, v, k * sizeof(*v));
	b->next = s->chains;
	s->chains = b;
	out->inlined = b->v;
	out->ninlined = k;
	out->file = file;
	out->line = line;
	return 0;
}

/* Where pc's function is, or would go, in m's sorted ranges: *pos is the first range above pc. */
static const struct fn_range *fn_find(const struct module_rec *m, uint64_t pc, size_t *pos)
{
	size_t lo = 0, hi = m->nfns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->fns[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	return lo && pc < m->fns[lo - 1].hi ? &m->fns[lo - 1] : NULL;
}

static int fn_insert(struct module_rec *m, size_t pos, uint64_t lo, uint64_t hi, const char *name)
{
	if (m->nfns == m->cap_fns) {
		size_t cap = m->cap_fns ? 2 * m->cap_fns : 64;
		struct fn_range *v = realloc(m->fns, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->fns = v;
		m->cap_fns = cap;
	}
	memmove(m->fns + pos + 1, m->fns + pos, (m->nfns - pos) * sizeof(*m->fns));
	m->fns[pos] = (struct fn_range){ lo, hi, name };
	m->nfns++;
	return 0;
}

/* Function and file:line of pc in mod (record m); -ENOMEM. */
static int describe_pc(struct symbolizer *s, Dwfl_Module *mod, struct module_rec *m, uint64_t pc,
		       struct sym_info *out)
{
	Dwfl_Line *line = dwfl_module_getsrc(mod, pc);
	const struct fn_range *known;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;
	size_t pos;

	known = fn_find(m, pc, &pos);
	if (known) {
		out->function = known->name;
	} else {
		name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		if (name && !(out->function = function_name(s, name)))
			return -ENOMEM;
		/* A sized symbol holding pc: the rest of its range is the same function. */
		if (name && off < sym.st_size && off <= pc &&
		    fn_insert(m, pos, pc - off, pc - off + sym.st_size, out->function))
			return -ENOMEM;
	}
	if (line && source_line(s, line, out))
		return -ENOMEM;
	return inline_chain(s, mod, pc, out);
}

static int resolve(struct symbolizer *s, uint64_t addr, struct sym_info *out)
{
	uint64_t pc = addr - 1; /* a return address: the call instruction ends just before it */
	Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, pc);
	Dwarf_Addr start, end;
	void **ud;
	int idx = -1;

	*out = (struct sym_info){ .module = -1, .rel_addr = addr };
	/* libdwfl 0.188's segment table lets a module that starts where the one before it ends
	 * also cover the gap after it (no end boundary is inserted), so check the range. */
	if (mod && dwfl_module_info(mod, &ud, &start, &end, NULL, NULL, NULL, NULL) &&
	    start <= pc && pc < end)
		idx = (int)(intptr_t)*ud - 1;
	if (idx < 0)
		return 0;
	out->module = idx;
	out->rel_addr = addr - s->mods[idx]->pub.bias;
	return describe_pc(s, mod, s->mods[idx], pc, out);
}

int sym_lookup(struct symbolizer *s, uint64_t addr, struct sym_info *out)
{
	struct sym_info *slot;
	int created, err, refresh = 0;

	*out = (struct sym_info){ .module = -1, .rel_addr = addr };
	if (!addr)
		return 0;
	slot = u64map_get(s->cache, addr);
	if (slot) {
		*out = *slot;
		return 0;
	}
	err = resolve(s, addr, out);
	if (!err && out->module < 0 && !s->gone) {
		/* At most one refresh per interval: a frame-pointer chain through code built without
		 * them yields junk addresses, and each would cost a read of /proc/PID/maps. */
		uint64_t now = now_ns();

		if (now - s->last_refresh_ns < REFRESH_INTERVAL_NS)
			return 0; /* not cached: a later lookup may know it */
		s->last_refresh_ns = now;
		refresh = sym_refresh(s);
		err = resolve(s, addr, out);
	}
	/* Not cached when a failed refresh (other than a gone process) may be why it is unknown. */
	if (err || (refresh && refresh != -ESRCH))
		return err;
	slot = u64map_put(s->cache, addr, &created);
	if (!slot)
		return -ENOMEM;
	*slot = *out;
	return 0;
}

int sym_module_mapped(const struct symbolizer *s, int idx)
{
	return idx >= 0 && idx < s->nmods && s->mods[idx]->in_dwfl;
}

int sym_module_count(const struct symbolizer *s)
{
	return s->nmods;
}

const struct sym_module *sym_module_get(const struct symbolizer *s, int idx)
{
	return idx >= 0 && idx < s->nmods ? &s->mods[idx]->pub : NULL;
}
