/*
 * fuzz_verify.c — libFuzzer harness for the parsers of a criterion's
 * mechanical checks (ouroboros/verify.h), which read what a model wrote:
 * ouro_verify_words() (a verify_command split into words) and
 * ouro_verify_assert() (an assertion against an output).  The input is a
 * command, a NUL byte, an assertion, a NUL byte, and an output (the
 * rest, NULs and all).  Invariants checked (abort() when one breaks):
 *   - words: NULL with a cause, or n >= 1 words, NULL-terminated, holding
 *     no more bytes than the command; each word single-quoted the shell
 *     way and joined with blanks splits back to the same words;
 *   - an assertion answers -1, 0 or 1, with a reason exactly when not 1,
 *     the same twice; a plain substring (not /.../ nor /.../i) holds
 *     exactly when memmem() finds it;
 *   - ouro_verify_check() refuses the assertion exactly when it is
 *     malformed (-1 against an empty output), and refuses one without a
 *     command.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/verify.h"
#include "util/buf.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void __attribute__((noreturn)) fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_verify: invariant broken: %s\n", what);
	abort();
}

static void
fuzz_words(const char *cmd)
{
	char **w, **w2, *cause = NULL;
	size_t n, n2, i, total = 0;
	struct buf b;
	const char *p;

	if ((w = ouro_verify_words(cmd, &n, &cause)) == NULL) {
		if (cause == NULL)
			fuzz_die("words refused without a cause");
		free(cause);
		return;
	}
	if (n == 0 || w[n] != NULL)
		fuzz_die("words: count or terminator");
	buf_init(&b, BUF_NOCAP);
	for (i = 0; i < n; i++) {
		total += strlen(w[i]);
		if (i > 0)
			buf_addc(&b, ' ');
		buf_addc(&b, '\'');
		for (p = w[i]; *p != '\0'; p++) {
			if (*p == '\'')
				buf_adds(&b, "'\\''");
			else
				buf_addc(&b, *p);
		}
		buf_addc(&b, '\'');
	}
	if (total > strlen(cmd))
		fuzz_die("words hold more than the command");
	if ((w2 = ouro_verify_words(buf_str(&b), &n2, &cause)) == NULL)
		fuzz_die("quoted words do not split");
	if (n2 != n)
		fuzz_die("quoted words split to another count");
	for (i = 0; i < n; i++)
		if (strcmp(w[i], w2[i]) != 0)
			fuzz_die("quoted words split to other words");
	buf_free(&b);
	ouro_verify_words_free(w);
	ouro_verify_words_free(w2);
}

static int
fuzz_is_regex(const char *a)
{
	size_t len = strlen(a);

	return (len >= 2 && a[0] == '/' && a[len - 1] == '/') ||
	    (len >= 3 && a[0] == '/' && a[len - 2] == '/' && a[len - 1] == 'i');
}

static void
fuzz_assert(const char *a, const char *out, size_t len)
{
	char *why = NULL, *why2 = NULL, *cause = NULL;
	int rc, rc2, chk, bad;

	rc = ouro_verify_assert(a, out, len, &why);
	if (rc < -1 || rc > 1 || (rc == 1) != (why == NULL))
		fuzz_die("assert: answer or reason");
	rc2 = ouro_verify_assert(a, out, len, &why2);
	if (rc2 != rc)
		fuzz_die("assert: another answer the second time");
	if (*a != '\0' && strcmp(a, "/") != 0 && !fuzz_is_regex(a) &&
	    rc != (memmem(out, len, a, strlen(a)) != NULL))
		fuzz_die("substring disagrees with memmem");
	free(why);
	free(why2);
	why = NULL;
	bad = ouro_verify_assert(a, "", 0, &why) == -1;
	free(why);
	chk = ouro_verify_check("true", NULL, 0, a, &cause);
	if ((chk == -1) != bad)
		fuzz_die("check disagrees with the assertion's form");
	free(cause);
	cause = NULL;
	if (ouro_verify_check(NULL, NULL, 0, a, &cause) != -1)
		fuzz_die("an assertion without a command was accepted");
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nul1, *nul2;
	char *cmd, *a;

	if ((nul1 = memchr(s, '\0', size)) == NULL)
		return 0;
	if ((nul2 = memchr(nul1 + 1, '\0', size - (size_t)(nul1 + 1 - s))) ==
	    NULL)
		return 0;
	cmd = xstrndup(s, (size_t)(nul1 - s));
	a = xstrndup(nul1 + 1, (size_t)(nul2 - nul1 - 1));
	fuzz_words(cmd);
	fuzz_assert(a, nul2 + 1, size - (size_t)(nul2 + 1 - s));
	free(cmd);
	free(a);
	return 0;
}
