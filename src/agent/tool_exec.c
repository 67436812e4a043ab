/*
 * tool_exec.c — exec: run a program in the workspace.
 *
 * Structured mode (the default): `binary` is the name of a program on the
 * allowlist, found in TOOLS_PATH, and `args` are passed to it as they
 * are, with no shell in between.  An argument holding a shell
 * metacharacter is refused all the same: nothing should look like a shell
 * line, and an allowed program that runs a shell itself (find -exec, git
 * aliases ...) does not get one smuggled in.  A `binary` with a '/' must
 * be an absolute path to the very file (same device and inode) that an
 * allowed name resolves to: "/usr/bin/git" is "git", "./git" is refused.
 *
 * Shell mode (`shell`, only when the policy allows it): /bin/sh -c LINE.
 *
 * Either way the command runs in its own process group with stdin on
 * /dev/null and stdout and stderr on one pipe.  When it exits, at its
 * timeout, or when the client hangs up, the whole group is killed; as
 * init of a PID namespace (the worker) every process left is killed too.
 * The output keeps its head and its tail when it is too long.
 *
 * How the command ended is told twice: in words, first in the error
 * ("exit code 2; output:\n...", "killed by SIGXCPU: CPU limit 5 s",
 * "timed out after 10 s: ..."), for people and models; and as fields
 * (res->run: ran, exit code, signal, timed out, stopped), for code that
 * acts on it.  Nothing should read the words back.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/tools.h"
#include "security/limits.h"
#include "security/sandbox.h"
#include "util/buf.h"
#include "util/time.h"
#include "util/xalloc.h"

#define EXEC_METACHARS ";|&`$<>\n\r"
#define EXEC_MAX_ARGS 1024
#define EXEC_SLICE_MS 50
#define EXEC_DRAIN_READS 64 /* reads after the command exited */

extern char **environ;

/* The first and last bytes of the output. */
struct exec_out {
	char *head;
	size_t hlen, hcap;
	char *tail; /* a ring */
	size_t tpos, tfill, tcap;
	unsigned long long total;
};

static void
exec_out_init(struct exec_out *o, size_t cap)
{
	memset(o, 0, sizeof *o);
	o->tcap = cap / 2;
	o->hcap = cap - o->tcap;
	o->head = xmalloc(o->hcap + 1);
	o->tail = xmalloc(o->tcap + 1);
}

static void
exec_out_add(struct exec_out *o, const char *p, size_t n)
{
	size_t take, first;

	o->total += n;
	take = n < o->hcap - o->hlen ? n : o->hcap - o->hlen;
	memcpy(o->head + o->hlen, p, take);
	o->hlen += take;
	p += take;
	n -= take;
	if (n == 0 || o->tcap == 0)
		return;
	if (n >= o->tcap) {
		memcpy(o->tail, p + n - o->tcap, o->tcap);
		o->tpos = 0;
		o->tfill = o->tcap;
		return;
	}
	first = n < o->tcap - o->tpos ? n : o->tcap - o->tpos;
	memcpy(o->tail + o->tpos, p, first);
	memcpy(o->tail, p + first, n - first);
	o->tpos = (o->tpos + n) % o->tcap;
	o->tfill = o->tfill + n > o->tcap ? o->tcap : o->tfill + n;
}

/* The output as text (caller frees); *cut when bytes were dropped. */
static char *
exec_out_text(struct exec_out *o, int *cut)
{
	struct buf b;
	char *s;

	buf_init(&b, BUF_NOCAP);
	buf_add(&b, o->head, o->hlen);
	*cut = o->total > o->hlen + o->tfill;
	if (*cut)
		buf_printf(&b,
		    "\n[... output cut: %llu of %llu bytes omitted ...]\n",
		    o->total - o->hlen - o->tfill, o->total);
	if (o->tfill < o->tcap)
		buf_add(&b, o->tail, o->tfill);
	else {
		buf_add(&b, o->tail + o->tpos, o->tcap - o->tpos);
		buf_add(&b, o->tail, o->tpos);
	}
	s = tools_utf8(buf_str(&b), b.len);
	buf_free(&b);
	free(o->head);
	free(o->tail);
	return s;
}

