/* `heapscope record`: attach to a live process or launch a command, stream its allocator events
 * into a recording file until it exits, the user stops it, or the duration runs out. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "agent/bpfside.h"
#include "agent/clock.h"
#include "agent/drain.h"
#include "agent/images.h"
#include "agent/launch.h"
#include "agent/probes.h"
#include "agent/proc.h"
#include "agent/record.h"
#include "agent/record_priv.h"
#include "agent/record_scan.h"
#include "agent/stacks.h"
#include "agent/symbolize.h"
#include "agent/tracker.h"
#include "agent/unwind.h"
#include "heapscope.skel.h"
#include "server/server.h"
#include "store/schema.h"
#include "store/store.h"

/* The walker's tables (--stack=dwarf): one mapping table per traced process. */
static int create_unwinder(struct recorder *r)
{
	int e;

	if (r->o.stack_mode != HS_STACK_DWARF)
		return 0;
	e = unwinder_new(bpf_map__fd(r->skel->maps.unwind_rows), BPFSIDE_UNWIND_ROWS,
			 bpf_map__fd(r->skel->maps.mappings), r->skel->bss->mappings_live,
			 HS_MAX_PROCS, &r->unwinder);
	if (e)
		snprintf(r->err, ERRLEN, "cannot map the unwind tables: %s", strerror(-e));
	return e;
}

static int open_store(struct recorder *r)
{
	char why[512];
	int e;

	if (!r->o.output[0])
		snprintf(r->o.output, sizeof(r->o.output), "heapscope-%d.db", (int)r->pid);
	e = store_create(r->o.output, &r->store, why, sizeof(why));
	if (e)
		snprintf(r->err, ERRLEN, "cannot create the recording file %s: %s", r->o.output,
			 why);
	return e;
}

static int start_launch(struct recorder *r)
{
	int e = launch_start(r->t.exe, r->o.argv, !r->o.no_follow, &r->launch, &r->pid);

	if (e)
		snprintf(r->err, ERRLEN, "cannot start '%s': %s", r->o.argv[0], strerror(-e));
	r->launched = !e;
	return e;
}

static int write_header(struct recorder *r)
{
	/* --alloc-fn's patterns, up to 64 of 255 bytes, follow the fixed options */
	char *fns = record_alloc_fns_json(&r->o), *options = NULL;
	struct store_recording rec = {
		.pid = r->pid,
		.mode = r->o.argv ? "launch" : "attach",
		.command = r->t.command,
		.exe = r->t.exe,
		.allocator = r->t.allocator,
		.start_time_ns = r->t0_wall_ns,
		.stack_mode = stack_mode_name(r->o.stack_mode),
		.sample_bytes = (int64_t)r->o.sample_bytes,
	};
	int e = -ENOMEM;

	if (fns && asprintf(&options,
			    "{\"duration_s\":%g,\"keep_events\":%s,\"ringbuf_mb\":%d,\"stack\":\"%s\","
			    "\"interval_ns\":%lld,\"follow\":%s,\"sample_bytes\":%llu%s}",
			    r->o.duration_s, r->o.keep_events ? "true" : "false", r->o.ringbuf_mb,
			    stack_mode_name(r->o.stack_mode), STORE_TIMELINE_INTERVAL_NS,
			    (r->o.argv && !r->o.no_follow) || r->o.follow ? "true" : "false",
			    (unsigned long long)r->o.sample_bytes, fns) < 0)
		options = NULL;
	rec.options = options;
	if (options)
		e = store_begin_recording(r->store, &rec);
	if (!e)
		e = store_commit(r->store);
	if (e)
		snprintf(r->err, ERRLEN, "cannot write %s: %s", r->o.output, strerror(-e));
	free(fns);
	free(options);
	return e;
}

/* A free from inside an allocator that some traced process uses (glibc's tcache flush). */
static int internal_free(void *ctx, int64_t site)
{
	struct recorder *r = ctx;
	const char *path = stacks_innermost_path(r->stacks, site);

	if (!path)
		return 0;
	for (int i = 0; i < images_count(r->images); i++) {
		const struct image *img = images_at(r->images, i);

		if (img->t.allocator[0] && proc_same_file(path, img->t.allocator))
			return 1;
	}
	return r->t.allocator[0] && proc_same_file(path, r->t.allocator);
}

