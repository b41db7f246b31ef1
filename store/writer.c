/* The recording writer: creates a recording file and appends rows in batched transactions
 * through prepared statements. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/liveness.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/time.h"

/* Allocation rows go in by ALLOC_BATCH per statement: one statement run per row cost as much as
 * the row itself (ALLOC_COLS * ALLOC_BATCH stays below SQLite's 999-parameter limit of old). */
#define ALLOC_COLS 16
#define ALLOC_BATCH 62

/* Disk space held (an unlinked file beside the recording) from the start, and given back when
 * writing fails for want of space, so the recording's end can still be written: a few pages
 * of WAL for the recording row and a notice. Freed by the kernel if the recorder is killed. */
#define RESERVE_BYTES (256 * 1024)

enum stmt_id {
	ST_ALLOC,
	ST_ALLOC_BATCH,
	ST_FRAME,
	ST_INLINED,
	ST_STACK,
	ST_STACK_FRAME,
	ST_MODULE,
	ST_ERROR,
	ST_TIMELINE,
	ST_EVENT,
	ST_PROBE,
	ST_SITE_STATS,
	ST_SITE_HIST,
	ST_CROSS_THREAD,
	ST_LEAK_SITE,
	ST_BPF_PROGRAM,
	ST_BPF_COUNTER,
	ST_PROCESS,
	ST_PROCESS_END,
	ST_NOTICE,
	ST_EVENT_COUNT,
	ST_HEARTBEAT,
	ST_COUNT,
};

static const char *const STMT_SQL[ST_COUNT] = {
	[ST_ALLOC] = "INSERT INTO allocations(id, addr, size, func, tid, alloc_ts, free_ts, site,"
		     " free_site, free_func, free_tid, alloc_ns, pid, proc, weight, reach)"
		     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_ALLOC_BATCH] = NULL, /* ST_ALLOC's, ALLOC_BATCH times: alloc_batch_sql */
	[ST_FRAME] = "INSERT INTO frames(id, addr, module_id, rel_addr, function, file, line)"
		     " VALUES (?,?,?,?,?,?,?)",
	[ST_INLINED] = "INSERT INTO inlined_frames(frame_id, pos, function, file, line)"
		       " VALUES (?,?,?,?,?)",
	[ST_STACK] = "INSERT INTO stacks(id, depth, walk_end, proc) VALUES (?,?,?,?)",
	[ST_STACK_FRAME] = "INSERT INTO stack_frames(stack_id, pos, frame_id) VALUES (?,?,?)",
	[ST_MODULE] =
		"INSERT INTO modules(id, path, build_id, load_addr, end_addr) VALUES (?,?,?,?,?)",
	[ST_ERROR] = "INSERT INTO errors(kind, addr, ts, tid, func, site, alloc_id, prev_free_site,"
		     " pid) VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_TIMELINE] =
		"INSERT OR REPLACE INTO timeline(ts, live_bytes, live_blocks, allocs, frees,"
		" alloc_bytes, free_bytes) VALUES (?,?,?,?,?,?,?)",
	[ST_EVENT] = "INSERT INTO events(ts, kind, func, tid, addr, size, old_addr, site, pid)"
		     " VALUES (?,?,?,?,?,?,?,?,?)",
	[ST_PROBE] = "INSERT INTO probes(func, symbol, module, offset, insn, emulated, retprobe,"
		     " reason) VALUES (?,?,?,?,?,?,?,?)",
	[ST_SITE_STATS] =
		"INSERT OR REPLACE INTO site_stats(site, allocs, bytes, min_size, max_size,"
		" frees, freed_bytes, live_blocks, live_bytes, peak_live_bytes, peak_ts,"
		" temp_allocs, tight_allocs, burst_frees, small_reallocs, max_realloc_chain,"
		" cross_thread_frees, first_ts, last_ts)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_SITE_HIST] = "INSERT OR REPLACE INTO site_hist(site, kind, bucket, lo, hi, count)"
			 " VALUES (?,?,?,?,?,?)",
	[ST_CROSS_THREAD] = "INSERT OR REPLACE INTO cross_thread(site, free_site, blocks)"
			    " VALUES (?,?,?)",
	[ST_LEAK_SITE] = "INSERT OR REPLACE INTO leak_sites(site, blocks, bytes, oldest_ts, growth,"
			 " reach) VALUES (?,?,?,?,?,?)",
	[ST_BPF_PROGRAM] =
		"INSERT OR REPLACE INTO bpf_programs(name, runs, run_time_ns) VALUES (?,?,?)",
	[ST_BPF_COUNTER] = "INSERT OR REPLACE INTO bpf_counters(name, value) VALUES (?,?)",
	[ST_PROCESS] = "INSERT INTO processes(id, pid, ppid, exe, command, allocator, start_ts)"
		       " VALUES (?,?,?,?,?,?,?)",
	[ST_PROCESS_END] = "UPDATE processes SET end_ts = ?, end_reason = ?, exit_status = ?"
			   " WHERE id = ?",
	[ST_NOTICE] = "INSERT INTO notices(proc, kind, message) VALUES (?,?,?)",
	[ST_EVENT_COUNT] = "INSERT OR REPLACE INTO event_counts(kind, emitted, dropped, received,"
			   " stored, after_cut) VALUES (?,?,?,?,?,?)",
	[ST_HEARTBEAT] = "UPDATE recording SET heartbeat_ns = ? WHERE id = 1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	int in_txn;
	int npending; /* allocation rows not yet inserted */
	struct store_alloc pending[ALLOC_BATCH];
	int reserve_fd; /* RESERVE_BYTES held for the end; -1 none */
};

