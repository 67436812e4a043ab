/*
 * shparse_lex.c — the lexer of shparse: tokens and words.
 *
 * A word is cooked as it is read: quotes and backslashes are removed,
 * expansions are kept as written and flagged.  $(..), <(..), >(..) and
 * backticks are parsed on the spot (sh_parse_list on the same input, or on
 * the unescaped text for backticks), so their commands join the list.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "security/shparse_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

int
sh_fail(struct sh_parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->cause == NULL) {
		va_start(ap, fmt);
		xvasprintf(&p->cause, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
sh_is_name(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* Append s[from, to) to b (never over its cap: the input is capped). */
static void
sh_add_raw(struct buf *b, const char *s, size_t from, size_t to)
{
	(void)buf_add(b, s + from, to - from);
}

/* Parse a nested list up to ')' on the same input: $(..), <(..), >(..). */
static int
sh_lex_nested(struct sh_parser *p, const char *what)
{
	struct sh_token t;
	int rc;

	if (p->depth + 1 > SHPARSE_MAX_DEPTH)
		return sh_fail(p, "nested deeper than %d", SHPARSE_MAX_DEPTH);
	p->depth++;
	p->subst++;
	rc = sh_parse_list(p, SH_STOP_RPAREN);
	if (rc == 0 && sh_take(p, &t) == 0 && t.type != TK_RPAREN) {
		sh_token_clear(&t);
		rc = sh_fail(p, "unbalanced %s", what);
	}
	if (p->cause != NULL)
		rc = -1;
	p->depth--;
	p->subst--;
	return rc;
}

/* `..`: unescape \` \\ \$, then parse the text as a line of its own. */
static int
sh_lex_backtick(struct sh_parser *p, struct buf *w)
{
	struct sh_parser sub;
	struct buf in;
	size_t start = p->pos;
	int rc = -1;

	buf_init(&in, BUF_NOCAP);
	p->pos++;
	for (;;) {
		if (p->pos >= p->len) {
			sh_fail(p, "unterminated backtick");
			goto out;
		}
		if (p->s[p->pos] == '`')
			break;
		if (p->s[p->pos] == '\\' && p->pos + 1 < p->len &&
		    strchr("`\\$", p->s[p->pos + 1]) != NULL)
			p->pos++;
		buf_addc(&in, p->s[p->pos++]);
	}
	p->pos++;
	if (p->depth + 1 > SHPARSE_MAX_DEPTH) {
		sh_fail(p, "nested deeper than %d", SHPARSE_MAX_DEPTH);
		goto out;
	}
	memset(&sub, 0, sizeof sub);
	sub.s = buf_str(&in);
	sub.len = in.len;
	sub.out = p->out;
	sub.depth = p->depth + 1;
	sub.subst = p->subst + 1;
	sub.func = p->func;
	rc = sh_parse_list(&sub, 0);
	sh_parser_clear(&sub);
	if (rc == -1) {
		p->cause = sub.cause;
		sub.cause = NULL;
		goto out;
	}
	sh_add_raw(w, p->s, start, p->pos);
	rc = 0;
out:
	buf_free(&in);
	return rc;
}

/* Skip from an opening bracket to its match; quotes are skipped whole. */
static int
sh_skip_balanced(struct sh_parser *p, char open, char close, const char *what)
{
	int level = 0;
	char q;

	for (; p->pos < p->len; p->pos++) {
		char c = p->s[p->pos];

		if (c == '\\') {
			p->pos++;
		} else if (c == '\'' || c == '"') {
			q = c;
			for (p->pos++; p->pos < p->len && p->s[p->pos] != q;
			     p->pos++)
				if (q == '"' && p->s[p->pos] == '\\')
					p->pos++;
			if (p->pos >= p->len)
				break;
		} else if (c == open) {
			level++;
		} else if (c == close && --level == 0) {
			p->pos++;
			return 0;
		}
	}
	return sh_fail(p, "unbalanced %s", what);
}

static int sh_lex_dquote(struct sh_parser *p, struct buf *w, int *expand);

