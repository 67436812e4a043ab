/*
 * api_memory.c — /api/memory: store, read, forget, search, tiers, stats,
 * dream consolidation and its reports.  What waits for a provider (an API
 * embedder's call, a dream) runs on a thread of its own.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "kernel/spaces.h"
#include "config/live.h"
#include "kernel/memtools.h"
#include "memory/memory.h"
#include "store/db.h"
#include "util/cancel.h"
#include "util/log.h"
#include "util/xalloc.h"

sqlite3 *
api_memory_db(struct http_req *r)
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
	if ((db = api_memory_db(r)) == NULL)
		return 0;
	if ((list = memory_list(db, type, tier, limit, offset, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "memories", list));
}

/*
 * With memory.embedder = "api", storing a memory and every search but a
 * keyword one wait for a provider (gate_embed()): they run on a thread of
 * their own, one per request, and answer later (HTTP_ASYNC), as a dream
 * does; no HTTP thread waits for the network.  The token `stop` ends
 * their provider calls when the daemon stops (api_memory_stop()), which
 * then waits for them; with TF-IDF they answer at once, on the HTTP
 * thread.
 */
static struct {
	pthread_mutex_t lock; /* jobs, dreams */
	pthread_cond_t idle;  /* jobs fell to 0 */
	int jobs;             /* embedding requests running */
	int dreams;           /* dreams asked through the API, running */
	pthread_once_t once;  /* stop made */
	struct cancel stop;   /* fired once, at shutdown; kept to the end */
} api_mem = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0,
	PTHREAD_ONCE_INIT, { 0 } };

static void
api_mem_stop_init(void)
{
	cancel_init(&api_mem.stop, NULL, 0);
}

/* The work of one request, on whichever thread: the answer (new
 * reference) and its status. */
typedef json_t *(*api_mem_fn)(sqlite3 *db, const json_t *body,
    enum mem_mode mode, const char *actor, const struct cancel *cancel,
    int *status);

struct api_mem_job {
	struct http_req *r; /* held */
	json_t *body;       /* a copy: this job's own */
	enum mem_mode mode;
	char actor[80]; /* api_actor() of the request */
	api_mem_fn fn;
	api_mem_bg_fn bg; /* instead of fn (api_memory_background()) */
	int dream;        /* counted in api_mem.dreams, not jobs */
};

/* Count a job in or out (api_mem.lock taken here). */
static void
api_mem_count(const struct api_mem_job *job, int delta)
{
	pthread_mutex_lock(&api_mem.lock);
	if (job->dream)
		api_mem.dreams += delta;
	else if ((api_mem.jobs += delta) == 0)
		pthread_cond_broadcast(&api_mem.idle);
	pthread_mutex_unlock(&api_mem.lock);
}

/* {"error": {"code", "message"}} with *status.  New reference. */
static json_t *
api_mem_error(int *status, int code_status, const char *code,
    const char *message)
{
	*status = code_status;
	return json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
	    message != NULL ? message : "unknown error");
}

/*
 * The answer to a memory call that failed with *cause (freed): the
 * embedder's provider failing is a 502 (a 503 when it was stopped),
 * anything else `other` with `code`.
 */
static json_t *
api_mem_failed(int *status, const struct llm_error *err, int other,
    const char *code, char *cause)
{
	json_t *j;

	if (err->cls == LLM_ERR_CANCELLED)
		j = api_mem_error(status, 503, "stopping", cause);
	else if (err->cls != LLM_OK) {
		j = api_mem_error(status, 502, "embedding_error", cause);
		json_object_set_new(json_object_get(j, "error"), "class",
		    json_string(llm_error_class_name(err->cls)));
	} else
		j = api_mem_error(status, other, code, cause);
	free(cause);
	return j;
}

