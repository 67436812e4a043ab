/*
 * api_approvals.c — /api/approvals: the tool calls that wait for a human
 * (kernel/approvals.h), their answers, and /api/security/rules: the allow
 * rules "allow always" answers made.
 *
 * An answer to an approval that is no longer pending (answered, expired,
 * cancelled) is 409 already_decided; an unknown one 404.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "kernel/approvals.h"

#define API_BODY_APPROVAL 4096

/* The answer of approvals_answer()/approvals_rule_revoke() as HTTP. */
static int
api_approvals_status(struct http_req *r, int rc, char *cause)
{
	if (rc == APPROVALS_UNKNOWN)
		http_error(r, 404, "not_found", "%s", cause);
	else if (rc == APPROVALS_DECIDED)
		http_error(r, 409, "already_decided", "%s", cause);
	else if (rc == APPROVALS_BAD)
		http_error(r, 400, "bad_request", "%s", cause);
	else
		return api_fail(r, cause);
	free(cause);
	return 0;
}

static int
api_approvals_list(struct http_req *r)
{
	const char *state = http_query(r, "state");
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;
	long limit;

	if (state != NULL && strcmp(state, "pending") != 0 &&
	    strcmp(state, "all") != 0) {
		http_error(r, 400, "invalid_state",
		    "state must be pending or all");
		return 0;
	}
	if (api_query_int(r, "limit", 1, 1000, 100, &limit) != 0 ||
	    (db = api_db(r)) == NULL)
		return 0;
	v = approvals_list(db, state != NULL && strcmp(state, "all") == 0,
	    limit, &cause);
	if (v == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "approvals", v));
}

static int
api_approvals_get(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char *cause = NULL;
	sqlite3 *db;

	if ((db = api_db(r)) == NULL)
		return 0;
	return api_found(r, approvals_get(db, id, &cause), cause, "approval",
	    id);
}

