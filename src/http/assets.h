/*
 * assets.h — the dashboard's files (web/), embedded in the binary at build
 * time by scripts/embed_web.py, and what serving them needs: the lookup by
 * path and the If-None-Match check.
 *
 * The table is sorted by path (bytewise), so a lookup is a binary search.
 * An ETag is the quoted hex of a 128-bit BLAKE2b of the bytes: it changes
 * exactly when the file does.
 */
#ifndef OXIOS_HTTP_ASSETS_H
#define OXIOS_HTTP_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path; /* relative to web/: "index.html", "js/app.js" */
	const char *type; /* the Content-Type */
	const unsigned char *data;
	size_t len;
	const char *etag; /* "\"<32 hex>\"" */
};

/* The generated table (web_assets_gen.c), sorted by path. */
extern const struct asset assets_table[];
extern const size_t assets_count;

/* The asset at `path` (relative, no leading slash), or NULL. */
const struct asset *assets_find(const char *path);
/*
 * Whether an If-None-Match header value names `etag`: "*", or a list of
 * entity tags separated by commas, weak ones (W/"...") compared weakly
 * (RFC 9110 13.1.2).  0 for NULL.
 */
int assets_etag_match(const char *if_none_match, const char *etag);

#endif
