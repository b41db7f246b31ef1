/* The recorder's event loop: signals, the once-a-second tick (publish, progress, resync),
 * exits of attached processes, the ring buffer between them. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "agent/bpfside.h"
#include "agent/clock.h"
#include "agent/drain.h"
#include "agent/images.h"
#include "agent/record_priv.h"
#include "agent/record_scan.h"
#include "agent/tracker.h"
#include "heapscope.skel.h"
#include "report/report.h"
#include "store/store.h"

#define POLL_MS 10	    /* how often the ring buffer is drained without a wakeup */
#define INTERRUPT_GRACE_S 2 /* launch mode: how long a signalled command may take */
#define FIRST_TICK_NS 200000000L

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* -p without --follow: a pidfd per process tells its exit. */
static int watch_exits(struct recorder *r)
{
	int e = 0;

	for (int i = 0; i < r->o.npids && !e; i++) {
		r->pidfds[i] = (int)syscall(SYS_pidfd_open, r->o.pids[i], 0);
		e = r->pidfds[i] < 0 ? -errno : epoll_add(r->epfd, r->pidfds[i]);
	}
	return e;
}

/* The signals the recorder takes through its signalfd, blocked from the start. */
void record_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGHUP);
}

int record_loop_setup(struct recorder *r)
{
	/* The first tick soon: a recording killed in its first second keeps its first rows. */
	struct itimerspec tick = { { 1, 0 }, { 0, FIRST_TICK_NS } };
	sigset_t set;
	int e;

	record_signals(&set);
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->sigfd < 0 || r->timerfd < 0 || r->epfd < 0)
		return -errno;
	timerfd_settime(r->timerfd, 0, &tick, NULL);
	e = epoll_add(r->epfd, r->sigfd);
	if (!e)
		e = epoll_add(r->epfd, r->timerfd);
	if (!e)
		e = epoll_add(r->epfd, drain_fd(r->drain));
	if (!e && !r->launch)
		e = watch_exits(r);
	if (!e)
		e = record_scan_listen(r);
	return e;
}

void record_progress(struct recorder *r, int final)
{
	uint64_t end = r->cut_mono_ns ? r->cut_mono_ns : clock_ns(CLOCK_MONOTONIC);
	struct drain_stats ds;
	double elapsed = (end - r->t0_mono_ns) / (double)NS_PER_S;
	struct tracker_stats s;
	char live[32], rate[32], est[2] = "", sampled[96] = "", unreliable[80] = "";

	tracker_get_stats(r->tracker, &s);
	drain_get_stats(r->drain, &ds);
	report_fmt_bytes(s.live_bytes, live, sizeof(live));
	if (r->o.sample_bytes) { /* every number below is an estimate: say so, with the rate */
		report_fmt_bytes((int64_t)r->o.sample_bytes, rate, sizeof(rate));
		snprintf(est, sizeof(est), "~");
		snprintf(sampled, sizeof(sampled), " (sampled, 1 per %s: estimates)", rate);
	}
	if (!final) {
		double since = (end - r->last_progress_ns) / (double)NS_PER_S;

		fprintf(stderr,
			"\r\033[Kheapscope: %.0fs  %.0f events/s  live %s%ld blocks, %s%s  dropped %ld",
			elapsed, since > 0 ? (ds.events - r->last_events) / since : 0.0, est,
			(long)s.live_blocks, est, live,
			(long)bpfside_counter(r->skel, HS_CNT_DROPPED));
		r->last_events = ds.events;
		r->last_progress_ns = end;
		return;
	}
	if (r->tty)
		fputs("\r\033[K", stderr);
	/* Errors after a lost event may be spurious: a missed allocation or free makes a correct
	 * free look wrong. */
	if (r->unreliable_errors)
		snprintf(unreliable, sizeof(unreliable),
			 " (%ld unreliable: after events were lost)", (long)r->unreliable_errors);
	fprintf(stderr,
		"heapscope: %s after %.1fs: %s%ld allocations, %s%ld frees, %s%ld still live (%s%s)%s, "
		"%ld errors%s, %ld dropped events -> %s\n",
		r->end_reason, elapsed, est, (long)s.allocs, est, (long)s.frees, est,
		(long)s.live_blocks, est, live, sampled, (long)s.errors, unreliable,
		(long)bpfside_counter(r->skel, HS_CNT_DROPPED), r->o.output);
}

