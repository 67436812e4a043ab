/*
 * spaces_run.c — the space of a run (spaces.h): the session's, else
 * detection, else the model's classification (spaces.classify) through
 * the gate; binding a session to its space.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/events.h"
#include "kernel/gate.h"
#include "kernel/spaces.h"
#include "llm/llm.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

json_t *
spaces_of_session(sqlite3 *db, const char *session, char **cause)
{
	sqlite3_stmt *st;
	char id[UUID_STRLEN] = "";
	const char *s;
	int rc;

	*cause = NULL;
	if ((st = db_prepare(db, "SELECT space_id FROM sessions WHERE id = ?",
		 "t", session)) == NULL) {
		xasprintf(cause, "reading a session's space: %s",
		    sqlite3_errmsg(db));
		return NULL;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    (s = (const char *)sqlite3_column_text(st, 0)) != NULL)
		snprintf(id, sizeof id, "%s", s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		xasprintf(cause, "reading a session's space: %s",
		    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (*cause != NULL || id[0] == '\0')
		return NULL;
	return spaces_get(db, id, cause);
}

int
spaces_bind(sqlite3 *db, const char *session, const char *space_id,
    char **cause)
{
	static const char *const sql[] = {
		"UPDATE sessions SET space_id = ?2 WHERE id = ?1",
		"UPDATE spaces SET session_id = ?1 WHERE id = ?2",
	};
	int i;

	for (i = 0; i < 2; i++)
		if (db_exec(db, sql[i], "tt", session, space_id) < 0) {
			xasprintf(cause, "binding a session to its space: %s",
			    sqlite3_errmsg(db));
			return -1;
		}
	return 0;
}

/* The model's choice among `spaces` for `message`: the index, or -1. */
static int
spaces_classify(const struct config *cfg, const json_t *spaces,
    const char *message)
{
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	const json_t *s;
	struct buf b;
	json_t *messages;
	char *text, *p;
	size_t i, n;
	int found = -1;

	buf_init(&b, BUF_NOCAP);
	buf_adds(&b, "Spaces:\n");
	json_array_foreach(spaces, i, s) {
		buf_printf(&b, "- %s: %s\n",
		    json_string_value(json_object_get(s, "name")),
		    json_string_value(json_object_get(s, "description")));
	}
	buf_printf(&b, "\nMessage:\n%.4000s\n", message);
	messages = json_pack("[{s:s, s:s%}]", "role", "user", "content", b.data,
	    b.len);
	buf_free(&b);
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.system = "You route a user's message to the one space (a topic) "
		     "it belongs to. Answer with the space's name only, or "
		     "with none when no space fits.";
	req.messages = messages;
	req.max_tokens = 40;
	req.temperature = 0;
	req.phase = "space";
	if (messages == NULL ||
	    gate_call(cfg, NULL, &req, NULL, NULL, NULL, &resp, NULL, &err) !=
		0) {
		if (messages != NULL)
			log_info("spaces: the model's classification failed: "
				 "%s",
			    err.message);
		json_decref(messages);
		return -1;
	}
	json_decref(messages);
	text = llm_response_text(&resp);
	llm_response_free(&resp);
	p = text + strspn(text, " \t\r\n\"'*`");
	n = strcspn(p, "\r\n\"'*`");
	while (n > 0 && strchr(" .", p[n - 1]) != NULL)
		n--;
	json_array_foreach(spaces, i, s) {
		const char *name =
		    json_string_value(json_object_get(s, "name"));

		if (strlen(name) == n && strncasecmp(name, p, n) == 0)
			found = (int)i;
	}
	free(text);
	return found;
}

int
spaces_for_run(sqlite3 *db, const struct config *cfg, const char *session,
    const char *explicit, const char *message, json_t **space,
    enum space_why *why, char conv[UUID_STRLEN], char **cause)
{
	json_t *list;
	const char *s;
	int i;

	*space = NULL;
	*why = SPACE_WHY_NONE;
	conv[0] = '\0';
	*cause = NULL;
	if (session != NULL) { /* a session keeps its space */
		if ((*space = spaces_of_session(db, session, cause)) != NULL)
			*why = SPACE_WHY_SESSION;
		if (*space != NULL || *cause != NULL)
			return *cause != NULL ? -1 : 0;
	}
	if ((list = spaces_list(db, cause)) == NULL)
		return -1;
	i = spaces_detect(list, explicit, message, why);
	if (i == -2) {
		xasprintf(cause, "no space '%.64s' (see oxios space list)",
		    explicit);
		json_decref(list);
		return -1;
	}
	if (i == -1 && json_array_size(list) > 0 && message != NULL &&
	    config_bool(cfg, "spaces.classify") &&
	    (i = spaces_classify(cfg, list, message)) >= 0)
		*why = SPACE_WHY_MODEL;
	if (i >= 0) {
		*space = json_incref(json_array_get(list, (size_t)i));
		s = json_string_value(json_object_get(*space, "session_id"));
		if (session == NULL && s != NULL)
			snprintf(conv, UUID_STRLEN, "%s", s);
	}
	json_decref(list);
	return 0;
}

void
spaces_changed(sqlite3 *db, const char *actor, const char *op, const char *id,
    const char *name)
{
	char res[UUID_STRLEN + 8];
	json_t *d =
	    json_pack("{s:s, s:s, s:s?}", "op", op, "id", id, "name", name);

	snprintf(res, sizeof res, "space:%s", id);
	audit_note(db, actor, AUDIT_SPACE, res, d);
	events_emit(EVENT_SPACE_CHANGED, d);
	json_decref(d);
}
