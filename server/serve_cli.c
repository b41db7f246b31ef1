/* `heapscope serve`: checks the recording, starts the server, prints its URL and serves until
 * SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/cliopt.h"
#include "report/report.h"
#include "server/server.h"
#include "store/analysis.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope serve -d FILE [--port N] [--bind ADDR] [--allow-host NAME]...\n"
		"  --port N           TCP port (default 7070; 0: any free port, printed)\n"
		"  --bind ADDR        numeric address to listen on (default 127.0.0.1: this\n"
		"                     machine only; 0.0.0.0 or :: for every interface)\n"
		"  --allow-host NAME  also answer requests for NAME (the Host header), besides\n"
		"                     localhost, the loopback addresses and ADDR (repeatable)\n");
}

static int parse_opts(int argc, char **argv, struct server_opts *o, const char **allow)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "allow-host", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned char addr[sizeof(struct in6_addr)];
	unsigned long long seen = 0;
	int c;

	*o = (struct server_opts){ .bind = SERVER_DEFAULT_BIND,
				   .port = SERVER_DEFAULT_PORT,
				   .allow_hosts = allow };
	optind = 1;
	while ((c = cliopt_getopt(argc, argv, "d:p:b:h", longopts)) != -1) {
		if (c != 'a' && report_option_once(c, longopts, &seen)) /* --allow-host adds */
			return -EINVAL;
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 'b': o->bind = optarg; break;
		case 'a':
			if (server_add_allow_host(allow, optarg))
				return -EINVAL;
			break;
		case 'p':
			if (server_parse_port(optarg, &o->port)) {
				fprintf(stderr, "heapscope: --port must be 0-65535, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc || !o->db_path) {
		if (optind < argc)
			fprintf(stderr, "heapscope: unexpected argument '%s'\n", argv[optind]);
		else
			fprintf(stderr, "heapscope: serve needs -d FILE (a recording)\n");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, o->bind, addr) != 1 && inet_pton(AF_INET6, o->bind, addr) != 1) {
		fprintf(stderr,
			"heapscope: --bind needs a numeric IPv4 or IPv6 address (e.g. "
			"127.0.0.1 or 0.0.0.0), not '%s'\n",
			o->bind);
		return -EINVAL;
	}
	return 0;
}

/* A clear error now rather than a 503 on every request. */
static int check_recording(const char *path)
{
	struct store_reader *r = NULL;
	char err[1024];
	int e = store_reader_open(path, &r, err, sizeof(err));

	if (e)
		fprintf(stderr, "heapscope: %s\n", err);
	store_reader_close(r);
	return e;
}

int serve_main(int argc, char **argv)
{
	const char *allow[SERVER_ALLOW_HOSTS_MAX + 1] = { NULL };
	struct server_opts o;
	struct server *s;
	char err[512];
	sigset_t stop;
	int e, sig;

	if (parse_opts(argc, argv, &o, allow))
		return 2;
	if (check_recording(o.db_path))
		return 1;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	e = server_start(&o, &s, err, sizeof(err));
	if (e) {
		fprintf(stderr, "heapscope: %s\n", err);
		return e == -ENOMEM || e == -EIO ? 1 : 2;
	}
	printf(strchr(o.bind, ':') ? "http://[%s]:%d/\n" : "http://%s:%d/\n", o.bind,
	       server_port(s));
	fflush(stdout);
	fprintf(stderr, "heapscope: serving %s; Ctrl-C to stop\n", o.db_path);
	sigwait(&stop, &sig);
	server_stop(s);
	return 0;
}
