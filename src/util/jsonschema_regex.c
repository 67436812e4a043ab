/*
 * jsonschema_regex.c — the ECMA-262 patterns of "pattern" and
 * "patternProperties", translated to POSIX extended regular expressions
 * and compiled with regcomp() in the C.UTF-8 locale (a thread-local
 * uselocale(), so the process locale is left alone), where "." and
 * bracket expressions match whole code points.
 *
 * The translation is a small recursive-descent parser that writes the
 * POSIX form as it reads: what means the same in both dialects is copied,
 * what ECMA spells otherwise is rewritten (\d is [0-9], "." excludes the
 * four line terminators, (?:...) is a plain group, a class is rebuilt so
 * that ']', '-', '^' and '[' sit where POSIX reads them literally), and
 * what POSIX cannot say is refused.  Its cost (atoms once every counted
 * repetition is expanded, which is what regcomp() builds) is capped, as
 * are the counts, the nesting and the length: regcomp() time and memory
 * grow with the expansion.  Matching is one pass over the string (see
 * jsonschema_regex_compile()).
 */
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonschema_int.h"
#include "util/jsonschema_re.h"
#include "util/xalloc.h"

#define JSONSCHEMA_RE_MAX_LEN 4096   /* pattern bytes */
#define JSONSCHEMA_RE_MAX_COUNT 1000 /* bounds of {n,m} */
#define JSONSCHEMA_RE_MAX_COST 10000 /* atoms once repetitions expand */
#define JSONSCHEMA_RE_MAX_NEST 32    /* nested groups */

static pthread_once_t jsonschema_re_once = PTHREAD_ONCE_INIT;
static locale_t jsonschema_re_locale; /* C.UTF-8, or 0 if missing */

static void
jsonschema_re_locale_init(void)
{
	jsonschema_re_locale =
	    newlocale(LC_CTYPE_MASK | LC_COLLATE_MASK, "C.UTF-8", (locale_t)0);
}

/* Record what went wrong at the read offset; always returns -1. */
int
jsonschema_re_fail(struct jsonschema_re *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->err != NULL)
		return -1;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(&p->err, "%s at offset %zu", msg, p->i);
	free(msg);
	return -1;
}

void
jsonschema_re_emit(struct jsonschema_re *p, const char *s)
{
	/* The output is bounded by the capped input times a constant. */
	(void)buf_adds(&p->out, s);
}

void
jsonschema_re_utf8(struct buf *b, uint32_t c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3f));
		u[2] = (char)(0x80 | (c >> 6 & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	(void)buf_add(b, u, n);
}

/* The code point at the read offset (well-formed UTF-8), consumed. */
int
jsonschema_re_char(struct jsonschema_re *p, uint32_t *c)
{
	const unsigned char *u = (const unsigned char *)p->s + p->i;
	size_t left = p->len - p->i, n, k;
	uint32_t v;

	if (u[0] < 0x80) {
		n = 1;
		v = u[0];
	} else if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		v = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		v = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		v = u[0] & 0x07;
	} else
		return jsonschema_re_fail(p, "invalid UTF-8");
	if (n > left)
		return jsonschema_re_fail(p, "invalid UTF-8");
	for (k = 1; k < n; k++) {
		if ((u[k] & 0xc0) != 0x80)
			return jsonschema_re_fail(p, "invalid UTF-8");
		v = v << 6 | (u[k] & 0x3f);
	}
	if ((n == 3 && v < 0x800) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)) ||
	    (v >= 0xd800 && v <= 0xdfff))
		return jsonschema_re_fail(p, "invalid UTF-8");
	if (v == 0)
		return jsonschema_re_fail(p, "NUL is not supported");
	p->i += n;
	*c = v;
	return 0;
}

/* A literal code point outside a class. */
static void
jsonschema_re_literal(struct jsonschema_re *p, uint32_t c)
{
	char b[4];

	if (c == '^')
		jsonschema_re_emit(p, "\\^");
	else if (c == ']')
		jsonschema_re_emit(p, "[]]");
	else if (c < 0x80 && strchr(".[()*+?{}|$\\", (int)c) != NULL) {
		/* In a bracket all of these, and a backslash, are literal. */
		snprintf(b, sizeof b, "[%c]", (char)c);
		jsonschema_re_emit(p, b);
	} else
		jsonschema_re_utf8(&p->out, c);
}

static int
jsonschema_re_hex(struct jsonschema_re *p, size_t n, uint32_t *v)
{
	size_t k;
	int d;
	char c;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (p->i >= p->len)
			return -1;
		c = p->s[p->i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (uint32_t)d;
		p->i++;
	}
	return 0;
}

