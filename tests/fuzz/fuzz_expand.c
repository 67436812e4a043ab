/*
 * fuzz_expand.c — the model's answer to a query expansion
 * (expand_parse() in memory/expand.h), outside input.
 *
 * The input is the answer; its first line, if there is a NUL byte before
 * it, is none.  Invariants: on success the words are at most
 * EXPAND_MAX_TERMS, each 2..EXPAND_MAX_TERM bytes of letters, digits
 * (ASCII lower case) and UTF-8 only, none repeated, none a word of the
 * query, joined by single spaces, valid UTF-8; on failure a reason and
 * an empty output; over EXPAND_MAX_ANSWER bytes always a failure.  The
 * answer is a heap copy of exactly its size, so a read past it is caught
 * by ASan.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory/expand.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_query = "indentation in C";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[EXPAND_TERMS_SIZE], *s, *p, *w, *save = NULL;
	char *words[EXPAND_MAX_TERMS];
	const char *why = NULL;
	int n = 0, rc;
	size_t i, k;

	if (size > 4 * EXPAND_MAX_ANSWER)
		return 0;
	s = malloc(size > 0 ? size : 1);
	memcpy(s, data, size);
	rc = expand_parse(s, size, fuzz_query, out, sizeof out, &why);
	free(s);
	if (rc != 0) {
		if (why == NULL || out[0] != '\0')
			abort();
		return 0;
	}
	if (size > EXPAND_MAX_ANSWER || out[0] == '\0' || out[0] == ' ')
		abort();
	k = strlen(out);
	if (out[k - 1] == ' ' || strstr(out, "  ") != NULL ||
	    !utf8_valid(out, k))
		abort();
	for (i = 0; i < k; i++) {
		unsigned char c = (unsigned char)out[i];

		if (!(c == ' ' || isdigit(c) || islower(c) || c >= 0x80))
			abort();
	}
	/* Split, then compare every pair. */
	p = strdup(out);
	for (w = strtok_r(p, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		size_t wl = strlen(w);

		if (wl < 2 || wl > EXPAND_MAX_TERM || n >= EXPAND_MAX_TERMS)
			abort();
		if (strcmp(w, "indentation") == 0 || strcmp(w, "in") == 0)
			abort();
		words[n++] = w;
	}
	for (i = 0; i < (size_t)n; i++)
		for (k = i + 1; k < (size_t)n; k++)
			if (strcmp(words[i], words[k]) == 0)
				abort();
	free(p);
	return 0;
}
