/* `heapscope check`: records a command exactly (as `heapscope record -- COMMAND`), then holds the
 * recording to memory budgets and exits non-zero when one is exceeded, with a table and the top
 * leaking sites on stdout and JUnit XML for CI systems. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/check.h"
#include "agent/record.h"
#include "report/budget.h"
#include "report/cliopt.h"
#include "report/outfile.h"
#include "report/report.h"

#define CHECK_TOP_DEFAULT 5

struct check_opts {
	const char *db, *junit, *site_file;
	const char *alloc_fns[AN_ALLOC_FN_MAX];
	int nalloc_fns, no_follow, definitely;
	int64_t top;
	char **argv; /* the command */
	struct budgets budgets;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope check [BUDGETS] [-d FILE] [--junit FILE] -- COMMAND [ARGS...]\n"
		"  Records COMMAND exactly (as heapscope record does) and holds it to budgets, each a\n"
		"  maximum: equal passes, one more fails. BYTES take K, M, G (KiB...) suffixes.\n"
		"      --max-leaked-bytes BYTES     bytes still live at the end\n"
		"      --max-definitely-lost BYTES  bytes a reachability scan at the exit finds\n"
		"                                   definitely lost (implies record --scan-at-end)\n"
		"      --max-peak-bytes BYTES       peak live bytes\n"
		"      --max-allocs N               allocation calls\n"
		"      --site-budget FILE           per-site budgets, lines of\n"
		"                                   FUNCTION-GLOB max_live_bytes=N max_live_blocks=N\n"
		"                                   max_allocs=N max_bytes=N (any of them)\n"
		"                                   on the sites' innermost functions\n"
		"  -d, --db FILE      keep the recording there (default: a temporary file, removed)\n"
		"      --junit FILE   also write JUnit XML: one testcase per budget and the command's\n"
		"      --alloc-fn PATTERN  a glob of allocation wrappers: their callers are the sites\n"
		"                     (repeat; 'auto': those detected)\n"
		"      --no-follow    trace the command's process only, not those it forks\n"
		"      --top N        leaking sites shown when a leak budget is exceeded (default 5)\n"
		"      --sample       refused: a sampled recording's numbers are estimates\n"
		"Exit status: 0 every budget met, 1 a budget exceeded, 2 usage, 3 the command failed\n"
		"(exited non-zero, killed, not found), 4 heapscope failed (recording, or a budget it\n"
		"could not measure); the highest applies.\n");
}

static int add_budget(struct check_opts *o, enum budget_metric m, const char *opt)
{
	int64_t v;

	if (budget_parse_bytes(optarg, &v)) {
		fprintf(stderr,
			"heapscope: %s takes a whole number >= 0 (K, M, G suffixes), not '%s'\n",
			opt, optarg);
		return -EINVAL;
	}
	o->definitely |= m == BUDGET_DEFINITELY_LOST;
	return budget_add(&o->budgets, m, NULL, 0, v);
}

static int parse_option(int c, struct check_opts *o)
{
	char *end;

	switch (c) {
	case 'd': o->db = optarg; return 0;
	case 'L': return add_budget(o, BUDGET_LEAKED_BYTES, "--max-leaked-bytes");
	case 'D': return add_budget(o, BUDGET_DEFINITELY_LOST, "--max-definitely-lost");
	case 'P': return add_budget(o, BUDGET_PEAK_BYTES, "--max-peak-bytes");
	case 'A': return add_budget(o, BUDGET_ALLOCS, "--max-allocs");
	case 'S': o->site_file = optarg; return 0;
	case 'j': o->junit = optarg; return 0;
	case 'n': o->no_follow = 1; return 0;
	case 'F': return cliopt_add_alloc_fn(o->alloc_fns, &o->nalloc_fns, optarg);
	case 't':
		errno = 0;
		o->top = strtoll(optarg, &end, 10);
		if (errno || end == optarg || *end || o->top < 1) {
			fprintf(stderr, "heapscope: --top must be an integer >= 1, not '%s'\n",
				optarg);
			return -EINVAL;
		}
		return 0;
	case 'm':
		fprintf(stderr,
			"heapscope: check gates on exact counts: --sample is refused (a "
			"sampled recording's numbers are estimates; record --sample and report "
			"them instead)\n");
		return -EINVAL;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); return -EINVAL;
	}
}

