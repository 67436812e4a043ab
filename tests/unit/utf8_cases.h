/*
 * utf8_cases.h — texts that are well-formed UTF-8 or not, as a table.
 * test_utf8.c checks utf8_valid() and the cutting functions against it;
 * test_ws.c checks that the WebSocket parser agrees, byte by byte.
 */
#ifndef OXIOS_TEST_UTF8_CASES_H
#define OXIOS_TEST_UTF8_CASES_H

#include <stddef.h>

struct utf8_case {
	const char *s;
	size_t n;
	int ok;
};

#define UTF8_CASE(s, ok) \
	{ \
		(s), sizeof(s) - 1, (ok) \
	}

static const struct utf8_case utf8_cases[] = {
	UTF8_CASE("", 1),
	UTF8_CASE("plain ASCII", 1),
	UTF8_CASE("nul\0inside", 1),
	UTF8_CASE("\x7f", 1),
	UTF8_CASE("\xc2\x80", 1),
	UTF8_CASE("\xdf\xbf", 1),
	UTF8_CASE("\xe0\xa0\x80", 1),
	UTF8_CASE("\xe2\x82\xac", 1),
	UTF8_CASE("\xed\x9f\xbf", 1), /* U+D7FF */
	UTF8_CASE("\xee\x80\x80", 1), /* U+E000 */
	UTF8_CASE("\xef\xbf\xbf", 1),
	UTF8_CASE("\xf0\x90\x80\x80", 1),
	UTF8_CASE("\xf0\x9f\x98\x80", 1), /* an emoji */
	UTF8_CASE("\xf4\x8f\xbf\xbf", 1), /* U+10FFFF */
	UTF8_CASE("\x80", 0),
	UTF8_CASE("\xbf", 0),
	UTF8_CASE("\xc0\x80", 0), /* overlong NUL */
	UTF8_CASE("\xc1\xbf", 0),
	UTF8_CASE("\xe0\x80\x80", 0),
	UTF8_CASE("\xe0\x9f\xbf", 0),
	UTF8_CASE("\xed\xa0\x80", 0), /* U+D800 */
	UTF8_CASE("\xed\xbf\xbf", 0), /* U+DFFF */
	UTF8_CASE("\xf0\x80\x80\x80", 0),
	UTF8_CASE("\xf0\x8f\xbf\xbf", 0),
	UTF8_CASE("\xf4\x90\x80\x80", 0), /* U+110000 */
	UTF8_CASE("\xf5\x80\x80\x80", 0),
	UTF8_CASE("\xf8\x88\x80\x80\x80", 0),
	UTF8_CASE("\xfe", 0),
	UTF8_CASE("\xff", 0),
	UTF8_CASE("\xc2", 0), /* cut short */
	UTF8_CASE("\xe2\x82", 0),
	UTF8_CASE("\xf0\x9f\x98", 0),
	UTF8_CASE("\xc2\x41", 0),
	UTF8_CASE("\xe2\x28\xa1", 0),
	UTF8_CASE("ok\xe2\x82\xac\x80", 0),
};

#define UTF8_NCASES (sizeof(utf8_cases) / sizeof(utf8_cases[0]))

#endif
