/* The recorder's reachability scans (agent/reach.c on the live set it holds): at a traced
 * process's exit or the recording's end (--scan-at-end), and on request through its control
 * socket (`heapscope scan -p PID`, the dashboard's Scan now). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent/clock.h"
#include "agent/drain.h"
#include "agent/images.h"
#include "agent/reach.h"
#include "agent/record_priv.h"
#include "agent/record_scan.h"
#include "agent/tracker.h"
#include "report/report.h"
#include "store/store.h"

#define REQUEST_TIMEOUT_MS 500		     /* a client writes its line at once: never stall on one */
#define PRESTOP_DRAIN_NS (500 * 1000000LL)   /* the backlog taken before the stop, at most */
#define STOPPED_DRAIN_NS (30000 * 1000000LL) /* and under it (other processes go on) */
#define CAUGHT_UP_NS (20 * 1000000LL)	     /* a pass this short leaves little for the stop */

struct scan_ctx {
	struct recorder *r;
	const struct image *img;
	struct reach_block *blocks;
	size_t n;
};

/* The events in the ring buffer up to the instant mark (CLOCK_MONOTONIC), for at most max_ns:
 * 1 once caught up with it, 0 at the time limit. Up to an instant, not "until empty": threads
 * of other traced processes allocating at full speed can outrun the consumer, so the buffer may
 * never be empty. The recorder can be seconds behind its target (64 MiB of events at ~2 us each):
 * the bound is the time limit, not a share of the backlog. */
static int drain_to(struct recorder *r, uint64_t mark, int64_t max_ns)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)max_ns;
	int n = 1;

	drain_set_mark(r->drain, mark);
	while (!record_failed(r) && !drain_mark_passed(r->drain) &&
	       (n = drain_consume(r->drain)) > 0 && clock_ns(CLOCK_MONOTONIC) < deadline)
		;
	n = drain_mark_passed(r->drain) || n == 0;
	drain_set_mark(r->drain, 0);
	return n;
}

/* The backlog is taken before the stop, not while the target waits: up to now, again while a pass
 * took long (the target went on meanwhile), for at most PRESTOP_DRAIN_NS in all. */
static void catch_up(struct recorder *r)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), t = t0;

	while (drain_to(r, t, PRESTOP_DRAIN_NS - (int64_t)(t - t0))) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);

		if (now - t < CAUGHT_UP_NS || now - t0 >= (uint64_t)PRESTOP_DRAIN_NS)
			break;
		t = now;
	}
}

/* Every thread is stopped: the events up to now are in the ring buffer; once they are taken the
 * live set is exact for this instant (the stopped process adds none). */
static int take_blocks(void *ctx, struct reach_block **blocks, size_t *n)
{
	struct scan_ctx *c = ctx;
	int e;

	if (!drain_to(c->r, clock_ns(CLOCK_MONOTONIC), STOPPED_DRAIN_NS))
		return record_failed(c->r) ? -EIO : -ETIME;
	e = tracker_live_blocks(c->r->tracker, c->img->heap_proc, &c->blocks, &c->n);
	*blocks = c->blocks;
	*n = c->n;
	return e;
}

static void describe(const struct reach_stats *s, int pid, const char *trigger, char *out,
		     size_t len)
{
	char b[REACH_KINDS][32], roots[32], read[32];

	for (int k = 1; k < REACH_KINDS; k++)
		report_fmt_bytes(s->bytes[k], b[k], sizeof(b[k]));
	report_fmt_bytes(s->roots_bytes, roots, sizeof(roots));
	report_fmt_bytes(s->blocks_bytes, read, sizeof(read));
	snprintf(out, len,
		 "scan of pid %d (%s): stopped %.2f ms (%d threads), read %s of roots and %s of "
		 "blocks in %.2f ms: definitely lost %ld blocks (%s), indirectly lost %ld (%s), "
		 "possibly lost %ld (%s), still reachable %ld (%s)%s",
		 pid, trigger, s->stop_ns / 1e6, s->threads, roots, read, s->scan_ns / 1e6,
		 (long)s->blocks[1], b[1], (long)s->blocks[2], b[2], (long)s->blocks[3], b[3],
		 (long)s->blocks[4], b[4], s->unreadable ? " (some blocks unreadable)" : "");
}

