/*
 * memtools.c — memory_write, memory_search, memory_read and the ROOT
 * index's memory_topics and memory_topic for agents.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/memtools.h"
#include "memory/compact.h"
#include "memory/memory.h"
#include "memory/root.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MEMTOOLS_MAX_RESULTS 20

static pthread_mutex_t memtools_lock = PTHREAD_MUTEX_INITIALIZER;
static int memtools_state; /* 0 not tried, 1 open, -1 failed */

int
memtools_ready(sqlite3 *db, const struct config *cfg)
{
	char *cause = NULL;
	int ok;

	if (!config_bool(cfg, "memory.enabled"))
		return 0;
	pthread_mutex_lock(&memtools_lock);
	if (memtools_state == 0) {
		if (memory_open(db, cfg, &cause) == 0) {
			memtools_state = 1;
			atexit(memory_close); /* saves the index */
		} else {
			log_warn("memory is off for this process: %s", cause);
			free(cause);
			memtools_state = -1;
		}
	}
	ok = memtools_state == 1;
	pthread_mutex_unlock(&memtools_lock);
	return ok;
}

/* The tool failed: res->error takes `cause`.  -1. */
static int
memtools_fail(struct tool_result *res, char *cause)
{
	return tools_fail_take(res, cause != NULL ? cause : xstrdup("failed"));
}

/* The tool answered `value` (taken), as compact JSON text.  0. */
static int
memtools_ok(struct tool_result *res, json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(4));

	json_decref(value);
	res->output = text != NULL ? text : xstrdup("");
	return 0;
}

/* The arguments were checked against schemas/memory_*.json. */
static int
memtools_write(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct memtools *mt = call->ctx;
	struct mem_new m;
	json_t *v, *d;
	char *cause = NULL, actor[64];
	int64_t id;

	memset(&m, 0, sizeof m);
	v = json_object_get(input, "content");
	m.content = json_string_value(v);
	m.len = json_string_length(v);
	m.type = -1;
	if ((v = json_object_get(input, "type")) != NULL &&
	    (m.type = mem_type_parse(json_string_value(v))) < 0)
		return memtools_fail(res, xstrdup("unknown 'type'"));
	m.protect = -1;
	m.importance = -1;
	m.tags = json_object_get(input, "tags");
	m.session_id = mt->session_id;
	m.agent_id = mt->agent_id;
	m.cancel = call->cancel; /* stops an embedder's call */
	if (m.type < 0)
		m.type = (int)mem_classify(m.content, m.len);
	/* The entry commits with the memory (memory_add()). */
	snprintf(actor, sizeof actor, "agent:%s", mt->agent_id);
	m.audit_actor = actor;
	m.audit_detail = d = json_pack("{s:s, s:s%}", "type",
	    mem_types[m.type].name, "content", m.content, m.len);
	id = memory_add(mt->db, &m, &cause);
	json_decref(d);
	if (id < 0)
		return memtools_fail(res, cause);
	return memtools_ok(res,
	    json_pack("{s:I, s:s}", "remembered", (json_int_t)id, "as",
		mem_types[m.type].name));
}

static int
memtools_search(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct memtools *mt = call->ctx;
	struct mem_query q;
	struct mem_recall recall;
	json_t *out, *row, *slim, *answer;
	char *cause = NULL, line[1024];
	size_t i;

	memset(&q, 0, sizeof q);
	memset(&recall, 0, sizeof recall);
	q.recall = &recall;
	q.text = json_string_value(json_object_get(input, "query"));
	q.mode = MEM_HYBRID;
	q.limit = (size_t)json_integer_value(json_object_get(input, "limit"));
	if (q.limit == 0 || q.limit > MEMTOOLS_MAX_RESULTS)
		q.limit = 5;
	q.type = -1;
	q.include_cold = 1;
	q.touch = 1;
	q.cancel = call->cancel;
	if ((out = memory_search(mt->db, &q, &cause)) == NULL)
		return memtools_fail(res, cause);
	slim = json_array();
	json_array_foreach(out, i, row) {
		json_array_append_new(slim,
		    json_pack("{s:O, s:O, s:O, s:O}", "id",
			json_object_get(row, "id"), "content",
			json_object_get(row, "content"), "type",
			json_object_get(row, "type"), "score",
			json_object_get(row, "score")));
	}
	json_decref(out);
	/* Which recall it was, so that the model knows when only matching
	 * words could be found and other words are worth a try. */
	memory_recall_line(&recall, line, sizeof line);
	answer = json_pack("{s:o, s:s}", "memories", slim, "recall",
	    line + strlen("recall: "));
	if (recall.vector_failed || strncmp(recall.embedder, "tfidf", 5) == 0)
		json_object_set_new(answer, "note",
		    json_string("found by matching words only: search "
				"again with other words for the same "
				"thing"));
	return memtools_ok(res, answer);
}

