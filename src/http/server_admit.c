/*
 * server_admit.c — what a request must pass before its handler runs, in
 * order: path sanity, CORS preflight, rate limit, bearer token (a refusal
 * is audited), the role the route needs (a refusal is audited too),
 * route, body size (under the route's cap) and type; then the JSON body.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http/hub.h"
#include "http/metrics.h"
#include "http/denials.h"
#include "http/ratelimit.h"
#include "http/server.h"
#include "http/server_int.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "security/auth.h"
#include "security/tokens.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"
#include "util/xalloc.h"

static int
http_origin_allowed(const char *origin)
{
	size_t i;
	int ok = 0;

	pthread_mutex_lock(&http.lock);
	for (i = 0; i < json_array_size(http.cors); i++) {
		const char *o = json_string_value(json_array_get(http.cors, i));

		if (o != NULL &&
		    (strcmp(o, "*") == 0 || strcmp(o, origin) == 0))
			ok = 1;
	}
	pthread_mutex_unlock(&http.lock);
	return ok;
}

_Static_assert((int)ROLE_VIEWER == (int)AUTH_ROLE_VIEWER &&
	(int)ROLE_OPERATOR == (int)AUTH_ROLE_OPERATOR &&
	(int)ROLE_ADMIN == (int)AUTH_ROLE_ADMIN,
    "route roles and auth roles are one scale");

/*
 * Whether the request carries an accepted credential: 1 (r->identity
 * filled), 0, or AUTH_EXPIRED (a table token expired or revoked; the
 * identity names it).
 */
static int
http_authorized(struct http_req *r, int ticket_ok)
{
	const char *h, *token, *ticket;
	char *extra;
	int ok;

	if ((h = http_header(r, "Authorization")) != NULL &&
	    (token = auth_bearer(h)) != NULL) {
		pthread_mutex_lock(&http.lock);
		extra = http.api_key != NULL ? xstrdup(http.api_key) : NULL;
		pthread_mutex_unlock(&http.lock);
		ok = auth_check(db_get(), token, extra, &r->identity);
		if (extra != NULL) {
			explicit_bzero(extra, strlen(extra));
			free(extra);
		}
		if (ok == AUTH_OK)
			return r->trusted = 1;
		if (ok == AUTH_EXPIRED)
			return AUTH_EXPIRED;
	}
	if (ticket_ok && (ticket = http_query(r, "ticket")) != NULL)
		return r->trusted = auth_ticket_use(ticket, time_mono_ms(),
			   &r->identity);
	return 0;
}

/*
 * A refused credential goes into the audit log (never the credential):
 * the first from an address at once, the ones after it in the same
 * window (denials.h) as one row with their count when the window ends.
 */
static void
http_audit_denied(struct http_req *r, int expired)
{
	char actor[96];
	struct denial ended;
	int first = 1, nended = 0;
	json_t *d;

	pthread_mutex_lock(&http.lock);
	if (http.denials != NULL)
		first = denials_note(http.denials, r->client, r->path,
		    time_mono_ms(), &ended, &nended);
	pthread_mutex_unlock(&http.lock);
	if (nended)
		http_audit_denials(&ended, 1);
	if (!first)
		return;
	d = json_pack("{s:s, s:s, s:b, s:i, s:i}", "method", r->method,
	    "reason", "missing or invalid token", "bearer_sent",
	    http_header(r, "Authorization") != NULL ||
		http_query(r, "ticket") != NULL,
	    "count", 1, "window_secs", HTTP_DENIAL_WINDOW_MS / 1000);
	if (expired) {
		/* Never the credential: the name of the token it was. */
		json_object_set_new(d, "op", json_string("expired_use"));
		json_object_set_new(d, "name", json_string(r->identity.name));
		json_object_set_new(d, "reason",
		    json_string("expired or revoked token"));
	}
	snprintf(actor, sizeof actor, "client:%s", r->client);
	audit_note(db_get(), actor, AUDIT_AUTH, r->path, d);
	json_decref(d);
}

/*
 * A role too low for the route goes into the audit log as access_denied
 * (actor the identity, resource the path): the first of an identity at
 * once, the rest of its window as one row with their count.
 */
