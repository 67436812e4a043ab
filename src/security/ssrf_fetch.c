/*
 * ssrf_fetch.c — the guarded outbound request (see ssrf_fetch.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "llm/curl_dl.h"
#include "security/ssrf_fetch.h"
#include "util/buf.h"
#include "util/time.h"
#include "util/xalloc.h"

/* The address a transfer is pinned to, and what the socket hook saw. */
struct ssrf_pin {
	struct sockaddr_storage addr;
	int refused; /* curl asked for a socket to another address */
	char other[INET6_ADDRSTRLEN];
};

struct ssrf_body {
	struct buf b;
	int over; /* more came than the cap */
};

int
ssrf_fetch_config(const struct config *cfg, struct ssrf_fetch_opts *o,
    struct ssrf_allow **allow, char **cause)
{
	const json_t *list = config_get(cfg, "security.ssrf_allow");
	const char **entries;
	size_t i, n = json_array_size(list);
	int rc;

	entries = xcalloc(n + 1, sizeof *entries);
	for (i = 0; i < n; i++)
		entries[i] = json_string_value(json_array_get(list, i));
	rc = ssrf_allow_parse(entries, n, allow, cause);
	free(entries);
	if (rc != 0)
		return -1;
	memset(o, 0, sizeof *o);
	o->allow = *allow;
	o->max_redirects = (int)config_int(cfg, "security.ssrf_max_redirects");
	o->max_bytes = (size_t)config_int(cfg, "security.ssrf_max_bytes");
	o->timeout_secs = (long)config_int(cfg, "security.ssrf_timeout_secs");
	return 0;
}

/*
 * Split `url` with curl's parser: *host as curl has it ("[::1]" for
 * IPv6), *port (the scheme's default if none).  http and https only.
 * Returns 0, or -1 with *why (caller frees).
 */
static int
ssrf_url_split(const char *url, char **host, unsigned int *port, char **why)
{
	CURLU *u = NULL;
	char *scheme = NULL, *h = NULL, *p = NULL, *zone = NULL;
	const char *cwhy;
	int rc = -1;

	*host = NULL;
	if (curl_dl_load(&cwhy) != 0) {
		*why = xstrdup(cwhy);
		return -1;
	}
	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		xasprintf(why, "'%s' is not a URL", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") != 0 &&
		strcasecmp(scheme, "https") != 0)) {
		xasprintf(why, "'%s': only http and https URLs are fetched",
		    url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || *h == '\0') {
		xasprintf(why, "'%s' has no host", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
		xasprintf(why, "'%s': an IPv6 zone id is refused", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) !=
		CURLUE_OK ||
	    (*port = (unsigned int)strtoul(p, NULL, 10)) == 0 ||
	    *port > 65535) {
		xasprintf(why, "'%s' has no valid port", url);
		goto out;
	}
	*host = xstrdup(h);
	rc = 0;
out:
	curl_free(scheme);
	curl_free(h);
	curl_free(p);
	curl_free(zone);
	if (u != NULL)
		curl_url_cleanup(u);
	return rc;
}

int
ssrf_check_url(const char *url, const struct ssrf_allow *allow, char **why)
{
	struct sockaddr_storage addr;
	unsigned int port;
	char *host;
	int rc;

	if (ssrf_url_split(url, &host, &port, why) != 0)
		return -1;
	rc = ssrf_check_host(host, port, allow, &addr, why);
	free(host);
	return rc;
}

static int
ssrf_same_addr(const struct sockaddr *a, const struct sockaddr_storage *pin)
{
	const struct sockaddr_in *a4, *p4;
	const struct sockaddr_in6 *a6, *p6;

	if (a->sa_family != pin->ss_family)
		return 0;
	if (a->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)(const void *)a;
		p4 = (const struct sockaddr_in *)(const void *)pin;
		return a4->sin_addr.s_addr == p4->sin_addr.s_addr &&
		    a4->sin_port == p4->sin_port;
	}
	if (a->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)a;
		p6 = (const struct sockaddr_in6 *)(const void *)pin;
		return memcmp(&a6->sin6_addr, &p6->sin6_addr,
			   sizeof a6->sin6_addr) == 0 &&
		    a6->sin6_port == p6->sin6_port;
	}
	return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a socket to the checked address only. */
