/*
 * fuzz_utf8.c — cutting at character boundaries.  The first byte of the
 * input is a limit (0..255), the rest the text.  Invariants: a cut is at
 * most the limit and the length, ends on a boundary, and no boundary lies
 * between it and the limit; a good text stays good once cut; the C string
 * form agrees with the one that takes a length up to the first NUL; the
 * longest good prefix is good and is all of the text exactly when the text
 * is good; fed in two pieces the decoder ends as fed whole; a cut to k
 * characters holds k of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_utf8_boundary(const char *s, size_t n, size_t i)
{
	return i == 0 || i == n || ((unsigned char)s[i] & 0xc0) != 0x80;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t n, max, cut, end, i, pre, zlen;
	uint32_t st;
	char *z;
	int good;

	if (size == 0)
		return 0;
	max = data[0];
	s = (const char *)data + 1;
	n = size - 1;
	good = utf8_valid(s, n);

	cut = utf8_cutn(s, n, max);
	end = max < n ? max : n;
	if (cut > end || !fuzz_utf8_boundary(s, n, cut))
		abort();
	for (i = cut + 1; i <= end; i++) {
		if (fuzz_utf8_boundary(s, n, i))
			abort();
	}
	if (good && !utf8_valid(s, cut))
		abort();

	z = xstrndup(s, n);
	zlen = strlen(z);
	if (utf8_cut(z, max) != utf8_cutn(z, zlen, max))
		abort();
	if (utf8_cut_chars(z, max) > zlen)
		abort();
	z[utf8_cut_chars(z, max)] = '\0';
	if (utf8_chars(z) > max)
		abort();
	free(z);

	pre = utf8_valid_prefix(s, n);
	if (pre > n || !utf8_valid(s, pre) || (pre == n) != good)
		abort();

	st = utf8_run(UTF8_ACCEPT, s, max < n ? max : n);
	st = utf8_run(st, s + end, n - end);
	if ((st == UTF8_ACCEPT) != good)
		abort();
	return 0;
}
