/*
 * cli.c — the command table, dispatch (to subcommands too), help and usage
 * made from the tables, and shared helpers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/home.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Every command, in the order `oxios help` lists them. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_start_entry,
	&cmd_stop_entry,
	&cmd_restart_entry,
	&cmd_status_entry,
	&cmd_log_entry,
	&cmd_run_entry,
	&cmd_chat_entry,
	&cmd_memory_entry,
	&cmd_audit_entry,
	&cmd_budget_entry,
	&cmd_permissions_entry,
	&cmd_skills_entry,
	&cmd_skill_entry,
	&cmd_persona_entry,
	&cmd_space_entry,
	&cmd_approvals_entry,
	&cmd_seeds_entry,
	&cmd_usage_entry,
	&cmd_onboard_entry,
	&cmd_doctor_entry,
	&cmd_models_entry,
	&cmd_config_entry,
	&cmd_token_entry,
	&cmd_completion_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	&cmd_worker_entry,
	&cmd_toml_entry,
	&cmd_llm_entry,
	&cmd_fetch_entry,
	&cmd_apidoc_entry,
	NULL,
};

const struct cmd_entry *
cli_find(const char *name)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return *e;
	}
	return NULL;
}

int
cli_exec(int argc, char **argv)
{
	const struct cmd_entry *e;
	const char *near;
	char *cause = NULL;

	if ((e = cli_find(argv[0])) == NULL) {
		if ((near = cli_suggest_command(argv[0])) != NULL)
			cli_error("unknown command '%s' (did you mean 'oxios "
				  "%s'?)",
			    argv[0], near);
		else
			cli_error("unknown command '%s' (see: oxios help)",
			    argv[0]);
		return EXIT_USAGE;
	}
	if (cli_wants_help(argc, argv)) {
		cli_help(stdout, e);
		return EXIT_OK;
	}
	if (!(e->flags & CMD_NOHOME) && home_check(&cause) != 0) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (e->exec == NULL)
		return cli_sub_dispatch(e, argc, argv);
	return e->exec(argc, argv);
}

const struct cmd_sub *
cli_sub_find(const struct cmd_entry *parent, const char *name)
{
	const struct cmd_sub *s;

	for (s = parent->subs; s != NULL && s->name != NULL; s++) {
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

int
cli_sub_dispatch(const struct cmd_entry *parent, int argc, char **argv)
{
	const struct cmd_sub *s, *def = NULL;
	struct buf names;
	char **av;
	int rc;

	if (argc >= 2 && argv[1][0] != '-') {
		if ((s = cli_sub_find(parent, argv[1])) != NULL)
			return s->exec(argc - 1, argv + 1);
		buf_init(&names, BUF_NOCAP);
		for (s = parent->subs; s->name != NULL; s++) {
			if (!(s->flags & CMD_HIDDEN))
				buf_printf(&names, "%s%s",
				    names.len > 0 ? ", " : "", s->name);
		}
		cli_error("%s: unknown subcommand '%s' (try: %s)", parent->name,
		    argv[1], buf_str(&names));
		buf_free(&names);
		return EXIT_USAGE;
	}
	for (s = parent->subs; s->name != NULL; s++) {
		if (s->flags & CMD_DEFAULT)
			def = s;
	}
	if (def == NULL)
		return cli_usage(parent);
	/* The default gets the arguments there are, after its name. */
	av = xcalloc((size_t)argc + 1, sizeof *av);
	av[0] = (char *)def->name;
	if (argc > 1)
		memcpy(av + 1, argv + 1, (size_t)(argc - 1) * sizeof *av);
	rc = def->exec(argc, av);
	free(av);
	return rc;
}

/*
 * One line on stderr, whatever the message holds: control characters
 * (from file contents or arguments) are shown escaped.
 */
