/* Reading a process from /proc, and the objects a program will load: what the agent needs to
 * find the allocator. */
#ifndef HEAPSCOPE_PROC_H
#define HEAPSCOPE_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* A list of file paths, in load order. */
struct obj_list {
	char **paths;
	int n;
};

void obj_list_free(struct obj_list *l);

/* 0 if pid exists, -ESRCH otherwise. */
int proc_exists(pid_t pid);

/* The command line, arguments joined by spaces, into buf. 0 or -errno. */
int proc_cmdline(pid_t pid, char *buf, size_t len);

/* 1 if paths a and b name one file (same device and inode), else 0. */
int proc_same_file(const char *a, const char *b);

/* A wait status as a shell's exit status: the exit code, or 128 + the signal that killed it. */
int proc_exit_code(int wstatus);

/* The parent of pid; 0 if unknown. */
pid_t proc_ppid(pid_t pid);

/* The thread group (process) of thread tid, and (ppid non-NULL) its parent process; -1 when
 * tid is gone. */
pid_t proc_thread_group(pid_t tid, pid_t *ppid);

/* Target of /proc/pid/exe into buf. 0 or -errno. */
int proc_exe(pid_t pid, char *buf, size_t len);

/* The files mapped executable in pid, in address order, each once. 0 or -errno. */
int proc_mapped_objects(pid_t pid, struct obj_list *out);

/* The objects the dynamic linker would load for exe (as `ld.so --list`), exe first. A static
 * executable yields exe alone. 0 or -errno. */
int proc_linked_objects(const char *exe, struct obj_list *out);

/* Remembers what proc_exec_objects found, per program and environment. */
struct obj_cache;
struct obj_cache *obj_cache_new(void); /* NULL when out of memory */
void obj_cache_free(struct obj_cache *c);

/* The objects pid will load, at its exec (its new executable is mapped, its libraries not yet):
 * as proc_linked_objects for its executable, with the dynamic linker's variables of its own
 * environment (LD_PRELOAD...), from cache (may be NULL) when it was asked already. 0 or
 * -errno. */
int proc_exec_objects(pid_t pid, struct obj_cache *cache, struct obj_list *out);

/* Resolves a command name through PATH (as execvp would) into buf. 0 or -ENOENT/-EACCES. */
int proc_resolve_command(const char *cmd, char *buf, size_t len);

#endif
