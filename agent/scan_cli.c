/* `heapscope scan -p PID`: asks the recorder that traces PID (its control socket) for a
 * reachability scan now, and prints what it found. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent/record_scan.h"

#define ANSWER_TIMEOUT_S 120 /* a scan of a big heap takes seconds */
#define FIRST_ANSWER_S 2

/* One recorder's answer: 1 scanned (or failed: out says), 0 not its process, -1 no answer. */
static int ask_one(const char *path, pid_t pid, int json, char *out, size_t len, int *failed)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { ANSWER_TIMEOUT_S, 0 };
	char req[64], buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	snprintf(req, sizeof(req), "scan %d%s\n", (int)pid, json ? " json" : "");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (errno == ECONNREFUSED) /* its recorder is gone (killed): a stale name */
			unlink(path);
		close(fd);
		return -1;
	}
	/* Every recorder says at once whether pid is its own ("mine", then the result later):
	 * one that does not answer within FIRST_ANSWER_S (stuck, stopped) is passed over. */
	tv.tv_sec = FIRST_ANSWER_S;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += (size_t)n;
		buf[got] = 0;
		if (!strncmp(buf, "mine\n", 5)) { /* the scan runs: now its time */
			tv.tv_sec = ANSWER_TIMEOUT_S;
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			memmove(buf, buf + 5, got - 4);
			got -= 5;
		}
	}
	close(fd);
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strncmp(buf, "notmine", 7) || !got)
		return got ? 0 : -1;
	*failed = strncmp(buf, "ok ", 3) != 0;
	snprintf(out, len, "%s", strchr(buf, ' ') ? strchr(buf, ' ') + 1 : buf);
	return 1;
}

int record_scan_ask(pid_t recorder, pid_t pid, int json, char *out, size_t len)
{
	char path[300];
	struct dirent *de;
	int failed = 0, r = 0;
	DIR *d;

	if (recorder > 0) {
		snprintf(path, sizeof(path), "%s/rec-%d.sock", RECORD_SCAN_DIR, (int)recorder);
		r = ask_one(path, pid, json, out, len, &failed);
	} else if ((d = opendir(RECORD_SCAN_DIR))) {
		while (r <= 0 && (de = readdir(d))) {
			if (strncmp(de->d_name, "rec-", 4))
				continue;
			snprintf(path, sizeof(path), "%s/%s", RECORD_SCAN_DIR, de->d_name);
			r = ask_one(path, pid, json, out, len, &failed);
		}
		closedir(d);
	}
	if (r <= 0) {
		snprintf(out, len,
			 "no heapscope recorder traces process %d: start one with heapscope record "
			 "-p %d (the scan needs its live blocks)",
			 (int)pid, (int)pid);
		return -ESRCH;
	}
	return failed ? -EIO : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: heapscope scan -p PID [--json]\n"
		   "  A reachability scan of PID now, by the heapscope record that traces it: the\n"
		   "  process is stopped for the scan (the time is printed), its live blocks are\n"
		   "  classified as definitely, indirectly or possibly lost or still reachable, and\n"
		   "  the result goes into the recording (leaks and held views).\n"
		   "  -p, --pid PID   the traced process\n"
		   "      --json      the result as one JSON object\n");
}

int scan_main(int argc, char **argv)
{
	static const struct option longopts[] = { { "pid", required_argument, NULL, 'p' },
						   { "json", no_argument, NULL, 'j' },
						   { "help", no_argument, NULL, 'h' },
						   { NULL, 0, NULL, 0 } };
	char out[4096], *end;
	int c, json = 0, e;
	long pid = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = strtol(optarg, &end, 10);
			if (*end || pid <= 0 || pid > 0x7fffffff) {
				fprintf(stderr, "heapscope: invalid pid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!pid || optind < argc) {
		usage(stderr);
		return 2;
	}
	e = record_scan_ask(0, (pid_t)pid, json, out, sizeof(out));
	if (e) {
		fprintf(stderr, "heapscope: %s\n", out);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
