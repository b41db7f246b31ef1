/* Launch mode: starts a command held before exec, so the probes are in place before its first
 * allocation, and follows it as its tracer: its exec, its exit (held while its address space can
 * still be read), and, when following, every process it forks and every exec there. */
#ifndef HEAPSCOPE_LAUNCH_H
#define HEAPSCOPE_LAUNCH_H

#include <sys/types.h>

enum launch_state {
	LAUNCH_NONE,	/* nothing waiting */
	LAUNCH_RUNNING, /* handled here (a signal passed on, a thread born or gone) */
	LAUNCH_NEW,	/* ev.pid: a new process (fork, vfork, clone), held at birth: attach, then
			 * launch_resume */
	LAUNCH_EXEC,	/* ev.pid held at its exec, the new program mapped: attach, launch_resume */
	LAUNCH_EXITING, /* ev.pid held at exit: drain and symbolize, then launch_resume */
	LAUNCH_PAUSED,	/* ev.pid (a thread) stopped by the BPF side (SIGSTOP from the kernel, not a
			 * user's): the dynamic linker's list changed; load unwind tables, then
			 * launch_resume (the signal is swallowed) */
	LAUNCH_DONE,	/* ev.pid is gone; ev.exit_code is its exit code, or 128 + signal */
};

struct launch_event {
	enum launch_state state;
	pid_t pid, ppid; /* ppid: LAUNCH_NEW only */
	int exit_code;
	int shares_memory; /* LAUNCH_NEW: a vfork child, in its parent's memory until it execs */
};

struct launch;

/* Forks a child that stops before executing path with argv; with follow, its descendants are
 * traced too, else only its vfork children (they allocate in its memory) until they exec.
 * 0 or -errno. */
int launch_start(const char *path, char *const argv[], int follow, struct launch **out, pid_t *pid);

/* -p --follow: seizes every thread of the running processes pids (they go on running), so their
 * forks and execs are held like a launched command's. 0 or -errno (-EPERM: another tracer). */
int launch_seize(const pid_t *pids, int n, struct launch **out);

/* Lets the child exec and waits until it has: 0, or -errno of a failed exec (the child is then
 * reaped). */
int launch_release(struct launch *l);

/* Takes one pending state change of a traced thread, without waiting. */
void launch_next(struct launch *l, struct launch_event *ev);

/* Lets a process held at birth, exec or exit go on, or a paused thread (the signal swallowed). */
void launch_resume(pid_t pid);

/* Stops tracing pid (held at an event): it goes on on its own. */
void launch_let_go(struct launch *l, pid_t pid);

/* Forgets everything (the processes, if still traced, are released when we exit). Accepts
 * NULL. */
void launch_free(struct launch *l);

#endif
