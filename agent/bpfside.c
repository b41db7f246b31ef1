/* The BPF side as the recorder sees it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/bpfside.h"
#include "agent/drain.h"
#include "agent/probes.h"
#include "agent/sampling.h"
#include "bpf/abi.h"
#include "heapscope.skel.h"
#include "store/store.h"

/* Only the recorder's main thread loads programs. */
static char libbpf_last[512];

void bpfside_note_libbpf(const char *fmt, va_list args)
{
	vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, args);
	libbpf_last[strcspn(libbpf_last, "\n")] = '\0';
}

static void load_error(int e, int sampled, char *err, size_t errlen)
{
	if (e == -EPERM || e == -EACCES)
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s; heapscope record needs "
			 "root, or CAP_BPF and CAP_PERFMON: run it with sudo",
			 strerror(-e));
	else
		snprintf(err, errlen,
			 "cannot load the BPF programs into the kernel: %s (libbpf: %s); "
			 "heapscope needs Linux >= %s with BTF (/sys/kernel/btf/vmlinux); "
			 "HEAPSCOPE_DEBUG=1 shows the verifier log",
			 strerror(-e), libbpf_last,
			 sampled ? "6.13 for --sample (uprobe sessions)" : "6.6");
}

int bpfside_load(const struct bpfside_opts *o, struct heapscope_bpf **out, char *err, size_t errlen)
{
	struct heapscope_bpf *skel = heapscope_bpf__open();
	int e;

	if (!skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-e));
		return e;
	}
	bpf_map__set_max_entries(skel->maps.events, (uint32_t)o->ringbuf_mb << 20);
	skel->rodata->wakeup_bytes = ((uint64_t)o->ringbuf_mb << 20) / 64;
	skel->rodata->stack_mode = (uint32_t)o->stack_mode;
	skel->rodata->max_depth = (uint32_t)o->max_depth;
	bpf_map__set_max_entries(skel->maps.unwind_rows, BPFSIDE_UNWIND_ROWS);
	if (o->sample_bytes) {
		uint64_t whole, frac20;

		sampling_rate_factor(o->sample_bytes, &whole, &frac20);
		skel->rodata->sample_whole = whole;
		skel->rodata->sample_frac20 = frac20;
		sampling_log2_table((uint32_t *)skel->rodata->sample_log2);
		skel->rodata->sample_seed = o->sample_seed;
	}
	e = probes_set_attach_type(skel, o->sample_bytes != 0);
	if (!e)
		e = heapscope_bpf__load(skel);
	if (e) {
		load_error(e, o->sample_bytes != 0, err, errlen);
		heapscope_bpf__destroy(skel);
		return e;
	}
	*out = skel;
	return 0;
}

int64_t bpfside_counter(struct heapscope_bpf *skel, uint32_t which)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1];
	int64_t sum = 0;

	if (ncpu <= 0 ||
	    bpf_map__lookup_elem(skel->maps.counters, &which, sizeof(which), vals, sizeof(vals), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += (int64_t)vals[i];
	return sum;
}

void bpfside_forget_sampled(struct heapscope_bpf *skel, pid_t pid)
{
	struct hs_sampled_key k, next, *prev = NULL;
	struct bpf_map *m = skel->maps.sampled_live;

	while (!bpf_map__get_next_key(m, prev, &next, sizeof(next))) {
		if (prev && prev->pid == (uint32_t)pid)
			bpf_map__delete_elem(m, prev, sizeof(*prev), 0);
		k = next;
		prev = &k;
	}
	if (prev && prev->pid == (uint32_t)pid)
		bpf_map__delete_elem(m, prev, sizeof(*prev), 0);
}

int bpfside_store_counters(struct heapscope_bpf *skel, struct store *st)
{
	static const char *const names[HS_CNT_EVENTS] = {
		[HS_CNT_DROPPED] = "dropped",
		[HS_CNT_STACK_COLLISION] = "stack_collision",
		[HS_CNT_STACK_MAP_FULL] = "stack_map_full",
		[HS_CNT_INFLIGHT_FAIL] = "thread_state_fail",
		[HS_CNT_NO_MAPPING] = "no_mapping",
		[HS_CNT_FP_FALLBACK] = "fp_fallback",
		[HS_CNT_DEFERRED] = "deferred_walks",
		[HS_CNT_SAMPLE_SKIPPED] = "sample_skipped",
		[HS_CNT_SAMPLE_TAKEN] = "sample_taken",
		[HS_CNT_SAMPLE_NESTED] = "sample_nested",
		[HS_CNT_SAMPLE_TABLE_FULL] = "sample_table_full",
	};
	int e = 0;

	for (uint32_t i = 0; i < HS_CNT_EVENTS && !e; i++)
		if (names[i])
			e = store_insert_bpf_counter(st, names[i], bpfside_counter(skel, i));
	return e;
}

/* Runs counts always, kernel time with kernel.bpf_stats_enabled. */
int bpfside_store_programs(struct heapscope_bpf *skel, struct store *st)
{
	struct bpf_program *prog;
	int e = 0;

	bpf_object__for_each_program(prog, skel->obj)
	{
		struct bpf_prog_info info = { 0 };
		uint32_t len = sizeof(info);

		if (!e && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			e = store_insert_bpf_program(st, bpf_program__name(prog),
						     (int64_t)info.run_cnt,
						     (int64_t)info.run_time_ns);
	}
	return e;
}

int bpfside_store_event_counts(struct heapscope_bpf *skel, const struct drain_counts *counts,
			       struct store *st)
{
	static const char *const kinds[HS_EV_TYPES + 1] = {
		[HS_EV_ALLOC] = "alloc",   [HS_EV_FREE] = "free",	    [HS_EV_STACK] = "stack",
		[HS_EV_MODULE] = "module", [HS_EV_STACK_RAW] = "stack_raw", [HS_EV_EXEC] = "exec",
		[HS_EV_EXIT] = "exit",
	};
	int e = 0;

	for (uint32_t t = 1; t <= HS_EV_TYPES && !e; t++) {
		/* Events held back after the cut were never sent: they count on both sides of
		 * emitted = received = stored + after_cut. */
		int64_t held = bpfside_counter(skel, HS_CNT_EVENT(t, HS_EVC_AFTER_CUT));
		struct store_event_count row = {
			.kind = kinds[t],
			.emitted = bpfside_counter(skel, HS_CNT_EVENT(t, HS_EVC_EMITTED)) + held,
			.dropped = bpfside_counter(skel, HS_CNT_EVENT(t, HS_EVC_DROPPED)),
			.received = (int64_t)counts[t].received + held,
			.stored = (int64_t)counts[t].stored,
			.after_cut = (int64_t)counts[t].after_cut + held,
		};

		e = store_insert_event_count(st, &row);
	}
	return e;
}
