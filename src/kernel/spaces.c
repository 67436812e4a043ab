/*
 * spaces.c — spaces: bodies, the store, detection (spaces.h).  The run's
 * side (the session's space, the model's classification) is in
 * spaces_run.c, the conversation buffer in spaces_buffer.c.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/spaces.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

/* ---- bodies ---- */

static int
spaces_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SPACE_NAME_MAX || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_. ", *s) == NULL)
			return 0;
	return 1;
}

/* A workspace-relative path or glob: not absolute, no "..", no control
 * characters. */
static int
spaces_path_ok(const char *s)
{
	const char *p;

	if (*s == '\0' || *s == '/' || strlen(s) > SPACE_ITEM_MAX)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	for (p = s; (p = strstr(p, "..")) != NULL; p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return 0;
	return 1;
}

/* A tag: one word of letters, digits, '-', '_', '.'. */
static int
spaces_tag_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > SPACE_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.", *s) == NULL)
			return 0;
	return 1;
}

static int
spaces_list_ok(const json_t *v, int (*ok)(const char *), const char *key,
    char **cause)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > SPACE_LIST_MAX) {
		xasprintf(cause, "'%s' must be an array of at most %d strings",
		    key, SPACE_LIST_MAX);
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || !ok(json_string_value(e))) {
			xasprintf(cause, "'%s'[%zu] is not a valid %s", key, i,
			    ok == spaces_path_ok ?
				"workspace-relative path (no '/' first, "
				"no '..')" :
				"tag (letters, digits, '-', '_', '.')");
			return -1;
		}
	}
	return 0;
}

static int
spaces_str_ok(const json_t *v, const char *key, size_t max, char **cause)
{
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		xasprintf(cause, "'%s' must be a string of at most %zu bytes",
		    key, max);
		return -1;
	}
	return 0;
}

json_t *
spaces_parse_body(const char *text, size_t len, int partial, char **cause)
{
	static const char *const keys[] = { "name", "emoji", "description",
		"paths", "tags", NULL };
	json_error_t jerr;
	const char *key;
	json_t *o, *v;
	size_t i;

	if (len > SPACE_BODY_MAX) {
		xasprintf(cause, "the body is over %d bytes", SPACE_BODY_MAX);
		return NULL;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		xasprintf(cause, "the body must be a JSON object%s%s",
		    o == NULL ? ": " : "", o == NULL ? jerr.text : "");
		json_decref(o);
		return NULL;
	}
	json_object_foreach(o, key, v) {
		for (i = 0; keys[i] != NULL && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i] == NULL) {
			xasprintf(cause, "unknown key '%.64s'", key);
			goto bad;
		}
	}
	v = json_object_get(o, "name");
	if (v == NULL && !partial) {
		xasprintf(cause, "'name' is missing");
		goto bad;
	}
	if (v != NULL &&
	    (!json_is_string(v) || !spaces_name_ok(json_string_value(v)))) {
		xasprintf(cause,
		    "'name' must be 1 to %d of letters, digits, '-', '_', "
		    "'.' and inner spaces",
		    SPACE_NAME_MAX);
		goto bad;
	}
	if (((v = json_object_get(o, "emoji")) != NULL &&
		spaces_str_ok(v, "emoji", SPACE_EMOJI_MAX, cause) != 0) ||
	    ((v = json_object_get(o, "description")) != NULL &&
		spaces_str_ok(v, "description", SPACE_DESC_MAX, cause) != 0) ||
	    ((v = json_object_get(o, "paths")) != NULL &&
		spaces_list_ok(v, spaces_path_ok, "paths", cause) != 0) ||
	    ((v = json_object_get(o, "tags")) != NULL &&
		spaces_list_ok(v, spaces_tag_ok, "tags", cause) != 0))
		goto bad;
	return o;
bad:
	json_decref(o);
	return NULL;
}

/* ---- the store ---- */

