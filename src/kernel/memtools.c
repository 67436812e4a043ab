/*
 * memtools.c — memory_write, memory_search and memory_read for agents.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/memtools.h"
#include "memory/memory.h"
#include "security/audit.h"
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

void
memtools_defs(json_t *tools)
{
	json_array_append_new(tools,
	    json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}, "
		      "s:{s:s, s:{s:s}, s:s}}, s:[s]}}",
		"name", "memory_write", "description",
		"Remember something for later sessions: a fact, a preference "
		"or decision of the user, a way of doing a task.  One short, "
		"self-contained statement per call.",
		"input_schema", "type", "object", "properties", "content",
		"type", "string", "description", "what to remember", "type",
		"type", "string", "description",
		"user_profile, preference, decision, knowledge, skill, fact, "
		"episode (guessed when left out)",
		"tags", "type", "array", "items", "type", "string",
		"description", "a few words to file it under", "required",
		"content"));
	json_array_append_new(tools,
	    json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s}, s:{s:s}}, s:[s]}}",
		"name", "memory_search", "description",
		"Search what you remember from earlier sessions (keywords and "
		"meaning).  Returns ids, contents and scores.",
		"input_schema", "type", "object", "properties", "query", "type",
		"string", "limit", "type", "integer", "required", "query"));
	json_array_append_new(tools,
	    json_pack("{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}", "name",
		"memory_read", "description",
		"Read one memory in full by its id (from memory_search).",
		"input_schema", "type", "object", "properties", "id", "type",
		"integer", "required", "id"));
}

static void
memtools_audit(struct memtools *mt, int64_t id, const struct mem_new *m)
{
	char actor[64], resource[32];
	json_t *d = json_pack("{s:s, s:s%}", "type", mem_types[m->type].name,
	    "content", m->content, m->len);

	snprintf(actor, sizeof actor, "agent:%s", mt->agent_id);
	snprintf(resource, sizeof resource, "memory:%lld", (long long)id);
	audit_note(mt->db, actor, AUDIT_MEMORY_WRITE, resource, d);
	json_decref(d);
}

static json_t *
memtools_fail(char *cause)
{
	json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error",
	    cause != NULL ? cause : "failed");

	free(cause);
	return r;
}

static json_t *
memtools_ok(json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_REAL_PRECISION(4));
	json_t *r = json_pack("{s:b, s:s}", "ok", 1, "output",
	    text != NULL ? text : "");

	free(text);
	json_decref(value);
	return r;
}

json_t *
memtools_call(void *arg, const char *name, const json_t *input)
{
	struct memtools *mt = arg;
	struct mem_new m;
	struct mem_query q;
	json_t *v, *out, *row, *slim;
	char *cause = NULL;
	int64_t id;
	size_t i;

	if (strcmp(name, "memory_write") == 0) {
		memset(&m, 0, sizeof m);
		v = json_object_get(input, "content");
		if (!json_is_string(v))
			return memtools_fail(
			    xstrdup("'content' (a string) is required"));
		m.content = json_string_value(v);
		m.len = json_string_length(v);
		m.type = -1;
		if ((v = json_object_get(input, "type")) != NULL &&
		    (m.type = mem_type_parse(json_string_value(v))) < 0)
			return memtools_fail(xstrdup("unknown 'type'"));
		m.protect = -1;
		m.importance = -1;
		m.tags = json_object_get(input, "tags");
		m.session_id = mt->session_id;
		m.agent_id = mt->agent_id;
		m.cancel = mt->cancel;
		if (m.type < 0)
			m.type = (int)mem_classify(m.content, m.len);
		if ((id = memory_add(mt->db, &m, &cause)) < 0)
			return memtools_fail(cause);
		memtools_audit(mt, id, &m);
		return memtools_ok(json_pack("{s:I, s:s}", "remembered",
		    (json_int_t)id, "as", mem_types[m.type].name));
	}
	if (strcmp(name, "memory_search") == 0) {
		memset(&q, 0, sizeof q);
		q.text = json_string_value(json_object_get(input, "query"));
		if (q.text == NULL)
			return memtools_fail(
			    xstrdup("'query' (a string) is required"));
		q.mode = MEM_HYBRID;
		q.limit =
		    (size_t)json_integer_value(json_object_get(input, "limit"));
		if (q.limit == 0 || q.limit > MEMTOOLS_MAX_RESULTS)
			q.limit = 5;
		q.type = -1;
		q.include_cold = 1;
		q.touch = 1;
		q.cancel = mt->cancel;
		if ((out = memory_search(mt->db, &q, &cause)) == NULL)
			return memtools_fail(cause);
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
		return memtools_ok(slim);
	}
	if (strcmp(name, "memory_read") == 0) {
		v = json_object_get(input, "id");
		if (!json_is_integer(v))
			return memtools_fail(
			    xstrdup("'id' (an integer) is required"));
		if ((out = memory_get(mt->db, json_integer_value(v), 1,
			 &cause)) == NULL)
			return memtools_fail(
			    cause != NULL ? cause : xstrdup("no such memory"));
		return memtools_ok(out);
	}
	return NULL;
}
