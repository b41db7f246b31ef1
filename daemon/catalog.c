/* The recordings of a data dir and their recorder children. A recorder is `heapscope record -p
 * PID` in its own process (and process group): a crash in one never takes the daemon or the
 * others down, and SIGINT gives the clean cut `record` makes on Ctrl-C. What the daemon alone
 * knows of a recording (its rule, when it started it) is kept beside it in ID.meta, so a
 * restarted daemon finds everything again. */
#include "daemon/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/analysis.h"

#define ATTACH_WAIT_MS 30000 /* a recorder attaching to a big process reads many symbol tables */
#define DELETE_WAIT_MS 10000
#define POLL_MS 20

extern char **environ;

struct rec {
	struct catalog_entry e;
	int ended_reported; /* on_end was called */
	int attaching;	    /* spawned, its log does not say it attached yet */
	int notify_attach;  /* a no_wait start: catalog_reap tells on_attach how it went */
	int64_t spawn_ms;   /* CLOCK_MONOTONIC */
	/* A recorder of an earlier daemon (killed without stopping it): not our child, so it is
	 * watched with kill(pid, 0) instead of waitpid. */
	int adopted;
};

struct catalog {
	pthread_mutex_t lock;
	char dir[PATH_MAX - 64]; /* DATA/recordings; room left for "/ID.ext" */
	char self_exe[PATH_MAX];
	int running_max;
	int64_t quota_bytes;
	struct rec *recs; /* oldest first */
	int n, cap;
	catalog_end_fn on_end;
	void *on_end_ctx;
	catalog_attach_fn on_attach;
	void *on_attach_ctx;
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Ids appear in URLs and file names: letters, digits and '-' only. */
static int id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= CATALOG_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(id[i] == '-' || (id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')))
			return 0;
	return 1;
}

static void file_of(const struct catalog *c, const char *id, const char *ext, char *path,
		    size_t len)
{
	snprintf(path, len, "%s/%s%s", c->dir, id, ext);
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (int64_t)st.st_size;
}

static int64_t recording_size(const struct catalog *c, const char *id)
{
	char path[PATH_MAX];
	int64_t size;

	file_of(c, id, ".db", path, sizeof(path));
	size = file_size(path);
	file_of(c, id, ".db-wal", path, sizeof(path));
	return size + file_size(path);
}

static struct rec *find(struct catalog *c, const char *id)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->recs[i].e.id, id))
			return &c->recs[i];
	return NULL;
}

static struct rec *add(struct catalog *c, const char *id)
{
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 16;
		struct rec *r = realloc(c->recs, (size_t)cap * sizeof(*r));

		if (!r)
			return NULL;
		c->recs = r;
		c->cap = cap;
	}
	memset(&c->recs[c->n], 0, sizeof(c->recs[0]));
	snprintf(c->recs[c->n].e.id, CATALOG_ID_MAX, "%s", id);
	c->recs[c->n].e.exit_status = -1;
	return &c->recs[c->n++];
}

static void drop(struct catalog *c, struct rec *r)
{
	int i = (int)(r - c->recs);

	memmove(r, r + 1, (size_t)(c->n - i - 1) * sizeof(*r));
	c->n--;
}

/* ID.meta: "rule=NAME\npid=N\nstart_ns=N\nrecorder=N\n". */
static void write_meta(const struct catalog *c, const struct catalog_entry *e)
{
	char path[PATH_MAX];
	FILE *f;

	file_of(c, e->id, ".meta", path, sizeof(path));
	f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "rule=%s\npid=%d\nstart_ns=%" PRId64 "\nrecorder=%d\n", e->rule, e->pid,
		e->start_ns, (int)e->child);
	fclose(f);
}