/* The recording's first error: the store's, from the drain or from us. */
int record_failed(const struct recorder *r)
{
	return r->fail ? r->fail : drain_error(r->drain);
}

/* Every event already in the ring buffer. */
void record_drain_all(struct recorder *r)
{
	while (!record_failed(r) && drain_consume(r->drain) > 0)
		;
}

/* The unwind tables of every image whose library list changed (or of all, with all). */
void record_sync_tables(struct recorder *r, int all)
{
	for (int i = 0; i < images_count(r->images); i++) {
		struct image *img = images_at(r->images, i);

		if (!img->modules_changed && !all)
			continue;
		img->modules_changed = 0;
		if (all)
			sym_refresh(img->sym);
		follow_sync_tables(&r->follow, img);
	}
}

/* The first stop decided is the cut: the BPF side stops sending allocations and frees from
 * this instant on, and the consumer discards any that read it late, so the two sides end
 * together (no free is ever paired against an allocation that was cut off). */
void record_stop(struct recorder *r, const char *reason)
{
	if (r->end_reason)
		return;
	/* --scan-at-end: the processes still running are scanned before the cut */
	if (r->o.scan_at_end && (!strcmp(reason, "interrupted") || !strcmp(reason, "duration")))
		record_scan_running(r);
	r->end_reason = reason;
	r->cut_mono_ns = clock_ns(CLOCK_MONOTONIC);
	drain_set_cut(r->drain, r->cut_mono_ns);
	r->skel->bss->cut_ns = r->cut_mono_ns;
}

/* ns since the start of the recording of a bpf_ktime_get_ns instant; -1 for 0 (never). */
int64_t record_since_start(const struct recorder *r, uint64_t mono_ns)
{
	if (!mono_ns)
		return -1;
	return mono_ns > r->t0_mono_ns ? (int64_t)(mono_ns - r->t0_mono_ns) : 0;
}

static int start_consumers(struct recorder *r)
{
	struct tracker_opts to = {
		.keep_events = r->o.keep_events,
		.interval_ns = STORE_TIMELINE_INTERVAL_NS,
		.internal_free = internal_free,
		.ctx = r,
		.sampled = r->o.sample_bytes != 0,
	};
	/* -p without --follow: no tracer holds the processes at an exec or exit; the BPF side
	 * tells (watch_execs). */
	int unheld = !r->o.argv && !r->o.follow, e = stacks_new(r->store, &r->stacks);

	sampling_init(&r->sampling, r->o.sample_bytes, r->o.sample_seed);

	if (!e)
		e = tracker_new(r->store, &to, &r->tracker);
	if (!e)
		e = images_new(HS_MAX_PROCS, &r->images);
	if (e)
		return e;
	r->follow = (struct follow){ .skel = r->skel,
				     .store = r->store,
				     .stacks = r->stacks,
				     .unwinder = r->unwinder,
				     .tracker = r->tracker,
				     .images = r->images,
				     .objs_cache = obj_cache_new(),
				     .t0_mono_ns = r->t0_mono_ns,
				     .sampled = r->o.sample_bytes != 0,
				     .err = r->err,
				     .errlen = ERRLEN };
	/* -p without --follow: nothing holds the processes at an exec; the BPF side says when. */
	e = drain_new(&(struct drain_opts){ .tracker = r->tracker,
					    .stacks = r->stacks,
					    .images = r->images,
					    .unwinder = r->unwinder,
					    .max_depth = (uint32_t)r->o.max_depth,
					    .t0_mono_ns = r->t0_mono_ns,
					    .sampling = r->o.sample_bytes ? &r->sampling : NULL,
					    .wakeup_sent = &r->skel->bss->wakeup_sent,
					    .on_exec = unheld ? record_exec_event : NULL,
					    .on_exit = unheld ? record_exit_event : NULL,
					    .ctx = r },
		      bpf_map__fd(r->skel->maps.events), &r->drain);
	if (e)
		snprintf(r->err, ERRLEN, "cannot read the BPF ring buffer: %s", strerror(-e));
	return e;
}

