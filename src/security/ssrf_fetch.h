/*
 * ssrf_fetch.h — the guarded outbound HTTP request, for every caller that
 * fetches a URL which came from outside (a model, a user, a peer): the
 * browser, MCP over HTTP, A2A, webhooks.
 *
 * The URL is split by curl's own parser (so what is checked is what curl
 * connects to); http and https only.  Its host is checked and resolved
 * once (ssrf_check_host()), and curl is pinned to that address: the name
 * is pre-resolved (CURLOPT_RESOLVE) and any socket to another address is
 * refused (CURLOPT_OPENSOCKETFUNCTION).  Redirects are followed by hand,
 * each re-resolved and re-checked; proxies from the environment are
 * ignored (a proxy would connect for us, past the check); the body and
 * the time are capped.
 */
#ifndef OXIOS_SECURITY_SSRF_FETCH_H
#define OXIOS_SECURITY_SSRF_FETCH_H

#include <stddef.h>

#include "config/config.h"
#include "security/ssrf.h"

struct ssrf_fetch_opts {
	const struct ssrf_allow *allow; /* may be NULL: public only */
	int max_redirects;              /* security.ssrf_max_redirects */
	size_t max_bytes;               /* security.ssrf_max_bytes */
	long timeout_secs;              /* security.ssrf_timeout_secs */
};

struct ssrf_fetch_result {
	long status;        /* the last response's HTTP status, or 0 */
	char *final_url;    /* the URL of the last request */
	char *content_type; /* or NULL */
	char *body;         /* NUL-terminated (at most max_bytes kept) */
	size_t len;
	int redirects; /* redirects followed */
};

/*
 * The options from the configuration; *allow is the parsed allow list
 * the options point to (free with ssrf_allow_free() after the last use).
 * Returns 0, or -1 with *cause (a bad allow entry; caller frees).
 */
int ssrf_fetch_config(const struct config *cfg, struct ssrf_fetch_opts *o,
    struct ssrf_allow **allow, char **cause);

/*
 * Split `url` with curl's parser and check its host and port (the
 * scheme's default when none is given).  For URLs a caller stores for
 * later, e.g. a provider's base_url set over the API.  Returns 0, or -1
 * with *why (caller frees).
 */
int ssrf_check_url(const char *url, const struct ssrf_allow *allow, char **why);

/*
 * GET `url` under the guard.  Returns 0 with *res (any HTTP status: the
 * caller judges it), or -1 with *why (caller frees): refused, failed,
 * too many redirects, too large, too slow; *res then holds what was got
 * so far.  Either way free *res with ssrf_fetch_result_free().
 */
int ssrf_fetch(const char *url, const struct ssrf_fetch_opts *o,
    struct ssrf_fetch_result *res, char **why);
void ssrf_fetch_result_free(struct ssrf_fetch_result *res);

#endif
