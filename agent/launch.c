/* Launch mode: starts a command held before exec, and holds it again at exit. ptrace is used
 * only for these two holds (PTRACE_O_TRACEEXEC/TRACEEXIT on the main thread); signals are
 * passed through unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/launch.h"

static int exec_err_fd = -1; /* read end: the child's errno if exec failed, EOF once it exec'd */

static void child(const char *path, char *const argv[], int err_fd)
{
	sigset_t all;
	int e;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* the agent blocks signals for its signalfd */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
		raise(SIGSTOP);
	execv(path, argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

int launch_start(const char *path, char *const argv[], pid_t *pid)
{
	int fds[2], status;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (*pid == 0)
		child(path, argv, fds[1]);
	close(fds[1]);
	exec_err_fd = fds[0];
	if (waitpid(*pid, &status, 0) != *pid || !WIFSTOPPED(status)) {
		close(exec_err_fd);
		return -ECHILD;
	}
	if (ptrace(PTRACE_SETOPTIONS, *pid, NULL,
		   (void *)(long)(PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT))) {
		int e = -errno;

		kill(*pid, SIGKILL);
		waitpid(*pid, &status, 0);
		return e;
	}
	return 0;
}

static void reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == pid && !WIFEXITED(status) && !WIFSIGNALED(status))
		ptrace(PTRACE_CONT, pid, NULL, NULL);
}

int launch_release(pid_t pid)
{
	int status, child_errno = 0;
	ssize_t n;

	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		return -errno;
	n = read(exec_err_fd, &child_errno, sizeof(child_errno));
	close(exec_err_fd);
	exec_err_fd = -1;
	if (n == sizeof(child_errno)) {
		reap(pid);
		return -child_errno;
	}
	/* Wait for the exec stop, so the caller reads the new program's address space. */
	while (waitpid(pid, &status, 0) == pid) {
		int event = status >> 16, ignored;

		if (WIFSTOPPED(status) && event == PTRACE_EVENT_EXEC)
			return 0;
		if (launch_handle(pid, status, &ignored) == LAUNCH_DONE)
			return -ECHILD;
	}
	return -errno;
}

enum launch_state launch_handle(pid_t pid, int wstatus, int *exit_code)
{
	siginfo_t si;
	int sig;

	if (WIFEXITED(wstatus)) {
		*exit_code = WEXITSTATUS(wstatus);
		return LAUNCH_DONE;
	}
	if (WIFSIGNALED(wstatus)) {
		*exit_code = 128 + WTERMSIG(wstatus);
		return LAUNCH_DONE;
	}
	if (!WIFSTOPPED(wstatus))
		return LAUNCH_RUNNING;
	if (wstatus >> 16 == PTRACE_EVENT_EXIT)
		return LAUNCH_EXITING;
	sig = WSTOPSIG(wstatus);
	/* An event stop (exec) or a group stop (no siginfo) resumes without a signal. */
	if (wstatus >> 16 || ptrace(PTRACE_GETSIGINFO, pid, NULL, &si))
		sig = 0;
	else if (sig == SIGSTOP && si.si_code == SI_KERNEL)
		return LAUNCH_PAUSED; /* bpf_send_signal_thread: a user's SIGSTOP is SI_USER */
	ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	return LAUNCH_RUNNING;
}

void launch_resume(pid_t pid)
{
	ptrace(PTRACE_CONT, pid, NULL, NULL);
}
