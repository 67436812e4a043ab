/*
 * api_security.c — /api/permissions and /api/security: the capabilities
 * of agent profiles (security/permstore.h, security/policy.h).  A
 * profile without a row has the template of security.default_template;
 * the allow rules shown are read from policy_rules (the approvals write
 * them).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "config/live.h"
#include "kernel/budget_agent.h"
#include "security/permstore.h"
#include "util/time.h"

#define API_BODY_PERMISSIONS (64 * 1024)

/* The view of profile `id` as a 200. */
static int
api_security_view(struct http_req *r, sqlite3 *db, const char *id)
{
	const struct config *cfg = config_live_get();
	char *cause = NULL;
	json_t *v;

	v = permstore_view(db, id, permstore_default_template(cfg), &cause);
	config_live_put(cfg);
	if (v == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

static int
api_security_get(struct http_req *r)
{
	const char *id;
	sqlite3 *db;

	if ((id = api_agent_param(r, "agent")) == NULL ||
	    (db = api_db(r)) == NULL)
		return 0;
	return api_security_view(r, db, id);
}

static int
api_security_put(struct http_req *r)
{
	const char *id, *tpl, *key;
	char *cause = NULL;
	json_t *v;
	sqlite3 *db;

	if ((id = api_agent_param(r, "agent")) == NULL)
		return 0;
	if (!json_is_object(r->body))
		return http_error(r, 400, "invalid_permissions",
		    "the body is an object {template, grants?}");
	json_object_foreach(r->body, key, v) {
		if (strcmp(key, "template") != 0 && strcmp(key, "grants") != 0)
			return http_error(r, 400, "invalid_permissions",
			    "unknown member '%.32s' (only template and "
			    "grants)",
			    key);
	}
	if ((tpl = json_string_value(json_object_get(r->body, "template"))) ==
	    NULL)
		return http_error(r, 400, "invalid_permissions",
		    "template must be a string: minimal, worker, standard, "
		    "trusted or supervisor");
	if ((db = api_db(r)) == NULL)
		return 0;
	v = json_object_get(r->body, "grants");
	if (permstore_put(db, id, tpl, json_is_null(v) ? NULL : v, api_actor(r),
		time_wall_ms(), &cause) != 0) {
		/* Every refusal before the write is the caller's fault. */
		if (policy_template_find(tpl) == NULL ||
		    strncmp(cause, "grants", 6) == 0) {
			http_error(r, 400, "invalid_permissions", "%s", cause);
			free(cause);
			return 0;
		}
		return api_fail(r, cause);
	}
	return api_security_view(r, db, id);
}

static int
api_security_delete(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	int rc;

	if ((id = api_agent_param(r, "agent")) == NULL ||
	    (db = api_db(r)) == NULL)
		return 0;
	if ((rc = permstore_reset(db, id, api_actor(r), &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "no_permissions",
		    "agent profile '%s' has no permissions of its own (it "
		    "has the default template)",
		    id);
	return api_security_view(r, db, id);
}

static int
api_security_overview(struct http_req *r)
{
	const struct config *cfg;
	json_t *tpls, *principals, *rules, *out;
	char *cause = NULL;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((principals = permstore_list(db, &cause)) == NULL)
		return api_fail(r, cause);
	if ((rules = permstore_rules(db, NULL, &cause)) == NULL) {
		json_decref(principals);
		return api_fail(r, cause);
	}
	tpls = policy_templates_json();
	cfg = config_live_get();
	out = json_pack("{s:o, s:s, s:o, s:o}", "templates", tpls,
	    "default_template", permstore_default_template(cfg), "principals",
	    principals, "rules", rules);
	config_live_put(cfg);
	return http_json(r, 200, out);
}

const struct route api_security_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/security/permissions",
	    .handler = api_security_overview,
	    .role = ROLE_VIEWER,
	    .tag = "security",
	    .summary = "The capability templates with their rights, the "
		       "default template, every agent profile with "
		       "permissions of its own, and the live allow rules.",
	    .response = "{templates: [{name, extends, rights}], "
			"default_template, principals: [...], rules: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/permissions/{agent}",
	    .handler = api_security_get,
	    .role = ROLE_VIEWER,
	    .tag = "security",
	    .summary = "An agent profile's template, grants, effective "
		       "rights and allow rules (default: true when it has "
		       "the default template).",
	    .response = "{agent, template, default, grants, effective: "
			"[{resource, rights, from}], rules}",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/permissions/{agent}",
	    .handler = api_security_put,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_PERMISSIONS,
	    .role = ROLE_ADMIN,
	    .tag = "security",
	    .summary = "Set an agent profile's template and grants (grants "
		       "add to the template); 400 invalid_permissions with "
		       "the parse error; audited, event permissions.changed.",
	    .request = "{template: minimal|worker|standard|trusted|"
		       "supervisor, grants?: [{resource, rights}]}",
	    .response = "the profile's permissions",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/permissions/{agent}",
	    .handler = api_security_delete,
	    .role = ROLE_ADMIN,
	    .tag = "security",
	    .summary = "Back to the default template (404 no_permissions "
		       "without a row of its own); audited.",
	    .response = "the profile's permissions",
	},
	{ .method = NULL },
};