static void describe_json(const struct reach_stats *s, int pid, const char *trigger, char *out,
			  size_t len)
{
	snprintf(out, len,
		 "{\"pid\":%d,\"trigger\":\"%s\",\"threads\":%d,\"stop_ns\":%lld,\"scan_ns\":%lld,"
		 "\"roots_bytes\":%lld,\"blocks_bytes\":%lld,\"unreadable\":%lld,"
		 "\"definite_blocks\":%lld,\"definite_bytes\":%lld,\"indirect_blocks\":%lld,"
		 "\"indirect_bytes\":%lld,\"possible_blocks\":%lld,\"possible_bytes\":%lld,"
		 "\"reachable_blocks\":%lld,\"reachable_bytes\":%lld}",
		 pid, trigger, s->threads, (long long)s->stop_ns, (long long)s->scan_ns,
		 (long long)s->roots_bytes, (long long)s->blocks_bytes, (long long)s->unreadable,
		 (long long)s->blocks[1], (long long)s->bytes[1], (long long)s->blocks[2],
		 (long long)s->bytes[2], (long long)s->blocks[3], (long long)s->bytes[3],
		 (long long)s->blocks[4], (long long)s->bytes[4]);
}

/* The verdicts go with the blocks (their rows and leak_sites) and the scan into table scans,
 * published at once so readers see it. */
static int store_result(struct recorder *r, const struct scan_ctx *c, const struct reach_stats *s,
			const char *trigger)
{
	int64_t now = record_since_start(r, clock_ns(CLOCK_MONOTONIC));
	struct store_scan row = { now,
				  c->img->pid,
				  c->img->id,
				  trigger,
				  { s->threads, s->stop_ns, s->scan_ns, s->roots_bytes, s->blocks_bytes,
				    s->unreadable, s->blocks[1], s->bytes[1], s->blocks[2], s->bytes[2],
				    s->blocks[3], s->bytes[3], s->blocks[4], s->bytes[4] } };
	int e;

	tracker_set_reach(r->tracker, c->blocks, c->n);
	e = store_insert_scan(r->store, &row);
	if (!e && !r->cut_mono_ns)
		e = tracker_publish(r->tracker, now, 1);
	if (!e)
		e = store_commit(r->store);
	if (e && !r->fail)
		r->fail = e;
	return e;
}

int record_scan(struct recorder *r, pid_t pid, const char *trigger, int at_exit, int json,
		char *out, size_t len)
{
	struct scan_ctx c = { .r = r, .img = images_find(r->images, pid) };
	struct reach_opts o = { .pid = pid,
				.at_exit = at_exit,
				.untraced_heap = c.img && !c.img->traced_from_start,
				.stopped = take_blocks,
				.ctx = &c };
	struct reach_stats s;
	char err[512];
	int e;

	if (!c.img || c.img->heap_proc != c.img->id) {
		snprintf(out, len, "process %d is not traced by this recording%s", (int)pid,
			 c.img ? " in its own memory (a vfork child)" : "");
		return -ESRCH;
	}
	if (r->o.sample_bytes) {
		snprintf(out, len,
			 "a sampled recording knows only the sampled blocks: the scan needs an exact "
			 "one (without --sample)");
		return -ENOTSUP;
	}
	if (record_failed(r)) {
		snprintf(out, len, "the recording failed: nothing more is stored");
		return -EIO;
	}
	catch_up(r);
	e = reach_scan(&o, &s, err, sizeof(err));
	if (!e)
		e = store_result(r, &c, &s, trigger);
	free(c.blocks);
	if (r->launch && !at_exit) /* our interrupts left threads we trace in a stop */
		record_children(r);
	if (e == -ETIME)
		snprintf(out, len,
			 "scan of pid %d failed: the recorder is more than %d s of events behind its "
			 "targets, so its live blocks are not this instant's (the target ran on)",
			 (int)pid, (int)(STOPPED_DRAIN_NS / 1000000000LL));
	else if (e)
		snprintf(out, len, "scan of pid %d failed: %s", (int)pid,
			 err[0] && e != -EIO ? err : strerror(-e));
	if (e)
		return e;
	if (json)
		describe_json(&s, (int)pid, trigger, out, len);
	else
		describe(&s, (int)pid, trigger, out, len);
	return 0;
}

/* --scan-at-end when the recording ends with processes still running (Ctrl-C, --duration):
 * each is scanned before the cut. */
