/*
 * regex_class.c — the sets of characters of the regex engine: ranges of
 * code points, the named classes, case pairs, negation, and the finished
 * form the matcher reads (a bitmap of ASCII, sorted ranges above).
 *
 * Matching without regard to case never folds the subject: a set is
 * closed under case when it is made (every letter of it brings its other
 * case), and a literal carries its other case (regex.c).
 */
#include <stdlib.h>
#include <string.h>

#include "util/regex_int.h"
#include "util/xalloc.h"

/* Case pairs: capitals lo..hi (every step-th) and their small letters. */
static const struct rx_fold {
	uint32_t lo, hi;
	int delta, step;
} rx_folds[] = {
	{ 0x41, 0x5a, 32, 1 }, /* A-Z */
	{ 0xc0, 0xd6, 32, 1 }, /* Latin-1 */
	{ 0xd8, 0xde, 32, 1 },
	{ 0x100, 0x12f, 1, 2 }, /* Latin Extended-A */
	{ 0x132, 0x137, 1, 2 },
	{ 0x139, 0x148, 1, 2 },
	{ 0x14a, 0x177, 1, 2 },
	{ 0x178, 0x178, -121, 1 }, /* Y with diaeresis */
	{ 0x179, 0x17e, 1, 2 },
	{ 0x391, 0x3a1, 32, 1 }, /* Greek */
	{ 0x3a3, 0x3ab, 32, 1 },
	{ 0x400, 0x40f, 80, 1 }, /* Cyrillic */
	{ 0x410, 0x42f, 32, 1 },
};

/* The named classes, as pairs of ASCII bounds. */
static const struct rx_named {
	const char *name;
	unsigned char b[8];
	int n; /* pairs */
} rx_named[] = {
	{ "alpha", { 'A', 'Z', 'a', 'z' }, 2 },
	{ "digit", { '0', '9' }, 1 },
	{ "alnum", { '0', '9', 'A', 'Z', 'a', 'z' }, 3 },
	{ "upper", { 'A', 'Z' }, 1 },
	{ "lower", { 'a', 'z' }, 1 },
	{ "space", { '\t', '\r', ' ', ' ' }, 2 },
	{ "blank", { '\t', '\t', ' ', ' ' }, 2 },
	{ "punct", { '!', '/', ':', '@', '[', '`', '{', '~' }, 4 },
	{ "print", { ' ', '~' }, 1 },
	{ "graph", { '!', '~' }, 1 },
	{ "cntrl", { 0x00, 0x1f, 0x7f, 0x7f }, 2 },
	{ "xdigit", { '0', '9', 'A', 'F', 'a', 'f' }, 3 },
};

/* The small letter of capital c, or c. */
uint32_t
regex_lower(uint32_t c)
{
	const struct rx_fold *f;
	size_t k;

	for (k = 0; k < sizeof rx_folds / sizeof rx_folds[0]; k++) {
		f = &rx_folds[k];
		if (c >= f->lo && c <= f->hi && (c - f->lo) % f->step == 0)
			return (uint32_t)((int)c + f->delta);
	}
	return c;
}

/* The capital of small letter c, or c. */
uint32_t
regex_upper(uint32_t c)
{
	const struct rx_fold *f;
	uint32_t lo, hi;
	size_t k;

	for (k = 0; k < sizeof rx_folds / sizeof rx_folds[0]; k++) {
		f = &rx_folds[k];
		lo = (uint32_t)((int)f->lo + f->delta);
		hi = (uint32_t)((int)f->hi + f->delta);
		if (c >= lo && c <= hi && (c - lo) % f->step == 0)
			return (uint32_t)((int)c - f->delta);
	}
	return c;
}

void
regex_set_add(struct rx_set *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 8;
		s->r = xreallocarray(s->r, s->alloc, sizeof *s->r);
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
}

