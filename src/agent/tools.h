/*
 * tools.h — the tools an agent's hands run, as data: one `struct tool`
 * per tool (name, function; what the model is told of it, and the JSON
 * Schema its arguments are checked against, are in agent/registry.h),
 * and what they share: resolving a path from the model inside the
 * workspace without ever leaving it, reading arguments, cleaning text.
 *
 * Tool functions run in the worker (src/agent/worker.c), after the
 * sandbox is applied; they never touch the network or kernel services.
 * Unit tests call them directly, without a sandbox.
 */
#ifndef OXIOS_AGENT_TOOLS_H
#define OXIOS_AGENT_TOOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <dirent.h>
#include <jansson.h>

#define TOOLS_MAX_OUTPUT (256 * 1024)             /* read, ls, find, grep */
#define TOOLS_MAX_FILE (16 * 1024 * 1024)         /* edit, grep: largest file */
#define TOOLS_EXEC_MAX_OUTPUT (4 * 1024 * 1024)   /* exec: top of the policy */
#define TOOLS_EXEC_DEF_OUTPUT (64 * 1024)         /* exec: policy unset */
#define TOOLS_EXEC_DEF_TIMEOUT 120                /* seconds, policy unset */
#define TOOLS_PATH "/usr/local/bin:/usr/bin:/bin" /* where exec looks */

/* What a tool may do and where: set up once per worker. */
struct tool_ctx {
	int dirfd;               /* the workspace (O_PATH directory) */
	const char *workspace;   /* its absolute path */
	int allow_shell;         /* exec's shell mode */
	const json_t *allowlist; /* exec: program names (array), or NULL */
	int exec_timeout_secs;   /* exec: longest run of one command */
	long max_output_bytes;   /* exec: output kept of one command */
	int cpu_secs;            /* exec: RLIMIT_CPU of a command, 0 none */
	char **envp;             /* exec: environment, NULL for environ */
	int cancel_fd;           /* exec: hang-up here kills the command */
	int pidns_init;          /* the PID namespace is ours (kill(-1) safe) */
	int max_procs;           /* exec: the process cap where it binds, 0 */
	unsigned long long ws_base; /* the workspace's bytes at the run start */
	unsigned long long ws_cap;  /* bytes the run may add to it, 0 none */
	int no_openat2;             /* resolve paths without openat2 (tests) */
};

/*
 * What a run of a program tells (exec).  Every other tool leaves it
 * zeroed: TOOL_RUN_NONE.  exit_code, signal, timed_out, timeout_secs,
 * stopped and ended mean something only in state TOOL_RUN_RAN.
 */
enum tool_run_state {
	TOOL_RUN_NONE,    /* no program: another tool */
	TOOL_RUN_REFUSED, /* exec refused the call (policy, arguments) */
	TOOL_RUN_NOSTART, /* allowed, but it could not be started */
	TOOL_RUN_RAN,     /* a process was started */
};

struct tool_run {
	enum tool_run_state state;
	int exit_code;    /* its exit code; -1 when it did not exit */
	int signal;       /* the signal that killed it; 0 none */
	int timed_out;    /* killed at its timeout, of timeout_secs */
	int timeout_secs; /* the timeout it ran under */
	int stopped;      /* killed: the workspace passed its cap, cancelled */
	char *ended;      /* !ok: how it ended in words, the first part of
			     error ("exit code 2", ...), owned */
};

/*
 * What a tool answers: output (ok) or an error, all owned here.  A
 * program that ran and failed has its output in `output` too (also
 * inside `error`, after how it ended).
 */
struct tool_result {
	int ok;
	char *output;  /* ok: the output; !ok after a run: the command's;
			  valid UTF-8 */
	int truncated; /* the output was cut */
	char *error;   /* !ok: what went wrong, valid UTF-8 */
	struct tool_run run;
};

#define TOOL_EXEC 0x1 /* runs programs: only with an allowlist or shell */

/* A tool the worker runs (its schema and description: registry.h). */
struct tool {
	const char *name;
	int flags; /* TOOL_* */
	/* 0 with res->output, or -1 with res->error. */
	int (*fn)(struct tool_ctx *, json_t *args, struct tool_result *);
};

/* Every tool, ending with a zeroed entry. */
extern const struct tool tool_table[];

