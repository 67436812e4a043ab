/*
 * spaces_bridge.c — the knowledge bridge (spaces_bridge.h).
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "kernel/memtools.h"
#include "kernel/sessions.h"
#include "kernel/spaces_bridge.h"
#include "llm/llm.h"
#include "memory/memory.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define BRIDGE_TRANSCRIPT_MAX (32 * 1024) /* bytes given to the model */

json_t *
spaces_bridge_facts(const char *answer)
{
	json_t *facts = json_array(), *s;
	const char *p = answer, *e;
	size_t n;

	while (*p != '\0' && json_array_size(facts) < BRIDGE_MAX_FACTS) {
		e = p + strcspn(p, "\n");
		if (e - p >= 2 && p[0] == '-' && p[1] == ' ') {
			const char *a = p + 2;

			while (a < e && (*a == ' ' || *a == '\t'))
				a++;
			n = (size_t)(e - a);
			while (n > 0 && strchr(" \t\r", a[n - 1]) != NULL)
				n--;
			if (n > MEMORY_MAX_CONTENT)
				n = utf8_cutn(a, n, MEMORY_MAX_CONTENT);
			if (n > 0 && (s = json_stringn(a, n)) != NULL)
				json_array_append_new(facts, s);
		}
		p = *e == '\n' ? e + 1 : e;
	}
	return facts;
}

/* The text turns of messages [from, end) as a transcript. */
static void
spaces_bridge_transcript(const json_t *messages, size_t from, struct buf *b)
{
	const json_t *m, *c, *blk;
	const char *role, *t;
	size_t i, j;

	for (i = from; i < json_array_size(messages); i++) {
		m = json_array_get(messages, i);
		role = json_string_value(json_object_get(m, "role"));
		c = json_object_get(m, "content");
		if (role == NULL || strcmp(role, "tool") == 0)
			continue;
		if (json_is_string(c))
			buf_printf(b, "%s: %s\n", role, json_string_value(c));
		json_array_foreach(c, j, blk) {
			t = json_string_value(json_object_get(blk, "text"));
			if (t != NULL)
				buf_printf(b, "%s: %s\n", role, t);
		}
	}
}

static int
spaces_bridge_mark(sqlite3 *db, const char *session, long upto, char **cause)
{
	if (db_exec(db, "UPDATE sessions SET bridge_upto = ? WHERE id = ?",
		"It", (int64_t)upto, session) < 0) {
		xasprintf(cause, "marking a session's bridge: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static long
spaces_bridge_upto(sqlite3 *db, const char *session)
{
	int64_t upto = 0;

	db_int(db, "SELECT bridge_upto FROM sessions WHERE id = ?", &upto, "t",
	    session);
	return (long)upto;
}

/* The model's answer to the transcript, or NULL (logged). */
static char *
spaces_bridge_ask(const struct config *cfg, const struct call_scope *scope,
    const struct buf *t)
{
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	struct call_scope bg;
	json_t *msgs;
	size_t start = 0;
	char *text;

	if (t->len > BRIDGE_TRANSCRIPT_MAX) /* the newest part */
		for (start = t->len - BRIDGE_TRANSCRIPT_MAX;
		     start < t->len && (t->data[start] & 0xc0) == 0x80; start++)
			;
	msgs = json_pack("[{s:s, s:s%}]", "role", "user", "content",
	    t->data + start, t->len - start);
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.system = "You extract durable facts from a conversation: what "
		     "the user stated about themselves, their projects, "
		     "decisions and preferences that will still be true "
		     "later. One fact a line, each starting with \"- \", at "
		     "most ten; answer NONE when there is none. Never add "
		     "facts.";
	req.messages = msgs;
	req.max_tokens = 500;
	req.temperature = 0;
	req.phase = "space";
	bg = *scope;
	bg.cls = CALL_BACKGROUND;
	if (msgs == NULL ||
	    gate_call_scoped(cfg, &bg, NULL, &req, NULL, NULL, NULL, &resp,
		NULL, &err) != 0) {
		log_info("spaces: extracting facts failed: %s",
		    msgs != NULL ? err.message : "not UTF-8");
		json_decref(msgs);
		return NULL;
	}
	json_decref(msgs);
	text = llm_response_text(&resp);
	llm_response_free(&resp);
	return text;
}

int
spaces_bridge(sqlite3 *db, const struct config *cfg,
    const struct call_scope *scope, const char *session, const char *space_id,
    char **cause)
{
	struct mem_new m;
	struct buf t;
	json_t *messages, *facts = NULL, *f;
	char *answer = NULL, *why = NULL;
	long upto;
	size_t i;
	int stored = 0;

	if (!config_bool(cfg, "spaces.bridge") || !memtools_ready(db, cfg))
		return 0;
	if ((messages = session_messages(db, session, cause)) == NULL)
		return -1;
	upto = spaces_bridge_upto(db, session);
	if ((size_t)upto > json_array_size(messages))
		upto = 0;
	buf_init(&t, BUF_NOCAP);
	spaces_bridge_transcript(messages, (size_t)upto, &t);
	if (t.len > 0 && (answer = spaces_bridge_ask(cfg, scope, &t)) != NULL)
		facts = spaces_bridge_facts(answer);
	buf_free(&t);
	json_array_foreach(facts, i, f) {
		memset(&m, 0, sizeof m);
		m.content = json_string_value(f);
		m.len = json_string_length(f);
		m.type = -1;
		m.protect = -1;
		m.importance = -1;
		m.session_id = session;
		m.space = space_id;
		m.audit_actor = "spaces";
		if (memory_add(db, &m, &why) < 0) {
			log_info("spaces: a fact was not stored: %s", why);
			free(why);
			why = NULL;
		} else
			stored++;
	}
	json_decref(facts);
	free(answer);
	if (answer != NULL &&
	    spaces_bridge_mark(db, session, (long)json_array_size(messages),
		cause) != 0)
		stored = -1;
	json_decref(messages);
	return stored;
}
