// SPDX-License-Identifier: GPL-2.0
/* Kernel side of heapscope: probes on the allocator entry points, one event per outermost call. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bpf/abi.h"
#include "bpf/unwind_step.h"

#define EEXIST 17 /* errno and signal values are not in vmlinux.h */
#define SIGURG 23

char LICENSE[] SEC("license") = "GPL";

/* How deep stacks go: enum hs_stack_mode. */
const volatile __u32 stack_mode = HS_STACK_DWARF;

/* Frames kept per stack, 1..HS_MAX_FRAMES. */
const volatile __u32 max_depth = HS_MAX_FRAMES;

/* Launch mode: the thread (the launched process's first) that is stopped with a signal when
 * the dynamic linker's list changed, so the agent loads the new unwind tables before the new
 * code runs; the agent is its tracer and swallows the signal. SIGURG, whose default action is to
 * ignore it: should heapscope die before swallowing it, the kernel delivers it to the released
 * program, where a SIGSTOP would stop it for good. 0 = never. */
__u32 pause_tid = 0;

/* Per slot (struct hs_proc): generation of its mapping table, bumped by the agent at each
 * publish; its low bit says which of the slot's two `mappings` entries is current. */
__u32 mappings_live[HS_MAX_PROCS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * HS_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct hs_proc);
} procs SEC(".maps");

/* When the dynamic linker last reported a change. For a while after it, a walk that meets code
 * outside the tables hands the agent a copy of the stack (the tables are on their way) rather
 * than guessing by frame pointer, as it does for code never in them (JIT). */
__u64 modules_changed_ns = 0;
#define DEFER_WINDOW_NS 2000000000ULL

/* How many walks may still be handed over in that window: each sends a 4 KiB copy, and code
 * that is in no file (JIT) would otherwise flood the ring buffer after every dlopen. */
__s64 defer_budget = 0;
#define DEFER_BUDGET 2048

/* Wake the consumer only once this much is pending; it also polls every few ms. A wakeup per
 * event (the default) costs more than the rest of the probe. */
const volatile __u64 wakeup_bytes = 1 << 20;

/* Per-thread state of the outermost allocator call in progress. Nesting is told apart by the
 * stack pointer: a nested call (operator new -> malloc, realloc -> free) runs at or below the
 * outer call's sp, a tail jump (new[] -> new, delete -> free) at the same sp. */
struct inflight {
	__u64 args[3];
	__u64 ts_ns;
	__u64 sp; /* rsp at the outermost entry, 0 = no call in progress */
	__u64 stack_id;
	__u64 skip_free; /* pointer of a delete that will tail-jump into free */
	__u64 skip_sp;
	__u32 func;
	__u32 pad;
	/* Sampled mode (bpf/sampled.bpf.h). */
	__s64 countdown;	     /* bytes until the next sample */
	__u64 rng;		     /* this thread's random state, 0 before its first call */
	__u64 outer_lo, outer_hi;    /* code of the last allocator function entered that calls
				      * others: a call returning into it is nested */
	__u64 nests_ra_at;	     /* where that function's return address was */
	__u64 outer_ra_at, outer_ra; /* the last such call charged: where its return address was,
				      * and what (a tail jump from it enters the next function with
				      * both unchanged) */
	__u32 outer_func;
	__u8 sampled;	  /* the call in progress was sampled */
	__u8 old_sampled; /* its realloc'ed block was a sampled one */
	__u16 pad2;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by the agent */
} events SEC(".maps");

/* Stacks already sent to user space, by hash; the value is compared on a hit so a collision is
 * detected and sent inline rather than merged. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18); /* entries allocated as used: ~600 B per distinct stack */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct hs_stack);
} stacks SEC(".maps");

/* The stack being walked: too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hs_stack);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HS_CNT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Source of ids for inline stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} inline_seq SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		*c += 1;
}

/* The end of the recording: events from this instant on (bpf_ktime_get_ns) are not sent, and
 * the agent discards any that read the old value, so an allocation and its free are either both
 * before the cut or the free is after it. 0 = recording. */
__u64 cut_ns = 0;

/* When the first event was lost: misuse found from then on may be spurious. */
__u64 first_drop_ns = 0;