static int
spaces_fail(sqlite3 *db, sqlite3_stmt *st, const char *what, char **cause)
{
	xasprintf(cause, "%s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

#define SPACES_COLS \
	"id, name, emoji, description, paths, tags, session_id, " \
	"created_at, updated_at"

/* One row of SPACES_COLS as an object. */
static json_t *
spaces_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *v;
	static const char *const names[] = { "id", "name", "emoji",
		"description", "paths", "tags", "session_id", "created_at",
		"updated_at" };
	const char *s;
	int i;

	for (i = 0; i < 9; i++) {
		s = (const char *)sqlite3_column_text(st, i);
		if (i == 4 || i == 5) {
			v = s != NULL ? json_loads(s, 0, NULL) : NULL;
			if (!json_is_array(v)) {
				json_decref(v);
				v = json_array();
			}
		} else
			v = s != NULL ? json_string(s) : json_null();
		json_object_set_new(o, names[i], v != NULL ? v : json_null());
	}
	return o;
}

static json_t *
spaces_query(sqlite3 *db, const char *sql, const char *arg, char **cause)
{
	sqlite3_stmt *st;
	json_t *a;
	int rc;

	if ((st = db_prepare(db, sql, arg != NULL ? "t" : "", arg)) == NULL) {
		spaces_fail(db, NULL, "reading spaces", cause);
		return NULL;
	}
	a = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, spaces_row(st));
	if (rc != SQLITE_DONE) {
		json_decref(a);
		spaces_fail(db, st, "reading spaces", cause);
		return NULL;
	}
	sqlite3_finalize(st);
	return a;
}

json_t *
spaces_list(sqlite3 *db, char **cause)
{
	return spaces_query(db,
	    "SELECT " SPACES_COLS " FROM spaces ORDER BY name", NULL, cause);
}

json_t *
spaces_get(sqlite3 *db, const char *id_or_name, char **cause)
{
	json_t *a, *o;

	*cause = NULL;
	a = spaces_query(db,
	    "SELECT " SPACES_COLS " FROM spaces WHERE id = ?1 OR name = ?1 "
	    "ORDER BY id = ?1 DESC LIMIT 1",
	    id_or_name, cause);
	if (a == NULL)
		return NULL;
	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	return o;
}

/* A JSON array of the body, or "[]". */
static char *
spaces_dump(const json_t *body, const char *key)
{
	const json_t *v = json_object_get(body, key);

	return v != NULL ? json_dumps(v, JSON_COMPACT) : xstrdup("[]");
}

static const char *
spaces_text(const json_t *body, const char *key)
{
	const char *s = json_string_value(json_object_get(body, key));

	return s != NULL ? s : "";
}

int
spaces_create(sqlite3 *db, const json_t *body, char id[UUID_STRLEN],
    char **cause)
{
	char now[40], *paths, *tags;
	int64_t n;

	if (db_int(db, "SELECT count(*) FROM spaces", &n, "") != 1)
		return spaces_fail(db, NULL, "counting spaces", cause);
	if (n >= SPACES_MAX) {
		xasprintf(cause, "there are %d spaces already", SPACES_MAX);
		return -1;
	}
	uuid_v4(id);
	time_rfc3339(time_wall_ms(), now, sizeof now);
	paths = spaces_dump(body, "paths");
	tags = spaces_dump(body, "tags");
	n = db_exec(db,
	    "INSERT INTO spaces (id, name, emoji, description, paths, "
	    "tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	    "tttttttt", id, spaces_text(body, "name"),
	    spaces_text(body, "emoji"), spaces_text(body, "description"), paths,
	    tags, now, now);
	free(paths);
	free(tags);
	if (n < 0 && (sqlite3_errcode(db) & 0xff) == SQLITE_CONSTRAINT) {
		xasprintf(cause, "a space named '%s' exists",
		    spaces_text(body, "name"));
		return -1;
	}
	if (n < 0)
		return spaces_fail(db, NULL, "creating a space", cause);
	return 0;
}

