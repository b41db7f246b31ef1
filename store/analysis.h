/* The analyses of a recording: summary (with the stack quality), sites, lifetimes, sizes, leaks,
 * errors, timeline and advice, as typed results. `heapscope report` and the server both render
 * these; nothing else computes them. Every function takes an open reader and fills a result the
 * caller frees with the matching *_free function (which accepts a zeroed result); 0 or -errno
 * (-EIO: the query failed, see store_reader_errmsg). */
#ifndef HEAPSCOPE_STORE_ANALYSIS_H
#define HEAPSCOPE_STORE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

struct store_reader;

/* --- Opening ------------------------------------------------------------------------------ */

/* Opens a recording read-only (it may still be growing). 0, or -ENOENT (no such file),
 * -ENOTSUP (not a heapscope recording / not SQLite), -EPROTO (another schema version), with a
 * one-line reason in err. */
int store_reader_open(const char *path, struct store_reader **out, char *err, size_t errlen);
void store_reader_close(struct store_reader *r);
const char *store_reader_errmsg(const struct store_reader *r);

/* recording.sample_bytes: 0 for an exact recording (every call traced), else a sampled one's
 * mean bytes between samples. Then every count and byte total of every analysis is an estimate
 * (each sampled block stands for `weight` blocks; sums are of weights), and misuse (double and
 * invalid frees) is not checked: only sampled blocks are tracked. */
int64_t store_reader_sample_bytes(const struct store_reader *r);

/* Restricts every analysis of r to one process: its allocations and errors (allocations.pid,
 * errors.pid) and the stacks of its program images (stacks.proc), so the per-site aggregates
 * follow (allocations whose stack was lost name no image: they drop out of those). pid 0 lifts
 * the restriction (the default). 0, -EINVAL (pid < 0), or -ENOENT: the recording holds no
 * process of that pid. Recording-wide counts (dropped events, untracked frees, stack
 * collisions, event accounting) and the duration stay the recording's. */
int store_reader_set_pid(struct store_reader *r, int pid);

/* --- Time windows -------------------------------------------------------------------------- */

/* Restricts every analysis of r to the allocations made in [from_ns, to_ns) (ns since the start;
 * to_ns 0: up to the end): summary counts and peak, sites (any grouping), leaks, lifetimes and
 * sizes count those blocks (live: not freed by the end of the recording), from the allocation
 * rows (weighted); errors are those that happened in the window; the timeline is the recording's
 * between from and to; advice keeps the whole recording's evidence of the sites that allocated
 * in the window. Stack quality, processes, notices and the event accounting stay the
 * recording's. from_ns 0 and to_ns 0 lift it. 0, -EINVAL (negative, or to_ns <= from_ns), -ERANGE
 * (from_ns at or past the end), -EAGAIN (the recording has no end yet: its live blocks' rows are
 * written at the end), with a one-line reason in store_reader_errmsg; -EIO. */
int store_reader_set_window(struct store_reader *r, int64_t from_ns, int64_t to_ns);

/* The window in effect: 1 and its bounds (to: INT64_MAX when open), or 0. */
int store_reader_window(const struct store_reader *r, int64_t *from_ns, int64_t *to_ns);

/* The recording's start (recording.start_time_ns: the wall clock, ns since the epoch) and its
 * duration so far, for converting wall-clock times to offsets. 0 or -EIO. */
int store_reader_times(struct store_reader *r, int64_t *start_time_ns, int64_t *duration_ns);

/* --- Allocation wrappers ------------------------------------------------------------------ */

/* Functions that only pass allocations on (xmalloc, g_malloc, sqlite3Malloc): made part of the
 * allocator, so the site of an allocation is the wrapper's caller. A stack whose innermost named
 * frames all match (unnamed frames between them are taken along: static helpers without a
 * symbol) loses them, down to its last frame; stacks that are the same once trimmed are one
 * site (stacks.id: the smallest of them) in every analysis of r: sites (any grouping), leaks,
 * lifetimes, sizes and timeline of a site, advice, the stacks every view shows. Counts are
 * unchanged: nothing is dropped, only re-keyed. Patterns are fnmatch(3) globs on the function
 * name ("x*alloc", "g_malloc*", "std::*allocator*::allocate*"); AN_ALLOC_FN_AUTO adds the
 * functions an_detect_alloc_fns finds; AN_ALLOC_FN_NONE drops the recording's own patterns
 * (record --alloc-fn, applied from store_reader_open on). */