static __always_inline int after_cut(__u64 now, __u32 type)
{
	__u64 cut = cut_ns;

	if (!cut || now < cut)
		return 0;
	count(HS_CNT_EVENT(type, HS_EVC_AFTER_CUT));
	return 1;
}

static __always_inline void dropped(__u32 type)
{
	count(HS_CNT_DROPPED);
	count(HS_CNT_EVENT(type, HS_EVC_DROPPED));
	if (!first_drop_ns)
		__sync_val_compare_and_swap(&first_drop_ns, 0, bpf_ktime_get_ns());
}

static __always_inline void emitted(__u32 type)
{
	count(HS_CNT_EVENT(type, HS_EVC_EMITTED));
}

/* Set by the wakeup sent, cleared by the consumer once it has read the ring buffer: while the
 * consumer is catching up, the data stays above wakeup_bytes, and a wakeup per event would each
 * raise an interrupt (a VM exit on a virtual machine: microseconds per probe). */
__u32 wakeup_sent = 0;

static __always_inline __u64 wakeup_flag(void)
{
	if (wakeup_sent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	wakeup_sent = 1;
	return BPF_RB_FORCE_WAKEUP;
}

/* ts: the event's instant (bpf_ktime_get_ns), taken by the caller where it already has one. */
static __always_inline void fill_hdr(struct hs_event_hdr *h, __u32 type, __u64 ts)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->tid = (__u32)id;
	h->pid = (__u32)(id >> 32);
	h->pad = 0;
	h->ts_ns = ts;
}

/* --stack=fp: above frame 0, the rbp chain while it looks like one: aligned, above sp, strictly
 * increasing. */
static __always_inline void walk_fp(__u64 sp, __u64 fp, struct hs_stack *st)
{
	__u64 pair[2];

	for (int i = 1; i < HS_MAX_FRAMES; i++) {
		if (i >= max_depth) {
			st->end = HS_END_DEPTH;
			return;
		}
		if (fp <= sp || (fp & 7))
			break;
		if (bpf_probe_read_user(pair, sizeof(pair), (void *)fp) || !pair[1])
			break;
		st->frames[i] = pair[1];
		st->depth = i + 1;
		sp = fp;
		fp = pair[0];
	}
}

/* The target's code mappings and the unwind rows of their files (see struct hs_mapping). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2 * HS_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct hs_mappings);
} mappings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 21); /* resized by the agent */
	__type(key, __u32);
	__type(value, struct hs_unwind_row);
} unwind_rows SEC(".maps");

/* Bounds of the binary searches: 2^11 > HS_MAX_MAPPINGS, 2^24 > any unwind_rows size. */
#define MAPPING_STEPS 11
#define ROW_STEPS 24

/* Per-CPU cache of the rule of each return address: allocation paths repeat the same call
 * sites, and a hit skips both binary searches. An entry is valid for one table generation; its
 * check word also catches an entry torn by a program preempted on the same CPU. */
#define RULE_CACHE_SIZE 1024 /* 24 KiB per CPU */
struct rule_slot {
	__u64 pc, row, check; /* row: a struct hs_unwind_row; check: pc ^ row ^ generation */
};

struct rule_cache {
	struct rule_slot slot[RULE_CACHE_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rule_cache);
} rule_cache SEC(".maps");

/* Stack bytes are read in chunks. A user read costs ~85 ns whatever its size, 4 KiB only ~25 ns
 * more than 8 bytes (measured on kernel 6.18, bench/stackcost.sh's workloads), so the walk
 * copies 4 KiB at the probe, and each word it then needs outside the copy starts the next copy:
 * a gap between frames (a frame with a big local buffer) costs one read, not a copy of what it
 * spans. A copy that runs past the stack's top fails whole; it is made again up to the end of
 * the page holding the words needed, and that page's end is remembered so that the next walks
 * stop their copies there. */
#define WINDOW_WORDS 512 /* 4 KiB */
struct stack_window {
	__u64 w[WINDOW_WORDS];
	__u64 top; /* the start of a page above a stack that a copy failed on: copies stop there */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_window);
} stack_window SEC(".maps");

