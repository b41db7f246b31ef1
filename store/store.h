/* The recording writer: creates a recording file and appends rows in batched transactions. */
#ifndef HEAPSCOPE_STORE_H
#define HEAPSCOPE_STORE_H

#include <stdint.h>

struct store;

struct store_recording {
	int pid;
	const char *mode; /* "launch" or "attach" */
	const char *command;
	const char *exe;
	const char *allocator;
	int64_t start_time_ns;	/* wall clock */
	const char *options;	/* JSON */
	const char *stack_mode; /* caller, fp, dwarf */
	int64_t sample_bytes;	/* --sample: mean bytes between samples; 0 = exact */
};

/* A finished or still-live allocation. Timestamps are ns since the recording started. */
struct store_alloc {
	int64_t id; /* allocation order */
	uint64_t addr, size;
	int func; /* funcs.id */
	int tid;
	int64_t alloc_ts, alloc_ns;
	int64_t free_ts;	 /* < 0: still live */
	int64_t site, free_site; /* stacks.id, 0 = unknown */
	int free_func, free_tid;
	int pid;
	int64_t proc;	/* processes.id, 0 = unknown */
	int64_t weight; /* blocks this one stands for: 1 exact, >= 1 sampled (0 reads as 1) */
	int reach;	/* the last reachability scan's verdict (agent/reach.h), 0: none */
};

struct store_error {
	const char *kind; /* "double_free" or "invalid_free" */
	uint64_t addr;
	int64_t ts;
	int tid, func;
	int64_t site, alloc_id, prev_free_site; /* 0 = unknown */
	int pid;
};

struct store_timeline {
	int64_t ts;
	int64_t live_bytes, live_blocks, allocs, frees, alloc_bytes, free_bytes;
};

struct store_event {
	int64_t ts;
	const char *kind; /* "alloc" or "free" */
	int func, tid;
	uint64_t addr, size, old_addr;
	int64_t site;
	int pid;
};

/* One traced program image (a process, or the same pid after an exec). */
struct store_process {
	int64_t id;
	int pid, ppid; /* ppid <= 0: unknown */
	const char *exe, *command, *allocator;
	int64_t start_ts;
};

/* What became of the events of one type (see the event_counts table). */
struct store_event_count {
	const char *kind;
	int64_t emitted, dropped, received, stored, after_cut;
};

struct store_probe {
	const char *func, *symbol, *module, *insn, *reason;
	int64_t offset;
	int emulated, retprobe;
};

struct store_end {
	int64_t duration_ns;
	const char *end_reason;
	int exit_status; /* < 0: none */
	int64_t dropped_events, untracked_frees, stack_collisions, stack_map_full;
	int64_t peak_live_bytes, peak_ts;
	int64_t fp_fallback_frames, unwind_files, unwind_files_no_cfi;
	int64_t cut_ts, first_drop_ts; /* < 0: none */
	int64_t freed_forgotten;	/* freed addresses the double-free check let go of */
};

struct store_site_stats {
	int64_t site, allocs, bytes, min_size, max_size, frees, freed_bytes, live_blocks,
		live_bytes;
	int64_t peak_live_bytes, peak_ts, temp_allocs, tight_allocs, burst_frees, small_reallocs;
	int64_t max_realloc_chain, cross_thread_frees, first_ts, last_ts;
};

struct store_leak_site {
	int64_t site, blocks, bytes, oldest_ts;
	double growth;
	int reach; /* the last scan's verdict of these blocks, 0: not scanned */
};

/* One reachability scan (table scans). v: threads, stop_ns, scan_ns, roots_bytes,
 * blocks_bytes, unreadable, then blocks and bytes of definite, indirect, possible, reachable. */
struct store_scan {
	int64_t ts;
	int pid;
	int64_t proc;
	const char *trigger; /* "exit", "end" or "request" */
	int64_t v[14];
};

/* Creates (replacing any file there) a recording at path. 0 or -errno; on failure errbuf holds
 * the reason and no file is left behind. The caller owns *out (store_close). */
int store_create(const char *path, struct store **out, char *errbuf, size_t errlen);

/* Closes the file; 0 or -errno (-ENOSPC for a full disk). Accepts NULL. */
int store_close(struct store *s);

/* Row appenders: 0 or -errno (-ENOSPC when the disk is full). Rows become visible to readers
 * at the next store_commit. */
int store_begin_recording(struct store *s, const struct store_recording *r);
int store_insert_probe(struct store *s, const struct store_probe *p);
int store_insert_module(struct store *s, int64_t id, const char *path, const char *build_id,
			uint64_t start, uint64_t end);
int store_insert_frame(struct store *s, int64_t id, uint64_t addr, int64_t module_id,
		       uint64_t rel_addr, const char *function, const char *file, int line);
/* A function inlined at frame frame_id's address (inlined_frames; pos 0 innermost). */
int store_insert_inlined(struct store *s, int64_t frame_id, int pos, const char *function,
			 const char *file, int line);
int store_insert_stack(struct store *s, int64_t id, int depth, const char *walk_end,
		       const int64_t *frame_ids, int64_t proc);
int store_insert_alloc(struct store *s, const struct store_alloc *a);
int store_insert_error(struct store *s, const struct store_error *e);
int store_insert_timeline(struct store *s, const struct store_timeline *t);
int store_insert_event(struct store *s, const struct store_event *e);
int store_insert_site_stats(struct store *s, const struct store_site_stats *ss);
int store_insert_site_hist(struct store *s, int64_t site, const char *kind, int bucket, int64_t lo,
			   int64_t hi, int64_t count);
int store_insert_cross_thread(struct store *s, int64_t site, int64_t free_site, int64_t blocks);
int store_insert_bpf_program(struct store *s, const char *name, int64_t runs, int64_t run_time_ns);
int store_insert_bpf_counter(struct store *s, const char *name, int64_t value);
int store_insert_leak_site(struct store *s, const struct store_leak_site *l);
int store_insert_process(struct store *s, const struct store_process *p);
/* exit_status < 0: none. */
int store_end_process(struct store *s, int64_t id, int64_t end_ts, const char *end_reason,
		      int exit_status);
int store_insert_notice(struct store *s, int64_t proc, const char *kind, const char *message);
int store_insert_event_count(struct store *s, const struct store_event_count *c);
int store_clear_leak_sites(struct store *s);
int store_insert_scan(struct store *s, const struct store_scan *c);

/* While recording: the peak so far and the events dropped so far, for readers. 0 or -errno. */
int store_update_progress(struct store *s, int64_t peak_live_bytes, int64_t peak_ts,
			  int64_t dropped_events, int64_t first_drop_ts);

/* Commits the open transaction and starts the next one. 0 or -errno. */
int store_commit(struct store *s);

/* Writes the recording's end, builds the indexes, commits. 0 or -errno. */
int store_end_recording(struct store *s, const struct store_end *e);

/* After a failed write (disk full): drops what the open transaction held, gives back the
 * space kept for this, and ends the recording with end_reason "error" at duration_ns (the last
 * commit: the counts in the file are those of that instant) and a notice "write_failed" saying
 * why. Nothing else is written after it. 0 or -errno (then the recording stays without an end:
 * readers see it cut short once the recorder exits). */
int store_fail_recording(struct store *s, int64_t duration_ns, const char *why);

/* The errors stored with ts >= ts (ts < 0: none). 0 or -errno. */
int store_count_errors_from(struct store *s, int64_t ts, int64_t *out);

/* Last SQLite error message, for the caller's one-line report. */
const char *store_errmsg(const struct store *s);

#endif
