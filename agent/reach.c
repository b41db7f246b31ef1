/* The reachability scan: stops a process, reads its roots and classifies its live blocks as
 * memcheck's leak check does (mc_leakcheck.c: the same states, pushes and cliques). */
#define _GNU_SOURCE
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "agent/clock.h"
#include "agent/reach.h"

#define BATCH_IOVS 1024			  /* process_vm_readv's IOV_MAX */
#define BATCH_BYTES (8u << 20)		  /* block contents read per call */
#define ROOT_CHUNK (4u << 20)		  /* root memory read per call */
#define RED_ZONE 128			  /* x86-64 ABI: below rsp, still the function's */
#define MAX_THREADS 4096
#define STOP_WAIT_NS (2 * 1000000000ULL) /* a thread of ours that does not stop: give up */

/* Internal states, memcheck's: Unreached, Possible, Reachable, IndirectLeak. */
enum { ST_UNREACHED, ST_POSSIBLE, ST_REACHABLE, ST_INDIRECT };

const char *reach_kind_name(int kind)
{
	static const char *const names[REACH_KINDS] = { "not scanned", "definitely lost",
							"indirectly lost", "possibly lost",
							"still reachable" };

	return kind >= 0 && kind < REACH_KINDS ? names[kind] : "not scanned";
}

/* --- Classification ------------------------------------------------------------------------ */

struct marker {
	struct reach_block *b;
	size_t n;
	uint8_t *state, *pending;
	size_t *stack, top;
	uint64_t lo, hi;   /* lowest start, highest end of the blocks */
	unsigned shift;	   /* bucket = (addr - lo) >> shift */
	size_t *bucket;	   /* nbuckets + 1: the first block starting at or after each bucket */
	size_t nbuckets;
	const struct reach_mem *mem;
	struct reach_stats *st;
	uint8_t *buf;
	uint8_t *heur; /* per block: 0 not read yet, else HEUR_* bits of its first words */
};

/* memcheck's leak-check heuristics (its default, --leak-check-heuristics=all), the two that need
 * only the block: an interior pointer they accept counts as a start pointer. */
enum { HEUR_READ = 1, HEUR_AT8 = 2, HEUR_STDSTRING = 4 };

static int build_index(struct marker *m)
{
	uint64_t span;
	size_t j = 0;

	m->lo = m->b[0].addr;
	m->hi = 0;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t end = m->b[i].addr + (m->b[i].size ? m->b[i].size : 1);

		if (end > m->hi)
			m->hi = end;
	}
	span = m->hi - m->lo;
	m->shift = 4;
	/* about one block per bucket, at most 4M buckets */
	while ((span >> m->shift) > m->n * 2 + 16 || (span >> m->shift) > (4u << 20))
		m->shift++;
	m->nbuckets = (size_t)(span >> m->shift) + 1;
	m->bucket = malloc((m->nbuckets + 1) * sizeof(*m->bucket));
	if (!m->bucket)
		return -ENOMEM;
	for (size_t k = 0; k <= m->nbuckets; k++) {
		uint64_t start = m->lo + ((uint64_t)k << m->shift);

		while (j < m->n && m->b[j].addr < start)
			j++;
		m->bucket[k] = j;
	}
	return 0;
}

/* The block w points into (its start or inside; a block of size 0 only at its start), or -1. */
static ssize_t find_block(const struct marker *m, uint64_t w)
{
	size_t k, lo, hi;

	if (w < m->lo || w >= m->hi)
		return -1;
	k = (size_t)((w - m->lo) >> m->shift);
	/* the block holding w starts at or before w: in this bucket, or the last one before it */
	lo = k ? m->bucket[k] : 0;
	lo = lo ? lo - 1 : 0;
	hi = m->bucket[k + 1 <= m->nbuckets ? k + 1 : m->nbuckets];
	if (hi > m->n)
		hi = m->n;
	while (lo + 1 < hi) { /* the last block with addr <= w in [lo, hi) */
		size_t mid = lo + (hi - lo) / 2;

		if (m->b[mid].addr <= w)
			lo = mid;
		else
			hi = mid;
	}
	if (lo >= m->n || m->b[lo].addr > w)
		return -1;
	if (w == m->b[lo].addr || w - m->b[lo].addr < m->b[lo].size)
		return (ssize_t)lo;
	return -1;
}