static int parse_opts(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "max-leaked-bytes", required_argument, NULL, 'L' },
		{ "max-definitely-lost", required_argument, NULL, 'D' },
		{ "max-peak-bytes", required_argument, NULL, 'P' },
		{ "max-allocs", required_argument, NULL, 'A' },
		{ "site-budget", required_argument, NULL, 'S' },
		{ "junit", required_argument, NULL, 'j' },
		{ "alloc-fn", required_argument, NULL, 'F' },
		{ "no-follow", no_argument, NULL, 'n' },
		{ "top", required_argument, NULL, 't' },
		{ "sample", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	char err[1024];
	int c;

	o->top = CHECK_TOP_DEFAULT;
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "+d:h", longopts)) != -1)
		if ((c != 'F' && report_option_once(c, longopts, &seen)) || parse_option(c, o))
			return -EINVAL;
	if (optind == argc) {
		fprintf(stderr, "heapscope: check needs a command: heapscope check [BUDGETS] -- "
				"COMMAND [ARGS...]\n");
		return -EINVAL;
	}
	o->argv = argv + optind;
	if (o->site_file && budget_load_file(&o->budgets, o->site_file, err, sizeof(err))) {
		fprintf(stderr, "heapscope: %s\n", err);
		return -EINVAL;
	}
	if (!o->budgets.n) {
		fprintf(stderr, "heapscope: check needs a budget (--max-leaked-bytes, "
				"--max-definitely-lost, --max-peak-bytes, --max-allocs or "
				"--site-budget with at least one line)\n");
		return -EINVAL;
	}
	return 0;
}

