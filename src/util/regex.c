/*
 * regex.c — parsing a POSIX extended regular expression and compiling it
 * to a Thompson NFA (regex.h says what the syntax is; regex_exec.c runs
 * the program).
 *
 * A recursive-descent parser builds a tree of nodes (alternation and
 * concatenation keep their children in a list, so a long literal is not a
 * deep tree); bracket expressions become sets of code point ranges
 * (regex_class.c), closed under case when matching ignores it, and
 * complemented when negated, so the matcher never folds case.  The compiler walks the tree and writes
 * instructions, each counted repetition expanded into copies of its body;
 * it stops at REGEX_MAX_PROG instructions, which also bounds the time
 * compiling takes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regex.h"
#include "util/regex_int.h"
#include "util/xalloc.h"

enum rx_type {
	N_CAT,    /* children in order (none: the empty string) */
	N_ALT,    /* one of the children */
	N_CHAR,   /* c, or c2 (its other case) */
	N_ANY,    /* . */
	N_CLASS,  /* set c */
	N_ASSERT, /* assertion c */
	N_REPEAT, /* child min..max times (max -1: no limit) */
};

struct rx_node {
	enum rx_type type;
	uint32_t c, c2;
	int min, max;
	int kid, last, next; /* first and last child, next sibling; -1 */
};

struct rx_parse {
	const char *pat;
	size_t len, i;
	int icase;
	int depth; /* groups open */
	char *err; /* the first error */

	struct rx_node *nodes;
	size_t nnodes, nalloc;
	struct rx_class *cls;
	size_t ncls, clsalloc;
	struct rx_inst *prog;
	size_t n, alloc;
};