static void push(struct marker *m, size_t i)
{
	if (m->pending[i])
		return;
	m->pending[i] = 1;
	m->stack[m->top++] = i;
}

/* heuristic_reachedness: length64, a length-prefixed block (sqlite3's allocator, ...): a pointer
 * 8 bytes in, the first word the size of the rest; newarray, new[] of objects with destructors:
 * a pointer 8 bytes in, the first word a count of equal elements filling the rest (memcheck does
 * not check that new[] made it either); stdstring, libstdc++'s copy-on-write string (length,
 * capacity, refcount, then capacity + 1 bytes): a pointer 24 bytes in. Read once per block, only
 * when such an interior pointer reaches it. */
static int heuristic_start(struct marker *m, size_t i, uint64_t w)
{
	const struct reach_block *b = &m->b[i];
	uint64_t off = w - b->addr, head[2] = { 0, 0 };
	size_t len = b->size < 16 ? 8 : 16;

	if ((off != 8 || b->size <= 8) && (off != 24 || b->size < 25))
		return 0;
	if (!m->heur[i]) {
		struct iovec r = { (void *)(uintptr_t)b->addr, len };

		m->heur[i] = HEUR_READ;
		if (m->mem->read(m->mem->ctx, &r, 1, head, len) == (ssize_t)len) {
			if (head[0] > 0 && (head[0] == b->size - 8 || (b->size - 8) % head[0] == 0))
				m->heur[i] |= HEUR_AT8; /* length64, newarray */
			if (head[1] < b->size && 24 + head[1] + 1 == b->size && head[0] <= head[1])
				m->heur[i] |= HEUR_STDSTRING;
		}
	}
	return off == 8 ? !!(m->heur[i] & HEUR_AT8) : !!(m->heur[i] & HEUR_STDSTRING);
}

/* lc_push_without_clique_if_a_chunk_ptr */
static void mark(struct marker *m, uint64_t w, int prior_definite)
{
	ssize_t i = find_block(m, w);

	if (i < 0 || m->state[i] == ST_REACHABLE)
		return;
	if ((w == m->b[i].addr || (prior_definite && heuristic_start(m, (size_t)i, w))) &&
	    prior_definite) {
		m->state[i] = ST_REACHABLE;
		push(m, (size_t)i);
	} else if (m->state[i] == ST_UNREACHED) {
		m->state[i] = ST_POSSIBLE;
		push(m, (size_t)i);
	}
}

/* lc_push_with_clique_if_a_chunk_ptr: any pointer, start or interior */
static void mark_clique(struct marker *m, uint64_t w, size_t leader)
{
	ssize_t i = find_block(m, w);

	if (i < 0 || (size_t)i == leader || m->state[i] != ST_UNREACHED)
		return;
	m->state[i] = ST_INDIRECT;
	push(m, (size_t)i);
}

static void scan_words(struct marker *m, const uint64_t *w, size_t n, int clique, size_t leader,
		       int prior_definite)
{
	for (size_t k = 0; k < n; k++) {
		if (w[k] < m->lo || w[k] >= m->hi)
			continue;
		if (clique)
			mark_clique(m, w[k], leader);
		else
			mark(m, w[k], prior_definite);
	}
}

/* Reads blocks idx[0..n) into m->buf (each at its offset); a batch that faults part-way is read
 * again block by block, and a block that cannot be read is taken as empty. */
static void read_batch(struct marker *m, const size_t *idx, int n, size_t *off, struct iovec *iov)
{
	size_t total = 0;
	ssize_t got;

	for (int k = 0; k < n; k++) {
		off[k] = total;
		iov[k] = (struct iovec){ (void *)(uintptr_t)m->b[idx[k]].addr,
					 (size_t)(m->b[idx[k]].size & ~7ULL) };
		total += iov[k].iov_len;
	}
	got = m->mem->read(m->mem->ctx, iov, n, m->buf, total);
	if (got == (ssize_t)total)
		return;
	for (int k = 0; k < n; k++) {
		if (got >= 0 && off[k] + iov[k].iov_len <= (size_t)got)
			continue;
		if (m->mem->read(m->mem->ctx, &iov[k], 1, m->buf + off[k], iov[k].iov_len) !=
		    (ssize_t)iov[k].iov_len) {
			memset(m->buf + off[k], 0, iov[k].iov_len);
			m->st->unreadable++;
		}
	}
}

