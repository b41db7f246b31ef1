/* Opening a recording for reading (and restricting it to one process), and the analyses that
 * read its tables directly: summary, stacks, errors and timeline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/analysis.h"
#include "store/liveness.h"
#include "store/reader_priv.h"
#include "store/schema.h"
#include "store/time.h"

int rd_prepare(struct store_reader *r, const char *sql, sqlite3_stmt **st)
{
	int pid_param;

	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
		*st = NULL;
		return -EIO;
	}
	/* Bound here, so no query can forget the process filter it names. */
	pid_param = sqlite3_bind_parameter_index(*st, ":pid");
	if (pid_param)
		sqlite3_bind_int(*st, pid_param, r->pid);
	pid_param = sqlite3_bind_parameter_index(*st, ":aliased");
	if (pid_param)
		sqlite3_bind_int(*st, pid_param, r->aliased > 0);
	rd_bind_window(r, *st);
	return 0;
}

int rd_done(struct store_reader *r, sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(sqlite3_db_handle(st)));
	return -EIO;
}

char *rd_text(sqlite3_stmt *st, int col, int *err)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	char *copy;

	if (!t)
		return NULL;
	copy = strdup(t);
	if (!copy)
		*err = -ENOMEM;
	return copy;
}

int rd_scalar(struct store_reader *r, const char *sql, int64_t dflt, int64_t *out)
{
	sqlite3_stmt *st;
	int err, rc;

	*out = dflt;
	err = rd_prepare(r, sql, &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

int rd_end_ns(struct store_reader *r, int64_t *out)
{
	return rd_scalar(r, "SELECT " RD_END_NS " FROM recording WHERE id = 1", 0, out);
}

int rd_site_stats_written(struct store_reader *r)
{
	int64_t written;
	int err = rd_scalar(r, "SELECT EXISTS (SELECT 1 FROM site_stats)", 0, &written);

	return err ? err : written > 0;
}

int store_reader_open(const char *path, struct store_reader **out, char *err, size_t errlen)
{
	struct store_reader *r;
	struct stat sb;
	int e, found = -1;

	if (access(path, R_OK)) {
		e = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-e));
		return e;
	}
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) { /* sqlite says "disk I/O error" */
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
		return -EISDIR;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(r->db));
		store_reader_close(r);
		return -ENOTSUP;
	}
	sqlite3_busy_timeout(r->db, 2000); /* the recorder may be committing */
	e = schema_check(r->db, &found);
	if (e == -EPROTO)
		snprintf(err, errlen,
			 "%s is a heapscope recording of schema version %d; this heapscope reads "
			 "version %d (record it again, or use the heapscope that wrote it)",
			 path, found, STORE_SCHEMA_VERSION);
	else if (e && sqlite3_errcode(r->db) == SQLITE_CORRUPT) /* e.g. a truncated copy */
		snprintf(err, errlen,
			 "%s is damaged (%s): truncated or overwritten; record it again or use an "
			 "intact copy",
			 path, sqlite3_errmsg(r->db));
	else if (e)
		snprintf(err, errlen, "%s is not a heapscope recording (%s)", path,
			 sqlite3_errcode(r->db) == SQLITE_NOTADB ? "not an SQLite database" :
								   "no recording table");
	/* Written with the recording row, before any allocation: a sampled recording is sampled
	 * from its first row. No row yet (the recorder is starting) reads as exact. */
	if (!e && rd_scalar(r, "SELECT sample_bytes FROM recording WHERE id = 1", 0,
			    &r->sample_bytes)) {
		snprintf(err, errlen, "cannot read %s: %s", path, r->errmsg);
		e = -EIO;
	}
	if (!e && (e = rd_alloc_fns_open(r)))
		snprintf(err, errlen, "cannot read %s: %s", path,
			 e == -EIO ? r->errmsg : strerror(-e));
	if (e) {
		store_reader_close(r);
		return e;
	}
	*out = r;
	return 0;
}

