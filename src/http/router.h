/*
 * router.h — the HTTP route table as data, and matching against it.
 *
 * A pattern is a path whose segments are literals or parameters: "{id}"
 * matches one non-empty segment, "{path*}" (last only) matches the rest of
 * the path, slashes included, possibly empty.  Matching is exact on
 * literals; a path that matches some pattern under another method is a 405
 * (with the methods that would do, for Allow), none at all a 404.
 *
 * An API is a list of tables, one per resource file, each ended by a row
 * whose method is NULL; the list ends with NULL.  Tables are matched in
 * order, rows in order (a literal route before a parameter one that would
 * catch it: "/api/memory/stats" before "/api/memory/{id}").  The same
 * tables generate the OpenAPI document (x-oxios-role: the role an
 * operation needs) and docs/api.md (the Auth column).
 */
#ifndef OXIOS_HTTP_ROUTER_H
#define OXIOS_HTTP_ROUTER_H

#include <stddef.h>
#include <jansson.h>

#include "util/buf.h"

#define ROUTER_MAX_PARAMS 4
#define ROUTER_MAX_PATH 4096 /* longer request paths are refused (414) */

#define ROUTE_PUBLIC 0x01 /* no bearer token needed */
#define ROUTE_BODY 0x02   /* takes a JSON body */
#define ROUTE_STREAM 0x04 /* answers with a stream (SSE, WebSocket) */
#define ROUTE_TICKET 0x08 /* a WebSocket ticket will do for the token */

/*
 * The least role a token needs for a route (docs/security.md): a viewer
 * reads, an operator also runs agents and answers approvals, an admin
 * also changes config, budgets, permissions and tokens.  ROLE_UNSET on a
 * route that is not public counts as admin (fail closed).
 */
enum route_role {
	ROLE_UNSET,
	ROLE_VIEWER,
	ROLE_OPERATOR,
	ROLE_ADMIN,
};

struct http_req;

/* One route; rows are written with designated initializers. */
struct route {
	const char *method;  /* "GET", "POST", "PUT", "DELETE" */
	const char *pattern; /* "/api/agents/{id}" */
	int (*handler)(struct http_req *r);
	int flags; /* ROUTE_* */
	int role;  /* enum route_role */
	/*
	 * The largest body accepted, in bytes (413 beyond); 0 for the
	 * server's (gateway.max_body_bytes).  A route's cap lowers the
	 * server's, never raises it.
	 */
	size_t max_body;
	const char *tag;      /* OpenAPI tag: "agents" */
	const char *summary;  /* one line */
	const char *request;  /* the body, in words, or NULL */
	const char *response; /* the answer, in words */
};

struct route_match {
	const struct route *route;
	int nparams;
	struct {
		char name[32];
		const char *value; /* into the matched path copy below */
	} params[ROUTER_MAX_PARAMS];
	char path[ROUTER_MAX_PATH]; /* NUL-separated parameter values */
};

/*
 * Find the route for `method` and `path` in `tables` (a NULL-ended list of
 * tables, each ended by a NULL method).  Returns 200 and fills *m; 404 if no pattern matches the path;
 * 405 if only other methods do (their names, comma-separated, into
 * `allow`); 414 if the path is too long; 400 if it is not absolute or holds
 * a NUL or control character.
 */
int router_match(const struct route *const *tables, const char *method,
    const char *path, struct route_match *m, char *allow, size_t allow_size);
/* The value of parameter `name`, or NULL. */
const char *route_param(const struct route_match *m, const char *name);

/* The name of a role: "viewer", "operator", "admin" (ROLE_UNSET too). */
const char *route_role_name(int role);

/* The body cap of route `r` under the server's cap `server_max`. */
size_t route_max_body(const struct route *r, size_t server_max);

/* The OpenAPI 3.0 document for the tables.  New reference. */
json_t *router_openapi(const struct route *const *tables, const char *title,
    const char *version);
/* The tables as Markdown (docs/api.md).  Into out. */
void router_markdown(const struct route *const *tables, struct buf *out);

#endif
