/* The recorder's rooms share this: record.c (start, the cut, the end), record_loop.c (the event
 * loop: signals, ticks, exits, progress) and record_tree.c (the processes: births, execs, exits).
 * Private to those three files. */
#ifndef HEAPSCOPE_RECORD_PRIV_H
#define HEAPSCOPE_RECORD_PRIV_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/follow.h"
#include "agent/record_opts.h"
#include "agent/sampling.h"
#include "agent/target.h"

#define ERRLEN 16384

struct bpf_link;
struct drain;
struct heapscope_bpf;
struct images;
struct launch;
struct server;
struct stacks;
struct store;
struct tracker;
struct unwinder;

struct recorder {
	struct record_opts o;
	char err[ERRLEN];
	struct target t; /* the first process, or the command: the recording's header */
	struct heapscope_bpf *skel;
	struct store *store;
	struct unwinder *unwinder; /* --stack=dwarf */
	int64_t no_mapping_seen;   /* HS_CNT_NO_MAPPING at the last resync */
	struct stacks *stacks;
	struct tracker *tracker;
	struct images *images;
	struct follow follow;
	struct launch *launch;	    /* the tracer: launch mode, or -p with --follow */
	struct bpf_link *exec_link; /* -p without --follow: execs seen by the BPF side */
	struct bpf_link *exit_link; /* and exits */
	struct drain *drain;
	struct sampling sampling; /* --sample: weighs each sample */
	int fail;		  /* the recording's first error (the store's), 0 if none */
	int end_written;      /* the end is in the file (store_end_recording or _fail_recording) */
	int64_t committed_ts; /* the last commit, ns since the start: what the file holds */
	int64_t unreliable_errors; /* errors at or after the first lost event */
	uint64_t cut_mono_ns;	   /* the stop, 0 while recording */
	struct server *server;
	char url[128];
	pid_t pid; /* the first process */
	int launched, root_done, exit_code, epfd, sigfd, timerfd;
	int run_failed; /* 127: the command not found, 126: not executable (as shells exit) */
	int pidfds[RECORD_MAX_PIDS]; /* -p without --follow: each process's exit */
	const char *end_reason;
	uint64_t t0_mono_ns, stop_deadline_ns;
	int64_t t0_wall_ns;
	int tty, err_reported, interrupts;
	int scan_fd; /* the control socket (record_scan.c), -1: none */
	uint64_t ticks;
	uint64_t last_events, last_progress_ns; /* at the last progress line */
};

/* record.c */
int record_failed(const struct recorder *r);	      /* the recording's first error, 0 if none */
void record_drain_all(struct recorder *r);	      /* every event in the ring buffer now */
void record_sync_tables(struct recorder *r, int all); /* unwind tables of changed images */
void record_stop(struct recorder *r, const char *reason);		/* the cut, once */
int64_t record_since_start(const struct recorder *r, uint64_t mono_ns); /* -1 for 0 */
void record_detach_all(struct recorder *r);	     /* every image's probes, at once */
void record_write_failed(struct recorder *r, int e); /* the end after writing failed */

/* record_loop.c */
void record_signals(sigset_t *set); /* the signals taken through the signalfd */
int record_loop_setup(struct recorder *r);
void record_loop(struct recorder *r); /* until the cut */
void record_progress(struct recorder *r, int final);

/* record_tree.c */
void record_children(struct recorder *r); /* every state change of the traced processes */
void record_gone(struct recorder *r, pid_t pid, int code);	  /* code < 0: unknown */
int record_exec_event(void *ctx, uint32_t pid, int64_t ts);	  /* struct drain_opts.on_exec */
void record_exit_event(void *ctx, uint32_t pid, uint32_t status); /* .on_exit */

#endif
