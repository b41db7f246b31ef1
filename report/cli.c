/* `heapscope report`: loads the analyses a view needs from a recording and renders them in the
 * chosen format to stdout or a file (written aside and renamed, so never left half-written). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report/cliopt.h"
#include "report/html.h"
#include "report/json.h"
#include "report/outfile.h"
#include "report/report.h"
#include "store/time.h"

enum format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_PPROF, FMT_COLLAPSED, FMT_HTML };

static const char *const FORMATS[] = { "text", "json", "csv", "pprof", "collapsed", "html", NULL };
/* "held" is after "all" (not part of it: a recording without a scan has none). */
static const char *const VIEWS[] = { "summary", "sites",    "leaks",  "lifetimes", "sizes",
				     "errors",	"timeline", "advice", "all",	   "held", NULL };
static const char *const VALUES[] = { "bytes", "allocs", "live_bytes", "live_blocks", NULL };

struct report_opts {
	const char *db, *output, *sort, *value;
	const char *from, *to; /* --from/--to as given: converted once the recording is open */
	int64_t time_checked;
	enum format format;
	unsigned views;
	enum an_group group;
	int64_t top, site, min_age_ns, pid;
	int ascending, top_set;
	const char *alloc_fns[AN_ALLOC_FN_MAX]; /* --alloc-fn, added to the recording's */
	int nalloc_fns;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope report -d FILE [--view V[,V...]] [--format F] [-o OUT] [--top N]\n"
		"                        [--group-by stack|function|file] [--sort COLUMN] [--asc]\n"
		"                        [--min-age SECONDS] [--site ID] [--pid PID] [--value COLUMN]\n"
		"                        [--alloc-fn PATTERN]... [--from TIME] [--to TIME]\n"
		"  views:   summary sites leaks lifetimes sizes errors timeline advice all held\n"
		"           (held: still reachable at the last scan; with leaks once scanned)\n"
		"  formats: text (default) json csv pprof collapsed html\n"
		"  --top N      rows of sites and leaks (default 20 for text and csv, all otherwise)\n"
		"  --sort       a sites column: bytes (default), allocs, live_bytes, lifetime_p50_ns...\n"
		"  --pid PID    only this process (every view; its program images' sites)\n"
		"  --value      what collapsed stacks count: bytes (default), allocs, live_bytes,\n"
		"               live_blocks\n"
		"  --alloc-fn   a glob of allocation wrappers (xmalloc, g_malloc*): their callers are\n"
		"               the sites (repeat; added to the recording's; 'auto': those detected,\n"
		"               'none': not the recording's)\n"
		"  --from/--to  a time window: only the allocations made in [from, to) (live: not\n"
		"               freed by the end), the errors then; TIME is seconds since the start\n"
		"               (12.5), a local wall-clock time (2026-12-06T16:20:00[.5]) or @UNIX\n"
		"               seconds\n");
}

static int lookup(const char *const *names, const char *s)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], s))
			return i;
	return -1;
}

static int parse_views(const char *arg, unsigned *views)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	*views = 0;
	for (char *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		int i = lookup(VIEWS, v);

		if (i < 0) {
			fprintf(stderr,
				"heapscope: unknown view '%s' (one of: summary, sites, leaks, "
				"lifetimes, sizes, errors, timeline, advice, all, held)\n",
				v);
			return -EINVAL;
		}
		*views |= !strcmp(v, "all") ? VIEW_ALL : !strcmp(v, "held") ? VIEW_HELD : 1u << i;
	}
	return *views ? 0 : -EINVAL;
}