/* \u after the backslash and 'u': HHHH, a surrogate pair, or {H...}. */
static int
jsonschema_re_unicode(struct jsonschema_re *p, uint32_t *c)
{
	uint32_t lo;
	size_t k;

	if (p->i < p->len && p->s[p->i] == '{') {
		p->i++;
		*c = 0;
		for (k = 0; p->i < p->len && p->s[p->i] != '}'; k++) {
			if (k == 6 || jsonschema_re_hex(p, 1, &lo) != 0)
				return jsonschema_re_fail(p, "bad \\u{...}");
			*c = *c << 4 | lo;
		}
		if (k == 0 || p->i >= p->len || *c > 0x10ffff)
			return jsonschema_re_fail(p, "bad \\u{...}");
		p->i++;
	} else if (jsonschema_re_hex(p, 4, c) != 0)
		return jsonschema_re_fail(p, "bad \\u escape");
	if (*c >= 0xd800 && *c <= 0xdbff && p->len - p->i >= 6 &&
	    p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') {
		p->i += 2;
		if (jsonschema_re_hex(p, 4, &lo) != 0 || lo < 0xdc00 ||
		    lo > 0xdfff)
			return jsonschema_re_fail(p, "bad surrogate pair");
		*c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*c >= 0xd800 && *c <= 0xdfff)
		return jsonschema_re_fail(p, "lone surrogate");
	if (*c == 0)
		return jsonschema_re_fail(p, "NUL is not supported");
	return 0;
}

/*
 * The escape after a backslash (consumed).  Sets *cls to one of "dDwWsSbB"
 * for a class or an assertion (inside a class \b is a backspace), else
 * *c to the code point.
 */
int
jsonschema_re_escape(struct jsonschema_re *p, int in_class, uint32_t *c,
    char *cls)
{
	char e;

	*cls = 0;
	if (p->i >= p->len)
		return jsonschema_re_fail(p, "pattern ends with a backslash");
	e = p->s[p->i++];
	switch (e) {
	case 'd':
	case 'D':
	case 'w':
	case 'W':
	case 's':
	case 'S':
		*cls = e;
		return 0;
	case 'b':
		if (in_class)
			*c = 0x08;
		else
			*cls = e;
		return 0;
	case 'B':
		if (in_class)
			return jsonschema_re_fail(p, "\\B inside a class");
		*cls = e;
		return 0;
	case 't':
		*c = '\t';
		return 0;
	case 'n':
		*c = '\n';
		return 0;
	case 'r':
		*c = '\r';
		return 0;
	case 'f':
		*c = '\f';
		return 0;
	case 'v':
		*c = '\v';
		return 0;
	case 'c':
		if (p->i < p->len &&
		    ((p->s[p->i] >= 'a' && p->s[p->i] <= 'z') ||
			(p->s[p->i] >= 'A' && p->s[p->i] <= 'Z'))) {
			*c = (uint32_t)p->s[p->i++] % 32;
			return 0;
		}
		return jsonschema_re_fail(p, "bad \\c escape");
	case 'x':
		if (jsonschema_re_hex(p, 2, c) != 0)
			return jsonschema_re_fail(p, "bad \\x escape");
		if (*c == 0)
			return jsonschema_re_fail(p, "NUL is not supported");
		return 0;
	case 'u':
		return jsonschema_re_unicode(p, c);
	case '0':
		return jsonschema_re_fail(p, "NUL is not supported");
	case 'p':
	case 'P':
		return jsonschema_re_fail(p,
		    "Unicode property escapes (\\%c{...}) are not supported",
		    e);
	case 'k':
		return jsonschema_re_fail(p,
		    "backreferences are not supported");
	}
	if (e >= '1' && e <= '9')
		return jsonschema_re_fail(p,
		    "backreferences are not supported");
	if (strchr("^$\\.*+?()[]{}|/-", e) != NULL) {
		*c = (uint32_t)(unsigned char)e;
		return 0;
	}
	p->i--;
	return jsonschema_re_fail(p, "unknown escape \\%c", e);
}

/*
 * A quantifier at the read offset: 1 (consumed, bounds in *min and *max,
 * -1 for none), 0 if there is none, -1 on error.  A '{' that does not
 * start {n}, {n,} or {n,m} is a literal, as in ECMA's Annex B.
 */