int
spaces_update(sqlite3 *db, const char *id, const json_t *body, char **cause)
{
	static const char *const keys[] = { "name", "emoji", "description",
		"paths", "tags" };
	const json_t *v;
	char now[40], *sql, *s;
	int64_t n;
	int i, changed = 0;

	time_rfc3339(time_wall_ms(), now, sizeof now);
	if (sqlite3_exec(db, "SAVEPOINT spaces_update", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return spaces_fail(db, NULL, "changing a space", cause);
	for (i = 0; i < 5; i++) {
		if ((v = json_object_get(body, keys[i])) == NULL)
			continue;
		xasprintf(&sql,
		    "UPDATE spaces SET %s = ?, updated_at = ? WHERE id = ?",
		    keys[i]);
		s = json_is_array(v) ? json_dumps(v, JSON_COMPACT) :
				       xstrdup(json_string_value(v));
		n = db_exec(db, sql, "ttt", s, now, id);
		free(s);
		free(sql);
		if (n < 0 &&
		    (sqlite3_errcode(db) & 0xff) == SQLITE_CONSTRAINT) {
			xasprintf(cause, "a space named '%s' exists",
			    json_string_value(v));
			goto undo;
		}
		if (n < 0)
			goto fail;
		changed += (int)n;
	}
	if (changed == 0) { /* nothing given, or no such space */
		json_t *o = spaces_get(db, id, cause);

		changed = o != NULL &&
		    strcmp(json_string_value(json_object_get(o, "id")), id) ==
			0;
		json_decref(o);
		if (o == NULL && *cause != NULL)
			goto undo;
	}
	sqlite3_exec(db, "RELEASE spaces_update", NULL, NULL, NULL);
	return changed > 0;
fail:
	xasprintf(cause, "changing a space: %s", sqlite3_errmsg(db));
undo:
	sqlite3_exec(db, "ROLLBACK TO spaces_update; RELEASE spaces_update",
	    NULL, NULL, NULL);
	return -1;
}

int
spaces_delete(sqlite3 *db, const char *id, char **cause)
{
	int64_t n;

	if ((n = db_exec(db, "DELETE FROM spaces WHERE id = ?", "t", id)) < 0)
		return spaces_fail(db, NULL, "deleting a space", cause);
	return n > 0;
}

/* ---- detection ---- */

const char *
spaces_why_name(enum space_why why)
{
	static const char *const names[] = { "none", "explicit", "path", "tag",
		"name", "model", "session" };

	return names[why];
}

int
spaces_path_match(const char *pat, const char *p)
{
	size_t n;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	while (pat[0] == '.' && pat[1] == '/')
		pat += 2;
	if (strpbrk(pat, "*?[") != NULL)
		return fnmatch(pat, p, 0) == 0;
	n = strlen(pat);
	while (n > 0 && pat[n - 1] == '/')
		n--;
	return n > 0 && strncmp(pat, p, n) == 0 &&
	    (p[n] == '\0' || p[n] == '/');
}

/* Characters that end a path the message names. */
static int
spaces_path_end(int c)
{
	return c == '\0' || isspace(c) || strchr("\"'`<>()[]{},;", c) != NULL;
}

/* Whether a path of the message matches `pat`: each word with a '/' or a
 * '.' inside, trailing '.', ':' and '!' dropped. */
static int
spaces_message_path(const char *pat, const char *msg)
{
	const char *p = msg, *e;
	char word[1024];
	size_t n;

	while (*p != '\0') {
		while (*p != '\0' && spaces_path_end((unsigned char)*p))
			p++;
		for (e = p; !spaces_path_end((unsigned char)*e); e++)
			;
		n = (size_t)(e - p);
		while (n > 0 && strchr(".:!?", p[n - 1]) != NULL)
			n--;
		if (n > 0 && n < sizeof word) {
			memcpy(word, p, n);
			word[n] = '\0';
			if ((memchr(word, '/', n) != NULL ||
				memchr(word, '.', n) != NULL) &&
			    spaces_path_match(pat,
				word[0] == '/' ? word + 1 : word))
				return 1;
		}
		p = e;
	}
	return 0;
}

static int
spaces_word_char(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* Whether `msg` holds `word` (case-insensitive) bounded by non-word
 * characters. */
static int
spaces_has_word(const char *msg, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	if (n == 0)
		return 0;
	for (p = msg; *p != '\0'; p++) {
		if (strncasecmp(p, word, n) != 0)
			continue;
		if ((p == msg || !spaces_word_char((unsigned char)p[-1])) &&
		    !spaces_word_char((unsigned char)p[n]))
			return 1;
	}
	return 0;
}

int
spaces_detect(const json_t *spaces, const char *explicit, const char *message,
    enum space_why *why)
{
	const json_t *s, *v;
	size_t i, j;

	*why = SPACE_WHY_NONE;
	if (explicit != NULL) {
		json_array_foreach(spaces, i, s) {
			if (strcmp(json_string_value(json_object_get(s, "id")),
				explicit) == 0 ||
			    strcasecmp(json_string_value(
					   json_object_get(s, "name")),
				explicit) == 0) {
				*why = SPACE_WHY_EXPLICIT;
				return (int)i;
			}
		}
		return -2;
	}
	if (message == NULL)
		return -1;
	json_array_foreach(spaces, i, s) {
		json_array_foreach(json_object_get(s, "paths"), j, v) {
			if (spaces_message_path(json_string_value(v),
				message)) {
				*why = SPACE_WHY_PATH;
				return (int)i;
			}
		}
	}
	json_array_foreach(spaces, i, s) {
		json_array_foreach(json_object_get(s, "tags"), j, v) {
			if (spaces_has_word(message, json_string_value(v))) {
				*why = SPACE_WHY_TAG;
				return (int)i;
			}
		}
		if (spaces_has_word(message,
			json_string_value(json_object_get(s, "name")))) {
			*why = SPACE_WHY_NAME;
			return (int)i;
		}
	}
	return -1;
}
