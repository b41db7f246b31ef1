/* The daemon's routes. Every parameter goes through server/params.c's checks and every body
 * through json-c with a fixed set of fields: unknown ones are refused, never ignored. */
#include "daemon/api.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/scan_client.h"
#include "daemon/procs.h"
#include "daemon/start_body.h"
#include "report/diff.h"
#include "report/json.h"
#include "report/report.h"
#include "server/api.h"
#include "server/params.h"
#include "store/snapshot.h"

#define ERR_MAX 1024
#define TREND_WINDOWS_MAX 1000

static const char *const STATES[] = { [CAT_RUNNING] = "running",
				      [CAT_ENDED] = "ended",
				      [CAT_CUT_SHORT] = "cut_short",
				      [CAT_UNREADABLE] = "unreadable" };

static void reply_error(struct server_reply *out, unsigned status, const char *msg)
{
	struct api_reply a;

	api_error(status, msg, &a);
	out->status = a.status;
	out->body = a.body;
	out->len = a.len;
}

/* Takes j's text as the 200/201 body; j is freed. */
static void reply_json(struct server_reply *out, unsigned status, struct json *j)
{
	int e;

	out->body = json_take_buffer(j, &out->len);
	e = json_free(j);
	if (e || !out->body) {
		free(out->body);
		reply_error(out, 503, "out of memory");
		return;
	}
	out->status = status;
}

static int method_is(const struct server_request *rq, const char *m)
{
	return !strcmp(rq->method, m) || (!strcmp(m, "GET") && !strcmp(rq->method, "HEAD"));
}

/* v, or null when unknown (an unreadable file says nothing: 0 would read as a measurement). */
static void kv_known(struct json *j, const char *key, int64_t v, int known)
{
	if (known)
		json_kv_int(j, key, v);
	else
		json_kv_null(j, key);
}

static void recording_json(struct json *j, const struct catalog_entry *e)
{
	const struct catalog_stats *s = &e->stats;
	int known = e->state != CAT_UNREADABLE;

	json_obj_begin(j);
	json_kv_str(j, "id", e->id);
	json_kv_str(j, "state", STATES[e->state]);
	kv_known(j, "pid", e->pid, e->pid > 0);
	json_kv_str(j, "rule", e->rule[0] ? e->rule : NULL);
	json_kv_str(j, "mode", "attach");
	json_kv_int(j, "start_ns", e->start_ns);
	json_kv_int(j, "size_bytes", e->size_bytes);
	json_kv_int(j, "recorder_exit_status", e->exit_status);
	json_kv_bool(j, "readable", s->valid);
	json_kv_str(j, "read_error", e->state == CAT_UNREADABLE ? s->error : NULL);
	json_kv_str(j, "command", s->valid ? s->command : NULL);
	json_kv_str(j, "stack", s->valid ? s->stack : NULL);
	kv_known(j, "sample_bytes", s->sample_bytes, known);
	json_kv_bool(j, "estimated", s->sample_bytes > 0);
	if (known)
		json_kv_double(j, "duration_s", (double)s->duration_ns / 1e9);
	else
		json_kv_null(j, "duration_s");
	json_kv_str(j, "end_reason", s->end_reason[0] ? s->end_reason : NULL);
	kv_known(j, "processes", s->nprocs, known);
	kv_known(j, "allocs", s->allocs, known);
	kv_known(j, "frees", s->frees, known);
	kv_known(j, "live_blocks", s->live_blocks, known);
	kv_known(j, "live_bytes", s->live_bytes, known);
	kv_known(j, "errors", s->errors, known);
	json_obj_end(j);
}

static void get_daemon(struct daemon_api *d, struct server_reply *out)
{
	struct json *j = json_new_buffer(0);
	char host[256] = "";

	if (!j)
		return reply_error(out, 503, "out of memory");
	gethostname(host, sizeof(host) - 1);
	json_obj_begin(j);
	json_kv_bool(j, "daemon", 1);
	json_kv_str(j, "version", HEAPSCOPE_VERSION);
	json_kv_str(j, "hostname", host);
	json_kv_str(j, "data_dir", d->data_dir);
	json_kv_int(j, "running_max", d->running_max);
	json_obj_end(j);
	reply_json(out, 200, j);
}

static void get_processes(struct daemon_api *d, struct server_reply *out)
{
	struct json *j = json_new_buffer(0);

	if (!j)
		return reply_error(out, 503, "out of memory");
	procs_json(j, d->catalog);
	reply_json(out, 200, j);
}

