/* The JSON API: one route per analysis, rendered by report/ exactly as `report --format json`. */
#include "server/api.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/flame.h"
#include "report/json.h"
#include "report/report.h"
#include "store/analysis.h"

#define ERR_MAX 512
#define SITES_LIMIT_MAX 10000

struct api_args {
	int group, sort, order, weight;
	const char *function, *file, *alloc_fn;
	int64_t limit, offset, id, site, from, to, resolution, min_age_ns, pid;
};

struct route {
	const char *name;
	const struct param_spec *params;
	int64_t default_limit;
	int (*run)(struct store_reader *r, const struct api_args *a, struct json *j, char *err);
};

static const char *const ORDERS[] = { "desc", "asc", NULL };

#define F(field) offsetof(struct api_args, field)
#define SITE_PARAM                                                                                 \
	{                                                                                          \
		"site", P_INT, 0, PARAM_INT_MAX, NULL, F(site), 0                                  \
	}
/* Every route takes it: the analysis of one process (store_reader_set_pid). */
#define PID_PARAM                                                                                  \
	{                                                                                          \
		"pid", P_INT, 1, INT_MAX, NULL, F(pid), 0                                          \
	}
/* Every route takes it too: allocation wrappers, comma-separated globs added to the recording's
 * (store_reader_set_alloc_fns; "auto", "none"), as report --alloc-fn. */
#define ALLOC_FN_PARAM                                                                             \
	{                                                                                          \
		"alloc_fn", P_STR, 0, PARAM_VALUE_MAX, NULL, F(alloc_fn), 0                        \
	}
/* Every route but the timeline (whose from/to are its range, the same thing) takes a time
 * window: the allocations made in [from, to), ns since the start (store_reader_set_window). */
#define WINDOW_PARAMS                                                                              \
	{ "from", P_INT, 0, PARAM_INT_MAX, NULL, F(from), 0 },                                     \
	{                                                                                          \
		"to", P_INT, 0, PARAM_INT_MAX, NULL, F(to), 0                                      \
	}
static const struct param_spec NONE_P[] = { PID_PARAM, ALLOC_FN_PARAM, WINDOW_PARAMS, { NULL } };
static const struct param_spec SITES_P[] = {
	{ "group", P_ENUM, 0, 0, AN_GROUP_NAMES, F(group), 0 },
	{ "sort", P_ENUM, 0, 0, AN_SITE_SORT_KEYS, F(sort), 0 },
	{ "order", P_ENUM, 0, 0, ORDERS, F(order), 0 },
	{ "function", P_STR, 0, PARAM_VALUE_MAX, NULL, F(function), 0 },
	{ "file", P_STR, 0, PARAM_VALUE_MAX, NULL, F(file), 0 },
	{ "limit", P_INT, 1, SITES_LIMIT_MAX, NULL, F(limit), 0 },
	{ "offset", P_INT, 0, PARAM_INT_MAX, NULL, F(offset), 0 },
	PID_PARAM,
	ALLOC_FN_PARAM,
	WINDOW_PARAMS,
	{ NULL },
};
static const struct param_spec SITE_P[] = {
	{ "id", P_INT, 1, PARAM_INT_MAX, NULL, F(id), 1 },
	PID_PARAM,
	ALLOC_FN_PARAM,
	WINDOW_PARAMS,
	{ NULL },
};
static const struct param_spec LEAKS_P[] = {
	{ "group", P_ENUM, 0, 0, AN_GROUP_NAMES, F(group), 0 },
	{ "limit", P_INT, 0, SITES_LIMIT_MAX, NULL, F(limit), 0 },
	{ "min_age", P_SECONDS, 0, 0, NULL, F(min_age_ns), 0 },
	PID_PARAM,
	ALLOC_FN_PARAM,
	WINDOW_PARAMS,
	{ NULL },
};
static const struct param_spec HIST_P[] = { SITE_PARAM, PID_PARAM, ALLOC_FN_PARAM, WINDOW_PARAMS,
					    { NULL } };
