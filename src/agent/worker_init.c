/*
 * worker_init.c — init of the worker's PID namespace (see worker_init.h).
 *
 * Why a separate init: the kernel delivers to a namespace's init only the
 * signals it has a handler for (and SIGKILL/SIGSTOP from an ancestor
 * namespace).  A worker that is init therefore ignores the SIGXCPU of its
 * own RLIMIT_CPU, and the kernel raises the soft limit by one second each
 * time it sends one: the limit "creeps" and never kills.  As PID 2 the
 * worker is an ordinary process: SIGXCPU kills it.
 *
 * The init applies no sandbox (it forks before the policy is read) and
 * runs no input: it waits on a signalfd and on its copy of the
 * connection, which it polls for hang-up only (never POLLIN: the worker
 * reads it).  It is not dumpable, so that a process of the namespace
 * that kept the uid cannot ptrace it even without seccomp.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/worker_init.h"
#include "util/time.h"

/* The signals the init takes (blocked, read from its signalfd). */
static const int worker_init_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

int
worker_init_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return WORKER_INIT_SIGNALLED + WTERMSIG(status);
	return WORKER_INIT_SIGNALLED + SIGKILL;
}

int
worker_init_signal(int code)
{
	if (code > WORKER_INIT_SIGNALLED && code < WORKER_INIT_SIGNALLED + 65)
		return code - WORKER_INIT_SIGNALLED;
	return 0;
}

/* Reap every child; 1 (with *status) once the worker is among them. */
static int
worker_init_reap(pid_t worker, int *status)
{
	int st, done = 0;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0 ||
	    (p == -1 && errno == EINTR)) {
		if (p == worker) {
			*status = st;
			done = 1;
		}
	}
	return done;
}

static void worker_init_loop(pid_t worker, int sfd, int watch)
    __attribute__((noreturn));

/*
 * Until the worker ends: reap, forward the signals, watch the client.
 * Exit with the worker's code; the kernel then kills every process left
 * in the namespace.
 */
static void
worker_init_loop(pid_t worker, int sfd, int watch)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	uint64_t deadline = 0, now;
	int status = 0, n, ms;

	for (;;) {
		if (worker_init_reap(worker, &status))
			_exit(worker_init_code(status));
		ms = -1;
		if (deadline != 0) {
			if ((now = time_mono_ms()) >= deadline)
				_exit(WORKER_INIT_SIGNALLED + SIGKILL);
			ms = (int)(deadline - now);
		}
		memset(pfd, 0, sizeof pfd);
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		n = 1;
		if (watch != -1 && deadline == 0) {
			pfd[1].fd = watch;
			pfd[1].events = POLLRDHUP; /* never POLLIN */
			n = 2;
		}
		if (poll(pfd, (nfds_t)n, ms) == -1) {
			if (errno == EINTR)
				continue;
			_exit(WORKER_INIT_SIGNALLED + SIGKILL);
		}
		if (n == 2 &&
		    (pfd[1].revents &
			(POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			deadline = time_mono_ms() + WORKER_INIT_GRACE_MS;
		if (!(pfd[0].revents & POLLIN))
			continue;
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			if (si.ssi_signo != SIGCHLD)
				kill(worker, (int)si.ssi_signo);
		}
	}
}

pid_t
worker_init_start(int sock, const char **why)
{
	sigset_t set, old;
	size_t i;
	pid_t pid;
	int sfd, watch;

	sigemptyset(&set);
	for (i = 0;
	     i < sizeof worker_init_signals / sizeof *worker_init_signals; i++)
		sigaddset(&set, worker_init_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		*why = strerror(errno);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	watch = fcntl(sock, F_DUPFD_CLOEXEC, sock + 1);
	if ((pid = fork()) == -1) {
		*why = strerror(errno);
		close(sfd);
		if (watch != -1)
			close(watch);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (pid == 0) {
		close(sfd);
		if (watch != -1)
			close(watch);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/*
		 * Orphans of our commands come to us, not to the init: the
		 * exec tool reaps them all before its next command, so that
		 * no zombie holds a pid of the namespace's few.  If the init
		 * dies, the namespace dies: no need to watch it.
		 */
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		return 0;
	}
	/* The init keeps its copy of the connection, for hang-up only. */
	close(sock);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	worker_init_loop(pid, sfd, watch);
}
