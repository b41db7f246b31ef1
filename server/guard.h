/* Connection guard: a deadline for receiving each request whole, and limits on connections per
 * peer, so that slow or many connections from elsewhere cannot lock a local user out. */
#ifndef HEAPSCOPE_SERVER_GUARD_H
#define HEAPSCOPE_SERVER_GUARD_H

#include <microhttpd.h>
#include <sys/socket.h>

#define GUARD_CONNECTION_LIMIT 64 /* in all; threads, since each connection has one */
#define GUARD_PEER_LIMIT 8	  /* per address other than loopback */
#define GUARD_REMOTE_LIMIT 48	  /* all addresses other than loopback: 16 left for this machine */
#define GUARD_DEADLINE_S 10	  /* from accept, or the previous response, to a request's end */

struct guard;

/* Starts the watchdog thread (with the caller's signal mask); the caller owns *out (guard_stop).
 * 0, -ENOMEM or -errno of pthread_create. */
int guard_start(struct guard **out);
/* Stops the watchdog and frees g; call after the HTTP daemon has stopped. Accepts NULL. */
void guard_stop(struct guard *g);

/* MHD_AcceptPolicyCallback (cls: the guard): loopback peers are limited only by
 * GUARD_CONNECTION_LIMIT, others by GUARD_PEER_LIMIT and GUARD_REMOTE_LIMIT. */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len);
/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the guard): starts a connection's deadline. */
void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		  enum MHD_ConnectionNotificationCode code);
/* The request on c was received whole: no deadline while it is answered. */
void guard_request_received(struct MHD_Connection *c);
/* Its response was sent: the next request on c has GUARD_DEADLINE_S again. */
void guard_request_done(struct MHD_Connection *c);

#endif
