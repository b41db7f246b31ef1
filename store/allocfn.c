/* Allocation wrappers (xmalloc, g_malloc, sqlite3Malloc...): the patterns in effect, the
 * re-keying of the stacks they start (temp.site_alias, which the analyses join), the functions
 * treated so, and the detection of likely wrappers from the recorded stacks. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"

static int is_auto(const char *p)
{
	return !strcmp(p, AN_ALLOC_FN_AUTO);
}

static int matches(const struct store_reader *r, const char *name)
{
	for (size_t i = 0; i < r->nalloc_fns; i++)
		if (!is_auto(r->alloc_fns[i]) && !fnmatch(r->alloc_fns[i], name, 0))
			return 1;
	for (size_t i = 0; i < r->nauto_fns; i++)
		if (!strcmp(r->auto_fns[i], name))
			return 1;
	return 0;
}

int rd_alloc_fn_matches(const struct store_reader *r, const char *name)
{
	return name && matches(r, name);
}

/* hs_alloc_fn(name): 1 when a named function is a wrapper in effect. */
static void sql_alloc_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *name = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, name && matches(sqlite3_user_data(ctx), name));
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Appends a copy of s to *v (n used) unless it is there already. */
static int add_name(char ***v, size_t *n, const char *s)
{
	char **nv, *copy;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	copy = strdup(s);
	nv = copy ? realloc(*v, (*n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return 0;
}

/* --- Re-keying: temp.site_alias ------------------------------------------------------------- */

/* A trimmed stack: its process and the frames left (ids in a shared pool) make its key. */
struct trimmed {
	int64_t site, proc;
	int trim;
	size_t off, len;
};

struct trimming {
	struct trimmed *v;
	size_t n, cap;
	int64_t *pool; /* frame ids */
	size_t npool, cappool;
};

static int cmp_trimmed(const void *a, const void *b, void *arg)
{
	const struct trimmed *x = a, *y = b;
	const int64_t *pool = arg;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	for (size_t i = 0; i < x->len; i++)
		if (pool[x->off + i] != pool[y->off + i])
			return pool[x->off + i] < pool[y->off + i] ? -1 : 1;
	return x->site < y->site ? -1 : x->site > y->site;
}

/* The stack just read (its frames at the pool's end from t->v[t->n].off): kept when it starts
 * with wrappers, and never trimmed to nothing (its last frame stays). */
static void close_stack(struct trimming *t, struct trimmed *cur)
{
	cur->len = t->npool - cur->off;
	if (cur->trim >= (int)cur->len)
		cur->trim = cur->len ? (int)cur->len - 1 : 0;
	if (!cur->trim) {
		t->npool = cur->off;
		return;
	}
	memmove(&t->pool[cur->off], &t->pool[cur->off + cur->trim],
		(cur->len - (size_t)cur->trim) * sizeof(*t->pool));
	cur->len -= (size_t)cur->trim;
	t->npool = cur->off + cur->len;
	t->v[t->n++] = *cur;
}

/* Stacks holding a wrapper frame somewhere, frames innermost first. */
static const char *const CANDIDATES_SQL =
	"SELECT sf.stack_id, sf.frame_id, f.function, hs_alloc_fn(f.function), coalesce(k.proc, 0)"
	" FROM stack_frames sf JOIN frames f ON f.id = sf.frame_id"
	" LEFT JOIN stacks k ON k.id = sf.stack_id"
	" WHERE sf.stack_id IN (SELECT stack_id FROM stack_frames WHERE frame_id IN"
	" (SELECT id FROM frames WHERE hs_alloc_fn(function)))"
	" ORDER BY sf.stack_id, sf.pos";

static int read_trimmed(struct store_reader *r, struct trimming *t)
{
	struct trimmed cur = { .site = -1 };
	int running = 0, err, rc = SQLITE_DONE;
	sqlite3_stmt *st;

	err = rd_prepare(r, CANDIDATES_SQL, &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t site = sqlite3_column_int64(st, 0);

		if (site != cur.site) {
			if (cur.site >= 0)
				close_stack(t, &cur);
			if (rd_grow(&t->v, &t->cap, t->n, sizeof(*t->v))) {
				err = -ENOMEM;
				break;
			}
			cur = (struct trimmed){ .site = site,
						.proc = sqlite3_column_int64(st, 4),
						.off = t->npool };
			running = 1;
		}
		if (rd_grow(&t->pool, &t->cappool, t->npool, sizeof(*t->pool))) {
			err = -ENOMEM;
			break;
		}
		t->pool[t->npool++] = sqlite3_column_int64(st, 1);
		/* The leading run: wrappers, and unnamed frames between them (taken only up to
		 * the last wrapper). The first other named frame ends it. */
		if (running && sqlite3_column_type(st, 2) != SQLITE_NULL) {
			if (sqlite3_column_int(st, 3))
				cur.trim = (int)(t->npool - cur.off);
			else
				running = 0;
		}
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (!err && cur.site >= 0)
		close_stack(t, &cur);
	return err;
}

/* Each trimmed stack's key is the smallest site among those equal to it once trimmed. */
static int write_aliases(struct store_reader *r, struct trimming *t)
{
	sqlite3_stmt *st;
	int64_t canon = 0;
	int err;

	if (!t->n)
		return 0;
	qsort_r(t->v, t->n, sizeof(*t->v), cmp_trimmed, t->pool);
	err = rd_prepare(r, "INSERT INTO temp.site_alias(site, canon, trim) VALUES (?1, ?2, ?3)",
			 &st);
	for (size_t i = 0; !err && i < t->n; i++) {
		struct trimmed x = t->v[i];

		if (!i || x.proc != t->v[i - 1].proc || x.len != t->v[i - 1].len ||
		    memcmp(&t->pool[x.off], &t->pool[t->v[i - 1].off], x.len * sizeof(*t->pool)))
			canon = x.site; /* sorted by site within a key: the smallest */
		sqlite3_bind_int64(st, 1, x.site);
		sqlite3_bind_int64(st, 2, canon);
		sqlite3_bind_int(st, 3, x.trim);
		err = rd_done(r, st, sqlite3_step(st));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (!err)
		r->aliased = (int64_t)t->n;
	return err;
}

/* The functions "auto" stands for, found on the recorded stacks. */
static int detect(struct store_reader *r)
{
	struct an_wrappers w;
	int err = an_detect_alloc_fns(r, &w);

	for (size_t i = 0; !err && i < w.n; i++)
		err = add_name(&r->auto_fns, &r->nauto_fns, w.v[i].function);
	an_wrappers_free(&w);
	return err;
}

int rd_alloc_fns_rebuild(struct store_reader *r)
{
	struct trimming t = { 0 };
	int err, want_auto = 0;

	free_list(r->auto_fns, r->nauto_fns);
	r->auto_fns = NULL;
	r->nauto_fns = 0;
	r->aliased = 0;
	err = sqlite3_exec(r->db, "DELETE FROM temp.site_alias", NULL, NULL, NULL) ? -EIO : 0;
	for (size_t i = 0; i < r->nalloc_fns; i++)
		want_auto |= is_auto(r->alloc_fns[i]);
	if (!err && want_auto)
		err = detect(r);
	if (!err && r->nalloc_fns)
		err = read_trimmed(r, &t);
	if (!err && sqlite3_exec(r->db, "SAVEPOINT alias", NULL, NULL, NULL))
		err = -EIO;
	else if (!err) {
		err = write_aliases(r, &t);
		sqlite3_exec(r->db, err ? "ROLLBACK TO alias; RELEASE alias" : "RELEASE alias", NULL,
			     NULL, NULL);
	}
	if (err == -EIO && !r->errmsg[0])
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
	free(t.v);
	free(t.pool);
	return err;
}

/* The recording's own patterns (record --alloc-fn): recording.options {"alloc_fn": [...]}.
 * Options that are not JSON hold none. */
static int read_recorded(struct store_reader *r)
{
	sqlite3_stmt *st;
	int err = 0, rc;

	if (sqlite3_prepare_v2(r->db,
			       "SELECT j.value FROM recording, json_each(CASE WHEN"
			       " json_valid(recording.options) THEN recording.options END,"
			       " '$.alloc_fn') j WHERE recording.id = 1 AND j.type = 'text'",
			       -1, &st, NULL) != SQLITE_OK)
		return 0; /* an SQLite without JSON: none */
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);

		if (p && *p && strlen(p) < AN_ALLOC_FN_PATTERN_MAX &&
		    r->nalloc_fns < AN_ALLOC_FN_MAX)
			err = add_name(&r->alloc_fns, &r->nalloc_fns, p);
	}
	sqlite3_finalize(st);
	r->nrecorded_fns = r->nalloc_fns;
	return err;
}

int rd_alloc_fns_open(struct store_reader *r)
{
	int err;

	if (sqlite3_exec(r->db,
			 "PRAGMA temp_store = MEMORY;"
			 "CREATE TEMP TABLE site_alias(site INTEGER PRIMARY KEY,"
			 " canon INTEGER NOT NULL, trim INTEGER NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(r->db, "hs_alloc_fn", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, r,
				    sql_alloc_fn, NULL, NULL) != SQLITE_OK) {
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", sqlite3_errmsg(r->db));
		return -EIO;
	}
	err = read_recorded(r);
	if (!err && r->nalloc_fns)
		err = rd_alloc_fns_rebuild(r);
	return err;
}

void rd_alloc_fns_free(struct store_reader *r)
{
	free_list(r->alloc_fns, r->nalloc_fns);
	free_list(r->auto_fns, r->nauto_fns);
	r->alloc_fns = r->auto_fns = NULL;
	r->nalloc_fns = r->nrecorded_fns = r->nauto_fns = 0;
}

int store_reader_set_alloc_fns(struct store_reader *r, const char *const *patterns, size_t n)
{
	size_t keep = r->nrecorded_fns;
	int err = 0;

	if (n > AN_ALLOC_FN_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!patterns[i][0] || strlen(patterns[i]) >= AN_ALLOC_FN_PATTERN_MAX)
			return -EINVAL;
		if (!strcmp(patterns[i], AN_ALLOC_FN_NONE))
			keep = 0;
	}
	for (size_t i = keep; i < r->nalloc_fns; i++)
		free(r->alloc_fns[i]);
	r->nalloc_fns = r->nrecorded_fns = keep;
	for (size_t i = 0; i < n && !err; i++)
		if (strcmp(patterns[i], AN_ALLOC_FN_NONE))
			err = add_name(&r->alloc_fns, &r->nalloc_fns, patterns[i]);
	return err ? err : rd_alloc_fns_rebuild(r);
}

/* --- What is in effect --------------------------------------------------------------------- */

static int copy_list(char ***out, size_t *nout, char *const *v, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = add_name(out, nout, v[i]);
	return err;
}

/* The wrapper frames dropped from each stack, once per stack and function. */
static const char *const TREATED_SQL =
	"SELECT w.fn, count(*), sum(coalesce(s.allocs, 0)) FROM (SELECT DISTINCT a.site AS site,"
	" f.function AS fn FROM temp.site_alias a JOIN stack_frames sf ON sf.stack_id = a.site"
	" AND sf.pos < a.trim JOIN frames f ON f.id = sf.frame_id WHERE hs_alloc_fn(f.function)"
	" AND " RD_PID_STACK("a.site") ") w LEFT JOIN site_stats s ON s.site = w.site"
	" GROUP BY w.fn ORDER BY 3 DESC, 1";

int an_alloc_fns(struct store_reader *r, struct an_alloc_fns *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err, rc = SQLITE_DONE;

	*out = (struct an_alloc_fns){ .nrecorded = r->nrecorded_fns };
	err = copy_list(&out->patterns, &out->npatterns, r->alloc_fns, r->nalloc_fns);
	if (!err)
		err = copy_list(&out->detected, &out->ndetected, r->auto_fns, r->nauto_fns);
	if (err || !r->aliased)
		goto out;
	err = rd_prepare(r, TREATED_SQL, &st);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rd_grow(&out->v, &cap, out->n, sizeof(*out->v))) {
			err = -ENOMEM;
			break;
		}
		out->v[out->n] = (struct an_alloc_fn){ .function = rd_text(st, 0, &err),
						       .sites = sqlite3_column_int64(st, 1),
						       .allocs = sqlite3_column_int64(st, 2) };
		out->n++;
	}
	if (!err && st)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