/* approve (scope once|always) or reject (reason, kept in the audit). */
static int
api_approvals_answer(struct http_req *r, int approve)
{
	const char *id = route_param(&r->match, "id"), *scope = NULL,
		   *reason = NULL;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v = NULL;
	int bad = 0, rc;

	if (approve && r->body != NULL)
		scope = api_body_str(r->body, "scope", &bad);
	if (r->body != NULL && !approve)
		reason = api_body_str(r->body, "reason", &bad);
	if (bad ||
	    (scope != NULL && strcmp(scope, "once") != 0 &&
		strcmp(scope, "always") != 0)) {
		http_error(r, 400, "bad_request",
		    approve ? "scope must be \"once\" or \"always\"" :
			      "reason must be a string");
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	rc = approve ?
	    approvals_answer(db, id, 1, scope, api_actor(r), &v, &cause) :
	    approvals_reject(db, id, api_actor(r), reason, &v, &cause);
	if (rc != 0)
		return api_approvals_status(r, rc, cause);
	return http_json(r, 200, v);
}

static int
api_approvals_approve(struct http_req *r)
{
	return api_approvals_answer(r, 1);
}

static int
api_approvals_reject(struct http_req *r)
{
	return api_approvals_answer(r, 0);
}

static int
api_rules_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((v = approvals_rules(db, 0, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "rules", v));
}

static int
api_rules_add(struct http_req *r)
{
	const char *principal, *tool;
	json_t *args, *v;
	char *cause = NULL;
	sqlite3 *db;
	int64_t id;
	int bad = 0;

	if (r->body == NULL || !json_is_object(r->body)) {
		http_error(r, 400, "bad_request",
		    "the body is {principal, tool, args}");
		return 0;
	}
	principal = api_body_str(r->body, "principal", &bad);
	tool = api_body_str(r->body, "tool", &bad);
	args = json_object_get(r->body, "args");
	if (bad || principal == NULL || tool == NULL || !json_is_object(args)) {
		http_error(r, 400, "bad_request",
		    "principal and tool are strings, args an object");
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	if ((id = approvals_rule_add(db, principal, tool, args, api_actor(r),
		 &cause)) < 0)
		return api_approvals_status(r, (int)id, cause);
	v = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "principal",
	    principal, "tool", tool, "created_by", api_actor(r));
	return http_json(r, 201, v);
}

static int
api_rules_revoke(struct http_req *r)
{
	const char *s = route_param(&r->match, "id");
	char *end = NULL, *cause = NULL;
	long long id;
	sqlite3 *db;
	int rc;

	id = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || id <= 0) {
		http_error(r, 400, "invalid_id", "a rule id is a number");
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	if ((rc = approvals_rule_revoke(db, id, api_actor(r), &cause)) != 0)
		return api_approvals_status(r, rc, cause);
	return http_json(r, 200, json_pack("{s:I}", "revoked", (json_int_t)id));
}

const struct route api_approvals_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/approvals",
	    .handler = api_approvals_list,
	    .role = ROLE_VIEWER,
	    .tag = "approvals",
	    .summary = "Tool calls waiting for a human approval (?state="
		       "pending, the default, oldest first; all: every one, "
		       "newest first; &limit=1-1000, default 100).",
	    .response = "{approvals: [{id, principal, agent_id, session_id, "
			"tool, input, summary, reason, danger, state, scope, "
			"rule_id, created_at, expires_at, decided_at, "
			"decided_by}]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/approvals/{id}",
	    .handler = api_approvals_get,
	    .role = ROLE_VIEWER,
	    .tag = "approvals",
	    .summary = "One approval (404 when unknown).",
	    .response = "the approval",
	},
	{
	    .method = "POST",
	    .pattern = "/api/approvals/{id}/approve",
	    .handler = api_approvals_approve,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_APPROVAL,
	    .role = ROLE_OPERATOR,
	    .tag = "approvals",
	    .summary = "Let the waiting call run; scope always also adds an "
		       "allow rule for the same call (404 unknown, 409 "
		       "already decided); event approval.resolved.",
	    .request = "{scope?: once|always}",
	    .response = "the approval",
	},
	{
	    .method = "POST",
	    .pattern = "/api/approvals/{id}/reject",
	    .handler = api_approvals_reject,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_APPROVAL,
	    .role = ROLE_OPERATOR,
	    .tag = "approvals",
	    .summary =
		"Refuse the waiting call: the model gets a tool error "
		"with the reason, if one is given (400 a reason over "
		"1024 bytes or not UTF-8, 404 unknown, 409 already "
		"decided); the reason is kept as the approval's note and "
		"in the audit entry.",
	    .request = "{reason?}",
	    .response = "the approval",
	},
	{
	    .method = "GET",
	    .pattern = "/api/security/rules",
	    .handler = api_rules_list,
	    .role = ROLE_VIEWER,
	    .tag = "approvals",
	    .summary = "The allow rules in force (made by \"allow always\" "
		       "answers).",
	    .response = "{rules: [{id, principal, tool, match, created_at, "
			"created_by, approval_id}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/security/rules",
	    .handler = api_rules_add,
	    .flags = ROUTE_BODY,
	    .role = ROLE_OPERATOR,
	    .tag = "approvals",
	    .summary = "Make an allow rule without a waiting call: the "
		       "profile's calls of the tool with exactly these "
		       "arguments run without asking (400 a bad name, an "
		       "unknown tool or arguments its schema refuses); "
		       "audited, event permissions.changed.",
	    .request = "{principal, tool, args}",
	    .response = "{id, principal, tool, created_by}",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/security/rules/{id}",
	    .handler = api_rules_revoke,
	    .role = ROLE_OPERATOR,
	    .tag = "approvals",
	    .summary = "Revoke an allow rule (404 unknown, 409 already "
		       "revoked); audited, event permissions.changed.",
	    .response = "{revoked: id}",
	},
	{ .method = NULL },
};