void record_scan_running(struct recorder *r)
{
	char line[1024];

	for (int i = 0; i < images_count(r->images); i++) {
		const struct image *img = images_at(r->images, i);

		if (img->heap_proc != img->id || kill(img->pid, 0))
			continue;
		record_scan(r, img->pid, "end", 0, 0, line, sizeof(line));
		if (r->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "heapscope: %s\n", line);
	}
}

/* --- The control socket -------------------------------------------------------------------- */

static void socket_path(pid_t recorder, char *buf, size_t len)
{
	snprintf(buf, len, "%s/rec-%d.sock", record_scan_dir(), (int)recorder);
}

/* The sockets recorders killed before their cleanup left behind. */
static void prune_dir(void)
{
	char path[600];
	struct dirent *de;
	DIR *d = opendir(record_scan_dir());

	if (!d)
		return;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", record_scan_dir(), de->d_name);
		record_scan_prune(de->d_name, path);
	}
	closedir(d);
}

int record_scan_listen(struct recorder *r)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	r->scan_fd = -1;
	if (mkdir(record_scan_dir(), 0700) && errno != EEXIST)
		return 0; /* no requests then: `heapscope scan` says no recorder answers */
	prune_dir();
	socket_path(getpid(), a.sun_path, sizeof(a.sun_path));
	unlink(a.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || chmod(a.sun_path, 0600) ||
	    listen(fd, 64)) {
		close(fd);
		return 0;
	}
	ev.data.fd = fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		unlink(a.sun_path);
		return 0;
	}
	r->scan_fd = fd;
	return 0;
}

/* "has PID": answered at once (the client asks every recorder in parallel). */
static void answer_has(struct recorder *r, int pid, char *reply, size_t len)
{
	const struct image *img = images_find(r->images, pid);

	if (r->cut_mono_ns && img)
		snprintf(reply, len, "error the recording of process %d is ending\n", pid);
	else if (img && img->heap_proc == img->id)
		snprintf(reply, len, "mine\n");
	else
		snprintf(reply, len, "notmine\n");
}

static void answer_scan(struct recorder *r, int pid, int json, char *reply, size_t len)
{
	char out[2048];

	if (r->cut_mono_ns)
		snprintf(reply, len, "error the recording is ending\n");
	else if (!images_find(r->images, pid))
		snprintf(reply, len, "notmine process %d is not traced here\n", pid);
	else if (record_scan(r, pid, "request", 0, json, out, sizeof(out)))
		snprintf(reply, len, "error %s\n", out);
	else
		snprintf(reply, len, "ok %s\n", out);
}

/* One request per connection, one line: "has PID" (answer "mine", "notmine" or "error WHY") or
 * "scan PID [json]" (answer "ok RESULT", "error WHY" or "notmine"). Served in the loop between
 * two bounded drains, so the scan sees the live set between events. */
void record_scan_request(struct recorder *r)
{
	struct timeval tv = { 0, REQUEST_TIMEOUT_MS * 1000 };
	char req[128] = "", reply[2200], verb[8] = "";
	int fd = accept4(r->scan_fd, NULL, NULL, SOCK_CLOEXEC), pid = 0;
	ssize_t n;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = read(fd, req, sizeof(req) - 1);
	req[n > 0 ? n : 0] = 0;
	if (sscanf(req, "%7s %d", verb, &pid) != 2 || pid <= 0)
		snprintf(reply, sizeof(reply), "error bad request: send 'has PID' or 'scan PID'\n");
	else if (!strcmp(verb, "has"))
		answer_has(r, pid, reply, sizeof(reply));
	else if (!strcmp(verb, "scan"))
		answer_scan(r, pid, strstr(req, "json") != NULL, reply, sizeof(reply));
	else
		snprintf(reply, sizeof(reply), "error bad request: send 'has PID' or 'scan PID'\n");
	n = write(fd, reply, strlen(reply)); /* short or failed: the asker went away */
	close(fd);
	if (!strcmp(verb, "scan") && !strncmp(reply, "ok", 2) && !strstr(req, "json")) {
		if (r->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "heapscope: %s", reply + 3);
	}
}

void record_scan_close(struct recorder *r)
{
	char path[108];

	if (r->scan_fd < 0)
		return;
	close(r->scan_fd);
	r->scan_fd = -1;
	socket_path(getpid(), path, sizeof(path));
	unlink(path);
}