int64_t store_reader_sample_bytes(const struct store_reader *r)
{
	return r->sample_bytes > 0 ? r->sample_bytes : 0;
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	rd_alloc_fns_free(r);
	sqlite3_close(r->db);
	free(r);
}

const char *store_reader_errmsg(const struct store_reader *r)
{
	return r->errmsg;
}

/* A recording without processes rows is one process: the recording's pid. */
static const char *const KNOWN_PID_SQL =
	"SELECT EXISTS (SELECT 1 FROM processes WHERE pid = ?1)"
	" OR (NOT EXISTS (SELECT 1 FROM processes) AND (SELECT pid FROM recording) = ?1)";

int store_reader_set_pid(struct store_reader *r, int pid)
{
	sqlite3_stmt *st;
	int64_t processes;
	int err, known = 0;

	if (pid < 0)
		return -EINVAL;
	if (!pid) {
		int was = r->pid;

		r->pid = 0;
		return was && r->nalloc_fns ? rd_alloc_fns_rebuild(r) : 0;
	}
	r->pid = 0;
	err = rd_prepare(r, KNOWN_PID_SQL, &st);
	if (err)
		return err;
	sqlite3_bind_int(st, 1, pid);
	if (sqlite3_step(st) == SQLITE_ROW)
		known = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!known)
		return -ENOENT;
	/* Without processes rows no stack names its process: the filter would drop them all. */
	err = rd_scalar(r, "SELECT EXISTS (SELECT 1 FROM processes)", 0, &processes);
	if (err)
		return err;
	r->pid = processes > 0 ? pid : 0;
	return r->nalloc_fns ? rd_alloc_fns_rebuild(r) : 0; /* "auto" looks at that process */
}

void an_stack_free(struct an_stack *s)
{
	for (int i = 0; i < s->depth; i++) {
		free(s->frames[i].function);
		free(s->frames[i].file);
		free(s->frames[i].module);
		free(s->frames[i].build_id);
	}
	free(s->frames);
	*s = (struct an_stack){ 0 };
}

/* A stack's frames with the functions inlined at each (outer row columns 0-9, inlined 10-13). */
static const char *const STACK_SQL =
	"SELECT f.function, f.file, f.line, m.path, f.addr, coalesce(f.rel_addr, 0), m.build_id,"
	" m.load_addr, m.end_addr, sf.pos, i.pos, i.function, i.file, i.line FROM stack_frames sf"
	" JOIN frames f ON f.id = sf.frame_id LEFT JOIN modules m ON m.id = f.module_id"
	" LEFT JOIN inlined_frames i ON i.frame_id = f.id WHERE sf.stack_id = ?1"
	/* without its allocation-wrapper frames (store/allocfn.c; none by default) */
	" AND sf.pos >= coalesce((SELECT trim FROM temp.site_alias WHERE site = ?1), 0)"
	" ORDER BY sf.pos, i.pos";

static struct an_frame *push_frame(struct an_stack *s, int *cap)
{
	struct an_frame *f;

	if (s->depth == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		f = realloc(s->frames, *cap * sizeof(*f));
		if (!f)
			return NULL;
		s->frames = f;
	}
	f = &s->frames[s->depth++];
	*f = (struct an_frame){ 0 };
	return f;
}

/* The frame of columns from col on (function, file, line) with the row's module and address. */
static void fill_frame(struct an_frame *f, sqlite3_stmt *st, int col, int *err)
{
	f->function = rd_text(st, col, err);
	f->file = rd_text(st, col + 1, err);
	f->line = sqlite3_column_int(st, col + 2);
	f->module = rd_text(st, 3, err);
	f->addr = (uint64_t)sqlite3_column_int64(st, 4);
	f->offset = f->module ? (uint64_t)sqlite3_column_int64(st, 5) : 0;
	f->build_id = rd_text(st, 6, err);
	f->module_start = (uint64_t)sqlite3_column_int64(st, 7);
	f->module_end = (uint64_t)sqlite3_column_int64(st, 8);
}