#define AN_ALLOC_FN_AUTO "auto"
#define AN_ALLOC_FN_NONE "none"
#define AN_ALLOC_FN_MAX 64	       /* patterns at once */
#define AN_ALLOC_FN_PATTERN_MAX 256    /* bytes of one pattern */
#define AN_WRAPPER_MIN_CALLERS 5       /* call sites calling a detected wrapper */
#define AN_WRAPPER_MIN_SHARE 0.9       /* of its allocations with it as the innermost named frame */

/* Sets the patterns added to the recording's (replacing any set before). 0, -EINVAL (an empty
 * or too long pattern, too many), -ENOMEM, or -EIO. */
int store_reader_set_alloc_fns(struct store_reader *r, const char *const *patterns, size_t n);

/* A function treated as a wrapper: the stacks it was dropped from, and their allocations. */
struct an_alloc_fn {
	char *function;
	int64_t sites, allocs;
};

/* What is in effect: every pattern (the recording's first: nrecorded of them), the functions
 * "auto" detected, and the functions dropped from at least one stack, most allocations first. */
struct an_alloc_fns {
	char **patterns, **detected;
	size_t npatterns, nrecorded, ndetected;
	struct an_alloc_fn *v;
	size_t n;
};

int an_alloc_fns(struct store_reader *r, struct an_alloc_fns *out);
void an_alloc_fns_free(struct an_alloc_fns *a);

/* A likely wrapper: the innermost named frame of at least AN_WRAPPER_MIN_SHARE of the
 * allocations whose stacks hold it, called from at least AN_WRAPPER_MIN_CALLERS call sites.
 * (That it passes the size straight through cannot be seen from outside; a constructor such as
 * node_new() called from many places passes too, and is then reported where it is called.) */
struct an_wrapper {
	char *function;
	int64_t allocs;	     /* allocations with it innermost */
	int64_t all_allocs;  /* allocations whose stacks hold it */
	int64_t callers;     /* distinct call sites (return addresses) calling it */
	int64_t site;	     /* its biggest stack */
};

struct an_wrappers {
	struct an_wrapper *v;
	size_t n;
};

/* The likely wrappers of the recording (or the filtered process), by the recorded stacks
 * (wrappers in effect are not applied), most allocations first. */
int an_detect_alloc_fns(struct store_reader *r, struct an_wrappers *out);
void an_wrappers_free(struct an_wrappers *w);

/* --- Stacks -------------------------------------------------------------------------------- */

struct an_frame {
	char *function, *file, *module; /* NULL when unknown */
	int line;			/* 0 when unknown */
	uint64_t addr;
	/* A function inlined into the next frame (same address): file:line is where in it the
	 * call is, and the next frame's is the call site of this one (addr2line -i's order). */
	int inlined;
	/* The address in the module's file (addr - load bias), the same in every run: frames
	 * without a function are shown as module basename + "+0x" offset. 0 without a module. */
	uint64_t offset;
	char *build_id;			    /* the module's, NULL if unknown */
	uint64_t module_start, module_end; /* the module's load range in its process */
};

/* frames[0] is the innermost frame: the function that called the allocator (or the innermost
 * function inlined there). depth counts inlined frames too. */
struct an_stack {
	int depth;
	struct an_frame *frames;
};

/* --- Stack quality ------------------------------------------------------------------------- */

/* The allocation sites whose stack walk ended one way (stacks.walk_end), and their allocations. */
struct an_walk_end {
	char *walk_end; /* complete, caller_only, fp, depth, no_cfi...; unknown: stack lost */
	int64_t sites, allocs;
};

/* How far the recorded stacks reach, weighted by the allocations made at each site. */
struct an_stack_quality {
	char *mode;	       /* recording.stack_mode: caller, fp or dwarf */
	int64_t sites, allocs; /* allocation sites (stacks) and the allocations counted */
	double complete_allocs_share, complete_sites_share; /* walks that reached the entry */
	double mean_depth;				    /* frames per allocation's stack */
	int p99_depth;		  /* 99% of allocations have a stack at most this deep */
	struct an_walk_end *ends; /* most allocations first */
	size_t nends;
	int64_t fp_fallback_frames, unwind_files, unwind_files_no_cfi;
	const char *hint; /* static: what cuts most short stacks, when under 90% are complete */
};