struct dwarf_walk {
	struct unwind_regs regs; /* the frame being left: its return address, rsp and rbp */
	__u64 gen;		 /* mapping table generation */
	__u64 win_lo;		 /* user address of win->w[0] */
	__u64 win_words;	 /* words copied into win, 0 if the copy failed */
	struct hs_stack *st;
	struct hs_mappings *maps;
	struct rule_cache *cache;
	struct stack_window *win;
};

static __always_inline int copy_window(struct dwarf_walk *w, __u64 lo, __u64 bytes)
{
	asm volatile("" : "+r"(bytes)); /* the bound check where the verifier needs it */
	if (bytes < 8 || bytes > 8 * WINDOW_WORDS ||
	    bpf_probe_read_user(w->win->w, bytes, (void *)lo))
		return 0;
	w->win_words = bytes / 8;
	return 1;
}

/* Copies up to 4 KiB of the stack from lo into the window, for n words needed at lo. */
static __always_inline void fill_window(struct dwarf_walk *w, __u64 lo, __u32 n)
{
	__u64 page_end = ((lo + 8 * (__u64)n - 1) | 4095) + 1, top = w->win->top;

	w->win_lo = lo;
	w->win_words = 0;
	if (top >= page_end && top - lo < 8 * WINDOW_WORDS) { /* a stack's top is near */
		copy_window(w, lo, top - lo);
		return;
	}
	if (copy_window(w, lo, 8 * WINDOW_WORDS))
		return;
	if (copy_window(w, lo, page_end - lo))
		w->win->top = page_end;
}

/* The frame step's read hook (bpf/unwind_step.h), src a struct dwarf_walk: the n user words at
 * addr, from the window, copied from addr on when it does not hold them. */
static __always_inline long unwind_read_words(void *src, __u64 addr, __u64 *out, __u32 n)
{
	struct dwarf_walk *w = src;
	__u64 off = (addr - w->win_lo) >> 3;

	if (addr < w->win_lo || (addr & 7) || off + n > w->win_words) {
		if (addr & 7)
			return bpf_probe_read_user(out, n * 8, (void *)addr);
		fill_window(w, addr, n);
		if (n > w->win_words) /* not resident, or not the stack */
			return bpf_probe_read_user(out, n * 8, (void *)addr);
		off = 0;
	}
	for (__u32 i = 0; i < UNWIND_RBP_REACH && i < n; i++)
		out[i] = w->win->w[(off + i) & (WINDOW_WORDS - 1)];
	return 0;
}

static __always_inline void unwind_fp_taken(void *src)
{
	count(HS_CNT_FP_FALLBACK);
}

/* The binary searches below narrow [lo, hi) without a branch on the comparison: the verifier
 * would otherwise follow both sides of every step (2^steps paths), and BPF has no conditional
 * move, so clang would branch on any `<`. Both values are user addresses (< 2^63): the sign of
 * key - elem says whether the probed element is above the key; the asm keeps it arithmetic. */
static __always_inline void narrow(__u32 *lo, __u32 *hi, __u32 mid, __u64 elem, __u64 key)
{
	__u64 diff = key - elem;
	__u32 keep_hi;

	asm volatile("" : "+r"(diff));
	keep_hi = (__u32)(diff >> 63) - 1; /* all ones when the element is not above the key */
	*hi = (*hi & keep_hi) | (mid & ~keep_hi);
	*lo = ((mid + 1) & keep_hi) | (*lo & ~keep_hi);
}

/* The mapping holding pc, NULL if none. */
static __always_inline struct hs_mapping *find_mapping(struct hs_mappings *maps, __u64 pc)
{
	__u32 n = maps->count, lo = 0, hi, mid;
	struct hs_mapping *m;

	if (n > HS_MAX_MAPPINGS)
		n = HS_MAX_MAPPINGS;
	hi = n;
	for (int i = 0; i < MAPPING_STEPS && lo < hi; i++) { /* first mapping with end > pc */
		mid = (lo + hi) / 2;
		narrow(&lo, &hi, mid, maps->m[mid & (HS_MAX_MAPPINGS - 1)].end, pc);
	}
	if (lo >= n)
		return NULL;
	m = &maps->m[lo & (HS_MAX_MAPPINGS - 1)]; /* lo < n <= HS_MAX_MAPPINGS */
	return m->start <= pc ? m : NULL;
}

