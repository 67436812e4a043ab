/* test_router.c — route matching, and the API's route tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/api.h"
#include "http/router.h"

static int
h_dummy(struct http_req *r)
{
	(void)r;
	return 0;
}

#define ROW(m, p, f, t, req) \
	{ \
		.method = (m), .pattern = (p), .handler = h_dummy, \
		.flags = (f), .tag = (t), .summary = "s", .request = (req), \
		.response = "r" \
	}

static const struct route table[] = {
	ROW("GET", "/health", ROUTE_PUBLIC, "system", NULL),
	ROW("GET", "/api/agents", 0, "agents", NULL),
	ROW("GET", "/api/agents/{id}", 0, "agents", NULL),
	ROW("POST", "/api/agents/{id}/kill", 0, "agents", NULL),
	ROW("DELETE", "/api/agents/{id}", 0, "agents", NULL),
	{ .method = NULL },
};

/* A second table: the router goes through a list of them, in order. */
static const struct route table2[] = {
	ROW("GET", "/api/files/{path*}", 0, "ws", NULL),
	{ .method = "PUT",
	    .pattern = "/api/files/{path*}",
	    .handler = h_dummy,
	    .flags = ROUTE_BODY,
	    .max_body = 4096,
	    .tag = "ws",
	    .summary = "s",
	    .request = "b",
	    .response = "r" },
	/* Never reached: the first table's row of the pattern wins. */
	ROW("GET", "/api/agents/{name}", 0, "agents", NULL),
	{ .method = NULL },
};

static const struct route *const tables[] = { table, table2, NULL };