static int flush_allocs(struct store *s);

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN: return -EACCES;
	case SQLITE_NOMEM: return -ENOMEM;
	default: return -EIO;
	}
}

static int exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_errno(rc);
}

/* A recording is written by one process and may be read while it grows (WAL); losing the last
 * transaction in a power cut is acceptable, so no fsync per commit. The page cache is bounded
 * (8 MiB): rows arrive in nearly ascending id order, so the pages written are the last few of
 * each table, and a bigger cache only grows the recorder's memory, not its speed. */
static int configure(struct store *s)
{
	static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
				      "PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;";
	int rc = sqlite3_exec(s->db, pragmas, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_errno(rc);
}

/* ST_ALLOC's statement with ALLOC_BATCH rows of values. NULL when out of memory. */
static char *alloc_batch_sql(void)
{
	const char *one = strstr(STMT_SQL[ST_ALLOC], " VALUES ") + strlen(" VALUES ");
	size_t head = (size_t)(one - STMT_SQL[ST_ALLOC]), row = strlen(one);
	char *sql = malloc(head + ALLOC_BATCH * (row + 1) + 1), *p;

	if (!sql)
		return NULL;
	memcpy(sql, STMT_SQL[ST_ALLOC], head);
	p = sql + head;
	for (int i = 0; i < ALLOC_BATCH; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, one, row);
		p += row;
	}
	*p = '\0';
	return sql;
}

static int prepare_all(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		char *batch = i == ST_ALLOC_BATCH ? alloc_batch_sql() : NULL;
		int rc = i == ST_ALLOC_BATCH && !batch ?
				 SQLITE_NOMEM :
				 sqlite3_prepare_v3(s->db, batch ? batch : STMT_SQL[i], -1,
						    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL);

		free(batch);
		if (rc != SQLITE_OK)
			return sql_errno(rc);
	}
	return 0;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* RESERVE_BYTES on the recording's file system, in a file without a name: -1 when that cannot
 * be had (then a full disk may leave the end unwritten; readers still see the recording cut
 * short). */