static void on_signal(struct recorder *r)
{
	struct signalfd_siginfo si;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (r->launch)
				record_children(r);
			continue;
		}
		if (!r->launched || r->root_done || ++r->interrupts > 1) {
			record_stop(
				r,
				"interrupted"); /* a second Ctrl-C does not wait for the command */
			continue;
		}
		/* Give the command the signal too (a terminal sends it to both) and record its end. */
		kill(r->pid, (int)si.ssi_signo);
		if (!r->stop_deadline_ns)
			r->stop_deadline_ns =
				clock_ns(CLOCK_MONOTONIC) + INTERRUPT_GRACE_S * (uint64_t)NS_PER_S;
	}
}

/* -p without --follow: one of the processes exited (its status is its parent's to know). */
static void on_pidfd(struct recorder *r, int fd)
{
	for (int i = 0; i < r->o.npids; i++) {
		if (r->pidfds[i] != fd)
			continue;
		struct image *img;

		epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
		record_drain_all(r); /* its exit event too */
		img = images_find(r->images, r->o.pids[i]);
		record_gone(r, r->o.pids[i], img ? img->exit_code : -1);
	}
}

/* Code the walker met outside its tables (a library mapped without the dynamic linker's
 * notice, or loaded on another thread meanwhile): rescan the maps, at most once per tick. */
static void resync_if_lost(struct recorder *r)
{
	int64_t lost;

	if (!r->unwinder)
		return;
	lost = bpfside_counter(r->skel, HS_CNT_NO_MAPPING);
	if (lost == r->no_mapping_seen)
		return;
	r->no_mapping_seen = lost;
	record_sync_tables(r, 1);
}

static void on_tick(struct recorder *r)
{
	uint64_t expirations, now = clock_ns(CLOCK_MONOTONIC);
	struct tracker_stats s;
	struct drain_stats ds;
	int e;

	if (read(r->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	r->ticks++;
	if (record_failed(r)) /* the file is ended (record_write_failed): nothing more goes in */
		goto progress;
	/* Readers of the file (a dashboard, a report) see the recording so far: every second, so
	 * a recorder killed loses at most the last one. */
	tracker_get_stats(r->tracker, &s);
	drain_get_stats(r->drain, &ds);
	e = tracker_publish(r->tracker, ds.last_ts, r->ticks % 2 == 0);
	if (!e)
		e = store_update_progress(r->store, s.peak_live_bytes, s.peak_ts,
					  bpfside_counter(r->skel, HS_CNT_DROPPED),
					  record_since_start(r, r->skel->bss->first_drop_ns));
	if (!e)
		e = store_commit(r->store);
	if (!e)
		r->committed_ts = record_since_start(r, now);
	if (e && !r->fail)
		r->fail = e;
progress:
	if (r->tty)
		record_progress(r, 0);
	resync_if_lost(r);
	if (r->stop_deadline_ns && now >= r->stop_deadline_ns)
		record_stop(r, "interrupted");
}

/* Writing failed (disk full): say so now and stop tracing. A launched command keeps running,
 * untraced, and is still waited for, as it would be without heapscope. */
static void recording_failed(struct recorder *r)
{
	int e = record_failed(r);

	record_detach_all(r);
	record_write_failed(r, e);
	snprintf(r->err, ERRLEN, "writing %s failed: %s%s; the recording up to %.1fs is kept%s%s",
		 r->o.output, e == -ENOSPC ? "disk full, " : "", strerror(-e),
		 r->committed_ts / (double)NS_PER_S,
		 r->end_written ? " (end reason error)" :
				  " (without its end: it reads as cut short)",
		 r->launched && !r->root_done ? "; the command goes on untraced" : "");
	if (r->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "heapscope: %s\n", r->err);
	r->err_reported = 1;
}

void record_loop(struct recorder *r)
{
	struct epoll_event evs[8];

	while (!r->end_reason) {
		int n;

		if (record_failed(r) && !r->err_reported) {
			recording_failed(r);
			if (!r->launched || r->root_done)
				break;
		}
		/* Behind on the ring buffer: look at the other sources without waiting. */
		n = epoll_wait(r->epfd, evs, 8, drain_pending(r->drain) ? 0 : POLL_MS);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == r->sigfd)
				on_signal(r);
			else if (fd == r->timerfd)
				on_tick(r);
			else if (fd == r->scan_fd)
				record_scan_request(r);
			else if (fd != drain_fd(r->drain))
				on_pidfd(r, fd);
		}
		if (r->o.duration_s > 0 &&
		    clock_ns(CLOCK_MONOTONIC) - r->t0_mono_ns >= r->o.duration_s * NS_PER_S)
			record_stop(r, "duration");
		/* The BPF side wakes us only when a lot is pending: poll the rest. */
		if (!record_failed(r))
			drain_consume(r->drain);
		if (drain_take_modules_changed(r->drain))
			record_sync_tables(r, 0);
	}
}
