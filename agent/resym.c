/* heapscope symbolize: the frames of a finished recording that lack a function or a source line
 * are looked up again by their module's build-id (a --debug-dir, /usr/lib/debug/.build-id, or
 * debuginfod when DEBUGINFOD_URLS is set) and updated in place, in one transaction. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>

#include "agent/resym.h"
#include "agent/symbolize.h"
#include "report/cliopt.h"
#include "store/resym.h"

/* Files looked at in a --debug-dir tree, at most (a wrong directory must not take forever). */
#define SCAN_MAX_FILES 20000

struct resym_stats {
	size_t frames, resolved, files, found;
};

/* The lowercase hex build-id of the ELF file at path into id (41 bytes); 0 or -1. */
static int file_build_id(const char *path, char *id)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	const unsigned char *bits;
	ssize_t len = elf ? dwelf_elf_gnu_build_id(elf, (const void **)&bits) : -1;

	if (len > 0 && len <= 20) {
		for (ssize_t i = 0; i < len; i++)
			snprintf(id + 2 * i, 3, "%02x", bits[i]);
		rc = 0;
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* What nftw looks for (nftw has no argument for its callback). */
static struct {
	const char *want;
	char found[4096];
	int seen;
} scan;

static int scan_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	char id[41];
	(void)ftw;

	if (type != FTW_F || !S_ISREG(sb->st_mode) || sb->st_size < 64)
		return 0;
	if (++scan.seen > SCAN_MAX_FILES)
		return 1;
	if (file_build_id(path, id) || strcmp(id, scan.want))
		return 0;
	snprintf(scan.found, sizeof(scan.found), "%s", path);
	return 1;
}

/* A file with that build-id under dir: its .build-id tree, else any ELF file in it. */
static int in_debug_dir(const char *dir, const char *id, char *out, size_t len)
{
	const char *layouts[] = { "%s/.build-id/%.2s/%s.debug", "%s/%.2s/%s.debug" };

	for (size_t i = 0; i < 2; i++) {
		snprintf(out, len, layouts[i], dir, id, id + 2);
		if (!access(out, R_OK))
			return 0;
	}
	scan.want = id;
	scan.found[0] = '\0';
	scan.seen = 0;
	nftw(dir, scan_one, 16, FTW_PHYS);
	if (!scan.found[0])
		return -1;
	snprintf(out, len, "%s", scan.found);
	return 0;
}

/* libdebuginfod's client, loaded when needed (as libdw does): the debug file for a build-id,
 * fetched into its cache. 0 with the cached file's path in out, or -1. */
static int from_debuginfod(const char *id, char *out, size_t len)
{
	static void *lib;
	void *(*begin)(void);
	int (*find)(void *, const unsigned char *, int, char **);
	void (*end)(void *);
	char *path = NULL;
	void *client;
	int fd;

	if (!getenv("DEBUGINFOD_URLS") || !*getenv("DEBUGINFOD_URLS"))
		return -1;
	if (!lib && !(lib = dlopen("libdebuginfod.so.1", RTLD_NOW)))
		return -1;
	begin = (void *(*)(void))dlsym(lib, "debuginfod_begin");
	find = (int (*)(void *, const unsigned char *, int,
			char **))dlsym(lib, "debuginfod_find_debuginfo");
	end = (void (*)(void *))dlsym(lib, "debuginfod_end");
	if (!begin || !find || !end || !(client = begin()))
		return -1;
	fd = find(client, (const unsigned char *)id, 0, &path); /* length 0: a hex string */
	end(client);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(out, len, "%s", path);
	free(path);
	return 0;
}

/* The file to symbolize build-id id with: debug dir, /usr/lib/debug, debuginfod, else the
 * recorded path if it is still that file (libdw then tries its own ways: debuglink,
 * debuginfod). 0 or -1. */
