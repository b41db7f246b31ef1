/* The recorder's own cost for `make bench`: runs a command and writes the CPU seconds of that
 * process alone (its threads, not its children: the traced command is one) and its peak RSS.
 *
 * usage: selfstat OUT -- CMD [ARGS...]
 * OUT gets one line "user_s sys_s peak_rss_kib". The times are read from /proc/PID/stat while the
 * process is a zombie (waitid WNOWAIT), so its last work is counted; the peak RSS is VmHWM,
 * polled every 20 ms (its mm is gone by then). SIGINT and SIGTERM are passed on to the command;
 * selfstat exits with its status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static long vm_hwm_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Fields 14 and 15 of /proc/PID/stat (utime, stime) in clock ticks; after the command, whose
 * name may hold spaces and parentheses, so parsing starts at the last ')'. */
static int self_times(pid_t pid, double *user_s, double *sys_s)
{
	char path[64], buf[4096], *p;
	unsigned long ut, st;
	double tck = (double)sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -EINVAL;
	*user_s = ut / tck;
	*sys_s = st / tck;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = forward };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	double user_s = 0, sys_s = 0;
	long peak = -1, kib;
	siginfo_t si;
	int status = 0;
	FILE *out;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: selfstat OUT -- CMD [ARGS...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("selfstat: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "selfstat: cannot run %s: %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	child = pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (;;) {
		kib = vm_hwm_kib(pid);
		if (kib > peak)
			peak = kib;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			break;
		nanosleep(&tick, NULL);
	}
	if (self_times(pid, &user_s, &sys_s))
		user_s = sys_s = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	out = fopen(argv[1], "w");
	if (out) {
		fprintf(out, "%.2f %.2f %ld\n", user_s, sys_s, peak);
		fclose(out);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