/* Moves the frame at own behind the functions inlined into it (the rest of the stack). */
static void group_end(struct an_stack *s, int own)
{
	struct an_frame f;

	if (own < 0 || own >= s->depth - 1)
		return;
	f = s->frames[own];
	memmove(s->frames + own, s->frames + own + 1, (s->depth - own - 1) * sizeof(f));
	s->frames[s->depth - 1] = f;
}

int an_load_stack(struct store_reader *r, int64_t site, struct an_stack *out)
{
	sqlite3_stmt *st;
	int rc, err = 0, cap = 0, pos = -1, own = -1;
	struct an_frame *f;

	*out = (struct an_stack){ 0 };
	if (site <= 0)
		return 0;
	err = rd_prepare(r, STACK_SQL, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	/* Rows come per frame: one per function inlined there (innermost first), or one alone. The
	 * frame's own entry is pushed first and moved behind its inlined ones when the next frame
	 * starts. */
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (pos != sqlite3_column_int(st, 9)) {
			group_end(out, own);
			pos = sqlite3_column_int(st, 9);
			own = out->depth;
			if (!(f = push_frame(out, &cap))) {
				err = -ENOMEM;
				break;
			}
			fill_frame(f, st, 0, &err);
		}
		if (sqlite3_column_type(st, 10) == SQLITE_NULL)
			continue;
		if (!(f = push_frame(out, &cap))) {
			err = -ENOMEM;
			break;
		}
		fill_frame(f, st, 11, &err);
		f->inlined = 1;
	}
	group_end(out, own);
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		an_stack_free(out);
	return err;
}

/* --- Summary ------------------------------------------------------------------------------ */

#define SITE_SUM(col) "SELECT sum(" col ") FROM site_stats WHERE " RD_PID_STACK("site")
#define ALLOC_ROWS(what)                                                                           \
	"SELECT " what " FROM allocations WHERE " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts")
#define ERRORS_WHERE(cond)                                                                         \
	"SELECT count(*) FROM errors WHERE " cond " AND " RD_PID_ROW("pid") " AND " RD_WIN("ts")

/* rd_scalar (0 for no row or NULL) unless an earlier query failed; the first error stays. */
static void count(struct store_reader *r, const char *sql, int64_t *out, int *err)
{
	if (!*err)
		*err = rd_scalar(r, sql, 0, out);
}

/* The live state at the end: the recorder's last sample, or for one process (or a time window)
 * its blocks. */
static void live_so_far(struct store_reader *r, struct an_summary *s, int *err)
{
	if (r->pid || r->windowed) {
		count(r, ALLOC_ROWS("sum(weight)") " AND free_ts IS NULL", &s->live_blocks, err);
		count(r, ALLOC_ROWS("sum(size * weight)") " AND free_ts IS NULL", &s->live_bytes, err);
		return;
	}
	count(r, "SELECT live_blocks FROM timeline ORDER BY ts DESC", &s->live_blocks, err);
	count(r, "SELECT live_bytes FROM timeline ORDER BY ts DESC", &s->live_bytes, err);
}

/* A time window's counts and errors, from its allocation rows in one scan. */
static int window_counts(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	int err = rd_prepare(r,
			     ALLOC_ROWS("coalesce(sum(weight), 0),"
					" coalesce(sum(CASE WHEN free_ts IS NOT NULL THEN weight END), 0),"
					" coalesce(sum(size * weight), 0),"
					" coalesce(sum(CASE WHEN free_ts IS NULL THEN weight END), 0),"
					" coalesce(sum(CASE WHEN free_ts IS NULL THEN size * weight END), 0)"),
			     &st),
	    rc;

	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->allocs = sqlite3_column_int64(st, 0);
		s->frees = sqlite3_column_int64(st, 1);
		s->alloc_bytes = sqlite3_column_int64(st, 2);
		s->live_blocks = sqlite3_column_int64(st, 3);
		s->live_bytes = sqlite3_column_int64(st, 4);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	count(r, ERRORS_WHERE("kind = 'double_free'"), &s->double_frees, &err);
	count(r, ERRORS_WHERE("kind = 'invalid_free'"), &s->invalid_frees, &err);
	count(r, ERRORS_WHERE("ts >= (SELECT first_drop_ts FROM recording WHERE id = 1)"),
	      &s->unreliable_errors, &err);
	return err;
}

