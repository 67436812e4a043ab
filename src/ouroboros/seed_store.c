/*
 * seed_store.c — seeds and their evaluation results in SQLite.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ouroboros/seed_store.h"
#include "store/db.h"
#include "util/json.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SEED_SPEC_MAX (4 * 1024 * 1024) /* bytes of a stored spec */

static const char *const seed_stages[] = { "mechanical", "semantic",
	"consensus" };

const char *
seed_stage_name(enum seed_stage st)
{
	return (unsigned)st < 3 ? seed_stages[st] : "?";
}

int
seed_stage_parse(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, seed_stages[i]) == 0)
			return i;
	return -1;
}

int
seed_status_ok(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "passed") == 0 ||
	    strcmp(s, "failed") == 0 || strcmp(s, "superseded") == 0;
}

static int
seed_db_fail(sqlite3 *db, char **cause)
{
	xasprintf(cause, "database: %s", sqlite3_errmsg(db));
	return -1;
}

int
seed_store_put(sqlite3 *db, const struct seed *s, char **cause)
{
	static const char sql[] =
	    "INSERT INTO seeds (id, parent_id, root_id, generation, "
	    "created_at, spec) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	json_t *row = NULL, *v = NULL;
	char *spec = NULL;
	const char *p[1];
	int rc = -1, began = 0;

	*cause = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return seed_db_fail(db, cause);
	began = 1;
	p[0] = s->id;
	if ((row = db_row(db, "SELECT id FROM seeds WHERE id = ?1", 1, p,
		 cause)) != NULL) {
		xasprintf(cause, "seed %s is already stored (seeds are frozen)",
		    s->id);
		goto out;
	}
	if (*cause != NULL)
		goto out;
	if (s->generation > 1) {
		p[0] = s->parent_id;
		if ((row = db_row(db,
			 "SELECT root_id, generation FROM seeds WHERE id = ?1",
			 1, p, cause)) == NULL) {
			if (*cause == NULL)
				xasprintf(cause, "parent seed %s is not stored",
				    s->parent_id);
			goto out;
		}
		if (strcmp(oxjson_str(row, "root_id", ""), s->root_id) != 0 ||
		    oxjson_int(row, "generation", 0) + 1 != s->generation) {
			xasprintf(cause,
			    "seed %s: generation %d of root %s cannot follow "
			    "generation %lld of root %s",
			    s->id, s->generation, s->root_id,
			    (long long)oxjson_int(row, "generation", 0),
			    oxjson_str(row, "root_id", ""));
			goto out;
		}
	}
	v = seed_to_json(s);
	spec = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	if (db_exec(db, sql, "tttiIt", s->id,
		s->generation > 1 ? s->parent_id : NULL, s->root_id,
		s->generation, s->created_at, spec) < 0) {
		if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE)
			xasprintf(cause, "root %s already has a generation %d",
			    s->root_id, s->generation);
		else
			seed_db_fail(db, cause);
		goto out;
	}
	if (s->generation > 1 &&
	    db_exec(db,
		"UPDATE seeds SET status = 'superseded' WHERE id = ?1 "
		"AND status = 'active'",
		"t", s->parent_id) < 0)
		goto dbfail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto dbfail;
	began = 0;
	rc = 0;
	goto out;
dbfail:
	seed_db_fail(db, cause);
out:
	if (began)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	json_decref(row);
	json_decref(v);
	free(spec);
	return rc;
}

/* The seed row of `id` (spec parsed into "seed"), or NULL. */
static json_t *
seed_row(sqlite3 *db, const char *id, char **cause)
{
	const char *p[1] = { id };
	json_t *row, *spec;
	const char *text;

	*cause = NULL;
	if ((row = db_row(db,
		 "SELECT spec, status, stop_reason FROM seeds WHERE id = ?1", 1,
		 p, cause)) == NULL)
		return NULL;
	text = oxjson_str(row, "spec", "");
	if ((spec = oxjson_parse(text, strlen(text), SEED_SPEC_MAX, cause)) ==
	    NULL) {
		json_decref(row);
		return NULL;
	}
	json_object_set_new(row, "seed", spec);
	json_object_del(row, "spec");
	return row;
}

int
seed_store_load(sqlite3 *db, const char *id, struct seed **out, char **cause)
{
	json_t *row;
	char *why = NULL;
	int rc;

	*out = NULL;
	if ((row = seed_row(db, id, cause)) == NULL)
		return *cause != NULL ? -1 : 0;
	rc = seed_from_json(json_object_get(row, "seed"), out, &why);
	if (rc != 0) {
		xasprintf(cause, "stored seed %s: %s", id, why);
		free(why);
	}
	json_decref(row);
	return rc;
}