/* The row covering ELF address addr among count rows from first; NULL if below them all. */
static __always_inline struct hs_unwind_row *find_row(__u32 first, __u32 count, __u64 addr)
{
	__u32 lo = first, hi = first + count, mid;

	for (int i = 0; i < ROW_STEPS && lo < hi; i++) { /* first row with row.addr > addr */
		struct hs_unwind_row *r;

		mid = (lo + hi) / 2;
		r = bpf_map_lookup_elem(&unwind_rows, &mid);
		if (!r)
			return NULL;
		narrow(&lo, &hi, mid, r->addr, addr);
	}
	if (lo == first)
		return NULL;
	lo--;
	return bpf_map_lookup_elem(&unwind_rows, &lo);
}

/* The rule for the frame of return address w->regs.pc (a NONE row for code without CFI); 0,
 * with a NONE row, when the address is in no known mapping. */
static __always_inline int find_rule(struct dwarf_walk *w, struct hs_unwind_row *row)
{
	__u64 pc = w->regs.pc, bits;
	struct rule_slot *c =
		&w->cache->slot[((pc * 0x9E3779B97F4A7C15ULL) >> 54) & (RULE_CACHE_SIZE - 1)];
	struct hs_unwind_row *r = NULL;
	struct hs_mapping *m;

	bits = c->row;
	if (c->pc == pc && c->check == (pc ^ bits ^ w->gen)) {
		__builtin_memcpy(row, &bits, sizeof(*row));
		return 1;
	}
	m = find_mapping(w->maps, pc - 1);
	if (!m) {
		*row = (struct hs_unwind_row){ .cfa_kind = HS_CFA_NONE };
		return 0;
	}
	if (m->count)
		r = find_row(m->first, m->count, pc - 1 - m->bias);
	if (r)
		*row = *r;
	else
		*row = (struct hs_unwind_row){ .cfa_kind = HS_CFA_NONE };
	__builtin_memcpy(&bits, row, sizeof(bits));
	c->pc = pc;
	c->row = bits;
	c->check = pc ^ bits ^ w->gen;
	return 1;
}

/* bpf_loop body: from the frame whose return address is w->regs.pc, one frame up (the step
 * is bpf/unwind_step.h's, which the agent runs too). */
static long dwarf_frame(__u32 i, void *ctx)
{
	struct dwarf_walk *w = ctx;
	struct hs_stack *st = w->st;
	struct hs_unwind_row row;
	__u32 end, depth = st->depth;
	int known;

	if (depth >= max_depth || depth >= HS_MAX_FRAMES) {
		st->end = HS_END_DEPTH;
		return 1;
	}
	known = find_rule(w, &row);
	if (!known) {
		count(HS_CNT_NO_MAPPING);
		if (bpf_ktime_get_ns() - modules_changed_ns < DEFER_WINDOW_NS &&
		    __sync_fetch_and_sub(&defer_budget, 1) > 0) { /* hand over (send_raw) */
			st->stop_sp = w->regs.sp;
			st->stop_fp = w->regs.fp;
			st->end = HS_END_NO_MAPPING;
			return 1;
		}
	}
	end = unwind_step(w, &row, known, &w->regs);
	if (end != UNWIND_GO_ON) {
		st->end = end;
		return 1;
	}
	st->frames[depth & (HS_MAX_FRAMES - 1)] = w->regs.pc;
	st->depth = depth + 1;
	return 0;
}

/* The caller's frame is known from the probe site: its CFA is just above the return address. */
static __always_inline void walk_dwarf(__u64 ra_at, __u64 fp, struct hs_stack *st, __u32 slot)
{
	__u32 gen = mappings_live[slot & (HS_MAX_PROCS - 1)], zero = 0;
	__u32 table = 2 * (slot & (HS_MAX_PROCS - 1)) + (gen & 1);
	struct dwarf_walk w = { .regs = { .sp = ra_at + 8, .fp = fp }, .gen = gen, .st = st };

	w.maps = bpf_map_lookup_elem(&mappings, &table);
	w.cache = bpf_map_lookup_elem(&rule_cache, &zero);
	w.win = bpf_map_lookup_elem(&stack_window, &zero);
	if (!w.maps || !w.cache || !w.win) {
		st->end = HS_END_NO_MAPPING;
		return;
	}
	/* The return address and the frames above it in one read. */
	fill_window(&w, ra_at, 1);
	if (w.win_words)
		st->frames[0] = w.win->w[0];
	else
		bpf_probe_read_user(&st->frames[0], sizeof(st->frames[0]), (void *)ra_at);
	w.regs.pc = st->frames[0];
	st->end = HS_END_DEPTH;
	bpf_loop(HS_MAX_FRAMES, dwarf_frame, &w, 0);
}

