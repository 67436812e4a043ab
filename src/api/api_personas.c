/*
 * api_personas.c — /api/personas: the personas (kernel/personas.h), the
 * default one and a session's active one.  Reads are a viewer's,
 * choosing a persona an operator's, creating, editing and deleting one
 * an admin's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "kernel/personas.h"
#include "util/xalloc.h"

#define API_BODY_PERSONA PERSONA_BODY_MAX

static int
api_personas_list(struct http_req *r)
{
	char *cause = NULL;
	json_t *v;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((v = personas_list(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "personas", v));
}

/* The persona `name` as a 200 (or 404). */
static int
api_personas_view(struct http_req *r, sqlite3 *db, const char *name)
{
	char *cause = NULL;
	json_t *v = NULL;

	if (personas_get(db, name, &v, &cause) < 0)
		return api_fail(r, cause);
	if (v == NULL)
		return http_error(r, 404, "no_persona", "no persona %.64s",
		    name);
	return http_json(r, 200, v);
}

static int
api_personas_get(struct http_req *r)
{
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	return api_personas_view(r, db, route_param(&r->match, "id"));
}

/* POST (name NULL) or PUT of a persona.  An edit without a name keeps
 * the persona's spelling of it. */
static int
api_personas_write(struct http_req *r, const char *name)
{
	char *cause = NULL, spelt[PERSONA_NAME_MAX + 1];
	json_t *p, *old = NULL;
	sqlite3 *db;
	int rc;

	if ((db = api_db(r)) == NULL)
		return 0;
	if (name != NULL && json_is_object(r->body) &&
	    json_object_get(r->body, "name") == NULL &&
	    personas_get(db, name, &old, NULL) == 1) {
		snprintf(spelt, sizeof spelt, "%s",
		    json_string_value(json_object_get(old, "name")));
		name = spelt;
		json_decref(old);
	}
	p = personas_parse(r->body, name, &cause);
	if (p == NULL) {
		http_error(r, 400, "invalid_persona", "%s", cause);
		free(cause);
		return 0;
	}
	rc = personas_put(db, p, name == NULL, api_actor(r), &cause);
	if (rc == PERSONAS_EXISTS)
		http_error(r, 409, "persona_exists",
		    "a persona named %s exists (PUT /api/personas/%s edits "
		    "it)",
		    json_string_value(json_object_get(p, "name")),
		    json_string_value(json_object_get(p, "id")));
	else if (rc == PERSONAS_UNKNOWN)
		http_error(r, 404, "no_persona", "no persona %.64s", name);
	else if (rc != 0) {
		json_decref(p);
		return api_fail(r, cause);
	} else {
		http_json(r, name == NULL ? 201 : 200, p);
		return 0;
	}
	json_decref(p);
	return 0;
}

static int
api_personas_post(struct http_req *r)
{
	return api_personas_write(r, NULL);
}

static int
api_personas_put(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;

	if (personas_name_ok(id, &cause) != 0) {
		http_error(r, 404, "no_persona", "%s", cause);
		free(cause);
		return 0;
	}
	return api_personas_write(r, id);
}

static int
api_personas_delete(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;
	int rc;

	if ((db = api_db(r)) == NULL)
		return 0;
	rc = personas_delete(db, id, api_actor(r), &cause);
	if (rc == PERSONAS_UNKNOWN)
		return http_error(r, 404, "no_persona", "no persona %.64s", id);
	if (rc == PERSONAS_BUILTIN)
		return http_error(r, 409, "persona_builtin",
		    "%.64s is shipped with Oxios and has no edits to delete",
		    id);
	if (rc != 0)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:s}", "deleted", id));
}