static void read_meta(const struct catalog *c, struct catalog_entry *e)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	file_of(c, e->id, ".meta", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "rule=", 5))
			snprintf(e->rule, sizeof(e->rule), "%.*s", (int)sizeof(e->rule) - 1,
				 line + 5);
		else if (!strncmp(line, "pid=", 4))
			e->pid = atoi(line + 4);
		else if (!strncmp(line, "start_ns=", 9))
			e->start_ns = strtoll(line + 9, NULL, 10);
		else if (!strncmp(line, "recorder=", 9))
			e->child = atoi(line + 9);
	}
	fclose(f);
}

/* What the file says, or why it cannot be read; never under the lock: a reader may take a while
 * on a big recording (and waits up to 2 s for a lock on the file). */
static void read_stats(const char *path, struct catalog_stats *out)
{
	struct store_reader *r;
	struct an_summary s = { 0 };
	int e;

	memset(out, 0, sizeof(*out));
	if (store_reader_open(path, &r, out->error, sizeof(out->error)))
		return;
	e = an_summary(r, &s);
	if (e)
		snprintf(out->error, sizeof(out->error), "cannot read %s: %s", path,
			 e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	if (!e) {
		out->valid = 1;
		snprintf(out->command, sizeof(out->command), "%s", s.command ? s.command : "");
		snprintf(out->end_reason, sizeof(out->end_reason), "%s",
			 s.end_reason ? s.end_reason : "");
		out->sample_bytes = s.sample_bytes;
		out->duration_ns = s.duration_ns;
		out->allocs = s.allocs;
		out->frees = s.frees;
		out->live_blocks = s.live_blocks;
		out->live_bytes = s.live_bytes;
		out->errors = s.double_frees + s.invalid_frees;
		out->nprocs = (int64_t)s.nprocs;
		snprintf(out->stack, sizeof(out->stack), "%s", s.stacks.mode ? s.stacks.mode : "");
	}
	an_summary_free(&s);
	store_reader_close(r);
}

static enum catalog_state ended_state(const struct catalog_stats *s)
{
	if (!s->valid)
		return CAT_UNREADABLE;
	return strcmp(s->end_reason, "cut_short") ? CAT_ENDED : CAT_CUT_SHORT;
}

/* Found on disk: ended, cut short, or still written by a recorder the previous daemon left
 * running (the file has no end and its recorder is alive): that one is adopted, to be stopped
 * and watched like our own. */
static void adopt_or_end(struct rec *r)
{
	const struct catalog_stats *s = &r->e.stats;

	if (s->valid && !s->end_reason[0] && r->e.child > 0 && !kill(r->e.child, 0)) {
		r->e.state = CAT_RUNNING;
		r->adopted = 1;
		return;
	}
	r->e.child = 0;
	r->e.state = ended_state(s);
	r->ended_reported = 1;
}

static void scan_dir(struct catalog *c)
{
	DIR *d = opendir(c->dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char id[CATALOG_ID_MAX], path[PATH_MAX];
		struct rec *r;

		if (n < 4 || n - 3 >= CATALOG_ID_MAX || strcmp(de->d_name + n - 3, ".db"))
			continue;
		snprintf(id, sizeof(id), "%.*s", (int)(n - 3), de->d_name);
		if (!id_ok(id) || !(r = add(c, id)))
			continue;
		read_meta(c, &r->e);
		file_of(c, id, ".db", path, sizeof(path));
		read_stats(path, &r->e.stats);
		adopt_or_end(r);
		if (!r->e.start_ns) {
			struct stat st;

			if (!stat(path, &st))
				r->e.start_ns = (int64_t)st.st_mtim.tv_sec * 1000000000;
		}
	}
	closedir(d);
}

static int by_start(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->e.start_ns != y->e.start_ns)
		return x->e.start_ns < y->e.start_ns ? -1 : 1;
	return strcmp(x->e.id, y->e.id);
}