static int find_file(const char *debug_dir, const struct resym_module *m, char *out, size_t len)
{
	char id[41];

	if (debug_dir && !in_debug_dir(debug_dir, m->build_id, out, len))
		return 0;
	snprintf(out, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", m->build_id, m->build_id + 2);
	if (!access(out, R_OK))
		return 0;
	if (!from_debuginfod(m->build_id, out, len))
		return 0;
	if (m->path[0] == '/' && !file_build_id(m->path, id) && !strcmp(id, m->build_id)) {
		snprintf(out, len, "%s", m->path);
		return 0;
	}
	return -1;
}

/* Looks up every frame of m in the file at path and stores what it says. */
static int resolve_module(struct store_resym *r, const struct resym_module *m, const char *path,
			  struct resym_stats *st)
{
	struct resym_inline inl[64];
	struct symbolizer *s;
	int err = sym_file_open(path, &s);

	if (err)
		return 0; /* not readable after all: the frames stay as they are */
	for (size_t i = 0; i < m->n && !err; i++) {
		struct sym_info info;
		int n;

		err = sym_lookup(s, m->v[i].rel_addr, &info);
		if (err || (!info.function && !info.file))
			continue;
		n = info.ninlined < 64 ? info.ninlined : 64;
		for (int k = 0; k < n; k++)
			inl[k] = (struct resym_inline){ info.inlined[k].function,
							info.inlined[k].file,
							info.inlined[k].line };
		err = store_resym_update(r, m->v[i].id, info.function, info.file, info.line, inl,
					 n);
		st->resolved += !err;
	}
	sym_close(s);
	return err;
}

static int run(const char *db, const char *debug_dir)
{
	struct resym_stats st = { 0 };
	struct store_resym *r;
	struct resym_module m;
	char err[512], path[4096];
	int rc, e;

	elf_version(EV_CURRENT);
	/* libdebuginfod's default timeout is 90 s per server. */
	setenv("DEBUGINFOD_TIMEOUT", "10", 0);
	e = store_resym_open(db, &r, err, sizeof(err));
	if (e) {
		fprintf(stderr, "heapscope: %s\n", err);
		return 1;
	}
	while ((rc = store_resym_next(r, &m)) > 0) {
		st.files++;
		st.frames += m.n;
		if (find_file(debug_dir, &m, path, sizeof(path)))
			continue;
		st.found++;
		if ((rc = resolve_module(r, &m, path, &st)) < 0)
			break;
	}
	if (rc == 0)
		rc = store_resym_commit(r);
	if (rc < 0) {
		fprintf(stderr, "heapscope: cannot update %s: %s (nothing changed)\n", db,
			rc == -EIO ? store_resym_errmsg(r) : strerror(-rc));
		store_resym_close(r);
		return 1;
	}
	store_resym_close(r);
	printf("heapscope: %zu of %zu frames without symbols resolved (%zu of %zu files found by"
	       " build-id) -> %s\n",
	       st.resolved, st.frames, st.found, st.files, db);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope symbolize -d FILE [--debug-dir DIR]\n"
		"  -d, --db FILE      the recording to update in place (it must have ended)\n"
		"  --debug-dir DIR    files with debug info: DIR/.build-id/xx/rest.debug, or any\n"
		"                     ELF file under DIR (an unstripped build) with the build-id\n"
		"Then /usr/lib/debug/.build-id, then debuginfod when DEBUGINFOD_URLS is set\n"
		"(DEBUGINFOD_TIMEOUT, default 10 s here; cached in DEBUGINFOD_CACHE_PATH).\n");
}

int symbolize_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "debug-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *db = NULL, *dir = NULL;
	int c;

	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "d:h", opts)) != -1) {
		switch (c) {
		case 'd':
		case 'D':
			if ((c == 'd' && db) || (c == 'D' && dir)) {
				fprintf(stderr, "heapscope symbolize: option --%s given twice\n",
					c == 'd' ? "db" : "debug-dir");
				return 2;
			}
			*(c == 'd' ? &db : &dir) = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!db || optind < argc) {
		fprintf(stderr, "heapscope symbolize: %s\n",
			db ? "unexpected argument" : "-d FILE (the recording) is required");
		usage(stderr);
		return 2;
	}
	if (dir && access(dir, R_OK)) {
		fprintf(stderr, "heapscope symbolize: cannot read --debug-dir %s: %s\n", dir,
			strerror(errno));
		return 2;
	}
	return run(db, dir);
}