static const struct param_spec TIMELINE_P[] = {
	{ "from", P_INT, 0, PARAM_INT_MAX, NULL, F(from), 0 },
	{ "to", P_INT, 0, PARAM_INT_MAX, NULL, F(to), 0 },
	{ "resolution", P_INT, 0, PARAM_INT_MAX, NULL, F(resolution), 0 },
	SITE_PARAM,
	PID_PARAM,
	ALLOC_FN_PARAM,
	{ NULL },
};
static const struct param_spec FLAME_P[] = {
	{ "weight", P_ENUM, 0, 0, FLAME_WEIGHTS, F(weight), 0 },
	PID_PARAM,
	ALLOC_FN_PARAM,
	WINDOW_PARAMS,
	{ NULL },
};

/* A sampled recording's objects say their numbers are estimates ("estimated": true; arrays are
 * covered by /api/summary's "sampling", which the dashboard reads first). */
static void kv_estimated(struct json *j, struct store_reader *r)
{
	if (store_reader_sample_bytes(r))
		json_kv_bool(j, "estimated", 1);
}

/*
 * Each route runs its analysis, then writes the whole response with the one writer it is given
 * (nothing is written when the analysis fails): 0 or a negative errno, with a message in err
 * (ERR_MAX bytes) when the status needs one.
 */
static int run_summary(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_summary s = { 0 };
	int e = an_summary(r, &s);

	(void)a, (void)err;
	if (!e)
		report_json_summary(j, &s);
	an_summary_free(&s);
	return e;
}

static int run_sites(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_sites_query q = { .group = (enum an_group)a->group,
				    .ascending = a->order == 1,
				    .limit = a->limit,
				    .offset = a->offset,
				    .function = a->function,
				    .file = a->file };
	struct an_sites s = { 0 };
	int e;

	(void)err;
	q.sort = a->sort >= 0 ? AN_SITE_SORT_KEYS[a->sort] : NULL;
	e = an_sites(r, &q, &s);
	if (!e) {
		json_obj_begin(j);
		json_kv_int(j, "total", (int64_t)s.total);
		json_key(j, "sites");
		report_json_sites(j, &s);
		kv_estimated(j, r);
		json_obj_end(j);
	}
	an_sites_free(&s);
	return e;
}

struct site_detail {
	struct an_sites sites;
	struct an_hist lifetimes, sizes;
	struct an_timeline timeline;
	int64_t sample_bytes;
};

/* {"site": {...}, "lifetimes", "sizes", "timeline"}: the site object is exactly report's. */
static void render_site(struct json *j, const struct site_detail *d)
{
	json_obj_begin(j);
	json_key(j, "site");
	report_json_site(j, &d->sites.v[0]);
	json_key(j, "lifetimes");
	report_json_hist(j, &d->lifetimes, 1, d->sample_bytes);
	json_key(j, "sizes");
	report_json_hist(j, &d->sizes, 0, d->sample_bytes);
	json_key(j, "timeline");
	report_json_timeline(j, &d->timeline);
	if (d->sample_bytes)
		json_kv_bool(j, "estimated", 1);
	json_obj_end(j);
}

static int run_site(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_sites_query q = { .group = AN_BY_STACK, .limit = 1, .site = a->id };
	struct site_detail d = { .sample_bytes = store_reader_sample_bytes(r) };
	int e = an_sites(r, &q, &d.sites);

	if (!e && d.sites.n == 0) {
		if (a->pid)
			snprintf(err, ERR_MAX, "no site %" PRId64 " in process %" PRId64, a->id,
				 a->pid);
		else
			snprintf(err, ERR_MAX, "no site %" PRId64 " in this recording", a->id);
		e = -ENOENT;
	}
	if (!e)
		e = an_lifetimes(r, a->id, &d.lifetimes);
	if (!e)
		e = an_sizes(r, a->id, &d.sizes);
	if (!e) { /* a window's: between its bounds */
		int64_t from, to;

		store_reader_window(r, &from, &to);
		e = an_timeline(r, a->id, from, to == INT64_MAX ? 0 : to, 0, &d.timeline);
	}
	if (!e)
		render_site(j, &d);
	an_sites_free(&d.sites);
	an_timeline_free(&d.timeline);
	return e;
}

