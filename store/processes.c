/* The summary's view of who was traced and how completely: the program images (processes) with
 * their counts, the notices of what could not be traced, and the accounting of every event. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"

int rd_grow(void *v, size_t *cap, size_t n, size_t elem)
{
	void **p = v, *grown;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 8;
	grown = realloc(*p, want * elem);
	if (!grown)
		return -ENOMEM;
	*p = grown;
	*cap = want;
	return 0;
}

/* An error belongs to the image whose stack freed it, else to the image of its pid that ran
 * at its instant (an exec ends one image where the next begins). */
static const char *const PROCESSES_SQL =
	"SELECT p.id, p.pid, coalesce(p.ppid, 0), p.exe, p.command, p.allocator, p.start_ts,"
	" coalesce(p.end_ts, -1), p.end_reason, coalesce(p.exit_status, -1),"
	" (SELECT count(*) FROM errors e LEFT JOIN stacks k ON k.id = e.site WHERE"
	"  CASE WHEN k.proc IS NOT NULL THEN k.proc = p.id ELSE e.pid = p.pid"
	"  AND e.ts >= p.start_ts AND (p.end_ts IS NULL OR e.ts < p.end_ts) END)"
	" FROM processes p WHERE " RD_PID_ROW("p.pid") " ORDER BY p.start_ts, p.id";

/* Counts per image from the per-site aggregates of its stacks; before the recorder first
 * publishes them, from the allocation rows written so far. */
static const char *const COUNTS_SQL =
	"SELECT k.proc, sum(s.allocs), sum(s.frees), sum(s.live_blocks), sum(s.live_bytes)"
	" FROM site_stats s JOIN stacks k ON k.id = s.site WHERE k.proc IS NOT NULL"
	" GROUP BY k.proc";
static const char *const COUNTS_LIVE_SQL =
	"SELECT proc, sum(weight), coalesce(sum(CASE WHEN free_ts IS NOT NULL THEN weight END), 0),"
	" coalesce(sum(CASE WHEN free_ts IS NULL THEN weight END), 0),"
	" coalesce(sum(CASE WHEN free_ts IS NULL THEN size * weight END), 0) FROM allocations"
	" WHERE proc IS NOT NULL GROUP BY proc";

static int load_process(sqlite3_stmt *st, struct an_process *p)
{
	int err = 0;

	*p = (struct an_process){ .id = sqlite3_column_int64(st, 0),
				  .pid = sqlite3_column_int(st, 1),
				  .ppid = sqlite3_column_int(st, 2),
				  .exe = rd_text(st, 3, &err),
				  .command = rd_text(st, 4, &err),
				  .allocator = rd_text(st, 5, &err),
				  .start_ts = sqlite3_column_int64(st, 6),
				  .end_ts = sqlite3_column_int64(st, 7),
				  .end_reason = rd_text(st, 8, &err),
				  .exit_status = sqlite3_column_int(st, 9),
				  .errors = sqlite3_column_int64(st, 10) };
	return err;
}

static int read_processes(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err = rd_prepare(r, PROCESSES_SQL, &st), rc = SQLITE_DONE;

	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = rd_grow(&s->procs, &cap, s->nprocs, sizeof(*s->procs));
		if (!err)
			err = load_process(st, &s->procs[s->nprocs++]);
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

static struct an_process *find_process(struct an_summary *s, int64_t id)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].id == id)
			return &s->procs[i];
	return NULL;
}

static int read_counts(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	int err, rc, written = rd_site_stats_written(r);

	if (written < 0)
		return written;
	err = rd_prepare(r, written ? COUNTS_SQL : COUNTS_LIVE_SQL, &st);
	if (err)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct an_process *p = find_process(s, sqlite3_column_int64(st, 0));

		if (!p) /* another pid's, under a filter */
			continue;
		p->allocs = sqlite3_column_int64(st, 1);
		p->frees = sqlite3_column_int64(st, 2);
		p->live_blocks = sqlite3_column_int64(st, 3);
		p->live_bytes = sqlite3_column_int64(st, 4);
	}
	err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

/* Recording-wide notices (no process) stay under a filter. */
static const char *const NOTICES_SQL =
	"SELECT coalesce(p.pid, 0), n.kind, n.message FROM notices n"
	" LEFT JOIN processes p ON p.id = n.proc"
	" WHERE :pid = 0 OR n.proc IS NULL OR p.pid = :pid ORDER BY n.id";

static int read_notices(struct store_reader *r, struct an_summary *s)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err = rd_prepare(r, NOTICES_SQL, &st), rc = SQLITE_DONE;

	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct an_notice *n;

		err = rd_grow(&s->notices, &cap, s->nnotices, sizeof(*s->notices));
		if (err)
			break;
		n = &s->notices[s->nnotices++];
		*n = (struct an_notice){ .pid = sqlite3_column_int(st, 0) };
		n->kind = rd_text(st, 1, &err);
		n->message = rd_text(st, 2, &err);
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	return err;
}

/* In the order events flow: allocations and frees, the stacks they carry, modules. */
static const char *const EVENTS_SQL =
	"SELECT kind, emitted, dropped, received, stored, after_cut FROM event_counts"
	" ORDER BY CASE kind WHEN 'alloc' THEN 1 WHEN 'free' THEN 2 WHEN 'stack' THEN 3"
	" WHEN 'stack_raw' THEN 4 WHEN 'module' THEN 5 ELSE 6 END, kind";

static void add_count(struct an_events *e, const struct an_event_count *c)
{
	e->emitted += c->emitted;
	e->dropped += c->dropped;
	e->received += c->received;
	e->stored += c->stored;
	e->after_cut += c->after_cut;
	if (c->emitted != c->received || c->received != c->stored + c->after_cut)
		e->accounted = 0;
}

static int read_events(struct store_reader *r, struct an_events *e)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err = rd_prepare(r, EVENTS_SQL, &st), rc = SQLITE_DONE;

	e->accounted = 1;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct an_event_count *c;

		err = rd_grow(&e->v, &cap, e->n, sizeof(*e->v));
		if (err)
			break;
		c = &e->v[e->n++];
		*c = (struct an_event_count){ .kind = rd_text(st, 0, &err),
					      .emitted = sqlite3_column_int64(st, 1),
					      .dropped = sqlite3_column_int64(st, 2),
					      .received = sqlite3_column_int64(st, 3),
					      .stored = sqlite3_column_int64(st, 4),
					      .after_cut = sqlite3_column_int64(st, 5) };
		add_count(e, c);
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (!e->n) /* nothing written yet: nothing to vouch for */
		e->accounted = 0;
	return err;
}

int rd_summary_processes(struct store_reader *r, struct an_summary *s)
{
	int err = read_processes(r, s);

	if (!err && s->nprocs)
		err = read_counts(r, s);
	if (!err)
		err = read_notices(r, s);
	if (!err)
		err = read_events(r, &s->events);
	return err;
}

void rd_summary_processes_free(struct an_summary *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		free(s->procs[i].exe);
		free(s->procs[i].command);
		free(s->procs[i].allocator);
		free(s->procs[i].end_reason);
	}
	free(s->procs);
	for (size_t i = 0; i < s->nnotices; i++) {
		free(s->notices[i].kind);
		free(s->notices[i].message);
	}
	free(s->notices);
	for (size_t i = 0; i < s->events.n; i++)
		free(s->events.v[i].kind);
	free(s->events.v);
	s->procs = NULL;
	s->notices = NULL;
	s->nprocs = s->nnotices = 0;
	s->events = (struct an_events){ 0 };
}