static int reserve_space(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (posix_fallocate(fd, 0, RESERVE_BYTES)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void release_space(struct store *s)
{
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	s->reserve_fd = -1;
}

static void remove_files(const char *path)
{
	char side[4096];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

int store_create(const char *path, struct store **out, char *errbuf, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	char *msg = NULL;
	int err, fd;

	if (!s)
		return -ENOMEM;
	s->reserve_fd = -1;
	remove_files(path);
	/* Created here first: SQLite retries a failed open read-only, which hides the reason
	 * (a read-only file system would read as "no such file"). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		snprintf(errbuf, errlen, "%s", strerror(-err));
		free(s);
		return err;
	}
	close(fd);
	/* One thread writes through this connection: no mutex per call (readers have their own). */
	err = sqlite3_open_v2(path, &s->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (err != SQLITE_OK) {
		int sys = s->db ? sqlite3_system_errno(s->db) : 0;

		err = sys ? -sys : sql_errno(err);
		snprintf(errbuf, errlen, "%s", strerror(-err));
		goto fail;
	}
	err = configure(s);
	if (!err)
		err = schema_create(s->db, &msg);
	if (!err)
		err = prepare_all(s);
	if (!err)
		err = exec(s, "BEGIN");
	if (err) {
		int sys = sqlite3_system_errno(s->db);

		snprintf(errbuf, errlen, "%s",
			 sys ? strerror(sys) :
			 msg ? msg :
			       sqlite3_errmsg(s->db));
		goto fail;
	}
	s->in_txn = 1;
	s->reserve_fd = reserve_space(path);
	sqlite3_free(msg);
	*out = s;
	return 0;
fail:
	sqlite3_free(msg);
	store_close(s);
	remove_files(path);
	return err;
}

int store_close(struct store *s)
{
	int err = 0;

	if (!s)
		return 0;
	if (s->in_txn)
		err = flush_allocs(s);
	if (s->in_txn && !err)
		err = exec(s, "COMMIT");
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	/* Checkpoint so the file is complete on its own, without its -wal. */
	if (s->db && sqlite3_close(s->db) != SQLITE_OK && !err)
		err = -EIO;
	release_space(s);
	free(s);
	return err;
}

const char *store_errmsg(const struct store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "out of memory";
}

static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sql_errno(rc);
}

static void bind_opt_id(sqlite3_stmt *st, int col, int64_t id)
{
	if (id > 0)
		sqlite3_bind_int64(st, col, id);
	else
		sqlite3_bind_null(st, col);
}

static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
	if (text)
		sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* The recording row names its writer (store/liveness.h): readers tell a recording in progress
 * from one whose recorder died. */
int store_begin_recording(struct store *s, const struct store_recording *r)
{
	struct liveness_id me;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
				    "INSERT INTO recording(id, pid, mode, command, exe, allocator,"
				    " start_time_ns, options, heapscope_version, stack_mode,"
				    " sample_bytes, recorder_pid, recorder_start, recorder_where,"
				    " heartbeat_ns) VALUES (1,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sql_errno(rc);
	liveness_self(&me); /* what it could not read stays unknown (NULL) */
	sqlite3_bind_int(st, 11, me.pid);
	if (me.start_ticks >= 0)
		sqlite3_bind_int64(st, 12, me.start_ticks);
	bind_text(st, 13, me.where[0] ? me.where : NULL);
	sqlite3_bind_int64(st, 14, wall_ns());
	sqlite3_bind_int(st, 1, r->pid);
	bind_text(st, 2, r->mode);
	bind_text(st, 3, r->command);
	bind_text(st, 4, r->exe);
	bind_text(st, 5, r->allocator);
	sqlite3_bind_int64(st, 6, r->start_time_ns);
	bind_text(st, 7, r->options);
	bind_text(st, 8, HEAPSCOPE_VERSION);
	bind_text(st, 9, r->stack_mode ? r->stack_mode : "dwarf");
	sqlite3_bind_int64(st, 10, r->sample_bytes);
	rc = run(st);
	sqlite3_finalize(st);
	return rc;
}

int store_insert_probe(struct store *s, const struct store_probe *p)
{
	sqlite3_stmt *st = s->st[ST_PROBE];

	bind_text(st, 1, p->func);
	bind_text(st, 2, p->symbol);
	bind_text(st, 3, p->module);
	sqlite3_bind_int64(st, 4, p->offset);
	bind_text(st, 5, p->insn);
	sqlite3_bind_int(st, 6, p->emulated);
	sqlite3_bind_int(st, 7, p->retprobe);
	bind_text(st, 8, p->reason);
	return run(st);
}

int store_insert_module(struct store *s, int64_t id, const char *path, const char *build_id,
			uint64_t start, uint64_t end)
{
	sqlite3_stmt *st = s->st[ST_MODULE];

	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, path);
	bind_text(st, 3, build_id && *build_id ? build_id : NULL);
	sqlite3_bind_int64(st, 4, (int64_t)start);
	sqlite3_bind_int64(st, 5, (int64_t)end);
	return run(st);
}

int store_insert_frame(struct store *s, int64_t id, uint64_t addr, int64_t module_id,
		       uint64_t rel_addr, const char *function, const char *file, int line)
{
	sqlite3_stmt *st = s->st[ST_FRAME];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (int64_t)addr);
	bind_opt_id(st, 3, module_id);
	if (module_id > 0)
		sqlite3_bind_int64(st, 4, (int64_t)rel_addr);
	else
		sqlite3_bind_null(st, 4);
	bind_text(st, 5, function);
	bind_text(st, 6, file);
	if (line > 0)
		sqlite3_bind_int(st, 7, line);
	else
		sqlite3_bind_null(st, 7);
	return run(st);
}

int store_insert_inlined(struct store *s, int64_t frame_id, int pos, const char *function,
			 const char *file, int line)
{
	sqlite3_stmt *st = s->st[ST_INLINED];

	sqlite3_bind_int64(st, 1, frame_id);
	sqlite3_bind_int(st, 2, pos);
	bind_text(st, 3, function);
	bind_text(st, 4, file);
	if (line > 0)
		sqlite3_bind_int(st, 5, line);
	else
		sqlite3_bind_null(st, 5);
	return run(st);
}

int store_insert_stack(struct store *s, int64_t id, int depth, const char *walk_end,
		       const int64_t *frame_ids, int64_t proc)
{
	sqlite3_stmt *st = s->st[ST_STACK];
	int err;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, depth);
	bind_text(st, 3, walk_end);
	bind_opt_id(st, 4, proc);
	err = run(st);
	st = s->st[ST_STACK_FRAME];
	for (int i = 0; i < depth && !err; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, i);
		sqlite3_bind_int64(st, 3, frame_ids[i]);
		err = run(st);
	}
	return err;
}

