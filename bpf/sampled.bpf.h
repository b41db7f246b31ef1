/* Sampled mode (record --sample BYTES): Poisson sampling by bytes (agent/sampling.h). Included at
 * the end of heapscope.bpf.c, whose walker, ring buffer and counters it shares.
 *
 * One uprobe session program serves every allocation function: at the entry it charges the
 * thread's byte countdown and, for the great majority of calls, which are not sampled, returns
 * 1: the kernel then skips the return probe, so an unsampled call costs one trap and these few
 * instructions, no walk and no event. A sampled call walks its stack and returns 0; its return
 * sends the event and remembers the block in `sampled_live`. A free costs one read of a small
 * counting filter in front of that table, and sends an event only when the block was a sampled
 * one. */

extern bool bpf_session_is_return(void) __ksym __weak;

/* R * ln 2, split in a whole part and a 20-bit fraction (agent/sampling.c): a countdown is
 * R * -ln(u) = R * ln 2 * -log2(u). 0: exact mode, these programs are not loaded. */
const volatile __u64 sample_whole = 0;
const volatile __u64 sample_frac20 = 0;
/* Non-zero: each thread's random sequence starts from this and its offset in its process
 * (tests: the same sampled calls run after run). 0: from the kernel's random numbers. */
const volatile __u64 sample_seed = 0;
const volatile __u32 sample_log2[HS_LOG2_ENTRIES] = { 0 };

/* Blocks sampled and not yet freed, by process and address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18); /* entries allocated as used */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hs_sampled_key);
	__type(value, __u8);
} sampled_live SEC(".maps");

/* A counting filter in front of that table: how many sampled live blocks hash to each slot. A
 * free whose slot is 0 is not a sampled block's, known from one small array read instead of a
 * lookup in the big table (a cache miss). A block is counted before it enters the table and
 * after it leaves, so a block in the table always has a non-zero slot. */
#define FILTER_BITS 14
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << FILTER_BITS); /* 64 KiB */
	__type(key, __u32);
	__type(value, __u32);
} sampled_filter SEC(".maps");

static __always_inline __u32 *filter_slot(__u64 addr)
{
	__u32 i = (__u32)(((addr >> 4) * 0x9E3779B97F4A7C15ULL) >> (64 - FILTER_BITS));

	return bpf_map_lookup_elem(&sampled_filter, &i);
}

static __always_inline int remember_sampled(struct hs_sampled_key *k)
{
	__u32 *slot = filter_slot(k->addr);
	__u8 one = 1;

	if (!slot)
		return -1;
	__sync_fetch_and_add(slot, 1);
	if (bpf_map_update_elem(&sampled_live, k, &one, BPF_ANY)) {
		__sync_fetch_and_add(slot, (__u32)-1);
		return -1;
	}
	return 0;
}

/* 0 when k was a sampled live block, now forgotten. */
static __always_inline int forget_sampled(struct hs_sampled_key *k)
{
	__u32 *slot = filter_slot(k->addr);

	if (!slot || !*slot || bpf_map_delete_elem(&sampled_live, k))
		return -1;
	__sync_fetch_and_add(slot, (__u32)-1);
	return 0;
}

static __always_inline __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Index of the highest set bit of v (v > 0). */
static __always_inline __u32 top_bit(__u64 v)
{
	__u32 n = 0, s;

	s = (v >> 32 != 0) << 5, v >>= s, n += s;
	s = (v >> 16 != 0) << 4, v >>= s, n += s;
	s = (v >> 8 != 0) << 3, v >>= s, n += s;
	s = (v >> 4 != 0) << 2, v >>= s, n += s;
	s = (v >> 2 != 0) << 1, v >>= s, n += s;
	return n + (__u32)(v >> 1);
}

/* An exponential number of bytes of mean R: R * -ln(u), u uniform in (0, 1], without floats.
 * u = v / 2^32 with v in [1, 2^32]; -log2(u) = 32 - log2(v), log2(v) = its top bit plus the
 * table's log2 of the mantissa, interpolated (error < 2e-7). */
