/* Unit tests of the server's life cycle as `record --serve` uses it: start on a free port from
 * another thread, answer, refuse a taken port and bad addresses, stop and release the port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"

/* One HTTP/1.0 GET over a fresh connection; the response's first bytes into buf. -1 if the
 * connection is refused. */
static int http_get(int port, const char *path, char *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return 0;
}

struct started {
	struct server *s;
	int e;
	char err[256];
};

static void *start_thread(void *arg)
{
	struct started *st = arg;
	struct server_opts o = { .db_path = "/nonexistent/x.db", .port = 0 };

	st->e = server_start(&o, &st->s, st->err, sizeof(st->err));
	return NULL;
}

static void test_life_cycle(void **state)
{
	struct started st = { 0 };
	struct server_opts o = { .db_path = "/nonexistent/x.db" };
	struct server *other = NULL;
	char buf[4096], err[256];
	pthread_t t;
	int port;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, start_thread, &st), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(st.e, 0);
	port = server_port(st.s);
	assert_true(port > 0);
	/* A recording that cannot be opened is a 503 JSON error, not a crash. */
	assert_int_equal(http_get(port, "/api/summary", buf, sizeof(buf)), 0);
	assert_true(!strncmp(buf, "HTTP/1.", 7) && !strncmp(buf + 8, " 503 ", 5));
	assert_non_null(strstr(buf, "{\"error\":\"cannot read /nonexistent/x.db"));
	assert_int_equal(http_get(port, "/", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, " 200 OK"));
	/* The port is taken. */
	o.port = port;
	assert_int_equal(server_start(&o, &other, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "in use"));
	server_stop(st.s);
	/* Stopped: the port is free again (the listening socket was closed). */
	assert_int_equal(http_get(port, "/", buf, sizeof(buf)), -1);
	assert_int_equal(server_start(&o, &other, err, sizeof(err)), 0);
	server_stop(other);
	server_stop(NULL);
}

static void test_bad_address(void **state)
{
	struct server_opts o = { .db_path = "x.db", .port = 0 };
	struct server *s = NULL;
	char err[256];

	(void)state;
	o.bind = "localhost";
	assert_int_equal(server_start(&o, &s, err, sizeof(err)), -EINVAL);
	o.bind = "300.1.1.1";
	assert_int_equal(server_start(&o, &s, err, sizeof(err)), -EINVAL);
	o.bind = "127.0.0.1";
	o.port = 65536;
	assert_int_equal(server_start(&o, &s, err, sizeof(err)), -EINVAL);
	o.bind = "::1";
	o.port = 0;
	if (server_start(&o, &s, err, sizeof(err)) == 0) { /* IPv6 may be disabled */
		assert_true(server_port(s) > 0);
		server_stop(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life_cycle),
		cmocka_unit_test(test_bad_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