/* Binds row a to the ALLOC_COLS parameters from col + 1 on. */
static void bind_alloc(sqlite3_stmt *st, int col, const struct store_alloc *a)
{
	int live = a->free_ts < 0;

	sqlite3_bind_int64(st, col + 1, a->id);
	sqlite3_bind_int64(st, col + 2, (int64_t)a->addr);
	sqlite3_bind_int64(st, col + 3, (int64_t)a->size);
	sqlite3_bind_int(st, col + 4, a->func);
	sqlite3_bind_int(st, col + 5, a->tid);
	sqlite3_bind_int64(st, col + 6, a->alloc_ts);
	if (live) {
		for (int c = 7; c <= 11; c++)
			if (c != 8)
				sqlite3_bind_null(st, col + c);
	} else {
		sqlite3_bind_int64(st, col + 7, a->free_ts);
		bind_opt_id(st, col + 9, a->free_site);
		bind_opt_id(st, col + 10, a->free_func);
		sqlite3_bind_int(st, col + 11, a->free_tid);
	}
	bind_opt_id(st, col + 8, a->site);
	sqlite3_bind_int64(st, col + 12, a->alloc_ns);
	sqlite3_bind_int(st, col + 13, a->pid);
	bind_opt_id(st, col + 14, a->proc);
	sqlite3_bind_int64(st, col + 15, a->weight ? a->weight : 1);
	bind_opt_id(st, col + 16, a->reach);
}

/* Inserts the pending allocation rows: a full batch in one statement, a partial one row by row. */
static int flush_allocs(struct store *s)
{
	int n = s->npending, err = 0;

	s->npending = 0;
	if (n == ALLOC_BATCH) {
		for (int i = 0; i < n; i++)
			bind_alloc(s->st[ST_ALLOC_BATCH], i * ALLOC_COLS, &s->pending[i]);
		return run(s->st[ST_ALLOC_BATCH]);
	}
	for (int i = 0; i < n && !err; i++) {
		bind_alloc(s->st[ST_ALLOC], 0, &s->pending[i]);
		err = run(s->st[ST_ALLOC]);
	}
	return err;
}