static curl_socket_t
ssrf_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct ssrf_pin *pin = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    !ssrf_same_addr(&a->addr, &pin->addr)) {
		pin->refused = 1;
		ssrf_addr_text(&a->addr, pin->other, sizeof pin->other);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t
ssrf_write(char *p, size_t size, size_t n, void *arg)
{
	struct ssrf_body *body = arg;
	size_t len = size * n, room = body->b.cap - body->b.len;

	if (len > room) {
		buf_add(&body->b, p, room);
		body->over = 1;
		return 0; /* CURLE_WRITE_ERROR ends the transfer */
	}
	buf_add(&body->b, p, len);
	return len;
}

/* One request to `url`, pinned to `addr`.  *location: a redirect. */
static int
ssrf_request(const char *url, const char *host, unsigned int port,
    const struct sockaddr_storage *addr, long timeout_ms,
    struct ssrf_body *body, struct ssrf_fetch_result *res, char **location,
    char **why)
{
	char errbuf[CURL_ERROR_SIZE] = "", text[INET6_ADDRSTRLEN], *resolve;
	struct curl_slist *pins = NULL;
	struct ssrf_pin pin;
	const char *s;
	CURLcode cc;
	CURL *c;
	int rc = -1;

	*location = NULL;
	memset(&pin, 0, sizeof pin);
	pin.addr = *addr;
	ssrf_addr_text((const struct sockaddr *)addr, text, sizeof text);
	/* The name resolves to the checked address, and only to it. */
	xasprintf(&resolve,
	    addr->ss_family == AF_INET6 ? "%s:%u:[%s]" : "%s:%u:%s", host, port,
	    text);
	pins = curl_slist_append(NULL, resolve);
	free(resolve);
	if (pins == NULL || (c = curl_easy_init()) == NULL) {
		curl_slist_free_all(pins);
		*why = xstrdup("curl cannot start a transfer");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, pins);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, ssrf_open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &pin);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* An environment proxy would connect for us, past the check. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->b.cap);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ssrf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "oxios");
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	s = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK &&
	    s != NULL) {
		free(res->content_type);
		res->content_type = xstrdup(s);
	}
	if (pin.refused)
		xasprintf(why,
		    "%s: curl tried to connect to %s, not the checked "
		    "address %s; refused",
		    url, pin.other, text);
	else if (body->over || cc == CURLE_FILESIZE_EXCEEDED)
		xasprintf(why,
		    "%s: the response is larger than %zu bytes "
		    "(security.ssrf_max_bytes); cut",
		    url, body->b.cap);
	else if (cc == CURLE_OPERATION_TIMEDOUT)
		xasprintf(why,
		    "%s: no complete response in time "
		    "(security.ssrf_timeout_secs)",
		    url);
	else if (cc != CURLE_OK)
		xasprintf(why, "%s: %s", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
	else {
		s = NULL;
		if ((res->status == 301 || res->status == 302 ||
			res->status == 303 || res->status == 307 ||
			res->status == 308) &&
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &s) ==
			CURLE_OK &&
		    s != NULL)
			*location = xstrdup(s);
		rc = 0;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(pins);
	return rc;
}

int
ssrf_fetch(const char *url, const struct ssrf_fetch_opts *o,
    struct ssrf_fetch_result *res, char **why)
{
	struct sockaddr_storage addr;
	struct ssrf_body body;
	uint64_t deadline;
	unsigned int port;
	char *cur, *host = NULL, *next;
	long left;
	int rc = -1;

	memset(res, 0, sizeof *res);
	memset(&body, 0, sizeof body);
	buf_init(&body.b, o->max_bytes);
	deadline = time_mono_ms() + (uint64_t)o->timeout_secs * 1000;
	cur = xstrdup(url);
	for (;;) {
		free(res->final_url);
		res->final_url = xstrdup(cur);
		free(host);
		host = NULL;
		if (ssrf_url_split(cur, &host, &port, why) != 0 ||
		    ssrf_check_host(host, port, o->allow, &addr, why) != 0)
			goto out;
		if ((left = (long)(deadline - time_mono_ms())) <= 0 ||
		    time_mono_ms() >= deadline) {
			xasprintf(why,
			    "%s: no complete response in time "
			    "(security.ssrf_timeout_secs)",
			    cur);
			goto out;
		}
		buf_reset(&body.b);
		if (ssrf_request(cur, host, port, &addr, left, &body, res,
			&next, why) != 0)
			goto out;
		if (next == NULL)
			break;
		if (res->redirects >= o->max_redirects) {
			xasprintf(why,
			    "%s: more than %d redirects "
			    "(security.ssrf_max_redirects); the next was %s",
			    url, o->max_redirects, next);
			free(next);
			goto out;
		}
		res->redirects++;
		free(cur);
		cur = next;
	}
	rc = 0;
out:
	res->len = body.b.len;
	res->body = buf_detach(&body.b);
	free(host);
	free(cur);
	return rc;
}

void
ssrf_fetch_result_free(struct ssrf_fetch_result *res)
{
	free(res->final_url);
	free(res->content_type);
	free(res->body);
	memset(res, 0, sizeof *res);
}