static void
http_audit_forbidden(struct http_req *r, int needed)
{
	struct denial ended;
	int first = 1, nended = 0;
	json_t *d;

	pthread_mutex_lock(&http.lock);
	if (http.forbids != NULL)
		first = denials_note(http.forbids, r->identity.actor, r->path,
		    time_mono_ms(), &ended, &nended);
	pthread_mutex_unlock(&http.lock);
	if (nended)
		http_audit_forbids(&ended, 1);
	if (!first)
		return;
	d = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "method", r->method,
	    "reason", "role too low", "needed", tokens_role_name(needed),
	    "role", tokens_role_name(r->identity.role), "count", 1,
	    "window_secs", HTTP_DENIAL_WINDOW_MS / 1000);
	audit_note(db_get(), r->identity.actor, AUDIT_ACCESS_DENIED, r->path,
	    d);
	json_decref(d);
}

void
http_audit_forbids(const struct denial *den, size_t n)
{
	size_t i;
	json_t *d;

	for (i = 0; i < n; i++) {
		d = json_pack("{s:s, s:I, s:i, s:b, s:I}", "reason",
		    "role too low", "count", (json_int_t)den[i].count,
		    "window_secs", HTTP_DENIAL_WINDOW_MS / 1000, "summary", 1,
		    "span_ms", (json_int_t)(den[i].last_ms - den[i].first_ms));
		audit_note(db_get(), den[i].addr, AUDIT_ACCESS_DENIED,
		    den[i].path, d);
		json_decref(d);
	}
}

/* The role route `rt` needs: ROLE_UNSET counts as admin. */
static int
http_role_needed(const struct route *rt)
{
	return rt->role == ROLE_UNSET ? ROLE_ADMIN : rt->role;
}

void
http_audit_denials(const struct denial *den, size_t n)
{
	char actor[96];
	size_t i;
	json_t *d;

	for (i = 0; i < n; i++) {
		d = json_pack("{s:s, s:I, s:i, s:b, s:I}", "reason",
		    "missing or invalid token", "count",
		    (json_int_t)den[i].count, "window_secs",
		    HTTP_DENIAL_WINDOW_MS / 1000, "summary", 1, "span_ms",
		    (json_int_t)(den[i].last_ms - den[i].first_ms));
		snprintf(actor, sizeof actor, "client:%s", den[i].addr);
		audit_note(db_get(), actor, AUDIT_AUTH, den[i].path, d);
		json_decref(d);
	}
}

