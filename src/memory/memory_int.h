/*
 * memory_int.h — what memory.c, search.c and dream.c share.
 */
#ifndef OXIOS_MEMORY_MEMORY_INT_H
#define OXIOS_MEMORY_MEMORY_INT_H

#include <pthread.h>

#include "memory/hnsw.h"
#include "memory/memory.h"

struct gate_embedder;

struct mem_state {
	pthread_mutex_t lock; /* everything below */
	int open;
	struct hnsw *index; /* vectors of the current embedder, or NULL */
	int dim;            /* 0 until known (API embedder) */
	char embedder[128]; /* "tfidf:256", "local:glove100", "api:<model>" */
	int api;
	int local; /* memory.embedder = local (embed_local.h) */
	struct gate_embedder *api_embedder; /* with api (kernel/gate.h) */
	int m, ef_construction, ef_search;
	long long generation; /* of the database, as the index has it */
	int dirty;            /* changed since saved */
	char *path;           /* $OXIOS_HOME/memory.hnsw */
	long hot_tokens;
	double prune_threshold;
	double target_recall;      /* memory.hnsw_target_recall */
	unsigned long serial;      /* bumped by every new index */
	struct hnsw_tuning tuning; /* the last one, kept over rebuilds */
	float *queries;            /* ring of the last searches' vectors */
	size_t nqueries, qnext;
};

#define MEM_TUNE_K 10        /* tuned for recall@10 */
#define MEM_TUNE_QUERIES 100 /* recent queries in a tuning sample */

extern struct mem_state mem;

/* The memory row `id` as JSON (the API's shape). */
json_t *mem_row_json(sqlite3_stmt *st);
#define MEM_COLUMNS \
	"id, content, type, tier, importance, protection, access_count, " \
	"last_access_ms, created_ms, session_id, agent_id, space, tags, " \
	"sources"

/* A counter of memory_meta ("docs", "generation"), 0 if none. */
long long mem_meta(sqlite3 *db, const char *key);
/* The integer a query answers (0 if none). */
long long mem_scalar(sqlite3 *db, const char *sql);
/* Whether a vector of dim floats is not all zero. */
int mem_vec_ok(const float *v, int dim);
/* Run SQL with no result; 0 or -1 with *cause. */
int mem_exec(sqlite3 *db, const char *sql, char **cause);
/* The database's generation counter. */
long long mem_generation(sqlite3 *db);
/* Bump it by one (inside the caller's transaction); the new value. */
long long mem_bump(sqlite3 *db);
/* Remember a query's vector for the next tuning (mem.lock held). */
void mem_note_query(const float *vec);
/* The index's tuning as JSON, null if none (mem.lock held). */
json_t *mem_tuning_json(void);
/* Bring the index up to date with the database (mem.lock held). */
int mem_sync(sqlite3 *db, char **cause);
/* The TF-IDF vector of `text` (mem.lock held; mem.dim floats). */
float *mem_embed_tfidf(sqlite3 *db, const char *text, size_t len);
/* The vector of the offline embedder configured (local or TF-IDF), dim
 * floats, caller frees; mem.lock held. */
float *mem_embed_offline(sqlite3 *db, const char *text, size_t len);
/*
 * Embed `text` (mem.lock NOT held: the API may be slow): TF-IDF, or the
 * provider's vector through the gate (L2-normalised, of the index's
 * dimension).  `cancel` and `err` (may be NULL) as in struct mem_new;
 * without a token, mem_stop()'s stops the call.
 * New array of mem.dim floats, or NULL with *cause.
 */
float *mem_embed(sqlite3 *db, const char *text, size_t len,
    const struct cancel *cancel, struct llm_error *err, char **cause);
/*
 * The same for texts[0..n) (NUL-terminated; with the API embedder, one
 * provider request: n at most LLM_EMBED_MAX_INPUTS).  New array of n
 * vectors of mem.dim floats (vector i at i * mem.dim), or NULL.
 */
float *mem_embed_many(sqlite3 *db, const char *const *texts, size_t n,
    const struct cancel *cancel, struct llm_error *err, char **cause);
/* The token of provider calls made without one of their own (dreams,
 * recall): fired by memory_stop(). */
const struct cancel *mem_stop(void);
/* Update document frequencies for a text added (+1) or removed (-1). */
int mem_df(sqlite3 *db, const char *text, size_t len, int delta, char **cause);
/* Recompute retention, protection and tiers of every memory.  Counts of
 * changes into *promoted, *demoted, *protected (may be NULL). */
int mem_retier(sqlite3 *db, int *promoted, int *demoted, int *protect,
    char **cause);
/* Delete a memory's row and keyword entry, fix the IDF (caller holds a
 * transaction); its vector leaves the index (mem.lock held by caller). */
int mem_delete_row(sqlite3 *db, int64_t id, char **cause);

#endif