/* The tool called `name`, or NULL. */
const struct tool *tools_find(const char *name);
/* Run `name` with `args` (an object); fills res.  Returns 0 or -1. */
int tools_run(struct tool_ctx *ctx, const char *name, json_t *args,
    struct tool_result *res);
/* Free what res holds; it is zeroed. */
void tools_result_free(struct tool_result *res);
/*
 * The run's members of an answer (docs/worker-protocol.md), added to
 * `obj`: none in state TOOL_RUN_NONE; else "ran" and, when meaningful,
 * "refused", "exit_code", "signal" ("SIGKILL"), "timed_out" with
 * "timeout_secs", "stopped", "ended".
 */
void tools_run_json(const struct tool_run *run, json_t *obj);
/*
 * Read them back from an answer whose "ok" is `ok`, checking them
 * strictly: known members of the right types only, exactly one way of
 * ending for a run, ok only after exit code 0, "ended" exactly when a
 * run failed.  Returns 0 with *run filled (free run->ended), or -1 with
 * *cause (caller frees).
 */
int tools_run_parse(const json_t *obj, int ok, struct tool_run *run,
    char **cause);
/* "SIGKILL" for SIGKILL, "SIG40" for one without a name; in buf. */
const char *tools_signame(int sig, char *buf, size_t size);
/* The signal tools_signame() calls `name`, or 0. */
int tools_signo(const char *name);
/* res->ok = 0 with a formatted error.  Returns -1. */
int tools_fail(struct tool_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* res->ok = 0, taking ownership of `msg`.  Returns -1. */
int tools_fail_take(struct tool_result *res, char *msg);

/*
 * Open a checked path beneath the workspace: confine_open() on
 * ctx->dirfd, or confine_open_walk() if ctx->no_openat2 (see
 * security/confine.h).  Returns the fd, or -1 with *cause (caller frees).
 */
int tools_open(struct tool_ctx *ctx, const char *norm, int flags, mode_t mode,
    char **cause);

/*
 * Arguments.  Each returns 0 (with the value, or `def` when absent and
 * not required) or -1 with *cause (caller frees) naming the argument.
 * Strings with a NUL byte are refused (except by tools_arg_bytes).
 */
int tools_arg_str(json_t *args, const char *key, int required, const char *def,
    const char **out, char **cause);
int tools_arg_bytes(json_t *args, const char *key, const char **out,
    size_t *len, char **cause);
int tools_arg_int(json_t *args, const char *key, long min, long max, long def,
    long *out, char **cause);
int tools_arg_bool(json_t *args, const char *key, int def, int *out,
    char **cause);
/* The "path" argument (default `def`, NULL: required), checked by
 * confine_check(). */
int tools_arg_path(json_t *args, const char *key, const char *def, char **norm,
    char **cause);

/*
 * `n` bytes as valid UTF-8: invalid sequences and NUL bytes become
 * U+FFFD.  New string (caller frees).
 */
char *tools_utf8(const char *s, size_t n);
/*
 * Whether relative path `p` matches glob `g`.  Without a '/', `g` is
 * matched against the last component only ("*.c" finds C files at any
 * depth); with one, component by component, "**" standing for any number
 * of directories.  Components are matched with fnmatch(3).
 */
int tools_glob(const char *g, const char *p);

/* The tools (tool_fs.c, tool_exec.c). */
int tool_read(struct tool_ctx *, json_t *, struct tool_result *);
int tool_write(struct tool_ctx *, json_t *, struct tool_result *);
/*
 * The entries of an open directory but "." and "..", sorted by name; their
 * count in *n.  New array of new strings (caller frees both), NULL if none.
 */
char **tools_dir_names(DIR *d, size_t *n);

int tool_edit(struct tool_ctx *, json_t *, struct tool_result *);
int tool_ls(struct tool_ctx *, json_t *, struct tool_result *);
int tool_find(struct tool_ctx *, json_t *, struct tool_result *);
int tool_grep(struct tool_ctx *, json_t *, struct tool_result *);
/* NFA states one grep call may visit (util/regex.h); tests lower it. */
extern uint64_t tool_grep_budget;
int tool_exec(struct tool_ctx *, json_t *, struct tool_result *);

#endif