/* {"KEY": [...]} with each(j, d, list, n) writing the elements from the catalog's list (its
 * files read now when fresh, else as last known). */
static void reply_catalog(struct daemon_api *d, struct server_reply *out, const char *key,
			  int fresh,
			  void (*each)(struct json *, struct daemon_api *, struct catalog_entry *,
				       int))
{
	struct catalog_entry *list;
	int n = fresh ? catalog_list(d->catalog, &list) : catalog_snapshot(d->catalog, &list);
	struct json *j;

	if (n < 0 || !(j = json_new_buffer(0))) {
		if (n >= 0)
			free(list);
		return reply_error(out, 503, "out of memory");
	}
	json_obj_begin(j);
	json_key(j, key);
	json_arr_begin(j);
	each(j, d, list, n);
	json_arr_end(j);
	json_obj_end(j);
	free(list);
	reply_json(out, 200, j);
}

static void each_recording(struct json *j, struct daemon_api *d, struct catalog_entry *list,
			   int n)
{
	(void)d;
	for (int i = 0; i < n; i++)
		recording_json(j, &list[i]);
}

static void get_recordings(struct daemon_api *d, struct server_reply *out)
{
	reply_catalog(d, out, "recordings", 1, each_recording);
}

static unsigned start_status(int e)
{
	switch (e) {
	case -EINVAL: return 400;
	case -ESRCH: return 404;
	case -EBUSY: return 409;
	case -EDQUOT: return 409; /* a limit, as running_max: the client's to resolve */
	case -ECHILD: return 422; /* the recorder ran and refused: its reason */
	case -ENOENT: return 409; /* deleted while its recorder attached */
	default: return 500;
	}
}

static void post_recording(struct daemon_api *d, const struct server_request *rq,
			   struct server_reply *out)
{
	struct catalog_request r = { .stack = "dwarf" };
	char id[CATALOG_ID_MAX], stack[16], err[ERR_MAX];
	struct json *j;
	int e;

	if (rq->params->n)
		return reply_error(out, 400, "POST /api/recordings takes a JSON body, no parameters");
	e = start_body_parse(rq->body, &r, stack, sizeof(stack), err, sizeof(err));
	if (!e)
		e = catalog_start(d->catalog, &r, id, err, sizeof(err));
	if (e)
		return reply_error(out, e == -EINVAL ? 400 : start_status(e), err);
	if (!(j = json_new_buffer(0)))
		return reply_error(out, 503, "out of memory");
	json_obj_begin(j);
	json_kv_str(j, "id", id);
	json_obj_end(j);
	reply_json(out, 201, j);
}

static void recording_reply(struct daemon_api *d, const char *id, struct server_reply *out)
{
	struct catalog_entry e;
	struct json *j;

	if (catalog_get(d->catalog, id, &e))
		return reply_error(out, 404, "no such recording");
	if (!(j = json_new_buffer(0)))
		return reply_error(out, 503, "out of memory");
	recording_json(j, &e);
	reply_json(out, 200, j);
}

static void delete_recording(struct daemon_api *d, const char *id, struct server_reply *out)
{
	struct json *j;

	if (catalog_delete(d->catalog, id))
		return reply_error(out, 404, "no such recording");
	if (!(j = json_new_buffer(0)))
		return reply_error(out, 503, "out of memory");
	json_obj_begin(j);
	json_kv_str(j, "id", id);
	json_kv_bool(j, "deleted", 1);
	json_obj_end(j);
	reply_json(out, 200, j);
}

static void stop_recording(struct daemon_api *d, const char *id, struct server_reply *out)
{
	int e = catalog_stop(d->catalog, id);

	if (e == -ENOENT)
		return reply_error(out, 404, "no such recording");
	if (e == -EALREADY)
		return reply_error(out, 409, "the recording has already ended");
	recording_reply(d, id, out);
}

/* Scan now: asks the recording's recorder (its control socket) for a reachability scan of the
 * traced process; the answer is the scan's JSON (stop_ns: how long the process stood still). */
static void scan_recording(struct daemon_api *d, const char *id, struct server_reply *out)
{
	char answer[4096], msg[4200];
	struct catalog_entry e;
	int err;

	if (catalog_get(d->catalog, id, &e))
		return reply_error(out, 404, "no such recording");
	if (e.state != CAT_RUNNING || e.child <= 0)
		return reply_error(out, 409, "the recording has ended: a scan needs the live process "
					     "and its recorder");
	err = record_scan_ask(e.child, e.pid, 1, answer, sizeof(answer));
	if (err) {
		snprintf(msg, sizeof(msg), "scan failed: %s", answer);
		return reply_error(out, err == -ESRCH ? 409 : err == -ETIMEDOUT ? 504 : 500, msg);
	}
	out->body = strdup(answer);
	out->len = out->body ? strlen(answer) : 0;
	out->status = out->body ? 200 : 503;
}

