/*
 * toml_lex.c — what the TOML grammar (toml.c) stands on: the table-flag
 * map, positions of bytes as line:column, errors, UTF-8 validation, and
 * blanks, newlines and comments.
 *
 * jansson objects cannot carry flags, so what the rules need to know about
 * each table (how it was defined, whether it is closed) is kept in a small
 * open-addressing map keyed by the json_t pointer, freed by toml_parse().
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml.h"
#include "util/toml_int.h"
#include "util/xalloc.h"

json_t *
toml_json(json_t *v)
{
	if (v == NULL) {
		fprintf(stderr, "oxios: out of memory (jansson)\n");
		abort();
	}
	return v;
}

static size_t
toml_map_slot(const struct toml_parser *p, const json_t *v)
{
	uint64_t h = (uint64_t)(uintptr_t)v;

	h = (h ^ (h >> 29)) * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 32) & (p->map_cap - 1);
}

struct toml_tflag *
toml_map_find(const struct toml_parser *p, const json_t *v)
{
	size_t i;

	if (p->map_cap == 0)
		return NULL;
	for (i = toml_map_slot(p, v); p->map[i].v != NULL;
	     i = (i + 1) & (p->map_cap - 1))
		if (p->map[i].v == v)
			return &p->map[i];
	return NULL;
}

/* The free slot where `v` goes (the map has one). */
static struct toml_tflag *
toml_map_free_slot(const struct toml_parser *p, const json_t *v)
{
	size_t i = toml_map_slot(p, v);

	while (p->map[i].v != NULL)
		i = (i + 1) & (p->map_cap - 1);
	return &p->map[i];
}

/* Add `flags` to those of `v`; with TOML_T_DOTTED, set its section. */
void
toml_map_set(struct toml_parser *p, const json_t *v, unsigned flags,
    unsigned sect)
{
	struct toml_tflag *old = p->map, *f;
	size_t i, cap = p->map_cap;

	if ((f = toml_map_find(p, v)) == NULL) {
		if ((p->map_n + 1) * 2 > p->map_cap) {
			p->map_cap = cap == 0 ? 64 : cap * 2;
			p->map = xcalloc(p->map_cap, sizeof *p->map);
			for (i = 0; i < cap; i++)
				if (old[i].v != NULL)
					*toml_map_free_slot(p, old[i].v) =
					    old[i];
			free(old);
		}
		f = toml_map_free_slot(p, v);
		f->v = v;
		p->map_n++;
	}
	f->flags |= flags;
	if (flags & TOML_T_DOTTED)
		f->sect = sect;
}

unsigned
toml_map_flags(const struct toml_parser *p, const json_t *v)
{
	struct toml_tflag *f = toml_map_find(p, v);

	return f == NULL ? 0 : f->flags;
}

json_t *
toml_table_new(struct toml_parser *p, unsigned flags)
{
	json_t *t = toml_json(json_object());

	toml_map_set(p, t, TOML_T_TABLE | flags, p->sect);
	return t;
}

int
toml_is_table(const struct toml_parser *p, const json_t *v)
{
	return json_is_object(v) && (toml_map_flags(p, v) & TOML_T_TABLE);
}

/* Line and column of offset `off` (forward scans are incremental). */
void
toml_loc(struct toml_parser *p, size_t off, int *line, int *col)
{
	size_t i;

	if (off > p->len)
		off = p->len;
	if (off < p->loc_off || p->loc_line == 0) {
		p->loc_off = off < p->bom ? off : p->bom;
		p->loc_line = p->loc_col = 1;
	}
	for (i = p->loc_off; i < off; i++) {
		if (p->s[i] == '\n') {
			p->loc_line++;
			p->loc_col = 1;
		} else if ((p->s[i] & 0xC0) != 0x80)
			p->loc_col++;
	}
	p->loc_off = off;
	*line = p->loc_line;
	*col = p->loc_col;
}

