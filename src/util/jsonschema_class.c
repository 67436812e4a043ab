/*
 * jsonschema_class.c — the bracket expressions and class escapes of an
 * ECMA-262 pattern (\d \w \s and their negations, [...] with ranges),
 * rebuilt as POSIX bracket expressions: ranges of code points gathered,
 * then written so that ']', '-', '^' and '[' sit where POSIX reads them
 * literally.  The rest of the translation is jsonschema_regex.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/jsonschema_re.h"
#include "util/xalloc.h"

/* ECMA's \s: WhiteSpace and LineTerminator. */
static const uint32_t jsonschema_re_space[] = { 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
	0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
	0x3000, 0xfeff };

static void
jsonschema_re_add(struct jsonschema_re_class *k, uint32_t lo, uint32_t hi)
{
	if (k->n == k->size) {
		k->size = k->size == 0 ? 8 : k->size * 2;
		k->r = xreallocarray(k->r, k->size, sizeof *k->r);
	}
	k->r[k->n][0] = lo;
	k->r[k->n][1] = hi;
	k->n++;
}

/* Add the class escape d, w or s to `k`. */
static void
jsonschema_re_add_class(struct jsonschema_re_class *k, char cls)
{
	size_t j;

	switch (cls) {
	case 'd':
		jsonschema_re_add(k, '0', '9');
		break;
	case 'w':
		jsonschema_re_add(k, '0', '9');
		jsonschema_re_add(k, 'A', 'Z');
		jsonschema_re_add(k, 'a', 'z');
		jsonschema_re_add(k, '_', '_');
		break;
	case 's':
		for (j = 0; j <
		     sizeof jsonschema_re_space / sizeof jsonschema_re_space[0];
		     j++)
			jsonschema_re_add(k, jsonschema_re_space[j],
			    jsonschema_re_space[j]);
		break;
	}
}

/* Characters POSIX reads specially inside a bracket. */
static int
jsonschema_re_awkward(uint32_t c)
{
	return c == ']' || c == '-' || c == '^' || c == '[';
}

/* Write `k` as a POSIX bracket expression. */
static int
jsonschema_re_emit_class(struct jsonschema_re *p,
    const struct jsonschema_re_class *k)
{
	struct buf body;
	uint32_t lo, hi, c;
	int seen[4] = { 0, 0, 0, 0 }; /* ] - ^ [ */
	const char *awk = "]-^[";
	size_t j;
	char b[4];

	buf_init(&body, BUF_NOCAP);
	for (j = 0; j < k->n; j++) {
		lo = k->r[j][0];
		hi = k->r[j][1];
		/* Awkward ends become singles, written apart below. */
		for (; lo <= hi && lo < 0x80 && jsonschema_re_awkward(lo); lo++)
			seen[strchr(awk, (int)lo) - awk] = 1;
		for (; hi >= lo && hi < 0x80 && jsonschema_re_awkward(hi); hi--)
			seen[strchr(awk, (int)hi) - awk] = 1;
		if (lo > hi)
			continue;
		if (hi >= 0x80) {
			/* glibc refuses non-ASCII range ends: list them. */
			c = lo > 0x80 ? lo : 0x80;
			if (hi - c >= JSONSCHEMA_RE_MAX_RANGE) {
				buf_free(&body);
				return jsonschema_re_fail(p,
				    "a class range over more than %d non-ASCII "
				    "characters is not supported",
				    JSONSCHEMA_RE_MAX_RANGE);
			}
			for (; c <= hi; c++)
				if (c < 0xd800 || c > 0xdfff)
					jsonschema_re_utf8(&body, c);
			if (lo >= 0x80)
				continue;
			hi = 0x7f;
		}
		b[0] = (char)lo;
		(void)buf_add(&body, b, 1);
		if (hi > lo) {
			b[0] = '-';
			b[1] = (char)hi;
			(void)buf_add(&body, b, 2);
		}
	}
	if (seen[2] && !k->neg && !seen[0] && body.len == 0 && !seen[3]) {
		/* '^' would come first and mean "not". */
		jsonschema_re_emit(p, seen[1] ? "[-^]" : "\\^");
		buf_free(&body);
		return 0;
	}
	jsonschema_re_emit(p, k->neg ? "[^" : "[");
	if (seen[0])
		jsonschema_re_emit(p, "]");
	jsonschema_re_emit(p, buf_str(&body));
	if (seen[3])
		jsonschema_re_emit(p, "[");
	if (seen[2])
		jsonschema_re_emit(p, "^");
	if (seen[1])
		jsonschema_re_emit(p, "-");
	jsonschema_re_emit(p, "]");
	buf_free(&body);
	return 0;
}

/* A class escape outside a class: \d \D \w \W \s \S. */
void
jsonschema_re_class_escape(struct jsonschema_re *p, char cls)
{
	struct jsonschema_re_class k = { NULL, 0, 0, 0 };

	k.neg = cls == 'D' || cls == 'W' || cls == 'S';
	jsonschema_re_add_class(&k, (char)(cls | 0x20));
	(void)jsonschema_re_emit_class(p, &k);
	free(k.r);
}

/* One class member: a code point, or a class escape in *cls. */
static int
jsonschema_re_class_atom(struct jsonschema_re *p, uint32_t *c, char *cls)
{
	*cls = 0;
	if (p->s[p->i] == '\\') {
		p->i++;
		if (jsonschema_re_escape(p, 1, c, cls) != 0)
			return -1;
		if (*cls == 'D' || *cls == 'W' || *cls == 'S')
			return jsonschema_re_fail(p,
			    "\\%c inside a class is not supported", *cls);
		return 0;
	}
	return jsonschema_re_char(p, c);
}

/* A class, after its '['. */
int
jsonschema_re_class(struct jsonschema_re *p)
{
	struct jsonschema_re_class k = { NULL, 0, 0, 0 };
	uint32_t a, b;
	char ca, cb;
	int rc = -1;

	if (p->i < p->len && p->s[p->i] == '^') {
		k.neg = 1;
		p->i++;
	}
	if (p->i < p->len && p->s[p->i] == ']') {
		jsonschema_re_fail(p,
		    "an empty class [] or [^] is not "
		    "supported");
		goto out;
	}
	while (p->i < p->len && p->s[p->i] != ']') {
		if (jsonschema_re_class_atom(p, &a, &ca) != 0)
			goto out;
		if (p->len - p->i >= 2 && p->s[p->i] == '-' &&
		    p->s[p->i + 1] != ']') {
			p->i++;
			if (jsonschema_re_class_atom(p, &b, &cb) != 0)
				goto out;
			if (ca != 0 || cb != 0) {
				jsonschema_re_fail(p,
				    "a class escape cannot end a range");
				goto out;
			}
			if (b < a) {
				jsonschema_re_fail(p,
				    "range out of order in class");
				goto out;
			}
			jsonschema_re_add(&k, a, b);
		} else if (ca != 0)
			jsonschema_re_add_class(&k, ca);
		else
			jsonschema_re_add(&k, a, a);
	}
	if (p->i >= p->len) {
		jsonschema_re_fail(p, "missing ]");
		goto out;
	}
	p->i++;
	rc = jsonschema_re_emit_class(p, &k);
out:
	free(k.r);
	return rc;
}
