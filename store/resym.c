/* Re-symbolizing a finished recording in place: frames without symbols listed per build-id,
 * updated in one transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/liveness.h"
#include "store/resym.h"
#include "store/schema.h"

struct store_resym {
	sqlite3 *db;
	sqlite3_stmt *ids, *frames, *set, *del, *ins;
	char *path, *build_id;
	struct resym_frame *v;
	size_t cap;
};

/* Files (by build-id) with frames lacking a function or a file: only a build-id finds them. */
static const char SQL_IDS[] =
	"SELECT m.build_id, min(m.path) FROM frames f JOIN modules m ON m.id = f.module_id"
	" WHERE (f.function IS NULL OR f.file IS NULL) AND m.build_id IS NOT NULL"
	" GROUP BY m.build_id ORDER BY m.build_id";
static const char SQL_FRAMES[] =
	"SELECT f.id, f.rel_addr FROM frames f JOIN modules m ON m.id = f.module_id"
	" WHERE (f.function IS NULL OR f.file IS NULL) AND m.build_id = ? AND f.rel_addr"
	" IS NOT NULL ORDER BY f.id";
static const char SQL_SET[] =
	"UPDATE frames SET function = coalesce(?2, function), file = ?3, line = ?4 WHERE id = ?1";
static const char SQL_DEL[] = "DELETE FROM inlined_frames WHERE frame_id = ?";
static const char SQL_INS[] =
	"INSERT INTO inlined_frames(frame_id, pos, function, file, line) VALUES (?,?,?,?,?)";

/* -EBUSY when the recording has no end and its recorder still runs (or cannot be seen and
 * committed within the last few seconds), else 0; -EIO. */
static int check_finished(sqlite3 *db)
{
	static const char sql[] = "SELECT end_reason IS NOT NULL, recorder_pid, recorder_start,"
				  " recorder_where FROM recording WHERE id = 1";
	sqlite3_stmt *st;
	int err = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *where = (const char *)sqlite3_column_text(st, 3);
		struct liveness_id id = { .pid = sqlite3_column_int(st, 1),
					  .start_ticks = sqlite3_column_int64(st, 2) };

		snprintf(id.where, sizeof(id.where), "%s", where ? where : "");
		/* Without an end, only a recorder known to be gone lets us write. */
		err = sqlite3_column_int(st, 0) || (id.pid > 0 && liveness_check(&id) == 0) ?
			      0 :
			      -EBUSY;
	}
	sqlite3_finalize(st);
	return err;
}

int store_resym_open(const char *path, struct store_resym **out, char *err, size_t errlen)
{
	struct store_resym *r;
	int rc, found = 0, e;

	*out = NULL;
	if (access(path, F_OK)) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(r->db, 5000);
	e = rc == SQLITE_OK ? schema_check(r->db, &found) : -ENOTSUP;
	if (e == -EPROTO)
		snprintf(err, errlen,
			 "%s is a recording of schema version %d; this heapscope reads"
			 " version %d",
			 path, found, STORE_SCHEMA_VERSION);
	else if (e)
		snprintf(err, errlen, "%s is not a heapscope recording", path);
	if (!e && (e = check_finished(r->db)) == -EBUSY)
		snprintf(err, errlen,
			 "%s is still being recorded: symbolize it once the recording"
			 " has ended",
			 path);
	if (!e && (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(r->db, SQL_IDS, -1, &r->ids, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(r->db, SQL_FRAMES, -1, &r->frames, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(r->db, SQL_SET, -1, &r->set, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(r->db, SQL_DEL, -1, &r->del, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(r->db, SQL_INS, -1, &r->ins, NULL) != SQLITE_OK)) {
		snprintf(err, errlen, "cannot update %s: %s", path, sqlite3_errmsg(r->db));
		e = -EIO;
	}
	if (e) {
		store_resym_close(r);
		return e;
	}
	*out = r;
	return 0;
}

static int dup_col(sqlite3_stmt *st, int col, char **out)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	free(*out);
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

int store_resym_next(struct store_resym *r, struct resym_module *m)
{
	size_t n = 0;
	int rc = sqlite3_step(r->ids);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -EIO;
	if (dup_col(r->ids, 0, &r->build_id) || dup_col(r->ids, 1, &r->path))
		return -ENOMEM;
	sqlite3_reset(r->frames);
	sqlite3_bind_text(r->frames, 1, r->build_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(r->frames)) == SQLITE_ROW) {
		if (n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 256;
			struct resym_frame *v = realloc(r->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			r->v = v;
			r->cap = cap;
		}
		r->v[n++] = (struct resym_frame){ sqlite3_column_int64(r->frames, 0),
						  (uint64_t)sqlite3_column_int64(r->frames, 1) };
	}
	if (rc != SQLITE_DONE)
		return -EIO;
	*m = (struct resym_module){ r->path, r->build_id, r->v, n };
	return 1;
}

static void bind_opt_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_resym_update(struct store_resym *r, int64_t frame_id, const char *function,
		       const char *file, int line, const struct resym_inline *inl, int ninl)
{
	int err;

	sqlite3_bind_int64(r->set, 1, frame_id);
	bind_opt_text(r->set, 2, function);
	bind_opt_text(r->set, 3, file);
	if (line > 0)
		sqlite3_bind_int(r->set, 4, line);
	else
		sqlite3_bind_null(r->set, 4);
	err = run(r->set);
	sqlite3_bind_int64(r->del, 1, frame_id);
	if (!err)
		err = run(r->del);
	for (int i = 0; i < ninl && !err; i++) {
		sqlite3_bind_int64(r->ins, 1, frame_id);
		sqlite3_bind_int(r->ins, 2, i);
		bind_opt_text(r->ins, 3, inl[i].function);
		bind_opt_text(r->ins, 4, inl[i].file);
		if (inl[i].line > 0)
			sqlite3_bind_int(r->ins, 5, inl[i].line);
		else
			sqlite3_bind_null(r->ins, 5);
		err = run(r->ins);
	}
	return err;
}

int store_resym_commit(struct store_resym *r)
{
	return sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

const char *store_resym_errmsg(const struct store_resym *r)
{
	return sqlite3_errmsg(r->db);
}

void store_resym_close(struct store_resym *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->ids);
	sqlite3_finalize(r->frames);
	sqlite3_finalize(r->set);
	sqlite3_finalize(r->del);
	sqlite3_finalize(r->ins);
	if (r->db && !sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(r->db);
	free(r->path);
	free(r->build_id);
	free(r->v);
	free(r);
}
