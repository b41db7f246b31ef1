/* `heapscope ctl`'s reading of the daemon's JSON answers, with json-c (apart from ctl.c: json-c's
 * json_bool type and report/json.h's json_bool() cannot share a file). */
#include "daemon/ctl_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* body parsed, if it is an object (put it); NULL otherwise. */
static struct json_object *parse_object(const char *body)
{
	struct json_object *o = body ? json_tokener_parse(body) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int ctl_json_string(const char *body, const char *key, char *out, size_t len)
{
	struct json_object *o = parse_object(body), *v;
	int e = -ENOENT;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)) {
		snprintf(out, len, "%s", json_object_get_string(v));
		e = 0;
	}
	json_object_put(o);
	return e;
}

/* A string member into out[len]: "" when absent or null; -EINVAL when of another type. */
static int take_string(struct json_object *row, const char *key, char *out, size_t len)
{
	struct json_object *v;

	out[0] = '\0';
	if (!json_object_object_get_ex(row, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	snprintf(out, len, "%s", json_object_get_string(v));
	return 0;
}

/* An integer member: -1 when absent or null; -EINVAL when not an integer. */
static int take_int(struct json_object *row, const char *key, int64_t *out)
{
	struct json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(row, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_int64(v);
	return 0;
}

/* A number member (an integer is one too): -1 when absent or null. */
static int take_number(struct json_object *row, const char *key, double *out)
{
	struct json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(row, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return -EINVAL;
	*out = json_object_get_double(v);
	return 0;
}

static int take_row(struct json_object *row, struct ctl_recording *r)
{
	if (!json_object_is_type(row, json_type_object))
		return -EINVAL;
	if (take_string(row, "id", r->id, sizeof(r->id)) ||
	    take_string(row, "state", r->state, sizeof(r->state)) ||
	    take_string(row, "rule", r->rule, sizeof(r->rule)) || take_int(row, "pid", &r->pid) ||
	    take_int(row, "start_ns", &r->start_ns) || take_int(row, "size_bytes", &r->size_bytes) ||
	    take_int(row, "allocs", &r->allocs) || take_int(row, "live_bytes", &r->live_bytes) ||
	    take_int(row, "errors", &r->errors) || take_int(row, "sample_bytes", &r->sample_bytes) ||
	    take_number(row, "duration_s", &r->duration_s))
		return -EINVAL;
	return 0;
}

int ctl_json_recordings(const char *body, struct ctl_recording **rows)
{
	struct json_object *o = parse_object(body), *list;
	size_t n = 0;
	int e = -EINVAL;

	*rows = NULL;
	if (!o || !json_object_object_get_ex(o, "recordings", &list) ||
	    !json_object_is_type(list, json_type_array))
		goto out;
	n = json_object_array_length(list);
	if (n && !(*rows = calloc(n, sizeof(**rows)))) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (take_row(json_object_array_get_idx(list, i), &(*rows)[i]))
			goto out;
	e = (int)n;
out:
	if (e < 0) {
		free(*rows);
		*rows = NULL;
	}
	json_object_put(o);
	return e;
}