json_t *
seed_store_get(sqlite3 *db, const char *id, char **cause)
{
	json_t *row, *v;

	if ((row = seed_row(db, id, cause)) == NULL)
		return NULL;
	v = json_incref(json_object_get(row, "seed"));
	json_object_set(v, "status", json_object_get(row, "status"));
	json_object_set(v, "stop_reason", json_object_get(row, "stop_reason"));
	json_decref(row);
	return v;
}

json_t *
seed_store_list(sqlite3 *db, long limit, long offset, char **cause)
{
	char lim[24], off[24];
	const char *p[2] = { lim, off };
	json_t *rows, *total, *r;
	json_int_t n;
	size_t i;

	if (limit < 1 || limit > SEED_LIST_MAX)
		limit = SEED_LIST_MAX;
	if (offset < 0)
		offset = 0;
	snprintf(lim, sizeof lim, "%ld", limit);
	snprintf(off, sizeof off, "%ld", offset);
	if ((rows = db_rows(db,
		 "SELECT id, parent_id, root_id, generation, created_at, "
		 "status, stop_reason, json_extract(spec, '$.goal') AS goal, "
		 "json_extract(spec, '$.task_type') AS task_type, "
		 "json_extract(spec, '$.ambiguity') AS ambiguity, "
		 "json_extract(spec, '$.degraded') AS degraded FROM seeds "
		 "ORDER BY created_at DESC, rowid DESC "
		 "LIMIT CAST(?1 AS INTEGER) OFFSET CAST(?2 AS INTEGER)",
		 2, p, SEED_LIST_MAX, cause)) == NULL)
		return NULL;
	if ((total = db_row(db, "SELECT count(*) AS n FROM seeds", 0, NULL,
		 cause)) == NULL) {
		json_decref(rows);
		return NULL;
	}
	n = oxjson_int(total, "n", 0);
	json_decref(total);
	/* SQLite has no booleans (json_extract() gives 1 or 0). */
	json_array_foreach(rows, i, r) {
		json_object_set_new(r, "degraded",
		    json_boolean(oxjson_int(r, "degraded", 0) != 0));
		if (json_is_integer(json_object_get(r, "ambiguity")))
			json_object_set_new(r, "ambiguity",
			    json_real((double)oxjson_int(r, "ambiguity", 0)));
	}
	return json_pack("{s:o, s:I, s:I, s:I}", "seeds", rows, "total", n,
	    "limit", (json_int_t)limit, "offset", (json_int_t)offset);
}

int
seed_store_status(sqlite3 *db, const char *id, const char *status,
    const char *stop_reason, char **cause)
{
	int64_t n;

	if (!seed_status_ok(status)) {
		xasprintf(cause,
		    "unknown seed status '%.32s' (active, passed, "
		    "failed, superseded)",
		    status);
		return -1;
	}
	if (stop_reason != NULL && strlen(stop_reason) > SEED_STOP_MAX) {
		xasprintf(cause, "stop reason longer than %d bytes",
		    SEED_STOP_MAX);
		return -1;
	}
	if ((n = db_exec(db,
		 "UPDATE seeds SET status = ?2, stop_reason = ?3 WHERE id = ?1",
		 "ttt", id, status, stop_reason)) < 0)
		return seed_db_fail(db, cause);
	return n == 0 ? 1 : 0;
}

int
seed_store_result(sqlite3 *db, const struct seed_result *r, char **cause)
{
	struct seed *s = NULL;
	char *detail = NULL;
	int rc = -1;

	if ((unsigned)r->stage > SEED_CONSENSUS) {
		xasprintf(cause, "unknown evaluation stage %d", (int)r->stage);
		return -1;
	}
	if (!isnan(r->score) && !(r->score >= 0 && r->score <= 1)) {
		xasprintf(cause, "score %g is not in 0..1", r->score);
		return -1;
	}
	if (seed_store_load(db, r->seed_id, &s, cause) != 0)
		return -1;
	if (s == NULL) {
		xasprintf(cause, "no seed %.64s", r->seed_id);
		return -1;
	}
	if (r->criterion_id != NULL &&
	    seed_criterion_find(s, r->criterion_id) == NULL) {
		xasprintf(cause, "seed %s has no criterion '%.64s'", s->id,
		    r->criterion_id);
		goto out;
	}
	if (r->detail != NULL)
		detail = json_dumps(r->detail, JSON_COMPACT | JSON_ENCODE_ANY);
	/* A NAN score binds NULL: SQLite stores no NaN. */
	if (db_exec(db,
		"INSERT INTO seed_results (seed_id, criterion_id, stage, "
		"passed, score, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		"?7)",
		"tttidtI", s->id, r->criterion_id, seed_stage_name(r->stage),
		r->passed != 0, r->score, detail,
		r->at != 0 ? r->at : time_wall_ms()) < 0) {
		seed_db_fail(db, cause);
		goto out;
	}
	rc = 0;
out:
	free(detail);
	seed_free(s);
	return rc;
}

