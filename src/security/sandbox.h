/*
 * sandbox.h — confine the current process (an agent's worker) for good:
 * a PID namespace of its own, rlimits, a scrubbed environment, a
 * filesystem view of its own (fsview.h), dropped capabilities,
 * PR_SET_NO_NEW_PRIVS, Landlock and seccomp.  What could
 * not be applied is said in the report (see hands.h).
 */
#ifndef OXIOS_SECURITY_SANDBOX_H
#define OXIOS_SECURITY_SANDBOX_H

#include <jansson.h>

#define SANDBOX_PATH "/usr/local/bin:/usr/bin:/bin"
#define SANDBOX_TMPDIR ".tmp" /* inside the workspace */
#define SANDBOX_NPROC_EXTRA 256
#define SANDBOX_NOFILE 256
#define SANDBOX_FSIZE (1024L * 1024 * 1024)

struct sandbox_policy {
	const char *workspace; /* absolute; created (0700) if missing */
	int allow_network;     /* let network sockets through */
	int cpu_secs;          /* RLIMIT_CPU per tool call; 0: none */
	long memory_mb;        /* RLIMIT_AS; 0: none; never under ASan */
	int required;  /* fail unless the view, Landlock, seccomp apply */
	int fsview;    /* build the filesystem view (sandbox != off) */
	int pidns;     /* sandbox_pidns() succeeded (reported) */
	int max_procs; /* RLIMIT_NPROC where it binds; 0: default */
};

/*
 * Become init of a new PID namespace, so that every process the worker
 * starts dies with it: unshare, then fork.  The parent stays behind only
 * to wait for the child and end as it did: it never returns.  Returns 1
 * in the child, or 0 with *why (static) when the kernel refuses; the
 * caller then carries on as it is.  Call it before anything else.
 */
int sandbox_pidns(const char **why);
/*
 * Apply the sandbox to this process; *report (new object, also on
 * failure) says what was applied.  The working directory becomes the
 * (real path of the) workspace; *realws is it (caller frees).  Returns
 * 0, or -1 with *cause (caller frees) when the workspace cannot be made,
 * when pol->required and the view, Landlock or seccomp could not be
 * applied, or when the view was left half built.
 */
int sandbox_apply(const struct sandbox_policy *pol, json_t **report,
    char **realws, char **cause);
/* Let this process use `secs` more seconds of CPU from now (soft limit). */
void sandbox_cpu_rearm(int secs);
/* Whether this build runs under ASan or TSan (no RLIMIT_AS then). */
int sandbox_sanitized(void);
/*
 * In a child between fork and exec (async-signal-safe only): a process
 * group of its own, every signal back to its default, nothing blocked.
 */
void sandbox_child_reset(void);
/*
 * In a child that has just made a user namespace, before it execs the
 * worker (async-signal-safe): keep CAP_SYS_ADMIN, over that namespace
 * only, across execve() as an ambient capability, which an unprivileged
 * uid would otherwise lose there; the worker needs it to build its
 * filesystem view, and sandbox_apply() drops it with every other.
 */
void sandbox_keep_sysadmin(void);
/* Close every descriptor from `low` up, but `keep` (-1: none).  Same. */
void sandbox_close_from(int low, int keep);

#endif