static int
jsonschema_re_quantifier(struct jsonschema_re *p, long *min, long *max)
{
	size_t j = p->i;
	long v[2] = { -1, -1 };
	int k = 0, comma = 0;

	if (j >= p->len)
		return 0;
	switch (p->s[j]) {
	case '*':
		*min = 0, *max = -1;
		p->i++;
		return 1;
	case '+':
		*min = 1, *max = -1;
		p->i++;
		return 1;
	case '?':
		*min = 0, *max = 1;
		p->i++;
		return 1;
	case '{':
		break;
	default:
		return 0;
	}
	for (j++; j < p->len && p->s[j] != '}'; j++) {
		if (p->s[j] == ',' && !comma && v[0] >= 0) {
			comma = 1;
			k = 1;
		} else if (p->s[j] >= '0' && p->s[j] <= '9') {
			if (v[k] < 0)
				v[k] = 0;
			v[k] = v[k] * 10 + (p->s[j] - '0');
			if (v[k] > JSONSCHEMA_RE_MAX_COUNT) {
				p->i = j;
				return jsonschema_re_fail(p,
				    "repetition count above %d",
				    JSONSCHEMA_RE_MAX_COUNT);
			}
		} else
			return 0;
	}
	if (j >= p->len || v[0] < 0)
		return 0;
	*min = v[0];
	*max = comma ? v[1] : v[0];
	if (*max >= 0 && *max < *min)
		return jsonschema_re_fail(p,
		    "repetition {%ld,%ld} out of order", *min, *max);
	p->i = j + 1;
	return 1;
}

static int jsonschema_re_disjunction(struct jsonschema_re *p, size_t *cost);

static size_t
jsonschema_re_mul(size_t a, size_t b)
{
	if (b != 0 && a > (JSONSCHEMA_RE_MAX_COST + 1) / b)
		return JSONSCHEMA_RE_MAX_COST + 1;
	return a * b;
}

/* A group, after its '('. */
static int
jsonschema_re_group(struct jsonschema_re *p, size_t *cost)
{
	const char *g = p->s + p->i;
	size_t left = p->len - p->i;

	if (left >= 1 && g[0] == '?') {
		if (left >= 2 && g[1] == ':')
			p->i += 2;
		else if (left >= 3 && g[1] == '<' && g[2] != '=' &&
		    g[2] != '!') {
			/* (?<name>...): a plain group, the name unused. */
			p->i += 2;
			while (p->i < p->len && p->s[p->i] != '>')
				p->i++;
			if (p->i >= p->len)
				return jsonschema_re_fail(p,
				    "unterminated group name");
			p->i++;
		} else if (left >= 2 &&
		    (g[1] == '=' || g[1] == '!' || g[1] == '<'))
			return jsonschema_re_fail(p,
			    "lookahead and lookbehind are not supported");
		else
			return jsonschema_re_fail(p, "unknown group (?");
	}
	if (++p->nest > JSONSCHEMA_RE_MAX_NEST)
		return jsonschema_re_fail(p, "groups nested deeper than %d",
		    JSONSCHEMA_RE_MAX_NEST);
	jsonschema_re_emit(p, "(");
	if (jsonschema_re_disjunction(p, cost) != 0)
		return -1;
	if (p->i >= p->len)
		return jsonschema_re_fail(p, "missing )");
	p->i++;
	p->nest--;
	jsonschema_re_emit(p, ")");
	return 0;
}

/* One term: an assertion, or an atom with its quantifier. */
static int
jsonschema_re_term(struct jsonschema_re *p, size_t *cost)
{
	size_t atom = 1, save;
	long min, max;
	uint32_t c;
	char cls;
	int q;

	switch (p->s[p->i]) {
	case '^':
	case '$':
		(void)buf_add(&p->out, p->s + p->i, 1);
		p->i++;
		goto assertion;
	case '(':
		p->i++;
		atom = 0;
		if (jsonschema_re_group(p, &atom) != 0)
			return -1;
		break;
	case '[':
		p->i++;
		if (jsonschema_re_class(p) != 0)
			return -1;
		break;
	case '.':
		p->i++;
		jsonschema_re_emit(p, "[^\n\r\xe2\x80\xa8\xe2\x80\xa9]");
		break;
	case '\\':
		p->i++;
		if (jsonschema_re_escape(p, 0, &c, &cls) != 0)
			return -1;
		if (cls == 'b' || cls == 'B') {
			jsonschema_re_emit(p, cls == 'b' ? "\\b" : "\\B");
			goto assertion;
		}
		if (cls != 0)
			jsonschema_re_class_escape(p, cls);
		else
			jsonschema_re_literal(p, c);
		break;
	case '*':
	case '+':
	case '?':
		return jsonschema_re_fail(p, "nothing to repeat");
	case '{':
		save = p->i;
		if ((q = jsonschema_re_quantifier(p, &min, &max)) != 0) {
			p->i = save;
			return q < 0 ?
			    -1 :
			    jsonschema_re_fail(p, "nothing to repeat");
		}
		p->i++;
		jsonschema_re_literal(p, '{');
		break;
	default:
		if (jsonschema_re_char(p, &c) != 0)
			return -1;
		jsonschema_re_literal(p, c);
		break;
	}
	if ((q = jsonschema_re_quantifier(p, &min, &max)) < 0)
		return -1;
	if (q == 1) {
		if (max < 0 && min <= 1)
			jsonschema_re_emit(p, min == 0 ? "*" : "+");
		else if (min == 0 && max == 1)
			jsonschema_re_emit(p, "?");
		else if (max < 0)
			buf_printf(&p->out, "{%ld,}", min);
		else if (max == min)
			buf_printf(&p->out, "{%ld}", min);
		else
			buf_printf(&p->out, "{%ld,%ld}", min, max);
		atom = jsonschema_re_mul(atom,
		    (size_t)(max < 0 ? min + 1 :
			    max > 0  ? max :
				       1));
		if (p->i < p->len && p->s[p->i] == '?')
			p->i++; /* lazy: matches the same strings */
		save = p->i;
		if (jsonschema_re_quantifier(p, &min, &max) != 0) {
			p->i = save;
			return jsonschema_re_fail(p, "nothing to repeat");
		}
	}
	*cost += atom;
	return 0;
assertion:
	save = p->i;
	if ((q = jsonschema_re_quantifier(p, &min, &max)) != 0) {
		p->i = save;
		return q < 0 ?
		    -1 :
		    jsonschema_re_fail(p, "an assertion cannot be repeated");
	}
	return 0;
}

