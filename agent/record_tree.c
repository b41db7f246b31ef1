/* The recorder and the processes it follows: births, execs (held by the tracer, or seen by the
 * BPF side), exits. Each image begins and ends in agent/follow.c. */
#include <stdio.h>

#include "agent/clock.h"
#include "agent/images.h"
#include "agent/launch.h"
#include "agent/proc.h"
#include "agent/record_priv.h"
#include "agent/record_scan.h"
#include "agent/symbolize.h"

/* Ends pid's image once its last event is in. */
/* --scan-at-end: a process held at its exit still has its memory: the last moment to scan it. */
static void scan_at_exit(struct recorder *r, pid_t pid)
{
	char line[1024];

	record_scan(r, pid, "exit", 1, 0, line, sizeof(line));
	if (r->tty)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "heapscope: %s\n", line);
}

static void end_image(struct recorder *r, pid_t pid, const char *reason, int status)
{
	struct image *img = images_find(r->images, pid);
	int e;

	if (!img)
		return;
	record_drain_all(r);
	e = follow_end(&r->follow, img, clock_ns(CLOCK_MONOTONIC), reason, status);
	if (e && !r->fail)
		r->fail = e;
}

/* The recording is over when no traced process is left. */
void record_gone(struct recorder *r, pid_t pid, int code)
{
	end_image(r, pid, code > 128 ? "killed" : "exited", code);
	if (pid == r->pid) {
		r->root_done = 1;
		r->exit_code = code;
	}
	if (!images_count(r->images) && (r->root_done || !r->launched))
		record_stop(r, r->exit_code > 128 ? "killed" : "exited");
}

/* Attach mode: the wait status the BPF side saw at the exit, kept for when the exit is handled
 * (the process's pidfd). */
void record_exit_event(void *ctx, uint32_t pid, uint32_t status)
{
	struct recorder *r = ctx;
	struct image *img = images_find(r->images, (pid_t)pid);

	if (img)
		img->exit_code = proc_exit_code((int)status);
}

/* The old image's probes go to the next image of its process, which keeps them if they fit. */
static void pass_probes(struct recorder *r, struct image *old)
{
	r->follow.inherited = old->probes;
	snprintf(r->follow.inherited_allocator, sizeof(r->follow.inherited_allocator), "%s",
		 old->t.allocator);
	old->probes = NULL;
}

static void begin_after_exec(struct recorder *r, pid_t pid, pid_t ppid, enum follow_how how)
{
	struct image *img;

	if (!r->end_reason && follow_begin(&r->follow, pid, ppid, how, &img))
		fprintf(stderr, "heapscope: warning: %s\n", r->err);
	r->err[0] = '\0';
}

/* A process held at its exec: its old image ends (its blocks released), a new one begins. */
static void on_exec(struct recorder *r, pid_t pid)
{
	struct image *old = images_find(r->images, pid);
	pid_t ppid = old ? old->ppid : 0;

	if (old) {
		pass_probes(r, old);
		end_image(r, pid, "exec", -1);
	}
	begin_after_exec(r, pid, ppid, FOLLOW_EXEC);
}

/* Attach mode: the exec event, in order among the process's events (the consumer is running:
 * nothing is drained here). The new program is described as it starts. */
int record_exec_event(void *ctx, uint32_t pid, int64_t ts)
{
	struct recorder *r = ctx;
	struct image *old = images_find(r->images, (pid_t)pid);
	pid_t ppid = old->ppid;
	int e;

	pass_probes(r, old);
	e = follow_end(&r->follow, old, r->t0_mono_ns + (uint64_t)ts, "exec", -1);
	if (!e)
		begin_after_exec(r, (pid_t)pid, ppid, FOLLOW_EXECED);
	return e;
}

static void on_new_process(struct recorder *r, pid_t pid, pid_t ppid, int shares_memory)
{
	struct image *img;

	if (!shares_memory && r->o.no_follow) {
		launch_let_go(r->launch, pid);
		return;
	}
	if (!r->end_reason &&
	    follow_begin(&r->follow, pid, ppid, shares_memory ? FOLLOW_VFORK : FOLLOW_FORK, &img))
		fprintf(stderr, "heapscope: warning: %s\n", r->err);
	r->err[0] = '\0';
	launch_resume(pid);
}

/* --no-follow: a vfork child was followed while it shared its parent's memory; its exec ends
 * that. */
static int leaves_tree(struct recorder *r, pid_t pid)
{
	if (!r->o.no_follow || pid == r->pid)
		return 0;
	end_image(r, pid, "exec", -1);
	launch_let_go(r->launch, pid);
	return 1;
}

/* Every state change of the traced processes: new ones, execs, exits, pauses. Each is acted on
 * while the process is held, then it goes on. */
void record_children(struct recorder *r)
{
	struct launch_event ev;

	for (launch_next(r->launch, &ev); ev.state != LAUNCH_NONE; launch_next(r->launch, &ev)) {
		struct image *img = images_find(r->images, ev.pid);

		switch (ev.state) {
		case LAUNCH_NEW: on_new_process(r, ev.pid, ev.ppid, ev.shares_memory); break;
		case LAUNCH_EXEC:
			if (leaves_tree(r, ev.pid))
				break;
			on_exec(r, ev.pid);
			launch_resume(ev.pid);
			break;
		case LAUNCH_EXITING: /* its address space is still there: symbolize what is in */
			record_drain_all(r);
			if (img)
				sym_refresh(img->sym);
			if (img && r->o.scan_at_end)
				scan_at_exit(r, ev.pid);
			launch_resume(ev.pid);
			break;
		case LAUNCH_PAUSED: /* its module events are in the ring buffer already */
			record_drain_all(r);
			record_sync_tables(r, 0);
			launch_resume(ev.pid);
			break;
		case LAUNCH_DONE:
			if (img || ev.pid == r->pid)
				record_gone(r, ev.pid, ev.exit_code);
			break;
		case LAUNCH_RUNNING:
		case LAUNCH_NONE: break;
		}
	}
}