/* Record the first error; always -1. */
static int rx_fail(struct rx_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rx_fail(struct rx_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err == NULL) {
		va_start(ap, fmt);
		xvasprintf(&p->err, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A new node of type t; its index. */
static int
rx_node(struct rx_parse *p, enum rx_type t)
{
	struct rx_node *n;

	if (p->nnodes == p->nalloc) {
		p->nalloc = p->nalloc ? 2 * p->nalloc : 64;
		p->nodes = xreallocarray(p->nodes, p->nalloc, sizeof *p->nodes);
	}
	n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof *n);
	n->type = t;
	n->kid = n->last = n->next = -1;
	return (int)p->nnodes++;
}

static void
rx_adopt(struct rx_parse *p, int parent, int kid)
{
	struct rx_node *n = &p->nodes[parent];

	if (n->last == -1)
		n->kid = kid;
	else
		p->nodes[n->last].next = kid;
	n->last = kid;
}

/* The character at the read offset (moved past it), or -1. */
static int
rx_char(struct rx_parse *p, uint32_t *c)
{
	size_t w;

	*c = regex_decode((const unsigned char *)p->pat, p->len, p->i, &w);
	if (*c >= RX_BYTE)
		return rx_fail(p, "the pattern is not UTF-8 at offset %zu",
		    p->i);
	p->i += w;
	return 0;
}

/* A named class [:name:] whose name starts at the read offset. */
static int
rx_named_class(struct rx_parse *p, struct rx_set *s)
{
	const char *end = strstr(p->pat + p->i, ":]");

	if (end == NULL ||
	    regex_set_named(s, p->pat + p->i,
		(size_t)(end - (p->pat + p->i))) == -1)
		return rx_fail(p,
		    "unknown character class at offset %zu (known: "
		    "alpha digit alnum upper lower space blank punct "
		    "print graph cntrl xdigit)",
		    p->i - 2);
	p->i = (size_t)(end - p->pat) + 2;
	return 0;
}

/* Finish s (taking its ranges) as a set of the program; its index. */
static uint32_t
rx_class(struct rx_parse *p, struct rx_set *s, int negate)
{
	if (p->ncls == p->clsalloc) {
		p->clsalloc = p->clsalloc ? 2 * p->clsalloc : 8;
		p->cls = xreallocarray(p->cls, p->clsalloc, sizeof *p->cls);
	}
	regex_set_finish(s, p->icase, negate, &p->cls[p->ncls]);
	return (uint32_t)p->ncls++;
}

/* One end of a range in brackets: a character, [.c.] or [=c=]. */
static int
rx_bracket_char(struct rx_parse *p, uint32_t *c)
{
	char kind;
	size_t at = p->i;

	if (p->pat[p->i] == '[' &&
	    (p->pat[p->i + 1] == '.' || p->pat[p->i + 1] == '=')) {
		kind = p->pat[p->i + 1];
		p->i += 2;
		if (p->i >= p->len || rx_char(p, c) == -1)
			return rx_fail(p, "unmatched [%c at offset %zu", kind,
			    at);
		if (p->pat[p->i] != kind || p->pat[p->i + 1] != ']')
			return rx_fail(p,
			    "[%c%c] at offset %zu must hold one character",
			    kind, kind, at);
		p->i += 2;
		return 0;
	}
	return rx_char(p, c);
}

/* A bracket expression; the read offset is past its '['. */
static int
rx_bracket(struct rx_parse *p)
{
	struct rx_set s = { 0 };
	size_t start = p->i - 1;
	int negate = 0, first = 1, node;
	uint32_t lo, hi;

	if (p->pat[p->i] == '^') {
		negate = 1;
		p->i++;
	}
	for (;;) {
		if (p->i >= p->len) {
			rx_fail(p, "unmatched [ at offset %zu", start);
			goto fail;
		}
		if (p->pat[p->i] == ']' && !first) {
			p->i++;
			break;
		}
		first = 0;
		if (p->pat[p->i] == '[' && p->pat[p->i + 1] == ':') {
			p->i += 2;
			if (rx_named_class(p, &s) == -1)
				goto fail;
			if (p->pat[p->i] == '-' && p->pat[p->i + 1] != ']') {
				rx_fail(p,
				    "a range at offset %zu starts with "
				    "a class",
				    p->i);
				goto fail;
			}
			continue;
		}
		if (rx_bracket_char(p, &lo) == -1)
			goto fail;
		hi = lo;
		if (p->pat[p->i] == '-' && p->i + 1 < p->len &&
		    p->pat[p->i + 1] != ']') {
			p->i++;
			if (p->pat[p->i] == '[' && p->pat[p->i + 1] == ':') {
				rx_fail(p,
				    "a range at offset %zu ends with a "
				    "class",
				    p->i);
				goto fail;
			}
			if (rx_bracket_char(p, &hi) == -1)
				goto fail;
			if (hi < lo) {
				rx_fail(p,
				    "the range ending at offset %zu is "
				    "backwards",
				    p->i - 1);
				goto fail;
			}
		}
		regex_set_add(&s, lo, hi);
	}
	node = rx_node(p, N_CLASS);
	p->nodes[node].c = rx_class(p, &s, negate);
	return node;
fail:
	free(s.r);
	return -1;
}

/* \w \s \d, or (upper) their complements, as a set node. */
static int
rx_escape_class(struct rx_parse *p, char e)
{
	struct rx_set s = { 0 };
	int node;

	switch (e | 0x20) {
	case 'w':
		regex_set_named(&s, "alnum", 5);
		regex_set_add(&s, '_', '_');
		break;
	case 's':
		regex_set_named(&s, "space", 5);
		break;
	default:
		regex_set_named(&s, "digit", 5);
		break;
	}
	node = rx_node(p, N_CLASS);
	p->nodes[node].c = rx_class(p, &s, e >= 'A' && e <= 'Z' ? 2 : 0);
	return node;
}

static int rx_alt(struct rx_parse *p);

/* A node matching character c (and its other case). */
static int
rx_literal(struct rx_parse *p, uint32_t c)
{
	int node = rx_node(p, N_CHAR);

	p->nodes[node].c = p->nodes[node].c2 = c;
	if (p->icase) {
		if (regex_lower(c) != c)
			p->nodes[node].c2 = regex_lower(c);
		else if (regex_upper(c) != c)
			p->nodes[node].c2 = regex_upper(c);
	}
	return node;
}

/* What follows a backslash (the read offset is on it). */
static int
rx_escape(struct rx_parse *p, int *anchor)
{
	static const char asserts[] = "bB<>";
	size_t at = p->i;
	uint32_t c;
	char e;
	int node;

	if (++p->i >= p->len)
		return rx_fail(p, "trailing backslash at offset %zu", at);
	e = p->pat[p->i];
	if (e >= '1' && e <= '9')
		return rx_fail(p,
		    "backreferences are not supported: the pattern is matched "
		    "in linear time (\\%c at offset %zu)",
		    e, at);
	if (e != '\0' && strchr("wWsSdD", e) != NULL) {
		p->i++;
		return rx_escape_class(p, e);
	}
	if (e != '\0' && strchr(asserts, e) != NULL) {
		p->i++;
		node = rx_node(p, N_ASSERT);
		p->nodes[node].c =
		    (uint32_t)(RX_WORDB + (strchr(asserts, e) - asserts));
		*anchor = 1;
		return node;
	}
	if (e == 't') {
		p->i++;
		return rx_literal(p, '\t');
	}
	if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || e == '0')
		return rx_fail(p,
		    "unknown escape \\%c at offset %zu (known: \\w \\W \\s \\S "
		    "\\d \\D \\b \\B \\< \\> \\t, and \\ before punctuation)",
		    e, at);
	if (rx_char(p, &c) == -1)
		return -1;
	return rx_literal(p, c);
}

/* One atom; *anchor says whether it is a bare ^ $ \b \B \< \>. */
static int
rx_atom(struct rx_parse *p, int *anchor)
{
	size_t at = p->i;
	uint32_t c;
	int node;

	*anchor = 0;
	switch (p->pat[p->i]) {
	case '(':
		if (++p->depth > REGEX_MAX_NEST)
			return rx_fail(p,
			    "groups nest more than %d deep at offset %zu",
			    REGEX_MAX_NEST, at);
		p->i++;
		if ((node = rx_alt(p)) == -1)
			return -1;
		if (p->i >= p->len)
			return rx_fail(p, "unmatched ( at offset %zu", at);
		p->i++;
		p->depth--;
		return node;
	case '*':
	case '+':
	case '?':
	case '{':
		return rx_fail(p, "'%c' at offset %zu has nothing to repeat",
		    p->pat[p->i], at);
	case '[':
		p->i++;
		return rx_bracket(p);
	case '.':
		p->i++;
		return rx_node(p, N_ANY);
	case '^':
	case '$':
		node = rx_node(p, N_ASSERT);
		p->nodes[node].c = p->pat[p->i++] == '^' ? RX_BOL : RX_EOL;
		*anchor = 1;
		return node;
	case '\\':
		return rx_escape(p, anchor);
	default:
		if (rx_char(p, &c) == -1)
			return -1;
		return rx_literal(p, c);
	}
}

/* A count of {m,n}: digits at the read offset, or -1 if none. */
static long
rx_count(struct rx_parse *p)
{
	long v = -1;

	while (p->i < p->len && p->pat[p->i] >= '0' && p->pat[p->i] <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (p->pat[p->i++] - '0');
		if (v > REGEX_MAX_REPEAT)
			v = REGEX_MAX_REPEAT + 1;
	}
	return v;
}

/* The bounds of {m}, {m,}, {m,n}, {,n}; the read offset is on '{'. */
static int
rx_bounds(struct rx_parse *p, int *min, int *max)
{
	size_t at = p->i;
	long m, n;

	p->i++;
	m = rx_count(p);
	n = m;
	if (p->i < p->len && p->pat[p->i] == ',') {
		p->i++;
		n = rx_count(p);
		if (m < 0)
			m = 0;
	} else if (m < 0)
		return rx_fail(p,
		    "'{' at offset %zu is not followed by a "
		    "count (write \\{ for the character)",
		    at);
	if (p->i >= p->len || p->pat[p->i] != '}')
		return rx_fail(p, "unmatched { at offset %zu", at);
	p->i++;
	if (m > REGEX_MAX_REPEAT || n > REGEX_MAX_REPEAT)
		return rx_fail(p, "a count at offset %zu is over %d", at,
		    REGEX_MAX_REPEAT);
	if (n >= 0 && n < m)
		return rx_fail(p,
		    "{%ld,%ld} at offset %zu: the bounds are "
		    "backwards",
		    m, n, at);
	*min = (int)m;
	*max = (int)n;
	return 0;
}

/* An atom and the repetitions that follow it. */
static int
rx_repeat(struct rx_parse *p)
{
	int node, rep, min, max, anchor, count = 0;
	char op;

	if ((node = rx_atom(p, &anchor)) == -1)
		return -1;
	while (p->i < p->len && strchr("*+?{", p->pat[p->i]) != NULL) {
		op = p->pat[p->i];
		if (anchor)
			return rx_fail(p,
			    "'%c' at offset %zu repeats an anchor", op, p->i);
		if (++count > REGEX_MAX_NEST)
			return rx_fail(p,
			    "more than %d repetitions in a row "
			    "at offset %zu",
			    REGEX_MAX_NEST, p->i);
		min = op == '+' ? 1 : 0;
		max = op == '?' ? 1 : -1;
		if (op == '{') {
			if (rx_bounds(p, &min, &max) == -1)
				return -1;
		} else
			p->i++;
		rep = rx_node(p, N_REPEAT);
		p->nodes[rep].min = min;
		p->nodes[rep].max = max;
		p->nodes[rep].kid = node;
		node = rep;
	}
	return node;
}

/* Atoms up to '|', the end, or the ')' that closes an open group. */
static int
rx_cat(struct rx_parse *p)
{
	int cat = rx_node(p, N_CAT), node;

	while (p->i < p->len && p->pat[p->i] != '|' &&
	    !(p->pat[p->i] == ')' && p->depth > 0)) {
		if (p->pat[p->i] == ')') { /* no group open: literal */
			p->i++;
			node = rx_literal(p, ')');
		} else if ((node = rx_repeat(p)) == -1)
			return -1;
		rx_adopt(p, cat, node);
	}
	return cat;
}

static int
rx_alt(struct rx_parse *p)
{
	int alt = rx_node(p, N_ALT), node;

	for (;;) {
		if ((node = rx_cat(p)) == -1)
			return -1;
		rx_adopt(p, alt, node);
		if (p->i >= p->len || p->pat[p->i] != '|')
			break;
		p->i++;
	}
	return alt;
}

/* Append an instruction; its address, or -1 past REGEX_MAX_PROG. */
static long
rx_emit(struct rx_parse *p, enum rx_op op, uint32_t arg, uint32_t x, uint32_t y)
{
	if (p->n >= REGEX_MAX_PROG)
		return rx_fail(p,
		    "the pattern needs more than %d instructions "
		    "once its counted repetitions are expanded: "
		    "simplify it",
		    REGEX_MAX_PROG);
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 64;
		p->prog = xreallocarray(p->prog, p->alloc, sizeof *p->prog);
	}
	p->prog[p->n].op = (uint8_t)op;
	p->prog[p->n].arg = (uint8_t)arg;
	p->prog[p->n].x = x;
	p->prog[p->n].y = y;
	return (long)p->n++;
}