static void *
api_mem_thread(void *arg)
{
	struct api_mem_job *job = arg;
	sqlite3 *db = db_get();
	json_t *answer;
	int status;

	if (db != NULL && job->bg != NULL)
		answer = job->bg(db, job->actor, &status);
	else if (db != NULL)
		answer = job->fn(db, job->body, job->mode, job->actor,
		    &api_mem.stop, &status);
	else
		answer = api_mem_error(&status, 503, "unavailable",
		    "the database cannot be opened");
	http_answer(job->r, status, answer);
	http_complete(job->r);
	api_mem_count(job, -1);
	json_decref(job->body);
	free(job);
	return NULL;
}

/* Answer `r` with fn later, from a thread of its own.  HTTP_ASYNC, or
 * a 503 answered now. */
static int
api_mem_start(struct http_req *r, api_mem_fn fn, api_mem_bg_fn bg,
    enum mem_mode mode, int dream)
{
	struct api_mem_job *job;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (api_stopping())
		return http_error(r, 503, "stopping", "the daemon is stopping");
	pthread_once(&api_mem.once, api_mem_stop_init);
	job = xcalloc(1, sizeof *job);
	job->r = r;
	/* The body stays the HTTP thread's: jansson counts references
	 * without atomics. */
	job->body = r->body != NULL ? json_deep_copy(r->body) : NULL;
	job->mode = mode;
	snprintf(job->actor, sizeof job->actor, "%s", api_actor(r));
	job->fn = fn;
	job->bg = bg;
	job->dream = dream;
	api_mem_count(job, 1);
	http_hold(r);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, api_mem_thread, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		api_mem_count(job, -1);
		json_decref(job->body);
		free(job);
		http_complete(r);
		return http_error(r, 503, "busy", "cannot start a thread");
	}
	return HTTP_ASYNC;
}

static int
api_mem_async(struct http_req *r, api_mem_fn fn, enum mem_mode mode, int dream)
{
	return api_mem_start(r, fn, NULL, mode, dream);
}

int
api_memory_background(struct http_req *r, api_mem_bg_fn bg)
{
	return api_mem_start(r, NULL, bg, MEM_HYBRID, 1);
}

/* Answer `r` with fn: now, or later from a thread when it embeds through
 * a provider. */
static int
api_mem_run(struct http_req *r, sqlite3 *db, api_mem_fn fn, enum mem_mode mode)
{
	json_t *answer;
	int status;

	if (!memory_remote_embedder() || mode == MEM_KEYWORD) {
		answer = fn(db, r->body, mode, api_actor(r), NULL, &status);
		return http_json(r, status, answer);
	}
	return api_mem_async(r, fn, mode, 0);
}

/* The memory `body` asks to store (pointers into it).  0, or -1 with a
 * 400 answer's message in why[size]. */
static int
api_mem_parse_new(const json_t *body, struct mem_new *m, char *why, size_t size)
{
	const char *s;
	json_t *v;
	int bad = 0;

	memset(m, 0, sizeof *m);
	m->type = m->protect = -1;
	m->importance = -1;
	if (!json_is_object(body)) {
		snprintf(why, size,
		    "the body must be {\"content\": \"...\", \"type\"?, "
		    "\"tags\"?, \"protection\"?, \"importance\"?}");
		return -1;
	}
	v = json_object_get(body, "content");
	if (!json_is_string(v)) {
		snprintf(why, size, "\"content\" must be a string");
		return -1;
	}
	m->content = json_string_value(v);
	m->len = json_string_length(v);
	if ((s = api_body_str(body, "type", &bad)) != NULL &&
	    (m->type = mem_type_parse(s)) < 0) {
		snprintf(why, size, "unknown memory type '%.64s'", s);
		return -1;
	}
	if ((s = api_body_str(body, "protection", &bad)) != NULL &&
	    (m->protect = mem_protect_parse(s)) < 0) {
		snprintf(why, size,
		    "protection is none, low, medium, high or permanent");
		return -1;
	}
	if ((v = json_object_get(body, "importance")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1) {
			snprintf(why, size,
			    "importance is a number from 0 to 1");
			return -1;
		}
		m->importance = json_number_value(v);
	}
	m->tags = json_object_get(body, "tags");
	m->session_id = api_body_str(body, "session_id", &bad);
	m->space = api_body_str(body, "space", &bad);
	if (bad) {
		snprintf(why, size,
		    "type, protection, session_id and space are strings");
		return -1;
	}
	return 0;
}