static void
test_literal_and_params(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(tables, "GET", "/health", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(m.route->pattern, "/health");
	assert_int_equal(m.nparams, 0);
	assert_int_equal(router_match(tables, "GET", "/api/agents/abc-1", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(m.route->pattern, "/api/agents/{id}");
	assert_string_equal(route_param(&m, "id"), "abc-1");
	assert_null(route_param(&m, "nope"));
	assert_int_equal(router_match(tables, "POST", "/api/agents/x9/kill", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "id"), "x9");
	/* A parameter is one non-empty segment. */
	assert_int_equal(router_match(tables, "GET", "/api/agents/", &m, allow,
			     sizeof allow),
	    404);
	assert_int_equal(router_match(tables, "GET", "/api/agents/a/b", &m,
			     allow, sizeof allow),
	    404);
	assert_int_equal(router_match(tables, "GET", "/api/agentsx", &m, allow,
			     sizeof allow),
	    404);
	assert_int_equal(router_match(tables, "GET", "/health/", &m, allow,
			     sizeof allow),
	    404);
}

static void
test_tail_parameter(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(tables, "GET", "/api/files/a/b/c.txt", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "a/b/c.txt");
	assert_int_equal(router_match(tables, "PUT", "/api/files/", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "");
	assert_true(m.route->flags & ROUTE_BODY);
}

/* A route's body cap lowers the server's, never raises it. */
static void
test_body_cap(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(tables, "PUT", "/api/files/x", &m, allow,
			     sizeof allow),
	    200);
	assert_int_equal(route_max_body(m.route, 1024 * 1024), 4096);
	assert_int_equal(route_max_body(m.route, 4096), 4096);
	assert_int_equal(route_max_body(m.route, 1000), 1000);
	assert_int_equal(router_match(tables, "GET", "/api/files/x", &m, allow,
			     sizeof allow),
	    200);
	assert_int_equal(route_max_body(m.route, 1024 * 1024), 1024 * 1024);
	assert_int_equal(route_max_body(NULL, 777), 777);
}

static void
test_405_lists_methods(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(tables, "PUT", "/api/agents/7", &m, allow,
			     sizeof allow),
	    405);
	assert_string_equal(allow, "GET, DELETE");
	assert_int_equal(router_match(tables, "DELETE", "/health", &m, allow,
			     sizeof allow),
	    405);
	assert_string_equal(allow, "GET");
	assert_int_equal(router_match(tables, "PATCH", "/nowhere", &m, allow,
			     sizeof allow),
	    404);
	assert_string_equal(allow, "");
}

static void
test_bad_paths(void **state)
{
	struct route_match m;
	char allow[64], *longp;

	(void)state;
	assert_int_equal(router_match(tables, "GET", "health", &m, allow,
			     sizeof allow),
	    400);
	assert_int_equal(router_match(tables, "GET", "/api/agents/a\tb", &m,
			     allow, sizeof allow),
	    400);
	assert_int_equal(router_match(tables, "GET", "", &m, allow,
			     sizeof allow),
	    400);
	longp = malloc(ROUTER_MAX_PATH + 10);
	memset(longp, 'a', ROUTER_MAX_PATH + 9);
	longp[0] = '/';
	longp[ROUTER_MAX_PATH + 9] = '\0';
	assert_int_equal(router_match(tables, "GET", longp, &m, allow,
			     sizeof allow),
	    414);
	free(longp);
}

/* A path that pattern `p` matches: "{x}" becomes "1", "{x*}" "a/b". */
static void
concrete_path(const char *p, char *out, size_t size)
{
	size_t n = 0;
	const char *end;

	while (*p != '\0' && n + 4 < size) {
		if (*p != '{') {
			out[n++] = *p++;
			continue;
		}
		end = strchr(p, '}');
		assert_non_null(end);
		n += (size_t)snprintf(out + n, size - n, "%s",
		    end[-1] == '*' ? "a/b" : "1");
		p = end + 1;
	}
	out[n] = '\0';
}

/*
 * The API's own tables: every route is described, no two have the same
 * method and pattern, and each is reachable (no earlier row catches its
 * paths).
 */
static void
test_api_tables(void **state)
{
	const struct route *const *t, *const *u, *r, *q;
	struct route_match m;
	char allow[64], path[256];
	int ntables = 0, nroutes = 0;

	(void)state;
	for (t = api_route_tables; *t != NULL; t++) {
		ntables++;
		assert_non_null((*t)->method); /* no empty table */
		for (r = *t; r->method != NULL; r++) {
			nroutes++;
			assert_non_null(r->handler);
			assert_non_null(r->tag);
			assert_non_null(r->response);
			assert_non_null(r->summary);
			assert_true(strlen(r->summary) > 5);
			assert_true(r->pattern[0] == '/');
			assert_true(strncmp(r->pattern, "/api/", 5) == 0 ||
			    (r->flags & ROUTE_PUBLIC));
			/* Every guarded route says which role it needs. */
			if (!(r->flags & ROUTE_PUBLIC) &&
			    (r->role < ROLE_VIEWER || r->role > ROLE_ADMIN))
				fail_msg("%s %s has no role", r->method,
				    r->pattern);
			/* Reads are for viewers, writes for more. */
			if (strcmp(r->method, "GET") != 0 &&
			    r->role == ROLE_VIEWER &&
			    strcmp(r->pattern, "/api/audit/export") != 0 &&
			    strncmp(r->pattern, "/api/memory/", 12) != 0)
				fail_msg("%s %s: a viewer cannot write",
				    r->method, r->pattern);
			/* A documented body exactly when one is taken; a
			 * cap only where a body is read. */
			assert_int_equal(r->request != NULL,
			    (r->flags & ROUTE_BODY) != 0);
			assert_true(
			    r->max_body == 0 || (r->flags & ROUTE_BODY));
			for (u = api_route_tables; u <= t; u++) {
				for (q = *u;
				     q->method != NULL && (u < t || q < r);
				     q++) {
					if (strcmp(q->method, r->method) == 0 &&
					    strcmp(q->pattern, r->pattern) == 0)
						fail_msg("duplicate route %s %s",
						    r->method, r->pattern);
				}
			}
			concrete_path(r->pattern, path, sizeof path);
			assert_int_equal(router_match(api_route_tables,
					     r->method, path, &m, allow,
					     sizeof allow),
			    200);
			if (m.route != r)
				fail_msg("%s %s is caught by %s first",
				    r->method, r->pattern, m.route->pattern);
		}
	}
	assert_true(ntables >= 6);
	assert_true(nroutes >= 30);
	assert_int_equal(router_match(api_route_tables, "GET",
			     "/api/workspace/file/src/main.c", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "src/main.c");
	assert_int_equal(router_match(api_route_tables, "GET", "/api/chat", &m,
			     allow, sizeof allow),
	    405);
	assert_string_equal(allow, "POST");
	/* The caps the server applies. */
	assert_int_equal(router_match(api_route_tables, "PUT", "/api/config",
			     &m, allow, sizeof allow),
	    200);
	assert_int_equal(route_max_body(m.route, 1024 * 1024), API_BODY_CONFIG);
	assert_int_equal(router_match(api_route_tables, "PUT",
			     "/api/workspace/file/a", &m, allow, sizeof allow),
	    200);
	assert_int_equal(route_max_body(m.route, 1024 * 1024), 1024 * 1024);
	/* The roles the policy names (docs/security.md). */
	assert_int_equal(router_match(api_route_tables, "PUT", "/api/config",
			     &m, allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_ADMIN);
	assert_int_equal(router_match(api_route_tables, "POST", "/api/chat", &m,
			     allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_OPERATOR);
	assert_int_equal(router_match(api_route_tables, "POST",
			     "/api/chat/ticket", &m, allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_OPERATOR);
	assert_int_equal(router_match(api_route_tables, "POST", "/api/tokens",
			     &m, allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_ADMIN);
	assert_int_equal(router_match(api_route_tables, "GET", "/api/whoami",
			     &m, allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_VIEWER);
	assert_int_equal(router_match(api_route_tables, "POST",
			     "/api/audit/export", &m, allow, sizeof allow),
	    200);
	assert_int_equal(m.route->role, ROLE_VIEWER);
}

static void
test_openapi_and_markdown(void **state)
{
	json_t *doc, *op;
	struct buf b;

	(void)state;
	doc = router_openapi(tables, "T", "1.0");
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")),
	    "3.0.3");
	op = json_object_get(json_object_get(json_object_get(doc, "paths"),
				 "/api/files/{path}"),
	    "put");
	assert_non_null(op);
	assert_non_null(json_object_get(op, "requestBody"));
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(json_object_get(op,
								   "parameters"),
						    0),
				    "name")),
	    "path");
	op = json_object_get(json_object_get(json_object_get(doc, "paths"),
				 "/health"),
	    "get");
	assert_int_equal(json_array_size(json_object_get(op, "security")), 0);
	assert_null(json_object_get(op, "x-oxios-role"));
	op = json_object_get(json_object_get(json_object_get(doc, "paths"),
				 "/api/agents/{id}/kill"),
	    "post");
	/* A row without a role counts as admin (fail closed). */
	assert_string_equal(json_string_value(
				json_object_get(op, "x-oxios-role")),
	    "admin");
	json_decref(doc);
	/* Every operation of the real API carries its role. */
	doc = router_openapi(api_route_tables, "T", "1.0");
	op = json_object_get(json_object_get(json_object_get(doc, "paths"),
				 "/api/config"),
	    "put");
	assert_string_equal(json_string_value(
				json_object_get(op, "x-oxios-role")),
	    "admin");
	op = json_object_get(json_object_get(json_object_get(doc, "paths"),
				 "/api/agents"),
	    "get");
	assert_string_equal(json_string_value(
				json_object_get(op, "x-oxios-role")),
	    "viewer");
	json_decref(doc);

	buf_init(&b, BUF_NOCAP);
	router_markdown(tables, &b);
	assert_non_null(strstr(b.data, "## agents"));
	assert_non_null(strstr(b.data,
	    "| POST | `/api/agents/{id}/kill` | token, admin |"));
	assert_non_null(strstr(b.data, "| GET | `/health` | none |"));
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_and_params),
		cmocka_unit_test(test_tail_parameter),
		cmocka_unit_test(test_405_lists_methods),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_api_tables),
		cmocka_unit_test(test_openapi_and_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