/* The default persona, or with ?session_id= the session's. */
static int
api_personas_active_view(struct http_req *r, sqlite3 *db)
{
	const char *sid = http_query(r, "session_id");
	char def[PERSONA_NAME_MAX + 1], act[PERSONA_NAME_MAX + 1];
	char *cause = NULL;
	int rc;

	if (personas_default(db, def, &cause) != 0)
		return api_fail(r, cause);
	if (sid == NULL)
		return http_json(r, 200,
		    json_pack("{s:s, s:s}", "persona", def, "default", def));
	if ((rc = personas_session(db, sid, act, &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "not_found", "no session %.64s", sid);
	return http_json(r, 200,
	    json_pack("{s:s, s:s, s:s}", "session_id", sid, "persona",
		act[0] != '\0' ? act : def, "default", def));
}

static int
api_personas_active(struct http_req *r)
{
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	return api_personas_active_view(r, db);
}

static int
api_personas_use(struct http_req *r)
{
	const char *sid = http_query(r, "session_id"), *name, *key;
	char *cause = NULL;
	json_t *v;
	sqlite3 *db;
	int bad = 0, rc;

	if (!json_is_object(r->body))
		return http_error(r, 400, "invalid_persona",
		    "the body is an object {persona}");
	json_object_foreach(r->body, key, v) {
		if (strcmp(key, "persona") != 0)
			return http_error(r, 400, "invalid_persona",
			    "unknown member '%.32s' (only persona)", key);
	}
	name = api_body_str(r->body, "persona", &bad);
	if (name == NULL || personas_name_ok(name, &cause) != 0) {
		http_error(r, 400, "invalid_persona", "%s",
		    cause != NULL ? cause : "'persona' must be a name");
		free(cause);
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	rc = personas_use(db, sid, name, api_actor(r), &cause);
	if (rc == PERSONAS_UNKNOWN) {
		http_error(r, 404, "no_persona", "%s", cause);
		free(cause);
		return 0;
	}
	if (rc != 0)
		return api_fail(r, cause);
	return api_personas_active_view(r, db);
}

const struct route api_personas_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/personas",
	    .handler = api_personas_list,
	    .role = ROLE_VIEWER,
	    .tag = "personas",
	    .summary = "Every persona: the shipped ones (Dev, Review, "
		       "Research) then the custom ones, each with default: "
		       "true for the default one.",
	    .response = "{personas: [{id, name, role, description, prompt, "
			"model, tools, traits, template, builtin, edited, "
			"default}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/personas",
	    .handler = api_personas_post,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_PERSONA,
	    .role = ROLE_ADMIN,
	    .tag = "personas",
	    .summary = "Create a persona (201); 400 invalid_persona with the "
		       "reason, 409 persona_exists; audited (config_change), "
		       "event persona.changed.",
	    .request = "{name, prompt, role?, description?, model?: "
		       "provider/model, tools?: [name], traits?: [text], "
		       "template?: a capability template}",
	    .response = "the persona",
	},
	{
	    .method = "GET",
	    .pattern = "/api/personas/active",
	    .handler = api_personas_active,
	    .role = ROLE_VIEWER,
	    .tag = "personas",
	    .summary = "The default persona; with ?session_id= the "
		       "session's active one (the default while it has none).",
	    .response = "{persona, default, session_id?}",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/personas/active",
	    .handler = api_personas_use,
	    .flags = ROUTE_BODY,
	    .max_body = 4096,
	    .role = ROLE_OPERATOR,
	    .tag = "personas",
	    .summary = "Make a persona the default, or with ?session_id= "
		       "the session's active one; 404 no_persona; audited, "
		       "event persona.changed.",
	    .request = "{persona: name}",
	    .response = "{persona, default, session_id?}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/personas/{id}",
	    .handler = api_personas_get,
	    .role = ROLE_VIEWER,
	    .tag = "personas",
	    .summary = "One persona by id or name (any case).",
	    .response = "the persona",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/personas/{id}",
	    .handler = api_personas_put,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_PERSONA,
	    .role = ROLE_ADMIN,
	    .tag = "personas",
	    .summary = "Replace a persona (a shipped one's edits are kept "
		       "apart: DELETE brings it back); audited, event "
		       "persona.changed.",
	    .request = "{name?, prompt, role?, description?, model?, "
		       "tools?, traits?, template?}",
	    .response = "the persona",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/personas/{id}",
	    .handler = api_personas_delete,
	    .role = ROLE_ADMIN,
	    .tag = "personas",
	    .summary = "Delete a custom persona, or a shipped one's edits "
		       "(409 persona_builtin without edits); audited.",
	    .response = "{deleted: id}",
	},
	{ .method = NULL },
};
