/* Reachability scans (table scans, written by agent/record_scan.c): the last one, for the summary,
 * and the names of the verdicts every view shows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"

const char *an_reach_name(int reach)
{
	static const char *const names[AN_REACH_KINDS] = { "not scanned", "definitely lost",
							   "indirectly lost", "possibly lost",
							   "still reachable" };

	return reach > 0 && reach < AN_REACH_KINDS ? names[reach] : names[0];
}

int an_last_scan(struct store_reader *r, struct an_scan *out)
{
	sqlite3_stmt *st;
	int err, rc;

	*out = (struct an_scan){ 0 };
	err = rd_prepare(r,
			 "SELECT (SELECT count(*) FROM scans WHERE " RD_PID_ROW("pid") "), ts, pid,"
			 " trigger, threads, stop_ns, scan_ns, roots_bytes, blocks_bytes, unreadable,"
			 " definite_blocks, definite_bytes, indirect_blocks, indirect_bytes,"
			 " possible_blocks, possible_bytes, reachable_blocks, reachable_bytes"
			 " FROM scans WHERE " RD_PID_ROW("pid") " ORDER BY ts DESC, id DESC LIMIT 1",
			 &st);
	if (err == -EIO && strstr(r->errmsg, "no such table"))
		return 0; /* an older file: never scanned */
	if (err)
		return err;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->scans = sqlite3_column_int64(st, 0);
		out->ts_ns = sqlite3_column_int64(st, 1);
		out->pid = sqlite3_column_int(st, 2);
		out->trigger = rd_text(st, 3, &err);
		out->threads = sqlite3_column_int(st, 4);
		out->stop_ns = sqlite3_column_int64(st, 5);
		out->scan_ns = sqlite3_column_int64(st, 6);
		out->roots_bytes = sqlite3_column_int64(st, 7);
		out->blocks_bytes = sqlite3_column_int64(st, 8);
		out->unreadable = sqlite3_column_int64(st, 9);
		for (int k = 1; k < AN_REACH_KINDS; k++) {
			out->blocks[k] = sqlite3_column_int64(st, 8 + 2 * k);
			out->bytes[k] = sqlite3_column_int64(st, 9 + 2 * k);
		}
	}
	if (!err)
		err = rd_done(r, st, rc);
	sqlite3_finalize(st);
	if (err)
		an_scan_free(out);
	return err;
}

void an_scan_free(struct an_scan *s)
{
	free(s->trigger);
	*s = (struct an_scan){ 0 };
}
