/* Launch mode: starts a command held before exec, so the probes are in place before its first
 * allocation, and holds it again at exit, while its address space can still be read. */
#ifndef HEAPSCOPE_LAUNCH_H
#define HEAPSCOPE_LAUNCH_H

#include <sys/types.h>

enum launch_state {
	LAUNCH_RUNNING, /* nothing to do */
	LAUNCH_EXITING, /* held at exit: drain and symbolize, then launch_resume */
	LAUNCH_PAUSED,	/* stopped by the BPF side (SIGSTOP from the kernel, not a user's): the
			 * dynamic linker's list changed; load unwind tables, then launch_resume */
	LAUNCH_DONE,	/* gone; *exit_code is set */
};

/* Forks a child that stops before executing path with argv. 0 or -errno. */
int launch_start(const char *path, char *const argv[], pid_t *pid);

/* Lets the child exec and waits until it has: 0, or -errno of a failed exec (the child is then
 * reaped). */
int launch_release(pid_t pid);

/* Acts on one waitpid status of the child (forwards signals, steps past exec). */
enum launch_state launch_handle(pid_t pid, int wstatus, int *exit_code);

/* Lets a child held at exit finish exiting, or a paused one go on (the signal swallowed). */
void launch_resume(pid_t pid);

#endif
