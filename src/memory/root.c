/*
 * root.c — the ROOT index: topics of memories, kept by every write and
 * rebuilt by dream (see root.h).
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory_int.h"
#include "memory/root.h"
#include "store/db.h"
#include "util/buf.h"
#include "util/time.h"
#include "util/xalloc.h"

/* ---- a memory's topics ---- */

/* Add `s` (n bytes) to the set `topics`, lower-cased and trimmed;
 * nothing if it is blank or too long. */
static void
root_add_topic(json_t *topics, const char *s, size_t n)
{
	char t[ROOT_MAX_TOPIC + 1];
	size_t i;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n > ROOT_MAX_TOPIC)
		return;
	for (i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)s[i]);
	t[n] = '\0';
	json_object_set_new(topics, t, json_true());
}

/* The topics of a memory with tags `tags` (JSON text) and type `type`:
 * a set (object of names; empty for an untagged summary).  New
 * reference. */
static json_t *
root_topics_of(const char *tags, const char *type)
{
	json_t *topics = json_object(), *list, *v;
	size_t i;

	list = tags != NULL ? json_loads(tags, 0, NULL) : NULL;
	json_array_foreach(list, i, v) {
		if (json_is_string(v))
			root_add_topic(topics, json_string_value(v),
			    json_string_length(v));
	}
	json_decref(list);
	/* A daily, weekly or monthly summary is reached down the tree from
	 * its topics' root summaries (tagged with the topic), not as a
	 * topic "summary" that would grow by a memory a day. */
	if (json_object_size(topics) == 0 && type != NULL &&
	    strcmp(type, "summary") != 0)
		root_add_topic(topics, type, strlen(type));
	return topics;
}

/* ---- topics ---- */

/* `content` as one line of at most ROOT_SUMMARY_BYTES (cut on a UTF-8
 * boundary, "..." when cut).  New string. */
static char *
root_summary(const char *content)
{
	size_t n = strlen(content), i, cut = n;
	char *s;

	if (n > ROOT_SUMMARY_BYTES) {
		cut = ROOT_SUMMARY_BYTES;
		while (cut > 0 && ((unsigned char)content[cut] & 0xc0) == 0x80)
			cut--;
	}
	s = xmalloc(cut + 4);
	for (i = 0; i < cut; i++)
		s[i] = content[i] == '\n' || content[i] == '\r' ||
			content[i] == '\t' ?
		    ' ' :
		    content[i];
	s[cut] = '\0';
	if (cut < n)
		strcpy(s + cut, "...");
	return s;
}

/* -1, with the connection's error in *cause. */
static int
root_err(sqlite3 *db, char **cause)
{
	xasprintf(cause, "memory: topics: %s", sqlite3_errmsg(db));
	return -1;
}

/* Add the topics memory `id` is under to the set `into`.  0, or -1 with
 * *cause. */
static int
root_links(sqlite3 *db, int64_t id, json_t *into, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prepare(db,
		 "SELECT topic FROM memory_topic_links WHERE memory_id = ?1 "
		 "ORDER BY topic",
		 "I", (int64_t)id)) == NULL)
		return root_err(db, cause);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(into,
		    (const char *)sqlite3_column_text(st, 0), json_true());
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : root_err(db, cause);
}

json_t *
root_memory_topics(sqlite3 *db, int64_t id)
{
	json_t *set = json_object(), *out = json_array(), *v;
	const char *t;
	char *cause = NULL;

	if (root_links(db, id, set, &cause) != 0)
		free(cause);
	json_object_foreach(set, t, v)
		json_array_append_new(out, json_string(t));
	json_decref(set);
	return out;
}

/* The importance of memory `id`, or -1 if there is none. */
static double
root_importance(sqlite3 *db, int64_t id)
{
	double v = -1;

	db_real(db, "SELECT importance FROM memories WHERE id = ?1", &v, "I",
	    (int64_t)id);
	return v;
}

