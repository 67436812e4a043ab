/*
 * utf8.c — UTF-8 validation and cutting at character boundaries.
 *
 * The one place in Oxios that knows how UTF-8 is laid out: the WebSocket
 * parser validates text through utf8_run() as it arrives, and whatever
 * shortens text for people or for storage (tool output, log lines, audit
 * fields, terms of the embedder, close reasons) cuts it here.
 */
#include <string.h>

#include "util/utf8.h"

/*
 * Decoder states.  UTF8_ACCEPT is a character boundary; the next three
 * count the continuation bytes still wanted; the four after them restrict
 * the second byte of a sequence whose lead byte alone does not rule out an
 * overlong form, a surrogate or a code point past U+10FFFF.
 */
#define UTF8_NEED1 1
#define UTF8_NEED2 2
#define UTF8_NEED3 3
#define UTF8_E0 4 /* next in A0..BF: no overlong 3-byte form */
#define UTF8_ED 5 /* next in 80..9F: no surrogate */
#define UTF8_F0 6 /* next in 90..BF: no overlong 4-byte form */
#define UTF8_F4 7 /* next in 80..8F: not past U+10FFFF */

/* Whether c is a continuation byte (10xxxxxx). */
#define UTF8_CONT(c) (((unsigned char)(c)&0xc0) == 0x80)

static uint32_t
utf8_step(uint32_t st, unsigned char c)
{
	switch (st) {
	case UTF8_ACCEPT:
		if (c < 0x80)
			return UTF8_ACCEPT;
		if (c < 0xc2) /* a continuation byte, or C0/C1: overlong */
			return UTF8_REJECT;
		if (c < 0xe0)
			return UTF8_NEED1;
		if (c == 0xe0)
			return UTF8_E0;
		if (c == 0xed)
			return UTF8_ED;
		if (c < 0xf0)
			return UTF8_NEED2;
		if (c == 0xf0)
			return UTF8_F0;
		if (c < 0xf4)
			return UTF8_NEED3;
		if (c == 0xf4)
			return UTF8_F4;
		return UTF8_REJECT;
	case UTF8_NEED1:
	case UTF8_NEED2:
	case UTF8_NEED3:
		return c >= 0x80 && c <= 0xbf ? st - 1 : UTF8_REJECT;
	case UTF8_E0:
		return c >= 0xa0 && c <= 0xbf ? UTF8_NEED1 : UTF8_REJECT;
	case UTF8_ED:
		return c >= 0x80 && c <= 0x9f ? UTF8_NEED1 : UTF8_REJECT;
	case UTF8_F0:
		return c >= 0x90 && c <= 0xbf ? UTF8_NEED2 : UTF8_REJECT;
	case UTF8_F4:
		return c >= 0x80 && c <= 0x8f ? UTF8_NEED2 : UTF8_REJECT;
	default:
		return UTF8_REJECT;
	}
}

/* Stops at the first bad byte, so that the state says so at once. */
uint32_t
utf8_run(uint32_t st, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (st == UTF8_ACCEPT && p[i] < 0x80)
			continue;
		if ((st = utf8_step(st, p[i])) == UTF8_REJECT)
			break;
	}
	return st;
}

int
utf8_valid(const char *s, size_t n)
{
	return utf8_run(UTF8_ACCEPT, s, n) == UTF8_ACCEPT;
}

size_t
utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t st = UTF8_ACCEPT;
	size_t i, good = 0;

	for (i = 0; i < n; i++) {
		if ((st = utf8_step(st, p[i])) == UTF8_REJECT)
			break;
		if (st == UTF8_ACCEPT)
			good = i + 1;
	}
	return good;
}

size_t
utf8_cutn(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && UTF8_CONT(s[max]))
		max--;
	return max;
}

size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (s[n] == '\0')
		return n;
	return utf8_cutn(s, n + 1, max);
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += !UTF8_CONT(*s);
	return n;
}

size_t
utf8_cut_chars(const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (!UTF8_CONT(s[i]) && chars++ == max)
			return i;
	}
	return i;
}
