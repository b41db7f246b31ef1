/* `heapscope daemon`: options and config, the data dir (one daemon per dir), the token, the
 * server, and the main loop — signals, reaping recorders, the rules' ticks. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <poll.h>
#include <unistd.h>

#include "daemon/api.h"
#include "daemon/catalog.h"
#include "daemon/config.h"
#include "daemon/rules.h"
#include "daemon/token.h"
#include "report/cliopt.h"
#include "report/report.h"
#include "server/server.h"

#define STOP_WAIT_MS 20000 /* SIGTERM: recorders get this long to write their end */

struct daemon {
	struct config cfg;
	const char *config_path;
	char token[TOKEN_HEX + 1];
	char self_exe[PATH_MAX];
	int lock_fd;
	struct catalog *catalog;
	struct daemon_api api;
	struct server_daemon sd;
	struct server *server;
	struct rules *rules;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: heapscope daemon [--data DIR] [--port N] [--bind ADDR] [--config FILE]\n"
		"                        [--allow-host NAME]... [--running-max N]\n"
		"  the service: the dashboard lists processes and recordings; attach, stop,\n"
		"  delete, download and compare from the browser or `heapscope ctl`; continuous\n"
		"  recording by the rules of the config file. Runs in the foreground until\n"
		"  SIGTERM or Ctrl-C, which stop every recording with a clean cut.\n"
		"  --data DIR        recordings, the token and the lock (default %s)\n"
		"  --port N          default %d; 0: any free port (the URL printed says which)\n"
		"  --bind ADDR       numeric address (default 127.0.0.1; others are warned about)\n"
		"  --config FILE     [daemon] settings and [rule NAME] sections (see README)\n"
		"  --allow-host NAME another name the Host header may give (repeatable)\n"
		"  --running-max N   recordings at once (default %d)\n"
		"On start it prints the dashboard's URL with its access token, once.\n",
		DAEMON_DEFAULT_DATA, SERVER_DEFAULT_PORT, CATALOG_RUNNING_MAX);
}

static int set_str(char *dst, size_t len, const char *opt, const char *v)
{
	if (strlen(v) >= len || !v[0]) {
		fprintf(stderr, "heapscope: %s: a value of 1 to %zu characters\n", opt, len - 1);
		return -EINVAL;
	}
	snprintf(dst, len, "%s", v);
	return 0;
}

/* Command-line options, applied over the config file (read first: the file is named here). */
static int parse_opts(int argc, char **argv, struct daemon *d, int pass)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },     { "port", required_argument, NULL, 'P' },
		{ "bind", required_argument, NULL, 'b' },     { "config", required_argument, NULL, 'c' },
		{ "allow-host", required_argument, NULL, 'A' },
		{ "running-max", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },	      { NULL, 0, NULL, 0 },
	};
	unsigned long long seen = 0;
	int c, e = 0;

	optind = 1;
	while (!e && (c = cliopt_getopt(argc, argv, "d:P:b:c:A:r:h", longopts)) != -1) {
		if (c != 'A' && c != '?' && report_option_once(c, longopts, &seen))
			return -EINVAL;
		if (pass == 0) { /* the config file's name, and the errors */
			if (c == 'c')
				d->config_path = optarg;
			else if (c == 'h')
				return 1;
			else if (c == '?')
				return -EINVAL;
			continue;
		}
		switch (c) {
		case 'd': e = set_str(d->cfg.data_dir, sizeof(d->cfg.data_dir), "--data", optarg); break;
		case 'b': e = set_str(d->cfg.bind, sizeof(d->cfg.bind), "--bind", optarg); break;
		case 'P':
			if ((e = server_parse_port(optarg, &d->cfg.port)))
				fprintf(stderr, "heapscope: --port needs 0-65535, not '%s'\n", optarg);
			break;
		case 'r':
			d->cfg.running_max = atoi(optarg);
			if (d->cfg.running_max < 1 || d->cfg.running_max > 1000 ||
			    strspn(optarg, "0123456789") != strlen(optarg)) {
				fprintf(stderr, "heapscope: --running-max needs 1-1000\n");
				e = -EINVAL;
			}
			break;
		case 'A':
			if (d->cfg.nallow_hosts == 16) {
				fprintf(stderr, "heapscope: at most 16 --allow-host names\n");
				e = -EINVAL;
			} else {
				e = set_str(d->cfg.allow_hosts[d->cfg.nallow_hosts++],
					    sizeof(d->cfg.allow_hosts[0]), "--allow-host", optarg);
			}
			break;
		}
	}
	if (!e && optind < argc) {
		fprintf(stderr, "heapscope: daemon takes no arguments ('%s')\n", argv[optind]);
		e = -EINVAL;
	}
	return e;
}

/* One daemon per data dir: a second one would supervise the same files. */
static int lock_data_dir(struct daemon *d)
{
	char path[PATH_MAX];

	if (mkdir(d->cfg.data_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "heapscope: cannot create %s: %s\n", d->cfg.data_dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/daemon.lock", d->cfg.data_dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "heapscope: %s: %s\n", path,
			errno == EWOULDBLOCK ? "another heapscope daemon uses this data directory" :
					       strerror(errno));
		return -EBUSY;
	}
	return 0;
}

