/*
 * api_usage.c — /api/usage: where the tokens and the money went, the LLM
 * calls of llm_calls grouped by phase, model, principal, class, kind or
 * day (kernel/usage.h).
 *
 * An unknown `by`, a `since` that is no time and an `agent` that is no
 * UUID are answered 400 before the database is read.
 */
#include <stdlib.h>

#include "api/api.h"
#include "kernel/usage.h"
#include "util/time.h"
#include "util/uuid.h"

static int
api_usage_get(struct http_req *r)
{
	const char *by = http_query(r, "by"), *when = http_query(r, "since");
	const char *agent = http_query(r, "agent");
	const char *session = http_query(r, "session");
	char since[USAGE_SINCE_MAX], *cause = NULL;
	struct usage_filter f;
	struct usage_report rep;
	sqlite3 *db;
	json_t *v;

	if (by == NULL || *by == '\0')
		by = USAGE_DEFAULT_BY;
	if (!usage_dim_ok(by))
		return http_error(r, 400, "invalid_by",
		    "by: unknown dimension '%.32s' (try: %s)", by,
		    usage_dims());
	if (when != NULL && *when == '\0')
		when = NULL;
	if (when != NULL &&
	    usage_since_parse(when, time_wall_ms(), since, sizeof since,
		&cause) != 0) {
		http_error(r, 400, "invalid_since", "%s", cause);
		free(cause);
		return 0;
	}
	if (agent != NULL && *agent == '\0')
		agent = NULL;
	if (agent != NULL && !uuid_valid(agent))
		return http_error(r, 400, "invalid_agent",
		    "agent: '%.64s' is not an agent id (a UUID)", agent);
	if (session != NULL && *session == '\0')
		session = NULL;
	if (session != NULL && !uuid_valid(session))
		return http_error(r, 400, "invalid_session",
		    "session: '%.64s' is not a session id (a UUID)", session);
	if ((db = api_db(r)) == NULL)
		return 0;
	f.since = when != NULL ? since : NULL;
	f.agent_id = agent;
	f.session_id = session;
	if (usage_report(db, by, &f, &rep, &cause) != 0)
		return api_fail(r, cause);
	v = usage_report_json(&rep, by, &f);
	usage_report_free(&rep);
	return http_json(r, 200, v);
}

const struct route api_usage_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/usage",
	    .role = ROLE_VIEWER,
	    .handler = api_usage_get,
	    .tag = "usage",
	    .summary =
		"The LLM calls' tokens and cost grouped by one "
		"dimension: ?by=phase (the default), model, principal, "
		"class, kind or day; ?since= an RFC 3339 time or a "
		"time back (24h, 7d); ?agent= one agent's calls; "
		"?session= one session's (a chat, or a protocol run "
		"with every generation).  Sorted by cost, then tokens; cost_usd null "
		"when no call of the group is priced, partial when "
		"some are not (unpriced_calls).  400 on an unknown "
		"by, a bad since, agent or session.",
	    .response =
		"{by, since, agent, session, rows: [{key, calls, errors, "
		"input_tokens, output_tokens, cache_read_tokens, "
		"cache_write_tokens, cost_usd, unpriced_calls, "
		"partial}], total: {...}}",
	},
	{ .method = NULL },
};