static const char *const DOWNLOADS[] = { "db", "pprof", "html", "json", "csv", "text", NULL };
static const char *const DOWNLOAD_TYPES[] = { "application/vnd.sqlite3",
					      "application/octet-stream",
					      "text/html; charset=utf-8",
					      "application/json",
					      "text/csv; charset=utf-8",
					      "text/plain; charset=utf-8" };
static const char *const DOWNLOAD_EXTS[] = { "db", "pb.gz", "html", "json", "csv", "txt" };

/* An unlinked file in the data dir, to render or copy into. */
static int scratch_file(const struct daemon_api *d, char *path, size_t len)
{
	int fd;

	snprintf(path, len, "%s/.download-XXXXXX", d->data_dir);
	fd = mkostemp(path, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int render_download(const struct daemon_api *d, const char *db, int format, int *fd_out,
			   char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd = scratch_file(d, tmp, sizeof(tmp)), e;
	FILE *f;

	if (fd < 0) {
		snprintf(err, errlen, "cannot make a file in %s: %s", d->data_dir, strerror(-fd));
		return fd;
	}
	if (format == 0) {
		e = store_snapshot(db, tmp, err, errlen);
	} else {
		f = fdopen(dup(fd), "w");
		e = f ? report_export(db, DOWNLOADS[format], f, err, errlen) : -errno;
		if (f && fclose(f) && !e)
			e = -errno;
	}
	unlink(tmp);
	if (e) {
		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

static void download(struct daemon_api *d, const char *id, const struct params *p,
		     struct server_reply *out)
{
	struct {
		int format;
	} a = { 0 };
	static const struct param_spec spec[] = {
		{ "format", P_ENUM, 0, 0, DOWNLOADS, offsetof(__typeof__(a), format), 1 },
		{ NULL },
	};
	char path[PATH_MAX], err[ERR_MAX];
	int fd, e;

	if ((e = catalog_read_path(d->catalog, id, path, sizeof(path), err, sizeof(err))))
		return reply_error(out, e == -EIO ? 409 : 404,
				   e == -EIO ? err : "no such recording");
	if (params_parse(p, spec, &a, err, sizeof(err)))
		return reply_error(out, 400, err);
	if (render_download(d, path, a.format, &fd, err, sizeof(err)))
		return reply_error(out, 503, err);
	out->status = 200;
	out->fd = fd;
	out->type = DOWNLOAD_TYPES[a.format];
	snprintf(out->filename, sizeof(out->filename), "heapscope-%s.%s", id,
		 DOWNLOAD_EXTS[a.format]);
}

/* recordings/ID[/REST]: the id into id, REST (or "") returned. NULL: no valid id. */
static const char *split_id(const char *route, char id[CATALOG_ID_MAX])
{
	const char *slash = strchr(route, '/');
	size_t n = slash ? (size_t)(slash - route) : strlen(route);

	if (n == 0 || n >= CATALOG_ID_MAX)
		return NULL;
	memcpy(id, route, n);
	id[n] = 0;
	return slash ? slash + 1 : "";
}

static void analysis(struct daemon_api *d, const char *id, const char *route,
		     const struct params *p, struct server_reply *out)
{
	char path[PATH_MAX], err[ERR_MAX];
	struct api_reply a;
	int e;

	/* An unreadable one (garbage in recordings/): 409, as its state says, for every view. */
	if ((e = catalog_read_path(d->catalog, id, path, sizeof(path), err, sizeof(err))))
		return reply_error(out, e == -EIO ? 409 : 404,
				   e == -EIO ? err : "no such recording");
	if (access(path, F_OK))
		return reply_error(out, 503, "the recording has no file yet: its recorder is "
					     "attaching");
	api_handle(path, route, p, &a);
	out->status = a.status;
	out->body = a.body;
	out->len = a.len;
}

static void one_recording(struct daemon_api *d, const struct server_request *rq,
			  const char *route, struct server_reply *out)
{
	char id[CATALOG_ID_MAX];
	const char *rest = split_id(route, id);

	if (!rest)
		return reply_error(out, 404, "no such recording");
	if (!*rest && method_is(rq, "GET"))
		return recording_reply(d, id, out);
	if (!*rest && method_is(rq, "DELETE"))
		return delete_recording(d, id, out);
	if (!strcmp(rest, "stop") && method_is(rq, "POST"))
		return stop_recording(d, id, out);
	if (!strcmp(rest, "scan") && method_is(rq, "POST"))
		return scan_recording(d, id, out);
	if (!method_is(rq, "GET"))
		return reply_error(out, 405, "method not allowed on this route");
	if (!strcmp(rest, "download"))
		return download(d, id, rq->params, out);
	analysis(d, id, rest, rq->params, out);
}

struct diff_args {
	const char *a, *b;
	int64_t a_from, a_to, b_from, b_to;
};

static void get_diff(struct daemon_api *d, const struct params *p, struct server_reply *out)
{
	static const struct param_spec spec[] = {
		{ "a", P_STR, 0, CATALOG_ID_MAX, NULL, offsetof(struct diff_args, a), 1 },
		{ "b", P_STR, 0, CATALOG_ID_MAX, NULL, offsetof(struct diff_args, b), 1 },
		{ "a_from", P_SECONDS, 0, 0, NULL, offsetof(struct diff_args, a_from), 0 },
		{ "a_to", P_SECONDS, 0, 0, NULL, offsetof(struct diff_args, a_to), 0 },
		{ "b_from", P_SECONDS, 0, 0, NULL, offsetof(struct diff_args, b_from), 0 },
		{ "b_to", P_SECONDS, 0, 0, NULL, offsetof(struct diff_args, b_to), 0 },
		{ NULL },
	};
	struct diff_args a = { .a_from = -1, .a_to = -1, .b_from = -1, .b_to = -1 };
	char pa[PATH_MAX], pb[PATH_MAX], err[ERR_MAX];
	struct diff_side sa, sb;
	int e;

	if (params_parse(p, spec, &a, err, sizeof(err)))
		return reply_error(out, 400, err);
	if ((e = catalog_read_path(d->catalog, a.a, pa, sizeof(pa), err, sizeof(err))) ||
	    (e = catalog_read_path(d->catalog, a.b, pb, sizeof(pb), err, sizeof(err))))
		return reply_error(out, e == -EIO ? 409 : 404,
				   e == -EIO ? err : "no such recording");
	sa = (struct diff_side){ pa, a.a, a.a_from, a.a_to };
	sb = (struct diff_side){ pb, a.b, a.b_from, a.b_to };
	out->status = 200;
	e = diff_render_json(&sa, &sb, &out->body, &out->len, err, sizeof(err));
	if (e)
		reply_error(out, e == -EINVAL ? 400 : 500, err);
}

static const struct config_rule *find_rule(const struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nrules; i++)
		if (!strcmp(cfg->rules[i].name, name))
			return &cfg->rules[i];
	return NULL;
}

/* A rule's recordings now: how many windows are kept, which pids are being recorded. */
static void rule_json(struct json *j, const struct config_rule *r, const struct catalog_entry *list,
		      int n)
{
	int windows = 0;

	json_obj_begin(j);
	json_kv_str(j, "name", r->name);
	json_kv_str(j, "comm", r->comm[0] ? r->comm : NULL);
	json_kv_str(j, "cgroup", r->cgroup[0] ? r->cgroup : NULL);
	json_kv_double(j, "window_s", r->window_s);
	json_kv_int(j, "sample_bytes", r->sample_bytes);
	json_kv_bool(j, "estimated", r->sample_bytes > 0);
	json_kv_str(j, "stack", r->stack);
	json_kv_int(j, "keep", r->keep);
	json_kv_int(j, "keep_bytes", r->keep_bytes);
	json_kv_bool(j, "push", r->push_url[0] != 0); /* the URL may hold credentials */
	json_key(j, "recording_pids");
	json_arr_begin(j);
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i].rule, r->name))
			continue;
		if (list[i].state == CAT_RUNNING)
			json_int(j, list[i].pid);
		else
			windows++;
	}
	json_arr_end(j);
	json_kv_int(j, "windows", windows);
	json_obj_end(j);
}

