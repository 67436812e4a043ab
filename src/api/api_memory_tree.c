/*
 * api_memory_tree.c — the compaction tree over REST (memory/compact.h):
 * POST /api/memory/compact runs a compaction (on a thread of its own: it
 * calls the model), GET /api/memory/{id}/tree shows a memory with the
 * summaries above it and, for a summary, its sources below.
 */
#include <errno.h>
#include <stdlib.h>

#include "api/api.h"
#include "config/live.h"
#include "memory/compact.h"

/* A compaction, on the thread of api_memory_background(). */
static json_t *
api_mem_compact(sqlite3 *db, const char *actor, int *status)
{
	const struct config *cfg = config_live_get();
	char *cause = NULL;
	json_t *t;
	int busy;

	errno = 0;
	t = memory_compact(db, cfg, actor, &cause);
	busy = t == NULL && errno == EBUSY;
	config_live_put(cfg);
	if (t != NULL) {
		*status = 200;
		return t;
	}
	*status = busy ? 409 : 500;
	t = json_pack("{s:{s:s, s:s}}", "error", "code",
	    busy ? "busy" : "internal", "message",
	    cause != NULL ? cause : "compaction failed");
	free(cause);
	return t;
}

static int
api_memory_compact(struct http_req *r)
{
	if (api_memory_db(r) == NULL)
		return 0;
	return api_memory_background(r, api_mem_compact);
}

static int
api_memory_tree(struct http_req *r)
{
	const char *s = route_param(&r->match, "id");
	char *end, *cause = NULL;
	sqlite3 *db;
	json_t *t;
	long long id;

	errno = 0;
	id = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || id < 1)
		return http_error(r, 400, "bad_request",
		    "'%.32s' is not a memory id", s);
	if ((db = api_memory_db(r)) == NULL)
		return 0;
	if ((t = memory_tree(db, id, &cause)) == NULL) {
		if (cause != NULL)
			return api_fail(r, cause);
		return http_error(r, 404, "not_found", "no memory %lld", id);
	}
	return http_json(r, 200, t);
}

const struct route api_memory_tree_routes[] = {
	{
	    .method = "POST",
	    .pattern = "/api/memory/compact",
	    .role = ROLE_OPERATOR,
	    .handler = api_memory_compact,
	    .tag = "memory",
	    .summary = "Compact now: closed days, weeks and months of raw "
		       "memories into summaries through the model, a root "
		       "summary per topic; then prune covered memories by "
		       "memory.prune_covered_days (409 while another "
		       "compaction runs).",
	    .response = "{levels: {daily|weekly|monthly|root: {written, "
			"rewritten, unchanged, pending}}, calls, model, "
			"pruned, pruned_ids, clock, refused?, capped?, "
			"max_calls?, pending_why?}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/{id}/tree",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_tree,
	    .tag = "memory",
	    .summary = "A memory in the compaction tree: the summaries that "
		       "cover it, and a summary's sources down to the raw "
		       "memories (no access counted).",
	    .response = "{id, type, content, created_at, level?, period?, "
			"children: [...], parents: [{id, level, period}]}",
	},
	{ .method = NULL },
};