/* lc_process_markstack, reading the blocks popped in batches. */
static void drain(struct marker *m, int clique, size_t leader)
{
	size_t idx[BATCH_IOVS], off[BATCH_IOVS];
	struct iovec iov[BATCH_IOVS];

	while (m->top) {
		size_t bytes = 0;
		int n = 0;

		while (m->top && n < BATCH_IOVS) {
			size_t i = m->stack[m->top - 1], len = (size_t)(m->b[i].size & ~7ULL);

			if (n && bytes + len > BATCH_BYTES)
				break;
			if (!n && len > BATCH_BYTES) { /* a big block: in pieces, on its own */
				m->top--;
				m->pending[i] = 0;
				for (size_t o = 0; o < len; o += BATCH_BYTES) {
					struct iovec one = { (void *)(uintptr_t)(m->b[i].addr + o),
							     len - o < BATCH_BYTES ? len - o :
										     BATCH_BYTES };

					if (m->mem->read(m->mem->ctx, &one, 1, m->buf, one.iov_len) !=
					    (ssize_t)one.iov_len) {
						m->st->unreadable++;
						break;
					}
					m->st->blocks_bytes += (int64_t)one.iov_len;
					scan_words(m, (uint64_t *)m->buf, one.iov_len / 8, clique,
						   leader, m->state[i] != ST_POSSIBLE);
				}
				goto next;
			}
			m->top--;
			m->pending[i] = 0;
			idx[n++] = i;
			bytes += len;
		}
		read_batch(m, idx, n, off, iov);
		m->st->blocks_bytes += (int64_t)bytes;
		for (int k = 0; k < n; k++)
			scan_words(m, (uint64_t *)(m->buf + off[k]), iov[k].iov_len / 8, clique,
				   leader, m->state[idx[k]] != ST_POSSIBLE);
next:;
	}
}

int reach_classify(struct reach_block *blocks, size_t n, const uint64_t *roots, size_t nroots,
		   const struct reach_mem *mem, struct reach_stats *st)
{
	static const int kind_of[] = { [ST_UNREACHED] = REACH_DEFINITE,
				       [ST_POSSIBLE] = REACH_POSSIBLE,
				       [ST_REACHABLE] = REACH_REACHABLE,
				       [ST_INDIRECT] = REACH_INDIRECT };
	struct marker m = { .b = blocks, .n = n, .mem = mem, .st = st };
	int e = 0;

	if (!n)
		return 0;
	m.state = calloc(n, 1);
	m.pending = calloc(n, 1);
	m.stack = malloc(n * sizeof(*m.stack));
	m.buf = malloc(BATCH_BYTES);
	m.heur = calloc(n, 1);
	if (!m.state || !m.pending || !m.stack || !m.buf || !m.heur || build_index(&m)) {
		e = -ENOMEM;
		goto out;
	}
	/* the roots are definite: a start pointer there makes a block reachable */
	scan_words(&m, roots, nroots, 0, 0, 1);
	drain(&m, 0, 0);
	/* what is left is lost: each unreached block in address order leads a clique of the
	 * unreached blocks it reaches (an earlier leader it reaches joins it) */
	for (size_t i = 0; i < n; i++) {
		if (m.state[i] != ST_UNREACHED)
			continue;
		push(&m, i);
		drain(&m, 1, i);
	}
	for (size_t i = 0; i < n; i++) {
		blocks[i].kind = kind_of[m.state[i]];
		st->blocks[blocks[i].kind]++;
		st->bytes[blocks[i].kind] += (int64_t)blocks[i].size;
	}
out:
	free(m.state);
	free(m.pending);
	free(m.stack);
	free(m.buf);
	free(m.heur);
	free(m.bucket);
	return e;
}

/* --- Stopping the threads ------------------------------------------------------------------ */

