/*
 * api_skills.c — the skills (skills/skill.h): list, one, its SKILL.md
 * body, install into the user source and delete from it (admins),
 * enable and disable (operators).  The sources are those of the default
 * workspace, and of the agent profile `?agent=NAME` when given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "config/live.h"
#include "kernel/kernel.h"
#include "skills/skill.h"

#define API_BODY_SKILL (2 * 1024 * 1024) /* SKILL.md and files, escaped */

/* Scan the skills as the request sees them.  0, or -1 answered. */
static int
api_skills_scan(struct http_req *r, sqlite3 *db, struct skill_set *set)
{
	const char *agent = http_query(r, "agent");
	const struct config *cfg;
	struct skill_where w;
	char *ws;

	if (agent != NULL && !skill_name_ok(agent)) {
		http_error(r, 400, "invalid_agent",
		    "agent must name an agent profile");
		return -1;
	}
	cfg = config_live_get();
	ws = kernel_workspace(cfg);
	skill_where_init(&w, ws, agent);
	skill_scan(db, cfg, &w, set);
	skill_where_free(&w);
	free(ws);
	config_live_put(cfg);
	return 0;
}

static int
api_skills_list(struct http_req *r)
{
	struct skill_set set;
	json_t *list, *out;
	sqlite3 *db;
	size_t i;

	if ((db = api_db(r)) == NULL || api_skills_scan(r, db, &set) < 0)
		return 0;
	list = json_array();
	for (i = 0; i < set.n; i++)
		json_array_append_new(list, skill_json(&set.v[i], 0));
	out = json_pack("{s:o, s:O}", "skills", list, "errors", set.errors);
	skill_set_free(&set);
	return http_json(r, 200, out);
}

/* The skill named by the path, or NULL with a 404 answered. */
static const struct skill *
api_skill_one(struct http_req *r, const struct skill_set *set)
{
	const char *name = route_param(&r->match, "name");
	const struct skill *s = skill_find(set, name);

	if (s == NULL)
		http_error(r, 404, "no_skill", "no skill '%.64s'",
		    name != NULL ? name : "");
	return s;
}

/* The path's skill as JSON, with its body when `body`. */
static int
api_skills_one_json(struct http_req *r, int body)
{
	const struct skill *s;
	struct skill_set set;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL || api_skills_scan(r, db, &set) < 0)
		return 0;
	if ((s = api_skill_one(r, &set)) != NULL)
		http_json(r, 200, skill_json(s, body));
	skill_set_free(&set);
	return 0;
}

static int
api_skills_get(struct http_req *r)
{
	return api_skills_one_json(r, 0);
}

static int
api_skills_content(struct http_req *r)
{
	return api_skills_one_json(r, 1);
}

/* enable (on) or disable (!on) the path's skill. */
static int
api_skills_toggle(struct http_req *r, int on)
{
	const struct skill *s;
	struct skill_set set;
	char *cause = NULL;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL || api_skills_scan(r, db, &set) < 0)
		return 0;
	if ((s = api_skill_one(r, &set)) == NULL)
		goto out;
	if (skill_set_enabled(db, s, on, api_actor(r), &cause) < 0 ||
	    skill_record(db, api_actor(r), s->name, on ? "enable" : "disable",
		&cause) < 0) {
		api_fail(r, cause);
		goto out;
	}
	skill_set_free(&set);
	if (api_skills_scan(r, db, &set) < 0)
		return 0;
	if ((s = api_skill_one(r, &set)) != NULL)
		http_json(r, 200, skill_json(s, 0));
out:
	skill_set_free(&set);
	return 0;
}

static int
api_skills_enable(struct http_req *r)
{
	return api_skills_toggle(r, 1);
}

static int
api_skills_disable(struct http_req *r)
{
	return api_skills_toggle(r, 0);
}

