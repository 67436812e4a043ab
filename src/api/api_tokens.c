/*
 * api_tokens.c — who am I, and the API tokens with roles (tokens.h):
 * list, create (the token is in the answer once, never again), revoke.
 * Everything but whoami is for admins.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api/api.h"
#include "kernel/usage.h"
#include "security/tokens.h"
#include "util/time.h"

static int
api_whoami(struct http_req *r)
{
	char at[40];
	json_t *v;

	v = json_pack("{s:s, s:s}", "name", r->identity.name, "role",
	    tokens_role_name(r->identity.role));
	if (r->identity.expires_at != 0) {
		time_rfc3339(r->identity.expires_at, at, sizeof at);
		json_object_set_new(v, "expires_at", json_string(at));
	} else
		json_object_set_new(v, "expires_at", json_null());
	return http_json(r, 200, v);
}

static int
api_tokens_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((v = tokens_list(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "tokens", v));
}

static int
api_tokens_create(struct http_req *r)
{
	char token[AUTH_TOKEN_LEN + 1], *cause = NULL;
	const char *name, *role, *expires = NULL;
	int64_t at = 0;
	json_t *row = NULL, *e;
	sqlite3 *db;
	int rc;

	if (!json_is_object(r->body) ||
	    !json_is_string(json_object_get(r->body, "name")) ||
	    !json_is_string(json_object_get(r->body, "role")))
		return http_error(r, 400, "invalid_body",
		    "the body is {name, role, expires?}");
	name = json_string_value(json_object_get(r->body, "name"));
	role = json_string_value(json_object_get(r->body, "role"));
	if ((e = json_object_get(r->body, "expires")) != NULL &&
	    !json_is_null(e)) {
		if (!json_is_string(e))
			return http_error(r, 400, "invalid_expires",
			    "expires: a string (30d, 2027-01-01)");
		expires = json_string_value(e);
	}
	if (tokens_role_parse(role) == AUTH_ROLE_NONE)
		return http_error(r, 400, "invalid_role",
		    "role: viewer, operator or admin, not '%.32s'", role);
	if (!tokens_name_ok(name))
		return http_error(r, 400, "invalid_name",
		    "name: 1 to %d of A-Z a-z 0-9 . _ - (and not admin or "
		    "api_key)",
		    TOKENS_NAME_MAX);
	if (expires != NULL &&
	    usage_until_parse(expires, time_wall_ms(), &at, &cause) != 0) {
		http_error(r, 400, "invalid_expires", "expires: %s", cause);
		free(cause);
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	rc = tokens_create(db, name, tokens_role_parse(role), at, api_actor(r),
	    token, &row, &cause);
	if (rc != 0) {
		/* A taken name or a past expiry is the caller's. */
		if (strstr(cause, "exists") != NULL ||
		    strstr(cause, "passed") != NULL) {
			http_error(r,
			    strstr(cause, "exists") != NULL ? 409 : 400,
			    strstr(cause, "exists") != NULL ? "exists" :
							      "invalid_expires",
			    "%s", cause);
			free(cause);
			return 0;
		}
		return api_fail(r, cause);
	}
	json_object_set_new(row, "token", json_string(token));
	sodium_memzero(token, sizeof token);
	return http_json(r, 201, row);
}

static int
api_tokens_delete(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;
	int rc;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((rc = tokens_revoke(db, id, api_actor(r), &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "not_found", "no live token '%.64s'",
		    id);
	return http_json(r, 200,
	    json_pack("{s:s, s:b}", "id", id, "revoked", 1));
}

const struct route api_tokens_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/whoami",
	    .role = ROLE_VIEWER,
	    .handler = api_whoami,
	    .tag = "tokens",
	    .summary = "Who the request's credential speaks for: the admin "
		       "token (\"admin\"), gateway.api_key (\"api_key\") or "
		       "a token's name, with its role.",
	    .response = "{name, role, expires_at}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/tokens",
	    .role = ROLE_ADMIN,
	    .handler = api_tokens_list,
	    .tag = "tokens",
	    .summary = "The API tokens with roles, newest first (never the "
		       "tokens themselves).",
	    .response = "{tokens: [{id, name, role, created_at, created_by, "
			"expires_at, revoked_at, last_used_at, state}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/tokens",
	    .role = ROLE_ADMIN,
	    .flags = ROUTE_BODY,
	    .max_body = 4096,
	    .handler = api_tokens_create,
	    .tag = "tokens",
	    .summary = "Make a token: the answer holds it, the only time it "
		       "is shown.  expires: a time ahead (24h, 30d) or an "
		       "RFC 3339 time; none: never.  409 on a taken name.",
	    .request = "{name, role: viewer|operator|admin, expires?}",
	    .response = "201 {id, name, role, token, expires_at, ...}",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/tokens/{id}",
	    .role = ROLE_ADMIN,
	    .handler = api_tokens_delete,
	    .tag = "tokens",
	    .summary = "Revoke a token (by id or name): it stops working at "
		       "once.  404 if there is no live one.",
	    .response = "{id, revoked: true}",
	},
	{ .method = NULL },
};
