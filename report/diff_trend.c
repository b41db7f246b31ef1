/* The trend across a series of recordings (a rule's rotating windows, oldest first): the live
 * bytes and blocks at the end of each, for the sites holding the most. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/diff_priv.h"
#include "report/json.h"
#include "report/report.h"

static int64_t max_live(const struct diff_site *s, int n)
{
	int64_t m = 0;

	for (int i = 0; i < n; i++)
		if (s->c[i].live_bytes > m)
			m = s->c[i].live_bytes;
	return m;
}

/* The number of windows, passed to qsort_r: no file-level state (server threads). */
static int cmp_trend(const void *x, const void *y, void *arg)
{
	const struct diff_site *s = x, *u = y;
	int n = *(const int *)arg;
	int64_t a = s->c[n - 1].live_bytes, b = u->c[n - 1].live_bytes;

	if (a == b) {
		a = max_live(s, n);
		b = max_live(u, n);
	}
	if (a != b)
		return a > b ? -1 : 1;
	return strcmp(s->key, u->key);
}

static void window_json(struct json *j, const struct diff_meta *m)
{
	json_obj_begin(j);
	json_kv_str(j, "label", m->label);
	json_kv_str(j, "path", m->path);
	json_kv_int(j, "start_ns", m->summary.start_time_ns);
	json_kv_int(j, "duration_ns", m->summary.duration_ns);
	json_kv_str(j, "end_reason", m->summary.end_reason);
	json_kv_bool(j, "estimated", m->sample_bytes > 0);
	json_kv_int(j, "live_blocks", m->totals.live_blocks);
	json_kv_int(j, "live_bytes", m->totals.live_bytes);
	json_obj_end(j);
}

static void series_json(struct json *j, const char *key, const struct diff_site *s, int n,
			int bytes)
{
	json_key(j, key);
	json_arr_begin(j);
	for (int i = 0; i < n; i++)
		json_int(j, bytes ? s->c[i].live_bytes : s->c[i].live_blocks);
	json_arr_end(j);
}

static void site_json(struct json *j, const struct diff_site *s, int n)
{
	json_obj_begin(j);
	json_kv_str(j, "key", s->key);
	json_kv_str(j, "function", s->stack.depth ? s->stack.frames[0].function : NULL);
	json_key(j, "frames");
	json_arr_begin(j);
	for (int i = 0; i < s->stack.depth; i++) {
		json_obj_begin(j);
		json_kv_str(j, "function", s->stack.frames[i].function);
		report_json_frame_place(j, &s->stack.frames[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
	series_json(j, "live_bytes", s, n, 1);
	series_json(j, "live_blocks", s, n, 0);
	json_obj_end(j);
}

static void trend_json(struct json *j, const struct diff_meta *m, const struct diff_table *t,
		       int top)
{
	size_t shown = 0;

	json_obj_begin(j);
	json_key(j, "windows");
	json_arr_begin(j);
	for (int i = 0; i < t->nsides; i++)
		window_json(j, &m[i]);
	json_arr_end(j);
	json_key(j, "sites");
	json_arr_begin(j);
	/* Sorted: the sites that never held live bytes come last, and are left out. */
	for (size_t i = 0; i < t->n && (top <= 0 || shown < (size_t)top); i++) {
		if (!max_live(&t->v[i], t->nsides))
			break;
		site_json(j, &t->v[i], t->nsides);
		shown++;
	}
	json_arr_end(j);
	json_obj_end(j);
}

static int render(const struct diff_meta *m, struct diff_table *t, int top, char **out, size_t *len)
{
	struct json *j = json_new_buffer(0);
	int e;

	if (!j)
		return -ENOMEM;
	if (t->n) /* v is NULL then, which qsort_r must not be given even for 0 */
		qsort_r(t->v, t->n, sizeof(*t->v), cmp_trend, &t->nsides);
	trend_json(j, m, t, top);
	e = json_error(j);
	*out = e ? NULL : json_take_buffer(j, len);
	if (!e && !*out)
		e = -ENOMEM;
	json_free(j);
	return e;
}

int diff_trend_json(const char *const *db_paths, const char *const *labels, int n, int top,
		    char **out, size_t *len, char *err, size_t errlen)
{
	struct diff_table t = { .nsides = n };
	struct diff_meta *m;
	int e = 0, loaded = 0;

	*out = NULL;
	if (n < 0) {
		snprintf(err, errlen, "trend: a negative number of recordings");
		return -EINVAL;
	}
	m = calloc(n ? (size_t)n : 1, sizeof(*m)); /* none (a rule without windows yet): empty */
	if (!m)
		return -ENOMEM;
	for (; loaded < n && !e; loaded++) {
		struct diff_side side = { db_paths[loaded], labels ? labels[loaded] : NULL, -1,
					  -1 };

		e = diff_load_side(&side, loaded, &t, &m[loaded], err, errlen);
	}
	if (!e)
		e = diff_table_fold(&t);
	if (!e) {
		e = render(m, &t, top, out, len);
		if (e)
			snprintf(err, errlen, "trend: %s", strerror(-e));
	}
	for (int i = 0; i < loaded; i++)
		diff_meta_free(&m[i]);
	free(m);
	diff_table_free(&t);
	return e;
}
