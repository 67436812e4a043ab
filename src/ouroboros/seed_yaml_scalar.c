/*
 * seed_yaml_scalar.c — the scalars of the seed YAML parser: double- and
 * single-quoted, plain (typed: null, booleans, numbers), block ("|" and
 * ">" with their chomping), "[]" and "{}"; and what they refuse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_yaml.h"
#include "ouroboros/seed_yaml_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* Whether s[i..len) is only blanks and perhaps a comment. */
int
seed_yaml_rest_empty(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == len || s[i] == '#';
}

size_t
seed_yaml_skip_blanks(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Append code point c as UTF-8. */
static int
seed_yaml_utf8(struct buf *b, uint32_t c)
{
	char u[4];

	if (c < 0x80)
		return buf_addc(b, (char)c);
	if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		return buf_add(b, u, 2);
	}
	if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		return buf_add(b, u, 3);
	}
	u[0] = (char)(0xf0 | (c >> 18));
	u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	u[3] = (char)(0x80 | (c & 0x3f));
	return buf_add(b, u, 4);
}

/* `n` hex digits at s[i..]: the value, or -1. */
static long
seed_yaml_hex(const char *s, size_t i, size_t len, int n)
{
	long v = 0;
	int k;

	if (i + (size_t)n > len)
		return -1;
	for (k = 0; k < n; k++) {
		char c = s[i + (size_t)k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * A quoted scalar of line l starting at *i (its quote); *i ends past the
 * closing quote.  The string into *out (new reference).
 */
int
seed_yaml_quoted(struct seed_yaml_parser *p, const struct seed_yaml_line *l,
    size_t *i, json_t **out)
{
	const char *s = l->s;
	char q = s[*i];
	size_t j = *i + 1, start = *i;
	struct buf b;
	long c, lo;
	int rc = -1;

	buf_init(&b, SEED_YAML_MAX);
	for (;;) {
		if (j >= l->len) {
			seed_yaml_fail(p, l, start,
			    "a quoted string must end on its line (quoted "
			    "strings spanning lines are not supported; use "
			    "\\n or a block scalar '|')");
			goto out;
		}
		if (s[j] == q) {
			if (q == '\'' && j + 1 < l->len && s[j + 1] == '\'') {
				buf_addc(&b, '\'');
				j += 2;
				continue;
			}
			j++;
			break;
		}
		if (q == '\'' || s[j] != '\\') {
			buf_addc(&b, s[j++]);
			continue;
		}
		if (++j >= l->len) {
			seed_yaml_fail(p, l, j,
			    "an escape must not end the line");
			goto out;
		}
		switch (s[j]) {
		case '"':
		case '\\':
		case '/':
			buf_addc(&b, s[j]);
			break;
		case ' ':
			buf_addc(&b, ' ');
			break;
		case '\t':
		case 't':
			buf_addc(&b, '\t');
			break;
		case 'n':
			buf_addc(&b, '\n');
			break;
		case 'r':
			buf_addc(&b, '\r');
			break;
		case 'b':
			buf_addc(&b, '\b');
			break;
		case 'f':
			buf_addc(&b, '\f');
			break;
		case 'a':
			buf_addc(&b, '\a');
			break;
		case 'v':
			buf_addc(&b, '\v');
			break;
		case 'e':
			buf_addc(&b, 0x1b);
			break;
		case 'N':
			seed_yaml_utf8(&b, 0x85);
			break;
		case '_':
			seed_yaml_utf8(&b, 0xa0);
			break;
		case 'L':
			seed_yaml_utf8(&b, 0x2028);
			break;
		case 'P':
			seed_yaml_utf8(&b, 0x2029);
			break;
		case '0':
			seed_yaml_fail(p, l, j - 1,
			    "a NUL character is not supported");
			goto out;
		case 'x':
		case 'u':
		case 'U':
			c = seed_yaml_hex(s, j + 1, l->len,
			    s[j] == 'x'     ? 2 :
				s[j] == 'u' ? 4 :
					      8);
			if (c < 0) {
				seed_yaml_fail(p, l, j - 1,
				    "bad \\%c escape: hex "
				    "digits expected",
				    s[j]);
				goto out;
			}
			j += s[j] == 'x' ? 2 : s[j] == 'u' ? 4 : 8;
			if (c >= 0xd800 && c <= 0xdbff && j + 6 < l->len &&
			    s[j + 1] == '\\' && s[j + 2] == 'u' &&
			    (lo = seed_yaml_hex(s, j + 3, l->len, 4)) >=
				0xdc00 &&
			    lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				j += 6;
			}
			if (c == 0 || c > 0x10ffff ||
			    (c >= 0xd800 && c <= 0xdfff)) {
				seed_yaml_fail(p, l, j,
				    "escape of U+%04lX: not a character that "
				    "is supported (NUL, surrogates)",
				    c);
				goto out;
			}
			seed_yaml_utf8(&b, (uint32_t)c);
			break;
		default:
			seed_yaml_fail(p, l, j - 1, "unknown escape '\\%c'",
			    s[j]);
			goto out;
		}
		j++;
	}
	*i = j;
	*out = json_stringn(b.data != NULL ? b.data : "", b.len);
	if (*out == NULL) {
		seed_yaml_fail(p, l, start, "the string is not valid UTF-8");
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Whether s[0..n) is a YAML integer or decimal ([-+]digits[.digits][e]). */
static int
seed_yaml_number(const char *s, size_t n, int *is_int)
{
	size_t i = 0, d = 0;

	*is_int = 1;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < n && s[i] == '.') {
		*is_int = 0;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, d++;
	}
	if (d == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		*is_int = 0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		d = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, d++;
		if (d == 0)
			return 0;
	}
	return i == n;
}

/* A plain scalar s[i..end) of line l, typed. */
static int
seed_yaml_plain(struct seed_yaml_parser *p, const struct seed_yaml_line *l,
    size_t i, json_t **out)
{
	const char *s = l->s;
	size_t end = i, k;
	char *text, *e;
	int is_int;

	/* It ends at a comment (" #") or the line's end, less blanks. */
	for (k = i; k < l->len; k++) {
		if (s[k] == '#' && k > i &&
		    (s[k - 1] == ' ' || s[k - 1] == '\t'))
			break;
		if (s[k] == ':' && (k + 1 == l->len || s[k + 1] == ' '))
			return seed_yaml_fail(p, l, k,
			    "a plain value must not hold ': ' (quote it)");
		end = k + 1;
	}
	while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	text = xstrndup(s + i, end - i);
	if (*text == '\0' || strcmp(text, "~") == 0 ||
	    strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
	    strcmp(text, "NULL") == 0)
		*out = json_null();
	else if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0 ||
	    strcmp(text, "TRUE") == 0)
		*out = json_true();
	else if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0 ||
	    strcmp(text, "FALSE") == 0)
		*out = json_false();
	else if (seed_yaml_number(text, end - i, &is_int)) {
		errno = 0;
		if (is_int) {
			long long v = strtoll(text, &e, 10);

			*out = errno == 0 ? json_integer(v) : NULL;
		} else {
			double v = strtod(text, &e);

			*out = errno == 0 ? json_real(v) : NULL;
		}
		if (*out == NULL) {
			free(text);
			return seed_yaml_fail(p, l, i, "number out of range");
		}
	} else
		*out = json_string(text);
	free(text);
	if (*out == NULL)
		return seed_yaml_fail(p, l, i, "the value is not valid UTF-8");
	return 0;
}

/* A block scalar ("|" or ">") whose indicator is at l->s[i]; its lines
 * follow, deeper than `parent`. */
static int
seed_yaml_block_scalar(struct seed_yaml_parser *p, struct seed_yaml_line *l,
    size_t i, size_t parent, json_t **out)
{
	char style = l->s[i], chomp = 'c';
	size_t j = i + 1, ind = 0, first, last, k, trail = 0;
	struct buf b;
	int rc = -1, prev_empty = 0, prev_more = 0;

	if (j < l->len && (l->s[j] == '-' || l->s[j] == '+'))
		chomp = l->s[j++];
	if (j < l->len && l->s[j] >= '1' && l->s[j] <= '9')
		return seed_yaml_fail(p, l, j,
		    "indentation indicators of block scalars are not "
		    "supported");
	if (!seed_yaml_rest_empty(l->s, j, l->len) ||
	    (j < l->len && l->s[j] == '#'))
		return seed_yaml_fail(p, l, j,
		    "only a comment may follow '%c' on its line", style);
	first = ++p->cur;
	/* Its lines: blank ones, or indented deeper than the parent. */
	for (k = first; k < p->n; k++) {
		struct seed_yaml_line *m = &p->lines[k];

		if (m->blank)
			continue;
		if (m->pos <= parent)
			break;
		if (ind == 0)
			ind = m->pos;
		else if (m->pos < ind)
			return seed_yaml_fail(p, m, m->pos,
			    "this line of a block scalar is indented less "
			    "than its first line");
	}
	p->cur = k;
	/* Trailing blank lines are only kept with '+'. */
	last = k;
	while (last > first && p->lines[last - 1].blank)
		last--, trail++;
	buf_init(&b, 2 * (size_t)SEED_YAML_MAX);
	for (k = first; k < last; k++) {
		struct seed_yaml_line *m = &p->lines[k];
		int empty = m->len <= ind && m->blank;
		int more = !empty &&
		    (m->pos > ind || m->s[ind] == ' ' || m->s[ind] == '\t');
		const char *t = empty ? "" : m->s + ind;
		size_t tn = empty ? 0 : m->len - ind;

		if (m->blank && m->len > ind) /* spaces past the indent */
			empty = 0, t = m->s + ind, tn = m->len - ind;
		if (k > first) {
			if (style == '|')
				buf_addc(&b, '\n');
			else if (empty)
				buf_addc(&b, '\n');
			else if (!prev_empty)
				buf_addc(&b, more || prev_more ? '\n' : ' ');
		}
		buf_add(&b, t, tn);
		prev_empty = empty;
		prev_more = more;
	}
	if (last > first && chomp != '-')
		buf_addc(&b, '\n');
	if (chomp == '+')
		for (k = 0; k < trail; k++)
			buf_addc(&b, '\n');
	if ((*out = json_stringn(b.data != NULL ? b.data : "", b.len)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		seed_yaml_fail(p, l, i, "the block scalar is not valid UTF-8");
	buf_free(&b);
	return rc;
}

/* The scalar value at l->s[i] (the rest of the line; a block scalar
 * takes the lines after it, deeper than `parent`).  Moves p->cur on. */
int
seed_yaml_scalar(struct seed_yaml_parser *p, struct seed_yaml_line *l, size_t i,
    size_t parent, json_t **out)
{
	char c = l->s[i];
	size_t j = i;

	*out = NULL;
	switch (c) {
	case '"':
	case '\'':
		if (seed_yaml_quoted(p, l, &j, out) != 0)
			return -1;
		if (j < l->len && l->s[j] != ' ' && l->s[j] != '\t') {
			json_decref(*out);
			*out = NULL;
			return seed_yaml_fail(p, l, j,
			    "unexpected text after the quoted string");
		}
		if (!seed_yaml_rest_empty(l->s, j, l->len)) {
			json_decref(*out);
			*out = NULL;
			return seed_yaml_fail(p, l,
			    seed_yaml_skip_blanks(l->s, j, l->len),
			    "unexpected text after the quoted string");
		}
		p->cur++;
		return 0;
	case '|':
	case '>':
		return seed_yaml_block_scalar(p, l, i, parent, out);
	case '[':
	case '{':
		if (i + 1 < l->len && l->s[i + 1] == (c == '[' ? ']' : '}') &&
		    seed_yaml_rest_empty(l->s, i + 2, l->len)) {
			*out = c == '[' ? json_array() : json_object();
			p->cur++;
			return 0;
		}
		return seed_yaml_fail(p, l, i,
		    "flow collections are not supported (only [] and {}; "
		    "write the entries in block style)");
	case '&':
		return seed_yaml_fail(p, l, i, "anchors (&) are not supported");
	case '*':
		return seed_yaml_fail(p, l, i, "aliases (*) are not supported");
	case '!':
		return seed_yaml_fail(p, l, i, "tags (!) are not supported");
	case '@':
	case '`':
		return seed_yaml_fail(p, l, i,
		    "'%c' cannot start a plain value "
		    "(quote it)",
		    c);
	case '-':
		if (i + 1 == l->len || l->s[i + 1] == ' ')
			return seed_yaml_fail(p, l, i,
			    "a sequence cannot start on "
			    "the line of its key");
		break;
	case '?':
		if (i + 1 == l->len || l->s[i + 1] == ' ')
			return seed_yaml_fail(p, l, i,
			    "'?' keys are not supported");
		break;
	}
	if (seed_yaml_plain(p, l, i, out) != 0)
		return -1;
	p->cur++;
	return 0;
}
