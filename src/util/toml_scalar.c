/*
 * toml_scalar.c — TOML scalars: basic and literal strings (single- and
 * multi-line, all escapes), integers, floats, booleans and the four
 * date-time types.  The document structure is in toml.c.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/toml_int.h"
#include "util/xalloc.h"

#define TOML_SHOW 40 /* bytes of a bad token quoted in a message */

static int
toml_scalar_digit(char c, int base)
{
	if (c >= '0' && c <= '9')
		return c - '0' < base ? c - '0' : -1;
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether `n` bytes at `s` are all decimal digits. */
static int
toml_scalar_isdigits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
toml_scalar_num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static int
toml_scalar_add(struct toml_parser *p, struct buf *out, const void *data,
    size_t n)
{
	if (buf_add(out, data, n) == -1)
		return toml_fail(p, p->i, "string too long");
	return 0;
}

static int
toml_scalar_addcp(struct toml_parser *p, struct buf *out, uint32_t cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xC0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3F);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xE0 | cp >> 12;
		u[1] = 0x80 | (cp >> 6 & 0x3F);
		u[2] = 0x80 | (cp & 0x3F);
		n = 3;
	} else {
		u[0] = 0xF0 | cp >> 18;
		u[1] = 0x80 | (cp >> 12 & 0x3F);
		u[2] = 0x80 | (cp >> 6 & 0x3F);
		u[3] = 0x80 | (cp & 0x3F);
		n = 4;
	}
	return toml_scalar_add(p, out, u, n);
}

/* \uXXXX or \UXXXXXXXX at p->i (the backslash). */
static int
toml_scalar_unicode(struct toml_parser *p, struct buf *out)
{
	size_t at = p->i, n = p->s[at + 1] == 'u' ? 4 : 8, k;
	uint32_t cp = 0;
	int v;

	for (k = 0; k < n; k++) {
		if (at + 2 + k >= p->len ||
		    (v = toml_scalar_digit(p->s[at + 2 + k], 16)) == -1)
			return toml_fail(p, at,
			    "invalid escape '\\%c' in string: "
			    "expected %zu hex digits",
			    p->s[at + 1], n);
		cp = cp << 4 | (uint32_t)v;
	}
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return toml_fail(p, at,
		    "invalid escape '\\%c%.*s' in string: not a Unicode scalar "
		    "value",
		    p->s[at + 1], (int)n, p->s + at + 2);
	p->i = at + 2 + n;
	return toml_scalar_addcp(p, out, cp);
}

