/*
 * router.c — match a request against the route tables; describe them.
 */
#include <stdio.h>
#include <string.h>

#include "http/router.h"
#include "util/xalloc.h"

/*
 * Match one pattern against a path; the parameters go into *m.  Returns 1
 * on a match.  Both strings start with '/'.
 */
static int
router_try(const char *pattern, const char *path, struct route_match *m)
{
	const char *p = pattern, *s = path;
	char *out = m->path;
	size_t nlen, vlen, used = 0;
	const char *end;
	int tail;

	m->nparams = 0;
	while (*p != '\0') {
		if (*p != '{') {
			if (*p != *s)
				return 0;
			p++;
			s++;
			continue;
		}
		if ((end = strchr(p, '}')) == NULL)
			return 0;
		nlen = (size_t)(end - p - 1);
		tail = nlen > 0 && p[nlen] == '*';
		if (tail)
			nlen--;
		if (tail)
			vlen = strlen(s);
		else {
			vlen = strcspn(s, "/");
			if (vlen == 0)
				return 0;
		}
		if (m->nparams == ROUTER_MAX_PARAMS ||
		    nlen >= sizeof m->params[0].name ||
		    used + vlen + 1 > sizeof m->path)
			return 0;
		memcpy(m->params[m->nparams].name, p + 1, nlen);
		m->params[m->nparams].name[nlen] = '\0';
		memcpy(out + used, s, vlen);
		out[used + vlen] = '\0';
		m->params[m->nparams].value = out + used;
		m->nparams++;
		used += vlen + 1;
		s += vlen;
		p = end + 1;
	}
	return *s == '\0';
}

int
router_match(const struct route *const *tables, const char *method,
    const char *path, struct route_match *m, char *allow, size_t allow_size)
{
	const struct route *const *t, *r;
	struct route_match scratch;
	const unsigned char *c;
	size_t len;
	int other = 0;

	if (allow_size > 0)
		allow[0] = '\0';
	if (path == NULL || path[0] != '/')
		return 400;
	if (strlen(path) >= ROUTER_MAX_PATH)
		return 414;
	for (c = (const unsigned char *)path; *c != '\0'; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return 400;
	}
	for (t = tables; *t != NULL; t++) {
		for (r = *t; r->method != NULL; r++) {
			if (strcmp(r->method, method) == 0) {
				if (router_try(r->pattern, path, m)) {
					m->route = r;
					return 200;
				}
				continue;
			}
			if (!router_try(r->pattern, path, &scratch))
				continue;
			/* The path exists under another method: list it
			 * once. */
			other = 1;
			len = strlen(allow);
			if (strstr(allow, r->method) == NULL &&
			    len + strlen(r->method) + 3 < allow_size)
				snprintf(allow + len, allow_size - len, "%s%s",
				    len > 0 ? ", " : "", r->method);
		}
	}
	return other ? 405 : 404;
}

size_t
route_max_body(const struct route *r, size_t server_max)
{
	if (r == NULL || r->max_body == 0 || r->max_body > server_max)
		return server_max;
	return r->max_body;
}

const char *
route_param(const struct route_match *m, const char *name)
{
	int i;

	for (i = 0; i < m->nparams; i++) {
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	}
	return NULL;
}

/* "/api/x/{path*}" → "/api/x/{path}": OpenAPI has no tail parameters. */
static char *
router_openapi_path(const char *pattern)
{
	char *s = xstrdup(pattern), *star;

	while ((star = strstr(s, "*}")) != NULL)
		memmove(star, star + 1, strlen(star + 1) + 1);
	return s;
}

static json_t *
router_error_schema(void)
{
	return json_pack("{s:s, s:{s:{s:s, s:{s:{s:s}, s:{s:s}}}}}", "type",
	    "object", "properties", "error", "type", "object", "properties",
	    "code", "type", "string", "message", "type", "string");
}

