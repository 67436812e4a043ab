/*
 * shparse.c — the grammar of shparse: lists, and-or lists, pipelines,
 * groups, subshells, function definitions, simple commands.
 *
 * Compound keywords (if, while, until, for, case and their partners) are
 * read loosely: a keyword in command position is stepped over and what
 * follows is parsed as commands, so every command they hold is listed.
 * Only the structure the deny list needs is kept: pipelines, background,
 * function bodies, redirections.
 */
#include <stdlib.h>
#include <string.h>

#include "security/shparse_int.h"
#include "util/xalloc.h"

void
sh_token_clear(struct sh_token *t)
{
	free(t->word);
	memset(t, 0, sizeof *t);
}

struct sh_token *
sh_peek(struct sh_parser *p)
{
	struct sh_token t;

	if (!p->have_peek) {
		if (sh_lex(p, &t) == -1)
			return NULL;
		p->peek = t;
		p->have_peek = 1;
	}
	return &p->peek;
}

int
sh_take(struct sh_parser *p, struct sh_token *t)
{
	if (sh_peek(p) == NULL)
		return -1;
	*t = p->peek;
	p->have_peek = 0;
	memset(&p->peek, 0, sizeof p->peek);
	return 0;
}

void
sh_parser_clear(struct sh_parser *p)
{
	int i;

	if (p->have_peek)
		sh_token_clear(&p->peek);
	p->have_peek = 0;
	for (i = 0; i < p->nhd; i++)
		free(p->hd[i].delim);
	p->nhd = 0;
}

/* Drop the next token (one just peeked). */
static void
sh_drop(struct sh_parser *p)
{
	struct sh_token t;

	if (sh_take(p, &t) == 0)
		sh_token_clear(&t);
}

static int
sh_is_word(struct sh_token *t, const char *w)
{
	return t->type == TK_WORD && !t->quoted && !t->expand &&
	    strcmp(t->word, w) == 0;
}

static int
sh_skip_newlines(struct sh_parser *p)
{
	struct sh_token *t;

	while ((t = sh_peek(p)) != NULL && t->type == TK_NL)
		sh_drop(p);
	return t == NULL ? -1 : 0;
}

static void
sh_cmd_clear(struct sh_cmd *c)
{
	size_t i;

	for (i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	for (i = 0; i < c->nassign; i++)
		free(c->assign[i]);
	free(c->assign);
	for (i = 0; i < c->nredir; i++)
		free(c->redir[i].target);
	free(c->redir);
	memset(c, 0, sizeof *c);
}

void
sh_list_free(struct sh_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->ncmds; i++)
		sh_cmd_clear(&l->cmds[i]);
	free(l->cmds);
	for (i = 0; i < l->nfuncs; i++)
		free(l->funcs[i].name);
	free(l->funcs);
	for (i = 0; i < l->nheredocs; i++)
		free(l->heredocs[i]);
	free(l->heredocs);
	free(l);
}

static char **
sh_push_word(char **v, size_t *n, char *w)
{
	v = xreallocarray(v, *n + 2, sizeof *v);
	v[(*n)++] = w;
	v[*n] = NULL;
	return v;
}

/* Take a finished simple command into the list (c is emptied). */
static int
sh_emit(struct sh_parser *p, struct sh_cmd *c)
{
	struct sh_list *l = p->out;

	if (l->ncmds >= SHPARSE_MAX_CMDS)
		return sh_fail(p, "more than %d commands", SHPARSE_MAX_CMDS);
	if (c->argv == NULL)
		c->argv = xcalloc(1, sizeof *c->argv);
	c->background = 0;
	c->pipeline = -1;
	c->stage = 0;
	c->func = p->func;
	c->subst = p->subst;
	l->cmds = xreallocarray(l->cmds, l->ncmds + 1, sizeof *l->cmds);
	l->cmds[l->ncmds++] = *c;
	memset(c, 0, sizeof *c);
	return 0;
}

static int sh_command(struct sh_parser *p, int *empty);