static void each_rule(struct json *j, struct daemon_api *d, struct catalog_entry *list, int n)
{
	for (int i = 0; i < d->cfg->nrules; i++)
		rule_json(j, &d->cfg->rules[i], list, n);
}

static void get_rules(struct daemon_api *d, struct server_reply *out)
{
	reply_catalog(d, out, "rules", 0, each_rule);
}

struct trend_args {
	const char *rule;
	int64_t top;
};

/* The rule's ended windows, oldest first: paths and ids into the arrays. */
static int rule_windows(struct daemon_api *d, const char *rule, char (*paths)[PATH_MAX],
			char (*ids)[CATALOG_ID_MAX])
{
	struct catalog_entry *list;
	int n = catalog_snapshot(d->catalog, &list), k = 0;

	for (int i = 0; i < n && k < TREND_WINDOWS_MAX; i++) {
		/* an unreadable window has no trend point: left out, not a failed trend */
		if (strcmp(list[i].rule, rule) || list[i].state == CAT_RUNNING ||
		    list[i].state == CAT_UNREADABLE)
			continue;
		if (catalog_path(d->catalog, list[i].id, paths[k], PATH_MAX))
			continue;
		snprintf(ids[k++], CATALOG_ID_MAX, "%s", list[i].id);
	}
	if (n >= 0)
		free(list);
	return k;
}