static int mkdir_private(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int catalog_open(const struct catalog_opts *o, struct catalog **out, char *err, size_t errlen)
{
	struct catalog *c = calloc(1, sizeof(*c));
	int e;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	if (strlen(o->data_dir) + 12 >= sizeof(c->dir)) {
		snprintf(err, errlen, "data directory path too long");
		free(c);
		return -ENAMETOOLONG;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/recordings", o->data_dir);
	snprintf(c->self_exe, sizeof(c->self_exe), "%s", o->self_exe);
	c->running_max = o->running_max > 0 ? o->running_max : CATALOG_RUNNING_MAX;
	c->quota_bytes = o->quota_bytes;
	e = mkdir_private(o->data_dir);
	if (!e)
		e = mkdir_private(c->dir);
	if (e) {
		snprintf(err, errlen, "cannot create %s: %s", c->dir, strerror(-e));
		catalog_close(c);
		return e;
	}
	scan_dir(c);
	if (c->n > 1) /* recs is NULL in an empty data dir: not for qsort, even for 0 */
		qsort(c->recs, (size_t)c->n, sizeof(c->recs[0]), by_start);
	*out = c;
	return 0;
}

void catalog_close(struct catalog *c)
{
	if (!c)
		return;
	catalog_stop_all(c, DELETE_WAIT_MS);
	pthread_mutex_destroy(&c->lock);
	free(c->recs);
	free(c);
}

static void new_id(const struct catalog *c, char id[CATALOG_ID_MAX])
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[20];
	unsigned short rnd = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	do {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd++;
		snprintf(id, CATALOG_ID_MAX, "%s-%04x", stamp, rnd);
	} while (find((struct catalog *)c, id));
}

static int count_running(const struct catalog *c)
{
	int n = 0;

	for (int i = 0; i < c->n; i++)
		n += c->recs[i].e.state == CAT_RUNNING;
	return n;
}

static int64_t total_size(const struct catalog *c)
{
	int64_t sum = 0;

	for (int i = 0; i < c->n; i++)
		sum += recording_size(c, c->recs[i].e.id);
	return sum;
}

static int check_request(const struct catalog_request *r, char *err, size_t errlen)
{
	const char *stack = r->stack ? r->stack : "dwarf";

	if (r->pid <= 0 || r->pid == getpid()) {
		snprintf(err, errlen, "pid %d: not a process heapscope can record", r->pid);
		return -EINVAL;
	}
	if (strcmp(stack, "dwarf") && strcmp(stack, "fp") && strcmp(stack, "caller")) {
		snprintf(err, errlen, "stack must be dwarf, fp or caller, not '%s'", stack);
		return -EINVAL;
	}
	if (!(r->duration_s >= 0 && r->duration_s <= 1e7) || r->sample_bytes < 0) {
		snprintf(err, errlen, "duration must be 0..1e7 seconds, sample 0 or more bytes");
		return -EINVAL;
	}
	if (kill(r->pid, 0) && errno == ESRCH) {
		snprintf(err, errlen, "no process %d", r->pid);
		return -ESRCH;
	}
	return 0;
}

/* Refused under the lock: a recorder of the same pid, the limits. */
static int check_limits(const struct catalog *c, const struct catalog_request *r, char *err,
			size_t errlen)
{
	for (int i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->recs[i].e;

		if (e->state == CAT_RUNNING && e->child == r->pid) {
			snprintf(err, errlen, "pid %d is one of heapscope's recorders", r->pid);
			return -EINVAL;
		}
		if (e->state == CAT_RUNNING && e->pid == r->pid) {
			snprintf(err, errlen, "pid %d is already being recorded (%s)", r->pid,
				 e->id);
			return -EBUSY;
		}
	}
	if (count_running(c) >= c->running_max) {
		snprintf(err, errlen, "%d recordings run already: the limit (running_max)",
			 c->running_max);
		return -EBUSY;
	}
	if (c->quota_bytes && total_size(c) >= c->quota_bytes) {
		snprintf(err, errlen, "the data directory's quota (%" PRId64 " bytes) is used up: "
			 "delete recordings first", c->quota_bytes);
		return -EDQUOT;
	}
	return 0;
}

static int spawn_recorder(const struct catalog *c, const char *id,
			  const struct catalog_request *r, pid_t *child)
{
	char db[PATH_MAX], log[PATH_MAX], pid[16], dur[32], sample[32];
	char *argv[16];
	int a = 0, e;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;

	file_of(c, id, ".db", db, sizeof(db));
	file_of(c, id, ".log", log, sizeof(log));
	snprintf(pid, sizeof(pid), "%d", r->pid);
	snprintf(dur, sizeof(dur), "%g", r->duration_s);
	snprintf(sample, sizeof(sample), "%" PRId64, r->sample_bytes);
	argv[a++] = (char *)c->self_exe;
	argv[a++] = "record";
	argv[a++] = "-p";
	argv[a++] = pid;
	argv[a++] = "-o";
	argv[a++] = db;
	argv[a++] = "--stack";
	argv[a++] = (char *)(r->stack ? r->stack : "dwarf");
	if (r->duration_s > 0) {
		argv[a++] = "--duration";
		argv[a++] = dur;
	}
	if (r->sample_bytes > 0) {
		argv[a++] = "--sample";
		argv[a++] = sample;
	}
	argv[a] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	/* Its own process group: a Ctrl-C at the daemon's terminal is the daemon's to handle. */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	e = -posix_spawn(child, c->self_exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return e;
}

/* A recorder seen running under the lock, looked at again outside it. */
struct exit_check {
	char id[CATALOG_ID_MAX];
	pid_t child;
	int adopted;
	struct catalog_stats stats; /* read once it has exited */
};

/* Outside the lock: has x's recorder exited? Its file is final then, and read now. A child of
 * ours is only looked at (WNOWAIT): it stays a zombie, its pid not reused, until publish_exit
 * reaps it under the lock. */
static int check_exit(const struct catalog *c, struct exit_check *x)
{
	siginfo_t si = { 0 };
	char path[PATH_MAX];

	if (x->adopted) {
		if (!kill(x->child, 0) || errno != ESRCH)
			return 0;
	} else if (waitid(P_PID, (id_t)x->child, &si, WEXITED | WNOHANG | WNOWAIT) ||
		   si.si_pid != x->child) {
		return 0;
	}
	file_of(c, x->id, ".db", path, sizeof(path));
	read_stats(path, &x->stats);
	return 1;
}

/* Under the lock: x's recording, if it is still the running one x saw, has ended. Another
 * thread may have published it first: then its child is reaped already and this is a no-op. */
static void publish_exit(struct catalog *c, const struct exit_check *x)
{
	struct rec *r = find(c, x->id);
	int status = -1;

	if (!r || r->e.state != CAT_RUNNING || r->e.child != x->child || r->adopted != x->adopted)
		return;
	if (!r->adopted && waitpid(x->child, &status, WNOHANG) != x->child)
		return;
	r->e.exit_status = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->e.child = 0;
	r->e.stats = x->stats;
	r->e.state = ended_state(&r->e.stats);
}

/* Reaps the recorders (of id only, unless NULL) that have exited: what their files say is read
 * outside the lock (the summary of a big recording takes a while, and every API call takes the
 * lock), then published under it. */
static void reap(struct catalog *c, const char *id)
{
	struct exit_check *xs;
	int n = 0, nexited = 0;

	pthread_mutex_lock(&c->lock);
	xs = malloc((size_t)(count_running(c) + 1) * sizeof(*xs));
	for (int i = 0; xs && i < c->n; i++) {
		const struct rec *r = &c->recs[i];

		if (r->e.state != CAT_RUNNING || (id && strcmp(r->e.id, id)))
			continue;
		snprintf(xs[n].id, sizeof(xs[n].id), "%s", r->e.id);
		xs[n].child = r->e.child;
		xs[n++].adopted = r->adopted;
	}
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++)
		if (check_exit(c, &xs[i]) && nexited++ != i)
			xs[nexited - 1] = xs[i];
	if (nexited) {
		pthread_mutex_lock(&c->lock);
		for (int i = 0; i < nexited; i++)
			publish_exit(c, &xs[i]);
		pthread_mutex_unlock(&c->lock);
	}
	free(xs);
}

/* The recorder's last line of output: why it stopped before attaching. */
static void last_log_line(const struct catalog *c, const char *id, char *out, size_t len)
{
	char path[PATH_MAX], line[1024];
	FILE *f;

	snprintf(out, len, "the recorder exited before attaching");
	file_of(c, id, ".log", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(out, len, "%s",
				 strncmp(line, "heapscope: ", 11) ? line : line + 11);
	}
	fclose(f);
}

/* The recorder says "heapscope: recording pid N ..." once its probes are attached. */
static int log_says_attached(const struct catalog *c, const char *id)
{
	char path[PATH_MAX], line[1024];
	int found = 0;
	FILE *f;

	file_of(c, id, ".log", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "heapscope: recording pid ", 25);
	fclose(f);
	return found;
}

static void remove_files(const struct catalog *c, const char *id)
{
	static const char *const exts[] = { ".db", ".db-wal", ".db-shm", ".log", ".meta",
					    ".db.tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		file_of(c, id, exts[i], path, sizeof(path));
		unlink(path);
	}
}

/* Has the recorder of id attached? 1: yes (or still attaching after ATTACH_WAIT_MS: it shows as
 * running, and says later what became of it); 0: not yet; -ECHILD: it exited first, err says
 * why, and the recording and its files are gone; -ENOENT: deleted meanwhile. */
static int attach_state(struct catalog *c, const char *id, char *err, size_t errlen)
{
	struct rec *r;
	int attached, e = 0;

	reap(c, id);
	/* After the reap: a recorder seen exited has written its whole log. */
	attached = log_says_attached(c, id);
	pthread_mutex_lock(&c->lock);
	r = find(c, id);
	if (!r) {
		snprintf(err, errlen, "the recording was deleted while its recorder attached");
		e = -ENOENT;
	} else if (attached ||
		   (r->e.state == CAT_RUNNING && mono_ms() - r->spawn_ms >= ATTACH_WAIT_MS)) {
		r->attaching = 0;
		e = 1;
	} else if (r->e.state != CAT_RUNNING) {
		last_log_line(c, id, err, errlen);
		remove_files(c, id);
		drop(c, r);
		e = -ECHILD;
	}
	pthread_mutex_unlock(&c->lock);
	return e;
}

/* 0 once attached; the recorder's error (and no trace of it) if it exited first. */
static int wait_attached(struct catalog *c, const char *id, char *err, size_t errlen)
{
	int e;

	while (!(e = attach_state(c, id, err, errlen)))
		sleep_ms(POLL_MS);
	return e > 0 ? 0 : e;
}

int catalog_start(struct catalog *c, const struct catalog_request *rq, char id[CATALOG_ID_MAX],
		  char *err, size_t errlen)
{
	struct rec *r;
	pid_t child;
	int e = check_request(rq, err, errlen);

	if (e)
		return e;
	pthread_mutex_lock(&c->lock);
	e = check_limits(c, rq, err, errlen);
	if (!e) {
		new_id(c, id);
		e = spawn_recorder(c, id, rq, &child);
		if (e)
			snprintf(err, errlen, "cannot run %s: %s", c->self_exe, strerror(-e));
	}
	if (!e && !(r = add(c, id))) {
		kill(child, SIGKILL);
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	}
	if (!e) {
		r->e.state = CAT_RUNNING;
		r->e.pid = rq->pid;
		r->e.child = child;
		r->e.start_ns = wall_ns();
		r->attaching = 1;
		r->notify_attach = rq->no_wait;
		r->spawn_ms = mono_ms();
		snprintf(r->e.rule, sizeof(r->e.rule), "%s", rq->rule ? rq->rule : "");
		write_meta(c, &r->e);
	}
	pthread_mutex_unlock(&c->lock);
	if (e || rq->no_wait)
		return e;
	return wait_attached(c, id, err, errlen);
}

int catalog_stop(struct catalog *c, const char *id)
{
	struct rec *r;
	int e = 0;

	pthread_mutex_lock(&c->lock);
	r = find(c, id);
	if (!r)
		e = -ENOENT;
	else if (r->e.state != CAT_RUNNING)
		e = -EALREADY;
	else
		kill(r->e.child, SIGINT);
	pthread_mutex_unlock(&c->lock);
	return e;
}

/* Under no lock: waits for the recorder of id to exit, SIGKILL after timeout_ms. */
static void wait_stopped(struct catalog *c, const char *id, int timeout_ms)
{
	for (int waited = 0;; waited += POLL_MS) {
		struct rec *r;
		int running;

		reap(c, id);
		pthread_mutex_lock(&c->lock);
		r = find(c, id);
		running = r && r->e.state == CAT_RUNNING;
		if (running && waited >= timeout_ms)
			kill(r->e.child, SIGKILL);
		pthread_mutex_unlock(&c->lock);
		if (!running)
			return;
		sleep_ms(POLL_MS);
	}
}

int catalog_delete(struct catalog *c, const char *id)
{
	struct rec *r;

	if (catalog_stop(c, id) == -ENOENT)
		return -ENOENT;
	wait_stopped(c, id, DELETE_WAIT_MS);
	pthread_mutex_lock(&c->lock);
	r = find(c, id);
	if (r) {
		remove_files(c, id);
		drop(c, r);
	}
	pthread_mutex_unlock(&c->lock);
	return r ? 0 : -ENOENT;
}

int catalog_path(struct catalog *c, const char *id, char *path, size_t len)
{
	int found;

	if (!id_ok(id))
		return -ENOENT;
	pthread_mutex_lock(&c->lock);
	found = find(c, id) != NULL;
	pthread_mutex_unlock(&c->lock);
	if (!found)
		return -ENOENT;
	file_of(c, id, ".db", path, len);
	return 0;
}

/* A running recording's numbers change: read them again, outside the lock. An unreadable one
 * is read again too (the read at its end may have met a lock held for over 2 s): once it reads,
 * it is published as what it says. */
static void refresh(struct catalog *c, struct catalog_entry *e)
{
	char path[PATH_MAX];
	struct rec *r;

	e->size_bytes = recording_size(c, e->id);
	if (e->state != CAT_RUNNING && e->state != CAT_UNREADABLE)
		return;
	file_of(c, e->id, ".db", path, sizeof(path));
	read_stats(path, &e->stats);
	if (e->state != CAT_UNREADABLE || !e->stats.valid)
		return;
	e->state = ended_state(&e->stats);
	pthread_mutex_lock(&c->lock);
	r = find(c, e->id);
	if (r && r->e.state == CAT_UNREADABLE) {
		r->e.stats = e->stats;
		r->e.state = e->state;
	}
	pthread_mutex_unlock(&c->lock);
}

/* A copy of recording id's entry, as the catalog holds it now. 0 or -ENOENT. */
static int entry_copy(struct catalog *c, const char *id, struct catalog_entry *out)
{
	struct rec *r;

	if (!id_ok(id))
		return -ENOENT;
	pthread_mutex_lock(&c->lock);
	r = find(c, id);
	if (r)
		*out = r->e;
	pthread_mutex_unlock(&c->lock);
	return r ? 0 : -ENOENT;
}

int catalog_read_path(struct catalog *c, const char *id, char *path, size_t len, char *err,
		      size_t errlen)
{
	struct catalog_entry e;

	if (entry_copy(c, id, &e))
		return -ENOENT;
	file_of(c, id, ".db", path, len);
	/* Only an unreadable one is read here (again): the view reads the others anyway. */
	if (e.state == CAT_UNREADABLE)
		refresh(c, &e);
	if (e.state != CAT_UNREADABLE)
		return 0;
	snprintf(err, errlen, "recording %s cannot be read: %s", id, e.stats.error);
	return -EIO;
}

int catalog_get(struct catalog *c, const char *id, struct catalog_entry *out)
{
	if (entry_copy(c, id, out))
		return -ENOENT;
	refresh(c, out);
	return 0;
}

int catalog_snapshot(struct catalog *c, struct catalog_entry **out)
{
	struct catalog_entry *list;
	int n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	list = malloc((size_t)(n ? n : 1) * sizeof(*list));
	for (int i = 0; list && i < n; i++)
		list[i] = c->recs[i].e;
	pthread_mutex_unlock(&c->lock);
	if (!list)
		return -ENOMEM;
	*out = list;
	return n;
}

int catalog_list(struct catalog *c, struct catalog_entry **out)
{
	int n = catalog_snapshot(c, out);

	for (int i = 0; i < n; i++)
		refresh(c, &(*out)[i]);
	return n;
}

void catalog_on_end(struct catalog *c, catalog_end_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->on_end = fn;
	c->on_end_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

/* One ended recording not yet reported, copied out; 0 when there is none. */
static int next_ended(struct catalog *c, struct catalog_entry *e, char *path, size_t len)
{
	int found = 0;

	reap(c, NULL);
	pthread_mutex_lock(&c->lock);
	for (int i = 0; !found && i < c->n; i++) {
		struct rec *r = &c->recs[i];

		/* attaching: it exited before it attached, a failed start its starter drops */
		if (r->e.state == CAT_RUNNING || r->ended_reported || r->attaching)
			continue;
		r->ended_reported = 1;
		*e = r->e;
		file_of(c, r->e.id, ".db", path, len);
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void catalog_on_attach(struct catalog *c, catalog_attach_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->on_attach = fn;
	c->on_attach_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

/* The no_wait starts whose recorder has attached, or exited first, since the last call: each
 * told to on_attach, outside the lock. */
static void report_attached(struct catalog *c)
{
	struct catalog_entry *starts;
	catalog_attach_fn fn;
	void *ctx;
	int n = 0;

	pthread_mutex_lock(&c->lock);
	starts = malloc((size_t)(c->n + 1) * sizeof(*starts));
	for (int i = 0; starts && i < c->n; i++)
		if (c->recs[i].attaching && c->recs[i].notify_attach)
			starts[n++] = c->recs[i].e;
	fn = c->on_attach;
	ctx = c->on_attach_ctx;
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < n; i++) {
		char err[1024];
		int e = attach_state(c, starts[i].id, err, sizeof(err));

		if (fn && (e > 0 || e == -ECHILD))
			fn(ctx, &starts[i], e > 0 ? 0 : e, e > 0 ? "" : err);
	}
	free(starts);
}

void catalog_reap(struct catalog *c)
{
	struct catalog_entry e;
	char path[PATH_MAX];

	report_attached(c);
	while (next_ended(c, &e, path, sizeof(path))) {
		catalog_end_fn fn;
		void *ctx;

		pthread_mutex_lock(&c->lock);
		fn = c->on_end;
		ctx = c->on_end_ctx;
		pthread_mutex_unlock(&c->lock);
		if (fn)
			fn(ctx, &e, path);
	}
}

void catalog_stop_all(struct catalog *c, int timeout_ms)
{
	int running = 0;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < c->n; i++)
		if (c->recs[i].e.state == CAT_RUNNING) {
			kill(c->recs[i].e.child, SIGINT);
			running++;
		}
	pthread_mutex_unlock(&c->lock);
	for (int waited = 0; running; waited += POLL_MS) {
		reap(c, NULL);
		pthread_mutex_lock(&c->lock);
		running = 0;
		for (int i = 0; i < c->n; i++) {
			struct rec *r = &c->recs[i];

			if (r->e.state != CAT_RUNNING)
				continue;
			running++;
			if (waited >= timeout_ms)
				kill(r->e.child, SIGKILL);
		}
		pthread_mutex_unlock(&c->lock);
		if (running)
			sleep_ms(POLL_MS);
	}
}
