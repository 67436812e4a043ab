/*
 * api_seeds.c — /api/seeds: the seeds of Ouroboros and their lineage
 * (read-only; ouroboros/seed_store.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ouroboros/seed_store.h"
#include "store/db.h"
#include "util/uuid.h"

static int
api_seeds_list(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;
	long limit, offset;

	if (api_query_int(r, "limit", 1, SEED_LIST_MAX, 50, &limit) != 0 ||
	    api_query_int(r, "offset", 0, 0x7fffffffL, 0, &offset) != 0)
		return 0;
	if ((db = api_db(r)) == NULL)
		return 0;
	if ((v = seed_store_list(db, limit, offset, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, v);
}

/* The {id} of the route, or NULL after a 404 for one that cannot be. */
static const char *
api_seeds_id(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");

	if (!uuid_valid(id)) {
		http_error(r, 404, "not_found",
		    "no seed %.64s (a seed id is a UUID: oxios seeds list)",
		    id);
		return NULL;
	}
	return id;
}

static int
api_seeds_get(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((id = api_seeds_id(r)) == NULL || (db = api_db(r)) == NULL)
		return 0;
	v = seed_store_get(db, id, &cause);
	return api_found(r, v, cause, "seed", id);
}

static int
api_seeds_evolution(struct http_req *r)
{
	const char *id;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;

	if ((id = api_seeds_id(r)) == NULL || (db = api_db(r)) == NULL)
		return 0;
	v = seed_store_lineage(db, id, &cause);
	return api_found(r, v, cause, "seed", id);
}

const struct route api_seeds_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/seeds",
	    .role = ROLE_VIEWER,
	    .handler = api_seeds_list,
	    .tag = "seeds",
	    .summary = "Seeds of Ouroboros, newest first (?limit=1-1000, "
		       "default 50, &offset=).",
	    .response = "{seeds: [{id, parent_id, root_id, generation, "
			"created_at, status, stop_reason, goal, task_type, "
			"ambiguity, degraded}], total, limit, offset}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/seeds/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_seeds_get,
	    .tag = "seeds",
	    .summary = "One seed: its specification, metadata, status and "
		       "stop reason (404 not_found).",
	    .response = "{id, parent_id, root_id, generation, ambiguity, "
			"degraded, created_at, goal, task_type, rationale, "
			"constraints, acceptance_criteria, "
			"evaluation_principles, exit_conditions, assumptions, "
			"status, stop_reason}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/seeds/{id}/evolution",
	    .role = ROLE_VIEWER,
	    .handler = api_seeds_evolution,
	    .tag = "seeds",
	    .summary = "The lineage of a seed (any of its generations): "
		       "every generation, oldest first, with its criteria's "
		       "results and scores (404 not_found).",
	    .response = "{root_id, generations: [{generation, seed, status, "
			"stop_reason, criteria: [{id, description, passed, "
			"score, results}], verdicts, passed, score}]}",
	},
	{ .method = NULL },
};
