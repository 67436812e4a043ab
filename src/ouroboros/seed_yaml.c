/*
 * seed_yaml.c — the YAML subset parser of seed files (see seed_yaml.h for
 * what it reads and refuses).  Line-based recursive descent: every line
 * knows where its content starts (`pos`), and "- key: v" is read by
 * moving a line's start past its dash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_yaml.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

struct yline {
	const char *s; /* the line, without its newline */
	size_t len;
	size_t pos;  /* where its content starts (its indentation at first) */
	int no;      /* 1-based */
	int blank;   /* only spaces and tabs */
	int comment; /* its content starts with '#' */
};

struct yparse {
	struct yline *lines;
	size_t n;
	size_t cur;
	char **cause;
};

static int y_fail(struct yparse *p, const struct yline *l, size_t col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
y_fail(struct yparse *p, const struct yline *l, size_t col, const char *fmt,
    ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (l != NULL)
		xasprintf(p->cause, "line %d, column %zu: %s", l->no, col + 1,
		    msg);
	else
		xasprintf(p->cause, "%s", msg);
	free(msg);
	return -1;
}

/* Skip blank and comment lines. */
static void
y_skip(struct yparse *p)
{
	while (p->cur < p->n &&
	    (p->lines[p->cur].blank || p->lines[p->cur].comment))
		p->cur++;
}

/* Whether l's content (from pos) is a sequence item: "-" then space/end. */
static int
y_is_item(const struct yline *l)
{
	return l->pos < l->len && l->s[l->pos] == '-' &&
	    (l->pos + 1 == l->len || l->s[l->pos + 1] == ' ');
}

/* Whether s[i..len) is only blanks and perhaps a comment. */
static int
y_rest_empty(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i == len || s[i] == '#';
}

static size_t
y_skip_blanks(const char *s, size_t i, size_t len)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Append code point c as UTF-8. */
static int
y_utf8(struct buf *b, uint32_t c)
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
y_hex(const char *s, size_t i, size_t len, int n)
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
static int
y_quoted(struct yparse *p, const struct yline *l, size_t *i, json_t **out)
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
			y_fail(p, l, start,
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
			y_fail(p, l, j, "an escape must not end the line");
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
			y_utf8(&b, 0x85);
			break;
		case '_':
			y_utf8(&b, 0xa0);
			break;
		case 'L':
			y_utf8(&b, 0x2028);
			break;
		case 'P':
			y_utf8(&b, 0x2029);
			break;
		case '0':
			y_fail(p, l, j - 1, "a NUL character is not supported");
			goto out;
		case 'x':
		case 'u':
		case 'U':
			c = y_hex(s, j + 1, l->len,
			    s[j] == 'x'     ? 2 :
				s[j] == 'u' ? 4 :
					      8);
			if (c < 0) {
				y_fail(p, l, j - 1,
				    "bad \\%c escape: hex "
				    "digits expected",
				    s[j]);
				goto out;
			}
			j += s[j] == 'x' ? 2 : s[j] == 'u' ? 4 : 8;
			if (c >= 0xd800 && c <= 0xdbff && j + 6 < l->len &&
			    s[j + 1] == '\\' && s[j + 2] == 'u' &&
			    (lo = y_hex(s, j + 3, l->len, 4)) >= 0xdc00 &&
			    lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				j += 6;
			}
			if (c == 0 || c > 0x10ffff ||
			    (c >= 0xd800 && c <= 0xdfff)) {
				y_fail(p, l, j,
				    "escape of U+%04lX: not a character that "
				    "is supported (NUL, surrogates)",
				    c);
				goto out;
			}
			y_utf8(&b, (uint32_t)c);
			break;
		default:
			y_fail(p, l, j - 1, "unknown escape '\\%c'", s[j]);
			goto out;
		}
		j++;
	}
	*i = j;
	*out = json_stringn(b.data != NULL ? b.data : "", b.len);
	if (*out == NULL) {
		y_fail(p, l, start, "the string is not valid UTF-8");
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Whether s[0..n) is a YAML integer or decimal ([-+]digits[.digits][e]). */
static int
y_number(const char *s, size_t n, int *is_int)
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
y_plain(struct yparse *p, const struct yline *l, size_t i, json_t **out)
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
			return y_fail(p, l, k,
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
	else if (y_number(text, end - i, &is_int)) {
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
			return y_fail(p, l, i, "number out of range");
		}
	} else
		*out = json_string(text);
	free(text);
	if (*out == NULL)
		return y_fail(p, l, i, "the value is not valid UTF-8");
	return 0;
}

