/* The BPF side as the recorder sees it: the programs loaded with a recording's settings, their
 * counters, and what each program emitted and cost. */
#ifndef HEAPSCOPE_BPFSIDE_H
#define HEAPSCOPE_BPFSIDE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct drain_counts;
struct heapscope_bpf;
struct store;

/* 16 MiB of unwind rows: python3 + libc + libstdc++ need 120k. */
#define BPFSIDE_UNWIND_ROWS (1U << 21)

struct bpfside_opts {
	int ringbuf_mb; /* kernel ring buffer */
	int stack_mode; /* enum hs_stack_mode */
	int max_depth;	/* frames per stack */
	uint64_t sample_bytes; /* --sample: mean bytes between samples, 0 = exact */
	uint64_t sample_seed;  /* --sample-seed, 0 = random */
};

/* Opens and loads the programs. 0, or -errno with one line for the user in err (no permission,
 * a kernel without what heapscope needs, with libbpf's last word). Free with
 * heapscope_bpf__destroy. */
int bpfside_load(const struct bpfside_opts *o, struct heapscope_bpf **out, char *err,
		 size_t errlen);

/* libbpf's last warning, kept for that line (see agent/main.c). */
void bpfside_note_libbpf(const char *fmt, va_list args);

/* One counter (enum hs_counter), summed over CPUs; 0 if unreadable. */
int64_t bpfside_counter(struct heapscope_bpf *skel, uint32_t which);

/* Sampled mode: a process ended or exec'd; its sampled blocks are gone with its memory. */
void bpfside_forget_sampled(struct heapscope_bpf *skel, pid_t pid);

/* The counters that are not per event type (table bpf_counters). 0 or -errno. */
int bpfside_store_counters(struct heapscope_bpf *skel, struct store *st);

/* Every program's runs and kernel time (table bpf_programs). 0 or -errno. */
int bpfside_store_programs(struct heapscope_bpf *skel, struct store *st);

/* Per event type (counts[type], enum hs_event_type): emitted, lost and held back by the
 * programs, received and stored by the consumer (table event_counts). 0 or -errno. */
int bpfside_store_event_counts(struct heapscope_bpf *skel, const struct drain_counts *counts,
			       struct store *st);

#endif