/* Alternatives up to an unmatched ')' or the end. */
static int
jsonschema_re_disjunction(struct jsonschema_re *p, size_t *cost)
{
	while (p->i < p->len && p->s[p->i] != ')') {
		if (p->s[p->i] == '|') {
			p->i++;
			jsonschema_re_emit(p, "|");
			continue;
		}
		if (jsonschema_re_term(p, cost) != 0)
			return -1;
		if (*cost > JSONSCHEMA_RE_MAX_COST)
			return jsonschema_re_fail(p,
			    "too large once its repetitions are expanded "
			    "(more than %d atoms)",
			    JSONSCHEMA_RE_MAX_COST);
	}
	return 0;
}

int
jsonschema_regex_compile(struct jsonschema_regex *re, const char *src,
    size_t len, char **cause)
{
	struct jsonschema_re p;
	struct buf whole;
	size_t cost = 0;
	locale_t old;
	char msg[128];
	int rc = -1, e;

	memset(&p, 0, sizeof p);
	p.s = src;
	p.len = len;
	buf_init(&p.out, BUF_NOCAP);
	pthread_once(&jsonschema_re_once, jsonschema_re_locale_init);
	if (jsonschema_re_locale == (locale_t)0) {
		xasprintf(cause,
		    "patterns need the C.UTF-8 locale, which "
		    "this system lacks");
		goto out;
	}
	if (len > JSONSCHEMA_RE_MAX_LEN) {
		xasprintf(cause, "longer than %d bytes", JSONSCHEMA_RE_MAX_LEN);
		goto out;
	}
	if (jsonschema_re_disjunction(&p, &cost) != 0)
		goto fail;
	if (p.i < p.len) {
		jsonschema_re_fail(&p, "unmatched )");
		goto fail;
	}
	/*
	 * Searching for P is matching ^(anything)*(P): glibc retries an
	 * unanchored pattern at every offset (quadratic, seconds on 64 KiB
	 * for (a|aa)*b), but runs this one in a single pass.
	 */
	buf_init(&whole, BUF_NOCAP);
	(void)buf_printf(&whole, "^([^\n]|\n)*(%s)", buf_str(&p.out));
	old = uselocale(jsonschema_re_locale);
	e = regcomp(&re->re, buf_str(&whole), REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	buf_free(&whole);
	if (e != 0) {
		regerror(e, &re->re, msg, sizeof msg);
		xasprintf(cause, "regcomp refuses it: %s", msg);
		goto out;
	}
	re->src = src;
	rc = 0;
	goto out;
fail:
	*cause = p.err;
	p.err = NULL;
out:
	free(p.err);
	buf_free(&p.out);
	return rc;
}

int
jsonschema_regex_match(const struct jsonschema_regex *re, const char *s,
    size_t len)
{
	regmatch_t m;
	locale_t old;
	int r;

	/* regoff_t is an int: longer strings are not matched. */
	if (len > (size_t)INT32_MAX)
		return -1;
	m.rm_so = 0;
	m.rm_eo = (regoff_t)len;
	old = uselocale(jsonschema_re_locale);
	r = regexec(&re->re, s, 1, &m, REG_STARTEND);
	uselocale(old);
	return r == 0;
}

void
jsonschema_regex_free(struct jsonschema_regex *re)
{
	regfree(&re->re);
}
