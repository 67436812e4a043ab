/*
 * assets.c — lookup in the embedded dashboard table and the If-None-Match
 * comparison; the table itself is generated (scripts/embed_web.py).
 */
#include <stdlib.h>
#include <string.h>

#include "http/assets.h"

static int
assets_cmp(const void *key, const void *elem)
{
	const struct asset *a = elem;

	return strcmp(key, a->path);
}

const struct asset *
assets_find(const char *path)
{
	if (path == NULL)
		return NULL;
	return bsearch(path, assets_table, assets_count, sizeof *assets_table,
	    assets_cmp);
}

int
assets_etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *start;
	size_t n, elen = strlen(etag);

	if (inm == NULL)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		start = p;
		if (*p != '"')
			return 0; /* not an entity tag: no match */
		p = strchr(p + 1, '"');
		if (p == NULL)
			return 0;
		p++;
		n = (size_t)(p - start);
		if (n == elen && memcmp(start, etag, n) == 0)
			return 1;
	}
	return 0;
}