/* A topic's memories, most important first (the summary's is the first). */
#define ROOT_SQL_BEST \
	"SELECT m.id, m.content FROM memory_topic_links l JOIN memories m " \
	"ON m.id = l.memory_id WHERE l.topic = ?1 " \
	"ORDER BY m.importance DESC, m.id DESC LIMIT ?2"

/*
 * Write the row of `topic`: `count` memories (0 deletes it), its summary
 * from memory `sid` — or, with sid 0, from its most important memory,
 * found by a walk of the topic's memories (only when the one it had left
 * or changed).  0, or -1 with *cause.
 */
static int
root_put(sqlite3 *db, const char *topic, long long count, int64_t sid,
    char **cause)
{
	sqlite3_stmt *st;
	char *summary = NULL;
	int64_t rc;

	if (count > 0) {
		st = sid == 0 ?
		    db_prepare(db, ROOT_SQL_BEST, "ti", topic, 1) :
		    db_prepare(db,
			"SELECT id, content FROM memories WHERE id = ?1", "I",
			(int64_t)sid);
		if (st == NULL)
			return root_err(db, cause);
		if (sqlite3_step(st) == SQLITE_ROW) {
			sid = sqlite3_column_int64(st, 0);
			summary = root_summary(
			    (const char *)sqlite3_column_text(st, 1));
		}
		sqlite3_finalize(st);
	}
	rc = summary == NULL ?
	    db_exec(db, "DELETE FROM memory_topics WHERE topic = ?1", "t",
		topic) :
	    db_exec(db,
		"INSERT OR REPLACE INTO memory_topics (topic, summary, "
		"summary_id, count, touched_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
		"ttIII", topic, summary, (int64_t)sid, (int64_t)count,
		(int64_t)time_wall_ms());
	free(summary);
	return rc < 0 ? root_err(db, cause) : 0;
}

/* How many memories `topic` links (a walk of them: for a row that is
 * missing, never on the common path). */
static long long
root_count(sqlite3 *db, const char *topic)
{
	int64_t n = 0;

	db_int(db, "SELECT COUNT(*) FROM memory_topic_links WHERE topic = ?1",
	    &n, "t", topic);
	return (long long)n;
}

/* Link memory `id` to its topics (a set) now.  0, or -1 with *cause. */
static int
root_link(sqlite3 *db, int64_t id, json_t **topics, char **cause)
{
	sqlite3_stmt *st;
	const char *t;
	json_t *v;

	*topics = NULL;
	if ((st = db_prepare(db,
		 "SELECT tags, type FROM memories WHERE id = ?1", "I",
		 (int64_t)id)) == NULL)
		return root_err(db, cause);
	if (sqlite3_step(st) == SQLITE_ROW)
		*topics =
		    root_topics_of((const char *)sqlite3_column_text(st, 0),
			(const char *)sqlite3_column_text(st, 1));
	else
		*topics = json_object();
	sqlite3_finalize(st);
	if ((st = db_prepare(db,
		 "INSERT OR IGNORE INTO memory_topic_links (topic, memory_id) "
		 "VALUES (?1, ?2)",
		 "")) == NULL)
		return root_err(db, cause);
	json_object_foreach(*topics, t, v) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return root_err(db, cause);
		}
	}
	sqlite3_finalize(st);
	return 0;
}

/* How memory `id` stands to a topic in root_note(). */
enum root_move {
	ROOT_LEFT = 1,   /* linked before, not now */
	ROOT_JOINED = 2, /* linked now, not before */
	ROOT_STAYED = 3, /* both */
};

/*
 * Whether memory `id` (importance `imp`) comes before `sid`, the topic's
 * summary memory, in the order ROOT_SQL_BEST walks.
 */
static int
root_beats(sqlite3 *db, int64_t id, double imp, int64_t sid)
{
	double simp;

	if (sid == 0 || (simp = root_importance(db, sid)) < 0)
		return 1;
	return imp > simp || (imp == simp && id > sid);
}

