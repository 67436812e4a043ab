/*
 * api_web.c — the dashboard: its embedded files (http/assets.h) at / and
 * /assets/..., with their security headers, and the redemption of the
 * one-time sign-in link (security/signin.h).
 *
 * These routes are public: the page holds no secret, and the calls it
 * makes to /api/... carry the token.  Every file is answered with its
 * ETag and Cache-Control: no-cache (a browser revalidates, and gets a 304
 * while the file is unchanged), and a Content-Security-Policy that lets
 * the page load and connect to its own origin only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "http/assets.h"
#include "security/audit.h"
#include "security/signin.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

#define WEB_CSP \
	"default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; font-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'; " \
	"connect-src 'self'"

/* Whether a Host header is a plain host[:port] (safe inside a header). */
static int
web_host_ok(const char *host)
{
	size_t n;

	if (host == NULL || (n = strlen(host)) == 0 || n > 255)
		return 0;
	return strspn(host,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-:[]") == n;
}

/* The policy: connect-src also names the WebSocket of this host (older
 * browsers do not count ws: as 'self'). */
static void
web_csp(struct http_req *r)
{
	const char *host = http_header(r, "Host");
	char *csp;

	if (web_host_ok(host))
		xasprintf(&csp, "%s ws://%s wss://%s", WEB_CSP, host, host);
	else
		csp = xstrdup(WEB_CSP);
	http_add_header(r, "Content-Security-Policy", csp);
	free(csp);
}

static int
web_serve(struct http_req *r, const char *path)
{
	const struct asset *a = assets_find(path);

	if (a == NULL)
		return http_error(r, 404, "not_found", "no file %.200s", path);
	http_add_header(r, "ETag", a->etag);
	http_add_header(r, "Cache-Control", "no-cache");
	http_add_header(r, "Referrer-Policy", "no-referrer");
	http_add_header(r, "X-Frame-Options", "DENY");
	web_csp(r);
	r->content_type = a->type;
	if (assets_etag_match(http_header(r, "If-None-Match"), a->etag)) {
		r->status = 304;
		r->text = xstrdup("");
		r->text_len = 0;
		return 0;
	}
	r->status = 200;
	r->text = xmalloc(a->len + 1);
	memcpy(r->text, a->data, a->len);
	r->text[a->len] = '\0';
	r->text_len = a->len;
	return 0;
}

static int
api_web_index(struct http_req *r)
{
	return web_serve(r, "index.html");
}

static int
api_web_asset(struct http_req *r)
{
	return web_serve(r, route_param(&r->match, "path"));
}

static int
api_web_signin(struct http_req *r)
{
	char token[AUTH_TOKEN_LEN + 1], actor[96];
	const char *code, *why;
	int bad = 0;
	json_t *d;

	code = api_body_str(r->body, "code", &bad);
	if (bad || code == NULL)
		return http_error(r, 400, "bad_request",
		    "the body must be {\"code\": \"...\"}, the code of the "
		    "sign-in link");
	if (signin_redeem(code, time_wall_ms() / 1000, token, &why)) {
		http_json(r, 200, json_pack("{s:s}", "token", token));
		sodium_memzero(token, sizeof token);
		return 0;
	}
	d = json_pack("{s:s, s:s}", "reason", "sign-in link refused", "why",
	    why);
	snprintf(actor, sizeof actor, "client:%s", r->client);
	audit_note(db_get(), actor, AUDIT_AUTH, r->path, d);
	json_decref(d);
	return http_error(r, 401, "signin_refused",
	    "this sign-in link cannot be used (%s): a link works once, for "
	    "%d minutes; sign in with the API token instead (a new one: "
	    "oxios token rotate)",
	    why, SIGNIN_TTL_SECS / 60);
}

const struct route api_web_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/",
	    .handler = api_web_index,
	    .flags = ROUTE_PUBLIC,
	    .tag = "dashboard",
	    .summary = "The dashboard's page (docs/dashboard.md); ETag, "
		       "If-None-Match gives 304.",
	    .response = "text/html",
	},
	{
	    .method = "GET",
	    .pattern = "/assets/{path*}",
	    .handler = api_web_asset,
	    .flags = ROUTE_PUBLIC,
	    .tag = "dashboard",
	    .summary = "The dashboard's files (web/, embedded at build); "
		       "ETag, If-None-Match gives 304; 404 for others.",
	    .response = "the file, with its Content-Type",
	},
	{
	    .method = "POST",
	    .pattern = "/api/signin",
	    .handler = api_web_signin,
	    .flags = ROUTE_PUBLIC | ROUTE_BODY,
	    .max_body = 4096,
	    .tag = "dashboard",
	    .summary = "Redeem the one-time sign-in link that `oxios start` "
		       "prints on a fresh install (once, within 10 minutes; "
		       "401 otherwise).",
	    .request = "{code}",
	    .response = "{token}",
	},
	{ .method = NULL },
};
