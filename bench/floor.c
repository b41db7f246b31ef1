/* The benchmark floor's loader: attaches a hit counter to the probe sites a heapscope recording
 * lists, launches a command held before exec (or attaches to a running process), and prints how
 * many hits each kind of probe took and what the program cost (kernel BPF statistics).
 *
 * usage: floor [--only SYM[,SYM...]] RECORDING.db (-- CMD [ARGS...] | -p PID)
 * --only: entry probes on those symbols only, at the offsets heapscope chose (the "floor2" of
 * `make bench`: malloc and free entries). -p: runs until PID exits or floor gets SIGINT/SIGTERM.
 * The command's own output passes through; floor's summary goes to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
	const char *only; /* NULL, or ",sym,sym," whose entries alone are probed */
};

static int wanted(const struct sites *s, const char *symbol)
{
	char key[256];

	if (!s->only)
		return 1;
	snprintf(key, sizeof(key), ",%s,", symbol);
	return strstr(s->only, key) != NULL;
}

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
	struct module_sites *m;
	struct elf_file *ef;
	struct elf_func fn;
	int e;

	if (!wanted(s, symbol))
		return 0;
	if (s->only)
		retprobe = 0;
	m = module_for(s, module);
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

/* The kernel's statistics of the program (zero unless kernel.bpf_stats_enabled=1). */
static void print_cost(struct floor_bpf *skel)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.count_hit), &info, &len))
		return;
	fprintf(stderr, "floor: runs=%llu run_time_ns=%llu\n", (unsigned long long)info.run_cnt,
		(unsigned long long)info.run_time_ns);
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* -p: until pid exits or a SIGINT/SIGTERM, which are blocked outside ppoll so none is missed. */
static int wait_attached(pid_t pid, const sigset_t *old)
{
	struct pollfd pfd = { .events = POLLIN };

	pfd.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd < 0)
		return -errno;
	while (!stop && ppoll(&pfd, 1, NULL, old) < 0 && errno == EINTR)
		;
	close(pfd.fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct sites sites;
	static char only[512];
	struct sigaction sa = { .sa_handler = on_stop };
	struct floor_bpf *skel = NULL;
	int fds[2 * MAX_MODULES], nfds = 0, go = -1, status = 0, e;
	pid_t pid = -1, attach_pid = 0;
	sigset_t stops, old;

	if (argc > 2 && !strcmp(argv[1], "--only")) {
		snprintf(only, sizeof(only), ",%s,", argv[2]);
		sites.only = only;
		argc -= 2;
		argv += 2;
	}
	if (argc == 4 && !strcmp(argv[2], "-p"))
		attach_pid = (pid_t)atoi(argv[3]);
	if (argc < 4 || (strcmp(argv[2], "--") && attach_pid <= 0)) {
		fprintf(stderr,
			"usage: floor [--only SYM[,SYM...]] RECORDING.db (-- CMD [ARGS...] | -p PID)\n");
		return 2;
	}
	e = read_sites(argv[1], &sites);
	if (e)
		return 1;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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
	if (attach_pid) {
		e = attach_sites(skel, &sites, attach_pid, fds, &nfds);
		if (e)
			goto cleanup;
		fprintf(stderr, "floor: %d probes on pid %d\n", sites.total, (int)attach_pid);
		e = wait_attached(attach_pid, &old);
		if (e) {
			fprintf(stderr, "floor: cannot watch pid %d: %s\n", (int)attach_pid,
				strerror(-e));
			goto cleanup;
		}
		print_hits(skel);
		print_cost(skel);
		goto cleanup;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
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
	print_cost(skel);
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
