/* A small HTTP client over libcurl for the daemon's side of the network: `heapscope ctl` talking
 * to the daemon's API and the rules' pushes to a profiling backend. */
#ifndef HEAPSCOPE_DAEMON_HTTP_CLIENT_H
#define HEAPSCOPE_DAEMON_HTTP_CLIENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

struct http_request {
	const char *method;	  /* "GET", "POST", "DELETE" */
	const char *url;
	const char *token;	  /* sent as "Authorization: Bearer TOKEN"; NULL: none */
	const char *content_type; /* of body; NULL: none sent */
	const void *body;	  /* NULL: empty */
	size_t body_len;
	long timeout_s;		  /* the whole exchange; 0: HTTP_TIMEOUT_S */
	FILE *sink;		  /* a 2xx response's body is written here instead of kept */
	const atomic_int *cancel; /* when it becomes non-zero the exchange is abandoned */
};

#define HTTP_TIMEOUT_S 30
#define HTTP_CONNECT_TIMEOUT_S 5

struct http_response {
	long status;  /* the HTTP status */
	char *body;   /* NUL-terminated (malloc'd; not a 2xx sent to a sink) */
	size_t len;
};

/* One request. 0 once a response arrived (whatever its status), with it in *resp (free it with
 * http_response_free); else -ECONNREFUSED, -ETIMEDOUT, -ECANCELED, -EIO (sink), -ENOMEM or
 * -EPROTO with the transport's one-line reason in err. Thread-safe. */
int http_request(const struct http_request *rq, struct http_response *resp, char *err,
		 size_t errlen);
/* Accepts a zeroed response. */
void http_response_free(struct http_response *resp);

#endif