struct thread {
	pid_t tid;
	int seized;  /* by us, for the scan: detached after (with sig) */
	int stopped; /* in a ptrace stop: its registers are read */
	int sig;     /* a signal that arrived meanwhile, given back at the detach */
	struct user_regs_struct regs;
};

struct target {
	pid_t pid;
	struct thread *t;
	int n;
	uint64_t stop_start_ns;
};

static int find_thread(const struct target *tg, pid_t tid)
{
	for (int i = 0; i < tg->n; i++)
		if (tg->t[i].tid == tid)
			return i;
	return -1;
}

/* TracerPid of tid, -1 if gone. */
static pid_t tracer_of(pid_t pid, pid_t tid)
{
	char path[64], line[256];
	pid_t tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			tracer = (pid_t)atoi(line + 10);
	fclose(f);
	return tracer;
}

/* The state letter of tid (/proc/PID/task/TID/stat), 0 if gone. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = (ssize_t)fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Waits for our interrupt's stop of a thread we seized (a signal arriving first stops it too:
 * kept to be given back). 0, or -ESRCH when it is gone. */
static int wait_seized(struct thread *th)
{
	int status;

	for (;;) {
		if (waitpid(th->tid, &status, __WALL) != th->tid)
			return -ESRCH;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 16 == 0) /* a signal-delivery stop: the signal is given back later */
			th->sig = WSTOPSIG(status);
		return 0;
	}
}

/* A thread we already trace (launch mode, --follow): interrupted, and its stop left for our
 * tracer code to wait for (it resumes it); here we only wait until it is in a ptrace stop. */
static int wait_ours(pid_t pid, struct thread *th)
{
	uint64_t deadline = clock_ns(CLOCK_MONOTONIC) + STOP_WAIT_NS;
	char s;

	while ((s = thread_state(pid, th->tid)) != 't') {
		if (!s || s == 'Z' || s == 'X')
			return -ESRCH;
		if (clock_ns(CLOCK_MONOTONIC) > deadline)
			return -ETIMEDOUT;
		usleep(50);
	}
	return 0;
}

static int stop_thread(struct target *tg, pid_t tid)
{
	struct thread *th = &tg->t[tg->n];
	pid_t tracer = tracer_of(tg->pid, tid);
	int e;

	*th = (struct thread){ .tid = tid };
	if (tracer < 0)
		return 0; /* gone */
	if (tracer && tracer != getpid())
		return -EPERM;
	if (!tracer) {
		if (ptrace(PTRACE_SEIZE, tid, NULL, NULL))
			return errno == ESRCH ? 0 : -errno;
		th->seized = 1;
		tg->n++;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
		return errno == ESRCH ? 0 : -errno;
	e = th->seized ? wait_seized(th) : wait_ours(tg->pid, th);
	if (e == -ESRCH)
		return 0;
	if (e)
		return e;
	if (!th->seized)
		tg->n++;
	th->stopped = 1;
	return 0;
}

/* Every thread, again until a pass finds none new (a thread may be born meanwhile). */
static int stop_all(struct target *tg, char *err, size_t errlen)
{
	char path[64];
	int added, e = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)tg->pid);
	do {
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d) {
			snprintf(err, errlen, "process %d is gone", (int)tg->pid);
			return -ESRCH;
		}
		added = 0;
		while ((de = readdir(d)) && !e) {
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid <= 0 || find_thread(tg, tid) >= 0)
				continue;
			if (tg->n == MAX_THREADS) {
				e = -E2BIG;
				break;
			}
			if (!tg->stop_start_ns)
				tg->stop_start_ns = clock_ns(CLOCK_MONOTONIC);
			e = stop_thread(tg, tid);
			added++;
		}
		closedir(d);
	} while (added && !e);
	if (e == -EPERM)
		snprintf(err, errlen,
			 "cannot stop process %d: another tracer (a debugger?) holds a thread of it",
			 (int)tg->pid);
	else if (e)
		snprintf(err, errlen, "cannot stop process %d: %s", (int)tg->pid, strerror(-e));
	return e;
}

/* Lets every thread go on: the ones we seized are detached (with a signal that came
 * meanwhile); ours stay in their stop for our tracer code, which resumes them. */
