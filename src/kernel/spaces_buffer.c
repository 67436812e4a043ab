/*
 * spaces_buffer.c — the conversation buffer (spaces_buffer.h): a
 * session's older turns summarised through the gate when its history
 * outgrows spaces.buffer_tokens, the summary kept in the session's row.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/events.h"
#include "kernel/gate.h"
#include "kernel/spaces_buffer.h"
#include "llm/llm.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define BUFFER_SUMMARY_MAX (16 * 1024) /* bytes of a kept summary */

long long
spaces_buffer_estimate(const json_t *messages, size_t from)
{
	long long chars = 0;
	size_t i;
	char *s;

	for (i = from; i < json_array_size(messages); i++) {
		s = json_dumps(json_array_get(messages, i), JSON_COMPACT);
		chars += s != NULL ? (long long)strlen(s) : 0;
		free(s);
	}
	return chars / 4;
}

long
spaces_buffer_cut(const json_t *messages, long long budget, int keep_turns)
{
	size_t i, nturns = 0, *turns;
	long cut = 0;
	int keep;

	if (spaces_buffer_estimate(messages, 0) <= budget)
		return 0;
	turns = xcalloc(json_array_size(messages) + 1, sizeof *turns);
	for (i = 0; i < json_array_size(messages); i++) {
		const char *role = json_string_value(
		    json_object_get(json_array_get(messages, i), "role"));

		if (role != NULL && strcmp(role, "user") == 0)
			turns[nturns++] = i;
	}
	keep = (size_t)keep_turns < nturns ? keep_turns : (int)nturns;
	while (keep > 1 &&
	    spaces_buffer_estimate(messages, turns[nturns - (size_t)keep]) >
		budget / 2)
		keep--;
	if (keep >= 1)
		cut = (long)turns[nturns - (size_t)keep];
	free(turns);
	return cut;
}

/* One message as transcript lines. */
static void
spaces_buffer_line(struct buf *b, const json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));
	const json_t *c = json_object_get(m, "content"), *blk;
	const char *type, *s;
	size_t i;

	if (json_is_string(c)) {
		buf_printf(b, "%s: %s\n", role, json_string_value(c));
		return;
	}
	json_array_foreach(c, i, blk) {
		type = json_string_value(json_object_get(blk, "type"));
		if (type == NULL)
			continue;
		if (strcmp(type, "text") == 0 &&
		    (s = json_string_value(json_object_get(blk, "text"))))
			buf_printf(b, "%s: %s\n", role, s);
		else if (strcmp(type, "tool_use") == 0)
			buf_printf(b, "%s called the tool %s\n", role,
			    json_string_value(json_object_get(blk, "name")));
		else if (strcmp(type, "tool_result") == 0 &&
		    (s = json_string_value(json_object_get(blk, "content"))))
			buf_printf(b, "tool result: %.*s\n",
			    (int)utf8_cutn(s, strlen(s), 300), s);
	}
}

/* The summary of `old` (may be NULL) and messages [0, cut), from the
 * model.  New string, or NULL (logged). */