static int run_leaks(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_leaks l = { 0 };
	int e = an_leaks_grouped(r, a->min_age_ns, a->limit, (enum an_group)a->group, &l);

	(void)err;
	if (!e)
		report_json_leaks(j, &l);
	an_leaks_free(&l);
	return e;
}

/* Held memory: the blocks the last scan found still reachable ([] without a scan). */
static int run_held(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_leaks l = { 0 };
	int e = an_held_grouped(r, a->min_age_ns, a->limit, (enum an_group)a->group, &l);

	(void)err;
	if (!e)
		report_json_leaks(j, &l);
	an_leaks_free(&l);
	return e;
}

static int run_hist(struct store_reader *r, const struct api_args *a, struct json *j, int lt)
{
	struct an_hist h = { 0 };
	int e = lt ? an_lifetimes(r, a->site, &h) : an_sizes(r, a->site, &h);

	if (!e)
		report_json_hist(j, &h, lt, store_reader_sample_bytes(r));
	return e;
}

static int run_lifetimes(struct store_reader *r, const struct api_args *a, struct json *j,
			 char *err)
{
	(void)err;
	return run_hist(r, a, j, 1);
}

static int run_sizes(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	(void)err;
	return run_hist(r, a, j, 0);
}

static int run_timeline(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_timeline t = { 0 };
	int e = an_timeline(r, a->site, a->from, a->to, a->resolution, &t);

	if (e == -E2BIG)
		snprintf(err, ERR_MAX, "too many timeline points: choose a larger resolution");
	if (!e)
		report_json_timeline(j, &t);
	an_timeline_free(&t);
	return e;
}

static int run_errors(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_errors x = { 0 };
	int e = an_errors(r, &x);

	(void)a, (void)err;
	if (!e)
		report_json_errors(j, &x);
	an_errors_free(&x);
	return e;
}

static int run_advice(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_advices x = { 0 };
	int e = an_advice(r, &x);

	(void)a, (void)err;
	if (!e)
		report_json_advice(j, &x);
	an_advices_free(&x);
	return e;
}

static int run_flame(struct store_reader *r, const struct api_args *a, struct json *j, char *err)
{
	struct an_sites_query q = { .group = AN_BY_STACK };
	struct flame_node root = { 0 };
	struct an_sites s = { 0 };
	int e = an_sites(r, &q, &s);

	(void)err;
	if (!e)
		e = flame_build(&s, (enum flame_weight)a->weight, &root);
	if (!e)
		flame_render(j, &root);
	flame_free(&root);
	an_sites_free(&s);
	return e;
}

static const struct route ROUTES[] = {
	{ "summary", NONE_P, 0, run_summary },
	{ "sites", SITES_P, 50, run_sites },
	{ "site", SITE_P, 0, run_site },
	{ "leaks", LEAKS_P, 100, run_leaks },
	{ "held", LEAKS_P, 100, run_held },
	{ "lifetimes", HIST_P, 0, run_lifetimes },
	{ "sizes", HIST_P, 0, run_sizes },
	{ "timeline", TIMELINE_P, 0, run_timeline },
	{ "errors", NONE_P, 0, run_errors },
	{ "advice", NONE_P, 0, run_advice },
	{ "flame", FLAME_P, 0, run_flame },
};

void api_error(unsigned status, const char *msg, struct api_reply *out)
{
	struct json *j = json_new_buffer(0);

	out->status = status;
	out->body = NULL;
	out->len = 0;
	if (!j)
		return;
	json_obj_begin(j);
	json_kv_str(j, "error", msg);
	json_obj_end(j);
	out->body = json_take_buffer(j, &out->len);
	json_free(j);
}