/* name in TOOLS_PATH: a new absolute path, or NULL. */
static char *
exec_lookup(const char *name, struct stat *st)
{
	const char *dir = TOOLS_PATH, *colon;
	char *p;

	for (;;) {
		colon = strchr(dir, ':');
		xasprintf(&p, "%.*s/%s",
		    (int)(colon != NULL ? (size_t)(colon - dir) : strlen(dir)),
		    dir, name);
		if (stat(p, st) == 0 && S_ISREG(st->st_mode) &&
		    access(p, X_OK) == 0)
			return p;
		free(p);
		if (colon == NULL)
			return NULL;
		dir = colon + 1;
	}
}

/* The allowlist as "a, b, c" (or "none"), for messages. */
static char *
exec_allowed_list(const json_t *allow)
{
	struct buf b;
	json_t *v;
	size_t i;

	buf_init(&b, 1024);
	json_array_foreach(allow, i, v) {
		if (json_is_string(v) &&
		    buf_printf(&b, "%s%s", b.len > 0 ? ", " : "",
			json_string_value(v)) == -1)
			break;
	}
	if (b.len == 0)
		buf_adds(&b, "none");
	return buf_detach(&b);
}

static int
exec_is_allowed(const json_t *allow, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(allow, i, v) {
		if (json_is_string(v) &&
		    strchr(json_string_value(v), '/') == NULL &&
		    strcmp(json_string_value(v), name) == 0)
			return 1;
	}
	return 0;
}

/* The program `binary` stands for: a new absolute path, or -1. */
static int
exec_resolve(struct tool_ctx *ctx, const char *binary, char **path,
    struct tool_run *run, char **cause)
{
	struct stat want, st;
	json_t *v;
	size_t i;
	char *p, *list;

	*path = NULL;
	if (*binary == '\0') {
		xasprintf(cause, "'binary' is empty");
		return -1;
	}
	if (strchr(binary, '/') == NULL) {
		if (!exec_is_allowed(ctx->allowlist, binary))
			goto refused;
		if ((*path = exec_lookup(binary, &st)) == NULL) {
			run->state = TOOL_RUN_NOSTART;
			xasprintf(cause,
			    "'%s' is allowed but not installed (not in %s)",
			    binary, TOOLS_PATH);
			return -1;
		}
		return 0;
	}
	if (binary[0] != '/' || stat(binary, &want) == -1)
		goto refused;
	json_array_foreach(ctx->allowlist, i, v) {
		if (!json_is_string(v) ||
		    strchr(json_string_value(v), '/') != NULL)
			continue;
		if ((p = exec_lookup(json_string_value(v), &st)) == NULL)
			continue;
		if (st.st_dev == want.st_dev && st.st_ino == want.st_ino) {
			*path = p;
			return 0;
		}
		free(p);
	}
refused:
	list = exec_allowed_list(ctx->allowlist);
	xasprintf(cause,
	    "'%s' is not an allowed program (allowed, by name or by the path "
	    "the name has in %s: %s)",
	    binary, TOOLS_PATH, list);
	free(list);
	return -1;
}

/* argv from binary + args (structured mode); NULL-terminated, or -1. */
static int
exec_argv(struct tool_ctx *ctx, const char *binary, json_t *args, char ***argvp,
    char **cause)
{
	json_t *jargs = json_object_get(args, "args"), *v;
	const char *s, *bad;
	size_t i, n = 0;
	char **argv;

	if (jargs != NULL && !json_is_null(jargs) && !json_is_array(jargs)) {
		xasprintf(cause, "'args' must be an array of strings");
		return -1;
	}
	if (json_array_size(jargs) > EXEC_MAX_ARGS) {
		xasprintf(cause, "more than %d arguments", EXEC_MAX_ARGS);
		return -1;
	}
	argv = xcalloc(json_array_size(jargs) + 2, sizeof *argv);
	argv[n++] = (char *)binary;
	json_array_foreach(jargs, i, v) {
		if (!json_is_string(v)) {
			xasprintf(cause, "argument %zu is not a string", i + 1);
			goto fail;
		}
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v)) {
			xasprintf(cause, "argument %zu holds a NUL byte",
			    i + 1);
			goto fail;
		}
		if ((bad = strpbrk(s, EXEC_METACHARS)) != NULL) {
			xasprintf(cause,
			    "argument %zu ('%s') holds the shell metacharacter "
			    "'%s': structured mode runs no shell, so pass plain "
			    "arguments%s",
			    i + 1, s,
			    *bad == '\n'     ? "\\n" :
				*bad == '\r' ? "\\r" :
					       (char[]){ *bad, '\0' },
			    ctx->allow_shell ? " (or use 'shell')" : "");
			goto fail;
		}
		argv[n++] = (char *)s;
	}
	*argvp = argv;
	return 0;
