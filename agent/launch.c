/* Launch mode: starts a command held before exec and follows it with ptrace, used only for
 * holds (birth, exec, exit) and the BPF side's pauses; signals are passed through unchanged.
 * Every hold is a ptrace event stop of a seized tracee, never a pending SIGSTOP: if heapscope
 * dies (SIGKILL), the kernel detaches its tracees and an event stop just resumes, whereas a
 * SIGSTOP still to be delivered would leave the program stopped for good. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/launch.h"
#include "agent/proc.h"

struct launch {
	pid_t root;
	int exec_err_fd; /* read end: the child's errno if exec failed, EOF once it exec'd */
	int go_fd;	 /* write end: one byte lets the held child exec; EOF (we died) ends it */
	pid_t *known;	 /* every thread seen stopped: a thread not in it stops first at birth */
	int nknown, cap;
};

/* Held on a pipe, not by a signal: seized by the parent meanwhile, it execs on the parent's
 * byte and exits unstarted if the parent dies first (the pipe then reads EOF). */
static void child(const char *path, char *const argv[], int err_fd, int go_fd)
{
	sigset_t all;
	char go;
	int e;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL); /* the agent blocks signals for its signalfd */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* Kept across exec: should heapscope die, the kernel detaches the command first, which
	 * may leave it in a group stop; this SIGCONT, sent after, lets it run on (a handler of
	 * SIGCONT in the program sees one spurious call). */
	prctl(PR_SET_PDEATHSIG, SIGCONT);
	if (read(go_fd, &go, 1) != 1)
		_exit(127);
	execv(path, argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int add_known(struct launch *l, pid_t tid)
{
	if (l->nknown == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		pid_t *k = realloc(l->known, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		l->known = k;
		l->cap = cap;
	}
	l->known[l->nknown++] = tid;
	return 0;
}

static int known_at(const struct launch *l, pid_t tid)
{
	for (int i = 0; i < l->nknown; i++)
		if (l->known[i] == tid)
			return i;
	return -1;
}

static void forget(struct launch *l, pid_t tid)
{
	int i = known_at(l, tid);

	if (i >= 0)
		l->known[i] = l->known[--l->nknown];
}

int launch_start(const char *path, char *const argv[], int follow, struct launch **out, pid_t *pid)
{
	/* A vfork child is followed even so: its allocations are in its parent's heap. */
	long opts = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEVFORK;
	struct launch *l = calloc(1, sizeof(*l));
	int fds[2], go[2] = { -1, -1 }, status, e;

	if (!l)
		return -ENOMEM;
	l->exec_err_fd = -1;
	l->go_fd = -1;
	if (pipe2(fds, O_CLOEXEC)) {
		e = -errno;
		goto fail;
	}
	if (pipe2(go, O_CLOEXEC)) {
		e = -errno;
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (follow)
		opts |= PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE;
	*pid = fork();
	if (*pid == 0) {
		close(go[1]); /* only the parent may hold the write end: its death is our EOF */
		child(path, argv, fds[1], go[0]);
	}
	e = *pid < 0 ? -errno : 0;
	close(fds[1]);
	close(go[0]);
	l->exec_err_fd = fds[0];
	l->go_fd = go[1];
	if (e)
		goto fail;
	l->root = *pid;
	/* Seized, not PTRACE_TRACEME: its children are seized too, so they are born in an event
	 * stop rather than with a SIGSTOP. */
	e = ptrace(PTRACE_SEIZE, *pid, NULL, (void *)opts) ? -errno : add_known(l, *pid);
	if (e)
		goto kill_child;
	*out = l;
	return 0;
kill_child:
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
fail:
	launch_free(l);
	return e;
}

int launch_release(struct launch *l)
{
	int status, child_errno = 0;
	pid_t w;
	ssize_t n;

	if (write(l->go_fd, "", 1) != 1)
		return -errno;
	close(l->go_fd);
	l->go_fd = -1;
	/* Wait for the exec stop, so the caller reads the new program's address space. Stops before
	 * it are resumed, also of a thread the child starts before exec (a TSan build's runtime
	 * does): read first, the exec's pipe would wait for it forever. */
	while ((w = waitpid(-1, &status, __WALL)) > 0) {
		if (w != l->root) {
			if (WIFSTOPPED(status))
				ptrace(PTRACE_CONT, w, NULL, NULL);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (WIFSTOPPED(status) && status >> 16 == PTRACE_EVENT_EXEC) {
			close(l->exec_err_fd);
			l->exec_err_fd = -1;
			return 0;
		}
		ptrace(PTRACE_CONT, l->root, NULL, NULL);
	}
	/* The child is gone: its exec's errno, if it failed (EOF if it died otherwise). */
	n = read(l->exec_err_fd, &child_errno, sizeof(child_errno));
	close(l->exec_err_fd);
	l->exec_err_fd = -1;
	return n == sizeof(child_errno) ? -child_errno : -ECHILD;
}

/* A vfork child runs in its parent's memory until it execs or exits. */
static int shares_memory(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

/* The first stop of a thread we never saw: it was born traced (fork, vfork or clone of a traced
 * thread) and stops at birth. A new process is the caller's; a new thread just goes on. */
static void born(struct launch *l, pid_t tid, struct launch_event *ev)
{
	pid_t ppid = 0, tgid = proc_thread_group(tid, &ppid);

	add_known(l, tid);
	if (tgid == tid) {
		*ev = (struct launch_event){ LAUNCH_NEW, tid, ppid, 0, shares_memory(tid, ppid) };
		return;
	}
	ptrace(PTRACE_CONT, tid, NULL, NULL);
}

/* A stop that is not a hold: pass a signal on, step past an event, swallow a pause. The BPF
 * side's pause is a SIGURG (bpf_send_signal_thread: si_code SI_KERNEL, a user's is SI_USER);
 * it is swallowed at once and the thread held instead in the event stop of PTRACE_INTERRUPT,
 * which it enters before returning to user code: that is the pause. */
static enum launch_state stopped(pid_t tid, int wstatus)
{
	int event = wstatus >> 16, sig = WSTOPSIG(wstatus);
	siginfo_t si;

	if (event == PTRACE_EVENT_EXEC)
		return LAUNCH_EXEC;
	if (event == PTRACE_EVENT_STOP && sig == SIGTRAP)
		return LAUNCH_PAUSED; /* our interrupt (a group stop reports its stop signal) */
	if (event) /* fork, vfork, clone: the newborn reports its own first stop */
		sig = 0;
	else if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si)) /* a group stop */
		sig = 0;
	else if (sig == SIGURG && si.si_code == SI_KERNEL) {
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		sig = 0;
	}
	ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
	return LAUNCH_RUNNING;
}

void launch_next(struct launch *l, struct launch_event *ev)
{
	int wstatus;
	pid_t tid = waitpid(-1, &wstatus, WNOHANG | __WALL);

	*ev = (struct launch_event){ tid > 0 ? LAUNCH_RUNNING : LAUNCH_NONE, tid, 0, 0, 0 };
	if (tid <= 0)
		return;
	if (WIFEXITED(wstatus) || WIFSIGNALED(wstatus)) {
		forget(l, tid);
		ev->exit_code = proc_exit_code(wstatus);
		ev->state = LAUNCH_DONE; /* of a thread too: the caller knows its processes */
		return;
	}
	if (!WIFSTOPPED(wstatus))
		return;
	if (known_at(l, tid) < 0) {
		born(l, tid, ev);
		return;
	}
	if (wstatus >> 16 == PTRACE_EVENT_EXIT) {
		pid_t ppid = 0;

		if (proc_thread_group(tid, &ppid) == tid) {
			ev->state = LAUNCH_EXITING;
			return;
		}
		ptrace(PTRACE_CONT, tid, NULL, NULL); /* a thread of a process that goes on */
		return;
	}
	ev->state = stopped(tid, wstatus);
}

/* Seizes every thread of pid not seized yet; new threads may appear meanwhile: until none. */
static int seize_threads(struct launch *l, pid_t pid, long opts)
{
	char path[64];
	int added;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	do {
		DIR *d = opendir(path);
		struct dirent *de;

		if (!d)
			return -ESRCH;
		added = 0;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);

			if (tid <= 0 || known_at(l, tid) >= 0)
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)opts)) {
				int e = -errno;

				if (e == -ESRCH)
					continue; /* a thread that just exited */
				closedir(d);
				return e;
			}
			add_known(l, tid);
			added++;
		}
		closedir(d);
	} while (added);
	return 0;
}

int launch_seize(const pid_t *pids, int n, struct launch **out)
{
	long opts = PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK |
		    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
	struct launch *l = calloc(1, sizeof(*l));
	int e = l ? 0 : -ENOMEM;

	if (l) {
		l->exec_err_fd = -1;
		l->go_fd = -1;
	}
	for (int i = 0; i < n && !e; i++)
		e = seize_threads(l, pids[i], opts);
	if (e) {
		launch_free(l);
		return e;
	}
	*out = l;
	return 0;
}

void launch_resume(pid_t pid)
{
	ptrace(PTRACE_CONT, pid, NULL, NULL);
}

void launch_let_go(struct launch *l, pid_t pid)
{
	forget(l, pid);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
}

void launch_free(struct launch *l)
{
	if (!l)
		return;
	if (l->exec_err_fd >= 0)
		close(l->exec_err_fd);
	if (l->go_fd >= 0)
		close(l->go_fd);
	free(l->known);
	free(l);
}