static void get_trend(struct daemon_api *d, const struct params *p, struct server_reply *out)
{
	static const struct param_spec spec[] = {
		{ "rule", P_STR, 0, CATALOG_RULE_MAX, NULL, offsetof(struct trend_args, rule), 1 },
		{ "top", P_INT, 1, 100, NULL, offsetof(struct trend_args, top), 0 },
		{ NULL },
	};
	struct trend_args a = { .top = 10 };
	char(*paths)[PATH_MAX] = malloc(TREND_WINDOWS_MAX * sizeof(*paths));
	char(*ids)[CATALOG_ID_MAX] = malloc(TREND_WINDOWS_MAX * sizeof(*ids));
	const char **pv = malloc(TREND_WINDOWS_MAX * sizeof(*pv));
	const char **lv = malloc(TREND_WINDOWS_MAX * sizeof(*lv));
	char err[ERR_MAX];
	int n;

	if (!paths || !ids || !pv || !lv)
		reply_error(out, 503, "out of memory");
	else if (params_parse(p, spec, &a, err, sizeof(err)))
		reply_error(out, 400, err);
	else if (!find_rule(d->cfg, a.rule))
		reply_error(out, 404, "no such rule in the daemon's config file");
	else {
		n = rule_windows(d, a.rule, paths, ids);
		for (int i = 0; i < n; i++) {
			pv[i] = paths[i];
			lv[i] = ids[i];
		}
		out->status = 200;
		if (diff_trend_json(pv, lv, n, (int)a.top, &out->body, &out->len, err,
				    sizeof(err)))
			reply_error(out, 500, err);
	}
	free(paths);
	free(ids);
	free(pv);
	free(lv);
}

static void no_params(const struct params *p, void (*fn)(struct daemon_api *, struct server_reply *),
		      struct daemon_api *d, struct server_reply *out)
{
	if (p->n)
		return reply_error(out, 400, "this route takes no parameters");
	fn(d, out);
}

void daemon_api_handle(void *ctx, const struct server_request *rq, struct server_reply *out)
{
	struct daemon_api *d = ctx;
	const char *r = rq->route;
	int get = method_is(rq, "GET");

	out->fd = -1;
	if (rq->params->overflow)
		return reply_error(out, 400, "too many parameters");
	if (!strcmp(r, "recordings") && !strcmp(rq->method, "POST"))
		return post_recording(d, rq, out);
	if (!strncmp(r, "recordings/", 11))
		return one_recording(d, rq, r + 11, out);
	if (!get && (!strcmp(r, "daemon") || !strcmp(r, "processes") ||
		     !strcmp(r, "recordings") || !strcmp(r, "diff") || !strcmp(r, "trend") ||
		     !strcmp(r, "rules")))
		return reply_error(out, 405, "method not allowed on this route");
	if (!strcmp(r, "daemon"))
		return no_params(rq->params, get_daemon, d, out);
	if (!strcmp(r, "processes"))
		return no_params(rq->params, get_processes, d, out);
	if (!strcmp(r, "recordings"))
		return no_params(rq->params, get_recordings, d, out);
	if (!strcmp(r, "rules"))
		return no_params(rq->params, get_rules, d, out);
	if (!strcmp(r, "diff"))
		return get_diff(d, rq->params, out);
	if (!strcmp(r, "trend"))
		return get_trend(d, rq->params, out);
	reply_error(out, 404, "no such API route (see /api/recordings, /api/processes)");
}
