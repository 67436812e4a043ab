/*
 * fuzz_duration.c — the times of `--since` and `--expires`
 * (usage_since_parse(), usage_until_parse() in kernel/usage.h).
 *
 * The input is the text.  Invariants: both accept the same texts; a
 * relative one ("30d") moves with the clock, by exactly as much, and
 * lies ahead of it for `until` and as far behind it for `since`; an
 * absolute one does not move, and both give the same instant (since's
 * RFC 3339 text is until's time).  The text is a NUL-terminated copy, so
 * a read past it is caught by ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/usage.h"
#include "util/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1800000000000LL /* 2027-01-15: ahead of any limit back */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *cause = NULL, out[USAGE_SINCE_MAX], want[USAGE_SINCE_MAX];
	int64_t at, later;
	int ok_until, ok_since, relative;

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	ok_until = usage_until_parse(s, FUZZ_NOW, &at, &cause) == 0;
	if (!ok_until) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	ok_since = usage_since_parse(s, FUZZ_NOW, out, sizeof out, &cause) == 0;
	if (!ok_since) {
		if (cause == NULL)
			abort();
		free(cause);
		cause = NULL;
	}
	if (ok_until != ok_since)
		abort();
	if (ok_until) {
		if (usage_until_parse(s, FUZZ_NOW + 1000, &later, &cause) != 0)
			abort();
		relative = later != at;
		if (relative && (later - at != 1000 || at < FUZZ_NOW))
			abort();
		if (at < 0)
			abort();
		time_rfc3339(relative ? 2 * FUZZ_NOW - at : at, want,
		    sizeof want);
		if (strcmp(out, want) != 0)
			abort();
	}
	free(s);
	return 0;
}