/* Point field y (holes) or x (jumps) of each instruction chained through
 * that field, ending at RX_NONE, at address to. */
static void
rx_patch(struct rx_parse *p, uint32_t head, int usey, uint32_t to)
{
	uint32_t next;

	while (head != RX_NONE) {
		next = usey ? p->prog[head].y : p->prog[head].x;
		if (usey)
			p->prog[head].y = to;
		else
			p->prog[head].x = to;
		head = next;
	}
}

static void
rx_gen(struct rx_parse *p, int node)
{
	const struct rx_node *n = &p->nodes[node];
	uint32_t holes = RX_NONE, jumps = RX_NONE;
	long pc;
	int k, kid;

	switch (n->type) {
	case N_CHAR:
		rx_emit(p, RX_CHAR, 0, n->c, n->c2);
		break;
	case N_ANY:
		rx_emit(p, RX_ANY, 0, 0, 0);
		break;
	case N_CLASS:
		rx_emit(p, RX_CLASS, 0, n->c, 0);
		break;
	case N_ASSERT:
		rx_emit(p, RX_ASSERT, n->c, 0, 0);
		break;
	case N_CAT:
		for (kid = n->kid; kid != -1 && p->err == NULL;
		     kid = p->nodes[kid].next)
			rx_gen(p, kid);
		break;
	case N_ALT:
		for (kid = n->kid; kid != -1 && p->err == NULL;
		     kid = p->nodes[kid].next) {
			if (p->nodes[kid].next == -1) {
				rx_gen(p, kid);
				break;
			}
			if ((pc = rx_emit(p, RX_SPLIT, 0, 0, 0)) == -1)
				break;
			p->prog[pc].x = (uint32_t)pc + 1;
			rx_gen(p, kid);
			if (rx_emit(p, RX_JMP, 0, jumps, 0) != -1)
				jumps = (uint32_t)p->n - 1;
			p->prog[pc].y = (uint32_t)p->n;
		}
		rx_patch(p, jumps, 0, (uint32_t)p->n);
		break;
	case N_REPEAT:
		for (k = 0; k < n->min && p->err == NULL; k++)
			rx_gen(p, n->kid);
		if (n->max == -1) {
			if ((pc = rx_emit(p, RX_SPLIT, 0, 0, 0)) == -1)
				break;
			p->prog[pc].x = (uint32_t)pc + 1;
			rx_gen(p, n->kid);
			rx_emit(p, RX_JMP, 0, (uint32_t)pc, 0);
			p->prog[pc].y = (uint32_t)p->n;
			break;
		}
		/* (x(x(x)?)?)?: every hole leads past the last copy. */
		for (k = n->min; k < n->max && p->err == NULL; k++) {
			if ((pc = rx_emit(p, RX_SPLIT, 0, 0, holes)) == -1)
				break;
			p->prog[pc].x = (uint32_t)pc + 1;
			holes = (uint32_t)pc;
			rx_gen(p, n->kid);
		}
		rx_patch(p, holes, 1, (uint32_t)p->n);
		break;
	}
}

