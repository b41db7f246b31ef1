/* `heapscope diff`: per-call-site deltas between two recordings or two windows of them (text,
 * JSON, CSV, pprof), and the trend of the top sites across a series of recordings. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/cliopt.h"
#include "report/diff_priv.h"
#include "report/json.h"
#include "report/outfile.h"
#include "report/report.h"
#include "store/time.h"

int diff_compute(const struct diff_side *a, const struct diff_side *b, struct diff_result *out,
		 char *err, size_t errlen)
{
	int e;

	*out = (struct diff_result){ .t = { .nsides = 2 } };
	e = diff_load_side(a, 0, &out->t, &out->a, err, errlen);
	if (!e)
		e = diff_load_side(b, 1, &out->t, &out->b, err, errlen);
	if (!e)
		e = diff_table_fold(&out->t);
	if (e) {
		diff_result_free(out);
		return e;
	}
	diff_table_sort_growth(&out->t, 0, 1);
	return 0;
}

void diff_result_free(struct diff_result *r)
{
	diff_meta_free(&r->a);
	diff_meta_free(&r->b);
	diff_table_free(&r->t);
}

/* --- JSON ---------------------------------------------------------------------------------- */

static void json_counts(struct json *j, const struct diff_counts *c)
{
	json_obj_begin(j);
	json_kv_int(j, "allocs", c->allocs);
	json_kv_int(j, "bytes", c->bytes);
	json_kv_int(j, "live_blocks", c->live_blocks);
	json_kv_int(j, "live_bytes", c->live_bytes);
	json_obj_end(j);
}