int an_stack_quality(struct store_reader *r, struct an_stack_quality *out);
void an_stack_quality_free(struct an_stack_quality *q);

/* --- Processes, notices, event accounting -------------------------------------------------- */

/* One traced program image (a process; the same pid again after each exec). Counts come from
 * the per-site aggregates of its stacks: allocations whose stack was lost are in the
 * recording's totals only. */
struct an_process {
	int64_t id;    /* processes.id */
	int pid, ppid; /* ppid 0: unknown */
	char *exe, *command, *allocator;
	char *end_reason;	  /* exited, killed, exec, recording_end; NULL while it runs */
	int64_t start_ts, end_ts; /* ns since the recording started; end_ts -1 while it runs */
	int exit_status;	  /* -1: none */
	int64_t allocs, frees, live_blocks, live_bytes, errors;
};

/* What heapscope could not trace, e.g. kind "go_heap" or "no_allocator". */
struct an_notice {
	int pid; /* 0: about the whole recording */
	char *kind, *message;
};

/* What became of the events of one type (event_counts). */
struct an_event_count {
	char *kind; /* alloc, free, stack, stack_raw, module */
	int64_t emitted, dropped, received, stored, after_cut;
};

/* Every event the BPF programs emitted was received, and stored unless it came after the cut. */
struct an_events {
	struct an_event_count *v; /* per type; n 0: not written yet (the recording runs) */
	size_t n;
	int64_t emitted, dropped, received, stored, after_cut; /* over every type */
	int accounted; /* emitted = received and received = stored + after_cut for every type */
};

/* --- Reachability scans ------------------------------------------------------------------- */

/* The verdicts of a scan (allocations.reach, an_leak.reach): 0 not scanned, 1 definitely lost,
 * 2 indirectly lost, 3 possibly lost, 4 still reachable (agent/reach.h enum reach_kind). */
#define AN_REACH_KINDS 5
/* "not scanned", "definitely lost", "indirectly lost", "possibly lost", "still reachable" (a
 * static string; out of range: "not scanned"). */
const char *an_reach_name(int reach);

/* A reachability scan (table scans): when (ns since the start), of which process, why ("exit",
 * "end", "request"), how long the process was stopped, and blocks and bytes per verdict. */
struct an_scan {
	int64_t scans; /* scans of the recording (of the filtered process); 0: never scanned */
	int64_t ts_ns;
	int pid, threads;
	char *trigger;
	int64_t stop_ns, scan_ns, roots_bytes, blocks_bytes, unreadable;
	int64_t blocks[AN_REACH_KINDS], bytes[AN_REACH_KINDS]; /* [1..4]: by verdict */
};

/* The last scan of the recording (or of the filtered process); scans 0 when none. 0 or -EIO. */
int an_last_scan(struct store_reader *r, struct an_scan *out);
void an_scan_free(struct an_scan *s);

/* --- Summary ------------------------------------------------------------------------------- */

/* A recording without an end is in progress only while its recorder runs (recording.recorder_*,
 * or, where that process cannot be seen, a commit at most this long ago). */
#define STORE_HEARTBEAT_STALE_NS (5 * 1000000000LL)