static void
rx_parse_free(struct rx_parse *p)
{
	size_t i;

	for (i = 0; i < p->ncls; i++)
		free(p->cls[i].r);
	free(p->cls);
	free(p->prog);
	free(p->nodes);
	free(p->err);
}

int
regex_compile(const char *pattern, int flags, struct regex **out, char **cause)
{
	struct rx_parse p;
	struct regex *re;
	int root;

	memset(&p, 0, sizeof p);
	p.pat = pattern;
	p.len = strlen(pattern);
	p.icase = (flags & REGEX_ICASE) != 0;
	*out = NULL;
	if (p.len > REGEX_MAX_PATTERN) {
		xasprintf(cause, "the pattern is longer than %d bytes",
		    REGEX_MAX_PATTERN);
		return -1;
	}
	/* At the top, rx_alt() reads to the end (a stray ')' is literal). */
	if ((root = rx_alt(&p)) != -1)
		rx_gen(&p, root);
	if (p.err == NULL)
		rx_emit(&p, RX_MATCH, 0, 0, 0);
	if (p.err != NULL) {
		*cause = p.err;
		p.err = NULL;
		rx_parse_free(&p);
		return -1;
	}
	re = xcalloc(1, sizeof *re);
	re->prog = p.prog;
	re->n = p.n;
	re->cls = p.cls;
	re->ncls = p.ncls;
	re->mark = xcalloc(re->n, sizeof *re->mark);
	re->clist = xcalloc(re->n, sizeof *re->clist);
	re->nlist = xcalloc(re->n, sizeof *re->nlist);
	re->stack = xcalloc(2 * re->n + 2, sizeof *re->stack);
	regex_first_bytes(re);
	p.prog = NULL;
	p.cls = NULL;
	p.ncls = 0;
	rx_parse_free(&p);
	*out = re;
	return 0;
}

size_t
regex_size(const struct regex *re)
{
	return re->n;
}

void
regex_free(struct regex *re)
{
	size_t i;

	if (re == NULL)
		return;
	for (i = 0; i < re->ncls; i++)
		free(re->cls[i].r);
	free(re->cls);
	free(re->prog);
	free(re->mark);
	free(re->clist);
	free(re->nlist);
	free(re->stack);
	free(re);
}
