/* The queries of `heapscope diff`: per-stack counts of a time window, read from the allocation
 * rows (site_stats holds the whole recording only), and frames' module offsets. */
#include <errno.h>
#include <stdlib.h>

#include "store/analysis.h"
#include "store/diffq.h"
#include "store/reader_priv.h"

/* ?1 = from, ?2 = to. Allocations made from ?1 on are the window's; a block allocated before ?2
 * and not freed before ?2 is live at the window's end, whenever it was allocated. Each row
 * stands for `weight` blocks (1 in exact mode). */
static const char *const WINDOW_SQL =
	"SELECT site, sum(CASE WHEN alloc_ts >= ?1 THEN weight ELSE 0 END),"
	" sum(CASE WHEN alloc_ts >= ?1 THEN size * weight ELSE 0 END),"
	" sum(CASE WHEN free_ts IS NULL OR free_ts >= ?2 THEN weight ELSE 0 END),"
	" sum(CASE WHEN free_ts IS NULL OR free_ts >= ?2 THEN size * weight ELSE 0 END)"
	" FROM allocations WHERE alloc_ts < ?2 GROUP BY site ORDER BY site";

static int add_row(struct diffq_sites *out, size_t *cap, sqlite3_stmt *st)
{
	struct diffq_site s = { .site = sqlite3_column_int64(st, 0),
				.allocs = sqlite3_column_int64(st, 1),
				.bytes = sqlite3_column_int64(st, 2),
				.live_blocks = sqlite3_column_int64(st, 3),
				.live_bytes = sqlite3_column_int64(st, 4) };

	if (!s.allocs && !s.live_blocks) /* all freed before the window: nothing in it */
		return 0;
	if (rd_grow(&out->v, cap, out->n, sizeof(*out->v)))
		return -ENOMEM;
	out->v[out->n++] = s;
	return 0;
}

int diffq_window_sites(struct store_reader *r, int64_t from_ns, int64_t to_ns,
		       struct diffq_sites *out)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int err, rc = SQLITE_DONE;

	*out = (struct diffq_sites){ 0 };
	if (to_ns < 0)
		to_ns = INT64_MAX;
	if (from_ns < 0 || to_ns <= from_ns)
		return -EINVAL;
	err = rd_prepare(r, WINDOW_SQL, &st);
	if (err)
		return err;
	sqlite3_bind_int64(st, 1, from_ns);
	sqlite3_bind_int64(st, 2, to_ns);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
		err = add_row(out, &cap, st);
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		diffq_sites_free(out);
	return err;
}

void diffq_sites_free(struct diffq_sites *s)
{
	free(s->v);
	*s = (struct diffq_sites){ 0 };
}