/* Frame 0 is the return address at the probe: exact whatever the caller's code. */
static __always_inline void walk(struct pt_regs *ctx, __u32 pushes, struct hs_stack *st)
{
	__u64 sp = PT_REGS_SP(ctx), ra_at = sp + 8 * (__u64)pushes, ra = 0;
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	struct hs_proc *p = bpf_map_lookup_elem(&procs, &tgid);

	st->depth = 1;
	st->stop_sp = 0;
	st->stop_fp = 0;
	st->as_id = p ? p->as_id : 0;
	if (stack_mode == HS_STACK_DWARF) {
		walk_dwarf(ra_at, PT_REGS_FP(ctx), st, p ? p->slot : 0);
		return;
	}
	bpf_probe_read_user(&ra, sizeof(ra), (void *)ra_at);
	st->frames[0] = ra;
	if (stack_mode == HS_STACK_CALLER) {
		st->end = HS_END_CALLER_ONLY;
	} else {
		st->end = HS_END_FP;
		walk_fp(sp, PT_REGS_FP(ctx), st);
	}
}

static __always_inline __u64 hash_stack(const struct hs_stack *st)
{
	__u64 h = (14695981039346656037ULL ^ st->end ^ (st->as_id << 8)) * 1099511628211ULL;

	for (int i = 0; i < HS_MAX_FRAMES; i++) {
		if (i >= st->depth)
			break;
		h ^= st->frames[i];
		h *= 1099511628211ULL;
	}
	h &= ~HS_STACK_INLINE;
	return h ? h : 1;
}

static __always_inline int same_stack(const struct hs_stack *a, const struct hs_stack *b)
{
	if (a->depth != b->depth || a->end != b->end || a->as_id != b->as_id)
		return 0;
	for (int i = 0; i < HS_MAX_FRAMES; i++) {
		if (i >= a->depth)
			break;
		if (a->frames[i] != b->frames[i])
			return 0;
	}
	return 1;
}

/* Reserves a stack event holding st's frames; NULL when the ring buffer is full (counted). */
static __always_inline struct hs_stack_event *reserve_stack(const struct hs_stack *st)
{
	struct hs_stack_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		dropped(HS_EV_STACK);
		return NULL;
	}
	fill_hdr(&e->hdr, HS_EV_STACK, bpf_ktime_get_ns());
	e->depth = st->depth;
	e->end = st->end;
	bpf_probe_read_kernel(e->frames, sizeof(e->frames), st->frames);
	return e;
}

/* Sends st under a fresh id that only this event uses (a hash collision or a full map). */
static __always_inline __u64 send_inline(const struct hs_stack *st, __u32 why)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&inline_seq, &zero);
	struct hs_stack_event *e;
	__u64 id;

	count(why);
	if (!seq || !(e = reserve_stack(st)))
		return 0;
	id = HS_STACK_INLINE | __sync_fetch_and_add(seq, 1);
	e->stack_id = id;
	bpf_ringbuf_submit(e, wakeup_flag());
	emitted(HS_EV_STACK);
	return id;
}

/* Sends a deferred walk (struct hs_stack_raw_event) under a fresh inline id; 0 if it could
 * not be sent (counted as a drop). */
