/* The client of the recorders' control sockets: which recorder traces a pid, and a scan of it
 * (for `heapscope scan` and the daemon's POST /api/recordings/ID/scan). No recorder code: the
 * daemon links it without libbpf. */
#include "agent/scan_client.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

const char *record_scan_dir(void)
{
	const char *d = getenv("HEAPSCOPE_RUN_DIR");

	return d && *d ? d : RECORD_SCAN_DIR;
}

int record_scan_prune(const char *name, const char *path)
{
	int pid;
	char end;

	if (sscanf(name, "rec-%d.soc%c", &pid, &end) != 2 || end != 'k' || pid <= 0)
		return 0;
	if (pid == getpid() || !kill(pid, 0) || errno != ESRCH)
		return 0;
	unlink(path); /* its recorder is gone (killed): nobody will ever answer there */
	return 1;
}

#define ANSWER_TIMEOUT_S 120 /* a scan of a big heap takes seconds */
#define MAX_RECORDERS 256

struct asked {
	int fd;
	char path[300];
	char buf[256];
	size_t got;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Connects to the recorder at path and sends line; the socket, or -1 (a stale name is
 * unlinked: nobody listens there). */
static int send_to(const char *path, const char *line, int nonblock)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (errno == ECONNREFUSED)
			unlink(path);
		close(fd);
		return -1;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens "has PID" conversations with every recorder of the run directory (or the one). */
static int ask_all(pid_t recorder, pid_t pid, struct asked *v)
{
	char line[64], path[300];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(line, sizeof(line), "has %d\n", (int)pid);
	if (recorder > 0) {
		snprintf(v[0].path, sizeof(v[0].path), "%s/rec-%d.sock", record_scan_dir(),
			 (int)recorder);
		v[0].fd = send_to(v[0].path, line, 1);
		v[0].got = 0;
		return v[0].fd >= 0;
	}
	d = opendir(record_scan_dir());
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_RECORDERS) {
		if (strncmp(de->d_name, "rec-", 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", record_scan_dir(), de->d_name);
		if (record_scan_prune(de->d_name, path))
			continue;
		v[n].fd = send_to(path, line, 1);
		if (v[n].fd < 0)
			continue;
		snprintf(v[n].path, sizeof(v[n].path), "%s", path);
		v[n++].got = 0;
	}
	closedir(d);
	return n;
}

/* Waits for the answers to "has PID" together: the index of the recorder that said "mine", or
 * -1 (*silent: how many did not answer in time; an "error" answer goes into out). */
static int find_recorder(struct asked *v, int n, char *out, size_t len, int *silent)
{
	struct pollfd p[MAX_RECORDERS];
	int64_t deadline = now_ms() + RECORD_SCAN_FIND_MS;
	int open = n, found = -1;

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = v[i].fd, .events = POLLIN };
	while (open && found < 0) {
		int64_t left = deadline - now_ms();

		if (left <= 0 || poll(p, (nfds_t)n, (int)left) <= 0)
			break;
		for (int i = 0; i < n && found < 0; i++) {
			ssize_t r;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = read(p[i].fd, v[i].buf + v[i].got, sizeof(v[i].buf) - 1 - v[i].got);
			if (r > 0) {
				v[i].got += (size_t)r;
				v[i].buf[v[i].got] = 0;
				if (!strchr(v[i].buf, '\n') && v[i].got < sizeof(v[i].buf) - 1)
					continue;
			} else if (r < 0 && errno == EAGAIN) {
				continue;
			}
			v[i].buf[strcspn(v[i].buf, "\n")] = 0;
			if (!strcmp(v[i].buf, "mine"))
				found = i;
			else if (!strncmp(v[i].buf, "error ", 6))
				snprintf(out, len, "%s", v[i].buf + 6);
			p[i].fd = -1;
			open--;
		}
	}
	*silent = 0;
	for (int i = 0; i < n; i++) {
		*silent += p[i].fd >= 0 && i != found;
		close(v[i].fd);
	}
	return found;
}

/* The scan itself, from the recorder found: 0, -EIO (failed: out says why) or -ESRCH. */
static int ask_scan(const char *path, pid_t pid, int json, char *out, size_t len)
{
	struct timeval tv = { ANSWER_TIMEOUT_S, 0 };
	char line[64], buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(line, sizeof(line), "scan %d%s\n", (int)pid, json ? " json" : "");
	fd = send_to(path, line, 0);
	if (fd < 0) {
		snprintf(out, len, "the recorder of process %d went away", (int)pid);
		return -EIO;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!got) {
		snprintf(out, len, "the recorder of process %d gave no answer within %d s", (int)pid,
			 ANSWER_TIMEOUT_S);
		return -EIO;
	}
	if (!strncmp(buf, "notmine", 7))
		return -ESRCH;
	snprintf(out, len, "%s", strchr(buf, ' ') ? strchr(buf, ' ') + 1 : buf);
	return strncmp(buf, "ok ", 3) ? -EIO : 0;
}

int record_scan_ask(pid_t recorder, pid_t pid, int json, char *out, size_t len)
{
	struct asked *v = calloc(MAX_RECORDERS, sizeof(*v));
	int n, found, silent = 0, e;

	out[0] = 0;
	if (!v) {
		snprintf(out, len, "out of memory");
		return -ENOMEM;
	}
	n = ask_all(recorder, pid, v);
	found = find_recorder(v, n, out, len, &silent);
	e = found >= 0 ? ask_scan(v[found].path, pid, json, out, len) : out[0] ? -EIO : -ESRCH;
	free(v);
	if (e == -ESRCH && silent) {
		snprintf(out, len,
			 "no heapscope recorder said it traces process %d, and %d did not answer "
			 "within %d s (busy?): try again",
			 (int)pid, silent, RECORD_SCAN_FIND_MS / 1000);
		return -ETIMEDOUT;
	}
	if (e == -ESRCH)
		snprintf(out, len,
			 "no heapscope recorder traces process %d: start one with heapscope record "
			 "-p %d (the scan needs its live blocks)",
			 (int)pid, (int)pid);
	return e;
}

