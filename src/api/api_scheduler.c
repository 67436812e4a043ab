/*
 * api_scheduler.c — /api/scheduler: the LLM calls queued and running, and
 * the scheduler's statistics per provider and class (with each
 * provider's circuit breaker and each agent's queue wait in llm_calls).
 */
#include <string.h>

#include "api/api.h"
#include "kernel/breaker.h"
#include "kernel/scheduler.h"
#include "store/db.h"

#define API_SCHED_AGENTS 1000 /* agents listed with their queue wait */

static int
api_scheduler_tasks(struct http_req *r)
{
	return http_json(r, 200,
	    json_pack("{s:o}", "tasks", sched_tasks_json()));
}

/* Each provider's breaker state ("closed" if it has none yet). */
static void
api_scheduler_breakers(json_t *provs)
{
	json_t *br = breaker_status(), *p, *b;
	size_t i, j;
	const char *state;

	json_array_foreach(provs, i, p) {
		state = "closed";
		json_array_foreach(br, j, b) {
			if (strcmp(json_string_value(
				       json_object_get(b, "provider")),
				json_string_value(
				    json_object_get(p, "provider"))) == 0)
				state = json_string_value(
				    json_object_get(b, "state"));
		}
		json_object_set_new(p, "breaker", json_string(state));
	}
	json_decref(br);
}

static int
api_scheduler_stats(struct http_req *r)
{
	json_t *st, *waits;
	sqlite3 *db;
	char *cause = NULL;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((waits = db_rows(db,
		 "SELECT agent_id, COUNT(*) AS calls, "
		 "COALESCE(SUM(queue_ms), 0) AS queue_ms FROM llm_calls "
		 "GROUP BY agent_id ORDER BY queue_ms DESC",
		 0, NULL, API_SCHED_AGENTS, &cause)) == NULL)
		return api_fail(r, cause);
	st = sched_stats_json();
	api_scheduler_breakers(json_object_get(st, "providers"));
	json_object_set_new(st, "queue_by_agent", waits);
	return http_json(r, 200, st);
}

const struct route api_scheduler_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/scheduler/tasks",
	    .role = ROLE_VIEWER,
	    .handler = api_scheduler_tasks,
	    .tag = "scheduler",
	    .summary = "The LLM calls waiting for admission (best ranked "
		       "first) and in flight, with their agents, classes and "
		       "waits.",
	    .response = "{tasks: [{id, provider, model, agent_id, principal, "
			"class, effective_class, state: queued|running, "
			"waited_ms, since}]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/scheduler/stats",
	    .role = ROLE_VIEWER,
	    .handler = api_scheduler_stats,
	    .tag = "scheduler",
	    .summary = "Per provider and priority class: queue depth, calls "
		       "in flight, admissions per second over the last minute, "
		       "waits p50/p95, rates and limits, Retry-After block, "
		       "breaker state; each agent's fair-share tokens, and "
		       "its calls' summed queue wait from llm_calls.",
	    .response = "{providers: [{provider, in_flight, queued, admitted, "
			"rate_limited, blocked_ms, max_concurrent, breaker, "
			"rpm: {now, limit, allowed}, tpm: {now, limit}, "
			"classes: {interactive: {queued, in_flight, admitted, "
			"admitted_per_sec, wait_p50_ms, wait_p95_ms}, ...}, "
			"models: [{model, queued, in_flight, max_concurrent, "
			"rpm_limit, tpm_limit}]}], agents: [{agent_id, tokens, "
			"queued, running}], queue_by_agent: [{agent_id, calls, "
			"queue_ms}]}",
	},
	{ .method = NULL },
};
