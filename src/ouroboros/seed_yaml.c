/*
 * seed_yaml.c — the YAML subset parser of seed files (see seed_yaml.h for
 * what it reads and refuses).  Line-based recursive descent: every line
 * knows where its content starts (`pos`), and "- key: v" is read by
 * moving a line's start past its dash.  The scalars are in
 * seed_yaml_scalar.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_yaml.h"
#include "ouroboros/seed_yaml_int.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

int
seed_yaml_fail(struct seed_yaml_parser *p, const struct seed_yaml_line *l,
    size_t col, const char *fmt, ...)
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
seed_yaml_skip(struct seed_yaml_parser *p)
{
	while (p->cur < p->n &&
	    (p->lines[p->cur].blank || p->lines[p->cur].comment))
		p->cur++;
}

/* Whether l's content (from pos) is a sequence item: "-" then space/end. */
static int
seed_yaml_is_item(const struct seed_yaml_line *l)
{
	return l->pos < l->len && l->s[l->pos] == '-' &&
	    (l->pos + 1 == l->len || l->s[l->pos + 1] == ' ');
}

static int seed_yaml_node(struct seed_yaml_parser *, size_t, int, json_t **);

/* The value of a key or item whose line ended after it: the lines below,
 * deeper than `indent` (or a sequence at `indent` when `seq_same`). */
static int
seed_yaml_below(struct seed_yaml_parser *p, size_t indent, int seq_same,
    int depth, json_t **out)
{
	struct seed_yaml_line *m;

	seed_yaml_skip(p);
	if (p->cur < p->n) {
		m = &p->lines[p->cur];
		if (m->pos > indent ||
		    (seq_same && m->pos == indent && seed_yaml_is_item(m)))
			return seed_yaml_node(p, m->pos, depth, out);
	}
	*out = json_null();
	return 0;
}