static void
cli_vmsg(const char *prefix, const char *fmt, va_list ap)
{
	const unsigned char *p;
	char *msg;

	xvasprintf(&msg, fmt, ap);
	fflush(stdout);
	fprintf(stderr, "oxios: %s", prefix);
	for (p = (const unsigned char *)msg; *p != '\0'; p++) {
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p == '\t')
			fputs("\\t", stderr);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	free(msg);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg("", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg("warning: ", fmt, ap);
	va_end(ap);
}

/* "usage: oxios NAME USAGE" (no newline); a usage made from the
 * subcommands' names when the entry has none. */
static void
cli_usage_line(FILE *f, const struct cmd_entry *e)
{
	const struct cmd_sub *s;
	int n = 0, def = 0;

	fprintf(f, "usage: oxios %s", e->name);
	if (e->usage != NULL || e->subs == NULL) {
		if (e->usage != NULL && *e->usage != '\0')
			fprintf(f, " %s", e->usage);
		return;
	}
	for (s = e->subs; s->name != NULL; s++)
		def |= (s->flags & CMD_DEFAULT) != 0;
	fputs(def ? " [" : " ", f);
	for (s = e->subs; s->name != NULL; s++) {
		if (!(s->flags & CMD_HIDDEN))
			fprintf(f, "%s%s", n++ > 0 ? "|" : "", s->name);
	}
	fputs(def ? "] ..." : " ...", f);
}

int
cli_usage(const struct cmd_entry *e)
{
	cli_usage_line(stderr, e);
	fprintf(stderr, "\nTry 'oxios help %s' for more.\n", e->name);
	return EXIT_USAGE;
}

int
cli_sub_usage(const struct cmd_entry *parent, const char *sub)
{
	const struct cmd_sub *s = cli_sub_find(parent, sub);

	if (s == NULL)
		return cli_usage(parent);
	fprintf(stderr, "usage: oxios %s %s%s%s\n", parent->name, s->name,
	    *s->usage != '\0' ? " " : "", s->usage);
	fprintf(stderr, "Try 'oxios help %s' for more.\n", parent->name);
	return EXIT_USAGE;
}

#define CLI_HELP_COL 24   /* where a subcommand's summary begins */
#define CLI_HELP_WIDTH 78 /* where lines wrap */

/*
 * Write the words of `text` at column `col`, wrapping lines at
 * CLI_HELP_WIDTH to go on at column `indent`; with `groups`, a bracketed
 * group ("[--limit N]") is one word.  Returns the column it ends at.
 */
static int
cli_wrap(FILE *f, const char *text, int col, int indent, int groups)
{
	const char *p = text;
	int first = 1, depth;
	size_t n;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return col;
		for (n = 0, depth = 0; p[n] != '\0'; n++) {
			if (groups && (p[n] == '[' || p[n] == '{'))
				depth++;
			else if (groups && (p[n] == ']' || p[n] == '}') &&
			    depth > 0)
				depth--;
			else if (p[n] == ' ' && depth == 0)
				break;
		}
		if (!first && col + 1 + (int)n > CLI_HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)n, p);
		col += (int)n;
		p += n;
		first = 0;
	}
}

/* The subcommands of e, a row each: name, usage, summary. */
static void
cli_help_subs(FILE *f, const struct cmd_entry *e)
{
	const struct cmd_sub *s;
	int col;

	fprintf(f, "\nSubcommands:\n");
	for (s = e->subs; s->name != NULL; s++) {
		if (s->flags & CMD_HIDDEN)
			continue;
		col = fprintf(f, "  %s", s->name);
		if (*s->usage != '\0') {
			fputc(' ', f);
			col = cli_wrap(f, s->usage, col + 1,
			    3 + (int)strlen(s->name), 1);
		}
		if (col + 2 <= CLI_HELP_COL)
			fprintf(f, "%*s", CLI_HELP_COL - col, "");
		else
			fprintf(f, "\n%*s", CLI_HELP_COL, "");
		cli_wrap(f, s->summary, CLI_HELP_COL, CLI_HELP_COL, 0);
		fputc('\n', f);
	}
}