/* f() BODY: the name is c's only word; the body's commands are f's. */
static int
sh_function(struct sh_parser *p, struct sh_cmd *c)
{
	struct sh_list *l = p->out;
	struct sh_token t;
	int saved = p->func, empty, rc = -1;

	sh_drop(p); /* '(' */
	if (sh_take(p, &t) == -1)
		goto out;
	if (t.type != TK_RPAREN) {
		sh_token_clear(&t);
		sh_fail(p, "expected ')' after '%s('", c->argv[0]);
		goto out;
	}
	if (l->nfuncs >= SHPARSE_MAX_FUNCS) {
		sh_fail(p, "more than %d functions", SHPARSE_MAX_FUNCS);
		goto out;
	}
	if (sh_skip_newlines(p) == -1)
		goto out;
	l->funcs = xreallocarray(l->funcs, l->nfuncs + 1, sizeof *l->funcs);
	l->funcs[l->nfuncs].name = xstrdup(c->argv[0]);
	p->func = (int)l->nfuncs++;
	rc = sh_command(p, &empty);
	p->func = saved;
	if (rc == 0 && empty)
		rc = sh_fail(p, "function '%s' has no body", c->argv[0]);
out:
	sh_cmd_clear(c);
	return rc;
}

/*
 * A simple command: assignments, words, redirections.  With only_redirs,
 * the redirections after a compound command.  *empty when nothing was
 * read.
 */
static int
sh_simple(struct sh_parser *p, int only_redirs, int *empty)
{
	struct sh_cmd c;
	struct sh_token *t, tk;
	int opaque = 0;

	memset(&c, 0, sizeof c);
	for (;;) {
		if ((t = sh_peek(p)) == NULL)
			goto fail;
		if (c.argc + c.nassign + c.nredir >= SHPARSE_MAX_WORDS &&
		    (t->type == TK_WORD || t->type == TK_REDIR)) {
			sh_fail(p, "a command has more than %d words",
			    SHPARSE_MAX_WORDS);
			goto fail;
		}
		if (t->type == TK_WORD && !only_redirs) {
			sh_take(p, &tk);
			if (c.argc == 0 && tk.assign) {
				c.assign =
				    sh_push_word(c.assign, &c.nassign, tk.word);
			} else {
				if (c.argc == 0)
					opaque = tk.expand ||
					    strcmp(tk.word, "eval") == 0;
				c.argv = sh_push_word(c.argv, &c.argc, tk.word);
			}
		} else if (t->type == TK_REDIR) {
			struct sh_redir r;

			sh_take(p, &tk);
			r.fd = tk.fd;
			memcpy(r.op, tk.op, sizeof r.op);
			if ((t = sh_peek(p)) == NULL)
				goto fail;
			if (t->type != TK_WORD) {
				sh_fail(p, "redirection '%s' has no target",
				    r.op);
				goto fail;
			}
			sh_take(p, &tk);
			r.target = tk.word;
			r.heredoc = -1;
			if (strncmp(r.op, "<<", 2) == 0 &&
			    strcmp(r.op, "<<<") != 0) {
				struct sh_list *l = p->out;

				if (p->nhd >= SH_MAX_HEREDOCS ||
				    l->nheredocs >= SHPARSE_MAX_HEREDOCS) {
					free(r.target);
					sh_fail(p,
					    "more than %d here-documents",
					    p->nhd >= SH_MAX_HEREDOCS ?
						SH_MAX_HEREDOCS :
						SHPARSE_MAX_HEREDOCS);
					goto fail;
				}
				l->heredocs = xreallocarray(l->heredocs,
				    l->nheredocs + 1, sizeof *l->heredocs);
				l->heredocs[l->nheredocs] = NULL;
				r.heredoc = (int)l->nheredocs;
				p->hd[p->nhd].seq = l->nheredocs++;
				p->hd[p->nhd].delim = xstrdup(r.target);
				p->hd[p->nhd++].dash = r.op[2] == '-';
			}
			c.redir = xreallocarray(c.redir, c.nredir + 1,
			    sizeof *c.redir);
			c.redir[c.nredir++] = r;
		} else if (t->type == TK_LPAREN && !only_redirs) {
			if (c.argc != 1 || c.nassign != 0 || c.nredir != 0) {
				sh_fail(p, "unexpected '('");
				goto fail;
			}
			*empty = 0;
			return sh_function(p, &c) == -1 ? -1 : 0;
		} else {
			break;
		}
	}
	*empty = c.argc == 0 && c.nassign == 0 && c.nredir == 0;
	if (*empty)
		return 0;
	c.opaque = opaque;
	if (sh_emit(p, &c) == -1)
		goto fail;
	return 0;
fail:
	sh_cmd_clear(&c);
	return -1;
}

