/* Reading a process from /proc, and the objects a program will load. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/proc.h"

#define LDSO "/lib64/ld-linux-x86-64.so.2"

void obj_list_free(struct obj_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = 0;
}

static int obj_list_add(struct obj_list *l, const char *path)
{
	char **grown;

	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->paths[i], path))
			return 0;
	grown = realloc(l->paths, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->paths = grown;
	l->paths[l->n] = strdup(path);
	if (!l->paths[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

/* /proc/pid/name into buf (NUL-terminated after the bytes read): their count, or -errno. */
static ssize_t read_proc_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int proc_exists(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || access(path, F_OK))
		return -ESRCH;
	return 0;
}

int proc_cmdline(pid_t pid, char *buf, size_t len)
{
	ssize_t n = read_proc_file(pid, "cmdline", buf, len);

	if (n < 0)
		return (int)n;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return 0;
}

int proc_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int proc_exit_code(int wstatus)
{
	return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
}

pid_t proc_thread_group(pid_t tid, pid_t *ppid)
{
	char path[64], line[128];
	int tgid = -1, parent = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Tgid: %d", &tgid);
		sscanf(line, "PPid: %d", &parent);
	}
	fclose(f);
	if (ppid)
		*ppid = (pid_t)parent;
	return (pid_t)tgid;
}

pid_t proc_ppid(pid_t pid)
{
	pid_t ppid = 0;

	proc_thread_group(pid, &ppid);
	return ppid;
}

int proc_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int proc_mapped_objects(pid_t pid, struct obj_list *out)
{
	char path[64], line[PATH_MAX + 128], perms[8], file[PATH_MAX];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	*out = (struct obj_list){ 0 };
	while (!err && fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%*x-%*x %7s %*x %*s %*u %4095[^\n]", perms, file) < 2)
			continue;
		if (perms[2] == 'x' && file[0] == '/')
			err = obj_list_add(out, file);
	}
	fclose(f);
	if (!err && out->n == 0)
		err = -ESRCH; /* a zombie or kernel thread has no mappings */
	if (err)
		obj_list_free(out);
	return err;
}

/* Parses one line of `ld.so --list`: "\tname => /path (0x...)" or "\t/path (0x...)". */
static int parse_list_line(char *line, struct obj_list *out)
{
	char *arrow = strstr(line, "=> "), *p = arrow ? arrow + 3 : line, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '/')
		return 0;
	end = strstr(p, " (");
	if (end)
		*end = '\0';
	else
		p[strcspn(p, "\n")] = '\0';
	return obj_list_add(out, p);
}

/* The dynamic linker's variables of pid's environment (LD_PRELOAD, LD_LIBRARY_PATH...), as
 * "NAME=value" strings in buf, NULL-terminated in vars. -errno if it cannot be read. */
static int ld_environment(pid_t pid, char *buf, size_t len, char **vars, int max)
{
	ssize_t n = read_proc_file(pid, "environ", buf, len);
	int k = 0;

	if (n < 0)
		return (int)n;
	for (char *v = buf; v < buf + n && k < max - 1; v += strlen(v) + 1)
		if (!strncmp(v, "LD_", 3))
			vars[k++] = v;
	vars[k] = NULL;
	return 0;
}