/* A block scalar ("|" or ">") whose indicator is at l->s[i]; its lines
 * follow, deeper than `parent`. */
static int
y_block_scalar(struct yparse *p, struct yline *l, size_t i, size_t parent,
    json_t **out)
{
	char style = l->s[i], chomp = 'c';
	size_t j = i + 1, ind = 0, first, last, k, trail = 0;
	struct buf b;
	int rc = -1, prev_empty = 0, prev_more = 0;

	if (j < l->len && (l->s[j] == '-' || l->s[j] == '+'))
		chomp = l->s[j++];
	if (j < l->len && l->s[j] >= '1' && l->s[j] <= '9')
		return y_fail(p, l, j,
		    "indentation indicators of block scalars are not "
		    "supported");
	if (!y_rest_empty(l->s, j, l->len) || (j < l->len && l->s[j] == '#'))
		return y_fail(p, l, j,
		    "only a comment may follow '%c' on its line", style);
	first = ++p->cur;
	/* Its lines: blank ones, or indented deeper than the parent. */
	for (k = first; k < p->n; k++) {
		struct yline *m = &p->lines[k];

		if (m->blank)
			continue;
		if (m->pos <= parent)
			break;
		if (ind == 0)
			ind = m->pos;
		else if (m->pos < ind)
			return y_fail(p, m, m->pos,
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
		struct yline *m = &p->lines[k];
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
		y_fail(p, l, i, "the block scalar is not valid UTF-8");
	buf_free(&b);
	return rc;
}

/* The scalar value at l->s[i] (the rest of the line; a block scalar
 * takes the lines after it, deeper than `parent`).  Moves p->cur on. */
static int
y_scalar(struct yparse *p, struct yline *l, size_t i, size_t parent,
    json_t **out)
{
	char c = l->s[i];
	size_t j = i;

	*out = NULL;
	switch (c) {
	case '"':
	case '\'':
		if (y_quoted(p, l, &j, out) != 0)
			return -1;
		if (j < l->len && l->s[j] != ' ' && l->s[j] != '\t') {
			json_decref(*out);
			*out = NULL;
			return y_fail(p, l, j,
			    "unexpected text after the quoted string");
		}
		if (!y_rest_empty(l->s, j, l->len)) {
			json_decref(*out);
			*out = NULL;
			return y_fail(p, l, y_skip_blanks(l->s, j, l->len),
			    "unexpected text after the quoted string");
		}
		p->cur++;
		return 0;
	case '|':
	case '>':
		return y_block_scalar(p, l, i, parent, out);
	case '[':
	case '{':
		if (i + 1 < l->len && l->s[i + 1] == (c == '[' ? ']' : '}') &&
		    y_rest_empty(l->s, i + 2, l->len)) {
			*out = c == '[' ? json_array() : json_object();
			p->cur++;
			return 0;
		}
		return y_fail(p, l, i,
		    "flow collections are not supported (only [] and {}; "
		    "write the entries in block style)");
	case '&':
		return y_fail(p, l, i, "anchors (&) are not supported");
	case '*':
		return y_fail(p, l, i, "aliases (*) are not supported");
	case '!':
		return y_fail(p, l, i, "tags (!) are not supported");
	case '@':
	case '`':
		return y_fail(p, l, i,
		    "'%c' cannot start a plain value "
		    "(quote it)",
		    c);
	case '-':
		if (i + 1 == l->len || l->s[i + 1] == ' ')
			return y_fail(p, l, i,
			    "a sequence cannot start on "
			    "the line of its key");
		break;
	case '?':
		if (i + 1 == l->len || l->s[i + 1] == ' ')
			return y_fail(p, l, i, "'?' keys are not supported");
		break;
	}
	if (y_plain(p, l, i, out) != 0)
		return -1;
	p->cur++;
	return 0;
}

static int y_node(struct yparse *, size_t, int, json_t **);

/* The value of a key or item whose line ended after it: the lines below,
 * deeper than `indent` (or a sequence at `indent` when `seq_same`). */
static int
y_below(struct yparse *p, size_t indent, int seq_same, int depth, json_t **out)
{
	struct yline *m;

	y_skip(p);
	if (p->cur < p->n) {
		m = &p->lines[p->cur];
		if (m->pos > indent ||
		    (seq_same && m->pos == indent && y_is_item(m)))
			return y_node(p, m->pos, depth, out);
	}
	*out = json_null();
	return 0;
}

static int
y_sequence(struct yparse *p, size_t indent, int depth, json_t **out)
{
	json_t *a = json_array(), *v;
	struct yline *l;
	size_t i;

	for (;;) {
		y_skip(p);
		if (p->cur >= p->n)
			break;
		l = &p->lines[p->cur];
		if (l->pos < indent || (l->pos == indent && !y_is_item(l)))
			break;
		if (l->pos > indent) {
			json_decref(a);
			return y_fail(p, l, l->pos,
			    "unexpected indentation (a value cannot continue "
			    "on the next line)");
		}
		i = y_skip_blanks(l->s, l->pos + 1, l->len);
		if (i == l->len || l->s[i] == '#') {
			p->cur++;
			if (y_below(p, indent, 0, depth, &v) != 0) {
				json_decref(a);
				return -1;
			}
		} else {
			l->pos = i; /* "- x": read x as if it began here */
			if (y_node(p, i, depth, &v) != 0) {
				json_decref(a);
				return -1;
			}
		}
		json_array_append_new(a, v);
	}
	*out = a;
	return 0;
}

/* The key of line l at l->pos into *key (caller frees); *i past ':'. */
static int
y_key(struct yparse *p, struct yline *l, char **key, size_t *i)
{
	const char *s = l->s;
	size_t j = l->pos, k;
	json_t *q;

	*key = NULL;
	if (s[j] == '"' || s[j] == '\'') {
		if (y_quoted(p, l, &j, &q) != 0)
			return -1;
		*key = xstrdup(json_string_value(q));
		json_decref(q);
		j = y_skip_blanks(s, j, l->len);
		if (j >= l->len || s[j] != ':' ||
		    (j + 1 < l->len && s[j + 1] != ' ')) {
			free(*key);
			*key = NULL;
			return y_fail(p, l, j, "expected ':' after the key");
		}
		*i = j + 1;
		return 0;
	}
	if (strchr("&*![]{}|>%@`", s[j]) != NULL ||
	    (s[j] == '?' && (j + 1 == l->len || s[j + 1] == ' ')))
		return y_fail(p, l, j,
		    "expected 'key: value' ('%c' cannot "
		    "start a key; quote it)",
		    s[j]);
	for (k = j; k < l->len; k++) {
		if (s[k] == '#' && k > j && s[k - 1] == ' ')
			break;
		if (s[k] == ':' && (k + 1 == l->len || s[k + 1] == ' ')) {
			size_t e = k;

			while (e > j && (s[e - 1] == ' ' || s[e - 1] == '\t'))
				e--;
			*key = xstrndup(s + j, e - j);
			*i = k + 1;
			return 0;
		}
	}
	return y_fail(p, l, j, "expected 'key: value'");
}

static int
y_mapping(struct yparse *p, size_t indent, int depth, json_t **out)
{
	json_t *o = json_object(), *v;
	struct yline *l;
	char *key = NULL;
	size_t i = 0;

	for (;;) {
		y_skip(p);
		if (p->cur >= p->n)
			break;
		l = &p->lines[p->cur];
		if (l->pos < indent)
			break;
		if (l->pos > indent) {
			y_fail(p, l, l->pos,
			    "unexpected indentation (a value cannot continue "
			    "on the next line)");
			goto fail;
		}
		if (y_is_item(l)) {
			y_fail(p, l, l->pos,
			    "a sequence item where a key was expected");
			goto fail;
		}
		if (y_key(p, l, &key, &i) != 0)
			goto fail;
		if (json_object_get(o, key) != NULL) {
			y_fail(p, l, l->pos, "duplicate key '%.64s'", key);
			goto fail;
		}
		if (utf8_valid(key, strlen(key)) == 0) {
			y_fail(p, l, l->pos, "the key is not valid UTF-8");
			goto fail;
		}
		i = y_skip_blanks(l->s, i, l->len);
		if (i == l->len || l->s[i] == '#') {
			p->cur++;
			if (y_below(p, indent, 1, depth, &v) != 0)
				goto fail;
		} else if (y_scalar(p, l, i, indent, &v) != 0)
			goto fail;
		json_object_set_new(o, key, v);
		free(key);
		key = NULL;
	}
	*out = o;
	return 0;
fail:
	free(key);
	json_decref(o);
	return -1;
}

/* A sequence or mapping one level below `depth`, if it may nest. */
static int
y_collection(struct yparse *p, size_t indent, int depth, int seq, json_t **out)
{
	if (depth >= SEED_YAML_DEPTH)
		return y_fail(p, &p->lines[p->cur], indent,
		    "nested deeper than %d levels", SEED_YAML_DEPTH);
	return seq ? y_sequence(p, indent, depth + 1, out) :
		     y_mapping(p, indent, depth + 1, out);
}

/* The collection (or scalar) whose first line is p->cur, at `indent`. */
static int
y_node(struct yparse *p, size_t indent, int depth, json_t **out)
{
	struct yline *l = &p->lines[p->cur];
	const char *s = l->s + l->pos;
	size_t i, n = l->len - l->pos;
	int quoted = n > 0 && (s[0] == '"' || s[0] == '\'');

	if (y_is_item(l))
		return y_collection(p, indent, depth, 1, out);
	/* A mapping when the line holds "key:" (past a quoted key). */
	i = l->pos;
	if (quoted) {
		json_t *q;

		if (y_quoted(p, l, &i, &q) != 0)
			return -1;
		json_decref(q);
		i = y_skip_blanks(l->s, i, l->len);
		if (i < l->len && l->s[i] == ':')
			return y_collection(p, indent, depth, 0, out);
		return y_scalar(p, l, l->pos, indent, out);
	}
	for (; i < l->len; i++) {
		if (l->s[i] == '#' && i > l->pos && l->s[i - 1] == ' ')
			break;
		if (l->s[i] == ':' && (i + 1 == l->len || l->s[i + 1] == ' '))
			return y_collection(p, indent, depth, 0, out);
	}
	return y_scalar(p, l, l->pos, indent, out);
}

/* Split text into lines; check tabs in indentation. */
static int
y_lines(struct yparse *p, const char *text, size_t len)
{
	size_t i = 0, cap = 64;
	const char *nl;

	p->lines = xcalloc(cap, sizeof *p->lines);
	while (i < len) {
		struct yline *l;
		size_t e;

		if (p->n == cap) {
			cap *= 2;
			p->lines =
			    xreallocarray(p->lines, cap, sizeof *p->lines);
		}
		l = &p->lines[p->n];
		memset(l, 0, sizeof *l);
		nl = memchr(text + i, '\n', len - i);
		e = nl != NULL ? (size_t)(nl - text) : len;
		l->s = text + i;
		l->len = e - i;
		if (l->len > 0 && l->s[l->len - 1] == '\r')
			l->len--;
		l->no = (int)++p->n;
		while (l->pos < l->len && l->s[l->pos] == ' ')
			l->pos++;
		l->blank = y_rest_empty(l->s, l->pos, l->len) &&
		    memchr(l->s + l->pos, '#', l->len - l->pos) == NULL;
		l->comment = !l->blank &&
		    l->s[y_skip_blanks(l->s, l->pos, l->len)] == '#';
		if (!l->blank && !l->comment && l->pos < l->len &&
		    l->s[l->pos] == '\t')
			return y_fail(p, l, l->pos,
			    "a tab in the indentation (indent with spaces)");
		i = e + 1;
	}
	return 0;
}

/* Whether line l is the marker `m` ("---" or "..."), perhaps commented. */
static int
y_marker(const struct yline *l, const char *m)
{
	return l->pos == 0 && l->len >= 3 && memcmp(l->s, m, 3) == 0 &&
	    (l->len == 3 || l->s[3] == ' ') && y_rest_empty(l->s, 3, l->len);
}

int
seed_yaml_parse(const char *text, size_t len, json_t **out, char **cause)
{
	struct yparse p = { .cause = cause };
	const char *z;
	size_t k, good;
	json_t *v = NULL;
	int rc = -1;

	*out = NULL;
	*cause = NULL;
	if (len > SEED_YAML_MAX)
		return y_fail(&p, NULL, 0, "larger than %d bytes",
		    SEED_YAML_MAX);
	if ((z = memchr(text, '\0', len)) != NULL ||
	    (good = utf8_valid_prefix(text, len)) != len) {
		size_t at = z != NULL ? (size_t)(z - text) : good, line = 1,
		       col = 1;

		for (k = 0; k < at; k++, col++)
			if (text[k] == '\n')
				line++, col = 0;
		xasprintf(cause, "line %zu, column %zu: %s", line, col,
		    z != NULL ? "a NUL byte" : "invalid UTF-8");
		return -1;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3;
	if (y_lines(&p, text, len) != 0)
		goto out;
	y_skip(&p);
	for (k = p.cur; k < p.n; k++)
		if (p.lines[k].pos == 0 && p.lines[k].len > 0 &&
		    p.lines[k].s[0] == '%') {
			y_fail(&p, &p.lines[k], 0,
			    "directives (%%) are not supported");
			goto out;
		}
	if (p.cur < p.n && y_marker(&p.lines[p.cur], "---")) {
		p.cur++;
		y_skip(&p);
	}
	if (p.cur >= p.n) {
		y_fail(&p, NULL, 0, "an empty document (a seed is a mapping)");
		goto out;
	}
	/* The document ends at "..." (then only comments) or a "---". */
	for (k = p.cur; k < p.n; k++) {
		if (y_marker(&p.lines[k], "---")) {
			y_fail(&p, &p.lines[k], 0,
			    "several documents in one file are not supported");
			goto out;
		}
		if (y_marker(&p.lines[k], "...")) {
			size_t end = k;

			for (k++; k < p.n; k++)
				if (!p.lines[k].blank && !p.lines[k].comment) {
					y_fail(&p, &p.lines[k], p.lines[k].pos,
					    "text after the end of the "
					    "document (...)");
					goto out;
				}
			p.n = end;
		}
	}
	if (y_node(&p, p.lines[p.cur].pos, 0, &v) != 0)
		goto out;
	if (!json_is_object(v) && !json_is_array(v)) {
		y_fail(&p, &p.lines[p.cur > 0 ? p.cur - 1 : 0], 0,
		    "a document must be a mapping or a sequence");
		goto out;
	}
	y_skip(&p);
	if (p.cur < p.n) {
		struct yline *l = &p.lines[p.cur];

		y_fail(&p, l, l->pos,
		    "unexpected text after the document (check the "
		    "indentation)");
		goto out;
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	json_decref(v);
	free(p.lines);
	return rc;
}