/* Frames as report's JSON writes them, without the runtime address (it differs per run). */
static void json_frames(struct json *j, const struct an_stack *s)
{
	json_key(j, "frames");
	json_arr_begin(j);
	for (int i = 0; i < s->depth; i++) {
		json_obj_begin(j);
		json_kv_str(j, "function", s->frames[i].function);
		report_json_frame_place(j, &s->frames[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_meta(struct json *j, const struct diff_meta *m)
{
	const struct an_summary *s = &m->summary;

	json_obj_begin(j);
	json_kv_str(j, "label", m->label);
	json_kv_str(j, "path", m->path);
	/* null: that end is the recording's own (its start, its end) */
	if (m->from_open)
		json_kv_null(j, "from_ns");
	else
		json_kv_int(j, "from_ns", m->from_ns);
	if (m->to_open)
		json_kv_null(j, "to_ns");
	else
		json_kv_int(j, "to_ns", m->to_ns);
	json_kv_bool(j, "whole", m->whole);
	json_kv_bool(j, "sampled", m->sample_bytes > 0);
	json_kv_bool(j, "estimated", m->sample_bytes > 0);
	if (m->sample_bytes > 0)
		json_kv_int(j, "sample_bytes", m->sample_bytes);
	else
		json_kv_null(j, "sample_bytes");
	json_kv_str(j, "command", s->command);
	json_kv_int(j, "start_time_ns", s->start_time_ns);
	json_kv_int(j, "duration_ns", s->duration_ns);
	json_kv_str(j, "end_reason", s->end_reason);
	json_kv_int(j, "allocs", m->totals.allocs);
	json_kv_int(j, "bytes", m->totals.bytes);
	json_kv_int(j, "live_blocks", m->totals.live_blocks);
	json_kv_int(j, "live_bytes", m->totals.live_bytes);
	json_obj_end(j);
}

static void json_site(struct json *j, const struct diff_site *s)
{
	struct diff_counts d = diff_counts_sub(&s->c[1], &s->c[0]);

	json_obj_begin(j);
	json_kv_str(j, "key", s->key);
	json_kv_str(j, "function", s->stack.depth ? s->stack.frames[0].function : NULL);
	json_frames(j, &s->stack);
	json_key(j, "a");
	json_counts(j, &s->c[0]);
	json_key(j, "b");
	json_counts(j, &s->c[1]);
	json_key(j, "delta");
	json_counts(j, &d);
	json_kv_str(j, "status", diff_site_status(s, 0, 1));
	json_obj_end(j);
}

void diff_json(struct json *j, const struct diff_result *r, size_t limit)
{
	struct diff_counts d = diff_counts_sub(&r->b.totals, &r->a.totals);
	size_t n = limit && limit < r->t.n ? limit : r->t.n;

	json_obj_begin(j);
	json_key(j, "a");
	json_meta(j, &r->a);
	json_key(j, "b");
	json_meta(j, &r->b);
	json_kv_bool(j, "estimated", r->a.sample_bytes > 0 || r->b.sample_bytes > 0);
	json_key(j, "totals");
	json_obj_begin(j);
	json_key(j, "a");
	json_counts(j, &r->a.totals);
	json_key(j, "b");
	json_counts(j, &r->b.totals);
	json_key(j, "delta");
	json_counts(j, &d);
	json_obj_end(j);
	json_kv_int(j, "site_count", (int64_t)r->t.n);
	json_key(j, "sites");
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		json_site(j, &r->t.v[i]);
	json_arr_end(j);
	json_obj_end(j);
}

/* Renders into a memory buffer: what the API and the trend return. */
static int json_to_buffer(struct json *j, char **out, size_t *len)
{
	int e = json_error(j);

	*out = e ? NULL : json_take_buffer(j, len);
	if (!e && !*out)
		e = -ENOMEM;
	json_free(j);
	return e;
}

int diff_render_json(const struct diff_side *a, const struct diff_side *b, char **out, size_t *len,
		     char *err, size_t errlen)
{
	struct diff_result r;
	struct json *j;
	int e = diff_compute(a, b, &r, err, errlen);

	*out = NULL;
	if (e)
		return e;
	j = json_new_buffer(0);
	if (j) {
		diff_json(j, &r, 0);
		e = json_to_buffer(j, out, len);
	} else {
		e = -ENOMEM;
	}
	if (e)
		snprintf(err, errlen, "diff: %s", strerror(-e));
	diff_result_free(&r);
	return e;
}

/* --- The subcommand ------------------------------------------------------------------------ */

enum diff_format { DF_TEXT, DF_JSON, DF_CSV, DF_PPROF };

static const char *const FORMATS[] = { "text", "json", "csv", "pprof", NULL };

struct diff_opts {
	struct diff_side a, b;
	const char *output;
	enum diff_format format;
	int64_t limit;
	int limit_set, trend;
	char **paths; /* --trend: every recording, oldest first */
	int npaths;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope diff A.db [B.db] [--format text|json|csv|pprof] [-o OUT]\n"
		"                      [--limit N] [--a-from S] [--a-to S] [--b-from S] [--b-to S]\n"
		"                      [--a-label NAME] [--b-label NAME]\n"
		"       heapscope diff --trend A.db B.db [C.db...] [--limit N]\n"
		"  per call site: B's allocations, bytes, live blocks and live bytes minus A's,\n"
		"  the sites that grew most first\n"
		"  --a-from/--a-to/--b-from/--b-to S  a window of the recording, seconds since its\n"
		"               start (decimals allowed); one recording needs two windows:\n"
		"               heapscope diff A.db --a-to 5 --b-from 5\n"
		"  --limit N    sites shown (default 30 for text, all for json and csv)\n"
		"  --format pprof  a profile of B minus A (negative where it shrank);\n"
		"               or: go tool pprof -diff_base=A.pb.gz B.pb.gz on\n"
		"               `heapscope report --format pprof` of each\n"
		"  --trend      JSON: live bytes and blocks at the end of each recording (oldest\n"
		"               first) of the sites holding the most (--limit N of them)\n");
}

static int parse_seconds(const char *opt, const char *arg, int64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0) || v > 1e9) {
		fprintf(stderr, "heapscope: %s must be a number of seconds >= 0, not '%s'\n", opt,
			arg);
		return -EINVAL;
	}
	*ns = (int64_t)(v * (double)NS_PER_S + 0.5);
	return 0;
}

static int parse_limit(const char *arg, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < 0) {
		fprintf(stderr, "heapscope: --limit must be an integer >= 0, not '%s'\n", arg);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_format(const char *arg, enum diff_format *out)
{
	for (int i = 0; FORMATS[i]; i++) {
		if (!strcmp(FORMATS[i], arg)) {
			*out = (enum diff_format)i;
			return 0;
		}
	}
	fprintf(stderr, "heapscope: unknown format '%s' (text, json, csv or pprof)\n", arg);
	return -EINVAL;
}

static int parse_option(int c, struct diff_opts *o)
{
	switch (c) {
	case 'f': return parse_format(optarg, &o->format);
	case 'o': o->output = optarg; return 0;
	case 'n': o->limit_set = 1; return parse_limit(optarg, &o->limit);
	case 'F': return parse_seconds("--a-from", optarg, &o->a.from_ns);
	case 'T': return parse_seconds("--a-to", optarg, &o->a.to_ns);
	case 'G': return parse_seconds("--b-from", optarg, &o->b.from_ns);
	case 'U': return parse_seconds("--b-to", optarg, &o->b.to_ns);
	case 'L': o->a.label = optarg; return 0;
	case 'M': o->b.label = optarg; return 0;
	case 'R': o->trend = 1; return 0;
	case 'h': usage(stdout); exit(0);
	default: return -EINVAL; /* getopt said why */
	}
}

static int check_window(const char *name, const struct diff_side *s)
{
	if (s->to_ns < 0 || s->to_ns > (s->from_ns < 0 ? 0 : s->from_ns))
		return 0;
	fprintf(stderr, "heapscope: window %s is empty: --%s-to must be after --%s-from\n", name,
		name, name);
	return -EINVAL;
}

/* Positional recordings: A and B, or one recording compared with itself in two windows. */
static int take_paths(int argc, char **argv, struct diff_opts *o)
{
	int npaths = argc - optind;

	if (npaths < 1 || npaths > 2) {
		fprintf(stderr,
			npaths ? "heapscope: diff compares two recordings, not %d\n" :
				 "heapscope: diff needs A.db and B.db (or one recording"
				 " and two windows)\n",
			npaths);
		return -EINVAL;
	}
	o->a.db_path = argv[optind];
	o->b.db_path = argv[argc - 1];
	if (npaths == 1 && o->a.from_ns < 0 && o->a.to_ns < 0 && o->b.from_ns < 0 &&
	    o->b.to_ns < 0) {
		fprintf(stderr, "heapscope: one recording needs two windows, e.g. --a-to 5"
				" --b-from 5\n");
		return -EINVAL;
	}
	if (npaths == 1 && !o->a.label && !o->b.label) {
		o->a.label = "A";
		o->b.label = "B";
	}
	return check_window("a", &o->a) || check_window("b", &o->b) ? -EINVAL : 0;
}

/* --trend: whole recordings only, in JSON. */
static int trend_paths(int argc, char **argv, struct diff_opts *o)
{
	o->paths = argv + optind;
	o->npaths = argc - optind;
	if (o->npaths < 1) {
		fprintf(stderr, "heapscope: diff --trend needs the recordings, oldest first\n");
		return -EINVAL;
	}
	if (o->a.from_ns >= 0 || o->a.to_ns >= 0 || o->b.from_ns >= 0 || o->b.to_ns >= 0 ||
	    o->a.label || o->b.label || (o->format != DF_JSON && o->format != DF_TEXT)) {
		fprintf(stderr, "heapscope: diff --trend takes whole recordings and writes JSON"
				" (no windows, labels or other formats)\n");
		return -EINVAL;
	}
	o->format = DF_JSON;
	return 0;
}

static int parse_opts(int argc, char **argv, struct diff_opts *o)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'n' },
		{ "a-from", required_argument, NULL, 'F' },
		{ "a-to", required_argument, NULL, 'T' },
		{ "b-from", required_argument, NULL, 'G' },
		{ "b-to", required_argument, NULL, 'U' },
		{ "a-label", required_argument, NULL, 'L' },
		{ "b-label", required_argument, NULL, 'M' },
		{ "trend", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	int c;

	*o = (struct diff_opts){ .a = { .from_ns = -1, .to_ns = -1 },
				 .b = { .from_ns = -1, .to_ns = -1 } };
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "f:o:h", longopts)) != -1)
		if (report_option_once(c, longopts, &seen) || parse_option(c, o))
			return -EINVAL;
	if (o->trend ? trend_paths(argc, argv, o) : take_paths(argc, argv, o))
		return -EINVAL;
	if (!o->limit_set)
		o->limit = o->format == DF_TEXT ? 30 : 0;
	return 0;
}