static int summary_counts(struct store_reader *r, struct an_summary *s)
{
	int err = 0, written = rd_site_stats_written(r);

	if (written < 0)
		return written;
	if (r->windowed) /* the aggregates cover the whole recording: one scan of its rows */
		return window_counts(r, s);
	if (written) {
		count(r, SITE_SUM("allocs"), &s->allocs, &err);
		count(r, SITE_SUM("frees"), &s->frees, &err);
		count(r, SITE_SUM("bytes"), &s->alloc_bytes, &err);
		count(r, SITE_SUM("live_blocks"), &s->live_blocks, &err);
		count(r, SITE_SUM("live_bytes"), &s->live_bytes, &err);
	} else {
		count(r, ALLOC_ROWS("sum(weight)"), &s->allocs, &err);
		count(r, ALLOC_ROWS("sum(CASE WHEN free_ts IS NOT NULL THEN weight END)"), &s->frees,
		      &err);
		count(r, ALLOC_ROWS("sum(size * weight)"), &s->alloc_bytes, &err);
		live_so_far(r, s, &err);
	}
	count(r, ERRORS_WHERE("kind = 'double_free'"), &s->double_frees, &err);
	count(r, ERRORS_WHERE("kind = 'invalid_free'"), &s->invalid_frees, &err);
	count(r, ERRORS_WHERE("ts >= (SELECT first_drop_ts FROM recording WHERE id = 1)"),
	      &s->unreliable_errors, &err);
	return err;
}

/* The recorder's peak is of the whole recording: it is the process's when no other was traced.
 * Otherwise the process's allocations are replayed in time order (a scan and a sort), frees
 * before allocations at the same instant, as a realloc frees its old block first. */
static const char *const ONLY_PID_SQL =
	"SELECT NOT EXISTS (SELECT 1 FROM processes WHERE pid <> :pid)";
static const char *const PID_EVENTS_SQL =
	"SELECT alloc_ts AS ts, 1 AS k, size * weight FROM allocations WHERE " RD_PID_ROW("pid")
	" AND " RD_WIN("alloc_ts") " UNION ALL SELECT free_ts, 0, -size * weight FROM allocations"
	" WHERE " RD_PID_ROW("pid") " AND " RD_WIN("alloc_ts") " AND free_ts IS NOT NULL"
	" ORDER BY ts, k";