static __always_inline __u64 send_raw(const struct hs_stack *st)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&inline_seq, &zero), sp = st->stop_sp, n, id;
	struct hs_stack_raw_event *e;

	count(HS_CNT_DEFERRED);
	if (!seq)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		dropped(HS_EV_STACK_RAW);
		return 0;
	}
	fill_hdr(&e->s.hdr, HS_EV_STACK_RAW, bpf_ktime_get_ns());
	e->s.depth = st->depth;
	e->s.end = st->end;
	bpf_probe_read_kernel(e->s.frames, sizeof(e->s.frames), st->frames);
	e->sp = sp;
	e->fp = st->stop_fp;
	e->pad = 0;
	n = HS_RAW_STACK_BYTES;
	if (bpf_probe_read_user(e->bytes, HS_RAW_STACK_BYTES, (void *)sp)) {
		n = 4096 - (sp & 4095); /* near the stack's top: the rest of sp's page */
		if (n > HS_RAW_STACK_BYTES || bpf_probe_read_user(e->bytes, n, (void *)sp))
			n = 0;
	}
	e->nbytes = n;
	id = HS_STACK_INLINE | __sync_fetch_and_add(seq, 1);
	e->s.stack_id = id;
	bpf_ringbuf_submit(e, wakeup_flag());
	emitted(HS_EV_STACK_RAW);
	return id;
}

/* Returns the id of the current stack, sending its frames first if user space has not seen
 * them; 0 when they could not be sent (counted as a drop).
 * Order matters: the stack event is reserved before the id enters the map, so any event that
 * finds the id there (on any CPU) is reserved after it, and the consumer, which reads records
 * in reservation order, always meets the frames before their first use. */
static __always_inline __u64 capture_stack(struct pt_regs *ctx, __u32 pushes)
{
	__u32 zero = 0;
	struct hs_stack *st = bpf_map_lookup_elem(&scratch, &zero), *old;
	struct hs_stack_event *e;
	__u64 h, id;
	long err;

	if (!st)
		return 0;
	walk(ctx, pushes, st);
	if (st->stop_sp)
		return send_raw(st);
	h = hash_stack(st);
	old = bpf_map_lookup_elem(&stacks, &h);
	if (old)
		return same_stack(old, st) ? h : send_inline(st, HS_CNT_STACK_COLLISION);
	e = reserve_stack(st);
	if (!e)
		return 0;
	err = bpf_map_update_elem(&stacks, &h, st, BPF_NOEXIST);
	if (err == -EEXIST) { /* another CPU inserted it meanwhile: its event is ahead of ours */
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		old = bpf_map_lookup_elem(&stacks, &h);
		return old && same_stack(old, st) ? h : send_inline(st, HS_CNT_STACK_COLLISION);
	}
	id = h;
	if (err) { /* map full: this event alone uses the frames */
		__u64 *seq = bpf_map_lookup_elem(&inline_seq, &zero);

		count(HS_CNT_STACK_MAP_FULL);
		id = seq ? HS_STACK_INLINE | __sync_fetch_and_add(seq, 1) : 0;
	}
	e->stack_id = id;
	bpf_ringbuf_submit(e, wakeup_flag());
	emitted(HS_EV_STACK);
	return id;
}

/* This thread's state; when it cannot be created the call is lost, counted as a drop of the
 * event it would have made. */
static __always_inline struct inflight *thread_state(__u32 type)
{
	struct inflight *f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
						  BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!f) {
		count(HS_CNT_INFLIGHT_FAIL);
		dropped(type);
	}
	return f;
}

/* The stack pointer at the function's entry: a probe placed after its first pushes (see
 * agent/placement.c) sees it lower by 8 per push. Nesting and tail jumps are told apart by entry
 * sps: a call from inside an allocator enters below the outer one's, a tail jump at the same. */
static __always_inline __u64 entry_sp(struct pt_regs *ctx, __u64 cookie)
{
	return PT_REGS_SP(ctx) + 8 * (__u64)HS_COOKIE_PUSHES(cookie);
}

SEC("uprobe")
int alloc_enter(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), cut = cut_ns;
	__u64 sp = entry_sp(ctx, cookie);
	struct inflight *f;

	if (cut && bpf_ktime_get_ns() >= cut)
		return 0; /* no walk for an allocation that will not be sent */
	f = thread_state(HS_EV_ALLOC);
	if (!f || (f->sp && sp <= f->sp))
		return 0; /* nested in, or tail-jumped from, an outer allocator call */
	f->sp = sp;
	f->func = HS_COOKIE_FUNC(cookie);
	f->args[0] = PT_REGS_PARM1(ctx);
	f->args[1] = PT_REGS_PARM2(ctx);
	f->args[2] = PT_REGS_PARM3(ctx);
	f->stack_id = capture_stack(ctx, HS_COOKIE_PUSHES(cookie));
	f->ts_ns = bpf_ktime_get_ns();
	return 0;
}