static int
memtools_read(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct memtools *mt = call->ctx;
	json_int_t id = json_integer_value(json_object_get(input, "id"));
	json_t *out, *tree;
	char *cause = NULL;

	if ((out = memory_get(mt->db, id, 1, &cause)) == NULL)
		return memtools_fail(res,
		    cause != NULL ? cause : xstrdup("no such memory"));
	/* Its place in the compaction tree: the way down and up. */
	if ((tree = memory_tree_links(mt->db, (int64_t)id)) != NULL)
		json_object_set_new(out, "tree", tree);
	return memtools_ok(res, out);
}

#define MEMTOOLS_MAX_TOPICS 100

/* The topics (a keyed table, no search): name, count, summary. */
static int
memtools_topics(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct memtools *mt = call->ctx;
	json_t *out;
	char *cause = NULL;

	if ((out = memory_topics(mt->db,
		 json_string_value(json_object_get(input, "prefix")),
		 MEMTOOLS_MAX_TOPICS, &cause)) == NULL)
		return memtools_fail(res, cause);
	return memtools_ok(res, out);
}

/* One topic with its memories (id, content, type). */
static int
memtools_topic(struct tool_call *call, json_t *input, struct tool_result *res)
{
	struct memtools *mt = call->ctx;
	const char *name = json_string_value(json_object_get(input, "name"));
	json_t *out, *slim, *row;
	char *cause = NULL;
	size_t i;

	if ((out = memory_topic(mt->db, name, &cause)) == NULL) {
		if (cause != NULL)
			return memtools_fail(res, cause);
		xasprintf(&cause, "no topic '%s' (memory_topics lists them)",
		    name);
		return memtools_fail(res, cause);
	}
	slim = json_array();
	json_array_foreach(json_object_get(out, "memories"), i, row) {
		json_array_append_new(slim,
		    json_pack("{s:O, s:O, s:O}", "id",
			json_object_get(row, "id"), "content",
			json_object_get(row, "content"), "type",
			json_object_get(row, "type")));
	}
	json_object_set_new(out, "memories", slim);
	json_object_del(out, "ids");
	return memtools_ok(res, out);
}

const struct tool_def memtools_rows[] = {
	{
	    .name = "memory_write",
	    .where = TOOL_BRAIN,
	    .flags = TOOL_EFFECT,
	    .description =
		"Remember something for later sessions: a fact, a "
		"preference or decision of the user, a way of doing a task. "
		"One short, self-contained statement per call.",
	    .schema = "memory_write",
	    .fn = memtools_write,
	},
	{
	    .name = "memory_search",
	    .where = TOOL_BRAIN,
	    .description =
		"Search what you remember from earlier sessions (keywords "
		"and meaning).  Returns {memories: [{id, content, type, "
		"score}], recall: how it searched}.",
	    .schema = "memory_search",
	    .fn = memtools_search,
	},
	{
	    .name = "memory_read",
	    .where = TOOL_BRAIN,
	    .description =
		"Read one memory in full by its id (from memory_search or "
		"memory_topic).  A summary's tree.covers lists the memories "
		"it summarises (read them to go down, a day to its notes); "
		"tree.covered_by the summaries above a memory.",
	    .schema = "memory_read",
	    .fn = memtools_read,
	},
	{
	    .name = "memory_topics",
	    .where = TOOL_BRAIN,
	    .description =
		"List the topics of what you remember (tags, or the kind "
		"of memory), each with its count and a one-line summary.",
	    .schema = "memory_topics",
	    .fn = memtools_topics,
	},
	{
	    .name = "memory_topic",
	    .where = TOOL_BRAIN,
	    .description = "Read the memories of one topic (from "
			   "memory_topics or the topics in your context).",
	    .schema = "memory_topic",
	    .fn = memtools_topic,
	},
	{ .name = NULL },
};

void
memtools_add(struct registry *reg, struct memtools *mt)
{
	const struct tool_def *t;

	for (t = memtools_rows; t->name != NULL; t++)
		registry_add(reg, t, mt);
}
