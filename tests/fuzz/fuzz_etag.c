/*
 * fuzz_etag.c — If-None-Match against an entity tag (assets.h).
 *
 * The input is the header's value.  Invariants, for the tag of a real
 * embedded file and for a short synthetic one: a match needs the tag's
 * bytes in the header (or a "*"); the tag alone, weak or strong, and any
 * well-formed list that ends with it match; the input made into a single
 * quoted tag matches exactly when it is the tag.  The header is a
 * NUL-terminated copy, so a read past it is caught by ASan.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/assets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_etag_check(const char *h, const char *etag)
{
	size_t n = strlen(h), elen = strlen(etag);
	char *buf;
	int m = assets_etag_match(h, etag);

	if (m && strstr(h, etag) == NULL && strchr(h, '*') == NULL)
		abort();
	/* The header as one quoted tag: quotes dropped, then quoted. */
	buf = malloc(n + 3);
	{
		size_t j = 0;

		buf[j++] = '"';
		for (size_t i = 0; i < n; i++)
			if (h[i] != '"')
				buf[j++] = h[i];
		buf[j++] = '"';
		buf[j] = '\0';
		if (assets_etag_match(buf, etag) !=
		    (j == elen && memcmp(buf, etag, elen) == 0))
			abort();
	}
	free(buf);
	/* A list of well-formed tags ending with ours matches. */
	if (strchr(h, '"') == NULL && strchr(h, '*') == NULL &&
	    strchr(h, ',') == NULL) {
		buf = malloc(n + elen + 16);
		strcpy(buf, "\"");
		strcat(buf, h);
		strcat(buf, "\", W/");
		strcat(buf, etag);
		if (!assets_etag_match(buf, etag))
			abort();
		free(buf);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *h;

	if (size > 4096)
		return 0;
	h = malloc(size + 1);
	memcpy(h, data, size);
	h[size] = '\0';
	if (strlen(h) == size) {
		fuzz_etag_check(h, assets_table[0].etag);
		fuzz_etag_check(h, "\"ab\"");
		char weak[64];

		snprintf(weak, sizeof weak, "W/%s", assets_table[0].etag);
		if (!assets_etag_match(assets_table[0].etag,
			assets_table[0].etag) ||
		    !assets_etag_match(weak, assets_table[0].etag))
			abort();
	}
	free(h);
	return 0;
}
