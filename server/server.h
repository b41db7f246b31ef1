/* The HTTP server of `heapscope serve` and `record --serve`: the JSON API and the dashboard. */
#ifndef HEAPSCOPE_SERVER_H
#define HEAPSCOPE_SERVER_H

#include <stddef.h>

#define SERVER_DEFAULT_BIND "127.0.0.1"
#define SERVER_DEFAULT_PORT 7070
#define SERVER_ALLOW_HOSTS_MAX 16 /* --allow-host names */

struct server;
struct params;

/* One API request of the daemon: route is the path after "/api/". */
struct server_request {
	const char *method; /* GET, HEAD, POST or DELETE */
	const char *route;
	const struct params *params;
	const char *body; /* NUL-terminated, at most SERVER_BODY_MAX bytes; NULL: none */
	size_t body_len;
};

#define SERVER_BODY_MAX (16 * 1024) /* a larger request body is 413 */

/* What the daemon answers: JSON in body, or a file (fd). */
struct server_reply {
	unsigned status;
	char *body; /* malloc'd, the server frees it; NULL with fd < 0: out of memory (503) */
	size_t len;
	const char *type;   /* static; NULL: application/json */
	int fd;		    /* >= 0: send this file from its start instead (the server closes it) */
	char filename[128]; /* with fd: the attachment's name */
};

/* The daemon's part: every request (the dashboard's files too) needs the token, as
 * "Authorization: Bearer TOKEN" or the cookie that visiting /?token=TOKEN sets; the /api/ routes
 * go to handle (on the server's threads: it must be thread-safe); POST and DELETE are allowed. */
struct server_daemon {
	const char *token; /* borrowed; at least 32 characters */
	void *ctx;
	void (*handle)(void *ctx, const struct server_request *rq, struct server_reply *out);
};

struct server_opts {
	/* the recording; reopened read-only by every API request (NULL with daemon) */
	const char *db_path;
	const struct server_daemon *daemon; /* NULL: `serve` (one recording, GET only) */
	const char *bind;    /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	int port;	     /* 0: any free port (see server_port); < 0: 7070 */
	/* --allow-host: more names the Host header may give besides localhost, the loopback
	 * addresses and the bind address; NULL-terminated, borrowed; NULL: none. */
	const char *const *allow_hosts;
};

/*
 * Starts serving on its own threads and returns at once; the caller owns *out (server_stop).
 * The recording may still be growing (another thread or process writing it). 0, or -EINVAL
 * (bad address or port), -errno of socket/bind/listen (e.g. -EADDRINUSE), -ENOMEM, -EIO (the
 * HTTP library failed), with a one-line reason in err. Safe to call from any thread. A bind
 * address other than loopback prints a one-line warning on stderr: what it exposes, to whom.
 */
int server_start(const struct server_opts *o, struct server **out, char *err, size_t errlen);
/* Stops accepting, waits for requests in progress, frees s. Accepts NULL. */
void server_stop(struct server *s);
/* The port actually bound (useful with port 0). */
int server_port(const struct server *s);
/* A --port value: decimal digits only, 0-65535, into *port. 0 or -EINVAL (*port untouched). */
int server_parse_port(const char *s, int *port);

/* One --allow-host NAME (a DNS name or numeric address, no port) appended to hosts, an array of
 * SERVER_ALLOW_HOSTS_MAX + 1 pointers kept NULL-terminated (name is borrowed). 0, or -EINVAL
 * (not a host name, or too many) after a one-line message on stderr. For serve and record. */
int server_add_allow_host(const char **hosts, const char *name);

/* `heapscope serve` (argv[0] = "serve"); returns the exit status. */
int serve_main(int argc, char **argv);

#endif
