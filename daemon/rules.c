/* Continuous recording by rule: each tick scans /proc for processes a rule matches (by comm, by
 * cgroup v2 path prefix) and starts a window for each one the rule is not recording; a window
 * ends by its recorder's --duration, and its end brings the next tick at once (rotation). A
 * start does not wait for the recorder to attach (1-2 s, more on a big process: every other
 * rule would wait): the catalog tells later whether it did. Old windows are deleted beyond
 * keep / keep_bytes, and ended ones are queued for their push. */
#include "daemon/rules.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/push.h"

#define BACKOFF_FIRST_S 30  /* after a pid could not be recorded */
#define BACKOFF_MAX_S 600   /* doubling up to this */
#define BACKOFF_MAX 256	    /* pids backed off at once; the oldest entry is reused */
#define PUSH_STOP_WAIT_MS 5000

/* A pid a rule failed to record: not tried again before retry_ns. */
struct backoff {
	int rule; /* index in rules.v */
	int pid;
	int64_t retry_ns; /* CLOCK_MONOTONIC */
	int delay_s;
};

/* Touched by the main loop only: rules_tick, and rules_on_attach and rules_on_end, which
 * catalog_reap calls there; the push queue has its own lock. */
struct rules {
	struct catalog *cat;
	struct config_rule v[CONFIG_RULES_MAX];
	int n;
	int uses_cgroup;      /* any rule matches by cgroup: read /proc/PID/cgroup */
	int limit_said;	      /* the running_max / quota refusal was logged (until a start works) */
	int window_ended;     /* a window ended since the last tick: start the next one now */
	pid_t self;
	char self_exe[PATH_MAX]; /* another heapscope (a recorder, `record`) is never recorded */
	struct backoff backoffs[BACKOFF_MAX];
	int nbackoffs;
	struct push *push; /* NULL when no rule pushes */
};

/* What the scan knows of one process. */
struct proc_seen {
	int pid, ppid;
	char comm[64];
	char cgroup[512]; /* the cgroup v2 path ("0::/path"), "" if not read or none */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rules_start(const struct config *cfg, struct catalog *c, struct rules **out)
{
	struct rules *r = calloc(1, sizeof(*r));
	ssize_t n;
	int need_push = 0, e;

	if (!r)
		return -ENOMEM;
	r->cat = c;
	r->n = cfg->nrules;
	memcpy(r->v, cfg->rules, sizeof(r->v[0]) * (size_t)cfg->nrules);
	r->self = getpid();
	n = readlink("/proc/self/exe", r->self_exe, sizeof(r->self_exe) - 1);
	r->self_exe[n > 0 ? n : 0] = '\0';
	for (int i = 0; i < r->n; i++) {
		r->uses_cgroup |= r->v[i].cgroup[0] != '\0';
		need_push |= r->v[i].push_url[0] != '\0';
	}
	if (need_push && (e = push_start(&r->push))) {
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

void rules_stop(struct rules *r)
{
	if (!r)
		return;
	push_stop(r->push, PUSH_STOP_WAIT_MS);
	free(r);
}

/* /proc/PID/stat's comm (between the first '(' and the last ')': it may hold both) and ppid;
 * -ESRCH for a zombie. */
static int read_stat(int pid, struct proc_seen *p)
{
	char path[64], buf[512], *open, *close, state;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open || sscanf(close + 1, " %c %d", &state, &p->ppid) != 2)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH; /* exited, not yet reaped by its parent: nothing to attach to */
	snprintf(p->comm, sizeof(p->comm), "%.*s", (int)(close - open - 1), open + 1);
	return 0;
}

/* The cgroup v2 line of /proc/PID/cgroup, "0::/path". */
static void read_cgroup(int pid, char *out, size_t len)
{
	char path[64], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + 3);
			break;
		}
	fclose(f);
}

/* The rule's cgroup is a prefix of the process's path at a path boundary: /a/b matches /a/b and
 * /a/b/c, not /a/bc. */
static int cgroup_matches(const char *rule, const char *path)
{
	size_t n = strlen(rule);

	if (strncmp(path, rule, n))
		return 0;
	return rule[n - 1] == '/' || path[n] == '\0' || path[n] == '/';
}

static int rule_matches(const struct config_rule *rule, const struct proc_seen *p)
{
	if (rule->comm[0] && strcmp(rule->comm, p->comm))
		return 0;
	return !rule->cgroup[0] || (p->cgroup[0] && cgroup_matches(rule->cgroup, p->cgroup));
}

/* Two /proc/PID/exe links name one program, also after it was rebuilt or upgraded in place
 * (the running one reads "PATH (deleted)"). */