/* Returned pointer and requested size from the entry arguments of each function. */
static __always_inline void decode_result(struct inflight *f, __u64 rc, struct hs_alloc_event *e)
{
	__u64 limit;

	e->addr = rc;
	e->old_addr = 0;
	switch (f->func) {
	case HS_FN_CALLOC:
		e->size = f->args[0] * f->args[1];
		break;
	case HS_FN_REALLOC:
		e->old_addr = f->args[0];
		e->size = f->args[1];
		break;
	case HS_FN_REALLOCARRAY:
		e->old_addr = f->args[0];
		/* An overflowing product fails without freeing: it must not read as size 0, which
		 * with a NULL result would mean "freed" (realloc(p, 0)). The opaque limit keeps
		 * clang from turning the check into a 128-bit multiply BPF cannot do. */
		limit = ~0ULL;
		asm volatile("" : "+r"(limit));
		e->size = f->args[1] && f->args[2] > limit / f->args[1] ? ~0ULL :
									  f->args[1] * f->args[2];
		break;
	case HS_FN_POSIX_MEMALIGN:
		e->addr = 0;
		if ((int)rc == 0)
			bpf_probe_read_user(&e->addr, sizeof(e->addr), (void *)f->args[0]);
		e->size = f->args[2];
		break;
	case HS_FN_ALIGNED_ALLOC:
	case HS_FN_MEMALIGN:
		e->size = f->args[1];
		break;
	default:
		e->size = f->args[0];
	}
}

/* The allocation event of f's call, its result decoded in r; ts: the instant the cut was
 * checked against. Lost (counted) when the ring buffer is full. */
static __always_inline void send_alloc(const struct inflight *f, const struct hs_alloc_event *r,
				       __u64 ts)
{
	struct hs_alloc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		dropped(HS_EV_ALLOC);
		return;
	}
	fill_hdr(&e->hdr, HS_EV_ALLOC, ts);
	e->func = f->func;
	e->pad = 0;
	e->addr = r->addr;
	e->size = r->size;
	e->old_addr = r->old_addr;
	e->stack_id = f->stack_id;
	e->dur_ns = ts - f->ts_ns;
	bpf_ringbuf_submit(e, wakeup_flag());
	emitted(HS_EV_ALLOC);
}

/* A free event (func: enum hs_func); its stack, when it has one, was sent before. */
static __always_inline void send_free(__u32 func, __u64 addr, __u64 stack_id, __u64 ts)
{
	struct hs_free_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		dropped(HS_EV_FREE);
		return;
	}
	fill_hdr(&e->hdr, HS_EV_FREE, ts);
	e->func = func;
	e->pad = 0;
	e->addr = addr;
	e->stack_id = stack_id;
	bpf_ringbuf_submit(e, wakeup_flag());
	emitted(HS_EV_FREE);
}

SEC("uretprobe")
int alloc_exit(struct pt_regs *ctx)
{
	struct inflight *f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	struct hs_alloc_event r;
	__u64 now = bpf_ktime_get_ns();

	/* Returning to the outermost caller puts sp above the entry sp; a nested return does not. */
	if (!f || !f->sp || PT_REGS_SP(ctx) <= f->sp)
		return 0;
	f->sp = 0;
	f->skip_free = 0; /* an allocation happened: a pointer seen in delete may be reused */
	if (after_cut(now, HS_EV_ALLOC))
		return 0;
	decode_result(f, PT_REGS_RC(ctx), &r);
	send_alloc(f, &r, now);
	return 0;
}

SEC("uprobe")
int free_enter(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), ptr = PT_REGS_PARM1(ctx);
	__u64 sp = entry_sp(ctx, cookie), now = bpf_ktime_get_ns();
	__u32 func = HS_COOKIE_FUNC(cookie);
	struct inflight *f;

	if (!ptr)
		return 0;
	f = thread_state(HS_EV_FREE);
	if (!f || (f->sp && sp <= f->sp))
		return 0; /* inside an allocator call: realloc(p, 0) frees through free() */
	if (f->skip_free == ptr && sp <= f->skip_sp)
		return 0; /* the free that a delete just tail-jumped into */
	if (func != HS_FN_FREE) {
		f->skip_free = ptr;
		f->skip_sp = sp;
	}
	if (after_cut(now, HS_EV_FREE))
		return 0;
	/* The stack goes first: its event must reach user space before the free that uses it. */
	send_free(func, ptr, capture_stack(ctx, HS_COOKIE_PUSHES(cookie)), now);
	return 0;
}