static int parse_int(const char *opt, const char *arg, int64_t min, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min) {
		fprintf(stderr, "heapscope: %s must be an integer >= %lld, not '%s'\n", opt,
			(long long)min, arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_pid(const char *arg, int64_t *pid)
{
	int e = parse_int("--pid", arg, 1, pid);

	if (!e && *pid > INT_MAX) {
		fprintf(stderr, "heapscope: --pid must be a process id (1 to %d), not '%s'\n",
			INT_MAX, arg);
		e = -EINVAL;
	}
	return e;
}

static int parse_seconds(const char *arg, int64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < 0 || v > 1e9) {
		fprintf(stderr, "heapscope: --min-age must be a number of seconds >= 0, not '%s'\n",
			arg);
		return -EINVAL;
	}
	*ns = (int64_t)(v * (double)NS_PER_S);
	return 0;
}

/* A --from/--to TIME in ns since the start: SECONDS[.FRACTION], @UNIX[.FRACTION] or a local
 * YYYY-MM-DDTHH:MM[:SS[.FRACTION]], the wall-clock ones against the recording's start. */
static int parse_time(const char *opt, const char *arg, int64_t start_ns, int64_t *ns)
{
	struct tm tm = { .tm_isdst = -1 };
	const char *rest = NULL;
	double v = -1, frac = 0;
	char *end;
	int64_t wall;

	errno = 0;
	if (arg[0] == '@') {
		v = strtod(arg + 1, &end);
		if (errno || end == arg + 1 || *end || v < 0 || v > 1e11)
			goto bad;
		wall = (int64_t)(v * 1e9);
	} else if (strchr(arg, '-') && strchr(arg, ':')) {
		rest = strptime(arg, "%Y-%m-%dT%H:%M", &tm);
		if (!rest)
			rest = strptime(arg, "%Y-%m-%d %H:%M", &tm);
		if (rest && *rest == ':')
			rest = strptime(rest, ":%S", &tm);
		if (rest && *rest == '.') {
			frac = strtod(rest, &end);
			rest = errno || end == rest ? NULL : end;
		}
		if (!rest || *rest)
			goto bad;
		wall = (int64_t)mktime(&tm) * NS_PER_S + (int64_t)(frac * 1e9);
	} else {
		v = strtod(arg, &end);
		if (errno || end == arg || *end || v < 0 || v > 1e9 || arg[0] == '-')
			goto bad;
		*ns = (int64_t)(v * (double)NS_PER_S + 0.5);
		return 0;
	}
	*ns = wall - start_ns;
	if (*ns < 0) {
		time_t t = (time_t)(start_ns / NS_PER_S);
		char when[64];

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&t));
		fprintf(stderr,
			"heapscope: %s %s is before the recording started (%s.%03d local time)\n",
			opt, arg, when, (int)(start_ns % NS_PER_S / 1000000));
		return -ERANGE;
	}
	return 0;
bad:
	fprintf(stderr,
		"heapscope: %s takes seconds since the start (12.5), a local time"
		" (2026-12-06T16:20:00) or @UNIX seconds, not '%s'\n",
		opt, arg);
	return -EINVAL;
}

static int choose(const char *what, const char *const *names, const char *arg, int *out)
{
	*out = lookup(names, arg);
	if (*out >= 0)
		return 0;
	fprintf(stderr, "heapscope: unknown %s '%s'\n", what, arg);
	return -EINVAL;
}

static int parse_option(int c, struct report_opts *o)
{
	int i, e = 0;

	switch (c) {
	case 'd': o->db = optarg; break;
	case 'o': o->output = optarg; break;
	case 'v': e = parse_views(optarg, &o->views); break;
	case 'f':
		e = choose("format", FORMATS, optarg, &i);
		o->format = (enum format)i;
		break;
	case 'g':
		e = choose("--group-by", AN_GROUP_NAMES, optarg, &i);
		o->group = (enum an_group)i;
		break;
	case 't':
		e = parse_int("--top", optarg, 0, &o->top);
		o->top_set = 1;
		break;
	case 's': e = parse_int("--site", optarg, 1, &o->site); break;
	case 'p': e = parse_pid(optarg, &o->pid); break;
	case 'm': e = parse_seconds(optarg, &o->min_age_ns); break;
	case 'S': o->sort = optarg; break;
	case 'F': e = cliopt_add_alloc_fn(o->alloc_fns, &o->nalloc_fns, optarg); break;
	case 'a': o->ascending = 1; break;
	case 'B': /* checked now (exit 2), converted once the recording's start is known */
	case 'E':
		e = parse_time(c == 'B' ? "--from" : "--to", optarg, 0, &o->time_checked);
		*(c == 'B' ? &o->from : &o->to) = optarg;
		break;
	case 'V':
		e = choose("--value", VALUES, optarg, &i);
		o->value = optarg;
		break;
	case 'h': usage(stdout); exit(0);
	default: usage(stderr); e = -EINVAL;
	}
	return e;
}

int report_option_once(int c, const struct option *longopts, unsigned long long *seen)
{
	for (int i = 0; longopts[i].name; i++) {
		if (longopts[i].val != c)
			continue;
		if (*seen & (1ull << i)) {
			fprintf(stderr, "heapscope: option --%s given twice\n", longopts[i].name);
			return -EINVAL;
		}
		*seen |= 1ull << i;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "view", required_argument, NULL, 'v' },
		{ "format", required_argument, NULL, 'f' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "top", required_argument, NULL, 't' },
		{ "site", required_argument, NULL, 's' },
		{ "min-age", required_argument, NULL, 'm' },
		{ "sort", required_argument, NULL, 'S' },
		{ "asc", no_argument, NULL, 'a' },
		{ "value", required_argument, NULL, 'V' },
		{ "pid", required_argument, NULL, 'p' },
		{ "alloc-fn", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'B' },
		{ "to", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	int c;

	*o = (struct report_opts){ .value = "bytes" };
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "d:o:h", longopts)) != -1)
		if ((c != 'F' && report_option_once(c, longopts, &seen)) || parse_option(c, o))
			return -EINVAL;
	if (optind < argc || !o->db) {
		fprintf(stderr,
			optind < argc ? "heapscope: unexpected argument '%s'\n" :
					"heapscope: report needs -d FILE (a recording)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->sort && lookup(AN_SITE_SORT_KEYS, o->sort) < 0) {
		fprintf(stderr,
			"heapscope: unknown --sort column '%s' (e.g. bytes, allocs, "
			"live_bytes, lifetime_p50_ns)\n",
			o->sort);
		return -EINVAL;
	}
	return 0;
}

