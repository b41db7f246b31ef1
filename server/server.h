/* The HTTP server of `heapscope serve` and `record --serve`: the JSON API and the dashboard. */
#ifndef HEAPSCOPE_SERVER_H
#define HEAPSCOPE_SERVER_H

#include <stddef.h>

#define SERVER_DEFAULT_BIND "127.0.0.1"
#define SERVER_DEFAULT_PORT 7070

struct server;

struct server_opts {
	const char *db_path; /* the recording; reopened read-only by every API request */
	const char *bind;    /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	int port;	     /* 0: any free port (see server_port); < 0: 7070 */
};

/*
 * Starts serving on its own threads and returns at once; the caller owns *out (server_stop).
 * The recording may still be growing (another thread or process writing it). 0, or -EINVAL
 * (bad address or port), -errno of socket/bind/listen (e.g. -EADDRINUSE), -ENOMEM, -EIO (the
 * HTTP library failed), with a one-line reason in err. Safe to call from any thread.
 */
int server_start(const struct server_opts *o, struct server **out, char *err, size_t errlen);
/* Stops accepting, waits for requests in progress, frees s. Accepts NULL. */
void server_stop(struct server *s);
/* The port actually bound (useful with port 0). */
int server_port(const struct server *s);
/* A --port value: decimal digits only, 0-65535, into *port. 0 or -EINVAL (*port untouched). */
int server_parse_port(const char *s, int *port);

/* `heapscope serve` (argv[0] = "serve"); returns the exit status. */
int serve_main(int argc, char **argv);

#endif
