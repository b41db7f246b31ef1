/* The HTTP client of ctl and push: one libcurl easy handle per request, bounded in time, with
 * the body either kept in memory or streamed to a file. */
#include "daemon/http_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What the write callback needs: where a 2xx body goes, and the memory copy otherwise. */
struct transfer {
	CURL *curl;
	FILE *sink;
	struct http_response *resp;
	int sink_failed, no_memory;
	const atomic_int *cancel;
};

/* curl_global_init is not thread-safe before libcurl 7.84 built with thread-safe init: once. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int append(struct http_response *resp, const char *data, size_t n)
{
	char *nb = realloc(resp->body, resp->len + n + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + resp->len, data, n);
	resp->len += n;
	nb[resp->len] = '\0';
	resp->body = nb;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	if (t->sink && status >= 200 && status < 300) {
		if (fwrite(data, 1, n, t->sink) != n) {
			t->sink_failed = 1;
			return 0;
		}
		return n;
	}
	if (append(t->resp, data, n)) {
		t->no_memory = 1;
		return 0;
	}
	return n;
}

/* Called by libcurl about once a second and on progress: a non-zero return aborts. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = userdata;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return t->cancel && atomic_load(t->cancel);
}

static int errno_of(CURLcode code, const struct transfer *t)
{
	if (t->sink_failed)
		return -EIO;
	if (t->no_memory || code == CURLE_OUT_OF_MEMORY)
		return -ENOMEM;
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK: return -ECANCELED;
	default: return -EPROTO;
	}
}

static struct curl_slist *headers_of(const struct http_request *rq)
{
	struct curl_slist *h = NULL, *n;
	char line[512];

	/* libcurl would send "Expect: 100-continue" for big bodies and wait for it */
	h = curl_slist_append(h, "Expect:");
	if (h && rq->token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", rq->token);
		n = curl_slist_append(h, line);
		h = n ? n : (curl_slist_free_all(h), NULL);
	}
	if (h && rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		n = curl_slist_append(h, line);
		h = n ? n : (curl_slist_free_all(h), NULL);
	}
	return h;
}

static void set_options(CURL *curl, const struct http_request *rq, struct curl_slist *headers,
			struct transfer *t, char *curl_err)
{
	curl_easy_setopt(curl, CURLOPT_URL, rq->url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, rq->timeout_s ? rq->timeout_s : (long)HTTP_TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	if (rq->body || !strcmp(rq->method, "POST")) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	}
}

int http_request(const struct http_request *rq, struct http_response *resp, char *err,
		 size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct transfer t = { .sink = rq->sink, .resp = resp, .cancel = rq->cancel };
	CURLcode code;
	int e = 0;

	memset(resp, 0, sizeof(*resp));
	pthread_once(&global_once, global_init);
	t.curl = curl_easy_init();
	headers = t.curl ? headers_of(rq) : NULL;
	if (!headers) {
		snprintf(err, errlen, "out of memory");
		e = -ENOMEM;
		goto out;
	}
	set_options(t.curl, rq, headers, &t, curl_err);
	code = curl_easy_perform(t.curl);
	if (code != CURLE_OK) {
		e = errno_of(code, &t);
		snprintf(err, errlen, "%s", e == -EIO ? "cannot write the response" :
					    curl_err[0]	    ? curl_err :
								      curl_easy_strerror(code));
		http_response_free(resp);
		goto out;
	}
	curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &resp->status);
out:
	curl_slist_free_all(headers);
	if (t.curl)
		curl_easy_cleanup(t.curl);
	return e;
}

void http_response_free(struct http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
