/* test_reqline.c — the first bytes of a request (reqline.h), whole, at
 * every prefix, and its invariants over every two-byte start. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/reqline.h"

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	enum reqline_verdict want;
} cases[] = {
	{ "GET / HTTP/1.1\r\n", 0, REQLINE_OK },
	{ "POST ", 0, REQLINE_OK },
	{ "M-SEARCH * HTTP/1.1", 0, REQLINE_OK },
	{ "\r\nGET /", 0, REQLINE_OK },
	{ "\n\n\nPUT x", 0, REQLINE_OK },
	{ "\r\n\r\n\r\n\r\nGET ", 0, REQLINE_OK },
	{ "ABCDEFGHIJKLMNOP ", 0, REQLINE_OK }, /* 16: the longest */
	{ "ABCDEFGHIJKLMNOPQ ", 0, REQLINE_BAD },
	{ "\r\n\r\n\r\n\r\n\r\nGET ", 0, REQLINE_BAD }, /* 5 empty lines */
	{ "", 0, REQLINE_MORE },
	{ "G", 0, REQLINE_MORE },
	{ "GET", 0, REQLINE_MORE },
	{ "\r", 0, REQLINE_MORE },
	{ "\r\n", 0, REQLINE_MORE },
	{ " GET", 0, REQLINE_BAD },
	{ "\rGET", 0, REQLINE_BAD },
	{ "GE\tT ", 0, REQLINE_BAD },
	{ "GET\r\n", 0, REQLINE_BAD },
	{ "GE(T ", 0, REQLINE_BAD },
	{ "\x00\x01\x02\xff", 4, REQLINE_BAD },
	{ "G\x00T ", 4, REQLINE_BAD },
	{ "\xff", 1, REQLINE_BAD },
	{ "\x16\x03\x01\x02\x00", 5, REQLINE_BAD }, /* a TLS hello */
	{ "PRI * HTTP/2.0", 0, REQLINE_OK },
};

static void
test_cases_whole_and_prefixes(void **state)
{
	size_t i, k, n;
	enum reqline_verdict v;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const unsigned char *p = (const unsigned char *)cases[i].in;

		n = cases[i].len ? cases[i].len : strlen(cases[i].in);
		v = reqline_check(p, n);
		if (v != cases[i].want)
			fail_msg("case %zu: %d, want %d", i, v, cases[i].want);
		/* Every prefix is MORE or already the final verdict. */
		for (k = 0; k < n; k++) {
			v = reqline_check(p, k);
			if (v != REQLINE_MORE && v != cases[i].want)
				fail_msg("case %zu prefix %zu: %d", i, k, v);
		}
	}
}

static void
test_every_first_byte(void **state)
{
	unsigned char b[2] = { 0, ' ' };
	int c;

	(void)state;
	for (c = 0; c < 256; c++) {
		b[0] = (unsigned char)c;
		if (reqline_tchar(b[0]))
			assert_int_equal(reqline_check(b, 2), REQLINE_OK);
		else if (c == '\n')
			assert_int_equal(reqline_check(b, 2), REQLINE_BAD);
		else if (c != '\r')
			assert_int_equal(reqline_check(b, 1), REQLINE_BAD);
	}
	/* The token characters are exactly these. */
	for (c = 0, b[0] = 0; c < 256; c++)
		b[0] += (unsigned char)reqline_tchar((unsigned char)c);
	assert_int_equal(b[0], 26 + 26 + 10 + 15);
}

static void
test_decided_within_the_limit(void **state)
{
	unsigned char b[REQLINE_DECIDE + 4];

	(void)state;
	memset(b, 'A', sizeof b);
	assert_int_equal(reqline_check(b, REQLINE_MAX_METHOD), REQLINE_MORE);
	assert_int_equal(reqline_check(b, REQLINE_DECIDE), REQLINE_BAD);
	memcpy(b, "\r\n\r\n\r\n\r\n", 8);
	b[8 + REQLINE_MAX_METHOD] = ' ';
	assert_int_equal(reqline_check(b, REQLINE_DECIDE - 1), REQLINE_MORE);
	assert_int_equal(reqline_check(b, REQLINE_DECIDE), REQLINE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_whole_and_prefixes),
		cmocka_unit_test(test_every_first_byte),
		cmocka_unit_test(test_decided_within_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