static int pid_peak(struct store_reader *r, struct an_summary *s)
{
	int64_t live = 0, only = 0;
	sqlite3_stmt *st;
	int err, rc;

	/* A window's peak is of its own blocks: always replayed. */
	err = r->windowed ? 0 : rd_scalar(r, ONLY_PID_SQL, 0, &only);
	if (err || (!r->windowed && only))
		return err;
	err = rd_prepare(r, PID_EVENTS_SQL, &st);
	if (err)
		return err;
	s->peak_bytes = 0;
	s->peak_ts = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		live += sqlite3_column_int64(st, 2);
		if (live > s->peak_bytes) { /* the first instant it is reached */
			s->peak_bytes = live;
			s->peak_ts = sqlite3_column_int64(st, 0);
		}
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

static int64_t opt_ts(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

/* A recording without an end whose recorder no longer runs: the process is gone (when this
 * system can see it), else its last commit is older than STORE_HEARTBEAT_STALE_NS. Columns from
 * col: recorder_pid, recorder_start, recorder_where, heartbeat_ns. */
static int recorder_gone(sqlite3_stmt *st, int col)
{
	const char *where = (const char *)sqlite3_column_text(st, col + 2);
	struct liveness_id id = { .pid = sqlite3_column_int(st, col),
				  .start_ticks = opt_ts(st, col + 1) };
	int64_t beat = opt_ts(st, col + 3);
	struct timespec now;
	int alive;

	snprintf(id.where, sizeof(id.where), "%s", where ? where : "");
	alive = liveness_check(&id);
	if (alive >= 0)
		return !alive;
	clock_gettime(CLOCK_REALTIME, &now);
	return beat > 0 &&
	       (int64_t)now.tv_sec * NS_PER_S + now.tv_nsec - beat > STORE_HEARTBEAT_STALE_NS;
}

/* What a recording without its end says of itself: processes still "running" ended with it. */
static int mark_cut_short(struct an_summary *s)
{
	s->cut_short = 1;
	s->end_reason = strdup("cut_short");
	return s->end_reason ? 0 : -ENOMEM;
}

static int end_unfinished_processes(struct an_summary *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		if (s->procs[i].end_reason)
			continue;
		s->procs[i].end_reason = strdup(s->end_reason);
		if (!s->procs[i].end_reason)
			return -ENOMEM;
	}
	return 0;
}

int an_summary(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	int err, rc;

	*s = (struct an_summary){ .exit_status = -1, .cut_ts = -1, .first_drop_ts = -1 };
	/* While recording (or cut short), the duration so far is the newest instant published. */
	err = rd_prepare(r,
			 "SELECT pid, mode, command, exe, allocator, end_reason, start_time_ns,"
			 " " RD_END_NS ", exit_status,"
			 " dropped_events, untracked_frees, stack_collisions, stack_map_full,"
			 " peak_live_bytes, peak_ts, cut_ts, first_drop_ts, freed_forgotten,"
			 " recorder_pid, recorder_start, recorder_where, heartbeat_ns"
			 " FROM recording WHERE id = 1",
			 &st);
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->pid = sqlite3_column_int(st, 0);
		s->mode = rd_text(st, 1, &err);
		s->command = rd_text(st, 2, &err);
		s->exe = rd_text(st, 3, &err);
		s->allocator = rd_text(st, 4, &err);
		s->end_reason = rd_text(st, 5, &err);
		s->start_time_ns = sqlite3_column_int64(st, 6);
		s->duration_ns = sqlite3_column_int64(st, 7);
		if (sqlite3_column_type(st, 8) != SQLITE_NULL)
			s->exit_status = sqlite3_column_int(st, 8);
		s->dropped_events = sqlite3_column_int64(st, 9);
		s->untracked_frees = sqlite3_column_int64(st, 10);
		s->stack_collisions = sqlite3_column_int64(st, 11);
		s->stack_map_full = sqlite3_column_int64(st, 12);
		s->peak_bytes = sqlite3_column_int64(st, 13);
		s->peak_ts = sqlite3_column_int64(st, 14);
		s->cut_ts = opt_ts(st, 15);
		s->first_drop_ts = opt_ts(st, 16);
		s->freed_forgotten = sqlite3_column_int64(st, 17);
		if (!err && !s->end_reason && recorder_gone(st, 18))
			err = mark_cut_short(s);
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	s->pid_filter = r->pid;
	s->sample_bytes = store_reader_sample_bytes(r);
	if (!err)
		err = summary_counts(r, s);
	if (!err && (r->pid || r->windowed))
		err = pid_peak(r, s);
	s->windowed = r->windowed;
	s->window_from_ns = r->win_from;
	s->window_to_ns = r->win_to < s->duration_ns ? r->win_to : s->duration_ns;
	if (!err)
		err = an_stack_quality(r, &s->stacks);
	if (!err)
		err = rd_summary_processes(r, s);
	if (!err)
		err = an_alloc_fns(r, &s->alloc_fns);
	if (!err)
		err = an_last_scan(r, &s->last_scan);
	if (!err && (s->cut_short || (s->end_reason && !strcmp(s->end_reason, "error"))))
		err = end_unfinished_processes(s);
	if (err)
		an_summary_free(s);
	return err;
}

void an_summary_free(struct an_summary *s)
{
	free(s->mode);
	free(s->command);
	free(s->exe);
	free(s->allocator);
	free(s->end_reason);
	an_stack_quality_free(&s->stacks);
	rd_summary_processes_free(s);
	an_alloc_fns_free(&s->alloc_fns);
	an_scan_free(&s->last_scan);
	*s = (struct an_summary){ .exit_status = -1, .cut_ts = -1, .first_drop_ts = -1 };
}

/* --- Errors -------------------------------------------------------------------------------- */

static int load_error(struct store_reader *r, sqlite3_stmt *st, struct an_error *e)
{
	int err = 0;

	*e = (struct an_error){ .kind = rd_text(st, 0, &err),
				.func = rd_text(st, 1, &err),
				.addr = (uint64_t)sqlite3_column_int64(st, 2),
				.ts = sqlite3_column_int64(st, 3),
				.tid = sqlite3_column_int(st, 4),
				.alloc_id = sqlite3_column_int64(st, 6),
				.pid = sqlite3_column_int(st, 9),
				.unreliable = sqlite3_column_int(st, 10) };
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 5), &e->stack);
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 7), &e->alloc_stack);
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 8), &e->prev_free_stack);
	return err;
}

