/*
 * api_budget.c — /api/budget: the budgets of agent principals (limits,
 * spend, reset, holds) and the global limits (kernel/budget_agent.h).
 *
 * A budget that does not fit a hold is answered 402 budget_exceeded,
 * naming the budget; an agent without limits has none to remove or reset
 * (404 no_budget).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "config/live.h"
#include "kernel/budget_agent.h"
#include "util/time.h"

#define API_BODY_BUDGET 4096

static int
api_budget_list(struct http_req *r)
{
	const struct config *cfg;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((db = api_db(r)) == NULL)
		return 0;
	cfg = config_live_get();
	v = budget_list_json(db, cfg, time_wall_ms(), &cause);
	config_live_put(cfg);
	if (v == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

static int
api_budget_get(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((id = api_agent_param(r, "agent_id")) == NULL ||
	    (db = api_db(r)) == NULL)
		return 0;
	if ((v = budget_agent_json(db, id, time_wall_ms(), &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

static int
api_budget_set(struct http_req *r)
{
	struct budget_agent a;
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((id = api_agent_param(r, "agent_id")) == NULL)
		return 0;
	memset(&a, 0, sizeof a);
	if (budget_limits_parse(r->body, &a, &cause) != 0) {
		http_error(r, 400, "invalid_budget", "%s", cause);
		free(cause);
		return 0;
	}
	snprintf(a.principal, sizeof a.principal, "%s", id);
	if ((db = api_db(r)) == NULL)
		return 0;
	if (budget_agent_set(db, &a, api_actor(r), time_wall_ms(), &cause) !=
		0 ||
	    (v = budget_agent_json(db, id, time_wall_ms(), &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

/* DELETE (reset 0) and POST .../reset (reset 1). */
static int
api_budget_change(struct http_req *r, int reset)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;
	int rc;

	if ((id = api_agent_param(r, "agent_id")) == NULL ||
	    (db = api_db(r)) == NULL)
		return 0;
	rc = reset ?
	    budget_agent_reset(db, id, api_actor(r), time_wall_ms(), &cause) :
	    budget_agent_unset(db, id, api_actor(r), &cause);
	if (rc < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "no_budget",
		    "agent '%s' has no budget (set one: POST /api/budget/%s)",
		    id, id);
	if (!reset)
		return http_json(r, 200, json_pack("{s:s}", "removed", id));
	if ((v = budget_agent_json(db, id, time_wall_ms(), &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

static int
api_budget_delete(struct http_req *r)
{
	return api_budget_change(r, 0);
}

static int
api_budget_reset(struct http_req *r)
{
	return api_budget_change(r, 1);
}

static int
api_budget_reserve(struct http_req *r)
{
	const struct config *cfg;
	const char *id;
	char *cause = NULL;
	long long tokens;
	double usd;
	int64_t ttl, res, expires;
	int exceeded, rc;
	sqlite3 *db;

	if ((id = api_agent_param(r, "agent_id")) == NULL)
		return 0;
	if (budget_hold_parse(r->body, &tokens, &usd, &ttl, &cause) != 0) {
		http_error(r, 400, "invalid_reservation", "%s", cause);
		free(cause);
		return 0;
	}
	if ((db = api_db(r)) == NULL)
		return 0;
	cfg = config_live_get();
	rc = budget_agent_hold(db, cfg, id, tokens, usd, ttl, api_actor(r),
	    time_wall_ms(), &res, &expires, &exceeded, &cause);
	config_live_put(cfg);
	if (rc != 0 && exceeded) {
		http_error(r, 402, "budget_exceeded", "%s", cause);
		free(cause);
		return 0;
	}
	if (rc != 0)
		return api_fail(r, cause);
	return http_json(r, 200,
	    json_pack("{s:I, s:s, s:I, s:f, s:I}", "reservation",
		(json_int_t)res, "agent", id, "tokens", (json_int_t)tokens,
		"usd", usd, "expires_at", (json_int_t)expires));
}

static int
api_budget_release(struct http_req *r)
{
	const char *id, *rid = route_param(&r->match, "id");
	char *cause = NULL, *end;
	long long n;
	sqlite3 *db;
	int rc;

	if ((id = api_agent_param(r, "agent_id")) == NULL)
		return 0;
	n = strtoll(rid, &end, 10);
	if (*rid == '\0' || *end != '\0' || n <= 0)
		return http_error(r, 404, "not_found", "no hold %.32s of '%s'",
		    rid, id);
	if ((db = api_db(r)) == NULL)
		return 0;
	if ((rc = budget_agent_release(db, id, n, api_actor(r), time_wall_ms(),
		 &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "not_found",
		    "no hold %lld of '%s' (released, expired or never made)", n,
		    id);
	return http_json(r, 200, json_pack("{s:I}", "released", (json_int_t)n));
}

const struct route api_budget_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/budget",
	    .role = ROLE_VIEWER,
	    .handler = api_budget_list,
	    .tag = "budget",
	    .summary = "Every agent with limits or spend, and the global "
		       "limits with what they count.",
	    .response = "{agents: [...], global: {daily, monthly, per_run, "
			"per_session}}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/budget/{agent_id}",
	    .role = ROLE_VIEWER,
	    .handler = api_budget_get,
	    .tag = "budget",
	    .summary = "An agent's limits (null: none) and what it spent and "
		       "holds in its window.",
	    .response = "{agent, limits, window, window_start, reset_at, "
			"spent, reserved}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/budget/{agent_id}",
	    .role = ROLE_ADMIN,
	    .handler = api_budget_set,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_BUDGET,
	    .tag = "budget",
	    .summary = "Set an agent's limits (0: none of that kind); audited, "
		       "event budget.set.",
	    .request = "{tokens?, calls?, usd?, window?: day|month|lifetime}",
	    .response = "the agent's budget",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/budget/{agent_id}",
	    .role = ROLE_ADMIN,
	    .handler = api_budget_delete,
	    .tag = "budget",
	    .summary = "Remove an agent's limits (404 no_budget without "
		       "any); its spend stays in the ledger.",
	    .response = "{removed: agent_id}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/budget/{agent_id}/reserve",
	    .role = ROLE_OPERATOR,
	    .handler = api_budget_reserve,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_BUDGET,
	    .tag = "budget",
	    .summary = "Hold tokens and USD of an agent's budget ahead of an "
		       "expensive operation until it expires; 402 "
		       "budget_exceeded, naming the budget, when it does "
		       "not fit.",
	    .request = "{tokens?, usd?, ttl_secs?: 1-3600, default 600}",
	    .response = "{reservation, agent, tokens, usd, expires_at}",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/budget/{agent_id}/reserve/{id}",
	    .role = ROLE_OPERATOR,
	    .handler = api_budget_release,
	    .tag = "budget",
	    .summary = "Release a hold before it expires (404 when it is no "
		       "longer held).",
	    .response = "{released: id}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/budget/{agent_id}/reset",
	    .role = ROLE_ADMIN,
	    .handler = api_budget_reset,
	    .tag = "budget",
	    .summary = "Start an agent's budget window anew (the history is "
		       "kept, the reset time recorded); event budget.reset.",
	    .response = "the agent's budget",
	},
	{ .method = NULL },
};