/* At '$': an expansion, kept as written; *expand when it is one. */
static int
sh_lex_dollar(struct sh_parser *p, struct buf *w, int *expand)
{
	size_t start = p->pos;
	char c = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';

	if (c == '(' && p->pos + 2 < p->len && p->s[p->pos + 2] == '(') {
		p->pos++;
		if (sh_skip_balanced(p, '(', ')', "$((") == -1)
			return -1;
	} else if (c == '(') {
		p->pos += 2;
		if (sh_lex_nested(p, "$(") == -1)
			return -1;
	} else if (c == '{') {
		p->pos++;
		if (sh_skip_balanced(p, '{', '}', "${") == -1)
			return -1;
	} else if (c == '\'') {
		for (p->pos += 2; p->pos < p->len && p->s[p->pos] != '\'';
		     p->pos++)
			if (p->s[p->pos] == '\\')
				p->pos++;
		if (p->pos >= p->len)
			return sh_fail(p, "unterminated $'");
		p->pos++;
	} else if (c == '"') {
		p->pos++;
		return sh_lex_dquote(p, w, expand);
	} else if (sh_is_name(c, 1)) {
		for (p->pos++; p->pos < p->len && sh_is_name(p->s[p->pos], 0);
		     p->pos++)
			;
	} else if (c != '\0' && strchr("0123456789@*#?$!-", c) != NULL) {
		p->pos += 2;
	} else {
		buf_addc(w, '$');
		p->pos++;
		return 0;
	}
	*expand = 1;
	sh_add_raw(w, p->s, start, p->pos);
	return 0;
}

/* At '"': up to the closing quote; \ escapes only $ ` " \ and newline. */
static int
sh_lex_dquote(struct sh_parser *p, struct buf *w, int *expand)
{
	for (p->pos++;;) {
		char c;

		if (p->pos >= p->len)
			return sh_fail(p, "unterminated double quote");
		c = p->s[p->pos];
		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c == '\\' && p->pos + 1 < p->len &&
		    strchr("$`\"\\\n", p->s[p->pos + 1]) != NULL) {
			if (p->s[p->pos + 1] != '\n')
				buf_addc(w, p->s[p->pos + 1]);
			p->pos += 2;
		} else if (c == '$') {
			if (sh_lex_dollar(p, w, expand) == -1)
				return -1;
		} else if (c == '`') {
			*expand = 1;
			if (sh_lex_backtick(p, w) == -1)
				return -1;
		} else {
			buf_addc(w, c);
			p->pos++;
		}
	}
}

/* A word, up to an unquoted blank or operator. */
static int
sh_lex_word(struct sh_parser *p, struct sh_token *t)
{
	struct buf w;
	size_t plain = (size_t)-1, i;
	int quoted = 0, expand = 0;

	buf_init(&w, BUF_NOCAP);
	while (p->pos < p->len) {
		char c = p->s[p->pos];

		if (strchr(" \t\n;&|()", c) != NULL)
			break;
		if ((c == '<' || c == '>') &&
		    (p->pos + 1 >= p->len || p->s[p->pos + 1] != '('))
			break;
		if (plain == (size_t)-1 && strchr("\\'\"$`<>", c) != NULL)
			plain = w.len;
		if (c == '\\') {
			quoted = 1;
			if (p->pos + 1 >= p->len) {
				buf_addc(&w, '\\');
				p->pos++;
			} else {
				if (p->s[p->pos + 1] != '\n')
					buf_addc(&w, p->s[p->pos + 1]);
				p->pos += 2;
			}
		} else if (c == '\'') {
			size_t start = ++p->pos;

			quoted = 1;
			while (p->pos < p->len && p->s[p->pos] != '\'')
				p->pos++;
			if (p->pos >= p->len)
				goto unterminated;
			sh_add_raw(&w, p->s, start, p->pos++);
		} else if (c == '"') {
			quoted = 1;
			if (sh_lex_dquote(p, &w, &expand) == -1)
				goto fail;
		} else if (c == '$') {
			if (sh_lex_dollar(p, &w, &expand) == -1)
				goto fail;
		} else if (c == '`') {
			expand = 1;
			if (sh_lex_backtick(p, &w) == -1)
				goto fail;
		} else if (c == '<' || c == '>') {
			size_t start = p->pos;

			expand = 1;
			p->pos += 2;
			if (sh_lex_nested(p, c == '<' ? "<(" : ">(") == -1)
				goto fail;
			sh_add_raw(&w, p->s, start, p->pos);
		} else {
			buf_addc(&w, c);
			p->pos++;
		}
	}
	t->type = TK_WORD;
	t->quoted = quoted;
	t->expand = expand;
	t->assign = 0;
	if (plain == (size_t)-1)
		plain = w.len;
	for (i = 0; i < plain && sh_is_name(w.data[i], i == 0); i++)
		;
	if (i > 0 && i < plain && w.data[i] == '=')
		t->assign = 1;
	t->word = buf_detach(&w);
	return 0;
unterminated:
	sh_fail(p, "unterminated single quote");
fail:
	buf_free(&w);
	return -1;
}

