/*
 * cli.c — the command table, dispatch and shared helpers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/home.h"
#include "security/audit.h"
#include "store/db.h"
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

	if ((e = cli_find(argv[0])) == NULL) {
		cli_error("unknown command '%s' (see: oxios help)", argv[0]);
		return EXIT_USAGE;
	}
	if (cli_wants_help(argc, argv)) {
		cli_help(stdout, e);
		return EXIT_OK;
	}
	return e->exec(argc, argv);
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

int
cli_usage(const struct cmd_entry *e)
{
	fprintf(stderr, "usage: oxios %s%s%s\n", e->name,
	    *e->usage != '\0' ? " " : "", e->usage);
	fprintf(stderr, "Try 'oxios help %s' for more.\n", e->name);
	return EXIT_USAGE;
}

void
cli_help(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, "usage: oxios %s%s%s\n\n%s\n", e->name,
	    *e->usage != '\0' ? " " : "", e->usage, e->summary);
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

void
cli_audit(enum audit_action action, const char *resource, json_t *detail)
{
	struct config *cfg = NULL;
	sqlite3 *db = NULL;
	char *path = home_path("config.toml"), *dbpath = home_path("oxios.db");
	char *cause = NULL;

	/* A configuration that does not load (what `config set` may be
	 * fixing) says nothing of auditing: the default is on. */
	if (config_load(path, &cfg, &cause) != 0 ||
	    config_bool(cfg, "audit.enabled")) {
		audit_open(1, 300, NULL);
		if (db_open(dbpath, &db, &cause) == 0)
			audit_note(db, "user", action, resource, detail);
		db_close(db);
	}
	free(cause);
	config_free(cfg);
	free(path);
	free(dbpath);
	json_decref(detail);
}
