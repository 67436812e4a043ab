/*
 * utf8_ref.h — for the tests and fuzzers: a reference UTF-8 checker,
 * written the slow, obvious way (decode each character, check its value)
 * to hold util/utf8.c against.
 */
#ifndef OXIOS_TESTS_UTF8_REF_H
#define OXIOS_TESTS_UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

static inline int
utf8_ref_valid(const unsigned char *s, size_t n)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t i = 0, k, l;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			l = 2, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			l = 3, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			l = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (n - i < l)
			return 0;
		for (k = 1; k < l; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min[l] || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += l;
	}
	return 1;
}

#endif
