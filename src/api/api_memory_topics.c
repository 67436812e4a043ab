/*
 * api_memory_topics.c — /api/memory/topics: the ROOT index (memory/root.h),
 * its topics and one topic's memories.  Keyed reads: no search runs.
 */
#include <stdlib.h>

#include "api/api.h"
#include "memory/root.h"

static int
api_memory_topics(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;
	long limit;

	if (api_query_int(r, "limit", 1, 1000, 100, &limit) != 0 ||
	    (db = api_memory_db(r)) == NULL)
		return 0;
	if ((t = memory_topics(db, http_query(r, "prefix"), limit, &cause)) ==
	    NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "topics", t));
}

static int
api_memory_topic(struct http_req *r)
{
	const char *name = route_param(&r->match, "name");
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;

	if ((db = api_memory_db(r)) == NULL)
		return 0;
	if ((t = memory_topic(db, name, &cause)) == NULL) {
		if (cause != NULL)
			return api_fail(r, cause);
		return http_error(r, 404, "not_found", "no topic %.64s", name);
	}
	return http_json(r, 200, t);
}

const struct route api_memory_topics_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/memory/topics",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_topics,
	    .tag = "memory",
	    .summary = "The ROOT index: topics (tags, else the type), most "
		       "memories first (?prefix=&limit=).",
	    .response = "{topics: [{topic, summary, count, touched_at}]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/topics/{name}",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_topic,
	    .tag = "memory",
	    .summary = "One topic and its memories, most important first "
		       "(no access counted).",
	    .response = "{topic, summary, count, touched_at, ids, memories}",
	},
	{ .method = NULL },
};
