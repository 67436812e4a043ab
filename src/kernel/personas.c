/*
 * personas.c — personas: the shipped ones (a table), custom ones and
 * edits (rows of `personas`), the default, the session's active one, and
 * the choice of a run (personas.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernel/events.h"
#include "kernel/personas.h"
#include "security/audit.h"
#include "security/policy.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

/* The shipped personas.  tools NULL: every tool the run may offer. */
static const struct personas_builtin {
	const char *name;
	const char *role;
	const char *description;
	const char *prompt;
	const char *const *tools;
	const char *const traits[6];
} personas_builtins[] = {
	{
	    "Dev",
	    "software engineer",
	    "Writes and changes code in the workspace, runs it and its "
	    "tests, and says what it did.",
	    "You are Dev, an Oxios agent that builds software: you complete "
	    "the user's task on their machine with the tools you are given, "
	    "then answer briefly with what you did and found. Read the code "
	    "before you change it, make the smallest change that does the "
	    "job, and run it or its tests to check your work. Do not invent "
	    "file contents or results: use the tools. When the task is "
	    "done, reply without calling a tool.",
	    NULL,
	    { "precise", "tests its work", "brief", NULL },
	},
	{
	    "Review",
	    "code reviewer",
	    "Reads code and changes and reports problems with their "
	    "evidence; it does not edit files.",
	    "You are Review, an Oxios agent that reviews code: read the "
	    "files and changes the user names, run the tests when that "
	    "helps, and report what is wrong or risky, most important "
	    "first, each with the file and line and why it matters. Say "
	    "what is good only when it matters. Do not edit files: your "
	    "answer is the review. When the review is done, reply without "
	    "calling a tool.",
	    (const char *const[]){ "read", "ls", "find", "grep", "exec",
		"memory_read", "memory_search", "memory_topics", "memory_topic",
		"skill", NULL },
	    { "critical", "evidence first", "read only", NULL },
	},
	{
	    "Research",
	    "researcher",
	    "Finds and reads sources in the workspace and memory, and "
	    "answers with what they say and where.",
	    "You are Research, an Oxios agent that finds things out: search "
	    "the workspace and your memory, read what you find, and answer "
	    "with the facts and where each comes from. Tell what you know "
	    "from what you guess, and say what you could not find. Do not "
	    "change files. When you have the answer, reply without calling "
	    "a tool.",
	    (const char *const[]){ "read", "ls", "find", "grep", "memory_read",
		"memory_search", "memory_topics", "memory_topic",
		"memory_write", "agent", "skill", NULL },
	    { "thorough", "cites sources", "read only", NULL },
	},
};

#define PERSONAS_NBUILTIN \
	(sizeof personas_builtins / sizeof personas_builtins[0])

static const struct personas_builtin *
personas_builtin_find(const char *id)
{
	size_t i;

	for (i = 0; i < PERSONAS_NBUILTIN; i++)
		if (strcasecmp(personas_builtins[i].name, id) == 0)
			return &personas_builtins[i];
	return NULL;
}