static __always_inline __s64 draw_countdown(struct inflight *f)
{
	__u64 v = (splitmix64(&f->rng) >> 32) + 1, m, frac, lo, hi, neg_log2, l20;
	__u32 top = top_bit(v), idx;

	m = v << (63 - top);				      /* 1.xxx with the point after bit 63 */
	idx = (__u32)(m >> (63 - HS_LOG2_BITS)) & ((1 << HS_LOG2_BITS) - 1);
	frac = (m >> (63 - HS_LOG2_BITS - 22)) & ((1 << 22) - 1); /* between idx and idx + 1 */
	lo = sample_log2[idx];
	hi = sample_log2[idx + 1]; /* idx < 2^HS_LOG2_BITS: the table has one more */
	neg_log2 = ((__u64)(32 - top) << 32) - (lo + (((hi - lo) * frac) >> 22)); /* Q32 */
	l20 = neg_log2 >> 12;
	return (__s64)(((l20 * sample_whole) >> 20) + ((l20 * sample_frac20) >> 40));
}

/* A thread's first call: its random state, then its first countdown. */
static __always_inline void start_thread(struct inflight *f)
{
	__u64 id = bpf_get_current_pid_tgid(), seed;

	if (sample_seed) {
		seed = sample_seed ^ (((__u64)((__u32)id - (__u32)(id >> 32))) * 0xD1B54A32D192ED03ULL);
	} else {
		seed = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
	}
	f->rng = seed ? seed : 1;
	f->countdown = draw_countdown(f);
}

/* Bytes asked for, from the entry arguments (decode_result's rules at the entry). */
static __always_inline __u64 request_size(__u32 func, struct pt_regs *ctx)
{
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a2 = PT_REGS_PARM3(ctx), limit;

	switch (func) {
	case HS_FN_CALLOC:
		return a0 * a1;
	case HS_FN_REALLOC:
	case HS_FN_ALIGNED_ALLOC:
	case HS_FN_MEMALIGN:
		return a1;
	case HS_FN_REALLOCARRAY:
		limit = ~0ULL;
		asm volatile("" : "+r"(limit));
		return a1 && a2 > limit / a1 ? 0 : a1 * a2; /* overflow: fails, allocates nothing */
	case HS_FN_POSIX_MEMALIGN:
		return a2;
	default:
		return a0;
	}
}

/* Where a return probe sends returns: the process's uprobe page. A return probe on the function
 * that tail-jumped here (ours, or another tracer's: the kernel prepares every consumer's return,
 * whichever process it filters on) has put this address in place of the caller's. */
static __always_inline __u64 return_trampoline(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return BPF_CORE_READ(t, mm, uprobes_state.xol_area, vaddr);
}

/* 1 when this call is inside another allocator call the thread is making (operator new ->
 * malloc, realloc(NULL, n) -> malloc) or was tail-jumped into from the last such call charged
 * (operator new[] -> operator new: same return address, same slot, another function; a loop
 * calling one function again is the same function): its bytes were charged once already. */
static __always_inline int nested_call(struct inflight *f, struct pt_regs *ctx, __u64 cookie,
				       __u32 func, __u64 ra_at)
{
	__u64 ra = 0, lo = f->outer_lo;
	int nests = (cookie & HS_COOKIE_NESTS) != 0, nested;

	/* A call above the last function that calls others (in the stack) is neither inside it
	 * nor tail-jumped from it: no need to read its return address. Only such functions
	 * tail-jump into others. */
	if (!nests && (!lo || ra_at > f->nests_ra_at))
		return 0;
	bpf_probe_read_user(&ra, sizeof(ra), (void *)ra_at);
	nested = lo && ((ra >= lo && ra < f->outer_hi) ||
			(ra_at == f->outer_ra_at && func != f->outer_func &&
			 (ra == f->outer_ra || ra == return_trampoline())));
	if (nests) { /* calls returning into it are nested from now on */
		f->outer_lo = PT_REGS_IP(ctx) - HS_COOKIE_DELTA(cookie);
		f->outer_hi = f->outer_lo + HS_COOKIE_SIZE(cookie);
		f->nests_ra_at = ra_at;
		if (!nested) {
			f->outer_ra_at = ra_at;
			f->outer_ra = ra;
			f->outer_func = func;
		}
	}
	return nested;
}

/* The old block of a realloc/reallocarray, when it is a sampled one. */
static __always_inline int sampled_block(__u64 addr)
{
	struct hs_sampled_key k = { .pid = (__u32)(bpf_get_current_pid_tgid() >> 32),
				    .addr = addr };
	__u32 *slot = filter_slot(addr);

	return addr && slot && *slot && bpf_map_lookup_elem(&sampled_live, &k) != NULL;
}

