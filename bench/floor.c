/* The benchmark floor's loader: attaches a hit counter to the probe sites a heapscope recording
 * lists, launches a command held before exec, and prints how many hits each kind of probe took.
 *
 * usage: floor RECORDING.db -- CMD [ARGS...]
 * The command's own output passes through; floor's summary goes to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sqlite3.h>

#include "agent/elfsym.h"
#include "agent/probes.h"
#include "floor.skel.h"

#define MAX_SITES 128
#define MAX_MODULES 8

/* The file offsets of one module's entry (ret = 0) and return (ret = 1) probes. */
struct module_sites {
	char path[512];
	uint64_t offsets[2][MAX_SITES], cookies[2][MAX_SITES];
	uint32_t n[2];
};

struct sites {
	struct module_sites mods[MAX_MODULES];
	int nmods, total;
};

static struct module_sites *module_for(struct sites *s, const char *path)
{
	for (int i = 0; i < s->nmods; i++)
		if (!strcmp(s->mods[i].path, path))
			return &s->mods[i];
	if (s->nmods == MAX_MODULES)
		return NULL;
	snprintf(s->mods[s->nmods].path, sizeof(s->mods[0].path), "%s", path);
	return &s->mods[s->nmods++];
}

static int add_site(struct sites *s, const char *module, const char *symbol, int64_t delta,
		    int retprobe)
{
	struct module_sites *m = module_for(s, module);
	struct elf_file *ef;
	struct elf_func fn;
	int e;

	if (!m)
		return -E2BIG;
	e = elfsym_open(module, &ef);
	if (!e)
		e = elfsym_find_func(ef, symbol, &fn);
	elfsym_close(ef);
	if (e) {
		fprintf(stderr, "floor: cannot resolve %s in %s: %s\n", symbol, module,
			strerror(-e));
		return e;
	}
	/* A return probe shares its entry probe's site (heapscope puts it where k = 0). */
	for (int kind = 0; kind <= retprobe; kind++) {
		if (m->n[kind] == MAX_SITES)
			return -E2BIG;
		m->offsets[kind][m->n[kind]] = fn.file_offset + (uint64_t)delta;
		m->cookies[kind][m->n[kind]++] = (uint64_t)kind;
		s->total++;
	}
	return 0;
}

static int read_sites(const char *db_path, struct sites *s)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, e = 0;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT module, symbol, offset, retprobe FROM probes ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "floor: cannot read the probes table of %s: %s\n", db_path,
			sqlite3_errmsg(db));
		e = -EINVAL;
		goto out;
	}
	while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
		e = add_site(s, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
			     sqlite3_column_int(st, 3));
	if (!e && !s->total) {
		fprintf(stderr, "floor: %s lists no probes\n", db_path);
		e = -ENOENT;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}

static int attach_sites(struct floor_bpf *skel, const struct sites *s, pid_t pid, int *fds,
			int *nfds)
{
	for (int i = 0; i < s->nmods; i++) {
		for (int kind = 0; kind < 2; kind++) {
			const struct module_sites *m = &s->mods[i];
			int fd;

			if (!m->n[kind])
				continue;
			fd = probes_link_multi(bpf_program__fd(skel->progs.count_hit), pid, m->path,
					       m->offsets[kind], m->cookies[kind], m->n[kind],
					       kind);
			if (fd < 0) {
				fprintf(stderr, "floor: cannot attach %u %s probes to %s: %s\n",
					m->n[kind], kind ? "return" : "entry", m->path,
					strerror(-fd));
				return fd;
			}
			fds[(*nfds)++] = fd;
		}
	}
	return 0;
}

/* Forks the command, stopped on a pipe read before exec; *go is the pipe's write end. */
static int spawn_held(char **argv, pid_t *pid, int *go)
{
	int fds[2];
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(127); /* the loader failed: never run untraced */
		execvp(argv[0], argv);
		fprintf(stderr, "floor: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	return 0;
}

static void print_hits(struct floor_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[512], sum[2] = { 0, 0 };

	for (uint32_t k = 0; k < 2 && ncpu > 0 && ncpu <= 512; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum[k] += vals[c];
	}
	fprintf(stderr, "floor: entry_hits=%llu return_hits=%llu\n", (unsigned long long)sum[0],
		(unsigned long long)sum[1]);
}

int main(int argc, char **argv)
{
	static struct sites sites;
	struct floor_bpf *skel = NULL;
	int fds[2 * MAX_MODULES], nfds = 0, go = -1, status = 0, e;
	pid_t pid = -1;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: floor RECORDING.db -- CMD [ARGS...]\n");
		return 2;
	}
	e = read_sites(argv[1], &sites);
	if (e)
		return 1;
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object\n");
		return 1;
	}
	e = bpf_program__set_expected_attach_type(skel->progs.count_hit, PROBES_UPROBE_MULTI);
	if (!e)
		e = floor_bpf__load(skel);
	if (e) {
		fprintf(stderr, "floor: cannot load the BPF program: %s (run as root)\n",
			strerror(-e));
		goto cleanup;
	}
	e = spawn_held(argv + 3, &pid, &go);
	if (!e)
		e = attach_sites(skel, &sites, pid, fds, &nfds);
	if (e)
		goto cleanup;
	fprintf(stderr, "floor: %d probes on pid %d\n", sites.total, (int)pid);
	if (write(go, "g", 1) != 1) {
		e = -errno;
		goto cleanup;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	print_hits(skel);
cleanup:
	if (go >= 0)
		close(go); /* a child still held sees EOF and exits without running */
	if (pid > 0)
		waitpid(pid, NULL, 0);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	floor_bpf__destroy(skel);
	if (e)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