static json_t *
personas_strings(const char *const *v)
{
	json_t *a = json_array();

	for (; v != NULL && *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* The id of `name` (its lower case) into `id`. */
static void
personas_id(const char *name, char id[PERSONA_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < PERSONA_NAME_MAX; i++)
		id[i] = (char)tolower((unsigned char)name[i]);
	id[i] = '\0';
}

static json_t *
personas_builtin_json(const struct personas_builtin *b)
{
	char id[PERSONA_NAME_MAX + 1];

	personas_id(b->name, id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:o, s:o, s:n, s:b, s:b}",
	    "id", id, "name", b->name, "role", b->role, "description",
	    b->description, "prompt", b->prompt, "model", "tools",
	    b->tools != NULL ? personas_strings(b->tools) : json_null(),
	    "traits", personas_strings(b->traits), "template", "builtin", 1,
	    "edited", 0);
}

int
personas_name_ok(const char *name, char **cause)
{
	size_t n = name != NULL ? strlen(name) : 0, i;

	if (n == 0 || n > PERSONA_NAME_MAX) {
		if (cause != NULL)
			xasprintf(cause,
			    "a persona's name is 1 to %d characters",
			    PERSONA_NAME_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("_.-", name[i]) == NULL) {
			if (cause != NULL)
				xasprintf(cause,
				    "a persona's name may hold letters, digits, '_', "
				    "'.' and '-' only");
			return -1;
		}
	return 0;
}

/* A string member of at most `max` bytes: 0 (*out NULL when absent or
 * null and `opt`), or -1 with *cause. */
static int
personas_str(const json_t *body, const char *key, size_t max, int opt,
    const char **out, char **cause)
{
	const json_t *v = json_object_get(body, key);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (opt)
			return 0;
		xasprintf(cause, "'%s' is missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		xasprintf(cause, "'%s' must be a string", key);
		return -1;
	}
	if (json_string_length(v) > max) {
		xasprintf(cause, "'%s' is longer than %zu bytes", key, max);
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		xasprintf(cause, "'%s' holds a NUL", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/* An array member of at most `max` strings of 1..`len` bytes: a copy
 * (NULL when absent or null), or -1 with *cause. */
static int
personas_list_member(const json_t *body, const char *key, size_t max,
    size_t len, json_t **out, char **cause)
{
	const json_t *v = json_object_get(body, key), *e;
	size_t i;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		xasprintf(cause, "'%s' must be an array of strings", key);
		return -1;
	}
	if (json_array_size(v) > max) {
		xasprintf(cause, "'%s' has more than %zu entries", key, max);
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > len ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			xasprintf(cause,
			    "'%s' entries are strings of 1 to %zu bytes", key,
			    len);
			return -1;
		}
	}
	*out = json_deep_copy(v);
	return 0;
}

json_t *
personas_parse(const json_t *body, const char *name, char **cause)
{
	static const char *const keys[] = { "name", "role", "description",
		"prompt", "model", "tools", "traits", "template", NULL };
	const char *key, *nm, *role, *desc, *prompt, *model, *tpl;
	char id[PERSONA_NAME_MAX + 1];
	json_t *v, *tools = NULL, *traits = NULL;
	size_t i;

	if (!json_is_object(body)) {
		xasprintf(cause,
		    "a persona is an object {name, prompt, role?, "
		    "description?, model?, tools?, traits?, template?}");
		return NULL;
	}
	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			xasprintf(cause, "unknown member '%.32s'", key);
			return NULL;
		}
	}
	if (personas_str(body, "name", PERSONA_NAME_MAX, name != NULL, &nm,
		cause) != 0)
		return NULL;
	if (nm == NULL)
		nm = name;
	if (personas_name_ok(nm, cause) != 0)
		return NULL;
	if (name != NULL && strcasecmp(nm, name) != 0) {
		xasprintf(cause, "the name '%s' is not the persona's (%s)", nm,
		    name);
		return NULL;
	}
	if (personas_str(body, "prompt", PERSONA_PROMPT_MAX, 0, &prompt,
		cause) != 0 ||
	    personas_str(body, "role", PERSONA_ROLE_MAX, 1, &role, cause) !=
		0 ||
	    personas_str(body, "description", PERSONA_DESC_MAX, 1, &desc,
		cause) != 0 ||
	    personas_str(body, "model", PERSONA_MODEL_MAX, 1, &model, cause) !=
		0 ||
	    personas_str(body, "template", 32, 1, &tpl, cause) != 0)
		return NULL;
	if (tpl != NULL && tpl[0] == '\0')
		tpl = NULL;
	if (tpl != NULL && policy_template_find(tpl) == NULL) {
		xasprintf(cause,
		    "'template' must be a capability template (oxios "
		    "permissions templates), not '%.32s'",
		    tpl);
		return NULL;
	}
	if (prompt[0] == '\0') {
		xasprintf(cause, "'prompt' is empty");
		return NULL;
	}
	if (model != NULL && model[0] == '\0')
		model = NULL;
	if (model != NULL && strchr(model, '/') == NULL) {
		xasprintf(cause, "'model' must be provider/model");
		return NULL;
	}
	if (personas_list_member(body, "tools", PERSONA_TOOLS_MAX, 64, &tools,
		cause) != 0)
		return NULL;
	if (personas_list_member(body, "traits", PERSONA_TRAITS_MAX,
		PERSONA_TRAIT_MAX, &traits, cause) != 0) {
		json_decref(tools);
		return NULL;
	}
	personas_id(nm, id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:o, s:s?, s:b, s:b}",
	    "id", id, "name", nm, "role", role != NULL ? role : "",
	    "description", desc != NULL ? desc : "", "prompt", prompt, "model",
	    model, "tools", tools != NULL ? tools : json_null(), "traits",
	    traits != NULL ? traits : json_array(), "template", tpl, "builtin",
	    personas_builtin_find(id) != NULL, "edited", 0);
}