/*
 * A topic's row follows one memory's move: its count by one, its summary
 * taken over by a memory that comes first, found anew (sid 0) when the
 * memory that gave it left or changed.  No walk of the topic's memories
 * otherwise: a write costs the same whatever a topic holds.
 */
static int
root_move(sqlite3 *db, const char *topic, enum root_move move, int64_t id,
    double imp, char **cause)
{
	sqlite3_stmt *st;
	long long count = 0;
	int64_t sid = 0;
	int exists = 0;

	if ((st = db_prepare(db,
		 "SELECT count, summary_id FROM memory_topics WHERE topic = ?1",
		 "t", topic)) == NULL)
		return root_err(db, cause);
	if (sqlite3_step(st) == SQLITE_ROW) {
		exists = 1;
		count = sqlite3_column_int64(st, 0);
		sid = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (!exists) /* the links are the truth: count them */
		return root_put(db, topic, root_count(db, topic), 0, cause);
	if (move == ROOT_LEFT)
		count--;
	else if (move == ROOT_JOINED)
		count++;
	if (sid == id)
		sid = 0; /* left, or its importance or text changed */
	else if (move != ROOT_LEFT && root_beats(db, id, imp, sid))
		sid = id;
	return root_put(db, topic, count, sid, cause);
}

int
root_note(sqlite3 *db, int64_t id, char **cause)
{
	json_t *moves = json_object(), *now = NULL, *v;
	const char *t;
	double imp;
	int rc = -1;

	if (root_links(db, id, moves, cause) != 0)
		goto out;
	if (db_exec(db, "DELETE FROM memory_topic_links WHERE memory_id = ?1",
		"I", (int64_t)id) < 0) {
		root_err(db, cause);
		goto out;
	}
	if (root_link(db, id, &now, cause) != 0)
		goto out;
	json_object_foreach(moves, t, v)
		json_object_set_new(moves, t, json_integer(ROOT_LEFT));
	json_object_foreach(now, t, v) {
		json_object_set_new(moves, t,
		    json_integer(json_object_get(moves, t) != NULL ?
			    ROOT_STAYED :
			    ROOT_JOINED));
	}
	imp = root_importance(db, id);
	json_object_foreach(moves, t, v) {
		if (root_move(db, t, (enum root_move)json_integer_value(v), id,
			imp, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(moves);
	json_decref(now);
	return rc;
}

int
root_rebuild(sqlite3 *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *ids = json_array(), *all = json_object(), *now, *v;
	const char *t;
	size_t i;
	int rc = -1;

	if (mem_exec(db, "DELETE FROM memory_topic_links", cause) != 0 ||
	    mem_exec(db, "DELETE FROM memory_topics", cause) != 0)
		goto out;
	if ((st = db_prepare(db, "SELECT id FROM memories", "")) == NULL) {
		root_err(db, cause);
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(ids,
		    json_integer((json_int_t)sqlite3_column_int64(st, 0)));
	sqlite3_finalize(st);
	json_array_foreach(ids, i, v) {
		if (root_link(db, (int64_t)json_integer_value(v), &now,
			cause) != 0) {
			json_decref(now);
			goto out;
		}
		json_object_update(all, now);
		json_decref(now);
	}
	json_object_foreach(all, t, v) {
		if (root_put(db, t, root_count(db, t), 0, cause) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(ids);
	json_decref(all);
	return rc;
}

int
root_heal(sqlite3 *db, char **cause)
{
	if (mem_scalar(db, "SELECT COUNT(*) FROM memory_topic_links") > 0 ||
	    mem_scalar(db, "SELECT COUNT(*) FROM memories") == 0)
		return 0;
	if (mem_exec(db, "BEGIN IMMEDIATE", cause) != 0)
		return -1;
	if (root_rebuild(db, cause) != 0 ||
	    mem_exec(db, "COMMIT", cause) != 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

/* A row (topic, summary, count, touched_ms[, ids]) as JSON. */
static json_t *
root_row_json(sqlite3_stmt *st)
{
	char at[40];

	time_rfc3339(sqlite3_column_int64(st, 3), at, sizeof at);
	return json_pack("{s:s, s:s, s:I, s:s}", "topic",
	    (const char *)sqlite3_column_text(st, 0), "summary",
	    (const char *)sqlite3_column_text(st, 1), "count",
	    (json_int_t)sqlite3_column_int64(st, 2), "touched_at", at);
}

json_t *
memory_topics(sqlite3 *db, const char *prefix, long limit, char **cause)
{
	json_t *out = json_array();

	if (prefix == NULL)
		prefix = "";
	if (db_collect(db_prepare(db,
			   "SELECT topic, summary, count, touched_ms FROM "
			   "memory_topics WHERE substr(topic, 1, length(?1)) = "
			   "lower(?1) ORDER BY count DESC, topic LIMIT ?2",
			   "tI", prefix, (int64_t)(limit > 0 ? limit : -1)),
		root_row_json, out) == 0)
		return out;
	xasprintf(cause, "memory: topics: %s", sqlite3_errmsg(db));
	json_decref(out);
	return NULL;
}

json_t *
memory_topic(sqlite3 *db, const char *name, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *out = NULL, *ids, *mems, *m, *key;
	const char *topic;
	int64_t id;

	*cause = NULL;
	key = json_object();
	if (name != NULL)
		root_add_topic(key, name, strlen(name));
	if (json_object_size(key) == 0)
		goto out;
	topic = json_object_iter_key(json_object_iter(key));
	if ((st = db_prepare(db,
		 "SELECT topic, summary, count, touched_ms FROM "
		 "memory_topics WHERE topic = ?1",
		 "t", topic)) == NULL) {
		root_err(db, cause);
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		out = root_row_json(st);
	sqlite3_finalize(st);
	if (out == NULL)
		goto out;
	if ((st = db_prepare(db, ROOT_SQL_BEST, "ti", topic,
		 (int)ROOT_TOPIC_MEMORIES)) == NULL) {
		root_err(db, cause);
		goto out;
	}
	ids = json_array();
	mems = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		json_array_append_new(ids, json_integer((json_int_t)id));
		if ((m = memory_get(db, id, 0, cause)) != NULL)
			json_array_append_new(mems, m);
		free(*cause);
		*cause = NULL;
	}
	sqlite3_finalize(st);
	json_object_set_new(out, "ids", ids);
	json_object_set_new(out, "memories", mems);
out:
	json_decref(key);
	return out;
}

char *
memory_toc(sqlite3 *db, size_t max_bytes)
{
	static const char head[] =
	    "Topics in your memory (memory_topic NAME lists one's "
	    "memories):\n";
	sqlite3_stmt *st = NULL;
	struct buf b, line;
	int n = 0;

	buf_init(&b, BUF_NOCAP);
	buf_init(&line, BUF_NOCAP);
	if (max_bytes <= sizeof head ||
	    (st = db_prepare(db,
		 "SELECT topic, summary, count FROM memory_topics "
		 "ORDER BY count DESC, touched_ms DESC, topic",
		 "")) == NULL)
		goto out;
	buf_adds(&b, head);
	while (sqlite3_step(st) == SQLITE_ROW) {
		buf_reset(&line);
		buf_printf(&line, "- %s (%lld): %s\n",
		    (const char *)sqlite3_column_text(st, 0),
		    (long long)sqlite3_column_int64(st, 2),
		    (const char *)sqlite3_column_text(st, 1));
		if (b.len + line.len > max_bytes)
			break;
		buf_add(&b, line.data, line.len);
		n++;
	}
out:
	sqlite3_finalize(st);
	buf_free(&line);
	if (n == 0)
		buf_reset(&b);
	return buf_detach(&b);
}
