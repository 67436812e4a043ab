/*
 * shparse_int.h — shparse's inside: the parser state shared by the lexer
 * (shparse_lex.c) and the grammar (shparse.c).  Not for other modules.
 */
#ifndef OXIOS_SECURITY_SHPARSE_INT_H
#define OXIOS_SECURITY_SHPARSE_INT_H

#include <stddef.h>

#include "security/shparse.h"

#define SH_STOP_RPAREN 1 /* a list ends at ')' */
#define SH_STOP_RBRACE 2 /* ... at '}' in command position */
#define SH_STOP_CASE 4   /* ... at ';;' or 'esac' */
#define SH_MAX_HEREDOCS 16

enum sh_tok {
	TK_EOF,
	TK_WORD,
	TK_NL,
	TK_SEMI,
	TK_DSEMI,
	TK_AMP,
	TK_AND,
	TK_OR,
	TK_PIPE,
	TK_LPAREN,
	TK_RPAREN,
	TK_REDIR
};

struct sh_token {
	enum sh_tok type;
	char *word; /* TK_WORD: cooked (owned by the token) */
	int quoted; /* some part was quoted or escaped */
	int expand; /* holds an expansion the parser cannot resolve */
	int assign; /* NAME=... with an unquoted NAME */
	int fd;     /* TK_REDIR: "2>" gives 2; else -1 */
	char op[4]; /* TK_REDIR: the operator */
};

struct sh_parser {
	const char *s; /* the input (not owned) */
	size_t len, pos;
	struct sh_list *out; /* where commands go (shared with sub-parsers) */
	int depth, subst, func;
	struct sh_token peek; /* valid when have_peek */
	int have_peek;
	struct {
		char *delim;
		int dash;
		size_t seq;    /* its index in out->heredocs */
	} hd[SH_MAX_HEREDOCS]; /* here-documents opened on this line */
	int nhd;
	char *cause; /* the first error (owned) */
};

/* Set p->cause (if not set yet) and return -1. */
int sh_fail(struct sh_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The next token into *t (t->word is new); 0 or -1 with p->cause. */
int sh_lex(struct sh_parser *p, struct sh_token *t);
/* The next token without consuming it (owned by p), or NULL on error. */
struct sh_token *sh_peek(struct sh_parser *p);
/* Consume the next token into *t (caller clears it); 0 or -1. */
int sh_take(struct sh_parser *p, struct sh_token *t);
void sh_token_clear(struct sh_token *t);
/* A list of and-or lists up to EOF or a stop (SH_STOP_*); 0 or -1. */
int sh_parse_list(struct sh_parser *p, int stop);
/* Free what p holds (peeked token, here-docs, not cause or out). */
void sh_parser_clear(struct sh_parser *p);

#endif
