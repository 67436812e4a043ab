/*
 * cli.h — the command table and what every command shares.
 *
 * A command is one `struct cmd_entry` in its own file (cmd_NAME.c),
 * collected in cmd_table[] (cli.c).  A command with subcommands (`oxios
 * memory add`) has a table of `struct cmd_sub` instead of an exec
 * function: cli_exec() dispatches through it.  Help, usage errors and
 * shell completion are generated from the tables.  Exit codes: 0 ok,
 * 1 failure, 2 usage.
 */
#ifndef OXIOS_CLI_CLI_H
#define OXIOS_CLI_CLI_H

#include <stdio.h>

#include "config/config.h"
#include "security/audit.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define CMD_HIDDEN 0x1  /* not listed in help or completion */
#define CMD_DEFAULT 0x2 /* a subcommand: runs when none is named */
#define CMD_NOHOME 0x4  /* needs no $OXIOS_HOME: runs even if it is wrong */

/*
 * A subcommand: one row of its command's table, which ends with a row
 * whose name is NULL.
 */
struct cmd_sub {
	const char *name;
	const char *usage;   /* what follows the name: "ID [--json]", or "" */
	const char *summary; /* what it does (wrapped in the help) */
	/* An oxios command whose output lines complete the first argument
	 * ("config schema --keys"), or NULL. */
	const char *complete;
	int flags;                          /* CMD_HIDDEN, CMD_DEFAULT */
	int (*exec)(int argc, char **argv); /* argv[0] is the subcommand */
};

struct cmd_entry {
	const char *name;
	/* What follows the name: "[--json]"; NULL with subs: made from
	 * their names. */
	const char *usage;
	const char *summary; /* one line, for `oxios help` */
	const char *help;    /* the rest of `oxios help NAME`, or NULL */
	const char *words;   /* completion words: flags (and subs' names) */
	int flags;           /* CMD_* */
	const struct cmd_sub *subs; /* the subcommands, or NULL */
	/* argv[0] is the name; NULL with subs (cli_sub_dispatch()). */
	int (*exec)(int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];

extern const struct cmd_entry cmd_chat_entry;
extern const struct cmd_entry cmd_completion_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_doctor_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_llm_entry;
extern const struct cmd_entry cmd_fetch_entry;
extern const struct cmd_entry cmd_token_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_apidoc_entry;
extern const struct cmd_entry cmd_memory_entry;
extern const struct cmd_entry cmd_audit_entry;
extern const struct cmd_entry cmd_budget_entry;
extern const struct cmd_entry cmd_permissions_entry;
extern const struct cmd_entry cmd_skills_entry;
extern const struct cmd_entry cmd_skill_entry;
extern const struct cmd_entry cmd_persona_entry;
extern const struct cmd_entry cmd_space_entry;
extern const struct cmd_entry cmd_approvals_entry;
extern const struct cmd_entry cmd_seeds_entry;
extern const struct cmd_entry cmd_usage_entry;
extern const struct cmd_entry cmd_models_entry;
extern const struct cmd_entry cmd_onboard_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_toml_entry;
extern const struct cmd_entry cmd_worker_entry;

/* The command called `name`, or NULL. */
const struct cmd_entry *cli_find(const char *name);
/* Run argv[0] as a command; returns its exit code. */
int cli_exec(int argc, char **argv);
/* The subcommand of `parent` called `name` (hidden ones too), or NULL. */
const struct cmd_sub *cli_sub_find(const struct cmd_entry *parent,
    const char *name);
/*
 * Run the subcommand argv[1] of `parent` (argv[0]) with argv + 1; with
 * none named (no argument, or an option first), the CMD_DEFAULT one with
 * the arguments there are.  An unknown name is an error listing the
 * subcommands: "unknown subcommand 'x' (try: a, b)".  Returns the exit
 * code (EXIT_USAGE for those errors).
 */
int cli_sub_dispatch(const struct cmd_entry *parent, int argc, char **argv);

/* "oxios: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "oxios: warning: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "usage: oxios NAME USAGE" on stderr; returns EXIT_USAGE. */
int cli_usage(const struct cmd_entry *e);
/* "usage: oxios NAME SUB USAGE" on stderr; returns EXIT_USAGE. */
int cli_sub_usage(const struct cmd_entry *parent, const char *sub);
/* The list of commands, for `oxios help` and a bare `oxios`. */
void cli_overview(FILE *f);
/* Full help of a command on `f`. */
void cli_help(FILE *f, const struct cmd_entry *e);
/* Whether argv has -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);
/* The command name nearest to a mistyped `word` (an edit or two away, or
 * a name it begins), or NULL (cli_suggest.c). */
const char *cli_suggest_command(const char *word);
/* "oxios: unknown option 'OPT'" given before any command, with the
 * command it belongs to or the one it looks like. */
void cli_unknown_option(const char *opt);

enum cli_color { CLI_GREEN, CLI_YELLOW, CLI_RED, CLI_BOLD };
/* Whether to colour `f`: a terminal, NO_COLOR unset, TERM not "dumb". */
int cli_color_on(FILE *f);
/* Write `s` to f, coloured when cli_color_on(f). */
void cli_paint(FILE *f, enum cli_color c, const char *s);

/*
 * Make $OXIOS_HOME, load its config (printing warnings for unknown keys)
 * and set up logging from it.  On failure prints one line and returns
 * NULL.  The result is the caller's (config_free()).
 */
struct config *cli_setup(void);
/*
 * For a command that works on the home's database directly: the
 * configuration (cli_setup()) and the database opened (*db may be NULL
 * to leave it to db_get()).  0, or -1 (told, nothing left open).
 */
int cli_db_open(struct config **cfg, struct sqlite3 **db);
/* Close what cli_db_open() opened (the audit log, the database, cfg). */
void cli_db_close(struct config *cfg);
/*
 * Print a one-time sign-in link to the dashboard for a token just made
 * (cmd_token.c); `cfg` gives the address (NULL: the home's config).
 */
void cli_signin_link(const struct config *cfg, const char *token);

/*
 * Append an entry by the user to the audit log of $OXIOS_HOME (for
 * commands that do not otherwise open the database), and close the log
 * again; detail is taken.  A change to a file is recorded before it is
 * made (docs/security.md, "Atomic audit"): 0 (or auditing is off), or -1
 * with the error told, and the change must not be made.
 */
int cli_audit(enum audit_action action, const char *resource, json_t *detail);

#endif