/* The results of one seed, oldest first, detail parsed. */
static json_t *
seed_results(sqlite3 *db, const char *id, char **cause)
{
	const char *p[1] = { id };
	json_t *rows, *r, *d;
	const char *text;
	size_t i;

	if ((rows = db_rows(db,
		 "SELECT criterion_id, stage, passed, score, detail, at FROM "
		 "seed_results WHERE seed_id = ?1 ORDER BY id",
		 1, p, SEED_RESULTS_MAX, cause)) == NULL)
		return NULL;
	json_array_foreach(rows, i, r) {
		json_object_set_new(r, "passed",
		    json_boolean(oxjson_int(r, "passed", 0) != 0));
		if (json_is_integer(json_object_get(r, "score")))
			json_object_set_new(r, "score",
			    json_real((double)oxjson_int(r, "score", 0)));
		if ((text = oxjson_str(r, "detail", NULL)) != NULL) {
			d = json_loads(text, JSON_DECODE_ANY, NULL);
			json_object_set_new(r, "detail",
			    d != NULL ? d : json_string(text));
		}
	}
	return rows;
}

/* One generation of a lineage: its seed, results and verdict. */
static json_t *
seed_generation(sqlite3 *db, json_t *row, char **cause)
{
	json_t *seed = json_object_get(row, "seed"), *results, *criteria,
	       *verdicts, *c, *r, *mine, *score;
	size_t i, j, npassed = 0, ncrit;
	int all = 1, verdict_ok = 1, state;

	if ((results = seed_results(db, oxjson_str(seed, "id", ""), cause)) ==
	    NULL)
		return NULL;
	criteria = json_array();
	verdicts = json_array();
	json_array_foreach(results, j, r) {
		if (json_is_null(json_object_get(r, "criterion_id"))) {
			json_array_append(verdicts, r);
			if (json_is_false(json_object_get(r, "passed")))
				verdict_ok = 0;
		}
	}
	ncrit = json_array_size(json_object_get(seed, "acceptance_criteria"));
	json_array_foreach(json_object_get(seed, "acceptance_criteria"), i, c) {
		const char *cid = oxjson_str(c, "id", "");

		mine = json_array();
		score = json_null();
		state = -1; /* not evaluated */
		json_array_foreach(results, j, r) {
			if (strcmp(oxjson_str(r, "criterion_id", ""), cid) != 0)
				continue;
			json_array_append(mine, r);
			if (json_is_false(json_object_get(r, "passed")))
				state = 0;
			else if (state < 0)
				state = 1;
			if (json_is_number(json_object_get(r, "score"))) {
				json_decref(score);
				score =
				    json_incref(json_object_get(r, "score"));
			}
		}
		if (state == 1)
			npassed++;
		else
			all = 0;
		json_array_append_new(criteria,
		    json_pack("{s:s, s:O, s:o, s:o, s:o}", "id", cid,
			"description", json_object_get(c, "description"),
			"passed", state < 0 ? json_null() : json_boolean(state),
			"score", score, "results", mine));
	}
	json_decref(results);
	return json_pack("{s:O, s:O, s:O, s:O, s:o, s:o, s:b, s:f}",
	    "generation", json_object_get(seed, "generation"), "seed", seed,
	    "status", json_object_get(row, "status"), "stop_reason",
	    json_object_get(row, "stop_reason"), "criteria", criteria,
	    "verdicts", verdicts, "passed", all && verdict_ok && ncrit > 0,
	    "score", ncrit > 0 ? (double)npassed / (double)ncrit : 0.0);
}

json_t *
seed_store_lineage(sqlite3 *db, const char *id, char **cause)
{
	const char *p[1] = { id };
	json_t *root, *rows = NULL, *gens = NULL, *row, *spec, *g;
	const char *text;
	char root_id[UUID_STRLEN];
	size_t i;

	*cause = NULL;
	if ((root = db_row(db, "SELECT root_id FROM seeds WHERE id = ?1", 1, p,
		 cause)) == NULL)
		return NULL;
	snprintf(root_id, sizeof root_id, "%s",
	    oxjson_str(root, "root_id", ""));
	json_decref(root);
	p[0] = root_id;
	if ((rows = db_rows(db,
		 "SELECT spec, status, stop_reason FROM seeds WHERE root_id = "
		 "?1 ORDER BY generation",
		 1, p, SEED_MAX_GENERATION + 1, cause)) == NULL)
		return NULL;
	gens = json_array();
	json_array_foreach(rows, i, row) {
		text = oxjson_str(row, "spec", "");
		if ((spec = oxjson_parse(text, strlen(text), SEED_SPEC_MAX,
			 cause)) == NULL)
			goto fail;
		json_object_set_new(row, "seed", spec);
		if ((g = seed_generation(db, row, cause)) == NULL)
			goto fail;
		json_array_append_new(gens, g);
	}
	json_decref(rows);
	return json_pack("{s:s, s:o}", "root_id", root_id, "generations", gens);
fail:
	json_decref(rows);
	json_decref(gens);
	return NULL;
}
