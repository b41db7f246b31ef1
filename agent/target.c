/* Learns what will be traced, before anything is attached. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/elfsym.h"
#include "agent/probes.h"
#include "agent/target.h"

/* The program that will really run: a script's interpreter, else the file itself. */
static void real_executable(const char *path, char *out, size_t len)
{
	char line[PATH_MAX];
	FILE *f = fopen(path, "re");

	snprintf(out, len, "%s", path);
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && !strncmp(line, "#!", 2)) {
		char *p = line + 2;

		p += strspn(p, " \t");
		p[strcspn(p, " \t\n")] = '\0';
		if (*p == '/')
			snprintf(out, len, "%s", p);
	}
	fclose(f);
}

static void join_args(char **argv, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i] && used + 1 < len; i++)
		used += snprintf(buf + used, len - used, "%s%s", i ? " " : "", argv[i]);
}

/* A command to launch: its objects are those its executable (or interpreter) links. */
static int describe_command(struct target *t, char **argv, char *err, size_t errlen)
{
	char real[PATH_MAX];
	int e = proc_resolve_command(argv[0], t->exe, sizeof(t->exe));

	if (e) {
		snprintf(err, errlen, "cannot run '%s': %s", argv[0],
			 e == -ENOENT ? "command not found" : strerror(-e));
		t->command_error = e;
		return e;
	}
	join_args(argv, t->command, sizeof(t->command));
	real_executable(t->exe, real, sizeof(real));
	return proc_linked_objects(real, &t->objs);
}

/* A running process: its objects are those it maps now. */
static int describe_process(struct target *t, pid_t pid, char *err, size_t errlen)
{
	int e;

	if (proc_exists(pid)) {
		snprintf(err, errlen, "no such process: %d", (int)pid);
		return -ESRCH;
	}
	e = proc_exe(pid, t->exe, sizeof(t->exe));
	if (e == -ENOENT) { /* a kernel thread, or a process gone meanwhile */
		snprintf(err, errlen, "process %d has no executable to probe (a kernel thread?)",
			 (int)pid);
		return -ESRCH;
	}
	if (e) {
		snprintf(err, errlen, "cannot read /proc/%d/exe: %s", (int)pid, strerror(-e));
		return e;
	}
	proc_cmdline(pid, t->command, sizeof(t->command));
	e = proc_mapped_objects(pid, &t->objs);
	if (e == -ESRCH)
		snprintf(err, errlen, "process %d exited before it could be attached", (int)pid);
	return e;
}

/* A Go program keeps its heap in its runtime: its malloc calls (cgo) are not its heap. */
static int is_go(const char *path)
{
	struct elf_file *ef;
	int go;

	if (elfsym_open(path, &ef))
		return 0;
	go = elfsym_has_section(ef, ".go.buildinfo") || elfsym_has_section(ef, ".gopclntab");
	elfsym_close(ef);
	return go;
}

/* The allocator among t's objects; what cannot be traced is said in t->notice. */
static int find_allocator(struct target *t, char *err, size_t errlen)
{
	int e = probes_find_allocator(&t->objs, t->allocator, sizeof(t->allocator), err, errlen);
	char dir[PATH_MAX], real[PATH_MAX], name[PATH_MAX], *base = strrchr(t->allocator, '/');

	/* One name per file: /lib and /usr/lib are one directory on merged-/usr systems; the file
	 * keeps the name it was loaded by (its soname, not the versioned file it links to). */
	if (!e && base) {
		snprintf(name, sizeof(name), "%s", base);
		snprintf(dir, sizeof(dir), "%.*s", (int)(base - t->allocator), t->allocator);
		if (realpath(dir[0] ? dir : "/", real) && strcmp(real, "/") &&
		    strlen(real) + strlen(name) < sizeof(t->allocator))
			strcat(strcpy(t->allocator, real), name);
	}

	t->go = is_go(t->exe);
	if (t->go)
		snprintf(t->notice, sizeof(t->notice),
			 "%s is a Go program: its heap is managed by the Go runtime, not malloc; %s",
			 t->exe,
			 e ? "nothing of it can be traced" :
			     "only its C allocations (cgo) are recorded");
	else if (e)
		snprintf(t->notice, sizeof(t->notice), "%s", err);
	return e;
}

int target_describe(struct target *t, pid_t pid, char **argv, char *err, size_t errlen)
{
	int e;

	err[0] = '\0';
	e = argv ? describe_command(t, argv, err, errlen) : describe_process(t, pid, err, errlen);
	if (e && !err[0])
		snprintf(err, errlen, "cannot list the objects of %s: %s", t->exe, strerror(-e));
	if (e)
		return e;
	return find_allocator(t, err, errlen);
}

int target_describe_exec(struct target *t, pid_t pid, struct obj_cache *cache, char *err,
			 size_t errlen)
{
	int e = proc_exe(pid, t->exe, sizeof(t->exe));

	err[0] = '\0';
	if (!e)
		e = proc_cmdline(pid, t->command, sizeof(t->command));
	if (!e)
		e = proc_exec_objects(pid, cache, &t->objs);
	if (e) {
		snprintf(err, errlen, "cannot read process %d at its exec: %s", (int)pid,
			 strerror(-e));
		return e;
	}
	return find_allocator(t, err, errlen);
}

void target_free(struct target *t)
{
	obj_list_free(&t->objs);
}