static int same_exe(const char *a, const char *b)
{
	static const char deleted[] = " (deleted)";
	size_t la = strlen(a), lb = strlen(b), ld = sizeof(deleted) - 1;

	if (la > ld && !strcmp(a + la - ld, deleted))
		la -= ld;
	if (lb > ld && !strcmp(b + lb - ld, deleted))
		lb -= ld;
	return la == lb && !strncmp(a, b, la);
}

/* The daemon, its recorders (its children) and any other heapscope are never recorded. */
static int is_heapscope(const struct rules *r, const struct proc_seen *p)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	if (p->pid == r->self || p->ppid == r->self)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	return r->self_exe[0] && same_exe(exe, r->self_exe);
}

/* Any running recording of pid (by any rule or by hand), or a recorder that is pid. */
static int being_recorded(const struct catalog_entry *recs, int n, int pid)
{
	for (int i = 0; i < n; i++)
		if (recs[i].state == CAT_RUNNING && (recs[i].pid == pid || recs[i].child == pid))
			return 1;
	return 0;
}

static struct backoff *backoff_of(struct rules *r, int rule, int pid)
{
	for (int i = 0; i < r->nbackoffs; i++)
		if (r->backoffs[i].rule == rule && r->backoffs[i].pid == pid)
			return &r->backoffs[i];
	return NULL;
}

static void forget_backoff(struct rules *r, struct backoff *b)
{
	if (b)
		*b = r->backoffs[--r->nbackoffs];
}

/* The next delay for (rule, pid): 30 s, doubling to 10 min. */
static int back_off(struct rules *r, int rule, int pid)
{
	struct backoff *b = backoff_of(r, rule, pid);

	if (!b) {
		int oldest = 0;

		for (int i = 1; i < r->nbackoffs; i++)
			if (r->backoffs[i].retry_ns < r->backoffs[oldest].retry_ns)
				oldest = i;
		b = r->nbackoffs < BACKOFF_MAX ? &r->backoffs[r->nbackoffs++] : &r->backoffs[oldest];
		*b = (struct backoff){ .rule = rule, .pid = pid };
	}
	b->delay_s = b->delay_s ? b->delay_s * 2 : BACKOFF_FIRST_S;
	if (b->delay_s > BACKOFF_MAX_S)
		b->delay_s = BACKOFF_MAX_S;
	b->retry_ns = mono_ns() + (int64_t)b->delay_s * 1000000000;
	return b->delay_s;
}

/* Rule i cannot record pid (comm): said once per attempt, and the pid backed off. */
static void start_failed(struct rules *r, int i, int pid, const char *comm, const char *why)
{
	fprintf(stderr, "heapscope: rule %s: cannot record pid %d (%s): %s; retry in %d s\n",
		r->v[i].name, pid, comm, why, back_off(r, i, pid));
}

/* Drops the entries of processes that are gone. */
static void prune_backoffs(struct rules *r)
{
	for (int i = 0; i < r->nbackoffs;)
		if (kill(r->backoffs[i].pid, 0) && errno == ESRCH)
			forget_backoff(r, &r->backoffs[i]);
		else
			i++;
}

/* Starts rule i's next window of p, without waiting for the attach (rules_on_attach says how
 * it went). -EBUSY / -EDQUOT: a limit of the whole daemon, nothing more can start this tick. */
static int start_window(struct rules *r, int i, const struct proc_seen *p)
{
	const struct config_rule *rule = &r->v[i];
	struct catalog_request rq = { .pid = p->pid,
				      .duration_s = rule->window_s,
				      .stack = rule->stack,
				      .sample_bytes = rule->sample_bytes,
				      .rule = rule->name,
				      .no_wait = 1 };
	char id[CATALOG_ID_MAX], err[512];
	int e = catalog_start(r->cat, &rq, id, err, sizeof(err));

	if (!e) {
		r->limit_said = 0;
	} else if (e == -EBUSY || e == -EDQUOT) {
		if (!r->limit_said)
			fprintf(stderr, "heapscope: rule %s: cannot record pid %d (%s) now: %s; "
				"retrying every second\n", rule->name, p->pid, p->comm, err);
		r->limit_said = 1;
	} else {
		start_failed(r, i, p->pid, p->comm, err);
	}
	return e;
}

