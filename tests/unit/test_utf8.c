/*
 * test_utf8.c — UTF-8 validation and cutting (util/utf8.h).
 *
 * Validation is checked against the table of utf8_cases.h, against a plain
 * reference decoder below over every one- and two-byte text and every lead
 * and second byte of longer ones, and fed in two pieces split at every
 * byte.  Cutting is checked against tables, and for every text of the
 * tables at every limit from 0 past its end, against the definition: the
 * greatest character boundary at or below the limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/utf8.h"
#include "utf8_cases.h"
#include "utf8_ref.h"

/* Whether offset i of s[0..n) is a character boundary (utf8.h). */
static int
boundary(const char *s, size_t n, size_t i)
{
	return i == 0 || i == n || ((unsigned char)s[i] & 0xc0) != 0x80;
}

static void
test_valid_table(void **state)
{
	const struct utf8_case *c;
	uint32_t st;
	size_t i, k;

	(void)state;
	for (i = 0; i < UTF8_NCASES; i++) {
		c = &utf8_cases[i];
		if (utf8_valid(c->s, c->n) != c->ok)
			fail_msg("case %zu: utf8_valid() is not %d", i, c->ok);
		if (utf8_ref_valid((const unsigned char *)c->s, c->n) != c->ok)
			fail_msg("case %zu: the reference is not %d", i, c->ok);
		/* In two pieces, split at every byte. */
		for (k = 0; k <= c->n; k++) {
			st = utf8_run(UTF8_ACCEPT, c->s, k);
			st = utf8_run(st, c->s + k, c->n - k);
			if ((st == UTF8_ACCEPT) != c->ok)
				fail_msg("case %zu split at %zu: state %u", i,
				    k, (unsigned)st);
		}
		/* The longest good prefix is all of a good text. */
		if (c->ok)
			assert_int_equal(utf8_valid_prefix(c->s, c->n), c->n);
		else
			assert_true(utf8_valid_prefix(c->s, c->n) < c->n);
	}
}

/* Every one- and two-byte text; every lead and second byte of longer
 * ones, finished with the smallest and the largest continuation byte. */
static void
test_valid_exhaustive(void **state)
{
	static const unsigned char tails[] = { 0x80, 0xbf };
	unsigned char s[4];
	unsigned a, b, t, u, len;

	(void)state;
	for (a = 0; a < 256; a++) {
		s[0] = (unsigned char)a;
		assert_int_equal(utf8_valid((char *)s, 1),
		    utf8_ref_valid(s, 1));
		for (b = 0; b < 256; b++) {
			s[1] = (unsigned char)b;
			if (utf8_valid((char *)s, 2) != utf8_ref_valid(s, 2))
				fail_msg("%02x %02x", a, b);
			for (t = 0; t < 2; t++) {
				for (u = 0; u < 2; u++) {
					s[2] = tails[t];
					s[3] = tails[u];
					for (len = 3; len <= 4; len++) {
						if (utf8_valid((char *)s,
							len) !=
						    utf8_ref_valid(s, len))
							fail_msg("%02x %02x "
								 "%02x %02x "
								 "(%u bytes)",
							    a, b, s[2], s[3],
							    len);
					}
				}
			}
		}
	}
}

static void
test_valid_prefix(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		size_t want;
	} cases[] = {
#define P(s, want) { (s), sizeof(s) - 1, (want) }
		P("", 0),
		P("abc", 3),
		P("b\xff"
		  "cd",
		    1),
		P("b\xe2\x82", 1),          /* cut short */
		P("a\xe2\x82\xac", 4),      /* whole */
		P("ok\xe2\x82\xac\x80", 5), /* a stray continuation */
		P("\xed\xa0\x80", 0),       /* a surrogate */
		P("x\xc0\x80", 1),          /* overlong */
		P("nul\0ok\xff", 6),
#undef P
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (utf8_valid_prefix(cases[i].s, cases[i].n) != cases[i].want)
			fail_msg("case %zu: %zu, not %zu", i,
			    utf8_valid_prefix(cases[i].s, cases[i].n),
			    cases[i].want);
	}
}