/* Store the memory of `body` (checked already): 201 and the memory. */
static json_t *
api_mem_add(sqlite3 *db, const json_t *body, enum mem_mode mode,
    const char *actor, const struct cancel *cancel, int *status)
{
	struct mem_new m;
	struct llm_error err;
	char why[160], *cause = NULL;
	json_t *v;
	int64_t id;
	int failed;

	(void)mode;
	if (api_mem_parse_new(body, &m, why, sizeof why) != 0)
		return api_mem_error(status, 400, "bad_request", why);
	m.cancel = cancel;
	m.embed_err = &err;
	m.store_failed = &failed;
	if (m.type < 0)
		m.type = (int)mem_classify(m.content, m.len);
	/* The entry commits with the memory (memory_add()). */
	m.audit_actor = actor;
	m.audit_detail = v = json_pack("{s:s, s:s%, s:s}", "type",
	    mem_types[m.type].name, "content", m.content, m.len, "via", "api");
	id = memory_add(db, &m, &cause);
	json_decref(v);
	if (id < 0 && failed)
		log_error("POST /api/memory: %s", cause);
	if (id < 0)
		return api_mem_failed(status, &err, failed ? 500 : 400,
		    failed ? "internal" : "invalid_memory", cause);
	if ((v = memory_get(db, id, 0, &cause)) == NULL) {
		log_error("POST /api/memory: %s", cause);
		return api_mem_failed(status, &err, 500, "internal", cause);
	}
	*status = 201;
	return v;
}

static int
api_memory_add(struct http_req *r)
{
	struct mem_new m;
	char why[160];
	sqlite3 *db;

	if (api_mem_parse_new(r->body, &m, why, sizeof why) != 0)
		return http_error(r, 400, "bad_request", "%s", why);
	if ((db = api_memory_db(r)) == NULL)
		return 0;
	return api_mem_run(r, db, api_mem_add, MEM_HYBRID);
}

static int
api_memory_get(struct http_req *r)
{
	char *cause = NULL, num[32];
	sqlite3 *db;
	json_t *m;
	int64_t id;

	if (api_mem_id(r, &id) != 0 || (db = api_memory_db(r)) == NULL)
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

	if (api_mem_id(r, &id) != 0 || (db = api_memory_db(r)) == NULL)
		return 0;
	if ((rc = memory_forget(db, id, &cause)) < 0)
		return api_fail(r, cause);
	if (rc == 0)
		return http_error(r, 404, "not_found", "no memory %lld",
		    (long long)id);
	return http_json(r, 200, json_pack("{s:I}", "deleted", (json_int_t)id));
}

/* The query of POST /api/memory/search and /semantic, and its filters
 * (pointers into `body`).  0, or -1 with a 400 answer's message. */
