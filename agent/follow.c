/* Starting and ending the tracing of one program image. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/clock.h"
#include "agent/bpfside.h"
#include "agent/follow.h"
#include "agent/images.h"
#include "agent/proc.h"
#include "agent/probes.h"
#include "agent/stacks.h"
#include "agent/symbolize.h"
#include "agent/tracker.h"
#include "agent/unwind.h"
#include "bpf/abi.h"
#include "heapscope.skel.h"
#include "store/store.h"

int64_t follow_ts(const struct follow *f, uint64_t mono_ns)
{
	return mono_ns > f->t0_mono_ns ? (int64_t)(mono_ns - f->t0_mono_ns) : 0;
}

int follow_sync_tables(struct follow *f, struct image *img)
{
	struct unwind_stats us;
	int e;

	if (!f->unwinder)
		return 0;
	e = unwinder_sync(f->unwinder, img->slot, img->sym);
	if (e)
		snprintf(f->err, f->errlen, "cannot build unwind tables: %s", strerror(-e));
	unwinder_get_stats(f->unwinder, &us);
	if (us.files_no_room && !f->warned_no_room) {
		f->warned_no_room = 1;
		fprintf(stderr,
			"heapscope: warning: the unwind tables are full (%llu rows): code "
			"loaded from now on is walked by frame pointers only\n",
			(unsigned long long)us.rows_cap);
	}
	return e;
}

/* What it runs and which allocator: from its maps (running), or what it will load (exec). A
 * program without an allocator heapscope can probe is still followed, with its notice. */
static int describe(struct follow *f, struct image *img, enum follow_how how)
{
	int e = how == FOLLOW_EXEC || how == FOLLOW_EXECED ?
			target_describe_exec(&img->t, img->pid, f->objs_cache, f->err, f->errlen) :
			target_describe(&img->t, img->pid, NULL, f->err, f->errlen);

	if (e && img->t.notice[0]) {
		img->t.allocator[0] = '\0';
		return 0;
	}
	return e;
}

/* Says once what cannot be traced in img. */
static int store_notice(struct follow *f, struct image *img)
{
	if (!img->t.notice[0])
		return 0;
	fprintf(stderr, "heapscope: notice: pid %d: %s\n", (int)img->pid, img->t.notice);
	return store_insert_notice(f->store, img->id, img->t.go ? "go_heap" : "no_allocator",
				   img->t.notice);
}

static int store_process(struct follow *f, struct image *img)
{
	struct store_process row = {
		.id = img->id,
		.pid = img->pid,
		.ppid = img->ppid,
		.exe = img->t.exe,
		.command = img->t.command,
		.allocator = img->t.allocator[0] ? img->t.allocator : NULL,
		.start_ts = img->start_ts,
	};
	int e = store_insert_process(f->store, &row);

	return e ? e : store_notice(f, img);
}

/* Its BPF entry (slot, address space) goes in before its probes can fire. */
static int publish_proc(struct follow *f, struct image *img)
{
	struct hs_proc p = { .slot = img->slot, .as_id = ++f->next_as_id };
	uint32_t key = (uint32_t)img->pid;

	return bpf_map__update_elem(f->skel->maps.procs, &key, sizeof(key), &p, sizeof(p), BPF_ANY);
}

/* An exec's probes from before: kept if they fit, else gone before new ones come (both would
 * fire in the new image). 1 when kept. */
static int take_inherited(struct follow *f, struct image *img)
{
	struct probes *p = f->inherited;

	f->inherited = NULL;
	f->kept = p && img->t.allocator[0] &&
		  proc_same_file(img->t.allocator, f->inherited_allocator);
	if (f->kept) {
		img->probes = p;
		return 1;
	}
	probes_free(p);
	return 0;
}

static int attach(struct follow *f, struct image *img)
{
	int e;

	if (take_inherited(f, img) || !img->t.allocator[0])
		return 0; /* probed already, or nothing to probe: the notice says so */
	e = probes_attach(f->skel, img->pid, img->t.allocator, &img->t.objs, f->sampled,
			  &img->probes, f->err, f->errlen);
	if (e == -ENOENT && proc_exists(img->pid))
		snprintf(f->err, f->errlen, "process %d exited before it could be attached",
			 (int)img->pid);
	if (!e && !f->probes_stored) {
		f->probes_stored = 1;
		e = probes_store(img->probes, f->store);
	}
	return e;
}

int follow_begin(struct follow *f, pid_t pid, pid_t ppid, enum follow_how how, struct image **out)
{
	struct image *img = images_add(f->images, pid, ppid ? ppid : proc_ppid(pid)), *parent;
	int e;

	*out = NULL;
	if (!img) {
		if (!f->warned_no_slot++)
			fprintf(stderr,
				"heapscope: warning: %d processes traced at once: process %d "
				"and any other new one is not traced\n",
				HS_MAX_PROCS, (int)pid);
		return 0;
	}
	img->traced_from_start = how == FOLLOW_EXEC;
	if (how == FOLLOW_VFORK && (parent = images_find(f->images, img->ppid))) {
		img->heap_proc = parent->heap_proc;
		img->traced_from_start = parent->traced_from_start;
	}
	img->start_ts = follow_ts(f, clock_ns(CLOCK_MONOTONIC));
	e = describe(f, img, how);
	if (!e && sym_open(pid, &img->sym))
		e = -ESRCH;
	if (e == -ESRCH)
		snprintf(f->err, f->errlen, "process %d exited before it could be attached",
			 (int)pid);
	if (!e)
		e = stacks_space_new(f->stacks, img->sym, img->id, &img->space);
	if (!e)
		e = publish_proc(f, img);
	if (!e)
		e = follow_sync_tables(f, img);
	if (!e)
		e = attach(f, img);
	if (!e && how == FOLLOW_EXECED)
		img->traced_from_start = f->kept;
	img->armed_ts = follow_ts(f, clock_ns(CLOCK_MONOTONIC));
	if (!e)
		e = store_process(f, img);
	if (e) {
		probes_free(f->inherited);
		f->inherited = NULL;
		images_remove(f->images, img);
		return e;
	}
	*out = img;
	return 0;
}

int follow_end(struct follow *f, struct image *img, uint64_t mono_ns, const char *reason,
	       int exit_status)
{
	int64_t ts = follow_ts(f, mono_ns);
	uint32_t key = (uint32_t)img->pid;
	int e = 0;

	if (!strcmp(reason, "exec"))
		e = tracker_release_image(f->tracker, img->id, img->pid, ts);
	if (!e)
		e = store_end_process(f->store, img->id, ts, reason, exit_status);
	bpf_map__delete_elem(f->skel->maps.procs, &key, sizeof(key), 0);
	if (f->sampled && strcmp(reason, "recording_end"))
		bpfside_forget_sampled(f->skel, img->pid);
	images_remove(f->images, img);
	return e;
}
