/* The push queue: one thread renders each finished window as pprof (report_export) and POSTs it,
 * retrying a failure after 1, 5 and 30 s; every failure is one line on stderr. */
#include "daemon/push.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/http_client.h"
#include "report/report.h"
#include "store/analysis.h"

/* A job in the queue: rendered at its first attempt, the same body sent on every retry (the
 * window's file may be deleted by retention meanwhile). */
struct pending {
	struct push_job job;
	int attempts;	   /* made so far */
	int64_t due_ns;	   /* CLOCK_MONOTONIC */
	char *body;	   /* the gzipped pprof, NULL until rendered */
	size_t body_len;
	long long from_s, until_s;
};

struct push {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	struct pending queue[PUSH_QUEUE_MAX];
	int n;
	int stopping;
	atomic_int cancel; /* abandons the request in flight */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec timespec_of(int64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

int push_request_url(const struct push_job *job, long long from_s, long long until_s, char *url,
		     size_t len)
{
	size_t base = strlen(job->url);
	int n;

	if (strcmp(job->format, "pyroscope"))
		n = snprintf(url, len, "%s", job->url);
	else {
		if (base && job->url[base - 1] == '/')
			base--; /* "http://host:4040/" and "http://host:4040" alike */
		/* the name heapscope.RULE{pid=N}, its braces and '=' percent-encoded (a rule's name
		 * is letters, digits, '_', '.' and '-': nothing to encode) */
		n = snprintf(url, len,
			     "%.*s/ingest?name=heapscope.%s%%7Bpid%%3D%d%%7D&from=%lld&until=%lld"
			     "&format=pprof",
			     (int)base, job->url, job->rule, job->pid, from_s, until_s);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The window's time span, whole seconds around it, from its summary. */
static int window_span(const char *db_path, long long *from_s, long long *until_s, char *err,
		       size_t errlen)
{
	struct an_summary s = { 0 };
	struct store_reader *r;
	int e = store_reader_open(db_path, &r, err, errlen);

	if (e)
		return e;
	e = an_summary(r, &s);
	if (e)
		snprintf(err, errlen, "cannot read %s: %s", db_path,
			 e == -EIO ? store_reader_errmsg(r) : strerror(-e));
	else {
		*from_s = s.start_time_ns / 1000000000;
		*until_s = (s.start_time_ns + s.duration_ns + 999999999) / 1000000000;
	}
	an_summary_free(&s);
	store_reader_close(r);
	return e;
}

static int render(struct pending *pd, char *err, size_t errlen)
{
	FILE *f;
	int e = window_span(pd->job.db_path, &pd->from_s, &pd->until_s, err, errlen);

	if (e)
		return e;
	f = open_memstream(&pd->body, &pd->body_len);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e = report_export(pd->job.db_path, "pprof", f, err, errlen);
	if (fclose(f) && !e) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	}
	return e;
}

/* One POST of the rendered body. 0 on a 2xx, else -errno with the reason in err. */
static int post(struct push *p, const struct pending *pd, char *err, size_t errlen)
{
	char url[CONFIG_PUSH_URL_MAX + 256];
	struct http_request rq = { .method = "POST",
				   .url = url,
				   .content_type = "application/octet-stream",
				   .body = pd->body,
				   .body_len = pd->body_len,
				   .cancel = &p->cancel };
	struct http_response resp;
	int e = push_request_url(&pd->job, pd->from_s, pd->until_s, url, sizeof(url));

	if (e) {
		snprintf(err, errlen, "the push URL is too long");
		return e;
	}
	e = http_request(&rq, &resp, err, errlen);
	if (!e && (resp.status < 200 || resp.status > 299)) {
		/* the backend's own words, cut to one line */
		const char *said = resp.body ? resp.body : "";
		int line = (int)strcspn(said, "\r\n");

		snprintf(err, errlen, "HTTP %ld%s%.*s", resp.status, line ? ": " : "",
			 line < 200 ? line : 200, said);
		e = -EPROTO;
	}
	http_response_free(&resp);
	return e;
}

/* Renders (first time) and sends; says what happened in one line. 0, -EAGAIN (retry later)
 * or another -errno (give up). */
static int attempt(struct push *p, struct pending *pd)
{
	static const int backoff_s[] = PUSH_BACKOFF_S;
	const struct push_job *j = &pd->job;
	char err[PATH_MAX + 1024];
	int e = 0;

	if (!pd->body)
		e = render(pd, err, sizeof(err));
	if (e) {
		fprintf(stderr, "heapscope: push of window %s (rule %s): cannot render it: %s\n",
			j->id, j->rule, err);
		return e;
	}
	pd->attempts++;
	e = post(p, pd, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "heapscope: pushed window %s (rule %s, pid %d) to %s: %zu bytes\n",
			j->id, j->rule, j->pid, j->url, pd->body_len);
		return 0;
	}
	if (pd->attempts < PUSH_ATTEMPTS_MAX && e != -ECANCELED) {
		fprintf(stderr, "heapscope: push of window %s (rule %s) to %s failed: %s; retry in %d s\n",
			j->id, j->rule, j->url, err, backoff_s[pd->attempts - 1]);
		pd->due_ns = now_ns() + (int64_t)backoff_s[pd->attempts - 1] * 1000000000;
		return -EAGAIN;
	}
	fprintf(stderr, "heapscope: push of window %s (rule %s) to %s failed: %s; giving up after %d attempts\n",
		j->id, j->rule, j->url, err, pd->attempts);
	return e;
}

/* The index of the job due first, -1 if none. Under the lock. */
static int first_due(const struct push *p)
{
	int best = -1;

	for (int i = 0; i < p->n; i++)
		if (best < 0 || p->queue[i].due_ns < p->queue[best].due_ns)
			best = i;
	return best;
}

static void drop(struct push *p, int i)
{
	free(p->queue[i].body);
	p->queue[i] = p->queue[--p->n];
}

/* Takes the next job due now into *pd, waiting for it. 0, or -ESHUTDOWN when stopping and
 * nothing is due. Under the lock. */
static int next_job(struct push *p, struct pending *pd)
{
	for (;;) {
		int i = first_due(p);
		struct timespec until;

		if (atomic_load(&p->cancel) || (p->stopping && (i < 0 || p->queue[i].due_ns > now_ns())))
			return -ESHUTDOWN;
		if (i >= 0 && p->queue[i].due_ns <= now_ns()) {
			*pd = p->queue[i];
			p->queue[i] = p->queue[--p->n];
			return 0;
		}
		if (i < 0) {
			pthread_cond_wait(&p->wake, &p->lock);
			continue;
		}
		until = timespec_of(p->queue[i].due_ns);
		pthread_cond_timedwait(&p->wake, &p->lock, &until);
	}
}

static void *push_thread(void *arg)
{
	struct push *p = arg;
	struct pending pd;

	pthread_mutex_lock(&p->lock);
	while (!next_job(p, &pd)) {
		int e;

		pthread_mutex_unlock(&p->lock);
		e = attempt(p, &pd);
		pthread_mutex_lock(&p->lock);
		if (e == -EAGAIN && p->n < PUSH_QUEUE_MAX)
			p->queue[p->n++] = pd;
		else
			free(pd.body);
	}
	if (p->n)
		fprintf(stderr, "heapscope: %d window%s not pushed: the daemon is stopping\n", p->n,
			p->n == 1 ? "" : "s");
	while (p->n)
		drop(p, 0);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int push_start(struct push **out)
{
	struct push *p = calloc(1, sizeof(*p));
	pthread_condattr_t attr;
	int e;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	e = -pthread_create(&p->thread, NULL, push_thread, p);
	if (e) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return e;
	}
	*out = p;
	return 0;
}

int push_queue(struct push *p, const struct push_job *job)
{
	int e = 0;

	pthread_mutex_lock(&p->lock);
	if (p->n == PUSH_QUEUE_MAX || p->stopping)
		e = -ENOSPC;
	else {
		p->queue[p->n++] = (struct pending){ .job = *job, .due_ns = now_ns() };
		pthread_cond_signal(&p->wake);
	}
	pthread_mutex_unlock(&p->lock);
	if (e)
		fprintf(stderr, "heapscope: push of window %s (rule %s) dropped: %s\n", job->id,
			job->rule, p->stopping ? "the daemon is stopping" : "too many pushes waiting");
	return e;
}

void push_stop(struct push *p, int timeout_ms)
{
	struct timespec deadline;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	/* pthread_timedjoin_np measures CLOCK_REALTIME */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000)
		deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
	if (pthread_timedjoin_np(p->thread, NULL, &deadline)) {
		atomic_store(&p->cancel, 1);
		pthread_mutex_lock(&p->lock);
		pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