/* ( list ) or { list; }, then its redirections. */
static int
sh_compound(struct sh_parser *p, int brace)
{
	struct sh_token t;
	int empty;

	if (p->depth + 1 > SHPARSE_MAX_DEPTH)
		return sh_fail(p, "nested deeper than %d", SHPARSE_MAX_DEPTH);
	sh_drop(p);
	p->depth++;
	if (sh_parse_list(p, brace ? SH_STOP_RBRACE : SH_STOP_RPAREN) == -1 ||
	    sh_take(p, &t) == -1)
		return -1;
	sh_token_clear(&t); /* the '}' or ')' the list stopped at */
	p->depth--;
	return sh_simple(p, 1, &empty);
}

/* case WORD in [(] PAT [| PAT]... ) list ;; ... esac */
static int
sh_case(struct sh_parser *p)
{
	struct sh_token *t;

	sh_drop(p);
	if ((t = sh_peek(p)) == NULL)
		return -1;
	if (t->type != TK_WORD)
		return sh_fail(p, "'case' needs a word");
	sh_drop(p);
	if (sh_skip_newlines(p) == -1 || (t = sh_peek(p)) == NULL)
		return -1;
	if (!sh_is_word(t, "in"))
		return sh_fail(p, "'case' without 'in'");
	sh_drop(p);
	for (;;) {
		if (sh_skip_newlines(p) == -1 || (t = sh_peek(p)) == NULL)
			return -1;
		if (sh_is_word(t, "esac")) {
			sh_drop(p);
			return 0;
		}
		if (t->type == TK_EOF)
			return sh_fail(p, "'case' without 'esac'");
		if (t->type == TK_LPAREN) {
			sh_drop(p);
			t = sh_peek(p);
		}
		while (
		    t != NULL && (t->type == TK_WORD || t->type == TK_PIPE)) {
			sh_drop(p);
			t = sh_peek(p);
		}
		if (t == NULL)
			return -1;
		if (t->type != TK_RPAREN)
			return sh_fail(p, "a 'case' pattern without ')'");
		sh_drop(p);
		if (sh_parse_list(p, SH_STOP_CASE) == -1 ||
		    (t = sh_peek(p)) == NULL)
			return -1;
		if (t->type == TK_DSEMI)
			sh_drop(p);
	}
}

/* for NAME [in WORD...]: the words are read; the body follows as "do". */
static int
sh_for(struct sh_parser *p)
{
	struct sh_token *t;

	sh_drop(p);
	if ((t = sh_peek(p)) == NULL)
		return -1;
	if (t->type != TK_WORD)
		return sh_fail(p, "'for' needs a name");
	sh_drop(p);
	if ((t = sh_peek(p)) == NULL)
		return -1;
	if (sh_is_word(t, "in"))
		while ((t = sh_peek(p)) != NULL && t->type == TK_WORD)
			sh_drop(p);
	return t == NULL ? -1 : 0;
}

static int
sh_command(struct sh_parser *p, int *empty)
{
	static const char *const skip[] = { "!", "if", "then", "else", "elif",
		"fi", "while", "until", "do", "done", "time", "function",
		NULL };
	struct sh_token *t;
	size_t i;

	*empty = 1;
	for (;;) {
		if ((t = sh_peek(p)) == NULL)
			return -1;
		if (t->type == TK_LPAREN) {
			*empty = 0;
			return sh_compound(p, 0);
		}
		if (t->type != TK_WORD || t->quoted || t->expand)
			break;
		if (strcmp(t->word, "{") == 0) {
			*empty = 0;
			return sh_compound(p, 1);
		}
		if (strcmp(t->word, "}") == 0 || strcmp(t->word, "esac") == 0)
			return 0;
		if (strcmp(t->word, "case") == 0) {
			*empty = 0;
			return sh_case(p);
		}
		if (strcmp(t->word, "for") == 0 ||
		    strcmp(t->word, "select") == 0) {
			if (sh_for(p) == -1)
				return -1;
			*empty = 0;
			return 0;
		}
		for (i = 0; skip[i] != NULL; i++)
			if (strcmp(t->word, skip[i]) == 0)
				break;
		if (skip[i] == NULL)
			break;
		sh_drop(p);
	}
	return sh_simple(p, 0, empty);
}

/* Put the commands made since `from` into stage `stage` of `id`. */
static void
sh_stage(struct sh_parser *p, size_t from, int id, int stage)
{
	size_t i;

	for (i = from; i < p->out->ncmds; i++) {
		struct sh_cmd *c = &p->out->cmds[i];

		if (c->pipeline == -1 && c->subst == p->subst) {
			c->pipeline = id;
			c->stage = stage;
		}
	}
}