static int
rx_range_cmp(const void *a, const void *b)
{
	const struct rx_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge the ranges of s. */
static void
rx_set_norm(struct rx_set *s)
{
	size_t i, k = 0;

	if (s->n == 0)
		return;
	qsort(s->r, s->n, sizeof *s->r, rx_range_cmp);
	for (i = 1; i < s->n; i++) {
		if (s->r[i].lo <= s->r[k].hi + 1) {
			if (s->r[i].hi > s->r[k].hi)
				s->r[k].hi = s->r[i].hi;
		} else
			s->r[++k] = s->r[i];
	}
	s->n = k + 1;
}

/* Add to s the other case of each of its letters. */
static void
rx_set_fold(struct rx_set *s)
{
	const struct rx_fold *f;
	uint32_t lo, hi, c, flo, fhi;
	size_t i, k, n = s->n;

	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof rx_folds / sizeof rx_folds[0]; k++) {
			f = &rx_folds[k];
			flo = (uint32_t)((int)f->lo + f->delta);
			fhi = (uint32_t)((int)f->hi + f->delta);
			/* Capitals in the range, then small letters. */
			lo = s->r[i].lo > f->lo ? s->r[i].lo : f->lo;
			hi = s->r[i].hi < f->hi ? s->r[i].hi : f->hi;
			for (c = lo; c <= hi && f->step > 1; c++)
				if (regex_lower(c) != c)
					regex_set_add(s, regex_lower(c),
					    regex_lower(c));
			if (lo <= hi && f->step == 1)
				regex_set_add(s, (uint32_t)((int)lo + f->delta),
				    (uint32_t)((int)hi + f->delta));
			lo = s->r[i].lo > flo ? s->r[i].lo : flo;
			hi = s->r[i].hi < fhi ? s->r[i].hi : fhi;
			for (c = lo; c <= hi && f->step > 1; c++)
				if (regex_upper(c) != c)
					regex_set_add(s, regex_upper(c),
					    regex_upper(c));
			if (lo <= hi && f->step == 1)
				regex_set_add(s, (uint32_t)((int)lo - f->delta),
				    (uint32_t)((int)hi - f->delta));
		}
	}
	rx_set_norm(s);
}

/* Make s its complement (never holding '\n' if nl is 0). */
static void
rx_set_negate(struct rx_set *s, int nl)
{
	struct rx_set t = { 0 };
	uint32_t next = 0;
	size_t i;

	if (!nl)
		regex_set_add(s, '\n', '\n');
	rx_set_norm(s);
	for (i = 0; i < s->n; i++) {
		if (s->r[i].lo > next)
			regex_set_add(&t, next, s->r[i].lo - 1);
		next = s->r[i].hi + 1;
	}
	if (next <= RX_MAXCHAR)
		regex_set_add(&t, next, RX_MAXCHAR);
	free(s->r);
	*s = t;
}

int
regex_set_named(struct rx_set *s, const char *name, size_t n)
{
	size_t k;
	int j;

	for (k = 0; k < sizeof rx_named / sizeof rx_named[0]; k++) {
		if (strlen(rx_named[k].name) != n ||
		    strncmp(rx_named[k].name, name, n) != 0)
			continue;
		for (j = 0; j < rx_named[k].n; j++)
			regex_set_add(s, rx_named[k].b[2 * j],
			    rx_named[k].b[2 * j + 1]);
		return 0;
	}
	return -1;
}

void
regex_set_finish(struct rx_set *s, int icase, int negate, struct rx_class *c)
{
	uint32_t ch, hi;
	size_t i, k = 0;

	rx_set_norm(s);
	if (icase)
		rx_set_fold(s);
	if (negate)
		rx_set_negate(s, negate == 2);
	memset(c, 0, sizeof *c);
	for (i = 0; i < s->n; i++) {
		hi = s->r[i].hi < 0x7f ? s->r[i].hi : 0x7f;
		for (ch = s->r[i].lo; ch <= hi; ch++)
			c->ascii[ch >> 6] |= (uint64_t)1 << (ch & 63);
		if (s->r[i].hi < 0x80)
			continue;
		if (s->r[i].lo < 0x80)
			s->r[i].lo = 0x80;
		s->r[k++] = s->r[i];
	}
	c->r = s->r;
	c->n = k;
	s->r = NULL;
	s->n = s->alloc = 0;
}