static int start_catalog(struct daemon *d)
{
	struct catalog_opts co = { .data_dir = d->cfg.data_dir,
				   .self_exe = d->self_exe,
				   .running_max = d->cfg.running_max,
				   .quota_bytes = d->cfg.quota_bytes };
	char err[1024];
	ssize_t n = readlink("/proc/self/exe", d->self_exe, sizeof(d->self_exe) - 1);

	if (n <= 0) {
		fprintf(stderr, "heapscope: cannot find my own executable: %s\n", strerror(errno));
		return -errno;
	}
	d->self_exe[n] = 0;
	if (token_load(d->cfg.data_dir, d->token, err, sizeof(err)) ||
	    catalog_open(&co, &d->catalog, err, sizeof(err))) {
		fprintf(stderr, "heapscope: %s\n", err);
		return -EIO;
	}
	return 0;
}

static int start_server(struct daemon *d)
{
	const char *hosts[SERVER_ALLOW_HOSTS_MAX + 1] = { NULL };
	struct server_opts so = { .bind = d->cfg.bind, .port = d->cfg.port,
				  .daemon = &d->sd, .allow_hosts = hosts };
	char err[1024];
	const char *b = d->cfg.bind;

	for (int i = 0; i < d->cfg.nallow_hosts; i++)
		if (server_add_allow_host(hosts, d->cfg.allow_hosts[i]))
			return -EINVAL;
	d->api = (struct daemon_api){ d->catalog, d->cfg.data_dir, d->cfg.running_max, &d->cfg };
	d->sd = (struct server_daemon){ d->token, &d->api, daemon_api_handle };
	if (server_start(&so, &d->server, err, sizeof(err))) {
		fprintf(stderr, "heapscope: %s\n", err);
		return -EIO;
	}
	if (!strcmp(b, "0.0.0.0") || !strcmp(b, "::"))
		b = strchr(b, ':') ? "::1" : "127.0.0.1";
	fprintf(stderr, "heapscope: dashboard at http://%s%s%s:%d/?token=%s\n",
		strchr(b, ':') ? "[" : "", b, strchr(b, ':') ? "]" : "", server_port(d->server),
		d->token);
	return 0;
}

static int load_config(struct daemon *d, int argc, char **argv)
{
	char err[1024];
	int e;

	config_defaults(&d->cfg);
	e = parse_opts(argc, argv, d, 0);
	if (e)
		return e;
	if (d->config_path && config_load(d->config_path, &d->cfg, err, sizeof(err))) {
		fprintf(stderr, "heapscope: %s\n", err);
		return -EINVAL;
	}
	return parse_opts(argc, argv, d, 1);
}

/* Signals and the once-a-second tick, until SIGTERM or SIGINT. */
static void run(struct daemon *d, int sigfd)
{
	struct itimerspec second = { { 1, 0 }, { 1, 0 } };
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct pollfd p[2] = { { sigfd, POLLIN, 0 }, { tfd, POLLIN, 0 } };

	timerfd_settime(tfd, 0, &second, NULL);
	for (;;) {
		struct signalfd_siginfo si;
		uint64_t ticks;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents & POLLIN) && read(sigfd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo != SIGCHLD) {
			fprintf(stderr, "heapscope: %s: stopping every recording\n",
				strsignal((int)si.ssi_signo));
			break;
		}
		catalog_reap(d->catalog);
		/* A rule's window that ended is followed at once: the gap is the next attach. */
		if (((p[1].revents & POLLIN) && read(tfd, &ticks, sizeof(ticks)) > 0) ||
		    rules_window_ended(d->rules))
			rules_tick(d->rules);
	}
	close(tfd);
}

int daemon_main(int argc, char **argv)
{
	struct daemon d = { .lock_fd = -1 };
	sigset_t set;
	int e, sigfd;

	e = load_config(&d, argc, argv);
	if (e) {
		usage(e > 0 ? stdout : stderr);
		return e > 0 ? 0 : 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "heapscope: the daemon attaches BPF probes and must run as root\n");
		return 1;
	}
	/* Blocked before any thread starts, so every thread inherits the mask and the signals
	 * reach signalfd; recorders get a clean mask at spawn. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	e = sigfd < 0 || lock_data_dir(&d) || start_catalog(&d) || start_server(&d) ||
	    rules_start(&d.cfg, d.catalog, &d.rules);
	if (!e) {
		catalog_on_end(d.catalog, rules_on_end, d.rules);
		catalog_on_attach(d.catalog, rules_on_attach, d.rules);
		run(&d, sigfd);
		/* A start cut by the stop is no failure to log and retry. */
		catalog_on_attach(d.catalog, NULL, NULL);
		catalog_stop_all(d.catalog, STOP_WAIT_MS);
		catalog_reap(d.catalog); /* the last windows' pushes */
	}
	server_stop(d.server);
	rules_stop(d.rules);
	catalog_close(d.catalog);
	if (d.lock_fd >= 0)
		close(d.lock_fd);
	if (sigfd >= 0)
		close(sigfd);
	return e ? 1 : 0;
}
