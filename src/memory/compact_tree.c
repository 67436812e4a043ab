/*
 * compact_tree.c — a memory as a node of the compaction tree: a summary
 * with its sources below it (recursively), any memory with the summaries
 * that cover it (compact.h, memory_tree()).
 */
#include <stdlib.h>
#include <string.h>

#include "memory/compact.h"
#include "memory/memory_int.h"
#include "store/db.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define TREE_PREVIEW 300 /* bytes of a child's content */

struct tree {
	sqlite3_stmt *node; /* one memory, with its summary row */
	sqlite3_stmt *kids; /* a summary's sources */
	size_t left;        /* nodes still allowed */
};

/* Memory `id` as a node (its content cut at `cut` bytes, 0: whole),
 * without children; NULL if there is none. */
static json_t *
tree_node(struct tree *t, int64_t id, size_t cut)
{
	sqlite3_stmt *st = t->node;
	const char *text;
	json_t *j = NULL;
	char made[40];
	size_t len;

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 2);
		len = strlen(text);
		if (cut > 0 && len > cut)
			len = utf8_cut(text, cut);
		time_rfc3339(sqlite3_column_int64(st, 3), made, sizeof made);
		j = json_pack("{s:I, s:s, s:s%, s:s}", "id", (json_int_t)id,
		    "type", (const char *)sqlite3_column_text(st, 1), "content",
		    text, len, "created_at", made);
		if (len < strlen(text))
			json_object_set_new(j, "cut", json_true());
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(j, "level",
			    json_string(
				(const char *)sqlite3_column_text(st, 4)));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			json_object_set_new(j, "period",
			    json_string(
				(const char *)sqlite3_column_text(st, 5)));
	}
	sqlite3_reset(st);
	return j;
}

/* The sources of summary `id`, as nodes with their own children. */
static json_t *
tree_children(struct tree *t, int64_t id)
{
	json_t *out = json_array(), *c;
	int64_t *ids = NULL;
	size_t n = 0, i;

	/* A source gone is stored negated: its id may be another's now. */
	sqlite3_bind_int64(t->kids, 1, id);
	while (sqlite3_step(t->kids) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n] = sqlite3_column_int64(t->kids, 0);
		if (sqlite3_column_int64(t->kids, 1) < 0)
			ids[n] = -ids[n];
		n++;
	}
	sqlite3_reset(t->kids);
	for (i = 0; i < n; i++) {
		if (t->left == 0)
			break;
		t->left--;
		if (ids[i] < 0 ||
		    (c = tree_node(t, ids[i], TREE_PREVIEW)) == NULL)
			c = json_pack("{s:I, s:b}", "id",
			    (json_int_t)(ids[i] < 0 ? -ids[i] : ids[i]), "gone",
			    1);
		else if (json_object_get(c, "level") != NULL)
			json_object_set_new(c, "children",
			    tree_children(t, ids[i]));
		json_array_append_new(out, c);
	}
	free(ids);
	return out;
}

/* The summaries that cover memory `id`: [{id, level, period}]. */
static json_t *
tree_parents(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st = NULL;
	json_t *out = json_array();

	if ((st = db_prepare(db,
		 "SELECT s.memory_id, s.level, s.period FROM "
		 "memory_summary_sources e JOIN memory_summaries s ON "
		 "s.memory_id = e.summary_id WHERE e.source_id = ?1 AND e.seen "
		 ">= 0 ORDER BY s.memory_id",
		 "I", (int64_t)id)) == NULL)
		return out;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out,
		    json_pack("{s:I, s:s, s:s}", "id",
			(json_int_t)sqlite3_column_int64(st, 0), "level",
			(const char *)sqlite3_column_text(st, 1), "period",
			(const char *)sqlite3_column_text(st, 2)));
	sqlite3_finalize(st);
	return out;
}

json_t *
memory_tree(sqlite3 *db, int64_t id, char **cause)
{
	struct tree t;
	json_t *j = NULL;

	*cause = NULL;
	memset(&t, 0, sizeof t);
	t.left = COMPACT_TREE_NODES;
	if ((t.node = db_prepare(db,
		 "SELECT m.id, m.type, m.content, m.created_ms, s.level, "
		 "s.period FROM memories m LEFT JOIN memory_summaries s ON "
		 "s.memory_id = m.id WHERE m.id = ?1",
		 "")) == NULL ||
	    (t.kids = db_prepare(db,
		 "SELECT source_id, seen FROM memory_summary_sources WHERE "
		 "summary_id = ?1 ORDER BY source_id",
		 "")) == NULL) {
		xasprintf(cause, "memory: %s", sqlite3_errmsg(db));
		goto out;
	}
	if ((j = tree_node(&t, id, 0)) == NULL)
		goto out;
	json_object_set_new(j, "children",
	    json_object_get(j, "level") != NULL ? tree_children(&t, id) :
						  json_array());
	json_object_set_new(j, "parents", tree_parents(db, id));
	if (t.left == 0)
		json_object_set_new(j, "truncated", json_true());
out:
	sqlite3_finalize(t.node);
	sqlite3_finalize(t.kids);
	return j;
}

json_t *
memory_tree_links(sqlite3 *db, int64_t id)
{
	sqlite3_stmt *st;
	json_t *j = json_object(), *covers, *up;

	if ((st = db_prepare(db,
		 "SELECT level, period FROM memory_summaries WHERE memory_id = "
		 "?1",
		 "I", (int64_t)id)) != NULL &&
	    sqlite3_step(st) == SQLITE_ROW) {
		json_object_set_new(j, "level",
		    json_string((const char *)sqlite3_column_text(st, 0)));
		json_object_set_new(j, "period",
		    json_string((const char *)sqlite3_column_text(st, 1)));
		covers = json_array();
		sqlite3_finalize(st);
		/* A source gone is marked (seen -1): its id may be another's. */
		if ((st = db_prepare(db,
			 "SELECT source_id FROM memory_summary_sources WHERE "
			 "summary_id = ?1 AND seen >= 0 ORDER BY source_id",
			 "I", (int64_t)id)) != NULL)
			while (sqlite3_step(st) == SQLITE_ROW)
				json_array_append_new(covers,
				    json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(j, "covers", covers);
	}
	sqlite3_finalize(st);
	if (json_array_size(up = tree_parents(db, id)) > 0)
		json_object_set_new(j, "covered_by", up);
	else
		json_decref(up);
	if (json_object_size(j) == 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}