/* An error after the first lost event is unreliable (NULL first_drop_ts: nothing was lost). */
static const char *const ERRORS_SQL =
	"SELECT e.kind, f.name, e.addr, e.ts, e.tid, e.site, e.alloc_id, a.site, e.prev_free_site,"
	" e.pid, coalesce(e.ts >= (SELECT first_drop_ts FROM recording WHERE id = 1), 0)"
	" FROM errors e LEFT JOIN funcs f ON f.id = e.func"
	" LEFT JOIN allocations a ON a.id = e.alloc_id WHERE " RD_PID_ROW(
		"e.pid") " AND " RD_WIN("e.ts") " ORDER BY e.ts, e.id";

int an_errors(struct store_reader *r, struct an_errors *out)
{
	sqlite3_stmt *st;
	int err, rc;
	size_t cap = 0;

	*out = (struct an_errors){ 0 };
	err = rd_prepare(r, ERRORS_SQL, &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			struct an_error *v =
				realloc(out->v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

			if (!v) {
				err = -ENOMEM;
				break;
			}
			out->v = v;
		}
		err = load_error(r, st, &out->v[out->n++]);
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		an_errors_free(out);
	return err;
}

void an_errors_free(struct an_errors *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->v[i].kind);
		free(e->v[i].func);
		an_stack_free(&e->v[i].stack);
		an_stack_free(&e->v[i].alloc_stack);
		an_stack_free(&e->v[i].prev_free_stack);
	}
	free(e->v);
	*e = (struct an_errors){ 0 };
}

/* --- Timeline ------------------------------------------------------------------------------ */

static int timeline_alloc(struct an_timeline *t, int64_t from, int64_t to, int64_t res,
			  int64_t min_res)
{
	if (res <= 0)
		res = (to - from) / 200;
	if (res < min_res)
		res = min_res;
	t->resolution_ns = res;
	t->n = (size_t)((to - from + res - 1) / res);
	if (t->n == 0)
		t->n = 1;
	if (t->n > 1000000)
		return -E2BIG;
	t->v = calloc(t->n, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		t->v[i].ts = from + (int64_t)(i + 1) * res;
	return 0;
}

/* The whole recording: re-bucket the recorder's 100 ms samples. */
static int timeline_all(struct store_reader *r, int64_t from, struct an_timeline *t)
{
	sqlite3_stmt *st;
	int err, rc;
	struct an_point prev = { 0 };

	err = rd_prepare(r,
			 "SELECT ts, live_bytes, live_blocks, allocs, frees, alloc_bytes,"
			 " free_bytes FROM timeline ORDER BY ts",
			 &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t ts = sqlite3_column_int64(st, 0), i;
		struct an_point *p;

		if (ts <= from) {
			prev.live_bytes = sqlite3_column_int64(st, 1);
			prev.live_blocks = sqlite3_column_int64(st, 2);
			continue;
		}
		i = (ts - from - 1) / t->resolution_ns;
		if (i >= (int64_t)t->n)
			break;
		p = &t->v[i];
		p->live_bytes = sqlite3_column_int64(st, 1);
		p->live_blocks = sqlite3_column_int64(st, 2);
		p->allocs += sqlite3_column_int64(st, 3);
		p->frees += sqlite3_column_int64(st, 4);
		p->alloc_bytes += sqlite3_column_int64(st, 5);
		p->free_bytes += sqlite3_column_int64(st, 6);
		if (p->ts > 0) /* mark as filled, once however many samples (sign restored below) */
			p->ts = -p->ts;
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	/* Intervals without samples keep the live state of the one before. */
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].ts < 0) {
			t->v[i].ts = -t->v[i].ts;
			prev = t->v[i];
		} else {
			t->v[i].live_bytes = prev.live_bytes;
			t->v[i].live_blocks = prev.live_blocks;
		}
	}
	return err;
}

