/*
 * api_memory.c — /api/memory: store, read, forget, search, tiers, stats,
 * dream consolidation and its reports.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "config/live.h"
#include "kernel/memtools.h"
#include "memory/memory.h"
#include "security/audit.h"
#include "store/db.h"

/* The memory service, or a 503 answer and NULL. */
static sqlite3 *
api_mem_db(struct http_req *r)
{
	const struct config *cfg;
	sqlite3 *db;
	int ok;

	if ((db = api_db(r)) == NULL)
		return NULL;
	cfg = config_live_get();
	ok = memtools_ready(db, cfg);
	config_live_put(cfg);
	if (!ok) {
		http_error(r, 503, "memory_off",
		    "memory is turned off (memory.enabled) or could not "
		    "start (see the log)");
		return NULL;
	}
	return db;
}

static int
api_mem_id(struct http_req *r, int64_t *id)
{
	const char *s = route_param(&r->match, "id");
	char *end;

	*id = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || *id < 1) {
		http_error(r, 404, "not_found", "no memory %.64s", s);
		return -1;
	}
	return 0;
}

static int
api_memory_list(struct http_req *r)
{
	const char *type = http_query(r, "type"), *tier = http_query(r, "tier");
	char *cause = NULL;
	sqlite3 *db;
	json_t *list;
	long limit, offset;

	if (api_query_int(r, "limit", 1, 1000, 100, &limit) != 0 ||
	    api_query_int(r, "offset", 0, 100000000, 0, &offset) != 0)
		return 0;
	if (type != NULL && mem_type_parse(type) < 0)
		return http_error(r, 400, "bad_parameter",
		    "unknown memory type '%.64s'", type);
	if (tier != NULL && mem_tier_parse(tier) < 0)
		return http_error(r, 400, "bad_parameter",
		    "tier must be hot, warm or cold");
	if ((db = api_mem_db(r)) == NULL)
		return 0;
	if ((list = memory_list(db, type, tier, limit, offset, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "memories", list));
}

static int
api_memory_add(struct http_req *r)
{
	struct mem_new m;
	const char *s;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v;
	int64_t id;
	int bad = 0;

	if (!json_is_object(r->body))
		return http_error(r, 400, "bad_request",
		    "the body must be {\"content\": \"...\", \"type\"?, "
		    "\"tags\"?, \"protection\"?, \"importance\"?}");
	memset(&m, 0, sizeof m);
	m.type = m.protect = -1;
	m.importance = -1;
	v = json_object_get(r->body, "content");
	if (!json_is_string(v))
		return http_error(r, 400, "bad_request",
		    "\"content\" must be a string");
	m.content = json_string_value(v);
	m.len = json_string_length(v);
	if ((s = api_body_str(r, "type", &bad)) != NULL &&
	    (m.type = mem_type_parse(s)) < 0)
		return http_error(r, 400, "bad_request",
		    "unknown memory type '%.64s'", s);
	if ((s = api_body_str(r, "protection", &bad)) != NULL &&
	    (m.protect = mem_protect_parse(s)) < 0)
		return http_error(r, 400, "bad_request",
		    "protection is none, low, medium, high or permanent");
	if ((v = json_object_get(r->body, "importance")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1)
			return http_error(r, 400, "bad_request",
			    "importance is a number from 0 to 1");
		m.importance = json_number_value(v);
	}
	m.tags = json_object_get(r->body, "tags");
	m.session_id = api_body_str(r, "session_id", &bad);
	m.space = api_body_str(r, "space", &bad);
	if (bad)
		return http_error(r, 400, "bad_request",
		    "type, protection, session_id and space are strings");
	if ((db = api_mem_db(r)) == NULL)
		return 0;
	if ((id = memory_add(db, &m, &cause)) < 0) {
		http_error(r, 400, "invalid_memory", "%s", cause);
		free(cause);
		return 0;
	}
	if ((v = memory_get(db, id, 0, &cause)) == NULL)
		return api_fail(r, cause);
	{
		char resource[32];
		json_t *d = json_pack("{s:O, s:O, s:s}", "type",
		    json_object_get(v, "type"), "content",
		    json_object_get(v, "content"), "via", "api");

		snprintf(resource, sizeof resource, "memory:%lld",
		    (long long)id);
		audit_note(db, "user", AUDIT_MEMORY_WRITE, resource, d);
		json_decref(d);
	}
	return http_json(r, 201, v);
}

static int
api_memory_get(struct http_req *r)
{
	char *cause = NULL, num[32];
	sqlite3 *db;
	json_t *m;
	int64_t id;

	if (api_mem_id(r, &id) != 0 || (db = api_mem_db(r)) == NULL)
		return 0;
	snprintf(num, sizeof num, "%lld", (long long)id);
	m = memory_get(db, id, 1, &cause);
	return api_found(r, m, cause, "memory", num);
}

static int
api_memory_delete(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	int64_t id;
	int rc;

	if (api_mem_id(r, &id) != 0 || (db = api_mem_db(r)) == NULL)
		return 0;
	if ((rc = memory_forget(db, id, &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "not_found", "no memory %lld",
		    (long long)id);
	return http_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
}

/* POST /api/memory/search and /semantic: the query and its filters. */
static int
api_memory_query(struct http_req *r, enum mem_mode mode)
{
	struct mem_query q;
	const char *s;
	char *cause = NULL;
	sqlite3 *db;
	json_t *v, *found;
	int bad = 0;

	if (!json_is_object(r->body))
		return http_error(r, 400, "bad_request",
		    "the body must be {\"query\": \"...\", \"limit\"?, "
		    "\"type\"?, \"tag\"?, \"space\"?}");
	memset(&q, 0, sizeof q);
	q.mode = mode;
	q.type = -1;
	q.include_cold = 1;
	q.touch = 1;
	q.text = api_body_str(r, "query", &bad);
	if (q.text == NULL || *q.text == '\0')
		return http_error(r, 400, "bad_request",
		    "\"query\" must be a non-empty string");
	if ((v = json_object_get(r->body, "limit")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000)
			return http_error(r, 400, "bad_request",
			    "limit is an integer from 1 to 1000");
		q.limit = (size_t)json_integer_value(v);
	}
	if ((s = api_body_str(r, "mode", &bad)) != NULL) {
		if (strcmp(s, "hybrid") == 0)
			q.mode = MEM_HYBRID;
		else if (strcmp(s, "keyword") == 0)
			q.mode = MEM_KEYWORD;
		else if (strcmp(s, "semantic") == 0)
			q.mode = MEM_SEMANTIC;
		else
			return http_error(r, 400, "bad_request",
			    "mode is hybrid, keyword or semantic");
	}
	if ((s = api_body_str(r, "type", &bad)) != NULL &&
	    (q.type = mem_type_parse(s)) < 0)
		return http_error(r, 400, "bad_request",
		    "unknown memory type '%.64s'", s);
	q.tag = api_body_str(r, "tag", &bad);
	q.space = api_body_str(r, "space", &bad);
	if ((v = json_object_get(r->body, "since_ms")) != NULL)
		q.since_ms = json_integer_value(v);
	if ((v = json_object_get(r->body, "until_ms")) != NULL)
		q.until_ms = json_integer_value(v);
	if (bad)
		return http_error(r, 400, "bad_request",
		    "query, mode, type, tag and space are strings");
	if ((db = api_mem_db(r)) == NULL)
		return 0;
	if ((found = memory_search(db, &q, &cause)) == NULL) {
		http_error(r, 400, "bad_request", "%s", cause);
		free(cause);
		return 0;
	}
	return http_json(r, 200, json_pack("{s:o}", "results", found));
}

static int
api_memory_search(struct http_req *r)
{
	return api_memory_query(r, MEM_KEYWORD);
}

static int
api_memory_semantic(struct http_req *r)
{
	return api_memory_query(r, MEM_SEMANTIC);
}

static int
api_memory_tiers(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;

	if ((db = api_mem_db(r)) == NULL)
		return 0;
	if ((t = memory_tiers(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, t);
}

static int
api_memory_stats(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;

	if ((db = api_mem_db(r)) == NULL)
		return 0;
	if ((t = memory_stats(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, t);
}

/* Dreams asked through the API, running (the daemon waits for them). */
static pthread_mutex_t api_dreams_lock = PTHREAD_MUTEX_INITIALIZER;
static int api_dreams;

/* A dream runs for a while: on a thread of its own, answered later. */
static void *
api_dream_thread(void *arg)
{
	struct http_req *r = arg;
	const struct config *cfg = config_live_get();
	char *cause = NULL;
	sqlite3 *db = db_get();
	json_t *t = NULL;

	if (db != NULL)
		t = memory_dream(db, cfg, "api", &cause);
	config_live_put(cfg);
	if (t != NULL)
		http_answer(r, 200, t);
	else {
		http_answer(r, 500,
		    json_pack("{s:{s:s, s:s}}", "error", "code", "internal",
			"message",
			cause != NULL ? cause :
					"the database cannot be opened"));
		free(cause);
	}
	http_complete(r);
	pthread_mutex_lock(&api_dreams_lock);
	api_dreams--;
	pthread_mutex_unlock(&api_dreams_lock);
	return NULL;
}

static int
api_memory_dream(struct http_req *r)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (api_stopping())
		return http_error(r, 503, "stopping", "the daemon is stopping");
	if (api_mem_db(r) == NULL)
		return 0;
	pthread_mutex_lock(&api_dreams_lock);
	api_dreams++;
	pthread_mutex_unlock(&api_dreams_lock);
	http_hold(r);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, api_dream_thread, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		pthread_mutex_lock(&api_dreams_lock);
		api_dreams--;
		pthread_mutex_unlock(&api_dreams_lock);
		http_complete(r);
		return http_error(r, 503, "busy", "cannot start a thread");
	}
	return HTTP_ASYNC;
}

int
api_memory_dreams_running(void)
{
	int n;

	pthread_mutex_lock(&api_dreams_lock);
	n = api_dreams;
	pthread_mutex_unlock(&api_dreams_lock);
	return n;
}

static int
api_memory_reports(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;
	long limit;

	if (api_query_int(r, "limit", 1, 1000, 20, &limit) != 0 ||
	    (db = api_mem_db(r)) == NULL)
		return 0;
	if ((t = memory_dream_reports(db, limit, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "reports", t));
}

const struct route api_memory_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/memory",
	    .handler = api_memory_list,
	    .tag = "memory",
	    .summary =
		"Memories, newest first (?type=&tier=hot|warm|cold&limit=&offset=).",
	    .response = "{memories: [...]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory",
	    .handler = api_memory_add,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary = "Store a memory (classified, embedded, indexed; 201).",
	    .request =
		"{content, type?, tags?, protection?, importance?, session_id?, "
		"space?}",
	    .response = "the memory",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/tiers",
	    .handler = api_memory_tiers,
	    .tag = "memory",
	    .summary = "The memories of each tier.",
	    .response = "{hot, warm, cold}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/stats",
	    .handler = api_memory_stats,
	    .tag = "memory",
	    .summary = "Counts by tier and type, the index, the embedder.",
	    .response = "{total, tiers, types, index, ...}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/search",
	    .handler = api_memory_search,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary =
		"Keyword search (BM25); \"mode\": \"hybrid\" adds vectors.",
	    .request = "{query, limit?, mode?, type?, tag?, space?, since_ms?, "
		       "until_ms?}",
	    .response = "{results: [{id, content, score, ...}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/semantic",
	    .handler = api_memory_semantic,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary = "Vector search (HNSW, cosine).",
	    .request = "{query, limit?, type?, tag?, space?}",
	    .response = "{results: [{id, content, score, similarity, ...}]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/dream",
	    .handler = api_memory_dream,
	    .tag = "memory",
	    .summary =
		"Consolidate now: re-tier, merge near-duplicates, prune, "
		"re-index.",
	    .response = "the report",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/dream/reports",
	    .handler = api_memory_reports,
	    .tag = "memory",
	    .summary = "Reports of past consolidations, newest first.",
	    .response = "{reports: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/{id}",
	    .handler = api_memory_get,
	    .tag = "memory",
	    .summary = "One memory (counts as an access).",
	    .response = "the memory",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/memory/{id}",
	    .handler = api_memory_delete,
	    .tag = "memory",
	    .summary = "Forget a memory.",
	    .response = "{deleted: id}",
	},
	{ .method = NULL },
};