json_t *
personas_parse_text(const char *text, size_t len, const char *name,
    char **cause)
{
	json_error_t err;
	json_t *body, *p;

	if (len > PERSONA_BODY_MAX) {
		xasprintf(cause, "a persona is at most %d bytes",
		    PERSONA_BODY_MAX);
		return NULL;
	}
	if ((body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL) {
		xasprintf(cause, "not JSON: %s", err.text);
		return NULL;
	}
	p = personas_parse(body, name, cause);
	json_decref(body);
	return p;
}

/* ---- rows ---- */

#define PERSONAS_COLS \
	"id, name, role, description, prompt, model, tools, traits, template"

static json_t *
personas_json_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	json_t *v;

	if (s == NULL || (v = json_loads(s, 0, NULL)) == NULL)
		return col == 6 ? json_null() : json_array();
	return v;
}

static json_t *
personas_row(sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *model = (const char *)sqlite3_column_text(st, 5);

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:o, s:o, s:s?, s:b, s:b}",
	    "id", id, "name", (const char *)sqlite3_column_text(st, 1), "role",
	    (const char *)sqlite3_column_text(st, 2), "description",
	    (const char *)sqlite3_column_text(st, 3), "prompt",
	    (const char *)sqlite3_column_text(st, 4), "model", model, "tools",
	    personas_json_col(st, 6), "traits", personas_json_col(st, 7),
	    "template", (const char *)sqlite3_column_text(st, 8), "builtin",
	    personas_builtin_find(id) != NULL, "edited",
	    personas_builtin_find(id) != NULL);
}

/* The row of `id`: 1 with *out, 0, -1 with *cause. */
static int
personas_row_get(sqlite3 *db, const char *id, json_t **out, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, s;

	*out = NULL;
	if ((st = db_prepare(db,
		 "SELECT " PERSONAS_COLS " FROM personas WHERE id = ?1", "t",
		 id)) == NULL)
		goto out;
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		*out = personas_row(st);
		rc = 1;
	} else if (s == SQLITE_DONE)
		rc = 0;
