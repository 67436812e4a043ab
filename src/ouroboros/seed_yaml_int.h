/*
 * seed_yaml_int.h — what the two halves of the seed YAML parser share:
 * the lines and the parser's state (seed_yaml.c: lines, collections,
 * the document) and the scalars (seed_yaml_scalar.c).  Not for other
 * modules.
 */
#ifndef OXIOS_OUROBOROS_SEED_YAML_INT_H
#define OXIOS_OUROBOROS_SEED_YAML_INT_H

#include <stddef.h>
#include <jansson.h>

struct seed_yaml_line {
	const char *s; /* the line, without its newline */
	size_t len;
	size_t pos;  /* where its content starts (its indentation at first) */
	int no;      /* 1-based */
	int blank;   /* only spaces and tabs */
	int comment; /* its content starts with '#' */
};

struct seed_yaml_parser {
	struct seed_yaml_line *lines;
	size_t n;
	size_t cur;
	char **cause;
};

/*
 * Set *p->cause to "line L, column C: message" (l NULL: the message
 * alone; col is 0-based).  Returns -1.
 */
int seed_yaml_fail(struct seed_yaml_parser *p, const struct seed_yaml_line *l,
    size_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Whether s[i..len) is only blanks and perhaps a comment. */
int seed_yaml_rest_empty(const char *s, size_t i, size_t len);
/* The first index from i that is not a blank. */
size_t seed_yaml_skip_blanks(const char *s, size_t i, size_t len);
/*
 * The quoted scalar of line l whose quote is at *i; *i ends past the
 * closing quote, *out is the string (new reference).  0, or -1 (told).
 */
int seed_yaml_quoted(struct seed_yaml_parser *p, const struct seed_yaml_line *l,
    size_t *i, json_t **out);
/*
 * The scalar value at l->s[i], the rest of the line (a block scalar takes
 * the lines after it, deeper than `parent`); p->cur moves past it.
 * 0, or -1 (told).
 */
int seed_yaml_scalar(struct seed_yaml_parser *p, struct seed_yaml_line *l,
    size_t i, size_t parent, json_t **out);

#endif
