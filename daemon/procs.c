/* /proc, read fresh at each request: a process list is a snapshot, so nothing is cached. */
#include "daemon/procs.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/json.h"

struct proc_info {
	int pid;
	char user[64];
	char command[1024];
	int64_t rss_bytes;
	const char *allocator;
};

static int read_cmdline(int pid, char *out, size_t len)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(out, 1, len - 1, f);
	fclose(f);
	while (n > 0 && out[n - 1] == 0)
		n--;
	for (size_t i = 0; i < n; i++)
		if (out[i] == 0)
			out[i] = ' ';
	out[n] = 0;
	return n > 0;
}

static void read_user(int pid, char *out, size_t len)
{
	char path[64], buf[1024];
	struct passwd pw, *res = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	snprintf(out, len, "?");
	if (stat(path, &st))
		return;
	if (!getpwuid_r(st.st_uid, &pw, buf, sizeof(buf), &res) && res)
		snprintf(out, len, "%s", pw.pw_name);
	else
		snprintf(out, len, "%u", (unsigned)st.st_uid);
}

static int64_t read_rss(int pid)
{
	char path[64];
	long long size, resident;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%lld %lld", &size, &resident);
	fclose(f);
	return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

/* The first allocator library mapped; glibc's malloc when only libc is. */
static const char *read_allocator(int pid)
{
	static const struct {
		const char *lib, *name;
	} libs[] = { { "/libjemalloc", "jemalloc" },
		     { "/libtcmalloc", "tcmalloc" },
		     { "/libmimalloc", "mimalloc" } };
	char path[64], line[PATH_MAX + 128];
	const char *found = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
			if (strstr(line, libs[i].lib)) {
				fclose(f);
				return libs[i].name;
			}
		if (!found && strstr(line, "/libc.so.6"))
			found = "glibc";
	}
	fclose(f);
	return found;
}

static int read_proc(int pid, struct proc_info *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (!read_cmdline(pid, p->command, sizeof(p->command)))
		return 0;
	read_user(pid, p->user, sizeof(p->user));
	p->rss_bytes = read_rss(pid);
	p->allocator = read_allocator(pid);
	return 1;
}

static int numeric(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int by_pid(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Every pid of /proc, sorted. */
static int list_pids(int **out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int *pids = NULL, n = 0, cap = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!numeric(de->d_name))
			continue;
		if (n == cap) {
			int *p = realloc(pids, (size_t)(cap = cap ? 2 * cap : 512) * sizeof(*p));

			if (!p)
				break;
			pids = p;
		}
		pids[n++] = atoi(de->d_name);
	}
	closedir(d);
	qsort(pids, (size_t)n, sizeof(*pids), by_pid);
	*out = pids;
	return n;
}

static const struct catalog_entry *recording_of(const struct catalog_entry *recs, int n, int pid,
						int *is_recorder)
{
	*is_recorder = 0;
	for (int i = 0; i < n; i++) {
		if (recs[i].state != CAT_RUNNING)
			continue;
		if (recs[i].child == pid)
			*is_recorder = 1;
		if (recs[i].pid == pid)
			return &recs[i];
	}
	return NULL;
}

static void proc_json(struct json *j, const struct proc_info *p, const struct catalog_entry *rec,
		      int heapscope)
{
	json_obj_begin(j);
	json_kv_int(j, "pid", p->pid);
	json_kv_str(j, "user", p->user);
	json_kv_str(j, "command", p->command);
	json_kv_int(j, "rss_bytes", p->rss_bytes);
	json_kv_str(j, "allocator", p->allocator);
	json_kv_str(j, "recording", rec ? rec->id : NULL);
	json_kv_bool(j, "heapscope", heapscope);
	json_obj_end(j);
}

void procs_json(struct json *j, struct catalog *c)
{
	struct catalog_entry *recs = NULL;
	int nrecs = catalog_snapshot(c, &recs), *pids = NULL, n = list_pids(&pids);

	json_obj_begin(j);
	json_key(j, "processes");
	json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		struct proc_info p;
		int recorder;
		const struct catalog_entry *rec;

		if (!read_proc(pids[i], &p))
			continue;
		rec = recording_of(recs, nrecs > 0 ? nrecs : 0, p.pid, &recorder);
		proc_json(j, &p, rec, recorder || p.pid == getpid());
	}
	json_arr_end(j);
	json_obj_end(j);
	free(pids);
	free(nrecs >= 0 ? recs : NULL);
}