static void resume_all(struct target *tg)
{
	for (int i = 0; i < tg->n; i++)
		if (tg->t[i].seized)
			ptrace(PTRACE_DETACH, tg->t[i].tid, NULL, (void *)(long)tg->t[i].sig);
}

/* --- Roots --------------------------------------------------------------------------------- */

struct words {
	uint64_t *v;
	size_t n, cap;
};

static int words_reserve(struct words *w, size_t more)
{
	if (w->n + more > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint64_t *v;

		while (cap < w->n + more)
			cap *= 2;
		v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	return 0;
}

static ssize_t vm_read(void *ctx, const struct iovec *remote, int n, void *buf, size_t len)
{
	struct iovec local = { buf, len };

	return process_vm_readv(*(pid_t *)ctx, &local, 1, remote, (unsigned long)n, 0);
}

/* Appends the words of [start, end) of pid's memory; a page that cannot be read is skipped. */
static int read_region(pid_t pid, uint64_t start, uint64_t end, struct words *w,
		       struct reach_stats *st)
{
	start = (start + 7) & ~7ULL;
	end &= ~7ULL;
	while (start < end) {
		size_t len = end - start < ROOT_CHUNK ? (size_t)(end - start) : ROOT_CHUNK;
		struct iovec r = { (void *)(uintptr_t)start, len };
		ssize_t got;

		if (words_reserve(w, len / 8))
			return -ENOMEM;
		got = vm_read(&pid, &r, 1, w->v + w->n, len);
		if (got > 0) {
			w->n += (size_t)got / 8;
			st->roots_bytes += got;
			start += (uint64_t)got & ~7ULL;
		}
		if (got != (ssize_t)len) /* skip the page that faulted */
			start = ((start + 4096) & ~4095ULL);
	}
	return 0;
}

static int has_block(const struct reach_block *b, size_t n, uint64_t start, uint64_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* first block at or after start */
		size_t mid = lo + (hi - lo) / 2;

		if (b[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && b[lo].addr < end;
}

/* The words of heap memory [start, end) outside the known blocks b (sorted) that point into
 * [b[0].addr, the last block's end): an untraced heap is mostly data, and only such words can
 * reach a block, so the copy kept stays small however big the heap. */
static int read_gaps(pid_t pid, uint64_t start, uint64_t end, const struct reach_block *b,
		     size_t n, struct words *w, struct reach_stats *st)
{
	uint64_t lo = b[0].addr, hi = b[n - 1].addr + b[n - 1].size, *buf;
	size_t i = 0;

	if (!(buf = malloc(ROOT_CHUNK)))
		return -ENOMEM;
	start = (start + 7) & ~7ULL;
	end &= ~7ULL;
	while (i < n && b[i].addr + b[i].size <= start)
		i++;
	while (start < end) {
		size_t len = end - start < ROOT_CHUNK ? (size_t)(end - start) : ROOT_CHUNK;
		struct iovec r = { (void *)(uintptr_t)start, len };
		ssize_t got = vm_read(&pid, &r, 1, buf, len);

		for (size_t k = 0; got > 0 && k < (size_t)got / 8; k++) {
			uint64_t at = start + 8 * k;

			while (i < n && b[i].addr + b[i].size <= at)
				i++;
			if ((i < n && at >= b[i].addr) || buf[k] < lo || buf[k] >= hi)
				continue; /* inside a known block (scanned if reached), or no pointer */
			if (words_reserve(w, 1)) {
				free(buf);
				return -ENOMEM;
			}
			w->v[w->n++] = buf[k];
		}
		if (got > 0) {
			st->roots_bytes += got;
			start += (uint64_t)got & ~7ULL;
		}
		if (got != (ssize_t)len) /* skip the page that faulted */
			start = ((start + 4096) & ~4095ULL);
	}
	free(buf);
	return 0;
}

/* Writable memory that is no heap: every module's data and bss, anonymous mappings without a
 * live block (TLS of the main thread, the program's own mmaps), and each thread's stack from its
 * stack pointer (minus the red zone) up, with the TLS that pthread keeps at its top. With
 * untraced_heap, the heap's memory outside the known blocks too. */
static int read_roots(const struct target *tg, const struct reach_block *b, size_t n,
		      int untraced_heap, struct words *w, struct reach_stats *st)
{
	char path[64], line[4096];
	int e = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tg->pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!e && fgets(line, sizeof(line), f)) {
		unsigned long long start, end;
		char perms[8], name[4096] = "";
		uint64_t from;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %4095[^\n]", &start, &end, perms,
			   name) < 3)
			continue;
		if (perms[0] != 'r' || perms[1] != 'w')
			continue;
		if (!strncmp(name, "[v", 2))
			continue;
		if (!strcmp(name, "[heap]") || (name[0] != '/' && has_block(b, n, start, end))) {
			/* an arena, a big block's own mapping: heap, not roots, if all of it is known */
			if (untraced_heap && n)
				e = read_gaps(tg->pid, start, end, b, n, w, st);
			continue;
		}
		from = start;
		for (int i = 0; i < tg->n; i++) {
			uint64_t sp = tg->t[i].regs.rsp;

			if (tg->t[i].stopped && sp >= start && sp < end)
				from = sp - RED_ZONE > start ? sp - RED_ZONE : start;
		}
		e = read_region(tg->pid, from, end, w, st);
	}
	fclose(f);
	return e;
}