static int
sh_pipeline(struct sh_parser *p, int *empty)
{
	struct sh_token *t;
	size_t from;
	int id = -1, stage = 0;

	for (;;) {
		from = p->out->ncmds;
		if (sh_command(p, empty) == -1 || (t = sh_peek(p)) == NULL)
			return -1;
		if (*empty && (stage > 0 || t->type == TK_PIPE))
			return sh_fail(p, "a '|' without a command %s it",
			    stage > 0 ? "after" : "before");
		if (id >= 0)
			sh_stage(p, from, id, stage);
		if (t->type != TK_PIPE)
			return 0;
		sh_drop(p);
		if (id < 0) {
			id = p->out->npipelines++;
			sh_stage(p, from, id, 0);
		}
		stage++;
		if (sh_skip_newlines(p) == -1)
			return -1;
	}
}

static int
sh_and_or(struct sh_parser *p, int *empty)
{
	struct sh_token *t;
	const char *op;

	if (sh_pipeline(p, empty) == -1)
		return -1;
	for (;;) {
		if ((t = sh_peek(p)) == NULL)
			return -1;
		if (t->type != TK_AND && t->type != TK_OR)
			return 0;
		op = t->type == TK_AND ? "&&" : "||";
		if (*empty)
			return sh_fail(p, "'%s' without a command before it",
			    op);
		sh_drop(p);
		if (sh_skip_newlines(p) == -1 || sh_pipeline(p, empty) == -1)
			return -1;
		if (*empty)
			return sh_fail(p, "'%s' without a command after it",
			    op);
	}
}

int
sh_parse_list(struct sh_parser *p, int stop)
{
	struct sh_token *t;
	size_t from, i;
	int empty;

	for (;;) {
		if (sh_skip_newlines(p) == -1 || (t = sh_peek(p)) == NULL)
			return -1;
		if (t->type == TK_EOF) {
			if (stop & SH_STOP_RPAREN)
				return sh_fail(p, "unbalanced '('");
			if (stop & SH_STOP_RBRACE)
				return sh_fail(p, "unbalanced '{'");
			if (stop & SH_STOP_CASE)
				return sh_fail(p, "'case' without 'esac'");
			return 0;
		}
		if (t->type == TK_RPAREN) {
			if (stop & SH_STOP_RPAREN)
				return 0;
			return sh_fail(p, "unbalanced ')'");
		}
		if (sh_is_word(t, "}")) {
			if (stop & SH_STOP_RBRACE)
				return 0;
			return sh_fail(p, "unbalanced '}'");
		}
		if (t->type == TK_DSEMI || sh_is_word(t, "esac")) {
			if (stop & SH_STOP_CASE)
				return 0;
			return sh_fail(p, "'%s' outside 'case'",
			    t->type == TK_DSEMI ? ";;" : "esac");
		}
		from = p->out->ncmds;
		if (sh_and_or(p, &empty) == -1 || (t = sh_peek(p)) == NULL)
			return -1;
		if (t->type == TK_AMP) {
			if (empty)
				return sh_fail(p, "'&' without a command");
			for (i = from; i < p->out->ncmds; i++)
				if (p->out->cmds[i].subst == p->subst)
					p->out->cmds[i].background = 1;
			sh_drop(p);
		} else if (t->type == TK_SEMI) {
			sh_drop(p);
		} else if (empty && t->type != TK_NL && t->type != TK_EOF &&
		    t->type != TK_RPAREN && t->type != TK_DSEMI &&
		    t->type != TK_WORD) {
			return sh_fail(p, "unexpected token");
		}
	}
}

int
shparse(const char *line, struct sh_list **out, char **cause)
{
	struct sh_parser p;
	size_t len;
	int rc = -1;

	*out = NULL;
	memset(&p, 0, sizeof p);
	len = strnlen(line, SHPARSE_MAX_BYTES + 1);
	if (len > SHPARSE_MAX_BYTES) {
		xasprintf(cause, "the line is longer than %d bytes",
		    SHPARSE_MAX_BYTES);
		return -1;
	}
	p.s = line;
	p.len = len;
	p.out = xcalloc(1, sizeof *p.out);
	p.func = -1;
	if (sh_parse_list(&p, 0) == -1)
		goto out;
	*out = p.out;
	p.out = NULL;
	rc = 0;
out:
	if (rc == -1) {
		*cause = p.cause != NULL ? p.cause : xstrdup("parse error");
		p.cause = NULL;
	}
	sh_parser_clear(&p);
	free(p.cause);
	sh_list_free(p.out);
	return rc;
}