/* What each format shows when --view is not given, and how many rows. */
static void apply_defaults(struct report_opts *o)
{
	static const unsigned views[] = {
		[FMT_TEXT] = VIEW_SUMMARY | VIEW_LEAKS | VIEW_ERRORS | VIEW_SITES | VIEW_LIFETIMES |
			     VIEW_ADVICE,
		[FMT_JSON] = VIEW_ALL,
		[FMT_CSV] = VIEW_SITES,
		[FMT_PPROF] = VIEW_SITES,
		[FMT_COLLAPSED] = VIEW_SITES,
		[FMT_HTML] = VIEW_ALL,
	};

	if (!o->views)
		o->views = views[o->format];
	if (o->format == FMT_PPROF || o->format == FMT_COLLAPSED || o->format == FMT_HTML) {
		o->views |= VIEW_SITES | VIEW_SUMMARY; /* whole stacks, all of them */
		o->group = AN_BY_STACK;
		o->top = o->format == FMT_HTML && o->top_set ? o->top : 0;
	} else if (!o->top_set) {
		o->top = o->format == FMT_TEXT || o->format == FMT_CSV ? 20 : 0;
	}
}

static int load(struct store_reader *r, const struct report_opts *o, struct report_data *d)
{
	struct an_sites_query q = { .group = o->group,
				    .sort = o->sort,
				    .ascending = o->ascending,
				    .limit = o->format == FMT_HTML ? 0 : o->top,
				    .site = o->site };
	int e = 0;

	d->views = o->views;
	d->group = o->group;
	d->sample_bytes = store_reader_sample_bytes(r);
	if (d->views & VIEW_SUMMARY)
		e = an_summary(r, &d->summary);
	if (!e && (d->views & VIEW_SITES))
		e = an_sites(r, &q, &d->sites);
	if (!e && (d->views & (VIEW_LEAKS | VIEW_HELD)))
		e = an_last_scan(r, &d->scan);
	if (!e && (d->views & VIEW_LEAKS) && d->scan.scans)
		d->views |= VIEW_HELD; /* a scanned recording's leaks come with what it holds */
	if (!e && (d->views & VIEW_LEAKS))
		e = an_leaks_grouped(r, o->min_age_ns, o->top, o->group, &d->leaks);
	if (!e && (d->views & VIEW_HELD))
		e = an_held_grouped(r, o->min_age_ns, o->top, o->group, &d->held);
	if (!e && (d->views & VIEW_LIFETIMES))
		e = an_lifetimes(r, o->site, &d->lifetimes);
	if (!e && (d->views & VIEW_SIZES))
		e = an_sizes(r, o->site, &d->sizes);
	if (!e && (d->views & VIEW_ERRORS))
		e = an_errors(r, &d->errors);
	if (!e && (d->views & VIEW_TIMELINE)) {
		int64_t from, to; /* a window's timeline is the recording's between its bounds */

		store_reader_window(r, &from, &to);
		e = an_timeline(r, o->site, from, to == INT64_MAX ? 0 : to, 0, &d->timeline);
	}
	if (!e && (d->views & VIEW_ADVICE))
		e = an_advice(r, &d->advice);
	return e;
}

static void unload(struct report_data *d)
{
	an_summary_free(&d->summary);
	an_sites_free(&d->sites);
	an_leaks_free(&d->leaks);
	an_leaks_free(&d->held);
	an_scan_free(&d->scan);
	an_errors_free(&d->errors);
	an_timeline_free(&d->timeline);
	an_advices_free(&d->advice);
}

static int write_report_json(FILE *out, void *data)
{
	struct json *j = json_new_file(out, 0);

	if (!j)
		return -ENOMEM;
	report_json(j, data);
	return json_free(j);
}

/* The page streams the JSON into the template: no copy of a possibly large report in memory. */
static int render_html(FILE *out, const struct report_data *d)
{
	return html_render_stream(out, write_report_json, (void *)d);
}