struct an_summary {
	int pid;
	/* end_reason: exited, killed, duration, interrupted, error (writing failed: the counts are
	 * those stored until then, a "write_failed" notice says why), cut_short (the recorder
	 * stopped without writing the end, e.g. killed: the counts are those of its last commit,
	 * at most about a second before); NULL while recording. Processes still running at the
	 * end of an error or cut_short recording end with it (the same end_reason). */
	char *mode, *command, *exe, *allocator, *end_reason;
	int cut_short; /* end_reason is "cut_short" */
	int64_t start_time_ns, duration_ns;
	int exit_status;      /* -1: none */
	int64_t sample_bytes; /* store_reader_sample_bytes: 0 exact, else counts are estimates */
	/* Under a pid filter, that process's: its peak replayed from its allocations (a scan and a
	 * sort) unless it is the only process traced. */
	int64_t allocs, frees, alloc_bytes, live_blocks, live_bytes, peak_bytes, peak_ts;
	int64_t dropped_events, untracked_frees, stack_collisions, stack_map_full;
	int64_t double_frees, invalid_frees;
	int64_t unreliable_errors; /* errors at or after first_drop_ts: may be spurious */
	int64_t freed_forgotten;   /* freed addresses the double-free check let go of: a later
				    * free of one is reported as an invalid free */
	struct an_stack_quality stacks;
	int pid_filter;		       /* store_reader_set_pid's pid; 0: the whole recording */
	int64_t cut_ts, first_drop_ts; /* -1: none (still recording / nothing lost) */
	struct an_process *procs;      /* by start, then id; only the filtered pid's */
	size_t nprocs;
	struct an_notice *notices; /* recording-wide ones and the filtered pid's */
	size_t nnotices;
	struct an_events events; /* recording-wide */
	struct an_alloc_fns alloc_fns; /* allocation wrappers in effect */
	/* store_reader_set_window's: the counts, peak and errors are of the allocations made in
	 * [window_from_ns, window_to_ns) (live: not freed by the end) and the errors then. */
	int windowed;
	int64_t window_from_ns, window_to_ns;
	struct an_scan last_scan; /* the last reachability scan; last_scan.scans 0: none */
};

int an_summary(struct store_reader *r, struct an_summary *out);
void an_summary_free(struct an_summary *s);

/* --- Sites --------------------------------------------------------------------------------- */

enum an_group { AN_BY_STACK, AN_BY_FUNCTION, AN_BY_FILE };

/* The names of enum an_group's values, in its order, NULL-terminated: "stack", "function",
 * "file" (what --group-by and the API's group parameter accept). */
extern const char *const AN_GROUP_NAMES[];

struct an_site {
	int64_t site;	       /* stacks.id (AN_BY_STACK), else the group's biggest site */
	char *key;	       /* function or file name of the group (AN_BY_FUNCTION/FILE) */
	struct an_stack stack; /* of `site` */
	int64_t allocs, bytes, min_size, max_size, frees, live_blocks, live_bytes;
	int64_t peak_live_bytes; /* for a group: the sum of its sites' peaks (an upper bound) */
	double avg_size, temporary_share;
	/* From quarter-octave histograms: within ~12% of the exact value. -1 when nothing was freed. */
	int64_t lifetime_p50_ns, lifetime_p90_ns, lifetime_p99_ns, lifetime_max_ns;
	int64_t alloc_time_p50_ns, alloc_time_p99_ns;
	int64_t sites; /* stacks in the group */
};

struct an_sites {
	struct an_site *v;
	size_t n;
	size_t total; /* groups before limit/offset */
};

struct an_sites_query {
	enum an_group group;
	const char *
		sort; /* a column of struct an_site: "bytes" (default), "allocs", "live_bytes"... */
	int ascending;
	int64_t limit; /* 0: all */
	int64_t offset;
	const char *function; /* substring filters on the innermost frame, NULL: none */
	const char *file;
	int64_t site; /* only this stack (0: all) */
};

/* Valid values of an_sites_query.sort, NULL-terminated. */
extern const char *const AN_SITE_SORT_KEYS[];

int an_sites(struct store_reader *r, const struct an_sites_query *q, struct an_sites *out);
void an_sites_free(struct an_sites *s);

/* --- Histograms ---------------------------------------------------------------------------- */

struct an_bucket {
	int64_t lo, hi, count; /* [lo, hi); hi = INT64_MAX for the last lifetime bucket */
};

struct an_hist {
	struct an_bucket b[66];
	int n;
	int64_t live; /* lifetimes: blocks still live at the end (no lifetime yet) */
};

/* Lifetimes in the user buckets: under 1 us, doubling from 1 us, over 1 hour. site 0: all. */
int an_lifetimes(struct store_reader *r, int64_t site, struct an_hist *out);
/* Requested sizes: 0, then [2^(k-1), 2^k). site 0: all. Only buckets up to the largest used. */
int an_sizes(struct store_reader *r, int64_t site, struct an_hist *out);

/* --- Leaks --------------------------------------------------------------------------------- */

