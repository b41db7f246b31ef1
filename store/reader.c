/* Opening a recording for reading, and the analyses that read its tables directly: summary,
 * stacks, errors and timeline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/analysis.h"
#include "store/reader_priv.h"
#include "store/schema.h"

int rd_prepare(struct store_reader *r, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
	*st = NULL;
	return -EIO;
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

int64_t rd_scalar(struct store_reader *r, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (rd_prepare(r, sql, &st))
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int rd_site_stats_written(struct store_reader *r)
{
	return rd_scalar(r, "SELECT EXISTS (SELECT 1 FROM site_stats)", 0) > 0;
}

int store_reader_open(const char *path, struct store_reader **out, char *err, size_t errlen)
{
	struct store_reader *r;
	int e, found = -1;

	if (access(path, R_OK)) {
		e = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-e));
		return e;
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
	else if (e)
		snprintf(err, errlen, "%s is not a heapscope recording (%s)", path,
			 sqlite3_errcode(r->db) == SQLITE_NOTADB ? "not an SQLite database" :
								   "no recording table");
	if (e) {
		store_reader_close(r);
		return e;
	}
	*out = r;
	return 0;
}

void store_reader_close(struct store_reader *r)
{
	if (!r)
		return;
	sqlite3_close(r->db);
	free(r);
}

const char *store_reader_errmsg(const struct store_reader *r)
{
	return r->errmsg;
}

void an_stack_free(struct an_stack *s)
{
	for (int i = 0; i < s->depth; i++) {
		free(s->frames[i].function);
		free(s->frames[i].file);
		free(s->frames[i].module);
	}
	free(s->frames);
	*s = (struct an_stack){ 0 };
}

int an_load_stack(struct store_reader *r, int64_t site, struct an_stack *out)
{
	sqlite3_stmt *st;
	int rc, err = 0, cap = 0;

	*out = (struct an_stack){ 0 };
	if (site <= 0)
		return 0;
	err = rd_prepare(r, "SELECT function, file, line, module, addr FROM site_frames"
			    " WHERE site = ? ORDER BY pos", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct an_frame *f;

		if (out->depth == cap) {
			cap = cap ? cap * 2 : 8;
			f = realloc(out->frames, cap * sizeof(*f));
			if (!f) {
				err = -ENOMEM;
				break;
			}
			out->frames = f;
		}
		f = &out->frames[out->depth++];
		*f = (struct an_frame){ rd_text(st, 0, &err), rd_text(st, 1, &err),
					rd_text(st, 3, &err), sqlite3_column_int(st, 2),
					(uint64_t)sqlite3_column_int64(st, 4) };
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		an_stack_free(out);
	return err;
}

/* --- Summary ------------------------------------------------------------------------------ */

static int summary_counts(struct store_reader *r, struct an_summary *s)
{
	if (rd_site_stats_written(r)) {
		s->allocs = rd_scalar(r, "SELECT sum(allocs) FROM site_stats", 0);
		s->frees = rd_scalar(r, "SELECT sum(frees) FROM site_stats", 0);
		s->alloc_bytes = rd_scalar(r, "SELECT sum(bytes) FROM site_stats", 0);
		s->live_blocks = rd_scalar(r, "SELECT sum(live_blocks) FROM site_stats", 0);
		s->live_bytes = rd_scalar(r, "SELECT sum(live_bytes) FROM site_stats", 0);
	} else {
		s->allocs = rd_scalar(r, "SELECT count(*) FROM allocations", 0);
		s->frees = rd_scalar(r, "SELECT count(free_ts) FROM allocations", 0);
		s->alloc_bytes = rd_scalar(r, "SELECT sum(size) FROM allocations", 0);
		s->live_blocks = rd_scalar(r, "SELECT live_blocks FROM timeline ORDER BY ts DESC", 0);
		s->live_bytes = rd_scalar(r, "SELECT live_bytes FROM timeline ORDER BY ts DESC", 0);
	}
	s->double_frees = rd_scalar(r, "SELECT count(*) FROM errors WHERE kind = 'double_free'", 0);
	s->invalid_frees = rd_scalar(r, "SELECT count(*) FROM errors WHERE kind = 'invalid_free'", 0);
	return 0;
}

