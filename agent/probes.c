/* Finding the allocator of a process and attaching heapscope's probes to it. Each entry probe
 * goes on the first instruction of the prologue the kernel emulates (see placement.h), which
 * keeps a hit near 0.4 us instead of the ~15 us of a single-stepped one. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <bpf/libbpf.h>

#include "agent/elfsym.h"
#include "agent/placement.h"
#include "agent/probes.h"
#include "agent/proc.h"
#include "bpf/abi.h"
#include "heapscope.skel.h"
#include "store/store.h"

#define SYSTEM_LIBSTDCXX "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
#define SYSTEM_LDSO "/lib64/ld-linux-x86-64.so.2"
#define MAX_CODE 4096
#define MAX_PROBES 64

enum target_kind { ALLOC, FREE };

struct target {
	const char *symbol;
	enum hs_func func;
	int nargs; /* argument registers the BPF program reads */
	enum target_kind kind;
};

static const struct target C_TARGETS[] = {
	{ "malloc", HS_FN_MALLOC, 1, ALLOC },
	{ "calloc", HS_FN_CALLOC, 2, ALLOC },
	{ "realloc", HS_FN_REALLOC, 2, ALLOC },
	{ "reallocarray", HS_FN_REALLOCARRAY, 3, ALLOC },
	{ "posix_memalign", HS_FN_POSIX_MEMALIGN, 3, ALLOC },
	{ "aligned_alloc", HS_FN_ALIGNED_ALLOC, 2, ALLOC },
	{ "memalign", HS_FN_MEMALIGN, 2, ALLOC },
	{ "valloc", HS_FN_VALLOC, 1, ALLOC },
	{ "pvalloc", HS_FN_PVALLOC, 1, ALLOC },
	{ "free", HS_FN_FREE, 1, FREE },
};

static const struct target CXX_TARGETS[] = {
	{ "_Znwm", HS_FN_NEW, 1, ALLOC },
	{ "_Znam", HS_FN_NEW_ARRAY, 1, ALLOC },
	{ "_ZnwmRKSt9nothrow_t", HS_FN_NEW, 1, ALLOC },
	{ "_ZnamRKSt9nothrow_t", HS_FN_NEW_ARRAY, 1, ALLOC },
	{ "_ZnwmSt11align_val_t", HS_FN_NEW, 1, ALLOC },
	{ "_ZnamSt11align_val_t", HS_FN_NEW_ARRAY, 1, ALLOC },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", HS_FN_NEW, 1, ALLOC },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", HS_FN_NEW_ARRAY, 1, ALLOC },
	{ "_ZdlPv", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPv", HS_FN_DELETE_ARRAY, 1, FREE },
	{ "_ZdlPvm", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPvm", HS_FN_DELETE_ARRAY, 1, FREE },
	{ "_ZdlPvRKSt9nothrow_t", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPvRKSt9nothrow_t", HS_FN_DELETE_ARRAY, 1, FREE },
	{ "_ZdlPvSt11align_val_t", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPvSt11align_val_t", HS_FN_DELETE_ARRAY, 1, FREE },
	{ "_ZdlPvmSt11align_val_t", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPvmSt11align_val_t", HS_FN_DELETE_ARRAY, 1, FREE },
	{ "_ZdlPvSt11align_val_tRKSt9nothrow_t", HS_FN_DELETE, 1, FREE },
	{ "_ZdaPvSt11align_val_tRKSt9nothrow_t", HS_FN_DELETE_ARRAY, 1, FREE },
};

static const char *const FUNC_NAMES[HS_FN_COUNT] = {
	"malloc",	  "calloc",   "realloc",	 "reallocarray",      "posix_memalign",
	"aligned_alloc",  "memalign", "valloc",		 "pvalloc",	      "operator new",
	"operator new[]", "free",     "operator delete", "operator delete[]",
};

struct placed {
	const struct target *t;
	char module[512];
	uint64_t vaddr, offset;
	struct probe_site site;
};

struct probes {
	int link_fds[16];
	int nlinks;
	struct placed placed[MAX_PROBES];
	int nplaced;
};

static int is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "libc.so", 7) || !strncmp(base, "ld-linux", 8);
}

static int defines_func(const char *path, const char *symbol)
{
	struct elf_file *ef;
	struct elf_func fn;
	int found;

	if (elfsym_open(path, &ef))
		return 0;
	found = !elfsym_find_func(ef, symbol, &fn);
	elfsym_close(ef);
	return found;
}

static int defines_malloc(const char *path)
{
	return defines_func(path, "malloc");
}

int probes_find_allocator(const struct obj_list *objs, char *out, size_t len, char *err,
			  size_t errlen)
{
	int libc = -1;

	for (int i = 0; i < objs->n; i++) {
		if (is_libc(objs->paths[i])) {
			if (libc < 0 && defines_malloc(objs->paths[i]))
				libc = i;
			continue;
		}
		if (defines_malloc(objs->paths[i])) {
			snprintf(out, len, "%s", objs->paths[i]);
			return 0;
		}
	}
	if (libc >= 0) {
		snprintf(out, len, "%s", objs->paths[libc]);
		return 0;
	}
	snprintf(err, errlen,
		 "no allocator found: none of the %d objects of the process (%s...) defines malloc "
		 "(looked for glibc, jemalloc, tcmalloc, mimalloc or a static malloc)",
		 objs->n, objs->n ? objs->paths[0] : "none");
	return -ENOENT;
}

/* The uprobe_multi link (kernel 6.6+): one link, and one RCU wait at detach, for all the probes
 * of one program in one file, instead of a perf event each (detaching ~50 of those took 4 s).
 * libbpf 1.1 predates it, so the link is created with the raw syscall. */
#define UPROBE_MULTI_RETURN 1

struct link_create_uprobe_multi {
	uint32_t prog_fd, target_fd, attach_type, flags;
	uint64_t path, offsets, ref_ctr_offsets, cookies;
	uint32_t cnt, multi_flags, pid;
};

/* Offsets and cookies of one program in one file, collected before the link is made. */
struct batch {
	uint64_t offsets[MAX_PROBES], cookies[MAX_PROBES];
	uint32_t n;
};

int probes_link_multi(int prog_fd, pid_t pid, const char *path, const uint64_t *offsets,
		      const uint64_t *cookies, uint32_t n, int retprobe)
{
	struct link_create_uprobe_multi attr = {
		.prog_fd = (uint32_t)prog_fd,
		.attach_type = retprobe == PROBES_SESSION ? PROBES_UPROBE_SESSION :
							    PROBES_UPROBE_MULTI,
		.path = (uint64_t)(uintptr_t)path,
		.offsets = (uint64_t)(uintptr_t)offsets,
		.cookies = (uint64_t)(uintptr_t)cookies,
		.cnt = n,
		.multi_flags = retprobe == 1 ? UPROBE_MULTI_RETURN : 0,
		.pid = (uint32_t)pid,
	};
	int fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));

	return fd < 0 ? -errno : fd;
}