/* Route r as an operation of paths. */
static void
router_openapi_op(json_t *paths, const struct route *r)
{
	json_t *item, *op, *params, *responses;
	char *path;
	const char *p, *end;
	char name[32];
	size_t n;

	path = router_openapi_path(r->pattern);
	if ((item = json_object_get(paths, path)) == NULL) {
		item = json_object();
		json_object_set_new(paths, path, item);
	}
	op = json_pack("{s:[s], s:s, s:s}", "tags", r->tag, "summary",
	    r->summary, "operationId", "");
	json_object_set_new(op, "operationId",
	    json_sprintf("%s %s", r->method, r->pattern));
	params = json_array();
	for (p = r->pattern; (p = strchr(p, '{')) != NULL; p = end) {
		if ((end = strchr(p, '}')) == NULL)
			break;
		n = (size_t)(end - p - 1);
		if (n > 0 && p[n] == '*')
			n--;
		if (n >= sizeof name)
			n = sizeof name - 1;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		json_array_append_new(params,
		    json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in",
			"path", "required", 1, "schema", "type", "string"));
	}
	if (json_array_size(params) > 0)
		json_object_set_new(op, "parameters", params);
	else
		json_decref(params);
	if (r->request != NULL)
		json_object_set_new(op, "requestBody",
		    json_pack("{s:s, s:b, s:{s:{s:{s:s}}}}", "description",
			r->request, "required", 1, "content",
			"application/json", "schema", "type", "object"));
	responses = json_pack("{s:{s:s}}", "200", "description", r->response);
	json_object_set_new(responses, "default",
	    json_pack("{s:s, s:{s:{s:o}}}", "description",
		"an error: {\"error\": {\"code\", \"message\"}}", "content",
		"application/json", "schema", router_error_schema()));
	json_object_set_new(op, "responses", responses);
	if (r->flags & ROUTE_PUBLIC)
		json_object_set_new(op, "security", json_array());
	else
		json_object_set_new(op, "x-oxios-role",
		    json_string(route_role_name(r->role)));
	n = strlen(r->method);
	{
		char lower[16];
		size_t i;

		for (i = 0; i < n && i + 1 < sizeof lower; i++)
			lower[i] = (char)(r->method[i] | 0x20);
		lower[i] = '\0';
		json_object_set_new(item, lower, op);
	}
	free(path);
}

const char *
route_role_name(int role)
{
	switch (role) {
	case ROLE_VIEWER:
		return "viewer";
	case ROLE_OPERATOR:
		return "operator";
	default:
		return "admin"; /* ROLE_UNSET counts as admin */
	}
}

json_t *
router_openapi(const struct route *const *tables, const char *title,
    const char *version)
{
	const struct route *const *t, *r;
	json_t *paths = json_object();

	for (t = tables; *t != NULL; t++) {
		for (r = *t; r->method != NULL; r++)
			router_openapi_op(paths, r);
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}}}, "
			 "s:[{s:[]}]}",
	    "openapi", "3.0.3", "info", "title", title, "version", version,
	    "paths", paths, "components", "securitySchemes", "bearer", "type",
	    "http", "scheme", "bearer", "security", "bearer");
}

void
router_markdown(const struct route *const *tables, struct buf *out)
{
	const struct route *const *t, *r;
	const char *tag = "";

	for (t = tables; *t != NULL; t++) {
		for (r = *t; r->method != NULL; r++) {
			if (strcmp(r->tag, tag) != 0) {
				tag = r->tag;
				buf_printf(out, "\n## %s\n\n", tag);
				buf_printf(out,
				    "| Method | Path | Auth | What it "
				    "does |\n");
				buf_printf(out, "|---|---|---|---|\n");
			}
			if (r->flags & ROUTE_PUBLIC)
				buf_printf(out, "| %s | `%s` | none | %s",
				    r->method, r->pattern, r->summary);
			else
				buf_printf(out, "| %s | `%s` | %s, %s | %s",
				    r->method, r->pattern,
				    (r->flags & ROUTE_TICKET) ?
					"token or ticket" :
					"token",
				    route_role_name(r->role), r->summary);
			if (r->request != NULL)
				buf_printf(out, " Body: %s.", r->request);
			buf_printf(out, " Answer: %s. |\n", r->response);
		}
	}
}
