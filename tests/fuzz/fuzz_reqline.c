/*
 * fuzz_reqline.c — the first bytes of a request (reqline.h).
 *
 * Invariants: the verdict equals that of an independent reading of the
 * grammar (at most REQLINE_MAX_EMPTY empty lines, "\r\n" or "\n", then 1
 * to REQLINE_MAX_METHOD token characters and a space); it is MORE at
 * most for the first REQLINE_DECIDE - 1 bytes; once OK or BAD, every
 * longer prefix keeps it; MORE only when no prefix was decided.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/reqline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The grammar again, written out plainly: empty lines, then a method. */
static enum reqline_verdict
fuzz_reqline_model(const unsigned char *p, size_t n)
{
	size_t i = 0, lines = 0, m;

	while (lines <= REQLINE_MAX_EMPTY) {
		if (i < n && p[i] == '\n') {
			i++;
			lines++;
			continue;
		}
		if (i < n && p[i] == '\r') {
			if (i + 1 >= n)
				return REQLINE_MORE;
			if (p[i + 1] != '\n')
				return REQLINE_BAD;
			i += 2;
			lines++;
			continue;
		}
		break;
	}
	if (lines > REQLINE_MAX_EMPTY)
		return REQLINE_BAD;
	for (m = 0; m <= REQLINE_MAX_METHOD; m++) {
		unsigned char c;

		if (i + m >= n)
			return REQLINE_MORE;
		c = p[i + m];
		if (c == ' ')
			return m > 0 ? REQLINE_OK : REQLINE_BAD;
		if (m == REQLINE_MAX_METHOD)
			return REQLINE_BAD;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') ||
			(c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
			return REQLINE_BAD;
	}
	return REQLINE_BAD;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum reqline_verdict v, first = REQLINE_MORE;
	size_t k;

	for (k = 0; k <= size; k++) {
		v = reqline_check(data, k);
		if (v != fuzz_reqline_model(data, k))
			abort();
		if (v == REQLINE_MORE && k >= REQLINE_DECIDE)
			abort();
		if (first != REQLINE_MORE && v != first)
			abort();
		if (first == REQLINE_MORE)
			first = v;
	}
	return 0;
}
