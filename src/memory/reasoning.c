/*
 * reasoning.c — the reasoning bank: chains of reasoning that worked (task,
 * steps, outcome), found again by the cosine of their tasks.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/memory_int.h"
#include "store/db.h"
#include "util/time.h"
#include "util/xalloc.h"

int64_t
memory_reasoning_add(sqlite3 *db, const char *task, const json_t *steps,
    const char *outcome, char **cause)
{
	float *v;
	char *text;
	int64_t id = -1;

	if (task == NULL || *task == '\0' || outcome == NULL ||
	    !json_is_array(steps)) {
		xasprintf(cause,
		    "a reasoning chain needs a task, steps (a "
		    "list) and an outcome");
		return -1;
	}
	if (strlen(task) > MEMORY_MAX_CONTENT) {
		xasprintf(cause, "the task is over %d bytes",
		    MEMORY_MAX_CONTENT);
		return -1;
	}
	if ((v = mem_embed(db, task, strlen(task), NULL, NULL, cause)) == NULL)
		return -1;
	text = json_dumps(steps, JSON_COMPACT);
	if (db_exec(db,
		"INSERT INTO reasoning (task, steps, outcome, created_ms, "
		"embedding) VALUES (?1, ?2, ?3, ?4, ?5)",
		"tttIb", task, text, outcome, (int64_t)time_wall_ms(),
		(const void *)v, memory_dim() * (int)sizeof(float)) >= 0)
		id = sqlite3_last_insert_rowid(db);
	else
		xasprintf(cause, "memory: reasoning: %s", sqlite3_errmsg(db));
	free(text);
	free(v);
	return id;
}

json_t *
memory_reasoning_similar(sqlite3 *db, const char *task, size_t k, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *all = json_array(), *out, *row;
	const float *e;
	float *v;
	double dot;
	int dim, i;
	size_t j;

	if ((v = mem_embed(db, task, strlen(task), NULL, NULL, cause)) ==
	    NULL) {
		json_decref(all);
		return NULL;
	}
	dim = memory_dim();
	/* A few thousand chains at most: a scan is fast enough. */
	if ((st = db_prepare(db,
		 "SELECT id, task, steps, outcome, embedding FROM reasoning",
		 "")) != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			e = sqlite3_column_blob(st, 4);
			if (e == NULL ||
			    sqlite3_column_bytes(st, 4) !=
				dim * (int)sizeof(float))
				continue;
			for (dot = 0, i = 0; i < dim; i++)
				dot += (double)e[i] * v[i];
			row = json_pack("{s:I, s:s, s:o, s:s, s:f}", "id",
			    (json_int_t)sqlite3_column_int64(st, 0), "task",
			    (const char *)sqlite3_column_text(st, 1), "steps",
			    json_loads((const char *)sqlite3_column_text(st, 2),
				0, NULL),
			    "outcome", (const char *)sqlite3_column_text(st, 3),
			    "score", round(dot * 1e4) / 1e4);
			if (row != NULL)
				json_array_append_new(all, row);
		}
	}
	sqlite3_finalize(st);
	free(v);
	/* Best first. */
	out = json_array();
	while (json_array_size(out) < k && json_array_size(all) > 0) {
		size_t best = 0;

		json_array_foreach(all, j, row) {
			if (json_real_value(json_object_get(row, "score")) >
			    json_real_value(
				json_object_get(json_array_get(all, best),
				    "score")))
				best = j;
		}
		if (json_real_value(json_object_get(json_array_get(all, best),
			"score")) <= 0)
			break;
		json_array_append(out, json_array_get(all, best));
		json_array_remove(all, best);
	}
	json_decref(all);
	return out;
}