/* Starts the windows p needs. -EBUSY / -EDQUOT as start_window. */
static int start_matching(struct rules *r, const struct proc_seen *p,
			  const struct catalog_entry *recs, int nrecs, int64_t now)
{
	int checked_self = 0;

	for (int i = 0; i < r->n; i++) {
		const struct backoff *b;
		int e;

		if (!rule_matches(&r->v[i], p))
			continue;
		if (!checked_self++ && (is_heapscope(r, p) || being_recorded(recs, nrecs, p->pid)))
			return 0;
		b = backoff_of(r, i, p->pid);
		if (b && now < b->retry_ns)
			continue;
		e = start_window(r, i, p);
		if (e == -EBUSY || e == -EDQUOT)
			return e;
		if (!e)
			return 0; /* one recording per process: the catalog refuses a second one */
	}
	return 0;
}

static int numeric(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* One pass over /proc: windows for matching processes not being recorded. */
static void scan_processes(struct rules *r, const struct catalog_entry *recs, int nrecs)
{
	DIR *d = opendir("/proc");
	int64_t now = mono_ns();
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct proc_seen p = { .pid = numeric(de->d_name) ? atoi(de->d_name) : 0 };

		if (!p.pid || read_stat(p.pid, &p) || p.ppid == 2 || p.pid == 2)
			continue; /* gone, or a kernel thread (kthreadd's children) */
		if (r->uses_cgroup)
			read_cgroup(p.pid, p.cgroup, sizeof(p.cgroup));
		if (start_matching(r, &p, recs, nrecs, now))
			break;
	}
	closedir(d);
}

/* Rule i's ended windows beyond keep or keep_bytes, oldest first; the newest is always kept. */
static void apply_retention(struct rules *r, int i, const struct catalog_entry *recs, int n)
{
	const struct config_rule *rule = &r->v[i];
	int64_t bytes = 0;
	int count = 0;

	for (int k = 0; k < n; k++)
		if (recs[k].state != CAT_RUNNING && !strcmp(recs[k].rule, rule->name))
			count++, bytes += recs[k].size_bytes;
	for (int k = 0; k < n && count > 1; k++) {
		if (recs[k].state == CAT_RUNNING || strcmp(recs[k].rule, rule->name))
			continue;
		if (!(rule->keep && count > rule->keep) &&
		    !(rule->keep_bytes && bytes > rule->keep_bytes))
			break;
		/* -ENOENT: deleted meanwhile (by hand, through the API) */
		if (catalog_delete(r->cat, recs[k].id) == 0)
			fprintf(stderr, "heapscope: rule %s: deleted window %s (retention)\n",
				rule->name, recs[k].id);
		count--, bytes -= recs[k].size_bytes;
	}
}

void rules_tick(struct rules *r)
{
	struct catalog_entry *recs = NULL;
	int n;

	r->window_ended = 0;
	if (!r->n)
		return;
	n = catalog_list(r->cat, &recs);
	if (n < 0)
		return;
	for (int i = 0; i < r->n; i++)
		apply_retention(r, i, recs, n);
	prune_backoffs(r);
	scan_processes(r, recs, n);
	free(recs);
}

int rules_window_ended(const struct rules *r)
{
	return r && r->window_ended;
}

/* The index of the rule named name, or -1. */
static int rule_index(const struct rules *r, const char *name)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return i;
	return -1;
}

void rules_on_attach(void *ctx, const struct catalog_entry *e, int err, const char *msg)
{
	struct rules *r = ctx;
	struct proc_seen p = { .pid = e->pid };
	int i = rule_index(r, e->rule);

	if (i < 0)
		return;
	if (!err) {
		forget_backoff(r, backoff_of(r, i, e->pid));
		return;
	}
	if (read_stat(e->pid, &p))
		snprintf(p.comm, sizeof(p.comm), "exited");
	start_failed(r, i, e->pid, p.comm, msg);
}

void rules_on_end(void *ctx, const struct catalog_entry *e, const char *db_path)
{
	struct rules *r = ctx;
	int i = e->rule[0] ? rule_index(r, e->rule) : -1;
	const struct config_rule *rule = i >= 0 ? &r->v[i] : NULL;
	struct push_job job = { .pid = e->pid };

	r->window_ended |= rule != NULL;
	if (!rule || !rule->push_url[0] || !r->push)
		return;
	if (e->state != CAT_ENDED) {
		fprintf(stderr, "heapscope: rule %s: window %s not pushed: its recorder stopped "
			"without finishing it\n", rule->name, e->id);
		return;
	}
	snprintf(job.id, sizeof(job.id), "%s", e->id);
	snprintf(job.rule, sizeof(job.rule), "%s", rule->name);
	snprintf(job.db_path, sizeof(job.db_path), "%s", db_path);
	snprintf(job.url, sizeof(job.url), "%s", rule->push_url);
	snprintf(job.format, sizeof(job.format), "%s", rule->push_format);
	push_queue(r->push, &job);
}