struct an_leak {
	int64_t site, blocks, bytes, oldest_age_ns;
	double growth; /* share of the recording's tenths in which the site's live blocks appeared */
	double score;  /* ranking: an_leak_score */
	char *key;     /* function or file of a group (AN_BY_FUNCTION/FILE), else NULL */
	int64_t sites;	       /* stacks in the group */
	struct an_stack stack; /* of `site`: the group's biggest */
	int reach; /* the last reachability scan's verdict of these blocks (agent/reach.h
		    * enum reach_kind: 1 definitely, 2 indirectly, 3 possibly lost; 0 not scanned) */
};

struct an_leaks {
	struct an_leak *v;
	size_t n;
};

/* Blocks still live at the end, by site (and by the last scan's verdict), best suspect first:
 * definitely, indirectly, possibly lost, not scanned, then by score; blocks a scan found still
 * reachable are not here (an_held_grouped). min_age_ns keeps only blocks at least that old at
 * the end; limit 0: all. */
int an_leaks(struct store_reader *r, int64_t min_age_ns, int64_t limit, struct an_leaks *out);
/* The same, grouped by innermost function or source file: blocks and bytes add up, the oldest
 * age and the growth are the group's highest. */
int an_leaks_grouped(struct store_reader *r, int64_t min_age_ns, int64_t limit, enum an_group by,
		     struct an_leaks *out);
/* The same of the blocks the last scan found still reachable (held memory, not leaks: a scan
 * moves them out of an_leaks). */
int an_held_grouped(struct store_reader *r, int64_t min_age_ns, int64_t limit, enum an_group by,
		    struct an_leaks *out);
void an_leaks_free(struct an_leaks *l);
/* A leak suspect's ranking: bytes * (0.25 + 0.75 * growth) * (0.5 + 0.5 * age_share), where
 * age_share is the oldest block's age over the recording's duration (0 to 1): steady growth
 * outranks a block that merely stayed, and blocks that outlived most of the recording outrank
 * ones allocated just before its end (possibly still in use, freed a moment later). */
double an_leak_score(int64_t bytes, double growth, double age_share);

/* --- Errors -------------------------------------------------------------------------------- */

struct an_error {
	char *kind; /* "double_free" or "invalid_free" */
	char *func; /* the freeing function: free, operator delete... */
	uint64_t addr;
	int64_t ts;
	int tid, pid;
	/* At or after the first lost event (recording.first_drop_ts): a missed allocation or free
	 * can make a correct free look wrong. */
	int unreliable;
	int64_t alloc_id;
	struct an_stack stack, alloc_stack, prev_free_stack; /* depth 0 when unknown */
};

struct an_errors {
	struct an_error *v;
	size_t n;
};

int an_errors(struct store_reader *r, struct an_errors *out);
void an_errors_free(struct an_errors *e);

/* --- Timeline ------------------------------------------------------------------------------ */

struct an_point {
	int64_t ts; /* end of the interval, ns since the start */
	int64_t live_bytes, live_blocks, allocs, frees, alloc_bytes, free_bytes;
};

struct an_timeline {
	struct an_point *v;
	size_t n;
	int64_t resolution_ns;
};

/* Intervals of resolution_ns (0: about 200 points) between from_ns and to_ns (to_ns 0: the end).
 * site 0: the whole recording; else that stack alone. One site, or one process
 * (store_reader_set_pid), is counted from its allocations (a scan). */
int an_timeline(struct store_reader *r, int64_t site, int64_t from_ns, int64_t to_ns,
		int64_t resolution_ns, struct an_timeline *out);
void an_timeline_free(struct an_timeline *t);

/* --- Advice -------------------------------------------------------------------------------- */

struct an_advice {
	const char *kind; /* pool, arena, batching, realloc_churn, cross_thread (static strings) */
	int64_t site, free_site; /* free_site: cross_thread only */
	char evidence[256];	 /* one sentence with the numbers */
	struct an_stack stack, free_stack;
};

struct an_advices {
	struct an_advice *v;
	size_t n;
};

int an_advice(struct store_reader *r, struct an_advices *out);
void an_advices_free(struct an_advices *a);

/* --- Helpers shared by the analyses ---------------------------------------------------------- */

/* Loads a stack's frames. 0 or -errno. */
int an_load_stack(struct store_reader *r, int64_t site, struct an_stack *out);
void an_stack_free(struct an_stack *s);

#endif
