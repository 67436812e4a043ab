/*
 * api_spaces.c — /api/spaces: spaces (kernel/spaces.h), listed, read,
 * created, changed and deleted.  Reads for viewers, changes for
 * operators; every change is audited (space_change) and announced
 * (space.changed).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "kernel/spaces.h"

/* The body, checked by the one parser of spaces (spaces_parse_body()):
 * new reference, or NULL with the 400 sent. */
static json_t *
api_spaces_body(struct http_req *r, int partial)
{
	char *text = json_dumps(r->body, JSON_COMPACT), *cause = NULL;
	json_t *b;

	if (text == NULL) {
		http_error(r, 400, "invalid_space", "the body is not JSON");
		return NULL;
	}
	b = spaces_parse_body(text, strlen(text), partial, &cause);
	free(text);
	if (b == NULL) {
		http_error(r, 400, "invalid_space", "%s", cause);
		free(cause);
	}
	return b;
}

/* The space of the path's {id} (an id or a name), or NULL with the
 * answer sent. */
static json_t *
api_spaces_find(struct http_req *r, sqlite3 *db)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	json_t *s;

	if ((s = spaces_get(db, id, &cause)) == NULL) {
		if (cause != NULL)
			api_fail(r, cause);
		else
			http_error(r, 404, "no_space", "no space '%.64s'", id);
	}
	return s;
}

static int
api_spaces_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *a;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((a = spaces_list(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, a);
}

static int
api_spaces_get(struct http_req *r)
{
	sqlite3 *db;
	json_t *s;

	if ((db = api_db(r)) == NULL || (s = api_spaces_find(r, db)) == NULL)
		return 0;
	return http_json(r, 200, s);
}

static int
api_spaces_create(struct http_req *r)
{
	char id[UUID_STRLEN], *cause = NULL;
	sqlite3 *db;
	json_t *b, *s;

	if ((b = api_spaces_body(r, 0)) == NULL)
		return 0;
	if ((db = api_db(r)) == NULL) {
		json_decref(b);
		return 0;
	}
	if (spaces_create(db, b, id, &cause) != 0) {
		json_decref(b);
		if (strstr(cause, "exists") != NULL ||
		    strstr(cause, "spaces already") != NULL) {
			http_error(r, 409, "space_exists", "%s", cause);
			free(cause);
			return 0;
		}
		return api_fail(r, cause);
	}
	spaces_changed(db, api_actor(r), "create", id,
	    json_string_value(json_object_get(b, "name")));
	json_decref(b);
	if ((s = spaces_get(db, id, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 201, s);
}

static int
api_spaces_put(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *b, *s;
	int rc;

	if ((b = api_spaces_body(r, 1)) == NULL)
		return 0;
	if ((db = api_db(r)) == NULL || (s = api_spaces_find(r, db)) == NULL) {
		json_decref(b);
		return 0;
	}
	id = json_string_value(json_object_get(s, "id"));
	rc = spaces_update(db, id, b, &cause);
	json_decref(b);
	if (rc < 0 && strstr(cause, "exists") != NULL) {
		json_decref(s);
		http_error(r, 409, "space_exists", "%s", cause);
		free(cause);
		return 0;
	}
	if (rc < 0) {
		json_decref(s);
		return api_fail(r, cause);
	}
	spaces_changed(db, api_actor(r), "update", id, NULL);
	b = spaces_get(db, id, &cause);
	json_decref(s);
	if (b == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, b);
}

static int
api_spaces_delete(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *s;

	if ((db = api_db(r)) == NULL || (s = api_spaces_find(r, db)) == NULL)
		return 0;
	id = json_string_value(json_object_get(s, "id"));
	if (spaces_delete(db, id, &cause) < 0) {
		json_decref(s);
		return api_fail(r, cause);
	}
	spaces_changed(db, api_actor(r), "delete", id,
	    json_string_value(json_object_get(s, "name")));
	json_decref(s);
	return http_json(r, 200, json_pack("{s:b}", "deleted", 1));
}

const struct route api_spaces_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/spaces",
	    .handler = api_spaces_list,
	    .role = ROLE_VIEWER,
	    .tag = "spaces",
	    .summary = "Every space, by name.",
	    .response = "[{id, name, emoji, description, paths, tags, "
			"session_id, created_at, updated_at}]",
	},
	{
	    .method = "POST",
	    .pattern = "/api/spaces",
	    .handler = api_spaces_create,
	    .flags = ROUTE_BODY,
	    .max_body = SPACE_BODY_MAX,
	    .role = ROLE_OPERATOR,
	    .tag = "spaces",
	    .summary = "Create a space (201); 400 invalid_space, 409 "
		       "space_exists; audited, event space.changed.",
	    .request = "{name, emoji?, description?, paths?: [workspace-"
		       "relative glob or prefix], tags?: [word]}",
	    .response = "the space",
	},
	{
	    .method = "GET",
	    .pattern = "/api/spaces/{id}",
	    .handler = api_spaces_get,
	    .role = ROLE_VIEWER,
	    .tag = "spaces",
	    .summary = "One space, by id or name (404 no_space).",
	    .response = "the space",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/spaces/{id}",
	    .handler = api_spaces_put,
	    .flags = ROUTE_BODY,
	    .max_body = SPACE_BODY_MAX,
	    .role = ROLE_OPERATOR,
	    .tag = "spaces",
	    .summary = "Change the members given of a space; 400 "
		       "invalid_space, 404 no_space, 409 space_exists; "
		       "audited.",
	    .request = "{name?, emoji?, description?, paths?, tags?}",
	    .response = "the space",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/spaces/{id}",
	    .handler = api_spaces_delete,
	    .role = ROLE_OPERATOR,
	    .tag = "spaces",
	    .summary = "Delete a space (404 no_space); its sessions keep "
		       "their messages, without a space; audited.",
	    .response = "{deleted: true}",
	},
	{ .method = NULL },
};
