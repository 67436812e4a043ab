/*
 * cmd_help.c — oxios help [COMMAND]
 */
#include <string.h>

#include "cli/cli.h"

static int cmd_help(int, char **);

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "Show the commands, or how to use one of them.",
	.words = "",
	.flags = CMD_NOHOME,
	.exec = cmd_help,
};

void
cli_overview(FILE *f)
{
	const struct cmd_entry *const *e;

	fprintf(f,
	    "Oxios — an operating system for LLM agents.\n\n"
	    "usage: oxios COMMAND [ARGS...]\n"
	    "       oxios --version | --help\n\n"
	    "Commands:\n");
	for (e = cmd_table; *e != NULL; e++) {
		if (!((*e)->flags & CMD_HIDDEN))
			fprintf(f, "  %-12s %s\n", (*e)->name, (*e)->summary);
	}
	fprintf(f,
	    "\nRun 'oxios help COMMAND' for one command's options.\n"
	    "Environment: OXIOS_HOME (default ~/.oxios), NO_COLOR, "
	    "ANTHROPIC_API_KEY, OPENAI_API_KEY, OPENAI_BASE_URL, "
	    "OXIOS_API_KEY.\n");
}

static int
cmd_help(int argc, char **argv)
{
	const struct cmd_entry *e;

	if (argc > 2)
		return cli_usage(&cmd_help_entry);
	if (argc == 1) {
		cli_overview(stdout);
		return EXIT_OK;
	}
	if ((e = cli_find(argv[1])) == NULL) {
		cli_error("unknown command '%s' (see: oxios help)", argv[1]);
		return EXIT_USAGE;
	}
	cli_help(stdout, e);
	return EXIT_OK;
}