/* Fields of glibc's struct r_debug and struct link_map (<link.h>, stable ABI). */
struct r_debug_head {
	int r_version;
	int pad;
	__u64 r_map;
	__u64 r_brk;
	int r_state; /* 0 = RT_CONSISTENT */
};

struct link_map_head {
	__u64 l_addr, l_name, l_ld, l_next;
};

#define MAX_LINK_MAPS 512

/* On ld.so's _dl_debug_state, called around every dlopen/dlclose: once the list is consistent,
 * send every object with its load bias. The cookie is &_r_debug - &_dl_debug_state. */
SEC("uprobe")
int maps_changed(struct pt_regs *ctx)
{
	__u64 rdebug = PT_REGS_IP(ctx) + bpf_get_attach_cookie(ctx), lm;
	struct r_debug_head rd;
	struct link_map_head l;

	if (bpf_probe_read_user(&rd, sizeof(rd), (void *)rdebug) || rd.r_state != 0)
		return 0;
	modules_changed_ns = bpf_ktime_get_ns();
	defer_budget = DEFER_BUDGET;
	lm = rd.r_map;
	for (int i = 0; i < MAX_LINK_MAPS && lm; i++) {
		struct hs_module_event *e;

		if (bpf_probe_read_user(&l, sizeof(l), (void *)lm))
			break;
		lm = l.l_next;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			dropped(HS_EV_MODULE);
			break;
		}
		fill_hdr(&e->hdr, HS_EV_MODULE, bpf_ktime_get_ns());
		e->bias = l.l_addr;
		if (bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)l.l_name) <= 0)
			e->path[0] = 0;
		/* Wake the agent now: the walker needs the new objects' unwind tables. */
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
		emitted(HS_EV_MODULE);
	}
	if (pause_tid && (__u32)bpf_get_current_pid_tgid() == pause_tid)
		bpf_send_signal_thread(SIGURG);
	return 0;
}

/* Address spaces this side numbers (HS_AS_BPF): a traced process's exec. */
__u64 exec_seq = 0;

/* Attach mode: a traced process exec'd. From now on its stacks are of another address space
 * (the agent publishes the new one when it sees this event), and the walker's table of its
 * mappings is stale: emptied, so walks meet unknown code and are handed over while the agent
 * loads the new tables, as after a dlopen. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32), table;
	struct hs_proc *proc = bpf_map_lookup_elem(&procs, &tgid);
	struct hs_mappings *maps;
	struct hs_event_hdr *e;

	if (!proc)
		return 0;
	proc->as_id = HS_AS_BPF | (__u32)__sync_fetch_and_add(&exec_seq, 1);
	table = 2 * (proc->slot & (HS_MAX_PROCS - 1)) +
		(mappings_live[proc->slot & (HS_MAX_PROCS - 1)] & 1);
	maps = bpf_map_lookup_elem(&mappings, &table);
	if (maps)
		maps->count = 0;
	modules_changed_ns = bpf_ktime_get_ns();
	defer_budget = DEFER_BUDGET;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		dropped(HS_EV_EXEC);
		return 0;
	}
	fill_hdr(e, HS_EV_EXEC, bpf_ktime_get_ns());
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	emitted(HS_EV_EXEC);
	return 0;
}

/* Attach mode: how a traced process ended (its parent, not heapscope, reaps it). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	struct hs_exit_event *e;

	if (!group_dead || !bpf_map_lookup_elem(&procs, &tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		dropped(HS_EV_EXIT);
		return 0;
	}
	fill_hdr(&e->hdr, HS_EV_EXIT, bpf_ktime_get_ns());
	e->status = (__u32)BPF_CORE_READ(p, exit_code);
	e->pad = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	emitted(HS_EV_EXIT);
	return 0;
}

/* Sampled mode (record --sample): its probes share the walker and the ring buffer above. */
#include "bpf/sampled.bpf.h"