static int render(FILE *out, const struct report_opts *o, const struct report_data *d)
{
	struct json *j;
	int e;

	switch (o->format) {
	case FMT_TEXT: return report_text(out, d);
	case FMT_CSV: return report_csv(out, d);
	case FMT_PPROF: return report_pprof(out, d);
	case FMT_COLLAPSED:
		/* The format has no place for a note: the values are estimates, said here. */
		if (d->sample_bytes)
			fprintf(stderr,
				"heapscope: note: a sampled recording (1 sample per %" PRId64
				" bytes on average): the stacks' values are estimates\n",
				d->sample_bytes);
		return report_collapsed(out, &d->sites, o->value);
	case FMT_HTML: return render_html(out, d);
	case FMT_JSON:
		j = json_new_file(out, 1);
		if (!j)
			return -ENOMEM;
		report_json(j, d);
		e = json_free(j);
		fputc('\n', out);
		return e ? e : ferror(out) ? -EIO : 0;
	}
	return -EINVAL;
}

struct rendering {
	const struct report_opts *o;
	const struct report_data *d;
};

static int render_cb(FILE *out, void *ctx)
{
	const struct rendering *r = ctx;

	return render(out, r->o, r->d);
}

/* To stdout or -o (see outfile.h: never a partial file, never a device replaced). */
static int write_output(const struct report_opts *o, const struct report_data *d)
{
	struct rendering r = { o, d };
	int e = outfile_write(o->output, render_cb, &r);

	if (e)
		fprintf(stderr, "heapscope: cannot write %s: %s\n", o->output ? o->output : "the report",
			strerror(-e));
	return e;
}

/* --from/--to: every analysis of r sees the allocations made in that window. */
static int restrict_window(struct store_reader *r, const struct report_opts *o)
{
	int64_t start, dur, from = 0, to = 0;
	int e;

	if (!o->from && !o->to)
		return 0;
	e = store_reader_times(r, &start, &dur);
	if (!e && o->from)
		e = parse_time("--from", o->from, start, &from);
	if (!e && o->to)
		e = parse_time("--to", o->to, start, &to);
	if (e)
		return e;
	if (o->to && to <= from) {
		fprintf(stderr, "heapscope: --to (%.3f s) must be after --from (%.3f s)\n",
			(double)to / 1e9, (double)from / 1e9);
		return -EINVAL;
	}
	e = store_reader_set_window(r, from, to);
	if (e)
		fprintf(stderr, "heapscope: cannot apply --from/--to to %s: %s\n", o->db,
			store_reader_errmsg(r));
	return e;
}

/* --pid: every analysis of r sees that process only. */
static int restrict_pid(struct store_reader *r, const struct report_opts *o)
{
	int e = store_reader_set_pid(r, (int)o->pid);

	if (e == -ENOENT)
		fprintf(stderr,
			"heapscope: %s has no process %" PRId64 " (--view summary lists its"
			" processes)\n",
			o->db, o->pid);
	else if (e)
		fprintf(stderr, "heapscope: cannot read %s: %s\n", o->db,
			e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	return e;
}

int report_export(const char *db_path, const char *format, FILE *out, char *err, size_t errlen)
{
	struct report_opts o = { .db = db_path, .value = "bytes" }; /* as parse_opts' default */
	struct report_data d = { 0 };
	struct store_reader *r;
	int f = lookup(FORMATS, format), e;

	if (f < 0) {
		snprintf(err, errlen, "unknown format '%s'", format);
		return -EINVAL;
	}
	o.format = (enum format)f;
	apply_defaults(&o);
	e = store_reader_open(db_path, &r, err, errlen);
	if (e)
		return e;
	e = load(r, &o, &d);
	if (e)
		snprintf(err, errlen, "cannot read %s: %s", db_path,
			 e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	else if ((e = render(out, &o, &d)) || (e = fflush(out) ? -errno : 0))
		snprintf(err, errlen, "cannot write the %s report: %s", format, strerror(-e));
	unload(&d);
	store_reader_close(r);
	return e;
}

int report_main(int argc, char **argv)
{
	struct report_data d = { 0 };
	struct report_opts o;
	struct store_reader *r;
	char err[8192];
	int e;

	if (parse_opts(argc, argv, &o))
		return 2;
	apply_defaults(&o);
	if (store_reader_open(o.db, &r, err, sizeof(err))) {
		fprintf(stderr, "heapscope: %s\n", err);
		return 1;
	}
	e = restrict_pid(r, &o);
	if (!e && o.nalloc_fns &&
	    (e = store_reader_set_alloc_fns(r, o.alloc_fns, o.nalloc_fns)))
		fprintf(stderr, "heapscope: cannot apply --alloc-fn to %s: %s\n", o.db,
			e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	if (!e)
		e = restrict_window(r, &o);
	if (e)
		goto out;
	e = load(r, &o, &d);
	if (e)
		fprintf(stderr, "heapscope: cannot read %s: %s\n", o.db,
			e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	else
		e = write_output(&o, &d);
out:
	unload(&d);
	store_reader_close(r);
	return e ? 1 : 0;
}