static int
api_mem_parse_query(const json_t *body, enum mem_mode mode, struct mem_query *q,
    char *why, size_t size)
{
	const char *s;
	json_t *v;
	int bad = 0;

	memset(q, 0, sizeof *q);
	q->mode = mode;
	q->type = -1;
	q->include_cold = 1;
	q->touch = 1;
	if (!json_is_object(body)) {
		snprintf(why, size,
		    "the body must be {\"query\": \"...\", \"limit\"?, "
		    "\"type\"?, \"tag\"?, \"space\"?}");
		return -1;
	}
	q->text = api_body_str(body, "query", &bad);
	if (q->text == NULL || *q->text == '\0') {
		snprintf(why, size, "\"query\" must be a non-empty string");
		return -1;
	}
	if ((v = json_object_get(body, "limit")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000) {
			snprintf(why, size,
			    "limit is an integer from 1 to 1000");
			return -1;
		}
		q->limit = (size_t)json_integer_value(v);
	}
	if ((s = api_body_str(body, "mode", &bad)) != NULL) {
		if (strcmp(s, "hybrid") == 0)
			q->mode = MEM_HYBRID;
		else if (strcmp(s, "keyword") == 0)
			q->mode = MEM_KEYWORD;
		else if (strcmp(s, "semantic") == 0)
			q->mode = MEM_SEMANTIC;
		else {
			snprintf(why, size,
			    "mode is hybrid, keyword or semantic");
			return -1;
		}
	}
	if ((s = api_body_str(body, "type", &bad)) != NULL &&
	    (q->type = mem_type_parse(s)) < 0) {
		snprintf(why, size, "unknown memory type '%.64s'", s);
		return -1;
	}
	q->tag = api_body_str(body, "tag", &bad);
	q->space = api_body_str(body, "space", &bad);
	if ((v = json_object_get(body, "since_ms")) != NULL)
		q->since_ms = json_integer_value(v);
	if ((v = json_object_get(body, "until_ms")) != NULL)
		q->until_ms = json_integer_value(v);
	if (bad) {
		snprintf(why, size,
		    "query, mode, type, tag and space are strings");
		return -1;
	}
	return 0;
}

/* Search as `body` asks (checked already): 200 and the results. */
static json_t *
api_mem_search(sqlite3 *db, const json_t *body, enum mem_mode mode,
    const char *actor, const struct cancel *cancel, int *status)
{
	struct mem_query q;
	struct mem_recall recall;
	struct llm_error err;
	char why[160], *cause = NULL;
	json_t *found, *sp = NULL;
	const struct config *cfg;

	(void)actor; /* a read */
	if (api_mem_parse_query(body, mode, &q, why, sizeof why) != 0)
		return api_mem_error(status, 400, "bad_request", why);
	q.cancel = cancel;
	q.embed_err = &err;
	q.recall = &recall;
	/* Expanded as memory.query_expansion says (on this thread only
	 * when api_memory_query() saw no model call coming). */
	q.cfg = cfg = config_live_get();
	/* A space's name stands for its id (the memories' origin). */
	if (q.space != NULL && (sp = spaces_get(db, q.space, &cause)) != NULL)
		q.space = json_string_value(json_object_get(sp, "id"));
	free(cause);
	cause = NULL;
	found = memory_search(db, &q, &cause);
	config_live_put(cfg);
	json_decref(sp);
	if (found == NULL)
		return api_mem_failed(status, &err, 400, "bad_request", cause);
	*status = 200;
	return json_pack("{s:o, s:o}", "results", found, "recall",
	    memory_recall_json(&recall));
}

/* POST /api/memory/search and /semantic: the mode the body may change
 * decides whether the query is embedded (and where it runs). */