/* The HTTP status and message of a failed analysis. */
static void failure(int e, struct store_reader *r, char *err, struct api_reply *out)
{
	if (e == -ENOENT)
		api_error(404, err[0] ? err : "not found", out);
	else if (e == -EINVAL || e == -E2BIG || e == -ERANGE)
		api_error(400, err[0] ? err : "parameter out of range", out);
	else if (e == -EAGAIN) /* a window of a recording without its end */
		api_error(409, err, out);
	else if (e == -ENOMEM)
		api_error(503, "out of memory: try a smaller limit", out);
	else if (e == -EIO)
		api_error(500, store_reader_errmsg(r), out);
	else
		api_error(500, strerror(-e), out);
}

static const struct route *find_route(const char *name)
{
	for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++)
		if (!strcmp(ROUTES[i].name, name))
			return &ROUTES[i];
	return NULL;
}

/* alloc_fn=PATTERN[,PATTERN...]: -EINVAL (an empty pattern, too many) with the reason in err. */
static int set_alloc_fns(struct store_reader *r, const char *arg, char *err)
{
	char buf[PARAM_VALUE_MAX + 1], *save = NULL;
	const char *v[AN_ALLOC_FN_MAX];
	size_t n = 0;
	int e;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *p = strtok_r(buf, ",", &save); p && n < AN_ALLOC_FN_MAX;
	     p = strtok_r(NULL, ",", &save))
		v[n++] = p;
	e = n && !strstr(arg, ",,") && arg[0] != ',' && arg[strlen(arg) - 1] != ',' ?
		    store_reader_set_alloc_fns(r, v, n) :
		    -EINVAL;
	if (e == -EINVAL)
		snprintf(err, ERR_MAX,
			 "alloc_fn: comma-separated glob patterns of allocation wrappers (at most"
			 " %d), 'auto' or 'none'",
			 AN_ALLOC_FN_MAX);
	return e;
}

/* Runs the route with one writer; its text becomes the body. 0 or a negative errno. */
static int respond(const struct route *rt, struct store_reader *r, const struct api_args *a,
		   char *err, struct api_reply *out)
{
	struct json *j = json_new_buffer(0);
	int e = j ? rt->run(r, a, j, err) : -ENOMEM;

	if (!e) {
		out->body = json_take_buffer(j, &out->len);
		e = json_error(j);
		if (!e && !out->body)
			e = -ENOMEM;
	}
	json_free(j);
	return e;
}

void api_handle(const char *db_path, const char *route, const struct params *p,
		struct api_reply *out)
{
	const struct route *rt = find_route(route);
	struct api_args a = { .sort = -1 };
	struct store_reader *r = NULL;
	char err[ERR_MAX] = "";
	int e;

	if (!rt) {
		api_error(404, "no such API route (see /api/summary, /api/sites...)", out);
		return;
	}
	a.limit = rt->default_limit;
	if (params_parse(p, rt->params, &a, err, sizeof(err))) {
		api_error(400, err, out);
		return;
	}
	/* Opened per request: cheap next to a query, and each request sees the latest commit. */
	if (store_reader_open(db_path, &r, err, sizeof(err))) {
		api_error(503, err, out);
		return;
	}
	e = store_reader_set_pid(r, (int)a.pid);
	if (e == -ENOENT)
		snprintf(err, ERR_MAX, "no process %" PRId64 " in this recording", a.pid);
	if (!e && a.alloc_fn)
		e = set_alloc_fns(r, a.alloc_fn, err);
	if (!e && strcmp(rt->name, "timeline") && (a.from || a.to) &&
	    (e = store_reader_set_window(r, a.from, a.to)) != -EIO && e)
		snprintf(err, ERR_MAX, "from/to: %s", store_reader_errmsg(r));
	if (!e)
		e = respond(rt, r, &a, err, out);
	if (e) {
		failure(e, r, err, out);
	} else {
		out->status = 200;
	}
	store_reader_close(r);
}
