/* Connection guard: a deadline for receiving each request whole, and limits on connections per
 * peer, so that slow or many connections from elsewhere cannot lock a local user out.
 *
 * libmicrohttpd's own timeout is an idle one: a client sending one header line every few
 * seconds keeps its connection (and its thread) forever. A watchdog thread shuts down the
 * connections whose request is not complete by its deadline; it acts on a duplicate of the
 * socket taken when the connection started, so it can never reach an unrelated file that
 * reused a number the library closed. */
#include "server/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SLOTS (2 * GUARD_CONNECTION_LIMIT) /* closed ones are freed before the library's count */
#define TICK_NS 250000000LL
#define NS_PER_SEC 1000000000LL

struct slot {
	int used;
	int fd;			/* our duplicate of the connection's socket */
	unsigned char peer[16]; /* IPv6, IPv4 as ::ffff:a.b.c.d */
	int loopback;
	int64_t deadline_ns; /* CLOCK_MONOTONIC; 0: none (a request is being answered) */
};

struct guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	struct slot slot[SLOTS];
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * NS_PER_SEC + t.tv_nsec;
}

/* The peer as 16 bytes and whether it is this machine; -1 for other families. */
static int peer_key(const struct sockaddr *addr, socklen_t len, unsigned char key[16], int *lo)
{
	static const unsigned char v6_lo[16] = { [15] = 1 },
				   v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	memset(key, 0, 16);
	if (addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	} else if (addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
	} else {
		return -1;
	}
	*lo = !memcmp(key, v6_lo, 16) || (!memcmp(key, v4_mapped, 12) && key[12] == 127);
	return 0;
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct guard *g = cls;
	unsigned char key[16];
	int lo, same = 0, remote = 0;

	if (peer_key(addr, len, key, &lo))
		return MHD_NO;
	if (lo)
		return MHD_YES;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < SLOTS; i++) {
		if (!g->slot[i].used || g->slot[i].loopback)
			continue;
		remote++;
		same += !memcmp(g->slot[i].peer, key, 16);
	}
	pthread_mutex_unlock(&g->lock);
	return same < GUARD_PEER_LIMIT && remote < GUARD_REMOTE_LIMIT ? MHD_YES : MHD_NO;
}

static void started(struct guard *g, struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *peer =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct slot *s = NULL;

	*socket_context = NULL;
	if (!fd || !peer)
		return;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < SLOTS && !s; i++)
		if (!g->slot[i].used)
			s = &g->slot[i];
	if (s &&
	    peer_key(peer->client_addr,
		     peer->client_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
							       sizeof(struct sockaddr_in6),
		     s->peer, &s->loopback) == 0 &&
	    (s->fd = fcntl(fd->connect_fd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		s->used = 1;
		s->deadline_ns = now_ns() + GUARD_DEADLINE_S * NS_PER_SEC;
		*socket_context = s;
	}
	pthread_mutex_unlock(&g->lock);
	if (!*socket_context) /* cannot be watched (no slot, no fd): not served */
		shutdown(fd->connect_fd, SHUT_RDWR);
}

void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct guard *g = cls;
	struct slot *s = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		started(g, c, socket_context);
		return;
	}
	if (!s)
		return;
	pthread_mutex_lock(&g->lock);
	close(s->fd);
	s->used = 0;
	pthread_mutex_unlock(&g->lock);
	*socket_context = NULL;
}

static void set_deadline(struct MHD_Connection *c, int64_t deadline_ns)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct slot *s = i ? i->socket_context : NULL;

	/* Only this connection's thread writes its deadline; the watchdog reads it, hence a
	 * relaxed atomic store rather than the lock. */
	if (s)
		__atomic_store_n(&s->deadline_ns, deadline_ns, __ATOMIC_RELAXED);
}

void guard_request_received(struct MHD_Connection *c)
{
	set_deadline(c, 0);
}

void guard_request_done(struct MHD_Connection *c)
{
	set_deadline(c, now_ns() + GUARD_DEADLINE_S * NS_PER_SEC);
}

/* Shuts down (both ways) the connections past their deadline: the library's thread then reads
 * end-of-file and closes it, and the client sees the connection end. */
static void *watch(void *arg)
{
	struct guard *g = arg;
	struct timespec next;
	int64_t now, d;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		now = now_ns();
		for (int i = 0; i < SLOTS; i++) {
			d = __atomic_load_n(&g->slot[i].deadline_ns, __ATOMIC_RELAXED);
			if (g->slot[i].used && d && now >= d) {
				shutdown(g->slot[i].fd, SHUT_RDWR);
				__atomic_store_n(&g->slot[i].deadline_ns, 0, __ATOMIC_RELAXED);
			}
		}
		now += TICK_NS;
		next = (struct timespec){ .tv_sec = now / NS_PER_SEC, .tv_nsec = now % NS_PER_SEC };
		pthread_cond_timedwait(&g->wake, &g->lock, &next);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int guard_start(struct guard **out)
{
	struct guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	int e;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&g->thread, NULL, watch, g);
	if (e) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return -e;
	}
	*out = g;
	return 0;
}

void guard_stop(struct guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	for (int i = 0; i < SLOTS; i++)
		if (g->slot[i].used)
			close(g->slot[i].fd);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
