/*
 * shparse.h — a POSIX sh command line as a list of simple commands.
 *
 * The parser does not run or expand anything.  It splits a line the way sh
 * would (quotes, backslashes, operators, groups, subshells, function
 * definitions, here-documents) and lists every simple command it holds,
 * including those inside $(...), backticks and <(...), in the order their
 * text ends (a substitution's commands come before the command holding
 * it).  Words keep their expansions as written ("$HOME" stays "$HOME");
 * quote removal is done.  A command whose first word the parser cannot
 * resolve ($X, ${..}, $(..), `..`, $'..', or `eval`) is flagged `opaque`:
 * nobody can tell from the text what it runs.
 *
 * Invariants (checked by tests/fuzz/fuzz_shparse.c): the input is capped at
 * SHPARSE_MAX_BYTES, nesting at SHPARSE_MAX_DEPTH, the list at
 * SHPARSE_MAX_CMDS commands and a command at SHPARSE_MAX_WORDS words; past a
 * cap, or on unbalanced quotes, parentheses or braces, shparse() fails with
 * a cause and no list.  On success every argv is NULL-terminated, every
 * pipeline stage lies in [0, stages) and every `func` names a listed
 * function.  Pure: util only, no global state.
 */
#ifndef OXIOS_SECURITY_SHPARSE_H
#define OXIOS_SECURITY_SHPARSE_H

#include <stddef.h>

#define SHPARSE_MAX_BYTES (64 * 1024)
#define SHPARSE_MAX_DEPTH 16
#define SHPARSE_MAX_CMDS 256
#define SHPARSE_MAX_WORDS 1024
#define SHPARSE_MAX_FUNCS 64
#define SHPARSE_MAX_HEREDOCS 64

struct sh_redir {
	int fd;       /* the explicit descriptor ("2>"), or -1 */
	char op[4];   /* ">", ">>", ">|", "<", "<>", "<&", ">&", "&>", "&>>",
			 "<<", "<<-", "<<<" */
	char *target; /* the word after the operator (a here-doc delimiter) */
	int heredoc;  /* "<<", "<<-": its body's index in heredocs; else -1 */
};

struct sh_cmd {
	char **argv; /* argc words, then NULL; argc may be 0 ("> f") */
	size_t argc;
	char **assign; /* "NAME=value" words before argv[0] */
	size_t nassign;
	struct sh_redir *redir;
	size_t nredir;
	int opaque;     /* the command word is an unresolved expansion */
	int background; /* its and-or list ends with '&' */
	int pipeline;   /* -1, or the id of the pipeline (2+ stages) it is in */
	int stage;      /* its stage in that pipeline, 0 first */
	int func;       /* -1, or the index in funcs of the body holding it */
	int subst;      /* how many $(..) / `..` / <(..) enclose it */
};

struct sh_func {
	char *name; /* "f" of "f() { ...; }" */
};

struct sh_list {
	struct sh_cmd *cmds;
	size_t ncmds;
	struct sh_func *funcs;
	size_t nfuncs;
	int npipelines;  /* pipeline ids run 0 .. npipelines - 1 */
	char **heredocs; /* here-document bodies, as written; an entry is NULL
			    when the line ends before its body */
	size_t nheredocs;
};

/*
 * Parse `line` (NUL-terminated).  0 and *out (caller frees with
 * sh_list_free), or -1 and *cause (caller frees) when the line is over a
 * cap or is not sh.
 */
int shparse(const char *line, struct sh_list **out, char **cause);
/* Free a list from shparse() (NULL is allowed). */
void sh_list_free(struct sh_list *l);

#endif