/* The entry: 1 skips the return (not sampled), 0 runs it. */
static __always_inline int sampled_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), size, cut = cut_ns;
	__u32 func = HS_COOKIE_FUNC(cookie), pushes = HS_COOKIE_PUSHES(cookie);
	__u64 ra_at = PT_REGS_SP(ctx) + 8 * (__u64)pushes; /* the function's entry sp */
	struct inflight *f = thread_state(HS_EV_ALLOC);
	int sampled, old_sampled = 0;

	if (!f)
		return 1;
	/* Inside a sampled call whose return is pending, or tail-jumped from it: entry sps, not
	 * the probes', are compared (two functions' probes may follow different pushes). */
	if (f->sp && ra_at <= f->sp)
		return 1;
	if (!f->rng)
		start_thread(f);
	if (nested_call(f, ctx, cookie, func, ra_at)) {
		count(HS_CNT_SAMPLE_NESTED);
		return 1;
	}
	size = request_size(func, ctx);
	f->countdown -= (__s64)size;
	sampled = f->countdown < 0;
	if (sampled)
		f->countdown = draw_countdown(f);
	if (func == HS_FN_REALLOC || func == HS_FN_REALLOCARRAY)
		old_sampled = sampled_block(PT_REGS_PARM1(ctx));
	if (!sampled && !old_sampled) {
		count(HS_CNT_SAMPLE_SKIPPED);
		return 1;
	}
	if (cut && bpf_ktime_get_ns() >= cut)
		return 1;
	f->sp = ra_at;
	f->func = func;
	f->sampled = sampled;
	f->old_sampled = old_sampled;
	f->args[0] = PT_REGS_PARM1(ctx);
	f->args[1] = PT_REGS_PARM2(ctx);
	f->args[2] = PT_REGS_PARM3(ctx);
	f->stack_id = capture_stack(ctx, pushes);
	f->ts_ns = bpf_ktime_get_ns();
	return 0;
}

/* The return of a call the entry kept: a sampled allocation, or a realloc of a sampled block. */
static __always_inline int sampled_return(struct pt_regs *ctx)
{
	struct inflight *f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	struct hs_sampled_key k = { .pid = (__u32)(bpf_get_current_pid_tgid() >> 32) };
	struct hs_alloc_event r;
	__u64 now = bpf_ktime_get_ns(), old = 0;

	if (!f || !f->sp)
		return 0;
	f->sp = 0;
	decode_result(f, PT_REGS_RC(ctx), &r);
	if (f->old_sampled && (r.addr || r.size == 0)) { /* the old block is gone */
		old = r.old_addr;
		k.addr = old;
		forget_sampled(&k);
	}
	if (!f->sampled) {
		if (old && !after_cut(now, HS_EV_FREE))
			send_free(f->func, old, f->stack_id, now);
		return 0;
	}
	count(HS_CNT_SAMPLE_TAKEN);
	if (after_cut(now, HS_EV_ALLOC))
		return 0;
	if (r.addr) {
		k.addr = r.addr;
		if (remember_sampled(&k)) {
			count(HS_CNT_SAMPLE_TABLE_FULL);
			dropped(HS_EV_ALLOC);
			if (old)
				send_free(f->func, old, f->stack_id, now);
			return 0;
		}
	}
	if (!f->old_sampled)
		r.old_addr = 0; /* an unsampled block: not the consumer's to free */
	send_alloc(f, &r, now);
	return 0;
}

/* Attached as a uprobe session (BPF_TRACE_UPROBE_SESSION) to every allocation function. */
SEC("uprobe")
int alloc_sampled(struct pt_regs *ctx)
{
	if (bpf_session_is_return())
		return sampled_return(ctx);
	return sampled_entry(ctx);
}

/* Every free/delete: only a sampled block's makes an event. */
SEC("uprobe")
int free_sampled(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), ptr = PT_REGS_PARM1(ctx);
	struct hs_sampled_key k = { .pid = (__u32)(bpf_get_current_pid_tgid() >> 32), .addr = ptr };
	struct inflight *f;
	__u64 now;

	if (!ptr || forget_sampled(&k))
		return 0; /* not a sampled block: the common case */
	f = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (f && f->sp && PT_REGS_SP(ctx) + 8 * HS_COOKIE_PUSHES(cookie) <= f->sp) {
		/* realloc(p, 0) freeing p: its return reports it */
		remember_sampled(&k);
		return 0;
	}
	now = bpf_ktime_get_ns();
	if (after_cut(now, HS_EV_FREE))
		return 0;
	send_free(HS_COOKIE_FUNC(cookie), ptr, capture_stack(ctx, HS_COOKIE_PUSHES(cookie)), now);
	return 0;
}
