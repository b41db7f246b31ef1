/* The HTTP server of `heapscope serve` and `record --serve`: the JSON API and the dashboard. */
#ifndef HEAPSCOPE_SERVER_H
#define HEAPSCOPE_SERVER_H

#include <stddef.h>

#define SERVER_DEFAULT_BIND "127.0.0.1"
#define SERVER_DEFAULT_PORT 7070
#define SERVER_ALLOW_HOSTS_MAX 16 /* --allow-host names */

struct server;

struct server_opts {
	const char *db_path; /* the recording; reopened read-only by every API request */
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
