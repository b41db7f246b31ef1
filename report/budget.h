/* Memory budgets for CI (`heapscope check`): maxima on a recording's totals and on its sites
 * (by innermost function), measured, shown as a table of budget / measured / limit / verdict
 * and written as JUnit XML. A budget is a maximum: measured == limit passes, one more fails. */
#ifndef HEAPSCOPE_BUDGET_H
#define HEAPSCOPE_BUDGET_H

#include <stdint.h>
#include <stdio.h>

#include "store/analysis.h"

enum budget_metric {
	BUDGET_LEAKED_BYTES,	 /* bytes still live at the end (summary.live_bytes) */
	BUDGET_DEFINITELY_LOST,	 /* bytes the last reachability scan found definitely lost */
	BUDGET_PEAK_BYTES,	 /* peak live bytes (summary.peak_bytes) */
	BUDGET_ALLOCS,		 /* allocation calls (summary.allocs) */
	BUDGET_SITE_LIVE_BYTES,	 /* site file: max_live_bytes= */
	BUDGET_SITE_LIVE_BLOCKS, /* max_live_blocks= */
	BUDGET_SITE_ALLOCS,	 /* max_allocs= */
	BUDGET_SITE_BYTES,	 /* max_bytes= (allocated in all) */
	BUDGET_NMETRICS,
};

#define BUDGET_MAX 256 /* budgets at once (a site file's lines each give one per limit) */

struct budget {
	enum budget_metric metric;
	char *pattern; /* site budgets: the fnmatch(3) glob on the innermost function */
	int line;      /* site budgets: the line of the file */
	int64_t limit;
	/* budget_evaluate: */
	int measured_ok; /* 0: could not be measured (why says why) */
	int64_t measured;
	int64_t matched; /* site budgets: functions that matched the glob */
	char why[192];
};

struct budgets {
	struct budget v[BUDGET_MAX];
	size_t n;
};

/* "4096", "4K", "4KiB", "2M", "1G" (binary units, case-insensitive; 0 allowed) into out.
 * 0 or -EINVAL (not a whole number of bytes, negative, or above INT64_MAX). */
int budget_parse_bytes(const char *s, int64_t *out);

/* Adds a budget (pattern copied; NULL for a recording-wide one). 0, -ENOSPC (BUDGET_MAX) or
 * -ENOMEM. */
int budget_add(struct budgets *b, enum budget_metric m, const char *pattern, int line,
	       int64_t limit);

/* Reads a site budget file: one budget line per site pattern, '#' starts a comment,
 *     FUNCTION-GLOB  max_live_bytes=N [max_live_blocks=N] [max_allocs=N] [max_bytes=N]
 * (the glob is everything before the first limit, so a C++ name may hold spaces; N takes
 * budget_parse_bytes' suffixes). Each limit is a budget over every site whose innermost function
 * matches the glob (summed). 0, or -errno with "FILE:LINE: what is wrong" in err. */
int budget_load_file(struct budgets *b, const char *path, char *err, size_t errlen);

/* Measures every budget on the recording r (with its allocation wrappers applied). A budget that
 * cannot be measured (a definitely-lost budget without a reachability scan) is left with
 * measured_ok 0 and a why. 0 or -errno (a query failed: store_reader_errmsg). */
int budget_evaluate(struct store_reader *r, struct budgets *b);

/* The verdict: 0 within (measured <= limit), 1 over, -1 not measured. */
int budget_verdict(const struct budget *x);

/* "leaked bytes", "site 'leak_*' live bytes": into buf, returned. */
const char *budget_name(const struct budget *x, char *buf, size_t len);

/* What the command did, for the table's head and a JUnit testcase of its own. */
struct budget_run {
	const char *command;  /* the command line */
	const char *status;   /* "exited 0", "killed by signal 9", "not found"... */
	int failed;	      /* the command failed: a failure too */
	double time_s;	      /* wall time of the run */
	int64_t wall_start_s; /* the run's start, Unix time (JUnit's timestamp) */
};

/* The table, over-budget (and unmeasured) ones first, then the others in the order given;
 * below each over-budget site budget the functions it matched, biggest first (sites from
 * an_sites by function). */
void budget_render_text(FILE *out, const struct budgets *b, const struct an_sites *by_function,
			const struct budget_run *run);

/* JUnit XML (Ant's junit-10.xsd: testsuites > testsuite > properties, testcase*, system-out,
 * system-err): one testcase per budget, a failure with the numbers for one over budget, an
 * error for one not measured, and a testcase for the command's own status; system-out holds
 * text (the readable table). 0 or -EIO. */
int budget_write_junit(FILE *out, const struct budgets *b, const struct budget_run *run,
		       const char *text);

/* Writes s as XML character data or attribute text: &<>"' escaped, characters XML 1.0 cannot
 * hold (controls other than tab, newline, CR; invalid UTF-8) as '?'. */
void budget_xml_escape(FILE *out, const char *s);

void budgets_free(struct budgets *b);

#endif