static int create_multi_link(struct probes *p, struct bpf_program *prog, pid_t pid,
			     const char *path, const struct batch *b, int ret, const char *what,
			     char *err, size_t errlen)
{
	int fd;

	if (!b->n)
		return 0;
	fd = probes_link_multi(bpf_program__fd(prog), pid, path, b->offsets, b->cookies, b->n, ret);
	if (fd < 0) {
		snprintf(err, errlen,
			 "cannot attach the %s probes to %s: %s (the kernel refused the uprobes; "
			 "heapscope needs Linux >= %s with CONFIG_UPROBES)",
			 what, path, strerror(-fd), ret == PROBES_SESSION ? "6.13" : "6.6");
		return fd;
	}
	p->link_fds[p->nlinks++] = fd;
	return 0;
}

/* Sampled mode: where the code of a function that calls other allocator functions is, so that
 * those calls are charged once (bpf/sampled.bpf.h). */
static uint64_t nesting_cookie(const struct target *t, const struct elf_func *fn, uint32_t delta)
{
	/* glibc's memalign family relays small alignments to malloc, realloc(NULL, n) is malloc,
	 * reallocarray is realloc, operator new calls malloc: only malloc and calloc are leaves. */
	int nests = t->kind == ALLOC && t->func != HS_FN_MALLOC && t->func != HS_FN_CALLOC;

	if (!nests || delta > 0xff || !fn->size || fn->size > 0xffffff)
		return 0;
	return HS_COOKIE_NESTS | HS_COOKIE_SPAN(delta, fn->size);
}

static int already_placed(const struct probes *p, const char *path, uint64_t vaddr)
{
	for (int i = 0; i < p->nplaced; i++)
		if (p->placed[i].vaddr == vaddr && !strcmp(p->placed[i].module, path))
			return 1;
	return 0;
}

/* Decides the site of one target and adds it to the entry (and return) batch. A symbol the
 * object does not define is skipped: not every allocator has every function. */
