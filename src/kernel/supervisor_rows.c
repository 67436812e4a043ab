/*
 * supervisor_rows.c — queries of the agent table (for the API and
 * `oxios status`): any process may read it.
 */
#include <jansson.h>
#include <sqlite3.h>

#include "kernel/supervisor.h"
#include "store/db.h"
#include "util/xalloc.h"

#define SUP_COLUMNS \
	"id, parent_id, group_id, session_id, state, model, host_pid, " \
	"worker_pid, created_at, started_at, ended_at, exit_reason, " \
	"iterations, input_tokens, output_tokens, cost_usd"

json_t *
supervisor_list(sqlite3 *db, const char *state, const char *group, long limit,
    char **cause)
{
	const char *params[2] = { state, group };

	return db_rows(db,
	    "SELECT " SUP_COLUMNS " FROM agents "
	    "WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR group_id = ?2) "
	    "ORDER BY created_at DESC, rowid DESC",
	    2, params, (size_t)limit, cause);
}

json_t *
supervisor_get(sqlite3 *db, const char *id, char **cause)
{
	return db_row(db, "SELECT " SUP_COLUMNS " FROM agents WHERE id = ?1", 1,
	    &id, cause);
}

json_t *
supervisor_groups(sqlite3 *db, long limit, char **cause)
{
	return db_rows(db,
	    "SELECT g.group_id AS id, MIN(g.created_at) AS created_at, "
	    "MAX(COALESCE(g.ended_at, '')) AS last_ended_at, "
	    "COUNT(*) AS agents, "
	    "SUM(g.state IN ('running', 'queued')) AS active, "
	    "(SELECT r.state FROM agents r WHERE r.id = g.group_id) AS state, "
	    "(SELECT r.session_id FROM agents r WHERE r.id = g.group_id) "
	    "AS session_id, "
	    "SUM(g.input_tokens) AS input_tokens, "
	    "SUM(g.output_tokens) AS output_tokens "
	    "FROM agents g "
	    "GROUP BY g.group_id ORDER BY MIN(g.created_at) DESC",
	    0, NULL, (size_t)limit, cause);
}

json_t *
supervisor_state_counts(sqlite3 *db, char **cause)
{
	json_t *rows, *out, *row;
	size_t i;

	if ((rows = db_rows(db,
		 "SELECT state, COUNT(*) AS n FROM agents GROUP BY state", 0,
		 NULL, 100, cause)) == NULL)
		return NULL;
	out = json_object();
	json_array_foreach(rows, i, row)
		json_object_set(out,
		    json_string_value(json_object_get(row, "state")),
		    json_object_get(row, "n"));
	json_decref(rows);
	return out;
}

int
supervisor_pid_counts(sqlite3 *db, long pid, long long *running,
    long long *queued, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*running = *queued = 0;
	if ((st = db_prepare(db,
		 "SELECT COALESCE(SUM(state = 'running'), 0), "
		 "COALESCE(SUM(state = 'queued'), 0) FROM agents "
		 "WHERE host_pid = ?1",
		 "I", (int64_t)pid)) == NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*running = sqlite3_column_int64(st, 0);
	*queued = sqlite3_column_int64(st, 1);
	rc = 0;
out:
	if (rc != 0)
		xasprintf(cause, "counting agents: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}
