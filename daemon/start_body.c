/* The body of POST /api/recordings, read with json-c (apart from api.c: json-c's json_bool type
 * and report/json.h's json_bool() cannot share a file). */
#include "daemon/start_body.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* {"pid": N, "duration": S, "stack": "dwarf", "sample": B}: pid required, nothing else. */
int start_body_parse(const char *body, struct catalog_request *r, char *stack, size_t slen,
		     char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	struct json_object *o = body ? json_tokener_parse_verbose(body, &jerr) : NULL;
	int e = 0, has_pid = 0;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object {\"pid\": N, \"duration\": S, "
			 "\"stack\": \"dwarf|fp|caller\", \"sample\": BYTES}");
		json_object_put(o);
		return -EINVAL;
	}
	json_object_object_foreach(o, key, v)
	{
		enum json_type t = json_object_get_type(v);

		if (!strcmp(key, "pid") && t == json_type_int) {
			int64_t pid = json_object_get_int64(v);

			r->pid = pid > 0 && pid <= INT_MAX ? (int)pid : -1;
			has_pid = 1;
		} else if (!strcmp(key, "duration") && (t == json_type_int || t == json_type_double)) {
			r->duration_s = json_object_get_double(v);
		} else if (!strcmp(key, "sample") && t == json_type_int) {
			r->sample_bytes = json_object_get_int64(v);
		} else if (!strcmp(key, "stack") && t == json_type_string &&
			   json_object_get_string_len(v) < (int)slen) {
			snprintf(stack, slen, "%s", json_object_get_string(v));
			r->stack = stack;
		} else {
			snprintf(err, errlen, "unknown field or wrong type: \"%.64s\"", key);
			e = -EINVAL;
			break;
		}
	}
	if (!e && !has_pid) {
		snprintf(err, errlen, "\"pid\" is required");
		e = -EINVAL;
	}
	json_object_put(o);
	return e;
}

