/*
 * hands.c — the brain's side of an agent's hands: start the sandboxed
 * worker, call its tools, kill it, reap it (docs/worker-protocol.md).
 *
 * A struct hands belongs to one thread at a time, but for hands_kill(),
 * which any thread may call while another waits in hands_call(): it only
 * sends a signal and sets a flag.  The worker is never reaped before
 * hands_close(), so its pid (and process group id) cannot be reused while
 * h lives: killing the group is always safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/hands.h"
#include "agent/proto.h"
#include "agent/tools.h"
#include "agent/worker_init.h"
#include "security/cgroup.h"
#include "security/sandbox.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

#define HANDS_READY_MS 5000 /* spawn: the sandbox report comes this soon */
#define HANDS_CLOSE_MS 1000 /* close: exit this soon after EOF, or die */
#define HANDS_EXEC_FAILED \
	"{\"type\":\"error\",\"error\":\"cannot exec /proc/self/exe\"}\n"

struct hands {
	pthread_mutex_t lock; /* pid changes (hands_respawn()) vs kills */
	pid_t pid;            /* guarded by lock */
	int pidfd; /* readable once the worker exits; -1 if unsupported */
	int fd;
	int dead;    /* killed, or out of step: no more calls (atomic) */
	int waiting; /* a call is out: the brain waits on it (atomic) */
	struct proto_reader rd;
	json_t *sandbox;
	json_t *policy; /* the policy line sent, for hands_respawn() */
	char *cgroup;   /* its cgroup v2 directory, or NULL */
	int cpu_secs;   /* of the policy, to name a SIGXCPU */
	json_int_t next_id;
};

/* Write s to a file of /proc (async-signal-safe).  0 or -1. */
static int
hands_write_proc(const char *path, const char *s, size_t n)
{
	int fd, rc;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = write(fd, s, n) == (ssize_t)n ? 0 : -1;
	close(fd);
	return rc;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3()'s argument (linux/sched.h, kept here: it clashes with glibc). */
struct hands_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
	    stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* The cgroup v2 plan of this process, made once (security/cgroup.h). */
static struct cgroup_plan hands_cg;
static pthread_once_t hands_cg_once = PTHREAD_ONCE_INIT;

static void
hands_cg_init(void)
{
	char *cause = NULL;

	if (cgroup_plan("", getpid(), &hands_cg) == CGROUP_NONE ||
	    cgroup_prepare(&hands_cg, getpid(), &cause) == -1)
		log_debug("workers get no cgroup of their own: %s",
		    hands_cg.why);
	free(cause);
}

/*
 * The fork of hands_fork(), into the cgroup `cgfd` (-1: none) with
 * clone3() when it is given; -1 with errno when the kernel refuses.
 */
static pid_t
hands_clone(uint64_t flags, int cgfd)
{
	struct hands_clone_args ca;

	if (cgfd == -1)
		return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	memset(&ca, 0, sizeof ca);
	ca.flags = flags | CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)cgfd;
	return (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
}

/*
 * fork(), into a new PID namespace when the kernel lets us, so that the
 * worker is its init and every process it starts dies with it: as root
 * directly, otherwise inside a user namespace that maps only our own ids
 * (the child writes them, from `map` prepared here).  Falls back to a
 * plain fork(); the worker then makes the namespace itself if it can.
 * The child may only make async-signal-safe calls, as after fork().
 */
static pid_t
hands_fork(char map[2][64], int *userns, int cgfd)
{
	pid_t pid;

	*userns = 0;
	snprintf(map[0], 64, "%lu %lu 1\n", (unsigned long)geteuid(),
	    (unsigned long)geteuid());
	snprintf(map[1], 64, "%lu %lu 1\n", (unsigned long)getegid(),
	    (unsigned long)getegid());
	if ((pid = hands_clone(CLONE_NEWPID, cgfd)) != -1)
		return pid;
	if (geteuid() != 0 &&
	    (pid = hands_clone(CLONE_NEWUSER | CLONE_NEWPID, cgfd)) != -1) {
		*userns = 1;
		return pid;
	}
	if (cgfd != -1) /* no clone3() or no CLONE_INTO_CGROUP */
		return hands_fork(map, userns, -1);
	return fork();
}

static void hands_child(int, char **, char[2][64], int)
    __attribute__((noreturn));

/* In the child (async-signal-safe only): become the worker. */
static void
hands_child(int sock, char **env, char map[2][64], int userns)
{
	char *argv[] = { (char *)"oxios", (char *)"__worker", NULL };
	int fd;

	/*
	 * Die with the thread that forked us (see hands.h); the worker's
	 * init watches the connection too, for the process.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (userns &&
	    (hands_write_proc("/proc/self/uid_map", map[0], strlen(map[0])) ==
		    -1 ||
		hands_write_proc("/proc/self/setgroups", "deny", 4) == -1 ||
		hands_write_proc("/proc/self/gid_map", map[1],
		    strlen(map[1])) == -1))
		_exit(127);
	if (userns) /* the worker builds its filesystem view with it */
		sandbox_keep_sysadmin();
	sandbox_child_reset();
	if (sock == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(sock, 3) == -1)
		_exit(127);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 3)
			close(fd);
	}
	sandbox_close_from(4, -1);
	execve("/proc/self/exe", argv, env);
	if (write(3, HANDS_EXEC_FAILED, sizeof HANDS_EXEC_FAILED - 1) == -1)
		_exit(127);
	_exit(127);
}