int store_insert_alloc(struct store *s, const struct store_alloc *a)
{
	s->pending[s->npending++] = *a;
	return s->npending == ALLOC_BATCH ? flush_allocs(s) : 0;
}

int store_insert_error(struct store *s, const struct store_error *e)
{
	sqlite3_stmt *st = s->st[ST_ERROR];

	bind_text(st, 1, e->kind);
	sqlite3_bind_int64(st, 2, (int64_t)e->addr);
	sqlite3_bind_int64(st, 3, e->ts);
	sqlite3_bind_int(st, 4, e->tid);
	sqlite3_bind_int(st, 5, e->func);
	bind_opt_id(st, 6, e->site);
	bind_opt_id(st, 7, e->alloc_id);
	bind_opt_id(st, 8, e->prev_free_site);
	sqlite3_bind_int(st, 9, e->pid);
	return run(st);
}

int store_insert_timeline(struct store *s, const struct store_timeline *t)
{
	sqlite3_stmt *st = s->st[ST_TIMELINE];

	sqlite3_bind_int64(st, 1, t->ts);
	sqlite3_bind_int64(st, 2, t->live_bytes);
	sqlite3_bind_int64(st, 3, t->live_blocks);
	sqlite3_bind_int64(st, 4, t->allocs);
	sqlite3_bind_int64(st, 5, t->frees);
	sqlite3_bind_int64(st, 6, t->alloc_bytes);
	sqlite3_bind_int64(st, 7, t->free_bytes);
	return run(st);
}

int store_insert_event(struct store *s, const struct store_event *e)
{
	sqlite3_stmt *st = s->st[ST_EVENT];

	sqlite3_bind_int64(st, 1, e->ts);
	bind_text(st, 2, e->kind);
	sqlite3_bind_int(st, 3, e->func);
	sqlite3_bind_int(st, 4, e->tid);
	sqlite3_bind_int64(st, 5, (int64_t)e->addr);
	sqlite3_bind_int64(st, 6, (int64_t)e->size);
	sqlite3_bind_int64(st, 7, (int64_t)e->old_addr);
	bind_opt_id(st, 8, e->site);
	sqlite3_bind_int(st, 9, e->pid);
	return run(st);
}

int store_insert_process(struct store *s, const struct store_process *p)
{
	sqlite3_stmt *st = s->st[ST_PROCESS];

	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_int(st, 2, p->pid);
	if (p->ppid > 0)
		sqlite3_bind_int(st, 3, p->ppid);
	else
		sqlite3_bind_null(st, 3);
	bind_text(st, 4, p->exe);
	bind_text(st, 5, p->command);
	bind_text(st, 6, p->allocator);
	sqlite3_bind_int64(st, 7, p->start_ts);
	return run(st);
}

int store_end_process(struct store *s, int64_t id, int64_t end_ts, const char *end_reason,
		      int exit_status)
{
	sqlite3_stmt *st = s->st[ST_PROCESS_END];

	sqlite3_bind_int64(st, 1, end_ts);
	bind_text(st, 2, end_reason);
	if (exit_status >= 0)
		sqlite3_bind_int(st, 3, exit_status);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, id);
	return run(st);
}

int store_insert_notice(struct store *s, int64_t proc, const char *kind, const char *message)
{
	sqlite3_stmt *st = s->st[ST_NOTICE];

	bind_opt_id(st, 1, proc);
	bind_text(st, 2, kind);
	bind_text(st, 3, message);
	return run(st);
}

int store_insert_event_count(struct store *s, const struct store_event_count *c)
{
	sqlite3_stmt *st = s->st[ST_EVENT_COUNT];
	const int64_t v[] = { c->emitted, c->dropped, c->received, c->stored, c->after_cut };

	bind_text(st, 1, c->kind);
	for (int i = 0; i < (int)(sizeof(v) / sizeof(*v)); i++)
		sqlite3_bind_int64(st, i + 2, v[i]);
	return run(st);
}

