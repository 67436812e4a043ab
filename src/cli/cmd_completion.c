/*
 * cmd_completion.c — oxios completion bash|zsh|fish
 *
 * The scripts are generated from cmd_table[] and the subcommand tables:
 * command names, summaries, subcommand names and each command's flags.
 * A subcommand's first argument is completed by running the oxios
 * command its row names (`oxios config schema --keys` for config keys)
 * at completion time.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"

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
	.flags = CMD_NOHOME,
	.exec = cmd_completion,
};

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

/* A command's completion words: its visible subcommands, then its
 * flags.  Caller frees. */
static char *
cmd_completion_words(const struct cmd_entry *e)
{
	const struct cmd_sub *s;
	struct buf b;

	buf_init(&b, BUF_NOCAP);
	for (s = e->subs; s != NULL && s->name != NULL; s++) {
		if (!(s->flags & CMD_HIDDEN))
			buf_printf(&b, "%s%s", b.len > 0 ? " " : "", s->name);
	}
	if (*e->words != '\0')
		buf_printf(&b, "%s%s", b.len > 0 ? " " : "", e->words);
	return buf_detach(&b);
}

static void
cmd_completion_bash(void)
{
	const struct cmd_entry *const *e;
	const struct cmd_sub *s;
	char *words;

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
	       "\tif [ \"$COMP_CWORD\" -eq 3 ]; then\n"
	       "\t\tcase \"${COMP_WORDS[1]} ${COMP_WORDS[2]}\" in\n");
	for (e = cmd_table; *e != NULL; e++) {
		for (s = (*e)->subs; s != NULL && s->name != NULL; s++) {
			if (s->complete == NULL || (s->flags & CMD_HIDDEN))
				continue;
			printf("\t\t'%s %s')\n"
			       "\t\t\tCOMPREPLY=($(compgen -W \"$(oxios %s "
			       "2>/dev/null)\" -- \"$cur\"))\n"
			       "\t\t\treturn;;\n",
			    (*e)->name, s->name, s->complete);
		}
	}
	printf("\t\tesac\n"
	       "\tfi\n"
	       "\tcase \"${COMP_WORDS[1]}\" in\n");
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		words = cmd_completion_words(*e);
		if (*words != '\0') {
			printf("\t%s) COMPREPLY=($(compgen -W ", (*e)->name);
			cmd_completion_quoted(words);
			printf(" -- \"$cur\"));;\n");
		}
		free(words);
	}
	printf("\tesac\n"
	       "}\n"
	       "complete -F _oxios oxios\n");
}

static void
cmd_completion_zsh(void)
{
	const struct cmd_entry *const *e;
	const struct cmd_sub *s;
	char item[256], *words;

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
	       "\tif (( CURRENT == 4 )); then\n"
	       "\t\tcase \"$words[2] $words[3]\" in\n");
	for (e = cmd_table; *e != NULL; e++) {
		for (s = (*e)->subs; s != NULL && s->name != NULL; s++) {
			if (s->complete == NULL || (s->flags & CMD_HIDDEN))
				continue;
			printf("\t\t('%s %s')\n"
			       "\t\t\tcompadd -- ${(f)\"$(oxios %s "
			       "2>/dev/null)\"}\n"
			       "\t\t\treturn;;\n",
			    (*e)->name, s->name, s->complete);
		}
	}
	printf("\t\tesac\n"
	       "\tfi\n"
	       "\tcase $words[2] in\n");
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		words = cmd_completion_words(*e);
		if (*words != '\0')
			printf("\t%s) compadd -- %s;;\n", (*e)->name, words);
		free(words);
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
	const struct cmd_sub *s;
	char *words;

	printf("# fish completion for oxios (oxios completion fish)\n"
	       "complete -c oxios -f\n");
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		printf("complete -c oxios -n __fish_use_subcommand -a %s -d ",
		    (*e)->name);
		cmd_completion_quoted((*e)->summary);
		printf("\n");
		words = cmd_completion_words(*e);
		if (*words != '\0') {
			printf("complete -c oxios -n "
			       "'__fish_seen_subcommand_from %s' -a ",
			    (*e)->name);
			cmd_completion_quoted(words);
			printf("\n");
		}
		free(words);
		for (s = (*e)->subs; s != NULL && s->name != NULL; s++) {
			if (s->complete == NULL || (s->flags & CMD_HIDDEN))
				continue;
			printf("complete -c oxios -n '__fish_seen_subcommand_from "
			       "%s; and __fish_seen_subcommand_from %s' "
			       "-a '(oxios %s 2>/dev/null)'\n",
			    (*e)->name, s->name, s->complete);
		}
	}
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