static int
api_memory_query(struct http_req *r, enum mem_mode mode)
{
	const struct config *cfg;
	struct mem_query q;
	char why[160];
	sqlite3 *db;
	int ask;

	if (api_mem_parse_query(r->body, mode, &q, why, sizeof why) != 0)
		return http_error(r, 400, "bad_request", "%s", why);
	if ((db = api_memory_db(r)) == NULL)
		return 0;
	/* A query the model may expand waits on a thread of its own. */
	cfg = config_live_get();
	ask = memory_expand_due(cfg, q.text);
	config_live_put(cfg);
	if (ask)
		return api_mem_async(r, api_mem_search, q.mode, 0);
	return api_mem_run(r, db, api_mem_search, q.mode);
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

	if ((db = api_memory_db(r)) == NULL)
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

	if ((db = api_memory_db(r)) == NULL)
		return 0;
	if ((t = memory_stats(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, t);
}

/* A dream (it runs for a while: always on a thread of its own). */
static json_t *
api_mem_dream(sqlite3 *db, const json_t *body, enum mem_mode mode,
    const char *actor, const struct cancel *cancel, int *status)
{
	const struct config *cfg = config_live_get();
	char *cause = NULL;
	json_t *t;

	(void)body, (void)mode, (void)cancel, (void)actor;
	t = memory_dream(db, cfg, "api", &cause);
	config_live_put(cfg);
	if (t != NULL) {
		*status = 200;
		return t;
	}
	t = api_mem_error(status, 500, "internal", cause);
	free(cause);
	return t;
}

static int
api_memory_dream(struct http_req *r)
{
	if (api_memory_db(r) == NULL)
		return 0;
	return api_mem_async(r, api_mem_dream, MEM_HYBRID, 1);
}

int
api_memory_running(void)
{
	int n;

	pthread_mutex_lock(&api_mem.lock);
	n = api_mem.dreams + api_mem.jobs;
	pthread_mutex_unlock(&api_mem.lock);
	return n;
}

int
api_memory_stop(long wait_ms)
{
	struct timespec until;
	int left;

	pthread_once(&api_mem.once, api_mem_stop_init);
	cancel_fire(&api_mem.stop);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&api_mem.lock);
	while (api_mem.jobs > 0 &&
	    pthread_cond_timedwait(&api_mem.idle, &api_mem.lock, &until) == 0)
		;
	left = api_mem.jobs;
	pthread_mutex_unlock(&api_mem.lock);
	return left;
}

static int
api_memory_reports(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *t;
	long limit;

	if (api_query_int(r, "limit", 1, 1000, 20, &limit) != 0 ||
	    (db = api_memory_db(r)) == NULL)
		return 0;
	if ((t = memory_dream_reports(db, limit, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "reports", t));
}

const struct route api_memory_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/memory",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_list,
	    .tag = "memory",
	    .summary =
		"Memories, newest first (?type=&tier=hot|warm|cold&limit=&offset=).",
	    .response = "{memories: [...]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory",
	    .role = ROLE_OPERATOR,
	    .handler = api_memory_add,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary = "Store a memory (classified, embedded, indexed; 201; "
		       "502 when the API embedder's provider fails).",
	    .request =
		"{content, type?, tags?, protection?, importance?, session_id?, "
		"space?}",
	    .response = "the memory",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/tiers",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_tiers,
	    .tag = "memory",
	    .summary = "The memories of each tier.",
	    .response = "{hot, warm, cold}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/stats",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_stats,
	    .tag = "memory",
	    .summary = "Counts by tier and type, the index, the embedder.",
	    .response = "{total, tiers, types, index, ...}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/search",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_search,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary =
		"Keyword search (BM25); \"mode\": \"hybrid\" adds vectors.",
	    .request = "{query, limit?, mode?, type?, tag?, space?, since_ms?, "
		       "until_ms?}",
	    .response = "{results: [{id, content, score, ...}], recall: {how, "
			"embedder, expansion, terms, why?}}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/semantic",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_semantic,
	    .flags = ROUTE_BODY,
	    .max_body = API_BODY_MEMORY,
	    .tag = "memory",
	    .summary = "Vector search (HNSW, cosine).",
	    .request = "{query, limit?, type?, tag?, space?}",
	    .response = "{results: [{id, content, score, similarity, ...}], "
			"recall}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/memory/dream",
	    .role = ROLE_OPERATOR,
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
	    .role = ROLE_VIEWER,
	    .handler = api_memory_reports,
	    .tag = "memory",
	    .summary = "Reports of past consolidations, newest first.",
	    .response = "{reports: [...]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/memory/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_memory_get,
	    .tag = "memory",
	    .summary = "One memory (counts as an access).",
	    .response = "the memory",
	},
	{
	    .method = "DELETE",
	    .pattern = "/api/memory/{id}",
	    .role = ROLE_OPERATOR,
	    .handler = api_memory_delete,
	    .tag = "memory",
	    .summary = "Forget a memory.",
	    .response = "{deleted: id}",
	},
	{ .method = NULL },
};