/* The probes of every image; the images stay until the end of the recording is written. */
void record_detach_all(struct recorder *r)
{
	int n = images_count(r->images);
	struct probes *ps[HS_MAX_PROCS];

	for (int i = 0; i < n; i++) {
		ps[i] = images_at(r->images, i)->probes;
		images_at(r->images, i)->probes = NULL;
	}
	probes_free_all(ps, n);
}

/* The cut is made (stop); detaching waits for every program still running, so once the ring
 * buffer is empty nothing from before the cut can still arrive. Processes still running end
 * with the recording. */
static int drain_to_cut(struct recorder *r)
{
	int e = 0;

	if (!r->cut_mono_ns)
		record_stop(r, "error");
	record_detach_all(r);
	r->skel->bss->pause_tid = 0;
	if (r->launch)
		record_children(r); /* nothing left held at a pause, birth or exec */
	record_drain_all(r);
	while (images_count(r->images) && !e)
		e = follow_end(&r->follow, images_at(r->images, 0), r->cut_mono_ns, "recording_end",
			       -1);
	return e;
}

/* Writing failed (disk full): the file keeps what was committed, and its end says so (end
 * reason error, a write_failed notice), written in the space the store kept for it. */
void record_write_failed(struct recorder *r, int e)
{
	char why[512];

	if (r->end_written)
		return;
	snprintf(why, sizeof(why),
		 "writing the recording failed at %.1fs: %s%s; the counts are those stored until "
		 "then",
		 r->committed_ts / (double)NS_PER_S, e == -ENOSPC ? "disk full, " : "",
		 strerror(-e));
	r->end_written = !store_fail_recording(r->store, r->committed_ts, why);
}

/* Stops the probes, drains what is left and writes the end of the recording. */
static int finish(struct recorder *r)
{
	struct unwind_stats us = { 0 };
	struct tracker_stats s;
	struct drain_stats ds;
	struct store_end end;
	int e;

	if (record_failed(r))
		return record_failed(r); /* already reported by recording_failed */
	if (r->unwinder)
		unwinder_get_stats(r->unwinder, &us);
	e = drain_to_cut(r);
	drain_get_stats(r->drain, &ds);
	tracker_get_stats(r->tracker, &s);
	end = (struct store_end){
		.duration_ns = record_since_start(r, r->cut_mono_ns),
		.end_reason = record_failed(r) ? "error" : r->end_reason,
		.exit_status = r->root_done && r->exit_code >= 0 ? r->exit_code : -1,
		.dropped_events = bpfside_counter(r->skel, HS_CNT_DROPPED),
		.untracked_frees = s.untracked_frees,
		.stack_collisions = bpfside_counter(r->skel, HS_CNT_STACK_COLLISION),
		.stack_map_full = bpfside_counter(r->skel, HS_CNT_STACK_MAP_FULL),
		.peak_live_bytes = s.peak_live_bytes,
		.peak_ts = s.peak_ts,
		.fp_fallback_frames = bpfside_counter(r->skel, HS_CNT_FP_FALLBACK),
		.unwind_files = us.files,
		.unwind_files_no_cfi = us.files_no_cfi,
		.cut_ts = record_since_start(r, r->cut_mono_ns),
		.first_drop_ts = record_since_start(r, r->skel->bss->first_drop_ns),
		.freed_forgotten = s.freed_forgotten,
	};
	if (!e)
		e = bpfside_store_programs(r->skel, r->store);
	if (!e)
		e = bpfside_store_counters(r->skel, r->store);
	if (!e)
		e = bpfside_store_event_counts(r->skel, ds.counts, r->store);
	if (!e)
		e = tracker_finish(r->tracker, end.duration_ns);
	if (!e)
		e = store_end_recording(r->store, &end);
	r->end_written = !e;
	if (e)
		record_write_failed(r, e);
	if (e)
		snprintf(r->err, ERRLEN,
			 "writing %s failed: %s%s; the recording up to %.1fs is kept%s",
			 r->o.output, e == -ENOSPC ? "disk full, " : "", strerror(-e),
			 r->committed_ts / (double)NS_PER_S,
			 r->end_written ? " (end reason error)" :
					  " (without its end: it reads as cut short)");
	if (!e && store_count_errors_from(r->store, end.first_drop_ts, &r->unreliable_errors))
		r->unreliable_errors = 0;
	if (!e)
		record_progress(r, 1);
	return e;
}