int store_insert_site_stats(struct store *s, const struct store_site_stats *ss)
{
	sqlite3_stmt *st = s->st[ST_SITE_STATS];
	const int64_t v[] = { ss->site,
			      ss->allocs,
			      ss->bytes,
			      ss->min_size,
			      ss->max_size,
			      ss->frees,
			      ss->freed_bytes,
			      ss->live_blocks,
			      ss->live_bytes,
			      ss->peak_live_bytes,
			      ss->peak_ts,
			      ss->temp_allocs,
			      ss->tight_allocs,
			      ss->burst_frees,
			      ss->small_reallocs,
			      ss->max_realloc_chain,
			      ss->cross_thread_frees,
			      ss->first_ts,
			      ss->last_ts };

	for (int i = 0; i < (int)(sizeof(v) / sizeof(*v)); i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	return run(st);
}

int store_insert_site_hist(struct store *s, int64_t site, const char *kind, int bucket, int64_t lo,
			   int64_t hi, int64_t count)
{
	sqlite3_stmt *st = s->st[ST_SITE_HIST];

	sqlite3_bind_int64(st, 1, site);
	bind_text(st, 2, kind);
	sqlite3_bind_int(st, 3, bucket);
	sqlite3_bind_int64(st, 4, lo);
	sqlite3_bind_int64(st, 5, hi);
	sqlite3_bind_int64(st, 6, count);
	return run(st);
}

int store_insert_cross_thread(struct store *s, int64_t site, int64_t free_site, int64_t blocks)
{
	sqlite3_stmt *st = s->st[ST_CROSS_THREAD];

	sqlite3_bind_int64(st, 1, site);
	sqlite3_bind_int64(st, 2, free_site);
	sqlite3_bind_int64(st, 3, blocks);
	return run(st);
}

int store_insert_bpf_program(struct store *s, const char *name, int64_t runs, int64_t run_time_ns)
{
	sqlite3_stmt *st = s->st[ST_BPF_PROGRAM];

	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, runs);
	sqlite3_bind_int64(st, 3, run_time_ns);
	return run(st);
}

int store_insert_bpf_counter(struct store *s, const char *name, int64_t value)
{
	sqlite3_stmt *st = s->st[ST_BPF_COUNTER];

	bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, value);
	return run(st);
}

int store_insert_leak_site(struct store *s, const struct store_leak_site *l)
{
	sqlite3_stmt *st = s->st[ST_LEAK_SITE];

	sqlite3_bind_int64(st, 1, l->site);
	sqlite3_bind_int64(st, 2, l->blocks);
	sqlite3_bind_int64(st, 3, l->bytes);
	sqlite3_bind_int64(st, 4, l->oldest_ts);
	sqlite3_bind_double(st, 5, l->growth);
	sqlite3_bind_int(st, 6, l->reach);
	return run(st);
}

int store_insert_scan(struct store *s, const struct store_scan *c)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
				    "INSERT INTO scans(ts, pid, proc, trigger, threads, stop_ns, scan_ns,"
				    " roots_bytes, blocks_bytes, unreadable, definite_blocks,"
				    " definite_bytes, indirect_blocks, indirect_bytes, possible_blocks,"
				    " possible_bytes, reachable_blocks, reachable_bytes)"
				    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sql_errno(rc);
	sqlite3_bind_int64(st, 1, c->ts);
	sqlite3_bind_int(st, 2, c->pid);
	bind_opt_id(st, 3, c->proc);
	bind_text(st, 4, c->trigger);
	for (int i = 0; i < 14; i++)
		sqlite3_bind_int64(st, 5 + i, c->v[i]);
	rc = run(st);
	sqlite3_finalize(st);
	return rc;
}

static void bind_opt_ts(sqlite3_stmt *st, int col, int64_t ts)
{
	if (ts >= 0)
		sqlite3_bind_int64(st, col, ts);
	else
		sqlite3_bind_null(st, col);
}