static void
test_cut_table(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		size_t max;
		size_t want;
	} cases[] = {
#define C(s, max, want) { (s), sizeof(s) - 1, (max), (want) }
		C("", 0, 0),
		C("", 5, 0),
		C("abc", 0, 0),
		C("abc", 2, 2),
		C("abc", 3, 3),
		C("abc", 100, 3),
		/* A euro sign (3 bytes) after "a": boundaries 0, 1, 4. */
		C("a\xe2\x82\xac", 1, 1),
		C("a\xe2\x82\xac", 2, 1),
		C("a\xe2\x82\xac", 3, 1),
		C("a\xe2\x82\xac", 4, 4),
		/* An emoji (4 bytes) alone: nothing fits before its end. */
		C("\xf0\x9f\x98\x80", 3, 0),
		C("\xf0\x9f\x98\x80", 4, 4),
		C("\xc3\xa9\xc3\xa9", 3, 2),
		/* Invalid text: only continuation bytes are not boundaries. */
		C("\x80\x80\x80", 2, 0),
		C("a\x80\x80z", 2, 0),
		C("a\x80\x80z", 3, 3),
		C("\xc0\x80x", 1, 0),
		C("\xff\xfe", 1, 1),
		C("\xe2\x82", 1, 0),
#undef C
	};
	char *z;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (utf8_cutn(cases[i].s, cases[i].n, cases[i].max) !=
		    cases[i].want)
			fail_msg("case %zu: utf8_cutn() is %zu, not %zu", i,
			    utf8_cutn(cases[i].s, cases[i].n, cases[i].max),
			    cases[i].want);
		if (utf8_cut(cases[i].s, cases[i].max) != cases[i].want)
			fail_msg("case %zu: utf8_cut() is %zu, not %zu", i,
			    utf8_cut(cases[i].s, cases[i].max), cases[i].want);
	}
	/* A C string ends at its NUL; bytes with a length do not. */
	assert_int_equal(utf8_cut("a\0\xe2\x82\xac", 3), 1);
	assert_int_equal(utf8_cutn("a\0\xe2\x82\xac", 5, 3), 2);
	assert_int_equal(utf8_cutn("a\0\xe2\x82\xac", 5, 5), 5);
	/* utf8_cut() reads no byte past s[max] when s is longer. */
	z = malloc(4);
	assert_non_null(z);
	memcpy(z, "\xe2\x82\xac!", 4); /* no NUL */
	assert_int_equal(utf8_cut(z, 3), 3);
	assert_int_equal(utf8_cut(z, 2), 0);
	free(z);
}

/*
 * Every text of the tables at every limit: the cut is the greatest
 * boundary at or below the limit, and a good text stays good.
 */
static void
test_cut_every_byte(void **state)
{
	static const char mixed[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	const char *s;
	size_t i, n, max, got, j, end;
	char *z;

	(void)state;
	for (i = 0; i <= UTF8_NCASES; i++) {
		s = i < UTF8_NCASES ? utf8_cases[i].s : mixed;
		n = i < UTF8_NCASES ? utf8_cases[i].n : sizeof mixed - 1;
		z = malloc(n + 1);
		assert_non_null(z);
		memcpy(z, s, n);
		z[n] = '\0';
		for (max = 0; max <= n + 2; max++) {
			got = utf8_cutn(s, n, max);
			end = max < n ? max : n;
			if (got > end || !boundary(s, n, got))
				fail_msg("text %zu, max %zu: %zu", i, max, got);
			for (j = got + 1; j <= end; j++) {
				if (boundary(s, n, j))
					fail_msg("text %zu, max %zu: %zu, "
						 "but %zu is a boundary",
					    i, max, got, j);
			}
			if (utf8_ref_valid((const unsigned char *)s, n) &&
			    !utf8_ref_valid((const unsigned char *)s, got))
				fail_msg("text %zu, max %zu: %zu breaks it", i,
				    max, got);
			/* The C string form agrees up to the first NUL. */
			if (memchr(s, '\0', n) == NULL &&
			    utf8_cut(z, max) != got)
				fail_msg("text %zu, max %zu: utf8_cut() %zu", i,
				    max, utf8_cut(z, max));
		}
		free(z);
	}
}

static void
test_chars(void **state)
{
	/* a, e acute, euro, emoji, z: 1, 2, 3, 4, 1 bytes. */
	static const char mixed[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
	static const size_t at[] = { 0, 1, 3, 6, 10, 11, 11, 11 };
	size_t i;

	(void)state;
	assert_int_equal(utf8_chars(""), 0);
	assert_int_equal(utf8_chars("abc"), 3);
	assert_int_equal(utf8_chars(mixed), 5);
	/* Stray continuation bytes belong to the character before them. */
	assert_int_equal(utf8_chars("\x80\x80z"), 1);
	assert_int_equal(utf8_chars("a\x80\x80"), 1);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		if (utf8_cut_chars(mixed, i) != at[i])
			fail_msg("%zu characters: %zu bytes, not %zu", i,
			    utf8_cut_chars(mixed, i), at[i]);
	}
	assert_int_equal(utf8_cut_chars("", 0), 0);
	assert_int_equal(utf8_cut_chars("", 3), 0);
	assert_int_equal(utf8_cut_chars("\x80\x80za", 0), 2);
	assert_int_equal(utf8_cut_chars("\x80\x80za", 1), 3);
	assert_int_equal(utf8_cut_chars("a\x80\x80z", 1), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_table),
		cmocka_unit_test(test_valid_exhaustive),
		cmocka_unit_test(test_valid_prefix),
		cmocka_unit_test(test_cut_table),
		cmocka_unit_test(test_cut_every_byte),
		cmocka_unit_test(test_chars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
