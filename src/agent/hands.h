/*
 * hands.h — an agent's hands: a sandboxed worker process (`oxios __worker`,
 * exec'd fresh from /proc/self/exe) that runs the file and exec tools, and
 * the client the agent's brain uses to talk to it over a socketpair with
 * newline-delimited JSON (docs/worker-protocol.md).
 *
 * The worker holds no key, no token and no database handle: it is exec'd,
 * not forked from the daemon, and gets only its policy.  Before it runs any
 * tool it applies PR_SET_NO_NEW_PRIVS, Landlock (read-write: the workspace;
 * read-only: system directories needed to run programs), seccomp (no
 * network sockets unless allowed; no ptrace, io_uring, bpf, mount, kexec,
 * keyctl ...), rlimits, its own process group and a scrubbed environment.
 * Where the kernel lacks Landlock or seccomp it still runs and says so in
 * its sandbox report (unless the policy requires the sandbox).
 */
#ifndef OXIOS_AGENT_HANDS_H
#define OXIOS_AGENT_HANDS_H

#include <sys/types.h>
#include <jansson.h>

#include "util/cancel.h"

struct hands_policy {
	const char *workspace;   /* absolute directory; created if missing */
	int allow_network;       /* seccomp lets network sockets through */
	int allow_shell;         /* exec's shell mode is allowed */
	const json_t *allowlist; /* programs exec may run (array of names) */
	int exec_timeout_secs;   /* default timeout of one command */
	long max_output_bytes;   /* output of one command is cut here */
	int cpu_secs;            /* RLIMIT_CPU of the worker and its children */
	long memory_mb;          /* RLIMIT_AS (not applied under ASan) */
	int sandbox_required;    /* refuse to run without the whole sandbox */
	int sandbox_off;         /* no filesystem view (security.sandbox) */
	int max_procs; /* processes of the worker's namespace, 0: none */
	long workspace_growth_mb; /* bytes the run may add to the workspace */
	long long workspace_base_bytes; /* its size at the run's start; 0:
					   the worker measures it */
};

struct hands;

/*
 * Start a worker under `pol`: fork, exec `/proc/self/exe __worker` with the
 * socketpair as fd 3, send the policy, wait until it reports its sandbox
 * applied.  Returns 0 with *out, or -1 with *cause (caller frees).
 *
 * The worker dies with the thread that started it (PR_SET_PDEATHSIG is
 * bound to the forking thread, not the process): start it on a thread
 * that outlives its use (the agent's own, or the pool's).  Its init also
 * ends the namespace when the connection hangs up, i.e. when every copy
 * of the client's end is closed, as when the client process dies.
 */
int hands_spawn(const struct hands_policy *pol, struct hands **out,
    char **cause);
/*
 * The two halves of hands_spawn(): start a worker that waits for its
 * policy (a warm worker: it costs the fork and exec, not the sandbox),
 * then give it `pol` and wait until it reports ready.  hands_setup() may
 * run on another thread than hands_start(); after it fails, the caller
 * still hands_close()s h.
 */
int hands_start(struct hands **out, char **cause);
int hands_setup(struct hands *h, const struct hands_policy *pol, char **cause);
/*
 * Replace a worker that died (killed by its CPU limit, say) with a fresh
 * one under the same policy and the same workspace baseline, in place:
 * h stays valid and may be killed from another thread meanwhile.  When
 * `cancel` (may be NULL) has fired by the swap, the new one is killed.
 * Runs on the thread that uses h (its death signal is bound to it).
 * Returns 0, or -1 with *cause (caller frees); h is unchanged then.
 */
int hands_respawn(struct hands *h, const struct cancel *cancel, char **cause);
/* Whether the worker still runs and can take calls. */
int hands_alive(struct hands *h);
/*
 * Whether a call is out (hands_call() waits for its answer) while the
 * worker process has exited: the brain waits on hands that are gone.
 * Any thread may ask (the zombie reaper does); it never reaps.
 */
int hands_stuck(struct hands *h);
/*
 * What the worker applied: {"landlock": ABI or 0, "seccomp": bool,
 * "no_new_privs": bool, "rlimits": bool, "warnings": [strings]}.
 * Borrowed; lives as long as h.
 */
const json_t *hands_sandbox(const struct hands *h);
/* The worker's pid (also its process group id). */
pid_t hands_pid(const struct hands *h);
/*
 * Run one tool.  On 0, *result is a new object:
 *   {"ok": true, "output": "...", "truncated": bool}  or
 *   {"ok": false, "error": "what went wrong"}
 * with, for exec, how its command ended as members ("ran", "exit_code",
 * "signal", "timed_out", ...: tools_run_json(), checked here with
 * tools_run_parse()), and a failed run's "output" and "truncated" too
 * (a tool's own failure is ok=false, still 0).  Returns -1 with *cause
 * when the worker died or broke the protocol, or when `cancel` (may be
 * NULL) fired: the worker's process group is then killed.
 */
int hands_call(struct hands *h, const char *tool, const json_t *args,
    const struct cancel *cancel, json_t **result, char **cause);
/* SIGKILL the worker's whole process group (its commands too). */
void hands_kill(struct hands *h);
/*
 * End the worker (EOF, then SIGKILL if it does not exit within a second),
 * reap it and free h.  Returns its wait status, or -1.
 */
int hands_close(struct hands *h);

/*
 * The pool of warm workers: a long-lived thread keeps up to `size` of
 * them started (hands_start()), so that an agent does not wait for the
 * fork and exec of its worker.  Workers are forked from that thread, never
 * from a short-lived one.  hands_pool_start(0) or never starting it:
 * every worker is started on demand.
 */
int hands_pool_start(int size, char **cause);
/* Stop the thread and end the warm workers (not those handed out). */
void hands_pool_stop(void);
/*
 * A worker set up under `pol`: a warm one from the pool when there is
 * one, else one started now.  Same contract as hands_spawn().
 */
int hands_acquire(const struct hands_policy *pol, struct hands **out,
    char **cause);
/*
 * Done with h: hang up (the worker exits on end of file) and let the
 * pool's thread reap it, or close it here when no pool runs.  h is gone
 * for the caller either way.
 */
void hands_retire(struct hands *h);
/* Close the connection only: the worker sees end of file and exits. */
void hands_hangup(struct hands *h);
/* Warm workers waiting now (for tests and status). */
int hands_pool_count(void);

/* `oxios __worker`: serve tools on fd 3 until EOF.  Returns exit code. */
int worker_main(void);

#endif