/* An escape sequence at p->i (the backslash) of a basic string. */
static int
toml_scalar_escape(struct toml_parser *p, int ml, struct buf *out)
{
	size_t at = p->i, nl;
	char c, d[32];
	const char *e;

	if (at + 1 >= p->len)
		return toml_fail(p, at, "unterminated string");
	switch ((c = p->s[at + 1])) {
	case 'b':
		e = "\b";
		break;
	case 't':
		e = "\t";
		break;
	case 'n':
		e = "\n";
		break;
	case 'f':
		e = "\f";
		break;
	case 'r':
		e = "\r";
		break;
	case '"':
		e = "\"";
		break;
	case '\\':
		e = "\\";
		break;
	case 'u':
	case 'U':
		return toml_scalar_unicode(p, out);
	default:
		/* Line-ending backslash: blanks, a newline, then trim. */
		p->i = at + 1;
		while (ml && p->i < p->len &&
		    (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
			p->i++;
		if (!ml || toml_newline(p) == 0) {
			p->i = at;
			if (c > ' ' && c < 0x7F)
				return toml_fail(p, at,
				    "invalid escape '\\%c' in string", c);
			return toml_fail(p, at,
			    "invalid escape in string: '\\' followed by %s",
			    toml_desc(p, at + 1, d, sizeof d));
		}
		for (;;) {
			if (p->i < p->len &&
			    (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
				p->i++;
			else if ((nl = toml_newline(p)) != 0)
				p->i += nl;
			else
				return 0;
		}
	}
	p->i = at + 2;
	return toml_scalar_add(p, out, e, 1);
}

/*
 * A string at p->i, which holds its opening quote; the multi-line forms
 * only if `ml_ok`.  The content (escapes resolved, CRLF read as LF) is
 * appended to `out`.
 */
static int
toml_scalar_string(struct toml_parser *p, int ml_ok, struct buf *out)
{
	const char *s = p->s;
	size_t start = p->i, n, nl;
	char q = s[p->i], d[32];
	int ml = 0;
	unsigned char c;

	if (ml_ok && p->i + 2 < p->len && s[p->i + 1] == q &&
	    s[p->i + 2] == q) {
		ml = 1;
		p->i += 3;
		p->i += toml_newline(p);
	} else
		p->i++;
	for (;;) {
		if (p->i >= p->len)
			return toml_fail(p, start, "unterminated string");
		c = s[p->i];
		if (c == q) {
			if (!ml) {
				p->i++;
				return 0;
			}
			for (n = 0; p->i + n < p->len && s[p->i + n] == q; n++)
				;
			if (n > 5)
				return toml_fail(p, p->i + 5,
				    "too many quotes closing a string");
			if (toml_scalar_add(p, out, s + p->i,
				n >= 3 ? n - 3 : n) == -1)
				return -1;
			p->i += n;
			if (n >= 3)
				return 0;
		} else if (c == '\\' && q == '"') {
			if (toml_scalar_escape(p, ml, out) == -1)
				return -1;
		} else if (ml && (nl = toml_newline(p)) != 0) {
			if (toml_scalar_add(p, out, "\n", 1) == -1)
				return -1;
			p->i += nl;
		} else if (c == '\n' ||
		    (c == '\r' && !ml && toml_newline(p) != 0)) {
			return toml_fail(p, p->i,
			    "newline in a single-line string");
		} else if ((c < 0x20 && c != '\t') || c == 0x7F) {
			return toml_fail(p, p->i, "%s in string",
			    toml_desc(p, p->i, d, sizeof d));
		} else {
			if (toml_scalar_add(p, out, s + p->i, 1) == -1)
				return -1;
			p->i++;
		}
	}
}

int
toml_scalar_key(struct toml_parser *p, struct buf *out)
{
	return toml_scalar_string(p, 0, out);
}

/*
 * In tagged mode, replace `plain` by {"type": type, "value": text}.
 * Takes ownership of `plain`; returns a new reference.
 */
static json_t *
toml_scalar_make(struct toml_parser *p, const char *type, json_t *plain,
    const char *text, size_t n)
{
	json_t *o;

	if (!(p->flags & TOML_TAGGED))
		return plain;
	json_decref(plain);
	o = toml_json(json_object());
	json_object_set_new(o, "type", toml_json(json_string(type)));
	json_object_set_new(o, "value", toml_json(json_stringn(text, n)));
	return o;
}

/*
 * Digits of `base` from t[*j] on, single '_' allowed between two digits.
 * Returns 0 if there was at least one digit; *j is past them.
 */
static int
toml_scalar_digits(const char *t, size_t n, size_t *j, int base)
{
	size_t k = *j;

	if (k >= n || toml_scalar_digit(t[k], base) == -1)
		return -1;
	for (k++; k < n; k++) {
		if (t[k] == '_' && k + 1 < n &&
		    toml_scalar_digit(t[k + 1], base) != -1)
			k++;
		else if (toml_scalar_digit(t[k], base) == -1)
			break;
	}
	*j = k;
	return 0;
}

#define TOML_SCALAR_SHOW(n) ((int)((n) < TOML_SHOW ? (n) : TOML_SHOW))

static void
toml_scalar_integer(struct toml_parser *p, long long ll, json_t **out)
{
	char text[32];

	if (!(p->flags & TOML_TAGGED)) { /* the text is for tagged mode */
		*out = toml_json(json_integer(ll));
		return;
	}
	snprintf(text, sizeof text, "%lld", ll);
	*out = toml_scalar_make(p, "integer", toml_json(json_integer(ll)), text,
	    strlen(text));
}

/* A float; plain mode keeps inf and nan as text. */
static void
toml_scalar_float(struct toml_parser *p, double d, json_t **out)
{
	char text[40];

	if (!(p->flags & TOML_TAGGED) && isfinite(d)) {
		*out = toml_json(json_real(d));
		return;
	}
	toml_format_real(d, text, sizeof text);
	*out = toml_scalar_make(p, "float",
	    toml_json(isfinite(d) ? json_real(d) : json_string(text)), text,
	    strlen(text));
}

/* 0x, 0o or 0b and digits: the `n` bytes at p->s + start. */
static int
toml_scalar_prefixed(struct toml_parser *p, size_t start, size_t n,
    json_t **out)
{
	const char *t = p->s + start;
	int base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2, v;
	uint64_t u = 0;
	size_t k = 2;

	if (toml_scalar_digits(t, n, &k, base) == -1 || k != n)
		return toml_fail(p, start, "invalid value '%.*s'",
		    TOML_SCALAR_SHOW(n), t);
	for (k = 2; k < n; k++) {
		if ((v = toml_scalar_digit(t[k], base)) == -1)
			continue; /* '_' */
		if (u > ((uint64_t)INT64_MAX - (uint64_t)v) / base)
			return toml_fail(p, start,
			    "integer out of range '%.*s'", TOML_SCALAR_SHOW(n),
			    t);
		u = u * base + (uint64_t)v;
	}
	toml_scalar_integer(p, (long long)u, out);
	return 0;
}

/*
 * Whether `n` bytes at `t` are a decimal integer (0) or a float (1) or
 * neither (-1).  *lead is set if the integer part has leading zeros.
 */
static int
toml_scalar_decimal(const char *t, size_t n, int *lead)
{
	size_t j = t[0] == '+' || t[0] == '-', k = j;
	int isfloat = 0;

	*lead = 0;
	if (toml_scalar_digits(t, n, &k, 10) == -1)
		return -1;
	*lead = t[j] == '0' && k - j > 1;
	if (k < n && t[k] == '.') {
		isfloat = 1;
		k++;
		if (toml_scalar_digits(t, n, &k, 10) == -1)
			return -1;
	}
	if (k < n && (t[k] == 'e' || t[k] == 'E')) {
		isfloat = 1;
		k++;
		if (k < n && (t[k] == '+' || t[k] == '-'))
			k++;
		if (toml_scalar_digits(t, n, &k, 10) == -1)
			return -1;
	}
	return k == n ? isfloat : -1;
}

/* An integer or a float: the `n` bytes at p->s + start. */
static int
toml_scalar_number(struct toml_parser *p, size_t start, size_t n, json_t **out)
{
	const char *t = p->s + start;
	char *clean;
	size_t j = t[0] == '+' || t[0] == '-', k, m;
	int kind, lead, rc = 0;
	long long ll;

	if (n - j == 3 && memcmp(t + j, "inf", 3) == 0) {
		toml_scalar_float(p, t[0] == '-' ? -INFINITY : INFINITY, out);
		return 0;
	}
	if (n - j == 3 && memcmp(t + j, "nan", 3) == 0) {
		toml_scalar_float(p, NAN, out);
		return 0;
	}
	if (n - j >= 2 && t[j] == '0' &&
	    (t[j + 1] == 'x' || t[j + 1] == 'o' || t[j + 1] == 'b')) {
		if (j > 0)
			return toml_fail(p, start,
			    "a sign is not allowed on "
			    "hexadecimal, octal or binary integers");
		return toml_scalar_prefixed(p, start, n, out);
	}
	kind = toml_scalar_decimal(t, n, &lead);
	if (lead)
		return toml_fail(p, start,
		    "leading zeros are not allowed in "
		    "'%.*s'",
		    TOML_SCALAR_SHOW(n), t);
	if (kind == -1)
		return toml_fail(p, start, "invalid value '%.*s'",
		    TOML_SCALAR_SHOW(n), t);

	clean = xmalloc(n + 1);
	for (k = m = 0; k < n; k++)
		if (t[k] != '_')
			clean[m++] = t[k];
	clean[m] = '\0';
	if (kind == 1)
		toml_scalar_float(p, strtod(clean, NULL), out);
	else {
		errno = 0;
		ll = strtoll(clean, NULL, 10);
		if (errno == ERANGE)
			rc = toml_fail(p, start, "integer out of range '%.*s'",
			    TOML_SCALAR_SHOW(n), t);
		else
			toml_scalar_integer(p, ll, out);
	}
	free(clean);
	return rc;
}

static int
toml_scalar_mdays(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * A date-time, local date-time, local date or local time: the `n` bytes
 * at p->s + start.  The value is the text with 'T' and 'Z' upper case and
 * a space separator replaced by 'T'.
 */
static int
toml_scalar_datetime(struct toml_parser *p, size_t start, size_t n,
    json_t **out)
{
	const char *t = p->s + start, *type, *what;
	size_t k = 0;
	int hasdate = 0, hastime = 0, hasoff = 0, y, mo;
	char *norm;

	if (n >= 5 && t[4] == '-') {
		if (n < 10 || !toml_scalar_isdigits(t, 4) ||
		    !toml_scalar_isdigits(t + 5, 2) || t[7] != '-' ||
		    !toml_scalar_isdigits(t + 8, 2))
			goto bad;
		y = toml_scalar_num2(t) * 100 + toml_scalar_num2(t + 2);
		mo = toml_scalar_num2(t + 5);
		what = "month";
		if (mo < 1 || mo > 12)
			goto range;
		what = "day";
		if (toml_scalar_num2(t + 8) < 1 ||
		    toml_scalar_num2(t + 8) > toml_scalar_mdays(y, mo))
			goto range;
		hasdate = 1;
		k = 10;
		if (k < n) {
			if (t[k] != 'T' && t[k] != 't' && t[k] != ' ')
				goto bad;
			if (++k == n)
				goto bad;
		}
	}
	if (k < n) {
		if (n - k < 8 || !toml_scalar_isdigits(t + k, 2) ||
		    t[k + 2] != ':' || !toml_scalar_isdigits(t + k + 3, 2) ||
		    t[k + 5] != ':' || !toml_scalar_isdigits(t + k + 6, 2))
			goto bad;
		what = "hour";
		if (toml_scalar_num2(t + k) > 23)
			goto range;
		what = "minute";
		if (toml_scalar_num2(t + k + 3) > 59)
			goto range;
		what = "second";
		if (toml_scalar_num2(t + k + 6) > 60)
			goto range;
		hastime = 1;
		k += 8;
		if (k < n && t[k] == '.') {
			if (++k == n || !toml_scalar_isdigits(t + k, 1))
				goto bad;
			while (k < n && toml_scalar_isdigits(t + k, 1))
				k++;
		}
		if (hasdate && k < n && (t[k] == 'Z' || t[k] == 'z')) {
			hasoff = 1;
			k++;
		} else if (hasdate && k < n && (t[k] == '+' || t[k] == '-')) {
			if (n - k != 6 || !toml_scalar_isdigits(t + k + 1, 2) ||
			    t[k + 3] != ':' ||
			    !toml_scalar_isdigits(t + k + 4, 2))
				goto bad;
			what = "offset";
			if (toml_scalar_num2(t + k + 1) > 23 ||
			    toml_scalar_num2(t + k + 4) > 59)
				goto range;
			hasoff = 1;
			k += 6;
		}
	}
	if (k != n || (!hasdate && !hastime))
		goto bad;

	norm = xstrndup(t, n);
	for (k = 0; k < n; k++) {
		if (norm[k] == 't' || (k == 10 && norm[k] == ' '))
			norm[k] = 'T';
		else if (norm[k] == 'z')
			norm[k] = 'Z';
	}
	if (!hastime)
		type = "date-local";
	else if (!hasdate)
		type = "time-local";
	else
		type = hasoff ? "datetime" : "datetime-local";
	*out = toml_scalar_make(p, type, toml_json(json_stringn(norm, n)), norm,
	    n);
	free(norm);
	return 0;
range:
	return toml_fail(p, start, "%s out of range in '%.*s'", what,
	    TOML_SCALAR_SHOW(n), t);
bad:
	return toml_fail(p, start, "invalid date-time '%.*s'",
	    TOML_SCALAR_SHOW(n), t);
}

/* Characters of numbers, booleans and date-times. */
static int
toml_scalar_tokchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_' || c == '+' || c == '-' ||
	    c == '.' || c == ':';
}

int
toml_scalar_value(struct toml_parser *p, json_t **out)
{
	const char *s = p->s;
	size_t start = p->i, end = p->i, n;
	struct buf b;
	char d[32];
	int rc;

	*out = NULL;
	if (start < p->len && (s[start] == '"' || s[start] == '\'')) {
		buf_init(&b, TOML_MAX_INPUT);
		if ((rc = toml_scalar_string(p, 1, &b)) == 0)
			*out = toml_scalar_make(p, "string",
			    toml_json(json_stringn(buf_str(&b), b.len)),
			    buf_str(&b), b.len);
		buf_free(&b);
		return rc;
	}
	while (end < p->len && toml_scalar_tokchar(s[end]))
		end++;
	/* A date, a space, then a time: one local or offset date-time. */
	if (end - start == 10 && s[start + 4] == '-' && end + 3 < p->len &&
	    s[end] == ' ' && toml_scalar_isdigits(s + end + 1, 2) &&
	    s[end + 3] == ':')
		for (end++; end < p->len && toml_scalar_tokchar(s[end]); end++)
			;
	if ((n = end - start) == 0)
		return toml_fail(p, start, "expected a value, found %s",
		    toml_desc(p, start, d, sizeof d));
	p->i = end;
	if ((n == 4 && memcmp(s + start, "true", 4) == 0) ||
	    (n == 5 && memcmp(s + start, "false", 5) == 0)) {
		*out = toml_scalar_make(p, "bool",
		    toml_json(json_boolean(n == 4)), s + start, n);
		return 0;
	}
	if ((n >= 5 && toml_scalar_isdigits(s + start, 4) &&
		s[start + 4] == '-') ||
	    (n >= 3 && toml_scalar_isdigits(s + start, 2) &&
		s[start + 2] == ':'))
		return toml_scalar_datetime(p, start, n, out);
	return toml_scalar_number(p, start, n, out);
}
