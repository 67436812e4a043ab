/*
 * seed_store.h — seeds in SQLite (tables `seeds` and `seed_results`,
 * migration 011): store, load, list, lineage, results.
 *
 * A stored seed is frozen (a trigger refuses any change of its spec or
 * its place in the lineage); only its status (active, passed, failed,
 * superseded) and stop reason change.  Storing generation N+1 marks an
 * active parent superseded, in the same transaction.
 */
#ifndef OXIOS_OUROBOROS_SEED_STORE_H
#define OXIOS_OUROBOROS_SEED_STORE_H

#include <sqlite3.h>
#include <jansson.h>

#include "ouroboros/seed.h"

#define SEED_LIST_MAX 1000    /* most seeds one list page holds */
#define SEED_RESULTS_MAX 4096 /* most results read for one seed */
#define SEED_STOP_MAX 1024    /* bytes of a stop reason */

enum seed_stage { SEED_MECHANICAL, SEED_SEMANTIC, SEED_CONSENSUS };

/* One evaluation result; criterion_id NULL: a verdict on the whole seed. */
struct seed_result {
	const char *seed_id;
	const char *criterion_id;
	enum seed_stage stage;
	int passed;
	double score;         /* 0..1; NAN: none */
	const json_t *detail; /* any JSON, or NULL */
	int64_t at;           /* Unix ms; 0: now */
};

/* "mechanical", "semantic", "consensus"; and back (-1: unknown). */
const char *seed_stage_name(enum seed_stage st);
int seed_stage_parse(const char *s);
/* Whether `s` is a status: active, passed, failed, superseded. */
int seed_status_ok(const char *s);

/*
 * Store a new seed.  Its parent (generation > 1) must be stored, of the
 * same root and one generation below.  Returns 0, or -1 with *cause
 * (caller frees): a stored id, a missing parent, a taken generation.
 */
int seed_store_put(sqlite3 *db, const struct seed *s, char **cause);
/*
 * Load seed `id` into *out (caller seed_free()s); *out NULL (and 0) when
 * there is none.  -1 with *cause on an error.
 */
int seed_store_load(sqlite3 *db, const char *id, struct seed **out,
    char **cause);
/*
 * Seed `id` as JSON: seed_to_json() plus status and stop_reason (new
 * reference).  NULL with *cause NULL when there is none, with *cause
 * (caller frees) on an error.
 */
json_t *seed_store_get(sqlite3 *db, const char *id, char **cause);
/*
 * A page of seeds, newest first: {seeds: [{id, parent_id, root_id,
 * generation, created_at, status, stop_reason, goal, task_type,
 * ambiguity, degraded}], total, limit, offset}.  New reference, or NULL
 * with *cause.
 */
json_t *seed_store_list(sqlite3 *db, long limit, long offset, char **cause);
/*
 * Set the status (and stop reason, NULL for none) of seed `id`.  0; 1 when
 * there is no such seed; -1 with *cause.
 */
int seed_store_status(sqlite3 *db, const char *id, const char *status,
    const char *stop_reason, char **cause);
/*
 * Record a result.  The seed must exist; a criterion_id must name one of
 * its criteria; a score is in 0..1.  0, or -1 with *cause.
 */
int seed_store_result(sqlite3 *db, const struct seed_result *r, char **cause);
/*
 * The lineage of the seed `id` (any generation): {root_id, generations:
 * [{generation, seed, status, stop_reason, criteria: [{id, description,
 * passed, score, results: [...]}], verdicts: [...], passed, score}]},
 * oldest generation first.  A criterion passed when it has results and
 * none failed (a later pass never undoes an earlier failure; null: not
 * evaluated); its score is its latest scored result's; a generation's
 * score is the share of its criteria that passed, and it passed when
 * all did and no verdict on the whole seed failed.  New reference, or
 * NULL with *cause NULL when there is no such seed, with *cause on an
 * error.
 */
json_t *seed_store_lineage(sqlite3 *db, const char *id, char **cause);

#endif
