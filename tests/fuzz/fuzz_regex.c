/*
 * fuzz_regex.c — libFuzzer harness for regex_compile() and regex_match().
 * The input is a flags byte (bit 0: REGEX_ICASE), a pattern, a NUL byte,
 * and a subject (the rest, NULs and all).  Invariants checked (abort()
 * when one breaks):
 *   - a refused pattern has a cause, and no regex; a pattern over
 *     REGEX_MAX_PATTERN bytes is refused;
 *   - a compiled program holds at most REGEX_MAX_PROG instructions;
 *   - matching answers 0 or 1, the same twice, and the same within a
 *     budget of 2 * (len + 1) * size, which it never runs out of (linear
 *     time), spending what it says;
 *   - a pattern without anchors or backslashes that matches the subject
 *     also matches it with text around it;
 *   - where glibc reads the pattern alike (ASCII, no anchors, no
 *     backslash, no range when case is ignored, a small program) and can
 *     compile it without exhausting its stack (its regcomp() recurses
 *     once per epsilon step: at most 48 bytes and no counted repeat,
 *     which test_regex.c compares on seeded patterns instead), and the
 *     subject is ASCII, regexec() in C.UTF-8 gives the same answer
 *     (test_regex.c says why the rest is left out).
 */
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regex.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_regex: invariant broken: %s\n", what);
	abort();
}

/* Whether every byte of s[0..n) is ASCII, and none is a NUL. */
static int
fuzz_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			return 0;
	return 1;
}

/* Whether pat holds a backslash, or ^ or $ other than [^. */
static int
fuzz_anchored(const char *pat)
{
	size_t i;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] == '\\' || pat[i] == '$')
			return 1;
		if (pat[i] == '^' && (i == 0 || pat[i - 1] != '['))
			return 1;
	}
	return 0;
}

/* glibc's answer in C.UTF-8, or -1 if it refuses the pattern. */
static int
fuzz_glibc(const char *pat, int icase, const char *s)
{
	static locale_t utf8;
	locale_t old;
	regex_t ref;
	int rc = -1;

	if (utf8 == (locale_t)0 &&
	    (utf8 = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0)) ==
		(locale_t)0)
		return -1;
	old = uselocale(utf8);
	if (regcomp(&ref, pat,
		REG_EXTENDED | REG_NEWLINE | REG_NOSUB |
		    (icase ? REG_ICASE : 0)) == 0) {
		rc = regexec(&ref, s, 0, NULL, 0) == 0;
		regfree(&ref);
	}
	uselocale(old);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct regex *re = NULL;
	const char *nul, *s;
	char *pat, *cause = NULL, *wide, *z;
	uint64_t budget, bound;
	size_t n, plen;
	int flags, m, g;

	if (size == 0)
		return 0;
	flags = data[0] & 1 ? REGEX_ICASE : 0;
	nul = memchr(data + 1, '\0', size - 1);
	plen = nul == NULL ? size - 1 : (size_t)(nul - (const char *)data - 1);
	pat = xstrndup((const char *)data + 1, plen);
	s = nul == NULL ? "" : nul + 1;
	n = nul == NULL ? 0 : size - 2 - plen;

	if (regex_compile(pat, flags, &re, &cause) == -1) {
		if (re != NULL || cause == NULL || *cause == '\0')
			fuzz_die("a refusal without a cause");
		free(cause);
		free(pat);
		return 0;
	}
	if (plen > REGEX_MAX_PATTERN)
		fuzz_die("a pattern over the length cap compiled");
	if (regex_size(re) > REGEX_MAX_PROG)
		fuzz_die("a program over the size cap");

	m = regex_match(re, s, n, NULL);
	if (m != 0 && m != 1)
		fuzz_die("an answer that is not 0 or 1");
	if (regex_match(re, s, n, NULL) != m)
		fuzz_die("two answers");
	bound = 2 * (uint64_t)(n + 1) * regex_size(re);
	budget = bound;
	if (regex_match(re, s, n, &budget) != m)
		fuzz_die("another answer within the budget of linear time");
	if (budget > bound)
		fuzz_die("a budget that grew");

	if (m == 1 && !fuzz_anchored(pat)) {
		wide = xmalloc(n + 8);
		memcpy(wide, "x\n_ ", 4);
		memcpy(wide + 4, s, n);
		memcpy(wide + 4 + n, " _\ny", 4);
		if (regex_match(re, wide, n + 8, NULL) != 1)
			fuzz_die("a match lost with text around the subject");
		free(wide);
	}

	/* glibc's REG_ICASE ranges are odd ([:-u] misses '['). */
	if (!fuzz_anchored(pat) && fuzz_ascii(pat, plen) &&
	    !(flags != 0 && strchr(pat, '-') != NULL) && fuzz_ascii(s, n) &&
	    regex_size(re) <= 200 && n <= 256 && plen <= 48 &&
	    strchr(pat, '{') == NULL) {
		z = xstrndup(s, n);
		g = fuzz_glibc(pat, flags != 0, z);
		if (g != -1 && g != m) {
			fprintf(stderr,
			    "pattern '%s' subject '%s': %d, glibc %d\n", pat, z,
			    m, g);
			fuzz_die("glibc answers otherwise");
		}
		free(z);
	}
	regex_free(re);
	free(pat);
	return 0;
}