/* After a newline: read the bodies of the here-documents it opens. */
static void
sh_lex_heredocs(struct sh_parser *p)
{
	size_t start, end;
	int i;

	for (i = 0; i < p->nhd; i++) {
		start = end = p->pos;
		while (p->pos < p->len) {
			const char *line = p->s + p->pos, *nl;
			size_t n;

			end = p->pos;
			nl = memchr(line, '\n', p->len - p->pos);
			n = nl != NULL ? (size_t)(nl - line) : p->len - p->pos;
			p->pos += n + (nl != NULL);
			while (p->hd[i].dash && n > 0 && *line == '\t') {
				line++;
				n--;
			}
			if (n == strlen(p->hd[i].delim) &&
			    memcmp(line, p->hd[i].delim, n) == 0)
				break;
			end = p->pos;
		}
		p->out->heredocs[p->hd[i].seq] =
		    xstrndup(p->s + start, end - start);
		free(p->hd[i].delim);
		p->hd[i].delim = NULL;
	}
	p->nhd = 0;
}

static void
sh_lex_redir(struct sh_parser *p, struct sh_token *t, int fd)
{
	static const char *const ops[] = { "&>>", "&>", "<<<", "<<-", "<<",
		"<>", "<&", "<", ">>", ">|", ">&", ">" };
	size_t i, n;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		n = strlen(ops[i]);
		if (p->len - p->pos >= n &&
		    memcmp(p->s + p->pos, ops[i], n) == 0)
			break;
	}
	t->type = TK_REDIR;
	t->fd = fd;
	memcpy(t->op, ops[i], n + 1);
	p->pos += n;
}

int
sh_lex(struct sh_parser *p, struct sh_token *t)
{
	size_t i;
	char c, d;

	memset(t, 0, sizeof *t);
	for (;;) {
		while (p->pos < p->len &&
		    (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
			p->pos++;
		if (p->pos + 1 < p->len && p->s[p->pos] == '\\' &&
		    p->s[p->pos + 1] == '\n') {
			p->pos += 2;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == '#') {
			while (p->pos < p->len && p->s[p->pos] != '\n')
				p->pos++;
		}
		break;
	}
	if (p->pos >= p->len) {
		t->type = TK_EOF;
		return 0;
	}
	c = p->s[p->pos];
	d = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
	switch (c) {
	case '\n':
		p->pos++;
		sh_lex_heredocs(p);
		t->type = TK_NL;
		return 0;
	case ';':
		p->pos++;
		t->type = TK_SEMI;
		if (d == ';' || d == '&') {
			p->pos++;
			if (d == ';' && p->pos < p->len && p->s[p->pos] == '&')
				p->pos++;
			t->type = TK_DSEMI;
		}
		return 0;
	case '&':
		if (d == '>') {
			sh_lex_redir(p, t, -1);
			return 0;
		}
		p->pos += d == '&' ? 2 : 1;
		t->type = d == '&' ? TK_AND : TK_AMP;
		return 0;
	case '|':
		p->pos += d == '|' || d == '&' ? 2 : 1;
		t->type = d == '|' ? TK_OR : TK_PIPE;
		return 0;
	case '(':
	case ')':
		p->pos++;
		t->type = c == '(' ? TK_LPAREN : TK_RPAREN;
		return 0;
	case '<':
	case '>':
		if (d != '(') {
			sh_lex_redir(p, t, -1);
			return 0;
		}
		break;
	default:
		for (i = p->pos; i < p->len && i - p->pos < 9 &&
		     p->s[i] >= '0' && p->s[i] <= '9';
		     i++)
			;
		if (i > p->pos && i < p->len &&
		    (p->s[i] == '<' || p->s[i] == '>') &&
		    (i + 1 >= p->len || p->s[i + 1] != '(')) {
			int fd = atoi(p->s + p->pos);

			p->pos = i;
			sh_lex_redir(p, t, fd);
			return 0;
		}
	}
	return sh_lex_word(p, t);
}