/* Whether the worker has exited (not reaped).  *status when it has. */
static int
hands_exited(struct hands *h, int *status)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)h->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		-1 ||
	    si.si_pid != h->pid)
		return 0;
	if (status != NULL)
		*status = si.si_code == CLD_EXITED ?
		    (si.si_status & 0xff) << 8 :
		    si.si_status & 0x7f;
	return 1;
}

/*
 * Wait up to `ms` for the worker to exit (not reaping it): on its pidfd
 * when the kernel gives one, else in 10 ms naps.  1 if it has exited.
 */
static int
hands_wait_exit(struct hands *h, int ms, int *status)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct pollfd pfd;
	uint64_t end = time_mono_ms() + (uint64_t)ms, now;

	for (;;) {
		if (hands_exited(h, status))
			return 1;
		if ((now = time_mono_ms()) >= end)
			return 0;
		if (h->pidfd == -1) {
			nanosleep(&ts, NULL);
			continue;
		}
		pfd.fd = h->pidfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)(end - now)) == -1 && errno != EINTR)
			return hands_exited(h, status);
	}
}

/*
 * "exit status 1", "killed by SIGXCPU: CPU limit 5 s", "killed by
 * SIGKILL" (caller frees).  The init of the worker's namespace exits
 * 128+N when the worker was killed by signal N (worker_init.h).
 */
