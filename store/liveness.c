/* Whether the recorder that writes a recording still runs: its pid, start time, boot and pid
 * namespace, read from /proc, and the same read again by a reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "store/liveness.h"

/* Field 22 of /proc/PID/stat (starttime), after the command in parentheses. -errno if none;
 * -ESRCH for a process that has ended and waits to be reaped (a zombie). */
static int64_t start_ticks(int pid)
{
	char path[64], buf[1024], *p, state;
	long long ticks;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
	/* after ") ": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue starttime(22) */
	if (!p || sscanf(p + 2,
			 "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d"
			 " %*d %*d %*d %lld",
			 &state, &ticks) != 2)
		return -EIO;
	return state == 'Z' || state == 'X' ? -ESRCH : ticks;
}

/* The boot and the pid namespace this process sees pids in. */
static int where(char *buf, size_t len)
{
	char boot[64] = "";
	struct stat ns;
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, boot, sizeof(boot) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	boot[strcspn(boot, "\n")] = '\0';
	if (stat("/proc/self/ns/pid", &ns))
		return -errno;
	snprintf(buf, len, "%s/%llu", boot, (unsigned long long)ns.st_ino);
	return 0;
}

int liveness_self(struct liveness_id *out)
{
	*out = (struct liveness_id){ .pid = (int)getpid() };
	out->start_ticks = start_ticks(out->pid);
	if (out->start_ticks < 0)
		return (int)out->start_ticks;
	return where(out->where, sizeof(out->where));
}

int liveness_check(const struct liveness_id *id)
{
	char here[sizeof(id->where)];
	int64_t ticks;

	if (id->pid <= 0 || !id->where[0] || where(here, sizeof(here)) || strcmp(here, id->where))
		return -1;
	ticks = start_ticks(id->pid);
	if (ticks == -ENOENT || ticks == -ESRCH)
		return 0;
	if (ticks < 0)
		return -1;
	return ticks == id->start_ticks;
}