out:
	if (rc < 0 && cause != NULL)
		xasprintf(cause, "reading persona %s: %s", id,
		    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

int
personas_get(sqlite3 *db, const char *name, json_t **out, char **cause)
{
	const struct personas_builtin *b;
	char id[PERSONA_NAME_MAX + 1];
	int rc;

	*out = NULL;
	if (name == NULL || personas_name_ok(name, NULL) != 0)
		return 0;
	personas_id(name, id);
	if ((rc = personas_row_get(db, id, out, cause)) != 0)
		return rc;
	if ((b = personas_builtin_find(id)) == NULL)
		return 0;
	*out = personas_builtin_json(b);
	return 1;
}

json_t *
personas_list(sqlite3 *db, char **cause)
{
	char def[PERSONA_NAME_MAX + 1], id[PERSONA_NAME_MAX + 1];
	sqlite3_stmt *st = NULL;
	json_t *out, *p;
	size_t i;
	int s;

	if (personas_default(db, def, cause) != 0)
		return NULL;
	personas_id(def, id);
	out = json_array();
	for (i = 0; i < PERSONAS_NBUILTIN; i++) {
		if (personas_get(db, personas_builtins[i].name, &p, cause) <
		    0) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, p);
	}
	if (sqlite3_prepare_v2(db,
		"SELECT " PERSONAS_COLS " FROM personas ORDER BY id", -1, &st,
		NULL) != SQLITE_OK)
		goto fail;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		if (personas_builtin_find(
			(const char *)sqlite3_column_text(st, 0)) == NULL)
			json_array_append_new(out, personas_row(st));
	if (s != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	json_array_foreach(out, i, p) {
		json_object_set_new(p, "default",
		    json_boolean(
			strcmp(json_string_value(json_object_get(p, "id")),
			    id) == 0));
	}
	return out;
fail:
	xasprintf(cause, "listing personas: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	json_decref(out);
	return NULL;
}

/* ---- writes ---- */

struct personas_change {
	const json_t *p;
	const char *id;
	const char *actor;
	const char *session; /* personas_use */
	const char *name;    /* personas_use */
	int changed;
};

static int
personas_write_put(sqlite3 *db, void *arg, char **cause)
{
	struct personas_change *c = arg;
	char *tools = NULL, *traits;
	const json_t *t = json_object_get(c->p, "tools");
	int rc = -1;

	if (json_is_array(t))
		tools = json_dumps(t, JSON_COMPACT);
	traits = json_dumps(json_object_get(c->p, "traits"), JSON_COMPACT);
	if (db_exec(db,
		"INSERT INTO personas (" PERSONAS_COLS ", updated_at, "
		"updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?11, ?9, "
		"?10) ON CONFLICT (id) DO UPDATE SET name = ?2, role = ?3, "
		"description = ?4, prompt = ?5, model = ?6, tools = ?7, "
		"traits = ?8, template = ?11, updated_at = ?9, "
		"updated_by = ?10",
		"ttttttttItt", c->id,
		json_string_value(json_object_get(c->p, "name")),
		json_string_value(json_object_get(c->p, "role")),
		json_string_value(json_object_get(c->p, "description")),
		json_string_value(json_object_get(c->p, "prompt")),
		json_string_value(json_object_get(c->p, "model")), tools,
		traits != NULL ? traits : "[]", time_wall_ms(), c->actor,
		json_string_value(json_object_get(c->p, "template"))) >= 0)
		rc = 0;
	else
		xasprintf(cause, "storing persona %s: %s", c->id,
		    sqlite3_errmsg(db));
	free(tools);
	free(traits);
	return rc;
}

static int
personas_write_delete(sqlite3 *db, void *arg, char **cause)
{
	struct personas_change *c = arg;
	int64_t n;

	if ((n = db_exec(db, "DELETE FROM personas WHERE id = ?1", "t",
		 c->id)) < 0) {
		xasprintf(cause, "deleting persona %s: %s", c->id,
		    sqlite3_errmsg(db));
		return -1;
	}
	c->changed = (int)n;
	return 0;
}

static void
personas_announce(const char *op, const char *name, const char *session)
{
	json_t *ev = json_pack("{s:s, s:s?, s:s?}", "op", op, "persona", name,
	    "session_id", session);

	events_emit(EVENT_PERSONA_CHANGED, ev);
	json_decref(ev);
}

int
personas_put(sqlite3 *db, const json_t *p, int create, const char *actor,
    char **cause)
{
	struct personas_change c;
	char res[PERSONA_NAME_MAX + 16];
	json_t *old = NULL, *d;
	int has, rc;

	memset(&c, 0, sizeof c);
	c.p = p;
	c.id = json_string_value(json_object_get(p, "id"));
	c.actor = actor;
	if ((has = personas_get(db, c.id, &old, cause)) < 0)
		return -1;
	json_decref(old);
	if (create && has)
		return PERSONAS_EXISTS;
	if (!create && !has)
		return PERSONAS_UNKNOWN;
	snprintf(res, sizeof res, "persona:%s", c.id);
	d = json_pack("{s:s, s:O}", "op", create ? "create" : "edit", "persona",
	    p);
	rc = audit_write(db, personas_write_put, &c, actor, AUDIT_CONFIG_CHANGE,
	    res, d, cause);
	json_decref(d);
	if (rc == 0)
		personas_announce(create ? "create" : "edit",
		    json_string_value(json_object_get(p, "name")), NULL);
	return rc;
}

int
personas_delete(sqlite3 *db, const char *name, const char *actor, char **cause)
{
	struct personas_change c;
	char id[PERSONA_NAME_MAX + 1], res[PERSONA_NAME_MAX + 16];
	json_t *row = NULL, *d;
	int has;

	if (personas_name_ok(name, NULL) != 0)
		return PERSONAS_UNKNOWN;
	personas_id(name, id);
	if ((has = personas_row_get(db, id, &row, cause)) < 0)
		return -1;
	if (!has)
		return personas_builtin_find(id) != NULL ? PERSONAS_BUILTIN :
							   PERSONAS_UNKNOWN;
	memset(&c, 0, sizeof c);
	c.id = id;
	snprintf(res, sizeof res, "persona:%s", id);
	d = json_pack("{s:s, s:o}", "op", "delete", "persona", row);
	if (audit_write(db, personas_write_delete, &c, actor,
		AUDIT_CONFIG_CHANGE, res, d, cause) != 0) {
		json_decref(d);
		return -1;
	}
	json_decref(d);
	personas_announce("delete", name, NULL);
	return 0;
}

int
personas_default(sqlite3 *db, char out[PERSONA_NAME_MAX + 1], char **cause)
{
	sqlite3_stmt *st = NULL;
	int s;

	snprintf(out, PERSONA_NAME_MAX + 1, "%s", personas_builtins[0].name);
	if (sqlite3_prepare_v2(db,
		"SELECT value FROM persona_settings WHERE key = 'default'", -1,
		&st, NULL) != SQLITE_OK) {
		xasprintf(cause, "reading the default persona: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	if ((s = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(out, PERSONA_NAME_MAX + 1, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (s != SQLITE_ROW && s != SQLITE_DONE) {
		xasprintf(cause, "reading the default persona: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
personas_session(sqlite3 *db, const char *session_id,
    char out[PERSONA_NAME_MAX + 1], char **cause)
{
	sqlite3_stmt *st = NULL;
	const char *v;
	int rc = -1, s;

	out[0] = '\0';
	if ((st = db_prepare(db, "SELECT persona FROM sessions WHERE id = ?1",
		 "t", session_id)) == NULL)
		goto out;
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if ((v = (const char *)sqlite3_column_text(st, 0)) != NULL)
			snprintf(out, PERSONA_NAME_MAX + 1, "%s", v);
		rc = 1;
	} else if (s == SQLITE_DONE)
		rc = 0;
out:
	if (rc < 0)
		xasprintf(cause, "reading the session's persona: %s",
		    sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

static int
personas_write_use(sqlite3 *db, void *arg, char **cause)
{
	struct personas_change *c = arg;
	int64_t n;

	/* Without a session ?1 is unused: it binds NULL. */
	if ((n = db_exec(db,
		 c->session != NULL ?
		     "UPDATE sessions SET persona = ?2 WHERE id = ?1" :
		     "INSERT INTO persona_settings (key, value) VALUES "
		     "('default', ?2) ON CONFLICT (key) DO UPDATE SET "
		     "value = ?2",
		 "tt", c->session, c->name)) < 0) {
		xasprintf(cause, "choosing the persona: %s",
		    sqlite3_errmsg(db));
		return -1;
	}
	c->changed = (int)n;
	return 0;
}

int
personas_use(sqlite3 *db, const char *session_id, const char *name,
    const char *actor, char **cause)
{
	struct personas_change c;
	char res[PERSONA_NAME_MAX + 64];
	json_t *p = NULL, *d;
	int rc;

	memset(&c, 0, sizeof c);
	c.session = session_id;
	if (name != NULL) {
		if ((rc = personas_get(db, name, &p, cause)) < 0)
			return -1;
		if (rc == 0) {
			xasprintf(cause,
			    "no persona '%.64s' (see oxios persona list)",
			    name);
			return PERSONAS_UNKNOWN;
		}
		c.name = json_string_value(json_object_get(p, "name"));
	} else if (session_id == NULL) {
		xasprintf(cause, "the default persona cannot be cleared");
		return -1;
	}
	if (actor == NULL)
		rc = personas_write_use(db, &c, cause);
	else {
		snprintf(res, sizeof res, "persona:%s",
		    session_id != NULL ? session_id : "default");
		d = json_pack("{s:s, s:s?, s:s?}", "op", "use", "persona",
		    c.name, "session_id", session_id);
		rc = audit_write(db, personas_write_use, &c, actor,
		    AUDIT_CONFIG_CHANGE, res, d, cause);
		json_decref(d);
	}
	if (rc == 0 && c.changed == 0) {
		xasprintf(cause, "no session %.64s", session_id);
		rc = PERSONAS_UNKNOWN;
	}
	if (rc == 0 && actor != NULL)
		personas_announce("use", c.name, session_id);
	json_decref(p);
	return rc;
}

int
personas_resolve(sqlite3 *db, const char *chosen, const char *session_id,
    json_t **out, char **cause)
{
	char name[PERSONA_NAME_MAX + 1];
	int rc;

	*out = NULL;
	if (chosen != NULL) {
		if ((rc = personas_get(db, chosen, out, cause)) == 0) {
			xasprintf(cause,
			    "no persona '%.64s' (see oxios persona list)",
			    chosen);
			return PERSONAS_UNKNOWN;
		}
		return rc;
	}
	name[0] = '\0';
	if (session_id != NULL &&
	    personas_session(db, session_id, name, cause) < 0)
		return -1;
	/* A session's persona deleted since: the default. */
	if (name[0] != '\0' && (rc = personas_get(db, name, out, cause)) != 0)
		return rc;
	if (personas_default(db, name, cause) != 0)
		return -1;
	if ((rc = personas_get(db, name, out, cause)) != 0)
		return rc;
	/* The default deleted since: the first shipped one. */
	*out = personas_builtin_json(&personas_builtins[0]);
	return 1;
}