static int render(FILE *out, const struct diff_opts *o, const struct diff_result *r)
{
	struct json *j;
	int e;

	switch (o->format) {
	case DF_TEXT: return diff_text(out, r, (size_t)o->limit);
	case DF_CSV: return diff_csv(out, r, (size_t)o->limit);
	case DF_PPROF: return diff_pprof(out, r);
	case DF_JSON:
		j = json_new_file(out, 1);
		if (!j)
			return -ENOMEM;
		diff_json(j, r, (size_t)o->limit);
		e = json_free(j);
		fputc('\n', out);
		return e ? e : ferror(out) ? -EIO : 0;
	}
	return -EINVAL;
}

/* What goes to stdout or the output file. */
struct output {
	const struct diff_opts *o;
	const struct diff_result *r;
	const char *text; /* or this text, a newline after it */
	size_t len;
};

static int render_output(FILE *f, const struct output *w)
{
	if (!w->text)
		return render(f, w->o, w->r);
	if (fwrite(w->text, 1, w->len, f) != w->len || fputc('\n', f) == EOF)
		return -EIO;
	return 0;
}

static int render_cb(FILE *f, void *w)
{
	return render_output(f, w);
}

static int write_output(const char *output, const struct output *w)
{
	return outfile_write(output, render_cb, (void *)w);
}