static int place_target(struct probes *p, struct elf_file *ef, const char *path,
			const struct target *t, struct batch *entry, struct batch *ret, int sampled,
			char *err, size_t errlen)
{
	uint8_t code[MAX_CODE];
	struct elf_func fn;
	struct placed *pl;
	ssize_t n;
	int e;

	if (elfsym_find_func(ef, t->symbol, &fn) || already_placed(p, path, fn.vaddr))
		return 0;
	if (p->nplaced == MAX_PROBES)
		return -E2BIG;
	pl = &p->placed[p->nplaced];
	n = elfsym_read_code(ef, fn.vaddr, code,
			     fn.size && fn.size < MAX_CODE ? fn.size : MAX_CODE);
	if (n <= 0) {
		snprintf(err, errlen, "cannot read the code of %s in %s", t->symbol, path);
		return -ENOEXEC;
	}
	e = placement_choose(code, n, fn.vaddr, t->nargs, t->kind == ALLOC, &pl->site);
	if (e) {
		snprintf(err, errlen, "cannot place a uprobe in %s of %s: %s", t->symbol, path,
			 e == -ENOTSUP ?
				 "its first instruction is one the kernel refuses to probe" :
				 "its first instruction does not decode");
		return e;
	}
	pl->t = t;
	pl->vaddr = fn.vaddr;
	pl->offset = fn.file_offset + pl->site.delta;
	snprintf(pl->module, sizeof(pl->module), "%s", path);
	p->nplaced++;
	entry->offsets[entry->n] = pl->offset;
	entry->cookies[entry->n++] = HS_COOKIE(t->func, pl->site.pushes) |
				     (sampled ? nesting_cookie(t, &fn, pl->site.delta) : 0);
	if (t->kind == ALLOC && !sampled) {
		ret->offsets[ret->n] = pl->offset;
		ret->cookies[ret->n++] = t->func;
	}
	return 0;
}

static int attach_object(struct heapscope_bpf *skel, struct probes *p, pid_t pid, const char *path,
			 const struct target *targets, size_t n, int sampled, char *err,
			 size_t errlen)
{
	struct batch allocs = { 0 }, rets = { 0 }, frees = { 0 }, unused = { 0 };
	struct elf_file *ef;
	int e = elfsym_open(path, &ef);

	if (e) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-e));
		return e;
	}
	for (size_t i = 0; i < n && !e; i++)
		e = place_target(p, ef, path, &targets[i],
				 targets[i].kind == ALLOC ? &allocs : &frees,
				 targets[i].kind == ALLOC ? &rets : &unused, sampled, err, errlen);
	elfsym_close(ef);
	/* Frees first, then returns, then entries: a block allocated while the probes go in (the
	 * process runs on) is either unseen or seen with its free. Allocations first left every
	 * block allocated and freed between the two attaches live for ever: phantom leaks. */
	if (sampled) {
		if (!e)
			e = create_multi_link(p, skel->progs.free_sampled, pid, path, &frees, 0,
					      "free", err, errlen);
		if (!e)
			e = create_multi_link(p, skel->progs.alloc_sampled, pid, path, &allocs,
					      PROBES_SESSION, "sampled allocation", err, errlen);
		return e;
	}
	if (!e)
		e = create_multi_link(p, skel->progs.free_enter, pid, path, &frees, 0, "free", err,
				      errlen);
	if (!e)
		e = create_multi_link(p, skel->progs.alloc_exit, pid, path, &rets, 1, "return", err,
				      errlen);
	if (!e)
		e = create_multi_link(p, skel->progs.alloc_enter, pid, path, &allocs, 0,
				      "allocation", err, errlen);
	return e;
}

static int has_func(const struct probes *p, enum hs_func func)
{
	for (int i = 0; i < p->nplaced; i++)
		if (p->placed[i].t->func == func)
			return 1;
	return 0;
}

static const char *find_object(const struct obj_list *objs, const char *prefix, const char *dflt)
{
	for (int i = 0; i < objs->n; i++) {
		const char *base = strrchr(objs->paths[i], '/');

		if (base && !strncmp(base + 1, prefix, strlen(prefix)))
			return objs->paths[i];
	}
	return access(dflt, R_OK) ? NULL : dflt;
}

/* Watches ld.so's _dl_debug_state, which every dlopen/dlclose calls; the BPF program finds
 * _r_debug from the probe address plus the cookie and reads the list of loaded objects. */
static int attach_maps_probe(struct heapscope_bpf *skel, struct probes *p, pid_t pid,
			     const struct obj_list *objs, char *err, size_t errlen)
{
	const char *ldso = find_object(objs, "ld-linux", SYSTEM_LDSO);
	struct batch b = { .n = 1 };
	struct elf_file *ef;
	struct elf_func fn;
	uint64_t rdebug;
	int e;

	/* A static executable has no dynamic linker, hence no dlopen to watch. */
	if (!ldso || elfsym_open(ldso, &ef))
		return 0;
	e = elfsym_find_func(ef, "_dl_debug_state", &fn);
	if (!e)
		e = elfsym_find_object(ef, "_r_debug", &rdebug);
	elfsym_close(ef);
	if (e)
		return 0;
	b.offsets[0] = fn.file_offset;
	b.cookies[0] = rdebug - fn.vaddr;
	return create_multi_link(p, skel->progs.maps_changed, pid, ldso, &b, 0, "dlopen", err,
				 errlen);
}

