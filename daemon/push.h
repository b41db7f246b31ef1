/* Pushes finished windows to a profiling backend as pprof, on a thread of its own, with retries:
 * a slow or absent backend never holds up recording. */
#ifndef HEAPSCOPE_DAEMON_PUSH_H
#define HEAPSCOPE_DAEMON_PUSH_H

#include <limits.h>

#include "daemon/catalog.h"
#include "daemon/config.h"

#define PUSH_QUEUE_MAX 64   /* windows waiting for their push; a full queue drops the newest */
#define PUSH_ATTEMPTS_MAX 4 /* the first attempt and 3 retries, after PUSH_BACKOFF_S */
#define PUSH_BACKOFF_S { 1, 5, 30 }

/* One finished window to push. */
struct push_job {
	char id[CATALOG_ID_MAX];
	char rule[CATALOG_RULE_MAX];
	int pid;
	char db_path[PATH_MAX];
	char url[CONFIG_PUSH_URL_MAX];
	char format[16]; /* "pyroscope" or "pprof" (config_rule.push_format) */
};

struct push;

/* Starts the pushing thread. 0 or -errno. */
int push_start(struct push **out);
/* Copies job into the queue and returns at once. 0, or -ENOSPC (queue full: logged). */
int push_queue(struct push *p, const struct push_job *job);
/* Lets pushes due now run for at most timeout_ms, abandons the rest (one line says how many),
 * joins the thread and frees. Accepts NULL. */
void push_stop(struct push *p, int timeout_ms);

/* The request a job makes: its URL into url (pyroscope: URL/ingest?name=heapscope.RULE{pid=N}
 * &from=..&until=..&format=pprof; pprof: URL itself) and the Content-Type. 0 or -ENAMETOOLONG. */
int push_request_url(const struct push_job *job, long long from_s, long long until_s, char *url,
		     size_t len);

#endif