out:
	if (err)
		an_alloc_fns_free(out);
	return err;
}

void an_alloc_fns_free(struct an_alloc_fns *a)
{
	free_list(a->patterns, a->npatterns);
	free_list(a->detected, a->ndetected);
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].function);
	free(a->v);
	*a = (struct an_alloc_fns){ 0 };
}

/* --- Detection ----------------------------------------------------------------------------- */

/* lead: each allocation site's innermost named frame; head: its function, the call site that
 * called it (the next frame) and the site's allocations; cand: functions innermost for at least
 * :min_callers call sites (named: a ?N after :pid would share its number); held: the
 * allocations of every stack holding a candidate anywhere. */
static const char *const DETECT_SQL =
	"WITH lead AS (SELECT sf.stack_id AS site, min(sf.pos) AS pos FROM stack_frames sf"
	"  JOIN frames f ON f.id = sf.frame_id WHERE f.function IS NOT NULL GROUP BY sf.stack_id),"
	" head AS (SELECT f.function AS fn, s.allocs AS allocs, c.frame_id AS caller, l.site AS site"
	"  FROM lead l JOIN site_stats s ON s.site = l.site"
	"  JOIN stack_frames sf ON sf.stack_id = l.site AND sf.pos = l.pos"
	"  JOIN frames f ON f.id = sf.frame_id"
	"  LEFT JOIN stack_frames c ON c.stack_id = l.site AND c.pos = l.pos + 1"
	"  WHERE s.allocs > 0 AND " RD_PID_STACK("l.site") "),"
	" cand AS (SELECT fn, sum(allocs) AS allocs, count(DISTINCT caller) AS callers,"
	"  max(allocs), site FROM head GROUP BY fn HAVING count(DISTINCT caller) >= :min_callers),"
	" held AS (SELECT w.fn, sum(s.allocs) AS allocs FROM (SELECT DISTINCT sf.stack_id AS site,"
	"  f.function AS fn FROM stack_frames sf JOIN frames f ON f.id = sf.frame_id"
	"  WHERE f.function IN (SELECT fn FROM cand)) w JOIN site_stats s ON s.site = w.site"
	"  WHERE " RD_PID_STACK("w.site") " GROUP BY w.fn)"
	" SELECT c.fn, c.allocs, h.allocs, c.callers, c.site FROM cand c JOIN held h ON h.fn = c.fn"
	" WHERE c.allocs >= h.allocs * :min_share ORDER BY c.allocs DESC, c.fn";

int an_detect_alloc_fns(struct store_reader *r, struct an_wrappers *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err, rc;

	*out = (struct an_wrappers){ 0 };
	err = rd_prepare(r, DETECT_SQL, &st);
	if (err)
		return err;
	sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":min_callers"),
			 AN_WRAPPER_MIN_CALLERS);
	sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":min_share"),
			    AN_WRAPPER_MIN_SHARE);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rd_grow(&out->v, &cap, out->n, sizeof(*out->v))) {
			err = -ENOMEM;
			break;
		}
		out->v[out->n] = (struct an_wrapper){ .function = rd_text(st, 0, &err),
						      .allocs = sqlite3_column_int64(st, 1),
						      .all_allocs = sqlite3_column_int64(st, 2),
						      .callers = sqlite3_column_int64(st, 3),
						      .site = sqlite3_column_int64(st, 4) };
		out->n++;
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		an_wrappers_free(out);
	return err;
}

void an_wrappers_free(struct an_wrappers *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].function);
	free(w->v);
	*w = (struct an_wrappers){ 0 };
}
