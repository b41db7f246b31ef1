/* Reading the daemon API's answers for `heapscope ctl`: its error lines, a new recording's id
 * and the recordings list, with json-c (kept out of ctl.c, whose includes may reach report/). */
#ifndef HEAPSCOPE_DAEMON_CTL_JSON_H
#define HEAPSCOPE_DAEMON_CTL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/catalog.h"

/* One row of GET /api/recordings as ctl list prints it; what the JSON gives as null (or not at
 * all) is "" for a string and -1 for a number. */
struct ctl_recording {
	char id[CATALOG_ID_MAX];
	char state[16];
	char rule[CATALOG_RULE_MAX];
	int64_t pid, start_ns, size_bytes, allocs, live_bytes, errors, sample_bytes;
	double duration_s;
};

/* The string member key of the JSON object body, copied into out[len] (cut to fit). 0; -ENOENT
 * when body is not a JSON object, has no such member or it is not a string. */
int ctl_json_string(const char *body, const char *key, char *out, size_t len);

/* {"recordings": [{...}, ...]} into *rows (malloc'd, the caller frees; NULL when there are none).
 * Returns how many; -EINVAL when body is not of that shape (a member of the wrong type
 * included), -ENOMEM. */
int ctl_json_recordings(const char *body, struct ctl_recording **rows);

#endif
