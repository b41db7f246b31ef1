/* Time windows: every analysis restricted to the allocations made between two instants of the
 * recording (store_reader_set_window), and the recording's start for wall-clock times. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store/analysis.h"
#include "store/reader_priv.h"
#include "store/time.h"

void rd_bind_window(const struct store_reader *r, sqlite3_stmt *st)
{
	int i = sqlite3_bind_parameter_index(st, ":windowed");

	if (i)
		sqlite3_bind_int(st, i, r->windowed);
	if ((i = sqlite3_bind_parameter_index(st, ":wfrom")))
		sqlite3_bind_int64(st, i, r->win_from);
	if ((i = sqlite3_bind_parameter_index(st, ":wto")))
		sqlite3_bind_int64(st, i, r->win_to);
}

int store_reader_times(struct store_reader *r, int64_t *start_time_ns, int64_t *duration_ns)
{
	int err = rd_scalar(r, "SELECT start_time_ns FROM recording WHERE id = 1", 0,
			    start_time_ns);

	if (!err)
		err = rd_end_ns(r, duration_ns);
	return err;
}

/* Blocks still live at the end get their allocations rows when the recording ends (the tracker
 * keeps them in memory until then): without its end, a recording's window would miss them. */
static int finished(struct store_reader *r, int64_t *done)
{
	return rd_scalar(r,
			 "SELECT duration_ns IS NOT NULL AND coalesce(end_reason, '') <> 'error'"
			 " FROM recording WHERE id = 1",
			 0, done);
}

int store_reader_set_window(struct store_reader *r, int64_t from_ns, int64_t to_ns)
{
	int64_t start, end, done;
	int err;

	r->windowed = 0;
	r->win_from = 0;
	r->win_to = 0;
	if (from_ns < 0 || to_ns < 0 || (to_ns && to_ns <= from_ns)) {
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "a time window needs 0 <= from < to (ns since the start)");
		return -EINVAL;
	}
	if (!from_ns && !to_ns)
		return 0;
	err = store_reader_times(r, &start, &end);
	if (!err)
		err = finished(r, &done);
	if (err)
		return err;
	if (!done) {
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "a time window needs a finished recording: the blocks still live get their"
			 " rows at its end (this one is still recording, was cut short or failed)");
		return -EAGAIN;
	}
	if (from_ns >= end) {
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "the window starts at %.3f s, at or after the recording's end (%.3f s)",
			 (double)from_ns / NS_PER_S, (double)end / NS_PER_S);
		return -ERANGE;
	}
	r->windowed = 1;
	r->win_from = from_ns;
	r->win_to = to_ns ? to_ns : INT64_MAX;
	return 0;
}

int store_reader_window(const struct store_reader *r, int64_t *from_ns, int64_t *to_ns)
{
	*from_ns = r->windowed ? r->win_from : 0;
	*to_ns = r->windowed ? r->win_to : 0;
	return r->windowed;
}
