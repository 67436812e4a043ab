/*
 * cmd_completion.c — oxios completion bash|zsh|fish
 *
 * The scripts are generated from cmd_table[]: command names, summaries and
 * each command's completion words.  Config keys are completed by asking
 * `oxios config schema --keys` at completion time.
 */
#include <string.h>

#include "cli/cli.h"

static int cmd_completion(int, char **);

const struct cmd_entry cmd_completion_entry = {
	.name = "completion",
	.usage = "bash|zsh|fish",
	.summary = "Print a shell completion script.",
	.help =
	    "Examples:\n"
	    "  oxios completion bash > /etc/bash_completion.d/oxios\n"
	    "  oxios completion zsh > \"${fpath[1]}/_oxios\"\n"
	    "  oxios completion fish > ~/.config/fish/completions/oxios.fish\n",
	.words = "bash zsh fish",
	.exec = cmd_completion,
};

/* Subcommands of `config` that take a key. */
#define KEY_SUBCOMMANDS "get set reset"

/* Write s inside single quotes for a POSIX-like shell. */
static void
cmd_completion_quoted(const char *s)
{
	putchar('\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*s);
	}
	putchar('\'');
}

static void
cmd_completion_bash(void)
{
	const struct cmd_entry *const *e;

	printf("# bash completion for oxios (oxios completion bash)\n"
	       "_oxios() {\n"
	       "\tlocal cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
	       "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	       "\t\tCOMPREPLY=($(compgen -W '--help --version");
	for (e = cmd_table; *e != NULL; e++) {
		if (!((*e)->flags & CMD_HIDDEN))
			printf(" %s", (*e)->name);
	}
	printf("' -- \"$cur\"))\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tif [ \"${COMP_WORDS[1]}\" = config ] && "
	       "[ \"$COMP_CWORD\" -eq 3 ]; then\n"
	       "\t\tcase \"${COMP_WORDS[2]}\" in\n"
	       "\t\t%s)\n"
	       "\t\t\tCOMPREPLY=($(compgen -W \"$(oxios config schema --keys "
	       "2>/dev/null)\" -- \"$cur\"))\n"
	       "\t\t\treturn;;\n"
	       "\t\tesac\n"
	       "\tfi\n"
	       "\tcase \"${COMP_WORDS[1]}\" in\n",
	    "get|set|reset"); /* KEY_SUBCOMMANDS */
	for (e = cmd_table; *e != NULL; e++) {
		if (((*e)->flags & CMD_HIDDEN) || *(*e)->words == '\0')
			continue;
		printf("\t%s) COMPREPLY=($(compgen -W ", (*e)->name);
		cmd_completion_quoted((*e)->words);
		printf(" -- \"$cur\"));;\n");
	}
	printf("\tesac\n"
	       "}\n"
	       "complete -F _oxios oxios\n");
}

static void
cmd_completion_zsh(void)
{
	const struct cmd_entry *const *e;
	char item[256];

	printf("#compdef oxios\n"
	       "# zsh completion for oxios (oxios completion zsh)\n"
	       "_oxios() {\n"
	       "\tlocal -a cmds\n"
	       "\tcmds=(\n");
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		snprintf(item, sizeof item, "%s:%s", (*e)->name, (*e)->summary);
		printf("\t\t");
		cmd_completion_quoted(item);
		printf("\n");
	}
	printf("\t)\n"
	       "\tif (( CURRENT == 2 )); then\n"
	       "\t\t_describe 'command' cmds\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tif [[ $words[2] == config && CURRENT -eq 4 && "
	       "$words[3] == (%s) ]]; then\n"
	       "\t\tcompadd -- ${(f)\"$(oxios config schema --keys "
	       "2>/dev/null)\"}\n"
	       "\t\treturn\n"
	       "\tfi\n"
	       "\tcase $words[2] in\n",
	    "get|set|reset"); /* KEY_SUBCOMMANDS */
	for (e = cmd_table; *e != NULL; e++) {
		if (((*e)->flags & CMD_HIDDEN) || *(*e)->words == '\0')
			continue;
		printf("\t%s) compadd -- %s;;\n", (*e)->name, (*e)->words);
	}
	printf("\tesac\n"
	       "}\n"
	       "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
	       "\t_oxios \"$@\"\n"
	       "else\n"
	       "\tcompdef _oxios oxios\n"
	       "fi\n");
}

static void
cmd_completion_fish(void)
{
	const struct cmd_entry *const *e;

	printf("# fish completion for oxios (oxios completion fish)\n"
	       "complete -c oxios -f\n");
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		printf("complete -c oxios -n __fish_use_subcommand -a %s -d ",
		    (*e)->name);
		cmd_completion_quoted((*e)->summary);
		printf("\n");
		if (*(*e)->words == '\0')
			continue;
		printf("complete -c oxios -n '__fish_seen_subcommand_from %s' "
		       "-a ",
		    (*e)->name);
		cmd_completion_quoted((*e)->words);
		printf("\n");
	}
	printf("complete -c oxios -n '__fish_seen_subcommand_from config; "
	       "and __fish_seen_subcommand_from %s' "
	       "-a '(oxios config schema --keys 2>/dev/null)'\n",
	    KEY_SUBCOMMANDS);
}

static int
cmd_completion(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage(&cmd_completion_entry);
	if (strcmp(argv[1], "bash") == 0)
		cmd_completion_bash();
	else if (strcmp(argv[1], "zsh") == 0)
		cmd_completion_zsh();
	else if (strcmp(argv[1], "fish") == 0)
		cmd_completion_fish();
	else {
		cli_error("unknown shell '%s' (bash, zsh or fish)", argv[1]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
