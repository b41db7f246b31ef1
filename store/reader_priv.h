/* What the analysis files of store/ share about an open reader; not part of the public face. */
#ifndef HEAPSCOPE_STORE_READER_PRIV_H
#define HEAPSCOPE_STORE_READER_PRIV_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct store_reader {
	sqlite3 *db;
	int pid;	      /* store_reader_set_pid: only this process (0: all) */
	int64_t sample_bytes; /* recording.sample_bytes, read at open (fixed for a recording) */
	/* Allocation wrappers (store/allocfn.c): glob patterns in effect (the recording's, then
	 * store_reader_set_alloc_fns'), the recording's count of them, the exact names
	 * "auto" detected, and how many stacks temp.site_alias re-keys. */
	char **alloc_fns, **auto_fns;
	size_t nalloc_fns, nrecorded_fns, nauto_fns;
	int64_t aliased;
	/* store_reader_set_window: only allocations made in [win_from, win_to) (windowed 0: all). */
	int windowed;
	int64_t win_from, win_to;
	char errmsg[512];
};

/* SQL conditions restricting a query to the filtered process (true without a filter). A
 * statement that uses one gets :pid bound by rd_prepare. By stack: the stacks of the
 * process's program images, for the per-site aggregates. By row: a pid column. */
#define RD_PID_STACK(col)                                                                          \
	"(:pid = 0 OR " col " IN (SELECT k.id FROM stacks k JOIN processes p ON p.id = k.proc"     \
	" WHERE p.pid = :pid))"
#define RD_PID_ROW(col) "(:pid = 0 OR " col " = :pid)"

/* Allocation wrappers: a stack whose innermost frames are wrappers is re-keyed (temp.site_alias:
 * site, canon, trim) to canon, the smallest id of the stacks that are the same once their first
 * trim frames are dropped. RD_CANON is a site's key; RD_SITE_IN(col, param) holds for every
 * stack of param's key (param 0: every stack). col must name its table (site_stats.site): a
 * bare "site" would be site_alias's own inside the subquery. :aliased is bound by rd_prepare (0:
 * no wrapper in effect, where the plain comparison decides). */
#define RD_CANON(col) "coalesce((SELECT canon FROM temp.site_alias WHERE site = " col "), " col ")"
#define RD_SITE_IN(col, param)                                                                     \
	"(" param " = 0 OR " col " = " param " OR (:aliased AND " RD_CANON(col) " = " RD_CANON(    \
		param) "))"

/* A time window (store_reader_set_window): holds for a timestamp col (ns since the start) inside
 * it, always without one. :windowed, :wfrom and :wto are bound by rd_prepare. */
#define RD_WIN(col) "(:windowed = 0 OR (" col " >= :wfrom AND " col " < :wto))"

/* The recording's extent so far (ns since its start), an expression over table recording: its
 * duration once it has ended. Before, the newest instant it has published. The timeline alone
 * lags: an interval's row is written when an event of a later one arrives (an idle target leaves
 * its last one unwritten), while the leak sites are published up to the newest event, a scan's at
 * its instant, and the last commit (heartbeat_ns, wall clock) comes after them all. The leak
 * sites' newest block bounds it below should the wall clock have been set back. */
#define RD_END_NS                                                                                  \
	"coalesce(duration_ns, max((SELECT coalesce(max(ts), 0) FROM timeline),"                   \
	" coalesce(heartbeat_ns - start_time_ns, 0),"                                              \
	" (SELECT coalesce(max(oldest_ts), 0) FROM leak_sites)))"

/* RD_END_NS into *out. 0 or -EIO (the reason in r->errmsg). */
int rd_end_ns(struct store_reader *r, int64_t *out);

/* Binds :windowed, :wfrom and :wto where st has them (store/window.c). */
void rd_bind_window(const struct store_reader *r, sqlite3_stmt *st);

/* Prepares sql, binding :pid when it has one; -EIO with the reason kept in r->errmsg. */
int rd_prepare(struct store_reader *r, const char *sql, sqlite3_stmt **st);

/* The statement's last step result as 0 or -EIO (SQLITE_DONE/ROW are success). */
int rd_done(struct store_reader *r, sqlite3_stmt *st, int rc);

/* A copy of column col's text, NULL for NULL; *err = -ENOMEM when out of memory. */
char *rd_text(sqlite3_stmt *st, int col, int *err);

/* One integer from a query without parameters into *out; dflt when it yields no row or NULL.
 * 0, or -EIO (the query failed; *out is dflt, the reason in r->errmsg). */
int rd_scalar(struct store_reader *r, const char *sql, int64_t dflt, int64_t *out);

/* The summary's processes (with their counts), notices and event accounting; freed by
 * rd_summary_processes_free. 0 or -errno. */
struct an_summary;
int rd_summary_processes(struct store_reader *r, struct an_summary *s);
void rd_summary_processes_free(struct an_summary *s);

/* Makes room for one more element of size elem in *v (n used, *cap allocated). 0 or -ENOMEM. */
int rd_grow(void *v, size_t *cap, size_t n, size_t elem);

/* Whether the recorder has written site_stats yet (1 or 0; -EIO: the query failed): before its
 * first publish, a live recording's counts come from the allocation rows. */
int rd_site_stats_written(struct store_reader *r);

/* Allocation wrappers (store/allocfn.c). rd_alloc_fns_open: at open, creates temp.site_alias and
 * the SQL function hs_alloc_fn(name) and applies the recording's own patterns
 * (recording.options "alloc_fn"). rd_alloc_fns_rebuild: fills temp.site_alias again for the
 * patterns and the process filter in effect. rd_alloc_fns_free: at close. 0 or -errno. */
int rd_alloc_fns_open(struct store_reader *r);
int rd_alloc_fns_rebuild(struct store_reader *r);
void rd_alloc_fns_free(struct store_reader *r);
/* Whether a function name is an allocation wrapper in effect (a pattern, or found by "auto"). */
int rd_alloc_fn_matches(const struct store_reader *r, const char *name);

#endif