/* A block of a sampled recording stands for `weight` blocks (1 in exact mode). */
static void add_delta(struct an_timeline *t, int64_t from, int64_t ts, int64_t bytes,
		      int64_t weight, int alloc)
{
	int64_t i = ts <= from ? 0 : (ts - from - 1) / t->resolution_ns;

	if (i >= (int64_t)t->n)
		return;
	if (alloc) {
		t->v[i].allocs += weight;
		t->v[i].alloc_bytes += bytes * weight;
	} else {
		t->v[i].frees += weight;
		t->v[i].free_bytes += bytes * weight;
	}
}

/* One site or one process: from its allocations (a scan; the recorder's samples are of the
 * whole recording). */
static int timeline_scan(struct store_reader *r, int64_t site, int64_t from, struct an_timeline *t)
{
	sqlite3_stmt *st;
	int64_t base_bytes = 0, base_blocks = 0;
	int err, rc;

	err = rd_prepare(r,
			 "SELECT size, alloc_ts, free_ts, weight FROM allocations"
			 " WHERE " RD_SITE_IN("allocations.site", "?1") " AND " RD_PID_ROW("pid"),
			 &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t size = sqlite3_column_int64(st, 0), a = sqlite3_column_int64(st, 1);
		int freed = sqlite3_column_type(st, 2) != SQLITE_NULL;
		int64_t f = sqlite3_column_int64(st, 2), w = sqlite3_column_int64(st, 3);

		if (a <= from && (!freed || f > from)) {
			base_bytes += size * w;
			base_blocks += w;
		}
		if (a > from)
			add_delta(t, from, a, size, w, 1);
		if (freed && f > from)
			add_delta(t, from, f, size, w, 0);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	for (size_t i = 0; i < t->n; i++) {
		base_bytes += t->v[i].alloc_bytes - t->v[i].free_bytes;
		base_blocks += t->v[i].allocs - t->v[i].frees;
		t->v[i].live_bytes = base_bytes;
		t->v[i].live_blocks = base_blocks;
	}
	return err;
}

int an_timeline(struct store_reader *r, int64_t site, int64_t from_ns, int64_t to_ns,
		int64_t resolution_ns, struct an_timeline *out)
{
	int64_t end;
	int err, scan;

	*out = (struct an_timeline){ 0 };
	if (from_ns < 0 || to_ns < 0 || resolution_ns < 0)
		return -EINVAL;
	err = rd_scalar(
		r, "SELECT coalesce(duration_ns, (SELECT max(ts) FROM timeline)) FROM recording", 0,
		&end);
	if (err)
		return err;
	if (!to_ns || to_ns > end)
		to_ns = end;
	if (to_ns <= from_ns)
		to_ns = from_ns + 1;
	/* The recording's own samples are 100 ms apart: finer intervals would be mostly empty. */
	scan = site || r->pid;
	err = timeline_alloc(out, from_ns, to_ns, resolution_ns,
			     scan ? 1 : STORE_TIMELINE_INTERVAL_NS);
	if (!err)
		err = scan ? timeline_scan(r, site, from_ns, out) : timeline_all(r, from_ns, out);
	if (err)
		an_timeline_free(out);
	return err;
}

void an_timeline_free(struct an_timeline *t)
{
	free(t->v);
	*t = (struct an_timeline){ 0 };
}