static void cleanup(struct recorder *r)
{
	int status;

	record_scan_close(r);
	images_free(r->images);
	obj_cache_free(r->follow.objs_cache);
	drain_free(r->drain);
	tracker_free(r->tracker);
	stacks_free(r->stacks);
	unwinder_free(r->unwinder);
	if (store_close(r->store) && !r->err[0])
		snprintf(r->err, ERRLEN, "closing %s failed", r->o.output);
	bpf_link__destroy(r->exec_link);
	bpf_link__destroy(r->exit_link);
	heapscope_bpf__destroy(r->skel);
	target_free(&r->t);
	if (r->launched && !r->root_done && !r->end_reason) { /* failed before it ran */
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
	}
	launch_free(r->launch);
	for (int i = 0; i < r->o.npids; i++)
		if (r->pidfds[i] > 0)
			close(r->pidfds[i]);
	if (r->epfd > 0)
		close(r->epfd);
	if (r->sigfd > 0)
		close(r->sigfd);
	if (r->timerfd > 0)
		close(r->timerfd);
}

/* The dashboard's address; an IPv6 address goes in brackets. */
static const char *url(struct recorder *r, char *buf, size_t len)
{
	const char *b = r->o.bind;

	snprintf(buf, len, strchr(b, ':') ? "http://[%s]:%d/" : "http://%s:%d/", b,
		 server_port(r->server));
	return buf;
}

/* --serve: the dashboard of this recording, answered from another thread of this process; it
 * reads the file as any reader would, seeing what the recorder publishes every second. */
static int start_serving(struct recorder *r)
{
	struct server_opts so = { .db_path = r->o.output,
				  .bind = r->o.bind,
				  .port = r->o.port,
				  .allow_hosts = r->o.allow_hosts };
	char why[1024];
	int e;

	if (!r->o.serve)
		return 0;
	e = server_start(&so, &r->server, why, sizeof(why));
	if (e) {
		snprintf(r->err, ERRLEN, "cannot serve the dashboard: %s", why);
		return e;
	}
	fprintf(stderr, "heapscope: serving %s\n", url(r, r->url, sizeof(r->url)));
	return 0;
}

/* After the recording: the dashboard stays up until Ctrl-C or SIGTERM. */
static void serve_until_signal(struct recorder *r)
{
	struct signalfd_siginfo si;
	struct pollfd pfd = { .fd = r->sigfd, .events = POLLIN };

	fprintf(stderr, "heapscope: the dashboard stays at %s (Ctrl-C to stop)\n", r->url);
	while (poll(&pfd, 1, -1) >= 0 || errno == EINTR) {
		while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD)
				return;
	}
}

/* -p without --follow: the BPF side tells the execs and exits (the drain passes them to
 * record_exec_event and record_exit_event). */
static int watch_execs(struct recorder *r)
{
	r->exec_link = bpf_program__attach(r->skel->progs.process_exec);
	if (r->exec_link)
		r->exit_link = bpf_program__attach(r->skel->progs.process_exit);
	if (r->exec_link && r->exit_link)
		return 0;
	snprintf(r->err, ERRLEN,
		 "cannot watch the processes' execs and exits (tp_btf/sched_process_*): %s",
		 strerror(errno));
	return -errno;
}

/* -p: every process, each exact from its attach on. One that cannot be traced at all is an
 * error when it is the only one. */
static int attach_all(struct recorder *r)
{
	int e = r->o.follow ? 0 : watch_execs(r), traced = 0;

	for (int i = 0; i < r->o.npids && !e; i++) {
		struct image *img;

		e = follow_begin(&r->follow, r->o.pids[i], 0, FOLLOW_ATTACH, &img);
		traced += img && img->probes;
	}
	if (!e && !traced) {
		snprintf(r->err, ERRLEN, "%s", r->t.notice[0] ? r->t.notice : "nothing to trace");
		e = -ENOENT;
	}
	return e;
}