/* The command line as one string, for the table and JUnit. */
static char *command_line(char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	for (int i = 0; s && argv[i]; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* Records the command into db as `heapscope record [-d db] ... -- COMMAND` would; returns
 * record_main's status. */
static int run_record(const struct check_opts *o, const char *db)
{
	int n = 0, cmd = 0, rc;
	sigset_t saved;
	char **argv;

	while (o->argv[cmd])
		cmd++;
	argv = calloc((size_t)(8 + 2 * o->nalloc_fns + cmd + 1), sizeof(*argv));
	if (!argv)
		return 1;
	argv[n++] = "record";
	argv[n++] = "-d";
	argv[n++] = (char *)db;
	if (o->definitely)
		argv[n++] = "--scan-at-end";
	if (o->no_follow)
		argv[n++] = "--no-follow";
	for (int i = 0; i < o->nalloc_fns; i++) {
		argv[n++] = "--alloc-fn";
		argv[n++] = (char *)o->alloc_fns[i];
	}
	argv[n++] = "--";
	memcpy(argv + n, o->argv, (size_t)cmd * sizeof(*argv));
	sigprocmask(SIG_SETMASK, NULL, &saved);
	rc = record_main(n + cmd, argv);
	sigprocmask(SIG_SETMASK, &saved, NULL); /* record blocks the signals it reads */
	free(argv);
	return rc;
}

/* What became of the command, from the recording's end and record's status: run->status and
 * run->failed; returns CHECK_ERROR when heapscope itself failed, else 0. */
static int command_status(const struct an_summary *s, int rc, char *buf, size_t len,
			  struct budget_run *run)
{
	run->status = buf;
	run->failed = 1;
	if (s && s->end_reason && !strcmp(s->end_reason, "exited")) {
		snprintf(buf, len, "exited %d", s->exit_status);
		run->failed = s->exit_status != 0;
	} else if (s && s->end_reason && !strcmp(s->end_reason, "killed") && s->exit_status > 128) {
		snprintf(buf, len, "was killed by signal %d (%s)", s->exit_status - 128,
			 strsignal(s->exit_status - 128));
	} else if (rc == 127 || rc == 126) {
		snprintf(buf, len, "%s",
			 rc == 127 ? "was not found (127)" : "cannot be executed (126)");
	} else if (!s || !s->end_reason || !strcmp(s->end_reason, "error") || s->cut_short) {
		snprintf(buf, len, "was not recorded to its end");
		return CHECK_ERROR;
	} else {
		snprintf(buf, len, "did not finish (recording %s)", s->end_reason);
	}
	return 0;
}

/* The top leaking functions with their biggest stacks, as `heapscope report --view leaks
 * --group-by function` shows them (definitely lost first when scanned). */
static void leaks_below(FILE *out, struct store_reader *r, const struct check_opts *o)
{
	struct report_data d = { .views = VIEW_LEAKS };

	static const char *const verdicts[] = { "not scanned", "definitely lost", "indirectly lost",
						"possibly lost" };
	int scanned = 0;

	if (an_leaks_grouped(r, 0, o->top, AN_BY_FUNCTION, &d.leaks)) {
		fprintf(out, "heapscope: cannot read the leaks: %s\n", store_reader_errmsg(r));
		return;
	}
	report_text(out, &d);
	for (size_t i = 0; i < d.leaks.n; i++)
		scanned |= d.leaks.v[i].reach > 0;
	if (scanned)
		fprintf(out, "\n== The reachability scan's verdicts of those leaks\n");
	for (size_t i = 0; scanned && i < d.leaks.n; i++) {
		int v = d.leaks.v[i].reach;

		fprintf(out, "  #%zu  %-16s %s\n", i + 1, v >= 0 && v <= 3 ? verdicts[v] : "?",
			d.leaks.v[i].key ? d.leaks.v[i].key : "?");
	}
	an_leaks_free(&d.leaks);
}

static int leak_budget_over(const struct budgets *b)
{
	for (size_t i = 0; i < b->n; i++) {
		enum budget_metric m = b->v[i].metric;

		if (budget_verdict(&b->v[i]) > 0 &&
		    (m == BUDGET_LEAKED_BYTES || m == BUDGET_DEFINITELY_LOST ||
		     m == BUDGET_SITE_LIVE_BYTES || m == BUDGET_SITE_LIVE_BLOCKS))
			return 1;
	}
	return 0;
}

struct junit_ctx {
	const struct budgets *b;
	const struct budget_run *run;
	const char *text;
};

static int render_junit(FILE *f, void *ctx)
{
	struct junit_ctx *j = ctx;

	return budget_write_junit(f, j->b, j->run, j->text);
}

/* Measures the budgets on the recording at db, prints the table (and the leaks), writes JUnit;
 * returns the exit status. */
static int evaluate(struct check_opts *o, const char *db, int rc, struct budget_run *run)
{
	struct an_sites_query q = { .group = AN_BY_FUNCTION };
	struct an_sites sites = { 0 };
	struct an_summary s = { 0 };
	struct store_reader *r = NULL;
	char err[1024], status[128];
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem = NULL;
	int status_rc, e, over = 0, unmeasured = 0, ret;

	e = store_reader_open(db, &r, err, sizeof(err));
	if (!e)
		e = an_summary(r, &s);
	status_rc = command_status(e ? NULL : &s, rc, status, sizeof(status), run);
	if (status_rc || (!e && strcmp(s.end_reason, "exited") && strcmp(s.end_reason, "killed")) ||
	    (e && run->failed && rc != 1)) {
		/* record said why, or the recording stopped before the command ended */
		fprintf(stderr, "heapscope: check: the command %s; no budget is measured\n",
			status);
		ret = status_rc ? status_rc : CHECK_COMMAND_FAILED;
		goto out;
	}
	if (!e)
		e = budget_evaluate(r, &o->budgets);
	if (!e)
		e = an_sites(r, &q, &sites);
	if (e) {
		fprintf(stderr, "heapscope: check: cannot read the recording %s: %s\n", db,
			r ? store_reader_errmsg(r) : err);
		ret = CHECK_ERROR;
		goto out;
	}
	mem = open_memstream(&text, &textlen);
	if (!mem) {
		ret = CHECK_ERROR;
		goto out;
	}
	budget_render_text(mem, &o->budgets, &sites, run);
	if (leak_budget_over(&o->budgets))
		leaks_below(mem, r, o);
	fclose(mem);
	fputs(text, stdout);
	fflush(stdout);
	for (size_t i = 0; i < o->budgets.n; i++) {
		over |= budget_verdict(&o->budgets.v[i]) > 0;
		unmeasured |= budget_verdict(&o->budgets.v[i]) < 0;
	}
	ret = unmeasured ? CHECK_ERROR : run->failed ? CHECK_COMMAND_FAILED : over;
	if (o->junit) {
		struct junit_ctx j = { .b = &o->budgets, .run = run, .text = text };

		e = outfile_write(o->junit, render_junit, &j);
		if (e) {
			fprintf(stderr, "heapscope: cannot write the JUnit file %s: %s\n", o->junit,
				strerror(-e));
			ret = CHECK_ERROR;
		}
	}
out:
	free(text);
	an_sites_free(&sites);
	an_summary_free(&s);
	store_reader_close(r);
	return ret;
}

/* Without -d: a recording file in a private temporary directory, removed at the end. */
static int temp_db(char *dir, size_t dirlen, char *db, size_t dblen)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, dirlen, "%s/heapscope-check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr,
			"heapscope: cannot make a temporary directory in %s: %s (set TMPDIR "
			"or keep the recording with -d FILE)\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return -errno;
	}
	if ((size_t)snprintf(db, dblen, "%.*s/check.db", (int)(dblen - 16), dir) >= dblen)
		return -ENAMETOOLONG;
	return 0;
}

static void remove_temp(const char *dir, const char *db)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
	rmdir(dir);
}

int check_main(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct budget_run run = { 0 };
	char dir[PATH_MAX], db[PATH_MAX];
	struct timespec t0, t1;
	int rc, ret;

	if (parse_opts(argc, argv, &o)) {
		budgets_free(&o.budgets);
		return 2;
	}
	if (o.db)
		snprintf(db, sizeof(db), "%s", o.db);
	else if (temp_db(dir, sizeof(dir), db, sizeof(db))) {
		budgets_free(&o.budgets);
		return CHECK_ERROR;
	}
	run.command = command_line(o.argv);
	run.wall_start_s = (int64_t)time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_record(&o, db);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run.time_s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!run.command)
		run.command = "?";
	ret = rc == 2 && access(db, F_OK) ? 2 : evaluate(&o, db, rc, &run);
	if (!o.db)
		remove_temp(dir, db);
	else if (ret != 2)
		fprintf(stderr, "heapscope: check: the recording is kept in %s\n", db);
	if (strcmp(run.command, "?"))
		free((char *)run.command);
	budgets_free(&o.budgets);
	return ret;
}