/* Writes the trend JSON (and a newline) to stdout or -o. */
static int trend_main(const struct diff_opts *o)
{
	char err[8192], *json;
	size_t len;
	int e = diff_trend_json((const char *const *)o->paths, NULL, o->npaths, (int)o->limit,
				&json, &len, err, sizeof(err));

	if (e) {
		fprintf(stderr, "heapscope: %s\n", err);
		return 1;
	}
	e = write_output(o->output, &(struct output){ .text = json, .len = len });
	if (e)
		fprintf(stderr, "heapscope: cannot write %s: %s\n",
			o->output ? o->output : "the trend", strerror(-e));
	free(json);
	return e ? 1 : 0;
}

int diff_main(int argc, char **argv)
{
	struct diff_result r;
	struct diff_opts o;
	char err[8192];
	int e;

	if (parse_opts(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (o.trend)
		return trend_main(&o);
	e = diff_compute(&o.a, &o.b, &r, err, sizeof(err));
	if (e) {
		fprintf(stderr, "heapscope: %s\n", err);
		return e == -EINVAL ? 2 : 1;
	}
	/* pprof has its comment; text, JSON and CSV say it in their own output. */
	e = write_output(o.output, &(struct output){ .o = &o, .r = &r });
	if (e)
		fprintf(stderr, "heapscope: cannot write %s: %s\n",
			o.output ? o.output : "the diff", strerror(-e));
	diff_result_free(&r);
	return e ? 1 : 0;
}
