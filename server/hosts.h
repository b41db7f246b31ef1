/* Which Host and Origin headers the server answers: its guard against DNS rebinding and against
 * pages of other sites reading the API. */
#ifndef HEAPSCOPE_SERVER_HOSTS_H
#define HEAPSCOPE_SERVER_HOSTS_H

#include "server/server.h"

/* The names a server answers to: the loopback names, its bind address and --allow-host names. */
struct hosts {
	int family;			     /* of the bind address: AF_INET or AF_INET6 */
	unsigned char bind[16];		     /* the bind address, network order */
	char *allow[SERVER_ALLOW_HOSTS_MAX]; /* --allow-host names, owned, brackets removed */
	int nallow;
};

/* Fills h for bind_addr (numeric) and the NULL-terminated allow list (may be NULL); h owns
 * copies. 0, -EINVAL (bad address or name) or -ENOMEM. hosts_free(h) in every case. */
int hosts_init(struct hosts *h, const char *bind_addr, const char *const *allow);
void hosts_free(struct hosts *h);

/* A Host header value "NAME" or "NAME:PORT" ("[V6]" or "[V6]:PORT"): 1 if NAME is localhost,
 * a loopback address, the bind address or an allowed name (any port: an ssh tunnel forwards
 * another); 0 otherwise. No Host (HTTP/1.0) is 1: only browsers need the guard, and they send
 * it. */
int hosts_host_ok(const struct hosts *h, const char *host);

/* An Origin header is the page that made the request: 1 when there is none (a same-origin GET,
 * curl) or when it is this very server (http:// or https:// followed by exactly the Host), else
 * 0 ("null", another site, another port). */
int hosts_origin_ok(const char *origin, const char *host);

/* Is name a valid --allow-host value: a DNS name or a numeric address, without port? */
int hosts_name_ok(const char *name);

#endif