static int
seed_yaml_sequence(struct seed_yaml_parser *p, size_t indent, int depth,
    json_t **out)
{
	json_t *a = json_array(), *v;
	struct seed_yaml_line *l;
	size_t i;

	for (;;) {
		seed_yaml_skip(p);
		if (p->cur >= p->n)
			break;
		l = &p->lines[p->cur];
		if (l->pos < indent ||
		    (l->pos == indent && !seed_yaml_is_item(l)))
			break;
		if (l->pos > indent) {
			json_decref(a);
			return seed_yaml_fail(p, l, l->pos,
			    "unexpected indentation (a value cannot continue "
			    "on the next line)");
		}
		i = seed_yaml_skip_blanks(l->s, l->pos + 1, l->len);
		if (i == l->len || l->s[i] == '#') {
			p->cur++;
			if (seed_yaml_below(p, indent, 0, depth, &v) != 0) {
				json_decref(a);
				return -1;
			}
		} else {
			l->pos = i; /* "- x": read x as if it began here */
			if (seed_yaml_node(p, i, depth, &v) != 0) {
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
seed_yaml_key(struct seed_yaml_parser *p, struct seed_yaml_line *l, char **key,
    size_t *i)
{
	const char *s = l->s;
	size_t j = l->pos, k;
	json_t *q;

	*key = NULL;
	if (s[j] == '"' || s[j] == '\'') {
		if (seed_yaml_quoted(p, l, &j, &q) != 0)
			return -1;
		*key = xstrdup(json_string_value(q));
		json_decref(q);
		j = seed_yaml_skip_blanks(s, j, l->len);
		if (j >= l->len || s[j] != ':' ||
		    (j + 1 < l->len && s[j + 1] != ' ')) {
			free(*key);
			*key = NULL;
			return seed_yaml_fail(p, l, j,
			    "expected ':' after the key");
		}
		*i = j + 1;
		return 0;
	}
	if (strchr("&*![]{}|>%@`", s[j]) != NULL ||
	    (s[j] == '?' && (j + 1 == l->len || s[j + 1] == ' ')))
		return seed_yaml_fail(p, l, j,
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
	return seed_yaml_fail(p, l, j, "expected 'key: value'");
}

static int
seed_yaml_mapping(struct seed_yaml_parser *p, size_t indent, int depth,
    json_t **out)
{
	json_t *o = json_object(), *v;
	struct seed_yaml_line *l;
	char *key = NULL;
	size_t i = 0;

	for (;;) {
		seed_yaml_skip(p);
		if (p->cur >= p->n)
			break;
		l = &p->lines[p->cur];
		if (l->pos < indent)
			break;
		if (l->pos > indent) {
			seed_yaml_fail(p, l, l->pos,
			    "unexpected indentation (a value cannot continue "
			    "on the next line)");
			goto fail;
		}
		if (seed_yaml_is_item(l)) {
			seed_yaml_fail(p, l, l->pos,
			    "a sequence item where a key was expected");
			goto fail;
		}
		if (seed_yaml_key(p, l, &key, &i) != 0)
			goto fail;
		if (json_object_get(o, key) != NULL) {
			seed_yaml_fail(p, l, l->pos, "duplicate key '%.64s'",
			    key);
			goto fail;
		}
		if (utf8_valid(key, strlen(key)) == 0) {
			seed_yaml_fail(p, l, l->pos,
			    "the key is not valid UTF-8");
			goto fail;
		}
		i = seed_yaml_skip_blanks(l->s, i, l->len);
		if (i == l->len || l->s[i] == '#') {
			p->cur++;
			if (seed_yaml_below(p, indent, 1, depth, &v) != 0)
				goto fail;
		} else if (seed_yaml_scalar(p, l, i, indent, &v) != 0)
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
seed_yaml_collection(struct seed_yaml_parser *p, size_t indent, int depth,
    int seq, json_t **out)
{
	if (depth >= SEED_YAML_DEPTH)
		return seed_yaml_fail(p, &p->lines[p->cur], indent,
		    "nested deeper than %d levels", SEED_YAML_DEPTH);
	return seq ? seed_yaml_sequence(p, indent, depth + 1, out) :
		     seed_yaml_mapping(p, indent, depth + 1, out);
}

/* The collection (or scalar) whose first line is p->cur, at `indent`. */
static int
seed_yaml_node(struct seed_yaml_parser *p, size_t indent, int depth,
    json_t **out)
{
	struct seed_yaml_line *l = &p->lines[p->cur];
	const char *s = l->s + l->pos;
	size_t i, n = l->len - l->pos;
	int quoted = n > 0 && (s[0] == '"' || s[0] == '\'');

	if (seed_yaml_is_item(l))
		return seed_yaml_collection(p, indent, depth, 1, out);
	/* A mapping when the line holds "key:" (past a quoted key). */
	i = l->pos;
	if (quoted) {
		json_t *q;

		if (seed_yaml_quoted(p, l, &i, &q) != 0)
			return -1;
		json_decref(q);
		i = seed_yaml_skip_blanks(l->s, i, l->len);
		if (i < l->len && l->s[i] == ':')
			return seed_yaml_collection(p, indent, depth, 0, out);
		return seed_yaml_scalar(p, l, l->pos, indent, out);
	}
	for (; i < l->len; i++) {
		if (l->s[i] == '#' && i > l->pos && l->s[i - 1] == ' ')
			break;
		if (l->s[i] == ':' && (i + 1 == l->len || l->s[i + 1] == ' '))
			return seed_yaml_collection(p, indent, depth, 0, out);
	}
	return seed_yaml_scalar(p, l, l->pos, indent, out);
}

/* Split text into lines; check tabs in indentation. */
static int
seed_yaml_lines(struct seed_yaml_parser *p, const char *text, size_t len)
{
	size_t i = 0, cap = 64;
	const char *nl;

	p->lines = xcalloc(cap, sizeof *p->lines);
	while (i < len) {
		struct seed_yaml_line *l;
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
		l->blank = seed_yaml_rest_empty(l->s, l->pos, l->len) &&
		    memchr(l->s + l->pos, '#', l->len - l->pos) == NULL;
		l->comment = !l->blank &&
		    l->s[seed_yaml_skip_blanks(l->s, l->pos, l->len)] == '#';
		if (!l->blank && !l->comment && l->pos < l->len &&
		    l->s[l->pos] == '\t')
			return seed_yaml_fail(p, l, l->pos,
			    "a tab in the indentation (indent with spaces)");
		i = e + 1;
	}
	return 0;
}

/* Whether line l is the marker `m` ("---" or "..."), perhaps commented. */
static int
seed_yaml_marker(const struct seed_yaml_line *l, const char *m)
{
	return l->pos == 0 && l->len >= 3 && memcmp(l->s, m, 3) == 0 &&
	    (l->len == 3 || l->s[3] == ' ') &&
	    seed_yaml_rest_empty(l->s, 3, l->len);
}

int
seed_yaml_parse(const char *text, size_t len, json_t **out, char **cause)
{
	struct seed_yaml_parser p = { .cause = cause };
	const char *z;
	size_t k, good;
	json_t *v = NULL;
	int rc = -1;

	*out = NULL;
	*cause = NULL;
	if (len > SEED_YAML_MAX)
		return seed_yaml_fail(&p, NULL, 0, "larger than %d bytes",
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
	if (seed_yaml_lines(&p, text, len) != 0)
		goto out;
	seed_yaml_skip(&p);
	for (k = p.cur; k < p.n; k++)
		if (p.lines[k].pos == 0 && p.lines[k].len > 0 &&
		    p.lines[k].s[0] == '%') {
			seed_yaml_fail(&p, &p.lines[k], 0,
			    "directives (%%) are not supported");
			goto out;
		}
	if (p.cur < p.n && seed_yaml_marker(&p.lines[p.cur], "---")) {
		p.cur++;
		seed_yaml_skip(&p);
	}
	if (p.cur >= p.n) {
		seed_yaml_fail(&p, NULL, 0,
		    "an empty document (a seed is a mapping)");
		goto out;
	}
	/* The document ends at "..." (then only comments) or a "---". */
	for (k = p.cur; k < p.n; k++) {
		if (seed_yaml_marker(&p.lines[k], "---")) {
			seed_yaml_fail(&p, &p.lines[k], 0,
			    "several documents in one file are not supported");
			goto out;
		}
		if (seed_yaml_marker(&p.lines[k], "...")) {
			size_t end = k;

			for (k++; k < p.n; k++)
				if (!p.lines[k].blank && !p.lines[k].comment) {
					seed_yaml_fail(&p, &p.lines[k],
					    p.lines[k].pos,
					    "text after the end of the "
					    "document (...)");
					goto out;
				}
			p.n = end;
		}
	}
	if (seed_yaml_node(&p, p.lines[p.cur].pos, 0, &v) != 0)
		goto out;
	if (!json_is_object(v) && !json_is_array(v)) {
		seed_yaml_fail(&p, &p.lines[p.cur > 0 ? p.cur - 1 : 0], 0,
		    "a document must be a mapping or a sequence");
		goto out;
	}
	seed_yaml_skip(&p);
	if (p.cur < p.n) {
		struct seed_yaml_line *l = &p.lines[p.cur];

		seed_yaml_fail(&p, l, l->pos,
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