void
cli_help(FILE *f, const struct cmd_entry *e)
{
	cli_usage_line(f, e);
	fprintf(f, "\n\n%s\n", e->summary);
	if (e->subs != NULL)
		cli_help_subs(f, e);
	if (e->help != NULL)
		fprintf(f, "\n%s", e->help);
}

int
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int
cli_color_on(FILE *f)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");

	if (no != NULL && *no != '\0')
		return 0;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return 0;
	return isatty(fileno(f));
}

void
cli_paint(FILE *f, enum cli_color c, const char *s)
{
	static const char *const codes[] = { "32", "33", "31", "1" };

	if (cli_color_on(f))
		fprintf(f, "\033[%sm%s\033[0m", codes[c], s);
	else
		fputs(s, f);
}

int
cli_db_open(struct config **cfg, sqlite3 **db)
{
	char *path, *cause = NULL;
	sqlite3 *d = NULL;

	if ((*cfg = cli_setup()) == NULL)
		return -1;
	path = home_path("oxios.db");
	if (db_init(path, &cause) != 0 || (d = db_get()) == NULL) {
		cli_error("%s", cause != NULL ? cause : "no database");
		free(cause);
		free(path);
		cli_db_close(*cfg);
		*cfg = NULL;
		return -1;
	}
	free(path);
	if (db != NULL)
		*db = d;
	return 0;
}

void
cli_db_close(struct config *cfg)
{
	audit_close();
	db_shutdown();
	config_free(cfg);
}

struct config *
cli_setup(void)
{
	struct config *cfg = NULL;
	char *cause = NULL, *path = NULL, *logfile = NULL;
	size_t i;
	int level;

	if (home_ensure(&cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	path = home_path("config.toml");
	if (config_load(path, &cfg, &cause) != 0) {
		cli_error("%s", cause);
		goto out;
	}
	for (i = 0; i < json_array_size(cfg->warnings); i++)
		cli_warn("%s",
		    json_string_value(json_array_get(cfg->warnings, i)));

	if ((level = log_level_parse(config_str(cfg, "logging.level"))) >= 0)
		log_set_level((enum log_level)level);
	audit_open(config_bool(cfg, "audit.enabled"),
	    config_int(cfg, "audit.sign_interval_secs"), NULL);
	if (strcmp(config_str(cfg, "logging.format"), "json") == 0)
		log_set_format(LOG_JSON);
	if (strcmp(config_str(cfg, "logging.target"), "file") == 0) {
		logfile = home_path("logs/oxios.log");
		if (log_set_file(logfile, &cause) != 0) {
			cli_warn("logging to stderr: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
out:
	free(cause);
	free(path);
	free(logfile);
	return cfg;
}

int
cli_audit(enum audit_action action, const char *resource, json_t *detail)
{
	struct config *cfg = NULL;
	sqlite3 *db = NULL;
	char *path = home_path("config.toml"), *dbpath = home_path("oxios.db");
	char *cause = NULL;
	int rc = 0;

	/* A configuration that does not load (what `config set` may be
	 * fixing) says nothing of auditing: the default is on. */
	if (config_load(path, &cfg, &cause) != 0 ||
	    config_bool(cfg, "audit.enabled")) {
		free(cause);
		cause = NULL;
		audit_open(1, 300, NULL);
		if (db_open(dbpath, &db, &cause) != 0 ||
		    audit_append(db, "user", action, resource, detail, &cause) <
			0) {
			cli_error("the audit log cannot record the change, so "
				  "it was not made: %s",
			    cause);
			rc = -1;
		}
		/* The log's statements go before the connection. */
		audit_close();
		db_close(db);
	}
	free(cause);
	config_free(cfg);
	free(path);
	free(dbpath);
	json_decref(detail);
	return rc;
}