static char *
spaces_buffer_ask(const struct config *cfg, const struct call_scope *scope,
    const char *old, const json_t *messages, long cut, long long budget)
{
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	struct buf t, p;
	json_t *msgs;
	char *text = NULL;
	size_t max = (size_t)budget * 4, start = 0, n;
	long i;

	buf_init(&t, BUF_NOCAP);
	for (i = 0; i < cut; i++)
		spaces_buffer_line(&t, json_array_get(messages, (size_t)i));
	if (t.len > max) /* the newest part of an oversized transcript */
		for (start = t.len - max;
		     start < t.len && (t.data[start] & 0xc0) == 0x80; start++)
			;
	buf_init(&p, BUF_NOCAP);
	if (old != NULL)
		buf_printf(&p, "The summary so far:\n%s\n\n", old);
	buf_adds(&p, "The conversation to add to it:\n");
	buf_add(&p, t.data + start, t.len - start);
	buf_adds(&p, "\nWrite the updated summary.");
	buf_free(&t);
	msgs = json_pack("[{s:s, s:s%}]", "role", "user", "content", p.data,
	    p.len);
	buf_free(&p);
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.system = "You keep the running summary of a conversation between "
		     "a user and an agent: the facts, decisions, names, paths "
		     "and open questions, in a few short paragraphs. Never "
		     "add facts. Answer with the summary only.";
	req.messages = msgs;
	req.max_tokens = 1000;
	req.temperature = 0;
	req.phase = "summary";
	if (msgs == NULL ||
	    gate_call_scoped(cfg, scope, NULL, &req, NULL, NULL, NULL, &resp,
		NULL, &err) != 0) {
		log_info("spaces: summarising a session's history failed: %s",
		    msgs != NULL ? err.message : "out of memory");
		json_decref(msgs);
		return NULL;
	}
	json_decref(msgs);
	text = llm_response_text(&resp);
	llm_response_free(&resp);
	start = strspn(text, " \t\r\n");
	n = utf8_cutn(text + start, strlen(text + start), BUFFER_SUMMARY_MAX);
	memmove(text, text + start, n);
	text[n] = '\0';
	if (n == 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* Drop the first n messages of the array. */
static void
spaces_buffer_drop(json_t *messages, size_t n)
{
	json_t *rest = json_array();
	size_t i;

	for (i = n; i < json_array_size(messages); i++)
		json_array_append(rest, json_array_get(messages, i));
	json_array_clear(messages);
	json_array_extend(messages, rest);
	json_decref(rest);
}

int
spaces_buffer_read(sqlite3 *db, const char *session, char **summary, long *upto,
    char **cause)
{
	sqlite3_stmt *st = NULL;
	const char *s;
	int rc;

	*summary = NULL;
	*upto = 0;
	if ((st = db_prepare(db,
		 "SELECT summary, summary_upto FROM sessions WHERE id = ?", "t",
		 session)) == NULL)
		goto fail;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			*summary = xstrdup(s);
		*upto = (long)sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
fail:
	xasprintf(cause, "reading a session's summary: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

static int
spaces_buffer_write(sqlite3 *db, const char *session, const char *summary,
    long upto, char **cause)
{
	if (db_exec(db,
		"UPDATE sessions SET summary = ?, summary_upto = ? "
		"WHERE id = ?",
		"tIt", summary, (int64_t)upto, session) < 0) {
		xasprintf(cause, "keeping a session's summary: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
spaces_buffer(sqlite3 *db, const struct config *cfg,
    const struct call_scope *scope, const char *session, json_t *messages,
    char **cause)
{
	long long budget = config_int(cfg, "spaces.buffer_tokens");
	char *summary = NULL, *fresh;
	long upto, cut;
	json_t *ev;

	if (spaces_buffer_read(db, session, &summary, &upto, cause) != 0)
		return -1;
	if (upto > 0 && (size_t)upto <= json_array_size(messages))
		spaces_buffer_drop(messages, (size_t)upto);
	else
		upto = 0;
	cut = spaces_buffer_cut(messages, budget,
	    (int)config_int(cfg, "spaces.keep_turns"));
	if (cut > 0 &&
	    (fresh = spaces_buffer_ask(cfg, scope, summary, messages, cut,
		 budget)) != NULL) {
		if (spaces_buffer_write(db, session, fresh, upto + cut,
			cause) != 0) {
			free(fresh);
			free(summary);
			return -1;
		}
		spaces_buffer_drop(messages, (size_t)cut);
		ev = json_pack("{s:s, s:I, s:I}", "session_id", session,
		    "summarised", (json_int_t)(upto + cut), "kept",
		    (json_int_t)json_array_size(messages));
		events_emit(EVENT_SPACE_SUMMARISED, ev);
		json_decref(ev);
		free(fresh);
	}
	free(summary);
	return 0;
}
