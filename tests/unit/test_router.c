/* test_router.c — route matching, and the API's route table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
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

static const struct route table[] = {
	{ "GET", "/health", ROUTE_PUBLIC, h_dummy, "system", "s", NULL, "r" },
	{ "GET", "/api/agents", 0, h_dummy, "agents", "s", NULL, "r" },
	{ "GET", "/api/agents/{id}", 0, h_dummy, "agents", "s", NULL, "r" },
	{ "POST", "/api/agents/{id}/kill", 0, h_dummy, "agents", "s", NULL,
	    "r" },
	{ "DELETE", "/api/agents/{id}", 0, h_dummy, "agents", "s", NULL, "r" },
	{ "GET", "/api/files/{path*}", 0, h_dummy, "ws", "s", NULL, "r" },
	{ "PUT", "/api/files/{path*}", ROUTE_BODY, h_dummy, "ws", "s", "b",
	    "r" },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL },
};

static void
test_literal_and_params(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(table, "GET", "/health", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(m.route->pattern, "/health");
	assert_int_equal(m.nparams, 0);
	assert_int_equal(router_match(table, "GET", "/api/agents/abc-1", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(m.route->pattern, "/api/agents/{id}");
	assert_string_equal(route_param(&m, "id"), "abc-1");
	assert_null(route_param(&m, "nope"));
	assert_int_equal(router_match(table, "POST", "/api/agents/x9/kill", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "id"), "x9");
	/* A parameter is one non-empty segment. */
	assert_int_equal(router_match(table, "GET", "/api/agents/", &m, allow,
			     sizeof allow),
	    404);
	assert_int_equal(router_match(table, "GET", "/api/agents/a/b", &m,
			     allow, sizeof allow),
	    404);
	assert_int_equal(router_match(table, "GET", "/api/agentsx", &m, allow,
			     sizeof allow),
	    404);
	assert_int_equal(router_match(table, "GET", "/health/", &m, allow,
			     sizeof allow),
	    404);
}

static void
test_tail_parameter(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(table, "GET", "/api/files/a/b/c.txt", &m,
			     allow, sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "a/b/c.txt");
	assert_int_equal(router_match(table, "PUT", "/api/files/", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "");
	assert_true(m.route->flags & ROUTE_BODY);
}

static void
test_405_lists_methods(void **state)
{
	struct route_match m;
	char allow[64];

	(void)state;
	assert_int_equal(router_match(table, "PUT", "/api/agents/7", &m, allow,
			     sizeof allow),
	    405);
	assert_string_equal(allow, "GET, DELETE");
	assert_int_equal(router_match(table, "DELETE", "/health", &m, allow,
			     sizeof allow),
	    405);
	assert_string_equal(allow, "GET");
	assert_int_equal(router_match(table, "PATCH", "/nowhere", &m, allow,
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
	assert_int_equal(router_match(table, "GET", "health", &m, allow,
			     sizeof allow),
	    400);
	assert_int_equal(router_match(table, "GET", "/api/agents/a\tb", &m,
			     allow, sizeof allow),
	    400);
	assert_int_equal(router_match(table, "GET", "", &m, allow,
			     sizeof allow),
	    400);
	longp = malloc(ROUTER_MAX_PATH + 10);
	memset(longp, 'a', ROUTER_MAX_PATH + 9);
	longp[0] = '/';
	longp[ROUTER_MAX_PATH + 9] = '\0';
	assert_int_equal(router_match(table, "GET", longp, &m, allow,
			     sizeof allow),
	    414);
	free(longp);
}

/* The API's own table: every route is described, no two collide. */
static void
test_api_table(void **state)
{
	const struct route *r, *q;
	struct route_match m;
	char allow[64];

	(void)state;
	for (r = api_routes; r->method != NULL; r++) {
		assert_non_null(r->handler);
		assert_non_null(r->summary);
		assert_non_null(r->response);
		assert_non_null(r->tag);
		assert_true(r->pattern[0] == '/');
		assert_true(strncmp(r->pattern, "/api/", 5) == 0 ||
		    (r->flags & ROUTE_PUBLIC));
		for (q = api_routes; q < r; q++)
			assert_false(strcmp(q->method, r->method) == 0 &&
			    strcmp(q->pattern, r->pattern) == 0);
	}
	assert_int_equal(router_match(api_routes, "GET",
			     "/api/workspace/file/src/main.c", &m, allow,
			     sizeof allow),
	    200);
	assert_string_equal(route_param(&m, "path"), "src/main.c");
	assert_int_equal(router_match(api_routes, "GET", "/api/chat", &m, allow,
			     sizeof allow),
	    405);
	assert_string_equal(allow, "POST");
}

static void
test_openapi_and_markdown(void **state)
{
	json_t *doc, *op;
	struct buf b;

	(void)state;
	doc = router_openapi(table, "T", "1.0");
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
	json_decref(doc);

	buf_init(&b, BUF_NOCAP);
	router_markdown(table, &b);
	assert_non_null(strstr(b.data, "## agents"));
	assert_non_null(strstr(b.data, "| POST | `/api/agents/{id}/kill` |"));
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
		cmocka_unit_test(test_api_table),
		cmocka_unit_test(test_openapi_and_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