int probes_attach(struct heapscope_bpf *skel, pid_t pid, const char *allocator,
		  const struct obj_list *objs, int sampled, struct probes **out, char *err,
		  size_t errlen)
{
	struct probes *p = calloc(1, sizeof(*p));
	/* jemalloc and tcmalloc bring their own operator new and delete, which come first in the
	 * lookup order (they are preloaded or linked before libstdc++) and do not call malloc. */
	const char *cxx = !is_libc(allocator) && defines_func(allocator, "_Znwm") ?
				  allocator :
				  find_object(objs, "libstdc++", SYSTEM_LIBSTDCXX);
	int e;

	if (!p)
		return -ENOMEM;
	e = attach_object(skel, p, pid, allocator, C_TARGETS,
			  sizeof(C_TARGETS) / sizeof(*C_TARGETS), sampled, err, errlen);
	if (!e && (!has_func(p, HS_FN_MALLOC) || !has_func(p, HS_FN_FREE))) {
		snprintf(err, errlen, "%s does not define both malloc and free: not an allocator",
			 allocator);
		e = -ENOENT;
	}
	if (!e && cxx)
		e = attach_object(skel, p, pid, cxx, CXX_TARGETS,
				  sizeof(CXX_TARGETS) / sizeof(*CXX_TARGETS), sampled, err, errlen);
	if (!e)
		e = attach_maps_probe(skel, p, pid, objs, err, errlen);
	if (e) {
		probes_free(p);
		return e;
	}
	*out = p;
	return 0;
}

int probes_store(const struct probes *p, struct store *st)
{
	int e = 0;

	for (int i = 0; i < p->nplaced && !e; i++) {
		const struct placed *pl = &p->placed[i];
		struct store_probe row = {
			.func = FUNC_NAMES[pl->t->func],
			.symbol = pl->t->symbol,
			.module = pl->module,
			.insn = pl->site.insn,
			.reason = pl->site.reason,
			.offset = pl->site.delta,
			.emulated = pl->site.emulated,
			.retprobe = pl->t->kind == ALLOC,
		};
		e = store_insert_probe(st, &row);
	}
	return e;
}

void probes_free(struct probes *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nlinks; i++)
		close(p->link_fds[i]);
	free(p);
}

/* Closing a link waits for a grace period (~35 ms here) so that no program is still running:
 * the probes of a process that is gone may take their time. */
static void *free_in_background(void *p)
{
	probes_free(p);
	return NULL;
}

void probes_free_later(struct probes *p)
{
	pthread_attr_t attr;
	pthread_t t;

	if (!p)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, free_in_background, p))
		probes_free(p);
	pthread_attr_destroy(&attr);
}

void probes_free_all(struct probes **ps, int n)
{
	pthread_t *t = calloc(n > 0 ? n : 1, sizeof(*t));
	char *started = calloc(n > 0 ? n : 1, 1);

	for (int i = 0; i < n; i++) {
		started[i] = t && started && ps[i] &&
			     !pthread_create(&t[i], NULL, free_in_background, ps[i]);
		if (!started[i])
			probes_free(ps[i]);
		ps[i] = NULL;
	}
	for (int i = 0; i < n; i++)
		if (started && started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

int probes_set_attach_type(struct heapscope_bpf *skel, int sampled)
{
	struct bpf_program *exact[] = { skel->progs.alloc_enter, skel->progs.alloc_exit,
					skel->progs.free_enter };
	struct bpf_program *multi[] = { skel->progs.alloc_enter, skel->progs.alloc_exit,
					skel->progs.free_enter, skel->progs.maps_changed,
					skel->progs.free_sampled };
	int e;

	/* Only the mode's programs are loaded: a session program needs a kernel >= 6.13. */
	for (size_t i = 0; i < sizeof(exact) / sizeof(*exact); i++)
		bpf_program__set_autoload(exact[i], !sampled);
	bpf_program__set_autoload(skel->progs.alloc_sampled, sampled);
	bpf_program__set_autoload(skel->progs.free_sampled, sampled);
	for (size_t i = 0; i < sizeof(multi) / sizeof(*multi); i++)
		if ((e = bpf_program__set_expected_attach_type(multi[i], PROBES_UPROBE_MULTI)))
			return e;
	return bpf_program__set_expected_attach_type(skel->progs.alloc_sampled,
						     PROBES_UPROBE_SESSION);
}