static int
api_skills_install(struct http_req *r)
{
	const char *name, *content;
	struct skill_set set;
	const struct skill *s;
	char *cause = NULL;
	json_t *files;
	sqlite3 *db;
	int bad = 0;

	name = api_body_str(r->body, "name", &bad);
	content = api_body_str(r->body, "content", &bad);
	files = json_object_get(r->body, "files");
	if (bad || name == NULL || content == NULL ||
	    (files != NULL && !json_is_object(files) && !json_is_null(files)))
		return http_error(r, 400, "invalid_body",
		    "the body is {name, content (SKILL.md), files?: {path: "
		    "text}}");
	if ((db = api_db(r)) == NULL)
		return 0;
	if (skill_install(name, content,
		json_string_length(json_object_get(r->body, "content")),
		json_is_object(files) ? files : NULL, &cause) < 0) {
		http_error(r, 400, "invalid_skill", "%s", cause);
		free(cause);
		return 0;
	}
	if (skill_record(db, api_actor(r), name, "install", &cause) < 0)
		return api_fail(r, cause);
	if (api_skills_scan(r, db, &set) < 0)
		return 0;
	s = skill_find(&set, name);
	if (s != NULL)
		http_json(r, 201, skill_json(s, 0));
	else
		http_error(r, 500, "internal",
		    "the skill was not found after "
		    "its install");
	skill_set_free(&set);
	return 0;
}

static int
api_skills_delete(struct http_req *r)
{
	const char *name = route_param(&r->match, "name");
	char *cause = NULL;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	if (skill_remove(name, &cause) < 0) {
		if (errno == ENOENT) {
			http_error(r, 404, "no_skill", "%s", cause);
			free(cause);
			return 0;
		}
		return api_fail(r, cause);
	}
	if (skill_record(db, api_actor(r), name, "delete", &cause) < 0)
		return api_fail(r, cause);
	return http_json(r, 200,
	    json_pack("{s:s, s:b}", "name", name, "deleted", 1));
}

const struct route api_skills_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/skills",
	    .handler = api_skills_list,
	    .role = ROLE_VIEWER,
	    .tag = "skills",
	    .summary = "Every skill of the four sources (agent profile with "
		       "?agent=NAME, workspace, user, bundled), the higher "
		       "shadowing the lower, with status (ready, "
		       "needs-setup, disabled), reason and install hint; "
		       "malformed SKILL.md files in errors.",
	    .response =
		"{skills: [{name, description, source, dir, status, "
		"reason, install, enabled, changed, model_invocation, hash, "
		"front_matter, shadows?}], errors: [{path, error}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/skills",
	    .handler = api_skills_install,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_SKILL,
	    .role = ROLE_ADMIN,
	    .tag = "skills",
	    .summary = "Install a skill into the user source "
		       "($OXIOS_HOME/skills/NAME/), replacing one of that "
		       "name there; 400 invalid_skill with the parse error; "
		       "audited, event skills.changed.",
	    .request = "{name, content: the SKILL.md text, files?: {path: "
		       "text}}",
	    .response = "201, the skill",
	},
	{
	    .method = "GET",
	    .pattern = "/api/skills/{name}",
	    .handler = api_skills_get,
	    .role = ROLE_VIEWER,
	    .tag = "skills",
	    .summary = "One skill (404 no_skill).",
	    .response = "the skill",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/skills/{name}",
	    .handler = api_skills_delete,
	    .role = ROLE_ADMIN,
	    .tag = "skills",
	    .summary = "Delete a skill of the user source (404 no_skill: "
		       "not there; the other sources are not deleted "
		       "through the API); audited, event skills.changed.",
	    .response = "{name, deleted: true}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/skills/{name}/content",
	    .handler = api_skills_content,
	    .role = ROLE_VIEWER,
	    .tag = "skills",
	    .summary = "One skill with the body of its SKILL.md.",
	    .response = "the skill with body",
	},
	{
	    .method = "POST",
	    .pattern = "/api/skills/{name}/enable",
	    .handler = api_skills_enable,
	    .role = ROLE_OPERATOR,
	    .tag = "skills",
	    .summary = "Enable a skill, recording its content hash (a later "
		       "change shows as changed); audited, event "
		       "skills.changed.",
	    .response = "the skill",
	},
	{
	    .method = "POST",
	    .pattern = "/api/skills/{name}/disable",
	    .handler = api_skills_disable,
	    .role = ROLE_OPERATOR,
	    .tag = "skills",
	    .summary = "Disable a skill: agents no longer see or load it; "
		       "audited, event skills.changed.",
	    .response = "the skill",
	},
	{ .method = NULL },
};