static char *
hands_describe(struct hands *h, int status)
{
	const char *abbrev;
	char *s;
	int sig = 0;

	if (WIFEXITED(status))
		sig = worker_init_signal(WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		sig = WTERMSIG(status);
	if (sig == 0) {
		xasprintf(&s, "exit status %d", WEXITSTATUS(status));
		return s;
	}
	abbrev = sigabbrev_np(sig);
	if (sig == SIGXCPU && h->cpu_secs > 0)
		xasprintf(&s, "killed by SIGXCPU: CPU limit %d s", h->cpu_secs);
	else if (abbrev != NULL)
		xasprintf(&s, "killed by SIG%s", abbrev);
	else
		xasprintf(&s, "killed by signal %d", sig);
	return s;
}

/* Why the worker stopped answering, after a short wait for its exit. */
static char *
hands_gone(struct hands *h, const char *what)
{
	char *how, *s;
	int status;

	if (!hands_wait_exit(h, 200, &status)) {
		xasprintf(&s, "%s", what);
		return s;
	}
	how = hands_describe(h, status);
	xasprintf(&s, "%s (the worker was %s)", what, how);
	free(how);
	return s;
}

/* Reap the worker: kill what is left of its group first.  Status. */
static int
hands_reap(struct hands *h)
{
	int status;

	kill(-h->pid, SIGKILL);
	kill(h->pid, SIGKILL);
	while (waitpid(h->pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

static void
hands_free(struct hands *h)
{
	if (h->fd != -1)
		close(h->fd);
	if (h->pidfd != -1)
		close(h->pidfd);
	proto_reader_free(&h->rd);
	json_decref(h->sandbox);
	json_decref(h->policy);
	if (h->cgroup != NULL && cgroup_worker_remove(h->cgroup) == -1)
		log_warn("%s: %s", h->cgroup, strerror(errno));
	free(h->cgroup);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static void hands_kill_locked(struct hands *h);

static json_t *
hands_policy_json(const struct hands_policy *pol)
{
	json_t *allow, *p;

	if (pol->allowlist != NULL && json_is_array(pol->allowlist))
		allow = json_deep_copy(pol->allowlist);
	else
		allow = json_array();
	p = json_pack("{s:s, s:i, s:s, s:b, s:b, s:o, s:i, s:I, s:i, s:I, "
		      "s:b, s:b, s:i, s:I}",
	    "type", "policy", "version", 1, "workspace", pol->workspace,
	    "allow_network", pol->allow_network != 0, "allow_shell",
	    pol->allow_shell != 0, "allowlist", allow, "exec_timeout_secs",
	    pol->exec_timeout_secs > 0 ? pol->exec_timeout_secs : 0,
	    "max_output_bytes",
	    (json_int_t)(pol->max_output_bytes <= 0 ? 0 :
		    pol->max_output_bytes > TOOLS_EXEC_MAX_OUTPUT ?
						      TOOLS_EXEC_MAX_OUTPUT :
						      pol->max_output_bytes),
	    "cpu_secs", pol->cpu_secs > 0 ? pol->cpu_secs : 0, "memory_mb",
	    (json_int_t)(pol->memory_mb > 0 ? pol->memory_mb : 0),
	    "sandbox_required", pol->sandbox_required != 0, "sandbox_off",
	    pol->sandbox_off != 0, "max_procs",
	    pol->max_procs > 0 ? pol->max_procs : 0, "workspace_growth_mb",
	    (json_int_t)(pol->workspace_growth_mb > 0 ?
		    pol->workspace_growth_mb :
		    0));
	if (p != NULL && pol->workspace_base_bytes > 0)
		json_object_set_new(p, "workspace_base_bytes",
		    json_integer((json_int_t)pol->workspace_base_bytes));
	return p;
}

int
hands_start(struct hands **out, char **cause)
{
	struct hands *h;
	char **env, map[2][64], *cg = NULL, *err = NULL;
	int sv[2], userns, cgfd = -1;
	pid_t pid;

	*out = NULL;
	if (getenv(PROTO_MARK) != NULL) {
		xasprintf(cause,
		    "cannot start hands inside a worker: this program runs as "
		    "its own worker (/proc/self/exe) but does not dispatch "
		    "`__worker` to worker_main()");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		xasprintf(cause, "socketpair: %s", strerror(errno));
		return -1;
	}
	env = proto_env();
	pthread_once(&hands_cg_once, hands_cg_init);
	if (hands_cg.mode == CGROUP_DIRECT &&
	    (cgfd = cgroup_worker_new(&hands_cg, getpid(), &cg, &err)) == -1) {
		log_warn("worker cgroup: %s", err);
		free(err);
	}
	pid = hands_fork(map, &userns, cgfd);
	if (cgfd != -1)
		close(cgfd);
	if (pid == -1) {
		xasprintf(cause, "fork: %s", strerror(errno));
		proto_env_free(env);
		close(sv[0]);
		close(sv[1]);
		if (cg != NULL)
			cgroup_worker_remove(cg);
		free(cg);
		return -1;
	}
	if (pid == 0)
		hands_child(sv[1], env, map, userns);
	setpgid(pid, pid); /* also in the child: whoever runs first */
	proto_env_free(env);
	close(sv[1]);
	h = xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->lock, NULL);
	h->pid = pid;
	h->cgroup = cg;
	/* Not reaped before hands_close(): the pid cannot be reused. */
	h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	h->fd = sv[0];
	proto_reader_init(&h->rd, h->fd, PROTO_MAX_RESPONSE);
	*out = h;
	return 0;
}

/* Bound the worker's cgroup by the policy; say so in its report. */
static void
hands_cg_limits(struct hands *h, const json_t *policy)
{
	int procs =
	    (int)json_integer_value(json_object_get(policy, "max_procs"));
	long mb =
	    (long)json_integer_value(json_object_get(policy, "memory_mb"));
	char *cause = NULL;

	if (h->cgroup == NULL) {
		json_object_set_new(h->sandbox, "cgroup",
		    json_pack("{s:b, s:s}", "applied", 0, "why",
			hands_cg.mode == CGROUP_NONE ? hands_cg.why :
						       "it could not be made"));
		return;
	}
	if (cgroup_worker_limits(h->cgroup, procs, mb, &cause) == -1) {
		json_object_set_new(h->sandbox, "cgroup",
		    json_pack("{s:b, s:s}", "applied", 0, "why", cause));
		free(cause);
		return;
	}
	json_object_set_new(h->sandbox, "cgroup",
	    json_pack("{s:b, s:s, s:i, s:I}", "applied", 1, "path", h->cgroup,
		"pids_max", procs, "memory_max_mb", (json_int_t)mb));
}

/*
 * Send the policy line, wait for the ready line; keep the policy (with
 * the workspace's size at the start, as the worker measured it) for a
 * respawn.  Takes ownership of `policy`.
 */
static int
hands_setup_json(struct hands *h, json_t *policy, char **cause)
{
	json_t *msg = NULL, *base;
	char *line = NULL, *err = NULL, *how;
	size_t len;
	int r, rc = -1;

	h->cpu_secs =
	    (int)json_integer_value(json_object_get(policy, "cpu_secs"));
	/* If this fails the worker is gone: its last line says why. */
	if (proto_write_json(h->fd, policy, NULL, &err) == -1) {
		free(err);
		err = NULL;
	}
	r = proto_read_line(&h->rd, HANDS_READY_MS, NULL, &line, &len, &err);
	if (r == 0)
		err = hands_gone(h, "the worker exited before it was ready");
	else if (r == -1 && errno == ETIMEDOUT) {
		free(err);
		xasprintf(&err, "the worker did not report ready within %d s",
		    HANDS_READY_MS / 1000);
	} else if (r == -1) {
		how = err;
		xasprintf(&err, "the worker exited before it was ready (%s)",
		    how);
		free(how);
		how = err;
		err = hands_gone(h, how);
		free(how);
	}
	if (r != 1)
		goto fail;
	msg = json_loadb(line, len, 0, NULL);
	if (strcmp(oxjson_str(msg, "type", ""), "ready") == 0 &&
	    json_is_object(json_object_get(msg, "sandbox"))) {
		h->sandbox = json_incref(json_object_get(msg, "sandbox"));
		hands_cg_limits(h, policy);
		base = json_object_get(h->sandbox, "workspace_base_bytes");
		if (json_is_integer(base) && json_integer_value(base) > 0)
			json_object_set(policy, "workspace_base_bytes", base);
		json_decref(h->policy);
		h->policy = policy;
		policy = NULL;
		rc = 0;
		goto out;
	}
	if (json_is_string(json_object_get(msg, "error")))
		xasprintf(&err, "the worker refused to start: %s",
		    json_string_value(json_object_get(msg, "error")));
	else
		xasprintf(&err, "the worker sent no ready line");
fail:
	hands_kill(h);
	if (err != NULL) {
		*cause = err;
		err = NULL;
	} else
		xasprintf(cause, "the worker failed to start");
out:
	json_decref(msg);
	json_decref(policy);
	free(line);
	free(err);
	return rc;
}

int
hands_setup(struct hands *h, const struct hands_policy *pol, char **cause)
{
	json_t *policy;

	if (pol->workspace == NULL || pol->workspace[0] != '/') {
		xasprintf(cause, "the workspace must be an absolute path");
		return -1;
	}
	if ((policy = hands_policy_json(pol)) == NULL) {
		xasprintf(cause, "the policy cannot be encoded (bad UTF-8?)");
		return -1;
	}
	return hands_setup_json(h, policy, cause);
}

int
hands_respawn(struct hands *h, const struct cancel *cancel, char **cause)
{
	struct proto_reader rd;
	struct hands *n;
	char *cg;
	pid_t pid;
	int pidfd, fd;

	if (h->policy == NULL) {
		xasprintf(cause, "the worker was never set up");
		return -1;
	}
	if (hands_start(&n, cause) != 0)
		return -1;
	if (hands_setup_json(n, json_incref(h->policy), cause) != 0) {
		hands_close(n);
		return -1;
	}
	/* Swap the processes: n takes the old one, to be closed. */
	pthread_mutex_lock(&h->lock);
	pid = h->pid;
	pidfd = h->pidfd;
	fd = h->fd;
	rd = h->rd;
	h->pid = n->pid;
	h->pidfd = n->pidfd;
	h->fd = n->fd;
	h->rd = n->rd;
	h->next_id = n->next_id;
	__atomic_store_n(&h->dead, 0, __ATOMIC_SEQ_CST);
	n->pid = pid;
	n->pidfd = pidfd;
	n->fd = fd;
	n->rd = rd;
	cg = h->cgroup;
	h->cgroup = n->cgroup;
	n->cgroup = cg;
	json_decref(h->sandbox);
	h->sandbox = json_incref(n->sandbox);
	/* A kill that came meanwhile fired the token first. */
	if (cancel_fired(cancel))
		hands_kill_locked(h);
	pthread_mutex_unlock(&h->lock);
	hands_close(n);
	return 0;
}

int
hands_spawn(const struct hands_policy *pol, struct hands **out, char **cause)
{
	struct hands *h;

	*out = NULL;
	if (pol->workspace == NULL || pol->workspace[0] != '/') {
		xasprintf(cause, "the workspace must be an absolute path");
		return -1;
	}
	if (hands_start(&h, cause) != 0)
		return -1;
	if (hands_setup(h, pol, cause) != 0) {
		hands_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

int
hands_alive(struct hands *h)
{
	return !__atomic_load_n(&h->dead, __ATOMIC_SEQ_CST) &&
	    !hands_exited(h, NULL);
}

int
hands_stuck(struct hands *h)
{
	int stuck;

	pthread_mutex_lock(&h->lock);
	stuck = __atomic_load_n(&h->waiting, __ATOMIC_SEQ_CST) &&
	    !__atomic_load_n(&h->dead, __ATOMIC_SEQ_CST) &&
	    hands_exited(h, NULL);
	pthread_mutex_unlock(&h->lock);
	return stuck;
}

const json_t *
hands_sandbox(const struct hands *h)
{
	return h->sandbox;
}

pid_t
hands_pid(const struct hands *h)
{
	return h->pid;
}

/* SIGKILL the worker's group (h->lock held). */
static void
hands_kill_locked(struct hands *h)
{
	if (h->pid > 0) {
		kill(-h->pid, SIGKILL);
		kill(h->pid, SIGKILL);
	}
	__atomic_store_n(&h->dead, 1, __ATOMIC_SEQ_CST);
}

void
hands_kill(struct hands *h)
{
	pthread_mutex_lock(&h->lock);
	hands_kill_locked(h);
	pthread_mutex_unlock(&h->lock);
}

/* The call line: {"type":"call","id":N,"tool":"...","args":{...}}. */
static char *
hands_request(json_int_t id, const char *tool, const json_t *args, size_t *len)
{
	json_t *name = json_string(tool);
	char *t = NULL, *a = NULL, *s = NULL;

	if (name == NULL || (t = json_dumps(name, JSON_ENCODE_ANY)) == NULL)
		goto out;
	if (args == NULL)
		a = xstrdup("{}");
	else if ((a = json_dumps(args, JSON_COMPACT)) == NULL)
		goto out;
	*len = (size_t)xasprintf(&s,
	    "{\"type\":\"call\",\"id\":%" JSON_INTEGER_FORMAT
	    ",\"tool\":%s,\"args\":%s}\n",
	    id, t, a);
out:
	json_decref(name);
	free(t);
	free(a);
	return s;
}

int
hands_call(struct hands *h, const char *tool, const json_t *args,
    const struct cancel *cancel, json_t **result, char **cause)
{
	json_t *msg = NULL, *id, *ok, *out;
	char *req = NULL, *line = NULL, *err = NULL, *how;
	struct tool_run run;
	size_t len;
	int r, rc = -1;

	*result = NULL;
	if (__atomic_load_n(&h->dead, __ATOMIC_SEQ_CST)) {
		xasprintf(cause, "the worker is gone");
		return -1;
	}
	if (args != NULL && !json_is_object(args)) {
		xasprintf(cause, "the arguments of %s must be an object", tool);
		return -1;
	}
	if ((req = hands_request(++h->next_id, tool, args, &len)) == NULL) {
		xasprintf(cause, "the call cannot be encoded (bad UTF-8?)");
		return -1;
	}
	__atomic_store_n(&h->waiting, 1, __ATOMIC_SEQ_CST);
	if (proto_write_all(h->fd, req, len, cancel, &err) == -1) {
		__atomic_store_n(&h->waiting, 0, __ATOMIC_SEQ_CST);
		if (errno == ECANCELED)
			goto cancelled;
		how = err;
		xasprintf(&err, "the worker is gone (%s)", how);
		free(how);
		how = err;
		err = hands_gone(h, how);
		free(how);
		goto broken;
	}
	r = proto_read_line(&h->rd, -1, cancel, &line, &len, &err);
	__atomic_store_n(&h->waiting, 0, __ATOMIC_SEQ_CST);
	if (r == -1 && errno == ECANCELED)
		goto cancelled;
	if (r == 0)
		err = hands_gone(h, "the worker closed the connection");
	else if (r == -1 && errno != EMSGSIZE) {
		how = err;
		xasprintf(&err, "the worker is gone (%s)", how);
		free(how);
		how = err;
		err = hands_gone(h, how);
		free(how);
	}
	if (r != 1)
		goto broken;
	msg = json_loadb(line, len, 0, NULL);
	id = json_object_get(msg, "id");
	ok = json_object_get(msg, "ok");
	if (strcmp(oxjson_str(msg, "type", ""), "result") != 0 ||
	    !json_is_integer(id) || json_integer_value(id) != h->next_id ||
	    !json_is_boolean(ok)) {
		xasprintf(&err,
		    "the worker broke the protocol (bad result "
		    "line)");
		goto broken;
	}
	if (tools_run_parse(msg, json_is_true(ok), &run, &how) == -1) {
		xasprintf(&err, "the worker broke the protocol (%s)", how);
		free(how);
		goto broken;
	}
	out = json_object_get(msg, "output");
	if (json_is_true(ok) ? !json_is_string(out) :
			       !json_is_string(json_object_get(msg, "error")) ||
		    (run.state == TOOL_RUN_RAN && !json_is_string(out))) {
		free(run.ended);
		xasprintf(&err,
		    "the worker broke the protocol (result "
		    "without output or error)");
		goto broken;
	}
	*result = json_pack("{s:b}", "ok", json_is_true(ok));
	if (!json_is_true(ok))
		json_object_set(*result, "error",
		    json_object_get(msg, "error"));
	if (json_is_true(ok) || run.state == TOOL_RUN_RAN) {
		json_object_set(*result, "output", out);
		json_object_set_new(*result, "truncated",
		    json_boolean(
			json_is_true(json_object_get(msg, "truncated"))));
	}
	tools_run_json(&run, *result);
	free(run.ended);
	rc = 0;
	goto out;
cancelled:
	hands_kill(h);
	xasprintf(cause, "cancelled");
	goto out;
broken:
	hands_kill(h);
	*cause = err;
	err = NULL;
out:
	json_decref(msg);
	free(req);
	free(line);
	free(err);
	return rc;
}

void
hands_hangup(struct hands *h)
{
	if (h->fd != -1) {
		close(h->fd);
		h->fd = -1;
	}
}

int
hands_close(struct hands *h)
{
	int status;

	if (h == NULL)
		return -1;
	if (h->fd != -1) {
		close(h->fd);
		h->fd = -1;
	}
	hands_wait_exit(h, HANDS_CLOSE_MS, NULL);
	status = hands_reap(h);
	hands_free(h);
	return status;
}