int an_summary(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	int err, rc;

	*s = (struct an_summary){ .exit_status = -1 };
	/* While recording, the duration so far is the newest timeline sample. */
	err = rd_prepare(r, "SELECT pid, mode, command, exe, allocator, end_reason, start_time_ns,"
			    " coalesce(duration_ns, (SELECT max(ts) FROM timeline), 0), exit_status, dropped_events, untracked_frees,"
			    " stack_collisions, stack_map_full, peak_live_bytes, peak_ts"
			    " FROM recording WHERE id = 1", &st);
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
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (!err)
		err = summary_counts(r, s);
	if (!err)
		err = an_stack_quality(r, &s->stacks);
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
	*s = (struct an_summary){ .exit_status = -1 };
}

/* --- Errors -------------------------------------------------------------------------------- */

static int load_error(struct store_reader *r, sqlite3_stmt *st, struct an_error *e)
{
	int err = 0;

	*e = (struct an_error){ .kind = rd_text(st, 0, &err), .func = rd_text(st, 1, &err),
				.addr = (uint64_t)sqlite3_column_int64(st, 2),
				.ts = sqlite3_column_int64(st, 3), .tid = sqlite3_column_int(st, 4),
				.alloc_id = sqlite3_column_int64(st, 6) };
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 5), &e->stack);
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 7), &e->alloc_stack);
	if (!err)
		err = an_load_stack(r, sqlite3_column_int64(st, 8), &e->prev_free_stack);
	return err;
}

int an_errors(struct store_reader *r, struct an_errors *out)
{
	sqlite3_stmt *st;
	int err, rc;
	size_t cap = 0;

	*out = (struct an_errors){ 0 };
	err = rd_prepare(r, "SELECT e.kind, f.name, e.addr, e.ts, e.tid, e.site, e.alloc_id,"
			    " a.site, e.prev_free_site FROM errors e LEFT JOIN funcs f ON f.id = e.func"
			    " LEFT JOIN allocations a ON a.id = e.alloc_id ORDER BY e.ts", &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			struct an_error *v = realloc(out->v, (cap = cap ? cap * 2 : 8) * sizeof(*v));

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

	err = rd_prepare(r, "SELECT ts, live_bytes, live_blocks, allocs, frees, alloc_bytes,"
			    " free_bytes FROM timeline ORDER BY ts", &st);
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
		p->ts = -p->ts; /* mark as filled (sign restored below) */
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

static void add_delta(struct an_timeline *t, int64_t from, int64_t ts, int64_t bytes, int alloc)
{
	int64_t i = ts <= from ? 0 : (ts - from - 1) / t->resolution_ns;

	if (i >= (int64_t)t->n)
		return;
	if (alloc) {
		t->v[i].allocs++;
		t->v[i].alloc_bytes += bytes;
	} else {
		t->v[i].frees++;
		t->v[i].free_bytes += bytes;
	}
}

/* One site: from its allocations (a scan; there is no per-site sample table). */
static int timeline_site(struct store_reader *r, int64_t site, int64_t from,
			 struct an_timeline *t)
{
	sqlite3_stmt *st;
	int64_t base_bytes = 0, base_blocks = 0;
	int err, rc;

	err = rd_prepare(r, "SELECT size, alloc_ts, free_ts FROM allocations WHERE site = ?", &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, site);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t size = sqlite3_column_int64(st, 0), a = sqlite3_column_int64(st, 1);
		int freed = sqlite3_column_type(st, 2) != SQLITE_NULL;
		int64_t f = sqlite3_column_int64(st, 2);

		if (a <= from && (!freed || f > from)) {
			base_bytes += size;
			base_blocks++;
		}
		if (a > from)
			add_delta(t, from, a, size, 1);
		if (freed && f > from)
			add_delta(t, from, f, size, 0);
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
	int64_t end = rd_scalar(r, "SELECT coalesce(duration_ns, (SELECT max(ts) FROM timeline))"
				   " FROM recording", 0);
	int err;

	*out = (struct an_timeline){ 0 };
	if (from_ns < 0 || to_ns < 0 || resolution_ns < 0)
		return -EINVAL;
	if (!to_ns || to_ns > end)
		to_ns = end;
	if (to_ns <= from_ns)
		to_ns = from_ns + 1;
	/* The recording's own samples are 100 ms apart: finer intervals would be mostly empty. */
	err = timeline_alloc(out, from_ns, to_ns, resolution_ns,
			     site ? 1 : STORE_TIMELINE_INTERVAL_NS);
	if (!err)
		err = site ? timeline_site(r, site, from_ns, out) : timeline_all(r, from_ns, out);
	if (err)
		an_timeline_free(out);
	return err;
}

void an_timeline_free(struct an_timeline *t)
{
	free(t->v);
	*t = (struct an_timeline){ 0 };
}