/* The general-purpose registers of every stopped thread (memcheck: VG_(apply_to_GP_regs)). */
static int add_registers(struct target *tg, struct words *w, struct reach_stats *st)
{
	for (int i = 0; i < tg->n; i++) {
		struct thread *th = &tg->t[i];
		struct iovec io = { &th->regs, sizeof(th->regs) };
		const struct user_regs_struct *r = &th->regs;

		if (!th->stopped || ptrace(PTRACE_GETREGSET, th->tid, (void *)NT_PRSTATUS, &io)) {
			th->stopped = 0;
			continue;
		}
		uint64_t gp[] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
				  r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };

		if (words_reserve(w, 16))
			return -ENOMEM;
		memcpy(w->v + w->n, gp, sizeof(gp));
		w->n += 16;
		st->roots_bytes += (int64_t)sizeof(gp);
		st->threads++;
	}
	return 0;
}

static int cmp_blocks(const void *a, const void *b)
{
	const struct reach_block *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int reach_scan(const struct reach_opts *o, struct reach_stats *st, char *err, size_t errlen)
{
	struct target tg = { .pid = o->pid };
	struct words roots = { 0 };
	struct reach_block *blocks = NULL;
	struct reach_mem mem = { vm_read, &tg.pid };
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), resumed = 0;
	size_t n = 0;
	int e = 0;

	*st = (struct reach_stats){ 0 };
#ifndef __x86_64__
	snprintf(err, errlen, "the reachability scan reads x86-64 registers only");
	return -ENOTSUP;
#endif
	tg.t = calloc(MAX_THREADS, sizeof(*tg.t));
	if (!tg.t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (o->at_exit) { /* held at its exit by us: only its own registers are there */
		tg.t[0] = (struct thread){ .tid = o->pid, .stopped = 1 };
		tg.n = 1;
		tg.stop_start_ns = t0;
	} else {
		e = stop_all(&tg, err, errlen);
	}
	if (!e)
		e = add_registers(&tg, &roots, st);
	if (!e && (e = o->stopped(o->ctx, &blocks, &n)))
		snprintf(err, errlen, "cannot take the live blocks: %s", strerror(-e));
	if (!e && n > 1)
		qsort(blocks, n, sizeof(*blocks), cmp_blocks);
	if (!e && (e = read_roots(&tg, blocks, n, o->untraced_heap, &roots, st)))
		snprintf(err, errlen, "cannot read the memory of process %d: %s", (int)o->pid,
			 strerror(-e));
	if (!e && (e = reach_classify(blocks, n, roots.v, roots.n, &mem, st)))
		snprintf(err, errlen, "out of memory");
	resume_all(&tg);
	resumed = clock_ns(CLOCK_MONOTONIC);
	st->stop_ns = tg.stop_start_ns ? (int64_t)(resumed - tg.stop_start_ns) : 0;
	st->scan_ns = (int64_t)(resumed - t0);
	free(roots.v);
	free(tg.t);
	return e;
}