/* Runs `ld.so --list exe` with environment envp and adds every object it names to out. */
static int ldso_list(const char *exe, char *const envp[], struct obj_list *out)
{
	char *const argv[] = { (char *)LDSO, (char *)"--list", (char *)exe, NULL };
	char line[PATH_MAX + 128];
	int fds[2], err = 0, status;
	pid_t child;
	FILE *f;

	if (pipe2(fds, O_CLOEXEC))
		return 0;
	child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execve(LDSO, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	f = child > 0 ? fdopen(fds[0], "r") : NULL;
	if (!f) {
		close(fds[0]);
	} else {
		while (!err && fgets(line, sizeof(line), f))
			err = parse_list_line(line, out);
		fclose(f);
	}
	if (child > 0)
		waitpid(child, &status, 0);
	return err;
}

/* ld.so --list loads the objects without running the program, honouring LD_PRELOAD and
 * LD_LIBRARY_PATH as the launch will. A static executable makes it fail: exe alone. */
static int linked_objects(const char *exe, char *const envp[], struct obj_list *out)
{
	int err;

	*out = (struct obj_list){ 0 };
	err = obj_list_add(out, exe);
	if (!err)
		err = ldso_list(exe, envp, out);
	if (err)
		obj_list_free(out);
	return err;
}

int proc_linked_objects(const char *exe, struct obj_list *out)
{
	return linked_objects(exe, environ, out);
}

/* What ld.so --list said, by executable (path, inode, mtime) and LD_ environment: a shell loop
 * execs the same program again and again. */
#define OBJ_CACHE_SIZE 64
struct obj_cache {
	char *keys[OBJ_CACHE_SIZE];
	struct obj_list lists[OBJ_CACHE_SIZE];
	int next; /* replaced round robin */
};

struct obj_cache *obj_cache_new(void)
{
	return calloc(1, sizeof(struct obj_cache));
}

void obj_cache_free(struct obj_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < OBJ_CACHE_SIZE; i++) {
		free(c->keys[i]);
		obj_list_free(&c->lists[i]);
	}
	free(c);
}

static int obj_list_copy(struct obj_list *dst, const struct obj_list *src)
{
	int err = 0;

	*dst = (struct obj_list){ 0 };
	for (int i = 0; i < src->n && !err; i++)
		err = obj_list_add(dst, src->paths[i]);
	if (err)
		obj_list_free(dst);
	return err;
}

static char *cache_key(const char *exe, char *const vars[])
{
	struct stat st;
	size_t len = strlen(exe) + 64;
	char *key, *p;

	if (stat(exe, &st))
		return NULL;
	for (int i = 0; vars[i]; i++)
		len += strlen(vars[i]) + 1;
	key = malloc(len);
	if (!key)
		return NULL;
	p = key + sprintf(key, "%s\n%lu %lld", exe, (unsigned long)st.st_ino,
			  (long long)st.st_mtim.tv_sec);
	for (int i = 0; vars[i]; i++)
		p += sprintf(p, "\n%s", vars[i]);
	return key;
}

static int cached_objects(struct obj_cache *c, const char *exe, char *const vars[],
			  struct obj_list *out)
{
	char *key = c ? cache_key(exe, vars) : NULL;
	int err;

	for (int i = 0; key && i < OBJ_CACHE_SIZE; i++) {
		if (c->keys[i] && !strcmp(c->keys[i], key)) {
			free(key);
			return obj_list_copy(out, &c->lists[i]);
		}
	}
	err = linked_objects(exe, vars, out);
	if (!err && key) {
		free(c->keys[c->next]);
		obj_list_free(&c->lists[c->next]);
		c->keys[c->next] = key;
		key = NULL;
		err = obj_list_copy(&c->lists[c->next], out);
		c->next = (c->next + 1) % OBJ_CACHE_SIZE;
	}
	free(key);
	return err;
}

int proc_exec_objects(pid_t pid, struct obj_cache *cache, struct obj_list *out)
{
	char exe[PATH_MAX], *env = malloc(1 << 16), *vars[64];
	int err = env ? proc_exe(pid, exe, sizeof(exe)) : -ENOMEM;

	if (!err)
		err = ld_environment(pid, env, 1 << 16, vars, 64);
	if (!err)
		err = cached_objects(cache, exe, vars, out);
	free(env);
	return err;
}

static int executable_file(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -ENOENT;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

int proc_resolve_command(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	int err = -ENOENT;

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return executable_file(buf);
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int e;

		snprintf(buf, len, "%.*s/%s", (int)n, n ? path : ".", cmd);
		e = executable_file(buf);
		if (!e)
			return 0;
		if (e == -EACCES)
			err = e;
		path += n + (path[n] == ':');
	}
	return err;
}