/* Launch mode: lets the command exec and begins its image there, before its first allocation. */
static int release_command(struct recorder *r)
{
	struct image *img;
	int e = launch_release(r->launch);

	if (e) {
		snprintf(r->err, ERRLEN, "cannot run '%s': %s", r->o.argv[0], strerror(-e));
		r->run_failed = e == -ENOENT ? 127 : 126;
		r->root_done = 1;
		r->end_reason = "error";
		return e;
	}
	e = follow_begin(&r->follow, r->pid, getpid(), FOLLOW_EXEC, &img);
	if (!e && r->unwinder) /* stop at each change of its library list until the tables follow */
		r->skel->bss->pause_tid = (uint32_t)r->pid;
	return e;
}

/* Everything up to the first event: target, BPF, file, probes. */
static int start(struct recorder *r)
{
	int e = target_describe(&r->t, r->o.pid, r->o.argv, r->err, ERRLEN);

	if (e && r->o.argv && !r->o.no_follow && r->t.notice[0])
		e = 0; /* its notice says so, and the processes it starts may have one */
	if (r->t.command_error) /* as shells say it: not found 127, not executable 126 */
		r->run_failed = r->t.command_error == -ENOENT ? 127 : 126;
	if (!e)
		e = bpfside_load(&(struct bpfside_opts){ .ringbuf_mb = r->o.ringbuf_mb,
							 .stack_mode = r->o.stack_mode,
							 .max_depth = r->o.max_depth,
							 .sample_bytes = r->o.sample_bytes,
							 .sample_seed = r->o.sample_seed },
				 &r->skel, r->err, ERRLEN);
	if (!e)
		e = create_unwinder(r);
	r->pid = r->o.pid;
	if (!e && r->o.argv)
		e = start_launch(r);
	if (!e && r->o.follow)
		e = launch_seize(r->o.pids, r->o.npids, &r->launch);
	if (e == -EPERM && r->o.follow)
		snprintf(r->err, ERRLEN,
			 "cannot follow process %d: another tracer (a debugger?) "
			 "holds it",
			 (int)r->pid);
	if (!e)
		e = open_store(r);
	r->t0_mono_ns = clock_ns(CLOCK_MONOTONIC);
	r->last_progress_ns = r->t0_mono_ns;
	r->t0_wall_ns = (int64_t)clock_ns(CLOCK_REALTIME);
	if (!e)
		e = write_header(r);
	if (!e)
		e = start_consumers(r);
	if (!e)
		e = r->launched ? release_command(r) : attach_all(r);
	if (!e)
		e = store_commit(r->store);
	if (!e)
		e = record_loop_setup(r);
	if (!e)
		e = start_serving(r);
	return e;
}

int record_main(int argc, char **argv)
{
	struct recorder r = { .epfd = -1, .sigfd = -1, .timerfd = -1, .scan_fd = -1 };
	sigset_t set;
	int e;

	if (record_parse_opts(argc, argv, &r.o))
		return 2;
	/* Blocked before the child is forked, so a Ctrl-C cannot kill us before the signalfd exists;
	 * the child unblocks them before exec. */
	record_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	r.tty = isatty(STDERR_FILENO);
	e = start(&r);
	if (!e) {
		fprintf(stderr, "heapscope: recording pid %d", (int)r.pid);
		for (int i = 1; i < r.o.npids; i++)
			fprintf(stderr, ", %d", (int)r.o.pids[i]);
		fprintf(stderr, " (%s) -> %s\n", r.t.allocator[0] ? r.t.allocator : "no allocator",
			r.o.output);
		if (r.launched)
			launch_resume(r.pid); /* held at its exec until now */
		record_loop(&r);
		e = finish(&r);
		if (r.server)
			serve_until_signal(&r);
	}
	server_stop(r.server);
	cleanup(&r);
	if (r.err[0] && !r.err_reported)
		fprintf(stderr, "heapscope: %s\n", r.err);
	if (e)
		return r.run_failed ? r.run_failed : 1;
	return r.launched && r.root_done ? r.exit_code : 0;
}