int store_update_progress(struct store *s, int64_t peak_live_bytes, int64_t peak_ts,
			  int64_t dropped_events, int64_t first_drop_ts)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db,
				    "UPDATE recording SET peak_live_bytes = ?, peak_ts = ?,"
				    " dropped_events = ?, first_drop_ts = ? WHERE id = 1",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return sql_errno(rc);
	sqlite3_bind_int64(st, 1, peak_live_bytes);
	sqlite3_bind_int64(st, 2, peak_ts);
	sqlite3_bind_int64(st, 3, dropped_events);
	bind_opt_ts(st, 4, first_drop_ts);
	rc = run(st);
	sqlite3_finalize(st);
	return rc;
}

int store_clear_leak_sites(struct store *s)
{
	return exec(s, "DELETE FROM leak_sites");
}

int store_commit(struct store *s)
{
	int err = flush_allocs(s);

	if (!err) {
		sqlite3_bind_int64(s->st[ST_HEARTBEAT], 1, wall_ns());
		err = run(s->st[ST_HEARTBEAT]);
	}
	if (err)
		return err;
	err = exec(s, "COMMIT");
	s->in_txn = 0;
	if (err)
		return err;
	err = exec(s, "BEGIN");
	s->in_txn = !err;
	return err;
}

int store_end_recording(struct store *s, const struct store_end *e)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
		s->db,
		"UPDATE recording SET duration_ns = ?, end_reason = ?, exit_status = ?,"
		" dropped_events = ?, untracked_frees = ?, stack_collisions = ?,"
		" stack_map_full = ?, peak_live_bytes = ?, peak_ts = ?,"
		" fp_fallback_frames = ?, unwind_files = ?, unwind_files_no_cfi = ?,"
		" cut_ts = ?, first_drop_ts = ?, freed_forgotten = ? WHERE id = 1",
		-1, &st, NULL);

	if (rc != SQLITE_OK)
		return sql_errno(rc);
	sqlite3_bind_int64(st, 1, e->duration_ns);
	bind_text(st, 2, e->end_reason);
	if (e->exit_status >= 0)
		sqlite3_bind_int(st, 3, e->exit_status);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, e->dropped_events);
	sqlite3_bind_int64(st, 5, e->untracked_frees);
	sqlite3_bind_int64(st, 6, e->stack_collisions);
	sqlite3_bind_int64(st, 7, e->stack_map_full);
	sqlite3_bind_int64(st, 8, e->peak_live_bytes);
	sqlite3_bind_int64(st, 9, e->peak_ts);
	sqlite3_bind_int64(st, 10, e->fp_fallback_frames);
	sqlite3_bind_int64(st, 11, e->unwind_files);
	sqlite3_bind_int64(st, 12, e->unwind_files_no_cfi);
	bind_opt_ts(st, 13, e->cut_ts);
	bind_opt_ts(st, 14, e->first_drop_ts);
	sqlite3_bind_int64(st, 15, e->freed_forgotten);
	rc = run(st);
	sqlite3_finalize(st);
	return rc ? rc : store_commit(s);
}

/* Whatever the failed transaction held is dropped: the file keeps what was committed, and its
 * end says so. */
int store_fail_recording(struct store *s, int64_t duration_ns, const char *why)
{
	sqlite3_stmt *st = NULL;
	int err;

	s->npending = 0;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = 0;
	release_space(s);
	err = exec(s, "BEGIN");
	if (err)
		return err;
	s->in_txn = 1;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE recording SET end_reason = 'error', duration_ns = ?,"
			       " heartbeat_ns = ? WHERE id = 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, duration_ns > 0 ? duration_ns : 0);
	sqlite3_bind_int64(st, 2, wall_ns());
	err = run(st);
	sqlite3_finalize(st);
	if (!err)
		err = store_insert_notice(s, 0, "write_failed", why);
	if (!err)
		err = exec(s, "COMMIT");
	if (!err)
		s->in_txn = 0;
	return err;
}

int store_count_errors_from(struct store *s, int64_t ts, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	*out = 0;
	if (ts < 0)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM errors WHERE ts >= ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	sqlite3_bind_int64(st, 1, ts);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sql_errno(rc);
}
