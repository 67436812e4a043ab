/*
 * api_agents.c — agents, agent groups and sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "kernel/sessions.h"
#include "kernel/supervisor.h"
#include "memory/recall.h"
#include "util/uuid.h"

#define API_MAX_LIMIT 1000

static const char *const api_agent_states[] = { "queued", "running", "exited",
	"killed", "failed", NULL };

/* A list answer {name: rows}, or the failure. */
static int
api_rows(struct http_req *r, const char *name, json_t *rows, char *cause)
{
	if (rows == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", name, rows));
}

/* An id from the path that cannot be one gets a 404 without a query. */
static int
api_id_ok(struct http_req *r, const char *id, const char *what)
{
	if (strlen(id) < UUID_STRLEN &&
	    strspn(id, "0123456789abcdef-") == strlen(id))
		return 1;
	http_error(r, 404, "not_found", "no %s %.64s", what, id);
	return 0;
}

static int
api_agents_list(struct http_req *r)
{
	const char *state = http_query(r, "state"), *group;
	char *cause = NULL;
	sqlite3 *db;
	long limit;
	int i;

	if (api_query_int(r, "limit", 1, API_MAX_LIMIT, 100, &limit) != 0)
		return 0;
	if (state != NULL) {
		for (i = 0; api_agent_states[i] != NULL; i++) {
			if (strcmp(state, api_agent_states[i]) == 0)
				break;
		}
		if (api_agent_states[i] == NULL)
			return http_error(r, 400, "bad_parameter",
			    "state must be one of queued, running, exited, "
			    "killed, failed");
	}
	group = http_query(r, "group");
	if ((db = api_db(r)) == NULL)
		return 0;
	return api_rows(r, "agents",
	    supervisor_list(db, state, group, limit, &cause), cause);
}

static int
api_agents_get(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;
	json_t *a;

	if (!api_id_ok(r, id, "agent") || (db = api_db(r)) == NULL)
		return 0;
	a = supervisor_get(db, id, &cause);
	return api_found(r, a, cause, "agent", id);
}

static int
api_agents_kill(struct http_req *r)
{
	const char *id = route_param(&r->match, "id"), *state;
	char *cause = NULL;
	sqlite3 *db;
	json_t *a;

	if (!api_id_ok(r, id, "agent") || (db = api_db(r)) == NULL)
		return 0;
	if ((a = supervisor_get(db, id, &cause)) == NULL) {
		if (cause != NULL)
			return api_fail(r, cause);
		return http_error(r, 404, "not_found", "no agent %s", id);
	}
	state = json_string_value(json_object_get(a, "state"));
	if (supervisor_kill(id) != 0) {
		http_error(r, 409, "not_running",
		    "agent %s is %s, not running in this daemon", id,
		    state != NULL ? state : "unknown");
		json_decref(a);
		return 0;
	}
	json_decref(a);
	return http_json(r, 200, json_pack("{s:s}", "killed", id));
}

static int
api_groups_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	long limit;

	if (api_query_int(r, "limit", 1, API_MAX_LIMIT, 100, &limit) != 0 ||
	    (db = api_db(r)) == NULL)
		return 0;
	return api_rows(r, "groups", supervisor_groups(db, limit, &cause),
	    cause);
}

static int
api_groups_get(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;
	json_t *agents;

	if (!api_id_ok(r, id, "agent group") || (db = api_db(r)) == NULL)
		return 0;
	if ((agents = supervisor_list(db, NULL, id, 10000, &cause)) == NULL)
		return api_fail(r, cause);
	if (json_array_size(agents) == 0) {
		json_decref(agents);
		return http_error(r, 404, "not_found", "no agent group %s", id);
	}
	return http_json(r, 200,
	    json_pack("{s:s, s:o}", "id", id, "agents", agents));
}

static int
api_sessions_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	long limit;

	if (api_query_int(r, "limit", 1, API_MAX_LIMIT, 100, &limit) != 0 ||
	    (db = api_db(r)) == NULL)
		return 0;
	return api_rows(r, "sessions", session_list(db, (int)limit, &cause),
	    cause);
}

static int
api_sessions_get(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;
	json_t *s, *recall;

	if (!api_id_ok(r, id, "session") || (db = api_db(r)) == NULL)
		return 0;
	s = session_get(db, id, &cause);
	if (s != NULL && (recall = recall_session(db, id, &cause)) == NULL) {
		json_decref(s);
		return api_fail(r, cause);
	}
	if (s != NULL)
		json_object_set_new(s, "recall", recall);
	return api_found(r, s, cause, "session", id);
}

static int
api_sessions_delete(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;

	if (!api_id_ok(r, id, "session") || (db = api_db(r)) == NULL)
		return 0;
	switch (session_delete(db, id, &cause)) {
	case SESSION_DELETED:
		return http_json(r, 200, json_pack("{s:s}", "deleted", id));
	case SESSION_NONE:
		return http_error(r, 404, "not_found", "no session %s", id);
	case SESSION_BUSY:
		return http_error(r, 409, "busy",
		    "an agent is running in session %s; kill it first", id);
	default:
		return api_fail(r, cause);
	}
}

const struct route api_agents_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/agents",
	    .role = ROLE_VIEWER,
	    .handler = api_agents_list,
	    .tag = "agents",
	    .summary = "Agents, newest first (?state=running&limit=50).",
	    .response = "{agents: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/agents/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_agents_get,
	    .tag = "agents",
	    .summary = "One agent.",
	    .response = "the agent",
	},
	{
	    .method = "POST",
	    .pattern = "/api/agents/{id}/kill",
	    .role = ROLE_OPERATOR,
	    .handler = api_agents_kill,
	    .tag = "agents",
	    .summary = "Kill a running or queued agent (and its sub-agents).",
	    .response = "{killed: id}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/agent-groups",
	    .role = ROLE_VIEWER,
	    .handler = api_groups_list,
	    .tag = "agents",
	    .summary = "Agent groups: a root agent and its sub-agents.",
	    .response = "{groups: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/agent-groups/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_groups_get,
	    .tag = "agents",
	    .summary = "One group with its agents.",
	    .response = "{id, agents: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/sessions",
	    .role = ROLE_VIEWER,
	    .handler = api_sessions_list,
	    .tag = "sessions",
	    .summary = "Sessions, most recently used first (?limit=50).",
	    .response = "{sessions: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/sessions/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_sessions_get,
	    .tag = "sessions",
	    .summary = "A session with its messages, the agents that ran in "
		       "it and what it recalled from memory (docs/memory.md, "
		       "\"Recall at topic changes\").",
	    .response = "{id, title, messages, agents, recall: {topics: "
			"[{topic, turn, recalled}], memories: [{id, type, "
			"content}]}, ...}",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/sessions/{id}",
	    .role = ROLE_OPERATOR,
	    .handler = api_sessions_delete,
	    .tag = "sessions",
	    .summary = "Delete a session and its messages (409 while an "
		       "agent runs in it).",
	    .response = "{deleted: id}",
	},
	{ .method = NULL },
};