int
toml_fail(struct toml_parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	toml_loc(p, off, &p->err->line, &p->err->col);
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
toml_desc(struct toml_parser *p, size_t off, char *out, size_t size)
{
	unsigned char c;
	uint32_t cp;
	size_t n, k;

	if (off >= p->len)
		return "end of input";
	switch ((c = p->s[off])) {
	case '\n':
		return "newline";
	case '\r':
		return "carriage return";
	case '\t':
		return "tab";
	}
	if (c < 0x20 || c == 0x7F)
		snprintf(out, size, "control character U+%04X", c);
	else if (c < 0x80)
		snprintf(out, size, "'%c'", c);
	else {
		/* The input is valid UTF-8 by now. */
		n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (n > p->len - off)
			n = p->len - off;
		cp = c & (0x7F >> n);
		for (k = 1; k < n; k++)
			cp = cp << 6 | (p->s[off + k] & 0x3F);
		snprintf(out, size, "'%.*s' (U+%04X)", (int)n, p->s + off,
		    (unsigned)cp);
	}
	return out;
}

/* Reject anything that is not well-formed UTF-8 (RFC 3629). */
int
toml_utf8_check(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < p->len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xC2 && s[i] <= 0xDF) {
			n = 1;
			cp = s[i] & 0x1F;
			min = 0x80;
		} else if (s[i] >= 0xE0 && s[i] <= 0xEF) {
			n = 2;
			cp = s[i] & 0x0F;
			min = 0x800;
		} else if (s[i] >= 0xF0 && s[i] <= 0xF4) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return toml_fail(p, i, "invalid UTF-8 byte 0x%02X",
			    s[i]);
		if (n >= p->len - i)
			return toml_fail(p, i, "truncated UTF-8 sequence");
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return toml_fail(p, i,
				    "invalid UTF-8 sequence");
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min)
			return toml_fail(p, i, "overlong UTF-8 sequence");
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return toml_fail(p, i, "invalid UTF-8 (U+%04X)",
			    (unsigned)cp);
		i += n + 1;
	}
	return 0;
}

void
toml_skip_ws(struct toml_parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

size_t
toml_newline(const struct toml_parser *p)
{
	if (p->i < p->len && p->s[p->i] == '\n')
		return 1;
	if (p->i + 1 < p->len && p->s[p->i] == '\r' && p->s[p->i + 1] == '\n')
		return 2;
	return 0;
}

/* A comment at p->i (its '#'), up to the end of its line. */
static int
toml_comment(struct toml_parser *p)
{
	unsigned char c;
	char d[32];

	for (p->i++; p->i < p->len && toml_newline(p) == 0; p->i++) {
		c = p->s[p->i];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return toml_fail(p, p->i, "%s in comment",
			    toml_desc(p, p->i, d, sizeof d));
	}
	return 0;
}

/*
 * The end of a line: blanks, a comment maybe, then a newline or the end
 * of input.  *eol (if not NULL) gets the offset where the line ends.
 */
int
toml_eol(struct toml_parser *p, const char *after, size_t *eol)
{
	size_t nl;
	char d[32];

	toml_skip_ws(p);
	if (p->i < p->len && p->s[p->i] == '#' && toml_comment(p) == -1)
		return -1;
	if (eol != NULL)
		*eol = p->i;
	if (p->i >= p->len)
		return 0;
	if ((nl = toml_newline(p)) != 0) {
		p->i += nl;
		return 0;
	}
	if (after == NULL)
		return toml_fail(p, p->i, "unexpected %s",
		    toml_desc(p, p->i, d, sizeof d));
	return toml_fail(p, p->i, "expected end of line after %s, found %s",
	    after, toml_desc(p, p->i, d, sizeof d));
}

/* Blanks, comments and newlines, as allowed inside an array. */
int
toml_skip_wscnl(struct toml_parser *p)
{
	size_t nl;

	for (;;) {
		toml_skip_ws(p);
		if (p->i < p->len && p->s[p->i] == '#') {
			if (toml_comment(p) == -1)
				return -1;
		} else if ((nl = toml_newline(p)) != 0)
			p->i += nl;
		else
			return 0;
	}
}