fail:
	free(argv);
	return -1;
}

static void exec_child(struct tool_ctx *, const char *, char **, int, int, int,
    int) __attribute__((noreturn));

/* In the child (async-signal-safe only): become the command. */
static void
exec_child(struct tool_ctx *ctx, const char *path, char **argv, int cwdfd,
    int devnull, int out, int errfd)
{
	struct rlimit rl;
	int err;

	sandbox_child_reset();
	if (dup2(devnull, 0) == -1 || dup2(out, 1) == -1 ||
	    dup2(out, 2) == -1 || fchdir(cwdfd) == -1)
		goto fail;
	if (ctx->cpu_secs > 0 && getrlimit(RLIMIT_CPU, &rl) == 0) {
		/* SIGXCPU at the limit, SIGKILL a second later. */
		if (rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > (rlim_t)ctx->cpu_secs + 1)
			rl.rlim_max = (rlim_t)ctx->cpu_secs + 1;
		rl.rlim_cur = (rlim_t)ctx->cpu_secs;
		if (rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			goto fail;
	}
	sandbox_close_from(3, errfd);
	execve(path, argv, ctx->envp != NULL ? ctx->envp : environ);
fail:
	err = errno;
	if (write(errfd, &err, sizeof err) == -1)
		_exit(127);
	_exit(127);
}

/*
 * Kill every other process of our PID namespace, reap ours (the init,
 * PID 1, reaps the rest).  Never outside a namespace of our own: there,
 * kill(-1) would reach every process of the user.
 */
static void
exec_reap_all(struct tool_ctx *ctx)
{
	if (!ctx->pidns_init || getpid() > 2)
		return;
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

/*
 * How the command ended, as the first line of a message: "exit code 2",
 * "killed by SIGXCPU: CPU limit 5 s", "killed by SIGSEGV".  A shell
 * (`shell`) reports a command killed by signal N as exit code 128+N:
 * that is named too, as what the shell says.
 */
static char *
exec_status(struct tool_ctx *ctx, int status, const struct rusage *ru,
    int shell)
{
	/* CPU time used, with its whole seconds rounded up (tick slack). */
	long cpu = ru->ru_utime.tv_sec + ru->ru_stime.tv_sec +
	    (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec + 999999L) / 1000000L;
	char name[32], *s;
	int sig, code;

	if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
		sig = code - 128;
		if (!shell || sig <= 0 || sig >= NSIG ||
		    sigabbrev_np(sig) == NULL) {
			xasprintf(&s, "exit code %d", code);
			return s;
		}
		if (sig == SIGXCPU && ctx->cpu_secs > 0 && cpu >= ctx->cpu_secs)
			xasprintf(&s,
			    "killed by SIGXCPU: CPU limit %d s (exit code %d "
			    "from the shell)",
			    ctx->cpu_secs, code);
		else
			xasprintf(&s,
			    "exit code %d (the shell's way of saying a command "
			    "was killed by %s)",
			    code, tools_signame(sig, name, sizeof name));
		return s;
	}
	sig = WTERMSIG(status);
	if (sig == SIGXCPU ||
	    (sig == SIGKILL && ctx->cpu_secs > 0 && cpu >= ctx->cpu_secs))
		xasprintf(&s, "killed by %s: CPU limit %d s",
		    tools_signame(sig, name, sizeof name), ctx->cpu_secs);
	else
		xasprintf(&s, "killed by %s (%s)",
		    tools_signame(sig, name, sizeof name), strsignal(sig));
	return s;
}

/* What the run learnt of the limits while the command ran. */
struct exec_watch {
	uint64_t next;   /* when to measure next (monotonic ms) */
	int procs_full;  /* a fork failed: the process cap was reached */
	long procs_most; /* the most processes seen at once */
	char *ws_over;   /* the workspace's cap passed (a message) */
	int ws_killed;   /* ... and the command was killed for it */
};

/*
 * Measure the workspace and count the namespace's processes.  Returns 1
 * when the workspace is over its cap.  The walk's cost sets the pace: at
 * least LIMITS_WS_EVERY_MS apart, and four times the walk's time.
 */
static int
exec_watch(struct tool_ctx *ctx, struct exec_watch *w)
{
	uint64_t t0 = time_mono_ms(), spent;
	long n;

	/*
	 * At the cap the namespace holds about max_procs processes (fewer
	 * when RLIMIT_NPROC binds and some have threads): probe then.  As
	 * many as the cap is the cap reached, whatever the probe finds (a
	 * pid may have been freed since the fork that failed): said too.
	 */
	if (ctx->max_procs > 0 && !w->procs_full &&
	    (n = limits_ns_procs()) >= ctx->max_procs / 2) {
		if (n > w->procs_most)
			w->procs_most = n;
		w->procs_full = limits_fork_fails();
	}
	if (ctx->ws_cap > 0 && w->ws_over == NULL)
		w->ws_over = limits_ws_over(limits_ws_usage(ctx->dirfd),
		    ctx->ws_base, ctx->ws_cap);
	spent = time_mono_ms() - t0;
	w->next = time_mono_ms() +
	    (spent * 4 > LIMITS_WS_EVERY_MS ? spent * 4 : LIMITS_WS_EVERY_MS);
	return w->ws_over != NULL;
}

/*
 * Run path/argv, collecting the output until it exits, times out or the
 * client hangs up.  0 with *status, or -1 (*why says what).  run->state
 * is TOOL_RUN_RAN once the program runs, TOOL_RUN_NOSTART before; a
 * timeout and a stop are said there too.
 */
static int
exec_run(struct tool_ctx *ctx, const char *path, char **argv, int cwdfd,
    long timeout, struct exec_out *o, int *status, struct rusage *ru,
    struct exec_watch *w, struct tool_run *run, char **why)
{
	struct pollfd pfd[2];
	siginfo_t si;
	uint64_t deadline;
	char chunk[16384];
	ssize_t n;
	pid_t pid;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull = -1;
	int eof = 0, exited = 0, drains = 0, err = 0, rc = -1, npfd, ms;

	run->state = TOOL_RUN_NOSTART;
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    pipe2(out, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		xasprintf(why, "cannot run '%s': %s", argv[0], strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		xasprintf(why, "cannot run '%s': fork: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		exec_child(ctx, path, argv, cwdfd, devnull, out[1], errp[1]);
	setpgid(pid, pid); /* also in the child: whoever runs first */
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	while ((n = read(errp[0], &err, sizeof err)) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof err) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		xasprintf(why, "cannot run '%s': %s", argv[0], strerror(err));
		goto out;
	}
	run->state = TOOL_RUN_RAN;
	run->timeout_secs = (int)timeout;
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	deadline = time_mono_ms() + (uint64_t)timeout * 1000;
	w->next = time_mono_ms() + LIMITS_WS_EVERY_MS;
	for (;;) {
		memset(&si, 0, sizeof si);
		if (!exited &&
		    waitid(P_PID, (id_t)pid, &si,
			WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid) {
			exited = 1;
			exec_watch(ctx, w); /* what it left running */
		}
		if (!exited && time_mono_ms() >= w->next &&
		    exec_watch(ctx, w)) {
			w->ws_killed = run->stopped = 1;
			xasprintf(why, "killed: %s", w->ws_over);
			break;
		}
		if (exited && (eof || drains++ == EXEC_DRAIN_READS))
			break;
		if (!exited && time_mono_ms() >= deadline) {
			run->timed_out = 1;
			xasprintf(why,
			    "timed out after %ld s: the command and its "
			    "process group were killed",
			    timeout);
			break;
		}
		npfd = 0;
		memset(pfd, 0, sizeof pfd);
		if (!eof) {
			pfd[npfd].fd = out[0];
			pfd[npfd++].events = POLLIN;
		}
		if (ctx->cancel_fd >= 0) {
			pfd[npfd].fd = ctx->cancel_fd;
			pfd[npfd++].events = POLLRDHUP;
		}
		ms = exited ? 0 : eof ? 10 : EXEC_SLICE_MS;
		if (poll(pfd, (nfds_t)npfd, ms) == -1 && errno != EINTR) {
			run->stopped = 1;
			xasprintf(why, "poll: %s", strerror(errno));
			break;
		}
		if (ctx->cancel_fd >= 0 &&
		    (pfd[npfd - 1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			run->stopped = 1;
			xasprintf(why, "cancelled: the client went away");
			break;
		}
		if (eof)
			continue;
		n = read(out[0], chunk, sizeof chunk);
		if (n > 0)
			exec_out_add(o, chunk, (size_t)n);
		else if (n == 0)
			eof = 1;
		else if (errno == EAGAIN && exited)
			break; /* drained; what is left belongs to strays */
		else if (errno != EAGAIN && errno != EINTR)
			eof = 1;
	}
	/* Nothing it started outlives it (the leader is not reaped yet). */
	kill(-pid, SIGKILL);
	while (wait4(pid, status, 0, ru) == -1 && errno == EINTR)
		;
	exec_reap_all(ctx);
	rc = *why == NULL ? 0 : -1;
out:
	if (devnull != -1)
		close(devnull);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	return rc;
}

int
tool_exec(struct tool_ctx *ctx, json_t *args, struct tool_result *res)
{
	const char *binary, *shell, *mode, *shargv[4];
	char *cause = NULL, *cwd = NULL, *path = NULL, **argv = NULL;
	char *text, *st;
	struct exec_watch w;
	struct exec_out o;
	struct rusage ru;
	long timeout, limit, cap;
	int cwdfd = -1, status = 0, cut, rc = -1, ran;

	memset(&ru, 0, sizeof ru);
	memset(&w, 0, sizeof w);
	res->run.state = TOOL_RUN_REFUSED; /* until it runs */
	res->run.exit_code = -1;
	if (tools_arg_str(args, "binary", 0, NULL, &binary, &cause) == -1 ||
	    tools_arg_str(args, "command", 0, NULL, &shell, &cause) == -1 ||
	    tools_arg_str(args, "mode", 0, NULL, &mode, &cause) == -1 ||
	    tools_arg_path(args, "cwd", ".", &cwd, &cause) == -1)
		goto out;
	if (mode != NULL && strcmp(mode, "structured") != 0 &&
	    strcmp(mode, "shell") != 0) {
		xasprintf(&cause, "'mode' is structured or shell, not '%s'",
		    mode);
		goto out;
	}
	if (mode != NULL && strcmp(mode, "shell") == 0 && shell == NULL) {
		xasprintf(&cause, "mode shell needs 'command'");
		goto out;
	}
	if (mode != NULL && strcmp(mode, "structured") == 0 && shell != NULL) {
		xasprintf(&cause, "'command' goes with mode shell");
		goto out;
	}
	limit = ctx->exec_timeout_secs > 0 ? ctx->exec_timeout_secs :
					     TOOLS_EXEC_DEF_TIMEOUT;
	if (tools_arg_int(args, "timeout", 1, 7 * 86400, limit, &timeout,
		&cause) == -1)
		goto out;
	if (timeout > limit)
		timeout = limit;
	if ((binary == NULL) == (shell == NULL)) {
		xasprintf(&cause, "give %s",
		    ctx->allow_shell ?
			"either 'binary' (with 'args') or "
			"'command' (with mode shell)" :
			"'binary' (an allowed program) and 'args'");
		goto out;
	}
	if (shell != NULL) {
		if (!ctx->allow_shell) {
			xasprintf(&cause,
			    "shell mode is not allowed by this agent's policy: "
			    "give 'binary' (an allowed program) and 'args'");
			goto out;
		}
		if (json_object_get(args, "args") != NULL) {
			xasprintf(&cause,
			    "'args' goes with 'binary', not with "
			    "'command'");
			goto out;
		}
		path = xstrdup("/bin/sh");
		shargv[0] = "sh";
		shargv[1] = "-c";
		shargv[2] = shell;
		shargv[3] = NULL;
		argv = xmalloc(sizeof shargv);
		memcpy(argv, shargv, sizeof shargv);
	} else if (exec_resolve(ctx, binary, &path, &res->run, &cause) == -1 ||
	    exec_argv(ctx, binary, args, &argv, &cause) == -1)
		goto out;
	if ((cwdfd = tools_open(ctx, cwd, O_PATH | O_DIRECTORY, 0, &cause)) ==
	    -1)
		goto out;

	cap = ctx->max_output_bytes > 0 ? ctx->max_output_bytes :
					  TOOLS_EXEC_DEF_OUTPUT;
	if (cap < 1024)
		cap = 1024;
	if (cap > TOOLS_EXEC_MAX_OUTPUT)
		cap = TOOLS_EXEC_MAX_OUTPUT;
	exec_out_init(&o, (size_t)cap);
	memset(&w, 0, sizeof w);
	ran = exec_run(ctx, path, argv, cwdfd, timeout, &o, &status, &ru, &w,
	    &res->run, &cause);
	text = exec_out_text(&o, &cut);
	if (w.procs_full ||
	    (ctx->max_procs > 0 && w.procs_most >= ctx->max_procs)) {
		st = text;
		if (w.procs_full)
			xasprintf(&text,
			    "%s%s[the process cap of this agent was reached "
			    "(%d): forks past it failed]",
			    st, *st != '\0' ? "\n" : "", ctx->max_procs);
		else
			xasprintf(&text,
			    "%s%s[the process cap of this agent was reached "
			    "(%d): %ld processes at once]",
			    st, *st != '\0' ? "\n" : "", ctx->max_procs,
			    w.procs_most);
		free(st);
	}
	if (ran == -1) {
		if (res->run.state == TOOL_RUN_RAN) {
			res->run.ended = xstrdup(cause);
			res->output = xstrdup(text);
			res->truncated = cut;
		}
		st = cause;
		xasprintf(&cause, "%s%s%s", st, *text != '\0' ? "\n" : "",
		    text);
		free(st);
		free(text);
		goto out;
	}
	if (WIFEXITED(status))
		res->run.exit_code = WEXITSTATUS(status);
	else
		res->run.signal = WTERMSIG(status);
	if (res->run.exit_code == 0 && w.ws_over == NULL) {
		res->output = *text != '\0' ? text : xstrdup("(no output)");
		if (*text == '\0')
			free(text);
		res->truncated = cut;
		rc = 0;
		goto out;
	}
	res->output = xstrdup(text);
	res->truncated = cut;
	st = exec_status(ctx, status, &ru, shell != NULL);
	if (w.ws_over != NULL) { /* passed between two measures */
		xasprintf(&cause, "%s; %s (delete files before going on)", st,
		    w.ws_over);
		free(st);
		st = cause;
	}
	res->run.ended = xstrdup(st);
	xasprintf(&cause, "%s%s", st,
	    *text != '\0' ? "; output:\n" : " (no output)");
	free(st);
	st = cause;
	xasprintf(&cause, "%s%s", st, text);
	free(st);
	free(text);
out:
	if (cwdfd != -1)
		close(cwdfd);
	free(argv);
	free(path);
	free(cwd);
	free(w.ws_over);
	if (rc == -1)
		tools_fail_take(res, cause);
	return rc;
}
