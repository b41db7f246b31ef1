/* The HTTP server: libmicrohttpd with one thread per connection (bounded, see guard.c), the
 * checks every request passes (URL length, Host, Origin, method, path), the dashboard's assets
 * and the API routes. */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/api.h"
#include "server/assets.h"
#include "server/auth.h"
#include "server/guard.h"
#include "server/hosts.h"
#include "server/params.h"

#define URL_MAX 4096		 /* raw request target, query included: longer is 414 */
#define PATH_LEN_MAX 512	 /* decoded path: longer is 400 */
#define TIMEOUT_S 30		 /* idle connections are closed (slow readers of a response) */
#define MEMORY_LIMIT (32 * 1024) /* per connection: request line and headers must fit */

static const char CSP[] =
	"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";
static const char NOMEM[] = "{\"error\":\"out of memory\"}";
static const char NOT_DAEMON[] = "{\"daemon\":false}";

struct server {
	struct MHD_Daemon *d;
	char *db_path;
	const struct server_daemon *daemon;
	int port;
	int loopback; /* bound to a loopback address */
	struct hosts hosts;
	struct guard *guard;
};

/* What the raw request target looked like before the library decoded it. */
struct request {
	size_t url_len;
	int bad_escape; /* %00 anywhere, %2f or %5c in the path */
	int headers_seen;
	int body_too_big;
	size_t body_len;
	char *body; /* POST/DELETE of the daemon only: allocated when a body arrives */
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const void *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free((void *)data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_json(struct MHD_Connection *c, struct api_reply *a)
{
	if (!a->body)
		return reply(c, 503, "application/json", NOMEM, strlen(NOMEM),
			     MHD_RESPMEM_PERSISTENT);
	return reply(c, a->status, "application/json", a->body, a->len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	struct api_reply a;

	api_error(status, msg, &a);
	return reply_json(c, &a);
}

/* 405 with the methods this server takes. */
static enum MHD_Result reply_405(const struct server *s, struct MHD_Connection *c)
{
	const char *allow = s->daemon ? "GET, HEAD, POST, DELETE" : "GET, HEAD";
	char msg[64];
	struct api_reply a;
	struct MHD_Response *r;
	enum MHD_Result ret;

	snprintf(msg, sizeof(msg), "only %s are served", allow);
	api_error(405, msg, &a);
	if (!a.body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(a.len, a.body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(a.body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, 405, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_asset(struct MHD_Connection *c, const struct asset *a)
{
	return reply(c, 200, a->type, a->data, a->size, MHD_RESPMEM_PERSISTENT);
}

static int hexpair_is(const char *p, const char *lower)
{
	return p[0] && p[1] && (p[0] | 0x20) == lower[0] && (p[1] | 0x20) == lower[1];
}

static int bad_escape(const char *uri)
{
	const char *q = strchr(uri, '?');

	for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%')) {
		if (hexpair_is(p + 1, "00"))
			return 1;
		if ((!q || p < q) && (hexpair_is(p + 1, "2f") || hexpair_is(p + 1, "5c")))
			return 1;
	}
	return 0;
}

/* Called with the raw request target before it is decoded: remember what the checks need. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *rq = calloc(1, sizeof(*rq));

	(void)cls, (void)c;
	if (rq) {
		rq->url_len = strlen(uri);
		rq->bad_escape = bad_escape(uri);
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls, (void)toe;
	guard_request_done(c);
	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
}

/* Decoded paths: no "..", "//", backslashes or control characters anywhere. */
static int path_ok(const char *url)
{
	size_t n = strlen(url);

	if (url[0] != '/' || n > PATH_LEN_MAX || strstr(url, "..") || strstr(url, "//") ||
	    strchr(url, '\\'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return 0;
	return 1;
}

/* A page on another site could otherwise read the API through a DNS name rebound to this
 * machine (Host), or send its visitors' browsers here (Origin). */
static enum MHD_Result check_host(struct server *s, struct MHD_Connection *c, int *refused)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);

	*refused = 1;
	if (!hosts_host_ok(&s->hosts, h))
		return reply_error(c, 403,
				   "Host is not a name of this server (DNS rebinding guard); "
				   "start it with --allow-host NAME to answer NAME");
	if (!hosts_origin_ok(o, h))
		return reply_error(c, 403,
				   "cross-origin request refused: Origin is not this server");
	*refused = 0;
	return MHD_YES;
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	struct params *p = cls;

	(void)kind;
	if (p->n == PARAMS_MAX) {
		p->overflow = 1;
		return MHD_NO;
	}
	p->name[p->n] = key;
	p->value[p->n++] = value;
	return MHD_YES;
}

static enum MHD_Result serve_api(struct server *s, struct MHD_Connection *c, const char *route)
{
	struct params p = { .n = 0 };
	struct api_reply a;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &p);
	api_handle(s->db_path, route, &p, &a);
	return reply_json(c, &a);
}

/* A file (a download): streamed from fd by the library, which closes it. */
static enum MHD_Result reply_file(struct MHD_Connection *c, struct server_reply *d)
{
	struct MHD_Response *r;
	char disposition[192];
	struct stat st;
	enum MHD_Result ret;

	if (fstat(d->fd, &st) || !(r = MHD_create_response_from_fd((uint64_t)st.st_size, d->fd))) {
		close(d->fd);
		return reply_error(c, 500, "cannot send the file");
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", d->filename);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				d->type ? d->type : "application/octet-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, d->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result daemon_api(struct server *s, struct MHD_Connection *c, const char *method,
				  const char *route, const struct request *rq)
{
	struct params p = { .n = 0 };
	struct server_reply d = { .fd = -1 };
	struct server_request q = { .method = method, .route = route, .params = &p };

	if (rq->body_too_big)
		return reply_error(c, 413, "request body larger than 16 KiB");
	if (rq->body_len) {
		q.body = rq->body;
		q.body_len = rq->body_len;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &p);
	s->daemon->handle(s->daemon->ctx, &q, &d);
	if (d.fd >= 0)
		return reply_file(c, &d);
	if (!d.body)
		return reply(c, 503, "application/json", NOMEM, strlen(NOMEM),
			     MHD_RESPMEM_PERSISTENT);
	return reply(c, d.status, d.type ? d.type : "application/json", d.body, d.len,
		     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result route(struct server *s, struct MHD_Connection *c, const char *url,
			     const char *method, const struct request *rq)
{
	const struct asset *a;

	if (s->daemon && !strncmp(url, "/api/", 5))
		return daemon_api(s, c, method, url + 5, rq);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_405(s, c);

	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		return reply_asset(c, assets_index());
	if (!strncmp(url, "/assets/", 8)) {
		a = assets_find(url + 8);
		return a ? reply_asset(c, a) : reply_error(c, 404, "no such asset");
	}
	/* The dashboard asks which server it talks to: serve's answer (the daemon's is its own). */
	if (!strcmp(url, "/api/daemon"))
		return reply(c, 200, "application/json", NOT_DAEMON, strlen(NOT_DAEMON),
			     MHD_RESPMEM_PERSISTENT);
	if (!strncmp(url, "/api/", 5))
		return serve_api(s, c, url + 5);
	return reply_error(c, 404, "not found: the dashboard is at /, the API under /api/");
}

static int method_ok(const struct server *s, const char *m)
{
	if (!strcmp(m, MHD_HTTP_METHOD_GET) || !strcmp(m, MHD_HTTP_METHOD_HEAD))
		return 1;
	return s->daemon && (!strcmp(m, MHD_HTTP_METHOD_POST) || !strcmp(m, MHD_HTTP_METHOD_DELETE));
}

static void keep_body(struct request *rq, const char *data, size_t n)
{
	if (!rq->body_too_big && !rq->body && !(rq->body = malloc(SERVER_BODY_MAX + 1)))
		rq->body_too_big = 1; /* out of memory: refused as too big rather than half read */
	if (rq->body_too_big || n > SERVER_BODY_MAX - rq->body_len) {
		rq->body_too_big = 1;
		return;
	}
	memcpy(rq->body + rq->body_len, data, n);
	rq->body_len += n;
	rq->body[rq->body_len] = 0;
}

/* The daemon's token, on every request: "/?token=T" logs a browser in (a cookie). */
static enum MHD_Result check_token(struct server *s, struct MHD_Connection *c, const char *url,
				   int *refused)
{
	const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");

	*refused = 1;
	if (t && !strcmp(url, "/") && auth_token_equal(t, s->daemon->token))
		return auth_login(c, s->daemon->token);
	if (!auth_request_ok(c, s->daemon->token))
		return auth_refuse(c, !strncmp(url, "/api/", 5));
	*refused = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	enum MHD_Result ret;
	int refused;

	(void)version, (void)upload;
	if (*upload_size) { /* a body, kept for the daemon (or discarded after an early answer) */
		if (rq && rq->headers_seen)
			keep_body(rq, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!rq)
		return reply_error(c, 503, "out of memory");
	if (rq->url_len > URL_MAX)
		return reply_error(c, 414, "URL longer than 4096 bytes");
	ret = check_host(s, c, &refused);
	if (refused)
		return ret;
	if (s->daemon) {
		ret = check_token(s, c, url, &refused);
		if (refused)
			return ret;
	}
	if (!method_ok(s, method))
		return reply_405(s, c);
	/* Answering in the first call (headers only) would make the library close the
	 * connection after the response: answer in the second, keeping it alive. */
	if (!rq->headers_seen) {
		rq->headers_seen = 1;
		return MHD_YES;
	}
	guard_request_received(c);
	if (rq->bad_escape || !path_ok(url))
		return reply_error(c, 400, "bad path");
	return route(s, c, url, method, rq);
}

static int parse_addr(const char *bind_addr, int port, struct sockaddr_storage *ss, socklen_t *len,
		      int *loopback)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, bind_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		*loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, bind_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
		return 0;
	}
	return -EINVAL;
}

/* Our own listening socket, so a failure comes with its errno and the port 0 choice is known. */
static int listen_on(struct server *s, const char *bind_addr, int port, int *fd_out, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, e;

	if (port > 65535 || parse_addr(bind_addr, port, &ss, &len, &s->loopback)) {
		snprintf(err, errlen,
			 "cannot serve on %s port %d: not a numeric IPv4/IPv6 address "
			 "and a port 0-65535 (e.g. --bind 127.0.0.1 --port 7070)",
			 bind_addr, port);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		e = -errno;
		snprintf(err, errlen,
			 "cannot listen on %s port %d: %s (choose another --port or "
			 "--bind)",
			 bind_addr, port, strerror(-e));
		if (fd >= 0)
			close(fd);
		return e;
	}
	s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
						  ((struct sockaddr_in6 *)&ss)->sin6_port);
	*fd_out = fd;
	return 0;
}

/* The library's threads start with every signal blocked, so SIGINT/SIGTERM always reach the
 * thread that waits for them (serve_main, or the recorder). */
static struct MHD_Daemon *start_daemon(struct server *s, int fd, int v6)
{
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | (v6 ? MHD_USE_IPv6 : 0);
	sigset_t all, old;
	struct MHD_Daemon *d;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (guard_start(&s->guard)) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return NULL;
	}
	d = MHD_start_daemon(flags, 0, guard_accept, s->guard, on_request, s,
			     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned)GUARD_CONNECTION_LIMIT, MHD_OPTION_NOTIFY_CONNECTION,
			     guard_notify, s->guard, MHD_OPTION_CONNECTION_TIMEOUT,
			     (unsigned)TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

/* One line, since the recording holds the traced programs' command lines, paths and stacks. */
static void warn_exposed(const struct server *s, const char *bind_addr)
{
	const char *v6 = strchr(bind_addr, ':');
	char names[512] = "";
	size_t k = 0;

	for (int i = 0; i < s->hosts.nallow && k < sizeof(names); i++)
		k += (size_t)snprintf(names + k, sizeof(names) - k, ", %s", s->hosts.allow[i]);
	fprintf(stderr,
		"heapscope: warning: --bind %s is not loopback: anyone who can reach %s%s%s:%d can "
		"read this recording (command lines, file paths, stacks); Host names answered: "
		"localhost, 127.0.0.1, [::1], %s%s%s%s%s\n",
		bind_addr, v6 ? "[" : "", bind_addr, v6 ? "]" : "", s->port, v6 ? "[" : "",
		bind_addr, v6 ? "]" : "", names,
		s->hosts.nallow ? "" : " (more with --allow-host NAME)");
}

int server_start(const struct server_opts *o, struct server **out, char *err, size_t errlen)
{
	const char *bind_addr = o->bind ? o->bind : SERVER_DEFAULT_BIND;
	struct server *s = calloc(1, sizeof(*s));
	int fd = -1, e;

	if (s)
		s->daemon = o->daemon;
	if (!s || (o->db_path && !(s->db_path = strdup(o->db_path)))) {
		snprintf(err, errlen, "cannot start the server: out of memory");
		e = -ENOMEM;
		goto fail;
	}
	e = listen_on(s, bind_addr, o->port < 0 ? SERVER_DEFAULT_PORT : o->port, &fd, err, errlen);
	if (e)
		goto fail;
	e = hosts_init(&s->hosts, bind_addr, o->allow_hosts);
	if (e) {
		snprintf(err, errlen,
			 e == -ENOMEM ? "cannot start the server: out of memory" :
					"cannot start the server: a bad --allow-host name");
		close(fd);
		goto fail;
	}
	s->d = start_daemon(s, fd, strchr(bind_addr, ':') != NULL);
	if (!s->d) {
		snprintf(err, errlen, "cannot start the HTTP server (libmicrohttpd) on %s port %d",
			 bind_addr, s->port);
		close(fd);
		e = -EIO;
		goto fail;
	}
	if (!s->loopback)
		warn_exposed(s, bind_addr);
	*out = s;
	return 0;
fail:
	server_stop(s);
	return e;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	guard_stop(s->guard);
	hosts_free(&s->hosts);
	free(s->db_path);
	free(s);
}

int server_port(const struct server *s)
{
	return s->port;
}

int server_add_allow_host(const char **hosts, const char *name)
{
	int n = 0;

	while (n < SERVER_ALLOW_HOSTS_MAX && hosts[n])
		n++;
	if (!hosts_name_ok(name)) {
		fprintf(stderr,
			"heapscope: --allow-host needs a host name or numeric address without a "
			"port (e.g. dash.example.com or 192.0.2.7), not '%s'\n",
			name);
		return -EINVAL;
	}
	if (n == SERVER_ALLOW_HOSTS_MAX) {
		fprintf(stderr, "heapscope: at most %d --allow-host names\n",
			SERVER_ALLOW_HOSTS_MAX);
		return -EINVAL;
	}
	hosts[n] = name;
	hosts[n + 1] = NULL;
	return 0;
}

int server_parse_port(const char *s, int *port)
{
	int64_t v;

	if (params_uint(s, 65535, &v))
		return -EINVAL;
	*port = (int)v;
	return 0;
}
