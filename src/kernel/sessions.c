/*
 * sessions.c — conversations in SQLite.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/sessions.h"
#include "store/db.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define SESSION_TITLE_MAX 80

static int
session_fail(sqlite3 *db, sqlite3_stmt *st, const char *what, char **cause)
{
	xasprintf(cause, "%s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

/* The first line of `title`, at most SESSION_TITLE_MAX bytes, UTF-8 whole. */
static char *
session_title(const char *title)
{
	size_t n = strcspn(title, "\r\n");

	return xstrndup(title, utf8_cutn(title, n, SESSION_TITLE_MAX));
}

int
session_create(sqlite3 *db, const char *title, char id[UUID_STRLEN],
    char **cause)
{
	char now[40], *t;
	int64_t n;

	uuid_v4(id);
	time_rfc3339(time_wall_ms(), now, sizeof now);
	t = title != NULL ? session_title(title) : NULL;
	n = db_exec(db,
	    "INSERT INTO sessions (id, created_at, updated_at, title) "
	    "VALUES (?, ?, ?, ?)",
	    "tttt", id, now, now, t);
	free(t);
	if (n < 0)
		return session_fail(db, NULL, "creating a session", cause);
	return 0;
}

int
session_exists(sqlite3 *db, const char *id, char **cause)
{
	int64_t one;
	int rc;

	if ((rc = db_int(db, "SELECT 1 FROM sessions WHERE id = ?", &one, "t",
		 id)) < 0)
		return session_fail(db, NULL, "looking up a session", cause);
	return rc;
}

json_t *
session_messages(sqlite3 *db, const char *id, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array(), *content;
	int rc;

	if ((st = db_prepare(db,
		 "SELECT role, content FROM messages WHERE session_id = ? "
		 "ORDER BY seq",
		 "t", id)) == NULL) {
		session_fail(db, NULL, "reading a session", cause);
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		content = json_loads((const char *)sqlite3_column_text(st, 1),
		    0, NULL);
		if (content == NULL) {
			xasprintf(cause, "session %s: a message is not JSON",
			    id);
			sqlite3_finalize(st);
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out,
		    json_pack("{s:s, s:o}", "role",
			(const char *)sqlite3_column_text(st, 0), "content",
			content));
	}
	if (rc != SQLITE_DONE) {
		session_fail(db, st, "reading a session", cause);
		json_decref(out);
		return NULL;
	}
	sqlite3_finalize(st);
	return out;
}

int
session_append(sqlite3 *db, const char *id, const char *agent_id,
    const json_t *msg, char **cause)
{
	char now[40], *content;
	const json_t *c = json_object_get(msg, "content");
	int64_t n;

	if (json_is_string(c)) { /* stored as blocks, like the rest */
		json_t *blocks =
		    json_pack("[{s:s, s:O}]", "type", "text", "text", c);

		content = json_dumps(blocks, JSON_COMPACT);
		json_decref(blocks);
	} else
		content = json_dumps(c, JSON_COMPACT | JSON_ENCODE_ANY);
	time_rfc3339(time_wall_ms(), now, sizeof now);
	n = db_exec(db,
	    "INSERT INTO messages (session_id, seq, role, content, "
	    "agent_id, created_at) VALUES (?, (SELECT COALESCE(MAX(seq), "
	    "0) + 1 FROM messages WHERE session_id = ?), ?, ?, ?, ?)",
	    "tttttt", id, id, json_string_value(json_object_get(msg, "role")),
	    content != NULL ? content : "[]", agent_id, now);
	free(content);
	if (n < 0)
		return session_fail(db, NULL, "saving a message", cause);
	return 0;
}

int
session_touch(sqlite3 *db, const char *id, const char *model,
    long long input_tokens, long long output_tokens, char **cause)
{
	char now[40];

	time_rfc3339(time_wall_ms(), now, sizeof now);
	if (db_exec(db,
		"UPDATE sessions SET updated_at = ?, model = COALESCE(?, "
		"model), input_tokens = input_tokens + ?, output_tokens = "
		"output_tokens + ? WHERE id = ?",
		"ttIIt", now, model, (int64_t)input_tokens,
		(int64_t)output_tokens, id) < 0)
		return session_fail(db, NULL, "updating a session", cause);
	return 0;
}

json_t *
session_list(sqlite3 *db, int limit, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array(), *row;
	int rc;

	if ((st = db_prepare(db,
		 "SELECT s.id, s.title, s.created_at, s.updated_at, s.model, "
		 "(SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) "
		 "FROM sessions s ORDER BY s.updated_at DESC LIMIT ?",
		 "i", limit)) == NULL) {
		session_fail(db, NULL, "listing sessions", cause);
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:i}", "id",
		    (const char *)sqlite3_column_text(st, 0), "title",
		    (const char *)sqlite3_column_text(st, 1), "created_at",
		    (const char *)sqlite3_column_text(st, 2), "updated_at",
		    (const char *)sqlite3_column_text(st, 3), "model",
		    (const char *)sqlite3_column_text(st, 4), "messages",
		    sqlite3_column_int(st, 5));
		json_array_append_new(out, row);
	}
	if (rc != SQLITE_DONE) {
		session_fail(db, st, "listing sessions", cause);
		json_decref(out);
		return NULL;
	}
	sqlite3_finalize(st);
	return out;
}

json_t *
session_get(sqlite3 *db, const char *id, char **cause)
{
	json_t *s, *rows, *msgs, *m, *content;
	size_t i;

	if ((s = db_row(db,
		 "SELECT id, title, created_at, updated_at, model, persona, "
		 "input_tokens, output_tokens FROM sessions WHERE id = ?1",
		 1, &id, cause)) == NULL)
		return NULL;
	if ((rows = db_rows(db,
		 "SELECT seq, role, content, agent_id, created_at FROM messages "
		 "WHERE session_id = ?1 ORDER BY seq",
		 1, &id, 100000, cause)) == NULL)
		goto fail;
	/* content is stored as JSON text: show it as JSON. */
	msgs = json_array();
	for (i = 0; i < json_array_size(rows); i++) {
		m = json_array_get(rows, i);
		content =
		    json_loads(json_string_value(json_object_get(m, "content")),
			0, NULL);
		json_object_set_new(m, "content",
		    content != NULL ? content : json_null());
		json_array_append(msgs, m);
	}
	json_decref(rows);
	json_object_set_new(s, "messages", msgs);
	if ((rows = db_rows(db,
		 "SELECT id, parent_id, state, model, created_at, ended_at, "
		 "exit_reason, iterations FROM agents WHERE session_id = ?1 "
		 "ORDER BY created_at, rowid",
		 1, &id, 10000, cause)) == NULL)
		goto fail;
	json_object_set_new(s, "agents", rows);
	return s;
fail:
	json_decref(s);
	return NULL;
}

int
session_delete(sqlite3 *db, const char *id, char **cause)
{
	int64_t deleted;
	int exists;

	/* Rows of this statement only, not the cascade to messages. */
	if ((deleted = db_exec(db,
		 "DELETE FROM sessions WHERE id = ?1 AND NOT EXISTS "
		 "(SELECT 1 FROM agents WHERE session_id = ?1 AND state IN "
		 "('running', 'queued'))",
		 "t", id)) < 0)
		return session_fail(db, NULL, "deleting a session", cause);
	if (deleted > 0)
		return SESSION_DELETED;
	/* Kept: either there is no such session or an agent holds it. */
	if ((exists = session_exists(db, id, cause)) < 0)
		return -1;
	return exists ? SESSION_BUSY : SESSION_NONE;
}
