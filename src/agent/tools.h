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

/* What a tool answers: output (ok) or an error, both owned here. */
struct tool_result {
	int ok;
	char *output;  /* ok: the output, valid UTF-8 */
	int truncated; /* ok: the output was cut */
	char *error;   /* !ok: what went wrong, valid UTF-8 */
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
