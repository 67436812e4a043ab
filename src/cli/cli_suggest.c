/*
 * cli_suggest.c — what the user meant: the nearest command name to a
 * mistyped one, and the command an option given before any command
 * belongs to (`oxios --timeout` → `oxios stop --timeout`), and the
 * option of a bare `oxios` a mistyped one is near (`--foregroun`).
 */
#include <string.h>

#include "cli/cli.h"

#define SUGGEST_MAX 2 /* the most edits a suggestion may be away */

/* The edit distance of a and b (insert, delete, substitute, swap), or
 * more than SUGGEST_MAX when it is certainly larger. */
static size_t
suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best;
	size_t d[3][33];

	if (la > 32 || lb > 32)
		return SUGGEST_MAX + 1;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *prev = d[(i - 1) % 3];
		size_t *pp = d[(i + 1) % 3]; /* the row before prev */

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			cur[j] = best;
		}
	}
	return d[la % 3][lb];
}

const char *
cli_suggest_command(const char *word)
{
	const struct cmd_entry *const *e;
	const char *best = NULL;
	size_t n = strlen(word), d, bestd = SUGGEST_MAX + 1;

	if (n == 0)
		return NULL;
	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->flags & CMD_HIDDEN)
			continue;
		/* A short word is a prefix of the name ("stat" → status). */
		if (n >= 3 && strncmp((*e)->name, word, n) == 0)
			d = 0;
		else
			d = suggest_distance(word, (*e)->name);
		/* One edit in a name of three letters is a third of it. */
		if (d < bestd && d < strlen((*e)->name) - 1) {
			best = (*e)->name;
			bestd = d;
		}
	}
	return best;
}

/* Whether `opt` is one of the space-separated words of `words`. */
static int
suggest_has_word(const char *words, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = words;

	while ((p = strstr(p, opt)) != NULL) {
		if ((p == words || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' '))
			return 1;
		p += n;
	}
	return 0;
}

/* The options of a bare `oxios` (src/main.c). */
static const char *const global_opts[] = { "--foreground", "--version",
	"--help", NULL };

void
cli_unknown_option(const char *opt)
{
	const char *const *g;
	const struct cmd_entry *const *e, *found = NULL;
	const char *name = opt, *eq;
	char word[64];
	size_t n;
	int nfound = 0;

	/* --model=X is --model. */
	if ((eq = strchr(opt, '=')) != NULL && (size_t)(eq - opt) < sizeof word)
		n = (size_t)(eq - opt);
	else
		n = strlen(opt) < sizeof word ? strlen(opt) : sizeof word - 1;
	memcpy(word, opt, n);
	word[n] = '\0';
	for (e = cmd_table; *e != NULL; e++) {
		if (!((*e)->flags & CMD_HIDDEN) &&
		    suggest_has_word((*e)->words, word)) {
			nfound++;
			found = *e;
		}
	}
	if (nfound == 1) {
		cli_error("unknown option '%s' (did you mean 'oxios %s %s'?)",
		    opt, found->name, opt);
		return;
	}
	if (nfound > 1) {
		cli_error("unknown option '%s': it goes after a command ('oxios "
			  "COMMAND %s'; see: oxios help)",
		    opt, opt);
		return;
	}
	for (g = global_opts; *g != NULL; g++) {
		if (strncmp(word, "--", 2) == 0 && strlen(word) > 4 &&
		    suggest_distance(word, *g) <= SUGGEST_MAX) {
			cli_error("unknown option '%s' (did you mean 'oxios "
				  "%s'?)",
			    opt, *g);
			return;
		}
	}
	while (*name == '-')
		name++;
	if ((name = cli_suggest_command(name)) != NULL) {
		cli_error("unknown option '%s' (did you mean 'oxios %s'?)", opt,
		    name);
		return;
	}
	cli_error("unknown option '%s' (see: oxios help)", opt);
}