static int
http_is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	if (strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Decide what to do with a request once its headers are in.  Returns 1
 * when an answer is ready (r->status set), 0 to read the body. */
int
http_admit(struct http_req *r)
{
	const char *origin, *cl, *ct;
	char allow[64];
	const char *method = r->method;
	int code, secs, authed, needed;
	unsigned long long len;

	if ((origin = http_header(r, "Origin")) != NULL &&
	    strlen(origin) < sizeof r->origin && http_origin_allowed(origin)) {
		r->origin_ok = 1;
		snprintf(r->origin, sizeof r->origin, "%s", origin);
	}
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	code = router_match(http.routes, method, r->path, &r->match, allow,
	    sizeof allow);
	/* The route is known before the body is read: its cap applies. */
	pthread_mutex_lock(&http.lock);
	r->max_body =
	    route_max_body(code == 200 ? r->match.route : NULL, http.max_body);
	pthread_mutex_unlock(&http.lock);
	if (strcmp(r->method, "OPTIONS") == 0 && origin != NULL) {
		if (!r->origin_ok || code == 404)
			return http_error(r, 403, "cors", "origin not allowed"),
			       1;
		r->status = 204;
		r->text = xstrdup("");
		return 1;
	}
	if (code == 400)
		return http_error(r, 400, "bad_path",
			   "the path must be absolute and printable"),
		       1;
	if (code == 414)
		return http_error(r, 414, "path_too_long",
			   "the path is longer than %d bytes", ROUTER_MAX_PATH),
		       1;

	/* Liveness probes are never rate limited. */
	if (strcmp(r->path, "/health") != 0 &&
	    strcmp(r->path, "/health/ready") != 0 &&
	    ratelimit_take(http.rl, r->client, time_mono_ms(), &secs) != 0) {
		pthread_mutex_lock(&http.lock);
		http.rate_limited++;
		pthread_mutex_unlock(&http.lock);
		snprintf(r->retry_after, sizeof r->retry_after, "%d", secs);
		http_error(r, 429, "rate_limited",
		    "too many requests; retry in %d s", secs);
		json_object_set_new(json_object_get(r->json, "error"),
		    "retry_after", json_integer(secs));
		return 1;
	}
	if (strncmp(r->path, "/api/", 5) == 0 &&
	    !(code == 200 && (r->match.route->flags & ROUTE_PUBLIC)) &&
	    (authed = http_authorized(r,
		 code == 200 && (r->match.route->flags & ROUTE_TICKET))) != 1) {
		pthread_mutex_lock(&http.lock);
		http.auth_failures++;
		pthread_mutex_unlock(&http.lock);
		http_audit_denied(r, authed == AUTH_EXPIRED);
		memset(&r->identity, 0, sizeof r->identity);
		return http_error(r, 401, "unauthorized",
			   "a valid token is needed: Authorization: Bearer <token> "
			   "(see: oxios token)"),
		       1;
	}
	/* The one place a route's role is enforced. */
	if (strncmp(r->path, "/api/", 5) == 0 && code == 200 &&
	    !(r->match.route->flags & ROUTE_PUBLIC) &&
	    r->identity.role < (needed = http_role_needed(r->match.route))) {
		http_audit_forbidden(r, needed);
		http_error(r, 403, "forbidden",
		    "this needs the %s role; the token '%s' is %s",
		    tokens_role_name(needed), r->identity.name,
		    tokens_role_name(r->identity.role) != NULL ?
			tokens_role_name(r->identity.role) :
			"without a role");
		json_object_set_new(json_object_get(r->json, "error"), "needed",
		    json_string(tokens_role_name(needed)));
		json_object_set_new(json_object_get(r->json, "error"), "role",
		    r->identity.role != AUTH_ROLE_NONE ?
			json_string(tokens_role_name(r->identity.role)) :
			json_null());
		return 1;
	}
	if (code == 404)
		return http_error(r, 404, "not_found", "no route %s", r->path),
		       1;
	if (code == 405) {
		http_error(r, 405, "method_not_allowed",
		    "%s is not allowed here; allowed: %s", r->method, allow);
		json_object_set_new(r->json, "allow", json_string(allow));
		return 1;
	}
	if ((cl = http_header(r, "Content-Length")) != NULL) {
		len = strtoull(cl, NULL, 10);
		if (len > r->max_body)
			return http_error(r, 413, "body_too_large",
				   "the body is %llu bytes; at most %zu are accepted",
				   len, r->max_body),
			       1;
		if (len > 0 && (r->match.route->flags & ROUTE_BODY) &&
		    !http_is_json_type(ct = http_header(r, "Content-Type")))
			return http_error(r, 415, "unsupported_media_type",
				   "the body must be application/json, not %s",
				   ct != NULL ? ct : "untyped"),
			       1;
	}
	return 0;
}

/* Whether a body follows the headers. */
int
http_has_body(struct http_req *r)
{
	const char *cl = http_header(r, "Content-Length");

	if (http_header(r, "Transfer-Encoding") != NULL)
		return 1;
	return cl != NULL && strtoull(cl, NULL, 10) > 0;
}

/* The body is in: parse it. */
int
http_parse_body(struct http_req *r)
{
	json_error_t err;
	const char *ct;

	if (r->body_too_big)
		return http_error(r, 413, "body_too_large",
			   "the body is larger than %zu bytes", r->max_body),
		       1;
	if (r->upload == NULL || r->upload->len == 0)
		return 0;
	if (!(r->match.route->flags & ROUTE_BODY))
		return 0; /* ignored */
	if (!http_is_json_type(ct = http_header(r, "Content-Type")))
		return http_error(r, 415, "unsupported_media_type",
			   "the body must be application/json, not %s",
			   ct != NULL ? ct : "untyped"),
		       1;
	r->body = json_loadb(r->upload->data, r->upload->len,
	    JSON_REJECT_DUPLICATES, &err);
	if (r->body == NULL) {
		http_error(r, 400, "invalid_json",
		    "invalid JSON at line %d, column %d (byte %d): %s",
		    err.line, err.column, err.position, err.text);
		json_object_set_new(json_object_get(r->json, "error"),
		    "position", json_integer(err.position));
		return 1;
	}
	return 0;
}
